/* test_tmem.c - reading tracee memory: bounded strings, and reads that run
 * into an unmapped or PROT_NONE page return what was readable. A forked
 * child is the "tracee" (process_vm_readv on a real other process). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/tmem.h"

#define PG 4096

static char *area; /* page 0 readable, page 1 PROT_NONE, page 2 unmapped */
static pid_t child;

static int setup(void **state)
{
	(void)state;
	area = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -1;
	memset(area, 'x', PG);
	memcpy(area + 100, "short", 6);
	memcpy(area + PG - 5, "tail", 4);
	area[PG - 1] = 'Z';               /* no NUL before the PROT_NONE page */
	mprotect(area + PG, PG, PROT_NONE);
	munmap(area + 2 * PG, PG);
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	return child > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	munmap(area, 2 * PG);
	return 0;
}

static void test_read_plain_and_short(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(tmem_read(child, (uintptr_t)area + 100, buf, 6), 6);
	assert_string_equal(buf, "short");
	/* crossing into the PROT_NONE page: the readable prefix */
	char big[PG];
	assert_int_equal(tmem_read(child, (uintptr_t)area + PG - 10, big, 100), 10);
	assert_memory_equal(big, area + PG - 10, 10);
	/* starting in it: an error, not 0 */
	assert_int_equal(tmem_read(child, (uintptr_t)area + PG, big, 10), -EFAULT);
	assert_int_equal(tmem_read(child, (uintptr_t)area + 2 * PG, big, 10), -EFAULT);
	assert_int_equal(tmem_read(child, (uintptr_t)area, big, 0), 0);
}

static void test_string_normal(void **state)
{
	(void)state;
	char buf[256];
	int trunc = -1;
	assert_int_equal(tmem_read_string(child, (uintptr_t)area + 100, buf, sizeof(buf), &trunc), 5);
	assert_string_equal(buf, "short");
	assert_int_equal(trunc, 0);
	assert_int_equal(tmem_read_string(child, 0, buf, sizeof(buf), &trunc), -EFAULT);
	assert_string_equal(buf, "");
}

static void test_string_bounded_by_buffer(void **state)
{
	(void)state;
	char buf[8];
	int trunc = 0;
	assert_int_equal(tmem_read_string(child, (uintptr_t)area, buf, sizeof(buf), &trunc), 7);
	assert_string_equal(buf, "xxxxxxx");
	assert_int_equal(trunc, 1);
	assert_int_equal(tmem_read_string(child, (uintptr_t)area, buf, 1, &trunc), 0);
	assert_string_equal(buf, "");
}

static void test_string_runs_into_unreadable_page(void **state)
{
	(void)state;
	char buf[512];
	int trunc = 0;
	/* 5 bytes before the PROT_NONE page, no NUL: read up to the fault */
	ssize_t n = tmem_read_string(child, (uintptr_t)area + PG - 5, buf, sizeof(buf), &trunc);
	assert_int_equal(n, 5);
	assert_string_equal(buf, "tailZ");
	assert_int_equal(trunc, 1);
	/* a long string starting pages before the end is read too */
	char page[2 * PG];
	n = tmem_read_string(child, (uintptr_t)area + 200, page, sizeof(page), &trunc);
	assert_int_equal(n, PG - 200);
	assert_int_equal(trunc, 1);
}

static void test_dead_process(void **state)
{
	(void)state;
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	char buf[16];
	assert_int_equal(tmem_read(p, (uintptr_t)area, buf, sizeof(buf)), -ESRCH);
	assert_int_equal(tmem_read_string(p, (uintptr_t)area, buf, sizeof(buf), NULL), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_plain_and_short),
		cmocka_unit_test(test_string_normal),
		cmocka_unit_test(test_string_bounded_by_buffer),
		cmocka_unit_test(test_string_runs_into_unreadable_page),
		cmocka_unit_test(test_dead_process),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

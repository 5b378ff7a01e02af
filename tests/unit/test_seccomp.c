/* test_seccomp.c - the tracer's seccomp filter, installed for real in a
 * child that has no tracer: a call the filter traces then fails with
 * ENOSYS (the kernel's answer to SECCOMP_RET_TRACE without a tracer), a
 * call it allows runs. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/fastpath.h"
#include "record/seccomp.h"

/* The child exits with 0, or 1 + the first check that failed. */
enum {
	C_GETPID_ALLOWED, C_GETFL_ALLOWED, C_SETFL_ALLOWED, C_DUPFD_TRACED, C_DUPFD_CLOEXEC_TRACED,
	C_SETFD_TRACED, C_CLOSE_TRACED, C_OPENAT_TRACED, C_READ, C_COUNT
};

static int traced(long r)
{
	return r == -1 && errno == ENOSYS;
}

static int child(bool fast)
{
	struct sock_fprog prog;
	bool ok[C_COUNT];
	char c;

	if (seccomp_filter_build(&prog, fast ? fastpath_owns : NULL) ||
	    seccomp_install(&prog, true))
		return 255;
	ok[C_GETPID_ALLOWED] = syscall(SYS_getpid) > 0;
	ok[C_GETFL_ALLOWED] = fcntl(0, F_GETFL) >= 0;
	ok[C_SETFL_ALLOWED] = fcntl(0, F_SETFL, fcntl(0, F_GETFL)) == 0;
	ok[C_DUPFD_TRACED] = traced(fcntl(0, F_DUPFD, 10));
	ok[C_DUPFD_CLOEXEC_TRACED] = traced(fcntl(0, F_DUPFD_CLOEXEC, 10));
	ok[C_SETFD_TRACED] = traced(fcntl(0, F_SETFD, FD_CLOEXEC));
	ok[C_CLOSE_TRACED] = traced(syscall(SYS_close, 12345));
	ok[C_OPENAT_TRACED] = traced(syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY));
	/* read: traced through ptrace, or left to the fast path */
	ok[C_READ] = traced(read(0, &c, 0)) != fast;
	for (int i = 0; i < C_COUNT; i++)
		if (!ok[i])
			return 1 + i;
	return 0;
}

static int run(bool fast)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(child(fast));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_filter_ptrace_only(void **state)
{
	(void)state;
	assert_int_equal(run(false), 0);
}

static void test_filter_with_fast_path(void **state)
{
	(void)state;
	assert_int_equal(run(true), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_ptrace_only),
		cmocka_unit_test(test_filter_with_fast_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

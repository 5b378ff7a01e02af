/* test_fsinfo.c - making *at() paths absolute: ".", "..", dirfd, overlong. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/fdtable.h"
#include "record/fsinfo.h"

static struct fsinfo *fs;
static struct fdtable *fds;
static char out[4096];

static int setup(void **state)
{
	(void)state;
	fs = fsinfo_from_proc(getpid());
	fds = fdtable_new();
	return fs && fds && fsinfo_set_cwd(fs, "/home/u/src") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fsinfo_unref(fs);
	fdtable_unref(fds);
	return 0;
}

static const char *abs_of(int dirfd, const char *p)
{
	fsinfo_abspath(fs, fds, 0, dirfd, p, out, sizeof(out));
	return out;
}

static void test_absolute_and_cwd(void **state)
{
	(void)state;
	assert_string_equal(abs_of(AT_FDCWD, "/etc/hosts"), "/etc/hosts");
	assert_string_equal(abs_of(AT_FDCWD, "a.txt"), "/home/u/src/a.txt");
	assert_string_equal(abs_of(AT_FDCWD, "./a/./b"), "/home/u/src/a/b");
	assert_string_equal(abs_of(AT_FDCWD, "../x"), "/home/u/x");
	assert_string_equal(abs_of(AT_FDCWD, "../../../../x"), "/x");
	assert_string_equal(abs_of(AT_FDCWD, "//etc//hosts/"), "/etc/hosts");
	assert_string_equal(abs_of(AT_FDCWD, "/a/b/.."), "/a");
	assert_string_equal(abs_of(AT_FDCWD, "/.."), "/");
	assert_string_equal(abs_of(AT_FDCWD, "."), "/home/u/src");
	assert_string_equal(abs_of(AT_FDCWD, ""), "/home/u/src");
	assert_string_equal(fsinfo_cwd(fs), "/home/u/src");
	assert_int_equal(fsinfo_set_cwd(fs, "relative"), -EINVAL);
}

static void test_dirfd(void **state)
{
	(void)state;
	fdtable_set(fds, 7, FD_DIR, PROTO_NONE, "/var/lib", false, O_PATH);
	assert_string_equal(abs_of(7, "dpkg/status"), "/var/lib/dpkg/status");
	assert_string_equal(abs_of(7, "../log"), "/var/log");
	assert_string_equal(abs_of(7, "/abs"), "/abs");
	assert_string_equal(abs_of(7, ""), "/var/lib"); /* AT_EMPTY_PATH */
	/* an unknown dirfd with no pid to ask: the path stays as given */
	assert_string_equal(abs_of(9, "rel"), "rel");
}

static void test_dirfd_resolved_from_proc(void **state)
{
	(void)state;
	int d = open("/usr/share", O_PATH | O_DIRECTORY);
	assert_true(d >= 0);
	fsinfo_abspath(fs, fds, getpid(), d, "doc/../x", out, sizeof(out));
	assert_string_equal(out, "/usr/share/x");
	close(d);
}

static void test_overlong_is_bounded(void **state)
{
	(void)state;
	char small[16];
	char longp[9000];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	size_t n = fsinfo_abspath(fs, fds, 0, AT_FDCWD, "abcdefghijklmnopqrstuvwxyz", small,
				  sizeof(small));
	assert_int_equal(n, strlen(small));
	assert_true(n < sizeof(small));
	assert_memory_equal(small, "/home/u/src/abc", 15);
	n = fsinfo_abspath(fs, fds, 0, AT_FDCWD, longp, out, sizeof(out));
	assert_int_equal(n, sizeof(out) - 1);
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_int_equal(fsinfo_abspath(fs, fds, 0, AT_FDCWD, "x", small, 1), 0);
	assert_int_equal(small[0], '\0');
}

static void test_clone_and_ref(void **state)
{
	(void)state;
	struct fsinfo *shared = fsinfo_ref(fs);
	struct fsinfo *copy = fsinfo_clone(fs);
	fsinfo_set_cwd(shared, "/tmp");
	assert_string_equal(fsinfo_cwd(fs), "/tmp");          /* CLONE_FS */
	assert_string_equal(fsinfo_cwd(copy), "/home/u/src"); /* fork */
	fsinfo_unref(shared);
	fsinfo_unref(copy);
	fsinfo_set_cwd(fs, "/home/u/src");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absolute_and_cwd),
		cmocka_unit_test(test_dirfd),
		cmocka_unit_test(test_dirfd_resolved_from_proc),
		cmocka_unit_test(test_overlong_is_bounded),
		cmocka_unit_test(test_clone_and_ref),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

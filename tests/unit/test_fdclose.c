/* test_fdclose.c - which closes cannot fail, checked on this process's own
 * fds: pipes and sockets yes, a file on the test's filesystem as its type
 * says, devices and closed fds never. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/fdclose.h"

static void test_fstypes(void **state)
{
	(void)state;
	assert_true(fdclose_fstype_quiet("ext4"));
	assert_true(fdclose_fstype_quiet("tmpfs"));
	assert_true(fdclose_fstype_quiet("xfs"));
	assert_false(fdclose_fstype_quiet("nfs4"));
	assert_false(fdclose_fstype_quiet("fuse.sshfs"));
	assert_false(fdclose_fstype_quiet("overlay"));
	assert_false(fdclose_fstype_quiet("f2fs"));
	assert_false(fdclose_fstype_quiet(""));
}

static void test_pipes_and_sockets(void **state)
{
	int p[2], s[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	assert_true(fdclose_cannot_fail(getpid(), p[0]));
	assert_true(fdclose_cannot_fail(getpid(), p[1]));
	assert_true(fdclose_cannot_fail(getpid(), s[0]));
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
	assert_false(fdclose_cannot_fail(getpid(), p[0])); /* closed: EBADF */
}

static void test_devices_and_bad_fds(void **state)
{
	int fd = open("/dev/null", O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_false(fdclose_cannot_fail(getpid(), fd));
	close(fd);
	assert_false(fdclose_cannot_fail(getpid(), -1));
	assert_false(fdclose_cannot_fail(getpid(), 1 << 20));
}

/* The filesystem type of `path` as mountinfo names it, from findmnt. */
static int fstype_of(const char *path, char *out, size_t cap)
{
	char cmd[512];
	FILE *f;
	int ok;

	snprintf(cmd, sizeof(cmd), "findmnt -n -o FSTYPE -T '%s'", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	ok = fgets(out, (int)cap, f) != NULL;
	pclose(f);
	if (!ok)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static void test_files_follow_their_filesystem(void **state)
{
	char dir[] = "/tmp/fdclose-XXXXXX", path[64], type[64];
	int fd, dfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0 && dfd >= 0);
	if (fstype_of(dir, type, sizeof(type)) != 0)
		skip();
	assert_int_equal(fdclose_cannot_fail(getpid(), fd), fdclose_fstype_quiet(type));
	assert_int_equal(fdclose_cannot_fail(getpid(), dfd), fdclose_fstype_quiet(type));
	close(fd);
	close(dfd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fstypes),
		cmocka_unit_test(test_pipes_and_sockets),
		cmocka_unit_test(test_devices_and_bad_fds),
		cmocka_unit_test(test_files_follow_their_filesystem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

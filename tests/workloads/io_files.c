/*
 * io_files.c - file operations with known results, for test_files.py.
 *
 * usage: io_files DIR   (DIR exists and is empty)
 * Everything happens relative to DIR after chdir(DIR), or through an O_PATH
 * dirfd on DIR/sub. Markers (failed opens of /compendium-marker/NAME) delimit
 * the phases so the test can find them among the loader's events.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static void marker(const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "/compendium-marker/%s", name);
	int fd = open(p, O_RDONLY);
	if (fd >= 0)
		close(fd);
}

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

static void write_all(int fd, const char *buf, size_t n)
{
	must(write(fd, buf, n) == (ssize_t)n, "write");
}

int main(int argc, char **argv)
{
	static char buf[20000];
	must(argc == 2, "usage: io_files DIR");
	memset(buf, 'q', sizeof(buf));
	must(chdir(argv[1]) == 0, "chdir");
	marker("start");
	must(mkdir("sub", 0755) == 0, "mkdir");

	/* relative to the cwd: create, write 10000 + 2000 + 345 = 12345 bytes */
	int fd = open("sub/a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644);
	must(fd >= 0, "open a");
	write_all(fd, buf, 10000);
	write_all(fd, buf, 2000);
	write_all(fd, buf, 345);
	must(close(fd) == 0, "close");

	/* through an O_PATH dirfd: read it back in full */
	int dir = open("sub", O_PATH | O_DIRECTORY);
	must(dir >= 0, "open sub");
	fd = openat(dir, "a.txt", O_RDONLY);
	must(fd >= 0, "openat a");
	ssize_t n, total = 0;
	while ((n = read(fd, buf, 4096)) > 0)
		total += n;
	must(total == 12345, "read total");
	close(fd);

	/* "../b.txt" via the dirfd; pwrite at 100; writev 3 + 4 */
	fd = openat(dir, "../b.txt", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	must(fd >= 0, "openat b");
	must(pwrite(fd, "hello", 5, 100) == 5, "pwrite");
	struct iovec iov[2] = { { "abc", 3 }, { "defg", 4 } };
	must(writev(fd, iov, 2) == 7, "writev");
	must(ftruncate(fd, 50) == 0, "ftruncate");
	/* dup2 onto 10 then write 9 bytes through 10 */
	must(dup2(fd, 10) == 10, "dup2");
	close(fd);
	write_all(10, "123456789", 9);
	must(syscall(SYS_close_range, 10, 12, 0) == 0, "close_range");

	/* openat2 with O_RDONLY, then preadv2 at offset 1 */
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	fd = (int)syscall(SYS_openat2, dir, "../b.txt", &how, sizeof(how));
	must(fd >= 0, "openat2");
	char small[8];
	struct iovec rv = { small, 4 };
	must(preadv2(fd, &rv, 1, 1, 0) == 4, "preadv2");
	close(fd);

	/* creat, then rename, renameat, link, symlink, unlink, rmdir, truncate */
	fd = creat("c.txt", 0644);
	must(fd >= 0, "creat");
	close(fd);
	must(rename("sub/a.txt", "sub/moved.txt") == 0, "rename");
	must(renameat(dir, "moved.txt", AT_FDCWD, "top.txt") == 0, "renameat");
	must(link("top.txt", "sub/hard.txt") == 0, "link");
	must(symlink("../c.txt", "sub/sym") == 0, "symlink");
	must(truncate("c.txt", 3) == 0, "truncate");
	must(unlink("top.txt") == 0, "unlink");
	must(unlinkat(dir, "hard.txt", 0) == 0, "unlinkat");
	must(mkdir("gone", 0700) == 0, "mkdir gone");
	must(rmdir("gone") == 0, "rmdir");

	/* cwd changes: chdir relative, then fchdir back through a dirfd */
	int top = open(".", O_RDONLY | O_DIRECTORY);
	must(chdir("sub") == 0, "chdir sub");
	fd = open("in-sub.txt", O_CREAT | O_WRONLY, 0644);
	must(fd >= 0, "open in-sub");
	close(fd);
	must(fchdir(top) == 0, "fchdir");
	fd = open("after-fchdir.txt", O_CREAT | O_WRONLY, 0644);
	must(fd >= 0, "open after-fchdir");
	close(fd);

	/* pipe: 5 bytes through it */
	int p[2];
	must(pipe2(p, O_CLOEXEC) == 0, "pipe2");
	write_all(p[1], "pipe!", 5);
	must(read(p[0], small, sizeof(small)) == 5, "read pipe");
	close(p[0]);
	close(p[1]);

	/* failures: ENOENT, and EEXIST from O_EXCL */
	must(open("no/such/file", O_RDONLY) < 0, "open missing");
	must(open("c.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) < 0, "open excl");
	marker("end");
	return 0;
}

/*
 * show_golden.c - a fixed sequence of actions for the printer/FINAL golden
 * tests (test_show.py, test_live.py).
 *
 * usage: show_golden DIR   (DIR exists)
 * Between the markers (failed opens of /compendium-marker/start and /end)
 * everything is deterministic: file writes and reads in runs (folding),
 * a failed open, an anonymous mapping, a /proc read (noise), a localhost
 * TCP connection (noise), a forked child that exits 7. Writes nothing to
 * stdout or stderr, so live output can be compared with `show`.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void marker(const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "/compendium-marker/%s", name);
	int fd = open(p, O_RDONLY);
	if (fd >= 0)
		close(fd);
}

static void must(int ok, int code)
{
	if (!ok)
		exit(code);
}

int main(int argc, char **argv)
{
	static char buf[4096];
	char path[4096];
	must(argc == 2, 2);
	memset(buf, 'g', sizeof(buf));
	snprintf(path, sizeof(path), "%s/data.bin", argv[1]);
	marker("start");

	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	must(fd >= 0, 10);
	for (int i = 0; i < 3; i++)
		must(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), 11);
	must(write(fd, buf, 100) == 100, 12);
	close(fd);

	fd = open(path, O_RDONLY);
	must(fd >= 0, 13);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);

	snprintf(path, sizeof(path), "%s/missing", argv[1]);
	must(open(path, O_RDONLY) < 0, 14);

	void *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(m != MAP_FAILED, 15);
	munmap(m, 8192);

	fd = open("/proc/self/status", O_RDONLY);
	if (fd >= 0)
		close(fd);

	/* a localhost connection to our own listener */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	must(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 1) == 0, 16);
	must(getsockname(l, (struct sockaddr *)&a, &al) == 0, 17);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	must(c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) == 0, 18);
	close(c);
	close(l);

	pid_t pid = fork();
	must(pid >= 0, 19);
	if (pid == 0)
		_exit(7);
	int st;
	waitpid(pid, &st, 0);

	marker("end");
	return 0;
}

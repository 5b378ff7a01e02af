/*
 * io_unshare.c - threads that stop sharing the fd table (unshare
 * CLONE_FILES, close_range CLOSE_RANGE_UNSHARE) and then reuse an fd
 * number the main thread still has open.
 *
 * usage: io_unshare DIR
 * main opens DIR/main.txt as fd M and moves to DIR/a. Thread 1:
 * unshare(CLONE_FILES | CLONE_FS), chdir(".."), close M, open "t1.txt"
 * (DIR/t1.txt, and it gets M in its own table); while it holds it, main
 * writes 4 bytes to its own M; then the thread writes 11 bytes to its M.
 * main then creates "x.txt": DIR/a/x.txt, its cwd did not move.
 * Thread 2: close_range(M, M, CLOSE_RANGE_UNSHARE), open DIR/t2.txt (M
 * again, in its own table); main writes 5 more bytes to its M, the thread
 * 22 to its. Expected: main.txt 9 bytes, t1.txt 11, t2.txt 22.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *dir;
static int m = -1;
static pthread_barrier_t opened, written;
static const char *main_bytes;

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

static void reopen_and_write(const char *path, size_t n)
{
	char buf[64] = { 0 };
	int fd;

	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	must(fd == m, "the thread's open did not reuse the number");
	pthread_barrier_wait(&opened);  /* main writes to its own M now */
	pthread_barrier_wait(&written);
	must(write(fd, buf, n) == (ssize_t)n, "thread write");
	close(fd);
}

static void *by_unshare(void *arg)
{
	(void)arg;
	must(unshare(CLONE_FILES | CLONE_FS) == 0, "unshare");
	must(chdir("..") == 0, "chdir");
	must(close(m) == 0, "close");
	reopen_and_write("t1.txt", 11);
	return NULL;
}

static void *by_close_range(void *arg)
{
	char path[4096];

	(void)arg;
	snprintf(path, sizeof(path), "%s/t2.txt", dir);
	must(syscall(SYS_close_range, m, m, CLOSE_RANGE_UNSHARE) == 0, "close_range");
	reopen_and_write(path, 22);
	return NULL;
}

/* Runs fn on a thread; writes main_bytes to main's M while the thread
 * holds its own file under the same number. */
static void run(void *(*fn)(void *), const char *bytes)
{
	pthread_t t;

	must(pthread_create(&t, NULL, fn, NULL) == 0, "pthread_create");
	pthread_barrier_wait(&opened);
	main_bytes = bytes;
	must(write(m, main_bytes, strlen(main_bytes)) == (ssize_t)strlen(main_bytes),
	     "main write");
	pthread_barrier_wait(&written);
	must(pthread_join(t, NULL) == 0, "pthread_join");
}

int main(int argc, char **argv)
{
	char path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: io_unshare DIR\n");
		return 2;
	}
	dir = argv[1];
	snprintf(path, sizeof(path), "%s/main.txt", dir);
	m = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	must(m >= 0, "open");
	snprintf(path, sizeof(path), "%s/a", dir);
	must(mkdir(path, 0755) == 0 && chdir(path) == 0, "mkdir a");
	pthread_barrier_init(&opened, NULL, 2);
	pthread_barrier_init(&written, NULL, 2);
	run(by_unshare, "main");
	must(close(open("x.txt", O_CREAT | O_WRONLY, 0644)) == 0, "x.txt");
	run(by_close_range, "again");
	return close(m) == 0 ? 0 : 1;
}

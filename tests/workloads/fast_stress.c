/*
 * fast_stress.c - attribution under fd reuse: N threads (default 4) each
 * open their own file, write one small record to it and close it, M times
 * (default 1000), so that fd numbers pass from thread to thread all the
 * time. Records alternate between write and writev and have varying
 * lengths. Prints "THREAD TID PATH BYTES" per thread.
 *
 * usage: fast_stress DIR [THREADS [RECORDS]]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define FAST_STRESS_MAX_THREADS 64

struct fast_stress_thread {
	pthread_t th;
	int index, records;
	pid_t tid;
	long bytes;
	char path[4096];
};

static void *fast_stress_run(void *arg)
{
	struct fast_stress_thread *t = arg;
	char buf[64];

	t->tid = gettid();
	for (int n = 0; n < t->records; n++) {
		int fd = open(t->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int len = snprintf(buf, sizeof(buf), "thread %d record %d%.*s\n", t->index, n,
				   n % 7, "xxxxxxx");
		ssize_t w;

		if (fd < 0) {
			perror(t->path);
			exit(1);
		}
		if (n % 2) {
			struct iovec iov[2] = { { buf, (size_t)len / 2 },
						{ buf + len / 2, (size_t)(len - len / 2) } };
			w = writev(fd, iov, 2);
		} else {
			w = write(fd, buf, (size_t)len);
		}
		if (w != len) {
			perror("write");
			exit(1);
		}
		t->bytes += w;
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct fast_stress_thread t[FAST_STRESS_MAX_THREADS];
	int nthreads = argc > 2 ? atoi(argv[2]) : 4;
	int records = argc > 3 ? atoi(argv[3]) : 1000;

	if (argc < 2 || nthreads < 1 || nthreads > FAST_STRESS_MAX_THREADS || records < 0) {
		fprintf(stderr, "usage: fast_stress DIR [THREADS [RECORDS]]\n");
		return 2;
	}
	for (int i = 0; i < nthreads; i++) {
		t[i].index = i;
		t[i].records = records;
		snprintf(t[i].path, sizeof(t[i].path), "%s/thread%d.log", argv[1], i);
		if (pthread_create(&t[i].th, NULL, fast_stress_run, &t[i]) != 0)
			return 1;
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i].th, NULL);
	for (int i = 0; i < nthreads; i++)
		printf("%d %d %s %ld\n", i, (int)t[i].tid, t[i].path, t[i].bytes);
	return 0;
}

/*
 * proc_threads.c - 16 threads that each do syscalls and exit in a random
 * order.
 *
 * Every thread opens /dev/null, writes its index into it, closes it, then
 * sleeps a random 0-20 ms and exits. The main thread joins them all and
 * exits 0. Prints "threads 16" on success.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 16

static unsigned delay_ms[NTHREADS];

static void *worker(void *arg)
{
	long i = (long)arg;
	char buf[16];
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct timespec ts = { 0, (long)delay_ms[i] * 1000000L };

	if (fd >= 0) {
		int n = snprintf(buf, sizeof(buf), "%ld\n", i);

		if (write(fd, buf, (size_t)n) != n)
			abort();
		close(fd);
	}
	nanosleep(&ts, NULL);
	return NULL;
}

int main(void)
{
	pthread_t th[NTHREADS];

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (int i = 0; i < NTHREADS; i++)
		delay_ms[i] = (unsigned)(rand() % 21);
	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i) != 0)
			return 1;
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	printf("threads %d\n", NTHREADS);
	return 0;
}

/*
 * ebpf_spin.c - scheduler waits for the eBPF tests.
 * usage: ebpf_spin NTHREADS MS [fork] [sleep] [hold]
 *   NTHREADS threads spin for MS milliseconds of wall time: with more
 *   runnable threads than CPUs they wait for a CPU, preempted.
 *   fork   a forked child process spins as well
 *   sleep  the threads sleep 20 us at a time instead: many short waits
 *          after wakeups
 *   hold   when done, every thread blocks reading stdin until EOF, so the
 *          caller can read each thread's /proc schedstat while none of
 *          them runs or waits
 * Each thread prints, when done, its kernel run-queue wait so far (second
 * field of /proc/thread-self/schedstat):
 *   spin pid=P tid=T wait_ns=W
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long spin_ms;
static bool sleeper, hold;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void report(void)
{
	unsigned long long run = 0, wait = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	char c;

	if (!f || fscanf(f, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	if (f)
		fclose(f);
	printf("spin pid=%d tid=%d wait_ns=%llu\n", getpid(), gettid(), wait);
	fflush(stdout);
	while (hold && read(0, &c, 1) > 0)
		;
}

static void *spin(void *arg)
{
	unsigned long long end = now_ns() + (unsigned long long)spin_ms * 1000000ull;
	struct timespec nap = { 0, 20000 };
	volatile unsigned long x = 0;

	(void)arg;
	while (now_ns() < end) {
		if (sleeper)
			nanosleep(&nap, NULL);
		else
			x++;
	}
	report();
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t t[64];
	bool do_fork = false;
	pid_t child = -1;

	spin_ms = argc > 2 ? atol(argv[2]) : 200;
	for (int i = 3; i < argc; i++) {
		do_fork |= strcmp(argv[i], "fork") == 0;
		sleeper |= strcmp(argv[i], "sleep") == 0;
		hold |= strcmp(argv[i], "hold") == 0;
	}
	if (n < 1 || n > 64 || spin_ms < 1)
		return 2;
	if (do_fork) {
		child = fork();
		if (child == 0) {
			spin(NULL);
			_exit(0);
		}
	}
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, spin, NULL))
			return 1;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	if (child > 0)
		waitpid(child, NULL, 0);
	return 0;
}

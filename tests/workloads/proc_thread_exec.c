/*
 * proc_thread_exec.c - exec from a thread that is not the leader.
 *
 *   proc_thread_exec          the main thread starts 3 threads; one of them
 *                             execs "proc_thread_exec child" while the others
 *                             (and the main thread) block
 *   proc_thread_exec child    prints "child pid P" and exits 7
 * Before the exec, the parent prints "exec from tid T pid P".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *self;

static void *blocker(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *execer(void *arg)
{
	(void)arg;
	usleep(20000);
	printf("exec from tid %ld pid %d\n", (long)syscall(SYS_gettid), (int)getpid());
	fflush(stdout);
	execl("/proc/self/exe", self, "child", (char *)NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t a, b, c;

	if (argc > 1 && !strcmp(argv[1], "child")) {
		printf("child pid %d\n", (int)getpid());
		return 7;
	}
	self = argv[0];
	pthread_create(&a, NULL, blocker, NULL);
	pthread_create(&b, NULL, blocker, NULL);
	pthread_create(&c, NULL, execer, NULL);
	for (;;)
		pause();
}

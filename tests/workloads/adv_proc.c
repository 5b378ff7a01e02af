/*
 * adv_proc.c - process lifecycle edge cases, for test_adversarial.py.
 *
 *   adv_proc vfork_missing   vfork, the child execs a missing binary and
 *                            _exits 42; exit 5
 *   adv_proc sigpipe         writes to a pipe with no reader: SIGPIPE
 *   adv_proc ignall          blocks and ignores every signal, raises
 *                            SIGTRAP and SIGINT at itself; exit 7
 *   adv_proc stopself        SIGSTOPs itself; a child SIGCONTs it; exit 8
 *   adv_proc exitgroup       exit(11) while 8 threads sit in read(2)
 *   adv_proc killself        SIGKILLs itself while 4 threads sit in read(2)
 *   adv_proc traceme         a child calls PTRACE_TRACEME and stops itself;
 *                            the parent waits for the stop; exit 4
 *   adv_proc forks N         forks N children that _exit(i & 7) at once,
 *                            reaps them; prints "count sum"
 * Threads read stdin: give them a pipe that stays open (or /dev/zero: no).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static int block_fd[2];

static void *blocker(void *arg)
{
	char c;

	(void)arg;
	for (;;)
		if (read(block_fd[0], &c, 1) <= 0)
			pause();
	return NULL;
}

static void start_blockers(int n)
{
	pthread_t t;

	if (pipe(block_fd) != 0)
		exit(1);
	for (int i = 0; i < n; i++)
		pthread_create(&t, NULL, blocker, NULL);
	usleep(100 * 1000);
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	int st;

	if (!strcmp(m, "vfork_missing")) {
		pid_t p = vfork();
		if (p == 0) {
			execl("/nonexistent/adv-missing", "adv-missing", (char *)NULL);
			_exit(42);
		}
		waitpid(p, &st, 0);
		printf("child %d\n", WEXITSTATUS(st));
		return 5;
	}
	if (!strcmp(m, "sigpipe")) {
		int p[2];
		if (pipe(p) != 0)
			return 1;
		close(p[0]);
		return write(p[1], "x", 1) == 1 ? 0 : 1;
	}
	if (!strcmp(m, "ignall")) {
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_IGN);
		raise(SIGTRAP);
		raise(SIGINT);
		kill(getpid(), SIGTERM);
		printf("alive\n");
		return 7;
	}
	if (!strcmp(m, "stopself")) {
		if (fork() == 0) {
			usleep(200 * 1000);
			kill(getppid(), SIGCONT);
			_exit(0);
		}
		raise(SIGSTOP);
		wait(NULL);
		printf("resumed\n");
		return 8;
	}
	if (!strcmp(m, "exitgroup")) {
		start_blockers(8);
		exit(11);
	}
	if (!strcmp(m, "killself")) {
		start_blockers(4);
		kill(getpid(), SIGKILL);
		return 0;
	}
	if (!strcmp(m, "traceme")) {
		pid_t p = fork();
		if (p == 0) {
			ptrace(PTRACE_TRACEME, 0, 0, 0); /* EPERM when traced already */
			raise(SIGSTOP);
			_exit(9);
		}
		waitpid(p, &st, WUNTRACED);
		printf("stopped %d\n", WIFSTOPPED(st));
		kill(p, SIGKILL);
		waitpid(p, &st, 0);
		printf("killed %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
		return 4;
	}
	if (!strcmp(m, "forks") && argc > 2) {
		int n = atoi(argv[2]), count = 0, sum = 0;
		for (int i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0)
				_exit(i & 7);
			if (p < 0) {
				perror("fork");
				return 1;
			}
		}
		while (wait(&st) > 0) {
			count++;
			sum += WEXITSTATUS(st);
		}
		printf("%d %d\n", count, sum);
		return 0;
	}
	fprintf(stderr, "adv_proc: unknown mode\n");
	return 2;
}

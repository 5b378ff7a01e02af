/*
 * proc_segv.c - a child killed by SIGSEGV, dumping core if it can.
 *
 * The child raises RLIMIT_CORE to its hard limit (core files land in the
 * current directory when kernel.core_pattern is a plain name) and writes
 * through a NULL pointer. The parent prints "child P signal S core C" with
 * what waitpid told it, and exits 0 when the child died of SIGSEGV.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_CORE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_CORE, &rl);
		}
		*(volatile int *)0 = 1;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	printf("child %d signal %d core %d\n", (int)pid,
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0,
	       WIFSIGNALED(status) && WCOREDUMP(status) ? 1 : 0);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV ? 0 : 1;
}

/*
 * proc_stop.c - job control under a tracer.
 *
 *   proc_stop child   the parent forks a child that stops itself with
 *                     SIGSTOP; the parent must see it stopped (waitpid
 *                     WUNTRACED), sends SIGCONT, and the child exits 5.
 *                     Prints "stopped S" and "child exit C"; exits 0 when
 *                     both are as expected.
 *   proc_stop self    prints "stopping P", stops itself with SIGSTOP (the
 *                     test resumes it with SIGCONT), prints "resumed" and
 *                     exits 6.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int stop_child(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		raise(SIGSTOP);
		_exit(5);
	}
	if (pid < 0 || waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status))
		return 1;
	printf("stopped %d\n", WSTOPSIG(status));
	kill(pid, SIGCONT);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	printf("child exit %d\n", WEXITSTATUS(status));
	return WEXITSTATUS(status) == 5 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "self")) {
		printf("stopping %d\n", (int)getpid());
		fflush(stdout);
		raise(SIGSTOP);
		printf("resumed\n");
		return 6;
	}
	return stop_child();
}

/*
 * proc_forkexec.c - a fork + exec chain with known exit codes.
 *
 *   proc_forkexec DEPTH
 * Each level forks a child that execs this program with DEPTH-1 and waits
 * for it; the leaf (DEPTH 0) exits 10, and every level exits with its
 * child's code plus one. Each process prints "level D pid P exit C" on
 * stdout before exiting, so a test can map pids to levels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 3;
	int code = 10;

	if (depth > 0) {
		char arg[16];
		int status;
		pid_t pid;

		snprintf(arg, sizeof(arg), "%d", depth - 1);
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return 99;
		if (pid == 0) {
			execl("/proc/self/exe", argv[0], arg, (char *)NULL);
			_exit(98);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			return 97;
		code = WEXITSTATUS(status) + 1;
	}
	printf("level %d pid %d exit %d\n", depth, (int)getpid(), code);
	return code;
}

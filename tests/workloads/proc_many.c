/*
 * proc_many.c - many short-lived children.
 *
 *   proc_many [N]   forks N children (default 1000), one after the other;
 *                   child i exits with i % 200. Prints "children N" and
 *                   exits 0 when every child's status was right.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, bad = 0;

	for (int i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid == 0)
			_exit(i % 200);
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != i % 200)
			bad++;
	}
	printf("children %d\n", n);
	return bad ? 1 : 0;
}

/*
 * proc_spawn.c - posix_spawn and vfork with known exit codes.
 *
 *   proc_spawn            posix_spawn()s "proc_spawn exit 21", then vfork()s
 *                         and execs "proc_spawn exit 22"; prints the pid and
 *                         exit code of each, exits 0 when both are right
 *   proc_spawn exit N     exits N
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int wait_code(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	char *a1[] = { argv[0], "exit", "21", NULL };
	pid_t p1, p2;
	int c1, c2;

	if (argc > 2 && !strcmp(argv[1], "exit"))
		return atoi(argv[2]);
	if (posix_spawn(&p1, "/proc/self/exe", NULL, NULL, a1, environ) != 0)
		return 1;
	c1 = wait_code(p1);
	printf("posix_spawn pid %d exit %d\n", (int)p1, c1);
	fflush(stdout);
	p2 = vfork();
	if (p2 == 0) {
		execl("/proc/self/exe", argv[0], "exit", "22", (char *)NULL);
		_exit(127);
	}
	c2 = wait_code(p2);
	printf("vfork pid %d exit %d\n", (int)p2, c2);
	return c1 == 21 && c2 == 22 ? 0 : 1;
}

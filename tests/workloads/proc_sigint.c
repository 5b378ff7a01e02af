/*
 * proc_sigint.c - a program that handles SIGINT.
 *
 *   proc_sigint          prints "ready" and waits; on SIGINT prints
 *                        "got SIGINT" and exits 42. A SIGTRAP it raises
 *                        itself first must reach its handler too ("got
 *                        SIGTRAP"): a tracer must not swallow a genuine SIGTRAP.
 *   proc_sigint ignore   ignores SIGINT, prints "ready", sleeps 60 s, exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got_int, got_trap;

static void on_signal(int sig)
{
	if (sig == SIGINT)
		got_int = 1;
	else
		got_trap = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	if (argc > 1 && !strcmp(argv[1], "ignore")) {
		signal(SIGINT, SIG_IGN);
		printf("ready\n");
		fflush(stdout);
		sleep(60);
		return 0;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);
	raise(SIGTRAP);
	if (got_trap)
		printf("got SIGTRAP\n");
	printf("ready\n");
	fflush(stdout);
	while (!got_int)
		pause();
	printf("got SIGINT\n");
	return 42;
}

/*
 * net_attach.c - a process with open files and sockets to attach to (-p).
 *
 * usage: net_attach FILE
 * Opens FILE for writing, a TCP listener on 127.0.0.1 and a connection to
 * it, prints "ready PORT CLIENT_FD FILE_FD", then every 20 ms writes 3 bytes
 * to FILE and sends 5 bytes client -> server (received on the other end),
 * until SIGTERM/SIGINT or 20 s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	char buf[16] = { 0 };

	if (argc != 2)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	int f = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (f < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len) ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	int s = accept(l, NULL, NULL);
	if (s < 0)
		return 1;
	printf("ready %u %d %d\n", ntohs(a.sin_port), c, f);
	fflush(stdout);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	for (int i = 0; i < 1000 && !stop; i++) {
		if (write(f, "abc", 3) != 3 || send(c, buf, 5, 0) != 5 || recv(s, buf, 5, 0) != 5)
			return 2;
		nanosleep(&ts, NULL);
	}
	return 0;
}

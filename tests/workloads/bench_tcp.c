/*
 * bench_tcp.c - a loopback TCP client and server (a forked child) exchanging
 * 10,000 small request/response messages on 127.0.0.1. A benchmark workload.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MESSAGES 10000

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		return 1;
	pid_t pid = fork();
	char buf[32];
	if (pid == 0) {
		int c = accept(l, NULL, NULL);
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ssize_t n;
		while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
			send(c, buf, (size_t)n, 0);
		_exit(0);
	}
	close(l);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	for (int i = 0; i < MESSAGES; i++) {
		if (send(s, "ping-pong-message", 17, 0) != 17)
			return 1;
		for (ssize_t got = 0; got < 17;) {
			ssize_t n = recv(s, buf, sizeof(buf), 0);
			if (n <= 0)
				return 1;
			got += n;
		}
	}
	close(s);
	waitpid(pid, NULL, 0);
	return 0;
}

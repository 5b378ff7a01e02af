/*
 * net_tcp.c - a TCP server and client on loopback with exact byte counts.
 *
 * usage: net_tcp 4|6
 * The server binds 127.0.0.1:0 (or [::1]:0), listens, and forks a client
 * that connects twice. Connection 1: accept() with an address buffer; the
 * client sends 1000 bytes (send), the server answers 2500 (write).
 * Connection 2: accept4() without one; the client writes 300, the server
 * reads them. Then a non-blocking connect (EINPROGRESS) and a refused one
 * (ECONNREFUSED, to a port just closed). Prints "port P client_pid C".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int v6;

static socklen_t loop_addr(struct sockaddr_storage *ss, unsigned port)
{
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(port);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons(port);
	return sizeof(*a);
}

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

static void recv_exact(int fd, size_t n)
{
	static char buf[4096];
	while (n > 0) {
		ssize_t k = recv(fd, buf, n < sizeof(buf) ? n : sizeof(buf), 0);
		must(k > 0, "recv");
		n -= (size_t)k;
	}
}

static void send_exact(int fd, size_t n, int use_write)
{
	static char buf[4096];
	while (n > 0) {
		size_t want = n < sizeof(buf) ? n : sizeof(buf);
		ssize_t k = use_write ? write(fd, buf, want) : send(fd, buf, want, 0);
		must(k > 0, "send");
		n -= (size_t)k;
	}
}

static int client_connect(unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = loop_addr(&ss, port);
	int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	must(connect(s, (struct sockaddr *)&ss, len) == 0, "connect");
	return s;
}

static void client(unsigned port)
{
	int s = client_connect(port);
	send_exact(s, 1000, 0);
	recv_exact(s, 2500);
	close(s);
	s = client_connect(port);
	send_exact(s, 300, 1);
	close(s);
	/* non-blocking connect: EINPROGRESS (or immediate success on loopback) */
	struct sockaddr_storage ss;
	socklen_t len = loop_addr(&ss, port);
	s = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (connect(s, (struct sockaddr *)&ss, len) < 0 && errno == EINPROGRESS) {
		struct pollfd p = { s, POLLOUT, 0 };
		poll(&p, 1, 5000);
	}
	close(s);
	/* a port nobody listens on: bind to learn a free one, close, connect */
	int t = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	len = loop_addr(&ss, 0);
	must(bind(t, (struct sockaddr *)&ss, len) == 0, "bind free");
	getsockname(t, (struct sockaddr *)&ss, &len);
	close(t);
	s = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	must(connect(s, (struct sockaddr *)&ss, len) < 0 && errno == ECONNREFUSED, "refused");
	close(s);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss, peer;
	socklen_t len, plen = sizeof(peer);
	int status;

	must(argc == 2, "usage: net_tcp 4|6");
	v6 = argv[1][0] == '6';
	int l = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	len = loop_addr(&ss, 0);
	must(bind(l, (struct sockaddr *)&ss, len) == 0, "bind");
	must(listen(l, 8) == 0, "listen");
	must(getsockname(l, (struct sockaddr *)&ss, &len) == 0, "getsockname");
	unsigned port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
				 : ((struct sockaddr_in *)&ss)->sin_port);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		client(port);
	printf("port %u client_pid %d\n", port, (int)c);
	fflush(stdout);
	int a = accept(l, (struct sockaddr *)&peer, &plen);
	must(a >= 0, "accept");
	recv_exact(a, 1000);
	send_exact(a, 2500, 1);
	close(a);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	must(a >= 0, "accept4");
	recv_exact(a, 300);
	close(a);
	/* the non-blocking client connection, accepted and dropped */
	a = accept(l, NULL, NULL);
	if (a >= 0)
		close(a);
	must(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	     "client");
	close(l);
	return 0;
}

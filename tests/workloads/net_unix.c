/*
 * net_unix.c - unix sockets: a socketpair, a path socket and an abstract one.
 *
 * usage: net_unix DIR
 * socketpair: 77 bytes written on one end, read on the other.
 * DIR/srv.sock: listener; a client connects, sends 11 bytes.
 * "@compendium-test-PID": abstract listener; a client connects.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int pair_test(void)
{
	int sv[2];
	char buf[128] = { 0 };
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	if (write(sv[0], buf, 77) != 77 || read(sv[1], buf, sizeof(buf)) != 77)
		return 1;
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* Listens on addr, connects a client, sends `n` bytes client -> server. */
static int listen_connect(const struct sockaddr_un *a, socklen_t len, size_t n)
{
	char buf[64] = { 0 };
	int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(l, (const struct sockaddr *)a, len) || listen(l, 1) ||
	    connect(c, (const struct sockaddr *)a, len))
		return 1;
	int s = accept(l, NULL, NULL);
	if (s < 0 || send(c, buf, n, 0) != (ssize_t)n || recv(s, buf, sizeof(buf), 0) != (ssize_t)n)
		return 1;
	close(s);
	close(c);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (argc != 2 || pair_test())
		return 1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/srv.sock", argv[1]);
	if (listen_connect(&a, sizeof(a), 11))
		return 2;
	memset(a.sun_path, 0, sizeof(a.sun_path));
	int n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "compendium-test-%d", (int)getpid());
	if (listen_connect(&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n), 5))
		return 3;
	return 0;
}

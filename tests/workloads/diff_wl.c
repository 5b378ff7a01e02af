/*
 * diff_wl.c - the workload of the `compendium diff` tests: two runs compare
 * equal, and --more makes exactly three differences.
 *
 * usage: diff_wl DIR [--more]
 * Writes DIR/out.dat (4 writes of 4 KiB; with --more 4 writes of 8 KiB:
 * twice the bytes, the same number of calls), writes and removes a
 * mkstemp file DIR/wl.XXXXXX (a random name the diff must normalise), runs
 * /bin/true in a child, and exchanges 100 bytes each way with a TCP server
 * it starts itself on 127.0.0.1:0 (an ephemeral port). --more also writes
 * DIR/extra.txt and talks to a second such server (one more peer).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void write_file(const char *dir, const char *name, size_t chunk, int times)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path);
	char *buf = calloc(1, chunk);
	if (!buf)
		die("calloc");
	for (int i = 0; i < times; i++)
		if (write(fd, buf, chunk) != (ssize_t)chunk)
			die("write");
	free(buf);
	close(fd);
}

static void temp_file(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/wl.XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp");
	if (write(fd, "temporary\n", 10) != 10)
		die("write");
	close(fd);
	unlink(path);
}

static void run_child(void)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
}

/* A loopback server on an ephemeral port, one client, 100 bytes each way. */
static void talk_to_server(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv < 0 || bind(srv, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(srv, 4) < 0 ||
	    getsockname(srv, (struct sockaddr *)&a, &len) < 0)
		die("server");
	int cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cli < 0 || connect(cli, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	int conn = accept(srv, NULL, NULL);
	if (conn < 0)
		die("accept");
	char buf[100] = { 0 };
	if (send(cli, buf, sizeof(buf), 0) != sizeof(buf) ||
	    recv(conn, buf, sizeof(buf), MSG_WAITALL) != sizeof(buf) ||
	    send(conn, buf, sizeof(buf), 0) != sizeof(buf) ||
	    recv(cli, buf, sizeof(buf), MSG_WAITALL) != sizeof(buf))
		die("exchange");
	close(conn);
	close(cli);
	close(srv);
}

int main(int argc, char **argv)
{
	if (argc < 2 || (argc == 3 && strcmp(argv[2], "--more") != 0) || argc > 3) {
		fprintf(stderr, "usage: diff_wl DIR [--more]\n");
		return 2;
	}
	const char *dir = argv[1];
	bool more = argc == 3;
	write_file(dir, "out.dat", more ? 8192 : 4096, 4);
	temp_file(dir);
	if (more)
		write_file(dir, "extra.txt", 10, 1);
	run_child();
	talk_to_server();
	if (more)
		talk_to_server();
	return 0;
}

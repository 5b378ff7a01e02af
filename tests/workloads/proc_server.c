/*
 * proc_server.c - a long-running multithreaded server for attach tests.
 *
 * Listens on 127.0.0.1 (an ephemeral port), prints "port N" and "threads T"
 * on stdout, and answers each connection: it reads a line and writes back
 * "pong <line>" from one of 4 worker threads. Two more threads tick
 * (nanosleep + getppid) every 10 ms so the process always makes syscalls.
 * Runs until killed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NWORKERS 4
#define NTICKERS 2

static int lfd;

static void serve(int c)
{
	char in[256], out[300];
	ssize_t n = read(c, in, sizeof(in) - 1);

	if (n > 0) {
		in[n] = '\0';
		in[strcspn(in, "\n")] = '\0';
		int len = snprintf(out, sizeof(out), "pong %s\n", in);
		if (write(c, out, (size_t)len) != len)
			perror("write");
	}
	close(c);
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c >= 0)
			serve(c);
	}
	return NULL;
}

static void *ticker(void *arg)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	(void)arg;
	for (;;) {
		nanosleep(&ts, NULL);
		getppid();
	}
	return NULL;
}

int main(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	pthread_t th;
	int one = 1;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 64) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) != 0)
		return 1;
	for (int i = 0; i < NWORKERS; i++)
		pthread_create(&th, NULL, worker, NULL);
	for (int i = 0; i < NTICKERS; i++)
		pthread_create(&th, NULL, ticker, NULL);
	printf("port %d\nthreads %d\n", ntohs(a.sin_port), 1 + NWORKERS + NTICKERS);
	fflush(stdout);
	for (;;)
		pause();
}

/*
 * demo.c - the workload of `make demo`: a little of everything compendium
 * shows. It writes a file, reads it back, serves and fetches a message over
 * loopback TCP, runs a thread and a child process, and grows its memory.
 * usage: demo DIR   (files are created in DIR)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener;

static void *serve(void *arg)
{
	(void)arg;
	int c = accept(listener, NULL, NULL);
	char buf[256];
	ssize_t n = read(c, buf, sizeof(buf));
	if (n > 0)
		write(c, "pong: ", 6), write(c, buf, (size_t)n);
	close(c);
	return NULL;
}

static int start_server(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(listener, (struct sockaddr *)&a, sizeof(a)) || listen(listener, 1) ||
	    getsockname(listener, (struct sockaddr *)&a, &len))
		return -1;
	return ntohs(a.sin_port);
}

static void talk(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char buf[256];
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
		send(s, "ping", 4, 0);
		ssize_t n = recv(s, buf, sizeof(buf), MSG_WAITALL);
		printf("server said %.*s\n", (int)(n > 0 ? n : 0), buf);
	}
	close(s);
}

static void files(const char *dir)
{
	char path[4096], buf[4096];
	snprintf(path, sizeof(path), "%s/demo-notes.txt", dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; f && i < 100; i++)
		fprintf(f, "line %d of the compendium demo\n", i);
	if (f)
		fclose(f);
	f = fopen(path, "r");
	while (f && fread(buf, 1, sizeof(buf), f) > 0)
		;
	if (f)
		fclose(f);
	fopen("/nonexistent/compendium-demo.conf", "r"); /* a failed open, on purpose */
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	int port = start_server();
	pthread_t t;
	pthread_create(&t, NULL, serve, NULL);
	talk(port);
	pthread_join(t, NULL);
	files(dir);
	size_t len = 8 << 20;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 1, len / 2);
	void *heap = malloc(1 << 20);
	memset(heap, 2, 1 << 20);
	pid_t pid = fork();
	if (pid == 0) {
		execlp("sh", "sh", "-c", "ls / > /dev/null; exit 3", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exited with %d\n", WEXITSTATUS(st));
	munmap(m, len);
	free(heap);
	return 0;
}

/*
 * io_threads.c - one thread opens a file, another reads it (shared fd table).
 *
 * usage: io_threads FILE   (FILE holds at least 777 bytes)
 * Prints "opener TID reader TID" so the test can check attribution.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static const char *path;
static int fd = -1;
static pid_t opener, reader;

static void *open_it(void *arg)
{
	(void)arg;
	opener = gettid();
	fd = open(path, O_RDONLY);
	return NULL;
}

static void *read_it(void *arg)
{
	static char buf[777];
	(void)arg;
	reader = gettid();
	ssize_t n = read(fd, buf, sizeof(buf));
	return (void *)(long)n;
}

int main(int argc, char **argv)
{
	pthread_t a, b;
	void *ret;

	if (argc != 2)
		return 1;
	path = argv[1];
	pthread_create(&a, NULL, open_it, NULL);
	pthread_join(a, NULL);
	if (fd < 0)
		return 1;
	pthread_create(&b, NULL, read_it, NULL);
	pthread_join(b, &ret);
	printf("opener %d reader %d\n", (int)opener, (int)reader);
	return (long)ret == 777 ? 0 : 1;
}

/*
 * bench_threads.c - 8 threads each doing small file I/O: write 2,000 records
 * of 64 bytes to its own file, read them back, close. A benchmark workload.
 * usage: bench_threads DIR
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define THREADS 8
#define RECORDS 2000

static const char *dir;

static void *work(void *arg)
{
	long id = (long)arg;
	char path[4096], rec[64];
	snprintf(path, sizeof(path), "%s/bench-thread-%ld.dat", dir, id);
	memset(rec, 'a' + (int)id, sizeof(rec));
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	for (int i = 0; i < RECORDS; i++)
		if (write(fd, rec, sizeof(rec)) != sizeof(rec))
			return (void *)1;
	lseek(fd, 0, SEEK_SET);
	while (read(fd, rec, sizeof(rec)) > 0)
		;
	close(fd);
	unlink(path);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS];
	dir = argc > 1 ? argv[1] : "/tmp";
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, work, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/*
 * ebpf_dio.c - block I/O for the eBPF tests.
 *   ebpf_dio direct FILE N BSIZE   O_DIRECT: N pwrites of BSIZE bytes at
 *                                  offsets 0, BSIZE, ... then N preads of
 *                                  the same blocks (FILE must exist and be
 *                                  at least N*BSIZE long: no allocation)
 *   ebpf_dio buffered FILE BYTES   one buffered write of BYTES, no fsync:
 *                                  the kernel writes it back later (no
 *                                  O_TRUNC: on ext4 a truncated file is
 *                                  flushed at close, by the writer itself)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run_direct(const char *path, long n, long bsize)
{
	void *buf;
	int fd = open(path, O_RDWR | O_DIRECT);

	if (fd < 0 || posix_memalign(&buf, 4096, (size_t)bsize)) {
		perror(path);
		return 1;
	}
	memset(buf, 'd', (size_t)bsize);
	for (long i = 0; i < n; i++)
		if (pwrite(fd, buf, (size_t)bsize, i * bsize) != bsize) {
			perror("pwrite");
			return 1;
		}
	for (long i = 0; i < n; i++)
		if (pread(fd, buf, (size_t)bsize, i * bsize) != bsize) {
			perror("pread");
			return 1;
		}
	free(buf);
	return close(fd) ? 1 : 0;
}

static int run_buffered(const char *path, long bytes)
{
	char *buf = malloc((size_t)bytes);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	if (!buf || fd < 0) {
		perror(path);
		return 1;
	}
	memset(buf, 'b', (size_t)bytes);
	if (write(fd, buf, (size_t)bytes) != bytes) {
		perror("write");
		return 1;
	}
	free(buf);
	return close(fd) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "direct") == 0)
		return run_direct(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc == 4 && strcmp(argv[1], "buffered") == 0)
		return run_buffered(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: ebpf_dio direct FILE N BSIZE | buffered FILE BYTES\n");
	return 2;
}

/*
 * io_transfer.c - in-kernel copies: sendfile, copy_file_range, splice, tee.
 *
 * usage: io_transfer SRC DST1 DST2   (SRC holds at least 10000 bytes)
 * sendfile SRC -> DST1: 10000 bytes; copy_file_range SRC -> DST2: 4321 bytes;
 * splice SRC -> pipe: 100 bytes; tee pipe -> pipe2: 100; splice pipe -> DST2: 100.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4)
		return 1;
	int src = open(argv[1], O_RDONLY);
	int d1 = open(argv[2], O_CREAT | O_WRONLY | O_TRUNC, 0644);
	int d2 = open(argv[3], O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (src < 0 || d1 < 0 || d2 < 0)
		return 1;
	off_t off = 0;
	size_t left = 10000;
	while (left > 0) {
		ssize_t n = sendfile(d1, src, &off, left);
		if (n <= 0)
			return 2;
		left -= (size_t)n;
	}
	loff_t in = 0;
	if (copy_file_range(src, &in, d2, NULL, 4321, 0) != 4321)
		return 3;
	int p[2], q[2];
	if (pipe(p) || pipe(q))
		return 4;
	loff_t at = 0;
	if (splice(src, &at, p[1], NULL, 100, 0) != 100)
		return 5;
	if (tee(p[0], q[1], 100, 0) != 100)
		return 6;
	if (splice(p[0], NULL, d2, NULL, 100, 0) != 100)
		return 7;
	return 0;
}

/*
 * io_eacces.c - failed opens: EACCES after dropping root, and ENOENT.
 *
 * usage: io_eacces DIR
 * As root: creates DIR/secret (0600, root's), then setuid(65534) and tries
 * to open it (EACCES), then DIR/missing (ENOENT). Exits 0 when both failed
 * with the expected errno, 2 when not running as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char secret[4096], missing[4096];

	if (argc != 2)
		return 1;
	if (geteuid() != 0)
		return 2;
	snprintf(secret, sizeof(secret), "%s/secret", argv[1]);
	snprintf(missing, sizeof(missing), "%s/missing", argv[1]);
	int fd = open(secret, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0)
		return 1;
	close(fd);
	if (setgid(65534) != 0 || setuid(65534) != 0)
		return 1;
	if (open(secret, O_RDONLY) >= 0 || errno != EACCES)
		return 3;
	if (open(missing, O_RDONLY) >= 0 || errno != ENOENT)
		return 4;
	return 0;
}

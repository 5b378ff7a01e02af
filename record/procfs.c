/*
 * procfs.c - bounded readers of /proc/PID files for the tracer (see procfs.h).
 */
#define _GNU_SOURCE
#include "record/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void procfs_path(char *out, size_t cap, pid_t pid, const char *what)
{
	snprintf(out, cap, "/proc/%d/%s", (int)pid, what);
}

ssize_t procfs_read(pid_t pid, const char *what, char *buf, size_t cap)
{
	char path[64];
	size_t len = 0;
	int fd;

	procfs_path(path, sizeof(path), pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

ssize_t procfs_readlink(pid_t pid, const char *what, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;

	procfs_path(path, sizeof(path), pid, what);
	n = readlink(path, buf, cap - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

ssize_t procfs_comm(pid_t pid, char *buf, size_t cap)
{
	ssize_t n = procfs_read(pid, "comm", buf, cap);

	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n;
}

unsigned procfs_cmdline(pid_t pid, char *buf, size_t cap, const char **argv, unsigned max)
{
	ssize_t len = procfs_read(pid, "cmdline", buf, cap);
	unsigned n = 0;

	if (len <= 0)
		return 0;
	/* buf[len] is NUL: the last argument is terminated even when cut. */
	for (ssize_t i = 0; i < len && n < max; i++) {
		argv[n++] = buf + i;
		i += (ssize_t)strlen(buf + i);
	}
	return n;
}

static int procfs_cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int procfs_tasks(pid_t pid, pid_t *tids, size_t cap)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	procfs_path(path, sizeof(path), pid, "task");
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		long tid = strtol(de->d_name, NULL, 10);

		if (tid <= 0)
			continue;
		if ((size_t)n < cap)
			tids[n] = (pid_t)tid;
		n++;
	}
	closedir(d);
	qsort(tids, (size_t)n < cap ? (size_t)n : cap, sizeof(*tids), procfs_cmp_pid);
	return n;
}

int procfs_status_long(pid_t pid, const char *key, long *val)
{
	char buf[4096];
	size_t klen = strlen(key);
	ssize_t n = procfs_read(pid, "status", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			*val = strtol(line + klen + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

/* One maps line: "start-end perms offset dev inode   path". */
static int procfs_parse_map(char *line, struct procfs_map *m)
{
	char perms[8] = "";
	unsigned long long start, end, off;
	int path_at = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off, &path_at) < 4)
		return -EINVAL;
	m->start = start;
	m->end = end;
	m->offset = off;
	m->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	m->flags = perms[3] == 's' ? MAP_SHARED : MAP_PRIVATE;
	m->path = path_at > 0 && line[path_at] == '/' ? line + path_at : NULL;
	return 0;
}

int procfs_maps_foreach(pid_t pid, void (*fn)(void *arg, const struct procfs_map *m), void *arg)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int n = 0;
	FILE *f;

	procfs_path(path, sizeof(path), pid, "maps");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) > 0) {
		struct procfs_map m;

		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (procfs_parse_map(line, &m) == 0) {
			fn(arg, &m);
			n++;
		}
	}
	free(line);
	fclose(f);
	return n;
}

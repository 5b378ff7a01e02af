/*
 * fsinfo.c - a task's cwd (shared like the kernel's fs_struct) and making
 * tracee paths absolute for the *at() calls.
 */
#define _GNU_SOURCE
#include "record/fsinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/fdtable.h"

struct fsinfo {
	int refs;
	char *cwd;
};

static struct fsinfo *fsinfo_with(const char *cwd)
{
	struct fsinfo *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->refs = 1;
	f->cwd = strdup(cwd);
	if (!f->cwd) {
		free(f);
		return NULL;
	}
	return f;
}

struct fsinfo *fsinfo_from_proc(pid_t pid)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/cwd", (int)pid);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0 || target[0] != '/')
		return fsinfo_with("/");
	target[n] = '\0';
	return fsinfo_with(target);
}

struct fsinfo *fsinfo_clone(const struct fsinfo *f)
{
	return fsinfo_with(f->cwd);
}

struct fsinfo *fsinfo_ref(struct fsinfo *f)
{
	f->refs++;
	return f;
}

void fsinfo_unref(struct fsinfo *f)
{
	if (!f || --f->refs > 0)
		return;
	free(f->cwd);
	free(f);
}

const char *fsinfo_cwd(const struct fsinfo *f)
{
	return f->cwd;
}

int fsinfo_set_cwd(struct fsinfo *f, const char *abs_path)
{
	char *copy;

	if (!abs_path || abs_path[0] != '/')
		return -EINVAL;
	if (!(copy = strdup(abs_path)))
		return -ENOMEM;
	free(f->cwd);
	f->cwd = copy;
	return 0;
}

/*
 * Appends the components of `p` to the absolute path in out[0..*len),
 * folding "." and "..". Stops (truncating) when out is full.
 */
static void fsinfo_fold(char *out, size_t cap, size_t *len, const char *p)
{
	while (*p) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (*len > 1 && out[*len - 1] != '/')
				(*len)--;
			if (*len > 1)
				(*len)--; /* the slash, unless it is the root */
		} else {
			if (*len > 1 && *len + 1 < cap)
				out[(*len)++] = '/';
			size_t room = cap - 1 - *len;
			size_t take = n < room ? n : room;
			memcpy(out + *len, p, take);
			*len += take;
		}
		out[*len] = '\0';
		p += n;
	}
}

/* The directory an *at() path is relative to, or NULL when unknown. */
static const char *fsinfo_base(const struct fsinfo *f, struct fdtable *fds, pid_t pid,
			       int dirfd)
{
	if (dirfd == AT_FDCWD)
		return f ? f->cwd : NULL;
	if (!fds)
		return NULL;
	const struct fdinfo *fi = fdtable_get(fds, dirfd, pid);
	if (!fi || !fi->name || fi->name[0] != '/')
		return NULL;
	return fi->name;
}

size_t fsinfo_abspath(const struct fsinfo *f, struct fdtable *fds, pid_t pid,
		      int dirfd, const char *path, char *out, size_t cap)
{
	size_t len = 1;
	const char *base = NULL;

	if (cap == 0)
		return 0;
	if (cap < 2) {
		out[0] = '\0';
		return 0;
	}
	if (!path)
		path = "";
	if (path[0] != '/') {
		base = fsinfo_base(f, fds, pid, dirfd);
		if (!base) { /* unknown dirfd: keep the path as the tracee gave it */
			snprintf(out, cap, "%s", path);
			return strlen(out);
		}
	}
	out[0] = '/';
	out[1] = '\0';
	if (base)
		fsinfo_fold(out, cap, &len, base);
	fsinfo_fold(out, cap, &len, path);
	return len;
}

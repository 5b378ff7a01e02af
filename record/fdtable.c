/*
 * fdtable.c - what each fd of a traced fd table refers to.
 *
 * A growable array indexed by fd. Entries not seen being created are resolved
 * from /proc/PID/fd/N on first use (see fdtable_resolve); a failed resolution
 * is not cached, because the fd may be created later by a syscall we do not
 * decode (eventfd, epoll_create, memfd_create, ...).
 */
#define _GNU_SOURCE
#include "record/fdtable.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/sockaddr.h"

/* The kernel's default fs.nr_open: no fd number can be larger. */
#define FDTABLE_MAX_FD (1 << 20)

struct fdslot {
	bool used;
	struct fdinfo fi;
};

struct fdtable {
	int refs;
	int cap;
	struct fdslot *slots;
};

struct fdtable *fdtable_new(void)
{
	struct fdtable *t = calloc(1, sizeof(*t));

	if (t)
		t->refs = 1;
	return t;
}

static void fdtable_clear_slot(struct fdslot *s)
{
	free(s->fi.name);
	free(s->fi.local);
	memset(s, 0, sizeof(*s));
}

static int fdtable_copy_info(struct fdinfo *dst, const struct fdinfo *src)
{
	*dst = *src;
	dst->name = src->name ? strdup(src->name) : NULL;
	dst->local = src->local ? strdup(src->local) : NULL;
	if ((src->name && !dst->name) || (src->local && !dst->local)) {
		free(dst->name);
		free(dst->local);
		dst->name = dst->local = NULL;
		return -ENOMEM;
	}
	return 0;
}

struct fdtable *fdtable_clone(const struct fdtable *t)
{
	struct fdtable *c = fdtable_new();

	if (!c || t->cap == 0)
		return c;
	c->slots = calloc((size_t)t->cap, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	c->cap = t->cap;
	for (int fd = 0; fd < t->cap; fd++) {
		if (!t->slots[fd].used)
			continue;
		if (fdtable_copy_info(&c->slots[fd].fi, &t->slots[fd].fi) < 0) {
			fdtable_unref(c);
			return NULL;
		}
		c->slots[fd].used = true;
	}
	return c;
}

struct fdtable *fdtable_ref(struct fdtable *t)
{
	t->refs++;
	return t;
}

void fdtable_unref(struct fdtable *t)
{
	if (!t || --t->refs > 0)
		return;
	for (int fd = 0; fd < t->cap; fd++)
		fdtable_clear_slot(&t->slots[fd]);
	free(t->slots);
	free(t);
}

/* Makes room for fd; -EBADF for fds no kernel can hand out. */
static int fdtable_grow(struct fdtable *t, int fd)
{
	if (fd < 0 || fd >= FDTABLE_MAX_FD)
		return -EBADF;
	if (fd < t->cap)
		return 0;
	int cap = t->cap ? t->cap : 64;
	while (cap <= fd)
		cap *= 2;
	if (cap > FDTABLE_MAX_FD)
		cap = FDTABLE_MAX_FD;
	struct fdslot *s = realloc(t->slots, (size_t)cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + t->cap, 0, (size_t)(cap - t->cap) * sizeof(*s));
	t->slots = s;
	t->cap = cap;
	return 0;
}

static struct fdslot *fdtable_slot(struct fdtable *t, int fd)
{
	if (fd < 0 || fd >= t->cap || !t->slots[fd].used)
		return NULL;
	return &t->slots[fd];
}

/* Replaces a string owned by the table with a copy of `s` (NULL clears). */
static int fdtable_replace_str(char **dst, const char *s)
{
	char *copy = NULL;

	if (s && !(copy = strdup(s)))
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

int fdtable_set(struct fdtable *t, int fd, uint8_t kind, uint8_t proto,
		const char *name, bool cloexec, uint32_t flags)
{
	int rc = fdtable_grow(t, fd);
	char *copy = NULL;

	if (rc < 0)
		return rc;
	if (name && !(copy = strdup(name)))
		return -ENOMEM;
	struct fdslot *s = &t->slots[fd];
	fdtable_clear_slot(s);
	s->used = true;
	s->fi.kind = kind < FD__COUNT ? kind : FD_UNKNOWN;
	s->fi.proto = proto < PROTO__COUNT ? proto : PROTO_OTHER;
	s->fi.cloexec = cloexec;
	s->fi.flags = flags;
	s->fi.name = copy;
	return 0;
}

int fdtable_set_local(struct fdtable *t, int fd, const char *local)
{
	struct fdslot *s = fdtable_slot(t, fd);

	return s ? fdtable_replace_str(&s->fi.local, local) : -EBADF;
}

int fdtable_set_peer(struct fdtable *t, int fd, uint8_t proto, const char *peer)
{
	struct fdslot *s = fdtable_slot(t, fd);

	if (!s)
		return -EBADF;
	if (proto != PROTO_NONE && proto < PROTO__COUNT)
		s->fi.proto = proto;
	return fdtable_replace_str(&s->fi.name, peer);
}

void fdtable_close(struct fdtable *t, int fd)
{
	if (fd >= 0 && fd < t->cap)
		fdtable_clear_slot(&t->slots[fd]);
}

void fdtable_close_range(struct fdtable *t, int first, int last)
{
	if (first < 0)
		first = 0;
	if (last >= t->cap)
		last = t->cap - 1;
	for (int fd = first; fd <= last; fd++)
		fdtable_clear_slot(&t->slots[fd]);
}

int fdtable_dup(struct fdtable *t, int oldfd, int newfd, bool cloexec)
{
	struct fdinfo copy;
	struct fdslot *s = fdtable_slot(t, oldfd);
	int rc;

	if (oldfd == newfd)
		return 0;
	if (!s) { /* unknown stays unknown: newfd may still be resolved lazily */
		fdtable_close(t, newfd);
		return 0;
	}
	if ((rc = fdtable_copy_info(&copy, &s->fi)) < 0)
		return rc;
	if ((rc = fdtable_grow(t, newfd)) < 0) {
		free(copy.name);
		free(copy.local);
		return rc;
	}
	fdtable_clear_slot(&t->slots[newfd]);
	copy.cloexec = cloexec;
	t->slots[newfd].used = true;
	t->slots[newfd].fi = copy;
	return 0;
}

void fdtable_set_cloexec(struct fdtable *t, int fd, bool cloexec)
{
	struct fdslot *s = fdtable_slot(t, fd);

	if (s)
		s->fi.cloexec = cloexec;
}

void fdtable_set_cloexec_range(struct fdtable *t, int first, int last, bool cloexec)
{
	if (first < 0)
		first = 0;
	if (last >= t->cap)
		last = t->cap - 1;
	for (int fd = first; fd <= last; fd++)
		if (t->slots[fd].used)
			t->slots[fd].fi.cloexec = cloexec;
}

void fdtable_exec(struct fdtable *t)
{
	for (int fd = 0; fd < t->cap; fd++)
		if (t->slots[fd].used && t->slots[fd].fi.cloexec)
			fdtable_clear_slot(&t->slots[fd]);
}

/* ---- resolving from /proc ------------------------------------------------ */

/* fd flags from /proc/pid/fdinfo/fd ("flags:\t02100002"), 0 when unknown. */
static uint32_t fdtable_proc_flags(pid_t pid, int fd)
{
	char path[64], line[128];
	unsigned long flags = 0;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %lo", &flags) == 1)
			break;
	fclose(f);
	return (uint32_t)flags;
}

static uint8_t fdtable_kind_of_path(const char *target, const char *proc_link)
{
	struct stat st;

	if (strncmp(target, "/dev/pts/", 9) == 0 || strncmp(target, "/dev/tty", 8) == 0 ||
	    strcmp(target, "/dev/console") == 0 || strcmp(target, "/dev/ptmx") == 0)
		return FD_TTY;
	if (strncmp(target, "/dev/", 5) == 0)
		return FD_DEVICE;
	if (target[0] != '/')
		return FD_ANON;
	if (stat(proc_link, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return FD_DIR;
		if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			return FD_DEVICE;
		if (S_ISFIFO(st.st_mode))
			return FD_PIPE;
		if (S_ISSOCK(st.st_mode))
			return FD_SOCKET;
	}
	return FD_FILE;
}

/* Fills table entry fd from /proc/pid/fd/fd. */
static int fdtable_resolve(struct fdtable *t, int fd, pid_t pid)
{
	char link[64], target[4096];
	unsigned long ino;
	uint8_t kind, proto = PROTO_NONE;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	uint32_t flags = fdtable_proc_flags(pid, fd);
	bool cloexec = (flags & O_CLOEXEC) != 0;
	flags &= ~(uint32_t)O_CLOEXEC;
	if (sscanf(target, "socket:[%lu]", &ino) == 1) {
		struct sockaddr_proc sp;
		int rc;
		if (sockaddr_from_proc_inode(pid, ino, &sp) == 0) {
			rc = fdtable_set(t, fd, FD_SOCKET, sp.proto, sp.peer[0] ? sp.peer : NULL,
					 cloexec, flags);
			if (rc == 0 && sp.local[0])
				rc = fdtable_set_local(t, fd, sp.local);
			return rc;
		}
		return fdtable_set(t, fd, FD_SOCKET, PROTO_NONE, NULL, cloexec, flags);
	}
	if (strncmp(target, "pipe:", 5) == 0)
		kind = FD_PIPE;
	else
		kind = fdtable_kind_of_path(target, link);
	return fdtable_set(t, fd, kind, proto, target, cloexec, flags);
}

const struct fdinfo *fdtable_get(struct fdtable *t, int fd, pid_t pid)
{
	struct fdslot *s = fdtable_slot(t, fd);

	if (s)
		return &s->fi;
	if (pid <= 0 || fd < 0 || fd >= FDTABLE_MAX_FD || fdtable_resolve(t, fd, pid) < 0)
		return NULL;
	s = fdtable_slot(t, fd);
	return s ? &s->fi : NULL;
}

void fdtable_ref_of(struct fdtable *t, int fd, pid_t pid, struct event_fd *r)
{
	const struct fdinfo *fi = fdtable_get(t, fd, pid);

	r->fd = fd;
	r->kind = fi ? fi->kind : FD_UNKNOWN;
	r->proto = fi ? fi->proto : PROTO_NONE;
	r->name = fi ? fi->name : NULL;
}

int fdtable_seed_from_proc(struct fdtable *t, pid_t pid)
{
	char path[64];
	struct dirent *d;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		char *end;
		long fd = strtol(d->d_name, &end, 10);
		if (d->d_name[0] == '.' || *end || fd < 0 || fd >= FDTABLE_MAX_FD)
			continue;
		if (fdtable_resolve(t, (int)fd, pid) == 0)
			found++;
	}
	closedir(dir);
	return found;
}

void fdtable_foreach(struct fdtable *t, void (*fn)(void *arg, int fd, const struct fdinfo *fi),
		     void *arg)
{
	for (int fd = 0; fd < t->cap; fd++)
		if (t->slots[fd].used)
			fn(arg, fd, &t->slots[fd].fi);
}

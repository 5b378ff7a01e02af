/*
 * fdtable.h - what each fd of a traced fd table refers to.
 *
 * One fdtable per kernel files_struct: threads created with CLONE_FILES share
 * it (fdtable_ref), fork copies it (fdtable_clone), exec drops the O_CLOEXEC
 * entries (fdtable_exec). An fd not seen being created is resolved lazily
 * from /proc/PID/fd/N, once (fdtable_get with a pid).
 */
#ifndef COMPENDIUM_FDTABLE_H
#define COMPENDIUM_FDTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"

struct fdtable;

struct fdinfo {
	uint8_t kind;   /* enum fd_kind */
	uint8_t proto;  /* enum net_proto, sockets */
	bool cloexec;
	uint32_t flags; /* open flags */
	char *name;     /* owned by the table: path or socket peer; may be NULL */
	char *local;    /* socket local address; may be NULL */
};

/* Constructors return NULL on ENOMEM. The table is reference counted. */
struct fdtable *fdtable_new(void);
struct fdtable *fdtable_clone(const struct fdtable *t);
struct fdtable *fdtable_ref(struct fdtable *t);
void fdtable_unref(struct fdtable *t);

/* Sets fd (replacing what was there). `name`/`local` are copied. */
int fdtable_set(struct fdtable *t, int fd, uint8_t kind, uint8_t proto,
		const char *name, bool cloexec, uint32_t flags);
int fdtable_set_local(struct fdtable *t, int fd, const char *local);
/* Updates a socket's peer (connect, accept). */
int fdtable_set_peer(struct fdtable *t, int fd, uint8_t proto, const char *peer);
void fdtable_close(struct fdtable *t, int fd);
void fdtable_close_range(struct fdtable *t, int first, int last);
/* dup: newfd becomes a copy of oldfd (cloexec as given). When oldfd is not
 * in the table, newfd is dropped from it (to be resolved lazily later). */
int fdtable_dup(struct fdtable *t, int oldfd, int newfd, bool cloexec);
void fdtable_set_cloexec(struct fdtable *t, int fd, bool cloexec);
/* close_range(CLOSE_RANGE_CLOEXEC): marks the known fds in [first, last]. */
void fdtable_set_cloexec_range(struct fdtable *t, int first, int last, bool cloexec);
void fdtable_exec(struct fdtable *t);

/*
 * The entry for fd, or NULL. When absent and `pid` > 0, resolves it once from
 * /proc/pid/fd/fd (readlink) and caches the result. The pointer is valid
 * until the table is next modified.
 */
const struct fdinfo *fdtable_get(struct fdtable *t, int fd, pid_t pid);

/* Fills `r` (an event's view of fd) from the table; name borrowed. */
void fdtable_ref_of(struct fdtable *t, int fd, pid_t pid, struct event_fd *r);

/* Seeds the table from /proc/pid/fd (attach). Returns fds found or -errno. */
int fdtable_seed_from_proc(struct fdtable *t, pid_t pid);

/* Calls fn for each fd in ascending order (seeding events at attach). */
void fdtable_foreach(struct fdtable *t, void (*fn)(void *arg, int fd, const struct fdinfo *fi),
		     void *arg);

#endif

/*
 * spawn.h - starting the command to trace.
 *
 * spawn_resolve() finds the program the way a shell does (PATH search when
 * argv[0] has no '/'), so "not found" (127) and "not executable" (126) are
 * reported before anything is traced.
 *
 * spawn_start() forks a child that waits on a pipe until the tracer has
 * seized it (spawn_go), then optionally installs the seccomp filter, then
 * execs. The child reports on `report_fd` (CLOEXEC, so the tracer sees EOF
 * at a successful exec) one record per fact:
 *     'S' 0       the seccomp filter is installed
 *     'N' errno   the filter could not be installed (tracer stops on every syscall)
 *     'E' errno   exec failed (the child then exits 127 for ENOENT, else 126)
 * A program without a #! line (ENOEXEC) is run by /bin/sh, like execvp does.
 */
#ifndef COMPENDIUM_SPAWN_H
#define COMPENDIUM_SPAWN_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <linux/filter.h>
#include <sys/types.h>

struct spawn {
	pid_t pid;
	int report_fd; /* read end, O_NONBLOCK: the child's reports */
	int go_fd;     /* write end: one byte lets the child go on */
};

struct spawn_report {
	char code; /* 'S', 'N', 'E' */
	int err;
};

/*
 * Resolves argv0 into `path` (PATH_MAX bytes). Returns 0, -ENOENT (not
 * found: exit 127) or another -errno (found but not executable: 126).
 */
int spawn_resolve(const char *argv0, char *path);

/*
 * Forks the child (see above). `filter` NULL: no seccomp. `child_mask` is
 * the signal mask the program starts with; `chld_ignored` gives it SIGCHLD
 * ignored (as compendium had it before the tracer reset it). Returns 0 or
 * -errno.
 */
int spawn_start(const char *path, char *const argv[], const struct sock_fprog *filter,
		bool no_new_privs, const sigset_t *child_mask, bool chld_ignored,
		struct spawn *s);

/* Lets the child proceed to exec. 0 or -errno. */
int spawn_go(struct spawn *s);

/* Reads the next report, if one is there. 1: got one, 0: none (yet/EOF). */
int spawn_read_report(struct spawn *s, struct spawn_report *r);

/* Closes the tracer's ends of the pipes. */
void spawn_close(struct spawn *s);

#endif

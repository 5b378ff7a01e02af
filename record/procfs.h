/*
 * procfs.h - the few facts the tracer reads from /proc about a task: its
 * image, argv and name at exec, its threads at attach, its memory map and
 * status fields. Everything read is bounded by the caller's buffer; what
 * cannot be read (the task died) is reported as -errno, never fatal.
 */
#ifndef COMPENDIUM_PROCFS_H
#define COMPENDIUM_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bytes of /proc/PID/cmdline kept per exec (argv entries beyond are cut). */
#define PROCFS_CMDLINE_MAX 8192

/*
 * Reads /proc/PID/WHAT (a small file) into buf, NUL-terminated, at most
 * cap - 1 bytes. Returns the length read or -errno.
 */
ssize_t procfs_read(pid_t pid, const char *what, char *buf, size_t cap);

/* readlink of /proc/PID/WHAT, NUL-terminated. Returns its length or -errno. */
ssize_t procfs_readlink(pid_t pid, const char *what, char *buf, size_t cap);

/* /proc/PID/comm without its newline. Returns its length or -errno. */
ssize_t procfs_comm(pid_t pid, char *buf, size_t cap);

/*
 * Splits /proc/PID/cmdline (read into buf) into at most `max` strings;
 * argv[i] point into buf. Returns the count (0 when unreadable).
 */
unsigned procfs_cmdline(pid_t pid, char *buf, size_t cap, const char **argv, unsigned max);

/*
 * The thread ids in /proc/PID/task, ascending. Returns how many there are
 * (only the first `cap` stored) or -errno.
 */
int procfs_tasks(pid_t pid, pid_t *tids, size_t cap);

/* A numeric field of /proc/PID/status ("Tgid", "PPid", "TracerPid"). */
int procfs_status_long(pid_t pid, const char *key, long *val);

struct procfs_map {
	uint64_t start, end, offset;
	uint32_t prot;  /* PROT_* */
	uint32_t flags; /* MAP_PRIVATE or MAP_SHARED */
	const char *path; /* absolute file path, or NULL (anonymous, [heap], ...) */
};

/* Calls fn for each line of /proc/PID/maps. Returns lines read or -errno. */
int procfs_maps_foreach(pid_t pid, void (*fn)(void *arg, const struct procfs_map *m), void *arg);

#endif

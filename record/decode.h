/*
 * decode.h - the contract between the ptrace engine (tracer.c) and the
 * syscall decoders (decode_*.c).
 *
 * The tracer stops a task at syscall entry and exit (PTRACE_GET_SYSCALL_INFO),
 * keeps the entry's number, arguments and time, and at exit calls
 * decode_syscall() with the finished call. The decoder reads what it needs
 * from the tracee (tmem.h), updates the shared state (fd table, region map,
 * cwd) and emits zero or more events to `out`.
 *
 * decode_table[] is the one list of syscalls compendium decodes: the seccomp
 * filter (seccomp.c) is built from it, so a syscall stops the tracee if and
 * only if it has a decoder here.
 */
#ifndef COMPENDIUM_DECODE_H
#define COMPENDIUM_DECODE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"

struct fdtable;
struct fsinfo;

/* Longest path kept from a tracee (longer ones are truncated). */
#define DECODE_PATH_MAX 4096

/* A finished syscall, as the tracer saw it. */
struct syscall_call {
	int32_t nr;
	uint64_t args[6];
	int64_t ret;          /* raw return value: -errno on failure */
	uint64_t ts_enter_ns; /* since the recording's start */
	uint64_t ts_exit_ns;
	/*
	 * The socket address the call named, captured in the kernel by the I/O
	 * fast path (record/fastpath.h) at sys_exit: when sa_known, the
	 * decoders use sa[0..sa_len) (sa_len 0: no address) instead of reading
	 * the tracee's memory, which may have changed since. Borrowed.
	 */
	bool sa_known;
	uint32_t sa_len;
	const uint8_t *sa;
	/*
	 * The size of the address buffer the tracee gave a call whose length
	 * is value-result (accept, accept4, recvfrom, recvmsg, recvmmsg's
	 * first message), read at the entry stop (decode_syscall_entry). At
	 * exit the kernel has replaced it with the address's full length and
	 * copied only the smaller of the two: without it a short buffer makes
	 * the decoder read the tracee's bytes after it as the address.
	 */
	bool addrlen_known;
	uint32_t addrlen_in;
	/*
	 * open, openat, creat, execve, execveat whose result the fast path
	 * brings (decode_path_entry): the absolute path, made at the entry stop
	 * against the cwd and dirfd of that moment (NULL: unreadable). The
	 * decoder then reads nothing from the tracee. Borrowed.
	 */
	bool path_known;
	const char *path;
};

/* The task the call belongs to and the state it shares. */
struct decode_ctx {
	pid_t tid, pid;
	struct fdtable *fds;  /* this task's fd table (shared with CLONE_FILES) */
	uint64_t *brk;        /* this address space's program break, 0: unknown */
	struct fsinfo *fs;    /* cwd (shared with CLONE_FS) */
	/* The task's own references to them (may be NULL: no unshare then):
	 * unshare(CLONE_FILES / CLONE_FS) and close_range(CLOSE_RANGE_UNSHARE)
	 * give the task a copy of its own, as the kernel does. */
	struct fdtable **fds_slot;
	struct fsinfo **fs_slot;
	const struct event_sink *out;
	bool verbose_raw;     /* also emit EV_SYSCALL for calls without a decoder */
};

typedef void (*decode_fn)(struct decode_ctx *c, const struct syscall_call *call);

struct decoder {
	int32_t nr;
	decode_fn decode;
};

extern const struct decoder decode_table[];
extern const unsigned decode_table_len;

/* The decoder for `nr`, or NULL. O(1). */
decode_fn decode_lookup(int32_t nr);

/* The fcntl commands the decoder acts on (F_DUPFD, F_DUPFD_CLOEXEC,
 * F_SETFD: they change the fd table); the seccomp filter lets every other
 * fcntl run without a stop. */
extern const int decode_fcntl_cmds[];
extern const unsigned decode_fcntl_ncmds;

/*
 * Decodes a finished call into events. Calls without a decoder (with -p every
 * syscall stops) become one EV_SYSCALL event when `verbose_raw`, else
 * nothing. Never fails: what cannot be read from the tracee is left absent.
 */
void decode_syscall(struct decode_ctx *c, const struct syscall_call *call);

/*
 * At a call's entry stop: keeps in `call` what the decoder needs from
 * before the kernel overwrites it (addrlen_in). Reads the tracee only for
 * the few calls that need it.
 */
void decode_syscall_entry(pid_t tid, struct syscall_call *call);

/*
 * At the entry stop of open, openat, creat, execve or execveat: makes the
 * path absolute into buf[DECODE_PATH_MAX] and sets call->path_known /
 * call->path, for a decode_syscall that runs later, when the fast path
 * brings the result.
 */
void decode_path_entry(struct decode_ctx *c, struct syscall_call *call, char *buf);

/* Fills the common part of an event from the call (kind, times, ids, err). */
void decode_event_init(struct event *ev, enum event_kind kind,
		       const struct decode_ctx *c, const struct syscall_call *call);

#endif

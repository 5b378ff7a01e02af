/*
 * fastpath.h - the fast path: the read/write family and the memory calls
 * (brk, mmap, munmap, mremap, mprotect, pkey_mprotect; IO_FAST_LIST in
 * bpf/io.h) recorded by eBPF on the syscall tracepoints instead of two
 * ptrace stops per call, so a tracee doing small I/O, or a short program
 * whose loader and malloc map memory, runs near full speed.
 *
 * The fast path does not make events itself. Each ring-buffer record is
 * handed to the engine as a finished `struct syscall_call` (decode.h),
 * which the engine decodes with the very decoders of the ptrace path,
 * against the task's fd table: both modes give the same events by
 * construction. Attribution and ordering rest on when records are handed
 * over; see the comment block at the top of fastpath.c.
 *
 * It runs only when spawning with the seccomp filter (the filter leaves the
 * fast syscalls out) and with the privilege to load BPF programs; the
 * engine records why it is off in the header otherwise.
 *
 * Threads: fastpath_new starts a reader thread that wakes when records wait
 * (or every FASTPATH_POLL_MS) and hands them over while holding `lock`, the
 * engine's state lock. The engine's thread calls everything else, with
 * `lock` held for fastpath_drain and not held for fastpath_stop.
 */
#ifndef COMPENDIUM_FASTPATH_H
#define COMPENDIUM_FASTPATH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record/decode.h"
#include "record/source.h"

#define FASTPATH_POLL_MS 20

/* Called for each recorded syscall, with the state lock held; `call` and
 * what it points to are borrowed. Returns false when the task is not one
 * the engine knows (the record is then counted as lost). */
typedef bool (*fastpath_call_fn)(void *ctx, pid_t tid, pid_t pid, const struct syscall_call *call);

struct fastpath_opts {
	uint64_t mono_base_ns;  /* CLOCK_MONOTONIC at the recording's ts 0 */
	size_t ringbuf_bytes;   /* rounded up to a power of two >= 1 page; 0: default */
	pthread_mutex_t *lock;  /* the engine's state lock (see above) */
	fastpath_call_fn on_call;
	void *ctx;
};

struct fastpath;

/* Whether `nr` is one of the syscalls the fast path records (and the
 * seccomp filter then leaves out). */
bool fastpath_owns(int32_t nr);

/* Whether the kernel side records thread `tid`: false for one that
 * fastpath_task_new could not add (a nested PID namespace, a full map),
 * whose opens and execs the tracer then takes at their exit stop. */
bool fastpath_follows(const struct fastpath *f, pid_t tid);

/* Whether `nr` is one of the calls ptrace stops at the entry of, and whose
 * result the fast path records (IO_RESULT_LIST: the opens). */
bool fastpath_completes(int32_t nr);

/*
 * Loads and attaches bpf/io.bpf.c and starts the reader thread. Returns
 * the fast path, or NULL with a one-line reason and fix in `why`, e.g.
 * "eBPF unavailable: needs CAP_BPF and CAP_PERFMON — run as root".
 * No task is recorded before fastpath_task_new.
 */
struct fastpath *fastpath_new(const struct fastpath_opts *o, char *why, size_t whylen);

/*
 * Adds a traced thread, or updates one (0 or -errno; -E2BIG when the map
 * is full, counted in the "fastpath-tasks" loss; -EXDEV when the thread
 * runs in a PID namespace nested below ours, whose ids the kernel side
 * cannot take, counted in "fastpath-pidns"). The kernel side follows
 * no task by itself: the engine must call this for every new task before
 * it first resumes it, and again after an exec from a non-leader thread
 * (the thread takes the leader's tid); fastpath_task_gone when a tid stops
 * being a traced thread (death, or the execer's old tid).
 */
int fastpath_task_new(struct fastpath *f, pid_t tid, pid_t pid);
void fastpath_task_gone(struct fastpath *f, pid_t tid);

/*
 * Hands over every record reserved in the ring before this call (waiting
 * briefly for one still being written). The caller holds the state lock.
 * Cheap when the ring is empty: two loads.
 */
void fastpath_drain(struct fastpath *f);

/*
 * Detaches the programs, joins the reader, hands over what is left (the
 * caller must not hold the lock), emits one EV_LOSS per kind of record
 * lost {source "fastpath-read", "-write", "-send", "-recv", "-transfer",
 * "-mem", "-tasks", "-unknown"} through `emit`, and frees everything. NULL is a
 * no-op.
 */
void fastpath_stop(struct fastpath *f, struct source_emit emit);

#endif

/*
 * faults.h - the page-fault source (--faults): minor page faults of every
 * traced task, sampled with perf_event_open, delivered as EV_FAULT events.
 *
 * How it fits: the engine creates the source once (faults_source_new) and
 * drives it through the hooks of record/source.h. Each traced task gets its
 * own perf event (software event PAGE_FAULTS_MIN, sample period 1, no
 * inherit) and its own mmap'ed ring buffer, opened synchronously in
 * task_new while the task is still in its ptrace stop, so its first
 * instruction is already observed. One reader thread waits on all the
 * event fds with epoll and turns samples into events:
 *
 *   EV_FAULT  ts_ns (sample time on CLOCK_MONOTONIC minus mono_base_ns),
 *             pid, tid (from the sample), sysno -1,
 *             fault.addr = the faulting user address,
 *             fault.ip   = the user instruction that faulted, or 0 when the
 *                          kernel faulted on user memory on the task's
 *                          behalf (read() into an untouched buffer, ...):
 *                          kernel addresses never enter a recording.
 *
 * At stop, after draining every buffer:
 *   EV_LOSS   {source "perf", count, reason} when the kernel dropped samples
 *             because a ring buffer was full (PERF_RECORD_LOST, summed);
 *   EV_NOTE   (warning) when some tasks could not be followed (their count
 *             and the first error), or when the source ran in user-mode-only
 *             mode (see below).
 * Events of one task arrive in time order; events of different tasks may
 * interleave out of order by up to the reader's drain period (~100 ms).
 *
 * Kernel-mode faults: a fault taken while the kernel touches user memory
 * (copy_to_user) counts in the task's minflt. The perf event sees it only
 * without exclude_kernel, which needs perf_event_paranoid <= 1 or
 * CAP_PERFMON. The source asks for it and falls back to user-mode faults
 * only (exclude_kernel) when refused; faults_opts.user_mode_only forces the
 * fallback. Either way every recorded address is a user address.
 */
#ifndef COMPENDIUM_FAULTS_H
#define COMPENDIUM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/source.h"

struct faults_opts {
	/* CLOCK_MONOTONIC at ts 0: the engine's mono_base_ns. */
	uint64_t mono_base_ns;
	/*
	 * Ring buffer per task, in data pages (rounded down to a power of two;
	 * 0: FAULTS_DEFAULT_PAGES). A sample is 40 bytes, so 32 pages hold
	 * ~3,300 faults; the reader is woken at half. Mapping costs ~0.8 us a
	 * page in task_new. When the kernel refuses the size (RLIMIT_MEMLOCK and
	 * perf_event_mlock_kb for unprivileged users) it is halved down to one
	 * page before the task is given up.
	 */
	unsigned buffer_pages;
	/* Past this many pages mapped in all, new tasks get FAULTS_SMALL_PAGES
	 * (0: FAULTS_DEFAULT_BUDGET). Bounds the memory of fork storms. */
	unsigned budget_pages;
	/* Record only faults taken in user mode (see above). */
	bool user_mode_only;
};

#define FAULTS_DEFAULT_PAGES 32u     /* 128 KiB per task */
#define FAULTS_MAX_PAGES 4096u      /* 16 MiB: larger requests are cut */
#define FAULTS_SMALL_PAGES 4u        /* 16 KiB per task past the budget */
#define FAULTS_DEFAULT_BUDGET 16384u /* 64 MiB of ring buffers in all */

/* The EV_LOSS source name and the source's name in the header. */
#define FAULTS_LOSS_SOURCE "perf"
#define FAULTS_SOURCE_NAME "perf-faults"

/*
 * Creates the source and starts its reader thread (with every signal
 * blocked, so the engine keeps its synchronous signal handling). `o` is
 * copied; `emit` must be thread-safe (record/source.h).
 *
 * Returns NULL when page faults cannot be recorded, with a one-line reason
 * and its fix in `why` (truncated to `whylen`), e.g.
 *   "page faults unavailable: perf_event_paranoid is 3 — run as root,
 *    grant CAP_PERFMON, or: sysctl kernel.perf_event_paranoid=1"
 * On success `why` is either empty or holds a one-line note about a
 * degraded mode ("page faults: only faults taken in user mode ..."), which
 * the caller may print; the same note is recorded as an EV_NOTE at stop.
 *
 * The returned source is freed by its own stop hook. Hooks:
 *   task_new(ctx, tid, pid): opens and maps the task's event. Call it on the
 *     engine thread while the task is stopped (before it runs user code).
 *     Cost: one perf_event_open, one mmap, one epoll_ctl. Returns 0 or
 *     -errno (-ESRCH: the task is gone); a failure is counted for the note.
 *     A tid already followed is replaced (its old event is drained and
 *     closed).
 *   task_gone(ctx, tid): the reader drains the task's buffer, then closes
 *     and unmaps it; unknown tids are ignored. A task that exits without
 *     task_gone is closed when the kernel reports its event hung up.
 *   stop(ctx): drains everything, emits EV_LOSS / EV_NOTE, joins the reader
 *     and frees the source. Call it once, before the trailer is sent.
 */
struct source *faults_source_new(const struct faults_opts *o, struct source_emit emit,
				 char *why, size_t whylen);

#endif

/*
 * ebpf.h - the eBPF source (--ebpf): scheduler latency and block-I/O latency
 * of exactly the traced tasks, from bpf/latency.bpf.c, as events on the
 * same timeline as the syscalls.
 *
 * Events it emits (through `emit`, from its reader thread, or from stop):
 *  - EV_SCHED: one wait of a traced thread between its wakeup (or its
 *    preemption while runnable: `preempted`) and its running on `cpu`, when
 *    `delay_ns >= sched_threshold_ns`. ts_ns is when the wait began;
 *    dur_ns is 0 (delay_ns carries the wait).
 *  - EV_BLOCK: one block request submitted by a traced thread, or written
 *    back by a kernel flusher for an inode a traced thread dirtied
 *    (`writeback`, charged to that thread). ts_ns is the issue to the driver,
 *    dur_ns the latency to completion; `dev` is the kernel dev_t of the disk
 *    (major << 20 | minor), `bytes` the request size, `error` EIO when the
 *    device failed it, else 0. Only reads and writes (not flushes/discards).
 *  - EV_HIST at stop: one per thread and kind that saw a value: HIST_SCHED
 *    (every wait, not only those above the threshold) and HIST_BLOCK, unit
 *    "ns", bucket i counts values in [2^i, 2^(i+1)) ns (bucket 0 also 0);
 *    trailing empty buckets are left out.
 *  - EV_LOSS {source "ebpf-ringbuf"} at stop when ring-buffer records were
 *    dropped (the histograms still count them), and {source "ebpf-maps"}
 *    when a BPF map was full.
 *  - EV_NOTE (warning) at stop when part of the source could not run (e.g.
 *    no block tracepoints on this kernel).
 */
#ifndef COMPENDIUM_EBPF_H
#define COMPENDIUM_EBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/source.h"

#define EBPF_DEFAULT_SCHED_THRESHOLD_NS 10000ull /* 10 us */

struct ebpf_opts {
	uint64_t mono_base_ns;       /* CLOCK_MONOTONIC at the recording's ts 0 */
	uint64_t sched_threshold_ns; /* waits >= this become EV_SCHED; 0: all */
	size_t ringbuf_bytes;        /* rounded up to a power of two >= 1 page;
					0: default (4 MiB) */
};

/* Fills the defaults: threshold 10 us, default ring buffer, base 0. */
void ebpf_opts_init(struct ebpf_opts *o);

/*
 * Loads and attaches the BPF programs and starts the reader thread.
 * Returns a source (see record/source.h; free it by calling its stop hook)
 * or NULL with a one-line reason and fix in `why` (always NUL-terminated
 * when whylen > 0), e.g. "eBPF unavailable: loading BPF programs:
 * Operation not permitted — run as root or grant CAP_BPF and CAP_PERFMON".
 *
 * No task is traced until task_new is called: task_new(tid, pid) adds a
 * thread (0 or -errno, e.g. -ENOSPC when the map is full); the kernel side
 * then follows its forks and clones itself. task_gone(tid) forgets it
 * (exits are also seen in the kernel; the call is still expected). Both are
 * cheap (one map syscall) and may be called from any one thread. stop
 * detaches, drains the ring buffer, emits the EV_HIST / EV_LOSS / EV_NOTE
 * events, joins the reader thread and frees everything.
 *
 * libbpf's messages: bpfutil_libbpf_messages().
 */
struct source *ebpf_source_new(const struct ebpf_opts *o, struct source_emit emit,
			       char *why, size_t whylen);

#endif

/*
 * source.h - event sources that run beside the ptrace engine: perf page
 * faults (faults.c) and eBPF scheduler / block-I/O latency (ebpf.c).
 *
 * A source has its own reader thread. It turns kernel records into
 * `struct event`s (ts_ns relative to the recording's start: CLOCK_MONOTONIC
 * minus `mono_base_ns`) and hands them to `emit`, which is thread-safe
 * (the engine serialises all producers in front of the sinks). Events of a
 * source may arrive slightly out of time order relative to ptrace events;
 * the recording format allows it.
 *
 * The engine calls the hooks below on its own thread: task_new when a traced
 * task appears (spawn, clone, attach), task_gone when it exits, stop once at
 * the end (the source drains what is left, emits its EV_LOSS / EV_HIST
 * events, joins its thread and frees itself).
 *
 * A source that cannot start returns NULL from its constructor and writes a
 * one-line reason (with the fix) into `why`; tracing goes on without it and
 * the header records it as inactive with that reason.
 */
#ifndef COMPENDIUM_SOURCE_H
#define COMPENDIUM_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"

struct source_emit {
	void (*fn)(void *ctx, const struct event *ev); /* thread-safe */
	void *ctx;
};

/* An EV_LOSS of `count` records of `source` (nothing when count is 0), and
 * a warning EV_NOTE, stamped `ts`: what a source emits when it stops. The
 * strings are borrowed for the call. */
void source_emit_loss(struct source_emit emit, uint64_t ts, const char *source, uint64_t count,
		      const char *reason);
void source_emit_note(struct source_emit emit, uint64_t ts, const char *text);

struct source {
	const char *name; /* "perf-faults", "ebpf" */
	void *ctx;
	int (*task_new)(void *ctx, pid_t tid, pid_t pid);
	void (*task_gone)(void *ctx, pid_t tid);
	void (*stop)(void *ctx);
};

#endif

/*
 * reorder.h - puts the events of late sources back in time order, for the
 * sinks that need time order (the terminal printer, the summary's page-fault
 * attribution).
 *
 * Why: the perf and eBPF sources hand their events over in batches from
 * reader threads, up to ~100 ms after they happened, and the recording keeps
 * that arrival order (see the schema's TIME note). A fault burst would then
 * be printed after later syscalls, and attributed with the memory map of a
 * later moment (an mmap'ed buffer already unmapped).
 *
 * How: two queues. Ptrace events (every kind but EV_FAULT, EV_SCHED,
 * EV_BLOCK) keep their arrival order, which is the order in which their
 * syscalls completed: their key is ts_ns + dur_ns, made non-decreasing. The
 * late kinds go into a heap keyed by ts_ns. An event is released, by merging
 * the two queues, once an event whose key is REORDER_WINDOW_NS later has
 * arrived, or when more than REORDER_MAX_EVENTS events (or REORDER_MAX_BYTES
 * of copies) are held, or at reorder_drain(). An event that arrives later
 * than the window is released at once (out of order, never dropped).
 * The output depends only on the input sequence, so live output and `show`
 * of the recording agree.
 *
 * Ownership: reorder_push() copies the event and its strings; `fn` gets a
 * borrowed event valid during the call.
 */
#ifndef COMPENDIUM_REORDER_H
#define COMPENDIUM_REORDER_H

#include <stdint.h>

#include "event.h"

#define REORDER_WINDOW_NS 250000000ull /* > the sources' ~100 ms batching */
#define REORDER_MAX_EVENTS 65536u
#define REORDER_MAX_BYTES (64u << 20)

typedef void (*reorder_fn)(void *ctx, const struct event *ev);

struct reorder;

/* Returns NULL on ENOMEM. */
struct reorder *reorder_new(reorder_fn fn, void *ctx);
/* Copies `ev` in; may call `fn` for events now due. On ENOMEM the event is
 * passed to `fn` at once (out of order rather than lost). */
void reorder_push(struct reorder *r, const struct event *ev);
/* Releases everything held, in order. */
void reorder_drain(struct reorder *r);
/* Frees without releasing what is held. NULL is fine. */
void reorder_free(struct reorder *r);

/* The kinds that come from late sources (perf, eBPF). */
static inline int reorder_late_kind(enum event_kind k)
{
	return k == EV_FAULT || k == EV_SCHED || k == EV_BLOCK;
}

#endif

/*
 * summary.h - the summary model: what a whole trace amounts to.
 *
 * A sink that folds the event stream into totals and tables: memory (heap,
 * mmap, regions, peaks), I/O bytes, files, network peers, subprocesses,
 * page faults, scheduler and block I/O latency, losses, failed opens, how
 * the recording ended, and the exit status. It keeps data only: the FINAL
 * block (final.h) renders it for a terminal, the HTML report and `diff`
 * read the same struct.
 *
 * Memory model: every address space (thread group) has a region map
 * (regions.h) fed from brk/mmap/munmap/mremap; fork copies the parent's,
 * exec starts a new one. "Final" memory sums each address space as it was
 * when its process exited (or at the end of the trace); "peak" is the
 * largest total of all address spaces alive at the same time. The same
 * address-space tracking (struct summary_spaces) attributes page faults for
 * the terminal printer.
 *
 * Page faults: each fault is attributed (summary_locate_fault) to heap,
 * anonymous mapping, file mapping, stack, or other. "Bytes touched" is
 * faults x page size. "Resident growth" of an address space is the number
 * of distinct pages it faulted in that are still mapped (an munmap, a brk
 * shrink, an mremap or an exec gives them back; the process's exit gives
 * back all): each minor fault makes one page resident, so this is how much
 * its RSS grew through the faults we saw. The peak is the largest sum over
 * the address spaces alive at the same time. Pages it never faulted (made
 * resident by MAP_POPULATE, read-ahead of file pages already mapped, ...)
 * are not counted, and madvise(MADV_DONTNEED) is not seen.
 *
 * Time order: with page faults recorded, the summary sink puts events back
 * in time order (reorder.h) before attributing them; summary_add_event()
 * itself takes events as given.
 *
 * Ownership: the summary owns every string it keeps (copied from the
 * borrowed event strings). Tables grow with distinct files/peers/processes,
 * never with the number of events.
 */
#ifndef COMPENDIUM_SUMMARY_H
#define COMPENDIUM_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

struct regions;
struct reorder;

struct summary_file {
	char *path;
	uint64_t bytes_read, bytes_written;
	uint32_t opens_read, opens_write; /* successful opens by access */
	uint32_t failed_opens;
	uint64_t first_ts_ns;
};

struct summary_peer {
	char *addr;
	uint8_t proto;       /* enum net_proto */
	bool inbound;        /* first seen through accept */
	uint32_t connects;   /* connect calls (EINPROGRESS counts as success) */
	uint32_t failed;     /* failed connects */
	uint32_t last_err;   /* errno of the last failed connect */
	uint64_t sent, received;
	uint64_t first_ts_ns;
};

/* Bytes of argv kept per process (and of its path and comm): the FINAL list
 * and the report show a command line, not a recording's worth of it. */
#define SUMMARY_ARGV_BYTES 4096

struct summary_proc {
	uint32_t pid;
	char *path;          /* of the first exec, cut at SUMMARY_ARGV_BYTES */
	char **argv;         /* argc strings, SUMMARY_ARGV_BYTES in all */
	uint32_t argc;
	char *comm;
	uint64_t exec_ts_ns;
	bool exited;
	int32_t exit_code;
	uint32_t exit_signal;
};

struct summary_pageset; /* distinct resident pages of one space (summary.c) */

/* One address space, internal to the model but visible for the report. */
struct summary_space {
	uint32_t pid;
	struct regions *map;
	bool alive;
	uint64_t total;      /* heap + mapped, as last accounted */
	uint64_t heap;       /* its heap part */
	/* for page-fault attribution */
	char *exe;           /* path of the program exec'ed in it, NULL unknown */
	uint64_t heap_start; /* first brk seen, 0 unknown */
	uint64_t map_top;    /* highest end of a recorded mapping, 0 none */
	struct summary_pageset *pages; /* summary only; NULL until a fault */
};

/* The address spaces of a trace: one per process, newest last. */
struct summary_spaces {
	struct summary_space *v;
	uint32_t n, cap;
};

/*
 * Applies a process or memory event (spawn, exec, exit, brk, mmap, munmap,
 * mremap, mprotect) to the set: fork copies the parent's map (CLONE_VM
 * shares it: a new empty one), exec resets it, a process exit marks it dead,
 * failed syscalls change nothing. Returns the space it changed, NULL for
 * other events (or on ENOMEM: the change is lost, never a crash).
 */
struct summary_space *summary_spaces_apply(struct summary_spaces *ss, const struct event *ev);
/* The live space of process `pid`, or NULL. */
struct summary_space *summary_spaces_find(const struct summary_spaces *ss, uint32_t pid);
/* Frees every space (the set itself is the caller's). */
void summary_spaces_free(struct summary_spaces *ss);

/* Where a page fault landed. */
enum fault_kind { FAULT_HEAP = 0, FAULT_ANON, FAULT_FILE, FAULT_STACK, FAULT_OTHER, FAULT__COUNT };

#define FAULT_PROT_UNKNOWN 0xffffffffu

struct fault_site {
	uint8_t kind;        /* enum fault_kind */
	uint64_t start, end; /* the region; the faulting page for FAULT_OTHER */
	uint32_t prot;       /* PROT_* bits, or FAULT_PROT_UNKNOWN */
	const char *path;    /* FAULT_FILE: the file (borrowed: valid until the
				set next changes); NULL otherwise */
	bool recorded;       /* a recorded region, not a guess about the
				kernel's own mappings */
};

/*
 * Attributes `addr` of process `pid` with the recorded map. Addresses no
 * recorded mapping covers are what the kernel mapped at exec: below the
 * heap's start, the program itself (FAULT_FILE, its exec path, prot
 * unknown); far above every recorded mapping (SUMMARY_STACK_GAP; the kernel
 * keeps at least 128 MiB between the mmap area and the stack), the main
 * thread's stack; anything else (the dynamic loader, vdso) is FAULT_OTHER.
 * Thread stacks are mmap(MAP_STACK) regions: FAULT_STACK with their range.
 */
void summary_locate_fault(const struct summary_spaces *ss, uint32_t pid, uint64_t addr,
			  struct fault_site *site);
#define SUMMARY_STACK_GAP (64ull << 20)

/* "heap", "anon", "file", "stack", "other". */
const char *fault_kind_name(unsigned k);

/* Latency distribution of the scheduler or block source: log2 buckets
 * (bucket i counts values in [2^i, 2^(i+1)) ns, bucket 0 also 0). */
struct summary_latency {
	uint64_t hist[EVENT_MAX_HIST_BUCKETS];     /* from EV_HIST: every value */
	uint64_t ev_hist[EVENT_MAX_HIST_BUCKETS];  /* from the events */
	bool have_hist;                            /* an EV_HIST was seen */
};

struct summary_loss {
	char *source;
	uint64_t count;
};

struct summary {
	/* from the header */
	bool have_header;
	enum rec_mode mode;
	uint32_t root_pid;
	char **argv;
	uint32_t argc;
	char *root_comm;     /* the root process's name (attach mode's title) */
	bool src_faults, src_sched, src_block; /* sources that were active */
	uint32_t page_size;  /* of the traced host; 4096 when not said */

	/* counts */
	uint64_t events;
	uint64_t last_ts_ns;
	uint32_t tasks;      /* tasks seen (root + spawns) */
	uint32_t failed_opens;

	/* I/O, by what the fd was */
	uint64_t file_read, file_written;
	uint64_t net_sent, net_received;
	uint64_t other_read, other_written; /* pipes, ttys, devices, unknown */

	/* memory (see the model above) */
	uint64_t heap, heap_peak;
	uint64_t mmap, mmap_peak;
	uint32_t regions, regions_peak;
	uint64_t total_peak;     /* heap + mmap of all live spaces at once */
	uint64_t live_total;     /* running value behind total_peak */
	uint64_t live_heap;      /* the heap part of live_total */

	/* optional sources */
	uint64_t faults, faults_heap, faults_anon, faults_file, faults_other, faults_stack;
	uint64_t resident, resident_peak; /* resident growth (see above), bytes */
	uint64_t sched_count, sched_total_ns, sched_max_ns; /* events: >= threshold */
	/* block requests of the traced tasks (not writeback) */
	uint64_t block_count, block_read, block_written, block_total_ns, block_max_ns;
	uint32_t block_errors;
	/* written back by kernel flushers for files the tasks dirtied */
	uint64_t wb_count, wb_bytes;
	struct summary_latency lat[HIST__COUNT]; /* HIST_SCHED, HIST_BLOCK */

	/* tables, in order of first appearance */
	struct summary_file *files;
	uint32_t nfiles, files_cap;
	struct summary_peer *peers;
	uint32_t npeers, peers_cap;
	struct summary_proc *procs; /* in order of first exec */
	uint32_t nprocs, procs_cap;
	union { /* the set, or its members by their older names */
		struct summary_spaces space_set;
		struct {
			struct summary_space *spaces;
			uint32_t nspaces, spaces_cap;
		};
	};
	struct summary_loss *losses;
	uint32_t nlosses, losses_cap;

	/* how it ended */
	bool has_trailer;
	enum rec_end end_reason;
	int32_t exit_code;
	uint32_t exit_signal;
	bool core_dumped;
	bool root_exited;        /* exit status known (trailer or root exit event) */
	uint64_t end_ts_ns;
	bool ended;
	struct rec_integrity integrity;

	/* internal indexes */
	uint32_t *file_index, file_index_cap;
	uint32_t *peer_index, peer_index_cap;
	int32_t last_file; /* cache: the file of the previous I/O event */
	struct reorder *order; /* time order for fault attribution, or NULL */
};

/* Returns NULL on ENOMEM. */
struct summary *summary_new(void);
void summary_free(struct summary *s);

/* The sink filling `s` (header, event, trailer, end). */
struct event_sink summary_sink(struct summary *s);

/* The same as the sink callbacks, for direct use. */
void summary_add_header(struct summary *s, const struct rec_header *h);
void summary_add_event(struct summary *s, const struct event *ev);
void summary_add_trailer(struct summary *s, const struct rec_trailer *t);
void summary_add_end(struct summary *s, const struct rec_integrity *in);

/* Total events lost (loss events or the trailer's totals). */
uint64_t summary_lost(const struct summary *s);
/* Lost by sources whose name starts with `prefix` ("perf", "ebpf"). */
uint64_t summary_lost_from(const struct summary *s, const char *prefix);

/*
 * The value below which a fraction `q` (0.5, 0.99) of a latency histogram
 * lies, as the bucket holding it: [*lo, *hi) ns. Uses the EV_HIST
 * histograms when there were any (they count every value), else the events.
 * Returns the number of values the answer is based on (0: none).
 */
uint64_t summary_latency_quantile(const struct summary *s, unsigned kind, double q,
				  uint64_t *lo, uint64_t *hi);
/* The histogram that summary_latency_quantile uses (EVENT_MAX_HIST_BUCKETS). */
const uint64_t *summary_latency_hist(const struct summary *s, unsigned kind);
/* Run time: the trailer's end, else the last event seen. */
uint64_t summary_duration_ns(const struct summary *s);

enum summary_completeness {
	SUMMARY_COMPLETE = 0,    /* trailer present, read to the end */
	SUMMARY_INTERRUPTED,     /* trailer says interrupted (tracees killed) */
	SUMMARY_DETACHED,        /* -p and detached */
	SUMMARY_TRUNCATED,       /* no trailer or cut inside a frame */
	SUMMARY_FAILED,          /* the recorder reported an error */
};
enum summary_completeness summary_completeness(const struct summary *s);

#endif

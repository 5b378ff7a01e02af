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
 * largest total of all address spaces alive at the same time.
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

struct summary_proc {
	uint32_t pid;
	char *path;          /* of the first exec */
	char **argv;         /* argc strings */
	uint32_t argc;
	char *comm;
	uint64_t exec_ts_ns;
	bool exited;
	int32_t exit_code;
	uint32_t exit_signal;
};

/* One address space, internal to the model but visible for the report. */
struct summary_space {
	uint32_t pid;
	struct regions *map;
	bool alive;
	uint64_t total;      /* heap + mapped, as last accounted */
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

	/* optional sources */
	uint64_t faults, faults_heap, faults_anon, faults_file, faults_other;
	uint64_t sched_count, sched_total_ns, sched_max_ns;
	uint64_t block_count, block_read, block_written, block_total_ns, block_max_ns;
	uint32_t block_errors;

	/* tables, in order of first appearance */
	struct summary_file *files;
	uint32_t nfiles, files_cap;
	struct summary_peer *peers;
	uint32_t npeers, peers_cap;
	struct summary_proc *procs; /* in order of first exec */
	uint32_t nprocs, procs_cap;
	struct summary_space *spaces;
	uint32_t nspaces, spaces_cap;
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

/*
 * diff_impl.h - what one recording amounts to for `compendium diff`, shared
 * by diff_collect.c (which fills it), diff.c (which compares two of them)
 * and diff_print.c. Not for other modules: they use diff.h.
 *
 * The diff keeps here what the summary model (summary.h) does not: the
 * process tree with per-process memory, faults, threads and exit; syscall
 * durations; latency histograms fine enough for percentiles; the errno of
 * failed opens; the ports listened on (for rule N5).
 */
#ifndef COMPENDIUM_DIFF_IMPL_H
#define COMPENDIUM_DIFF_IMPL_H

#include "diff.h"

struct regions;

/* A thread of a process, matched by creation order: [0] is the one the
 * process started with, then each thread it created. */
struct diff_thread {
	uint32_t tid;
	bool alive;
	uint64_t read, written; /* bytes of its I/O: files, pipes, sockets */
};

/* One process (thread group) instance: a pid reused later is another one. */
struct diff_proc {
	uint32_t pid;
	int32_t parent;       /* index in diff_side.procs; -1: a root */
	char *path;           /* exec path, normalised; inherited at fork */
	char **argv;          /* argc strings, normalised, DIFF_NORM_MAX bytes in all */
	uint32_t argc;
	uint32_t threads;     /* threads it created */
	struct diff_thread *thr; /* its first thread, then those it created */
	uint32_t nthr, thr_cap;
	bool alive, exited, core_dumped;
	int32_t exit_code;
	uint32_t exit_signal;
	struct regions *map;  /* its address space, NULL on ENOMEM */
	uint64_t heap_peak, mapped_peak; /* over all its images (execs) */
	uint64_t faults;
};

#define DIFF_NSYS 512          /* syscall numbers tracked (x86_64 has < 512) */

struct diff_sys {
	uint64_t count, total_ns, max_ns;
};

struct diff_slow {
	int32_t sysno;
	uint64_t dur_ns;
};

/*
 * Log-linear latency histogram (nanoseconds): values below 8 have a bucket
 * each, above that each power of two is cut into DIFF_LAT_SUB buckets, so a
 * percentile is known within 1/DIFF_LAT_SUB of its value.
 */
#define DIFF_LAT_SUB 8
#define DIFF_LAT_BUCKETS (8 + 61 * DIFF_LAT_SUB)

struct diff_lat {
	uint64_t n;
	uint64_t b[DIFF_LAT_BUCKETS];
};

struct diff_failed {
	char *path;           /* as recorded (normalised when compared) */
	uint32_t err;         /* errno of the last failure */
	uint32_t count;
};

struct diff_side {
	struct summary *sum;

	/* from the reader and the header */
	char *name;
	bool have_source;
	enum recording_status status;
	char message[256];
	uint32_t format_major, format_minor;
	bool have_header;
	uint32_t root_pid;

	struct diff_proc *procs;
	uint32_t nprocs, procs_cap;
	uint32_t procs_dropped;   /* beyond DIFF_MAX_PROCS */

	uint16_t listen[DIFF_MAX_LISTEN];
	uint32_t nlisten;
	uint16_t accepted[DIFF_MAX_ACCEPTED][2]; /* {client port, listening port} */
	uint32_t naccepted;

	struct diff_failed *failed;
	uint32_t nfailed, failed_cap;

	struct diff_sys sys[DIFF_NSYS];
	struct diff_slow slow[DIFF_SLOWEST]; /* slowest first */
	uint32_t nslow;

	struct diff_lat lat[HIST__COUNT];    /* indexed by enum hist_kind */
};

/* Bucket of a latency value, and the value a bucket stands for (its middle). */
uint32_t diff_lat_bucket(uint64_t ns);
uint64_t diff_lat_value(uint32_t bucket);
/* The p-th percentile (0 < p <= 100) of h; 0 when empty. */
uint64_t diff_lat_percentile(const struct diff_lat *h, double p);

/* Process i of d, NULL when out of range. */
static inline const struct diff_proc *diff_proc_at(const struct diff_side *d, int32_t i)
{
	return i >= 0 && (uint32_t)i < d->nprocs ? &d->procs[i] : NULL;
}

/* ---- rows (diff.c), used by the comparisons in diff_*.c ---------------- */

/* A numeric change; no row when a == b; hidden when below its threshold. */
void diff_row_num(struct diff_result *r, unsigned sec, unsigned unit, const char *subject,
		  const char *metric, uint64_t a, uint64_t b);
/* A text change, or a presence change when ta or tb is NULL (added/removed);
 * no row when equal. Returns the row (NULL: none, or ENOMEM). */
struct diff_change *diff_row_text(struct diff_result *r, unsigned sec, const char *subject,
				  const char *metric, const char *ta, const char *tb);
/* Sets the row's detail text (c may be NULL). */
void diff_row_detail(struct diff_change *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "exit 0", "killed by SIGSEGV (core dumped)", "unknown" when !known;
 * malloc'd, NULL on ENOMEM. */
char *diff_exit_text(bool known, int32_t code, uint32_t sig, bool core);

/* Processes (diff_proc.c): matched down the tree, rows for the differences. */
void diff_compare_procs(const struct diff_side *a, const struct diff_side *b,
			struct diff_result *r);

#endif

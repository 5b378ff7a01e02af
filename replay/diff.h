/*
 * diff.h - `compendium diff`: the semantic comparison of two recordings.
 *
 * Each recording is folded into a `struct diff_side` (a sink: the summary
 * model of summary.h plus what the diff needs and the summary does not keep:
 * the process tree, per-process memory and page faults, thread counts,
 * syscall durations, latency histograms, the errno of failed opens and the
 * ports listened on). diff_compare() then lists the differences as rows
 * (`struct diff_change`), and diff_print_text() / diff_print_json() render
 * them.
 *
 * Matching, never by pid:
 *   - The first root process of A matches the first root of B, whatever
 *     they ran (a changed path or argv is a row). Other roots (attach mode)
 *     match like children.
 *   - The children of two matched processes match in order of creation:
 *     first those with the same exec path and argv (after normalisation),
 *     then those with the same exec path (an "argv" row). A process that
 *     forks without exec has its parent's path and argv. Matching recurses
 *     down the tree, so position in the tree counts.
 *   - What is left is a process only in A ("removed") or only in B
 *     ("added"); only the topmost of an unmatched subtree is a row, with
 *     its number of descendants in the detail.
 *   - Threads are matched within their process by creation order (the
 *     first thread with the first, then each created thread with the one
 *     created at the same rank): a "threads" row when the counts differ,
 *     and, when both processes have more than one thread, "read" and
 *     "written" rows for each matched pair, whose subject is the process
 *     with "(thread K)" (K from 0, the thread the process started with).
 *   - Files and peers are matched by their normalised name over the whole
 *     recording (all processes together).
 *
 * Normalisation (diff_norm_path, diff_norm_addr), so that two runs of the
 * same program compare equal:
 *   N1 /proc/<digits>/... becomes /proc/<pid>/..., and .../task/<digits>/...
 *      below it becomes .../task/<tid>/...
 *   N2 In a temporary directory (/tmp, /var/tmp, /dev/shm, /run/user/<n>,
 *      and below), each name component loses its random part:
 *      - a trailing run of 6 or more letters/digits after '.', '-' or '_'
 *        becomes "XXXXXX": /tmp/tmp.Q2x8ZkP1aB -> /tmp/tmp.XXXXXX,
 *        /tmp/wl.abcdef -> /tmp/wl.XXXXXX;
 *      - otherwise, the last 6 characters, when they are letters/digits
 *        and not six lowercase letters (which real names end with), become
 *        "XXXXXX": /tmp/fooAbC123 -> /tmp/fooXXXXXX, /tmp/logfile stays;
 *      - then, in what is left, every run of 2 or more digits becomes "N"
 *        (pids, counters): /tmp/pytest-of-root/pytest-12 -> .../pytest-N;
 *      - a short extension (1-5 letters/digits after the last '.', as
 *        mkstemps keeps) is set apart first and kept:
 *        /var/tmp/cc4Xy9Qa.o -> /var/tmp/ccXXXXXX.o.
 *      /run/user/1000 itself becomes /run/user/<uid>.
 *      The price: two different files whose names differ only in such a
 *      part compare as one (their numbers add up).
 *   N3 Pseudo-file names with an inode number lose it: "pipe:[1234]" ->
 *      "pipe:[*]", likewise "socket:[...]" and "anon_inode:[...]"-style
 *      names ending in a number in brackets.
 *   N4 /dev/pts/3 becomes /dev/pts/<n> (the pty differs per run).
 *   N5 Loopback peers (127.0.0.0/8, [::1], [::ffff:127.x.x.x]) on a port
 *      in the ephemeral range (>= DIFF_EPHEMERAL_MIN):
 *      - a port that some process of the recording listened on becomes
 *        "<listen#K>" (K: the order of the first listen on it);
 *      - a client port that a listening socket of the recording accepted
 *        (both ends of the connection traced) is named after the listening
 *        address it connected to, so that one connection is one peer
 *        whichever end moved the bytes;
 *      - any other ephemeral port (a client of an untraced server, a
 *        closed port) becomes "<ephemeral>".
 *      Fixed ports and non-loopback addresses are kept as they are.
 *   N6 Exec paths and every argv element go through N1-N4.
 *   Addresses, pids, tids and fd numbers are never part of a key: memory is
 *   compared by sizes, processes by what they ran, files by name.
 *
 * Thresholds: a numeric change (bytes, counts) whose relative size
 * |B-A| / A is below `threshold_pct` (default DIFF_DEFAULT_THRESHOLD) is
 * hidden; times have their own, larger `time_threshold_pct`
 * (DIFF_DEFAULT_TIME_THRESHOLD) and must also differ by at least
 * DIFF_TIME_FLOOR_NS, because durations under ptrace are noisy. Presence
 * changes (only in A / only in B) and text changes (argv, exit status, open
 * mode, recording end) are always shown. Hidden rows are counted, not
 * listed, and do not make the recordings differ.
 *
 * Noise: like `show`, system paths (/proc, /sys, /dev, the dynamic linker,
 * shared objects; noise.h) are left out unless `all`. Loopback peers are
 * kept: their ports are normalised (N5) and a new local peer matters.
 */
#ifndef COMPENDIUM_DIFF_H
#define COMPENDIUM_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "outbuf.h"
#include "recording.h"
#include "summary.h"

#define DIFF_DEFAULT_THRESHOLD 10.0      /* percent, bytes and counts */
#define DIFF_DEFAULT_TIME_THRESHOLD 50.0 /* percent, durations and latencies */
#define DIFF_TIME_FLOOR_NS (5ull * 1000 * 1000) /* smaller time changes are noise */
#define DIFF_EPHEMERAL_MIN 32768         /* Linux's default ip_local_port_range */
#define DIFF_MAX_PROCS 4096              /* process table bound per recording */
#define DIFF_MAX_THREADS 4096            /* threads remembered per process */
#define DIFF_MAX_LISTEN 256              /* listened ports remembered */
#define DIFF_MAX_ACCEPTED 4096           /* accepted loopback client ports remembered */
#define DIFF_MAX_FAILED 4096             /* distinct failed-open paths remembered */
#define DIFF_SLOWEST 5                   /* slowest single syscalls kept */
#define DIFF_NORM_MAX 4096               /* normalised names are cut to this */

/* ---- normalisation -------------------------------------------------------- */

/*
 * Writes the normalised form of `path` (rules N1-N4) into `out` (`cap`
 * bytes, NUL-terminated, cut at cap-1). Returns `out`. NULL gives "".
 */
char *diff_norm_path(char *out, size_t cap, const char *path);

/* The ports a recording listened on and accepted from (rule N5). */
struct diff_ports {
	const uint16_t *listen;        /* in order of first listen */
	uint32_t nlisten;
	const uint16_t (*accepted)[2]; /* {client port, listening port} */
	uint32_t naccepted;
};

/*
 * Writes the normalised form of socket address `addr` (rule N5) into `out`
 * (`cap` bytes, cut at cap-1). `ports` may be NULL (no listen, no accept).
 * Non-inet addresses ("unix:/path") go through diff_norm_path's rules.
 * Returns `out`.
 */
char *diff_norm_addr(char *out, size_t cap, const char *addr, const struct diff_ports *ports);

/* The port of "host:port" (1..65535), or -1. */
int diff_addr_port(const char *addr);
/* Whether "host:port" is a loopback address (127.0.0.0/8, [::1], [::ffff:127.x]). */
bool diff_addr_loopback(const char *addr);

/* ---- one recording ---------------------------------------------------- */

struct diff_side;

/* Returns NULL on ENOMEM. */
struct diff_side *diff_side_new(void);
void diff_side_free(struct diff_side *d);

/*
 * The sink folding a recording into `d`: it feeds the summary model and the
 * diff's own tables. Valid while `d` lives.
 */
struct event_sink diff_side_sink(struct diff_side *d);

/*
 * Tells `d` what the reader said (status and message are shown in the
 * report; truncation is also a row). `name` is how the report calls the
 * recording (its file name); both are copied.
 */
void diff_side_set_source(struct diff_side *d, const char *name,
			  const struct recording_read_result *res);

/* The summary model behind `d` (owned by `d`). */
const struct summary *diff_side_summary(const struct diff_side *d);

/*
 * Convenience: reads the recording at `path` into a new side. Returns the
 * side, or NULL with a message in `err` (`errlen` bytes) when the file
 * cannot be opened or is not a readable recording (RECORDING_ERROR).
 * A truncated or corrupt recording still gives a side.
 */
struct diff_side *diff_side_load(const char *path, char *err, size_t errlen);

/* ---- the comparison --------------------------------------------------- */

enum diff_section {
	DIFF_SEC_RECORDING = 0, DIFF_SEC_EXIT, DIFF_SEC_PROCESS, DIFF_SEC_FILE,
	DIFF_SEC_NET, DIFF_SEC_MEMORY, DIFF_SEC_TIME, DIFF_SEC__COUNT
};

enum diff_kind { DIFF_CHANGED = 0, DIFF_ADDED /* only in B */, DIFF_REMOVED /* only in A */ };

enum diff_unit { DIFF_U_TEXT = 0, DIFF_U_BYTES, DIFF_U_COUNT, DIFF_U_NS };

/*
 * One difference. `subject` says what (a normalised path, peer or process
 * label), `metric` which of its properties ("written", "open", "exit", ...).
 * Numeric rows use a/b (has_a/has_b false: absent on that side); text rows
 * use text_a/text_b (NULL: absent). `detail` is extra human text (may be
 * NULL). All strings are owned by the result.
 */
struct diff_change {
	uint8_t section;  /* enum diff_section */
	uint8_t kind;     /* enum diff_kind */
	uint8_t unit;     /* enum diff_unit */
	bool hidden;      /* below its threshold */
	char *subject;
	const char *metric; /* static */
	bool has_a, has_b;
	uint64_t a, b;
	char *text_a, *text_b;
	char *detail;
};

struct diff_opts {
	double threshold_pct;      /* bytes and counts */
	double time_threshold_pct; /* durations and latencies */
	bool all;                  /* no noise filter */
};

/* Default options (the thresholds above, noise filter on). */
void diff_opts_default(struct diff_opts *o);

struct diff_result {
	struct diff_change *v;     /* shown rows first (sorted), then hidden ones */
	uint32_t n, cap;
	uint32_t shown, hidden;
	struct diff_opts opts;
	bool oom;                  /* some rows were lost to ENOMEM */
};

/*
 * Compares `a` with `b` into `r` (zeroed by the caller, freed with
 * diff_result_free). Rows are sorted by section (recording, exit,
 * processes, files, network, memory, time), then presence changes, then
 * the largest changes first. Returns 0, or -ENOMEM (r->oom is set and the
 * rows found so far are kept).
 */
int diff_compare(const struct diff_side *a, const struct diff_side *b,
		 const struct diff_opts *o, struct diff_result *r);
void diff_result_free(struct diff_result *r);

/* Equal: no row is shown. */
static inline bool diff_equal(const struct diff_result *r)
{
	return r->shown == 0;
}

/* Relative change in percent; +inf when a == 0 and b != 0. */
double diff_pct(uint64_t a, uint64_t b);

/* Names used in the JSON output. */
const char *diff_section_name(unsigned s);  /* "recording", "exit", "process", ... */
const char *diff_kind_name(unsigned k);     /* "changed", "added", "removed" */
const char *diff_unit_name(unsigned u);     /* "text", "bytes", "count", "ns" */

/* ---- output ----------------------------------------------------------- */

/*
 * The terminal report: a title naming both recordings, integrity notes
 * (truncated, corrupt, format version), then the shown rows by section,
 * then a last line ("no differences" or "N differences, M hidden below the
 * thresholds"). Untrusted strings go through escape_term(). ANSI colours
 * when `color` (+ green, - red, ~ yellow).
 */
void diff_print_text(struct outbuf *o, const struct diff_side *a, const struct diff_side *b,
		     const struct diff_result *r, bool color);

/*
 * One JSON object (the keys are listed in README.md, "compendium diff"):
 * {"equal", "threshold_pct", "time_threshold_pct", "a", "b", "changes",
 * "hidden"}, ending with a newline.
 */
void diff_print_json(struct outbuf *o, const struct diff_side *a, const struct diff_side *b,
		     const struct diff_result *r);

#endif

/*
 * printer.h - the terminal printer sink: one human line per interesting
 * event, in the seed tool's style:
 *
 *   compendium: tracing curl -s https://example.com
 *   [+0.000s] ─── curl exec ───
 *   [+0.002s] mmap 7f8a12345000-7f8a12347000 rw-   8.0 KB anon
 *   [+0.003s] open /etc/resolv.conf (read)
 *   [+0.015s] connect tcp4 → 93.184.216.34:443
 *   [+0.156s] send    517 B → 93.184.216.34:443
 *   [+0.160s] read    4.0 KB ×250 from /tmp/data.bin
 *
 * A "[tid] " tag follows the time once more than one task has existed.
 * Runs of identical I/O (same task, fd, direction and size) and of
 * same-size, same-direction block requests of a task (the syscalls that
 * caused them in between do not cut the run) are folded into one line with
 * "×N" unless verbose:
 *
 *   [+0.160s] block write   4.0 KB ×8 (avg 45 µs, max 120 µs)
 *
 * Page faults: consecutive faults of one task in the same region are one
 * line, written when the group ends (the task shows something else, or
 * faults elsewhere), with the time of its first fault: threads faulting at
 * the same time each get their group, the region found with the address-space model of summary.h
 * (summary_locate_fault):
 *
 *   [+0.012s] 1,024 faults in heap @ 55d0c3a00000 (rw-)
 *   [+0.013s] 256 faults in anon 7f8a12345000-7f8a12445000 (rw-)
 *   [+0.001s] 12 faults in /usr/bin/ls
 *   [+0.001s] 3 faults in stack
 *
 * Without -v, groups of fewer than PRINTER_FAULT_MIN_GROUP faults are not
 * shown (a program's start touches a few pages of each library: the FINAL
 * block counts them), and faults in shared libraries and the loader follow
 * the noise rules; -v shows every fault with its address and site.
 * Scheduler delays are shown from PRINTER_SCHED_MIN_NS on (every one with
 * -v). A failed exec of a PATH search (ENOENT, EACCES, ...) that the same
 * task follows with a successful exec is not shown; a search that fails
 * in the end is one line, "─── foo exec ─── ENOENT ×9"; -v shows each.
 *
 * Time order: when the recording has a late source (perf faults, eBPF),
 * events go through a reorder window (reorder.h) first, so the lines come
 * in time order though those sources deliver in batches; a syscall's line
 * comes at its completion, a fault/sched/block line at its time. Verbose (-v) shows every event, with the syscall, its result and
 * duration. Untrusted strings go through escape_term(). Colour (one colour
 * per event type, red for failures) only when asked: the caller decides
 * (a TTY and NO_COLOR unset). The printer is deterministic in its input, so
 * live output and `show` of the recording are identical.
 *
 * Display filters (the recording keeps everything): noise.h rules unless
 * `all`; `only` categories; `pid`.
 */
#ifndef COMPENDIUM_PRINTER_H
#define COMPENDIUM_PRINTER_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "outbuf.h"

/* Categories of --only. */
enum printer_cat {
	PCAT_FILE = 1u << 0,
	PCAT_NET = 1u << 1,
	PCAT_MEM = 1u << 2,
	PCAT_IO = 1u << 3,
	PCAT_PROC = 1u << 4,
	PCAT_FAULT = 1u << 5,
	PCAT_SCHED = 1u << 6,
	PCAT_BLOCK = 1u << 7,
};

/* Scheduler delays shown without -v: from 100 µs (the seed's choice). */
#define PRINTER_SCHED_MIN_NS 100000ull
/* Fault groups shown without -v: from 8 faults (32 KiB of 4 KiB pages). */
#define PRINTER_FAULT_MIN_GROUP 8u
/* Fault and block groups followed at once (tasks working at the same time). */
#define PRINTER_GROUP_SLOTS 16u

struct printer_opts {
	bool verbose;  /* every event, syscall details, no folding */
	bool all;      /* no noise filter */
	bool color;    /* ANSI colours */
	uint32_t only; /* PCAT_* mask; 0: all categories */
	bool has_pid;  /* only events of this process (or thread) */
	uint32_t pid;
};

struct printer;

/* `out` is borrowed. Returns NULL on ENOMEM. */
struct printer *printer_new(struct outbuf *out, const struct printer_opts *o);
/* Prints a pending folded line, if any, and frees. */
void printer_free(struct printer *p);
/* The sink; its `end` prints any pending folded line and flushes `out`. */
struct event_sink printer_sink(struct printer *p);

/*
 * Parses "file,net,mem,io,proc,fault,sched,block" into a PCAT_* mask.
 * Returns 0, or -1 with the unknown word copied to `bad` (64 bytes).
 */
int printer_parse_only(const char *list, uint32_t *mask, char *bad);

/* Whether colour should be used on fd: a terminal and NO_COLOR unset/empty. */
bool printer_want_color(int fd);

/* ANSI colour codes shared with the FINAL block ("" when !color). */
const char *printer_color(bool color, const char *code);
#define PRINTER_RESET "\033[0m"
#define PRINTER_BOLD "\033[1m"
#define PRINTER_DIM "\033[2m"
#define PRINTER_RED "\033[31m"

#endif

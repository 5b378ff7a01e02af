/*
 * printer.c - the terminal printer sink (see printer.h for the output).
 *
 * With a late source on (perf faults, eBPF), events first go through a
 * reorder window (reorder.h) so that lines come in time order. Then each
 * event goes through: the address-space model (page-fault attribution),
 * task tracking (for the [tid] tag), the display filters (pid, --only,
 * verbose-only kinds, noise), folding, then one line. A folded run is kept
 * as a pending line and written when a different line comes (or at the
 * end); it costs no allocation per event. Failed execs of a PATH search are
 * held the same way until the task's next event says whether the search
 * succeeded.
 */
#define _GNU_SOURCE
#include "printer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "format.h"
#include "noise.h"
#include "regions.h"
#include "reorder.h"
#include "summary.h"

/* ---- colours: one table, by event kind --------------------------------- */

static const char *const kind_color[EV__COUNT] = {
	[EV_SPAWN] = "\033[35m",   [EV_EXEC] = "\033[1;35m", [EV_EXIT] = "\033[35m",
	[EV_SIGNAL] = "\033[35m",  [EV_TASK] = "\033[35m",
	[EV_OPEN] = "\033[32m",    [EV_CLOSE] = "\033[32m",  [EV_FILE_OP] = "\033[32m",
	[EV_DUP] = "\033[32m",     [EV_PIPE] = "\033[32m",
	[EV_SOCKET] = "\033[36m",  [EV_CONNECT] = "\033[36m", [EV_BIND] = "\033[36m",
	[EV_LISTEN] = "\033[36m",  [EV_ACCEPT] = "\033[36m",
	[EV_IO] = "\033[34m",      [EV_TRANSFER] = "\033[34m",
	[EV_BRK] = "\033[33m",     [EV_MMAP] = "\033[33m",   [EV_MUNMAP] = "\033[33m",
	[EV_MREMAP] = "\033[33m",  [EV_MPROTECT] = "\033[33m",
	[EV_FAULT] = "\033[90m",   [EV_SCHED] = "\033[90m",  [EV_BLOCK] = "\033[90m",
	[EV_HIST] = "\033[90m",
	[EV_LOSS] = "\033[1;33m",  [EV_NOTE] = "\033[1;33m", [EV_SYSCALL] = "\033[2m",
};

const char *printer_color(bool color, const char *code)
{
	return color && code ? code : "";
}

bool printer_want_color(int fd)
{
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	return isatty(fd) == 1;
}

/* ---- categories of --only ----------------------------------------------- */

static const struct {
	const char *name;
	uint32_t bit;
} cat_names[] = {
	{ "file", PCAT_FILE }, { "net", PCAT_NET },     { "mem", PCAT_MEM },
	{ "io", PCAT_IO },     { "proc", PCAT_PROC },   { "fault", PCAT_FAULT },
	{ "sched", PCAT_SCHED }, { "block", PCAT_BLOCK },
};

int printer_parse_only(const char *list, uint32_t *mask, char *bad)
{
	*mask = 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;
		for (size_t i = 0; i < sizeof(cat_names) / sizeof(cat_names[0]); i++) {
			if (strlen(cat_names[i].name) == n && !strncmp(p, cat_names[i].name, n)) {
				*mask |= cat_names[i].bit;
				found = true;
			}
		}
		if (!found && n) {
			snprintf(bad, 64, "%.*s", (int)(n < 60 ? n : 60), p);
			return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* 0: meta events (loss, note) that every filter lets through. */
static uint32_t event_cats(const struct event *ev)
{
	switch (ev->kind) {
	case EV_SPAWN: case EV_EXEC: case EV_EXIT: case EV_SIGNAL: case EV_TASK:
		return PCAT_PROC;
	case EV_OPEN: case EV_CLOSE: case EV_FILE_OP: case EV_DUP: case EV_PIPE:
		return PCAT_FILE;
	case EV_SOCKET: case EV_CONNECT: case EV_BIND: case EV_LISTEN: case EV_ACCEPT:
		return PCAT_NET;
	case EV_IO:
		return PCAT_IO | (ev->io.fd.kind == FD_SOCKET ? PCAT_NET : 0);
	case EV_TRANSFER:
		return PCAT_IO;
	case EV_BRK: case EV_MMAP: case EV_MUNMAP: case EV_MREMAP: case EV_MPROTECT:
		return PCAT_MEM;
	case EV_FAULT:
		return PCAT_FAULT;
	case EV_SCHED:
		return PCAT_SCHED;
	case EV_BLOCK:
		return PCAT_BLOCK;
	case EV_HIST:
		return ev->hist.kind == HIST_SCHED ? PCAT_SCHED : PCAT_BLOCK;
	case EV_SYSCALL:
		return ~0u;
	default:
		return 0;
	}
}

/* ---- state -------------------------------------------------------------- */

enum fold_kind { FOLD_NONE = 0, FOLD_IO, FOLD_FAULT, FOLD_BLOCK };

struct fold {
	enum fold_kind kind;
	uint64_t ts_ns;
	uint32_t tid;
	uint32_t count;
	/* io */
	uint8_t op, fd_kind;
	int32_t fd;
	int64_t bytes;
	char *name;         /* growable copy, reused (io: fd name; fault: file) */
	size_t name_cap;
	bool has_name;
	/* faults: the site of the first fault of the run */
	uint8_t fkind;      /* enum fault_kind */
	bool recorded;
	uint64_t start, end, first;
	uint32_t prot;
	/* block */
	bool write, writeback;
	uint64_t total_ns, max_ns;
};

/* Failed execs of one task, held until we know if its search succeeded. */
struct exec_fail {
	bool active;
	uint64_t ts_ns;
	uint32_t tid;
	uint32_t count, err;
	char name[64];      /* comm or basename, cut */
};

struct printer {
	struct outbuf *out;
	struct printer_opts o;
	bool multi;         /* more than one task has existed */
	bool have_first;
	uint32_t first_tid;
	struct fold fold;
	struct fold ff[PRINTER_GROUP_SLOTS]; /* fault and block groups (see group_slot) */
	struct exec_fail xf;
	struct summary_spaces spaces; /* page-fault attribution */
	struct reorder *order;        /* NULL: events are printed as they come */
};

struct printer *printer_new(struct outbuf *out, const struct printer_opts *o)
{
	struct printer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->out = out;
	p->o = *o;
	return p;
}

/* ---- line pieces -------------------------------------------------------- */

static void line_start(struct printer *p, uint64_t ts, uint32_t tid, const char *color)
{
	struct outbuf *o = p->out;
	char b[FMT_MAX];
	if (p->o.color)
		outbuf_puts(o, PRINTER_DIM);
	outbuf_putc(o, '[');
	outbuf_puts(o, fmt_ts(b, ts));
	outbuf_write(o, "] ", 2);
	if (p->multi) {
		outbuf_putc(o, '[');
		outbuf_u64(o, tid);
		outbuf_write(o, "] ", 2);
	}
	if (p->o.color) {
		outbuf_puts(o, PRINTER_RESET);
		outbuf_puts(o, color ? color : "");
	}
}

static void line_end(struct printer *p)
{
	if (p->o.color)
		outbuf_puts(p->out, PRINTER_RESET);
	outbuf_end_line(p->out);
}

/* "op" then the size right-aligned: "send    517 B" */
static void put_op_size(struct outbuf *o, const char *op, uint64_t bytes)
{
	char b[FMT_MAX];
	fmt_bytes(b, bytes);
	size_t n = strlen(b);
	outbuf_puts(o, op);
	outbuf_putc(o, ' ');
	if (n < FMT_BYTES_WIDTH)
		outbuf_pad(o, FMT_BYTES_WIDTH - n);
	outbuf_write(o, b, n);
}

static void put_size(struct outbuf *o, uint64_t bytes)
{
	char b[FMT_MAX];
	fmt_bytes(b, bytes);
	size_t n = strlen(b);
	if (n < FMT_BYTES_WIDTH)
		outbuf_pad(o, FMT_BYTES_WIDTH - n);
	outbuf_write(o, b, n);
}

/* Ranges and sizes as the kernel maps them: whole pages (the seed shows
 * 7f8a12345000-7f8a12347000, not the length the program asked for). */
static uint64_t mapped_len(uint64_t addr, uint64_t len)
{
	return regions_page_end(addr, len) - addr;
}

static void put_range(struct outbuf *o, uint64_t addr, uint64_t len)
{
	outbuf_hex(o, addr);
	outbuf_putc(o, '-');
	outbuf_hex(o, addr + mapped_len(addr, len));
}

static void put_err(struct outbuf *o, uint32_t err)
{
	char b[FMT_MAX];
	outbuf_putc(o, ' ');
	outbuf_puts(o, fmt_errno(b, err));
}

/* The thing an fd names: path, socket peer, or "fd N". */
static void put_fdname(struct outbuf *o, const struct event_fd *f)
{
	if (f->name) {
		escape_term(o, f->name);
	} else {
		outbuf_write(o, "fd ", 3);
		outbuf_i64(o, f->fd);
	}
}

static void put_io_target(struct outbuf *o, uint8_t op, uint8_t kind, int32_t fd,
			  const char *name)
{
	bool out = op == IO_WRITE || op == IO_SEND;
	if (kind == FD_SOCKET) {
		if (!name)
			return;
		outbuf_puts(o, out ? " → " : " ← ");
		escape_term(o, name);
		return;
	}
	outbuf_puts(o, out ? " to " : " from ");
	struct event_fd f = { .fd = fd, .kind = kind, .name = name };
	put_fdname(o, &f);
}

/* ---- folding ------------------------------------------------------------ */

static const char *block_op(bool write, bool writeback)
{
	return writeback ? "block writeback" : write ? "block write" : "block read ";
}

/* "1,024 faults in heap @ 55d0c3a00000 (rw-)" and the other sites. */
static void put_fault_group(struct outbuf *o, const struct fold *f)
{
	char b[FMT_MAX];
	outbuf_puts(o, fmt_count(b, f->count));
	outbuf_puts(o, f->count == 1 ? " fault in " : " faults in ");
	switch (f->fkind) {
	case FAULT_HEAP:
		outbuf_puts(o, "heap @ ");
		outbuf_hex(o, f->start);
		break;
	case FAULT_FILE:
		escape_term(o, f->has_name ? f->name : "?");
		break;
	case FAULT_ANON:
	case FAULT_STACK:
		outbuf_puts(o, fault_kind_name(f->fkind));
		if (f->recorded) {
			outbuf_putc(o, ' ');
			put_range(o, f->start, f->end - f->start);
		}
		break;
	default:
		outbuf_puts(o, "other @ ");
		outbuf_hex(o, f->first);
		break;
	}
	if (f->prot != FAULT_PROT_UNKNOWN && (f->recorded || f->fkind == FAULT_HEAP)) {
		outbuf_puts(o, " (");
		outbuf_puts(o, fmt_prot(b, f->prot));
		outbuf_putc(o, ')');
	}
}

/* Writes a pending folded line (and forgets it). */
static void fold_write(struct printer *p, struct fold *f)
{
	struct outbuf *o = p->out;
	char b[FMT_MAX];
	if (f->kind == FOLD_NONE)
		return;
	switch (f->kind) {
	case FOLD_IO:
		line_start(p, f->ts_ns, f->tid, kind_color[EV_IO]);
		put_op_size(o, io_op_name(f->op), (uint64_t)f->bytes);
		if (f->count > 1) {
			outbuf_puts(o, " ×");
			outbuf_u64(o, f->count);
		}
		put_io_target(o, f->op, f->fd_kind, f->fd, f->has_name ? f->name : NULL);
		break;
	case FOLD_FAULT:
		line_start(p, f->ts_ns, f->tid, kind_color[EV_FAULT]);
		put_fault_group(o, f);
		break;
	case FOLD_BLOCK:
		line_start(p, f->ts_ns, f->tid, kind_color[EV_BLOCK]);
		put_op_size(o, block_op(f->write, f->writeback), (uint64_t)f->bytes);
		if (f->count > 1) {
			outbuf_puts(o, " ×");
			outbuf_u64(o, f->count);
			outbuf_puts(o, " (avg ");
			outbuf_puts(o, fmt_latency(b, f->total_ns / f->count));
			outbuf_puts(o, ", max ");
			outbuf_puts(o, fmt_latency(b, f->max_ns));
			outbuf_putc(o, ')');
		} else {
			outbuf_puts(o, " (");
			outbuf_puts(o, fmt_latency(b, f->total_ns));
			outbuf_putc(o, ')');
		}
		break;
	default:
		break;
	}
	line_end(p);
	f->kind = FOLD_NONE;
}

static void fold_flush(struct printer *p)
{
	fold_write(p, &p->fold);
}

static bool fold_set_name(struct fold *f, const char *name);

static bool same_name(const struct fold *f, const char *name)
{
	if (!name || !f->has_name)
		return !name && !f->has_name;
	return strcmp(f->name, name) == 0;
}

/* Starts or extends a folded run; returns true when the event was taken. */
static bool fold_io(struct printer *p, const struct event *ev)
{
	struct fold *f = &p->fold;
	const struct ev_io *io = &ev->io;
	uint32_t n = io->count > 1 ? io->count : 1;
	if (io->count > 1 || io->addr)
		return false; /* mmsg / sendto: one line each */
	if (f->kind == FOLD_IO && f->tid == ev->tid && f->op == io->op && f->fd == io->fd.fd &&
	    f->bytes == io->bytes && same_name(f, io->fd.name)) {
		f->count += n;
		return true;
	}
	fold_flush(p);
	if (!fold_set_name(f, io->fd.name))
		return false;
	*f = (struct fold){ .kind = FOLD_IO, .ts_ns = ev->ts_ns, .tid = ev->tid, .count = n,
			    .op = io->op, .fd_kind = io->fd.kind, .fd = io->fd.fd,
			    .bytes = io->bytes, .name = f->name, .name_cap = f->name_cap,
			    .has_name = f->has_name };
	return true;
}

/* Copies `name` into the fold's reusable buffer. */
static bool fold_set_name(struct fold *f, const char *name)
{
	size_t len = name ? strlen(name) + 1 : 0;
	if (len > f->name_cap) {
		char *nb = realloc(f->name, len);
		if (!nb)
			return false;
		f->name = nb;
		f->name_cap = len;
	}
	if (len)
		memcpy(f->name, name, len);
	f->has_name = len != 0;
	return true;
}

/* The same site for grouping: same kind and same region (a file: by path,
 * so the segments of one library group together). */
static bool same_site(const struct fold *f, const struct fault_site *s)
{
	if (f->fkind != s->kind)
		return false;
	if (s->kind == FAULT_FILE)
		return f->has_name && s->path && strcmp(f->name, s->path) == 0;
	if (s->kind == FAULT_OTHER || !s->recorded)
		return !f->recorded;
	/* the region may have grown by a merge since the group's first fault */
	return f->recorded && s->start <= f->first && f->first < s->end;
}

/*
 * Fault groups and block-request groups have slots of their own, one per
 * task and kind, so that (1) the faults of threads running at the same
 * time, which interleave, still make one group per task and region, (2) a
 * task's block requests, which come between the syscalls that caused them,
 * still fold into one line, and so do those syscalls, and (3) a few faults
 * amid a run of reads do not cut the run's folded line: a fault group
 * smaller than PRINTER_FAULT_MIN_GROUP is dropped without touching it. A
 * group is written (after the pending folded line) when it ends: the next
 * one of the task differs, or the task shows something else (for block
 * groups: something other than I/O), or at the end.
 */
static void group_flush_one(struct printer *p, struct fold *f)
{
	if (f->kind == FOLD_FAULT && f->count < PRINTER_FAULT_MIN_GROUP) {
		f->kind = FOLD_NONE;
		return;
	}
	if (f->kind == FOLD_NONE)
		return;
	fold_flush(p);
	fold_write(p, f);
}

/* Every pending group, oldest first. */
static void groups_flush(struct printer *p)
{
	for (;;) {
		struct fold *old = NULL;
		for (unsigned i = 0; i < PRINTER_GROUP_SLOTS; i++)
			if (p->ff[i].kind != FOLD_NONE && (!old || p->ff[i].ts_ns < old->ts_ns))
				old = &p->ff[i];
		if (!old)
			return;
		group_flush_one(p, old);
	}
}

/* Ends the task's pending group of one kind. */
static void group_flush_task(struct printer *p, uint32_t tid, enum fold_kind kind)
{
	for (unsigned i = 0; i < PRINTER_GROUP_SLOTS; i++)
		if (p->ff[i].kind == kind && p->ff[i].tid == tid)
			group_flush_one(p, &p->ff[i]);
}

/* The task's pending group of `kind` (*found), else a slot to start one in
 * (the oldest group is written out when every slot is taken). */
static struct fold *group_slot(struct printer *p, uint32_t tid, enum fold_kind kind, bool *found)
{
	struct fold *free_slot = NULL, *old = NULL;
	for (unsigned i = 0; i < PRINTER_GROUP_SLOTS; i++) {
		struct fold *g = &p->ff[i];
		if (g->kind == FOLD_NONE) {
			free_slot = free_slot ? free_slot : g;
		} else if (g->tid == tid && g->kind == kind) {
			*found = true;
			return g;
		} else if (!old || g->ts_ns < old->ts_ns) {
			old = g;
		}
	}
	*found = false;
	if (free_slot)
		return free_slot;
	group_flush_one(p, old);
	return old;
}

static bool fold_fault(struct printer *p, const struct event *ev, const struct fault_site *s)
{
	bool found;
	struct fold *f = group_slot(p, ev->tid, FOLD_FAULT, &found);
	if (found && same_site(f, s)) {
		f->count++;
		f->start = s->start;
		f->end = s->end;
		if (f->prot != s->prot)
			f->prot = FAULT_PROT_UNKNOWN; /* several segments of a file */
		return true;
	}
	group_flush_one(p, f);
	if (!fold_set_name(f, s->kind == FAULT_FILE ? s->path : NULL))
		return false;
	f->kind = FOLD_FAULT;
	f->ts_ns = ev->ts_ns;
	f->tid = ev->tid;
	f->count = 1;
	f->fkind = s->kind;
	f->recorded = s->recorded;
	f->start = s->start;
	f->end = s->end;
	f->first = ev->fault.addr & ~0xfffull;
	f->prot = s->prot;
	return true;
}

static bool fold_block(struct printer *p, const struct event *ev)
{
	if (ev->block.error)
		return false;
	bool found;
	struct fold *f = group_slot(p, ev->tid, FOLD_BLOCK, &found);
	if (found && f->write == ev->block.write && f->writeback == ev->block.writeback &&
	    f->bytes == ev->block.bytes) {
		f->count++;
		f->total_ns += ev->dur_ns;
		if (ev->dur_ns > f->max_ns)
			f->max_ns = ev->dur_ns;
		return true;
	}
	group_flush_one(p, f);
	f->kind = FOLD_BLOCK;
	f->ts_ns = ev->ts_ns;
	f->tid = ev->tid;
	f->count = 1;
	f->write = ev->block.write;
	f->writeback = ev->block.writeback;
	f->bytes = ev->block.bytes;
	f->total_ns = f->max_ns = ev->dur_ns;
	return true;
}

/* ---- filters ------------------------------------------------------------ */

/* Kinds and cases shown only with -v. */
static bool verbose_only(const struct event *ev)
{
	/* state found at attach (fds, mappings) was not done while we watched */
	if ((ev->flags & EVENT_F_SEEDED) && ev->kind != EV_TASK)
		return true;
	switch (ev->kind) {
	case EV_CLOSE: case EV_DUP: case EV_PIPE: case EV_SOCKET: case EV_MPROTECT:
	case EV_HIST: case EV_SYSCALL:
		return true;
	case EV_IO:
	case EV_TRANSFER:
		return ev->err != 0 || (ev->kind == EV_IO ? ev->io.bytes : ev->transfer.bytes) <= 0;
	case EV_BRK:
		return ev->err != 0 || !ev->brk.old_brk || ev->brk.new_brk == ev->brk.old_brk;
	case EV_MMAP: case EV_MUNMAP: case EV_MREMAP:
		return ev->err != 0;
	case EV_SIGNAL:
		return ev->signal.signo == 17 /* SIGCHLD: every child exit */;
	case EV_SCHED:
		return ev->sched.delay_ns < PRINTER_SCHED_MIN_NS;
	default:
		return false;
	}
}

static bool fd_noise(const struct event_fd *f)
{
	return f->kind == FD_SOCKET ? noise_addr(f->name) : noise_path(f->name);
}

static bool is_noise(const struct event *ev)
{
	switch (ev->kind) {
	case EV_OPEN: return noise_path(ev->open.path);
	case EV_CLOSE: return fd_noise(&ev->close.fd);
	case EV_DUP: return fd_noise(&ev->dup.old_fd);
	case EV_FILE_OP: return noise_path(ev->file_op.path);
	case EV_CONNECT: return noise_addr(ev->connect.addr);
	case EV_BIND: return noise_addr(ev->bind.addr);
	case EV_LISTEN: return noise_addr(ev->listen.addr);
	case EV_ACCEPT: return noise_addr(ev->accept.peer_addr);
	case EV_IO: return fd_noise(&ev->io.fd) || noise_addr(ev->io.addr);
	case EV_TRANSFER: return fd_noise(&ev->transfer.src) && fd_noise(&ev->transfer.dst);
	case EV_MMAP: return noise_path(ev->mmap.path);
	default: return false;
	}
}

static bool shown(const struct printer *p, const struct event *ev)
{
	if (p->o.has_pid && ev->pid != p->o.pid && ev->tid != p->o.pid)
		return false;
	uint32_t cats = event_cats(ev);
	if (p->o.only && cats && !(cats & p->o.only))
		return false;
	if (!p->o.verbose && verbose_only(ev))
		return false;
	if (!p->o.all && is_noise(ev))
		return false;
	return true;
}

/* ---- bodies ------------------------------------------------------------- */

static void body_exec(struct outbuf *o, const struct event *ev)
{
	const char *name = ev->exec.comm;
	if (!name && ev->exec.path) {
		name = strrchr(ev->exec.path, '/');
		name = name ? name + 1 : ev->exec.path;
	}
	outbuf_puts(o, "─── ");
	escape_term(o, name ? name : "?");
	outbuf_puts(o, " exec ───");
}

static void body_exit(struct outbuf *o, const struct event *ev)
{
	char b[FMT_MAX];
	outbuf_puts(o, ev->exit.thread ? "thread exit" : "exit");
	if (ev->exit.signal) {
		outbuf_puts(o, " killed by ");
		outbuf_puts(o, fmt_signal(b, ev->exit.signal));
		if (ev->exit.core_dumped)
			outbuf_puts(o, " (core dumped)");
	} else {
		outbuf_putc(o, ' ');
		outbuf_i64(o, ev->exit.code);
	}
}

static void body_file_op(struct outbuf *o, const struct event *ev)
{
	const struct ev_file_op *f = &ev->file_op;
	outbuf_puts(o, file_op_name(f->op));
	outbuf_putc(o, ' ');
	if (f->path)
		escape_term(o, f->path);
	else {
		outbuf_write(o, "fd ", 3);
		outbuf_i64(o, f->fd);
	}
	if (f->path2) {
		outbuf_puts(o, " → ");
		escape_term(o, f->path2);
	}
	if (f->op == FOP_TRUNCATE || f->op == FOP_FTRUNCATE) {
		char b[FMT_MAX];
		outbuf_putc(o, ' ');
		outbuf_puts(o, fmt_bytes(b, f->length < 0 ? 0 : (uint64_t)f->length));
	}
}

static void put_addr_opt(struct outbuf *o, const char *arrow, const char *addr)
{
	if (!addr)
		return;
	outbuf_puts(o, arrow);
	escape_term(o, addr);
}

static void body(struct printer *p, const struct event *ev)
{
	struct outbuf *o = p->out;
	char b[FMT_MAX];
	switch (ev->kind) {
	case EV_SPAWN:
		outbuf_puts(o, "spawn ");
		outbuf_puts(o, spawn_kind_name(ev->spawn.kind));
		outbuf_putc(o, ' ');
		outbuf_u64(o, ev->spawn.child_tid);
		break;
	case EV_EXEC:
		body_exec(o, ev);
		if (p->o.verbose) {
			outbuf_putc(o, ' ');
			escape_term(o, ev->exec.path);
			for (uint32_t i = 0; i < ev->exec.argc && ev->exec.argv; i++) {
				outbuf_putc(o, ' ');
				escape_term(o, ev->exec.argv[i]);
			}
		}
		break;
	case EV_EXIT:
		body_exit(o, ev);
		break;
	case EV_SIGNAL:
		outbuf_puts(o, "signal ");
		outbuf_puts(o, fmt_signal(b, ev->signal.signo));
		if (ev->signal.sender_pid) {
			outbuf_puts(o, " from ");
			outbuf_u64(o, ev->signal.sender_pid);
		}
		if (ev->signal.group_stop)
			outbuf_puts(o, " (stopped)");
		break;
	case EV_TASK:
		outbuf_puts(o, ev->task.thread ? "thread " : "task ");
		escape_term(o, ev->task.comm ? ev->task.comm : "?");
		break;
	case EV_OPEN:
		outbuf_puts(o, "open ");
		escape_term(o, ev->open.path ? ev->open.path : "?");
		outbuf_puts(o, " (");
		outbuf_puts(o, fmt_open_access(ev->open.flags));
		if (ev->open.created)
			outbuf_puts(o, ", created");
		outbuf_putc(o, ')');
		if (p->o.verbose) {
			outbuf_putc(o, ' ');
			outbuf_puts(o, fmt_open_flags(b, ev->open.flags));
		}
		break;
	case EV_CLOSE:
		outbuf_puts(o, "close ");
		outbuf_i64(o, ev->close.fd.fd);
		if (ev->close.last_fd != ev->close.fd.fd) {
			outbuf_putc(o, '-');
			outbuf_i64(o, ev->close.last_fd);
		}
		if (ev->close.fd.name) {
			outbuf_putc(o, ' ');
			escape_term(o, ev->close.fd.name);
		}
		break;
	case EV_FILE_OP:
		body_file_op(o, ev);
		break;
	case EV_DUP:
		outbuf_puts(o, "dup ");
		outbuf_i64(o, ev->dup.old_fd.fd);
		outbuf_puts(o, " → ");
		outbuf_i64(o, ev->dup.new_fd);
		if (ev->dup.old_fd.name) {
			outbuf_putc(o, ' ');
			escape_term(o, ev->dup.old_fd.name);
		}
		break;
	case EV_PIPE:
		outbuf_puts(o, "pipe ");
		outbuf_i64(o, ev->pipe.read_fd);
		outbuf_putc(o, ' ');
		outbuf_i64(o, ev->pipe.write_fd);
		break;
	case EV_SOCKET:
		outbuf_puts(o, "socket ");
		outbuf_puts(o, net_proto_name(ev->socket.proto));
		outbuf_putc(o, ' ');
		outbuf_i64(o, ev->socket.fd);
		if (ev->socket.fd2 >= 0) {
			outbuf_putc(o, ' ');
			outbuf_i64(o, ev->socket.fd2);
		}
		break;
	case EV_CONNECT:
		outbuf_puts(o, "connect ");
		outbuf_puts(o, net_proto_name(ev->connect.proto));
		put_addr_opt(o, " → ", ev->connect.addr);
		break;
	case EV_BIND:
		outbuf_puts(o, "bind ");
		outbuf_puts(o, net_proto_name(ev->bind.proto));
		put_addr_opt(o, " ", ev->bind.addr);
		break;
	case EV_LISTEN:
		outbuf_puts(o, "listen ");
		outbuf_puts(o, net_proto_name(ev->listen.proto));
		put_addr_opt(o, " ", ev->listen.addr);
		break;
	case EV_ACCEPT:
		outbuf_puts(o, "accept ");
		outbuf_puts(o, net_proto_name(ev->accept.proto));
		put_addr_opt(o, " ← ", ev->accept.peer_addr);
		break;
	case EV_IO: {
		const struct ev_io *io = &ev->io;
		put_op_size(o, io_op_name(io->op), io->bytes < 0 ? 0 : (uint64_t)io->bytes);
		if (io->count > 1) {
			outbuf_puts(o, " ×");
			outbuf_u64(o, io->count);
		}
		put_io_target(o, io->op, io->fd.kind, io->fd.fd, io->addr ? io->addr : io->fd.name);
		break;
	}
	case EV_TRANSFER: {
		const char *name = event_syscall_name(ev->sysno);
		put_op_size(o, name ? name : "transfer",
			    ev->transfer.bytes < 0 ? 0 : (uint64_t)ev->transfer.bytes);
		outbuf_putc(o, ' ');
		put_fdname(o, &ev->transfer.src);
		outbuf_puts(o, " → ");
		put_fdname(o, &ev->transfer.dst);
		break;
	}
	case EV_BRK:
		outbuf_puts(o, "brk ");
		if (ev->brk.old_brk && ev->brk.new_brk)
			outbuf_puts(o, fmt_bytes_signed(b, (int64_t)(ev->brk.new_brk - ev->brk.old_brk)));
		else
			outbuf_hex(o, ev->brk.new_brk);
		break;
	case EV_MMAP:
		outbuf_puts(o, "mmap ");
		put_range(o, ev->mmap.addr, ev->mmap.len);
		outbuf_putc(o, ' ');
		outbuf_puts(o, fmt_prot(b, ev->mmap.prot));
		outbuf_putc(o, ' ');
		put_size(o, mapped_len(ev->mmap.addr, ev->mmap.len));
		outbuf_putc(o, ' ');
		if (ev->mmap.path)
			escape_term(o, ev->mmap.path);
		else
			outbuf_puts(o, "anon");
		if (p->o.verbose) {
			outbuf_putc(o, ' ');
			outbuf_puts(o, fmt_mmap_flags(b, ev->mmap.flags));
		}
		break;
	case EV_MUNMAP:
		outbuf_puts(o, "munmap ");
		put_range(o, ev->munmap.addr, ev->munmap.len);
		outbuf_putc(o, ' ');
		put_size(o, mapped_len(ev->munmap.addr, ev->munmap.len));
		break;
	case EV_MREMAP:
		outbuf_puts(o, "mremap ");
		put_range(o, ev->mremap.old_addr, ev->mremap.old_len);
		outbuf_puts(o, " → ");
		put_range(o, ev->mremap.new_addr, ev->mremap.new_len);
		outbuf_putc(o, ' ');
		put_size(o, mapped_len(ev->mremap.new_addr, ev->mremap.new_len));
		break;
	case EV_MPROTECT:
		outbuf_puts(o, "mprotect ");
		put_range(o, ev->mprotect.addr, ev->mprotect.len);
		outbuf_putc(o, ' ');
		outbuf_puts(o, fmt_prot(b, ev->mprotect.prot));
		break;
	case EV_FAULT: {
		struct fault_site site;
		summary_locate_fault(&p->spaces, ev->pid, ev->fault.addr, &site);
		outbuf_puts(o, "fault ");
		outbuf_hex(o, ev->fault.addr);
		outbuf_puts(o, " in ");
		if (site.kind == FAULT_FILE && site.path)
			escape_term(o, site.path);
		else
			outbuf_puts(o, fault_kind_name(site.kind));
		outbuf_puts(o, " ip ");
		outbuf_hex(o, ev->fault.ip);
		break;
	}
	case EV_SCHED:
		outbuf_puts(o, "sched delay ");
		outbuf_puts(o, fmt_latency(b, ev->sched.delay_ns));
		outbuf_puts(o, " cpu ");
		outbuf_u64(o, ev->sched.cpu);
		if (ev->sched.preempted)
			outbuf_puts(o, " (preempted)");
		break;
	case EV_BLOCK:
		put_op_size(o, block_op(ev->block.write, ev->block.writeback), ev->block.bytes);
		outbuf_puts(o, " (");
		outbuf_puts(o, fmt_latency(b, ev->dur_ns));
		outbuf_putc(o, ')');
		if (p->o.verbose) {
			outbuf_puts(o, " dev ");
			outbuf_u64(o, ev->block.dev >> 20);
			outbuf_putc(o, ':');
			outbuf_u64(o, ev->block.dev & 0xfffff);
			outbuf_puts(o, " sector ");
			outbuf_u64(o, ev->block.sector);
		}
		if (ev->block.error) {
			outbuf_putc(o, ' ');
			outbuf_puts(o, fmt_errno(b, (uint32_t)ev->block.error));
		}
		break;
	case EV_HIST:
		outbuf_puts(o, "histogram ");
		outbuf_puts(o, hist_kind_name(ev->hist.kind));
		for (uint32_t i = 0; i < ev->hist.nbuckets && i < EVENT_MAX_HIST_BUCKETS &&
				     ev->hist.buckets; i++) {
			outbuf_putc(o, ' ');
			outbuf_u64(o, ev->hist.buckets[i]);
		}
		break;
	case EV_LOSS:
		outbuf_puts(o, "lost ");
		if (ev->loss.count) {
			outbuf_u64(o, ev->loss.count);
			outbuf_putc(o, ' ');
		}
		outbuf_puts(o, "events (");
		escape_term(o, ev->loss.source ? ev->loss.source : "?");
		if (ev->loss.reason) {
			outbuf_puts(o, ": ");
			escape_term(o, ev->loss.reason);
		}
		outbuf_putc(o, ')');
		break;
	case EV_NOTE:
		outbuf_puts(o, note_level_name(ev->note.level));
		outbuf_puts(o, ": ");
		escape_term(o, ev->note.text);
		break;
	case EV_SYSCALL: {
		const char *name = event_syscall_name(ev->sysno);
		if (name)
			outbuf_puts(o, name);
		else {
			outbuf_puts(o, "syscall_");
			outbuf_i64(o, ev->sysno);
		}
		outbuf_putc(o, '(');
		for (uint32_t i = 0; i < ev->syscall.nargs && i < EVENT_MAX_SYSCALL_ARGS; i++) {
			if (i)
				outbuf_puts(o, ", ");
			outbuf_puts(o, "0x");
			outbuf_hex(o, ev->syscall.args[i]);
		}
		outbuf_putc(o, ')');
		break;
	}
	default:
		outbuf_puts(o, event_kind_name(ev->kind));
		break;
	}
}

/* The syscall's result, for -v. */
static void put_result(struct outbuf *o, const struct event *ev)
{
	switch (ev->kind) {
	case EV_OPEN: outbuf_i64(o, ev->open.fd); break;
	case EV_DUP: outbuf_i64(o, ev->dup.new_fd); break;
	case EV_SOCKET: outbuf_i64(o, ev->socket.fd); break;
	case EV_ACCEPT: outbuf_i64(o, ev->accept.new_fd); break;
	case EV_IO: outbuf_i64(o, ev->io.bytes); break;
	case EV_TRANSFER: outbuf_i64(o, ev->transfer.bytes); break;
	case EV_SPAWN: outbuf_u64(o, ev->spawn.child_tid); break;
	case EV_SYSCALL: outbuf_i64(o, ev->syscall.ret); break;
	case EV_MMAP: outbuf_puts(o, "0x"); outbuf_hex(o, ev->mmap.addr); break;
	case EV_MREMAP: outbuf_puts(o, "0x"); outbuf_hex(o, ev->mremap.new_addr); break;
	case EV_BRK: outbuf_puts(o, "0x"); outbuf_hex(o, ev->brk.new_brk); break;
	default: outbuf_putc(o, '0'); break;
	}
}

static void print_event(struct printer *p, const struct event *ev)
{
	struct outbuf *o = p->out;
	const char *color = kind_color[ev->kind < EV__COUNT ? ev->kind : 0];
	if (ev->err && !(ev->kind == EV_CONNECT && ev->err == 115 /* EINPROGRESS */))
		color = PRINTER_RED;
	line_start(p, ev->ts_ns, ev->tid, color);
	body(p, ev);
	if ((ev->flags & EVENT_F_SEEDED) && ev->kind != EV_TASK)
		outbuf_puts(o, " (at attach)");
	if (p->o.verbose && ev->sysno >= 0) {
		char b[FMT_MAX];
		const char *name = event_syscall_name(ev->sysno);
		outbuf_puts(o, "  [");
		if (ev->kind != EV_SYSCALL) {
			outbuf_puts(o, name ? name : "?");
			outbuf_putc(o, ' ');
		}
		outbuf_puts(o, "= ");
		if (ev->err) {
			outbuf_puts(o, "-1 ");
			outbuf_puts(o, fmt_errno(b, ev->err));
		} else {
			put_result(o, ev);
		}
		outbuf_puts(o, ", ");
		outbuf_puts(o, fmt_latency(b, ev->dur_ns));
		outbuf_putc(o, ']');
	} else if (ev->err && ev->kind != EV_SYSCALL &&
		   !(ev->kind == EV_CONNECT && ev->err == 115)) {
		put_err(o, ev->err);
	}
	line_end(p);
}

static void fold_flush(struct printer *p);

/* Sets `multi` once a second task shows up; lines pending from before keep
 * their untagged form. */
static void track_tasks(struct printer *p, const struct event *ev)
{
	if (p->multi)
		return;
	bool second = false;
	if (ev->kind == EV_SPAWN && !ev->err) {
		second = true;
	} else if (!ev->tid) {
		return;
	} else if (!p->have_first) {
		p->have_first = true;
		p->first_tid = ev->tid;
	} else if (ev->tid != p->first_tid && !(ev->kind == EV_EXEC && ev->exec.old_tid)) {
		second = true;
	}
	if (second) {
		groups_flush(p);
		fold_flush(p);
		p->multi = true;
	}
}

/* ---- failed execs of a PATH search -------------------------------------- */

/* The errors on which execvp() goes on to the next PATH entry. */
static bool exec_search_error(uint32_t err)
{
	return err == 2 /* ENOENT */ || err == 20 /* ENOTDIR */ || err == 13 /* EACCES */ ||
	       err == 116 /* ESTALE */ || err == 40 /* ELOOP */ || err == 36 /* ENAMETOOLONG */;
}

static void exec_name(char *dst, size_t cap, const struct event *ev)
{
	const char *name = ev->exec.comm;
	if (!name && ev->exec.path) {
		name = strrchr(ev->exec.path, '/');
		name = name ? name + 1 : ev->exec.path;
	}
	snprintf(dst, cap, "%s", name ? name : "?");
}

/* Prints the held failures as one line: "─── foo exec ─── ENOENT ×9". */
static void exec_fail_flush(struct printer *p)
{
	struct exec_fail *x = &p->xf;
	if (!x->active)
		return;
	x->active = false;
	groups_flush(p);
	fold_flush(p);
	line_start(p, x->ts_ns, x->tid, PRINTER_RED);
	outbuf_puts(p->out, "─── ");
	escape_term(p->out, x->name);
	outbuf_puts(p->out, " exec ───");
	put_err(p->out, x->err);
	if (x->count > 1) {
		outbuf_puts(p->out, " ×");
		outbuf_u64(p->out, x->count);
	}
	line_end(p);
}

/*
 * Non-verbose: a failed exec that a PATH search may follow with another try
 * is held. The task's next event decides: a successful exec drops them (the
 * search succeeded: nothing went wrong), anything else prints them as one
 * line. Returns true when the event was taken.
 */
static bool exec_fail_hold(struct printer *p, const struct event *ev)
{
	struct exec_fail *x = &p->xf;
	if (reorder_late_kind(ev->kind))
		return false; /* faults during the execve itself decide nothing */
	if (x->active && ev->tid == x->tid) {
		if (ev->kind == EV_EXEC && !ev->err) {
			x->active = false;
			return false;
		}
		if (ev->kind == EV_EXEC && exec_search_error(ev->err)) {
			x->count++;
			x->err = ev->err;
			return true;
		}
		exec_fail_flush(p);
		return false;
	}
	if (ev->kind != EV_EXEC || !exec_search_error(ev->err))
		return false;
	exec_fail_flush(p);
	*x = (struct exec_fail){ .active = true, .ts_ns = ev->ts_ns, .tid = ev->tid, .count = 1,
				 .err = ev->err };
	exec_name(x->name, sizeof(x->name), ev);
	return true;
}

/* ---- one event, in time order ------------------------------------------- */

static void core_event(void *ctx, const struct event *ev)
{
	struct printer *p = ctx;
	summary_spaces_apply(&p->spaces, ev);
	track_tasks(p, ev);
	if (!shown(p, ev))
		return;
	if (ev->kind != EV_FAULT)
		group_flush_task(p, ev->tid, FOLD_FAULT);
	if (ev->kind != EV_BLOCK && ev->kind != EV_IO && ev->kind != EV_TRANSFER &&
	    ev->kind != EV_FAULT && ev->kind != EV_SCHED)
		group_flush_task(p, ev->tid, FOLD_BLOCK);
	if (!p->o.verbose) {
		if (exec_fail_hold(p, ev))
			return;
		bool taken = false;
		if (ev->kind == EV_IO) {
			taken = fold_io(p, ev);
		} else if (ev->kind == EV_FAULT) {
			struct fault_site site;
			summary_locate_fault(&p->spaces, ev->pid, ev->fault.addr, &site);
			if (!p->o.all && site.kind == FAULT_FILE && noise_path(site.path))
				return; /* the loader and shared libraries: noise */
			taken = fold_fault(p, ev, &site);
		} else if (ev->kind == EV_BLOCK) {
			taken = fold_block(p, ev);
		}
		if (taken)
			return;
	}
	fold_flush(p);
	print_event(p, ev);
}

/* ---- the sink ----------------------------------------------------------- */

static void pr_header(void *ctx, const struct rec_header *h)
{
	struct printer *p = ctx;
	struct outbuf *o = p->out;
	if (p->o.color)
		outbuf_puts(o, PRINTER_BOLD);
	if (h->mode == REC_MODE_ATTACH || !h->argc) {
		outbuf_puts(o, "compendium: attached to pid ");
		outbuf_u64(o, h->root_pid);
	} else {
		outbuf_puts(o, "compendium: tracing");
		for (uint32_t i = 0; i < h->argc && h->argv; i++) {
			outbuf_putc(o, ' ');
			escape_term(o, h->argv[i]);
		}
	}
	if (p->o.color)
		outbuf_puts(o, PRINTER_RESET);
	outbuf_end_line(o);
	if (h->root_pid) {
		p->have_first = true;
		p->first_tid = h->root_pid;
	}
	/* late sources on: put their events back in time order */
	bool late = false;
	for (uint32_t i = 0; i < h->nsources && i < REC_MAX_SOURCES; i++)
		late |= h->sources[i].active && h->sources[i].name &&
			(strstr(h->sources[i].name, "fault") || strstr(h->sources[i].name, "ebpf"));
	if (late && !p->order)
		p->order = reorder_new(core_event, p);
}

static void pr_event(void *ctx, const struct event *ev)
{
	struct printer *p = ctx;
	if (p->order)
		reorder_push(p->order, ev);
	else
		core_event(p, ev);
}

static void pr_end(void *ctx, const struct rec_integrity *in)
{
	(void)in;
	struct printer *p = ctx;
	if (p->order)
		reorder_drain(p->order);
	groups_flush(p);
	exec_fail_flush(p);
	fold_flush(p);
	outbuf_flush(p->out);
}

struct event_sink printer_sink(struct printer *p)
{
	return (struct event_sink){ .ctx = p, .header = pr_header, .event = pr_event,
				    .end = pr_end };
}

void printer_free(struct printer *p)
{
	if (!p)
		return;
	groups_flush(p);
	exec_fail_flush(p);
	fold_flush(p);
	reorder_free(p->order);
	summary_spaces_free(&p->spaces);
	free(p->fold.name);
	for (unsigned i = 0; i < PRINTER_GROUP_SLOTS; i++)
		free(p->ff[i].name);
	free(p);
}

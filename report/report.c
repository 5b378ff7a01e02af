/*
 * report.c - the HTML report sink (report.h).
 *
 * Events are packed as they arrive into one byte stream of varints written
 * in a 64-character alphabet that needs no escaping in JSON or HTML:
 *
 *   event = code lane dts dur [errno] field*
 *   code  = type * 2 + (failed ? 1 : 0)     type: index into types[] below
 *   lane  = index into the task table
 *   dts   = zigzag(ts - ts of the previous kept event), nanoseconds
 *   field = per type, in the order of types[].fields ("path:s,fd:i"):
 *           s string id + 1 (0: none), i zigzag signed, anything else
 *           unsigned (u number, x address, b bytes, t latency in ns, and
 *           codes looked up in a dictionary: e errno, g signal, o open
 *           flags, p prot, P protocol, K fd kind, y syscall)
 *   varint= 5 bits per character, least significant first; characters
 *           32..63 of the alphabet say "more follows".
 *
 * The page decodes the stream once into typed arrays (report.js). The
 * numbers people compare with the terminal (cards, file and peer totals) are
 * formatted here with replay/format.c; the page formats only per-event
 * sizes and latencies, with a port of fmt_bytes/fmt_latency that checks
 * itself against samples formatted here ("fmt_check") on load.
 */
#define _GNU_SOURCE
#include "util.h"
#include "report.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "html_escape.h"
#include "replay/format.h"
#include "replay/noise.h"
#include "replay/outbuf.h"
#include "replay/regions.h"
#include "replay/summary.h"
#include "report_assets.h"

#define REPORT_MAX_TASKS (1u << 16) /* lanes; later tasks share one lane */
#define MEM_SAMPLES 2048            /* points of the memory-over-time chart */
#define MAX_OFLAGS 256              /* distinct open flag values named */
#define MAX_ERRNO 4096
#define MAX_SYSNO 1024
#define HIST_BUCKETS 64
#define FILES_LISTED 2000           /* rows of the files and peers panels */
#define SPILL_BYTES (1u << 20)

/* ---- categories and types: the one colour table of the report ----------- */

enum rcat { RC_FILE, RC_NET, RC_MEM, RC_IO, RC_PROC, RC_FAULT, RC_SCHED, RC_BLOCK,
	    RC_OTHER, RC__COUNT };

/* Names equal `show --only` categories, so the words mean the same. */
static const struct {
	const char *name, *label, *color;
} cats[RC__COUNT] = {
	[RC_FILE] = { "file", "Files", "#3fb950" },
	[RC_NET] = { "net", "Network", "#39c5cf" },
	[RC_MEM] = { "mem", "Memory", "#d29922" },
	[RC_IO] = { "io", "I/O", "#58a6ff" },
	[RC_PROC] = { "proc", "Process", "#db61a2" },
	[RC_FAULT] = { "fault", "Page faults", "#8b949e" },
	[RC_SCHED] = { "sched", "Scheduler", "#ff9f43" },
	[RC_BLOCK] = { "block", "Block I/O", "#c0a080" },
	[RC_OTHER] = { "other", "Other", "#6e7681" },
};

enum rtype {
	RT_EXEC, RT_SPAWN, RT_THREAD, RT_EXIT, RT_SIGNAL, RT_TASK,
	RT_OPEN, RT_CLOSE, RT_DUP, RT_PIPE,
	RT_UNLINK, RT_RENAME, RT_MKDIR, RT_RMDIR, RT_TRUNCATE, RT_FTRUNCATE,
	RT_CHDIR, RT_FCHDIR, RT_LINK, RT_SYMLINK, RT_FILE_OP,
	RT_SOCKET, RT_CONNECT, RT_BIND, RT_LISTEN, RT_ACCEPT, RT_SEND, RT_RECV,
	RT_READ, RT_WRITE, RT_TRANSFER,
	RT_BRK, RT_MMAP, RT_MUNMAP, RT_MREMAP, RT_MPROTECT,
	RT_FAULT, RT_SCHED, RT_BLOCK_READ, RT_BLOCK_WRITE,
	RT_HIST, RT_LOSS, RT_NOTE, RT_SYSCALL,
	RT__COUNT
};

#define FILE_OP_FIELDS "path:s,path2:s,length:i,fd:i"
#define IO_FIELDS "path:s,bytes:b,fd:i,count:u,kind:K"
#define NET_IO_FIELDS "peer:s,bytes:b,fd:i,count:u,proto:P"

/* The first two `s` fields of a type are what the page's search looks at. */
static const struct {
	const char *name;
	uint8_t cat;
	const char *color;
	const char *fields;
} types[RT__COUNT] = {
	[RT_EXEC] = { "exec", RC_PROC, "#f778ba", "path:s,argv:s,comm:s" },
	[RT_SPAWN] = { "spawn", RC_PROC, "#db61a2", "child:u,child_pid:u" },
	[RT_THREAD] = { "thread", RC_PROC, "#e29bd0", "child:u,child_pid:u" },
	[RT_EXIT] = { "exit", RC_PROC, "#a04680", "code:i,signal:g,thread:u" },
	[RT_SIGNAL] = { "signal", RC_PROC, "#ff7b72", "signal:g,sender:u" },
	[RT_TASK] = { "task", RC_PROC, "#c297ff", "comm:s,thread:u" },
	[RT_OPEN] = { "open", RC_FILE, "#3fb950", "path:s,flags:o,fd:i,created:u" },
	[RT_CLOSE] = { "close", RC_FILE, "#238636", "path:s,fd:i" },
	[RT_DUP] = { "dup", RC_FILE, "#56d364", "path:s,fd:i,new_fd:i" },
	[RT_PIPE] = { "pipe", RC_FILE, "#7ee787", "read_fd:i,write_fd:i" },
	[RT_UNLINK] = { "unlink", RC_FILE, "#aff5b4", FILE_OP_FIELDS },
	[RT_RENAME] = { "rename", RC_FILE, "#9be9a8", FILE_OP_FIELDS },
	[RT_MKDIR] = { "mkdir", RC_FILE, "#8ddb8c", FILE_OP_FIELDS },
	[RT_RMDIR] = { "rmdir", RC_FILE, "#6fdd8b", FILE_OP_FIELDS },
	[RT_TRUNCATE] = { "truncate", RC_FILE, "#4ac26b", FILE_OP_FIELDS },
	[RT_FTRUNCATE] = { "ftruncate", RC_FILE, "#4ac26b", FILE_OP_FIELDS },
	[RT_CHDIR] = { "chdir", RC_FILE, "#2ea043", FILE_OP_FIELDS },
	[RT_FCHDIR] = { "fchdir", RC_FILE, "#2ea043", FILE_OP_FIELDS },
	[RT_LINK] = { "link", RC_FILE, "#7ee787", FILE_OP_FIELDS },
	[RT_SYMLINK] = { "symlink", RC_FILE, "#7ee787", FILE_OP_FIELDS },
	[RT_FILE_OP] = { "file_op", RC_FILE, "#7ee787", FILE_OP_FIELDS },
	[RT_SOCKET] = { "socket", RC_NET, "#76e3ea", "proto:P,fd:i" },
	[RT_CONNECT] = { "connect", RC_NET, "#39c5cf", "addr:s,proto:P,fd:i" },
	[RT_BIND] = { "bind", RC_NET, "#56d4dd", "addr:s,proto:P,fd:i" },
	[RT_LISTEN] = { "listen", RC_NET, "#3bb8c3", "addr:s,proto:P,fd:i" },
	[RT_ACCEPT] = { "accept", RC_NET, "#1b9aaa", "peer:s,local:s,proto:P,new_fd:i" },
	[RT_SEND] = { "send", RC_NET, "#00c2ff", NET_IO_FIELDS },
	[RT_RECV] = { "recv", RC_NET, "#7ad7ff", NET_IO_FIELDS },
	[RT_READ] = { "read", RC_IO, "#79b8ff", IO_FIELDS },
	[RT_WRITE] = { "write", RC_IO, "#2f6fed", IO_FIELDS },
	[RT_TRANSFER] = { "transfer", RC_IO, "#a5b4fc", "src:s,dst:s,bytes:b" },
	[RT_BRK] = { "brk", RC_MEM, "#d29922", "brk:x,delta:i" },
	[RT_MMAP] = { "mmap", RC_MEM, "#e3b341", "path:s,addr:x,len:b,prot:p" },
	[RT_MUNMAP] = { "munmap", RC_MEM, "#9e6a03", "addr:x,len:b" },
	[RT_MREMAP] = { "mremap", RC_MEM, "#f2cc60", "addr:x,len:b,new_addr:x,new_len:b" },
	[RT_MPROTECT] = { "mprotect", RC_MEM, "#bb8009", "addr:x,len:b,prot:p" },
	[RT_FAULT] = { "fault", RC_FAULT, "#8b949e", "addr:x,ip:x" },
	[RT_SCHED] = { "sched", RC_SCHED, "#ff9f43", "delay:t,cpu:u,preempted:u" },
	[RT_BLOCK_READ] = { "block_read", RC_BLOCK, "#d8b890", "bytes:b,sector:u,dev:u,error:i" },
	[RT_BLOCK_WRITE] = { "block_write", RC_BLOCK, "#a07850", "bytes:b,sector:u,dev:u,error:i" },
	[RT_HIST] = { "hist", RC_OTHER, "#6e7681", "kind:u" },
	[RT_LOSS] = { "loss", RC_OTHER, "#f85149", "source:s,reason:s,count:u" },
	[RT_NOTE] = { "note", RC_OTHER, "#e3b341", "text:s,level:u" },
	[RT_SYSCALL] = { "syscall", RC_OTHER, "#6e7681", "syscall:y,ret:i" },
};

/* ---- state -------------------------------------------------------------- */

struct rtask {
	uint32_t tid, pid;
	int32_t parent;    /* task index of the spawner, -1 when unknown */
	uint32_t name;     /* string id + 1 */
	bool thread, exited;
	int32_t exit_code;
	uint32_t exit_signal;
	uint64_t first_ts, last_ts, events;
};

struct msample {
	uint64_t ts, heap, mapped;
};

struct report {
	FILE *out;
	uint64_t max_events;
	struct summary *sum;

	struct outbuf ev;           /* the packed kept events */
	uint64_t kept, dropped;
	uint64_t prev_ts;
	uint64_t first_drop_ts;
	uint64_t dropped_cat[RC__COUNT];

	/* string table: strings back to back in `arena`, NUL-terminated */
	char *arena;
	size_t alen, acap;
	struct sref {
		uint32_t off, len;
	} *sref;
	uint32_t nstr, scap;
	uint32_t *shash, shcap;     /* id + 1, open addressing */
	uint64_t strings_cut;       /* strings longer than REPORT_MAX_STRING */
	uint64_t strings_lost;      /* strings past REPORT_MAX_STRTAB */

	struct rtask *tasks;
	uint32_t ntasks, tcap;
	uint32_t *thash, thcap;     /* tid -> task index + 1 (latest task) */
	int32_t overflow_task;

	uint8_t seen_err[MAX_ERRNO / 8], seen_sys[MAX_SYSNO / 8];
	uint32_t oflags[MAX_OFLAGS];
	uint32_t noflags;

	struct msample ms[MEM_SAMPLES];
	uint32_t nms;
	uint64_t ms_gap;
	bool ms_pending;            /* memory changed since the last sample */
	struct msample ms_peak;     /* the highest point since the last sample */

	uint64_t hist[2][HIST_BUCKETS];     /* from sched / block events */
	uint64_t hist_ev[2][HIST_BUCKETS];  /* from hist events, in ns buckets */
	bool hist_seen[2];

	char *hostname, *kernel, *tool_version;
	uint64_t start_wall_ns;
	bool failed;                /* ENOMEM on the way: the page says so */
};

/* ---- small helpers ------------------------------------------------------ */


static const char alphabet[] =
	"0123456789abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZwxyz-_";

static void put_varint(struct outbuf *o, uint64_t v)
{
	char *p = outbuf_space(o, 13);
	size_t n = 0;
	while (v >= 32) {
		p[n++] = alphabet[32 | (v & 31)];
		v >>= 5;
	}
	p[n++] = alphabet[v];
	outbuf_commit(o, n);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void put_signed(struct outbuf *o, int64_t v)
{
	put_varint(o, zigzag(v));
}

/* ---- strings ------------------------------------------------------------ */

static int strtab_rehash(struct report *r)
{
	uint32_t cap = r->shcap ? r->shcap * 2 : 1024;
	uint32_t *h = calloc(cap, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (uint32_t id = 0; id < r->nstr; id++) {
		uint32_t i = (uint32_t)util_hash(r->arena + r->sref[id].off, r->sref[id].len, 0) &
			     (cap - 1);
		while (h[i])
			i = (i + 1) & (cap - 1);
		h[i] = id + 1;
	}
	free(r->shash);
	r->shash = h;
	r->shcap = cap;
	return 0;
}

/* The string's id + 1, 0 for NULL (or when it cannot be kept). */
static uint32_t intern(struct report *r, const char *s)
{
	if (!s)
		return 0;
	size_t n = strnlen(s, REPORT_MAX_STRING + 1);
	if (n > REPORT_MAX_STRING) {
		n = REPORT_MAX_STRING;
		r->strings_cut++;
	}
	if ((r->nstr + 1) * 2 > r->shcap && strtab_rehash(r) < 0) {
		r->failed = true;
		return 0;
	}
	uint32_t m = r->shcap - 1, i = (uint32_t)util_hash(s, n, 0) & m;
	for (; r->shash[i]; i = (i + 1) & m) {
		uint32_t id = r->shash[i] - 1;
		if (r->sref[id].len == n && memcmp(r->arena + r->sref[id].off, s, n) == 0)
			return id + 1;
	}
	if (r->alen + n + 1 > REPORT_MAX_STRTAB) {
		r->strings_lost++;
		return 0;
	}
	if (r->alen + n + 1 > r->acap) {
		size_t c = r->acap ? r->acap : 1 << 16;
		while (c < r->alen + n + 1)
			c *= 2;
		char *a = realloc(r->arena, c);
		if (!a) {
			r->failed = true;
			return 0;
		}
		r->arena = a;
		r->acap = c;
	}
	struct sref *ref = util_grow(r->sref, &r->scap, r->nstr + 1, sizeof(*ref));
	if (!ref) {
		r->failed = true;
		return 0;
	}
	r->sref = ref;
	memcpy(r->arena + r->alen, s, n);
	r->arena[r->alen + n] = 0;
	r->sref[r->nstr] = (struct sref){ (uint32_t)r->alen, (uint32_t)n };
	r->alen += n + 1;
	r->shash[i] = ++r->nstr;
	return r->nstr;
}

static const char *basename_of(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s && s[1] ? s + 1 : p;
}

/* ---- tasks (lanes) ------------------------------------------------------ */

static int task_rehash(struct report *r)
{
	uint32_t cap = r->thcap ? r->thcap * 2 : 256;
	uint32_t *h = calloc(cap, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (uint32_t t = 0; t < r->ntasks; t++) {
		uint32_t i = (r->tasks[t].tid * 2654435761u) & (cap - 1);
		while (h[i] && r->tasks[h[i] - 1].tid != r->tasks[t].tid)
			i = (i + 1) & (cap - 1);
		h[i] = t + 1; /* later tasks with the same tid win */
	}
	free(r->thash);
	r->thash = h;
	r->thcap = cap;
	return 0;
}

static uint32_t *task_slot(struct report *r, uint32_t tid)
{
	uint32_t m = r->thcap - 1, i = (tid * 2654435761u) & m;
	while (r->thash[i] && r->tasks[r->thash[i] - 1].tid != tid)
		i = (i + 1) & m;
	return &r->thash[i];
}

static int32_t task_find(struct report *r, uint32_t tid)
{
	if (!r->thcap)
		return -1;
	uint32_t v = *task_slot(r, tid);
	return v ? (int32_t)v - 1 : -1;
}

static int32_t task_add(struct report *r, uint32_t tid, uint32_t pid, int32_t parent,
			bool thread, uint32_t name, uint64_t ts)
{
	if (r->ntasks >= REPORT_MAX_TASKS) {
		if (r->overflow_task < 0)
			return 0;
		return r->overflow_task;
	}
	if ((r->ntasks + 1) * 2 > r->thcap && task_rehash(r) < 0)
		goto oom;
	struct rtask *t = util_grow(r->tasks, &r->tcap, r->ntasks + 1, sizeof(*t));
	if (!t)
		goto oom;
	r->tasks = t;
	uint32_t idx = r->ntasks++;
	r->tasks[idx] = (struct rtask){ .tid = tid, .pid = pid, .parent = parent,
					.name = name, .thread = thread, .first_ts = ts,
					.last_ts = ts };
	*task_slot(r, tid) = idx + 1;
	if (r->ntasks == REPORT_MAX_TASKS) {
		/* the last lane collects every later task */
		r->tasks[idx].name = intern(r, "(more tasks)");
		r->overflow_task = (int32_t)idx;
	}
	return (int32_t)idx;
oom:
	r->failed = true;
	return r->ntasks ? 0 : -1;
}

/* The lane of an event's task, created on first sight. */
static int32_t task_of(struct report *r, const struct event *ev)
{
	int32_t t = task_find(r, ev->tid);
	if (t < 0) {
		/* a task we did not see start: name it after its process */
		int32_t leader = ev->tid != ev->pid ? task_find(r, ev->pid) : -1;
		uint32_t name = leader >= 0 ? r->tasks[leader].name : 0;
		t = task_add(r, ev->tid, ev->pid, leader, ev->tid != ev->pid, name, ev->ts_ns);
	}
	return t;
}

static void tasks_update(struct report *r, const struct event *ev, int32_t t)
{
	if (t < 0)
		return;
	struct rtask *k = &r->tasks[t];
	if (ev->ts_ns < k->first_ts)
		k->first_ts = ev->ts_ns;
	if (ev->ts_ns > k->last_ts)
		k->last_ts = ev->ts_ns;
	k->events++;
	switch (ev->kind) {
	case EV_SPAWN: {
		if (ev->err)
			break;
		int32_t c = task_find(r, ev->spawn.child_tid);
		bool thread = ev->spawn.kind == SPAWN_THREAD;
		if (c < 0 || r->tasks[c].exited) {
			task_add(r, ev->spawn.child_tid, ev->spawn.child_pid, t, thread, k->name,
				 ev->ts_ns);
		} else if (r->tasks[c].parent < 0 || r->tasks[c].parent == c) {
			/* the child's first event came before the spawn: adopt it */
			struct rtask *ch = &r->tasks[c];
			ch->parent = t;
			ch->thread = thread;
			if (!ch->name)
				ch->name = k->name;
		}
		break;
	}
	case EV_EXEC:
		if (ev->err)
			break;
		if (ev->exec.comm && *ev->exec.comm)
			k->name = intern(r, ev->exec.comm);
		else if (ev->exec.path)
			k->name = intern(r, basename_of(ev->exec.path));
		break;
	case EV_TASK:
		if (ev->task.comm)
			k->name = intern(r, ev->task.comm);
		k->thread = ev->task.thread;
		break;
	case EV_EXIT:
		k->exited = true;
		k->exit_code = ev->exit.code;
		k->exit_signal = ev->exit.signal;
		break;
	default:
		break;
	}
}

/* ---- memory over time and histograms ------------------------------------ */

/*
 * The chart keeps at most MEM_SAMPLES points: one per ms_gap of time, each
 * the highest point (heap + mapped) of its window, so a spike shorter than
 * the gap still shows, at its height. When full, neighbours merge into the
 * higher of the two and the gap doubles.
 */
static uint64_t msample_total(const struct msample *m)
{
	return m->heap + m->mapped;
}

static struct msample mem_now(const struct report *r, uint64_t ts)
{
	const struct summary *s = r->sum;
	uint64_t heap = s->live_heap;

	return (struct msample){ ts, heap, s->live_total > heap ? s->live_total - heap : 0 };
}

static void mem_sample(struct report *r)
{
	if (r->nms == MEM_SAMPLES) {
		for (uint32_t i = 0; i < MEM_SAMPLES / 2; i++) {
			const struct msample *a = &r->ms[2 * i], *b = &r->ms[2 * i + 1];
			r->ms[i] = msample_total(a) > msample_total(b) ? *a : *b;
		}
		r->nms = MEM_SAMPLES / 2;
		uint64_t span = r->ms[r->nms - 1].ts - r->ms[0].ts;
		r->ms_gap = span / (MEM_SAMPLES / 2) + 1;
	}
	r->ms[r->nms++] = r->ms_peak;
	r->ms_pending = false;
}

static void mem_event(struct report *r, const struct event *ev)
{
	bool mem = false;
	switch (ev->kind) {
	case EV_BRK: case EV_MMAP: case EV_MUNMAP: case EV_MREMAP:
	case EV_EXEC:
		mem = !ev->err;
		break;
	case EV_EXIT:
		mem = !ev->exit.thread;
		break;
	default:
		break;
	}
	if (mem) {
		struct msample now = mem_now(r, ev->ts_ns);

		if (!r->ms_pending || msample_total(&now) > msample_total(&r->ms_peak))
			r->ms_peak = now;
		r->ms_pending = true;
	}
	if (r->ms_pending && (!r->nms || ev->ts_ns >= r->ms[r->nms - 1].ts + r->ms_gap))
		mem_sample(r);
}

static unsigned log2_bucket(uint64_t v)
{
	unsigned b = 0;
	while (v > 1 && b + 1 < HIST_BUCKETS) {
		v >>= 1;
		b++;
	}
	return b;
}

static void hist_event(struct report *r, const struct event *ev)
{
	if (ev->kind == EV_SCHED) {
		r->hist[HIST_SCHED][log2_bucket(ev->sched.delay_ns)]++;
	} else if (ev->kind == EV_BLOCK) {
		r->hist[HIST_BLOCK][log2_bucket(ev->dur_ns)]++;
	} else if (ev->kind == EV_HIST && ev->hist.kind < HIST__COUNT && ev->hist.buckets) {
		/* microsecond buckets are ~10 binary orders above nanosecond ones */
		unsigned shift = ev->hist.unit && !strcmp(ev->hist.unit, "us") ? 10 : 0;
		for (uint32_t i = 0; i < ev->hist.nbuckets && i < EVENT_MAX_HIST_BUCKETS; i++) {
			unsigned b = i + shift < HIST_BUCKETS ? i + shift : HIST_BUCKETS - 1;
			r->hist_ev[ev->hist.kind][b] += ev->hist.buckets[i];
		}
		r->hist_seen[ev->hist.kind] = true;
	}
}

/* ---- packing an event ---------------------------------------------------- */

static enum rtype type_of(const struct event *ev)
{
	switch (ev->kind) {
	case EV_EXEC: return RT_EXEC;
	case EV_SPAWN: return ev->spawn.kind == SPAWN_THREAD ? RT_THREAD : RT_SPAWN;
	case EV_EXIT: return RT_EXIT;
	case EV_SIGNAL: return RT_SIGNAL;
	case EV_TASK: return RT_TASK;
	case EV_OPEN: return RT_OPEN;
	case EV_CLOSE: return RT_CLOSE;
	case EV_DUP: return RT_DUP;
	case EV_PIPE: return RT_PIPE;
	case EV_FILE_OP:
		if (ev->file_op.op >= FOP_UNLINK && ev->file_op.op <= FOP_SYMLINK)
			return (enum rtype)(RT_UNLINK + (ev->file_op.op - FOP_UNLINK));
		return RT_FILE_OP;
	case EV_SOCKET: return RT_SOCKET;
	case EV_CONNECT: return RT_CONNECT;
	case EV_BIND: return RT_BIND;
	case EV_LISTEN: return RT_LISTEN;
	case EV_ACCEPT: return RT_ACCEPT;
	case EV_IO:
		if (ev->io.fd.kind == FD_SOCKET)
			return ev->io.op == IO_WRITE || ev->io.op == IO_SEND ? RT_SEND : RT_RECV;
		return ev->io.op == IO_WRITE || ev->io.op == IO_SEND ? RT_WRITE : RT_READ;
	case EV_TRANSFER: return RT_TRANSFER;
	case EV_BRK: return RT_BRK;
	case EV_MMAP: return RT_MMAP;
	case EV_MUNMAP: return RT_MUNMAP;
	case EV_MREMAP: return RT_MREMAP;
	case EV_MPROTECT: return RT_MPROTECT;
	case EV_FAULT: return RT_FAULT;
	case EV_SCHED: return RT_SCHED;
	case EV_BLOCK: return ev->block.write ? RT_BLOCK_WRITE : RT_BLOCK_READ;
	case EV_HIST: return RT_HIST;
	case EV_LOSS: return RT_LOSS;
	case EV_NOTE: return RT_NOTE;
	default: return RT_SYSCALL;
	}
}

static uint32_t oflags_code(struct report *r, uint32_t flags)
{
	for (uint32_t i = 0; i < r->noflags; i++)
		if (r->oflags[i] == flags)
			return i;
	if (r->noflags < MAX_OFLAGS) {
		r->oflags[r->noflags] = flags;
		return r->noflags++;
	}
	return MAX_OFLAGS; /* unnamed: the page shows "flags ?" */
}

static void put_str(struct report *r, const char *s)
{
	put_varint(&r->ev, intern(r, s));
}

static void put_fd_io(struct report *r, const struct event *ev)
{
	const struct ev_io *io = &ev->io;
	bool sock = io->fd.kind == FD_SOCKET;
	put_str(r, sock && io->addr ? io->addr : io->fd.name);
	put_varint(&r->ev, io->bytes > 0 ? (uint64_t)io->bytes : 0);
	put_signed(&r->ev, io->fd.fd);
	put_varint(&r->ev, io->count);
	put_varint(&r->ev, sock ? io->fd.proto : io->fd.kind);
}

static void pack_fields(struct report *r, const struct event *ev, enum rtype t)
{
	struct outbuf *o = &r->ev;
	switch (ev->kind) {
	case EV_EXEC: {
		put_str(r, ev->exec.path);
		/* argv as one display string: words joined by spaces */
		struct outbuf a;
		if (ev->exec.argc && ev->exec.argv && outbuf_init_mem(&a) == 0) {
			/* intern() keeps REPORT_MAX_STRING bytes: join no more than
			 * that (256 arguments of 64 KiB would be 16 MiB an event) */
			for (uint32_t i = 0; i < ev->exec.argc && i < EVENT_MAX_ARGV &&
					     a.len <= REPORT_MAX_STRING; i++) {
				if (i)
					outbuf_putc(&a, ' ');
				if (ev->exec.argv[i])
					outbuf_write(&a, ev->exec.argv[i],
						     strnlen(ev->exec.argv[i], REPORT_MAX_STRING + 1));
			}
			a.buf[a.len] = 0;
			put_str(r, a.buf);
			outbuf_free(&a);
		} else {
			put_varint(o, 0);
		}
		put_str(r, ev->exec.comm);
		break;
	}
	case EV_SPAWN:
		put_varint(o, ev->spawn.child_tid);
		put_varint(o, ev->spawn.child_pid);
		break;
	case EV_EXIT:
		put_signed(o, ev->exit.code);
		put_varint(o, ev->exit.signal);
		put_varint(o, ev->exit.thread);
		break;
	case EV_SIGNAL:
		put_varint(o, ev->signal.signo);
		put_varint(o, ev->signal.sender_pid);
		break;
	case EV_TASK:
		put_str(r, ev->task.comm);
		put_varint(o, ev->task.thread);
		break;
	case EV_OPEN:
		put_str(r, ev->open.path);
		put_varint(o, oflags_code(r, ev->open.flags));
		put_signed(o, ev->open.fd);
		put_varint(o, ev->open.created);
		break;
	case EV_CLOSE:
		put_str(r, ev->close.fd.name);
		put_signed(o, ev->close.fd.fd);
		break;
	case EV_DUP:
		put_str(r, ev->dup.old_fd.name);
		put_signed(o, ev->dup.old_fd.fd);
		put_signed(o, ev->dup.new_fd);
		break;
	case EV_PIPE:
		put_signed(o, ev->pipe.read_fd);
		put_signed(o, ev->pipe.write_fd);
		break;
	case EV_FILE_OP:
		put_str(r, ev->file_op.path);
		put_str(r, ev->file_op.path2);
		put_signed(o, ev->file_op.length);
		put_signed(o, ev->file_op.fd);
		break;
	case EV_SOCKET:
		put_varint(o, ev->socket.proto);
		put_signed(o, ev->socket.fd);
		break;
	case EV_CONNECT:
	case EV_BIND: {
		const struct ev_addr *a = ev->kind == EV_CONNECT ? &ev->connect : &ev->bind;
		put_str(r, a->addr);
		put_varint(o, a->proto);
		put_signed(o, a->fd);
		break;
	}
	case EV_LISTEN:
		put_str(r, ev->listen.addr);
		put_varint(o, ev->listen.proto);
		put_signed(o, ev->listen.fd);
		break;
	case EV_ACCEPT:
		put_str(r, ev->accept.peer_addr);
		put_str(r, ev->accept.local_addr);
		put_varint(o, ev->accept.proto);
		put_signed(o, ev->accept.new_fd);
		break;
	case EV_IO:
		put_fd_io(r, ev);
		break;
	case EV_TRANSFER:
		put_str(r, ev->transfer.src.name);
		put_str(r, ev->transfer.dst.name);
		put_varint(o, ev->transfer.bytes > 0 ? (uint64_t)ev->transfer.bytes : 0);
		break;
	case EV_BRK:
		put_varint(o, ev->brk.new_brk);
		/* old_brk 0: the first call of an address space (unknown start) */
		put_signed(o, ev->brk.old_brk ? (int64_t)(ev->brk.new_brk - ev->brk.old_brk) : 0);
		break;
	case EV_MMAP:
		put_str(r, ev->mmap.path);
		put_varint(o, ev->mmap.addr);
		put_varint(o, regions_page_end(ev->mmap.addr, ev->mmap.len) - ev->mmap.addr); /* whole pages, as mapped */
		put_varint(o, ev->mmap.prot & 7);
		break;
	case EV_MUNMAP:
		put_varint(o, ev->munmap.addr);
		put_varint(o, regions_page_end(ev->munmap.addr, ev->munmap.len) - ev->munmap.addr); /* whole pages, as mapped */
		break;
	case EV_MREMAP:
		put_varint(o, ev->mremap.old_addr);
		put_varint(o, regions_page_end(ev->mremap.old_addr, ev->mremap.old_len) - ev->mremap.old_addr); /* whole pages, as mapped */
		put_varint(o, ev->mremap.new_addr);
		put_varint(o, regions_page_end(ev->mremap.new_addr, ev->mremap.new_len) - ev->mremap.new_addr); /* whole pages, as mapped */
		break;
	case EV_MPROTECT:
		put_varint(o, ev->mprotect.addr);
		put_varint(o, regions_page_end(ev->mprotect.addr, ev->mprotect.len) - ev->mprotect.addr); /* whole pages, as mapped */
		put_varint(o, ev->mprotect.prot & 7);
		break;
	case EV_FAULT:
		put_varint(o, ev->fault.addr);
		put_varint(o, ev->fault.ip);
		break;
	case EV_SCHED:
		put_varint(o, ev->sched.delay_ns);
		put_varint(o, ev->sched.cpu);
		put_varint(o, ev->sched.preempted);
		break;
	case EV_BLOCK:
		put_varint(o, ev->block.bytes);
		put_varint(o, ev->block.sector);
		put_varint(o, ev->block.dev);
		put_signed(o, ev->block.error);
		break;
	case EV_HIST:
		put_varint(o, ev->hist.kind);
		break;
	case EV_LOSS:
		put_str(r, ev->loss.source);
		put_str(r, ev->loss.reason);
		put_varint(o, ev->loss.count);
		break;
	case EV_NOTE:
		put_str(r, ev->note.text);
		put_varint(o, ev->note.level);
		break;
	default:
		put_varint(o, ev->sysno >= 0 && ev->sysno < MAX_SYSNO ? (uint64_t)ev->sysno : 0);
		put_signed(o, ev->kind == EV_SYSCALL ? ev->syscall.ret : 0);
		break;
	}
	(void)t;
}

static void pack_event(struct report *r, const struct event *ev, int32_t lane)
{
	enum rtype t = type_of(ev);
	struct outbuf *o = &r->ev;
	put_varint(o, (uint64_t)t * 2 + (ev->err ? 1 : 0));
	put_varint(o, lane < 0 ? 0 : (uint64_t)lane);
	put_signed(o, (int64_t)(ev->ts_ns - r->prev_ts));
	r->prev_ts = ev->ts_ns;
	put_varint(o, ev->dur_ns);
	if (ev->err) {
		put_varint(o, ev->err);
		if (ev->err < MAX_ERRNO)
			r->seen_err[ev->err / 8] |= (uint8_t)(1u << (ev->err % 8));
	}
	if (ev->sysno >= 0 && ev->sysno < MAX_SYSNO)
		r->seen_sys[ev->sysno / 8] |= (uint8_t)(1u << (ev->sysno % 8));
	pack_fields(r, ev, t);
	if (o->err)
		r->failed = true;
}

/* ---- the sink ----------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? strndup(s, REPORT_MAX_STRING) : NULL;
}

static void on_header(void *ctx, const struct rec_header *h)
{
	struct report *r = ctx;
	summary_add_header(r->sum, h);
	free(r->hostname);
	free(r->kernel);
	free(r->tool_version);
	r->hostname = dup_or_null(h->hostname);
	r->kernel = dup_or_null(h->kernel_release);
	r->tool_version = dup_or_null(h->tool_version);
	r->start_wall_ns = h->start_wall_ns;
	if (h->root_pid && task_find(r, h->root_pid) < 0) {
		const char *name = h->argc && h->argv[0] ? basename_of(h->argv[0]) : NULL;
		task_add(r, h->root_pid, h->root_pid, -1, false, intern(r, name), 0);
	}
}

static void on_event(void *ctx, const struct event *ev)
{
	struct report *r = ctx;
	summary_add_event(r->sum, ev);
	int32_t lane = task_of(r, ev);
	tasks_update(r, ev, lane);
	mem_event(r, ev);
	hist_event(r, ev);
	if (r->kept < r->max_events) {
		pack_event(r, ev, lane);
		r->kept++;
		return;
	}
	if (!r->dropped)
		r->first_drop_ts = ev->ts_ns;
	r->dropped++;
	r->dropped_cat[types[type_of(ev)].cat]++;
}

static void on_trailer(void *ctx, const struct rec_trailer *t)
{
	struct report *r = ctx;
	summary_add_trailer(r->sum, t);
}

static void on_end(void *ctx, const struct rec_integrity *in)
{
	struct report *r = ctx;
	summary_add_end(r->sum, in);
}

struct event_sink report_sink(struct report *r)
{
	return (struct event_sink){ .ctx = r, .header = on_header, .event = on_event,
				    .trailer = on_trailer, .end = on_end };
}

struct report *report_new(FILE *out, uint64_t max_events)
{
	struct report *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->out = out;
	r->max_events = max_events ? max_events : REPORT_DEFAULT_MAX_EVENTS;
	r->overflow_task = -1;
	r->sum = summary_new();
	if (!r->sum || outbuf_init_mem(&r->ev) < 0) {
		summary_free(r->sum);
		free(r);
		return NULL;
	}
	return r;
}

const struct summary *report_summary(const struct report *r)
{
	return r->sum;
}

uint64_t report_kept(const struct report *r)
{
	return r->kept;
}

uint64_t report_dropped(const struct report *r)
{
	return r->dropped;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	summary_free(r->sum);
	outbuf_free(&r->ev);
	free(r->arena);
	free(r->sref);
	free(r->shash);
	free(r->tasks);
	free(r->thash);
	free(r->hostname);
	free(r->kernel);
	free(r->tool_version);
	free(r);
}

/* ---- writing the page ---------------------------------------------------- */

struct page {
	struct report *r;
	struct outbuf o;
	int err;
};

static void spill(struct page *p)
{
	if (p->o.len && fwrite(p->o.buf, 1, p->o.len, p->r->out) != p->o.len && !p->err)
		p->err = errno ? -errno : -EIO;
	outbuf_reset(&p->o);
}

static void maybe_spill(struct page *p)
{
	if (p->o.len >= SPILL_BYTES)
		spill(p);
}

static void key(struct outbuf *o, const char *k)
{
	outbuf_putc(o, '"');
	outbuf_puts(o, k);
	outbuf_puts(o, "\":");
}

static void jstr(struct outbuf *o, const char *s)
{
	html_json_string(o, s);
}

/* A card row: [label, value, note]; note may be NULL. */
static void row(struct outbuf *o, bool *first, const char *label, const char *value,
		const char *note)
{
	if (!*first)
		outbuf_putc(o, ',');
	*first = false;
	outbuf_putc(o, '[');
	jstr(o, label);
	outbuf_putc(o, ',');
	jstr(o, value);
	outbuf_putc(o, ',');
	jstr(o, note ? note : "");
	outbuf_putc(o, ']');
}

static void card_start(struct outbuf *o, bool *first_card, const char *title, const char *cls)
{
	if (!*first_card)
		outbuf_putc(o, ',');
	*first_card = false;
	outbuf_puts(o, "{\"title\":");
	jstr(o, title);
	outbuf_puts(o, ",\"cls\":");
	jstr(o, cls);
	outbuf_puts(o, ",\"rows\":[");
}

#define NOTE_MAX (FMT_MAX * 2) /* a card value or note: a formatted number and words */

static const char *peak_note(char *buf, uint64_t now, uint64_t peak)
{
	char a[FMT_MAX], b[FMT_MAX];
	fmt_bytes(a, now);
	fmt_bytes(b, peak);
	if (peak <= now || !strcmp(a, b))
		return NULL;
	snprintf(buf, NOTE_MAX, "peak %s", b);
	return buf;
}

static void cards(struct page *p)
{
	const struct summary *s = p->r->sum;
	struct outbuf *o = &p->o;
	char a[NOTE_MAX], b[NOTE_MAX], c[NOTE_MAX], n[NOTE_MAX];
	bool fc = true, fr;

	card_start(o, &fc, "Memory", "mem");
	fr = true;
	row(o, &fr, "Heap", fmt_bytes(a, s->heap), peak_note(n, s->heap, s->heap_peak));
	/* the FINAL block's words: "(50 regions, peak 23.9 MB)" */
	char m[NOTE_MAX * 2];
	snprintf(m, sizeof(m), "%u region%s%s%s", s->regions, s->regions == 1 ? "" : "s",
		 peak_note(n, s->mmap, s->mmap_peak) ? ", " : "",
		 peak_note(n, s->mmap, s->mmap_peak) ? n : "");
	row(o, &fr, "Mmap", fmt_bytes(a, s->mmap), m);
	row(o, &fr, "Total", fmt_bytes(a, s->heap + s->mmap),
	    peak_note(n, s->heap + s->mmap, s->total_peak));
	outbuf_puts(o, "]}");

	card_start(o, &fc, "File I/O", "io");
	fr = true;
	row(o, &fr, "Files read", fmt_bytes(a, s->file_read), NULL);
	row(o, &fr, "Files written", fmt_bytes(a, s->file_written), NULL);
	if (s->other_read || s->other_written) {
		row(o, &fr, "Other read", fmt_bytes(a, s->other_read), "pipes, ttys, devices");
		row(o, &fr, "Other written", fmt_bytes(a, s->other_written), NULL);
	}
	outbuf_puts(o, "]}");

	uint32_t peers = 0, peers_all = s->npeers;
	for (uint32_t i = 0; i < s->npeers; i++)
		peers += !noise_addr(s->peers[i].addr);
	card_start(o, &fc, "Network", "net");
	fr = true;
	row(o, &fr, "Net sent", fmt_bytes(a, s->net_sent), NULL);
	row(o, &fr, "Net received", fmt_bytes(a, s->net_received), NULL);
	snprintf(a, sizeof(a), "%u", peers);
	snprintf(b, sizeof(b), "%u with localhost", peers_all);
	row(o, &fr, "Connections", a, peers_all != peers ? b : NULL);
	outbuf_puts(o, "]}");

	uint32_t fread_ = 0, fwrite_ = 0;
	for (uint32_t i = 0; i < s->nfiles; i++) {
		if (noise_path(s->files[i].path))
			continue;
		fread_ += s->files[i].opens_read > 0;
		fwrite_ += s->files[i].opens_write > 0;
	}
	card_start(o, &fc, "Files", "file");
	fr = true;
	snprintf(a, sizeof(a), "%u", fread_);
	row(o, &fr, "Opened for read", a, NULL);
	snprintf(a, sizeof(a), "%u", fwrite_);
	row(o, &fr, "Opened for write", a, NULL);
	snprintf(a, sizeof(a), "%u", s->failed_opens);
	row(o, &fr, "Failed opens", a, NULL);
	outbuf_puts(o, "]}");

	card_start(o, &fc, "Process", "proc");
	fr = true;
	if (s->has_trailer && s->end_reason == REC_END_DETACHED)
		snprintf(a, sizeof(a), "still running (detached)");
	else if (!s->root_exited)
		snprintf(a, sizeof(a), "unknown");
	else if (s->exit_signal)
		snprintf(a, sizeof(a), "killed by %s%s", fmt_signal(b, s->exit_signal),
			 s->core_dumped ? " (core dumped)" : "");
	else
		snprintf(a, sizeof(a), "%d", s->exit_code);
	row(o, &fr, "Exit", a, NULL);
	row(o, &fr, "Duration", fmt_runtime(a, summary_duration_ns(s)), NULL);
	uint32_t subs = 0;
	for (uint32_t i = 0; i < s->nprocs; i++)
		subs += s->procs[i].pid != s->root_pid;
	snprintf(a, sizeof(a), "%u", subs);
	row(o, &fr, "Subprocesses", a, NULL);
	snprintf(a, sizeof(a), "%u", s->tasks);
	row(o, &fr, "Tasks", a, "processes and threads");
	outbuf_puts(o, "]}");

	if (s->src_faults || s->faults) {
		card_start(o, &fc, "Page faults", "fault");
		fr = true;
		snprintf(a, sizeof(a), "%llu", (unsigned long long)s->faults);
		snprintf(b, sizeof(b), "heap %llu, anon %llu", (unsigned long long)s->faults_heap,
			 (unsigned long long)s->faults_anon);
		row(o, &fr, "Minor faults", a, b);
		snprintf(a, sizeof(a), "%llu", (unsigned long long)s->faults_file);
		snprintf(b, sizeof(b), "stack %llu, other %llu", (unsigned long long)s->faults_stack,
			 (unsigned long long)s->faults_other);
		row(o, &fr, "File-backed", a, b);
		row(o, &fr, "Resident growth", fmt_bytes(b, s->resident_peak), "peak");
		outbuf_puts(o, "]}");
	}
	if (s->src_sched || s->sched_count) {
		card_start(o, &fc, "Scheduler latency", "sched");
		fr = true;
		snprintf(a, sizeof(a), "%llu", (unsigned long long)s->sched_count);
		row(o, &fr, "Delays", a, s->sched_count ? NULL : "none above the threshold");
		if (s->sched_count) {
			row(o, &fr, "Average", fmt_latency(a, s->sched_total_ns / s->sched_count), NULL);
			row(o, &fr, "Max", fmt_latency(b, s->sched_max_ns), NULL);
			row(o, &fr, "Total", fmt_latency(c, s->sched_total_ns), NULL);
		}
		outbuf_puts(o, "]}");
	}
	if (s->src_block || s->block_count) {
		card_start(o, &fc, "Block I/O", "block");
		fr = true;
		snprintf(a, sizeof(a), "%llu", (unsigned long long)s->block_count);
		row(o, &fr, "Requests", a, NULL);
		row(o, &fr, "Read", fmt_bytes(a, s->block_read), NULL);
		row(o, &fr, "Written", fmt_bytes(a, s->block_written), NULL);
		if (s->block_count) {
			row(o, &fr, "Average", fmt_latency(a, s->block_total_ns / s->block_count), NULL);
			row(o, &fr, "Max", fmt_latency(b, s->block_max_ns), NULL);
		}
		if (s->block_errors) {
			snprintf(a, sizeof(a), "%u", s->block_errors);
			row(o, &fr, "Errors", a, NULL);
		}
		outbuf_puts(o, "]}");
	}

	card_start(o, &fc, "Recording", "other");
	fr = true;
	const char *state = "complete";
	switch (summary_completeness(s)) {
	case SUMMARY_COMPLETE: state = "complete"; break;
	case SUMMARY_INTERRUPTED: state = "interrupted"; break;
	case SUMMARY_DETACHED: state = "complete (detached)"; break;
	case SUMMARY_FAILED: state = "ended by a recorder error"; break;
	case SUMMARY_TRUNCATED: state = "truncated"; break;
	}
	row(o, &fr, "State", state, NULL);
	snprintf(a, sizeof(a), "%llu", (unsigned long long)s->events);
	row(o, &fr, "Events", a, NULL);
	if (summary_lost(s)) {
		snprintf(a, sizeof(a), "%llu", (unsigned long long)summary_lost(s));
		row(o, &fr, "Lost", a, NULL);
	}
	if (s->integrity.corrupt_frames) {
		snprintf(a, sizeof(a), "%llu", (unsigned long long)s->integrity.corrupt_frames);
		row(o, &fr, "Corrupt frames", a, "skipped");
	}
	outbuf_puts(o, "]}");
}

static void meta(struct page *p)
{
	struct report *r = p->r;
	const struct summary *s = r->sum;
	struct outbuf *o = &p->o;
	char b[FMT_MAX];
	key(o, "argv");
	outbuf_putc(o, '[');
	for (uint32_t i = 0; i < s->argc; i++) {
		if (i)
			outbuf_putc(o, ',');
		jstr(o, s->argv[i]);
	}
	outbuf_puts(o, "],");
	key(o, "root_pid");
	outbuf_u64(o, s->root_pid);
	outbuf_puts(o, ",");
	key(o, "host");
	jstr(o, r->hostname);
	outbuf_puts(o, ",");
	key(o, "kernel");
	jstr(o, r->kernel);
	outbuf_puts(o, ",");
	key(o, "tool");
	jstr(o, r->tool_version);
	outbuf_puts(o, ",");
	key(o, "start_ms");
	outbuf_u64(o, r->start_wall_ns / 1000000);
	outbuf_puts(o, ",");
	key(o, "duration_ns");
	outbuf_u64(o, summary_duration_ns(s));
	outbuf_puts(o, ",");
	key(o, "runtime");
	jstr(o, fmt_runtime(b, summary_duration_ns(s)));
	outbuf_puts(o, ",");
	key(o, "events");
	outbuf_u64(o, s->events);
	outbuf_puts(o, ",");
	key(o, "kept");
	outbuf_u64(o, r->kept);
	outbuf_puts(o, ",");
	key(o, "max_events");
	outbuf_u64(o, r->max_events);
	outbuf_puts(o, ",");
	key(o, "dropped");
	outbuf_u64(o, r->dropped);
	outbuf_puts(o, ",");
	key(o, "first_drop_ns");
	outbuf_u64(o, r->first_drop_ts);
	outbuf_puts(o, ",");
	key(o, "dropped_cats");
	outbuf_putc(o, '{');
	bool first = true;
	for (int c = 0; c < RC__COUNT; c++) {
		if (!r->dropped_cat[c])
			continue;
		if (!first)
			outbuf_putc(o, ',');
		first = false;
		key(o, cats[c].name);
		outbuf_u64(o, r->dropped_cat[c]);
	}
	outbuf_puts(o, "},");
	key(o, "strings_cut");
	outbuf_u64(o, r->strings_cut);
	outbuf_puts(o, ",");
	key(o, "strings_lost");
	outbuf_u64(o, r->strings_lost);
	outbuf_puts(o, ",");
	key(o, "incomplete");
	outbuf_puts(o, r->failed ? "true" : "false");
}

static void tables(struct page *p)
{
	struct outbuf *o = &p->o;
	key(o, "cats");
	outbuf_putc(o, '[');
	for (int c = 0; c < RC__COUNT; c++) {
		outbuf_puts(o, c ? ",[" : "[");
		jstr(o, cats[c].name);
		outbuf_putc(o, ',');
		jstr(o, cats[c].label);
		outbuf_putc(o, ',');
		jstr(o, cats[c].color);
		outbuf_putc(o, ']');
	}
	outbuf_puts(o, "],");
	key(o, "types");
	outbuf_putc(o, '[');
	for (int t = 0; t < RT__COUNT; t++) {
		outbuf_puts(o, t ? ",[" : "[");
		jstr(o, types[t].name);
		outbuf_putc(o, ',');
		outbuf_u64(o, types[t].cat);
		outbuf_putc(o, ',');
		jstr(o, types[t].color);
		outbuf_putc(o, ',');
		jstr(o, types[t].fields);
		outbuf_putc(o, ']');
	}
	outbuf_puts(o, "],");
}

/* {"code":"name",...} for a dictionary of codes. */
static void dict_entry(struct outbuf *o, bool *first, uint64_t code, const char *name)
{
	if (!*first)
		outbuf_putc(o, ',');
	*first = false;
	outbuf_putc(o, '"');
	outbuf_u64(o, code);
	outbuf_puts(o, "\":");
	jstr(o, name);
}

static void dicts(struct page *p)
{
	struct report *r = p->r;
	struct outbuf *o = &p->o;
	char b[FMT_MAX], c[FMT_MAX * 2];
	bool f;
	key(o, "dict");
	outbuf_putc(o, '{');

	key(o, "e");
	outbuf_putc(o, '{');
	f = true;
	for (uint32_t e = 1; e < MAX_ERRNO; e++)
		if (r->seen_err[e / 8] & (1u << (e % 8)))
			dict_entry(o, &f, e, fmt_errno(b, e));
	outbuf_puts(o, "},");

	key(o, "y");
	outbuf_putc(o, '{');
	f = true;
	for (uint32_t n = 0; n < MAX_SYSNO; n++)
		if ((r->seen_sys[n / 8] & (1u << (n % 8))) && event_syscall_name((int32_t)n))
			dict_entry(o, &f, n, event_syscall_name((int32_t)n));
	outbuf_puts(o, "},");

	key(o, "g");
	outbuf_putc(o, '{');
	f = true;
	for (uint32_t sig = 1; sig <= 64; sig++)
		dict_entry(o, &f, sig, fmt_signal(b, sig));
	outbuf_puts(o, "},");

	key(o, "o");
	outbuf_putc(o, '{');
	f = true;
	for (uint32_t i = 0; i < r->noflags; i++) {
		snprintf(c, sizeof(c), "%s\t%s", fmt_open_access(r->oflags[i]),
			 fmt_open_flags(b, r->oflags[i]));
		dict_entry(o, &f, i, c);
	}
	outbuf_puts(o, "},");

	key(o, "p");
	outbuf_putc(o, '{');
	f = true;
	for (uint32_t i = 0; i < 8; i++)
		dict_entry(o, &f, i, fmt_prot(b, i));
	outbuf_puts(o, "},");

	key(o, "P");
	outbuf_putc(o, '{');
	f = true;
	for (uint32_t i = 0; i < PROTO__COUNT; i++)
		dict_entry(o, &f, i, net_proto_name(i));
	outbuf_puts(o, "},");

	key(o, "K");
	outbuf_putc(o, '{');
	f = true;
	for (uint32_t i = 0; i < FD__COUNT; i++)
		dict_entry(o, &f, i, fd_kind_name(i));
	outbuf_puts(o, "}},");

	/* the page's formatter checks itself against these on load */
	static const uint64_t bytes[] = { 0, 1, 517, 1023, 1024, 1433, 10240, 1048063,
					  1048576, 8912896, 1073741824ull, 1099511627776ull };
	static const uint64_t lat[] = { 0, 850, 1000, 12345, 999999, 1200000, 999949999,
					3400000000ull };
	key(o, "fmt_check");
	outbuf_puts(o, "{\"bytes\":[");
	for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
		outbuf_puts(o, i ? ",[" : "[");
		outbuf_u64(o, bytes[i]);
		outbuf_putc(o, ',');
		jstr(o, fmt_bytes(b, bytes[i]));
		outbuf_putc(o, ']');
	}
	outbuf_puts(o, "],\"latency\":[");
	for (size_t i = 0; i < sizeof(lat) / sizeof(lat[0]); i++) {
		outbuf_puts(o, i ? ",[" : "[");
		outbuf_u64(o, lat[i]);
		outbuf_putc(o, ',');
		jstr(o, fmt_latency(b, lat[i]));
		outbuf_putc(o, ']');
	}
	outbuf_puts(o, "]},");
}

static void strings(struct page *p)
{
	struct report *r = p->r;
	struct outbuf *o = &p->o;
	key(o, "strs");
	outbuf_putc(o, '[');
	for (uint32_t id = 0; id < r->nstr; id++) {
		if (id)
			outbuf_putc(o, ',');
		html_json_string_n(o, r->arena + r->sref[id].off, r->sref[id].len);
		maybe_spill(p);
	}
	outbuf_puts(o, "],");
	/* ids (delta-coded, packed) of strings that the noise rules hide */
	key(o, "noise");
	outbuf_putc(o, '"');
	uint32_t prev = 0;
	for (uint32_t id = 0; id < r->nstr; id++) {
		const char *s = r->arena + r->sref[id].off;
		if (noise_path(s) || noise_addr(s)) {
			put_varint(o, id + 1 - prev);
			prev = id + 1;
		}
	}
	outbuf_puts(o, "\",");
}

static void tasks(struct page *p)
{
	struct report *r = p->r;
	struct outbuf *o = &p->o;
	key(o, "tasks");
	outbuf_putc(o, '[');
	for (uint32_t i = 0; i < r->ntasks; i++) {
		const struct rtask *t = &r->tasks[i];
		outbuf_puts(o, i ? ",[" : "[");
		outbuf_printf(o, "%u,%u,%d,%u,%d,%d,%d,%u,%llu,%llu,%llu]", t->tid, t->pid,
			      t->parent, t->name, t->thread, t->exited, t->exit_code, t->exit_signal,
			      (unsigned long long)t->first_ts, (unsigned long long)t->last_ts,
			      (unsigned long long)t->events);
		maybe_spill(p);
	}
	outbuf_puts(o, "],");
}

static const struct summary *cmp_sum;

static int cmp_files(const void *a, const void *b)
{
	const struct summary_file *x = &cmp_sum->files[*(const uint32_t *)a];
	const struct summary_file *y = &cmp_sum->files[*(const uint32_t *)b];
	uint64_t tx = x->bytes_read + x->bytes_written, ty = y->bytes_read + y->bytes_written;
	if (tx != ty)
		return tx < ty ? 1 : -1;
	return x->first_ts_ns < y->first_ts_ns ? -1 : x->first_ts_ns > y->first_ts_ns;
}

static int cmp_peers(const void *a, const void *b)
{
	const struct summary_peer *x = &cmp_sum->peers[*(const uint32_t *)a];
	const struct summary_peer *y = &cmp_sum->peers[*(const uint32_t *)b];
	uint64_t tx = x->sent + x->received, ty = y->sent + y->received;
	if (tx != ty)
		return tx < ty ? 1 : -1;
	return x->first_ts_ns < y->first_ts_ns ? -1 : x->first_ts_ns > y->first_ts_ns;
}

static void panels(struct page *p)
{
	struct report *r = p->r;
	const struct summary *s = r->sum;
	struct outbuf *o = &p->o;
	uint32_t n = s->nfiles > s->npeers ? s->nfiles : s->npeers;
	uint32_t *idx = n ? malloc((size_t)n * sizeof(*idx)) : NULL;
	cmp_sum = s;

	key(o, "files");
	outbuf_putc(o, '[');
	if (idx) {
		for (uint32_t i = 0; i < s->nfiles; i++)
			idx[i] = i;
		qsort(idx, s->nfiles, sizeof(*idx), cmp_files);
		for (uint32_t k = 0; k < s->nfiles && k < FILES_LISTED; k++) {
			const struct summary_file *f = &s->files[idx[k]];
			outbuf_puts(o, k ? ",[" : "[");
			jstr(o, f->path);
			outbuf_printf(o, ",%llu,%llu,%u,%u,%u,%d]", (unsigned long long)f->bytes_read,
				      (unsigned long long)f->bytes_written, f->opens_read,
				      f->opens_write, f->failed_opens, noise_path(f->path));
			maybe_spill(p);
		}
	}
	outbuf_puts(o, "],");
	key(o, "nfiles");
	outbuf_u64(o, s->nfiles);
	outbuf_putc(o, ',');

	key(o, "peers");
	outbuf_putc(o, '[');
	if (idx) {
		for (uint32_t i = 0; i < s->npeers; i++)
			idx[i] = i;
		qsort(idx, s->npeers, sizeof(*idx), cmp_peers);
		for (uint32_t k = 0; k < s->npeers && k < FILES_LISTED; k++) {
			const struct summary_peer *e = &s->peers[idx[k]];
			char b[FMT_MAX];
			outbuf_puts(o, k ? ",[" : "[");
			jstr(o, e->addr);
			outbuf_putc(o, ',');
			jstr(o, net_proto_name(e->proto));
			outbuf_printf(o, ",%llu,%llu,%u,%u,%d,%d,", (unsigned long long)e->sent,
				      (unsigned long long)e->received, e->connects, e->failed,
				      e->inbound, noise_addr(e->addr));
			jstr(o, e->failed && !e->connects ? fmt_errno(b, e->last_err) : "");
			outbuf_putc(o, ']');
			maybe_spill(p);
		}
	}
	outbuf_puts(o, "],");
	key(o, "npeers");
	outbuf_u64(o, s->npeers);
	outbuf_putc(o, ',');
	free(idx);

	key(o, "mem");
	outbuf_putc(o, '[');
	for (uint32_t i = 0; i < r->nms; i++)
		outbuf_printf(o, "%s[%llu,%llu,%llu]", i ? "," : "", (unsigned long long)r->ms[i].ts,
			      (unsigned long long)r->ms[i].heap, (unsigned long long)r->ms[i].mapped);
	outbuf_puts(o, "],");

	key(o, "hist");
	outbuf_putc(o, '{');
	bool first = true;
	for (int k = 0; k < HIST__COUNT; k++) {
		/* individual events when there are any, else the kernel's histograms */
		const uint64_t *h = r->hist[k];
		uint64_t total = 0;
		for (int i = 0; i < HIST_BUCKETS; i++)
			total += h[i];
		if (!total && r->hist_seen[k])
			h = r->hist_ev[k];
		int last = -1;
		for (int i = 0; i < HIST_BUCKETS; i++)
			if (h[i])
				last = i;
		if (last < 0)
			continue;
		if (!first)
			outbuf_putc(o, ',');
		first = false;
		key(o, hist_kind_name((unsigned)k));
		outbuf_putc(o, '[');
		for (int i = 0; i <= last; i++)
			outbuf_printf(o, "%s%llu", i ? "," : "", (unsigned long long)h[i]);
		outbuf_putc(o, ']');
	}
	outbuf_puts(o, "}");
}

/* Writes template[from..marker) and returns the offset after the marker. */
static size_t template_to(struct page *p, const unsigned char *t, size_t len, size_t from,
			  const char *marker)
{
	size_t ml = strlen(marker);
	size_t at = len;
	for (size_t i = from; i + ml <= len; i++) {
		if (memcmp(t + i, marker, ml) == 0) {
			at = i;
			break;
		}
	}
	outbuf_write(&p->o, t + from, at - from);
	return at + ml < len ? at + ml : len;
}

int report_finish(struct report *r)
{
	if (!r->sum->ended) {
		/* a live source without `end`: a clean stream */
		struct rec_integrity in = { .has_trailer = r->sum->has_trailer,
					    .events = r->sum->events };
		summary_add_end(r->sum, &in);
	}
	if (r->ms_pending)
		mem_sample(r); /* the last window's peak */
	r->ms_peak = mem_now(r, summary_duration_ns(r->sum));
	mem_sample(r); /* and where memory ended */
	struct page p = { .r = r };
	if (outbuf_init_mem(&p.o) < 0) {
		report_free(r);
		return -ENOMEM;
	}
	const unsigned char *t = report_html;
	size_t tl = report_html_len, at = 0;
	at = template_to(&p, t, tl, at, "/*@CSS@*/");
	outbuf_write(&p.o, report_css, report_css_len);
	at = template_to(&p, t, tl, at, "@DATA@");

	outbuf_puts(&p.o, "{\"v\":1,");
	meta(&p);
	outbuf_puts(&p.o, ",\"cards\":[");
	cards(&p);
	outbuf_puts(&p.o, "],");
	tables(&p);
	dicts(&p);
	tasks(&p);
	strings(&p);
	panels(&p);
	outbuf_puts(&p.o, ",\"ev\":\"");
	spill(&p);
	if (r->ev.len && fwrite(r->ev.buf, 1, r->ev.len, r->out) != r->ev.len && !p.err)
		p.err = errno ? -errno : -EIO;
	outbuf_puts(&p.o, "\"}");

	at = template_to(&p, t, tl, at, "/*@JS@*/");
	outbuf_write(&p.o, report_js, report_js_len);
	template_to(&p, t, tl, at, "\x01"); /* the rest */
	spill(&p);
	if (fflush(r->out) != 0 && !p.err)
		p.err = -errno;
	if (ferror(r->out) && !p.err)
		p.err = -EIO;
	int err = p.err ? p.err : (p.o.err ? -p.o.err : 0);
	outbuf_free(&p.o);
	report_free(r);
	return err;
}

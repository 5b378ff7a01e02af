/*
 * diff_collect.c - the sink that folds one recording into a `struct
 * diff_side` (diff_impl.h): the summary model plus the diff's own tables.
 *
 * Everything kept is bounded: at most DIFF_MAX_PROCS processes,
 * DIFF_MAX_LISTEN ports, DIFF_MAX_FAILED failed-open paths, fixed-size
 * syscall and latency tables; strings are normalised and cut to
 * DIFF_NORM_MAX. Memory per process follows the same regions model as the
 * summary (regions.h), so their totals agree.
 */
#define _GNU_SOURCE
#include "diff_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>

#include "regions.h"
#include "util.h"

/* ---- latency histogram ---------------------------------------------------- */

uint32_t diff_lat_bucket(uint64_t ns)
{
	if (ns < 8)
		return (uint32_t)ns;
	uint32_t e = 63 - (uint32_t)__builtin_clzll(ns);
	uint32_t sub = (uint32_t)(ns >> (e - 3)) - 8;
	return 8 + (e - 3) * DIFF_LAT_SUB + sub;
}

uint64_t diff_lat_value(uint32_t bucket)
{
	if (bucket < 8)
		return bucket;
	if (bucket >= DIFF_LAT_BUCKETS)
		bucket = DIFF_LAT_BUCKETS - 1;
	uint32_t e = (bucket - 8) / DIFF_LAT_SUB + 3, sub = (bucket - 8) % DIFF_LAT_SUB;
	uint64_t lo = (uint64_t)(8 + sub) << (e - 3);
	return lo + ((1ull << (e - 3)) >> 1);
}

uint64_t diff_lat_percentile(const struct diff_lat *h, double p)
{
	if (!h->n)
		return 0;
	uint64_t want = (uint64_t)((double)h->n * p / 100.0 + 0.999999);
	if (want < 1)
		want = 1;
	uint64_t seen = 0;
	for (uint32_t i = 0; i < DIFF_LAT_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want)
			return diff_lat_value(i);
	}
	return diff_lat_value(DIFF_LAT_BUCKETS - 1);
}

static void lat_add(struct diff_lat *h, uint64_t ns, uint64_t count)
{
	h->n += count;
	h->b[diff_lat_bucket(ns)] += count;
}

/* A log2 histogram event: bucket i counts [2^i, 2^(i+1)) of its unit. */
static void lat_add_hist(struct diff_side *d, const struct ev_hist *hi)
{
	if (hi->kind >= HIST__COUNT || !hi->buckets)
		return;
	uint64_t mult = hi->unit && strcmp(hi->unit, "us") == 0 ? 1000 : 1;
	uint32_t n = hi->nbuckets < EVENT_MAX_HIST_BUCKETS ? hi->nbuckets : EVENT_MAX_HIST_BUCKETS;
	for (uint32_t i = 0; i < n && i < 54; i++)
		if (hi->buckets[i])
			lat_add(&d->lat[hi->kind], ((3ull << i) >> 1) * mult, hi->buckets[i]);
}

/* ---- processes ------------------------------------------------------------ */

static char *norm_dup(const char *s)
{
	char buf[DIFF_NORM_MAX];
	return strdup(diff_norm_path(buf, sizeof(buf), s ? s : ""));
}

static void free_argv(char **v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Copies path and argv of `from` into `to` (a fork inherits its image). */
static void proc_inherit(struct diff_proc *to, const struct diff_proc *from)
{
	to->path = from->path ? strdup(from->path) : NULL;
	if (!from->argc)
		return;
	to->argv = calloc(from->argc, sizeof(char *));
	if (!to->argv)
		return;
	for (uint32_t i = 0; i < from->argc; i++)
		to->argv[i] = strdup(from->argv[i] ? from->argv[i] : "");
	to->argc = from->argc;
}

/* Adds a thread to p (its next in creation order). NULL on ENOMEM or when
 * a process has DIFF_MAX_THREADS already. */
static struct diff_thread *thread_add(struct diff_proc *p, uint32_t tid)
{
	struct diff_thread *v;

	if (p->nthr >= DIFF_MAX_THREADS)
		return NULL;
	v = util_grow(p->thr, &p->thr_cap, p->nthr + 1, sizeof(*v));
	if (!v)
		return NULL;
	p->thr = v;
	v[p->nthr] = (struct diff_thread){ .tid = tid, .alive = true };
	return &v[p->nthr++];
}

/* The live thread tid of p; one not seen starting (a thread of a process
 * seeded at attach, the leader's id after an exec) is added. */
static struct diff_thread *thread_get(struct diff_proc *p, uint32_t tid)
{
	for (uint32_t i = p->nthr; i-- > 0;)
		if (p->thr[i].tid == tid && p->thr[i].alive)
			return &p->thr[i];
	return thread_add(p, tid);
}

static int32_t proc_find(const struct diff_side *d, uint32_t pid)
{
	for (uint32_t i = d->nprocs; i-- > 0;)
		if (d->procs[i].pid == pid && d->procs[i].alive)
			return (int32_t)i;
	return -1;
}

static int32_t proc_new(struct diff_side *d, uint32_t pid, int32_t parent, struct regions *map)
{
	if (d->nprocs >= DIFF_MAX_PROCS) {
		d->procs_dropped++;
		regions_free(map);
		return -1;
	}
	if (d->nprocs == d->procs_cap) {
		uint32_t cap = d->procs_cap ? d->procs_cap * 2 : 16;
		struct diff_proc *p = realloc(d->procs, cap * sizeof(*p));
		if (!p) {
			regions_free(map);
			return -1;
		}
		d->procs = p;
		d->procs_cap = cap;
	}
	struct diff_proc *p = &d->procs[d->nprocs];
	*p = (struct diff_proc){ .pid = pid, .parent = parent, .alive = true,
				 .map = map ? map : regions_new() };
	if (parent >= 0)
		proc_inherit(p, &d->procs[parent]);
	thread_add(p, pid);
	return (int32_t)d->nprocs++;
}

/* The live process `pid`, created as a root when first seen without spawn. */
static struct diff_proc *proc_get(struct diff_side *d, uint32_t pid)
{
	int32_t i = proc_find(d, pid);
	if (i < 0)
		i = proc_new(d, pid, -1, NULL);
	return i >= 0 ? &d->procs[i] : NULL;
}

/* Keeps the peaks of the image that is going away (exec, end). */
static void proc_keep_peaks(struct diff_proc *p)
{
	if (!p->map)
		return;
	uint64_t h = regions_peak_heap_bytes(p->map), m = regions_peak_bytes(p->map);
	if (h > p->heap_peak)
		p->heap_peak = h;
	if (m > p->mapped_peak)
		p->mapped_peak = m;
}

static void add_spawn(struct diff_side *d, const struct event *ev)
{
	int32_t parent = proc_find(d, ev->pid);
	if (ev->spawn.kind == SPAWN_THREAD || ev->spawn.child_pid == ev->pid) {
		if (parent >= 0) {
			d->procs[parent].threads++;
			thread_add(&d->procs[parent], ev->spawn.child_tid);
		}
		return;
	}
	int32_t early = proc_find(d, ev->spawn.child_pid);
	if (early >= 0 && d->procs[early].parent < 0 && early != parent) {
		/* the child's events came first: attach it to its parent now */
		d->procs[early].parent = parent;
		return;
	}
	struct regions *map = NULL;
	bool shared_vm = ev->spawn.kind == SPAWN_VFORK || (ev->spawn.clone_flags & CLONE_VM);
	if (!shared_vm && parent >= 0 && d->procs[parent].map)
		map = regions_clone(d->procs[parent].map);
	proc_new(d, ev->spawn.child_pid, parent, map);
}

static void add_exec(struct diff_side *d, const struct event *ev)
{
	struct diff_proc *p = proc_get(d, ev->pid);
	if (!p)
		return;
	proc_keep_peaks(p);
	if (p->map)
		regions_reset(p->map);
	free(p->path);
	free_argv(p->argv, p->argc);
	p->argv = NULL;
	p->argc = 0;
	p->path = norm_dup(ev->exec.path);
	uint32_t argc = ev->exec.argc < EVENT_MAX_ARGV ? ev->exec.argc : EVENT_MAX_ARGV;
	if (!argc || !ev->exec.argv)
		return;
	p->argv = calloc(argc, sizeof(char *));
	if (!p->argv)
		return;
	/* DIFF_NORM_MAX bytes of arguments in all: thousands of execs of 256
	 * long arguments must not cost gigabytes (the rows cut them anyway) */
	size_t budget = DIFF_NORM_MAX;
	uint32_t n = 0;
	while (n < argc && budget) {
		char *a = norm_dup(ev->exec.argv[n]);
		if (!a)
			break;
		size_t l = strlen(a);
		if (l > budget)
			a[l = budget] = 0;
		budget -= l;
		p->argv[n++] = a;
	}
	p->argc = n;
}

static void add_exit(struct diff_side *d, const struct event *ev)
{
	int32_t i = proc_find(d, ev->pid);
	if (i < 0)
		return;
	if (ev->exit.thread) {
		for (uint32_t k = d->procs[i].nthr; k-- > 0;)
			if (d->procs[i].thr[k].tid == ev->tid)
				d->procs[i].thr[k].alive = false;
		return;
	}
	struct diff_proc *p = &d->procs[i];
	proc_keep_peaks(p);
	p->alive = false;
	p->exited = true;
	p->exit_code = ev->exit.code;
	p->exit_signal = ev->exit.signal;
	p->core_dumped = ev->exit.core_dumped;
}

static void add_mem(struct diff_side *d, const struct event *ev)
{
	struct diff_proc *p = proc_get(d, ev->pid);
	if (!p || !p->map)
		return;
	struct regions *m = p->map;
	switch (ev->kind) {
	case EV_BRK:
		if (ev->brk.old_brk)
			regions_set_brk(m, ev->brk.old_brk);
		regions_set_brk(m, ev->brk.new_brk);
		break;
	case EV_MMAP: {
		uint8_t kind = ev->mmap.path ? REGION_FILE
			       : (ev->mmap.flags & MAP_STACK) ? REGION_STACK : REGION_ANON;
		regions_map(m, ev->mmap.addr, ev->mmap.len, ev->mmap.prot, kind, ev->mmap.path);
		break;
	}
	case EV_MUNMAP:
		regions_unmap(m, ev->munmap.addr, ev->munmap.len);
		break;
	case EV_MREMAP:
		regions_remap(m, ev->mremap.old_addr, ev->mremap.old_len, ev->mremap.new_addr,
			      ev->mremap.new_len);
		break;
	case EV_MPROTECT:
		regions_protect(m, ev->mprotect.addr, ev->mprotect.len, ev->mprotect.prot);
		break;
	default:
		break;
	}
}

/* Bytes of an I/O event, to its thread. */
static void add_thread_io(struct diff_side *d, const struct event *ev)
{
	int32_t i = proc_find(d, ev->pid);
	struct diff_thread *t = i >= 0 ? thread_get(&d->procs[i], ev->tid) : NULL;

	if (!t)
		return;
	if (ev->io.op == IO_READ || ev->io.op == IO_RECV)
		t->read += (uint64_t)ev->io.bytes;
	else
		t->written += (uint64_t)ev->io.bytes;
}

/* ---- other tables --------------------------------------------------------- */

static void add_listen(struct diff_side *d, const char *addr)
{
	int port = diff_addr_port(addr);
	if (port < 0)
		return;
	for (uint32_t i = 0; i < d->nlisten; i++)
		if (d->listen[i] == port)
			return;
	if (d->nlisten < DIFF_MAX_LISTEN)
		d->listen[d->nlisten++] = (uint16_t)port;
}

/* A loopback client accepted by the recording: both ends are traced. */
static void add_accept(struct diff_side *d, const struct ev_accept *a)
{
	int client = diff_addr_port(a->peer_addr), server = diff_addr_port(a->local_addr);
	if (client < DIFF_EPHEMERAL_MIN || server < 0 || !diff_addr_loopback(a->peer_addr))
		return;
	uint32_t i = 0;
	while (i < d->naccepted && d->accepted[i][0] != client)
		i++;
	if (i == DIFF_MAX_ACCEPTED)
		return;
	if (i == d->naccepted)
		d->naccepted++;
	d->accepted[i][0] = (uint16_t)client;
	d->accepted[i][1] = (uint16_t)server;
}

static void add_failed_open(struct diff_side *d, const char *path, uint32_t err)
{
	if (!path)
		return;
	for (uint32_t i = d->nfailed; i-- > 0;) {
		if (strcmp(d->failed[i].path, path) == 0) {
			d->failed[i].err = err;
			d->failed[i].count++;
			return;
		}
	}
	if (d->nfailed >= DIFF_MAX_FAILED)
		return;
	if (d->nfailed == d->failed_cap) {
		uint32_t cap = d->failed_cap ? d->failed_cap * 2 : 16;
		struct diff_failed *f = realloc(d->failed, cap * sizeof(*f));
		if (!f)
			return;
		d->failed = f;
		d->failed_cap = cap;
	}
	char *p = strndup(path, DIFF_NORM_MAX);
	if (p)
		d->failed[d->nfailed++] = (struct diff_failed){ p, err, 1 };
}

static void add_syscall_time(struct diff_side *d, const struct event *ev)
{
	if (ev->sysno < 0 || ev->sysno >= DIFF_NSYS || !ev->dur_ns)
		return;
	struct diff_sys *s = &d->sys[ev->sysno];
	s->count++;
	s->total_ns += ev->dur_ns;
	if (ev->dur_ns > s->max_ns)
		s->max_ns = ev->dur_ns;
	if (d->nslow == DIFF_SLOWEST && d->slow[DIFF_SLOWEST - 1].dur_ns >= ev->dur_ns)
		return;
	uint32_t i = d->nslow < DIFF_SLOWEST ? d->nslow++ : DIFF_SLOWEST - 1;
	for (; i > 0 && d->slow[i - 1].dur_ns < ev->dur_ns; i--)
		d->slow[i] = d->slow[i - 1];
	d->slow[i] = (struct diff_slow){ ev->sysno, ev->dur_ns };
}

/* ---- the sink ------------------------------------------------------------- */

static void side_header(void *ctx, const struct rec_header *h)
{
	struct diff_side *d = ctx;
	d->have_header = true;
	d->format_major = h->format_major;
	d->format_minor = h->format_minor;
	d->root_pid = h->root_pid;
	if (h->root_pid && proc_find(d, h->root_pid) < 0)
		proc_new(d, h->root_pid, -1, NULL);
}

static void side_event(void *ctx, const struct event *ev)
{
	struct diff_side *d = ctx;
	add_syscall_time(d, ev);
	switch (ev->kind) {
	case EV_SPAWN:
		if (!ev->err)
			add_spawn(d, ev);
		break;
	case EV_EXEC:
		if (!ev->err)
			add_exec(d, ev);
		break;
	case EV_EXIT:
		add_exit(d, ev);
		break;
	case EV_BRK: case EV_MMAP: case EV_MUNMAP: case EV_MREMAP: case EV_MPROTECT:
		if (!ev->err)
			add_mem(d, ev);
		break;
	case EV_FAULT: {
		int32_t i = proc_find(d, ev->pid);
		if (i >= 0)
			d->procs[i].faults++;
		break;
	}
	case EV_IO:
		if (!ev->err && ev->io.bytes > 0)
			add_thread_io(d, ev);
		break;
	case EV_LISTEN:
		if (!ev->err)
			add_listen(d, ev->listen.addr);
		break;
	case EV_ACCEPT:
		if (!ev->err)
			add_accept(d, &ev->accept);
		break;
	case EV_OPEN:
		if (ev->err)
			add_failed_open(d, ev->open.path, ev->err);
		break;
	case EV_SCHED:
		lat_add(&d->lat[HIST_SCHED], ev->sched.delay_ns, 1);
		break;
	case EV_BLOCK:
		lat_add(&d->lat[HIST_BLOCK], ev->dur_ns, 1);
		break;
	case EV_HIST:
		lat_add_hist(d, &ev->hist);
		break;
	default:
		break;
	}
}

static void side_end(void *ctx, const struct rec_integrity *in)
{
	struct diff_side *d = ctx;
	(void)in;
	for (uint32_t i = 0; i < d->nprocs; i++)
		proc_keep_peaks(&d->procs[i]);
}

static void tee_header(void *c, const struct rec_header *h)
{
	struct diff_side *d = c;
	summary_add_header(d->sum, h);
	side_header(d, h);
}

static void tee_event(void *c, const struct event *ev)
{
	struct diff_side *d = c;
	summary_add_event(d->sum, ev);
	side_event(d, ev);
}

static void tee_trailer(void *c, const struct rec_trailer *t)
{
	struct diff_side *d = c;
	summary_add_trailer(d->sum, t);
}

static void tee_end(void *c, const struct rec_integrity *in)
{
	struct diff_side *d = c;
	summary_add_end(d->sum, in);
	side_end(d, in);
}

struct event_sink diff_side_sink(struct diff_side *d)
{
	return (struct event_sink){ .ctx = d, .header = tee_header, .event = tee_event,
				    .trailer = tee_trailer, .end = tee_end };
}

/* ---- life cycle ----------------------------------------------------------- */

struct diff_side *diff_side_new(void)
{
	struct diff_side *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->sum = summary_new();
	if (!d->sum) {
		free(d);
		return NULL;
	}
	return d;
}

void diff_side_free(struct diff_side *d)
{
	if (!d)
		return;
	for (uint32_t i = 0; i < d->nprocs; i++) {
		free(d->procs[i].path);
		free(d->procs[i].thr);
		free_argv(d->procs[i].argv, d->procs[i].argc);
		regions_free(d->procs[i].map);
	}
	for (uint32_t i = 0; i < d->nfailed; i++)
		free(d->failed[i].path);
	free(d->procs);
	free(d->failed);
	free(d->name);
	summary_free(d->sum);
	free(d);
}

void diff_side_set_source(struct diff_side *d, const char *name,
			  const struct recording_read_result *res)
{
	free(d->name);
	d->name = name ? strndup(name, DIFF_NORM_MAX) : NULL;
	d->have_source = res != NULL;
	if (res) {
		d->status = res->status;
		snprintf(d->message, sizeof(d->message), "%s", res->message);
	}
}

const struct summary *diff_side_summary(const struct diff_side *d)
{
	return d->sum;
}

struct diff_side *diff_side_load(const char *path, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	struct diff_side *d = diff_side_new();
	if (!d) {
		snprintf(err, errlen, "out of memory");
		if (f != stdin)
			fclose(f);
		return NULL;
	}
	struct event_sink sink = diff_side_sink(d);
	struct recording_read_result res = { 0 };
	enum recording_status st = recording_read(f, &sink, &res, NULL, NULL);
	if (f != stdin)
		fclose(f);
	if (st == RECORDING_ERROR) {
		snprintf(err, errlen, "%s: %s", path,
			 res.message[0] ? res.message : "not a readable recording");
		diff_side_free(d);
		return NULL;
	}
	diff_side_set_source(d, path, &res);
	return d;
}

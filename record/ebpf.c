/*
 * ebpf.c - user side of the eBPF latency source: loads bpf/latency.bpf.c
 * (embedded by `bpftool gen skeleton`), keeps its pid map in step with the
 * tracer, and turns ring-buffer records, histograms and loss counters into
 * events. The record layouts live in bpf/latency.h, shared with the kernel
 * side. The contract is in record/ebpf.h and record/source.h.
 *
 * Threads: the engine's thread calls task_new / task_gone / stop; a reader
 * thread polls the ring buffer and calls emit. stop joins the reader before
 * it drains what is left, so the callback never runs on two threads.
 */
#include <errno.h>
#include <linux/btf.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "util.h"
#include "bpf/latency.h"
#include "latency.skel.h"
#include "record/bpfutil.h"
#include "record/ebpf.h"

_Static_assert(LAT_HIST_SLOTS <= EVENT_MAX_HIST_BUCKETS, "histogram too wide for an event");

/* The reader wakes every EBPF_POLL_MS, or when the kernel side finds a
 * 1/EBPF_WAKEUP_FRACTION of the ring buffer filled: batches, not a wakeup
 * per record. */
#define EBPF_POLL_MS 50
#define EBPF_WAKEUP_FRACTION 8
#define EBPF_MAX_NOTES 4
#define EBPF_FIX_PRIV "run as root or grant CAP_BPF and CAP_PERFMON"

struct ebpf_source {
	struct source src;
	struct latency *skel;
	struct ring_buffer *rb;
	pthread_t reader;
	bool reader_started;
	atomic_bool stopping;
	int epfd;    /* the ring buffer's epoll fd and wake_fd */
	int wake_fd; /* eventfd: stop wakes the reader at once, not after a poll */
	struct source_emit emit;
	uint64_t base_ns;
	size_t ringbuf_bytes;
	unsigned nnotes;
	char notes[EBPF_MAX_NOTES][160];
};

void ebpf_opts_init(struct ebpf_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sched_threshold_ns = EBPF_DEFAULT_SCHED_THRESHOLD_NS;
}

static uint64_t ebpf_rel(const struct ebpf_source *s, uint64_t mono)
{
	return mono > s->base_ns ? mono - s->base_ns : 0;
}

static void ebpf_note(struct ebpf_source *s, const char *fmt, ...)
{
	va_list ap;

	if (s->nnotes >= EBPF_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(s->notes[s->nnotes++], sizeof(s->notes[0]), fmt, ap);
	va_end(ap);
}

/* ---- ring-buffer records -> events -------------------------------------- */

static int ebpf_on_record(void *ctx, void *data, size_t size)
{
	struct ebpf_source *s = ctx;
	const struct lat_record *r = data;
	struct event ev;

	if (size < sizeof(*r))
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.sysno = -1;
	ev.ts_ns = ebpf_rel(s, r->ts_ns);
	ev.pid = r->tgid;
	ev.tid = r->tid;
	switch (r->kind) {
	case LAT_REC_SCHED:
		ev.kind = EV_SCHED;
		ev.sched.delay_ns = r->delay_ns;
		ev.sched.cpu = r->cpu;
		ev.sched.preempted = r->flags & LAT_F_PREEMPTED;
		break;
	case LAT_REC_BLOCK:
		ev.kind = EV_BLOCK;
		ev.dur_ns = r->delay_ns;
		ev.block.dev = r->dev;
		ev.block.sector = r->sector;
		ev.block.bytes = r->bytes;
		ev.block.write = r->flags & LAT_F_WRITE;
		ev.block.writeback = r->flags & LAT_F_WRITEBACK;
		/* blk_status_t numbering differs between kernels: keep it simple */
		ev.block.error = r->status ? EIO : 0;
		break;
	default:
		return 0;
	}
	s->emit.fn(s->emit.ctx, &ev);
	return 0;
}

static void *ebpf_reader(void *arg)
{
	struct ebpf_source *s = arg;
	struct epoll_event ev[2];

	while (!atomic_load(&s->stopping)) {
		int n = epoll_wait(s->epfd, ev, 2, EBPF_POLL_MS);

		if (n < 0 && errno != EINTR) {
			n = -errno;
		} else {
			/* also after a timeout: records are submitted without a
			 * wakeup until the ring fills up (see latency.bpf.c) */
			n = ring_buffer__consume(s->rb);
		}
		if (n < 0 && n != -EINTR) {
			ebpf_note(s, "eBPF ring buffer: poll failed: %s; events after it are lost",
				  strerror(-n));
			break;
		}
	}
	return NULL;
}

/* The reader sleeps on the ring buffer's own epoll fd and on an eventfd. */
static int ebpf_reader_fds(struct ebpf_source *s)
{
	struct epoll_event ev = { .events = EPOLLIN };

	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->wake_fd < 0 || s->epfd < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wake_fd, &ev) != 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s->rb), &ev) != 0)
		return -errno;
	return 0;
}

/* ---- task hooks ----------------------------------------------------------- */

static int ebpf_task_new(void *ctx, pid_t tid, pid_t pid)
{
	struct ebpf_source *s = ctx;
	struct lat_task v = { .tgid = (__u32)pid };
	__u32 key = (__u32)tid;

	if (tid <= 0 || pid <= 0)
		return -EINVAL;
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.tasks), &key, &v, BPF_ANY))
		return -errno;
	return 0;
}

static void ebpf_task_gone(void *ctx, pid_t tid)
{
	struct ebpf_source *s = ctx;
	__u32 key = (__u32)tid;

	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.tasks), &key);
}

/* ---- stop: histograms, losses, notes -------------------------------------- */

struct ebpf_hist_entry {
	struct lat_hist_key key;
	struct lat_hist h;
};

static int ebpf_hist_cmp(const void *a, const void *b)
{
	const struct ebpf_hist_entry *x = a, *y = b;

	if (x->key.tid != y->key.tid)
		return x->key.tid < y->key.tid ? -1 : 1;
	return (x->key.kind > y->key.kind) - (x->key.kind < y->key.kind);
}

static void ebpf_emit_hists(struct ebpf_source *s, uint64_t ts)
{
	int fd = bpf_map__fd(s->skel->maps.hists);
	struct lat_hist_key key, next, *prev = NULL;
	struct ebpf_hist_entry *all;
	size_t n = 0;

	all = calloc(LAT_MAX_HISTS, sizeof(*all));
	if (!all) {
		ebpf_note(s, "eBPF: out of memory reading the histograms");
		return;
	}
	while (n < LAT_MAX_HISTS && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &all[n].h) == 0)
			all[n++].key = key;
	}
	qsort(all, n, sizeof(*all), ebpf_hist_cmp);

	for (size_t i = 0; i < n; i++) {
		uint64_t buckets[LAT_HIST_SLOTS];
		struct event ev;
		uint32_t used = 0;

		for (uint32_t b = 0; b < LAT_HIST_SLOTS; b++) {
			buckets[b] = all[i].h.slots[b];
			if (buckets[b])
				used = b + 1;
		}
		if (!used)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.kind = EV_HIST;
		ev.sysno = -1;
		ev.ts_ns = ts;
		ev.tid = all[i].key.tid;
		ev.pid = all[i].h.tgid;
		ev.hist.kind = all[i].key.kind == LAT_HIST_BLOCK ? HIST_BLOCK : HIST_SCHED;
		ev.hist.nbuckets = used;
		ev.hist.buckets = buckets;
		ev.hist.unit = "ns";
		s->emit.fn(s->emit.ctx, &ev);
	}
	free(all);
}


static void ebpf_emit_end(struct ebpf_source *s)
{
	const struct lat_counters *c = &s->skel->bss->counters;
	uint64_t ts = ebpf_rel(s, util_mono_ns());
	uint64_t maps_full = c->hist_full + c->requests_full + c->tasks_full;
	char reason[160];

	ebpf_emit_hists(s, ts);
	if (c->ringbuf_drops) {
		snprintf(reason, sizeof(reason),
			 "ring buffer (%zu bytes) full; histograms still count them", s->ringbuf_bytes);
		source_emit_loss(s->emit, ts, "ebpf-ringbuf", c->ringbuf_drops, reason);
	}
	if (maps_full) {
		snprintf(reason, sizeof(reason),
			 "BPF maps full: %llu histogram values, %llu block requests, %llu forked tasks",
			 (unsigned long long)c->hist_full, (unsigned long long)c->requests_full,
			 (unsigned long long)c->tasks_full);
		source_emit_loss(s->emit, ts, "ebpf-maps", maps_full, reason);
	}
	for (unsigned i = 0; i < s->nnotes; i++)
		source_emit_note(s->emit, ts, s->notes[i]);
}

static void ebpf_free(struct ebpf_source *s)
{
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	ring_buffer__free(s->rb);
	latency__destroy(s->skel);
	free(s);
}

static void ebpf_stop(void *ctx)
{
	struct ebpf_source *s = ctx;

	atomic_store(&s->stopping, true);
	(void)!eventfd_write(s->wake_fd, 1);
	if (s->reader_started)
		pthread_join(s->reader, NULL);
	/* no new records once detached; then take what is left */
	bpfutil_detach_all(s->skel->skeleton);
	ring_buffer__consume(s->rb);
	ebpf_emit_end(s);
	ebpf_free(s);
}

/* ---- construction ----------------------------------------------------------- */

/*
 * Which tracepoints this kernel has. tracefs answers with one access() per
 * name; the kernel's BTF (5.5 MB to read and parse, ~15 ms here, and libbpf
 * parses it again on load) is read only when tracefs is not mounted. Every
 * tracepoint used here is a TRACE_EVENT, so it has a tracefs entry.
 */
struct ebpf_tracepoints {
	const char *events; /* tracefs events folder, or NULL */
	struct btf *btf;    /* else the kernel's BTF */
};

static int ebpf_tracepoints_open(struct ebpf_tracepoints *tp)
{
	static const char *const folders[] = {
		"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events",
	};

	tp->btf = NULL;
	for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
		tp->events = folders[i];
		if (access(tp->events, X_OK) == 0 && access("/sys/kernel/btf/vmlinux", R_OK) == 0)
			return 0;
	}
	tp->events = NULL;
	tp->btf = btf__load_vmlinux_btf();
	return tp->btf ? 0 : -1;
}

static bool ebpf_has_tracepoint(const struct ebpf_tracepoints *tp, const char *group,
				const char *name)
{
	char path[256];

	if (tp->events) {
		snprintf(path, sizeof(path), "%s/%s/%s", tp->events, group, name);
		return access(path, F_OK) == 0;
	}
	snprintf(path, sizeof(path), "btf_trace_%s", name);
	return btf__find_by_name_kind(tp->btf, path, BTF_KIND_TYPEDEF) >= 0;
}

static const char *ebpf_fix(int err)
{
	if (err == EPERM || err == EACCES)
		return EBPF_FIX_PRIV;
	return "run with -v to see libbpf's messages";
}

/*
 * Turns off the programs whose tracepoint this kernel lacks. Returns the
 * name of a missing tracepoint without which the source cannot work, or
 * NULL.
 */
static const char *ebpf_select_programs(struct ebpf_source *s,
					const struct ebpf_tracepoints *tp)
{
	static const char *const required[] = {
		"sched_wakeup", "sched_wakeup_new", "sched_switch", "sched_process_fork",
		"sched_process_exit",
	};
	struct latency *k = s->skel;
	bool io_start, insert, issue, complete, wb;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!ebpf_has_tracepoint(tp, "sched", required[i]))
			return required[i];
	if (!ebpf_has_tracepoint(tp, "sched", "sched_process_exec"))
		bpf_program__set_autoload(k->progs.lat_exec, false);

	io_start = ebpf_has_tracepoint(tp, "block", "block_io_start");
	insert = ebpf_has_tracepoint(tp, "block", "block_rq_insert");
	issue = ebpf_has_tracepoint(tp, "block", "block_rq_issue");
	complete = ebpf_has_tracepoint(tp, "block", "block_rq_complete");
	bpf_program__set_autoload(k->progs.lat_io_start, io_start);
	bpf_program__set_autoload(k->progs.lat_rq_insert, !io_start && insert);
	bpf_program__set_autoload(k->progs.lat_rq_issue, issue);
	if (!complete || !issue) {
		bpf_program__set_autoload(k->progs.lat_io_start, false);
		bpf_program__set_autoload(k->progs.lat_rq_insert, false);
		bpf_program__set_autoload(k->progs.lat_rq_issue, false);
		bpf_program__set_autoload(k->progs.lat_rq_complete, false);
		ebpf_note(s, "eBPF: no block_rq_issue/block_rq_complete tracepoints: "
			     "block I/O latency is off");
		io_start = false;
	}
	wb = complete && issue &&
	     ebpf_has_tracepoint(tp, "writeback", "writeback_mark_inode_dirty");
	if (!wb) {
		bpf_program__set_autoload(k->progs.lat_inode_dirty, false);
		if (complete && issue)
			ebpf_note(s, "eBPF: no writeback_mark_inode_dirty tracepoint: writeback "
				     "is not attributed to the traced tasks");
	}
	return NULL;
}

struct source *ebpf_source_new(const struct ebpf_opts *o, struct source_emit emit,
			       char *why, size_t whylen)
{
	struct ebpf_source *s;
	struct ebpf_tracepoints tp;
	struct bpfutil_pidns ns;
	const char *missing;
	int err;

	if (!emit.fn) {
		bpfutil_why(why, whylen, "eBPF unavailable: no event callback");
		return NULL;
	}
	if (bpfutil_pidns(&ns) == 0 && !ns.initial) {
		/* the programs read task->pid and tgid: the host's ids */
		bpfutil_why(why, whylen,
			    "eBPF latency unavailable inside a PID namespace (a container): the "
			    "programs see the host's process ids — run compendium on the host");
		return NULL;
	}
	if (ebpf_tracepoints_open(&tp)) {
		bpfutil_why(why, whylen,
			 "eBPF unavailable: kernel BTF (/sys/kernel/btf/vmlinux): %s — "
			 "use a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			 strerror(errno));
		return NULL;
	}

	s = calloc(1, sizeof(*s));
	if (!s) {
		btf__free(tp.btf);
		bpfutil_why(why, whylen, "eBPF unavailable: out of memory");
		return NULL;
	}
	s->emit = emit;
	s->base_ns = o->mono_base_ns;
	s->epfd = s->wake_fd = -1;
	atomic_init(&s->stopping, false);

	s->skel = latency__open();
	if (!s->skel) {
		err = errno;
		btf__free(tp.btf);
		bpfutil_why(why, whylen, "eBPF unavailable: opening the BPF object: %s — %s",
			 strerror(err), ebpf_fix(err));
		free(s);
		return NULL;
	}
	missing = ebpf_select_programs(s, &tp);
	btf__free(tp.btf);
	if (missing) {
		bpfutil_why(why, whylen,
			 "eBPF unavailable: the kernel has no %s tracepoint — use Linux 5.5 or later "
			 "with CONFIG_DEBUG_INFO_BTF=y", missing);
		ebpf_free(s);
		return NULL;
	}

	s->skel->rodata->sched_threshold_ns = o->sched_threshold_ns;
	s->ringbuf_bytes = bpfutil_ringbuf_size(o->ringbuf_bytes, LAT_DEFAULT_RINGBUF_BYTES);
	s->skel->rodata->wakeup_bytes = s->ringbuf_bytes / EBPF_WAKEUP_FRACTION;
	err = bpf_map__set_max_entries(s->skel->maps.events, (__u32)s->ringbuf_bytes);
	if (!err)
		err = latency__load(s->skel);
	if (err) {
		bpfutil_why(why, whylen, "eBPF unavailable: loading BPF programs: %s — %s",
			 strerror(-err), ebpf_fix(-err));
		ebpf_free(s);
		return NULL;
	}
	err = latency__attach(s->skel);
	if (err) {
		bpfutil_why(why, whylen, "eBPF unavailable: attaching to tracepoints: %s — %s",
			 strerror(-err), ebpf_fix(-err));
		ebpf_free(s);
		return NULL;
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), ebpf_on_record, s, NULL);
	if (!s->rb) {
		err = errno;
		bpfutil_why(why, whylen, "eBPF unavailable: ring buffer: %s — %s", strerror(err),
			 ebpf_fix(err));
		ebpf_free(s);
		return NULL;
	}
	err = ebpf_reader_fds(s);
	if (!err)
		err = pthread_create(&s->reader, NULL, ebpf_reader, s);
	else
		err = -err;
	if (err) {
		bpfutil_why(why, whylen, "eBPF unavailable: reader thread: %s", strerror(err));
		ebpf_free(s);
		return NULL;
	}
	s->reader_started = true;

	s->src.name = "ebpf";
	s->src.ctx = s;
	s->src.task_new = ebpf_task_new;
	s->src.task_gone = ebpf_task_gone;
	s->src.stop = ebpf_stop;
	if (why && whylen)
		why[0] = '\0';
	return &s->src;
}

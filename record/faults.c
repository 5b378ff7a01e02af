/*
 * faults.c - the page-fault source: one perf event and ring buffer per
 * traced task, one reader thread (see faults.h for the contract).
 *
 * Threads and ownership. The engine thread calls task_new / task_gone /
 * stop; the reader thread drains ring buffers and is the only one that ever
 * unmaps, closes or frees a task. The two meet in `lock`, which guards only
 * the tid table and two hand-over queues and is never held across a drain,
 * so task_new stays cheap however busy the reader is:
 *
 *   task_new   opens + maps the event, then (locked) hashes the task and
 *              pushes it on `newq`, then adds its fd to epoll.
 *   task_gone  (locked) unhashes the task and pushes it on `goneq`.
 *   reader     after each epoll_wait: adopts `newq` into its own list,
 *              drains the buffers that are ready, then drains and frees
 *              `goneq`. A task whose event hung up (the task exited and
 *              nobody called task_gone) is freed by the reader only if it is
 *              still hashed: otherwise it already sits on `goneq`.
 *
 * Because a task is queued on `newq` before its fd enters epoll, and `goneq`
 * is emptied only after a batch, no epoll batch can name a freed task.
 *
 * Why per-task events rather than per-CPU events filtered by tid: per-CPU
 * events sample every fault of the machine (the tracer pays for other
 * programs' faults and must filter them; an untraced process faulting beside
 * the traced one ran ~14% slower against ~5% here), and they need
 * perf_event_paranoid <= 0 or CAP_PERFMON where per-task user-mode events
 * need nothing. Per-task events cost one open + mmap per task: ~40 us with
 * the default ring, against a tid insert (tests/bench/bench_faults).
 */
#define _GNU_SOURCE
#include "util.h"
#include "record/faults.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FL_BUCKETS 1024u                 /* tid table; chains are short */
#define FL_EPOLL_BATCH 64
#define FL_SCAN_MS 100                   /* every buffer is drained this often */
/*
 * The reader is woken when a ring is 1/FL_WAKE_DIV full: one wakeup per
 * ~800 samples with the default ring, and 3/4 of it left as room for the
 * reader's scheduling latency (half was not enough on a busy 2-CPU VM).
 */
#define FL_WAKE_DIV 4
#define FL_REC_MAX 256                   /* larger records are skipped, not parsed */
#define FL_USER_MAX 0x0000800000000000ull /* x86-64 user addresses are below */
#define FL_PARANOID "/proc/sys/kernel/perf_event_paranoid"

struct fl_task {
	pid_t tid;
	int fd;
	uint64_t samples;                /* samples read (reader only) */
	uint64_t lost_records;           /* PERF_RECORD_LOST sums (reader only) */
	unsigned pages;                  /* data pages */
	size_t data_size;                /* pages * page size, a power of two */
	struct perf_event_mmap_page *pg; /* the mapping starts here */
	uint8_t *data;
	bool hashed;                     /* in the tid table (under lock) */
	struct fl_task *hnext;           /* tid table chain (under lock) */
	/* newq and goneq have a link each: a short-lived task can be on both
	 * at once (queued new, then gone, before the reader syncs), and one
	 * shared link would splice the two lists together. */
	struct fl_task *newnext;         /* newq (under lock) */
	struct fl_task *gonenext;        /* goneq (under lock) */
	struct fl_task *prev, *next;     /* the reader's list (reader only) */
};

struct faults {
	struct source src;
	struct source_emit emit;
	struct perf_event_attr attr;
	uint64_t base_ns;
	size_t page;
	unsigned pages, budget;
	char note[256];                  /* degraded mode, "" when none */

	int epfd, evfd;
	pthread_t thread;
	atomic_bool stopping;
	atomic_uint mapped_pages;        /* all ring buffers, data pages */

	pthread_mutex_t lock;
	struct fl_task *table[FL_BUCKETS];
	struct fl_task *newq, *goneq;

	/* reader thread only */
	struct fl_task *all;
	uint64_t lost, corrupt;

	/* engine thread only */
	uint64_t failed;                 /* tasks not followed */
	int first_err;
};

static uint64_t fl_ts(const struct faults *f, uint64_t mono)
{
	return mono > f->base_ns ? mono - f->base_ns : 0;
}

static int fl_open(struct perf_event_attr *attr, pid_t tid)
{
	long fd = syscall(SYS_perf_event_open, attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : (int)fd;
}

static unsigned fl_pow2_floor(unsigned v)
{
	unsigned p = 1;

	while (p <= v / 2)
		p *= 2;
	return p;
}

/* ---- draining a ring buffer (reader thread) ---------------------------------- */

static void fl_sample(struct faults *f, struct fl_task *t, const struct perf_event_header *h,
		      const uint8_t *p)
{
	/* PERF_SAMPLE_IP | TID | TIME | ADDR, in the kernel's order */
	struct { uint64_t ip; uint32_t pid, tid; uint64_t time, addr; } s;
	struct event ev;

	if (h->size < sizeof(*h) + sizeof(s))
		return;
	t->samples++;
	memcpy(&s, p + sizeof(*h), sizeof(s));
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_FAULT;
	ev.sysno = -1;
	ev.ts_ns = fl_ts(f, s.time);
	ev.pid = s.pid;
	ev.tid = s.tid;
	ev.fault.addr = s.addr;
	/* A fault the kernel took on user memory: its ip is a kernel address. */
	if ((h->misc & PERF_RECORD_MISC_CPUMODE_MASK) != PERF_RECORD_MISC_KERNEL &&
	    s.ip < FL_USER_MAX)
		ev.fault.ip = s.ip;
	f->emit.fn(f->emit.ctx, &ev);
}

static void fl_record(struct faults *f, struct fl_task *t, const struct perf_event_header *h,
		      const uint8_t *p)
{
	uint64_t lost;

	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		fl_sample(f, t, h, p);
		break;
	case PERF_RECORD_LOST: /* header, u64 id, u64 lost */
		if (h->size >= sizeof(*h) + 16) {
			memcpy(&lost, p + sizeof(*h) + 8, sizeof(lost));
			t->lost_records += lost;
		}
		break;
	default: /* throttling and the like carry nothing we record */
		break;
	}
}

/*
 * Consumes every complete record. The ring is shared with the kernel: sizes
 * are bounded by what is available, and a record that makes no sense
 * discards the rest of the buffer (counted) instead of being trusted.
 */
static void fl_drain(struct faults *f, struct fl_task *t)
{
	uint64_t head = __atomic_load_n(&t->pg->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = t->pg->data_tail;
	uint64_t mask = t->data_size - 1;
	uint8_t rec[FL_REC_MAX];

	if (head - tail > t->data_size) {
		f->corrupt++;
		tail = head;
	}
	while (head - tail >= sizeof(struct perf_event_header)) {
		size_t off = (size_t)(tail & mask);
		struct perf_event_header h;
		const uint8_t *p = t->data + off;

		/* Records are 8-byte multiples: a header never straddles the end. */
		memcpy(&h, p, sizeof(h));
		if (h.size < sizeof(h) || h.size > head - tail || (h.size & 7)) {
			f->corrupt++;
			tail = head;
			break;
		}
		if (h.size <= sizeof(rec)) {
			if (off + h.size > t->data_size) {
				size_t first = t->data_size - off;

				memcpy(rec, p, first);
				memcpy(rec + first, t->data, h.size - first);
				p = rec;
			}
			fl_record(f, t, &h, p);
		}
		tail += h.size;
	}
	__atomic_store_n(&t->pg->data_tail, tail, __ATOMIC_RELEASE);
}

/* ---- task lifetime -------------------------------------------------------------- */

static void fl_task_free(struct faults *f, struct fl_task *t)
{
	if (t->pg) {
		munmap(t->pg, (1 + (size_t)t->pages) * f->page);
		atomic_fetch_sub(&f->mapped_pages, t->pages);
	}
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

/*
 * Samples the kernel dropped for a drained task. The event counts every
 * fault whether or not its sample found room, so count - samples read is
 * exact; PERF_RECORD_LOST alone misses the drops after the last record
 * written (a task that overflows its buffer and exits).
 */
static uint64_t fl_task_lost(const struct fl_task *t)
{
	uint64_t count = 0;

	if (read(t->fd, &count, sizeof(count)) == sizeof(count) && count > t->samples)
		return count - t->samples > t->lost_records ? count - t->samples : t->lost_records;
	return t->lost_records;
}

/* Reader: drains, unlinks from the reader's list, frees. */
static void fl_task_close(struct faults *f, struct fl_task *t)
{
	/* A task still running (detach, stop) must not fault between the
	 * drain and the count read, or its faults would pass for lost ones. */
	ioctl(t->fd, PERF_EVENT_IOC_DISABLE, 0);
	fl_drain(f, t);
	f->lost += fl_task_lost(t);
	/* A forked child may hold a copy of the fd (CLOEXEC acts at exec only):
	 * close alone would leave the epoll entry, and its pointer, alive. */
	epoll_ctl(f->epfd, EPOLL_CTL_DEL, t->fd, NULL);
	if (t->prev)
		t->prev->next = t->next;
	else if (f->all == t)
		f->all = t->next;
	if (t->next)
		t->next->prev = t->prev;
	fl_task_free(f, t);
}

/* Under lock. */
static struct fl_task **fl_slot(struct faults *f, pid_t tid)
{
	struct fl_task **pp = &f->table[(unsigned)tid % FL_BUCKETS];

	while (*pp && (*pp)->tid != tid)
		pp = &(*pp)->hnext;
	return pp;
}

/* Under lock: unhash the task of `tid` and queue it for closing. */
static bool fl_unhash_locked(struct faults *f, pid_t tid)
{
	struct fl_task **pp = fl_slot(f, tid), *t = *pp;

	if (!t)
		return false;
	*pp = t->hnext;
	t->hashed = false;
	t->gonenext = f->goneq;
	f->goneq = t;
	return true;
}

static void fl_wake(struct faults *f)
{
	uint64_t one = 1;

	if (write(f->evfd, &one, sizeof(one)) < 0) {
		/* the counter is full: the reader is due to wake anyway */
	}
}

/*
 * Opens the event of `tid` with a ring of `pages` data pages, fewer when the
 * kernel refuses the memory (EPERM past RLIMIT_MEMLOCK + perf_event_mlock_kb
 * for unprivileged users): each try reopens, so that the wakeup mark always
 * matches the ring that was mapped. The task is stopped: nothing is missed.
 */
static int fl_open_mapped(struct faults *f, struct fl_task *t, unsigned pages)
{
	struct perf_event_attr attr = f->attr;

	for (;;) {
		size_t len = (1 + (size_t)pages) * f->page;
		void *m;

		attr.wakeup_watermark = (uint32_t)((size_t)pages * f->page / FL_WAKE_DIV);
		t->fd = fl_open(&attr, t->tid);
		if (t->fd < 0)
			return t->fd;
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
		if (m != MAP_FAILED) {
			t->pg = m;
			t->data = (uint8_t *)m + f->page;
			t->pages = pages;
			t->data_size = (size_t)pages * f->page;
			atomic_fetch_add(&f->mapped_pages, pages);
			return 0;
		}
		int err = errno;
		close(t->fd);
		t->fd = -1;
		if ((err != EPERM && err != ENOMEM) || pages == 1)
			return -err;
		pages /= 2;
	}
}

/* Opens and maps the event of `tid`: 0 and *out, or -errno. */
static int fl_task_open(struct faults *f, pid_t tid, struct fl_task **out)
{
	struct fl_task *t = calloc(1, sizeof(*t));
	unsigned pages = f->pages;
	int rc;

	if (!t)
		return -ENOMEM;
	t->tid = tid;
	if (atomic_load(&f->mapped_pages) >= f->budget && pages > FAULTS_SMALL_PAGES)
		pages = FAULTS_SMALL_PAGES;
	/* Opened disabled, enabled once mapped: no sample can fall between
	 * the two, where it would be counted but have nowhere to go. */
	rc = fl_open_mapped(f, t, pages);
	if (rc == 0 && ioctl(t->fd, PERF_EVENT_IOC_ENABLE, 0) != 0)
		rc = -errno;
	if (rc != 0) {
		fl_task_free(f, t);
		return rc;
	}
	*out = t;
	return 0;
}

static int fl_task_new(void *ctx, pid_t tid, pid_t pid)
{
	struct faults *f = ctx;
	struct fl_task *t = NULL, **pp;
	struct epoll_event ee;
	bool replaced;
	int rc;

	(void)pid; /* samples carry their own pid and tid */
	rc = fl_task_open(f, tid, &t);
	if (rc != 0) {
		if (rc != -ESRCH && !f->failed++) /* ESRCH: it died, nothing to miss */
			f->first_err = -rc;
		return rc;
	}
	pthread_mutex_lock(&f->lock);
	replaced = fl_unhash_locked(f, tid); /* a tid whose end we missed */
	pp = fl_slot(f, tid);
	t->hnext = *pp;
	*pp = t;
	t->hashed = true;
	t->newnext = f->newq;
	f->newq = t;
	pthread_mutex_unlock(&f->lock);
	if (replaced)
		fl_wake(f);

	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	ee.data.ptr = t;
	/* Should this fail (ENOMEM), the periodic scan still drains the task. */
	epoll_ctl(f->epfd, EPOLL_CTL_ADD, t->fd, &ee);
	return 0;
}

static void fl_task_gone(void *ctx, pid_t tid)
{
	struct faults *f = ctx;
	bool found;

	pthread_mutex_lock(&f->lock);
	found = fl_unhash_locked(f, tid);
	pthread_mutex_unlock(&f->lock);
	if (found)
		fl_wake(f);
}

/* ---- the reader thread -------------------------------------------------------- */

static void fl_adopt(struct faults *f, struct fl_task *t)
{
	struct fl_task *next;

	for (; t; t = next) {
		next = t->newnext;
		t->prev = NULL;
		t->next = f->all;
		if (f->all)
			f->all->prev = t;
		f->all = t;
	}
}

/*
 * Takes both queues at once: a task queued as gone was queued as new
 * before, so adopting first means every task closed is on the list.
 */
static void fl_sync(struct faults *f, bool close_gone)
{
	struct fl_task *fresh, *gone = NULL, *next;

	pthread_mutex_lock(&f->lock);
	fresh = f->newq;
	f->newq = NULL;
	if (close_gone) {
		gone = f->goneq;
		f->goneq = NULL;
	}
	pthread_mutex_unlock(&f->lock);
	fl_adopt(f, fresh);
	for (; gone; gone = next) {
		next = gone->gonenext;
		fl_task_close(f, gone);
	}
}

/* The task exited: close it now unless task_gone already queued it. */
static void fl_hangup(struct faults *f, struct fl_task *t)
{
	bool mine = false;

	pthread_mutex_lock(&f->lock);
	if (t->hashed) {
		struct fl_task **pp = fl_slot(f, t->tid);

		if (*pp == t) {
			*pp = t->hnext;
			t->hashed = false;
			mine = true;
		}
	}
	pthread_mutex_unlock(&f->lock);
	if (mine)
		fl_task_close(f, t);
}

static void *fl_reader(void *arg)
{
	struct faults *f = arg;
	struct epoll_event evs[FL_EPOLL_BATCH];
	uint64_t last_scan = util_mono_ns();

	for (;;) {
		int n = epoll_wait(f->epfd, evs, FL_EPOLL_BATCH, FL_SCAN_MS);
		bool stopping = atomic_load(&f->stopping);

		fl_sync(f, false);
		for (int i = 0; i < n; i++) {
			struct fl_task *t = evs[i].data.ptr;
			uint64_t v;

			if (!t) {
				if (read(f->evfd, &v, sizeof(v)) < 0) {
					/* EAGAIN: another wake already consumed it */
				}
				continue;
			}
			fl_drain(f, t);
			if (evs[i].events & (EPOLLHUP | EPOLLERR))
				fl_hangup(f, t);
		}
		fl_sync(f, true);
		if (stopping)
			break;
		if (n == 0 || util_mono_ns() - last_scan >= FL_SCAN_MS * 1000000ull) {
			for (struct fl_task *t = f->all; t; t = t->next)
				fl_drain(f, t);
			last_scan = util_mono_ns();
		}
	}
	/* stop: nothing can be added any more (stop runs on the engine thread) */
	fl_sync(f, true);
	while (f->all)
		fl_task_close(f, f->all);
	return NULL;
}

/* ---- start and stop ------------------------------------------------------------- */

static void fl_emit_note(struct faults *f, const char *text)
{
	source_emit_note(f->emit, fl_ts(f, util_mono_ns()), text);
}

static void fl_stop(void *ctx)
{
	struct faults *f = ctx;
	char text[256];

	atomic_store(&f->stopping, true);
	fl_wake(f);
	pthread_join(f->thread, NULL);

	source_emit_loss(f->emit, fl_ts(f, util_mono_ns()), FAULTS_LOSS_SOURCE, f->lost,
			 "page-fault samples dropped by the kernel: a ring buffer was full");
	if (f->corrupt) {
		snprintf(text, sizeof(text),
			 "page faults: %llu perf ring buffer(s) held malformed records, skipped",
			 (unsigned long long)f->corrupt);
		fl_emit_note(f, text);
	}
	if (f->failed) {
		snprintf(text, sizeof(text), "page faults of %llu task%s not recorded: %s",
			 (unsigned long long)f->failed, f->failed == 1 ? " were" : "s were",
			 strerror(f->first_err));
		fl_emit_note(f, text);
	}
	if (f->note[0])
		fl_emit_note(f, f->note);

	close(f->epfd);
	close(f->evfd);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static int fl_paranoid(void)
{
	FILE *fp = fopen(FL_PARANOID, "re");
	int v = -100;

	if (fp) {
		if (fscanf(fp, "%d", &v) != 1)
			v = -100;
		fclose(fp);
	}
	return v;
}

static void fl_why_refused(char *why, size_t whylen, int err)
{
	int par = fl_paranoid();

	if ((err == EACCES || err == EPERM) && par >= 3)
		snprintf(why, whylen,
			 "page faults unavailable: perf_event_paranoid is %d — run as root, "
			 "grant CAP_PERFMON, or: sysctl kernel.perf_event_paranoid=1", par);
	else if (err == EACCES || err == EPERM)
		snprintf(why, whylen,
			 "page faults unavailable: perf_event_open was refused (%s) although "
			 "perf_event_paranoid is %d — a seccomp filter or security module blocks it "
			 "(in a container: allow perf_event_open and grant CAP_PERFMON)",
			 strerror(err), par);
	else if (err == ENOSYS || err == ENOENT || err == EOPNOTSUPP)
		snprintf(why, whylen,
			 "page faults unavailable: this kernel has no software perf events (%s) — "
			 "it needs CONFIG_PERF_EVENTS", strerror(err));
	else
		snprintf(why, whylen, "page faults unavailable: perf_event_open: %s",
			 strerror(err));
}

/*
 * Opens the event on ourselves to learn what the kernel allows: faults
 * taken in kernel mode too when permitted, else user mode only.
 */
static int fl_probe(struct faults *f, bool user_only, char *why, size_t whylen)
{
	int fd = -EACCES;

	if (!user_only) {
		f->attr.exclude_kernel = 0;
		fd = fl_open(&f->attr, 0);
	}
	if (fd == -EACCES || fd == -EPERM) {
		f->attr.exclude_kernel = 1;
		fd = fl_open(&f->attr, 0);
		if (fd >= 0 && !user_only)
			snprintf(f->note, sizeof(f->note),
				 "page faults: only faults taken in user mode are recorded (not those "
				 "the kernel takes on user memory, e.g. read() into a fresh buffer): "
				 "perf_event_paranoid is %d — run as root, grant CAP_PERFMON, or: "
				 "sysctl kernel.perf_event_paranoid=1", fl_paranoid());
	}
	if (fd < 0) {
		fl_why_refused(why, whylen, -fd);
		return fd;
	}
	close(fd);
	return 0;
}

struct source *faults_source_new(const struct faults_opts *o, struct source_emit emit,
				 char *why, size_t whylen)
{
	struct faults *f;
	sigset_t all, old;
	struct epoll_event ee;
	char dummy[1];
	int rc;

	if (!why || !whylen) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	why[0] = '\0';
	if (!o || !emit.fn) {
		snprintf(why, whylen, "page faults unavailable: no options or emit callback");
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(why, whylen, "page faults unavailable: out of memory");
		return NULL;
	}
	f->emit = emit;
	f->base_ns = o->mono_base_ns;
	f->page = (size_t)sysconf(_SC_PAGESIZE);
	f->pages = o->buffer_pages ? o->buffer_pages : FAULTS_DEFAULT_PAGES;
	f->pages = fl_pow2_floor(f->pages < FAULTS_MAX_PAGES ? f->pages : FAULTS_MAX_PAGES);
	f->budget = o->budget_pages ? o->budget_pages : FAULTS_DEFAULT_BUDGET;
	f->epfd = f->evfd = -1;
	f->attr.size = sizeof(f->attr);
	f->attr.type = PERF_TYPE_SOFTWARE;
	f->attr.config = PERF_COUNT_SW_PAGE_FAULTS_MIN;
	f->attr.sample_period = 1;
	f->attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ADDR;
	f->attr.exclude_hv = 1;
	f->attr.disabled = 1;
	f->attr.use_clockid = 1;
	f->attr.clockid = CLOCK_MONOTONIC;
	f->attr.watermark = 1; /* wakeup_watermark: per task, FL_WAKE_DIV */

	if (fl_probe(f, o->user_mode_only, why, whylen) != 0) {
		free(f);
		return NULL;
	}
	if (f->note[0])
		snprintf(why, whylen, "%s", f->note);

	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	f->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	ee.data.ptr = NULL;
	if (f->epfd < 0 || f->evfd < 0 || epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->evfd, &ee) != 0) {
		snprintf(why, whylen, "page faults unavailable: epoll/eventfd: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&f->lock, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&f->thread, NULL, fl_reader, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_mutex_destroy(&f->lock);
		snprintf(why, whylen, "page faults unavailable: cannot start the reader thread: %s",
			 strerror(rc));
		goto fail;
	}
	f->src.name = FAULTS_SOURCE_NAME;
	f->src.ctx = f;
	f->src.task_new = fl_task_new;
	f->src.task_gone = fl_task_gone;
	f->src.stop = fl_stop;
	return &f->src;
fail:
	if (f->epfd >= 0)
		close(f->epfd);
	if (f->evfd >= 0)
		close(f->evfd);
	free(f);
	return NULL;
}

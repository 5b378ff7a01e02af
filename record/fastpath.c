/*
 * fastpath.c - user side of the fast path (I/O and memory calls): loads
 * bpf/io.bpf.c (embedded by `bpftool gen skeleton`), keeps its task map in
 * step with the tracer, consumes its ring buffer and hands each record to
 * the engine as a finished syscall. The contract is in record/fastpath.h;
 * the record layout in bpf/io.h.
 *
 * ATTRIBUTION AND ORDERING
 *
 * An I/O record names an fd; what the fd is (path, peer) lives in the
 * ptrace side's fd table, which changes at the stops of open, close, dup,
 * socket, connect, accept, exec... The engine decodes a record against the
 * fd table *as it is when the record is handed over*, so the rule is: a
 * record must be handed over after every fd change the task made before
 * the I/O, and before every fd change it makes after it.
 *
 *  - After: the I/O happens after the task's own earlier fd changes were
 *    applied, because the task sat in a ptrace stop (the exit of open,
 *    socket, dup...) until the engine had applied them. Its record cannot
 *    even exist earlier.
 *  - Before: a record is submitted at sys_exit, before the task returns to
 *    user space, so it is in the ring before the task can enter its next
 *    syscall. The engine drains the ring (fastpath_drain) on its own thread
 *    at the top of every wait-loop wake-up, before it handles the stop, and
 *    the drain hands over every record *reserved* before it (it waits for a
 *    record another CPU is still filling rather than stopping at it, as
 *    libbpf's consumer would: that is why the consumer is ours). So by the
 *    time the engine handles a task's close / dup2 / exec / exit, all of
 *    that task's earlier I/O has been attributed with the old fd table.
 *  - In between, a reader thread hands records over as they come (so the
 *    ring does not fill while the tracer sleeps in waitpid); it holds the
 *    engine's state lock while it does, so a record never sees an fd table
 *    half-way through a change, and the two consumers never interleave.
 *
 * This gives, per task, exactly the order in which the task made its
 * syscalls: close-and-reopen of the same fd number in a tight loop is
 * right, and so are threads of one fd table that each use their own fds,
 * however the numbers are reused between them. What no tracer can order is
 * one thread's I/O on an fd that *another* thread closes at the same
 * moment: the ptrace path attributes it with the table at its exit stop,
 * the fast path with the table when its record is handed over; both are
 * "the file the fd referred to around then".
 *
 * Why not (b) capture the open file's identity in BPF (struct file * or
 * inode via task->files->fdt->fd[fd]) and match it against the table? The
 * table would have to learn each fd's identity at open time (an fstat of
 * /proc/PID/fd/N per open: one more syscall on the ptrace path's hottest
 * decoder), the BPF program would walk four pointers per call, and a
 * mismatch would still need a history of old entries to resolve. The
 * ordering above gives the same answer for every race a program can make
 * deterministic, at the cost of two loads per stop. Nor (c) a per-fd
 * generation mirrored into a map: the kernel changes the fd table before
 * the tracer sees the change, so the mirror would always lag.
 *
 * The memory calls (brk, mmap, munmap, mremap, mprotect, pkey_mprotect)
 * follow the same rule with one more piece of state: brk's old break is
 * the address space's break (task_mm) as the decoder last left it. It
 * changes only through brk itself (now all here, in ring order, which is
 * the order the calls left the kernel) and at the ptrace stops that make or
 * replace an address space: fork copies the parent's break at the parent's
 * clone event, exec resets it at the exec event. Both stops come after the
 * task's earlier records are in the ring (drained first, as above) and
 * before the new image or child can make a call (it is stopped), so the
 * break each brk event reports is the one ptrace would report. mmap's fd
 * is looked up like a read's: it names an fd but creates none.
 *
 * OPENS: ptrace keeps open, openat, creat, execve and execveat
 * (IO_RESULT_LIST), but takes only their entry stop. There the engine
 * reads the path and makes it absolute against the cwd and dirfd as the
 * task sees them (every earlier call of the task is applied by then),
 * marks the call pending and resumes
 * the task without an exit stop; the kernel side records the call like a
 * read, and the record, handed over by the same rules as above, brings the
 * fd or errno and the times, and completes the open. Every later call of
 * the task comes after it: its I/O records follow it in the ring, and its
 * next ptrace stop is handled after the drain that hands the record over.
 * Another thread can use the new fd only after the open returned, so after
 * the record was committed. A record is matched to the pending call by
 * number and time (it starts after the entry stop); a record lost to a
 * full ring is counted ("fastpath-open") and its open is not recorded (the
 * fd is then resolved from /proc at its first use); a record without a
 * pending call is one ptrace never stopped for (an open the program's own
 * seccomp filter denied), ignored as ptrace alone would.
 *
 * Closes across threads: thread A's close and thread B's open of the same
 * fd number. A close that cannot fail (pipes, sockets, files on local
 * filesystems: record/fdclose.h) is applied at its entry stop, before the
 * kernel frees the number, so B's open exit stop always comes after it. A
 * close that may fail is applied at its exit stop, and when both exit
 * stops wait in waitpid at once the engine may apply B's open first, which
 * A's close then drops; B's I/O on it is resolved again from /proc/PID/fd.
 */
#define _GNU_SOURCE
#include "util.h"
#include "record/bpfutil.h"
#include "record/fastpath.h"

#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/io.h"
#include "io.skel.h"

/* The reader is woken when 1/FASTPATH_WAKEUP_FRACTION of the ring is full. */
#define FASTPATH_WAKEUP_FRACTION 8
/* How long a drain waits for a record another CPU is still writing. */
#define FASTPATH_BUSY_WAIT_NS (20ull * 1000 * 1000)
#define FASTPATH_FIX_PRIV "run as root or grant CAP_BPF and CAP_PERFMON"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* The kernel's ring buffer, mapped: our own consumer (see above). */
struct fastpath_ring {
	unsigned long *consumer_pos; /* read-write page */
	const unsigned long *producer_pos;
	const uint8_t *data;         /* mapped twice in a row: records never wrap */
	size_t size;                 /* data bytes, a power of two */
	void *cons_map, *prod_map;
	size_t prod_len;
};

struct fastpath {
	struct iofast *skel;
	struct fastpath_ring ring;
	int epfd;
	int wake_fd;       /* eventfd: fastpath_stop wakes the reader at once */
	pthread_t reader;
	bool reader_started;
	atomic_bool stopping;
	pthread_mutex_t *lock;
	fastpath_call_fn on_call;
	void *ctx;
	uint64_t base_ns;
	uint64_t unknown;  /* records of tasks the engine did not know */
	uint64_t tasks_full; /* threads not followed: task map full */
	uint64_t torn;     /* records too short to be ours (never expected) */
	struct bpfutil_pidns pidns; /* ours; when not the host's, the kernel side
				       takes ids in it */
	uint64_t nested;   /* threads not followed: in a nested PID namespace */
	pid_t *unfollowed; /* threads the kernel side does not record (nested,
			      or the task map was full); usually none */
	uint32_t nunfollowed, unfollowed_cap;
};

static const int32_t fastpath_nrs[] = {
#define FASTPATH_NR(nr, kind) nr,
	IO_FAST_LIST(FASTPATH_NR)
#undef FASTPATH_NR
};

static const int32_t fastpath_result_nrs[] = {
#define FASTPATH_NR(nr, kind) nr,
	IO_RESULT_LIST(FASTPATH_NR)
#undef FASTPATH_NR
};

static bool fastpath_in(const int32_t *nrs, size_t n, int32_t nr)
{
	for (size_t i = 0; i < n; i++)
		if (nrs[i] == nr)
			return true;
	return false;
}

bool fastpath_owns(int32_t nr)
{
	return fastpath_in(fastpath_nrs, sizeof(fastpath_nrs) / sizeof(fastpath_nrs[0]), nr);
}

bool fastpath_completes(int32_t nr)
{
	return fastpath_in(fastpath_result_nrs,
			   sizeof(fastpath_result_nrs) / sizeof(fastpath_result_nrs[0]), nr);
}

static uint64_t fastpath_rel(const struct fastpath *f, uint64_t mono)
{
	return mono > f->base_ns ? mono - f->base_ns : 0;
}

/* ---- records -> finished syscalls ------------------------------------------ */

static void fastpath_record(struct fastpath *f, const uint8_t *data, uint32_t len)
{
	const struct io_record *r = (const struct io_record *)data;
	const struct io_record_sa *s = (const struct io_record_sa *)data;
	struct syscall_call call;

	if (len < sizeof(*r) || ((r->flags & IO_F_SA) && len < sizeof(*s))) {
		f->torn++;
		return;
	}
	memset(&call, 0, sizeof(call));
	call.nr = r->nr;
	memcpy(call.args, r->args, sizeof(call.args));
	call.ret = r->ret;
	call.ts_enter_ns = fastpath_rel(f, r->ts_ns);
	call.ts_exit_ns = fastpath_rel(f, r->ts_ns + r->dur_ns);
	if (r->flags & IO_F_SA) {
		call.sa_known = true;
		call.sa_len = s->sa_len < IO_SA_MAX ? s->sa_len : IO_SA_MAX;
		call.sa = s->sa;
	}
	if (!f->on_call(f->ctx, (pid_t)r->tid, (pid_t)r->tgid, &call))
		f->unknown++;
}

/*
 * Consumes every record reserved before the call. A record still being
 * written (busy) is waited for, up to FASTPATH_BUSY_WAIT_NS: it was
 * reserved by a BPF program that is running now.
 */
void fastpath_drain(struct fastpath *f)
{
	struct fastpath_ring *rg = &f->ring;
	unsigned long cons = __atomic_load_n(rg->consumer_pos, __ATOMIC_RELAXED);
	unsigned long prod = __atomic_load_n(rg->producer_pos, __ATOMIC_ACQUIRE);
	uint64_t busy_since = 0;

	while (cons < prod) {
		const uint32_t *hdr = (const uint32_t *)(rg->data + (cons & (rg->size - 1)));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT) {
			uint64_t now = util_mono_ns();

			if (!busy_since)
				busy_since = now;
			else if (now - busy_since > FASTPATH_BUSY_WAIT_NS)
				break; /* the next drain takes it */
			sched_yield();
			continue;
		}
		busy_since = 0;
		uint32_t n = len & ~(uint32_t)(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		if (n > rg->size)
			break; /* never: the kernel bounds records by the ring */
		if (!(len & BPF_RINGBUF_DISCARD_BIT))
			fastpath_record(f, (const uint8_t *)hdr + BPF_RINGBUF_HDR_SZ, n);
		cons += ((unsigned long)n + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
		__atomic_store_n(rg->consumer_pos, cons, __ATOMIC_RELEASE);
	}
}

static void *fastpath_reader(void *arg)
{
	struct fastpath *f = arg;
	struct epoll_event ev;

	while (!atomic_load(&f->stopping)) {
		int n = epoll_wait(f->epfd, &ev, 1, FASTPATH_POLL_MS);

		if (n < 0 && errno != EINTR)
			break;
		/* also on timeout: records submitted without a wakeup wait for it */
		pthread_mutex_lock(f->lock);
		fastpath_drain(f);
		pthread_mutex_unlock(f->lock);
	}
	return NULL;
}

/* ---- task hooks -------------------------------------------------------------- */

/* Whether tid runs in our PID namespace (the kernel side can name it). A
 * task that cannot be checked (gone) counts as ours. */
static bool fastpath_same_pidns(const struct fastpath *f, pid_t tid)
{
	char path[64], link[64];
	unsigned long long ino;
	ssize_t n;

	if (!f->pidns.ino)
		return true; /* ours unknown: nothing to compare with */
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)tid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return true;
	link[n] = '\0';
	return sscanf(link, "pid:[%llu]", &ino) != 1 || ino == f->pidns.ino;
}

static void fastpath_unfollow(struct fastpath *f, pid_t tid)
{
	pid_t *v = util_grow(f->unfollowed, &f->unfollowed_cap, f->nunfollowed + 1,
			     sizeof(*v));

	if (!v)
		return;
	f->unfollowed = v;
	v[f->nunfollowed++] = tid;
}

bool fastpath_follows(const struct fastpath *f, pid_t tid)
{
	for (uint32_t i = 0; i < f->nunfollowed; i++)
		if (f->unfollowed[i] == tid)
			return false;
	return true;
}

int fastpath_task_new(struct fastpath *f, pid_t tid, pid_t pid)
{
	struct io_task v = { .tgid = (__u32)pid, .nr = -1 };
	__u32 key = (__u32)tid;

	if (tid <= 0 || pid <= 0)
		return -EINVAL;
	if (!fastpath_same_pidns(f, tid)) {
		f->nested++;
		fastpath_unfollow(f, tid);
		return -EXDEV;
	}
	if (bpf_map_update_elem(bpf_map__fd(f->skel->maps.tasks), &key, &v, BPF_ANY)) {
		int err = -errno;

		f->tasks_full += err == -E2BIG || err == -ENOMEM || err == -ENOSPC;
		fastpath_unfollow(f, tid);
		return err;
	}
	return 0;
}

void fastpath_task_gone(struct fastpath *f, pid_t tid)
{
	__u32 key = (__u32)tid;

	for (uint32_t i = 0; i < f->nunfollowed;)
		if (f->unfollowed[i] == tid)
			f->unfollowed[i] = f->unfollowed[--f->nunfollowed];
		else
			i++;
	bpf_map_delete_elem(bpf_map__fd(f->skel->maps.tasks), &key);
}

/* ---- stop: losses ---------------------------------------------------------------- */


static void fastpath_emit_losses(struct fastpath *f, struct source_emit emit)
{
	static const char *const kinds[IO_K__COUNT] = {
		[IO_K_READ] = "read", [IO_K_WRITE] = "write", [IO_K_SEND] = "send",
		[IO_K_RECV] = "recv", [IO_K_TRANSFER] = "transfer", [IO_K_MEM] = "mem",
		[IO_K_OPEN] = "open", [IO_K_EXEC] = "exec",
	};
	const struct io_counters *c = &f->skel->bss->counters;
	uint64_t ts = fastpath_rel(f, util_mono_ns());
	char source[32], reason[160];

	for (int k = 0; k < IO_K__COUNT; k++) {
		snprintf(source, sizeof(source), "fastpath-%s", kinds[k]);
		snprintf(reason, sizeof(reason),
			 "eBPF ring buffer (%zu bytes) full: %s syscalls not recorded",
			 f->ring.size, kinds[k]);
		source_emit_loss(emit, ts, source, c->drops[k], reason);
	}
	source_emit_loss(emit, ts, "fastpath-tasks", f->tasks_full,
			   "eBPF task map full: I/O and memory calls of threads not recorded");
	source_emit_loss(emit, ts, "fastpath-pidns", f->nested,
			   "threads in a nested PID namespace: their I/O and memory calls are not "
			   "recorded (record with --no-fastpath)");
	source_emit_loss(emit, ts, "fastpath-unknown", f->unknown + f->torn,
			   "fast-path records of tasks the tracer did not know");
}

static void fastpath_free(struct fastpath *f)
{
	if (f->ring.cons_map)
		munmap(f->ring.cons_map, (size_t)sysconf(_SC_PAGESIZE));
	if (f->ring.prod_map)
		munmap(f->ring.prod_map, f->ring.prod_len);
	if (f->epfd >= 0)
		close(f->epfd);
	if (f->wake_fd >= 0)
		close(f->wake_fd);
	iofast__destroy(f->skel);
	free(f->unfollowed);
	free(f);
}

void fastpath_stop(struct fastpath *f, struct source_emit emit)
{
	if (!f)
		return;
	atomic_store(&f->stopping, true);
	/* on failure the reader wakes at its next poll timeout */
	(void)!eventfd_write(f->wake_fd, 1);
	if (f->reader_started)
		pthread_join(f->reader, NULL);
	bpfutil_detach_all(f->skel->skeleton); /* no new records; then take what is left */
	pthread_mutex_lock(f->lock);
	fastpath_drain(f);
	pthread_mutex_unlock(f->lock);
	fastpath_emit_losses(f, emit);
	fastpath_free(f);
}

/* ---- construction ---------------------------------------------------------------- */

/* Loading needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN): asked first, so
 * that an unprivileged run does not parse the kernel's BTF for nothing. */
static bool fastpath_privileged(void)
{
	return util_has_cap(CAP_SYS_ADMIN) || (util_has_cap(CAP_BPF) && util_has_cap(CAP_PERFMON));
}

static int fastpath_map_ring(struct fastpath *f)
{
	struct fastpath_ring *rg = &f->ring;
	int fd = bpf_map__fd(f->skel->maps.events);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct epoll_event ev = { .events = EPOLLIN };
	struct epoll_event wake = { .events = EPOLLIN };
	void *p;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	rg->cons_map = p;
	rg->consumer_pos = p;
	rg->prod_len = page + 2 * rg->size;
	p = mmap(NULL, rg->prod_len, PROT_READ, MAP_SHARED, fd, (off_t)page);
	if (p == MAP_FAILED)
		return -errno;
	rg->prod_map = p;
	rg->producer_pos = p;
	rg->data = (const uint8_t *)p + page;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	f->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->epfd < 0 || f->wake_fd < 0 || epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 ||
	    epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->wake_fd, &wake) != 0)
		return -errno;
	return 0;
}

struct fastpath *fastpath_new(const struct fastpath_opts *o, char *why, size_t whylen)
{
	struct fastpath *f;
	int err;

	if (!o->on_call || !o->lock) {
		bpfutil_why(why, whylen, "fast path unavailable: no engine callback");
		return NULL;
	}
	if (!fastpath_privileged()) {
		bpfutil_why(why, whylen, "eBPF unavailable: needs CAP_BPF and CAP_PERFMON — %s",
			     FASTPATH_FIX_PRIV);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		bpfutil_why(why, whylen, "fast path unavailable: out of memory");
		return NULL;
	}
	f->epfd = f->wake_fd = -1;
	f->lock = o->lock;
	f->on_call = o->on_call;
	f->ctx = o->ctx;
	f->base_ns = o->mono_base_ns;
	atomic_init(&f->stopping, false);

	f->skel = iofast__open();
	if (!f->skel) {
		err = errno;
		bpfutil_why(why, whylen, "eBPF unavailable: opening the BPF object: %s",
			     strerror(err));
		free(f);
		return NULL;
	}
	if (bpfutil_pidns(&f->pidns) == 0 && !f->pidns.initial) {
		f->skel->rodata->ns_ids = true;
		f->skel->rodata->ns_dev = f->pidns.dev;
		f->skel->rodata->ns_ino = f->pidns.ino;
	}
	f->ring.size = bpfutil_ringbuf_size(o->ringbuf_bytes, IO_DEFAULT_RINGBUF_BYTES);
	f->skel->rodata->wakeup_bytes = f->ring.size / FASTPATH_WAKEUP_FRACTION;
	err = bpf_map__set_max_entries(f->skel->maps.events, (__u32)f->ring.size);
	if (!err)
		err = iofast__load(f->skel);
	if (err) {
		bpfutil_why(why, whylen, "eBPF unavailable: loading the I/O programs: %s — %s",
			     strerror(-err), err == -EPERM ? FASTPATH_FIX_PRIV
							   : "run with -v to see libbpf's messages");
		fastpath_free(f);
		return NULL;
	}
	err = fastpath_map_ring(f);
	if (!err)
		err = iofast__attach(f->skel);
	if (err) {
		bpfutil_why(why, whylen, "eBPF unavailable: attaching the I/O programs: %s",
			     strerror(-err));
		fastpath_free(f);
		return NULL;
	}
	err = pthread_create(&f->reader, NULL, fastpath_reader, f);
	if (err) {
		bpfutil_why(why, whylen, "fast path unavailable: reader thread: %s", strerror(err));
		fastpath_free(f);
		return NULL;
	}
	f->reader_started = true;
	if (why && whylen)
		why[0] = '\0';
	return f;
}

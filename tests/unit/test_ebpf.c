/*
 * test_ebpf.c - the eBPF latency source against the real kernel: real
 * workloads (tests/workloads/ebpf_*.c, exec'd from ../workloads next to
 * this binary), the source driven directly the way the tracer drives it
 * (task_new for the workload before it runs, stop at the end), assertions
 * on the events it emits. Needs root (CAP_BPF + CAP_PERFMON) and kernel
 * BTF; without them the tests that load BPF are skipped and only the
 * refusal message is checked.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf/latency.h"
#include "record/bpfutil.h"
#include "record/ebpf.h"

#define TMPFS_MAGIC_ 0x01021994
#define DISK_DIR "/var/tmp"

/* ---- collecting what the source emits -------------------------------- */

struct rec {
	struct event ev; /* pointers inside cleared; see below */
	uint64_t buckets[EVENT_MAX_HIST_BUCKETS];
	char text[200];
};

struct collector {
	pthread_mutex_t mu;
	struct rec *v;
	size_t n, cap;
	unsigned stall_ms; /* the first event blocks the reader this long */
};

static void collect(void *ctx, const struct event *ev)
{
	struct collector *c = ctx;
	struct rec *r;

	pthread_mutex_lock(&c->mu);
	if (c->stall_ms) {
		unsigned ms = c->stall_ms;

		c->stall_ms = 0;
		pthread_mutex_unlock(&c->mu);
		usleep(ms * 1000);
		pthread_mutex_lock(&c->mu);
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		if (!c->v)
			abort(); /* no cmocka asserts off the main thread */
	}
	r = &c->v[c->n++];
	memset(r, 0, sizeof(*r));
	r->ev = *ev;
	if (ev->kind == EV_HIST) {
		if (r->ev.hist.nbuckets > EVENT_MAX_HIST_BUCKETS)
			r->ev.hist.nbuckets = 0; /* hist_count() fails on it */
		memcpy(r->buckets, ev->hist.buckets, r->ev.hist.nbuckets * sizeof(uint64_t));
		r->ev.hist.buckets = r->buckets;
		snprintf(r->text, sizeof(r->text), "%s", ev->hist.unit ? ev->hist.unit : "");
		r->ev.hist.unit = r->text;
	} else if (ev->kind == EV_LOSS) {
		snprintf(r->text, sizeof(r->text), "%s", ev->loss.source);
		r->ev.loss.source = r->text;
		r->ev.loss.reason = NULL;
	} else if (ev->kind == EV_NOTE) {
		snprintf(r->text, sizeof(r->text), "%s", ev->note.text);
		r->ev.note.text = r->text;
	}
	pthread_mutex_unlock(&c->mu);
}

static void collector_init(struct collector *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
}

static void collector_free(struct collector *c)
{
	free(c->v);
	pthread_mutex_destroy(&c->mu);
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t base_ns; /* the running source's ts 0 */

/* Starts the source or skips the test when this process may not load BPF. */
static struct source *start_source(struct collector *c, uint64_t threshold, size_t ringbuf)
{
	struct ebpf_opts o;
	struct source *s;
	char why[256];

	ebpf_opts_init(&o);
	o.mono_base_ns = base_ns = mono_now();
	o.sched_threshold_ns = threshold;
	o.ringbuf_bytes = ringbuf;
	s = ebpf_source_new(&o, (struct source_emit){ collect, c }, why, sizeof(why));
	if (!s && geteuid() != 0) {
		print_message("skipped: %s\n", why);
		skip();
	}
	if (!s)
		fail_msg("%s", why);
	assert_string_equal(s->name, "ebpf");
	return s;
}

/* ---- workloads -------------------------------------------------------- */

struct workload {
	pid_t pid;
	uint64_t base_wait; /* its run-queue wait before it was traced (schedstat) */
	int in;  /* its stdin: closing it releases an ebpf_spin "hold" */
	int out; /* its stdout */
};

static void workload_path(char *buf, size_t len, const char *name)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	if ((size_t)snprintf(buf, len, "%s/../workloads/%s", exe, name) >= len)
		fail_msg("path too long");
	if (access(buf, X_OK) != 0)
		fail_msg("workload %s missing: build it with make workloads", buf);
}

/*
 * Forks the workload, which waits on a pipe until the source traces it
 * (when `traced`), then execs: nothing it does escapes the source.
 */
static void wait_sleeping(int pid, int tid);
static uint64_t schedstat_wait(int pid, int tid);

static struct workload workload_start(struct source *s, bool traced, char *const argv[])
{
	int go[2], in[2], out[2];
	struct workload w;
	char path[PATH_MAX + 64], c = 0;

	workload_path(path, sizeof(path), argv[0]);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	w.pid = fork();
	assert_true(w.pid >= 0);
	if (w.pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (read(go[0], &c, 1) != 1)
			_exit(126);
		execv(path, argv);
		_exit(127);
	}
	close(go[0]);
	close(in[0]);
	close(out[1]);
	/* Asleep on the go pipe before it is traced: a wait for a CPU between
	 * fork and task_new (the kernel counts it, we cannot) is over, and
	 * kept apart as base_wait. */
	wait_sleeping(w.pid, w.pid);
	w.base_wait = schedstat_wait(w.pid, w.pid);
	if (traced)
		assert_int_equal(s->task_new(s->ctx, w.pid, w.pid), 0);
	assert_int_equal(write(go[1], &c, 1), 1);
	close(go[1]);
	w.in = in[1];
	w.out = out[0];
	return w;
}

/* Reads the rest of the workload's stdout into buf (appending to what buf
 * already holds, bounded), releases and reaps it. */
static void workload_finish(struct source *s, struct workload *w, char *buf, size_t len)
{
	size_t got = strlen(buf);
	ssize_t n;
	int status;

	if (w->in >= 0)
		close(w->in);
	while (got + 1 < len && (n = read(w->out, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(w->out);
	assert_int_equal(waitpid(w->pid, &status, 0), w->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	if (s)
		s->task_gone(s->ctx, w->pid);
}

/* ---- scheduler ---------------------------------------------------------- */

struct spin_line {
	int pid, tid;
	unsigned long long wait_ns;
};

static size_t parse_spin(const char *out, struct spin_line *v, size_t max)
{
	size_t n = 0;

	for (const char *p = out; p && *p && n < max; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (sscanf(p, "spin pid=%d tid=%d wait_ns=%llu", &v[n].pid, &v[n].tid,
			   &v[n].wait_ns) == 3)
			n++;
	return n;
}

/* Sum and count of the waits of tid that began before `before` (ts ns). */
static uint64_t sched_sum(const struct collector *c, int tid, uint64_t before, size_t *count)
{
	uint64_t sum = 0;

	*count = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].ev.kind == EV_SCHED && c->v[i].ev.tid == (uint32_t)tid &&
		    c->v[i].ev.ts_ns < before) {
			sum += c->v[i].ev.sched.delay_ns;
			(*count)++;
		}
	return sum;
}

/* Values in the histograms of kind of the thread tid (pid 0: of every
 * thread of process pid). */
static uint64_t hist_count(const struct collector *c, int pid, int tid, uint8_t kind)
{
	uint64_t total = 0;
	unsigned seen = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct event *e = &c->v[i].ev;

		if (e->kind != EV_HIST || e->hist.kind != kind)
			continue;
		if (tid ? e->tid != (uint32_t)tid : e->pid != (uint32_t)pid)
			continue;
		seen++;
		assert_string_equal(e->hist.unit, "ns");
		assert_true(e->hist.nbuckets > 0);
		for (uint32_t b = 0; b < e->hist.nbuckets; b++)
			total += e->hist.buckets[b];
	}
	if (tid)
		assert_true(seen <= 1); /* one histogram per task and kind */
	return total;
}

/* Reads out until it holds `lines` newlines. */
static void read_lines(int fd, char *buf, size_t len, unsigned lines)
{
	size_t got = 0;
	unsigned nl = 0;
	ssize_t n;

	while (nl < lines && got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			nl += buf[got + (size_t)i] == '\n';
		got += (size_t)n;
	}
	buf[got] = '\0';
	assert_int_equal(nl, lines);
}

/* Waits (up to 5 s) until the thread sleeps: neither running nor queued. */
static void wait_sleeping(int pid, int tid)
{
	char path[64], stat[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	for (int i = 0; i < 5000; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(stat, 1, sizeof(stat) - 1, f) : 0;

		if (f)
			fclose(f);
		stat[n] = '\0';
		p = strrchr(stat, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return;
		usleep(1000);
	}
	fail_msg("thread %d never slept", tid);
}

/* The kernel's run-queue wait of a thread (schedstat, second field). */
static uint64_t schedstat_wait(int pid, int tid)
{
	unsigned long long run, wait;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%llu %llu", &run, &wait), 2);
	fclose(f);
	return wait;
}

/*
 * N spinning threads (N = CPUs + 2, at least 4: more runnable threads than
 * CPUs) + a forked spinning child, traced; an untraced copy spins beside
 * them. Threshold 0: every wait is an event, so their sum can be set
 * against the kernel's own account (/proc/PID/task/TID/schedstat).
 */
static void sched_against_schedstat(const char *mode)
{
	struct collector c;
	struct source *s;
	struct workload traced, other;
	struct spin_line lines[70];
	char out[8192] = "", out2[4096] = "", nthreads[16];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nthr = ncpu + 2 > 4 ? (int)ncpu + 2 : 4;
	uint64_t kernel_wait[70], before;
	size_t n;

	if (nthr > 64)
		nthr = 64;
	collector_init(&c);
	s = start_source(&c, 0, 0);
	snprintf(nthreads, sizeof(nthreads), "%d", nthr);
	traced = workload_start(s, true, (char *const[]){ "ebpf_spin", nthreads, "300", "fork",
							 "hold", (char *)mode, NULL });
	other = workload_start(s, false, (char *const[]){ "ebpf_spin", "2", "300", NULL });

	/* every spinning thread done and asleep: from now on none of them
	 * waits for a CPU until released, so schedstat and our events can be
	 * compared exactly up to this instant */
	read_lines(traced.out, out, sizeof(out), (unsigned)nthr + 1);
	n = parse_spin(out, lines, 70);
	assert_int_equal(n, (size_t)nthr + 1);
	for (size_t i = 0; i < n; i++)
		wait_sleeping(lines[i].pid, lines[i].tid);
	before = mono_now() - base_ns;
	for (size_t i = 0; i < n; i++)
		kernel_wait[i] = schedstat_wait(lines[i].pid, lines[i].tid) -
				 (lines[i].tid == traced.pid ? traced.base_wait : 0);

	workload_finish(s, &traced, out, sizeof(out));
	workload_finish(NULL, &other, out2, sizeof(out2));
	s->stop(s->ctx);

	for (size_t i = 0; i < c.n; i++)
		assert_int_not_equal(c.v[i].ev.pid, other.pid); /* not traced: nothing */

	bool child_seen = false;
	uint64_t ours = 0, kernel = 0;
	size_t waits = 0;

	for (size_t i = 0; i < n; i++) {
		size_t cnt, all;
		uint64_t sum = sched_sum(&c, lines[i].tid, before, &cnt);

		/* every spinning thread waited for a CPU, and all its waits
		 * are in its histogram as well */
		sched_sum(&c, lines[i].tid, UINT64_MAX, &all);
		assert_true(cnt > 0);
		assert_int_equal(hist_count(&c, 0, lines[i].tid, HIST_SCHED), all);
		if (lines[i].pid != traced.pid) {
			child_seen = true; /* the forked child, followed in the kernel */
			for (size_t k = 0; k < c.n; k++)
				if (c.v[k].ev.tid == (uint32_t)lines[i].tid)
					assert_int_equal(c.v[k].ev.pid, lines[i].pid);
		}
		ours += sum;
		kernel += kernel_wait[i];
		waits += cnt;
	}
	assert_true(child_seen);

	/*
	 * Tolerance. Both sides measure the same waits, from enqueue (wakeup
	 * or preemption) to running: the kernel with its run-queue clock at
	 * enqueue/arrival, we with bpf_ktime_get_ns in the tracepoints next to
	 * those points. Every thread is traced from its creation (the fork
	 * hook runs before its first wakeup), and at `before` none is queued,
	 * so no wait straddles the comparison. What differs is where the
	 * clocks are read: the kernel's wait ends at the run-queue clock
	 * update at the top of __schedule, ours at the sched_switch
	 * tracepoint a little later (measured on a 2-CPU VM: ours 0.2-1 us
	 * longer per wait on average; a few us for one wait). Allow 1% + 5 us
	 * per wait + 1 ms.
	 */
	uint64_t diff = ours > kernel ? ours - kernel : kernel - ours;
	uint64_t tol = kernel / 100 + waits * 5000 + 1000000;

	print_message("sched (%s): %zu waits, ours %.3f ms, schedstat %.3f ms, diff %.3f ms "
		      "(tolerance %.3f ms)\n", mode, waits, ours / 1e6, kernel / 1e6, diff / 1e6, tol / 1e6);
	assert_true(kernel > 0);
	assert_true(diff <= tol);
	collector_free(&c);
}

static void test_sched_delays_traced_only(void **state)
{
	(void)state;
	sched_against_schedstat("spin"); /* waits after preemption */
}

static void test_sched_wakeups_match_schedstat(void **state)
{
	(void)state;
	sched_against_schedstat("sleep"); /* thousands of waits after wakeups */
}

/* Default threshold: events only at or above 10 us, histograms count all. */
static void test_sched_threshold(void **state)
{
	struct collector c;
	struct source *s;
	struct workload w;
	struct spin_line lines[16];
	char out[4096] = "";
	size_t n, events = 0;

	(void)state;
	collector_init(&c);
	s = start_source(&c, EBPF_DEFAULT_SCHED_THRESHOLD_NS, 0);
	w = workload_start(s, true, (char *const[]){ "ebpf_spin", "4", "150", NULL });
	workload_finish(s, &w, out, sizeof(out));
	s->stop(s->ctx);

	n = parse_spin(out, lines, 16);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < c.n; i++) {
		if (c.v[i].ev.kind != EV_SCHED)
			continue;
		assert_true(c.v[i].ev.sched.delay_ns >= EBPF_DEFAULT_SCHED_THRESHOLD_NS);
		assert_int_equal(c.v[i].ev.pid, w.pid);
		assert_true(c.v[i].ev.sched.cpu < (uint32_t)sysconf(_SC_NPROCESSORS_CONF));
		events++;
	}
	assert_true(events > 0);
	assert_true(hist_count(&c, w.pid, 0, HIST_SCHED) >= events);
	collector_free(&c);
}

/*
 * A one-page ring buffer and a reader stalled by its first event: records
 * are dropped, counted in the kernel and reported as EV_LOSS. Every wait is
 * either an event or a drop, and in the histograms either way.
 */
static void test_ringbuf_loss_counted(void **state)
{
	struct collector c;
	struct source *s;
	struct workload w;
	char out[4096] = "";
	size_t events = 0;
	uint64_t hist, lost = 0;

	(void)state;
	collector_init(&c);
	c.stall_ms = 400;
	s = start_source(&c, 0, 1);
	/* sleepers: thousands of short waits whatever the scheduler's slice */
	w = workload_start(s, true, (char *const[]){ "ebpf_spin", "4", "300", "sleep", NULL });
	workload_finish(s, &w, out, sizeof(out));
	s->stop(s->ctx);

	for (size_t i = 0; i < c.n; i++) {
		const struct event *e = &c.v[i].ev;

		if (e->kind == EV_SCHED && e->pid == (uint32_t)w.pid)
			events++;
		if (e->kind == EV_LOSS) {
			assert_string_equal(e->loss.source, "ebpf-ringbuf");
			lost += e->loss.count;
		}
	}
	hist = hist_count(&c, w.pid, 0, HIST_SCHED);
	print_message("ringbuf: %zu events, %llu lost, %llu in histograms\n", events,
		      (unsigned long long)lost, (unsigned long long)hist);
	assert_true(lost > 0);
	assert_int_equal(events + lost, hist);
	collector_free(&c);
}

/* ---- block I/O ------------------------------------------------------------ */

static bool on_disk(const char *dir)
{
	struct statfs fs;

	return statfs(dir, &fs) == 0 && fs.f_type != TMPFS_MAGIC_;
}

#define DIO_N 8
#define DIO_BSIZE 12288 /* 3 pages: not the size of a metadata block */

static void test_block_direct_io(void **state)
{
	struct collector c;
	struct source *s;
	struct workload w;
	struct stat st;
	char path[] = DISK_DIR "/compendium-ebpf-XXXXXX", out[64] = "", n_arg[16], bs_arg[16];
	char *buf;
	int fd, writes = 0, reads = 0;
	uint64_t sectors[2 * DIO_N];

	(void)state;
	if (!on_disk(DISK_DIR))
		skip();
	collector_init(&c);
	/* the file is allocated and on disk before the workload runs, so its
	 * O_DIRECT I/O moves only data */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	buf = calloc(1, DIO_N * DIO_BSIZE);
	assert_int_equal(write(fd, buf, DIO_N * DIO_BSIZE), DIO_N * DIO_BSIZE);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	free(buf);

	s = start_source(&c, EBPF_DEFAULT_SCHED_THRESHOLD_NS, 0);
	snprintf(n_arg, sizeof(n_arg), "%d", DIO_N);
	snprintf(bs_arg, sizeof(bs_arg), "%d", DIO_BSIZE);
	w = workload_start(s, true, (char *const[]){ "ebpf_dio", "direct", path, n_arg, bs_arg, NULL });
	workload_finish(s, &w, out, sizeof(out));
	s->stop(s->ctx);
	unlink(path);

	for (size_t i = 0; i < c.n; i++) {
		const struct event *e = &c.v[i].ev;

		if (e->kind != EV_BLOCK)
			continue;
		assert_int_equal(e->pid, w.pid);
		assert_int_equal(e->tid, w.pid);
		if (e->block.bytes != DIO_BSIZE)
			continue;
		assert_false(e->block.writeback);
		assert_int_equal(e->block.error, 0);
		assert_true(e->dur_ns > 0);
		/* the disk holding the file: same major (a partition's minor
		 * differs from its disk's) */
		assert_int_equal(e->block.dev >> LAT_MINORBITS, major(st.st_dev));
		sectors[writes + reads] = e->block.sector;
		if (e->block.write)
			writes++;
		else
			reads++;
		assert_true(writes <= DIO_N && reads <= DIO_N);
	}
	assert_int_equal(writes, DIO_N);
	assert_int_equal(reads, DIO_N);
	/* the writes and the reads hit the same N blocks */
	for (int i = 0; i < DIO_N; i++) {
		bool again = false;

		for (int k = DIO_N; k < 2 * DIO_N; k++)
			again |= sectors[k] == sectors[i];
		assert_true(again);
	}
	assert_true(hist_count(&c, w.pid, 0, HIST_BLOCK) >= 2 * DIO_N);
	collector_free(&c);
}

#define WB_BYTES (4 << 20)

/*
 * Buffered writes reach the disk from kernel flushers after the workload
 * exited: they are charged to it, flagged writeback.
 */
static void test_block_writeback(void **state)
{
	struct collector c;
	struct source *s;
	struct workload w;
	char path[] = DISK_DIR "/compendium-ebpf-wb-XXXXXX", out[64] = "", bytes[16];
	uint64_t wb = 0;
	int fd, dir;

	(void)state;
	if (!on_disk(DISK_DIR))
		skip();
	collector_init(&c);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	s = start_source(&c, EBPF_DEFAULT_SCHED_THRESHOLD_NS, 0);
	snprintf(bytes, sizeof(bytes), "%d", WB_BYTES);
	w = workload_start(s, true, (char *const[]){ "ebpf_dio", "buffered", path, bytes, NULL });
	workload_finish(s, &w, out, sizeof(out));
	/* syncfs hands the work to the flusher threads and waits for it */
	dir = open(DISK_DIR, O_RDONLY | O_DIRECTORY);
	assert_true(dir >= 0);
	assert_int_equal(syncfs(dir), 0);
	close(dir);
	usleep(200 * 1000);
	s->stop(s->ctx);
	unlink(path);

	for (size_t i = 0; i < c.n; i++) {
		const struct event *e = &c.v[i].ev;

		if (e->kind != EV_BLOCK || !e->block.writeback)
			continue;
		assert_int_equal(e->pid, w.pid);
		assert_true(e->block.write);
		wb += e->block.bytes;
	}
	print_message("writeback: %llu bytes charged to the workload\n", (unsigned long long)wb);
	assert_true(wb >= WB_BYTES);
	assert_true(wb <= WB_BYTES + (1 << 20));
	collector_free(&c);
}

/* ---- refusal ---------------------------------------------------------------- */

/* Without privilege: NULL and a one-line reason that says what to do. */
static void test_unprivileged_refused(void **state)
{
	struct ebpf_opts o;
	char why[256];
	int status;
	pid_t pid;

	(void)state;
	ebpf_opts_init(&o);
	if (geteuid() != 0) {
		struct source *s = ebpf_source_new(&o, (struct source_emit){ collect, NULL }, why,
						   sizeof(why));
		assert_null(s);
		assert_non_null(strstr(why, "eBPF unavailable: "));
		assert_null(strchr(why, '\n'));
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct source *s;

		if (setgid(65534) || setuid(65534))
			_exit(3);
		s = ebpf_source_new(&o, (struct source_emit){ collect, NULL }, why, sizeof(why));
		if (s)
			_exit(1);
		fprintf(stderr, "why: %s\n", why);
		_exit(strstr(why, "eBPF unavailable: ") && strstr(why, "CAP_BPF and CAP_PERFMON") &&
		      !strchr(why, '\n') ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unprivileged_refused),
		cmocka_unit_test(test_sched_delays_traced_only),
		cmocka_unit_test(test_sched_wakeups_match_schedstat),
		cmocka_unit_test(test_sched_threshold),
		cmocka_unit_test(test_ringbuf_loss_counted),
		cmocka_unit_test(test_block_direct_io),
		cmocka_unit_test(test_block_writeback),
	};
	bpfutil_libbpf_messages(false); /* the refusals are the tests' own */
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_faults.c - the perf page-fault source, driven directly (no ptrace):
 * exact fault counts per task against the kernel's own count, threads and a
 * child, kernel-mode faults, task_gone vs hang-up, ring-buffer loss counted,
 * failures noted, and the permission fallback (perf_event_paranoid raised
 * for an unprivileged child, a seccomp filter refusing perf_event_open).
 *
 * The workload is tests/workloads/fault_touch, built next to this test
 * ($(BUILD)/workloads), or named by $FAULT_TOUCH. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <linux/filter.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/faults.h"

#define PARANOID "/proc/sys/kernel/perf_event_paranoid"
#define MAX_NOTES 8
#define MAX_TASKS 8

/* ---- an emit that keeps everything ------------------------------------------ */

struct fault_rec {
	uint32_t pid, tid;
	uint64_t ts, addr, ip;
};

struct collect {
	pthread_mutex_t mu;
	struct fault_rec *f;
	size_t n, cap;
	uint64_t lost;
	unsigned nloss, other;
	char loss_source[32];
	char notes[MAX_NOTES][320];
	unsigned nnotes;
	unsigned stall_ms; /* the first fault stalls the reader this long */
};

static void collect_emit(void *ctx, const struct event *ev)
{
	struct collect *c = ctx;

	pthread_mutex_lock(&c->mu);
	if (ev->kind == EV_FAULT) {
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 4096;
			c->f = realloc(c->f, c->cap * sizeof(*c->f));
			assert_non_null(c->f);
		}
		c->f[c->n++] = (struct fault_rec){ ev->pid, ev->tid, ev->ts_ns, ev->fault.addr,
						   ev->fault.ip };
		if (c->stall_ms && c->n == 1) {
			pthread_mutex_unlock(&c->mu);
			usleep(c->stall_ms * 1000);
			return;
		}
	} else if (ev->kind == EV_LOSS) {
		c->nloss++;
		c->lost += ev->loss.count;
		snprintf(c->loss_source, sizeof(c->loss_source), "%s", ev->loss.source);
		assert_non_null(ev->loss.reason);
	} else if (ev->kind == EV_NOTE && c->nnotes < MAX_NOTES) {
		snprintf(c->notes[c->nnotes++], sizeof(c->notes[0]), "%s", ev->note.text);
	} else {
		c->other++;
	}
	pthread_mutex_unlock(&c->mu);
}

static void collect_init(struct collect *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
}

static void collect_free(struct collect *c)
{
	free(c->f);
	pthread_mutex_destroy(&c->mu);
}

static struct source_emit collect_sink(struct collect *c)
{
	return (struct source_emit){ collect_emit, c };
}

/* Faults of `tid` (0: any) whose address lies in [lo, hi): count and distinct pages. */
static size_t count_range(const struct collect *c, uint32_t tid, uint64_t lo, uint64_t hi,
			  size_t *pages, size_t *with_ip)
{
	size_t n = 0, distinct = 0, ip = 0, npg = (size_t)((hi - lo) / 4096);
	uint8_t *seen = calloc(npg ? npg : 1, 1);

	for (size_t i = 0; i < c->n; i++) {
		const struct fault_rec *r = &c->f[i];

		if ((tid && r->tid != tid) || r->addr < lo || r->addr >= hi)
			continue;
		n++;
		ip += r->ip != 0;
		if (!seen[(r->addr - lo) / 4096]++)
			distinct++;
	}
	free(seen);
	if (pages)
		*pages = distinct;
	if (with_ip)
		*with_ip = ip;
	return n;
}

/* Faults in [lo, hi) of any thread of process `pid` (one address space). */
static size_t count_range_pid(const struct collect *c, uint32_t pid, uint64_t lo, uint64_t hi)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->f[i].pid == pid && c->f[i].addr >= lo && c->f[i].addr < hi;
	return n;
}

static size_t count_tid(const struct collect *c, uint32_t tid, uint64_t from, uint64_t to)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		if (c->f[i].tid == tid && c->f[i].ts >= from && c->f[i].ts <= to)
			n++;
	return n;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- driving fault_touch ----------------------------------------------------------- */

struct worker_report {
	char kind;
	int tid, pid;
	unsigned long long t0, t1;
	long flt0, flt1;
	unsigned long mmap, heap;
};

struct touch_run {
	int tids[MAX_TASKS], pids[MAX_TASKS];
	char kinds[MAX_TASKS];
	unsigned ntasks;
	struct worker_report w[3];
	unsigned nw;
	long minflt_total; /* wait4: the whole workload, as the kernel counts */
	uint64_t base;
	int status;
};

static const char *touch_path(void)
{
	static char path[4096];
	char exe[4096];
	ssize_t n;

	if (getenv("FAULT_TOUCH"))
		return getenv("FAULT_TOUCH");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(path, sizeof(path), "%s/../workloads/fault_touch", dirname(exe));
		if (access(path, X_OK) == 0)
			return path;
	}
	return "build/workloads/fault_touch";
}

/*
 * Runs fault_touch N: every task reports itself and waits; each is given to
 * task_new; then go. `gone`: call task_gone for every task once the
 * workload is reaped (otherwise the source must notice the hang-ups).
 */
static void run_touch(struct source *s, long n, bool gone, struct touch_run *r)
{
	int rep[2], go[2];
	char a1[16], a2[16], a3[16], line[256];
	struct rusage ru;
	pid_t pid;
	FILE *in;

	assert_int_equal(pipe(rep), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(rep[0]);
		close(go[1]);
		snprintf(a1, sizeof(a1), "%ld", n);
		snprintf(a2, sizeof(a2), "%d", rep[1]);
		snprintf(a3, sizeof(a3), "%d", go[0]);
		execl(touch_path(), "fault_touch", a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	close(rep[1]);
	close(go[0]);
	in = fdopen(rep[0], "r");
	assert_non_null(in);
	while (r->ntasks < 4 && fgets(line, sizeof(line), in)) {
		char k;
		int tid, tgid;

		assert_int_equal(sscanf(line, "%c %d %d", &k, &tid, &tgid), 3);
		r->kinds[r->ntasks] = k;
		r->tids[r->ntasks] = tid;
		r->pids[r->ntasks++] = tgid;
		assert_int_equal(s->task_new(s->ctx, tid, tgid), 0);
	}
	assert_int_equal(r->ntasks, 4);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	while (fgets(line, sizeof(line), in) && r->nw < 3) {
		struct worker_report *w = &r->w[r->nw];

		if (sscanf(line, "D %c %d %d %llu %llu %ld %ld %lx %lx", &w->kind, &w->tid, &w->pid,
			   &w->t0, &w->t1, &w->flt0, &w->flt1, &w->mmap, &w->heap) == 9)
			r->nw++;
	}
	fclose(in);
	assert_int_equal(wait4(pid, &r->status, 0, &ru), pid);
	r->minflt_total = ru.ru_minflt;
	if (gone)
		for (unsigned i = 0; i < r->ntasks; i++)
			s->task_gone(s->ctx, r->tids[i]);
	assert_true(WIFEXITED(r->status));
	assert_int_equal(WEXITSTATUS(r->status), 0);
	assert_int_equal(r->nw, 3);
}

static void check_touch(const struct collect *c, const struct touch_run *r, long n)
{
	uint64_t page = 4096, total = 0;
	unsigned nthreads = 0, nchild = 0;

	assert_int_equal(c->nloss, 0);
	assert_int_equal(c->other, 0);
	for (unsigned i = 0; i < r->nw; i++) {
		const struct worker_report *w = &r->w[i];
		size_t pages, ip, got;
		long kernel = w->flt1 - w->flt0;

		nthreads += w->kind == 'T';
		nchild += w->kind == 'C';
		/* exactly N pages of the mapping and N of the heap, once each, by it */
		got = count_range(c, (uint32_t)w->tid, w->mmap, w->mmap + (uint64_t)n * page,
				  &pages, &ip);
		assert_int_equal(got, n);
		assert_int_equal(pages, n);
		assert_int_equal(ip, n); /* user-mode stores: a user ip each */
		assert_int_equal(count_range_pid(c, (uint32_t)w->pid, w->mmap,
						 w->mmap + (uint64_t)n * page), n);
		got = count_range(c, (uint32_t)w->tid, w->heap, w->heap + (uint64_t)n * page,
				  &pages, NULL);
		assert_int_equal(got, n);
		assert_int_equal(pages, n);
		/* the kernel's own count in the same window: the same faults (the
		 * window opens just before the first getrusage: a fault of the
		 * clock read itself, the vDSO data page, may fall in between) */
		assert_int_equal(kernel, 2 * n);
		got = count_tid(c, (uint32_t)w->tid, w->t0 - r->base, w->t1 - r->base);
		assert_in_range((long)got, kernel, kernel + 2);
		/* over the task's whole life: the touches plus a little runtime */
		got = count_tid(c, (uint32_t)w->tid, 0, UINT64_MAX);
		assert_in_range(got, 2 * n, 2 * n + 16);
		total += got;
	}
	assert_int_equal(nthreads, 2);
	assert_int_equal(nchild, 1);
	/* samples carry the thread group: threads share main's, the child has its own */
	for (size_t i = 0; i < c->n; i++) {
		const struct fault_rec *f = &c->f[i];
		bool known = false;

		for (unsigned k = 0; k < r->ntasks; k++)
			if (f->tid == (uint32_t)r->tids[k]) {
				assert_int_equal(f->pid, r->pids[k]);
				known = true;
			}
		assert_true(known);
		assert_true(f->addr < 0x0000800000000000ull);
		assert_true(f->ip < 0x0000800000000000ull);
	}
	/* nothing we recorded is beyond the kernel's count for the workload, and
	 * only its start-up (exec, ld.so, before task_new) is missing */
	assert_true(c->n <= (size_t)r->minflt_total);
	assert_in_range((uint64_t)r->minflt_total - c->n, 0, 300);
	(void)total;
}

/* Per-task time order (the reader drains each buffer in order). */
static void check_order(const struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = i + 1; j < c->n && j < i + 64; j++)
			if (c->f[j].tid == c->f[i].tid)
				assert_true(c->f[j].ts >= c->f[i].ts);
}

static struct source *new_source(struct collect *c, const struct faults_opts *o)
{
	char why[320] = "x";
	struct source *s = faults_source_new(o, collect_sink(c), why, sizeof(why));

	if (!s)
		fail_msg("faults_source_new: %s", why);
	assert_string_equal(s->name, FAULTS_SOURCE_NAME);
	return s;
}

static void test_touch_threads_and_child(void **state)
{
	struct faults_opts o = { .mono_base_ns = mono_ns() };
	struct touch_run r = { .base = o.mono_base_ns };
	struct collect c;
	struct source *s;

	(void)state;
	collect_init(&c);
	s = new_source(&c, &o);
	run_touch(s, 1024, true, &r);
	s->task_gone(s->ctx, 1); /* unknown tids are ignored */
	s->stop(s->ctx);
	check_touch(&c, &r, 1024);
	check_order(&c);
	assert_int_equal(c.nnotes, 0);
	collect_free(&c);
}

/* No task_gone: every task's event hangs up when it exits; stop drains the rest. */
static void test_touch_without_task_gone(void **state)
{
	struct faults_opts o = { .mono_base_ns = mono_ns(), .buffer_pages = 8 };
	struct touch_run r = { .base = o.mono_base_ns };
	struct collect c;
	struct source *s;

	(void)state;
	collect_init(&c);
	s = new_source(&c, &o);
	run_touch(s, 300, false, &r);
	s->stop(s->ctx);
	check_touch(&c, &r, 300);
	collect_free(&c);
}

/*
 * The reader stalls while a task faults into a one-page ring: the kernel
 * drops samples, and every dropped one is counted in one EV_LOSS at stop.
 */
static void test_loss_is_counted(void **state)
{
	struct faults_opts o = { .mono_base_ns = mono_ns(), .buffer_pages = 1 };
	struct touch_run r = { .base = o.mono_base_ns };
	struct collect c;
	struct source *s;
	uint64_t kernel = 0;

	(void)state;
	collect_init(&c);
	c.stall_ms = 400;
	s = new_source(&c, &o);
	run_touch(s, 2000, true, &r);
	s->stop(s->ctx);
	assert_int_equal(c.nloss, 1);
	assert_string_equal(c.loss_source, FAULTS_LOSS_SOURCE);
	assert_true(c.lost > 0);
	for (unsigned i = 0; i < r.nw; i++)
		kernel += (uint64_t)(r.w[i].flt1 - r.w[i].flt0);
	/* recorded + lost covers at least the workers' faults, and not much more */
	assert_in_range(c.n + c.lost, kernel, kernel + 400);
	assert_true(c.n < kernel);
	collect_free(&c);
}

/* ---- kernel-mode faults: read() into a fresh buffer ---------------------------- */

static void run_reader_child(struct source *s, long n, uint64_t *addr)
{
	int go[2], rep[2];
	pid_t pid;
	char b;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(rep), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* raw syscalls: no sanitizer interceptor touches the buffer */
		uint64_t a;
		char *m;
		int z = open("/dev/zero", O_RDONLY);

		prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
		if (syscall(SYS_read, go[0], &b, 1) != 1)
			_exit(1);
		m = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED || syscall(SYS_read, z, m, (size_t)n * 4096) != n * 4096)
			_exit(1);
		a = (uint64_t)(uintptr_t)m;
		syscall(SYS_write, rep[1], &a, sizeof(a));
		_exit(0);
	}
	close(go[0]);
	close(rep[1]);
	assert_int_equal(s->task_new(s->ctx, pid, pid), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(read(rep[0], addr, sizeof(*addr)), sizeof(*addr));
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	s->task_gone(s->ctx, pid);
	close(go[1]);
	close(rep[0]);
}

static void test_kernel_mode_faults(void **state)
{
	struct faults_opts o = { .mono_base_ns = mono_ns() };
	struct collect c;
	struct source *s;
	char why[320];
	uint64_t a;
	size_t pages, ip;

	(void)state;
	collect_init(&c);
	s = faults_source_new(&o, collect_sink(&c), why, sizeof(why));
	assert_non_null(s);
	run_reader_child(s, 200, &a);
	s->stop(s->ctx);
	if (why[0]) { /* unprivileged: user-mode faults only, and it says so */
		assert_int_equal(count_range(&c, 0, a, a + 200 * 4096, NULL, NULL), 0);
		assert_int_equal(c.nnotes, 1);
		assert_string_equal(c.notes[0], why);
	} else {
		assert_int_equal(count_range(&c, 0, a, a + 200 * 4096, &pages, &ip), 200);
		assert_int_equal(pages, 200);
		assert_int_equal(ip, 0); /* kernel ips never leave the source */
	}
	collect_free(&c);

	/* user_mode_only: the same run records none of them, and needs no note */
	collect_init(&c);
	o.user_mode_only = true;
	s = faults_source_new(&o, collect_sink(&c), why, sizeof(why));
	assert_non_null(s);
	assert_string_equal(why, "");
	run_reader_child(s, 200, &a);
	s->stop(s->ctx);
	assert_int_equal(count_range(&c, 0, a, a + 200 * 4096, NULL, NULL), 0);
	assert_int_equal(c.nnotes, 0);
	collect_free(&c);
}

/* ---- many short tasks, past the memory budget ----------------------------------- */

static void test_many_tasks_budget(void **state)
{
	enum { N = 120, PAGES = 10 };
	struct faults_opts o = { .mono_base_ns = mono_ns(), .buffer_pages = 16,
				 .budget_pages = 64 };
	struct collect c;
	struct source *s;
	pid_t pids[N];
	int go[2], rep[2];
	uint64_t addrs[N];

	(void)state;
	collect_init(&c);
	s = new_source(&c, &o);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(rep), 0);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct { int32_t i; uint64_t a; } __attribute__((packed)) msg;
			char b, *m;

			/* stopped until followed, as the engine's tasks are */
			raise(SIGSTOP);
			if (syscall(SYS_read, go[0], &b, 1) != 1)
				_exit(1);
			m = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			for (int p = 0; p < PAGES; p++)
				((volatile char *)m)[p * 4096] = 1;
			msg.i = i;
			msg.a = (uint64_t)(uintptr_t)m;
			syscall(SYS_write, rep[1], &msg, sizeof(msg));
			_exit(0);
		}
		int st;
		assert_int_equal(waitpid(pids[i], &st, WUNTRACED), pids[i]);
		assert_true(WIFSTOPPED(st));
		assert_int_equal(s->task_new(s->ctx, pids[i], pids[i]), 0);
		kill(pids[i], SIGCONT);
	}
	close(go[0]);
	close(rep[1]);
	char gos[N];
	memset(gos, 'g', sizeof(gos));
	assert_int_equal(write(go[1], gos, N), N);
	for (int k = 0; k < N; k++) {
		struct { int32_t i; uint64_t a; } __attribute__((packed)) msg;

		assert_int_equal(read(rep[0], &msg, sizeof(msg)), sizeof(msg));
		assert_in_range(msg.i, 0, N - 1);
		addrs[msg.i] = msg.a;
	}
	for (int i = 0; i < N; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (i % 2) /* half through task_gone, half through hang-up */
			s->task_gone(s->ctx, pids[i]);
	}
	close(go[1]);
	close(rep[0]);
	s->stop(s->ctx);
	if (c.nloss)
		print_message("lost %llu of %zu\n", (unsigned long long)c.lost, c.n);
	assert_int_equal(c.nloss, 0);
	assert_int_equal(c.nnotes, 0);
	for (int i = 0; i < N; i++) {
		size_t pages;

		assert_int_equal(count_range(&c, (uint32_t)pids[i], addrs[i],
					     addrs[i] + PAGES * 4096, &pages, NULL), PAGES);
	}
	collect_free(&c);
}

/*
 * Tasks that come and go faster than the reader syncs (a fork storm): each
 * is queued new and then gone before the reader wakes. A shared queue link
 * once spliced the two queues and freed tasks still on the reader's list
 * (ASan: heap-use-after-free in fl_adopt / fl_task_close, 5 runs in 40 of a
 * 300-process loop). Each task here is followed and forgotten at once, in
 * both orders of pairs, and nothing may be lost or crash.
 */
/* A stopped child; `touch` pages of a fresh mapping when continued. */
static pid_t queue_child(struct source *s, int touch)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		raise(SIGSTOP);
		char *m = mmap(NULL, (size_t)touch * 4096 + 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (int p = 0; p < touch; p++)
			((volatile char *)m)[p * 4096] = 1;
		pause();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
	assert_int_equal(s->task_new(s->ctx, pid, pid), 0);
	return pid;
}

/*
 * A task queued new and then gone before the reader syncs, while a task the
 * reader already follows is queued gone too: a fork storm. The two queues
 * once shared one link, which spliced them: the followed task was adopted a
 * second time and freed while still on the reader's list (ASan:
 * heap-use-after-free in fl_adopt / fl_task_close). The reader is held in
 * the emit callback (the first fault stalls it) while this happens.
 */
static void test_queues_while_reader_busy(void **state)
{
	struct faults_opts o = { .mono_base_ns = mono_ns() };
	struct collect c;
	struct source *s;
	pid_t a, b;

	(void)state;
	collect_init(&c);
	c.stall_ms = 300;
	s = new_source(&c, &o);
	a = queue_child(s, 256);
	kill(a, SIGCONT);
	for (int i = 0; i < 2000; i++) { /* the reader is in the stall */
		pthread_mutex_lock(&c.mu);
		size_t n = c.n;
		pthread_mutex_unlock(&c.mu);
		if (n)
			break;
		usleep(1000);
	}
	b = queue_child(s, 0);
	s->task_gone(s->ctx, a);
	s->task_gone(s->ctx, b);
	usleep(400 * 1000); /* the reader syncs both queues, and goes on */
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	s->stop(s->ctx);
	assert_true(c.n >= 256);
	collect_free(&c);
}

/* ---- failures --------------------------------------------------------------------- */

static void test_task_new_failures(void **state)
{
	struct faults_opts o = { .mono_base_ns = mono_ns() };
	struct collect c;
	struct source *s;
	int p[2];

	(void)state;
	collect_init(&c);
	s = new_source(&c, &o);
	/* a task that is already gone: an error, but nothing was missed */
	assert_int_equal(s->task_new(s->ctx, 0x3ffffff0, 0x3ffffff0), -ESRCH);
	s->stop(s->ctx);
	assert_int_equal(c.nnotes, 0);
	assert_int_equal(c.n, 0);
	collect_free(&c);

	/* out of fds: the task is not followed and the note says so (child:
	 * the rlimit is process-wide) */
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		int next, rc;

		collect_init(&c);
		s = faults_source_new(&o, collect_sink(&c), NULL, 0);
		if (!s)
			_exit(2);
		next = dup(0);
		close(next);
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = (rlim_t)next;
		setrlimit(RLIMIT_NOFILE, &rl);
		rc = s->task_new(s->ctx, getpid(), getpid());
		s->stop(s->ctx);
		dprintf(p[1], "%d %u %s\n", rc, c.nnotes, c.nnotes ? c.notes[0] : "");
		_exit(0);
	}
	close(p[1]);
	char out[512] = "";
	int status;
	ssize_t n = read(p[0], out, sizeof(out) - 1);
	assert_true(n > 0);
	out[n] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_string_equal(out, "-24 1 page faults of 1 task were not recorded: Too many open files\n");
}

/* ---- permission fallback ---------------------------------------------------------- */

static char saved_paranoid[32];

static int paranoid_save(void **state)
{
	(void)state;
	int fd = open(PARANOID, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, saved_paranoid, sizeof(saved_paranoid) - 1) : -1;

	if (fd >= 0)
		close(fd);
	saved_paranoid[n > 0 ? n : 0] = '\0';
	return 0;
}

static int paranoid_write(const char *v)
{
	int fd = open(PARANOID, O_WRONLY);
	ssize_t n = fd >= 0 ? write(fd, v, strlen(v)) : -1;

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(v) ? 0 : -1;
}

/* Runs even when the test failed half-way. */
static int paranoid_restore(void **state)
{
	(void)state;
	if (saved_paranoid[0])
		paranoid_write(saved_paranoid);
	return 0;
}

struct perm_result {
	int created;      /* faults_source_new returned a source */
	int raw_err;      /* errno of a raw user-mode open, 0 when allowed */
	char why[320];
};

static int raw_user_open(void)
{
	struct perf_event_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_PAGE_FAULTS_MIN;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

/* perf_event_open fails with EACCES, as a container's profile does. */
static void deny_perf_event_open(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_perf_event_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		_exit(3);
}

/* In a child: drop to nobody (no capabilities left) and/or deny the
 * syscall, then try to create the source. */
static void perm_child(bool as_nobody, bool deny, struct perm_result *res)
{
	int p[2], status;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct perm_result r;
		struct collect c;
		struct faults_opts o = { .mono_base_ns = mono_ns() };
		struct source *s;

		memset(&r, 0, sizeof(r));
		if (as_nobody && (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
				  setuid(65534) != 0))
			_exit(3);
		if (deny)
			deny_perf_event_open();
		r.raw_err = raw_user_open();
		collect_init(&c);
		s = faults_source_new(&o, collect_sink(&c), r.why, sizeof(r.why));
		r.created = s != NULL;
		if (s)
			s->stop(s->ctx);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	ssize_t n = read(p[0], res, sizeof(*res));
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(n, sizeof(*res));
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#define WHY_PARANOID3 "page faults unavailable: perf_event_paranoid is 3 — run as root, " \
	"grant CAP_PERFMON, or: sysctl kernel.perf_event_paranoid=1"

static void test_paranoid_raised_unprivileged(void **state)
{
	struct perm_result r;

	(void)state;
	if (getuid() != 0 || !saved_paranoid[0])
		skip(); /* needs root to change the sysctl */
	assert_int_equal(paranoid_write("3"), 0);
	perm_child(true, false, &r);
	paranoid_restore(NULL);
	if (r.raw_err) {
		/* the kernel refuses user-only events too (Debian's level 3) */
		assert_int_equal(r.raw_err, EACCES);
		assert_false(r.created);
		assert_string_equal(r.why, WHY_PARANOID3);
	} else {
		/* upstream kernels allow user-mode faults of our own tasks at
		 * any level: the source runs, degraded, and says how to fix it */
		assert_true(r.created);
		assert_non_null(strstr(r.why, "page faults: only faults taken in user mode"));
		assert_non_null(strstr(r.why, "perf_event_paranoid is 3"));
		assert_non_null(strstr(r.why, "sysctl kernel.perf_event_paranoid=1"));
	}
}

static void test_refused_by_policy(void **state)
{
	struct perm_result r;

	(void)state;
	if (getuid() != 0 || !saved_paranoid[0])
		skip();
	/* level 3 and refused: the paranoid message with its fix */
	assert_int_equal(paranoid_write("3"), 0);
	perm_child(true, true, &r);
	paranoid_restore(NULL);
	assert_int_equal(r.raw_err, EACCES);
	assert_false(r.created);
	assert_string_equal(r.why, WHY_PARANOID3);
	/* level 2 and still refused (root, even): something else blocks it */
	assert_int_equal(paranoid_write("2"), 0);
	perm_child(false, true, &r);
	paranoid_restore(NULL);
	assert_false(r.created);
	assert_non_null(strstr(r.why, "page faults unavailable: perf_event_open was refused"));
	assert_non_null(strstr(r.why, "perf_event_paranoid is 2"));
	assert_non_null(strstr(r.why, "seccomp"));
	assert_null(strchr(r.why, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_touch_threads_and_child),
		cmocka_unit_test(test_touch_without_task_gone),
		cmocka_unit_test(test_loss_is_counted),
		cmocka_unit_test(test_kernel_mode_faults),
		cmocka_unit_test(test_queues_while_reader_busy),
		cmocka_unit_test(test_many_tasks_budget),
		cmocka_unit_test(test_task_new_failures),
		cmocka_unit_test_setup_teardown(test_paranoid_raised_unprivileged, paranoid_save,
						paranoid_restore),
		cmocka_unit_test_setup_teardown(test_refused_by_policy, paranoid_save,
						paranoid_restore),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

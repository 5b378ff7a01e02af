/*
 * bench_faults.c - what --faults costs (record/faults.c).
 *
 * A child touches MIB MiB of fresh anonymous memory page by page (THP off:
 * one fault per page) while we record its faults, in four ways:
 *   base        no source: the reference time;
 *   task/count  the per-task source, events counted and dropped;
 *   task/record the per-task source, events written with the recording
 *               writer (what `compendium record --faults` pays), which gives
 *               the recorded bytes per fault;
 *   cpu/count   the alternative design: one event per CPU for the whole
 *               system, samples filtered by a tid set (written here only to
 *               be measured).
 * Then the fixed costs: task_new of the per-task source (open + mmap +
 * enable + epoll, on a stopped task) against the per-CPU setup; and the cost
 * to the rest of the machine: an untraced process faulting in a loop beside
 * the traced one, its throughput with each design.
 *
 * usage: bench_faults [MIB [RUNS]]     (default 1024 MiB, best of 3)
 * Needs perf events (root, CAP_PERFMON, or perf_event_paranoid <= 0 for the
 * per-CPU part, which is skipped when refused).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "recording.h"
#include "record/faults.h"

#define PAGE 4096ul

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_self_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- the workload: a stopped child that touches `mib` MiB when continued ---- */

struct child {
	pid_t pid;
	int rep;
};

static struct child touch_start(long mib)
{
	int p[2];
	struct child c;
	int st;

	if (pipe(p) != 0)
		exit(1);
	c.pid = fork();
	if (c.pid == 0) {
		size_t len = (size_t)mib << 20;
		double t0, t1;
		volatile char *m;

		close(p[0]);
		prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
		raise(SIGSTOP);
		t0 = now_s();
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(1);
		for (size_t off = 0; off < len; off += PAGE)
			m[off] = 1;
		t1 = now_s();
		t1 -= t0;
		if (write(p[1], &t1, sizeof(t1)) != sizeof(t1))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	c.rep = p[0];
	if (c.pid < 0 || waitpid(c.pid, &st, WUNTRACED) != c.pid || !WIFSTOPPED(st))
		exit(1);
	return c;
}

/* Continues the child; returns its touch time. */
static double touch_finish(struct child c)
{
	double t = -1;
	int st;

	kill(c.pid, SIGCONT);
	if (read(c.rep, &t, sizeof(t)) != sizeof(t))
		t = -1;
	close(c.rep);
	waitpid(c.pid, &st, 0);
	return t;
}

/* ---- emit callbacks ------------------------------------------------------------ */

struct sink {
	pthread_mutex_t mu;
	uint64_t faults, lost;
	struct recording_writer *w; /* NULL: count only */
};

static void sink_emit(void *ctx, const struct event *ev)
{
	struct sink *s = ctx;

	pthread_mutex_lock(&s->mu);
	if (ev->kind == EV_FAULT)
		s->faults++;
	else if (ev->kind == EV_LOSS)
		s->lost += ev->loss.count;
	if (s->w)
		recording_write_event(s->w, ev);
	pthread_mutex_unlock(&s->mu);
}

/* ---- the per-CPU alternative (measured, not shipped) ---------------------------- */

#define CPU_PAGES 256u /* 1 MiB per CPU: it carries the whole machine's faults */
#define TIDSET 1024u

struct percpu {
	int n, epfd;
	int fds[256];
	struct perf_event_mmap_page *pg[256];
	atomic_int tids[TIDSET]; /* open addressing, 0 = empty */
	atomic_bool stop;
	pthread_t th;
	uint64_t mine, foreign, lost;
};

static bool percpu_has(struct percpu *p, uint32_t tid)
{
	for (unsigned i = 0, h = tid % TIDSET; i < TIDSET; i++, h = (h + 1) % TIDSET) {
		int v = atomic_load_explicit(&p->tids[h], memory_order_relaxed);

		if (v == (int)tid)
			return true;
		if (v == 0)
			return false;
	}
	return false;
}

static void percpu_add(struct percpu *p, uint32_t tid)
{
	for (unsigned i = 0, h = tid % TIDSET; i < TIDSET; i++, h = (h + 1) % TIDSET) {
		int zero = 0;

		if (atomic_compare_exchange_strong(&p->tids[h], &zero, (int)tid))
			return;
	}
}

static void percpu_drain(struct percpu *p, int i)
{
	struct perf_event_mmap_page *pg = p->pg[i];
	uint8_t *data = (uint8_t *)pg + PAGE;
	uint64_t size = CPU_PAGES * PAGE, head, tail = pg->data_tail;

	head = __atomic_load_n(&pg->data_head, __ATOMIC_ACQUIRE);
	while (head - tail >= 8) {
		struct perf_event_header h;
		uint8_t rec[64];
		size_t off = tail & (size - 1);

		memcpy(&h, data + off, sizeof(h));
		if (h.size < 8 || h.size > head - tail)
			break;
		if (h.size <= sizeof(rec)) {
			for (size_t k = 0; k < h.size; k++)
				rec[k] = data[(off + k) & (size - 1)];
			if (h.type == PERF_RECORD_SAMPLE && h.size >= 40) {
				uint32_t tid;

				memcpy(&tid, rec + 8 + 8 + 4, sizeof(tid));
				if (percpu_has(p, tid))
					p->mine++;
				else
					p->foreign++;
			} else if (h.type == PERF_RECORD_LOST && h.size >= 24) {
				uint64_t l;

				memcpy(&l, rec + 16, sizeof(l));
				p->lost += l;
			}
		}
		tail += h.size;
	}
	__atomic_store_n(&pg->data_tail, tail, __ATOMIC_RELEASE);
}

static void *percpu_reader(void *arg)
{
	struct percpu *p = arg;
	struct epoll_event evs[64];

	while (!atomic_load(&p->stop)) {
		int n = epoll_wait(p->epfd, evs, 64, 50);

		for (int k = 0; k < n; k++)
			percpu_drain(p, evs[k].data.u32);
	}
	for (int i = 0; i < p->n; i++)
		percpu_drain(p, i);
	return NULL;
}

static int percpu_start(struct percpu *p)
{
	struct perf_event_attr a;

	memset(p, 0, sizeof(*p));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_PAGE_FAULTS_MIN;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ADDR;
	a.exclude_hv = 1;
	a.disabled = 1;
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;
	p->n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (p->n > 256)
		p->n = 256;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < p->n; i++) {
		struct epoll_event ee = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		long fd = syscall(SYS_perf_event_open, &a, -1, i, -1, PERF_FLAG_FD_CLOEXEC);
		void *m;

		if (fd < 0)
			return -errno;
		p->fds[i] = (int)fd;
		m = mmap(NULL, (CPU_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
		if (m == MAP_FAILED)
			return -errno;
		p->pg[i] = m;
		ioctl((int)fd, PERF_EVENT_IOC_ENABLE, 0);
		epoll_ctl(p->epfd, EPOLL_CTL_ADD, (int)fd, &ee);
	}
	pthread_create(&p->th, NULL, percpu_reader, p);
	return 0;
}

static void percpu_stop(struct percpu *p)
{
	atomic_store(&p->stop, true);
	pthread_join(p->th, NULL);
	for (int i = 0; i < p->n; i++) {
		munmap(p->pg[i], (CPU_PAGES + 1) * PAGE);
		close(p->fds[i]);
	}
	close(p->epfd);
}

static struct rec_header bench_header(uint64_t base)
{
	return (struct rec_header){ .tool_version = "bench_faults",
				    .format_major = RECORDING_MAJOR,
				    .format_minor = RECORDING_MINOR,
				    .monotonic_base_ns = base, .page_size = PAGE };
}

/* Size of a recording holding the header alone: not charged to the faults. */
static uint64_t empty_recording_bytes(void)
{
	char path[] = "/tmp/bench_faults.XXXXXX";
	struct rec_header h = bench_header(0);
	struct recording_writer *w;
	struct stat st;
	int fd = mkstemp(path);

	if (fd < 0 || !(w = recording_writer_fdopen(fd, NULL)))
		return 0;
	recording_write_header(w, &h);
	recording_writer_close(w, NULL);
	if (stat(path, &st) != 0)
		st.st_size = 0;
	unlink(path);
	return (uint64_t)st.st_size;
}

/* ---- one measured run -------------------------------------------------------------- */

enum mode { M_BASE, M_TASK_COUNT, M_TASK_RECORD, M_CPU_COUNT, M__COUNT };
static const char *const mode_name[M__COUNT] = {
	"without --faults", "per-task, count only", "per-task, recorded", "per-CPU, count only",
};

struct result {
	double touch, wall, cpu; /* child's touch time; until stop returned; CPU of this
				  * process (reader, writer threads) meanwhile */
	uint64_t faults, lost, foreign, bytes;
};

static int run(enum mode m, long mib, struct result *r)
{
	struct sink s = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct faults_opts o = { .mono_base_ns = now_ns() };
	char why[256], path[] = "/tmp/bench_faults.XXXXXX";
	struct source *src = NULL;
	struct percpu pc;
	struct child c;
	double t0, c0;
	int fd = -1;

	memset(r, 0, sizeof(*r));
	if (m == M_TASK_RECORD) {
		struct rec_header h = bench_header(o.mono_base_ns);

		fd = mkstemp(path);
		if (fd < 0)
			return -errno;
		s.w = recording_writer_fdopen(fd, NULL);
		if (!s.w)
			return -errno;
		recording_write_header(s.w, &h);
	}
	c = touch_start(mib);
	t0 = now_s();
	c0 = cpu_self_s();
	if (m == M_TASK_COUNT || m == M_TASK_RECORD) {
		src = faults_source_new(&o, (struct source_emit){ sink_emit, &s }, why, sizeof(why));
		if (!src) {
			fprintf(stderr, "bench_faults: %s\n", why);
			exit(1);
		}
		src->task_new(src->ctx, c.pid, c.pid);
	} else if (m == M_CPU_COUNT) {
		if (percpu_start(&pc) != 0) {
			kill(c.pid, SIGKILL);
			touch_finish(c);
			return -EACCES;
		}
		percpu_add(&pc, (uint32_t)c.pid);
	}
	r->touch = touch_finish(c);
	if (src) {
		src->task_gone(src->ctx, c.pid);
		src->stop(src->ctx);
		r->faults = s.faults;
		r->lost = s.lost;
	} else if (m == M_CPU_COUNT) {
		percpu_stop(&pc);
		r->faults = pc.mine;
		r->lost = pc.lost;
		r->foreign = pc.foreign;
	}
	if (s.w) {
		struct stat st;

		recording_writer_close(s.w, NULL);
		if (stat(path, &st) == 0)
			r->bytes = (uint64_t)st.st_size;
		unlink(path);
	}
	r->wall = now_s() - t0;
	r->cpu = cpu_self_s() - c0;
	return 0;
}

/* ---- fixed costs -------------------------------------------------------------------- */

static double task_new_cost_us(int n)
{
	struct sink s = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct faults_opts o = { .mono_base_ns = now_ns() };
	char why[256];
	struct source *src = faults_source_new(&o, (struct source_emit){ sink_emit, &s },
					       why, sizeof(why));
	struct child *c = calloc((size_t)n, sizeof(*c));
	double total = 0;

	if (!src || !c)
		exit(1);
	for (int i = 0; i < n; i++) {
		double t0;

		c[i] = touch_start(1);
		t0 = now_s();
		src->task_new(src->ctx, c[i].pid, c[i].pid);
		total += now_s() - t0;
	}
	for (int i = 0; i < n; i++) {
		touch_finish(c[i]);
		src->task_gone(src->ctx, c[i].pid);
	}
	src->stop(src->ctx);
	free(c);
	return total / n * 1e6;
}

/* An untraced process faulting 64 MiB at a time: MiB per second it manages. */
static pid_t bg_start(int *rfd)
{
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		uint64_t mibs = 0;
		double end;

		close(p[0]);
		prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		/* runs until told: SIGTERM writes the count */
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		end = now_s();
		for (;;) {
			volatile char *m = mmap(NULL, 64ul << 20, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			struct timespec z = { 0, 0 };

			for (size_t off = 0; off < (64ul << 20); off += PAGE)
				m[off] = 1;
			munmap((void *)m, 64ul << 20);
			mibs += 64;
			if (sigtimedwait(&set, NULL, &z) == SIGTERM)
				break;
		}
		double rate = (double)mibs / (now_s() - end);
		if (write(p[1], &rate, sizeof(rate)) != sizeof(rate))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

static double bg_stop(pid_t pid, int rfd)
{
	double rate = 0;

	kill(pid, SIGTERM);
	if (read(rfd, &rate, sizeof(rate)) != sizeof(rate))
		rate = 0;
	close(rfd);
	waitpid(pid, NULL, 0);
	return rate;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 1024;
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	struct result best[M__COUNT];
	uint64_t npages = (uint64_t)mib * (1 << 20) / PAGE;
	double t_cpu_setup;
	uint64_t empty = empty_recording_bytes();

	if (mib <= 0 || runs <= 0)
		return 2;
	printf("bench_faults: touch %ld MiB page by page (%llu faults), best of %d, %ld CPUs\n",
	       mib, (unsigned long long)npages, runs, sysconf(_SC_NPROCESSORS_ONLN));
	/* Rounds interleave the modes, after a warm-up: the first touches of a
	 * VM's memory are slower (the host backs it), whatever the mode. */
	struct result warm;
	bool refused = false;
	run(M_BASE, mib, &warm);
	for (int m = 0; m < M__COUNT; m++)
		best[m].touch = -1;
	for (int i = 0; i < runs; i++)
		for (int m = 0; m < M__COUNT; m++) {
			struct result r;

			if ((m == M_CPU_COUNT && refused) || run((enum mode)m, mib, &r) != 0) {
				refused = true;
				continue;
			}
			if (best[m].touch < 0 || r.touch < best[m].touch)
				best[m] = r;
		}
	for (int m = 0; m < M__COUNT; m++) {
		const struct result *r = &best[m];

		if (r->touch < 0) {
			printf("  %-22s skipped (per-CPU events refused)\n", mode_name[m]);
			continue;
		}
		printf("  %-22s %7.3f s", mode_name[m], r->touch);
		if (m != M_BASE)
			printf("  %+6.0f%%  %llu faults, %llu lost, our CPU %.3f s",
			       (r->touch / best[M_BASE].touch - 1) * 100,
			       (unsigned long long)r->faults, (unsigned long long)r->lost, r->cpu);
		if (m == M_TASK_RECORD)
			printf(", %.2f bytes/fault (%llu bytes)",
			       r->faults ? (double)(r->bytes - empty) / (double)r->faults : 0,
			       (unsigned long long)r->bytes);
		if (m == M_CPU_COUNT)
			printf(", %llu foreign samples filtered", (unsigned long long)r->foreign);
		printf("\n");
	}

	printf("fixed costs:\n  task_new (per-task: open + mmap + enable + epoll): %.1f us per task\n",
	       task_new_cost_us(200));
	{
		struct percpu pc;
		double t0 = now_s();

		if (percpu_start(&pc) == 0) {
			t_cpu_setup = (now_s() - t0) * 1e6;
			percpu_stop(&pc);
			printf("  per-CPU setup (%d CPUs x open + mmap %u KiB): %.1f us once; "
			       "then a tid insert per task\n", pc.n, CPU_PAGES * 4, t_cpu_setup);
		}
	}

	printf("cost to the rest of the machine (an untraced process faulting beside it):\n");
	for (int m = 0; m < M__COUNT; m++) {
		struct result r;
		int rfd;
		pid_t bg;
		double rate;

		if (m == M_TASK_RECORD)
			continue;
		bg = bg_start(&rfd);
		usleep(100000);
		if (run((enum mode)m, mib, &r) != 0) {
			bg_stop(bg, rfd);
			continue;
		}
		rate = bg_stop(bg, rfd);
		printf("  %-22s untraced process faults %6.0f MiB/s", mode_name[m], rate);
		if (m == M_CPU_COUNT)
			printf("; we filtered %llu of its samples (%llu ours, %llu lost)",
			       (unsigned long long)r.foreign, (unsigned long long)r.faults,
			       (unsigned long long)r.lost);
		printf("\n");
	}
	return 0;
}

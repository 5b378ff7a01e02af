/*
 * ebpf_probe.c - what the eBPF source costs per scheduler event.
 *
 * A forked child runs two threads pinned to one CPU that hand a byte back
 * and forth through two pipes: every handoff is one wakeup and one context
 * switch, i.e. one scheduler wait for the source to measure. We take the
 * workload's CPU time for the same number of handoffs
 *   1. with no BPF loaded,
 *   2. with the source loaded but the child not traced (the price every
 *      task on the host pays: a pid-map lookup per hook),
 *   3. traced with a huge threshold (histograms only, no ring buffer),
 *   4. traced with threshold 0 (every wait is a ring-buffer record and an
 *      event handed to the emit callback),
 * and print CPU ns per handoff, the extra ns per measured wait (kernel side,
 * plus the reader thread's CPU time per event), and the
 * kernel's own run-time statistics of each BPF program during run 4
 * (bpf_enable_stats; they count the hooks' runs for every task on the host).
 * Needs root. usage: ebpf_probe [ROUND_TRIPS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "record/ebpf.h"

static long rounds = 100000;
static int ping[2], pong[2];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *ponger(void *arg)
{
	char c;

	(void)arg;
	pin();
	for (long i = 0; i < rounds; i++)
		if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
			break;
	return NULL;
}

/* The child: two pinned threads, `rounds` round trips. */
static void pingpong(void)
{
	pthread_t t;
	char c = 'x';

	if (pipe(ping) || pipe(pong))
		_exit(1);
	pin();
	if (pthread_create(&t, NULL, ponger, NULL))
		_exit(1);
	for (long i = 0; i < rounds; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			_exit(1);
	pthread_join(t, NULL);
	_exit(0);
}

static double tv_ns(struct timeval tv)
{
	return (double)tv.tv_sec * 1e9 + (double)tv.tv_usec * 1e3;
}

static double self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
}

/*
 * Runs the child (traced when s is given). Returns the child's CPU time
 * (user + system) per handoff: the BPF programs run in its context (the
 * waker's wakeup hook, the scheduler's switch hook), and CPU time, unlike
 * wall time, hardly depends on what else the host runs. *reader gets our
 * own CPU time during the run: the source's reader thread.
 */
static double run(struct source *s, double *reader)
{
	int go[2], status;
	struct rusage ru;
	double r0;
	pid_t pid;
	char c = 0;

	if (pipe(go))
		exit(1);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		pingpong();
	}
	close(go[0]);
	if (s && s->task_new(s->ctx, pid, pid)) {
		fprintf(stderr, "ebpf_probe: task_new failed\n");
		exit(1);
	}
	r0 = self_cpu_ns();
	if (write(go[1], &c, 1) != 1)
		exit(1);
	close(go[1]);
	wait4(pid, &status, 0, &ru);
	if (s)
		s->task_gone(s->ctx, pid);
	/* the reader drains at its next poll: let it, then count it */
	usleep(120 * 1000);
	if (reader)
		*reader = self_cpu_ns() - r0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "ebpf_probe: workload failed\n");
		exit(1);
	}
	return (tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime)) / (2.0 * (double)rounds);
}

struct counts {
	atomic_ullong sched_events, hist_values;
};

static void count(void *ctx, const struct event *ev)
{
	struct counts *c = ctx;

	if (ev->kind == EV_SCHED)
		atomic_fetch_add(&c->sched_events, 1);
	if (ev->kind == EV_HIST && ev->hist.kind == HIST_SCHED)
		for (uint32_t b = 0; b < ev->hist.nbuckets; b++)
			atomic_fetch_add(&c->hist_values, ev->hist.buckets[b]);
	if (ev->kind == EV_LOSS)
		printf("  loss: %s %llu (%s)\n", ev->loss.source,
		       (unsigned long long)ev->loss.count, ev->loss.reason);
}

static struct source *start(struct counts *c, uint64_t threshold)
{
	struct ebpf_opts o;
	struct source *s;
	char why[256];

	ebpf_opts_init(&o);
	o.mono_base_ns = now_ns();
	o.sched_threshold_ns = threshold;
	s = ebpf_source_new(&o, (struct source_emit){ count, c }, why, sizeof(why));
	if (!s) {
		fprintf(stderr, "ebpf_probe: %s\n", why);
		exit(1);
	}
	return s;
}

/* The kernel's per-program statistics (since bpf_enable_stats). */
static void prog_stats(void)
{
	__u32 id = 0;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strncmp(info.name, "lat_", 4) == 0 && info.run_cnt)
			printf("  %-16s %10llu runs  %6.1f ns/run\n", info.name,
			       (unsigned long long)info.run_cnt,
			       (double)info.run_time_ns / (double)info.run_cnt);
		close(fd);
	}
}

#define REPS 5

static double min_of(double a, double b)
{
	return a < b ? a : b;
}

int main(int argc, char **argv)
{
	double base = 1e18, untraced = 1e18, hist_only = 1e18, all = 1e18;
	double reader = 1e18, reader_base = 1e18, r;
	unsigned long long waits = 0, events = 0;
	struct source *s;
	int stats = -1;

	if (argc > 1)
		rounds = atol(argv[1]);
	if (rounds < 1000)
		rounds = 1000;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ebpf_probe: %ld round trips (%ld handoffs) between two threads on CPU 0; "
	       "CPU time of the workload, best of %d\n", rounds, 2 * rounds, REPS);
	run(NULL, NULL); /* warm up */
	/* interleaved, and the best of each kept: the host may be busy */
	for (int rep = 0; rep < REPS; rep++) {
		struct counts c1 = { 0 }, c2 = { 0 };

		base = min_of(base, run(NULL, NULL));
		s = start(&c1, 1000000000ull);
		untraced = min_of(untraced, run(NULL, NULL));
		hist_only = min_of(hist_only, run(s, &r));
		reader_base = min_of(reader_base, r);
		s->stop(s->ctx);
		if (rep == REPS - 1)
			stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
		s = start(&c2, 0);
		all = min_of(all, run(s, &r));
		reader = min_of(reader, r);
		if (rep == REPS - 1) {
			if (stats >= 0) {
				printf("BPF program run time, last run (kernel stats, whole host):\n");
				prog_stats();
				close(stats);
			} else {
				printf("BPF run-time stats unavailable: %s\n", strerror(errno));
			}
		}
		s->stop(s->ctx);
		waits = c2.hist_values;
		events = c2.sched_events;
	}
	printf("no BPF loaded:                  %8.1f ns CPU/handoff\n", base);
	printf("loaded, child not traced:       %8.1f ns CPU/handoff (%+.1f)\n", untraced,
	       untraced - base);
	printf("traced, histograms only:        %8.1f ns CPU/handoff (%+.1f)\n", hist_only,
	       hist_only - base);
	printf("traced, every wait an event:    %8.1f ns CPU/handoff (%+.1f); %llu events, %llu waits\n",
	       all, all - base, events, waits);
	if (waits) {
		double kernel = (all - base) * 2.0 * (double)rounds / (double)waits;
		double user = (reader - reader_base) / (double)waits;

		printf("per sched event: %.1f ns in the kernel (workload CPU) + %.1f ns in the "
		       "reader thread = %.1f ns\n", kernel, user, kernel + user);
	}
	return 0;
}

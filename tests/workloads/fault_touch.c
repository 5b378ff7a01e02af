/*
 * fault_touch.c - touches exactly N fresh pages of an anonymous mapping and
 * N fresh pages of heap (brk) in each of three workers: two threads and a
 * forked child. The main thread only coordinates.
 *
 * usage: fault_touch N [REPORT_FD GO_FD]
 *
 * With REPORT_FD and GO_FD (the handshake of tests/unit/test_faults.c), every
 * task first writes "M|T|C TID PID\n" to REPORT_FD (main, thread, child;
 * lines are atomic pipe writes), then nothing is touched until one byte
 * arrives on GO_FD, so the driver can follow each task before it works.
 * Without them the workers start at once (compendium --faults -- ...).
 * The child exits only once both threads are done, so all 3 x 2N touched
 * pages are resident at the same time (the peak the tests expect).
 *
 * Each worker then writes (to REPORT_FD, or stdout):
 *   "D KIND TID PID T0 T1 MINFLT0 MINFLT1 MMAP HEAP\n"
 * T0/T1: CLOCK_MONOTONIC ns around its work; MINFLT0/1: the kernel's minor
 * fault count of the thread (getrusage RUSAGE_THREAD) inside that window;
 * MMAP/HEAP: the first page of each touched range (hex).
 * Transparent huge pages are disabled, so one touch is one fault.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 3 /* two threads and a child */

static long npages;
static size_t page;
static int report_fd = 1, go_fd = -1;
static pthread_barrier_t go_barrier;

struct worker {
	char kind;
	volatile char *heap; /* npages fresh pages of brk */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(report_fd, line, (size_t)n) != n)
		_exit(3);
}

static int work(const struct worker *w)
{
	struct rusage r0, r1;
	uint64_t t0, t1;
	volatile char *m;

	t0 = now_ns();
	getrusage(RUSAGE_THREAD, &r0);
	m = mmap(NULL, (size_t)npages * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	for (long i = 0; i < npages; i++)
		m[(size_t)i * page] = 1;
	for (long i = 0; i < npages; i++)
		w->heap[(size_t)i * page] = 1;
	getrusage(RUSAGE_THREAD, &r1);
	t1 = now_ns();
	say("D %c %d %d %llu %llu %ld %ld %lx %lx\n", w->kind, gettid(), getpid(),
	    (unsigned long long)t0, (unsigned long long)t1, r0.ru_minflt, r1.ru_minflt,
	    (unsigned long)(uintptr_t)m, (unsigned long)(uintptr_t)w->heap);
	return 0;
}

static void *thread_main(void *arg)
{
	const struct worker *w = arg;

	if (go_fd >= 0)
		say("T %d %d\n", gettid(), getpid());
	pthread_barrier_wait(&go_barrier);
	return (void *)(intptr_t)work(w);
}

int main(int argc, char **argv)
{
	struct worker w[WORKERS];
	pthread_t th[2];
	int gate[2], done[2];
	char *brk0, *heap;
	uintptr_t pad;
	pid_t child;
	char c;
	int status, rc = 0;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: fault_touch N [REPORT_FD GO_FD]\n");
		return 2;
	}
	npages = atol(argv[1]);
	if (npages <= 0 || npages > (1l << 20))
		return 2;
	if (argc == 4) {
		report_fd = atoi(argv[2]);
		go_fd = atoi(argv[3]);
	}
	page = (size_t)sysconf(_SC_PAGESIZE);
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);

	/* Heap for every worker, page aligned, never touched before the work. */
	brk0 = sbrk(0);
	pad = (page - (uintptr_t)brk0 % page) % page;
	if (sbrk((intptr_t)(pad + WORKERS * (size_t)npages * page)) == (void *)-1)
		return 1;
	heap = brk0 + pad;
	for (int i = 0; i < WORKERS; i++) {
		w[i].kind = i == 2 ? 'C' : 'T';
		w[i].heap = heap + (size_t)i * (size_t)npages * page;
	}
	if (go_fd >= 0)
		say("M %d %d\n", gettid(), getpid());
	if (pipe(gate) != 0 || pipe(done) != 0 || pthread_barrier_init(&go_barrier, NULL, 3) != 0)
		return 1;

	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		close(gate[1]);
		if (go_fd >= 0)
			say("C %d %d\n", gettid(), getpid());
		if (read(gate[0], &c, 1) != 1)
			_exit(1);
		rc = work(&w[2]);
		close(done[1]);
		if (read(done[0], &c, 1) != 1)
			_exit(1);
		_exit(rc);
	}
	close(gate[0]);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, thread_main, &w[i]) != 0)
			return 1;
	if (go_fd >= 0 && read(go_fd, &c, 1) != 1)
		rc = 1;
	pthread_barrier_wait(&go_barrier);
	if (write(gate[1], "g", 1) != 1)
		rc = 1;
	for (int i = 0; i < 2; i++) {
		void *ret;

		pthread_join(th[i], &ret);
		rc |= (int)(intptr_t)ret;
	}
	if (write(done[1], "d", 1) != 1)
		rc = 1;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		rc = 1;
	return rc;
}

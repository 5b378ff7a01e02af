/*
 * watch.c - the signal watcher thread and its doorbell (see watch.h).
 */
#define _GNU_SOURCE
#include "record/watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WATCH_MAX_BELLS 64 /* doorbell pids remembered for the final reap */

struct watch {
	pthread_t thread;
	sigset_t set;
	atomic_uint sigint, sigterm;
	atomic_int first_int_code;
	atomic_bool want_ticks;
	/* written by the watcher only; read by watch_stop after the join */
	pid_t bells[WATCH_MAX_BELLS];
	unsigned nbells;
};

static void watch_ring(struct watch *w)
{
	pid_t pid = vfork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		w->bells[w->nbells++ % WATCH_MAX_BELLS] = pid;
}

static void watch_record(struct watch *w, const siginfo_t *si)
{
	if (si->si_signo == SIGINT) {
		if (atomic_load(&w->sigint) == 0)
			atomic_store(&w->first_int_code, si->si_code);
		atomic_fetch_add(&w->sigint, 1);
	} else {
		atomic_fetch_add(&w->sigterm, 1);
	}
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;

	for (;;) {
		struct timespec ts = { 0, WATCH_TICK_NS };
		siginfo_t si;
		int sig = sigtimedwait(&w->set, &si, &ts); /* a cancellation point */

		if (sig > 0)
			watch_record(w, &si);
		if (sig > 0 || atomic_load(&w->want_ticks))
			watch_ring(w);
	}
	return NULL;
}

struct watch *watch_start(const sigset_t *set)
{
	struct watch *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return NULL;
	w->set = *set;
	rc = pthread_create(&w->thread, NULL, watch_main, w);
	if (rc != 0) {
		free(w);
		errno = rc;
		return NULL;
	}
	return w;
}

void watch_counts(struct watch *w, struct watch_counts *out)
{
	out->sigterm = atomic_load(&w->sigterm);
	out->sigint = atomic_load(&w->sigint);
	out->first_int_code = atomic_load(&w->first_int_code);
}

void watch_want_ticks(struct watch *w, bool on)
{
	if (atomic_load_explicit(&w->want_ticks, memory_order_relaxed) != on)
		atomic_store(&w->want_ticks, on);
}

void watch_stop(struct watch *w)
{
	unsigned n;

	pthread_cancel(w->thread);
	pthread_join(w->thread, NULL);
	n = w->nbells < WATCH_MAX_BELLS ? w->nbells : WATCH_MAX_BELLS;
	/* The tracer reaped most of them; ECHILD for those. */
	for (unsigned i = 0; i < n; i++)
		waitpid(w->bells[i], NULL, __WALL);
	free(w);
}

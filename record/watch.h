/*
 * watch.h - compendium's own signals (SIGINT, SIGTERM, SIGHUP), taken by a
 * helper thread so that the tracer can sleep in a blocking waitpid().
 *
 * The tracer blocks in waitpid(-1, __WALL), which no signal mask trick can
 * wake without a race. Instead, every thread keeps these signals blocked and
 * the watcher thread takes them with sigtimedwait(); for each one (and every
 * WATCH_TICK_NS while ticks are wanted) it "rings the doorbell": it vforks a
 * child that exits at once, whose exit makes the tracer's waitpid return.
 * The tracer ignores the exit of a pid it does not trace, then reads the
 * counters below. No signal handler runs, so no syscall ever sees EINTR.
 */
#ifndef COMPENDIUM_WATCH_H
#define COMPENDIUM_WATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define WATCH_TICK_NS (100 * 1000 * 1000)

struct watch;

/* What the watcher has received so far (monotonic counters). */
struct watch_counts {
	unsigned sigint;     /* SIGINTs */
	int first_int_code;  /* si_code of the first SIGINT (SI_KERNEL: a terminal) */
	unsigned sigterm;    /* SIGTERMs and SIGHUPs */
};

/*
 * Starts the watcher for the signals in `set`, which the caller has blocked
 * (in every thread). Returns NULL (errno set) on failure.
 */
struct watch *watch_start(const sigset_t *set);

/* Reads the counters (cheap: atomic loads). */
void watch_counts(struct watch *w, struct watch_counts *out);

/* Asks for (or stops) a doorbell every WATCH_TICK_NS. */
void watch_want_ticks(struct watch *w, bool on);

/* Stops the watcher, reaps its doorbells and frees it. */
void watch_stop(struct watch *w);

#endif

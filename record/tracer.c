/*
 * tracer.c - the ptrace engine's entry: starts the command (or attaches, see
 * attach.c), runs the wait loop, takes compendium's own signals, and writes
 * the header and trailer. What happens at each stop is in stops.c.
 *
 * The wait loop sleeps in a blocking waitpid(-1, __WALL): one syscall per
 * stop. SIGINT, SIGTERM and SIGHUP stay blocked in this thread and are taken
 * by the watcher thread (watch.h), which wakes the loop with a "doorbell"
 * child, so a Ctrl-C never races the waitpid and never interrupts the
 * engine half-way through a stop.
 */
#define _GNU_SOURCE
#include "record/tracer.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "recording.h"
#include "util.h"
#include "record/engine.h"
#include "record/fastpath.h"
#include "record/fdtable.h"
#include "record/fsinfo.h"
#include "record/seccomp.h"
#include "record/spawn.h"
#include "record/watch.h"


uint64_t engine_now(const struct engine *e)
{
	uint64_t now = util_clock_ns(CLOCK_MONOTONIC);

	return now > e->mono_base_ns ? now - e->mono_base_ns : 0;
}

/* ---- the counting sink in front of the caller's --------------------------- */

static void tracer_out_header(void *ctx, const struct rec_header *h)
{
	const struct engine *e = ctx;

	if (e->user->header)
		e->user->header(e->user->ctx, h);
}

/* Sources emit from their own threads (sources.c): one lock in front of
 * the sinks, which are single-threaded. Losses are kept for the trailer. */
static void tracer_out_event(void *ctx, const struct event *ev)
{
	struct engine *e = ctx;

	pthread_mutex_lock(&e->out_lock);
	e->nevents++;
	if (ev->kind == EV_LOSS && e->nlosses < REC_MAX_LOSSES) /* strings: see tracer_run */
		e->losses[e->nlosses++] = (struct rec_loss){
			ev->loss.source ? strdup(ev->loss.source) : NULL, ev->loss.count,
			ev->loss.reason ? strdup(ev->loss.reason) : NULL };
	if (e->user->event)
		e->user->event(e->user->ctx, ev);
	pthread_mutex_unlock(&e->out_lock);
}

void engine_emit(struct engine *e, const struct event *ev)
{
	tracer_out_event(e, ev);
}

void engine_event_init(const struct engine *e, struct event *ev, enum event_kind kind,
		       const struct task *t)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->ts_ns = engine_now(e);
	ev->pid = (uint32_t)t->pid;
	ev->tid = (uint32_t)t->tid;
	ev->sysno = -1;
}

/* ---- header and trailer ------------------------------------------------------ */

static void tracer_header_options(const struct engine *e, struct rec_header *h)
{
	for (unsigned i = 0; i < e->o->noptions && h->noptions < REC_MAX_OPTIONS - 1; i++)
		h->options[h->noptions++] = e->o->options[i];
	if (e->seccomp && e->no_new_privs)
		h->options[h->noptions++] = (struct rec_option){ "no-new-privs", "set for seccomp" };
}

void engine_send_header(struct engine *e)
{
	struct rec_header h;
	struct utsname u;
	char host[256] = "";

	memset(&h, 0, sizeof(h));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	gethostname(host, sizeof(host) - 1);
	h.tool_version = e->o->tool_version;
	h.format_major = RECORDING_MAJOR;
	h.format_minor = RECORDING_MINOR;
	h.argv = e->attach ? NULL : (const char *const *)e->o->argv;
	for (uint32_t n = 0; h.argv && h.argv[n]; n++)
		h.argc = n + 1;
	h.recorder_argv = e->o->recorder_argv;
	h.recorder_argc = e->o->recorder_argc > 0 ? (uint32_t)e->o->recorder_argc : 0;
	h.start_wall_ns = e->wall_base_ns;
	h.monotonic_base_ns = e->mono_base_ns;
	h.hostname = host;
	h.kernel_release = u.release;
	h.arch = "x86_64";
	h.page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	h.mode = e->attach ? REC_MODE_ATTACH : REC_MODE_SPAWN;
	h.root_pid = (uint32_t)e->root;
	tracer_header_options(e, &h);
	h.sources[h.nsources++] = (struct rec_source){ "ptrace", true, NULL };
	h.sources[h.nsources++] = (struct rec_source){ "seccomp", e->seccomp, e->seccomp_reason };
	engine_sources_header(e, &h);
	tracer_out_header(e, &h);
}

static enum rec_end tracer_end_reason(const struct engine *e)
{
	if (e->detaching)
		return REC_END_DETACHED;
	if (e->killing)
		return REC_END_INTERRUPTED;
	if (!e->root_reaped)
		return e->tasks.count ? REC_END_ERROR : REC_END_COMPLETED;
	return WIFSIGNALED(e->root_status) ? REC_END_KILLED : REC_END_COMPLETED;
}

static void tracer_send_trailer(struct engine *e)
{
	struct rec_trailer tr;
	struct rec_integrity in;

	memset(&tr, 0, sizeof(tr));
	tr.end_reason = tracer_end_reason(e);
	if (e->root_reaped && WIFEXITED(e->root_status)) {
		tr.exit_code = WEXITSTATUS(e->root_status);
	} else if (e->root_reaped) {
		tr.exit_signal = (uint32_t)WTERMSIG(e->root_status);
		tr.core_dumped = WCOREDUMP(e->root_status);
	}
	tr.end_ts_ns = engine_now(e);
	tr.event_count = e->nevents;
	tr.nlosses = e->nlosses; /* the EV_LOSS events: attach, perf, eBPF */
	memcpy(tr.losses, e->losses, sizeof(tr.losses));
	if (e->user->trailer)
		e->user->trailer(e->user->ctx, &tr);
	memset(&in, 0, sizeof(in));
	in.has_trailer = true;
	in.events = e->nevents;
	if (e->user->end)
		e->user->end(e->user->ctx, &in);
}

/* ---- compendium's own signals ---------------------------------------------------- */

static void tracer_kill_all(struct engine *e)
{
	e->killing = true;
	for (size_t i = 0; i < e->tasks.nbuckets; i++)
		for (struct task *t = e->tasks.buckets[i]; t; t = t->hnext)
			syscall(SYS_tkill, t->tid, SIGKILL);
}

/*
 * A SIGINT that a process sent to compendium alone (kill, a supervisor): do
 * what a terminal does with Ctrl-C and signal the traced processes of our
 * process group. A terminal's own SIGINT (SI_KERNEL) already reached them.
 */
static void tracer_forward_sigint(struct engine *e)
{
	pid_t pgrp = getpgrp();

	for (size_t i = 0; i < e->tasks.nbuckets; i++)
		for (struct task *t = e->tasks.buckets[i]; t; t = t->hnext)
			if (t->tid == t->pid && t->state == TASK_RUNNING && getpgid(t->pid) == pgrp)
				kill(t->pid, SIGINT);
}

static void tracer_on_signal(struct engine *e, const siginfo_t *si)
{
	switch (si->si_signo) {
	case SIGINT:
		if (e->attach) {
			attach_begin_detach(e);
		} else if (++e->sigint_count == 1) {
			if (si->si_code != SI_KERNEL)
				tracer_forward_sigint(e);
		} else if (!e->killing) {
			tracer_kill_all(e);
		}
		break;
	case SIGTERM:
	case SIGHUP:
		if (e->attach)
			attach_begin_detach(e);
		else if (!e->killing)
			tracer_kill_all(e);
		break;
	}
}

/* A doorbell tick: adopt long-parked tasks, give up a stuck detach. */
static void tracer_on_tick(struct engine *e)
{
	if (e->nparked)
		engine_adopt_parked(e);
	if (e->detaching && engine_now(e) > e->detach_deadline_ns) {
		/* Tracees we could not stop are released when we exit. */
		tasks_destroy(&e->tasks);
		tasks_init(&e->tasks);
		e->nparked = 0;
	}
}

/* Acts on the signals the watcher received since the last look. */
static void tracer_check_signals(struct engine *e)
{
	struct watch_counts c;

	watch_counts(e->watch, &c);
	for (; e->seen.sigint < c.sigint; e->seen.sigint++) {
		siginfo_t si = { .si_signo = SIGINT };

		si.si_code = e->seen.sigint == 0 ? c.first_int_code : SI_USER;
		tracer_on_signal(e, &si);
	}
	for (; e->seen.sigterm < c.sigterm; e->seen.sigterm++) {
		siginfo_t si = { .si_signo = SIGTERM };

		tracer_on_signal(e, &si);
	}
}

/*
 * The state lock is released only inside waitpid, where the fast path's
 * reader may hand records over. After each wake-up the fast path is
 * drained before the stop is handled: every I/O the stopped task did is
 * then attributed before the stop can change an fd (see fastpath.c).
 */
static void tracer_loop(struct engine *e)
{
	pthread_mutex_lock(&e->state_lock);
	while (e->tasks.count > 0) {
		int status;
		pid_t tid;

		tracer_check_signals(e);
		watch_want_ticks(e->watch, e->nparked || e->detaching);
		pthread_mutex_unlock(&e->state_lock);
		tid = waitpid(-1, &status, __WALL);
		pthread_mutex_lock(&e->state_lock);
		if (e->fast)
			fastpath_drain(e->fast);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: every tracee is gone */
		}
		if (!tasks_find(&e->tasks, tid) && (WIFEXITED(status) || WIFSIGNALED(status))) {
			tracer_on_tick(e); /* a doorbell (or an untraced child) */
			continue;
		}
		engine_on_status(e, tid, status);
	}
	pthread_mutex_unlock(&e->state_lock);
}

/* ---- spawning ------------------------------------------------------------------ */

/* Prints why the command cannot run; returns the shell's status for it. */
static int tracer_cannot_run(const char *argv0, int err)
{
	if (err == ENOENT && !strchr(argv0, '/')) {
		fprintf(stderr, "compendium: %s: command not found\n", argv0);
		return 127;
	}
	fprintf(stderr, "compendium: %s: %s\n", argv0, strerror(err));
	return err == ENOENT ? 127 : 126;
}

static int tracer_add_root(struct engine *e)
{
	struct task *t = tasks_add(&e->tasks, e->root);

	if (!t)
		return -ENOMEM;
	t->fds = fdtable_new();
	t->fs = fsinfo_from_proc(e->root);
	t->mm = task_mm_new(0);
	t->grp = task_group_new(e->root);
	return t->fds && t->fs && t->mm && t->grp ? 0 : -ENOMEM;
}

static void tracer_prepare_filter(struct engine *e, struct sock_fprog *prog)
{
	int rc;

	if (e->o->no_seccomp) {
		e->seccomp_reason = "disabled by --no-seccomp";
		return;
	}
	/* the fast path's syscalls run without a stop: eBPF records them */
	rc = seccomp_filter_build(prog, e->fast ? fastpath_owns : NULL);
	if (rc != 0) {
		e->seccomp_reason = "the filter could not be built";
		return;
	}
	e->seccomp = true;
	e->no_new_privs = seccomp_needs_no_new_privs();
}

static int tracer_spawn(struct engine *e)
{
	char path[PATH_MAX];
	struct sock_fprog prog = { 0 };
	int rc = spawn_resolve(e->o->argv[0], path);

	if (rc != 0)
		return tracer_cannot_run(e->o->argv[0], -rc);
	tracer_prepare_filter(e, &prog);
	rc = spawn_start(path, e->o->argv, e->seccomp ? &prog : NULL, e->no_new_privs,
			 &e->old_mask, e->chld_ignored, &e->sp);
	seccomp_filter_free(&prog);
	if (rc != 0) {
		fprintf(stderr, "compendium: cannot start %s: %s\n", e->o->argv[0], strerror(-rc));
		return 1;
	}
	e->root = e->sp.pid;
	if (ptrace(PTRACE_SEIZE, e->root, 0L, (long)(ENGINE_OPTS | PTRACE_O_EXITKILL)) != 0 ||
	    tracer_add_root(e) != 0) {
		fprintf(stderr, "compendium: cannot trace %s: %s\n", e->o->argv[0], strerror(errno));
		kill(e->root, SIGKILL);
		waitpid(e->root, NULL, __WALL);
		spawn_close(&e->sp);
		return 1;
	}
	spawn_go(&e->sp);
	return 0;
}

/* The command died before its first exec: exec failed, or it was killed. */
static int tracer_never_ran(struct engine *e)
{
	struct spawn_report r;
	int err = 0;

	while (spawn_read_report(&e->sp, &r))
		if (r.code == 'E')
			err = r.err;
	spawn_close(&e->sp);
	if (err)
		return tracer_cannot_run(e->o->argv[0], err);
	fprintf(stderr, "compendium: %s: ended before it could start\n", e->o->argv[0]);
	if (e->root_reaped && WIFSIGNALED(e->root_status))
		return 128 + WTERMSIG(e->root_status);
	return 1;
}

static int tracer_status(const struct engine *e)
{
	if (e->detaching || !e->root_reaped)
		return e->detaching ? 0 : 1;
	if (WIFEXITED(e->root_status))
		return WEXITSTATUS(e->root_status);
	return 128 + WTERMSIG(e->root_status);
}

/* ---- entry ---------------------------------------------------------------------- */

/*
 * Blocks SIGINT/SIGTERM/SIGHUP (the watcher takes them) and makes sure
 * SIGCHLD is not ignored, which would reap our child before we see it.
 */
static int tracer_signals_begin(struct engine *e)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	sigemptyset(&e->blocked);
	sigaddset(&e->blocked, SIGINT);
	sigaddset(&e->blocked, SIGTERM);
	sigaddset(&e->blocked, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &e->blocked, &e->old_mask);
	sigaction(SIGCHLD, NULL, &e->old_chld);
	e->chld_ignored = e->old_chld.sa_handler == SIG_IGN;
	if (e->chld_ignored)
		sigaction(SIGCHLD, &dfl, NULL);
	e->watch = watch_start(&e->blocked);
	if (!e->watch) {
		fprintf(stderr, "compendium: cannot start the signal watcher: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Leaves INT/TERM/HUP blocked (see tracer.h), pending ones discarded. */
static void tracer_signals_end(struct engine *e)
{
	struct timespec zero = { 0, 0 };
	siginfo_t si;

	if (e->watch)
		watch_stop(e->watch);
	while (sigtimedwait(&e->blocked, &si, &zero) > 0)
		;
	if (e->chld_ignored)
		sigaction(SIGCHLD, &e->old_chld, NULL);
}

int tracer_run(const struct tracer_opts *o, const struct event_sink *sink)
{
	struct engine e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.o = o;
	e.user = sink;
	e.out = (struct event_sink){ .ctx = &e, .header = tracer_out_header,
				     .event = tracer_out_event };
	e.attach = o->argv == NULL;
	e.sp.go_fd = e.sp.report_fd = -1;
	if (tasks_init(&e.tasks) != 0) {
		fprintf(stderr, "compendium: out of memory\n");
		return 1;
	}
	if (tracer_signals_begin(&e) != 0) {
		tracer_signals_end(&e);
		tasks_destroy(&e.tasks);
		return 1;
	}
	e.wall_base_ns = util_clock_ns(CLOCK_REALTIME);
	e.mono_base_ns = util_clock_ns(CLOCK_MONOTONIC);
	pthread_mutex_init(&e.out_lock, NULL);
	pthread_mutex_init(&e.state_lock, NULL);
	engine_sources_start(&e);
	rc = e.attach ? attach_start(&e) : tracer_spawn(&e);
	if (rc == 0) {
		tracer_loop(&e);
		engine_sources_stop(&e);
		if (!e.attach && !e.root_execd) {
			rc = tracer_never_ran(&e);
		} else {
			tracer_send_trailer(&e);
			rc = tracer_status(&e);
		}
	}
	engine_sources_stop(&e);
	for (uint32_t i = 0; i < e.nlosses; i++) {
		free((char *)e.losses[i].source);
		free((char *)e.losses[i].reason);
	}
	pthread_mutex_destroy(&e.out_lock);
	pthread_mutex_destroy(&e.state_lock);
	tasks_destroy(&e.tasks);
	tracer_signals_end(&e);
	return rc;
}

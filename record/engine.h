/*
 * engine.h - the ptrace engine's state, shared by tracer.c (the wait loop,
 * spawn, syscalls, processes, signals) and attach.c (-p: attaching to every
 * thread, seeding the state found in /proc, detaching). Not a public API:
 * record/tracer.h is.
 */
#ifndef COMPENDIUM_ENGINE_H
#define COMPENDIUM_ENGINE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/types.h>

#include "event.h"
#include "record/source.h"
#include "record/spawn.h"
#include "record/tasks.h"
#include "record/tracer.h"

/* PTRACE_O_TRACEEXIT costs a stop per task, but its exit stop is the last
 * moment /proc/PID/fd answers for an fd not seen being created: the fast
 * path's last records of the task are drained and resolved there. */
#define ENGINE_OPTS (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
		     PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | \
		     PTRACE_O_TRACESECCOMP)

#define ENGINE_MAX_SOURCES 2

struct engine {
	const struct tracer_opts *o;
	const struct event_sink *user; /* the caller's sink */
	struct event_sink out;         /* counts, then forwards to user */
	uint64_t nevents;
	uint64_t mono_base_ns;         /* CLOCK_MONOTONIC at ts 0 */
	uint64_t wall_base_ns;         /* CLOCK_REALTIME at ts 0 */
	struct task_table tasks;
	size_t nparked;

	bool attach;          /* -p mode */
	bool seccomp;         /* tracees stop only on filtered syscalls */
	bool no_new_privs;    /* set in the child for the filter */
	const char *seccomp_reason; /* why the filter is off, NULL when on */
	pid_t root;           /* spawned or attached process */
	bool root_execd;      /* spawn: the command's first exec was seen */
	bool root_reaped;
	int root_status;      /* wait status of the root's leader */

	int sigint_count;
	bool killing;         /* every tracee was sent SIGKILL */
	bool detaching;       /* -p: detaching from every thread */
	uint64_t detach_deadline_ns;
	sigset_t blocked;     /* SIGINT, SIGTERM, SIGHUP: taken by the watcher */
	sigset_t old_mask;    /* compendium's mask before tracer_run */
	struct sigaction old_chld;
	bool chld_ignored;    /* SIGCHLD was SIG_IGN: restored in the command */
	struct watch *watch;
	struct { unsigned sigint, sigterm; } seen; /* watcher counts acted on */
	struct spawn sp;      /* spawn: the child's pipes */

	/* auxiliary sources (sources.c): they emit from their own threads */
	struct engine_source {
		const char *name;   /* as in the header's sources */
		struct source *s;   /* NULL: not requested, or unavailable (why) */
		char why[256];
	} src[ENGINE_MAX_SOURCES];
	unsigned nsrc;
	pthread_mutex_t out_lock;  /* serialises every producer in front of the sinks */
	struct rec_loss losses[REC_MAX_LOSSES]; /* EV_LOSS seen, for the trailer (strdup'd) */
	uint32_t nlosses;

	/* the I/O fast path (fastpath.h): NULL when off, and fast_why says why */
	struct fastpath *fast;
	char fast_why[256];
	/*
	 * The task table and the fd tables. The engine's thread holds it while
	 * it runs the wait loop, except inside waitpid; the fast path's reader
	 * thread holds it while it hands records over (engine_fast_call).
	 */
	pthread_mutex_t state_lock;
};

/* ns since ts 0. */
uint64_t engine_now(const struct engine *e);

/* Zeroes ev and fills kind, time, ids (sysno -1: not a syscall). */
void engine_event_init(const struct engine *e, struct event *ev, enum event_kind kind,
		       const struct task *t);
void engine_emit(struct engine *e, const struct event *ev);

/* Sends the header (spawn: at the root's first exec; attach: once attached). */
void engine_send_header(struct engine *e);

/* Restarts a stopped task (injecting sig), the way its mode wants. */
void engine_resume(struct engine *e, struct task *t, int sig);

/* Handles one waitpid status (stops.c): the heart of the engine. */
void engine_on_status(struct engine *e, pid_t tid, int status);

/* Adopts tasks parked for over WATCH_TICK_NS whose creator's event never came (stops.c). */
void engine_adopt_parked(struct engine *e);

/*
 * The fast path's hand-over (fastpath_call_fn; ctx is the engine): decodes
 * a syscall recorded in the kernel as the ptrace path would at its exit
 * stop, against the task's fd table. Called with state_lock held.
 */
struct syscall_call;
bool engine_fast_call(void *ctx, pid_t tid, pid_t pid, const struct syscall_call *call);

/* Records a task's death (EV_EXIT) and forgets it. */
void engine_task_died(struct engine *e, struct task *t, int status);

/*
 * Auxiliary sources (sources.c): started before the trace when requested
 * (a source that cannot start prints its reason and is recorded inactive),
 * told of every task once the header is out, stopped before the trailer.
 */
void engine_sources_start(struct engine *e);
void engine_sources_header(const struct engine *e, struct rec_header *h);
void engine_sources_task_new(struct engine *e, pid_t tid, pid_t pid);
void engine_sources_task_gone(struct engine *e, pid_t tid);
void engine_sources_stop(struct engine *e);
/* The seccomp filter failed: the fast path's syscalls stop after all, so
 * the fast path is stopped (before any task is in it). state_lock held. */
void engine_fastpath_off(struct engine *e, const char *why);

/* How long a detach waits for threads to stop before leaving them to the kernel. */
#define ENGINE_DETACH_WAIT_NS (3ull * 1000 * 1000 * 1000)

/* The reason of the EV_LOSS an attach records. */
#define ENGINE_ATTACH_LOSS "events before the attach were not observed"

/* -p: attaches to every thread of o->pid and seeds the state. 0 or exit status. */
int attach_start(struct engine *e);
/* -p: starts detaching from every thread (SIGINT, SIGTERM, SIGHUP). */
void attach_begin_detach(struct engine *e);
/* -p, detaching: handles one wait status of a task. */
void attach_on_stop(struct engine *e, struct task *t, pid_t tid, int status);

#endif

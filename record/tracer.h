/*
 * tracer.h - the ptrace engine: spawn or attach, follow every task, decode
 * syscalls, and deliver header, events, trailer and end to a sink.
 *
 * One call runs a whole trace. The tracer owns the process-wide signal
 * handling while it runs (SIGINT, SIGTERM, SIGHUP; see tracer_run).
 */
#ifndef COMPENDIUM_TRACER_H
#define COMPENDIUM_TRACER_H

#include <stdbool.h>
#include <sys/types.h>

#include "event.h"

struct tracer_opts {
	char *const *argv;         /* command to spawn (argv[0] searched in PATH), or NULL */
	pid_t pid;                 /* process to attach to when argv is NULL */
	bool no_seccomp;           /* stop on every syscall even when spawning */
	bool no_fastpath;          /* --no-fastpath: I/O through ptrace even with eBPF */
	bool verbose_raw;          /* undecoded syscalls become EV_SYSCALL events */
	bool faults;               /* --faults: page faults with perf (record/faults.h) */
	bool ebpf;                 /* --ebpf: sched and block latency (record/ebpf.h) */
	uint64_t sched_threshold_ns; /* --sched-threshold; 0: the eBPF default (10 us) */
	const char *tool_version;  /* for the header (COMPENDIUM_VERSION) */
	const char *const *recorder_argv; /* compendium's own argv, for the header */
	int recorder_argc;
	/* options to write into the header (name=value), borrowed */
	const struct rec_option *options;
	unsigned noptions;
};

/*
 * Traces until the spawned command exits, or until detach (-p and Ctrl-C /
 * SIGTERM / SIGHUP), or until a second Ctrl-C (or SIGTERM/SIGHUP when
 * spawning) kills the traced processes. Sends sink->header first, then
 * events, then sink->trailer (always: end reason, exit status), then
 * sink->end.
 *
 * Returns the status compendium should exit with: the command's exit code,
 * 128+signal when it was killed, 127 / 126 when it could not be found /
 * executed (nothing is traced then, after a message on stderr), 0 after a
 * detach, and 1 on a tracer error (message on stderr; for -p it names the
 * reason and the fix, e.g. ptrace_scope or CAP_SYS_PTRACE). When nothing was
 * traced (127, 126, attach refused, spawn failure) no sink callback runs:
 * the caller can tell by the header never arriving.
 *
 * Spawning: the header is sent when the command's first exec succeeds.
 * Attaching: once every thread is attached, followed by the state found in
 * /proc (EV_TASK, fds, maps, flagged EVENT_F_SEEDED) and one EV_LOSS
 * {source "attach"}.
 *
 * Signals: while it runs, SIGINT, SIGTERM and SIGHUP are blocked in the
 * calling thread and taken by a watcher thread of the tracer (no handler
 * runs, no syscall sees EINTR). Any other thread of the process (a writer
 * thread) must have them blocked too, or it would receive them instead:
 * create such threads with all signals blocked. SIGCHLD must not be ignored
 * while the tracer runs (it resets SIG_IGN to SIG_DFL and restores it). A first SIGINT sent by a process (not by the
 * terminal, which signals the whole foreground group itself) is forwarded to
 * every traced process in compendium's process group, as a terminal would.
 * On return, SIGINT, SIGTERM and SIGHUP stay blocked (pending ones are
 * discarded) so that a late Ctrl-C cannot cut the recording's close; the
 * caller may unblock them afterwards.
 */
int tracer_run(const struct tracer_opts *o, const struct event_sink *sink);

#endif

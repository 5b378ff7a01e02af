/*
 * stops.c - what the engine does at each ptrace-stop and death of a tracee.
 *
 * The stop kinds (tracees are PTRACE_SEIZEd with TRACESYSGOOD, so nothing is
 * guessed from a toggle or from SIGTRAP):
 *   syscall-stop      WSTOPSIG == SIGTRAP|0x80; entry or exit says
 *                     PTRACE_GET_SYSCALL_INFO
 *   seccomp stop      event PTRACE_EVENT_SECCOMP: a filtered syscall's entry
 *   fork/vfork/clone  the creator's event: the new task's tid and flags
 *   exec              event PTRACE_EVENT_EXEC (the tid may have changed)
 *   exit              event PTRACE_EVENT_EXIT: just resumed (the death that
 *                     follows carries the status)
 *   event stop        PTRACE_EVENT_STOP: group-stop (a stop signal: the
 *                     tracee is kept stopped with PTRACE_LISTEN), or the
 *                     first stop of a new task, or PTRACE_INTERRUPT
 *   signal-delivery   anything else: recorded, then injected unchanged
 *
 * A new task's first stop and its creator's event arrive in either order. A
 * task seen first is parked (kept stopped) until the creator's event tells
 * what it shares; if that event never comes (creator killed), the task is
 * adopted from /proc after WATCH_TICK_NS (engine_adopt_parked).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/audit.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/decode.h"
#include "record/engine.h"
#include "record/fastpath.h"
#include "record/fdclose.h"
#include "record/fdtable.h"
#include "record/fsinfo.h"
#include "record/procfs.h"
#include "record/tmem.h"
#include "record/watch.h"

#define STOPS_X32_BIT 0x40000000u

/* The first fields of the kernel's struct clone_args (clone3). */
struct stops_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
};

/* The spawned command's own code before its first exec is not traced. */
static bool stops_pre_exec(const struct engine *e, const struct task *t)
{
	return !e->attach && !e->root_execd && t->pid == e->root;
}

void engine_resume(struct engine *e, struct task *t, int sig)
{
	int req = (!e->seccomp || t->in_syscall) ? PTRACE_SYSCALL : PTRACE_CONT;

	/* ESRCH: killed meanwhile; its death comes through waitpid. */
	ptrace(req, t->tid, 0L, (long)sig);
}

/* ---- syscalls -------------------------------------------------------------- */

static struct decode_ctx stops_ctx(struct engine *e, struct task *t)
{
	return (struct decode_ctx){
		.tid = t->tid, .pid = t->pid, .fds = t->fds, .brk = &t->mm->brk, .fs = t->fs,
		.fds_slot = &t->fds, .fs_slot = &t->fs, .out = &e->out,
		.verbose_raw = e->o->verbose_raw,
	};
}

static void stops_decode(struct engine *e, struct task *t, const struct syscall_call *call)
{
	struct decode_ctx c = stops_ctx(e, t);

	decode_syscall(&c, call);
}

/* An open or exec whose result the fast path brings (fastpath.c, OPENS):
 * the path is taken now, the task runs on without an exit stop. Without
 * memory for the path, the exit stop stays. */
static void stops_result_pending(struct engine *e, struct task *t)
{
	struct decode_ctx c = stops_ctx(e, t);
	char buf[DECODE_PATH_MAX];

	free(t->entry_path);
	t->entry_path = NULL;
	decode_path_entry(&c, &t->call, buf);
	if (t->call.path && !(t->entry_path = strdup(t->call.path))) {
		t->call.path_known = false; /* read again at the exit stop */
		t->call.path = NULL;
		return;
	}
	t->call.path = t->entry_path;
	t->result_pending = true;
	t->in_syscall = false;
}

/* The fast path's record of a pending call: same call, started after the
 * entry stop. */
static bool stops_result_complete(struct engine *e, struct task *t, const struct syscall_call *r)
{
	if (!t->result_pending || t->call.nr != r->nr || r->ts_enter_ns < t->call.ts_enter_ns)
		return true; /* not ours to record: see fastpath.c, OPENS */
	t->result_pending = false;
	t->call.ret = r->ret;
	t->call.ts_enter_ns = r->ts_enter_ns;
	t->call.ts_exit_ns = r->ts_exit_ns;
	stops_decode(e, t, &t->call);
	free(t->entry_path);
	t->entry_path = NULL;
	t->call.path = NULL;
	return true;
}

/* A close that cannot fail (fdclose.h) is applied at its entry: with the
 * seccomp filter the task then runs on without an exit stop, and the fd
 * table changes before the kernel can hand the number to another thread.
 * It is recorded with its result (0) and no duration. */
static void stops_close_at_entry(struct engine *e, struct task *t)
{
	t->in_syscall = false;
	t->call.ret = 0;
	t->call.ts_exit_ns = t->call.ts_enter_ns;
	stops_decode(e, t, &t->call);
}

static void stops_entry(struct engine *e, struct task *t, const struct __ptrace_syscall_info *si,
			uint64_t nr, const uint64_t args[6])
{
	bool native = si->arch == AUDIT_ARCH_X86_64 && nr < STOPS_X32_BIT;

	t->in_syscall = true;
	t->call.nr = (int32_t)nr;
	memcpy(t->call.args, args, sizeof(t->call.args));
	t->call.ts_enter_ns = engine_now(e);
	t->call.sa_known = false;
	t->call.path_known = false;
	/* a pending call's record came in the drain before this stop, or was
	 * lost (counted): nothing of it can arrive for this call */
	t->result_pending = false;
	/* a fast-path syscall seen here anyway is the fast path's to record */
	t->decode_call = native && t->fds && !stops_pre_exec(e, t) &&
			 (e->o->verbose_raw || decode_lookup((int32_t)nr)) &&
			 !(e->fast && fastpath_owns((int32_t)nr));
	if (t->decode_call)
		decode_syscall_entry(t->tid, &t->call);
	if (t->decode_call && nr == SYS_close && fdclose_cannot_fail(t->tid, (int)args[0]))
		stops_close_at_entry(e, t);
	else if (t->decode_call && e->fast && e->seccomp && fastpath_completes((int32_t)nr) &&
		 fastpath_follows(e->fast, t->tid))
		stops_result_pending(e, t);
}

bool engine_fast_call(void *ctx, pid_t tid, pid_t pid, const struct syscall_call *call)
{
	struct engine *e = ctx;
	struct task *t = tasks_find(&e->tasks, tid);

	if (!t || !t->fds || t->pid != pid || stops_pre_exec(e, t))
		return false;
	if (fastpath_completes(call->nr))
		return stops_result_complete(e, t, call);
	stops_decode(e, t, call);
	return true;
}

static void stops_exit(struct engine *e, struct task *t, const struct __ptrace_syscall_info *si)
{
	if (!t->in_syscall)
		return; /* attached inside a syscall: its entry was not seen */
	t->in_syscall = false;
	if (!t->decode_call)
		return;
	t->call.ret = si->exit.rval;
	t->call.ts_exit_ns = engine_now(e);
	stops_decode(e, t, &t->call);
}

static void stops_syscall(struct engine *e, struct task *t)
{
	struct __ptrace_syscall_info si;

	memset(&si, 0, sizeof(si));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(si), &si) > 0) {
		if (si.op == PTRACE_SYSCALL_INFO_ENTRY)
			stops_entry(e, t, &si, si.entry.nr, si.entry.args);
		else if (si.op == PTRACE_SYSCALL_INFO_SECCOMP)
			stops_entry(e, t, &si, si.seccomp.nr, si.seccomp.args);
		else if (si.op == PTRACE_SYSCALL_INFO_EXIT)
			stops_exit(e, t, &si);
	}
	engine_resume(e, t, 0);
}

/* ---- new tasks ------------------------------------------------------------- */

/* The clone flags of the call that made the event, from the creator's regs. */
static uint64_t stops_clone_flags(struct task *t, int event, int32_t *nr)
{
	struct user_regs_struct regs;
	struct stops_clone_args ca;
	uint64_t dflt = event == PTRACE_EVENT_FORK ? SIGCHLD
		      : event == PTRACE_EVENT_VFORK ? CLONE_VM | CLONE_VFORK | SIGCHLD
		      : CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;

	*nr = -1;
	if (ptrace(PTRACE_GETREGS, t->tid, 0L, &regs) != 0)
		return dflt;
	*nr = (int32_t)regs.orig_rax;
	switch (regs.orig_rax) {
	case SYS_clone:
		return regs.rdi;
	case SYS_clone3:
		memset(&ca, 0, sizeof(ca));
		if (tmem_read(t->tid, regs.rdi, &ca, regs.rsi < sizeof(ca) ? regs.rsi : sizeof(ca)) <
		    (ssize_t)sizeof(ca.flags))
			return dflt;
		return ca.flags | (ca.exit_signal & CSIGNAL);
	case SYS_fork:
		return SIGCHLD;
	case SYS_vfork:
		return CLONE_VM | CLONE_VFORK | SIGCHLD;
	}
	return dflt;
}

/* Lets a new task run (or ends it, when we are killing or detaching). */
static void stops_start_child(struct engine *e, struct task *c)
{
	if (e->killing) {
		syscall(SYS_tkill, c->tid, SIGKILL);
		ptrace(PTRACE_CONT, c->tid, 0L, 0L);
		return;
	}
	engine_resume(e, c, 0);
}

static void stops_emit_spawn(struct engine *e, struct task *t, pid_t ctid, uint64_t flags,
			     int event, int32_t nr)
{
	struct event ev;

	engine_event_init(e, &ev, EV_SPAWN, t);
	ev.sysno = nr;
	ev.spawn.child_tid = (uint32_t)ctid;
	ev.spawn.child_pid = (uint32_t)(flags & CLONE_THREAD ? t->pid : ctid);
	ev.spawn.kind = event == PTRACE_EVENT_VFORK ? SPAWN_VFORK
		      : flags & CLONE_THREAD ? SPAWN_THREAD : SPAWN_PROCESS;
	ev.spawn.clone_flags = flags;
	engine_emit(e, &ev);
}

static void stops_clone(struct engine *e, struct task *t, int event)
{
	unsigned long msg = 0;
	int32_t nr;
	uint64_t flags = stops_clone_flags(t, event, &nr);
	struct task *c;

	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0L, &msg) != 0 || msg == 0 || !t->fds) {
		engine_resume(e, t, 0);
		return;
	}
	c = tasks_find(&e->tasks, (pid_t)msg);
	if (!c && (c = tasks_add(&e->tasks, (pid_t)msg)))
		c->state = TASK_NEW;
	if (c && !c->fds && task_inherit(c, t, flags) != 0)
		c->pid = flags & CLONE_THREAD ? t->pid : c->tid;
	if (e->root_execd) /* the child has not run yet: sources see all of it */
		engine_sources_task_new(e, (pid_t)msg, flags & CLONE_THREAD ? t->pid : (pid_t)msg);
	if (!stops_pre_exec(e, t))
		stops_emit_spawn(e, t, (pid_t)msg, flags, event, nr);
	if (c && c->state == TASK_PARKED) {
		c->state = TASK_RUNNING;
		e->nparked--;
		stops_start_child(e, c);
	}
	engine_resume(e, t, 0);
}

/* A stop of a tid we do not know: a new task ahead of its creator's event. */
static void stops_park(struct engine *e, pid_t tid)
{
	struct task *p = tasks_add(&e->tasks, tid);

	if (!p) {
		ptrace(PTRACE_CONT, tid, 0L, 0L);
		return;
	}
	p->state = TASK_PARKED;
	p->parked_ns = engine_now(e);
	e->nparked++;
	if (e->killing) {
		syscall(SYS_tkill, tid, SIGKILL);
		ptrace(PTRACE_CONT, tid, 0L, 0L);
	}
}

/* Any task of thread group `pid` that has state, or NULL. */
static struct task *stops_find_group(struct engine *e, pid_t pid)
{
	struct task *t = tasks_find(&e->tasks, pid);

	if (t && t->fds)
		return t;
	for (size_t i = 0; i < e->tasks.nbuckets; i++)
		for (t = e->tasks.buckets[i]; t; t = t->hnext)
			if (t->pid == pid && t->fds)
				return t;
	return NULL;
}

/* Best guess from /proc for a parked task whose creator never reported. */
static void stops_adopt(struct engine *e, struct task *p)
{
	long tgid = p->tid, ppid = 0;
	struct task *from = NULL;
	uint64_t flags = SIGCHLD;

	procfs_status_long(p->tid, "Tgid", &tgid);
	procfs_status_long(p->tid, "PPid", &ppid);
	if (tgid != p->tid && (from = stops_find_group(e, (pid_t)tgid)))
		flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
	else if (ppid > 0)
		from = stops_find_group(e, (pid_t)ppid);
	if (!from || task_inherit(p, from, flags) != 0) {
		p->pid = (pid_t)tgid;
		p->fds = fdtable_new();
		p->fs = fsinfo_from_proc(p->tid);
		p->mm = task_mm_new(0);
		p->grp = task_group_new((pid_t)tgid);
		if (!p->fds || !p->fs || !p->mm || !p->grp)
			task_drop_state(p);
	}
	p->state = TASK_RUNNING;
	e->nparked--;
	stops_start_child(e, p);
}

void engine_adopt_parked(struct engine *e)
{
	uint64_t now = engine_now(e);

	for (size_t i = 0; i < e->tasks.nbuckets && e->nparked; i++)
		for (struct task *t = e->tasks.buckets[i]; t; t = t->hnext)
			if (t->state == TASK_PARKED && now - t->parked_ns >= WATCH_TICK_NS)
				stops_adopt(e, t);
}

/* ---- exec ------------------------------------------------------------------ */

static void stops_emit_exec(struct engine *e, struct task *t, pid_t old_tid)
{
	char path[PATH_MAX], comm[64], cmdline[PROCFS_CMDLINE_MAX];
	const char *argv[EVENT_MAX_ARGV];
	struct user_regs_struct regs;
	struct event ev;

	engine_event_init(e, &ev, EV_EXEC, t);
	if (ptrace(PTRACE_GETREGS, t->tid, 0L, &regs) == 0)
		ev.sysno = (int32_t)regs.orig_rax;
	ev.exec.path = procfs_readlink(t->tid, "exe", path, sizeof(path)) > 0 ? path : NULL;
	ev.exec.comm = procfs_comm(t->tid, comm, sizeof(comm)) > 0 ? comm : NULL;
	ev.exec.argc = procfs_cmdline(t->tid, cmdline, sizeof(cmdline), argv, EVENT_MAX_ARGV);
	ev.exec.argv = argv;
	ev.exec.old_tid = old_tid != t->tid ? (uint32_t)old_tid : 0;
	engine_emit(e, &ev);
}

/* The old leader vanishes when another thread execs: it never reports death. */
static void stops_superseded(struct engine *e, struct task *leader)
{
	struct event ev;

	engine_event_init(e, &ev, EV_EXIT, leader);
	ev.exit.thread = true;
	engine_emit(e, &ev);
	engine_sources_task_gone(e, leader->tid);
	tasks_remove(&e->tasks, leader);
}

/* Exec replaces the address space and closes O_CLOEXEC fds (unsharing the table). */
static void stops_exec_state(struct task *t)
{
	struct fdtable *fds = t->fds ? fdtable_clone(t->fds) : NULL;
	struct task_mm *mm = task_mm_new(0);

	if (fds) {
		fdtable_exec(fds);
		fdtable_unref(t->fds);
		t->fds = fds;
	}
	if (mm) {
		task_mm_unref(t->mm);
		t->mm = mm;
	}
}

/* The spawned command's first exec: learn the filter's fate, send the header. */
static void stops_root_exec(struct engine *e)
{
	struct spawn_report r;

	while (spawn_read_report(&e->sp, &r))
		if (r.code == 'N') {
			e->seccomp = false;
			e->seccomp_reason = "the filter could not be installed";
			engine_fastpath_off(e, "the seccomp filter could not be installed");
		}
	spawn_close(&e->sp);
	e->root_execd = true;
	engine_send_header(e);
	engine_sources_task_new(e, e->root, e->root); /* the new image has not run yet */
}

static void stops_exec(struct engine *e, struct task *t, pid_t tid)
{
	unsigned long old = (unsigned long)tid;

	ptrace(PTRACE_GETEVENTMSG, tid, 0L, &old);
	if ((pid_t)old != tid) {
		struct task *execer = tasks_find(&e->tasks, (pid_t)old);

		if (execer) {
			if (t)
				stops_superseded(e, t);
			tasks_rekey(&e->tasks, execer, tid);
			t = execer;
		}
	}
	if (!t || !t->fds) {
		if (!t)
			stops_park(e, tid);
		return;
	}
	t->pid = tid;
	stops_exec_state(t);
	/*
	 * Exec from a non-leader thread: the execer now runs under the
	 * leader's tid, whose fast-path entry stops_superseded just dropped
	 * with the old leader. The fast path keys its task map by tid and
	 * follows nobody by itself (fastpath.h): move the entry, or the new
	 * image's I/O and memory calls go unrecorded, and uncounted. The task
	 * is stopped here, so nothing is missed. Only the fast path: --faults
	 * follows the thread itself, not its id (a second task_new would count
	 * its faults twice).
	 */
	if ((pid_t)old != tid && e->fast && e->root_execd) {
		fastpath_task_gone(e->fast, (pid_t)old);
		fastpath_task_new(e->fast, tid, tid);
	}
	if (!e->attach && !e->root_execd && tid == e->root)
		stops_root_exec(e);
	stops_emit_exec(e, t, (pid_t)old);
	engine_resume(e, t, 0);
}

/* ---- signals and stops --------------------------------------------------------- */

static bool stops_is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void stops_signal(struct engine *e, struct task *t, int sig)
{
	siginfo_t si;
	struct event ev;

	memset(&si, 0, sizeof(si));
	ptrace(PTRACE_GETSIGINFO, t->tid, 0L, &si);
	if (!stops_pre_exec(e, t)) {
		engine_event_init(e, &ev, EV_SIGNAL, t);
		ev.signal.signo = (uint32_t)sig;
		ev.signal.code = si.si_code;
		if (si.si_code == SI_USER || si.si_code == SI_QUEUE || si.si_code == SI_TKILL ||
		    sig == SIGCHLD)
			ev.signal.sender_pid = (uint32_t)si.si_pid;
		engine_emit(e, &ev);
	}
	engine_resume(e, t, sig);
}

/* PTRACE_EVENT_STOP: group-stop, or the end of one (or an interrupt). */
static void stops_event_stop(struct engine *e, struct task *t, int sig)
{
	struct event ev;

	if (stops_is_stop_signal(sig)) {
		if (t->grp && !t->grp->stopped) {
			t->grp->stopped = true;
			engine_event_init(e, &ev, EV_SIGNAL, t);
			ev.signal.signo = (uint32_t)sig;
			ev.signal.group_stop = true;
			engine_emit(e, &ev);
		}
		t->listening = true;
		ptrace(PTRACE_LISTEN, t->tid, 0L, 0L);
		return;
	}
	if (t->grp)
		t->grp->stopped = false;
	t->listening = false;
	engine_resume(e, t, 0);
}

void engine_task_died(struct engine *e, struct task *t, int status)
{
	struct event ev;

	if (t->tid == e->root && t->pid == e->root) {
		e->root_reaped = true;
		e->root_status = status;
	}
	if (t->state == TASK_PARKED)
		e->nparked--;
	if (!stops_pre_exec(e, t)) {
		engine_event_init(e, &ev, EV_EXIT, t);
		if (WIFEXITED(status)) {
			ev.exit.code = WEXITSTATUS(status);
		} else {
			ev.exit.signal = (uint32_t)WTERMSIG(status);
			ev.exit.core_dumped = WCOREDUMP(status);
		}
		ev.exit.thread = t->tid != t->pid;
		engine_emit(e, &ev);
	}
	engine_sources_task_gone(e, t->tid);
	tasks_remove(&e->tasks, t);
}

static void stops_event(struct engine *e, struct task *t, int event, int sig)
{
	switch (event) {
	case 0:
		stops_signal(e, t, sig);
		break;
	case PTRACE_EVENT_SECCOMP:
		stops_syscall(e, t);
		break;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		stops_clone(e, t, event);
		break;
	case PTRACE_EVENT_STOP:
		stops_event_stop(e, t, sig);
		break;
	default: /* PTRACE_EVENT_EXIT: the death that follows has the status */
		engine_resume(e, t, 0);
	}
}

void engine_on_status(struct engine *e, pid_t tid, int status)
{
	struct task *t = tasks_find(&e->tasks, tid);
	int sig, event;

	if (e->detaching) {
		attach_on_stop(e, t, tid, status);
		return;
	}
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (t)
			engine_task_died(e, t, status);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	sig = WSTOPSIG(status);
	event = (int)((unsigned)status >> 16);
	if (event == PTRACE_EVENT_EXEC) {
		stops_exec(e, t, tid);
		return;
	}
	if (!t) {
		stops_park(e, tid);
		return;
	}
	if (t->state == TASK_NEW) {
		t->state = TASK_RUNNING;
		if (event == PTRACE_EVENT_STOP) {
			stops_start_child(e, t);
			return;
		}
	}
	if (sig == (SIGTRAP | 0x80))
		stops_syscall(e, t);
	else
		stops_event(e, t, event, sig);
}

/*
 * attach.c - -p PID: attach to every thread of a running process, record
 * the state it already had, and detach cleanly on request.
 *
 * Attach: PTRACE_SEIZE (no EXITKILL: the process must outlive us) each tid
 * of /proc/PID/task, then PTRACE_INTERRUPT it so that its first stop lets
 * the engine restart it with PTRACE_SYSCALL (no seccomp filter can be put in
 * a running process, so every syscall stops). /proc/PID/task is re-read
 * until a pass finds no new thread: threads created by seized threads are
 * auto-attached (TRACECLONE), threads created by not-yet-seized ones show up
 * in the next pass.
 *
 * Seeded state (EVENT_F_SEEDED): one EV_TASK per thread, the fd table from
 * /proc/PID/fd, the memory map from /proc/PID/maps, and one EV_LOSS saying
 * that what happened before the attach is missing.
 *
 * Detach: PTRACE_INTERRUPT every thread, and PTRACE_DETACH each at its next
 * stop, whatever the stop (a signal-delivery-stop's signal is handed back
 * with the detach so it is not lost; a group-stopped process stays stopped).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/engine.h"
#include "record/fdtable.h"
#include "record/fsinfo.h"
#include "record/procfs.h"

#define ATTACH_MAX_THREADS 65536
#define ATTACH_MAX_PASSES 100

/* The state every thread found at attach shares (threads share it all). */
struct attach_shared {
	struct fdtable *fds;
	struct fsinfo *fs;
	struct task_mm *mm;
	struct task_group *grp;
};

static void attach_explain(pid_t pid, int err)
{
	long tracer = 0;
	char scope[16] = "";

	if (err == ESRCH || err == ENOENT) {
		fprintf(stderr, "compendium: cannot attach to %d: no such process\n", (int)pid);
		return;
	}
	if (err == EPERM && procfs_status_long(pid, "TracerPid", &tracer) == 0 && tracer > 0) {
		fprintf(stderr, "compendium: cannot attach to %d: it is already traced by process %ld "
			"(a debugger or strace); detach that one first\n", (int)pid, tracer);
		return;
	}
	if (err == EPERM) {
		FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");

		if (f) {
			if (!fgets(scope, sizeof(scope), f))
				scope[0] = '\0';
			scope[strcspn(scope, "\n")] = '\0';
			fclose(f);
		}
		fprintf(stderr, "compendium: cannot attach to %d: %s — run compendium as root or "
			"give it CAP_SYS_PTRACE (sudo setcap cap_sys_ptrace+ep compendium), or allow "
			"tracing of your own processes with 'sysctl kernel.yama.ptrace_scope=0'%s%s%s\n",
			(int)pid, strerror(err), scope[0] ? " (it is " : "", scope, scope[0] ? " now)" : "");
		return;
	}
	fprintf(stderr, "compendium: cannot attach to %d: %s\n", (int)pid, strerror(err));
}

static int attach_shared_new(struct attach_shared *s, pid_t pid)
{
	s->fds = fdtable_new();
	s->fs = fsinfo_from_proc(pid);
	s->mm = task_mm_new(0);
	s->grp = task_group_new(pid);
	return s->fds && s->fs && s->mm && s->grp ? 0 : -ENOMEM;
}

static void attach_shared_drop(struct attach_shared *s)
{
	if (s->fds)
		fdtable_unref(s->fds);
	if (s->fs)
		fsinfo_unref(s->fs);
	task_mm_unref(s->mm);
	task_group_unref(s->grp);
}

/* Seizes one thread. 0, or -errno. */
static int attach_thread(struct engine *e, struct attach_shared *s, pid_t pid, pid_t tid)
{
	struct task *t;

	if (ptrace(PTRACE_SEIZE, tid, 0L, (long)ENGINE_OPTS) != 0)
		return -errno;
	t = tasks_add(&e->tasks, tid);
	if (!t) {
		ptrace(PTRACE_DETACH, tid, 0L, 0L);
		return -ENOMEM;
	}
	t->pid = pid;
	t->fds = fdtable_ref(s->fds);
	t->fs = fsinfo_ref(s->fs);
	t->mm = task_mm_ref(s->mm);
	t->grp = task_group_ref(s->grp);
	ptrace(PTRACE_INTERRUPT, tid, 0L, 0L);
	return 0;
}

/* One pass over /proc/PID/task. Returns threads newly seized, or -errno. */
static int attach_pass(struct engine *e, struct attach_shared *s, pid_t pid, pid_t *tids)
{
	int n = procfs_tasks(pid, tids, ATTACH_MAX_THREADS), added = 0;

	if (n < 0)
		return n;
	if (n > ATTACH_MAX_THREADS)
		n = ATTACH_MAX_THREADS;
	for (int i = 0; i < n; i++) {
		int rc;

		if (tasks_find(&e->tasks, tids[i]))
			continue;
		rc = attach_thread(e, s, pid, tids[i]);
		if (rc == 0)
			added++;
		else if (e->tasks.count == 0)
			return rc; /* the first thread decides: refused or gone */
		/* else: it exited meanwhile, or it is a new thread already ours */
	}
	return added;
}

static int attach_all(struct engine *e, pid_t pid)
{
	struct attach_shared s = { 0 };
	pid_t *tids = malloc(ATTACH_MAX_THREADS * sizeof(*tids));
	int rc = tids ? attach_shared_new(&s, pid) : -ENOMEM;

	for (int pass = 0; rc >= 0 && pass < ATTACH_MAX_PASSES; pass++) {
		rc = attach_pass(e, &s, pid, tids);
		if (rc == 0)
			break;
	}
	if (rc >= 0 && e->tasks.count == 0)
		rc = -ESRCH;
	attach_shared_drop(&s);
	free(tids);
	return rc < 0 ? rc : 0;
}

/* ---- seeded state --------------------------------------------------------------- */

struct attach_seed {
	struct engine *e;
	const struct task *leader;
};

static void attach_seed_init(struct attach_seed *a, struct event *ev, enum event_kind kind)
{
	engine_event_init(a->e, ev, kind, a->leader);
	ev->flags = EVENT_F_SEEDED;
}

/* socket(2)'s arguments for what /proc told us the socket is. */
static void attach_socket_args(uint8_t proto, struct ev_socket *s)
{
	switch (proto) {
	case PROTO_TCP4: case PROTO_TCP6: case PROTO_UDP4: case PROTO_UDP6:
		s->domain = proto == PROTO_TCP4 || proto == PROTO_UDP4 ? AF_INET : AF_INET6;
		s->type = proto == PROTO_TCP4 || proto == PROTO_TCP6 ? SOCK_STREAM : SOCK_DGRAM;
		s->protocol = s->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
		break;
	case PROTO_UNIX: case PROTO_UNIX_DGRAM:
		s->domain = AF_UNIX;
		s->type = proto == PROTO_UNIX ? SOCK_STREAM : SOCK_DGRAM;
		break;
	case PROTO_NETLINK:
		s->domain = AF_NETLINK;
		s->type = SOCK_RAW;
		break;
	}
}

static void attach_seed_socket(struct attach_seed *a, int fd, const struct fdinfo *fi)
{
	struct event ev;

	attach_seed_init(a, &ev, EV_SOCKET);
	ev.socket.fd = fd;
	ev.socket.fd2 = -1;
	ev.socket.proto = fi->proto;
	attach_socket_args(fi->proto, &ev.socket);
	engine_emit(a->e, &ev);
	if (fi->local) {
		attach_seed_init(a, &ev, EV_BIND);
		ev.bind = (struct ev_addr){ .fd = fd, .proto = fi->proto, .addr = fi->local };
		engine_emit(a->e, &ev);
	}
	if (fi->name) {
		attach_seed_init(a, &ev, EV_CONNECT);
		ev.connect = (struct ev_addr){ .fd = fd, .proto = fi->proto, .addr = fi->name };
		engine_emit(a->e, &ev);
	}
}

static void attach_seed_fd(void *arg, int fd, const struct fdinfo *fi)
{
	struct attach_seed *a = arg;
	struct event ev;

	if (fi->kind == FD_SOCKET) {
		attach_seed_socket(a, fd, fi);
		return;
	}
	attach_seed_init(a, &ev, EV_OPEN);
	ev.open.path = fi->name;
	ev.open.flags = fi->flags;
	ev.open.fd = fd;
	engine_emit(a->e, &ev);
}

static void attach_seed_map(void *arg, const struct procfs_map *m)
{
	struct attach_seed *a = arg;
	struct event ev;

	attach_seed_init(a, &ev, EV_MMAP);
	ev.mmap.addr = m->start;
	ev.mmap.len = m->end - m->start;
	ev.mmap.prot = m->prot;
	ev.mmap.flags = m->flags;
	ev.mmap.fd = -1;
	ev.mmap.offset = m->offset;
	ev.mmap.path = m->path;
	engine_emit(a->e, &ev);
}

static void attach_seed_tasks(struct engine *e)
{
	size_t n = e->tasks.count;
	struct task **list = malloc((n ? n : 1) * sizeof(*list));
	char comm[64];
	struct event ev;

	if (!list)
		return;
	n = tasks_list(&e->tasks, list, n);
	for (size_t i = 0; i < n; i++) {
		engine_event_init(e, &ev, EV_TASK, list[i]);
		ev.flags = EVENT_F_SEEDED;
		ev.task.comm = procfs_comm(list[i]->tid, comm, sizeof(comm)) > 0 ? comm : NULL;
		ev.task.thread = list[i]->tid != list[i]->pid;
		engine_emit(e, &ev);
	}
	free(list);
}

static void attach_seed(struct engine *e)
{
	struct task *leader = tasks_find(&e->tasks, e->root);
	struct attach_seed a = { e, leader };
	struct event ev;

	attach_seed_tasks(e);
	if (!leader || !leader->fds)
		return;
	fdtable_seed_from_proc(leader->fds, e->root);
	fdtable_foreach(leader->fds, attach_seed_fd, &a);
	procfs_maps_foreach(e->root, attach_seed_map, &a);
	engine_event_init(e, &ev, EV_LOSS, leader);
	ev.loss.source = "attach";
	ev.loss.reason = ENGINE_ATTACH_LOSS;
	engine_emit(e, &ev);
}

int attach_start(struct engine *e)
{
	pid_t pid = e->o->pid;
	long tgid = pid;
	int rc;

	e->seccomp = false;
	e->seccomp_reason = "not available with -p: only the process itself can install a filter";
	if (pid <= 0) {
		attach_explain(pid, ESRCH);
		return 1;
	}
	/* A thread id stands for its whole process. */
	if (procfs_status_long(pid, "Tgid", &tgid) == 0 && tgid > 0)
		pid = (pid_t)tgid;
	e->root = pid;
	rc = attach_all(e, pid);
	if (rc != 0) {
		attach_explain(pid, -rc);
		for (size_t i = 0; i < e->tasks.nbuckets; i++)
			for (struct task *t = e->tasks.buckets[i]; t; t = t->hnext)
				ptrace(PTRACE_DETACH, t->tid, 0L, 0L);
		return 1;
	}
	engine_send_header(e);
	for (size_t i = 0; i < e->tasks.nbuckets; i++)
		for (struct task *t = e->tasks.buckets[i]; t; t = t->hnext)
			engine_sources_task_new(e, t->tid, t->pid);
	attach_seed(e);
	return 0;
}

/* ---- detach ---------------------------------------------------------------------- */

void attach_begin_detach(struct engine *e)
{
	if (e->detaching)
		return;
	e->detaching = true;
	e->detach_deadline_ns = engine_now(e) + ENGINE_DETACH_WAIT_NS;
	for (size_t i = 0; i < e->tasks.nbuckets; i++) {
		struct task *t = e->tasks.buckets[i];

		while (t) {
			struct task *next = t->hnext;

			if (t->state == TASK_PARKED) {
				/* Already in a ptrace-stop: detach right away. */
				ptrace(PTRACE_DETACH, t->tid, 0L, 0L);
				e->nparked--;
				tasks_remove(&e->tasks, t);
			} else {
				ptrace(PTRACE_INTERRUPT, t->tid, 0L, 0L);
			}
			t = next;
		}
	}
}

/* A task being created now must be waited for, then detached too. */
static void attach_expect_child(struct engine *e, pid_t tid)
{
	unsigned long msg = 0;
	struct task *c;

	if (ptrace(PTRACE_GETEVENTMSG, tid, 0L, &msg) != 0 || msg == 0)
		return;
	if (!tasks_find(&e->tasks, (pid_t)msg) && (c = tasks_add(&e->tasks, (pid_t)msg)))
		c->state = TASK_NEW;
}

void attach_on_stop(struct engine *e, struct task *t, pid_t tid, int status)
{
	int sig, event;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (t)
			engine_task_died(e, t, status);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	sig = WSTOPSIG(status);
	event = (int)((unsigned)status >> 16);
	if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE)
		attach_expect_child(e, tid);
	if (event == PTRACE_EVENT_EXEC) {
		unsigned long old = 0;
		struct task *execer;

		/* The execing thread took the leader's tid: forget its old one. */
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0L, &old) == 0 && (pid_t)old != tid &&
		    (execer = tasks_find(&e->tasks, (pid_t)old)))
			tasks_remove(&e->tasks, execer);
	}
	ptrace(PTRACE_DETACH, tid, 0L, (long)(event == 0 && sig != (SIGTRAP | 0x80) ? sig : 0));
	if (t)
		tasks_remove(&e->tasks, t);
}

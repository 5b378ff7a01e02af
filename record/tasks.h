/*
 * tasks.h - the tracer's table of traced tasks (threads) and the state they
 * share the way the kernel shares it.
 *
 * One `struct task` per traced tid. What the kernel shares between tasks is
 * shared here by reference counting:
 *   - the fd table (CLONE_FILES)          -> struct fdtable   (fdtable.h)
 *   - the cwd (CLONE_FS)                  -> struct fsinfo    (fsinfo.h)
 *   - the address space (CLONE_VM)        -> struct task_mm   (program break)
 *   - the thread group (CLONE_THREAD)     -> struct task_group
 * A task found before its creator's PTRACE_EVENT_FORK/VFORK/CLONE was seen
 * is PARKED: it stays in its first ptrace-stop, without shared state, until
 * the creator's event says what it shares.
 *
 * The table owns its tasks; tasks own one reference on each shared object.
 */
#ifndef COMPENDIUM_TASKS_H
#define COMPENDIUM_TASKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "record/decode.h"

/* An address space: what CLONE_VM tasks (threads, vfork children) share. */
struct task_mm {
	unsigned refs;
	uint64_t brk; /* program break, 0: unknown */
};

/* A thread group (process). */
struct task_group {
	unsigned refs;
	pid_t tgid;
	bool stopped; /* in group-stop: the stop was recorded once */
};

enum task_state {
	TASK_RUNNING = 0, /* known, restarted after each stop */
	TASK_NEW,         /* announced by its creator, first stop not seen yet */
	TASK_PARKED,      /* first stop seen, creator's event not seen yet */
};

struct task {
	pid_t tid, pid;
	enum task_state state;
	struct task *hnext;      /* hash chain, owned by the table */
	struct fdtable *fds;     /* NULL while parked */
	struct fsinfo *fs;       /* NULL while parked */
	struct task_mm *mm;      /* NULL while parked */
	struct task_group *grp;  /* NULL while parked */
	struct syscall_call call; /* the syscall being run, when in_syscall */
	bool in_syscall;         /* entry seen, exit not yet */
	bool decode_call;        /* the entry is worth decoding at exit */
	bool result_pending;     /* an open's or exec's entry seen; the fast path
				    brings its result (fastpath.c, OPENS) */
	char *entry_path;        /* its absolute path while pending (owned) */
	bool listening;          /* group-stopped, restarted with PTRACE_LISTEN */
	uint64_t parked_ns;      /* when it was parked */
};

struct task_table {
	struct task **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
};

/* 0 or -ENOMEM. */
int tasks_init(struct task_table *tt);
/* Frees every task (dropping its shared references) and the table. */
void tasks_destroy(struct task_table *tt);

struct task *tasks_find(const struct task_table *tt, pid_t tid);
/* A new zeroed task for `tid` (not yet in the table: caller checked), or NULL. */
struct task *tasks_add(struct task_table *tt, pid_t tid);
/* Unlinks and frees `t`, dropping its shared references. */
void tasks_remove(struct task_table *tt, struct task *t);
/* Changes t's tid (exec from a non-leader thread); `tid` must be free. */
void tasks_rekey(struct task_table *tt, struct task *t, pid_t tid);

/*
 * Fills `out` with up to `cap` task pointers in ascending tid order and
 * returns how many tasks there are (may exceed cap). The pointers stay valid
 * until the table changes.
 */
size_t tasks_list(const struct task_table *tt, struct task **out, size_t cap);

/* Shared objects. The _new functions return NULL on ENOMEM. */
struct task_mm *task_mm_new(uint64_t brk);
struct task_mm *task_mm_ref(struct task_mm *m);
void task_mm_unref(struct task_mm *m);
struct task_group *task_group_new(pid_t tgid);
struct task_group *task_group_ref(struct task_group *g);
void task_group_unref(struct task_group *g);

/*
 * Gives `child` its shared state from `parent` as clone(2) `flags` say:
 * CLONE_THREAD, CLONE_FILES, CLONE_FS and CLONE_VM share, anything else
 * copies. Sets child->pid. Returns 0 or -ENOMEM (child left without state).
 */
int task_inherit(struct task *child, const struct task *parent, uint64_t flags);

/* Drops the task's shared references (fields set to NULL). */
void task_drop_state(struct task *t);

#endif

/*
 * tasks.c - the tracer's task table: a chained hash of tasks by tid, and the
 * reference-counted objects that tasks share (address space, thread group;
 * fd tables and cwd live in fdtable.c and fsinfo.c).
 *
 * Lookups happen at every ptrace-stop, so they are O(1); listing (attach,
 * detach, kill-all) is rare and may sort.
 */
#define _GNU_SOURCE
#include "record/tasks.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "record/fdtable.h"
#include "record/fsinfo.h"

#define TASKS_MIN_BUCKETS 256

static size_t tasks_slot(const struct task_table *tt, pid_t tid)
{
	/* Fibonacci hashing: tids are often consecutive. */
	return (size_t)(((uint32_t)tid * 2654435769u) >> 8) & (tt->nbuckets - 1);
}

int tasks_init(struct task_table *tt)
{
	tt->nbuckets = TASKS_MIN_BUCKETS;
	tt->count = 0;
	tt->buckets = calloc(tt->nbuckets, sizeof(*tt->buckets));
	return tt->buckets ? 0 : -ENOMEM;
}

static void task_free(struct task *t)
{
	task_drop_state(t);
	free(t->entry_path);
	free(t);
}

void tasks_destroy(struct task_table *tt)
{
	for (size_t i = 0; i < tt->nbuckets; i++) {
		struct task *t = tt->buckets[i];

		while (t) {
			struct task *next = t->hnext;

			task_free(t);
			t = next;
		}
	}
	free(tt->buckets);
	memset(tt, 0, sizeof(*tt));
}

struct task *tasks_find(const struct task_table *tt, pid_t tid)
{
	for (struct task *t = tt->buckets[tasks_slot(tt, tid)]; t; t = t->hnext)
		if (t->tid == tid)
			return t;
	return NULL;
}

static void tasks_link(struct task_table *tt, struct task *t)
{
	size_t i = tasks_slot(tt, t->tid);

	t->hnext = tt->buckets[i];
	tt->buckets[i] = t;
}

static void tasks_unlink(struct task_table *tt, struct task *t)
{
	struct task **pp = &tt->buckets[tasks_slot(tt, t->tid)];

	while (*pp && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = t->hnext;
	t->hnext = NULL;
}

/* Doubles the bucket array; on ENOMEM the table just gets longer chains. */
static void tasks_grow(struct task_table *tt)
{
	size_t old_n = tt->nbuckets;
	struct task **old = tt->buckets;
	struct task **nb = calloc(old_n * 2, sizeof(*nb));

	if (!nb)
		return;
	tt->buckets = nb;
	tt->nbuckets = old_n * 2;
	for (size_t i = 0; i < old_n; i++) {
		struct task *t = old[i];

		while (t) {
			struct task *next = t->hnext;

			tasks_link(tt, t);
			t = next;
		}
	}
	free(old);
}

struct task *tasks_add(struct task_table *tt, pid_t tid)
{
	struct task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->tid = tid;
	t->pid = tid;
	if (tt->count + 1 > tt->nbuckets * 2)
		tasks_grow(tt);
	tasks_link(tt, t);
	tt->count++;
	return t;
}

void tasks_remove(struct task_table *tt, struct task *t)
{
	tasks_unlink(tt, t);
	tt->count--;
	task_free(t);
}

void tasks_rekey(struct task_table *tt, struct task *t, pid_t tid)
{
	tasks_unlink(tt, t);
	t->tid = tid;
	tasks_link(tt, t);
}

static int tasks_cmp_tid(const void *a, const void *b)
{
	pid_t x = (*(struct task *const *)a)->tid, y = (*(struct task *const *)b)->tid;

	return (x > y) - (x < y);
}

size_t tasks_list(const struct task_table *tt, struct task **out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < tt->nbuckets; i++)
		for (struct task *t = tt->buckets[i]; t; t = t->hnext) {
			if (n < cap)
				out[n] = t;
			n++;
		}
	qsort(out, n < cap ? n : cap, sizeof(*out), tasks_cmp_tid);
	return n;
}

/* ---- shared objects ------------------------------------------------------ */

struct task_mm *task_mm_new(uint64_t brk)
{
	struct task_mm *m = calloc(1, sizeof(*m));

	if (m) {
		m->refs = 1;
		m->brk = brk;
	}
	return m;
}

struct task_mm *task_mm_ref(struct task_mm *m)
{
	m->refs++;
	return m;
}

void task_mm_unref(struct task_mm *m)
{
	if (m && --m->refs == 0)
		free(m);
}

struct task_group *task_group_new(pid_t tgid)
{
	struct task_group *g = calloc(1, sizeof(*g));

	if (g) {
		g->refs = 1;
		g->tgid = tgid;
	}
	return g;
}

struct task_group *task_group_ref(struct task_group *g)
{
	g->refs++;
	return g;
}

void task_group_unref(struct task_group *g)
{
	if (g && --g->refs == 0)
		free(g);
}

void task_drop_state(struct task *t)
{
	if (t->fds)
		fdtable_unref(t->fds);
	if (t->fs)
		fsinfo_unref(t->fs);
	task_mm_unref(t->mm);
	task_group_unref(t->grp);
	t->fds = NULL;
	t->fs = NULL;
	t->mm = NULL;
	t->grp = NULL;
}

int task_inherit(struct task *child, const struct task *parent, uint64_t flags)
{
	bool thread = flags & CLONE_THREAD;

	child->pid = thread ? parent->pid : child->tid;
	child->fds = flags & CLONE_FILES ? fdtable_ref(parent->fds) : fdtable_clone(parent->fds);
	child->fs = flags & CLONE_FS ? fsinfo_ref(parent->fs) : fsinfo_clone(parent->fs);
	child->mm = flags & CLONE_VM ? task_mm_ref(parent->mm) : task_mm_new(parent->mm->brk);
	child->grp = thread ? task_group_ref(parent->grp) : task_group_new(child->tid);
	if (!child->fds || !child->fs || !child->mm || !child->grp) {
		task_drop_state(child);
		return -ENOMEM;
	}
	return 0;
}

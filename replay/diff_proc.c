/*
 * diff_proc.c - the process side of `compendium diff`: processes of two
 * recordings matched down the process tree by what they ran, never by pid
 * (the rules are in diff.h), and rows for what changed between matched
 * processes (argv, exit status, threads, memory) and for processes only in
 * one recording.
 */
#define _GNU_SOURCE
#include "diff_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

static bool same_str(const char *x, const char *y)
{
	return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

static bool same_argv(const struct diff_proc *x, const struct diff_proc *y)
{
	if (x->argc != y->argc)
		return false;
	for (uint32_t i = 0; i < x->argc; i++)
		if (!same_str(x->argv[i], y->argv[i]))
			return false;
	return true;
}

/* argv (from argv[first] on) joined by spaces into buf. */
static char *join_argv(char *buf, size_t cap, const struct diff_proc *p, uint32_t first)
{
	size_t len = 0;
	buf[0] = '\0';
	for (uint32_t i = first; i < p->argc && len + 1 < cap; i++) {
		int n = snprintf(buf + len, cap - len, "%s%s", len ? " " : "",
				 p->argv[i] ? p->argv[i] : "");
		if (n < 0)
			break;
		len += (size_t)n < cap - len ? (size_t)n : cap - len - 1;
	}
	return buf;
}

/* How a process is named in rows: exec path and its arguments. */
static char *proc_label(char *buf, size_t cap, const struct diff_proc *p)
{
	char args[DIFF_NORM_MAX];
	join_argv(args, sizeof(args), p, 1);
	if (p->path) {
		/* a label longer than cap is cut: only the terminal shows it */
		if (snprintf(buf, cap, "%s%s%s", p->path, args[0] ? " " : "", args) >= (int)cap)
			buf[cap - 1] = '\0';
	} else if (p->argc)
		join_argv(buf, cap, p, 0);
	else
		snprintf(buf, cap, "(process not seen executing)");
	return buf;
}

/* ---- matching ---------------------------------------------------------------- */

struct matching {
	const struct diff_side *a, *b;
	int32_t *ma, *mb;          /* match of each process, -1 when none */
	int32_t *queue;            /* matched pairs to descend into: a, b, a, b... */
	uint32_t qlen, qcap;
};

static void pair(struct matching *m, int32_t i, int32_t j)
{
	m->ma[i] = j;
	m->mb[j] = i;
	if (m->qlen + 2 <= m->qcap) {
		m->queue[m->qlen++] = i;
		m->queue[m->qlen++] = j;
	}
}

/* Matches the unmatched children of pa (in A) with those of pb (in B);
 * -1/-1 stands for the roots. `exact`: same path and argv, else path only. */
static void match_children(struct matching *m, int32_t pa, int32_t pb, bool exact)
{
	const struct diff_side *a = m->a, *b = m->b;
	for (uint32_t i = 0; i < a->nprocs; i++) {
		const struct diff_proc *x = &a->procs[i];
		if (x->parent != pa || m->ma[i] >= 0)
			continue;
		for (uint32_t j = 0; j < b->nprocs; j++) {
			const struct diff_proc *y = &b->procs[j];
			if (y->parent != pb || m->mb[j] >= 0 || !same_str(x->path, y->path))
				continue;
			if (exact && !same_argv(x, y))
				continue;
			pair(m, (int32_t)i, (int32_t)j);
			break;
		}
	}
}

static int32_t first_root(const struct diff_side *d)
{
	for (uint32_t i = 0; i < d->nprocs; i++)
		if (d->procs[i].parent < 0)
			return (int32_t)i;
	return -1;
}

static void match_tree(struct matching *m)
{
	int32_t ra = first_root(m->a), rb = first_root(m->b);
	if (ra >= 0 && rb >= 0)
		pair(m, ra, rb);
	match_children(m, -1, -1, true);
	match_children(m, -1, -1, false);
	for (uint32_t q = 0; q + 1 < m->qlen; q += 2) {
		int32_t i = m->queue[q], j = m->queue[q + 1];
		match_children(m, i, j, true);
		match_children(m, i, j, false);
	}
}

/* ---- rows ------------------------------------------------------------------ */

/* Threads matched by creation order: their bytes, when both processes have
 * more than one thread (for a lone thread the process's rows say it). */
static void compare_threads(struct diff_result *r, const char *label, const struct diff_proc *x,
			    const struct diff_proc *y)
{
	uint32_t n = x->nthr < y->nthr ? x->nthr : y->nthr;
	char subject[DIFF_NORM_MAX + 32];

	if (x->nthr < 2 || y->nthr < 2)
		return;
	for (uint32_t k = 0; k < n; k++) {
		snprintf(subject, sizeof(subject), "%s (thread %u)", label, k);
		diff_row_num(r, DIFF_SEC_PROCESS, DIFF_U_BYTES, subject, "read", x->thr[k].read,
			     y->thr[k].read);
		diff_row_num(r, DIFF_SEC_PROCESS, DIFF_U_BYTES, subject, "written",
			     x->thr[k].written, y->thr[k].written);
	}
}

static void matched_rows(struct diff_result *r, const struct diff_side *a,
			 const struct diff_side *b, int32_t i, int32_t j, bool root, bool multi)
{
	const struct diff_proc *x = &a->procs[i], *y = &b->procs[j];
	char label[DIFF_NORM_MAX], ta[DIFF_NORM_MAX], tb[DIFF_NORM_MAX];
	proc_label(label, sizeof(label), x);
	const char *subject = x->path ? x->path : label;
	const char *unknown = "(not seen)"; /* attached late, or the recording is cut */
	diff_row_text(r, DIFF_SEC_PROCESS, subject, "path", x->path ? x->path : unknown,
		      y->path ? y->path : unknown);
	if (!same_argv(x, y))
		diff_row_text(r, DIFF_SEC_PROCESS, subject, "argv",
			      x->argc ? join_argv(ta, sizeof(ta), x, 0) : unknown,
			      y->argc ? join_argv(tb, sizeof(tb), y, 0) : unknown);
	if (!root) {
		char *ea = diff_exit_text(x->exited, x->exit_code, x->exit_signal, x->core_dumped);
		char *eb = diff_exit_text(y->exited, y->exit_code, y->exit_signal, y->core_dumped);
		if (ea && eb)
			diff_row_text(r, DIFF_SEC_PROCESS, label, "exit", ea, eb);
		free(ea);
		free(eb);
	}
	diff_row_num(r, DIFF_SEC_PROCESS, DIFF_U_COUNT, label, "threads", x->threads, y->threads);
	compare_threads(r, label, x, y);
	if (!multi)
		return; /* one process: the totals say it all */
	diff_row_num(r, DIFF_SEC_MEMORY, DIFF_U_BYTES, label, "heap peak", x->heap_peak,
		     y->heap_peak);
	diff_row_num(r, DIFF_SEC_MEMORY, DIFF_U_BYTES, label, "mapped peak", x->mapped_peak,
		     y->mapped_peak);
	if (a->sum->src_faults && b->sum->src_faults)
		diff_row_num(r, DIFF_SEC_MEMORY, DIFF_U_COUNT, label, "page faults", x->faults,
			     y->faults);
}

/* The topmost unmatched ancestor of unmatched process i (itself if none). */
static int32_t unmatched_top(const struct diff_side *d, const int32_t *m, int32_t i)
{
	for (uint32_t steps = 0; steps < d->nprocs; steps++) {
		int32_t p = d->procs[i].parent;
		if (p < 0 || (uint32_t)p >= d->nprocs || m[p] >= 0 || p == i)
			return i;
		i = p;
	}
	return i;
}

/* Rows for the processes of d that have no match (m), only in A or B. */
static void unmatched_rows(struct diff_result *r, const struct diff_side *d, const int32_t *m,
			   bool in_a)
{
	uint32_t *desc = calloc(d->nprocs + 1, sizeof(*desc));
	if (!desc) {
		r->oom = true;
		return;
	}
	for (uint32_t i = 0; i < d->nprocs; i++) {
		int32_t t = m[i] < 0 ? unmatched_top(d, m, (int32_t)i) : -1;
		if (t >= 0 && (uint32_t)t != i)
			desc[t]++;
	}
	for (uint32_t i = 0; i < d->nprocs; i++) {
		if (m[i] >= 0 || unmatched_top(d, m, (int32_t)i) != (int32_t)i)
			continue;
		const struct diff_proc *p = &d->procs[i];
		char label[DIFF_NORM_MAX];
		char *ex = diff_exit_text(p->exited, p->exit_code, p->exit_signal, p->core_dumped);
		struct diff_change *c = diff_row_text(r, DIFF_SEC_PROCESS,
						      proc_label(label, sizeof(label), p), "process",
						      in_a ? (ex ? ex : "") : NULL,
						      in_a ? NULL : (ex ? ex : ""));
		if (desc[i])
			diff_row_detail(c, "and %u descendant%s", desc[i], desc[i] > 1 ? "s" : "");
		free(ex);
	}
	free(desc);
}

void diff_compare_procs(const struct diff_side *a, const struct diff_side *b,
			struct diff_result *r)
{
	struct matching m = { .a = a, .b = b };
	m.ma = malloc((a->nprocs + 1) * sizeof(*m.ma));
	m.mb = malloc((b->nprocs + 1) * sizeof(*m.mb));
	m.qcap = 2 * ((a->nprocs < b->nprocs ? a->nprocs : b->nprocs) + 1);
	m.queue = malloc(m.qcap * sizeof(*m.queue));
	if (!m.ma || !m.mb || !m.queue) {
		r->oom = true;
		goto out;
	}
	memset(m.ma, 0xff, (a->nprocs + 1) * sizeof(*m.ma));
	memset(m.mb, 0xff, (b->nprocs + 1) * sizeof(*m.mb));
	match_tree(&m);
	bool multi = a->nprocs > 1 || b->nprocs > 1;
	int32_t ra = first_root(a);
	for (uint32_t q = 0; q + 1 < m.qlen; q += 2)
		matched_rows(r, a, b, m.queue[q], m.queue[q + 1], m.queue[q] == ra, multi);
	unmatched_rows(r, a, m.ma, true);
	unmatched_rows(r, b, m.mb, false);
out:
	free(m.ma);
	free(m.mb);
	free(m.queue);
}

/*
 * diff.c - compares two folded recordings (diff_impl.h) into rows of
 * differences (diff.h): processes matched down the tree, files and peers by
 * normalised name, memory, time, exit and how each recording ended.
 *
 * Files and peers come from the summary model's tables (keyed by the raw
 * name); they are normalised here and entries that normalise to one name
 * are merged, so the summary stays the one place that counts bytes.
 */
#define _GNU_SOURCE
#include "diff_impl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "noise.h"

/* ---- names ---------------------------------------------------------------- */

const char *diff_section_name(unsigned s)
{
	static const char *const n[DIFF_SEC__COUNT] = {
		"recording", "exit", "process", "file", "net", "memory", "time"
	};
	return s < DIFF_SEC__COUNT ? n[s] : "unknown";
}

const char *diff_kind_name(unsigned k)
{
	static const char *const n[] = { "changed", "added", "removed" };
	return k < 3 ? n[k] : "unknown";
}

const char *diff_unit_name(unsigned u)
{
	static const char *const n[] = { "text", "bytes", "count", "ns" };
	return u < 4 ? n[u] : "unknown";
}

void diff_opts_default(struct diff_opts *o)
{
	*o = (struct diff_opts){ .threshold_pct = DIFF_DEFAULT_THRESHOLD,
				 .time_threshold_pct = DIFF_DEFAULT_TIME_THRESHOLD };
}

double diff_pct(uint64_t a, uint64_t b)
{
	if (a == b)
		return 0;
	if (a == 0)
		return INFINITY;
	return ((double)b - (double)a) * 100.0 / (double)a;
}

/* ---- rows ----------------------------------------------------------------- */

static struct diff_change *row_new(struct diff_result *r, unsigned sec, unsigned kind,
				   unsigned unit, const char *subject, const char *metric)
{
	if (r->n == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : 32;
		struct diff_change *v = realloc(r->v, cap * sizeof(*v));
		if (!v) {
			r->oom = true;
			return NULL;
		}
		r->v = v;
		r->cap = cap;
	}
	char *s = strdup(subject ? subject : "");
	if (!s) {
		r->oom = true;
		return NULL;
	}
	struct diff_change *c = &r->v[r->n++];
	*c = (struct diff_change){ .section = (uint8_t)sec, .kind = (uint8_t)kind,
				   .unit = (uint8_t)unit, .subject = s, .metric = metric };
	return c;
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

void diff_row_detail(struct diff_change *c, const char *fmt, ...)
{
	if (!c)
		return;
	va_list ap;
	va_start(ap, fmt);
	c->detail = vfmt(fmt, ap);
	va_end(ap);
}

static bool below_threshold(const struct diff_opts *o, unsigned unit, uint64_t a, uint64_t b)
{
	double pct = fabs(diff_pct(a, b));
	if (unit == DIFF_U_NS)
		return (a > b ? a - b : b - a) < DIFF_TIME_FLOOR_NS || pct < o->time_threshold_pct;
	return pct < o->threshold_pct;
}

/* A numeric change (no row when equal). */
void diff_row_num(struct diff_result *r, unsigned sec, unsigned unit, const char *subject,
		    const char *metric, uint64_t a, uint64_t b)
{
	if (a == b)
		return;
	struct diff_change *c = row_new(r, sec, DIFF_CHANGED, unit, subject, metric);
	if (!c)
		return;
	c->has_a = c->has_b = true;
	c->a = a;
	c->b = b;
	c->hidden = below_threshold(&r->opts, unit, a, b);
}

/* A text change, or a presence change when one side is NULL. */
struct diff_change *diff_row_text(struct diff_result *r, unsigned sec, const char *subject,
				    const char *metric, const char *ta, const char *tb)
{
	if (ta && tb && strcmp(ta, tb) == 0)
		return NULL;
	if (!ta && !tb)
		return NULL;
	unsigned kind = !ta ? DIFF_ADDED : !tb ? DIFF_REMOVED : DIFF_CHANGED;
	struct diff_change *c = row_new(r, sec, kind, DIFF_U_TEXT, subject, metric);
	if (!c)
		return NULL;
	c->text_a = ta ? strdup(ta) : NULL;
	c->text_b = tb ? strdup(tb) : NULL;
	if ((ta && !c->text_a) || (tb && !c->text_b))
		r->oom = true;
	return c;
}

void diff_result_free(struct diff_result *r)
{
	for (uint32_t i = 0; i < r->n; i++) {
		free(r->v[i].subject);
		free(r->v[i].text_a);
		free(r->v[i].text_b);
		free(r->v[i].detail);
	}
	free(r->v);
	*r = (struct diff_result){ 0 };
}

/* ---- files ---------------------------------------------------------------- */

struct nfile {
	char *key;
	uint64_t rd, wr;
	uint32_t opens_r, opens_w, failed, err;
};

static int nfile_cmp(const void *x, const void *y)
{
	return strcmp(((const struct nfile *)x)->key, ((const struct nfile *)y)->key);
}

/* Merges entries with equal keys (sorted) into the first; returns the count. */
static uint32_t nfile_merge(struct nfile *v, uint32_t n)
{
	uint32_t out = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (out && strcmp(v[out - 1].key, v[i].key) == 0) {
			struct nfile *m = &v[out - 1];
			m->rd += v[i].rd;
			m->wr += v[i].wr;
			m->opens_r += v[i].opens_r;
			m->opens_w += v[i].opens_w;
			m->failed += v[i].failed;
			if (v[i].err)
				m->err = v[i].err;
			free(v[i].key);
		} else {
			v[out++] = v[i];
		}
	}
	return out;
}

static struct nfile *nfile_find(struct nfile *v, uint32_t n, const char *key)
{
	struct nfile k = { .key = (char *)key };
	return bsearch(&k, v, n, sizeof(*v), nfile_cmp);
}

/* The side's files, normalised, merged and sorted by key. NULL on ENOMEM. */
static struct nfile *files_of(const struct diff_side *d, bool all, uint32_t *count)
{
	const struct summary *s = d->sum;
	struct nfile *v = calloc(s->nfiles + 1, sizeof(*v));
	if (!v)
		return NULL;
	uint32_t n = 0;
	char buf[DIFF_NORM_MAX];
	for (uint32_t i = 0; i < s->nfiles; i++) {
		const struct summary_file *f = &s->files[i];
		if (!all && noise_path(f->path))
			continue;
		char *k = strdup(diff_norm_path(buf, sizeof(buf), f->path));
		if (!k)
			continue;
		v[n++] = (struct nfile){ k, f->bytes_read, f->bytes_written, f->opens_read,
					 f->opens_write, f->failed_opens, 0 };
	}
	qsort(v, n, sizeof(*v), nfile_cmp);
	n = nfile_merge(v, n);
	for (uint32_t i = 0; i < d->nfailed; i++) {
		struct nfile *f = nfile_find(v, n, diff_norm_path(buf, sizeof(buf), d->failed[i].path));
		if (f)
			f->err = d->failed[i].err;
	}
	*count = n;
	return v;
}

static void files_free(struct nfile *v, uint32_t n)
{
	for (uint32_t i = 0; v && i < n; i++)
		free(v[i].key);
	free(v);
}

static const char *file_mode(const struct nfile *f)
{
	if (f->opens_r && f->opens_w)
		return "read-write";
	if (f->opens_w)
		return "write";
	if (f->opens_r)
		return "read";
	return "io"; /* seen through I/O on an fd opened before the trace, or O_PATH */
}

static bool file_used(const struct nfile *f)
{
	return f && (f->opens_r || f->opens_w || f->rd || f->wr);
}

static void file_rows(struct diff_result *r, const struct nfile *fa, const struct nfile *fb,
		      const char *key)
{
	bool ua = file_used(fa), ub = file_used(fb);
	if (ua != ub) {
		const struct nfile *f = ua ? fa : fb;
		struct diff_change *c = diff_row_text(r, DIFF_SEC_FILE, key, "open",
						 ua ? file_mode(fa) : NULL, ub ? file_mode(fb) : NULL);
		char x[FMT_MAX], y[FMT_MAX];
		diff_row_detail(c, "read %s, written %s", fmt_bytes(x, f->rd), fmt_bytes(y, f->wr));
	} else if (ua) {
		diff_row_text(r, DIFF_SEC_FILE, key, "mode", file_mode(fa), file_mode(fb));
		diff_row_num(r, DIFF_SEC_FILE, DIFF_U_BYTES, key, "written", fa->wr, fb->wr);
		diff_row_num(r, DIFF_SEC_FILE, DIFF_U_BYTES, key, "read", fa->rd, fb->rd);
	}
	char ea[FMT_MAX], eb[FMT_MAX];
	const char *ta = fa && fa->failed ? fmt_errno(ea, fa->err) : NULL;
	const char *tb = fb && fb->failed ? fmt_errno(eb, fb->err) : NULL;
	diff_row_text(r, DIFF_SEC_FILE, key, "failed open", ta, tb);
}

static void compare_files(const struct diff_side *a, const struct diff_side *b,
			  struct diff_result *r)
{
	uint32_t na = 0, nb = 0;
	struct nfile *va = files_of(a, r->opts.all, &na), *vb = files_of(b, r->opts.all, &nb);
	if (!va || !vb) {
		r->oom = true;
	} else {
		uint32_t i = 0, j = 0;
		while (i < na || j < nb) {
			int c = i == na ? 1 : j == nb ? -1 : strcmp(va[i].key, vb[j].key);
			if (c < 0) {
				file_rows(r, &va[i], NULL, va[i].key);
				i++;
			} else if (c > 0) {
				file_rows(r, NULL, &vb[j], vb[j].key);
				j++;
			} else {
				file_rows(r, &va[i], &vb[j], va[i].key);
				i++, j++;
			}
		}
	}
	files_free(va, na);
	files_free(vb, nb);
}

/* ---- peers ---------------------------------------------------------------- */

struct npeer {
	char *key;           /* "proto addr", normalised */
	const char *proto;
	bool in, out;        /* seen accepted / connected to */
	uint32_t connects, failed;
	uint64_t sent, received;
};

static int npeer_cmp(const void *x, const void *y)
{
	return strcmp(((const struct npeer *)x)->key, ((const struct npeer *)y)->key);
}

static uint32_t npeer_merge(struct npeer *v, uint32_t n)
{
	uint32_t out = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (out && strcmp(v[out - 1].key, v[i].key) == 0) {
			struct npeer *m = &v[out - 1];
			m->connects += v[i].connects;
			m->failed += v[i].failed;
			m->sent += v[i].sent;
			m->received += v[i].received;
			m->in |= v[i].in;
			m->out |= v[i].out;
			free(v[i].key);
		} else {
			v[out++] = v[i];
		}
	}
	return out;
}

static struct npeer *peers_of(const struct diff_side *d, uint32_t *count)
{
	const struct summary *s = d->sum;
	struct npeer *v = calloc(s->npeers + 1, sizeof(*v));
	if (!v)
		return NULL;
	uint32_t n = 0;
	char buf[DIFF_NORM_MAX];
	struct diff_ports ports = { d->listen, d->nlisten, d->accepted, d->naccepted };
	for (uint32_t i = 0; i < s->npeers; i++) {
		const struct summary_peer *p = &s->peers[i];
		diff_norm_addr(buf, sizeof(buf), p->addr, &ports);
		const char *proto = net_proto_name(p->proto);
		char *k = NULL;
		if (asprintf(&k, "%s %s", buf, proto) < 0)
			continue;
		v[n++] = (struct npeer){ k, proto, p->inbound, !p->inbound, p->connects, p->failed,
					 p->sent, p->received };
	}
	qsort(v, n, sizeof(*v), npeer_cmp);
	*count = npeer_merge(v, n);
	return v;
}

static void peers_free(struct npeer *v, uint32_t n)
{
	for (uint32_t i = 0; v && i < n; i++)
		free(v[i].key);
	free(v);
}

static void peer_rows(struct diff_result *r, const struct npeer *pa, const struct npeer *pb)
{
	const struct npeer *p = pa ? pa : pb;
	if (!pa || !pb) {
		const char *what = p->in && p->out ? "both ends traced"
				   : p->in ? "inbound" : "outbound";
		struct diff_change *c = diff_row_text(r, DIFF_SEC_NET, p->key, "peer",
						 pa ? what : NULL, pb ? what : NULL);
		char x[FMT_MAX], y[FMT_MAX];
		diff_row_detail(c, "%u connects, %u failed, sent %s, received %s", p->connects,
			   p->failed, fmt_bytes(x, p->sent), fmt_bytes(y, p->received));
		return;
	}
	diff_row_num(r, DIFF_SEC_NET, DIFF_U_BYTES, p->key, "sent", pa->sent, pb->sent);
	diff_row_num(r, DIFF_SEC_NET, DIFF_U_BYTES, p->key, "received", pa->received, pb->received);
	diff_row_num(r, DIFF_SEC_NET, DIFF_U_COUNT, p->key, "connects", pa->connects, pb->connects);
	diff_row_num(r, DIFF_SEC_NET, DIFF_U_COUNT, p->key, "failed connects", pa->failed, pb->failed);
}

static void compare_peers(const struct diff_side *a, const struct diff_side *b,
			  struct diff_result *r)
{
	uint32_t na = 0, nb = 0;
	struct npeer *va = peers_of(a, &na), *vb = peers_of(b, &nb);
	if (!va || !vb) {
		r->oom = true;
	} else {
		uint32_t i = 0, j = 0;
		while (i < na || j < nb) {
			int c = i == na ? 1 : j == nb ? -1 : strcmp(va[i].key, vb[j].key);
			if (c < 0)
				peer_rows(r, &va[i++], NULL);
			else if (c > 0)
				peer_rows(r, NULL, &vb[j++]);
			else
				peer_rows(r, &va[i++], &vb[j++]);
		}
	}
	peers_free(va, na);
	peers_free(vb, nb);
}

/* ---- time, memory, exit, recording ------------------------------------------ */

static void compare_time(const struct diff_side *a, const struct diff_side *b,
			 struct diff_result *r)
{
	diff_row_num(r, DIFF_SEC_TIME, DIFF_U_NS, "total", "duration", summary_duration_ns(a->sum),
		summary_duration_ns(b->sum));
	for (int32_t nr = 0; nr < DIFF_NSYS; nr++) {
		const struct diff_sys *sa = &a->sys[nr], *sb = &b->sys[nr];
		if (sa->total_ns < DIFF_TIME_FLOOR_NS && sb->total_ns < DIFF_TIME_FLOOR_NS)
			continue;
		const char *name = event_syscall_name(nr);
		char sub[64];
		snprintf(sub, sizeof(sub), "%s", name ? name : "syscall");
		diff_row_num(r, DIFF_SEC_TIME, DIFF_U_NS, sub, "time in syscall", sa->total_ns,
			sb->total_ns);
	}
	static const char *const lat_name[HIST__COUNT] = { "scheduler latency",
							   "block I/O latency" };
	static const struct { double p; const char *metric; } pcts[] = {
		{ 50, "p50" }, { 90, "p90" }, { 99, "p99" }
	};
	for (unsigned k = 0; k < HIST__COUNT; k++) {
		if (!a->lat[k].n || !b->lat[k].n)
			continue;
		for (unsigned i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
			diff_row_num(r, DIFF_SEC_TIME, DIFF_U_NS, lat_name[k], pcts[i].metric,
				diff_lat_percentile(&a->lat[k], pcts[i].p),
				diff_lat_percentile(&b->lat[k], pcts[i].p));
	}
}

static void compare_memory(const struct diff_side *a, const struct diff_side *b,
			   struct diff_result *r)
{
	const struct summary *sa = a->sum, *sb = b->sum;
	const char *all = "all processes";
	diff_row_num(r, DIFF_SEC_MEMORY, DIFF_U_BYTES, all, "peak", sa->total_peak, sb->total_peak);
	diff_row_num(r, DIFF_SEC_MEMORY, DIFF_U_BYTES, all, "heap peak", sa->heap_peak, sb->heap_peak);
	diff_row_num(r, DIFF_SEC_MEMORY, DIFF_U_BYTES, all, "mapped peak", sa->mmap_peak,
		sb->mmap_peak);
	if ((sa->src_faults || sa->faults) && (sb->src_faults || sb->faults))
		diff_row_num(r, DIFF_SEC_MEMORY, DIFF_U_COUNT, all, "page faults", sa->faults,
			sb->faults);
}

/* See diff_impl.h. */
char *diff_exit_text(bool known, int32_t code, uint32_t sig, bool core)
{
	char *s = NULL, b[FMT_MAX];
	if (!known)
		return strdup("unknown");
	if (sig) {
		if (asprintf(&s, "killed by %s%s", fmt_signal(b, sig), core ? " (core dumped)" : "") < 0)
			return NULL;
	} else if (asprintf(&s, "exit %d", code) < 0) {
		return NULL;
	}
	return s;
}

static const char *completeness_name(const struct diff_side *d)
{
	if (d->status == RECORDING_CORRUPT && d->sum->has_trailer && !d->sum->integrity.truncated)
		return "corrupt";
	switch (summary_completeness(d->sum)) {
	case SUMMARY_COMPLETE: return "complete";
	case SUMMARY_INTERRUPTED: return "interrupted";
	case SUMMARY_DETACHED: return "detached";
	case SUMMARY_TRUNCATED: return "truncated";
	default: return "failed";
	}
}

static void compare_ends(const struct diff_side *a, const struct diff_side *b,
			 struct diff_result *r)
{
	diff_row_text(r, DIFF_SEC_RECORDING, "recording", "end", completeness_name(a),
		 completeness_name(b));
	diff_row_num(r, DIFF_SEC_RECORDING, DIFF_U_COUNT, "recording", "corrupt frames",
		a->sum->integrity.corrupt_frames, b->sum->integrity.corrupt_frames);
	diff_row_num(r, DIFF_SEC_RECORDING, DIFF_U_COUNT, "recording", "events lost",
		summary_lost(a->sum), summary_lost(b->sum));
	const struct summary *sa = a->sum, *sb = b->sum;
	char *ea = diff_exit_text(sa->root_exited, sa->exit_code, sa->exit_signal, sa->core_dumped);
	char *eb = diff_exit_text(sb->root_exited, sb->exit_code, sb->exit_signal, sb->core_dumped);
	if (ea && eb)
		diff_row_text(r, DIFF_SEC_EXIT, "exit status", "exit", ea, eb);
	else
		r->oom = true;
	free(ea);
	free(eb);
}

/* ---- sorting ---------------------------------------------------------------- */

static int row_rank(const struct diff_change *c)
{
	return c->kind != DIFF_CHANGED ? 0 : c->unit == DIFF_U_TEXT ? 1 : 2;
}

static int row_cmp(const void *x, const void *y)
{
	const struct diff_change *a = x, *b = y;
	if (a->hidden != b->hidden)
		return a->hidden ? 1 : -1;
	if (a->section != b->section)
		return a->section < b->section ? -1 : 1;
	if (row_rank(a) != row_rank(b))
		return row_rank(a) < row_rank(b) ? -1 : 1;
	if (a->unit != b->unit)
		return a->unit < b->unit ? -1 : 1;
	uint64_t da = a->a > a->b ? a->a - a->b : a->b - a->a;
	uint64_t db = b->a > b->b ? b->a - b->b : b->b - b->a;
	if (da != db)
		return da > db ? -1 : 1;
	int c = strcmp(a->subject, b->subject);
	return c ? c : strcmp(a->metric, b->metric);
}

int diff_compare(const struct diff_side *a, const struct diff_side *b,
		 const struct diff_opts *o, struct diff_result *r)
{
	if (o)
		r->opts = *o;
	else
		diff_opts_default(&r->opts);
	compare_ends(a, b, r);
	diff_compare_procs(a, b, r);
	compare_files(a, b, r);
	compare_peers(a, b, r);
	compare_memory(a, b, r);
	compare_time(a, b, r);
	if (r->n)
		qsort(r->v, r->n, sizeof(*r->v), row_cmp);
	r->shown = r->hidden = 0;
	for (uint32_t i = 0; i < r->n; i++) {
		if (r->v[i].hidden)
			r->hidden++;
		else
			r->shown++;
	}
	return r->oom ? -ENOMEM : 0;
}

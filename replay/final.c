/*
 * final.c - renders the summary model as the FINAL block (see final.h).
 */
#define _GNU_SOURCE
#include "final.h"

#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "format.h"
#include "noise.h"
#include "printer.h"

#define RULE "━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━"

/* Label column of the I/O section, and the width its values align to. */
#define IO_LABEL 14
#define IO_VALUE 10

static void rule(struct outbuf *o, const struct final_opts *fo)
{
	outbuf_puts(o, printer_color(fo->color, PRINTER_BOLD));
	outbuf_puts(o, RULE);
	outbuf_puts(o, printer_color(fo->color, PRINTER_RESET));
	outbuf_end_line(o);
}

static void section(struct outbuf *o, const struct final_opts *fo, const char *title)
{
	outbuf_putc(o, ' ');
	outbuf_puts(o, printer_color(fo->color, PRINTER_BOLD));
	outbuf_puts(o, title);
	outbuf_puts(o, printer_color(fo->color, PRINTER_RESET));
	outbuf_end_line(o);
}

/* "   Files read:       12.4 KB" */
static void io_line(struct outbuf *o, const char *label, uint64_t bytes)
{
	char b[FMT_MAX];
	fmt_bytes(b, bytes);
	size_t l = strlen(label), n = strlen(b);
	outbuf_puts(o, "   ");
	outbuf_puts(o, label);
	outbuf_pad(o, l < IO_LABEL ? IO_LABEL - l : 0);
	outbuf_pad(o, n < IO_VALUE ? IO_VALUE - n : 0);
	outbuf_puts(o, b);
	outbuf_end_line(o);
}

static void title(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	char b[FMT_MAX];
	outbuf_puts(o, " ");
	outbuf_puts(o, printer_color(fo->color, PRINTER_BOLD));
	outbuf_puts(o, "FINAL:");
	if (s->argc) {
		for (uint32_t i = 0; i < s->argc; i++) {
			outbuf_putc(o, ' ');
			escape_term(o, s->argv[i]);
		}
	} else {
		outbuf_puts(o, " pid ");
		outbuf_u64(o, s->root_pid);
		if (s->root_comm) {
			outbuf_puts(o, " (");
			escape_term(o, s->root_comm);
			outbuf_putc(o, ')');
		}
	}
	outbuf_puts(o, " (");
	outbuf_puts(o, fmt_runtime(b, summary_duration_ns(s)));
	outbuf_putc(o, ')');
	outbuf_puts(o, printer_color(fo->color, PRINTER_RESET));
	outbuf_end_line(o);
}

static void memory(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	char a[FMT_MAX], b[FMT_MAX];
	section(o, fo, "Memory:");
	outbuf_printf(o, "   Heap:     %s", fmt_bytes(a, s->heap));
	if (strcmp(fmt_bytes(b, s->heap_peak), a) != 0 && s->heap_peak > s->heap)
		outbuf_printf(o, " (peak %s)", b);
	outbuf_end_line(o);
	outbuf_printf(o, "   Mmap:     %s (%u region%s", fmt_bytes(a, s->mmap), s->regions,
		      s->regions == 1 ? "" : "s");
	if (strcmp(fmt_bytes(b, s->mmap_peak), a) != 0 && s->mmap_peak > s->mmap)
		outbuf_printf(o, ", peak %s", b);
	outbuf_puts(o, ")");
	outbuf_end_line(o);
	outbuf_printf(o, "   Total:    %s", fmt_bytes(a, s->heap + s->mmap));
	if (strcmp(fmt_bytes(b, s->total_peak), a) != 0 && s->total_peak > s->heap + s->mmap)
		outbuf_printf(o, " (peak %s)", b);
	outbuf_end_line(o);
}

static void io(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	section(o, fo, "I/O:");
	io_line(o, "Files read:", s->file_read);
	io_line(o, "Files written:", s->file_written);
	io_line(o, "Net sent:", s->net_sent);
	io_line(o, "Net received:", s->net_received);
	if (s->other_read || s->other_written) {
		io_line(o, "Other read:", s->other_read);
		io_line(o, "Other written:", s->other_written);
	}
}

static void more(struct outbuf *o, uint32_t n)
{
	if (n) {
		outbuf_printf(o, "   ... and %u more", n);
		outbuf_end_line(o);
	}
}

static bool file_shown(const struct summary_file *f, const struct final_opts *fo)
{
	return fo->all || !noise_path(f->path);
}

static void file_list(struct outbuf *o, const struct summary *s, const struct final_opts *fo,
		      bool write)
{
	uint32_t n = 0, hidden = 0;
	for (uint32_t i = 0; i < s->nfiles; i++) {
		const struct summary_file *f = &s->files[i];
		if (!(write ? f->opens_write : f->opens_read) || !file_shown(f, fo))
			continue;
		if (n++ == 0)
			section(o, fo, write ? "Files opened for write:" : "Files opened for read:");
		if (n > FINAL_LIST_MAX) {
			hidden++;
			continue;
		}
		outbuf_puts(o, "   ");
		escape_term(o, f->path);
		outbuf_end_line(o);
	}
	more(o, hidden);
}

static int cmp_file_bytes(const void *a, const void *b)
{
	const struct summary_file *x = *(const struct summary_file *const *)a;
	const struct summary_file *y = *(const struct summary_file *const *)b;
	uint64_t tx = x->bytes_read + x->bytes_written, ty = y->bytes_read + y->bytes_written;
	if (tx != ty)
		return tx < ty ? 1 : -1;
	return x->first_ts_ns < y->first_ts_ns ? -1 : x->first_ts_ns > y->first_ts_ns;
}

static void top_files(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	const struct summary_file *top[FINAL_TOP_FILES + 1];
	uint32_t n = 0;
	/* a bounded insertion into the top list: no allocation */
	for (uint32_t i = 0; i < s->nfiles; i++) {
		const struct summary_file *f = &s->files[i];
		if (!(f->bytes_read + f->bytes_written) || !file_shown(f, fo))
			continue;
		top[n < FINAL_TOP_FILES ? n++ : FINAL_TOP_FILES] = f;
		qsort(top, n < FINAL_TOP_FILES ? n : FINAL_TOP_FILES + 1, sizeof(top[0]),
		      cmp_file_bytes);
	}
	if (!n)
		return;
	section(o, fo, "Top files by bytes:");
	for (uint32_t i = 0; i < n; i++) {
		char a[FMT_MAX];
		const struct summary_file *f = top[i];
		outbuf_puts(o, "   ");
		fmt_bytes(a, f->bytes_read + f->bytes_written);
		size_t l = strlen(a);
		outbuf_pad(o, l < FMT_BYTES_WIDTH ? FMT_BYTES_WIDTH - l : 0);
		outbuf_puts(o, a);
		outbuf_puts(o, "  ");
		escape_term(o, f->path);
		if (f->bytes_read && f->bytes_written)
			outbuf_puts(o, " (read, written)");
		else
			outbuf_puts(o, f->bytes_read ? " (read)" : " (written)");
		outbuf_end_line(o);
	}
}

static void peers(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	uint32_t n = 0, hidden = 0;
	for (uint32_t i = 0; i < s->npeers; i++) {
		const struct summary_peer *p = &s->peers[i];
		char a[FMT_MAX], b[FMT_MAX];
		if (!fo->all && noise_addr(p->addr))
			continue;
		if (n++ == 0)
			section(o, fo, "Network connections:");
		if (n > FINAL_LIST_MAX) {
			hidden++;
			continue;
		}
		outbuf_puts(o, "   ");
		outbuf_puts(o, net_proto_name(p->proto));
		outbuf_puts(o, p->inbound ? " ← " : " → ");
		escape_term(o, p->addr);
		if (p->sent || p->received)
			outbuf_printf(o, "  (sent %s, received %s)", fmt_bytes(a, p->sent),
				      fmt_bytes(b, p->received));
		if (p->failed && !p->connects)
			outbuf_printf(o, " failed: %s", fmt_errno(a, p->last_err));
		outbuf_end_line(o);
	}
	more(o, hidden);
}

static void procs(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	uint32_t n = 0, hidden = 0;
	for (uint32_t i = 0; i < s->nprocs; i++) {
		const struct summary_proc *p = &s->procs[i];
		char b[FMT_MAX];
		if (p->pid == s->root_pid)
			continue;
		if (n++ == 0)
			section(o, fo, "Subprocesses:");
		if (n > FINAL_LIST_MAX) {
			hidden++;
			continue;
		}
		outbuf_printf(o, "   [%u]", p->pid);
		if (p->argc) {
			for (uint32_t k = 0; k < p->argc; k++) {
				outbuf_putc(o, ' ');
				escape_term(o, p->argv[k]);
			}
		} else {
			outbuf_putc(o, ' ');
			escape_term(o, p->path ? p->path : p->comm);
		}
		if (p->exited && p->exit_signal)
			outbuf_printf(o, " (killed by %s)", fmt_signal(b, p->exit_signal));
		else if (p->exited)
			outbuf_printf(o, " (exit %d)", p->exit_code);
		outbuf_end_line(o);
	}
	more(o, hidden);
}

/* ---- page faults, scheduler and block latency ---------------------------- */

static void faults(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	char a[FMT_MAX], b[FMT_MAX];
	const uint64_t by[FAULT__COUNT] = { [FAULT_HEAP] = s->faults_heap,
					    [FAULT_ANON] = s->faults_anon,
					    [FAULT_FILE] = s->faults_file,
					    [FAULT_STACK] = s->faults_stack,
					    [FAULT_OTHER] = s->faults_other };
	section(o, fo, "Page faults:");
	outbuf_printf(o, "   %s minor, %s touched", fmt_count(a, s->faults),
		      fmt_bytes(b, s->faults * s->page_size));
	outbuf_end_line(o);
	for (unsigned k = 0; k < FAULT__COUNT; k++) {
		if (!by[k] && k == FAULT_OTHER)
			continue;
		fmt_count(a, by[k]);
		fmt_bytes(b, by[k] * s->page_size);
		outbuf_printf(o, "   %-6s%*s  %*s", fault_kind_name(k), 12, a, FMT_BYTES_WIDTH + 1, b);
		outbuf_end_line(o);
	}
	outbuf_printf(o, "   Peak resident growth: %s", fmt_bytes(a, s->resident_peak));
	outbuf_end_line(o);
	uint64_t lost = summary_lost_from(s, "perf");
	if (lost) {
		outbuf_printf(o, "   Lost perf records: %s", fmt_count(a, lost));
		outbuf_end_line(o);
	}
}

#define HIST_BAR 30

/* `str` padded to `cols` terminal columns ("µ" is two bytes, one column). */
static void put_cols(struct outbuf *o, const char *str, size_t cols, bool right)
{
	size_t w = 0;
	for (const char *c = str; *c; c++)
		w += ((unsigned char)*c & 0xc0) != 0x80;
	size_t pad = w < cols ? cols - w : 0;
	if (right)
		outbuf_pad(o, pad);
	outbuf_puts(o, str);
	if (!right)
		outbuf_pad(o, pad);
}

/* A log2 histogram, runqlat-style, from the first to the last used bucket. */
static void histogram(struct outbuf *o, const uint64_t *h)
{
	int first = -1, last = -1;
	uint64_t top = 0;
	for (int i = 0; i < EVENT_MAX_HIST_BUCKETS; i++) {
		if (!h[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (h[i] > top)
			top = h[i];
	}
	if (first < 0)
		return;
	for (int i = first; i <= last; i++) {
		char lo[FMT_MAX], hi[FMT_MAX], n[FMT_MAX];
		fmt_latency(lo, i ? 1ull << i : 0);
		fmt_latency(hi, i < 63 ? 1ull << (i + 1) : UINT64_MAX);
		unsigned bar = (unsigned)((h[i] * HIST_BAR + top - 1) / top);
		outbuf_puts(o, "   ");
		put_cols(o, lo, 9, true);
		outbuf_puts(o, " -> ");
		put_cols(o, hi, 9, false);
		outbuf_printf(o, " %10s |", fmt_count(n, h[i]));
		for (unsigned k = 0; k < HIST_BAR; k++)
			outbuf_putc(o, k < bar ? '*' : ' ');
		outbuf_putc(o, '|');
		outbuf_end_line(o);
	}
}

/* "p50 ≤ 32 µs, p99 ≤ 2.1 ms, max 1.7 ms": upper bounds of log2 buckets,
 * capped by the exact maximum when the events give one. */
static void quantiles(struct outbuf *o, const struct summary *s, unsigned kind, uint64_t max,
		      bool have_max)
{
	static const struct { double q; const char *name; } qs[] = { { 0.5, "p50" },
								     { 0.99, "p99" } };
	char a[FMT_MAX];
	outbuf_puts(o, "  ");
	for (unsigned i = 0; i < 2; i++) {
		uint64_t lo, hi;
		summary_latency_quantile(s, kind, qs[i].q, &lo, &hi);
		if (have_max && max >= lo && max < hi)
			hi = max;
		outbuf_printf(o, " %s ≤ %s,", qs[i].name, fmt_latency(a, hi));
	}
	if (have_max) {
		outbuf_printf(o, " max %s", fmt_latency(a, max));
	} else {
		uint64_t lo, hi;
		summary_latency_quantile(s, kind, 1.0, &lo, &hi);
		outbuf_printf(o, " max < %s", fmt_latency(a, hi));
	}
	outbuf_end_line(o);
}

static void dropped(struct outbuf *o, const struct summary *s)
{
	char a[FMT_MAX];
	uint64_t n = summary_lost_from(s, "ebpf");
	if (n) {
		outbuf_printf(o, "   Dropped eBPF records: %s", fmt_count(a, n));
		outbuf_end_line(o);
	}
}

static void sched(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	char a[FMT_MAX], b[FMT_MAX];
	const struct summary_latency *l = &s->lat[HIST_SCHED];
	uint64_t lo, hi, n = summary_latency_quantile(s, HIST_SCHED, 0.5, &lo, &hi);
	section(o, fo, "Scheduler latency:");
	if (!n) {
		outbuf_puts(o, "   no waits recorded");
		outbuf_end_line(o);
		dropped(o, s);
		return;
	}
	outbuf_printf(o, "   %s waits (%s)", fmt_count(a, n),
		      l->have_hist ? "from in-kernel histograms: every wait"
				   : "from the events: waits above the threshold");
	outbuf_end_line(o);
	quantiles(o, s, HIST_SCHED, s->sched_max_ns, s->sched_count != 0);
	if (s->sched_count) {
		char c[FMT_MAX];
		outbuf_printf(o, "   Events above the threshold: %s, total %s, avg %s",
			      fmt_count(a, s->sched_count), fmt_latency(b, s->sched_total_ns),
			      fmt_latency(c, s->sched_total_ns / s->sched_count));
		outbuf_end_line(o);
	}
	histogram(o, summary_latency_hist(s, HIST_SCHED));
	dropped(o, s);
}

static void block(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	char a[FMT_MAX], b[FMT_MAX], c[FMT_MAX];
	const struct summary_latency *l = &s->lat[HIST_BLOCK];
	uint64_t lo, hi, n = summary_latency_quantile(s, HIST_BLOCK, 0.5, &lo, &hi);
	uint64_t events = s->block_count + s->wb_count;
	section(o, fo, "Block I/O:");
	if (!s->block_count && !s->wb_count) {
		outbuf_puts(o, "   no requests");
		outbuf_end_line(o);
	} else {
		outbuf_printf(o, "   %s requests, read %s, written %s", fmt_count(a, s->block_count),
			      fmt_bytes(b, s->block_read), fmt_bytes(c, s->block_written));
		if (s->block_errors)
			outbuf_printf(o, ", %u errors", s->block_errors);
		outbuf_end_line(o);
	}
	if (s->wb_count) {
		outbuf_printf(o, "   Writeback: %s requests, %s", fmt_count(a, s->wb_count),
			      fmt_bytes(b, s->wb_bytes));
		outbuf_end_line(o);
	}
	if (n) {
		outbuf_printf(o, "   Latency of %s requests (%s)", fmt_count(a, n),
			      l->have_hist ? "from in-kernel histograms" : "from the events");
		outbuf_end_line(o);
		quantiles(o, s, HIST_BLOCK, s->block_max_ns, events != 0);
		histogram(o, summary_latency_hist(s, HIST_BLOCK));
	}
	dropped(o, s);
}

static void sources(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	if (s->src_faults || s->faults)
		faults(o, s, fo);
	if (s->src_sched || s->sched_count || s->lat[HIST_SCHED].have_hist)
		sched(o, s, fo);
	if (s->src_block || s->block_count || s->wb_count || s->lat[HIST_BLOCK].have_hist)
		block(o, s, fo);
}

static void recording(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	uint64_t lost = summary_lost(s);
	outbuf_puts(o, " Recording: ");
	switch (summary_completeness(s)) {
	case SUMMARY_COMPLETE: outbuf_puts(o, "complete"); break;
	case SUMMARY_INTERRUPTED: outbuf_puts(o, "interrupted (traced processes killed)"); break;
	case SUMMARY_DETACHED: outbuf_puts(o, "complete (detached)"); break;
	case SUMMARY_FAILED: outbuf_puts(o, "ended by a recorder error"); break;
	case SUMMARY_TRUNCATED:
		outbuf_puts(o, printer_color(fo->color, PRINTER_RED));
		outbuf_printf(o, "truncated after %llu events", (unsigned long long)s->events);
		outbuf_puts(o, printer_color(fo->color, PRINTER_RESET));
		break;
	}
	if (summary_completeness(s) != SUMMARY_TRUNCATED)
		outbuf_printf(o, ", %llu events", (unsigned long long)s->events);
	if (s->integrity.corrupt_frames)
		outbuf_printf(o, ", %llu corrupt frames skipped",
			      (unsigned long long)s->integrity.corrupt_frames);
	if (lost) {
		outbuf_printf(o, ", %llu lost (", (unsigned long long)lost);
		for (uint32_t i = 0; i < s->nlosses; i++) {
			if (!s->losses[i].count)
				continue;
			escape_term(o, s->losses[i].source);
			outbuf_printf(o, " %llu%s", (unsigned long long)s->losses[i].count,
				      i + 1 < s->nlosses ? ", " : "");
		}
		outbuf_putc(o, ')');
	}
	outbuf_end_line(o);
}

static void exit_line(struct outbuf *o, const struct summary *s)
{
	char b[FMT_MAX];
	outbuf_puts(o, " Exit: ");
	if (s->has_trailer && s->end_reason == REC_END_DETACHED)
		outbuf_puts(o, "still running (detached)");
	else if (!s->root_exited)
		outbuf_puts(o, "unknown");
	else if (s->exit_signal)
		outbuf_printf(o, "killed by %s%s", fmt_signal(b, s->exit_signal),
			      s->core_dumped ? " (core dumped)" : "");
	else
		outbuf_i64(o, s->exit_code);
	outbuf_end_line(o);
}

void final_print(struct outbuf *o, const struct summary *s, const struct final_opts *fo)
{
	outbuf_end_line(o);
	rule(o, fo);
	title(o, s, fo);
	rule(o, fo);
	memory(o, s, fo);
	io(o, s, fo);
	file_list(o, s, fo, false);
	file_list(o, s, fo, true);
	top_files(o, s, fo);
	if (s->failed_opens)
		outbuf_printf(o, " Failed opens: %u", s->failed_opens), outbuf_end_line(o);
	peers(o, s, fo);
	procs(o, s, fo);
	sources(o, s, fo);
	recording(o, s, fo);
	exit_line(o, s);
	rule(o, fo);
	outbuf_flush(o);
}

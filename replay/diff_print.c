/*
 * diff_print.c - the two renderings of a diff (diff.h): a terminal report,
 * changes only, by section, largest first; and one JSON object for scripts
 * (its keys are documented in README.md, "compendium diff").
 */
#define _GNU_SOURCE
#include "diff_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "format.h"
#include "printer.h"

/* Markers of a row: only in B, only in A, changed (printer.h has red only). */
#define DIFF_GREEN "\033[32m"
#define DIFF_YELLOW "\033[33m"

static const char *const section_title[DIFF_SEC__COUNT] = {
	"Recording", "Exit", "Processes", "Files", "Network", "Memory", "Time"
};

/* ---- the sides ------------------------------------------------------------ */

static const char *status_name(const struct diff_side *d)
{
	switch (summary_completeness(d->sum)) {
	case SUMMARY_COMPLETE:
		return d->status == RECORDING_CORRUPT ? "corrupt frames skipped" : "complete";
	case SUMMARY_INTERRUPTED: return "interrupted";
	case SUMMARY_DETACHED: return "detached";
	case SUMMARY_TRUNCATED: return "truncated";
	default: return "recorder failed";
	}
}

/* The command a side recorded: the header's argv. */
static void put_command_term(struct outbuf *o, const struct summary *s)
{
	for (uint32_t i = 0; i < s->argc; i++) {
		if (i)
			outbuf_putc(o, ' ');
		escape_term(o, s->argv[i]);
	}
	if (!s->argc)
		outbuf_puts(o, "(no command recorded)");
}

static void side_line(struct outbuf *o, const char *tag, const struct diff_side *d, bool color)
{
	char t[FMT_MAX];
	outbuf_printf(o, "  %s%s%s  ", printer_color(color, PRINTER_BOLD), tag,
		      printer_color(color, PRINTER_RESET));
	escape_term(o, d->name ? d->name : "-");
	outbuf_puts(o, ": ");
	put_command_term(o, d->sum);
	outbuf_printf(o, "  (%s, %llu events, %s)", fmt_runtime(t, summary_duration_ns(d->sum)),
		      (unsigned long long)d->sum->integrity.events, status_name(d));
	outbuf_end_line(o);
}

static void side_notes(struct outbuf *o, const char *tag, const struct diff_side *d, bool color)
{
	const struct rec_integrity *in = &d->sum->integrity;
	const char *red = printer_color(color, PRINTER_RED), *off = printer_color(color, PRINTER_RESET);
	bool cut = in->truncated || !d->sum->has_trailer;
	if (cut) {
		outbuf_printf(o, "  %s%s is truncated%s: ", red, tag, off);
		if (d->message[0])
			escape_term(o, d->message);
		else
			outbuf_printf(o, "no trailer after %llu events (the recorder died or the "
				      "file was cut)", (unsigned long long)in->events);
		outbuf_puts(o, "; compared as far as it goes");
		outbuf_end_line(o);
	}
	if (in->corrupt_frames) {
		outbuf_printf(o, "  %s%s has %llu corrupt frame%s%s, skipped", red, tag,
			      (unsigned long long)in->corrupt_frames,
			      in->corrupt_frames > 1 ? "s" : "", off);
		outbuf_end_line(o);
	}
	if (d->message[0] && !cut) {
		outbuf_printf(o, "  %s: ", tag);
		escape_term(o, d->message);
		outbuf_end_line(o);
	}
}

/* ---- rows ------------------------------------------------------------------ */

static void put_value(struct outbuf *o, unsigned unit, uint64_t v)
{
	char b[FMT_MAX];
	if (unit == DIFF_U_BYTES)
		outbuf_puts(o, fmt_bytes(b, v));
	else if (unit == DIFF_U_NS)
		outbuf_puts(o, fmt_latency(b, v));
	else
		outbuf_u64(o, v);
}

static void put_delta(struct outbuf *o, const struct diff_change *c)
{
	char b[FMT_MAX];
	bool up = c->b >= c->a;
	uint64_t d = up ? c->b - c->a : c->a - c->b;
	outbuf_puts(o, " (");
	if (c->unit == DIFF_U_BYTES) {
		outbuf_puts(o, fmt_bytes_signed(b, up ? (int64_t)d : -(int64_t)d));
	} else {
		outbuf_putc(o, up ? '+' : '-');
		put_value(o, c->unit, d);
	}
	double pct = diff_pct(c->a, c->b);
	if (isinf(pct))
		outbuf_puts(o, ", new)");
	else
		outbuf_printf(o, ", %+.0f%%)", pct);
}

static void row_line(struct outbuf *o, const struct diff_change *c, bool color)
{
	static const char marker[] = { '~', '+', '-' };
	static const char *const mcolor[] = { DIFF_YELLOW, DIFF_GREEN, PRINTER_RED };
	unsigned k = c->kind < 3 ? c->kind : 0;
	outbuf_printf(o, "  %s%c%s ", printer_color(color, mcolor[k]), marker[k],
		      printer_color(color, PRINTER_RESET));
	escape_term(o, c->subject);
	outbuf_printf(o, "  %s: ", c->metric);
	if (c->unit == DIFF_U_TEXT) {
		if (c->kind == DIFF_CHANGED) {
			escape_term(o, c->text_a);
			outbuf_puts(o, " → ");
			escape_term(o, c->text_b);
		} else {
			escape_term(o, c->kind == DIFF_ADDED ? c->text_b : c->text_a);
			outbuf_puts(o, c->kind == DIFF_ADDED ? " (only in B)" : " (only in A)");
		}
	} else {
		put_value(o, c->unit, c->a);
		outbuf_puts(o, " → ");
		put_value(o, c->unit, c->b);
		put_delta(o, c);
	}
	if (c->detail) {
		outbuf_puts(o, "; ");
		escape_term(o, c->detail);
	}
	outbuf_end_line(o);
}

void diff_print_text(struct outbuf *o, const struct diff_side *a, const struct diff_side *b,
		     const struct diff_result *r, bool color)
{
	outbuf_printf(o, "%scompendium diff%s", printer_color(color, PRINTER_BOLD),
		      printer_color(color, PRINTER_RESET));
	outbuf_end_line(o);
	side_line(o, "A", a, color);
	side_line(o, "B", b, color);
	side_notes(o, "A", a, color);
	side_notes(o, "B", b, color);
	if (a->format_major != b->format_major || a->format_minor != b->format_minor) {
		outbuf_printf(o, "  note: format versions differ (A %u.%u, B %u.%u); compared anyway",
			      a->format_major, a->format_minor, b->format_major, b->format_minor);
		outbuf_end_line(o);
	}
	int sec = -1;
	for (uint32_t i = 0; i < r->n; i++) {
		const struct diff_change *c = &r->v[i];
		if (c->hidden)
			continue;
		if (c->section != sec) {
			sec = c->section;
			outbuf_end_line(o);
			outbuf_printf(o, "%s%s%s", printer_color(color, PRINTER_BOLD),
				      sec < DIFF_SEC__COUNT ? section_title[sec] : "Other",
				      printer_color(color, PRINTER_RESET));
			outbuf_end_line(o);
		}
		row_line(o, c, color);
	}
	outbuf_end_line(o);
	if (r->shown)
		outbuf_printf(o, "%u difference%s", r->shown, r->shown > 1 ? "s" : "");
	else
		outbuf_puts(o, "no differences");
	if (r->hidden)
		outbuf_printf(o, "; %u more below the thresholds (--threshold %g%%, "
			      "--time-threshold %g%%)", r->hidden, r->opts.threshold_pct,
			      r->opts.time_threshold_pct);
	outbuf_end_line(o);
	if (r->oom) {
		outbuf_puts(o, "warning: out of memory, some differences may be missing");
		outbuf_end_line(o);
	}
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_key(struct outbuf *o, const char *k, bool *first)
{
	if (!*first)
		outbuf_putc(o, ',');
	*first = false;
	outbuf_printf(o, "\"%s\":", k);
}

static void json_side(struct outbuf *o, const struct diff_side *d)
{
	const struct summary *s = d->sum;
	bool f = true;
	outbuf_putc(o, '{');
	json_key(o, "file", &f);
	escape_json(o, d->name);
	json_key(o, "command", &f);
	outbuf_putc(o, '[');
	for (uint32_t i = 0; i < s->argc; i++) {
		if (i)
			outbuf_putc(o, ',');
		escape_json(o, s->argv[i]);
	}
	outbuf_putc(o, ']');
	json_key(o, "format_major", &f);
	outbuf_u64(o, d->format_major);
	json_key(o, "format_minor", &f);
	outbuf_u64(o, d->format_minor);
	json_key(o, "status", &f);
	escape_json(o, status_name(d));
	json_key(o, "truncated", &f);
	outbuf_puts(o, s->integrity.truncated || !s->has_trailer ? "true" : "false");
	json_key(o, "corrupt_frames", &f);
	outbuf_u64(o, s->integrity.corrupt_frames);
	json_key(o, "events", &f);
	outbuf_u64(o, s->integrity.events);
	json_key(o, "duration_ns", &f);
	outbuf_u64(o, summary_duration_ns(s));
	json_key(o, "message", &f);
	escape_json(o, d->message);
	json_key(o, "slowest", &f);
	outbuf_putc(o, '[');
	for (uint32_t i = 0; i < d->nslow; i++) {
		const char *name = event_syscall_name(d->slow[i].sysno);
		outbuf_puts(o, i ? ",{\"syscall\":" : "{\"syscall\":");
		escape_json(o, name ? name : "unknown");
		outbuf_puts(o, ",\"dur_ns\":");
		outbuf_u64(o, d->slow[i].dur_ns);
		outbuf_putc(o, '}');
	}
	outbuf_puts(o, "]}");
}

static void json_value(struct outbuf *o, const struct diff_change *c, bool has, uint64_t v,
		       const char *text)
{
	if (c->unit == DIFF_U_TEXT)
		escape_json(o, text);
	else if (has)
		outbuf_u64(o, v);
	else
		outbuf_puts(o, "null");
}

static void json_change(struct outbuf *o, const struct diff_change *c)
{
	bool f = true;
	outbuf_putc(o, '{');
	json_key(o, "section", &f);
	escape_json(o, diff_section_name(c->section));
	json_key(o, "change", &f);
	escape_json(o, diff_kind_name(c->kind));
	json_key(o, "subject", &f);
	escape_json(o, c->subject);
	json_key(o, "metric", &f);
	escape_json(o, c->metric);
	json_key(o, "unit", &f);
	escape_json(o, diff_unit_name(c->unit));
	json_key(o, "a", &f);
	json_value(o, c, c->has_a, c->a, c->text_a);
	json_key(o, "b", &f);
	json_value(o, c, c->has_b, c->b, c->text_b);
	json_key(o, "pct", &f);
	double pct = c->unit == DIFF_U_TEXT ? NAN : diff_pct(c->a, c->b);
	if (isnan(pct) || isinf(pct))
		outbuf_puts(o, "null");
	else
		outbuf_printf(o, "%.1f", pct);
	json_key(o, "detail", &f);
	escape_json(o, c->detail);
	outbuf_putc(o, '}');
}

void diff_print_json(struct outbuf *o, const struct diff_side *a, const struct diff_side *b,
		     const struct diff_result *r)
{
	bool f = true;
	outbuf_putc(o, '{');
	json_key(o, "equal", &f);
	outbuf_puts(o, diff_equal(r) ? "true" : "false");
	json_key(o, "threshold_pct", &f);
	outbuf_printf(o, "%g", r->opts.threshold_pct);
	json_key(o, "time_threshold_pct", &f);
	outbuf_printf(o, "%g", r->opts.time_threshold_pct);
	json_key(o, "all", &f);
	outbuf_puts(o, r->opts.all ? "true" : "false");
	json_key(o, "a", &f);
	json_side(o, a);
	json_key(o, "b", &f);
	json_side(o, b);
	json_key(o, "changes", &f);
	outbuf_putc(o, '[');
	bool first = true;
	for (uint32_t i = 0; i < r->n; i++) {
		if (r->v[i].hidden)
			continue;
		outbuf_puts(o, first ? "\n " : ",\n ");
		first = false;
		json_change(o, &r->v[i]);
	}
	outbuf_puts(o, "],\n");
	f = true;
	json_key(o, "shown", &f);
	outbuf_u64(o, r->shown);
	json_key(o, "hidden", &f);
	outbuf_u64(o, r->hidden);
	json_key(o, "incomplete", &f);
	outbuf_puts(o, r->oom ? "true" : "false");
	outbuf_puts(o, "}\n");
}

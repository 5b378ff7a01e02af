/*
 * report.h - the HTML report sink: one self-contained, offline HTML file
 * with header cards, a canvas timeline, a virtual-scrolled event table,
 * filters, search and panels (files, connections, memory over time, latency
 * histograms).
 *
 * How it fits: the report is an event sink like the printer and the summary.
 * `compendium report FILE` feeds it from a recording, live mode (`--report`)
 * puts it in its tee next to the printer and the summary. The report owns a
 * summary model of its own, fed with every event before the cap applies, so
 * the cards count all events and equal the terminal's FINAL block.
 *
 * Memory: events are packed as they arrive (a varint byte stream of about
 * 10-20 bytes per event plus an interned string table), at most
 * `max_events` of them; later events are only counted (and still reach the
 * summary, the panels and the lanes). Strings are bounded (each cut at
 * REPORT_MAX_STRING bytes, the table at REPORT_MAX_STRTAB bytes).
 *
 * The page: report/report.html, report.css and report.js, embedded at build
 * time ($(BUILD)/gen/report_assets.h). The data goes in a
 * <script type="application/json"> element, every string JSON-escaped with
 * '<', '>', '&', U+2028 and U+2029 as \uXXXX and invalid UTF-8 as \udcXX
 * (see html_escape.h), so nothing from the tracee can end the element; the
 * page parses it with JSON.parse and only ever inserts it as text. A
 * Content-Security-Policy without any connect/img/font source keeps the page
 * offline.
 */
#ifndef COMPENDIUM_REPORT_H
#define COMPENDIUM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "event.h"

struct summary;

#define REPORT_DEFAULT_MAX_EVENTS 75000 /* --max-report-events default */
#define REPORT_MAX_STRING 4096          /* bytes of one string kept */
#define REPORT_MAX_STRTAB (64u << 20)   /* bytes of all strings kept */

struct report;

/*
 * A report that will be written to `out` (borrowed: the caller opens it
 * before and closes it after report_finish()). `max_events` bounds the events
 * kept for the timeline and table; 0 means REPORT_DEFAULT_MAX_EVENTS.
 * Returns NULL on ENOMEM.
 */
struct report *report_new(FILE *out, uint64_t max_events);

/*
 * The sink filling `r`: header, event, trailer, end (all optional; a live
 * source that never calls `end` is treated as a clean stream). The sink is
 * valid until report_finish().
 */
struct event_sink report_sink(struct report *r);

/* The report's own summary model (valid until report_finish()). */
const struct summary *report_summary(const struct report *r);

/* Events kept for the table, and events left out by the cap. */
uint64_t report_kept(const struct report *r);
uint64_t report_dropped(const struct report *r);

/*
 * Writes the HTML page to `out`, flushes it and frees `r` (also on error).
 * Returns 0, -ENOMEM, or -errno of the failed write.
 */
int report_finish(struct report *r);

/* Frees `r` without writing anything (an aborted run). NULL is fine. */
void report_free(struct report *r);

#endif

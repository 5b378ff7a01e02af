/*
 * fuzz_reader.c - libFuzzer target for the recording reader and every sink
 * that reads recordings: any bytes must read without a crash, a leak or
 * undefined behaviour; every string the reader hands to a sink must be a
 * valid, bounded C string; and the real sinks (printer plain and verbose,
 * summary + FINAL, JSON, HTML report, diff) must digest every decoded event.
 * Their output is checked too: no raw ESC from the plain printer and FINAL
 * (the recording must not drive the terminal), valid UTF-8 from the JSON sink.
 *
 * Inputs starting with '!' are taken as the decompressed content of a frame
 * and wrapped in a valid file and frame (right sizes and CRC), so the fuzzer
 * reaches the record decoders instead of stopping at the frame checksum.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "codec.h"
#include "recording.h"
#include "replay/diff.h"
#include "replay/final.h"
#include "replay/json.h"
#include "replay/outbuf.h"
#include "replay/printer.h"
#include "replay/summary.h"
#include "report/report.h"

static volatile size_t sink_bytes;

static void touch(const char *s)
{
	if (s)
		sink_bytes += strnlen(s, EVENT_MAX_STRING + 1);
}

static void on_header(void *ctx, const struct rec_header *h)
{
	(void)ctx;
	for (uint32_t i = 0; i < h->argc; i++)
		touch(h->argv[i]);
	touch(h->hostname);
	touch(h->tool_version);
	for (uint32_t i = 0; i < h->nsources; i++)
		touch(h->sources[i].reason);
}

static void on_event(void *ctx, const struct event *ev)
{
	(void)ctx;
	switch (ev->kind) {
	case EV_EXEC:
		touch(ev->exec.path);
		for (uint32_t i = 0; i < ev->exec.argc; i++)
			touch(ev->exec.argv[i]);
		break;
	case EV_OPEN: touch(ev->open.path); break;
	case EV_IO: touch(ev->io.fd.name); touch(ev->io.addr); break;
	case EV_TRANSFER: touch(ev->transfer.src.name); touch(ev->transfer.dst.name); break;
	case EV_HIST:
		for (uint32_t i = 0; i < ev->hist.nbuckets; i++)
			sink_bytes += ev->hist.buckets[i];
		touch(ev->hist.unit);
		break;
	case EV_NOTE: touch(ev->note.text); break;
	case EV_LOSS: touch(ev->loss.source); touch(ev->loss.reason); break;
	default: break;
	}
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A file holding one frame whose content is `data`. */
static uint8_t *wrap(const uint8_t *data, size_t size, size_t *len)
{
	size_t bound = ZSTD_compressBound(size);
	uint8_t *f = malloc(RECORDING_FILE_HEADER_SIZE + RECORDING_FRAME_HEADER_SIZE + bound);
	memcpy(f, RECORDING_MAGIC, 8);
	memset(f + 8, 0, 8);
	f[8] = RECORDING_MAJOR;
	uint8_t *h = f + RECORDING_FILE_HEADER_SIZE;
	size_t c = ZSTD_compress(h + RECORDING_FRAME_HEADER_SIZE, bound, data, size, 1);
	memcpy(h, RECORDING_FRAME_MAGIC, 4);
	put_le32(h + 4, (uint32_t)c);
	put_le32(h + 8, (uint32_t)size);
	put_le32(h + 12, crc32c(crc32c(0, h, 12), h + RECORDING_FRAME_HEADER_SIZE, c));
	*len = RECORDING_FILE_HEADER_SIZE + RECORDING_FRAME_HEADER_SIZE + c;
	return f;
}

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
static bool valid_utf8(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		size_t k;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* Occurrences of `needle` (lower case, starting with '<'), any case. A plain
 * loop: strncasecmp would feed libFuzzer's comparison hooks on every byte of
 * the page and make the target ten times slower. */
static size_t count_ci(const char *h, size_t n, const char *needle)
{
	size_t k = strlen(needle), c = 0;
	const char *p = h, *end = h + n;
	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		size_t j = 0;
		while (j < k && p + j < end && (p[j] | (p[j] >= 'A' && p[j] <= 'Z' ? 0x20 : 0)) == needle[j])
			j++;
		c += j == k;
		p++;
	}
	return c;
}

/* The page of an empty recording: how many "</script" and "<!--" the
 * template itself has. A recording must not add any. */
static size_t base_close = (size_t)-1, base_comment;

/* Every sink of show, show --json, report and diff, on one recording. */
static void run_sinks(const uint8_t *buf, size_t len)
{
	struct event_sink check = { .header = on_header, .event = on_event };
	struct outbuf plain, verbose, json, diffo;
	outbuf_init_mem(&plain);
	outbuf_init_mem(&verbose);
	outbuf_init_mem(&json);
	outbuf_init_mem(&diffo);
	struct printer_opts po = { 0 }, pv = { .verbose = true, .all = true };
	struct printer *p1 = printer_new(&plain, &po), *p2 = printer_new(&verbose, &pv);
	struct summary *sum = summary_new();
	struct json_sink js = { .out = &json };
	char *page = NULL;
	size_t page_len = 0;
	FILE *pf = open_memstream(&page, &page_len);
	struct report *rep = pf ? report_new(pf, 1000) : NULL;
	struct diff_side *a = diff_side_new(), *b = diff_side_new();
	if (!p1 || !p2 || !sum || !rep || !a || !b)
		abort();
	struct event_sink sinks[] = { check, printer_sink(p1), printer_sink(p2), summary_sink(sum),
				      json_sink(&js), report_sink(rep), diff_side_sink(a) };
	struct event_tee tee = { sinks, sizeof(sinks) / sizeof(sinks[0]) };
	struct event_sink s = event_tee_sink(&tee);
	struct recording_read_result res;
	recording_read_mem(buf, len, &s, &res);

	struct final_opts fo = { 0 };
	final_print(&plain, sum, &fo);
	report_finish(rep);
	fclose(pf);
	if (!valid_utf8((const uint8_t *)page, page_len))
		abort(); /* the report page must be UTF-8 */
	size_t closes = count_ci(page, page_len, "</script"),
	       comments = count_ci(page, page_len, "<!--");
	if (base_close == (size_t)-1) {
		base_close = closes;
		base_comment = comments;
	} else if (closes != base_close || comments != base_comment) {
		abort(); /* recording bytes broke out of the report's <script> */
	}
	free(page);
	diff_side_set_source(a, "a", &res);
	diff_side_set_source(b, "b", &res);
	struct diff_opts dopts;
	diff_opts_default(&dopts);
	struct diff_result dr = { 0 }, dr2 = { 0 };
	diff_compare(a, b, &dopts, &dr);
	diff_print_text(&diffo, a, b, &dr, false);
	diff_compare(b, a, &dopts, &dr2);
	diff_print_json(&json, b, a, &dr2);
	diff_result_free(&dr);
	diff_result_free(&dr2);

	printer_free(p1);
	printer_free(p2);
	if (memchr(plain.buf, 0x1b, plain.len) || memchr(verbose.buf, 0x1b, verbose.len) ||
	    memchr(diffo.buf, 0x1b, diffo.len))
		abort(); /* a recording's bytes reached the terminal raw */
	if (!valid_utf8((const uint8_t *)json.buf, json.len))
		abort(); /* JSON output must be UTF-8 */
	summary_free(sum);
	diff_side_free(a);
	diff_side_free(b);
	outbuf_free(&plain);
	outbuf_free(&verbose);
	outbuf_free(&json);
	outbuf_free(&diffo);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (base_close == (size_t)-1)
		run_sinks(NULL, 0);
	if (size > 0 && data[0] == '!') {
		size_t len;
		uint8_t *f = wrap(data + 1, size - 1, &len);
		run_sinks(f, len);
		free(f);
		return 0;
	}
	run_sinks(data, size);
	return 0;
}

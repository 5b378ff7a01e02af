/*
 * test_report.c - the HTML report sink: nothing from the tracee can break
 * out of the page's <script> (</script>, <!--, quotes, U+2028, invalid
 * UTF-8, control characters), the cap keeps the first N events and counts
 * the rest, and the cards count every event.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "replay/outbuf.h"
#include "replay/summary.h"
#include "report/html_escape.h"
#include "report/report.h"

static char *esc(const char *s, size_t n)
{
	struct outbuf o;
	assert_int_equal(outbuf_init_mem(&o), 0);
	html_json_string_n(&o, s, n);
	char *r = strndup(o.buf, o.len);
	outbuf_free(&o);
	return r;
}

static void test_escape_cases(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/tmp/a", "\"/tmp/a\"" },
		{ "</script><script>alert(1)</script>",
		  "\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\"" },
		{ "<!--x-->", "\"\\u003c!--x--\\u003e\"" },
		{ "a\"b'c\\d", "\"a\\\"b'c\\\\d\"" },
		{ "&amp;", "\"\\u0026amp;\"" },
		{ "l\xe2\x80\xa8s\xe2\x80\xa9p", "\"l\\u2028s\\u2029p\"" },
		{ "bad\xff\xc3(", "\"bad\\udcff\\udcc3(\"" },
		{ "esc\x1b[31m\n", "\"esc\\u001b[31m\\u000a\"" },
		{ "\xc2\x85" "c1", "\"\\u0085c1\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\"" },
		{ "", "\"\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = esc(cases[i].in, strlen(cases[i].in));
		assert_string_equal(r, cases[i].out);
		free(r);
	}
	/* a NUL inside the range */
	char *r = esc("a\0b", 3);
	assert_string_equal(r, "\"a\\u0000b\"");
	free(r);
	/* NULL */
	struct outbuf o;
	assert_int_equal(outbuf_init_mem(&o), 0);
	html_json_string(&o, NULL);
	assert_int_equal(o.len, 4);
	assert_memory_equal(o.buf, "null", 4);
	outbuf_free(&o);
}

/* Every byte value, alone and after '<': never a raw '<', '>' or '&'. */
static void test_escape_all_bytes(void **state)
{
	(void)state;
	for (int b = 1; b < 256; b++) {
		char in[3] = { '<', (char)b, 0 };
		char *r = esc(in, 2);
		assert_null(strpbrk(r, "<>&"));
		assert_null(strstr(r, "\xe2\x80\xa8"));
		free(r);
	}
}

/* ---- the whole page ----------------------------------------------------- */

static char *read_all(FILE *f, size_t *len)
{
	fflush(f);
	long n = ftell(f);
	assert_true(n > 0);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

static const char *hostile[] = {
	"/tmp/x</script><script>window.pwned=1</script>",
	"/tmp/<!--<script>",
	"/tmp/q\"'`${1}",
	"/tmp/ls\xe2\x80\xa8ps\xe2\x80\xa9",
	"/tmp/bad\xff\xfe\xc0\xaf",
	"/tmp/ctl\x1b]0;title\x07\r\n",
	"</SCRIPT >",
};

static struct event open_event(uint64_t ts, uint32_t pid, const char *path)
{
	struct event ev = { .kind = EV_OPEN, .ts_ns = ts, .dur_ns = 1500, .pid = pid, .tid = pid,
			    .sysno = 257 };
	ev.open = (struct ev_open){ .path = path, .flags = 0, .fd = 3 };
	return ev;
}

static char *make_report(uint64_t max, unsigned nevents, size_t *len, uint64_t *kept,
			 uint64_t *dropped)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	struct report *r = report_new(f, max);
	assert_non_null(r);
	struct event_sink s = report_sink(r);
	const char *argv[] = { "/bin/evil</script>", "<!--" };
	struct rec_header h = { .argv = argv, .argc = 2, .root_pid = 100, .mode = REC_MODE_SPAWN,
				.hostname = "host</script>" };
	s.header(s.ctx, &h);
	for (unsigned i = 0; i < nevents; i++) {
		struct event ev = open_event(1000u * i, 100, hostile[i % 7]);
		s.event(s.ctx, &ev);
	}
	struct event ex = { .kind = EV_EXIT, .ts_ns = 1000u * nevents, .pid = 100, .tid = 100,
			    .sysno = -1 };
	s.event(s.ctx, &ex);
	struct rec_integrity in = { .has_trailer = false, .events = nevents + 1 };
	s.end(s.ctx, &in);
	*kept = report_kept(r);
	*dropped = report_dropped(r);
	assert_int_equal(report_summary(r)->events, nevents + 1);
	assert_int_equal(report_finish(r), 0);
	char *buf = read_all(f, len);
	fclose(f);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t l = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		if (!l || i + l > n)
			return false;
		for (size_t k = 1; k < l; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += l;
	}
	return true;
}

static void test_page_no_breakout(void **state)
{
	(void)state;
	size_t len;
	uint64_t kept, dropped;
	char *page = make_report(0, 50, &len, &kept, &dropped);
	assert_int_equal(kept, 51);
	assert_int_equal(dropped, 0);
	assert_true(valid_utf8((const unsigned char *)page, len));
	/* the data element, whole: from its start tag to the first "</script" */
	const char *start = strstr(page, "<script type=\"application/json\" id=\"cmp-data\">");
	assert_non_null(start);
	start = strchr(start, '>') + 1;
	const char *end = strstr(start, "</script");
	assert_non_null(end);
	/* ... holds no '<' at all, no raw separators, and ends where the JSON does */
	assert_null(memchr(start, '<', (size_t)(end - start)));
	assert_null(memmem(start, (size_t)(end - start), "\xe2\x80\xa8", 3));
	assert_true(end[-1] == '}');
	/* exactly the template's two script elements, no more */
	assert_int_equal(count(page, "<script"), 2);
	assert_int_equal(count(page, "</script"), 2);
	assert_int_equal(strncasecmp(end, "</script>", 9), 0);
	/* the hostile strings are in, escaped */
	assert_non_null(strstr(start, "\"/tmp/x\\u003c/script\\u003e\\u003cscript\\u003ewindow.pwned=1"));
	assert_non_null(strstr(start, "\"/tmp/bad\\udcff\\udcfe\\udcc0\\udcaf\""));
	assert_non_null(strstr(start, "\"/tmp/ls\\u2028ps\\u2029\""));
	assert_non_null(strstr(start, "\\u003c/SCRIPT \\u003e"));
	assert_non_null(strstr(start, "\"host\\u003c/script\\u003e\""));
	/* offline: a CSP without any network source, nothing fetched */
	assert_non_null(strstr(page, "default-src 'none'"));
	assert_null(strstr(page, "src=\"http"));
	assert_null(strstr(page, "href=\"http"));
	assert_null(strstr(page, "@import"));
	free(page);
}

static void test_cap(void **state)
{
	(void)state;
	size_t len;
	uint64_t kept, dropped;
	char *page = make_report(10, 24, &len, &kept, &dropped);
	assert_int_equal(kept, 10);
	assert_int_equal(dropped, 15); /* 24 opens + the exit, minus 10 */
	assert_non_null(strstr(page, "\"events\":25,"));
	assert_non_null(strstr(page, "\"kept\":10,"));
	assert_non_null(strstr(page, "\"max_events\":10,"));
	assert_non_null(strstr(page, "\"dropped\":15,"));
	assert_non_null(strstr(page, "\"first_drop_ns\":10000,"));
	assert_non_null(strstr(page, "\"dropped_cats\":{\"file\":14,\"proc\":1}"));
	/* the card counts all of them */
	assert_non_null(strstr(page, "[\"Events\",\"25\",\"\"]"));
	free(page);
}

static void test_long_string_cut(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	struct report *r = report_new(f, 0);
	struct event_sink s = report_sink(r);
	size_t n = REPORT_MAX_STRING * 3;
	char *big = malloc(n + 1);
	memset(big, 'a', n);
	big[n] = 0;
	struct event ev = open_event(5, 7, big);
	s.event(s.ctx, &ev);
	assert_int_equal(report_finish(r), 0);
	size_t len;
	char *page = read_all(f, &len);
	fclose(f);
	assert_true(len < 200000 + n / 2);
	assert_non_null(strstr(page, "\"strings_cut\":1,"));
	free(page);
	free(big);
}

static void test_free_without_finish(void **state)
{
	(void)state;
	struct report *r = report_new(stdout, 5);
	struct event_sink s = report_sink(r);
	for (int i = 0; i < 20; i++) {
		struct event ev = open_event((uint64_t)i, 9, "/x");
		s.event(s.ctx, &ev);
	}
	report_free(r);
	report_free(NULL);
}

/* The highest heap + mapped point of the page's "mem" chart. */
static uint64_t chart_peak(const char *page, unsigned *points)
{
	const char *p = strstr(page, "\"mem\":[");
	unsigned long long ts, heap, mapped;
	uint64_t peak = 0;
	int n;

	assert_non_null(p);
	p += strlen("\"mem\":[");
	*points = 0;
	while (sscanf(p, "[%llu,%llu,%llu]%n", &ts, &heap, &mapped, &n) == 3) {
		if (heap + mapped > peak)
			peak = heap + mapped;
		++*points;
		p += n;
		if (*p == ',')
			p++;
	}
	return peak;
}

/* 20,000 small maps over 20 ms force the chart to merge its points many
 * times; a 1 GiB mapping that lives 100 ns in the middle must still be its
 * highest point, as it is the summary's peak. */
static void test_memory_chart_keeps_spikes(void **state)
{
	FILE *f = tmpfile();
	struct report *r = report_new(f, 1u << 20);
	struct event_sink s = report_sink(r);
	const char *argv[] = { "/bin/x" };
	struct rec_header h = { .argv = argv, .argc = 1, .root_pid = 100, .mode = REC_MODE_SPAWN };
	struct event ev = { .kind = EV_EXEC, .pid = 100, .tid = 100, .sysno = -1 };
	uint64_t base = 0x7f0000000000ull, big = 1ull << 30;
	unsigned points;
	size_t len;

	(void)state;
	assert_non_null(r);
	s.header(s.ctx, &h);
	ev.exec = (struct ev_exec){ .path = "/bin/x", .argv = argv, .argc = 1, .comm = "x" };
	s.event(s.ctx, &ev);
	for (uint64_t i = 0; i < 20000; i++) {
		uint64_t ts = 1000 * (i + 1), addr = base + i * 8192;

		ev = (struct event){ .kind = EV_MMAP, .ts_ns = ts, .pid = 100, .tid = 100, .sysno = 9 };
		ev.mmap = (struct ev_mmap){ .addr = addr, .len = 4096, .prot = 3, .flags = 0x22,
					     .fd = -1 };
		s.event(s.ctx, &ev);
		if (i == 10000) {
			ev.ts_ns = ts + 100;
			ev.mmap.addr = 0x100000000000ull;
			ev.mmap.len = big;
			s.event(s.ctx, &ev);
			ev = (struct event){ .kind = EV_MUNMAP, .ts_ns = ts + 200, .pid = 100,
					     .tid = 100, .sysno = 11 };
			ev.munmap = (struct ev_range){ .addr = 0x100000000000ull, .len = big };
			s.event(s.ctx, &ev);
		}
		ev = (struct event){ .kind = EV_MUNMAP, .ts_ns = ts + 500, .pid = 100, .tid = 100,
				     .sysno = 11 };
		ev.munmap = (struct ev_range){ .addr = addr, .len = 4096 };
		s.event(s.ctx, &ev);
	}
	assert_true(report_summary(r)->total_peak >= big);
	assert_int_equal(report_finish(r), 0);
	char *page = read_all(f, &len);
	fclose(f);
	assert_true(chart_peak(page, &points) >= big);
	assert_true(points > 1000 && points <= 2049);
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_cases),
		cmocka_unit_test(test_escape_all_bytes),
		cmocka_unit_test(test_page_no_breakout),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_long_string_cut),
		cmocka_unit_test(test_free_without_finish),
		cmocka_unit_test(test_memory_chart_keeps_spikes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_diff.c - `compendium diff` on synthetic event streams: the
 * normalisation rules (N1-N6 of diff.h), process matching, thresholds,
 * presence changes, the renderings, and a truncated recording written with
 * the real writer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "recording.h"
#include "replay/diff.h"
#include "replay/diff_impl.h"
#include "replay/outbuf.h"

/* ---- normalisation ------------------------------------------------------- */

static void expect_path(const char *in, const char *want)
{
	char buf[DIFF_NORM_MAX];
	assert_string_equal(diff_norm_path(buf, sizeof(buf), in), want);
}

static void test_norm_proc(void **state)
{
	(void)state;
	expect_path("/proc/1234/maps", "/proc/<pid>/maps");
	expect_path("/proc/1234", "/proc/<pid>");
	expect_path("/proc/1234/task/1240/stat", "/proc/<pid>/task/<tid>/stat");
	expect_path("/proc/self/maps", "/proc/self/maps");
	expect_path("/proc/12ab/x", "/proc/12ab/x");
	expect_path("/proc/cpuinfo", "/proc/cpuinfo");
}

static void test_norm_temp(void **state)
{
	(void)state;
	expect_path("/tmp/tmp.Q2x8ZkP1aB", "/tmp/tmp.XXXXXX");
	expect_path("/tmp/fooAbC123", "/tmp/fooXXXXXX");
	expect_path("/tmp/wl.abcdef", "/tmp/wl.XXXXXX");
	expect_path("/tmp/d/wl.QQQQQQ.log", "/tmp/d/wl.XXXXXX.log");
	expect_path("/tmp/d/report.html", "/tmp/d/report.html");
	expect_path("/tmp/d/Makefile.am", "/tmp/d/Makefile.am");
	expect_path("/tmp/logfile", "/tmp/logfile");
	expect_path("/tmp/pytest-of-root/pytest-12/out.txt", "/tmp/pytest-of-root/pytest-N/out.txt");
	expect_path("/tmp/x/a1.txt", "/tmp/x/a1.txt");
	expect_path("/var/tmp/cc4Xy9Qa.o", "/var/tmp/ccXXXXXX.o");
	expect_path("/dev/shm/sem.Ab12Cd", "/dev/shm/sem.XXXXXX");
	expect_path("/run/user/1000/bus", "/run/user/<uid>/bus");
	expect_path("/run/user/1000", "/run/user/<uid>");
	/* outside temporary directories names are kept */
	expect_path("/home/u/fooAbC123", "/home/u/fooAbC123");
	expect_path("/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6");
	expect_path("/tmp", "/tmp");
	expect_path("relative/path", "relative/path");
	expect_path(NULL, "");
}

static void test_norm_inode_pts(void **state)
{
	(void)state;
	expect_path("pipe:[123456]", "pipe:[*]");
	expect_path("socket:[99]", "socket:[*]");
	expect_path("anon_inode:[eventfd]", "anon_inode:[eventfd]");
	expect_path("/dev/pts/3", "/dev/pts/<n>");
	expect_path("/dev/pts/ptmx", "/dev/pts/ptmx");
}

static void expect_addr(const char *in, const char *want)
{
	static const uint16_t listen[] = { 39579, 8080, 41000 };
	static const uint16_t accepted[][2] = { { 47000, 39579 }, { 47001, 8080 } };
	struct diff_ports ports = { listen, 3, accepted, 2 };
	char buf[DIFF_NORM_MAX];
	assert_string_equal(diff_norm_addr(buf, sizeof(buf), in, &ports), want);
}

static void test_norm_addr(void **state)
{
	(void)state;
	expect_addr("127.0.0.1:39579", "127.0.0.1:<listen#1>");
	expect_addr("127.0.0.1:41000", "127.0.0.1:<listen#3>");
	expect_addr("127.0.0.1:47456", "127.0.0.1:<ephemeral>");
	/* accepted clients are named after the server they connected to */
	expect_addr("127.0.0.1:47000", "127.0.0.1:<listen#1>");
	expect_addr("127.0.0.1:47001", "127.0.0.1:8080");
	expect_addr("127.0.0.1:8080", "127.0.0.1:8080"); /* fixed port */
	expect_addr("127.0.0.53:53", "127.0.0.53:53");
	expect_addr("[::1]:40000", "[::1]:<ephemeral>");
	expect_addr("[::ffff:127.0.0.1]:39579", "[::ffff:127.0.0.1]:<listen#1>");
	expect_addr("192.0.2.1:47456", "192.0.2.1:47456"); /* not loopback: kept */
	expect_addr("unix:/tmp/sockAbC123", "unix:/tmp/sockXXXXXX");
	expect_addr("127.0.0.1:99999", "127.0.0.1:99999");
	expect_addr("127.0.0.1:", "127.0.0.1:");
	expect_addr("garbage", "garbage");
}

static void test_norm_bounds(void **state)
{
	(void)state;
	size_t n = 100000;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memcpy(big, "/tmp/", 5);
	for (size_t i = 5; i < n; i++)
		big[i] = (i % 7 == 0) ? '/' : (char)('a' + i % 26);
	big[n] = '\0';
	char small[16];
	diff_norm_path(small, sizeof(small), big);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	diff_norm_addr(small, sizeof(small), big, NULL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	char one[1];
	diff_norm_path(one, 1, "/proc/1/x");
	assert_int_equal(one[0], '\0');
	free(big);
}

/* ---- synthetic runs ------------------------------------------------------- */

/* What a synthetic run does; `flags` make it differ like the workload. */
struct run {
	uint32_t pid;            /* root pid: differs between runs */
	const char *tmpname;     /* its mkstemp-style file */
	uint16_t server_port;    /* its ephemeral listen port */
	uint16_t client_port;    /* its ephemeral client port */
	bool more;               /* one more file, twice the bytes, one more peer */
	uint64_t written;        /* bytes to out.dat (doubled when more) */
	uint64_t duration_ns;
	int32_t child_exit;
	uint32_t child_signal;
	bool failed_open;
	const char *const *children; /* NULL-terminated "sh -c" scripts */
};

static void feed(struct event_sink *s, struct event ev)
{
	s->event(s->ctx, &ev);
}

static struct event ev_at(enum event_kind k, uint32_t pid, uint64_t ts)
{
	return (struct event){ .kind = k, .pid = pid, .tid = pid, .ts_ns = ts, .sysno = -1 };
}

static void feed_exec(struct event_sink *s, uint32_t pid, uint64_t ts, const char *path,
		      const char *const *argv, uint32_t argc)
{
	struct event e = ev_at(EV_EXEC, pid, ts);
	e.exec = (struct ev_exec){ path, argv, argc, "x", 0 };
	feed(s, e);
}

static void feed_open_write(struct event_sink *s, uint32_t pid, uint64_t ts, const char *path,
			    uint64_t bytes)
{
	struct event e = ev_at(EV_OPEN, pid, ts);
	e.sysno = 257;
	e.dur_ns = 1000;
	e.open = (struct ev_open){ path, 01101 /* O_WRONLY|O_CREAT|O_TRUNC */, 0644, 3, true };
	feed(s, e);
	e = ev_at(EV_IO, pid, ts + 1);
	e.io = (struct ev_io){ IO_WRITE, { 3, FD_FILE, 0, path }, (int64_t)bytes, NULL, 0, -1 };
	feed(s, e);
}

static void feed_peer(struct event_sink *s, uint32_t pid, uint64_t ts, uint16_t sport,
		      uint16_t cport, uint64_t bytes)
{
	char srv[64], cli[64];
	snprintf(srv, sizeof(srv), "127.0.0.1:%u", sport);
	snprintf(cli, sizeof(cli), "127.0.0.1:%u", cport);
	struct event e = ev_at(EV_LISTEN, pid, ts);
	e.listen = (struct ev_listen){ 5, 8, PROTO_TCP4, srv };
	feed(s, e);
	e = ev_at(EV_CONNECT, pid, ts + 1);
	e.connect = (struct ev_addr){ 6, PROTO_TCP4, srv };
	feed(s, e);
	e = ev_at(EV_ACCEPT, pid, ts + 2);
	e.accept = (struct ev_accept){ 5, 7, PROTO_TCP4, srv, cli };
	feed(s, e);
	e = ev_at(EV_IO, pid, ts + 3);
	e.io = (struct ev_io){ IO_SEND, { 6, FD_SOCKET, PROTO_TCP4, srv }, (int64_t)bytes, NULL, 0, -1 };
	feed(s, e);
	e = ev_at(EV_IO, pid, ts + 4);
	e.io = (struct ev_io){ IO_RECV, { 7, FD_SOCKET, PROTO_TCP4, cli }, (int64_t)bytes, NULL, 0, -1 };
	feed(s, e);
}

static void feed_child(struct event_sink *s, uint32_t ppid, uint32_t pid, uint64_t ts,
		       const char *script, int32_t code, uint32_t sig)
{
	struct event e = ev_at(EV_SPAWN, ppid, ts);
	e.spawn = (struct ev_spawn){ pid, pid, SPAWN_PROCESS, 0x11 /* SIGCHLD */ };
	feed(s, e);
	const char *argv[] = { "sh", "-c", script };
	feed_exec(s, pid, ts + 1, "/bin/sh", argv, 3);
	e = ev_at(EV_BRK, pid, ts + 2);
	e.brk = (struct ev_brk){ 0, 0x5000000 + (uint64_t)pid * 0x100000, 0 };
	feed(s, e);
	e.brk = (struct ev_brk){ 0x5000000 + (uint64_t)pid * 0x100000,
				 0x5000000 + (uint64_t)pid * 0x100000 + 0x21000, 0 };
	feed(s, e);
	e = ev_at(EV_EXIT, pid, ts + 3);
	e.exit = (struct ev_exit){ code, sig, false, false };
	feed(s, e);
}

/* Builds a side from a synthetic run. */
static struct diff_side *make_side(const struct run *r)
{
	struct diff_side *d = diff_side_new();
	assert_non_null(d);
	struct event_sink s = diff_side_sink(d);
	const char *argv_more[] = { "/opt/wl", "--more" }, *argv_plain[] = { "/opt/wl" };
	struct rec_header h = { .format_major = 1, .format_minor = 0, .mode = REC_MODE_SPAWN,
				.root_pid = r->pid, .argv = r->more ? argv_more : argv_plain,
				.argc = r->more ? 2 : 1 };
	s.header(s.ctx, &h);
	feed_exec(&s, r->pid, 10, "/opt/wl", h.argv, h.argc);
	struct event e = ev_at(EV_MMAP, r->pid, 20);
	e.mmap = (struct ev_mmap){ 0x7f0000000000 + (uint64_t)r->pid * 0x1000, 1 << 20, 3, 0x22,
				   -1, 0, NULL };
	feed(&s, e);
	feed_open_write(&s, r->pid, 100, "/tmp/d/out.dat", r->more ? 2 * r->written : r->written);
	feed_open_write(&s, r->pid, 200, r->tmpname, 10);
	if (r->more)
		feed_open_write(&s, r->pid, 300, "/tmp/d/extra.txt", 5);
	if (r->failed_open) {
		e = ev_at(EV_OPEN, r->pid, 350);
		e.err = ENOENT;
		e.open = (struct ev_open){ "/etc/wl.conf", 0, 0, -1, false };
		feed(&s, e);
	}
	char pipe[32];
	snprintf(pipe, sizeof(pipe), "pipe:[%u]", r->pid * 7);
	e = ev_at(EV_IO, r->pid, 360);
	e.io = (struct ev_io){ IO_WRITE, { 4, FD_PIPE, 0, pipe }, 10, NULL, 0, -1 };
	feed(&s, e);
	feed_peer(&s, r->pid, 400, r->server_port, r->client_port, 100);
	if (r->more)
		feed_peer(&s, r->pid, 500, (uint16_t)(r->server_port + 1),
			  (uint16_t)(r->client_port + 1), 100);
	uint32_t child = r->pid + 1;
	for (const char *const *c = r->children; c && *c; c++, child++)
		feed_child(&s, r->pid, child, 600 + 10 * (child - r->pid), *c,
			   c == r->children ? r->child_exit : 0,
			   c == r->children ? r->child_signal : 0);
	e = ev_at(EV_EXIT, r->pid, r->duration_ns);
	feed(&s, e);
	struct rec_trailer t = { .end_reason = REC_END_COMPLETED, .end_ts_ns = r->duration_ns };
	s.trailer(s.ctx, &t);
	struct rec_integrity in = { .has_trailer = true, .events = 30 };
	s.end(s.ctx, &in);
	struct recording_read_result res = { 0 };
	diff_side_set_source(d, r->more ? "b.cmp" : "a.cmp", &res);
	return d;
}

static const char *const two_children[] = { "echo a", "echo b", NULL };

static struct run base_run(uint32_t pid)
{
	return (struct run){ .pid = pid, .tmpname = "/tmp/d/wl.Ab12Cd", .server_port = 39000,
			     .client_port = 50000, .written = 4096, .duration_ns = 20000000,
			     .children = two_children };
}

/* Rows shown, as "section/change/subject/metric" lines, for exact checks. */
static char *rows_of(const struct diff_result *r)
{
	struct outbuf o;
	assert_int_equal(outbuf_init_mem(&o), 0);
	for (uint32_t i = 0; i < r->n; i++) {
		const struct diff_change *c = &r->v[i];
		if (c->hidden)
			continue;
		outbuf_printf(&o, "%s/%s/%s/%s\n", diff_section_name(c->section),
			      diff_kind_name(c->kind), c->subject, c->metric);
	}
	char *s = strdup(o.buf ? o.buf : "");
	outbuf_free(&o);
	return s;
}

static char *compare_runs(const struct run *ra, const struct run *rb, const struct diff_opts *o,
			  struct diff_result *res)
{
	struct diff_side *a = make_side(ra), *b = make_side(rb);
	assert_int_equal(diff_compare(a, b, o, res), 0);
	char *rows = rows_of(res);
	diff_side_free(a);
	diff_side_free(b);
	return rows;
}

static void test_same_program_equal(void **state)
{
	(void)state;
	struct run ra = base_run(1000), rb = base_run(2345);
	rb.tmpname = "/tmp/d/wl.Zq9TTx";
	rb.server_port = 41234;
	rb.client_port = 55555;
	rb.duration_ns = 21000000;
	struct diff_result r = { 0 };
	char *rows = compare_runs(&ra, &rb, NULL, &r);
	assert_string_equal(rows, "");
	assert_true(diff_equal(&r));
	free(rows);
	diff_result_free(&r);
}

static void test_flagged_run(void **state)
{
	(void)state;
	struct run ra = base_run(1000), rb = base_run(2000);
	rb.more = true;
	rb.tmpname = "/tmp/d/wl.X1y2Z3";
	struct diff_result r = { 0 };
	char *rows = compare_runs(&ra, &rb, NULL, &r);
	assert_string_equal(rows,
			    "process/changed//opt/wl/argv\n"
			    "file/added//tmp/d/extra.txt/open\n"
			    "file/changed//tmp/d/out.dat/written\n"
			    "net/added/127.0.0.1:<listen#2> tcp4/peer\n");
	assert_false(diff_equal(&r));
	/* the written row carries both values */
	for (uint32_t i = 0; i < r.n; i++)
		if (!strcmp(r.v[i].metric, "written")) {
			assert_int_equal(r.v[i].a, 4096);
			assert_int_equal(r.v[i].b, 8192);
		}
	free(rows);
	diff_result_free(&r);
}

static void test_thresholds(void **state)
{
	(void)state;
	struct run ra = base_run(1000), rb = base_run(2000);
	rb.written = 4300; /* +5% */
	rb.duration_ns = 24000000; /* +20%, 4 ms: under both time limits */
	struct diff_result r = { 0 };
	char *rows = compare_runs(&ra, &rb, NULL, &r);
	assert_string_equal(rows, "");
	assert_true(diff_equal(&r));
	assert_true(r.hidden >= 2);
	free(rows);
	diff_result_free(&r);

	struct diff_opts o;
	diff_opts_default(&o);
	o.threshold_pct = 1;
	rows = compare_runs(&ra, &rb, &o, &r);
	assert_string_equal(rows, "file/changed//tmp/d/out.dat/written\n");
	free(rows);
	diff_result_free(&r);

	rb.written = 4096;
	rb.duration_ns = 200000000; /* 10 times longer */
	rows = compare_runs(&ra, &rb, NULL, &r);
	assert_string_equal(rows, "time/changed/total/duration\n");
	free(rows);
	diff_result_free(&r);
}

/* A process with its first thread and two created ones, each writing
 * 1000 bytes to a pipe, but thread 2 (the second created) writes t2. */
static struct diff_side *threads_side(uint32_t pid, int64_t t2)
{
	struct diff_side *d = diff_side_new();
	assert_non_null(d);
	struct event_sink s = diff_side_sink(d);
	const char *argv[] = { "/opt/tw" };
	struct rec_header h = { .format_major = 1, .mode = REC_MODE_SPAWN, .root_pid = pid,
				.argv = argv, .argc = 1 };
	s.header(s.ctx, &h);
	feed_exec(&s, pid, 10, "/opt/tw", argv, 1);
	for (uint32_t k = 1; k <= 2; k++) {
		struct event e = ev_at(EV_SPAWN, pid, 20 + k);
		e.spawn = (struct ev_spawn){ pid + 10 * k, pid, SPAWN_THREAD, 0x3d0f00 };
		feed(&s, e);
	}
	for (uint32_t k = 0; k <= 2; k++) {
		struct event e = ev_at(EV_IO, pid, 100 + k);
		e.tid = k ? pid + 10 * k : pid;
		e.io = (struct ev_io){ IO_WRITE, { 4, FD_PIPE, 0, "pipe:[77]" }, k == 2 ? t2 : 1000,
				       NULL, 0, -1 };
		feed(&s, e);
	}
	struct event e = ev_at(EV_EXIT, pid, 1000000);
	feed(&s, e);
	struct rec_trailer t = { .end_reason = REC_END_COMPLETED, .end_ts_ns = 1000000 };
	s.trailer(s.ctx, &t);
	struct rec_integrity in = { .has_trailer = true, .events = 8 };
	s.end(s.ctx, &in);
	struct recording_read_result res = { 0 };
	diff_side_set_source(d, "t.cmp", &res);
	return d;
}

/* Threads are matched by creation order, not by thread id: only the one
 * that changed gets a row. */
static void test_threads_matched_by_creation_order(void **state)
{
	struct diff_opts o = { .threshold_pct = 10, .time_threshold_pct = 1e9 };
	struct diff_result r = { 0 };
	struct diff_side *a = threads_side(100, 1000), *b = threads_side(500, 3000);

	(void)state;
	assert_int_equal(diff_compare(a, b, &o, &r), 0);
	char *rows = rows_of(&r);
	assert_non_null(strstr(rows, "process/changed//opt/tw (thread 2)/written\n"));
	assert_null(strstr(rows, "(thread 0)"));
	assert_null(strstr(rows, "(thread 1)"));
	for (uint32_t i = 0; i < r.n; i++)
		if (strstr(r.v[i].subject, "(thread 2)"))
			assert_true(r.v[i].a == 1000 && r.v[i].b == 3000);
	free(rows);
	diff_result_free(&r);
	diff_side_free(a);
	diff_side_free(b);
}

static void test_process_matching(void **state)
{
	(void)state;
	static const char *const ca[] = { "echo a", "echo b", "rm -rf x", NULL };
	static const char *const cb[] = { "echo b", "echo a", "echo c", NULL };
	struct run ra = base_run(1000), rb = base_run(7000);
	ra.children = ca;
	rb.children = cb;
	struct diff_result r = { 0 };
	char *rows = compare_runs(&ra, &rb, NULL, &r);
	/* "echo a" and "echo b" match whatever their order and pids; "rm" is gone
	 * and "echo c" is new (same path: matched with a changed argv) */
	assert_string_equal(rows, "process/changed//bin/sh/argv\n");
	free(rows);
	diff_result_free(&r);

	static const char *const cc[] = { "echo b", "echo a", NULL };
	rb.children = cc;
	rows = compare_runs(&ra, &rb, NULL, &r);
	/* its heap is gone from the total too */
	assert_string_equal(rows, "process/removed//bin/sh -c rm -rf x/process\n"
				  "memory/changed/all processes/heap peak\n");
	free(rows);
	diff_result_free(&r);
}

static void test_exit_and_failed_open(void **state)
{
	(void)state;
	struct run ra = base_run(1000), rb = base_run(2000);
	rb.child_signal = 11;
	rb.failed_open = true;
	struct diff_result r = { 0 };
	char *rows = compare_runs(&ra, &rb, NULL, &r);
	assert_string_equal(rows, "process/changed//bin/sh -c echo a/exit\n"
				  "file/added//etc/wl.conf/failed open\n");
	for (uint32_t i = 0; i < r.n; i++) {
		if (!strcmp(r.v[i].metric, "exit")) {
			assert_string_equal(r.v[i].text_a, "exit 0");
			assert_string_equal(r.v[i].text_b, "killed by SIGSEGV");
		}
		if (!strcmp(r.v[i].metric, "failed open"))
			assert_string_equal(r.v[i].text_b, "ENOENT");
	}
	free(rows);
	diff_result_free(&r);
}

static void test_outputs(void **state)
{
	(void)state;
	struct run ra = base_run(1000), rb = base_run(2000);
	rb.more = true;
	struct diff_side *a = make_side(&ra), *b = make_side(&rb);
	struct diff_result r = { 0 };
	assert_int_equal(diff_compare(a, b, NULL, &r), 0);
	struct outbuf o;
	assert_int_equal(outbuf_init_mem(&o), 0);
	diff_print_text(&o, a, b, &r, false);
	assert_non_null(strstr(o.buf, "/tmp/d/out.dat  written: 4.0 KB → 8.0 KB (+4.0 KB, +100%)"));
	assert_non_null(strstr(o.buf, "+ /tmp/d/extra.txt  open: write (only in B)"));
	assert_non_null(strstr(o.buf, "4 differences"));
	assert_null(strstr(o.buf, "\033["));
	outbuf_reset(&o);
	diff_print_text(&o, a, b, &r, true);
	assert_non_null(strstr(o.buf, "\033[32m+"));
	outbuf_reset(&o);
	diff_print_json(&o, a, b, &r);
	assert_non_null(strstr(o.buf, "{\"equal\":false,\"threshold_pct\":10,"));
	assert_non_null(strstr(o.buf, "{\"section\":\"file\",\"change\":\"changed\","
				      "\"subject\":\"/tmp/d/out.dat\",\"metric\":\"written\","
				      "\"unit\":\"bytes\",\"a\":4096,\"b\":8192,\"pct\":100.0,"
				      "\"detail\":null}"));
	assert_non_null(strstr(o.buf, "\"shown\":4,"));
	outbuf_free(&o);
	diff_result_free(&r);
	diff_side_free(a);
	diff_side_free(b);
}

static void test_latency_percentiles(void **state)
{
	(void)state;
	/* a bucket stands for its values within 1/DIFF_LAT_SUB */
	for (uint64_t v = 1; v < (1ull << 62); v = v * 3 + 1) {
		uint64_t got = diff_lat_value(diff_lat_bucket(v));
		uint64_t err = got > v ? got - v : v - got;
		assert_true(err * DIFF_LAT_SUB <= v);
	}
	assert_true(diff_lat_bucket(UINT64_MAX) < DIFF_LAT_BUCKETS);

	struct diff_side *a = diff_side_new(), *b = diff_side_new();
	struct event_sink sa = diff_side_sink(a), sb = diff_side_sink(b);
	for (uint64_t i = 1; i <= 100; i++) {
		struct event e = ev_at(EV_SCHED, 1, i);
		e.sched.delay_ns = i * 1000000; /* 1..100 ms */
		feed(&sa, e);
		e.sched.delay_ns = i * 3000000; /* three times as long */
		feed(&sb, e);
	}
	struct rec_integrity in = { 0 };
	sa.end(sa.ctx, &in);
	sb.end(sb.ctx, &in);
	uint64_t p50 = diff_lat_percentile(&a->lat[HIST_SCHED], 50);
	assert_true(p50 > 44000000 && p50 < 57000000);
	struct diff_result r = { 0 };
	assert_int_equal(diff_compare(a, b, NULL, &r), 0);
	char *rows = rows_of(&r);
	assert_non_null(strstr(rows, "time/changed/scheduler latency/p50\n"));
	assert_non_null(strstr(rows, "time/changed/scheduler latency/p90\n"));
	assert_non_null(strstr(rows, "time/changed/scheduler latency/p99\n"));
	assert_int_equal(strlen(rows), 3 * strlen("time/changed/scheduler latency/p50\n"));
	free(rows);
	diff_result_free(&r);
	diff_side_free(a);
	diff_side_free(b);
}

/* Writes a recording with the real writer, then a copy cut in the middle. */
static void write_recording(const char *path, uint32_t pid)
{
	struct recording_writer_opts wo = { .flush_bytes = 256 };
	unlink(path);
	struct recording_writer *w = recording_writer_open(path, true, &wo);
	assert_non_null(w);
	const char *argv[] = { "/opt/wl" };
	struct rec_header h = { .format_major = 1, .argv = argv, .argc = 1, .root_pid = pid,
				.mode = REC_MODE_SPAWN };
	assert_int_equal(recording_write_header(w, &h), 0);
	struct event e = ev_at(EV_EXEC, pid, 1);
	e.exec = (struct ev_exec){ "/opt/wl", argv, 1, "wl", 0 };
	assert_int_equal(recording_write_event(w, &e), 0);
	for (int i = 0; i < 200; i++) {
		char path2[64];
		snprintf(path2, sizeof(path2), "/data/file%03d", i);
		e = ev_at(EV_OPEN, pid, 10 + (uint64_t)i);
		e.open = (struct ev_open){ path2, 0, 0, 3, false };
		assert_int_equal(recording_write_event(w, &e), 0);
	}
	e = ev_at(EV_EXIT, pid, 1000);
	assert_int_equal(recording_write_event(w, &e), 0);
	struct rec_trailer t = { .end_reason = REC_END_COMPLETED, .end_ts_ns = 1000 };
	assert_int_equal(recording_writer_close(w, &t), 0);
}

static void test_truncated_recording(void **state)
{
	(void)state;
	char pa[] = "/tmp/compendium-diff-test-XXXXXX", pb[] = "/tmp/compendium-diff-test-XXXXXX";
	int fa = mkstemp(pa), fb = mkstemp(pb);
	assert_true(fa >= 0 && fb >= 0);
	close(fa);
	close(fb);
	write_recording(pa, 100);
	write_recording(pb, 200);
	FILE *f = fopen(pb, "r+");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fclose(f);
	assert_int_equal(truncate(pb, size / 2), 0);

	char err[256];
	struct diff_side *a = diff_side_load(pa, err, sizeof(err));
	struct diff_side *b = diff_side_load(pb, err, sizeof(err));
	assert_non_null(a);
	assert_non_null(b);
	struct diff_result r = { 0 };
	assert_int_equal(diff_compare(a, b, NULL, &r), 0);
	assert_false(diff_equal(&r));
	assert_int_equal(r.v[0].section, DIFF_SEC_RECORDING);
	assert_string_equal(r.v[0].metric, "end");
	assert_string_equal(r.v[0].text_a, "complete");
	assert_string_equal(r.v[0].text_b, "truncated");
	struct outbuf o;
	assert_int_equal(outbuf_init_mem(&o), 0);
	diff_print_text(&o, a, b, &r, false);
	assert_non_null(strstr(o.buf, "B is truncated: "));
	outbuf_free(&o);
	diff_result_free(&r);

	/* the same recording against itself: equal */
	assert_int_equal(diff_compare(a, a, NULL, &r), 0);
	assert_true(diff_equal(&r));
	diff_result_free(&r);
	diff_side_free(a);
	diff_side_free(b);

	/* not a recording: an error, not a side */
	f = fopen(pa, "w");
	fputs("hello\n", f);
	fclose(f);
	assert_null(diff_side_load(pa, err, sizeof(err)));
	assert_null(diff_side_load("/nonexistent/x.cmp", err, sizeof(err)));
	unlink(pa);
	unlink(pb);
}

/*
 * The argv kept per process is bounded (DIFF_NORM_MAX bytes in all): 256
 * long arguments per exec, in thousands of processes, used to keep 1 MiB
 * per process. Two sides with the same long command still compare equal.
 */
static void test_exec_argv_bounded(void **state)
{
	(void)state;
	char *big = malloc(EVENT_MAX_STRING + 1);
	assert_non_null(big);
	memset(big, 'b', EVENT_MAX_STRING);
	big[EVENT_MAX_STRING] = 0;
	const char *argv[EVENT_MAX_ARGV];
	for (int i = 0; i < EVENT_MAX_ARGV; i++)
		argv[i] = big;
	struct diff_side *sides[2];
	for (int k = 0; k < 2; k++) {
		struct diff_side *d = sides[k] = diff_side_new();
		assert_non_null(d);
		struct event_sink s = diff_side_sink(d);
		struct rec_header h = { .format_major = 1, .mode = REC_MODE_SPAWN, .root_pid = 100,
					.argv = argv, .argc = 1 };
		s.header(s.ctx, &h);
		for (uint32_t pid = 100; pid < 132; pid++)
			feed_exec(&s, pid, 10 + pid, big, argv, EVENT_MAX_ARGV);
		assert_int_equal(d->nprocs, 32);
		for (uint32_t i = 0; i < d->nprocs; i++) {
			size_t total = 0;
			for (uint32_t a = 0; a < d->procs[i].argc; a++)
				total += strlen(d->procs[i].argv[a]);
			assert_true(d->procs[i].argc >= 1);
			assert_true(total <= DIFF_NORM_MAX);
		}
	}
	struct diff_opts o;
	diff_opts_default(&o);
	struct diff_result r = { 0 };
	assert_int_equal(diff_compare(sides[0], sides[1], &o, &r), 0);
	assert_true(diff_equal(&r));
	diff_result_free(&r);
	diff_side_free(sides[0]);
	diff_side_free(sides[1]);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_norm_proc),
		cmocka_unit_test(test_norm_temp),
		cmocka_unit_test(test_norm_inode_pts),
		cmocka_unit_test(test_norm_addr),
		cmocka_unit_test(test_norm_bounds),
		cmocka_unit_test(test_same_program_equal),
		cmocka_unit_test(test_flagged_run),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_process_matching),
		cmocka_unit_test(test_threads_matched_by_creation_order),
		cmocka_unit_test(test_exit_and_failed_open),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_latency_percentiles),
		cmocka_unit_test(test_truncated_recording),
		cmocka_unit_test(test_exec_argv_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

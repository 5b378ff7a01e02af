/* test_json.c - the `show --json` sink: golden lines for synthetic records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <time.h>

#include "replay/json.h"

static struct outbuf ob;
static struct json_sink js;
static struct event_sink sink;

static int setup(void **state)
{
	(void)state;
	outbuf_init_mem(&ob);
	js.out = &ob;
	sink = json_sink(&js);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	outbuf_free(&ob);
	return 0;
}

static const char *one(const struct event *ev)
{
	outbuf_reset(&ob);
	sink.event(sink.ctx, ev);
	return ob.buf;
}

static struct event base(enum event_kind k, int sysno)
{
	return (struct event){ .kind = k, .ts_ns = 1500, .dur_ns = sysno >= 0 ? 20 : 0,
			       .pid = 100, .tid = 101, .sysno = sysno };
}

static void test_open(void **state)
{
	(void)state;
	struct event ev = base(EV_OPEN, 257);
	ev.open = (struct ev_open){ .path = "/etc/x\x1b\xff", .flags = O_RDONLY | O_CLOEXEC,
				    .fd = 3 };
	assert_string_equal(one(&ev),
		"{\"type\":\"open\",\"ts_ns\":1500,\"pid\":100,\"tid\":101,\"dur_ns\":20,"
		"\"syscall\":\"openat\",\"path\":\"/etc/x\\u001b\\udcff\",\"flags\":524288,"
		"\"access\":\"read\",\"mode\":0,\"fd\":3,\"created\":false}\n");
	ev.err = 2;
	ev.open.fd = -1;
	ev.open.path = "/nope";
	ev.open.flags = O_WRONLY | O_CREAT;
	assert_string_equal(one(&ev),
		"{\"type\":\"open\",\"ts_ns\":1500,\"pid\":100,\"tid\":101,\"dur_ns\":20,"
		"\"syscall\":\"openat\",\"errno\":\"ENOENT\",\"path\":\"/nope\",\"flags\":65,"
		"\"access\":\"write\",\"mode\":0,\"fd\":-1,\"created\":false}\n");
}

static void test_exec_exit(void **state)
{
	(void)state;
	const char *argv[] = { "ls", "-l", "a\"b" };
	struct event ev = base(EV_EXEC, 59);
	ev.exec = (struct ev_exec){ .path = "/usr/bin/ls", .argv = argv, .argc = 3,
				    .comm = "ls" };
	assert_string_equal(one(&ev),
		"{\"type\":\"exec\",\"ts_ns\":1500,\"pid\":100,\"tid\":101,\"dur_ns\":20,"
		"\"syscall\":\"execve\",\"path\":\"/usr/bin/ls\",\"argv\":[\"ls\",\"-l\","
		"\"a\\\"b\"],\"comm\":\"ls\"}\n");
	ev = base(EV_EXIT, -1);
	ev.exit.code = 3;
	assert_string_equal(one(&ev),
		"{\"type\":\"exit\",\"ts_ns\":1500,\"pid\":100,\"tid\":101,\"exit_code\":3,"
		"\"core_dumped\":false,\"thread\":false}\n");
	ev.exit = (struct ev_exit){ .signal = 9 };
	assert_string_equal(one(&ev),
		"{\"type\":\"exit\",\"ts_ns\":1500,\"pid\":100,\"tid\":101,\"signal\":\"SIGKILL\","
		"\"core_dumped\":false,\"thread\":false}\n");
}

static void test_io_net(void **state)
{
	(void)state;
	struct event ev = base(EV_IO, 44);
	ev.io = (struct ev_io){ .op = IO_SEND, .fd = { 4, FD_SOCKET, PROTO_TCP4, "1.2.3.4:443" },
				.bytes = 517, .offset = -1 };
	assert_string_equal(one(&ev),
		"{\"type\":\"io\",\"ts_ns\":1500,\"pid\":100,\"tid\":101,\"dur_ns\":20,"
		"\"syscall\":\"sendto\",\"op\":\"send\",\"fd\":4,\"fd_kind\":\"socket\","
		"\"peer\":\"1.2.3.4:443\",\"proto\":\"tcp4\",\"bytes\":517}\n");
	ev = base(EV_CONNECT, 42);
	ev.err = 115;
	ev.connect = (struct ev_addr){ .fd = 4, .proto = PROTO_TCP6, .addr = "[::1]:443" };
	assert_string_equal(one(&ev),
		"{\"type\":\"connect\",\"ts_ns\":1500,\"pid\":100,\"tid\":101,\"dur_ns\":20,"
		"\"syscall\":\"connect\",\"errno\":\"EINPROGRESS\",\"fd\":4,\"proto\":\"tcp6\","
		"\"addr\":\"[::1]:443\"}\n");
	ev = base(EV_IO, 0);
	ev.flags = EVENT_F_SEEDED;
	ev.io = (struct ev_io){ .op = IO_READ, .fd = { 0, FD_FILE, 0, NULL }, .bytes = 0,
				.count = 2, .offset = 10 };
	assert_string_equal(one(&ev),
		"{\"type\":\"io\",\"ts_ns\":1500,\"pid\":100,\"tid\":101,\"dur_ns\":20,"
		"\"syscall\":\"read\",\"seeded\":true,\"op\":\"read\",\"fd\":0,"
		"\"fd_kind\":\"file\",\"bytes\":0,\"count\":2,\"offset\":10}\n");
}

static void test_mem(void **state)
{
	(void)state;
	struct event ev = base(EV_MMAP, 9);
	ev.mmap = (struct ev_mmap){ .addr = 0x7f0000000000ull, .len = 8192, .prot = 3,
				    .flags = 0x22, .fd = -1 };
	assert_string_equal(one(&ev),
		"{\"type\":\"mmap\",\"ts_ns\":1500,\"pid\":100,\"tid\":101,\"dur_ns\":20,"
		"\"syscall\":\"mmap\",\"addr\":139637976727552,\"len\":8192,\"prot\":3,"
		"\"flags\":34,\"fd\":-1,\"offset\":0}\n");
	uint64_t b[3] = { 1, 0, 7 };
	ev = base(EV_HIST, -1);
	ev.hist = (struct ev_hist){ .kind = HIST_BLOCK, .nbuckets = 3, .buckets = b, .unit = "us" };
	assert_string_equal(one(&ev),
		"{\"type\":\"hist\",\"ts_ns\":1500,\"pid\":100,\"tid\":101,\"kind\":\"block\","
		"\"unit\":\"us\",\"buckets\":[1,0,7]}\n");
}

static void test_header_trailer_end(void **state)
{
	(void)state;
	const char *argv[] = { "/bin/true" };
	struct rec_header h = { .tool_version = "0.1.0", .format_major = 1, .argv = argv,
				.argc = 1, .hostname = "h", .arch = "x86_64",
				.page_size = 4096, .mode = REC_MODE_SPAWN, .root_pid = 7,
				.noptions = 1, .nsources = 1 };
	h.options[0] = (struct rec_option){ "faults", "1" };
	h.sources[0] = (struct rec_source){ "perf-faults", false, "perf_event_paranoid" };
	outbuf_reset(&ob);
	sink.header(sink.ctx, &h);
	assert_string_equal(ob.buf,
		"{\"type\":\"header\",\"tool_version\":\"0.1.0\",\"format_major\":1,"
		"\"format_minor\":0,\"argv\":[\"/bin/true\"],\"start_wall_ns\":0,"
		"\"monotonic_base_ns\":0,\"hostname\":\"h\",\"arch\":\"x86_64\","
		"\"page_size\":4096,\"mode\":\"spawn\",\"root_pid\":7,"
		"\"options\":[{\"name\":\"faults\",\"value\":\"1\"}],"
		"\"sources\":[{\"name\":\"perf-faults\",\"active\":false,"
		"\"reason\":\"perf_event_paranoid\"}],\"recorder_argv\":[]}\n");
	struct rec_trailer t = { .end_reason = REC_END_KILLED, .exit_signal = 9,
				 .end_ts_ns = 99, .event_count = 5, .nlosses = 1 };
	t.losses[0] = (struct rec_loss){ "perf", 3, "overflow" };
	outbuf_reset(&ob);
	sink.trailer(sink.ctx, &t);
	assert_string_equal(ob.buf,
		"{\"type\":\"trailer\",\"end_reason\":\"killed\",\"exit_signal\":\"SIGKILL\","
		"\"core_dumped\":false,\"end_ts_ns\":99,\"event_count\":5,"
		"\"losses\":[{\"source\":\"perf\",\"count\":3,\"reason\":\"overflow\"}]}\n");
	struct rec_integrity in = { .truncated = true, .events = 5 };
	outbuf_reset(&ob);
	sink.end(sink.ctx, &in);
	assert_string_equal(ob.buf,
		"{\"type\":\"end\",\"truncated\":true,\"has_trailer\":false,\"events\":5,"
		"\"corrupt_frames\":0,\"skipped_bytes\":0}\n");
}

/* Every kind produces a line; garbage counts are bounded. */
static void test_every_kind(void **state)
{
	(void)state;
	for (int k = 0; k <= EV__COUNT; k++) {
		struct event ev = base((enum event_kind)k, -1);
		if (k == EV_HIST)
			ev.hist.nbuckets = 1000; /* NULL buckets, absurd count */
		if (k == EV_SYSCALL)
			ev.syscall.nargs = 1000;
		const char *s = one(&ev);
		assert_true(s[0] == '{');
		assert_true(s[strlen(s) - 2] == '}');
	}
}

/* Throughput of the sink on a syscall storm, for the record. */
static void test_speed(void **state)
{
	(void)state;
	struct event ev = base(EV_IO, 0);
	ev.io = (struct ev_io){ .op = IO_READ, .fd = { 3, FD_FILE, 0, "/tmp/data.bin" },
				.bytes = 4096, .offset = -1 };
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	const int n = 1000000;
	for (int i = 0; i < n; i++) {
		ev.ts_ns += 1000;
		if (ob.len > (1u << 20))
			outbuf_reset(&ob);
		sink.event(sink.ctx, &ev);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("json sink: %.1f M events/s\n", n / s / 1e6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_exec_exit),
		cmocka_unit_test(test_io_net),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_header_trailer_end),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_speed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

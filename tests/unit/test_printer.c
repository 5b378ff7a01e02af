/* test_printer.c - the terminal printer: golden lines for synthetic events. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "replay/printer.h"

static struct outbuf ob;

struct run {
	struct printer *p;
	struct event_sink s;
};

static struct run start(const struct printer_opts *o, uint32_t root)
{
	struct run r;
	outbuf_reset(&ob);
	r.p = printer_new(&ob, o);
	r.s = printer_sink(r.p);
	const char *argv[] = { "curl", "-s", "https://example.com" };
	struct rec_header h = { .argv = argv, .argc = 3, .mode = REC_MODE_SPAWN,
				.root_pid = root };
	r.s.header(r.s.ctx, &h);
	return r;
}

static const char *finish(struct run *r)
{
	struct rec_integrity in = { 0 };
	r->s.end(r->s.ctx, &in);
	printer_free(r->p);
	outbuf_flush(&ob);
	return ob.buf;
}

static struct event ev_(enum event_kind k, uint64_t ts_ms, uint32_t tid, int sysno)
{
	return (struct event){ .kind = k, .ts_ns = ts_ms * 1000000, .pid = tid, .tid = tid,
			       .sysno = sysno, .dur_ns = 1500 };
}

static void put(struct run *r, struct event e)
{
	r->s.event(r->s.ctx, &e);
}

static void test_seed_example(void **state)
{
	(void)state;
	struct printer_opts o = { 0 };
	struct run r = start(&o, 100);
	struct event e = ev_(EV_EXEC, 0, 100, 59);
	const char *argv[] = { "curl" };
	e.exec = (struct ev_exec){ .path = "/usr/bin/curl", .argv = argv, .argc = 1, .comm = "curl" };
	put(&r, e);
	e = ev_(EV_MMAP, 2, 100, 9);
	e.mmap = (struct ev_mmap){ .addr = 0x7f8a12345000ull, .len = 8192, .prot = PROT_READ | PROT_WRITE,
				   .flags = MAP_PRIVATE | MAP_ANONYMOUS, .fd = -1 };
	put(&r, e);
	e = ev_(EV_MMAP, 2, 100, 9); /* a shared library: noise */
	e.mmap = (struct ev_mmap){ .addr = 0x7f0000000000ull, .len = 8192, .prot = PROT_READ,
				   .fd = 3, .path = "/usr/lib/x86_64-linux-gnu/libc.so.6" };
	put(&r, e);
	e = ev_(EV_OPEN, 3, 100, 257);
	e.open = (struct ev_open){ .path = "/etc/resolv.conf", .flags = O_RDONLY | O_CLOEXEC, .fd = 3 };
	put(&r, e);
	e = ev_(EV_OPEN, 3, 100, 257); /* /proc: noise */
	e.open = (struct ev_open){ .path = "/proc/self/maps", .flags = O_RDONLY, .fd = 4 };
	put(&r, e);
	e = ev_(EV_CONNECT, 15, 100, 42);
	e.err = 115;
	e.connect = (struct ev_addr){ .fd = 5, .proto = PROTO_TCP4, .addr = "93.184.216.34:443" };
	put(&r, e);
	e = ev_(EV_CONNECT, 15, 100, 42); /* localhost: noise */
	e.connect = (struct ev_addr){ .fd = 6, .proto = PROTO_UDP4, .addr = "127.0.0.53:53" };
	put(&r, e);
	e = ev_(EV_IO, 156, 100, 44);
	e.io = (struct ev_io){ .op = IO_SEND, .fd = { 5, FD_SOCKET, PROTO_TCP4, "93.184.216.34:443" },
			       .bytes = 517, .offset = -1 };
	put(&r, e);
	e = ev_(EV_IO, 234, 100, 45);
	e.io = (struct ev_io){ .op = IO_RECV, .fd = { 5, FD_SOCKET, PROTO_TCP4, "93.184.216.34:443" },
			       .bytes = 1434, .offset = -1 };
	put(&r, e);
	e = ev_(EV_BRK, 240, 100, 12);
	e.brk = (struct ev_brk){ .old_brk = 0x1000000, .new_brk = 0x1000000 + 132 * 1024 };
	put(&r, e);
	e = ev_(EV_EXIT, 340, 100, -1);
	put(&r, e);
	assert_string_equal(finish(&r),
		"compendium: tracing curl -s https://example.com\n"
		"[+0.000s] ─── curl exec ───\n"
		"[+0.002s] mmap 7f8a12345000-7f8a12347000 rw-   8.0 KB anon\n"
		"[+0.003s] open /etc/resolv.conf (read)\n"
		"[+0.015s] connect tcp4 → 93.184.216.34:443\n"
		"[+0.156s] send    517 B → 93.184.216.34:443\n"
		"[+0.234s] recv   1.4 KB ← 93.184.216.34:443\n"
		"[+0.240s] brk +132.0 KB\n"
		"[+0.340s] exit 0\n");
}

/* The kernel maps whole pages: a 53,072-byte mmap is 13 pages, 52.0 KB. */
static void test_mappings_in_whole_pages(void **state)
{
	(void)state;
	struct printer_opts o = { 0 };
	struct run r = start(&o, 100);
	struct event e = ev_(EV_MMAP, 1, 100, 9);
	e.mmap = (struct ev_mmap){ .addr = 0x7f47988d5000ull, .len = 53072,
				   .prot = PROT_READ | PROT_WRITE, .fd = -1 };
	put(&r, e);
	e = ev_(EV_MUNMAP, 2, 100, 11);
	e.munmap = (struct ev_range){ .addr = 0x7f47988e2000ull, .len = 43303 };
	put(&r, e);
	assert_string_equal(finish(&r),
		"compendium: tracing curl -s https://example.com\n"
		"[+0.001s] mmap 7f47988d5000-7f47988e2000 rw-  52.0 KB anon\n"
		"[+0.002s] munmap 7f47988e2000-7f47988ed000  44.0 KB\n");
}

static void test_all_shows_noise(void **state)
{
	(void)state;
	struct printer_opts o = { .all = true };
	struct run r = start(&o, 100);
	struct event e = ev_(EV_OPEN, 3, 100, 257);
	e.open = (struct ev_open){ .path = "/proc/self/maps", .flags = O_RDONLY, .fd = 4 };
	put(&r, e);
	e = ev_(EV_OPEN, 4, 100, 257);
	e.err = 2;
	e.open = (struct ev_open){ .path = "/etc/ld.so.preload", .flags = O_RDONLY, .fd = -1 };
	put(&r, e);
	assert_string_equal(finish(&r),
		"compendium: tracing curl -s https://example.com\n"
		"[+0.003s] open /proc/self/maps (read)\n"
		"[+0.004s] open /etc/ld.so.preload (read) ENOENT\n");
}

static void test_fold_and_pid_tag(void **state)
{
	(void)state;
	struct printer_opts o = { 0 };
	struct run r = start(&o, 100);
	struct event e;
	for (int i = 0; i < 250; i++) {
		e = ev_(EV_IO, 10 + i, 100, 0);
		e.io = (struct ev_io){ .op = IO_READ, .fd = { 3, FD_FILE, 0, "/tmp/data.bin" },
				       .bytes = 4096, .offset = -1 };
		put(&r, e);
	}
	e = ev_(EV_IO, 300, 100, 0);
	e.io = (struct ev_io){ .op = IO_READ, .fd = { 3, FD_FILE, 0, "/tmp/data.bin" },
			       .bytes = 100, .offset = -1 };
	put(&r, e);
	e = ev_(EV_IO, 301, 100, 0); /* EOF read: verbose only */
	e.io = (struct ev_io){ .op = IO_READ, .fd = { 3, FD_FILE, 0, "/tmp/data.bin" },
			       .bytes = 0, .offset = -1 };
	put(&r, e);
	e = ev_(EV_SPAWN, 302, 100, 56);
	e.spawn = (struct ev_spawn){ .child_tid = 101, .child_pid = 101, .kind = SPAWN_PROCESS };
	put(&r, e);
	e = ev_(EV_IO, 303, 101, 1);
	e.io = (struct ev_io){ .op = IO_WRITE, .fd = { 1, FD_PIPE, 0, "pipe:[77]" },
			       .bytes = 12, .offset = -1 };
	put(&r, e);
	e = ev_(EV_EXIT, 304, 101, -1);
	e.exit.signal = 9;
	put(&r, e);
	assert_string_equal(finish(&r),
		"compendium: tracing curl -s https://example.com\n"
		"[+0.010s] read   4.0 KB ×250 from /tmp/data.bin\n"
		"[+0.300s] read    100 B from /tmp/data.bin\n"
		"[+0.302s] [100] spawn process 101\n"
		"[+0.303s] [101] write     12 B to pipe:[77]\n"
		"[+0.304s] [101] exit killed by SIGKILL\n");
}

static void test_escaping(void **state)
{
	(void)state;
	struct printer_opts o = { 0 };
	struct run r = start(&o, 100);
	struct event e = ev_(EV_OPEN, 1, 100, 257);
	e.open = (struct ev_open){ .path = "/tmp/\x1b[31mred\nline\xff", .flags = O_WRONLY | O_CREAT,
				   .fd = 3, .created = true };
	put(&r, e);
	assert_string_equal(finish(&r),
		"compendium: tracing curl -s https://example.com\n"
		"[+0.001s] open /tmp/\\x1b[31mred\\nline\\xff (write, created)\n");
}

static void test_verbose(void **state)
{
	(void)state;
	struct printer_opts o = { .verbose = true };
	struct run r = start(&o, 100);
	struct event e = ev_(EV_OPEN, 1, 100, 257);
	e.open = (struct ev_open){ .path = "/etc/passwd", .flags = O_RDONLY | O_CLOEXEC, .fd = 3 };
	put(&r, e);
	for (int i = 0; i < 2; i++) {
		e = ev_(EV_IO, 2, 100, 0);
		e.io = (struct ev_io){ .op = IO_READ, .fd = { 3, FD_FILE, 0, "/etc/passwd" },
				       .bytes = 4096, .offset = -1 };
		put(&r, e);
	}
	e = ev_(EV_CLOSE, 3, 100, 3);
	e.close = (struct ev_close){ .fd = { 3, FD_FILE, 0, "/etc/passwd" }, .last_fd = 3 };
	put(&r, e);
	assert_string_equal(finish(&r),
		"compendium: tracing curl -s https://example.com\n"
		"[+0.001s] open /etc/passwd (read) O_RDONLY|O_CLOEXEC  [openat = 3, 1 µs]\n"
		"[+0.002s] read   4.0 KB from /etc/passwd  [read = 4096, 1 µs]\n"
		"[+0.002s] read   4.0 KB from /etc/passwd  [read = 4096, 1 µs]\n"
		"[+0.003s] close 3 /etc/passwd  [close = 0, 1 µs]\n");
}

static void test_only_pid_color(void **state)
{
	(void)state;
	char bad[64];
	uint32_t mask;
	assert_int_equal(printer_parse_only("net,proc", &mask, bad), 0);
	assert_int_equal(mask, PCAT_NET | PCAT_PROC);
	assert_int_equal(printer_parse_only("net,bogus", &mask, bad), -1);
	assert_string_equal(bad, "bogus");

	struct printer_opts o = { .only = PCAT_NET, .has_pid = true, .pid = 100, .color = true };
	struct run r = start(&o, 100);
	struct event e = ev_(EV_OPEN, 1, 100, 257);
	e.open = (struct ev_open){ .path = "/etc/passwd", .fd = 3 };
	put(&r, e);
	e = ev_(EV_CONNECT, 2, 200, 42);
	e.connect = (struct ev_addr){ .fd = 5, .proto = PROTO_TCP4, .addr = "10.0.0.1:80" };
	put(&r, e);
	e = ev_(EV_CONNECT, 3, 100, 42);
	e.err = 111;
	e.connect = (struct ev_addr){ .fd = 5, .proto = PROTO_TCP4, .addr = "10.0.0.1:81" };
	put(&r, e);
	assert_string_equal(finish(&r),
		"\033[1mcompendium: tracing curl -s https://example.com\033[0m\n"
		"\033[2m[+0.003s] [100] \033[0m\033[31mconnect tcp4 → 10.0.0.1:81 ECONNREFUSED\033[0m\n");
}

/* A header naming the late sources, as a --faults --ebpf recording has. */
static struct run start_late(const struct printer_opts *o, uint32_t root)
{
	struct run r;
	outbuf_reset(&ob);
	r.p = printer_new(&ob, o);
	r.s = printer_sink(r.p);
	const char *argv[] = { "w" };
	struct rec_header h = { .argv = argv, .argc = 1, .mode = REC_MODE_SPAWN, .root_pid = root,
				.nsources = 3,
				.sources = { { "ptrace", true, NULL }, { "perf-faults", true, NULL },
					     { "ebpf-sched", true, NULL } } };
	r.s.header(r.s.ctx, &h);
	return r;
}

static void faults_at(struct run *r, uint64_t ts_ms, uint32_t tid, uint64_t addr, int n)
{
	for (int i = 0; i < n; i++) {
		struct event e = ev_(EV_FAULT, ts_ms, tid, -1);
		e.fault = (struct ev_fault){ .addr = addr + 4096u * (unsigned)i, .ip = 0x401000 };
		put(r, e);
	}
}

static void test_fold_faults_block_sched(void **state)
{
	(void)state;
	struct printer_opts o = { 0 };
	struct run r = start(&o, 100);
	struct event e;
	faults_at(&r, 1, 100, 0x7f0000000000ull, 37); /* no recorded map: other */
	for (int i = 0; i < 4; i++) {
		e = ev_(EV_BLOCK, 2, 100, -1);
		e.dur_ns = 1000000 * (uint64_t)(i + 1);
		e.block = (struct ev_block){ .bytes = 4096, .write = true };
		put(&r, e);
	}
	e = ev_(EV_BLOCK, 2, 100, -1);
	e.dur_ns = 50000;
	e.block = (struct ev_block){ .bytes = 8192, .write = true, .writeback = true };
	put(&r, e);
	e = ev_(EV_SCHED, 3, 100, -1);
	e.sched = (struct ev_sched){ .delay_ns = 1234567, .cpu = 2 };
	put(&r, e);
	e = ev_(EV_SCHED, 3, 100, -1); /* under 100 µs: -v only */
	e.sched = (struct ev_sched){ .delay_ns = 99999, .cpu = 1 };
	put(&r, e);
	e = ev_(EV_LOSS, 4, 100, -1);
	e.loss = (struct ev_loss){ .source = "perf", .count = 12, .reason = "ring full" };
	put(&r, e);
	assert_string_equal(finish(&r),
		"compendium: tracing curl -s https://example.com\n"
		"[+0.001s] 37 faults in other @ 7f0000000000\n"
		"[+0.002s] block write   4.0 KB ×4 (avg 2.5 ms, max 4.0 ms)\n"
		/* a block group ends at the task's next non-I/O line: a sched
		 * line does not end it */
		"[+0.003s] sched delay 1.2 ms cpu 2\n"
		"[+0.002s] block writeback   8.0 KB (50 µs)\n"
		"[+0.004s] lost 12 events (perf: ring full)\n");
}

/* Faults are grouped by region of the recorded map; small groups hidden. */
static void test_fault_regions(void **state)
{
	(void)state;
	struct printer_opts o = { 0 };
	struct run r = start(&o, 100);
	const char *argv[] = { "w" };
	struct event e = ev_(EV_EXEC, 0, 100, 59);
	e.exec = (struct ev_exec){ .path = "/opt/w", .argv = argv, .argc = 1, .comm = "w" };
	put(&r, e);
	e = ev_(EV_BRK, 0, 100, 12);
	e.brk = (struct ev_brk){ .old_brk = 0, .new_brk = 0x55d0c3a00000ull };
	put(&r, e);
	e.brk = (struct ev_brk){ .old_brk = 0x55d0c3a00000ull, .new_brk = 0x55d0c3b00000ull };
	put(&r, e);
	e = ev_(EV_MMAP, 0, 100, 9);
	e.mmap = (struct ev_mmap){ .addr = 0x7f1000000000ull, .len = 1 << 20,
				   .prot = PROT_READ | PROT_WRITE,
				   .flags = MAP_PRIVATE | MAP_ANONYMOUS, .fd = -1 };
	put(&r, e);
	e.mmap = (struct ev_mmap){ .addr = 0x7f2000000000ull, .len = 1 << 20,
				   .prot = PROT_READ | PROT_EXEC, .flags = MAP_PRIVATE, .fd = 3,
				   .path = "/opt/data.bin" };
	put(&r, e);
	e.mmap = (struct ev_mmap){ .addr = 0x7f3000000000ull, .len = 1 << 20,
				   .prot = PROT_READ, .flags = MAP_PRIVATE, .fd = 3,
				   .path = "/usr/lib/libc.so.6" };
	put(&r, e);
	faults_at(&r, 1, 100, 0x55d0c3a00000ull, 256);   /* heap: all of it */
	faults_at(&r, 2, 100, 0x7f1000000000ull, 10);    /* anon */
	faults_at(&r, 2, 100, 0x55d0c3a00000ull, 3);     /* heap: too few */
	faults_at(&r, 2, 100, 0x7f1000000000ull + 40960, 10); /* anon again */
	faults_at(&r, 3, 100, 0x7f2000000000ull, 9);     /* file */
	faults_at(&r, 3, 100, 0x7f3000000000ull, 9);     /* a shared library: noise */
	faults_at(&r, 4, 100, 0x400000, 8);              /* below the heap: the program */
	faults_at(&r, 5, 100, 0x7ffd56000000ull, 8);     /* far above the maps: stack */
	assert_string_equal(finish(&r),
		"compendium: tracing curl -s https://example.com\n"
		"[+0.000s] ─── w exec ───\n"
		"[+0.000s] brk +1.0 MB\n"
		"[+0.000s] mmap 7f1000000000-7f1000100000 rw-   1.0 MB anon\n"
		"[+0.000s] mmap 7f2000000000-7f2000100000 r-x   1.0 MB /opt/data.bin\n"
		"[+0.001s] 256 faults in heap @ 55d0c3a00000 (rw-)\n"
		"[+0.002s] 10 faults in anon 7f1000000000-7f1000100000 (rw-)\n"
		"[+0.002s] 10 faults in anon 7f1000000000-7f1000100000 (rw-)\n"
		"[+0.003s] 9 faults in /opt/data.bin (r-x)\n"
		"[+0.004s] 8 faults in /opt/w\n"
		"[+0.005s] 8 faults in stack\n");
}

/* Lines of late sources are put back in time order; folding still works. */
static void test_time_order(void **state)
{
	(void)state;
	struct printer_opts o = { 0 };
	struct run r = start_late(&o, 100);
	struct event e;
	for (int i = 0; i < 5; i++) {
		e = ev_(EV_IO, 10 + (uint64_t)i, 100, 0);
		e.io = (struct ev_io){ .op = IO_READ, .fd = { 3, FD_FILE, 0, "/tmp/d" },
				       .bytes = 4096, .offset = -1 };
		put(&r, e);
	}
	e = ev_(EV_OPEN, 50, 100, 257);
	e.open = (struct ev_open){ .path = "/etc/hosts", .flags = O_RDONLY, .fd = 4 };
	put(&r, e);
	/* arrive late, batched: a sched delay at 20 ms and faults at 30 ms */
	e = ev_(EV_SCHED, 20, 100, -1);
	e.sched = (struct ev_sched){ .delay_ns = 200000, .cpu = 0 };
	put(&r, e);
	faults_at(&r, 30, 100, 0x7f0000000000ull, 8);
	/* and one later than the 250 ms window: printed when it comes */
	e = ev_(EV_OPEN, 400, 100, 257);
	e.open = (struct ev_open){ .path = "/etc/passwd", .flags = O_RDONLY, .fd = 5 };
	put(&r, e);
	e = ev_(EV_SCHED, 60, 100, -1);
	e.sched = (struct ev_sched){ .delay_ns = 300000, .cpu = 0 };
	put(&r, e);
	assert_string_equal(finish(&r),
		"compendium: tracing w\n"
		"[+0.010s] read   4.0 KB ×5 from /tmp/d\n"
		"[+0.020s] sched delay 200 µs cpu 0\n"
		"[+0.030s] 8 faults in other @ 7f0000000000\n"
		"[+0.050s] open /etc/hosts (read)\n"
		"[+0.060s] sched delay 300 µs cpu 0\n"
		"[+0.400s] open /etc/passwd (read)\n");
}

/* A PATH search: failed execs before a successful one are hidden. */
static void test_exec_search(void **state)
{
	(void)state;
	const char *argv[] = { "ls" };
	struct printer_opts o = { 0 };
	for (int verbose = 0; verbose < 2; verbose++) {
		o.verbose = verbose;
		struct run r = start(&o, 100);
		struct event e;
		static const char *const dirs[] = { "/usr/local/bin/ls", "/usr/bin/ls", "/bin/ls" };
		for (int i = 0; i < 3; i++) {
			e = ev_(EV_EXEC, 1, 100, 59);
			e.exec = (struct ev_exec){ .path = dirs[i], .argv = argv, .argc = 1 };
			e.err = i < 2 ? 2 : 0;
			if (!e.err)
				e.exec.comm = "ls";
			put(&r, e);
		}
		/* a search that fails in the end: one line */
		for (int i = 0; i < 3; i++) {
			e = ev_(EV_EXEC, 2, 100, 59);
			e.exec = (struct ev_exec){ .path = "/x/nope", .argv = argv, .argc = 1 };
			e.err = 2;
			put(&r, e);
		}
		e = ev_(EV_EXIT, 3, 100, -1);
		e.exit.code = 127;
		put(&r, e);
		const char *out = finish(&r);
		if (!verbose) {
			assert_string_equal(out,
				"compendium: tracing curl -s https://example.com\n"
				"[+0.001s] ─── ls exec ───\n"
				"[+0.002s] ─── nope exec ─── ENOENT ×3\n"
				"[+0.003s] exit 127\n");
		} else {
			assert_non_null(strstr(out, "─── ls exec ─── /usr/local/bin/ls ls  [execve = -1 ENOENT"));
			assert_non_null(strstr(out, "─── ls exec ─── /usr/bin/ls ls  [execve = -1 ENOENT"));
		}
	}
}

static int setup(void **state)
{
	(void)state;
	return outbuf_init_mem(&ob);
}

static int teardown(void **state)
{
	(void)state;
	outbuf_free(&ob);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_example),
		cmocka_unit_test(test_mappings_in_whole_pages),
		cmocka_unit_test(test_all_shows_noise),
		cmocka_unit_test(test_fold_and_pid_tag),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_verbose),
		cmocka_unit_test(test_only_pid_color),
		cmocka_unit_test(test_fold_faults_block_sched),
		cmocka_unit_test(test_fault_regions),
		cmocka_unit_test(test_time_order),
		cmocka_unit_test(test_exec_search),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

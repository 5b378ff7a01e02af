/* test_summary.c - the summary model and its FINAL rendering. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "replay/final.h"
#include "replay/summary.h"

static struct event ev_(enum event_kind k, uint64_t ts_ms, uint32_t pid, int sysno)
{
	return (struct event){ .kind = k, .ts_ns = ts_ms * 1000000, .pid = pid, .tid = pid,
			       .sysno = sysno };
}

static struct summary *fresh(void)
{
	struct summary *s = summary_new();
	const char *argv[] = { "curl", "-s", "https://example.com" };
	struct rec_header h = { .argv = argv, .argc = 3, .mode = REC_MODE_SPAWN, .root_pid = 100 };
	summary_add_header(s, &h);
	return s;
}

static void io(struct summary *s, uint32_t pid, uint8_t op, uint8_t kind, const char *name,
	       int64_t bytes)
{
	struct event e = ev_(EV_IO, 1, pid, 0);
	e.io = (struct ev_io){ .op = op, .fd = { 3, kind, kind == FD_SOCKET ? PROTO_TCP4 : 0, name },
			       .bytes = bytes, .offset = -1 };
	summary_add_event(s, &e);
}

static void test_io_files_peers(void **state)
{
	(void)state;
	struct summary *s = fresh();
	struct event e = ev_(EV_OPEN, 1, 100, 257);
	e.open = (struct ev_open){ .path = "/etc/resolv.conf", .flags = O_RDONLY, .fd = 3 };
	summary_add_event(s, &e);
	e.open = (struct ev_open){ .path = "/tmp/out", .flags = O_RDWR | O_CREAT, .fd = 4 };
	summary_add_event(s, &e);
	e.err = 2;
	e.open = (struct ev_open){ .path = "/nope", .flags = O_RDONLY, .fd = -1 };
	summary_add_event(s, &e);
	io(s, 100, IO_READ, FD_FILE, "/etc/resolv.conf", 1000);
	io(s, 100, IO_READ, FD_FILE, "/etc/resolv.conf", 24);
	io(s, 100, IO_WRITE, FD_FILE, "/tmp/out", 5000);
	io(s, 100, IO_SEND, FD_SOCKET, "93.184.216.34:443", 517);
	io(s, 100, IO_RECV, FD_SOCKET, "93.184.216.34:443", 2662);
	io(s, 100, IO_WRITE, FD_PIPE, "pipe:[1]", 10);
	e = ev_(EV_CONNECT, 2, 100, 42);
	e.err = 115;
	e.connect = (struct ev_addr){ .fd = 5, .proto = PROTO_TCP4, .addr = "93.184.216.34:443" };
	summary_add_event(s, &e);
	e.err = 111;
	e.connect.addr = "10.0.0.1:9";
	summary_add_event(s, &e);

	assert_int_equal(s->file_read, 1024);
	assert_int_equal(s->file_written, 5000);
	assert_int_equal(s->net_sent, 517);
	assert_int_equal(s->net_received, 2662);
	assert_int_equal(s->other_written, 10);
	assert_int_equal(s->failed_opens, 1);
	assert_int_equal(s->nfiles, 3);
	assert_string_equal(s->files[0].path, "/etc/resolv.conf");
	assert_int_equal(s->files[0].bytes_read, 1024);
	assert_int_equal(s->files[1].opens_read, 1);
	assert_int_equal(s->files[1].opens_write, 1);
	assert_int_equal(s->npeers, 2);
	assert_int_equal(s->peers[0].sent, 517);
	assert_int_equal(s->peers[0].connects, 1);
	assert_int_equal(s->peers[1].failed, 1);
	summary_free(s);
}

static void test_memory_fork_exec(void **state)
{
	(void)state;
	struct summary *s = fresh();
	struct event e = ev_(EV_BRK, 1, 100, 12);
	e.brk = (struct ev_brk){ .old_brk = 0, .new_brk = 0x100000 };
	summary_add_event(s, &e);
	e.brk = (struct ev_brk){ .old_brk = 0x100000, .new_brk = 0x100000 + 132 * 1024 };
	summary_add_event(s, &e);
	e = ev_(EV_MMAP, 2, 100, 9);
	e.mmap = (struct ev_mmap){ .addr = 0x7f0000000000ull, .len = 1 << 20, .prot = 3,
				   .flags = MAP_PRIVATE | MAP_ANONYMOUS, .fd = -1 };
	summary_add_event(s, &e);
	/* fork: the child's space is a copy */
	e = ev_(EV_SPAWN, 3, 100, 56);
	e.spawn = (struct ev_spawn){ .child_tid = 101, .child_pid = 101, .kind = SPAWN_PROCESS,
				     .clone_flags = 0x1200011 };
	summary_add_event(s, &e);
	assert_int_equal(s->live_total, 2 * ((1 << 20) + 132 * 1024));
	/* the child execs: a fresh space, then maps 8 KiB */
	const char *argv[] = { "ls", "-l" };
	e = ev_(EV_EXEC, 4, 101, 59);
	e.exec = (struct ev_exec){ .path = "/bin/ls", .argv = argv, .argc = 2, .comm = "ls" };
	summary_add_event(s, &e);
	e = ev_(EV_MMAP, 5, 101, 9);
	e.mmap = (struct ev_mmap){ .addr = 0x7f0000100000ull, .len = 8192, .prot = 3,
				   .flags = MAP_PRIVATE | MAP_ANONYMOUS, .fd = -1 };
	summary_add_event(s, &e);
	e = ev_(EV_EXIT, 6, 101, -1);
	e.exit.code = 0;
	summary_add_event(s, &e);
	e = ev_(EV_MUNMAP, 7, 100, 11);
	e.munmap = (struct ev_range){ .addr = 0x7f0000000000ull, .len = 1 << 19 };
	summary_add_event(s, &e);
	struct rec_trailer t = { .end_reason = REC_END_COMPLETED, .exit_code = 0, .end_ts_ns = 340000000 };
	summary_add_trailer(s, &t);
	struct rec_integrity in = { .has_trailer = true, .events = 9 };
	summary_add_end(s, &in);

	assert_int_equal(s->heap, 132 * 1024);
	assert_int_equal(s->mmap, (1 << 19) + 8192);
	assert_int_equal(s->regions, 2);
	assert_int_equal(s->total_peak, 2 * ((1 << 20) + 132 * 1024));
	assert_int_equal(s->nprocs, 1);
	assert_int_equal(s->procs[0].pid, 101);
	assert_true(s->procs[0].exited);
	assert_int_equal(summary_completeness(s), SUMMARY_COMPLETE);
	summary_free(s);
}

static void test_final_golden(void **state)
{
	(void)state;
	struct summary *s = fresh();
	struct event e = ev_(EV_OPEN, 1, 100, 257);
	e.open = (struct ev_open){ .path = "/etc/resolv.conf", .flags = O_RDONLY, .fd = 3 };
	summary_add_event(s, &e);
	e.open = (struct ev_open){ .path = "/usr/lib/libc.so.6", .flags = O_RDONLY, .fd = 3 };
	summary_add_event(s, &e);
	io(s, 100, IO_READ, FD_FILE, "/etc/resolv.conf", 12698);
	io(s, 100, IO_SEND, FD_SOCKET, "93.184.216.34:443", 517);
	io(s, 100, IO_RECV, FD_SOCKET, "93.184.216.34:443", 2662);
	e = ev_(EV_CONNECT, 2, 100, 42);
	e.connect = (struct ev_addr){ .fd = 5, .proto = PROTO_TCP4, .addr = "93.184.216.34:443" };
	summary_add_event(s, &e);
	e.connect.addr = "127.0.0.53:53";
	summary_add_event(s, &e);
	e = ev_(EV_BRK, 3, 100, 12);
	e.brk = (struct ev_brk){ .old_brk = 0x100000, .new_brk = 0x100000 + 132 * 1024 };
	summary_add_event(s, &e);
	struct rec_trailer t = { .end_reason = REC_END_COMPLETED, .exit_code = 0,
				 .end_ts_ns = 340000000 };
	summary_add_trailer(s, &t);
	struct rec_integrity in = { .has_trailer = true };
	summary_add_end(s, &in);

	struct outbuf o;
	outbuf_init_mem(&o);
	struct final_opts fo = { 0 };
	final_print(&o, s, &fo);
	assert_string_equal(o.buf,
		"\n"
		"━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━\n"
		" FINAL: curl -s https://example.com (0.34s)\n"
		"━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━\n"
		" Memory:\n"
		"   Heap:     132.0 KB\n"
		"   Mmap:     0 B (0 regions)\n"
		"   Total:    132.0 KB\n"
		" I/O:\n"
		"   Files read:      12.4 KB\n"
		"   Files written:       0 B\n"
		"   Net sent:          517 B\n"
		"   Net received:     2.6 KB\n"
		" Files opened for read:\n"
		"   /etc/resolv.conf\n"
		" Top files by bytes:\n"
		"    12.4 KB  /etc/resolv.conf (read)\n"
		" Network connections:\n"
		"   tcp4 → 93.184.216.34:443  (sent 517 B, received 2.6 KB)\n"
		" Recording: complete, 8 events\n"
		" Exit: 0\n"
		"━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━\n");

	/* --all lists the noise too */
	outbuf_reset(&o);
	fo.all = true;
	final_print(&o, s, &fo);
	assert_non_null(strstr(o.buf, "   /usr/lib/libc.so.6\n"));
	assert_non_null(strstr(o.buf, "   tcp4 → 127.0.0.53:53\n"));
	outbuf_free(&o);
	summary_free(s);
}

static void test_truncated_and_losses(void **state)
{
	(void)state;
	struct summary *s = fresh();
	struct event e = ev_(EV_LOSS, 1, 100, -1);
	e.loss = (struct ev_loss){ .source = "perf", .count = 5 };
	summary_add_event(s, &e);
	summary_add_event(s, &e);
	e = ev_(EV_EXIT, 2, 100, -1);
	e.exit.signal = 9;
	summary_add_event(s, &e);
	struct rec_integrity in = { .truncated = true, .events = 3, .corrupt_frames = 1 };
	summary_add_end(s, &in);
	assert_int_equal(summary_lost(s), 10);
	assert_int_equal(summary_completeness(s), SUMMARY_TRUNCATED);
	struct outbuf o;
	outbuf_init_mem(&o);
	struct final_opts fo = { 0 };
	final_print(&o, s, &fo);
	assert_non_null(strstr(o.buf, " Recording: truncated after 3 events, 1 corrupt frames "
				      "skipped, 10 lost (perf 10)\n"));
	assert_non_null(strstr(o.buf, " Exit: killed by SIGKILL\n"));
	outbuf_free(&o);
	summary_free(s);
}

/* Many distinct files and peers: the indexes grow and stay consistent. */
static void test_many(void **state)
{
	(void)state;
	struct summary *s = fresh();
	char name[64];
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5000; i++) {
			snprintf(name, sizeof(name), "/data/f%d", i);
			io(s, 100, IO_READ, FD_FILE, name, 1);
			snprintf(name, sizeof(name), "10.0.%d.%d:80", i / 256, i % 256);
			io(s, 100, IO_SEND, FD_SOCKET, name, 2);
		}
	assert_int_equal(s->nfiles, 5000);
	assert_int_equal(s->npeers, 5000);
	for (uint32_t i = 0; i < s->nfiles; i++)
		assert_int_equal(s->files[i].bytes_read, 2);
	for (uint32_t i = 0; i < s->npeers; i++)
		assert_int_equal(s->peers[i].sent, 4);
	summary_free(s);
}

static void fault(struct summary *s, uint32_t pid, uint64_t addr, int n)
{
	for (int i = 0; i < n; i++) {
		struct event e = ev_(EV_FAULT, 2, pid, -1);
		e.fault.addr = addr + 4096u * (unsigned)i;
		summary_sink(s).event(s, &e);
	}
}

/* Faults by region kind, resident growth, and their FINAL section. */
static void test_faults_by_region(void **state)
{
	(void)state;
	struct summary *s = summary_new();
	struct event_sink sk = summary_sink(s);
	const char *argv[] = { "w" };
	struct rec_header h = { .argv = argv, .argc = 1, .mode = REC_MODE_SPAWN, .root_pid = 100,
				.page_size = 4096, .nsources = 1,
				.sources = { { "perf-faults", true, NULL } } };
	sk.header(s, &h);
	struct event e = ev_(EV_EXEC, 0, 100, 59);
	e.exec = (struct ev_exec){ .path = "/opt/w", .argv = argv, .argc = 1, .comm = "w" };
	sk.event(s, &e);
	e = ev_(EV_BRK, 1, 100, 12);
	e.brk = (struct ev_brk){ .old_brk = 0x1000000, .new_brk = 0x1100000 };
	sk.event(s, &e);
	e = ev_(EV_MMAP, 1, 100, 9);
	e.mmap = (struct ev_mmap){ .addr = 0x7f0000000000ull, .len = 1 << 20, .prot = 3,
				   .flags = MAP_PRIVATE | MAP_ANONYMOUS, .fd = -1 };
	sk.event(s, &e);
	e.mmap = (struct ev_mmap){ .addr = 0x7f0000200000ull, .len = 1 << 16, .prot = 3,
				   .flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, .fd = -1 };
	sk.event(s, &e);
	e.mmap = (struct ev_mmap){ .addr = 0x7f1000000000ull, .len = 1 << 16, .prot = 5,
				   .flags = MAP_PRIVATE, .fd = 3, .path = "/usr/lib/libc.so.6" };
	sk.event(s, &e);
	fault(s, 100, 0x1000000, 10);           /* heap */
	fault(s, 100, 0x7f0000000000ull, 100);  /* anon */
	fault(s, 100, 0x7f0000200000ull, 3);    /* a thread stack (MAP_STACK) */
	fault(s, 100, 0x7ffd00000000ull, 2);    /* the main stack: far above the maps */
	fault(s, 100, 0x7f1000000000ull, 4);    /* file */
	fault(s, 100, 0x400000, 5);             /* below the heap: the program */
	fault(s, 100, 0x7f1000100000ull, 1);    /* just above the maps: other */
	fault(s, 100, 0x7f0000000000ull, 100);  /* the same pages again: not resident twice */
	/* half of the anon mapping goes: its 50 faulted pages are no longer resident */
	e = ev_(EV_MUNMAP, 3, 100, 11);
	e.munmap = (struct ev_range){ .addr = 0x7f0000000000ull, .len = 50 * 4096 };
	sk.event(s, &e);
	fault(s, 100, 0x7f0000000000ull + (60 * 4096), 10); /* 10 more, resident again */
	e = ev_(EV_LOSS, 4, 100, -1);
	e.loss = (struct ev_loss){ .source = "perf", .count = 7 };
	sk.event(s, &e);
	struct rec_trailer t = { .end_reason = REC_END_COMPLETED, .end_ts_ns = 5000000 };
	sk.trailer(s, &t);
	struct rec_integrity in = { .has_trailer = true };
	sk.end(s, &in);

	assert_int_equal(s->faults, 235);
	assert_int_equal(s->faults_heap, 10);
	assert_int_equal(s->faults_anon, 210);
	assert_int_equal(s->faults_stack, 5);
	assert_int_equal(s->faults_file, 9);
	assert_int_equal(s->faults_other, 1);
	/* distinct pages: 10 + 100 + 3 + 2 + 4 + 5 + 1 = 125 at the peak */
	assert_int_equal(s->resident_peak, 125 * 4096);
	assert_int_equal(s->resident, (125 - 50) * 4096);

	struct outbuf o;
	outbuf_init_mem(&o);
	struct final_opts fo = { 0 };
	final_print(&o, s, &fo);
	assert_non_null(strstr(o.buf,
		" Page faults:\n"
		"   235 minor, 940.0 KB touched\n"
		"   heap            10    40.0 KB\n"
		"   anon           210   840.0 KB\n"
		"   file             9    36.0 KB\n"
		"   stack            5    20.0 KB\n"
		"   other            1     4.0 KB\n"
		"   Peak resident growth: 500.0 KB\n"
		"   Lost perf records: 7\n"));
	outbuf_free(&o);
	summary_free(s);
}

/* Percentiles from the histograms when present, else from the events. */
static void test_latency_final(void **state)
{
	(void)state;
	struct summary *s = fresh();
	struct event e;
	for (int i = 0; i < 4; i++) {
		e = ev_(EV_SCHED, 1, 100, -1);
		e.sched.delay_ns = 20000 + 1000 * (uint64_t)i;   /* bucket 14: 16-32 µs */
		summary_add_event(s, &e);
	}
	e.sched.delay_ns = 3000000; /* bucket 21 */
	summary_add_event(s, &e);
	uint64_t lo, hi;
	assert_int_equal(summary_latency_quantile(s, HIST_SCHED, 0.5, &lo, &hi), 5);
	assert_int_equal(lo, 1 << 14);
	assert_int_equal(hi, 1 << 15);
	assert_int_equal(summary_latency_quantile(s, HIST_SCHED, 0.99, &lo, &hi), 5);
	assert_int_equal(lo, 1 << 21);
	/* every wait: 100 short ones the events did not show */
	uint64_t b[22] = { [9] = 100, [14] = 4, [21] = 1 };
	e = ev_(EV_HIST, 2, 100, -1);
	e.hist = (struct ev_hist){ .kind = HIST_SCHED, .nbuckets = 22, .buckets = b, .unit = "ns" };
	summary_add_event(s, &e);
	assert_int_equal(summary_latency_quantile(s, HIST_SCHED, 0.5, &lo, &hi), 105);
	assert_int_equal(lo, 512);
	e = ev_(EV_BLOCK, 3, 100, -1);
	e.dur_ns = 40000;
	e.block = (struct ev_block){ .bytes = 4096, .write = true };
	summary_add_event(s, &e);
	e.block.writeback = true;
	summary_add_event(s, &e);
	e = ev_(EV_LOSS, 3, 100, -1);
	e.loss = (struct ev_loss){ .source = "ebpf-ringbuf", .count = 3 };
	summary_add_event(s, &e);
	struct rec_integrity in = { 0 };
	summary_add_end(s, &in);
	struct outbuf o;
	outbuf_init_mem(&o);
	struct final_opts fo = { 0 };
	final_print(&o, s, &fo);
	assert_non_null(strstr(o.buf,
		" Scheduler latency:\n"
		"   105 waits (from in-kernel histograms: every wait)\n"
		"   p50 ≤ 1 µs, p99 ≤ 32 µs, max 3.0 ms\n"
		"   Events above the threshold: 5, total 3.1 ms, avg 617 µs\n"
		"      512 ns -> 1 µs             100 |******************************|\n"));
	assert_non_null(strstr(o.buf,
		" Block I/O:\n"
		"   1 requests, read 0 B, written 4.0 KB\n"
		"   Writeback: 1 requests, 4.0 KB\n"
		"   Latency of 2 requests (from the events)\n"
		"   p50 ≤ 40 µs, p99 ≤ 40 µs, max 40 µs\n"
		"       32 µs -> 65 µs              2 |******************************|\n"
		"   Dropped eBPF records: 3\n"));
	outbuf_free(&o);
	summary_free(s);
}

/*
 * Process names are kept within SUMMARY_ARGV_BYTES: an exec of 256
 * arguments of 64 KiB (a recording can reference one long string 256 times
 * in a few bytes) used to keep 16 MiB per process, 64 GiB for 4096 of them.
 */
static void test_exec_strings_bounded(void **state)
{
	(void)state;
	struct summary *s = fresh();
	char *big = malloc(EVENT_MAX_STRING + 1);
	assert_non_null(big);
	memset(big, 'a', EVENT_MAX_STRING);
	big[EVENT_MAX_STRING] = 0;
	const char *argv[EVENT_MAX_ARGV];
	for (int i = 0; i < EVENT_MAX_ARGV; i++)
		argv[i] = big;
	for (uint32_t pid = 200; pid < 264; pid++) {
		struct event e = ev_(EV_EXEC, 1, pid, 59);
		e.exec = (struct ev_exec){ .path = big, .argv = argv, .argc = EVENT_MAX_ARGV,
					   .comm = big };
		summary_add_event(s, &e);
	}
	assert_int_equal(s->nprocs, 64);
	for (uint32_t i = 0; i < s->nprocs; i++) {
		const struct summary_proc *p = &s->procs[i];
		size_t total = 0;
		for (uint32_t k = 0; k < p->argc; k++)
			total += strlen(p->argv[k]);
		assert_true(p->argc >= 1);
		assert_true(total <= SUMMARY_ARGV_BYTES);
		assert_true(strlen(p->path) <= SUMMARY_ARGV_BYTES);
		assert_true(strlen(p->comm) <= SUMMARY_ARGV_BYTES);
	}
	struct outbuf o;
	outbuf_init_mem(&o);
	struct final_opts fo = { .all = true };
	final_print(&o, s, &fo);
	outbuf_free(&o);
	summary_free(s);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_files_peers),
		cmocka_unit_test(test_memory_fork_exec),
		cmocka_unit_test(test_final_golden),
		cmocka_unit_test(test_truncated_and_losses),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_faults_by_region),
		cmocka_unit_test(test_latency_final),
		cmocka_unit_test(test_exec_strings_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * bench_report_gen.c - writes a synthetic recording for the report
 * benchmark (tests/bench/bench_report.sh) with the recording writer API:
 * 8 processes of 2 threads each doing a realistic mix of file opens and
 * I/O, socket connects and traffic, mmaps and brk, page faults, spread over
 * 2,000 paths and 50 peers, 1-30 us apart.
 * usage: bench_report_gen OUT.cmp [EVENTS]   (default 1,000,000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recording.h"

#define NPATHS 2000
#define NPEERS 50
#define NPROCS 8

static char paths[NPATHS][64], peers[NPEERS][48];

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_report_gen OUT.cmp [EVENTS]\n");
		return 2;
	}
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
	for (int i = 0; i < NPATHS; i++)
		snprintf(paths[i], sizeof(paths[i]), "/srv/data/shard-%02d/object-%05d.bin", i % 17, i);
	for (int i = 0; i < NPEERS; i++)
		snprintf(peers[i], sizeof(peers[i]), "10.0.%d.%d:%d", i / 10, 10 + i, 8000 + i);

	struct recording_writer *w = recording_writer_open(argv[1], true, NULL);
	if (!w) {
		perror(argv[1]);
		return 1;
	}
	const char *args[] = { "/usr/bin/bench-server", "--workers", "8" };
	struct rec_header h = { .tool_version = "bench", .argv = args, .argc = 3,
				.hostname = "bench", .kernel_release = "6.1.0", .arch = "x86_64",
				.page_size = 4096, .mode = REC_MODE_SPAWN, .root_pid = 1000 };
	recording_write_header(w, &h);

	uint64_t ts = 0, brk = 0x555555560000ull;
	uint64_t written = 0;
	/* the processes and their threads come first */
	for (uint32_t p = 0; p < NPROCS; p++) {
		uint32_t pid = 1000 + p * 10;
		if (p) {
			struct event sp = { .kind = EV_SPAWN, .ts_ns = ts += 20000, .dur_ns = 90000,
					    .pid = 1000, .tid = 1000, .sysno = 56 };
			sp.spawn = (struct ev_spawn){ .child_tid = pid, .child_pid = pid,
						      .kind = SPAWN_PROCESS };
			recording_write_event(w, &sp);
			written++;
		}
		struct event th = { .kind = EV_SPAWN, .ts_ns = ts += 20000, .dur_ns = 40000,
				    .pid = pid, .tid = pid, .sysno = 56 };
		th.spawn = (struct ev_spawn){ .child_tid = pid + 1, .child_pid = pid,
					      .kind = SPAWN_THREAD };
		recording_write_event(w, &th);
		written++;
	}
	for (uint64_t i = written; i < n; i++) {
		uint32_t p = (uint32_t)(rnd() % NPROCS), pid = 1000 + p * 10;
		struct event ev = { .ts_ns = ts += 1000 + rnd() % 29000, .dur_ns = 500 + rnd() % 50000,
				    .pid = pid, .tid = pid + (uint32_t)(rnd() % 2), .sysno = 0 };
		const char *path = paths[rnd() % NPATHS];
		unsigned r = (unsigned)(rnd() % 100);
		if (r < 35) {
			ev.kind = EV_IO;
			ev.sysno = r < 25 ? 0 : 1;
			ev.io = (struct ev_io){ .op = r < 25 ? IO_READ : IO_WRITE,
						.fd = { 3 + (int32_t)(rnd() % 60), FD_FILE, 0, path },
						.bytes = (int64_t)(rnd() % 65536), .offset = -1 };
		} else if (r < 45) {
			ev.kind = EV_OPEN;
			ev.sysno = 257;
			ev.open = (struct ev_open){ path, r < 42 ? 0x80000u : 0x80241u, 0644,
						    3 + (int32_t)(rnd() % 60), false };
			if (r == 44) {
				ev.err = 2;
				ev.open.fd = -1;
			}
		} else if (r < 50) {
			ev.kind = EV_CLOSE;
			ev.sysno = 3;
			ev.close.fd = (struct event_fd){ 3 + (int32_t)(rnd() % 60), FD_FILE, 0, path };
			ev.close.last_fd = ev.close.fd.fd;
		} else if (r < 58) {
			ev.kind = EV_IO;
			ev.sysno = r < 54 ? 44 : 45;
			ev.io = (struct ev_io){ .op = r < 54 ? IO_SEND : IO_RECV,
						.fd = { 70 + (int32_t)(rnd() % 20), FD_SOCKET, PROTO_TCP4,
							peers[rnd() % NPEERS] },
						.bytes = (int64_t)(rnd() % 16384), .offset = -1 };
		} else if (r < 60) {
			ev.kind = EV_CONNECT;
			ev.sysno = 42;
			ev.connect = (struct ev_addr){ 70 + (int32_t)(rnd() % 20), PROTO_TCP4,
						       peers[rnd() % NPEERS] };
		} else if (r < 68) {
			ev.kind = EV_MMAP;
			ev.sysno = 9;
			ev.mmap = (struct ev_mmap){ 0x7f0000000000ull + (rnd() % (1u << 20)) * 4096,
						    4096 * (1 + rnd() % 256), 3, 0x22, -1, 0,
						    r < 62 ? path : NULL };
		} else if (r < 74) {
			ev.kind = EV_MUNMAP;
			ev.sysno = 11;
			ev.munmap = (struct ev_range){ 0x7f0000000000ull + (rnd() % (1u << 20)) * 4096,
						       4096 * (1 + rnd() % 256), 0 };
		} else if (r < 76) {
			ev.kind = EV_BRK;
			ev.sysno = 12;
			ev.brk = (struct ev_brk){ brk, brk + 135168, brk + 135168 };
			brk += 135168;
		} else {
			ev.kind = EV_FAULT;
			ev.sysno = -1;
			ev.dur_ns = 0;
			ev.fault = (struct ev_fault){ 0x7f0000000000ull + (rnd() % (1u << 28)),
						      0x555555554000ull + rnd() % 65536 };
		}
		recording_write_event(w, &ev);
	}
	struct event ex = { .kind = EV_EXIT, .ts_ns = ts + 1000, .pid = 1000, .tid = 1000,
			    .sysno = -1 };
	recording_write_event(w, &ex);
	struct rec_trailer t = { .end_reason = REC_END_COMPLETED, .end_ts_ns = ts + 2000,
				 .event_count = n + 1 };
	return recording_writer_close(w, &t) == 0 ? 0 : 1;
}

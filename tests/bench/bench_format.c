/*
 * bench_format.c - encode and decode throughput of the recording format and
 * compressed bytes per event, on two synthetic streams:
 *   (a) storm: alternating 1-byte read/write on two fds (a dd bs=1 loop);
 *   (b) mixed: opens of varied paths, mmaps, reads, connects.
 * usage: bench_format [EVENTS] [KEEP_DIR]
 * KEEP_DIR keeps the recordings written (the fuzz seeds are made this way).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "recording.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct event storm_event(uint64_t i, uint64_t *ts)
{
	*ts += 900 + (i * 37) % 200; /* ~1 us apart with jitter */
	struct event ev = { .kind = EV_IO, .ts_ns = *ts, .dur_ns = 400 + (i * 13) % 150,
			    .pid = 4242, .tid = 4242, .sysno = i % 2 ? 1 : 0 };
	ev.io.op = i % 2 ? IO_WRITE : IO_READ;
	ev.io.fd = (struct event_fd){ .fd = i % 2 ? 1 : 0, .kind = FD_DEVICE,
				      .name = i % 2 ? "/dev/null" : "/dev/zero" };
	ev.io.bytes = 1;
	ev.io.offset = 0;
	return ev;
}

static char paths[512][64];

static struct event mixed_event(uint64_t i, uint64_t *ts)
{
	*ts += 2000 + (i * 7919) % 30000;
	struct event ev = { .ts_ns = *ts, .dur_ns = 1000 + (i * 31) % 5000,
			    .pid = 5000 + (uint32_t)(i / 1000) % 4, .sysno = 0 };
	ev.tid = ev.pid + (uint32_t)(i % 3);
	const char *p = paths[(i * 2654435761u) % 512];
	switch (i % 5) {
	case 0:
		ev.kind = EV_OPEN;
		ev.sysno = 257;
		ev.open = (struct ev_open){ p, 0x80000, 0, (int32_t)(3 + i % 20), false };
		break;
	case 1:
		ev.kind = EV_MMAP;
		ev.sysno = 9;
		ev.mmap = (struct ev_mmap){ 0x7f0000000000ull + (i * 4096 * 17) % (1ull << 32),
					    4096 * (1 + i % 64), 3, 0x22, -1, 0, NULL };
		break;
	case 2:
	case 3:
		ev.kind = EV_IO;
		ev.io.op = IO_READ;
		ev.io.fd = (struct event_fd){ (int32_t)(3 + i % 20), FD_FILE, 0, p };
		ev.io.bytes = (int64_t)((i * 131) % 65536);
		break;
	default:
		ev.kind = EV_CONNECT;
		ev.sysno = 42;
		ev.connect = (struct ev_addr){ (int32_t)(3 + i % 20), PROTO_TCP4, paths[i % 7] };
		break;
	}
	return ev;
}

static uint64_t decoded;
static void count_event(void *ctx, const struct event *ev)
{
	(void)ctx;
	decoded += ev->kind;
}

static void run(const char *name, struct event (*gen)(uint64_t, uint64_t *), uint64_t n,
		const char *dir)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/bench-%s.cmp", dir ? dir : "/tmp", name);
	struct recording_writer *w = recording_writer_open(path, true, NULL);
	if (!w) {
		perror(path);
		exit(1);
	}
	uint64_t ts = 0;
	double t0 = now_s(), c0 = cpu_s();
	for (uint64_t i = 0; i < n; i++) {
		struct event ev = gen(i, &ts);
		recording_write_event(w, &ev);
	}
	double c1 = cpu_s(), t1 = now_s();
	recording_writer_close(w, &(struct rec_trailer){ .end_reason = REC_END_COMPLETED,
							 .event_count = n });
	double t2 = now_s();
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	rewind(f);
	struct event_sink s = { .event = count_event };
	struct recording_read_result res;
	double d0 = now_s();
	recording_read(f, &s, &res, NULL, NULL);
	double d1 = now_s();
	fclose(f);
	if (res.integrity.events != n) {
		fprintf(stderr, "%s: decoded %llu of %llu events\n", name,
			(unsigned long long)res.integrity.events, (unsigned long long)n);
		exit(1);
	}
	printf("%-6s %9llu events  %6.2f B/event  encode %6.2f M ev/s (tracer thread, %.2f M ev/s cpu)"
	       "  encode+compress %6.2f M ev/s  decode %6.2f M ev/s\n",
	       name, (unsigned long long)n, (double)size / (double)n, n / (t1 - t0) / 1e6,
	       n / (c1 - c0) / 1e6, n / (t2 - t0) / 1e6, n / (d1 - d0) / 1e6);
	if (!dir)
		unlink(path);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000000;
	const char *dir = argc > 2 ? argv[2] : NULL;
	for (int i = 0; i < 512; i++)
		snprintf(paths[i], sizeof(paths[i]), "/usr/lib/x86_64-linux-gnu/mod%03d/file%d.so",
			 i % 37, i);
	printf("format benchmark: %llu events per stream, zstd level 3\n", (unsigned long long)n);
	run("storm", storm_event, n, dir);
	run("mixed", mixed_event, n, dir);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS %ld MiB\n", ru.ru_maxrss / 1024);
	return 0;
}

/*
 * test_recording.c - the recording format: round trips, frames, truncation,
 * corruption, versions, and a writer killed with SIGKILL.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "codec.h"
#include "fastpb.h"
#include "recording.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *const argv3[] = { "/bin/echo", "hello", "wörld\x1b" };
static const uint64_t buckets[] = { 0, 3, 5, 1 };

/* One event of `kind` with distinctive values in every field. */
static struct event sample(enum event_kind kind, uint64_t ts)
{
	struct event ev = { .kind = kind, .ts_ns = ts, .dur_ns = 1234, .pid = 100, .tid = 101,
			    .sysno = 257, .err = 2, .flags = EVENT_F_SEEDED };
	struct event_fd f1 = { .fd = 3, .kind = FD_FILE, .name = "/etc/passwd" };
	struct event_fd f2 = { .fd = 4, .kind = FD_SOCKET, .proto = PROTO_TCP6, .name = "[::1]:443" };
	switch (kind) {
	case EV_SPAWN: ev.spawn = (struct ev_spawn){ 102, 102, SPAWN_VFORK, 0x4111 }; break;
	case EV_EXEC: ev.exec = (struct ev_exec){ "/bin/echo", argv3, 3, "echo", 103 }; break;
	case EV_EXIT: ev.exit = (struct ev_exit){ -3, 11, true, true }; break;
	case EV_SIGNAL: ev.signal = (struct ev_signal){ 19, -6, 55, true }; break;
	case EV_OPEN: ev.open = (struct ev_open){ "/tmp/x", 0x241, 0644, -1, true }; break;
	case EV_CLOSE: ev.close = (struct ev_close){ f1, 9 }; break;
	case EV_FILE_OP:
		ev.file_op = (struct ev_file_op){ FOP_RENAME, "/a", "/b", -7, 5 };
		break;
	case EV_DUP: ev.dup = (struct ev_dup){ f2, 10, true }; break;
	case EV_PIPE: ev.pipe = (struct ev_pipe){ 5, 6, 0x80000 }; break;
	case EV_SOCKET: ev.socket = (struct ev_socket){ 7, 8, 10, 1, 6, PROTO_TCP6 }; break;
	case EV_CONNECT: ev.connect = (struct ev_addr){ 7, PROTO_TCP4, "127.0.0.1:80" }; break;
	case EV_BIND: ev.bind = (struct ev_addr){ 7, PROTO_UNIX, "unix:/run/x.sock" }; break;
	case EV_LISTEN: ev.listen = (struct ev_listen){ 7, 128, PROTO_TCP4, "0.0.0.0:80" }; break;
	case EV_ACCEPT:
		ev.accept = (struct ev_accept){ 7, 9, PROTO_TCP4, "127.0.0.1:80", "127.0.0.1:5555" };
		break;
	case EV_IO: ev.io = (struct ev_io){ IO_SEND, f2, 517, "[::1]:53", 2, 4096 }; break;
	case EV_TRANSFER: ev.transfer = (struct ev_transfer){ f1, f2, 1 << 20 }; break;
	case EV_BRK: ev.brk = (struct ev_brk){ 0x55d0c3a00000, 0x55d0c3a21000, 0x55d0c3a21000 }; break;
	case EV_MMAP:
		ev.mmap = (struct ev_mmap){ 0x7f8a12345000, 8192, 3, 0x22, 3, 4096, "/lib/libc.so.6" };
		break;
	case EV_MUNMAP: ev.munmap = (struct ev_range){ 0x7f8a12345000, 4096, 0 }; break;
	case EV_MPROTECT: ev.mprotect = (struct ev_range){ 0x7f8a12345000, 4096, 1 }; break;
	case EV_MREMAP:
		ev.mremap = (struct ev_mremap){ 0x7f0000000000, 4096, 0x7f0000100000, 8192, 1 };
		break;
	case EV_FAULT: ev.fault = (struct ev_fault){ 0x7f8a12346000 + ts * 4096, 0x401000 }; break;
	case EV_SCHED: ev.sched = (struct ev_sched){ 15000, 1, true }; break;
	case EV_BLOCK: ev.block = (struct ev_block){ 0x800001, 2048, 4096, true, true, -5 }; break;
	case EV_HIST: ev.hist = (struct ev_hist){ HIST_SCHED, 4, buckets, "us" }; break;
	case EV_LOSS: ev.loss = (struct ev_loss){ "ebpf-ringbuf", 17, "ring buffer full" }; break;
	case EV_NOTE: ev.note = (struct ev_note){ NOTE_WARNING, "perf: permission denied" }; break;
	case EV_SYSCALL:
		ev.syscall = (struct ev_syscall){ 3, { 1, 2, 0xffffffffffffffffull }, -38 };
		break;
	case EV_TASK: ev.task = (struct ev_task){ "worker\n1", true }; break;
	default: break;
	}
	return ev;
}

/* Encodes one event alone in a fresh frame: the canonical bytes of an event. */
static size_t canonical(const struct event *ev, uint8_t *out, size_t cap)
{
	struct codec_enc e;
	struct buf b = { 0 };
	codec_enc_init(&e);
	assert_int_equal(codec_encode_event(&e, ev, &b), 0);
	assert_true(b.len <= cap);
	memcpy(out, b.data, b.len);
	size_t n = b.len;
	buf_free(&b);
	codec_enc_free(&e);
	return n;
}

/* A sink that keeps the canonical bytes of each event, plus counts. */
struct collect {
	int headers, trailers, ends;
	size_t n;
	uint8_t enc[64][512];
	size_t len[64];
	uint64_t ts[4096];
	uint64_t seq_bad;
	size_t nts;
	char first_argv0[64];
	struct rec_integrity in;
	struct rec_trailer tr;
};

static void c_header(void *ctx, const struct rec_header *h)
{
	struct collect *c = ctx;
	c->headers++;
	snprintf(c->first_argv0, sizeof(c->first_argv0), "%s", h->argc ? h->argv[0] : "");
}

static void c_event(void *ctx, const struct event *ev)
{
	struct collect *c = ctx;
	if (c->n < 64) {
		struct event copy = *ev;
		copy.ts_ns = 0; /* canonical bytes are made with delta from 0 */
		c->len[c->n] = canonical(&copy, c->enc[c->n], sizeof(c->enc[0]));
		c->n++;
	}
	if (c->nts < 4096)
		c->ts[c->nts++] = ev->ts_ns;
}

static void c_trailer(void *ctx, const struct rec_trailer *t)
{
	struct collect *c = ctx;
	c->trailers++;
	c->tr = *t;
}

static void c_end(void *ctx, const struct rec_integrity *in)
{
	struct collect *c = ctx;
	c->ends++;
	c->in = *in;
}

static struct event_sink collect_sink(struct collect *c)
{
	return (struct event_sink){ c, c_header, c_event, c_trailer, c_end };
}

static const char *const hdr_argv[] = { "/bin/echo", "hi" };

static struct rec_header test_header(void)
{
	struct rec_header h = { .tool_version = "test", .format_major = RECORDING_MAJOR,
				.argv = hdr_argv, .argc = 2, .hostname = "host\x01",
				.kernel_release = "6.1.0", .arch = "x86_64", .page_size = 4096,
				.mode = REC_MODE_SPAWN, .root_pid = 100, .noptions = 1,
				.nsources = 1 };
	h.options[0] = (struct rec_option){ "faults", "on" };
	h.sources[0] = (struct rec_source){ "ptrace", true, NULL };
	return h;
}

/* Writes `n` io events (ts = i * 1000, bytes = i) to a memory file. */
static uint8_t *write_file(size_t n, size_t flush_bytes, bool trailer, size_t *len)
{
	char path[] = "/tmp/compendium-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	struct recording_writer_opts o = { .flush_bytes = flush_bytes };
	struct recording_writer *w = recording_writer_fdopen(fd, &o);
	assert_non_null(w);
	struct rec_header h = test_header();
	assert_int_equal(recording_write_header(w, &h), 0);
	for (size_t i = 0; i < n; i++) {
		struct event ev = sample(EV_IO, i * 1000);
		ev.io.bytes = (int64_t)i;
		ev.io.fd.name = i % 2 ? "/data/a" : "/data/b";
		assert_int_equal(recording_write_event(w, &ev), 0);
	}
	struct rec_trailer t = { .end_reason = REC_END_COMPLETED, .exit_code = 3,
				 .event_count = n };
	assert_int_equal(recording_writer_close(w, trailer ? &t : NULL), 0);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	uint8_t *buf = malloc(*len + 1);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	unlink(path);
	return buf;
}

/* Offsets of each frame in a well-formed file; returns the count. */
static size_t frame_offsets(const uint8_t *buf, size_t len, size_t *offs, size_t max)
{
	size_t n = 0, off = RECORDING_FILE_HEADER_SIZE;
	while (off + RECORDING_FRAME_HEADER_SIZE <= len && n < max) {
		uint32_t c;
		memcpy(&c, buf + off + 4, 4);
		offs[n++] = off;
		off += RECORDING_FRAME_HEADER_SIZE + c;
	}
	return n;
}

/* ---- tests -------------------------------------------------------------- */

static void test_round_trip_every_kind(void **state)
{
	(void)state;
	char path[] = "/tmp/compendium-test-XXXXXX";
	int fd = mkstemp(path);
	struct recording_writer *w = recording_writer_fdopen(fd, NULL);
	struct rec_header h = test_header();
	assert_int_equal(recording_write_header(w, &h), 0);
	uint8_t want[EV__COUNT][512];
	size_t wlen[EV__COUNT];
	for (int k = 1; k < EV__COUNT; k++) {
		struct event ev = sample((enum event_kind)k, (uint64_t)k * 10);
		struct event copy = ev;
		copy.ts_ns = 0;
		wlen[k] = canonical(&copy, want[k], sizeof(want[k]));
		assert_int_equal(recording_write_event(w, &ev), 0);
	}
	struct rec_trailer t = { .end_reason = REC_END_KILLED, .exit_signal = 9,
				 .nlosses = 1, .losses = { { "perf", 3, "lost" } } };
	assert_int_equal(recording_writer_close(w, &t), 0);

	FILE *f = fopen(path, "rb");
	struct collect c = { 0 };
	struct event_sink s = collect_sink(&c);
	struct recording_read_result res;
	assert_int_equal(recording_read(f, &s, &res, NULL, NULL), RECORDING_OK);
	fclose(f);
	unlink(path);
	assert_int_equal(c.headers, 1);
	assert_string_equal(c.first_argv0, "/bin/echo");
	assert_int_equal(c.trailers, 1);
	assert_int_equal(c.tr.end_reason, REC_END_KILLED);
	assert_int_equal(c.tr.exit_signal, 9);
	assert_int_equal(c.tr.nlosses, 1);
	assert_int_equal(c.ends, 1);
	assert_int_equal(c.n, EV__COUNT - 1);
	for (int k = 1; k < EV__COUNT; k++) {
		assert_int_equal(c.len[k - 1], wlen[k]);
		assert_memory_equal(c.enc[k - 1], want[k], wlen[k]);
		assert_int_equal(c.ts[k - 1], (uint64_t)k * 10);
	}
}

/* Fields read back with their values, not just bytes: spot checks. */
struct spot {
	int seen;
};

static void spot_event(void *ctx, const struct event *ev)
{
	struct spot *s = ctx;
	s->seen++;
	assert_int_equal(ev->pid, 100);
	assert_int_equal(ev->tid, 101);
	assert_int_equal(ev->sysno, 257);
	assert_int_equal(ev->err, 2);
	assert_int_equal(ev->dur_ns, 1234);
	switch (ev->kind) {
	case EV_EXEC:
		assert_int_equal(ev->exec.argc, 3);
		assert_string_equal(ev->exec.argv[2], "wörld\x1b");
		assert_string_equal(ev->exec.comm, "echo");
		break;
	case EV_EXIT: assert_int_equal(ev->exit.code, -3); assert_true(ev->exit.core_dumped); break;
	case EV_IO:
		assert_string_equal(ev->io.fd.name, "[::1]:443");
		assert_int_equal(ev->io.bytes, 517);
		assert_string_equal(ev->io.addr, "[::1]:53");
		break;
	case EV_FAULT: assert_int_equal(ev->fault.addr, 0x7f8a12346000 + ev->ts_ns * 4096); break;
	case EV_HIST: assert_int_equal(ev->hist.buckets[2], 5); assert_string_equal(ev->hist.unit, "us"); break;
	case EV_SYSCALL: assert_int_equal(ev->syscall.args[2], 0xffffffffffffffffull); break;
	case EV_OPEN: assert_int_equal(ev->open.fd, -1); assert_string_equal(ev->open.path, "/tmp/x"); break;
	default: break;
	}
}

static void test_field_values(void **state)
{
	(void)state;
	char path[] = "/tmp/compendium-test-XXXXXX";
	int fd = mkstemp(path);
	struct recording_writer *w = recording_writer_fdopen(fd, NULL);
	for (int k = 1; k < EV__COUNT; k++) {
		struct event ev = sample((enum event_kind)k, (uint64_t)k);
		recording_write_event(w, &ev);
	}
	struct event ev = sample(EV_FAULT, 7); /* a second fault: a delta from the first */
	recording_write_event(w, &ev);
	recording_writer_close(w, &(struct rec_trailer){ .end_reason = REC_END_COMPLETED });
	struct spot s = { 0 };
	struct event_sink sink = { .ctx = &s, .event = spot_event };
	struct recording_read_result res;
	FILE *f = fopen(path, "rb");
	assert_int_equal(recording_read(f, &sink, &res, NULL, NULL), RECORDING_OK);
	fclose(f);
	unlink(path);
	assert_int_equal(s.seen, EV__COUNT);
}

static void test_frames_restart_interning_and_deltas(void **state)
{
	(void)state;
	size_t len, offs[4096];
	uint8_t *buf = write_file(2000, 256, true, &len);
	size_t nframes = frame_offsets(buf, len, offs, 4096);
	assert_true(nframes > 20);
	struct collect c = { 0 };
	struct event_sink s = collect_sink(&c);
	struct recording_read_result res;
	assert_int_equal(recording_read_mem(buf, len, &s, &res), RECORDING_OK);
	assert_int_equal(c.nts, 2000);
	for (size_t i = 0; i < 2000; i++)
		assert_int_equal(c.ts[i], i * 1000);
	free(buf);
}

/* Cut at every offset of the last frames: every complete frame reads back. */
static void test_truncated_at_every_offset(void **state)
{
	(void)state;
	size_t len, offs[4096];
	uint8_t *buf = write_file(300, 200, true, &len);
	size_t nf = frame_offsets(buf, len, offs, 4096);
	assert_true(nf > 6);
	/* events per frame: read each prefix that ends on a frame boundary */
	for (size_t cut = offs[nf - 4]; cut < len; cut++) {
		struct collect c = { 0 };
		struct event_sink s = collect_sink(&c);
		struct recording_read_result res;
		enum recording_status st = recording_read_mem(buf, cut, &s, &res);
		assert_int_equal(st, RECORDING_TRUNCATED);
		assert_true(res.integrity.truncated);
		assert_int_equal(c.ends, 1);
		/* a prefix of the events, in order, none invented */
		for (size_t i = 0; i < c.nts; i++)
			assert_int_equal(c.ts[i], i * 1000);
		/* everything in frames that end before the cut is there */
		size_t complete = 0;
		for (size_t k = 0; k < nf; k++) {
			uint32_t cl;
			memcpy(&cl, buf + offs[k] + 4, 4);
			if (offs[k] + RECORDING_FRAME_HEADER_SIZE + cl <= cut)
				complete = k + 1;
		}
		struct collect full = { 0 };
		struct event_sink fs = collect_sink(&full);
		size_t end = complete < nf ? offs[complete] : len;
		recording_read_mem(buf, end, &fs, &res);
		assert_int_equal(c.nts, full.nts);
	}
	free(buf);
}

static void test_corrupt_frame_is_skipped(void **state)
{
	(void)state;
	size_t len, offs[4096];
	uint8_t *buf = write_file(500, 300, true, &len);
	size_t nf = frame_offsets(buf, len, offs, 4096);
	assert_true(nf > 5);
	/* flip a payload byte of frame 3 */
	buf[offs[3] + RECORDING_FRAME_HEADER_SIZE + 5] ^= 0x40;
	struct collect c = { 0 };
	struct event_sink s = collect_sink(&c);
	struct recording_read_result res;
	assert_int_equal(recording_read_mem(buf, len, &s, &res), RECORDING_CORRUPT);
	assert_int_equal(res.integrity.corrupt_frames, 1);
	assert_true(res.integrity.has_trailer);
	assert_true(c.nts > 400 && c.nts < 500);
	assert_non_null(strstr(res.message, "corrupt frame"));
	free(buf);
}

static void test_random_corruption_never_crashes(void **state)
{
	(void)state;
	size_t len;
	uint8_t *orig = write_file(400, 512, true, &len);
	uint8_t *buf = malloc(len);
	srand(12345);
	for (int iter = 0; iter < 2000; iter++) {
		memcpy(buf, orig, len);
		int flips = 1 + rand() % 8;
		for (int i = 0; i < flips; i++)
			buf[(size_t)rand() % len] = (uint8_t)rand();
		size_t cut = iter % 3 == 0 ? (size_t)rand() % len : len;
		struct collect c = { 0 };
		struct event_sink s = collect_sink(&c);
		struct recording_read_result res;
		recording_read_mem(buf, cut, &s, &res);
		assert_true(c.nts <= 400);
		assert_true(c.ends <= 1);
	}
	free(buf);
	free(orig);
}

static void test_versions_and_magic(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = write_file(10, 0, true, &len);
	struct collect c = { 0 };
	struct event_sink s = collect_sink(&c);
	struct recording_read_result res;

	buf[10] = 7; /* newer minor: still read */
	assert_int_equal(recording_read_mem(buf, len, &s, &res), RECORDING_OK);
	assert_int_equal(c.nts, 10);

	buf[8] = RECORDING_MAJOR + 1; /* newer major: refused before any event */
	memset(&c, 0, sizeof(c));
	assert_int_equal(recording_read_mem(buf, len, &s, &res), RECORDING_ERROR);
	assert_int_equal(c.nts, 0);
	assert_non_null(strstr(res.message, "upgrade compendium"));

	assert_int_equal(recording_read_mem("hello world, not a recording", 28, &s, &res),
			 RECORDING_ERROR);
	assert_non_null(strstr(res.message, "not a compendium recording"));
	assert_int_equal(recording_read_mem("", 0, &s, &res), RECORDING_ERROR);
	free(buf);
}

static void test_missing_trailer_is_truncated(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = write_file(50, 0, false, &len);
	struct collect c = { 0 };
	struct event_sink s = collect_sink(&c);
	struct recording_read_result res;
	assert_int_equal(recording_read_mem(buf, len, &s, &res), RECORDING_TRUNCATED);
	assert_int_equal(c.nts, 50);
	assert_false(res.integrity.has_trailer);
	assert_non_null(strstr(res.message, "truncated after 50 events"));
	free(buf);
}

/* A writer killed with SIGKILL leaves a file that reads up to its last flush. */
static void test_sigkill_leaves_readable_file(void **state)
{
	(void)state;
	char path[] = "/tmp/compendium-test-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	pid_t pid = fork();
	if (pid == 0) {
		struct recording_writer_opts o = { .flush_ns = 50 * 1000 * 1000 };
		struct recording_writer *w = recording_writer_open(path, true, &o);
		struct rec_header h = test_header();
		recording_write_header(w, &h);
		for (uint64_t i = 0;; i++) {
			struct event ev = sample(EV_IO, i * 1000);
			recording_write_event(w, &ev);
			if (i % 64 == 0)
				usleep(1000);
		}
	}
	usleep(400 * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	FILE *f = fopen(path, "rb");
	struct collect c = { 0 };
	struct event_sink s = collect_sink(&c);
	struct recording_read_result res;
	assert_int_equal(recording_read(f, &s, &res, NULL, NULL), RECORDING_TRUNCATED);
	fclose(f);
	unlink(path);
	assert_int_equal(c.headers, 1);
	assert_true(c.nts > 100);
	for (size_t i = 0; i < c.nts; i++)
		assert_int_equal(c.ts[i], i * 1000);
}

static void test_refuses_overwrite(void **state)
{
	(void)state;
	char path[] = "/tmp/compendium-test-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	errno = 0;
	assert_null(recording_writer_open(path, false, NULL));
	assert_int_equal(errno, EEXIST);
	struct recording_writer *w = recording_writer_open(path, true, NULL);
	assert_non_null(w);
	assert_int_equal(recording_writer_close(w, NULL), 0);
	unlink(path);
}

/* fastpb.c must write exactly what protobuf-c writes, and read it back the
 * same way protobuf-c does, for every field of the kinds it handles. */
static void check_fast_matches_pb(const struct event *ev)
{
	struct codec_enc e1, e2;
	struct buf b1 = { 0 }, b2 = { 0 };
	codec_enc_init(&e1);
	codec_enc_init(&e2);
	assert_int_equal(fastpb_encode_event(&e1, ev, &b1), 0);
	assert_int_equal(codec_encode_event_pb(&e2, ev, &b2), 0);
	assert_int_equal(b1.len, b2.len);
	assert_memory_equal(b1.data, b2.data, b1.len);

	/* decode the last record both ways */
	struct codec_dec d1, d2;
	codec_dec_init(&d1);
	codec_dec_init(&d2);
	codec_dec_reset(&d1, b1.len);
	codec_dec_reset(&d2, b1.len);
	size_t off = 0;
	struct event f = { 0 }, g = { 0 };
	while (off < b1.len) {
		size_t len = b1.data[off++]; /* records here are < 128 bytes */
		assert_true(len < 128);
		Compendium__Record *r = compendium__record__unpack(NULL, len, b1.data + off);
		assert_non_null(r);
		if (r->rec_case == COMPENDIUM__RECORD__REC_STRING_DEF) {
			codec_dec_string(&d1, r->string_def.data, r->string_def.len);
			codec_dec_string(&d2, r->string_def.data, r->string_def.len);
		} else {
			assert_int_equal(fastpb_decode_record(&d1, b1.data + off, len, &f), 0);
			assert_int_equal(codec_decode_event(&d2, r->event, &g), 0);
		}
		compendium__record__free_unpacked(r, NULL);
		off += len;
	}
	uint8_t c1[512], c2[512];
	size_t n1 = canonical(&f, c1, sizeof(c1)), n2 = canonical(&g, c2, sizeof(c2));
	assert_int_equal(n1, n2);
	assert_memory_equal(c1, c2, n1);
	assert_int_equal(f.ts_ns, ev->ts_ns);
	assert_int_equal(g.ts_ns, ev->ts_ns);
	codec_dec_free(&d1);
	codec_dec_free(&d2);
	codec_enc_free(&e1);
	codec_enc_free(&e2);
	buf_free(&b1);
	buf_free(&b2);
}

static void test_fast_codec_matches_protobuf_c(void **state)
{
	(void)state;
	struct event io = sample(EV_IO, 77);
	check_fast_matches_pb(&io);
	io.io.fd.fd = -1;
	io.io.bytes = -5;
	io.io.offset = -1;
	io.pid = io.tid;
	io.sysno = 0;
	io.io.addr = NULL;
	check_fast_matches_pb(&io);
	struct event zero = { .kind = EV_IO, .sysno = -1 };
	check_fast_matches_pb(&zero);
	struct event fault = sample(EV_FAULT, 5);
	check_fast_matches_pb(&fault);
	fault.fault.addr = 0xffffffffff600000ull;
	fault.sysno = -1;
	check_fast_matches_pb(&fault);
}

/* The CRC-32C check value of "123456789" is 0xe3069283 (RFC 3720). */
static void test_crc32c_known_value(void **state)
{
	(void)state;
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283u);
	/* incremental == one shot, across the 8-byte fast path */
	const char *s = "the quick brown fox jumps over the lazy dog";
	assert_int_equal(crc32c(crc32c(0, s, 13), s + 13, strlen(s) - 13), crc32c(0, s, strlen(s)));
}


/* ---- hostile records ------------------------------------------------------ */

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A file holding one frame whose content is `recs`: right sizes and CRC. */
static uint8_t *file_of_records(const struct buf *recs, size_t *len)
{
	size_t bound = ZSTD_compressBound(recs->len);
	uint8_t *f = malloc(RECORDING_FILE_HEADER_SIZE + RECORDING_FRAME_HEADER_SIZE + bound);
	assert_non_null(f);
	memset(f, 0, RECORDING_FILE_HEADER_SIZE);
	memcpy(f, RECORDING_MAGIC, 8);
	f[8] = RECORDING_MAJOR;
	uint8_t *h = f + RECORDING_FILE_HEADER_SIZE;
	size_t c = ZSTD_compress(h + RECORDING_FRAME_HEADER_SIZE, bound, recs->data, recs->len, 1);
	assert_false(ZSTD_isError(c));
	memcpy(h, RECORDING_FRAME_MAGIC, 4);
	put_le32(h + 4, (uint32_t)c);
	put_le32(h + 8, (uint32_t)recs->len);
	put_le32(h + 12, crc32c(crc32c(0, h, 12), h + RECORDING_FRAME_HEADER_SIZE, c));
	*len = RECORDING_FILE_HEADER_SIZE + RECORDING_FRAME_HEADER_SIZE + c;
	return f;
}

static void put_string_def(struct buf *out, const void *p, size_t n)
{
	Compendium__Record r = COMPENDIUM__RECORD__INIT;
	r.rec_case = COMPENDIUM__RECORD__REC_STRING_DEF;
	r.string_def.data = (uint8_t *)p;
	r.string_def.len = n;
	assert_int_equal(codec_put_record(out, &r), 0);
}

struct longest {
	size_t max_len, events;
	uint32_t nargs;
};

static void longest_event(void *ctx, const struct event *ev)
{
	struct longest *l = ctx;
	l->events++;
	if (ev->kind == EV_EXEC) {
		for (uint32_t i = 0; i < ev->exec.argc; i++)
			if (ev->exec.argv[i] && strlen(ev->exec.argv[i]) > l->max_len)
				l->max_len = strlen(ev->exec.argv[i]);
		if (ev->exec.path && strlen(ev->exec.path) > l->max_len)
			l->max_len = strlen(ev->exec.path);
	}
	if (ev->kind == EV_SYSCALL)
		l->nargs = ev->syscall.nargs;
}

/*
 * A string longer than EVENT_MAX_STRING (which the writer never makes) is
 * cut by the reader: 256 references to one 1 MiB string in an exec must not
 * hand the sinks 256 MiB. An empty string_def and a raw syscall without
 * arguments (protobuf-c gives NULL data for both) read fine: both used to
 * pass NULL to memcpy (UBSan).
 */
static void test_hostile_strings_are_bounded(void **state)
{
	(void)state;
	struct buf recs = { 0 };
	size_t big = 1u << 20;
	char *s = malloc(big);
	assert_non_null(s);
	memset(s, 'A', big);
	put_string_def(&recs, "", 0);     /* id 1: empty */
	put_string_def(&recs, s, big);    /* id 2: 1 MiB */
	free(s);
	uint32_t ids[EVENT_MAX_ARGV];
	for (int i = 0; i < EVENT_MAX_ARGV; i++)
		ids[i] = 2;
	Compendium__Exec ex = COMPENDIUM__EXEC__INIT;
	ex.has_path = 1;
	ex.path = 2;
	ex.n_argv = EVENT_MAX_ARGV;
	ex.argv = ids;
	Compendium__Event pe = COMPENDIUM__EVENT__INIT;
	pe.kind_case = COMPENDIUM__EVENT__KIND_EXEC;
	pe.exec = &ex;
	pe.has_tid = 1;
	pe.tid = 7;
	Compendium__Record r = COMPENDIUM__RECORD__INIT;
	r.rec_case = COMPENDIUM__RECORD__REC_EVENT;
	r.event = &pe;
	assert_int_equal(codec_put_record(&recs, &r), 0);
	Compendium__Syscall sc = COMPENDIUM__SYSCALL__INIT; /* no args */
	Compendium__Event pe2 = COMPENDIUM__EVENT__INIT;
	pe2.kind_case = COMPENDIUM__EVENT__KIND_SYSCALL_RAW;
	pe2.syscall_raw = &sc;
	r.event = &pe2;
	assert_int_equal(codec_put_record(&recs, &r), 0);

	size_t len;
	uint8_t *f = file_of_records(&recs, &len);
	struct longest l = { 0 };
	struct event_sink sink = { .ctx = &l, .event = longest_event };
	struct recording_read_result res;
	recording_read_mem(f, len, &sink, &res);
	assert_int_equal(l.events, 2);
	assert_int_equal(l.max_len, EVENT_MAX_STRING);
	assert_int_equal(l.nargs, 0);
	assert_int_equal(res.integrity.corrupt_frames, 0);
	free(f);
	buf_free(&recs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_kind),
		cmocka_unit_test(test_field_values),
		cmocka_unit_test(test_frames_restart_interning_and_deltas),
		cmocka_unit_test(test_truncated_at_every_offset),
		cmocka_unit_test(test_corrupt_frame_is_skipped),
		cmocka_unit_test(test_random_corruption_never_crashes),
		cmocka_unit_test(test_versions_and_magic),
		cmocka_unit_test(test_missing_trailer_is_truncated),
		cmocka_unit_test(test_sigkill_leaves_readable_file),
		cmocka_unit_test(test_refuses_overwrite),
		cmocka_unit_test(test_fast_codec_matches_protobuf_c),
		cmocka_unit_test(test_crc32c_known_value),
		cmocka_unit_test(test_hostile_strings_are_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

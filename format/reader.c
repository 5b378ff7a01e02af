/*
 * reader.c - streams a recording to a sink.
 *
 * Input goes through a small buffer (`struct src`) that holds at most one
 * frame, so memory is bounded by RECORDING_MAX_FRAME whatever the file size.
 * Every length and id read from the file is checked before use: the file is
 * untrusted. A bad frame (magic, sizes, CRC, zstd, protobuf) is reported and
 * skipped by scanning for the next frame magic; a file cut inside a frame
 * ends the read after the last complete frame.
 */
#define _GNU_SOURCE
#include "recording.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "codec.h"
#include "fastpb.h"

struct src {
	FILE *f;          /* NULL for a memory source */
	uint8_t *buf;     /* owned for files; the caller's bytes for memory */
	size_t start, end, cap;
	uint64_t off;     /* file offset of buf[start] */
	bool eof;
};

/* Makes at least `n` bytes available when the input has them; returns how
 * many are available. n is at most RECORDING_FRAME_HEADER_SIZE + max frame. */
static size_t src_fill(struct src *s, size_t n)
{
	if (!s->f)
		return s->end - s->start;
	while (s->end - s->start < n && !s->eof) {
		if (s->buf && s->start + n > s->cap) {
			memmove(s->buf, s->buf + s->start, s->end - s->start);
			s->end -= s->start;
			s->start = 0;
		}
		if (n > s->cap) {
			size_t cap = s->cap ? s->cap : 1 << 16;
			while (cap < n)
				cap *= 2;
			uint8_t *b = realloc(s->buf, cap);
			if (!b)
				break;
			s->buf = b;
			s->cap = cap;
		}
		size_t r = fread(s->buf + s->end, 1, s->cap - s->end, s->f);
		s->end += r;
		if (r == 0)
			s->eof = true;
	}
	return s->end - s->start;
}

static void src_skip(struct src *s, size_t n)
{
	s->start += n;
	s->off += n;
}

struct reader {
	struct src in;
	const struct event_sink *sink;
	struct recording_read_result *res;
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
	ZSTD_DCtx *zd;
	struct buf frame;      /* decompressed records */
	struct buf hdr_arena;  /* header strings */
	struct codec_dec dec;
	ProtobufCAllocator alloc;
	struct buf pb_arena;   /* protobuf-c allocations of one record */
	bool header_seen;
	bool in_corrupt;       /* inside a run of bytes being skipped */
};

static void warnf(struct reader *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!r->res->message[0])
		snprintf(r->res->message, sizeof(r->res->message), "%s", msg);
	if (r->warn)
		r->warn(r->warn_ctx, msg);
}

/* ---- a bump allocator for protobuf-c, reset after each record ------------- */

static void *arena_alloc(void *data, size_t size)
{
	struct buf *a = data;
	size = (size + 15) & ~(size_t)15;
	if (a->cap - a->len < size) {
		/* Blocks already handed out must not move: fall back to malloc and
		 * record nothing; such allocations are freed by arena_free. */
		return malloc(size);
	}
	void *p = a->data + a->len;
	a->len += size;
	return p;
}

static void arena_free(void *data, void *p)
{
	struct buf *a = data;
	uint8_t *b = p;
	if (b && (b < a->data || b >= a->data + a->cap))
		free(p);
}

/* ---- records -------------------------------------------------------------- */

static void deliver_event(struct reader *r, const Compendium__Event *pe)
{
	struct event ev;
	if (codec_decode_event(&r->dec, pe, &ev)) {
		r->res->integrity.unknown_events++;
		return;
	}
	r->res->integrity.events++;
	if (r->sink->event)
		r->sink->event(r->sink->ctx, &ev);
}

static void deliver_header(struct reader *r, const Compendium__Header *ph)
{
	struct rec_header h;
	if (r->header_seen) {
		warnf(r, "second header at offset %llu ignored", (unsigned long long)r->in.off);
		return;
	}
	r->header_seen = true;
	r->hdr_arena.len = 0;
	if (codec_decode_header(ph, &h, &r->hdr_arena))
		return;
	if (r->sink->header)
		r->sink->header(r->sink->ctx, &h);
	free((void *)h.argv);
}

static void deliver_trailer(struct reader *r, const Compendium__Trailer *pt)
{
	struct rec_trailer t;
	codec_decode_trailer(pt, &t);
	r->res->integrity.has_trailer = true;
	if (r->sink->trailer)
		r->sink->trailer(r->sink->ctx, &t);
}

/* Returns 0, or -1 when the record does not parse (the frame is abandoned). */
static int read_record(struct reader *r, const uint8_t *p, size_t n)
{
	struct event ev;
	int fast = fastpb_decode_record(&r->dec, p, n, &ev);
	if (fast < 0)
		return -1;
	if (fast == 0) {
		r->res->integrity.events++;
		if (r->sink->event)
			r->sink->event(r->sink->ctx, &ev);
		return 0;
	}
	r->pb_arena.len = 0;
	Compendium__Record *rec = (Compendium__Record *)protobuf_c_message_unpack(
		&compendium__record__descriptor, &r->alloc, n, p);
	if (!rec)
		return -1;
	switch (rec->rec_case) {
	case COMPENDIUM__RECORD__REC_STRING_DEF:
		codec_dec_string(&r->dec, rec->string_def.data, rec->string_def.len);
		break;
	case COMPENDIUM__RECORD__REC_EVENT:
		deliver_event(r, rec->event);
		break;
	case COMPENDIUM__RECORD__REC_HEADER:
		deliver_header(r, rec->header);
		break;
	case COMPENDIUM__RECORD__REC_TRAILER:
		deliver_trailer(r, rec->trailer);
		break;
	default:
		break; /* a newer minor version's record: skipped */
	}
	protobuf_c_message_free_unpacked(&rec->base, &r->alloc);
	return 0;
}

static int get_varint(const uint8_t *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	for (size_t i = 0; i < n && i < 10; i++) {
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = x;
			return (int)i + 1;
		}
	}
	return -1;
}

/* Returns 0, or -1 when the content is corrupt past some point. */
static int read_frame_records(struct reader *r, const uint8_t *p, size_t n)
{
	codec_dec_reset(&r->dec, n);
	size_t off = 0;
	while (off < n) {
		uint64_t len;
		int k = get_varint(p + off, n - off, &len);
		if (k < 0 || len > n - off - (size_t)k)
			return -1;
		off += (size_t)k;
		if (read_record(r, p + off, (size_t)len))
			return -1;
		off += (size_t)len;
	}
	return 0;
}

/* ---- frames --------------------------------------------------------------- */

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Skips one byte of a bad frame and remembers we are resynchronising. */
static void skip_corrupt(struct reader *r, const char *why)
{
	if (!r->in_corrupt) {
		r->res->integrity.corrupt_frames++;
		warnf(r, "corrupt frame at offset %llu (%s): skipped",
		      (unsigned long long)r->in.off, why);
	}
	r->in_corrupt = true;
	r->res->integrity.skipped_bytes++;
	src_skip(&r->in, 1);
}

static void decompress_frame(struct reader *r, const uint8_t *payload, uint32_t c, uint32_t d)
{
	if (buf_reserve(&r->frame, d)) {
		warnf(r, "out of memory for a frame of %u bytes", d);
		return;
	}
	size_t got = ZSTD_decompressDCtx(r->zd, r->frame.data, d, payload, c);
	if (ZSTD_isError(got) || got != d) {
		r->res->integrity.corrupt_frames++;
		warnf(r, "frame at offset %llu does not decompress: skipped",
		      (unsigned long long)r->in.off);
		return;
	}
	if (read_frame_records(r, r->frame.data, d)) {
		r->res->integrity.corrupt_frames++;
		warnf(r, "frame at offset %llu has a bad record: rest of the frame skipped",
		      (unsigned long long)r->in.off);
	}
}

/* Reads one frame. Returns false at the end of the input. */
static bool read_frame(struct reader *r)
{
	size_t avail = src_fill(&r->in, RECORDING_FRAME_HEADER_SIZE);
	if (avail == 0)
		return false;
	const uint8_t *h = r->in.buf + r->in.start;
	if (memcmp(h, RECORDING_FRAME_MAGIC, avail < 4 ? avail : 4) != 0) {
		skip_corrupt(r, "no frame magic");
		return true;
	}
	if (avail < RECORDING_FRAME_HEADER_SIZE) {
		r->res->integrity.truncated = true;
		return false;
	}
	uint32_t c = get_le32(h + 4), d = get_le32(h + 8), crc = get_le32(h + 12);
	if (c == 0 || c > RECORDING_MAX_FRAME || d > RECORDING_MAX_FRAME) {
		skip_corrupt(r, "impossible frame size");
		return true;
	}
	avail = src_fill(&r->in, RECORDING_FRAME_HEADER_SIZE + c);
	h = r->in.buf + r->in.start;
	if (avail < RECORDING_FRAME_HEADER_SIZE + c) {
		r->res->integrity.truncated = true;
		return false;
	}
	if (crc32c(crc32c(0, h, 12), h + RECORDING_FRAME_HEADER_SIZE, c) != crc) {
		skip_corrupt(r, "checksum mismatch");
		return true;
	}
	r->in_corrupt = false;
	decompress_frame(r, h + RECORDING_FRAME_HEADER_SIZE, c, d);
	src_skip(&r->in, RECORDING_FRAME_HEADER_SIZE + c);
	return true;
}

static enum recording_status fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->res->message, sizeof(r->res->message), fmt, ap);
	va_end(ap);
	return r->res->status = RECORDING_ERROR;
}

static enum recording_status read_file_header(struct reader *r)
{
	size_t avail = src_fill(&r->in, RECORDING_FILE_HEADER_SIZE);
	if (avail == 0 && r->in.f && ferror(r->in.f))
		return fail(r, "cannot read: %s", strerror(errno));
	if (avail == 0)
		return fail(r, "empty file: not a compendium recording");
	const uint8_t *h = r->in.buf + r->in.start; /* buf may be NULL when empty */
	if (memcmp(h, RECORDING_MAGIC, avail < 8 ? avail : 8) != 0)
		return fail(r, "not a compendium recording (bad magic)");
	if (avail < RECORDING_FILE_HEADER_SIZE)
		return fail(r, "truncated recording: the file ends inside its 16-byte header");
	unsigned major = h[8] | h[9] << 8, minor = h[10] | h[11] << 8;
	if (major > RECORDING_MAJOR || major == 0)
		return fail(r, "recording format %u.%u is not readable by this compendium "
			       "(reads %u.x): upgrade compendium", major, minor, RECORDING_MAJOR);
	src_skip(&r->in, RECORDING_FILE_HEADER_SIZE);
	return RECORDING_OK;
}

static void conclude(struct reader *r)
{
	struct rec_integrity *in = &r->res->integrity;
	if (in->truncated)
		warnf(r, "recording truncated after %llu events: the file ends inside a frame",
		      (unsigned long long)in->events);
	else if (!in->has_trailer)
		warnf(r, "recording truncated after %llu events: no trailer (the recorder "
			 "did not finish)", (unsigned long long)in->events);
	if (!in->has_trailer)
		in->truncated = true;
	if (in->truncated)
		r->res->status = RECORDING_TRUNCATED;
	else if (in->corrupt_frames)
		r->res->status = RECORDING_CORRUPT;
	else
		r->res->status = RECORDING_OK;
	if (r->sink->end)
		r->sink->end(r->sink->ctx, in);
}

static enum recording_status run(struct reader *r)
{
	r->zd = ZSTD_createDCtx();
	if (!r->zd || buf_reserve(&r->pb_arena, 1 << 16))
		return fail(r, "out of memory");
	r->alloc = (ProtobufCAllocator){ arena_alloc, arena_free, &r->pb_arena };
	codec_dec_init(&r->dec);
	if (read_file_header(r) == RECORDING_OK) {
		while (read_frame(r))
			;
		if (r->in.f && ferror(r->in.f))
			return fail(r, "read error: %s", strerror(errno));
		conclude(r);
	}
	return r->res->status;
}

static void reader_free(struct reader *r)
{
	ZSTD_freeDCtx(r->zd);
	buf_free(&r->frame);
	buf_free(&r->hdr_arena);
	buf_free(&r->pb_arena);
	codec_dec_free(&r->dec);
}

enum recording_status recording_read(FILE *f, const struct event_sink *sink,
				     struct recording_read_result *res,
				     void (*warn)(void *ctx, const char *msg), void *warn_ctx)
{
	*res = (struct recording_read_result){ 0 };
	struct reader r = { .in = { .f = f }, .sink = sink, .res = res, .warn = warn,
			    .warn_ctx = warn_ctx };
	enum recording_status st = run(&r);
	free(r.in.buf);
	reader_free(&r);
	return st;
}

enum recording_status recording_read_mem(const void *buf, size_t len,
					 const struct event_sink *sink,
					 struct recording_read_result *res)
{
	*res = (struct recording_read_result){ 0 };
	struct reader r = { .in = { .buf = (uint8_t *)buf, .end = len, .cap = len, .eof = true },
			    .sink = sink, .res = res };
	enum recording_status st = run(&r);
	reader_free(&r);
	return st;
}

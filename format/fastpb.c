/*
 * fastpb.c - see fastpb.h. Field numbers below are those of
 * schemas/compendium.proto; fields are written in increasing number and only
 * when non-zero, as protobuf-c does for proto2 optional fields with has_*.
 */
#include "fastpb.h"

#include <errno.h>
#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* Schema field numbers used here. */
enum {
	F_RECORD_EVENT = 3,
	F_EV_TS = 1, F_EV_TID, F_EV_PID, F_EV_DUR, F_EV_SYSCALL, F_EV_ERR, F_EV_FLAGS,
	F_EV_IO = 30, F_EV_FAULT = 37,
	F_IO_OP = 1, F_IO_FD, F_IO_BYTES, F_IO_ADDR, F_IO_COUNT, F_IO_OFFSET,
	F_FD_FD = 1, F_FD_KIND, F_FD_NAME, F_FD_PROTO,
	F_FAULT_DELTA = 1, F_FAULT_IP,
};

static inline uint64_t zz64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline uint32_t zz32(int32_t v) { return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31); }
static inline int64_t unzz64(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }
static inline int32_t unzz32(uint32_t v) { return (int32_t)(v >> 1) ^ -(int32_t)(v & 1); }

/* ---- writing ---------------------------------------------------------------- */

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint8_t *put_field(uint8_t *p, unsigned num, uint64_t v)
{
	if (!v)
		return p;
	p = put_varint(p, (uint64_t)num << 3 | WT_VARINT);
	return put_varint(p, v);
}

static inline uint8_t *put_msg(uint8_t *p, unsigned num, const uint8_t *m, size_t n)
{
	p = put_varint(p, (uint64_t)num << 3 | WT_LEN);
	p = put_varint(p, n);
	memcpy(p, m, n);
	return p + n;
}

/* Interning may emit string definitions into `out`, so it runs before the
 * event's own bytes are appended. */
static uint8_t *put_fdref(uint8_t *p, const struct event_fd *f, uint32_t name)
{
	p = put_field(p, F_FD_FD, zz32(f->fd));
	p = put_field(p, F_FD_KIND, f->kind);
	p = put_field(p, F_FD_NAME, name);
	return put_field(p, F_FD_PROTO, f->proto);
}

static size_t kind_body(struct codec_enc *e, const struct event *ev, uint8_t *body,
			unsigned *field, uint32_t name, uint32_t addr)
{
	uint8_t fd[40], *q = body;
	if (ev->kind == EV_IO) {
		size_t fdn = (size_t)(put_fdref(fd, &ev->io.fd, name) - fd);
		q = put_field(q, F_IO_OP, ev->io.op);
		q = put_msg(q, F_IO_FD, fd, fdn);
		q = put_field(q, F_IO_BYTES, zz64(ev->io.bytes));
		q = put_field(q, F_IO_ADDR, addr);
		q = put_field(q, F_IO_COUNT, ev->io.count);
		q = put_field(q, F_IO_OFFSET, zz64(ev->io.offset));
		*field = F_EV_IO;
	} else {
		q = put_field(q, F_FAULT_DELTA, zz64((int64_t)(ev->fault.addr - e->last_fault)));
		q = put_field(q, F_FAULT_IP, ev->fault.ip);
		e->last_fault = ev->fault.addr;
		*field = F_EV_FAULT;
	}
	return (size_t)(q - body);
}

int fastpb_encode_event(struct codec_enc *e, const struct event *ev, struct buf *out)
{
	if (ev->kind != EV_IO && ev->kind != EV_FAULT)
		return 1;
	uint32_t name = 0, addr = 0;
	if (ev->kind == EV_IO) {
		int err = 0;
		name = codec_intern(e, ev->io.fd.name, out, &err);
		addr = codec_intern(e, ev->io.addr, out, &err);
		if (err)
			return err;
	}
	uint8_t body[128], evb[256], *q = evb;
	unsigned field;
	size_t bn = kind_body(e, ev, body, &field, name, addr);
	q = put_field(q, F_EV_TS, zz64((int64_t)(ev->ts_ns - e->last_ts)));
	e->last_ts = ev->ts_ns;
	q = put_field(q, F_EV_TID, ev->tid);
	if (ev->pid != ev->tid) {
		q = put_varint(q, F_EV_PID << 3 | WT_VARINT);
		q = put_varint(q, ev->pid);
	}
	q = put_field(q, F_EV_DUR, ev->dur_ns);
	q = put_field(q, F_EV_SYSCALL, ev->sysno >= 0 ? (uint64_t)ev->sysno + 1 : 0);
	q = put_field(q, F_EV_ERR, ev->err);
	q = put_field(q, F_EV_FLAGS, ev->flags);
	q = put_msg(q, field, body, bn);
	size_t evn = (size_t)(q - evb);
	if (buf_reserve(out, evn + 16))
		return -ENOMEM;
	uint8_t *o = out->data + out->len;
	uint8_t rec[16], *r = put_varint(rec, F_RECORD_EVENT << 3 | WT_LEN);
	r = put_varint(r, evn);
	o = put_varint(o, (size_t)(r - rec) + evn);
	memcpy(o, rec, (size_t)(r - rec));
	o += r - rec;
	memcpy(o, evb, evn);
	out->len = (size_t)(o + evn - out->data);
	return 0;
}

/* ---- reading ---------------------------------------------------------------- */

struct rd {
	const uint8_t *p, *end;
};

static inline int get_varint(struct rd *r, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned s = 0; s < 70 && r->p < r->end; s += 7) {
		uint8_t b = *r->p++;
		x |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* Skips a field of an unknown number (a newer minor version's field). */
static int skip_field(struct rd *r, unsigned wt)
{
	uint64_t v;
	switch (wt) {
	case WT_VARINT: return get_varint(r, &v);
	case WT_I64: if (r->end - r->p < 8) return -1; r->p += 8; return 0;
	case WT_I32: if (r->end - r->p < 4) return -1; r->p += 4; return 0;
	case WT_LEN:
		if (get_varint(r, &v) || v > (uint64_t)(r->end - r->p))
			return -1;
		r->p += v;
		return 0;
	default: return -1;
	}
}

/* Reads the next tag; for WT_LEN also its payload as a sub-reader. */
static int next(struct rd *r, unsigned *num, unsigned *wt, uint64_t *v, struct rd *sub)
{
	uint64_t tag;
	if (get_varint(r, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
		return -1;
	*num = (unsigned)(tag >> 3);
	*wt = (unsigned)(tag & 7);
	if (*wt == WT_LEN) {
		uint64_t n;
		if (get_varint(r, &n) || n > (uint64_t)(r->end - r->p))
			return -1;
		*sub = (struct rd){ r->p, r->p + n };
		r->p += n;
		return 0;
	}
	if (*wt == WT_VARINT)
		return get_varint(r, v);
	return skip_field(r, *wt);
}

static int read_fdref(struct codec_dec *d, struct rd r, struct event_fd *f)
{
	unsigned num, wt;
	uint64_t v;
	struct rd sub;
	while (r.p < r.end) {
		if (next(&r, &num, &wt, &v, &sub))
			return -1;
		if (wt != WT_VARINT)
			continue;
		switch (num) {
		case F_FD_FD: f->fd = unzz32((uint32_t)v); break;
		case F_FD_KIND: f->kind = (uint8_t)v; break;
		case F_FD_NAME: f->name = codec_dec_ref(d, (uint32_t)v); break;
		case F_FD_PROTO: f->proto = (uint8_t)v; break;
		}
	}
	return 0;
}

static int read_io(struct codec_dec *d, struct rd r, struct ev_io *io)
{
	unsigned num, wt;
	uint64_t v;
	struct rd sub;
	while (r.p < r.end) {
		if (next(&r, &num, &wt, &v, &sub))
			return -1;
		if (num == F_IO_FD && wt == WT_LEN) {
			if (read_fdref(d, sub, &io->fd))
				return -1;
			continue;
		}
		if (wt != WT_VARINT)
			continue;
		switch (num) {
		case F_IO_OP: io->op = (uint8_t)v; break;
		case F_IO_BYTES: io->bytes = unzz64(v); break;
		case F_IO_ADDR: io->addr = codec_dec_ref(d, (uint32_t)v); break;
		case F_IO_COUNT: io->count = (uint32_t)v; break;
		case F_IO_OFFSET: io->offset = unzz64(v); break;
		}
	}
	return 0;
}

static int read_fault(struct rd r, int64_t *delta, uint64_t *ip)
{
	unsigned num, wt;
	uint64_t v;
	struct rd sub;
	while (r.p < r.end) {
		if (next(&r, &num, &wt, &v, &sub))
			return -1;
		if (wt == WT_VARINT && num == F_FAULT_DELTA)
			*delta = unzz64(v);
		else if (wt == WT_VARINT && num == F_FAULT_IP)
			*ip = v;
	}
	return 0;
}

/* Common Event fields; returns 1 for a kind this file does not handle. */
static int read_event(struct codec_dec *d, struct rd r, struct event *ev)
{
	unsigned num, wt;
	uint64_t v, sys = 0;
	int64_t ts = 0, fdelta = 0;
	bool has_pid = false;
	struct rd sub;
	*ev = (struct event){ .kind = EV_NONE };
	while (r.p < r.end) {
		if (next(&r, &num, &wt, &v, &sub))
			return -1;
		if (wt == WT_LEN) {
			if (num == F_EV_IO) {
				ev->kind = EV_IO;
				if (read_io(d, sub, &ev->io))
					return -1;
			} else if (num == F_EV_FAULT) {
				ev->kind = EV_FAULT;
				if (read_fault(sub, &fdelta, &ev->fault.ip))
					return -1;
			} else if (num >= 16) {
				return 1; /* another kind: protobuf-c's job */
			}
			continue;
		}
		if (wt != WT_VARINT)
			continue;
		switch (num) {
		case F_EV_TS: ts = unzz64(v); break;
		case F_EV_TID: ev->tid = (uint32_t)v; break;
		case F_EV_PID: ev->pid = (uint32_t)v; has_pid = true; break;
		case F_EV_DUR: ev->dur_ns = v; break;
		case F_EV_SYSCALL: sys = (uint32_t)v; break;
		case F_EV_ERR: ev->err = (uint32_t)v; break;
		case F_EV_FLAGS: ev->flags = (uint32_t)v; break;
		}
	}
	if (ev->kind == EV_NONE)
		return 1;
	if (!has_pid)
		ev->pid = ev->tid;
	ev->sysno = sys ? (int32_t)(sys - 1) : -1;
	d->last_ts += (uint64_t)ts;
	ev->ts_ns = d->last_ts;
	if (ev->kind == EV_FAULT) {
		d->last_fault += (uint64_t)fdelta;
		ev->fault.addr = d->last_fault;
	}
	return 0;
}

int fastpb_decode_record(struct codec_dec *d, const uint8_t *p, size_t n, struct event *ev)
{
	struct rd r = { p, p + n }, sub;
	unsigned num, wt;
	uint64_t v;
	if (next(&r, &num, &wt, &v, &sub))
		return -1;
	if (num != F_RECORD_EVENT || wt != WT_LEN || r.p != r.end)
		return 1;
	return read_event(d, sub, ev);
}

/*
 * codec.c - struct event <-> protobuf messages, interning and deltas.
 *
 * Encoding builds the messages on the stack (no allocation per event) and
 * packs them straight into the frame buffer. Decoding receives messages that
 * protobuf-c unpacked and resolves string ids against the frame's table.
 * Fields are written only when non-zero, so an absent field reads as 0 and
 * every value round-trips.
 */
#include "codec.h"
#include "fastpb.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffers ------------------------------------------------------------- */

int buf_reserve(struct buf *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < extra)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){ 0 };
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

int codec_put_record(struct buf *out, const Compendium__Record *r)
{
	size_t sz = protobuf_c_message_get_packed_size(&r->base);
	if (buf_reserve(out, sz + 10))
		return -ENOMEM;
	out->len += put_varint(out->data + out->len, sz);
	out->len += protobuf_c_message_pack(&r->base, out->data + out->len);
	return 0;
}

/* ---- interning ------------------------------------------------------------ */

struct intern_slot {
	uint32_t gen, id;
	uint64_t hash;
	size_t off, len; /* key bytes in the arena */
};

void codec_enc_init(struct codec_enc *e)
{
	*e = (struct codec_enc){ .gen = 1, .next_id = 1 };
}

void codec_enc_free(struct codec_enc *e)
{
	free(e->slots);
	buf_free(&e->arena);
	*e = (struct codec_enc){ 0 };
}

void codec_enc_reset(struct codec_enc *e)
{
	e->gen++;
	e->used = 0;
	e->next_id = 1;
	e->last_ts = 0;
	e->last_fault = 0;
	e->arena.len = 0;
}

static int intern_grow(struct codec_enc *e)
{
	uint32_t n = e->nslots ? e->nslots * 2 : 1024;
	struct intern_slot *s = calloc(n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (uint32_t i = 0; i < e->nslots; i++) {
		struct intern_slot *o = &e->slots[i];
		if (o->gen != e->gen)
			continue;
		uint32_t j = (uint32_t)o->hash & (n - 1);
		while (s[j].gen == e->gen)
			j = (j + 1) & (n - 1);
		s[j] = *o;
	}
	free(e->slots);
	e->slots = s;
	e->nslots = n;
	return 0;
}

static int emit_string_def(struct buf *out, const char *s, size_t n)
{
	Compendium__Record r = COMPENDIUM__RECORD__INIT;
	r.rec_case = COMPENDIUM__RECORD__REC_STRING_DEF;
	r.string_def.data = (uint8_t *)s;
	r.string_def.len = n;
	return codec_put_record(out, &r);
}

uint32_t codec_intern(struct codec_enc *e, const char *s, struct buf *out, int *err)
{
	if (!s)
		return 0;
	size_t n = strnlen(s, EVENT_MAX_STRING);
	uint64_t h = util_hash(s, n, 0);
	if ((e->used + 1) * 2 > e->nslots && intern_grow(e)) {
		*err = -ENOMEM;
		return 0;
	}
	uint32_t i = (uint32_t)h & (e->nslots - 1);
	for (;; i = (i + 1) & (e->nslots - 1)) {
		struct intern_slot *sl = &e->slots[i];
		if (sl->gen != e->gen)
			break;
		if (sl->hash == h && sl->len == n && !memcmp(e->arena.data + sl->off, s, n))
			return sl->id;
	}
	if (buf_reserve(&e->arena, n) || emit_string_def(out, s, n)) {
		*err = -ENOMEM;
		return 0;
	}
	memcpy(e->arena.data + e->arena.len, s, n);
	e->slots[i] = (struct intern_slot){ .gen = e->gen, .id = e->next_id, .hash = h,
					    .off = e->arena.len, .len = n };
	e->arena.len += n;
	e->used++;
	return e->next_id++;
}

/* ---- encoding ------------------------------------------------------------- */

/* Sets an optional field only when its value is not zero. */
#define SET(m, f, v)                                   \
	do {                                           \
		if (v) {                               \
			(m).has_##f = 1;               \
			(m).f = (v);                   \
		}                                      \
	} while (0)

#define STR(m, f, s) SET(m, f, codec_intern(e, (s), out, &err))

/* Every sub-message an event may need, alive until the event is packed. */
union pb_body {
	Compendium__Spawn spawn;
	Compendium__Exec exec;
	Compendium__Exit exit;
	Compendium__Signal signal;
	Compendium__Open open;
	Compendium__Close close;
	Compendium__FileOp file_op;
	Compendium__Dup dup;
	Compendium__Pipe pipe;
	Compendium__Socket socket;
	Compendium__Endpoint endpoint;
	Compendium__Listen listen;
	Compendium__Accept accept;
	Compendium__Io io;
	Compendium__Transfer transfer;
	Compendium__Brk brk;
	Compendium__Mmap mmap;
	Compendium__Range range;
	Compendium__Mremap mremap;
	Compendium__PageFault fault;
	Compendium__SchedDelay sched;
	Compendium__BlockIo block;
	Compendium__Histogram hist;
	Compendium__Loss loss;
	Compendium__Note note;
	Compendium__Syscall syscall;
	Compendium__Task task;
};

struct pb_scratch {
	union pb_body b;
	Compendium__FdRef fd1, fd2;
	uint32_t argv[EVENT_MAX_ARGV];
};

static Compendium__FdRef *enc_fd(struct codec_enc *e, Compendium__FdRef *m,
				 const struct event_fd *f, struct buf *out, int *errp)
{
	int err = 0;
	*m = (Compendium__FdRef)COMPENDIUM__FD_REF__INIT;
	SET(*m, fd, f->fd);
	SET(*m, kind, (Compendium__FdRef__Kind)f->kind);
	SET(*m, proto, (Compendium__Proto)f->proto);
	STR(*m, name, f->name);
	if (err)
		*errp = err;
	return m;
}

static int enc_process(struct codec_enc *e, const struct event *ev, Compendium__Event *pe,
		       struct pb_scratch *s, struct buf *out)
{
	int err = 0;
	switch (ev->kind) {
	case EV_SPAWN: {
		Compendium__Spawn *m = &s->b.spawn;
		*m = (Compendium__Spawn)COMPENDIUM__SPAWN__INIT;
		SET(*m, child_tid, ev->spawn.child_tid);
		SET(*m, child_pid, ev->spawn.child_pid);
		SET(*m, kind, (Compendium__Spawn__Kind)ev->spawn.kind);
		SET(*m, clone_flags, ev->spawn.clone_flags);
		pe->spawn = m;
		break;
	}
	case EV_EXEC: {
		Compendium__Exec *m = &s->b.exec;
		*m = (Compendium__Exec)COMPENDIUM__EXEC__INIT;
		STR(*m, path, ev->exec.path);
		uint32_t n = ev->exec.argc < EVENT_MAX_ARGV ? ev->exec.argc : EVENT_MAX_ARGV;
		for (uint32_t i = 0; i < n; i++)
			s->argv[i] = codec_intern(e, ev->exec.argv[i], out, &err);
		m->n_argv = n;
		m->argv = s->argv;
		STR(*m, comm, ev->exec.comm);
		SET(*m, old_tid, ev->exec.old_tid);
		pe->exec = m;
		break;
	}
	case EV_EXIT: {
		Compendium__Exit *m = &s->b.exit;
		*m = (Compendium__Exit)COMPENDIUM__EXIT__INIT;
		SET(*m, code, ev->exit.code);
		SET(*m, signal, ev->exit.signal);
		SET(*m, core_dumped, ev->exit.core_dumped);
		SET(*m, thread, ev->exit.thread);
		pe->exit = m;
		break;
	}
	case EV_SIGNAL: {
		Compendium__Signal *m = &s->b.signal;
		*m = (Compendium__Signal)COMPENDIUM__SIGNAL__INIT;
		SET(*m, signo, ev->signal.signo);
		SET(*m, code, ev->signal.code);
		SET(*m, sender_pid, ev->signal.sender_pid);
		SET(*m, group_stop, ev->signal.group_stop);
		pe->signal = m;
		break;
	}
	case EV_TASK: {
		Compendium__Task *m = &s->b.task;
		*m = (Compendium__Task)COMPENDIUM__TASK__INIT;
		STR(*m, comm, ev->task.comm);
		SET(*m, thread, ev->task.thread);
		pe->task = m;
		break;
	}
	default:
		return 1;
	}
	return err;
}

static int enc_files(struct codec_enc *e, const struct event *ev, Compendium__Event *pe,
		     struct pb_scratch *s, struct buf *out)
{
	int err = 0;
	switch (ev->kind) {
	case EV_OPEN: {
		Compendium__Open *m = &s->b.open;
		*m = (Compendium__Open)COMPENDIUM__OPEN__INIT;
		STR(*m, path, ev->open.path);
		SET(*m, flags, ev->open.flags);
		SET(*m, mode, ev->open.mode);
		SET(*m, fd, ev->open.fd);
		SET(*m, created, ev->open.created);
		pe->open = m;
		break;
	}
	case EV_CLOSE: {
		Compendium__Close *m = &s->b.close;
		*m = (Compendium__Close)COMPENDIUM__CLOSE__INIT;
		m->fd = enc_fd(e, &s->fd1, &ev->close.fd, out, &err);
		SET(*m, last_fd, ev->close.last_fd);
		pe->close = m;
		break;
	}
	case EV_FILE_OP: {
		Compendium__FileOp *m = &s->b.file_op;
		*m = (Compendium__FileOp)COMPENDIUM__FILE_OP__INIT;
		SET(*m, op, (Compendium__FileOp__Op)ev->file_op.op);
		STR(*m, path, ev->file_op.path);
		STR(*m, path2, ev->file_op.path2);
		SET(*m, length, ev->file_op.length);
		SET(*m, fd, ev->file_op.fd);
		pe->file_op = m;
		break;
	}
	case EV_DUP: {
		Compendium__Dup *m = &s->b.dup;
		*m = (Compendium__Dup)COMPENDIUM__DUP__INIT;
		m->old_fd = enc_fd(e, &s->fd1, &ev->dup.old_fd, out, &err);
		SET(*m, new_fd, ev->dup.new_fd);
		SET(*m, cloexec, ev->dup.cloexec);
		pe->dup = m;
		break;
	}
	case EV_PIPE: {
		Compendium__Pipe *m = &s->b.pipe;
		*m = (Compendium__Pipe)COMPENDIUM__PIPE__INIT;
		SET(*m, read_fd, ev->pipe.read_fd);
		SET(*m, write_fd, ev->pipe.write_fd);
		SET(*m, flags, ev->pipe.flags);
		pe->pipe = m;
		break;
	}
	default:
		return 1;
	}
	return err;
}

static int enc_net(struct codec_enc *e, const struct event *ev, Compendium__Event *pe,
		   struct pb_scratch *s, struct buf *out)
{
	int err = 0;
	switch (ev->kind) {
	case EV_SOCKET: {
		Compendium__Socket *m = &s->b.socket;
		*m = (Compendium__Socket)COMPENDIUM__SOCKET__INIT;
		SET(*m, fd, ev->socket.fd);
		SET(*m, fd2, ev->socket.fd2);
		SET(*m, domain, ev->socket.domain);
		SET(*m, type, ev->socket.type);
		SET(*m, protocol, ev->socket.protocol);
		SET(*m, proto, (Compendium__Proto)ev->socket.proto);
		pe->socket = m;
		break;
	}
	case EV_CONNECT:
	case EV_BIND: {
		const struct ev_addr *a = ev->kind == EV_CONNECT ? &ev->connect : &ev->bind;
		Compendium__Endpoint *m = &s->b.endpoint;
		*m = (Compendium__Endpoint)COMPENDIUM__ENDPOINT__INIT;
		SET(*m, fd, a->fd);
		SET(*m, proto, (Compendium__Proto)a->proto);
		STR(*m, addr, a->addr);
		if (ev->kind == EV_CONNECT)
			pe->connect = m;
		else
			pe->bind = m;
		break;
	}
	case EV_LISTEN: {
		Compendium__Listen *m = &s->b.listen;
		*m = (Compendium__Listen)COMPENDIUM__LISTEN__INIT;
		SET(*m, fd, ev->listen.fd);
		SET(*m, backlog, ev->listen.backlog);
		SET(*m, proto, (Compendium__Proto)ev->listen.proto);
		STR(*m, addr, ev->listen.addr);
		pe->listen = m;
		break;
	}
	case EV_ACCEPT: {
		Compendium__Accept *m = &s->b.accept;
		*m = (Compendium__Accept)COMPENDIUM__ACCEPT__INIT;
		SET(*m, fd, ev->accept.fd);
		SET(*m, new_fd, ev->accept.new_fd);
		SET(*m, proto, (Compendium__Proto)ev->accept.proto);
		STR(*m, local_addr, ev->accept.local_addr);
		STR(*m, peer_addr, ev->accept.peer_addr);
		pe->accept = m;
		break;
	}
	default:
		return 1;
	}
	return err;
}

static int enc_io(struct codec_enc *e, const struct event *ev, Compendium__Event *pe,
		  struct pb_scratch *s, struct buf *out)
{
	int err = 0;
	switch (ev->kind) {
	case EV_IO: {
		Compendium__Io *m = &s->b.io;
		*m = (Compendium__Io)COMPENDIUM__IO__INIT;
		SET(*m, op, (Compendium__Io__Op)ev->io.op);
		m->fd = enc_fd(e, &s->fd1, &ev->io.fd, out, &err);
		SET(*m, bytes, ev->io.bytes);
		STR(*m, addr, ev->io.addr);
		SET(*m, count, ev->io.count);
		SET(*m, offset, ev->io.offset);
		pe->io = m;
		break;
	}
	case EV_TRANSFER: {
		Compendium__Transfer *m = &s->b.transfer;
		*m = (Compendium__Transfer)COMPENDIUM__TRANSFER__INIT;
		m->src = enc_fd(e, &s->fd1, &ev->transfer.src, out, &err);
		m->dst = enc_fd(e, &s->fd2, &ev->transfer.dst, out, &err);
		SET(*m, bytes, ev->transfer.bytes);
		pe->transfer = m;
		break;
	}
	default:
		return 1;
	}
	return err;
}

static int enc_mem(struct codec_enc *e, const struct event *ev, Compendium__Event *pe,
		   struct pb_scratch *s, struct buf *out)
{
	int err = 0;
	switch (ev->kind) {
	case EV_BRK: {
		Compendium__Brk *m = &s->b.brk;
		*m = (Compendium__Brk)COMPENDIUM__BRK__INIT;
		SET(*m, old_brk, ev->brk.old_brk);
		SET(*m, new_brk, ev->brk.new_brk);
		SET(*m, requested, ev->brk.requested);
		pe->brk = m;
		break;
	}
	case EV_MMAP: {
		Compendium__Mmap *m = &s->b.mmap;
		*m = (Compendium__Mmap)COMPENDIUM__MMAP__INIT;
		SET(*m, addr, ev->mmap.addr);
		SET(*m, len, ev->mmap.len);
		SET(*m, prot, ev->mmap.prot);
		SET(*m, flags, ev->mmap.flags);
		SET(*m, fd, ev->mmap.fd);
		SET(*m, offset, ev->mmap.offset);
		STR(*m, path, ev->mmap.path);
		pe->mmap = m;
		break;
	}
	case EV_MUNMAP:
	case EV_MPROTECT: {
		const struct ev_range *r = ev->kind == EV_MUNMAP ? &ev->munmap : &ev->mprotect;
		Compendium__Range *m = &s->b.range;
		*m = (Compendium__Range)COMPENDIUM__RANGE__INIT;
		SET(*m, addr, r->addr);
		SET(*m, len, r->len);
		SET(*m, prot, r->prot);
		if (ev->kind == EV_MUNMAP)
			pe->munmap = m;
		else
			pe->mprotect = m;
		break;
	}
	case EV_MREMAP: {
		Compendium__Mremap *m = &s->b.mremap;
		*m = (Compendium__Mremap)COMPENDIUM__MREMAP__INIT;
		SET(*m, old_addr, ev->mremap.old_addr);
		SET(*m, old_len, ev->mremap.old_len);
		SET(*m, new_addr, ev->mremap.new_addr);
		SET(*m, new_len, ev->mremap.new_len);
		SET(*m, flags, ev->mremap.flags);
		pe->mremap = m;
		break;
	}
	case EV_FAULT: {
		Compendium__PageFault *m = &s->b.fault;
		*m = (Compendium__PageFault)COMPENDIUM__PAGE_FAULT__INIT;
		SET(*m, addr_delta, (int64_t)(ev->fault.addr - e->last_fault));
		SET(*m, ip, ev->fault.ip);
		e->last_fault = ev->fault.addr;
		pe->fault = m;
		break;
	}
	default:
		return 1;
	}
	return err;
}

static int enc_kernel(struct codec_enc *e, const struct event *ev, Compendium__Event *pe,
		      struct pb_scratch *s, struct buf *out)
{
	int err = 0;
	switch (ev->kind) {
	case EV_SCHED: {
		Compendium__SchedDelay *m = &s->b.sched;
		*m = (Compendium__SchedDelay)COMPENDIUM__SCHED_DELAY__INIT;
		SET(*m, delay_ns, ev->sched.delay_ns);
		SET(*m, cpu, ev->sched.cpu);
		SET(*m, preempted, ev->sched.preempted);
		pe->sched = m;
		break;
	}
	case EV_BLOCK: {
		Compendium__BlockIo *m = &s->b.block;
		*m = (Compendium__BlockIo)COMPENDIUM__BLOCK_IO__INIT;
		SET(*m, dev, ev->block.dev);
		SET(*m, sector, ev->block.sector);
		SET(*m, bytes, ev->block.bytes);
		SET(*m, write, ev->block.write);
		SET(*m, writeback, ev->block.writeback);
		SET(*m, error, ev->block.error);
		pe->block = m;
		break;
	}
	case EV_HIST: {
		Compendium__Histogram *m = &s->b.hist;
		*m = (Compendium__Histogram)COMPENDIUM__HISTOGRAM__INIT;
		SET(*m, kind, (Compendium__Histogram__Kind)ev->hist.kind);
		m->n_buckets = ev->hist.nbuckets < EVENT_MAX_HIST_BUCKETS ? ev->hist.nbuckets
									  : EVENT_MAX_HIST_BUCKETS;
		m->buckets = (uint64_t *)ev->hist.buckets;
		m->unit = (char *)ev->hist.unit;
		pe->hist = m;
		break;
	}
	case EV_LOSS: {
		Compendium__Loss *m = &s->b.loss;
		*m = (Compendium__Loss)COMPENDIUM__LOSS__INIT;
		m->source = (char *)ev->loss.source;
		SET(*m, count, ev->loss.count);
		m->reason = (char *)ev->loss.reason;
		pe->loss = m;
		break;
	}
	case EV_NOTE: {
		Compendium__Note *m = &s->b.note;
		*m = (Compendium__Note)COMPENDIUM__NOTE__INIT;
		SET(*m, level, (Compendium__Note__Level)ev->note.level);
		STR(*m, text, ev->note.text);
		pe->note = m;
		break;
	}
	case EV_SYSCALL: {
		Compendium__Syscall *m = &s->b.syscall;
		*m = (Compendium__Syscall)COMPENDIUM__SYSCALL__INIT;
		m->n_args = ev->syscall.nargs < EVENT_MAX_SYSCALL_ARGS ? ev->syscall.nargs
								      : EVENT_MAX_SYSCALL_ARGS;
		m->args = (uint64_t *)ev->syscall.args;
		SET(*m, ret, ev->syscall.ret);
		pe->syscall_raw = m;
		break;
	}
	default:
		return 1;
	}
	return err;
}

/* The oneof case of each kind: the schema's field numbers. */
static const Compendium__Event__KindCase kind_case[EV__COUNT] = {
	[EV_SPAWN] = COMPENDIUM__EVENT__KIND_SPAWN,
	[EV_EXEC] = COMPENDIUM__EVENT__KIND_EXEC,
	[EV_EXIT] = COMPENDIUM__EVENT__KIND_EXIT,
	[EV_SIGNAL] = COMPENDIUM__EVENT__KIND_SIGNAL,
	[EV_OPEN] = COMPENDIUM__EVENT__KIND_OPEN,
	[EV_CLOSE] = COMPENDIUM__EVENT__KIND_CLOSE,
	[EV_FILE_OP] = COMPENDIUM__EVENT__KIND_FILE_OP,
	[EV_DUP] = COMPENDIUM__EVENT__KIND_DUP,
	[EV_PIPE] = COMPENDIUM__EVENT__KIND_PIPE,
	[EV_SOCKET] = COMPENDIUM__EVENT__KIND_SOCKET,
	[EV_CONNECT] = COMPENDIUM__EVENT__KIND_CONNECT,
	[EV_BIND] = COMPENDIUM__EVENT__KIND_BIND,
	[EV_LISTEN] = COMPENDIUM__EVENT__KIND_LISTEN,
	[EV_ACCEPT] = COMPENDIUM__EVENT__KIND_ACCEPT,
	[EV_IO] = COMPENDIUM__EVENT__KIND_IO,
	[EV_TRANSFER] = COMPENDIUM__EVENT__KIND_TRANSFER,
	[EV_BRK] = COMPENDIUM__EVENT__KIND_BRK,
	[EV_MMAP] = COMPENDIUM__EVENT__KIND_MMAP,
	[EV_MUNMAP] = COMPENDIUM__EVENT__KIND_MUNMAP,
	[EV_MREMAP] = COMPENDIUM__EVENT__KIND_MREMAP,
	[EV_MPROTECT] = COMPENDIUM__EVENT__KIND_MPROTECT,
	[EV_FAULT] = COMPENDIUM__EVENT__KIND_FAULT,
	[EV_SCHED] = COMPENDIUM__EVENT__KIND_SCHED,
	[EV_BLOCK] = COMPENDIUM__EVENT__KIND_BLOCK,
	[EV_HIST] = COMPENDIUM__EVENT__KIND_HIST,
	[EV_LOSS] = COMPENDIUM__EVENT__KIND_LOSS,
	[EV_NOTE] = COMPENDIUM__EVENT__KIND_NOTE,
	[EV_SYSCALL] = COMPENDIUM__EVENT__KIND_SYSCALL_RAW,
	[EV_TASK] = COMPENDIUM__EVENT__KIND_TASK,
};

typedef int (*enc_group_fn)(struct codec_enc *, const struct event *, Compendium__Event *,
			    struct pb_scratch *, struct buf *);
static const enc_group_fn enc_groups[] = { enc_process, enc_files, enc_net, enc_io,
					   enc_mem, enc_kernel };

int codec_encode_event(struct codec_enc *e, const struct event *ev, struct buf *out)
{
	if ((unsigned)ev->kind >= EV__COUNT || ev->kind == EV_NONE)
		return -EINVAL;
	int fast = fastpb_encode_event(e, ev, out);
	return fast <= 0 ? fast : codec_encode_event_pb(e, ev, out);
}

int codec_encode_event_pb(struct codec_enc *e, const struct event *ev, struct buf *out)
{
	if ((unsigned)ev->kind >= EV__COUNT || ev->kind == EV_NONE)
		return -EINVAL;
	struct pb_scratch s;
	Compendium__Event pe = COMPENDIUM__EVENT__INIT;
	int err = 1;
	for (size_t g = 0; err == 1 && g < sizeof(enc_groups) / sizeof(enc_groups[0]); g++)
		err = enc_groups[g](e, ev, &pe, &s, out);
	if (err)
		return err < 0 ? err : -EINVAL;
	pe.kind_case = kind_case[ev->kind];
	SET(pe, ts_delta_ns, (int64_t)(ev->ts_ns - e->last_ts));
	e->last_ts = ev->ts_ns;
	SET(pe, tid, ev->tid);
	if (ev->pid != ev->tid) {
		pe.has_pid = 1;
		pe.pid = ev->pid;
	}
	SET(pe, dur_ns, ev->dur_ns);
	if (ev->sysno >= 0) {
		pe.has_syscall = 1;
		pe.syscall = (uint32_t)ev->sysno + 1;
	}
	SET(pe, err, ev->err);
	SET(pe, flags, ev->flags);
	Compendium__Record r = COMPENDIUM__RECORD__INIT;
	r.rec_case = COMPENDIUM__RECORD__REC_EVENT;
	r.event = &pe;
	return codec_put_record(out, &r);
}

/* ---- header and trailer ------------------------------------------------- */

static void losses_to_pb(const struct rec_loss *l, uint32_t n, Compendium__Loss *pb,
			 Compendium__Loss **ptrs)
{
	for (uint32_t i = 0; i < n; i++) {
		pb[i] = (Compendium__Loss)COMPENDIUM__LOSS__INIT;
		pb[i].source = (char *)l[i].source;
		SET(pb[i], count, l[i].count);
		pb[i].reason = (char *)l[i].reason;
		ptrs[i] = &pb[i];
	}
}

static ProtobufCBinaryData bin(const char *s)
{
	return (ProtobufCBinaryData){ .len = s ? strlen(s) : 0, .data = (uint8_t *)s };
}

int codec_encode_header(const struct rec_header *h, struct buf *out)
{
	Compendium__Header ph = COMPENDIUM__HEADER__INIT;
	uint32_t no = h->noptions < REC_MAX_OPTIONS ? h->noptions : REC_MAX_OPTIONS;
	uint32_t ns = h->nsources < REC_MAX_SOURCES ? h->nsources : REC_MAX_SOURCES;
	Compendium__Option opts[REC_MAX_OPTIONS], *optp[REC_MAX_OPTIONS];
	Compendium__Source srcs[REC_MAX_SOURCES], *srcp[REC_MAX_SOURCES];
	ProtobufCBinaryData *argv = calloc(h->argc + h->recorder_argc + 1, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	ph.tool_version = (char *)h->tool_version;
	SET(ph, format_major, h->format_major);
	SET(ph, format_minor, h->format_minor);
	for (uint32_t i = 0; i < h->argc; i++)
		argv[i] = bin(h->argv[i]);
	ph.n_argv = h->argc;
	ph.argv = argv;
	for (uint32_t i = 0; i < h->recorder_argc; i++)
		argv[h->argc + i] = bin(h->recorder_argv[i]);
	ph.n_recorder_argv = h->recorder_argc;
	ph.recorder_argv = argv + h->argc;
	SET(ph, start_wall_ns, h->start_wall_ns);
	SET(ph, monotonic_base_ns, h->monotonic_base_ns);
	if (h->hostname) {
		ph.has_hostname = 1;
		ph.hostname = bin(h->hostname);
	}
	ph.kernel_release = (char *)h->kernel_release;
	ph.arch = (char *)h->arch;
	SET(ph, page_size, h->page_size);
	SET(ph, mode, (Compendium__Header__Mode)h->mode);
	SET(ph, root_pid, h->root_pid);
	for (uint32_t i = 0; i < no; i++) {
		opts[i] = (Compendium__Option)COMPENDIUM__OPTION__INIT;
		opts[i].name = (char *)h->options[i].name;
		opts[i].value = (char *)h->options[i].value;
		optp[i] = &opts[i];
	}
	ph.n_options = no;
	ph.options = optp;
	for (uint32_t i = 0; i < ns; i++) {
		srcs[i] = (Compendium__Source)COMPENDIUM__SOURCE__INIT;
		srcs[i].name = (char *)h->sources[i].name;
		srcs[i].has_active = 1;
		srcs[i].active = h->sources[i].active;
		srcs[i].reason = (char *)h->sources[i].reason;
		srcp[i] = &srcs[i];
	}
	ph.n_sources = ns;
	ph.sources = srcp;
	Compendium__Record r = COMPENDIUM__RECORD__INIT;
	r.rec_case = COMPENDIUM__RECORD__REC_HEADER;
	r.header = &ph;
	int rc = codec_put_record(out, &r);
	free(argv);
	return rc;
}

int codec_encode_trailer(const struct rec_trailer *t, struct buf *out)
{
	Compendium__Trailer pt = COMPENDIUM__TRAILER__INIT;
	Compendium__Loss loss[REC_MAX_LOSSES], *lossp[REC_MAX_LOSSES];
	uint32_t nl = t->nlosses < REC_MAX_LOSSES ? t->nlosses : REC_MAX_LOSSES;
	SET(pt, end_reason, (Compendium__Trailer__EndReason)t->end_reason);
	SET(pt, exit_code, t->exit_code);
	SET(pt, exit_signal, t->exit_signal);
	SET(pt, core_dumped, t->core_dumped);
	SET(pt, end_ts_ns, t->end_ts_ns);
	SET(pt, event_count, t->event_count);
	SET(pt, recorder_max_rss_kb, t->recorder_max_rss_kb);
	SET(pt, recorder_cpu_ns, t->recorder_cpu_ns);
	losses_to_pb(t->losses, nl, loss, lossp);
	pt.n_losses = nl;
	pt.losses = lossp;
	Compendium__Record r = COMPENDIUM__RECORD__INIT;
	r.rec_case = COMPENDIUM__RECORD__REC_TRAILER;
	r.trailer = &pt;
	return codec_put_record(out, &r);
}

/* ---- decoding ------------------------------------------------------------- */

void codec_dec_init(struct codec_dec *d)
{
	*d = (struct codec_dec){ 0 };
}

void codec_dec_free(struct codec_dec *d)
{
	free(d->strs);
	buf_free(&d->arena);
	*d = (struct codec_dec){ 0 };
}

/*
 * The arena is sized for the whole frame up front (a string costs at most its
 * bytes plus a NUL, and the record around it is at least 2 bytes), so string
 * pointers never move while the frame is read.
 */
void codec_dec_reset(struct codec_dec *d, size_t frame_len)
{
	d->nstrs = 0;
	d->last_ts = 0;
	d->last_fault = 0;
	d->arena.len = 0;
	buf_reserve(&d->arena, frame_len + 1);
}

int codec_dec_string(struct codec_dec *d, const uint8_t *p, size_t n)
{
	if (d->nstrs == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 256;
		const char **s = realloc(d->strs, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		d->strs = s;
		d->cap = cap;
	}
	/* The writer never defines a longer string (event.h): a longer one is
	 * cut here, so no sink copies megabytes per reference to one id. */
	if (n > EVENT_MAX_STRING)
		n = EVENT_MAX_STRING;
	if (d->arena.cap - d->arena.len < n + 1)
		return -ENOMEM; /* cannot happen: reset reserved the frame's size */
	char *dst = (char *)d->arena.data + d->arena.len;
	if (n) /* an empty string_def comes with p == NULL */
		memcpy(dst, p, n);
	dst[n] = 0;
	d->arena.len += n + 1;
	d->strs[d->nstrs++] = dst;
	return 0;
}

const char *codec_dec_ref(struct codec_dec *d, uint32_t id)
{
	if (id == 0)
		return NULL;
	if (id > d->nstrs) {
		d->bad_refs++;
		return NULL;
	}
	return d->strs[id - 1];
}

#define GET(m, f) ((m) && (m)->has_##f ? (m)->f : 0)
#define DSTR(m, f) ((m) && (m)->has_##f ? codec_dec_ref(d, (m)->f) : NULL)

static void dec_fd(struct codec_dec *d, const Compendium__FdRef *m, struct event_fd *f)
{
	f->fd = GET(m, fd);
	f->kind = (uint8_t)GET(m, kind);
	f->proto = (uint8_t)GET(m, proto);
	f->name = DSTR(m, name);
}

static void dec_process(struct codec_dec *d, const Compendium__Event *pe, struct event *ev)
{
	switch (ev->kind) {
	case EV_SPAWN:
		ev->spawn = (struct ev_spawn){ GET(pe->spawn, child_tid), GET(pe->spawn, child_pid),
					       (uint8_t)GET(pe->spawn, kind),
					       GET(pe->spawn, clone_flags) };
		break;
	case EV_EXEC: {
		const Compendium__Exec *m = pe->exec;
		uint32_t n = m->n_argv < EVENT_MAX_ARGV ? (uint32_t)m->n_argv : EVENT_MAX_ARGV;
		for (uint32_t i = 0; i < n; i++)
			d->argv[i] = codec_dec_ref(d, m->argv[i]);
		ev->exec = (struct ev_exec){ DSTR(m, path), d->argv, n, DSTR(m, comm),
					     GET(m, old_tid) };
		break;
	}
	case EV_EXIT:
		ev->exit = (struct ev_exit){ GET(pe->exit, code), GET(pe->exit, signal),
					     GET(pe->exit, core_dumped), GET(pe->exit, thread) };
		break;
	case EV_SIGNAL:
		ev->signal = (struct ev_signal){ GET(pe->signal, signo), GET(pe->signal, code),
						 GET(pe->signal, sender_pid),
						 GET(pe->signal, group_stop) };
		break;
	case EV_TASK:
		ev->task = (struct ev_task){ DSTR(pe->task, comm), GET(pe->task, thread) };
		break;
	default:
		break;
	}
}

static void dec_files(struct codec_dec *d, const Compendium__Event *pe, struct event *ev)
{
	switch (ev->kind) {
	case EV_OPEN: {
		const Compendium__Open *m = pe->open;
		ev->open = (struct ev_open){ DSTR(m, path), GET(m, flags), GET(m, mode),
					     GET(m, fd), GET(m, created) };
		break;
	}
	case EV_CLOSE:
		dec_fd(d, pe->close->fd, &ev->close.fd);
		ev->close.last_fd = GET(pe->close, last_fd);
		break;
	case EV_FILE_OP: {
		const Compendium__FileOp *m = pe->file_op;
		ev->file_op = (struct ev_file_op){ (uint8_t)GET(m, op), DSTR(m, path),
						   DSTR(m, path2), GET(m, length), GET(m, fd) };
		break;
	}
	case EV_DUP:
		dec_fd(d, pe->dup->old_fd, &ev->dup.old_fd);
		ev->dup.new_fd = GET(pe->dup, new_fd);
		ev->dup.cloexec = GET(pe->dup, cloexec);
		break;
	case EV_PIPE:
		ev->pipe = (struct ev_pipe){ GET(pe->pipe, read_fd), GET(pe->pipe, write_fd),
					     GET(pe->pipe, flags) };
		break;
	default:
		break;
	}
}

static void dec_net(struct codec_dec *d, const Compendium__Event *pe, struct event *ev)
{
	switch (ev->kind) {
	case EV_SOCKET: {
		const Compendium__Socket *m = pe->socket;
		ev->socket = (struct ev_socket){ .fd = GET(m, fd), .fd2 = GET(m, fd2),
						 .domain = GET(m, domain), .type = GET(m, type),
						 .protocol = GET(m, protocol),
						 .proto = (uint8_t)GET(m, proto) };
		break;
	}
	case EV_CONNECT:
	case EV_BIND: {
		const Compendium__Endpoint *m = ev->kind == EV_CONNECT ? pe->connect : pe->bind;
		struct ev_addr a = { GET(m, fd), (uint8_t)GET(m, proto), DSTR(m, addr) };
		if (ev->kind == EV_CONNECT)
			ev->connect = a;
		else
			ev->bind = a;
		break;
	}
	case EV_LISTEN: {
		const Compendium__Listen *m = pe->listen;
		ev->listen = (struct ev_listen){ GET(m, fd), GET(m, backlog),
						 (uint8_t)GET(m, proto), DSTR(m, addr) };
		break;
	}
	case EV_ACCEPT: {
		const Compendium__Accept *m = pe->accept;
		ev->accept = (struct ev_accept){ GET(m, fd), GET(m, new_fd), (uint8_t)GET(m, proto),
						 DSTR(m, local_addr), DSTR(m, peer_addr) };
		break;
	}
	default:
		break;
	}
}

static void dec_io(struct codec_dec *d, const Compendium__Event *pe, struct event *ev)
{
	if (ev->kind == EV_IO) {
		const Compendium__Io *m = pe->io;
		ev->io.op = (uint8_t)GET(m, op);
		dec_fd(d, m->fd, &ev->io.fd);
		ev->io.bytes = GET(m, bytes);
		ev->io.addr = DSTR(m, addr);
		ev->io.count = GET(m, count);
		ev->io.offset = GET(m, offset);
	} else if (ev->kind == EV_TRANSFER) {
		dec_fd(d, pe->transfer->src, &ev->transfer.src);
		dec_fd(d, pe->transfer->dst, &ev->transfer.dst);
		ev->transfer.bytes = GET(pe->transfer, bytes);
	}
}

static void dec_mem(struct codec_dec *d, const Compendium__Event *pe, struct event *ev)
{
	switch (ev->kind) {
	case EV_BRK:
		ev->brk = (struct ev_brk){ GET(pe->brk, old_brk), GET(pe->brk, new_brk),
					   GET(pe->brk, requested) };
		break;
	case EV_MMAP: {
		const Compendium__Mmap *m = pe->mmap;
		ev->mmap = (struct ev_mmap){ GET(m, addr), GET(m, len), GET(m, prot), GET(m, flags),
					     GET(m, fd), GET(m, offset), DSTR(m, path) };
		break;
	}
	case EV_MUNMAP:
		ev->munmap = (struct ev_range){ GET(pe->munmap, addr), GET(pe->munmap, len),
						GET(pe->munmap, prot) };
		break;
	case EV_MPROTECT:
		ev->mprotect = (struct ev_range){ GET(pe->mprotect, addr), GET(pe->mprotect, len),
						  GET(pe->mprotect, prot) };
		break;
	case EV_MREMAP: {
		const Compendium__Mremap *m = pe->mremap;
		ev->mremap = (struct ev_mremap){ GET(m, old_addr), GET(m, old_len),
						 GET(m, new_addr), GET(m, new_len), GET(m, flags) };
		break;
	}
	case EV_FAULT:
		d->last_fault += (uint64_t)GET(pe->fault, addr_delta);
		ev->fault = (struct ev_fault){ d->last_fault, GET(pe->fault, ip) };
		break;
	default:
		break;
	}
}

static void dec_kernel(struct codec_dec *d, const Compendium__Event *pe, struct event *ev)
{
	switch (ev->kind) {
	case EV_SCHED:
		ev->sched = (struct ev_sched){ GET(pe->sched, delay_ns), GET(pe->sched, cpu),
					       GET(pe->sched, preempted) };
		break;
	case EV_BLOCK: {
		const Compendium__BlockIo *m = pe->block;
		ev->block = (struct ev_block){ GET(m, dev), GET(m, sector), GET(m, bytes),
					       GET(m, write), GET(m, writeback), GET(m, error) };
		break;
	}
	case EV_HIST: {
		const Compendium__Histogram *m = pe->hist;
		uint32_t n = m->n_buckets < EVENT_MAX_HIST_BUCKETS ? (uint32_t)m->n_buckets
								   : EVENT_MAX_HIST_BUCKETS;
		ev->hist = (struct ev_hist){ (uint8_t)GET(m, kind), n, m->buckets, m->unit };
		break;
	}
	case EV_LOSS:
		ev->loss = (struct ev_loss){ pe->loss->source, GET(pe->loss, count),
					     pe->loss->reason };
		break;
	case EV_NOTE:
		ev->note = (struct ev_note){ (uint8_t)GET(pe->note, level), DSTR(pe->note, text) };
		break;
	case EV_SYSCALL: {
		const Compendium__Syscall *m = pe->syscall_raw;
		uint32_t n = m->n_args < EVENT_MAX_SYSCALL_ARGS ? (uint32_t)m->n_args
								: EVENT_MAX_SYSCALL_ARGS;
		ev->syscall.nargs = n;
		if (n) /* m->args is NULL when the record has none */
			memcpy(ev->syscall.args, m->args, n * sizeof(uint64_t));
		ev->syscall.ret = GET(m, ret);
		break;
	}
	default:
		break;
	}
	(void)d;
}

static enum event_kind kind_of_case(Compendium__Event__KindCase c)
{
	for (unsigned k = 1; k < EV__COUNT; k++)
		if (kind_case[k] == c)
			return (enum event_kind)k;
	return EV_NONE;
}

int codec_decode_event(struct codec_dec *d, const Compendium__Event *pe, struct event *ev)
{
	*ev = (struct event){ 0 };
	d->last_ts += (uint64_t)(pe->has_ts_delta_ns ? pe->ts_delta_ns : 0);
	ev->kind = kind_of_case(pe->kind_case);
	if (ev->kind == EV_NONE)
		return -EINVAL;
	ev->ts_ns = d->last_ts;
	ev->tid = GET(pe, tid);
	ev->pid = pe->has_pid ? pe->pid : ev->tid;
	ev->dur_ns = GET(pe, dur_ns);
	ev->sysno = pe->has_syscall && pe->syscall > 0 ? (int32_t)(pe->syscall - 1) : -1;
	ev->err = GET(pe, err);
	ev->flags = GET(pe, flags);
	dec_process(d, pe, ev);
	dec_files(d, pe, ev);
	dec_net(d, pe, ev);
	dec_io(d, pe, ev);
	dec_mem(d, pe, ev);
	dec_kernel(d, pe, ev);
	return 0;
}

static char *arena_str(struct buf *a, const uint8_t *p, size_t n)
{
	if (buf_reserve(a, n + 1))
		return NULL;
	char *dst = (char *)a->data + a->len;
	if (n)
		memcpy(dst, p, n);
	dst[n] = 0;
	a->len += n + 1;
	return dst;
}

int codec_decode_header(const Compendium__Header *ph, struct rec_header *h, struct buf *arena)
{
	*h = (struct rec_header){ 0 };
	size_t n = ph->n_argv + ph->n_recorder_argv + 1;
	const char **argv = calloc(n, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	size_t need = 0;
	for (size_t i = 0; i < ph->n_argv; i++)
		need += ph->argv[i].len + 1;
	for (size_t i = 0; i < ph->n_recorder_argv; i++)
		need += ph->recorder_argv[i].len + 1;
	need += ph->has_hostname ? ph->hostname.len + 1 : 0;
	if (buf_reserve(arena, need + 1)) {
		free(argv);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ph->n_argv; i++)
		argv[i] = arena_str(arena, ph->argv[i].data, ph->argv[i].len);
	for (size_t i = 0; i < ph->n_recorder_argv; i++)
		argv[ph->n_argv + i] = arena_str(arena, ph->recorder_argv[i].data,
						 ph->recorder_argv[i].len);
	h->hostname = ph->has_hostname ? arena_str(arena, ph->hostname.data, ph->hostname.len)
				       : NULL;
	h->argv = argv;
	h->argc = (uint32_t)ph->n_argv;
	h->recorder_argv = argv + ph->n_argv;
	h->recorder_argc = (uint32_t)ph->n_recorder_argv;
	h->tool_version = ph->tool_version;
	h->format_major = GET(ph, format_major);
	h->format_minor = GET(ph, format_minor);
	h->start_wall_ns = GET(ph, start_wall_ns);
	h->monotonic_base_ns = GET(ph, monotonic_base_ns);
	h->kernel_release = ph->kernel_release;
	h->arch = ph->arch;
	h->page_size = GET(ph, page_size);
	h->mode = (enum rec_mode)GET(ph, mode);
	h->root_pid = GET(ph, root_pid);
	h->noptions = ph->n_options < REC_MAX_OPTIONS ? (uint32_t)ph->n_options : REC_MAX_OPTIONS;
	for (uint32_t i = 0; i < h->noptions; i++)
		h->options[i] = (struct rec_option){ ph->options[i]->name, ph->options[i]->value };
	h->nsources = ph->n_sources < REC_MAX_SOURCES ? (uint32_t)ph->n_sources : REC_MAX_SOURCES;
	for (uint32_t i = 0; i < h->nsources; i++)
		h->sources[i] = (struct rec_source){ ph->sources[i]->name,
						     GET(ph->sources[i], active),
						     ph->sources[i]->reason };
	return 0;
}

void codec_decode_trailer(const Compendium__Trailer *pt, struct rec_trailer *t)
{
	*t = (struct rec_trailer){ 0 };
	t->end_reason = (enum rec_end)GET(pt, end_reason);
	t->exit_code = GET(pt, exit_code);
	t->exit_signal = GET(pt, exit_signal);
	t->core_dumped = GET(pt, core_dumped);
	t->end_ts_ns = GET(pt, end_ts_ns);
	t->event_count = GET(pt, event_count);
	t->recorder_max_rss_kb = GET(pt, recorder_max_rss_kb);
	t->recorder_cpu_ns = GET(pt, recorder_cpu_ns);
	t->nlosses = pt->n_losses < REC_MAX_LOSSES ? (uint32_t)pt->n_losses : REC_MAX_LOSSES;
	for (uint32_t i = 0; i < t->nlosses; i++)
		t->losses[i] = (struct rec_loss){ pt->losses[i]->source,
						  GET(pt->losses[i], count),
						  pt->losses[i]->reason };
}

/* ---- CRC-32C (Castagnoli) ------------------------------------------------ */

static uint32_t crc32c_sw(uint32_t crc, const uint8_t *b, size_t n)
{
	static uint32_t table[256];
	static int ready;
	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	while (n--)
		crc = table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return crc;
}

/* SSE4.2 has a CRC-32C instruction: 8 bytes per cycle instead of one. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *b,
							      size_t n)
{
	uint64_t c = crc;
	for (; n >= 8; n -= 8, b += 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		c = __builtin_ia32_crc32di(c, w);
	}
	crc = (uint32_t)c;
	for (; n; n--)
		crc = __builtin_ia32_crc32qi(crc, *b++);
	return crc;
}

uint32_t crc32c(uint32_t crc, const void *p, size_t n)
{
	static int hw = -1;
	if (hw < 0)
		hw = __builtin_cpu_supports("sse4.2");
	crc = ~crc;
	crc = hw ? crc32c_hw(crc, p, n) : crc32c_sw(crc, p, n);
	return ~crc;
}

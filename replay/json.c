/*
 * json.c - `show --json`: every record as one JSON object per line.
 *
 * Hand-written rather than through a JSON library: the schema is fixed by
 * README.md, and writing straight into an outbuf with our own integer
 * formatting costs no allocation per event (`show` must do >= 1M events/s).
 *
 * Key order: type, ts_ns, pid, tid, then dur_ns / syscall / errno for
 * syscall events, then the kind's keys in README order. Optional values
 * (NULL strings, fd2 -1, offset -1, old_tid 0, ...) are omitted.
 */
#include "json.h"

#include <stdbool.h>

#include "escape.h"
#include "format.h"

/* ---- small writers: each one writes ,"key":value ------------------------ */

static inline void key(struct outbuf *o, const char *k)
{
	size_t n = strlen(k);
	char *p = outbuf_space(o, n + 4);
	p[0] = ',';
	p[1] = '"';
	memcpy(p + 2, k, n);
	p[n + 2] = '"';
	p[n + 3] = ':';
	outbuf_commit(o, n + 4);
}

static void kv_u64(struct outbuf *o, const char *k, uint64_t v)
{
	key(o, k);
	outbuf_u64(o, v);
}

static void kv_i64(struct outbuf *o, const char *k, int64_t v)
{
	key(o, k);
	outbuf_i64(o, v);
}

static void kv_bool(struct outbuf *o, const char *k, bool v)
{
	key(o, k);
	if (v)
		outbuf_write(o, "true", 4);
	else
		outbuf_write(o, "false", 5);
}

/* A plain name from one of our tables: no escaping needed. */
static void kv_name(struct outbuf *o, const char *k, const char *v)
{
	key(o, k);
	outbuf_putc(o, '"');
	outbuf_puts(o, v);
	outbuf_putc(o, '"');
}

/* An untrusted string; omitted when NULL. */
static void kv_str(struct outbuf *o, const char *k, const char *v)
{
	if (!v)
		return;
	key(o, k);
	escape_json(o, v);
}

static void kv_signal(struct outbuf *o, const char *k, uint32_t sig)
{
	char b[FMT_MAX];
	kv_name(o, k, fmt_signal(b, sig));
}

static void kv_strv(struct outbuf *o, const char *k, const char *const *v, uint32_t n)
{
	key(o, k);
	outbuf_putc(o, '[');
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			outbuf_putc(o, ',');
		escape_json(o, v ? v[i] : NULL);
	}
	outbuf_putc(o, ']');
}

static void kv_proto(struct outbuf *o, const char *k, uint8_t proto)
{
	if (proto != PROTO_NONE)
		kv_name(o, k, net_proto_name(proto));
}

/* An fd reference: `fd`, `fd_kind`, and `path` or `peer` (sockets). */
static void kv_fdref(struct outbuf *o, const char *fdkey, const char *kindkey,
		     const char *namekey, const struct event_fd *f)
{
	kv_i64(o, fdkey, f->fd);
	kv_name(o, kindkey, fd_kind_name(f->kind));
	if (namekey)
		kv_str(o, namekey, f->name);
	else
		kv_str(o, f->kind == FD_SOCKET ? "peer" : "path", f->name);
}

/* ---- the kinds ---------------------------------------------------------- */

static void write_kind(struct outbuf *o, const struct event *ev)
{
	switch (ev->kind) {
	case EV_SPAWN:
		kv_u64(o, "child_tid", ev->spawn.child_tid);
		kv_u64(o, "child_pid", ev->spawn.child_pid);
		kv_name(o, "kind", spawn_kind_name(ev->spawn.kind));
		kv_u64(o, "clone_flags", ev->spawn.clone_flags);
		break;
	case EV_EXEC:
		kv_str(o, "path", ev->exec.path);
		kv_strv(o, "argv", ev->exec.argv, ev->exec.argc);
		kv_str(o, "comm", ev->exec.comm);
		if (ev->exec.old_tid)
			kv_u64(o, "old_tid", ev->exec.old_tid);
		break;
	case EV_EXIT:
		if (ev->exit.signal)
			kv_signal(o, "signal", ev->exit.signal);
		else
			kv_i64(o, "exit_code", ev->exit.code);
		kv_bool(o, "core_dumped", ev->exit.core_dumped);
		kv_bool(o, "thread", ev->exit.thread);
		break;
	case EV_SIGNAL:
		kv_signal(o, "signal", ev->signal.signo);
		kv_i64(o, "code", ev->signal.code);
		kv_u64(o, "sender_pid", ev->signal.sender_pid);
		kv_bool(o, "group_stop", ev->signal.group_stop);
		break;
	case EV_OPEN:
		kv_str(o, "path", ev->open.path);
		kv_u64(o, "flags", ev->open.flags);
		kv_name(o, "access", fmt_open_access(ev->open.flags));
		kv_u64(o, "mode", ev->open.mode);
		kv_i64(o, "fd", ev->open.fd);
		kv_bool(o, "created", ev->open.created);
		break;
	case EV_CLOSE:
		kv_fdref(o, "fd", "fd_kind", NULL, &ev->close.fd);
		if (ev->close.last_fd != ev->close.fd.fd)
			kv_i64(o, "last_fd", ev->close.last_fd);
		break;
	case EV_FILE_OP: {
		unsigned op = ev->file_op.op;
		kv_name(o, "op", file_op_name(op));
		kv_str(o, "path", ev->file_op.path);
		kv_str(o, "path2", ev->file_op.path2);
		if (op == FOP_TRUNCATE || op == FOP_FTRUNCATE)
			kv_i64(o, "length", ev->file_op.length);
		if (op == FOP_FTRUNCATE || op == FOP_FCHDIR)
			kv_i64(o, "fd", ev->file_op.fd);
		break;
	}
	case EV_DUP:
		kv_fdref(o, "fd", "fd_kind", NULL, &ev->dup.old_fd);
		kv_i64(o, "new_fd", ev->dup.new_fd);
		kv_bool(o, "cloexec", ev->dup.cloexec);
		break;
	case EV_PIPE:
		kv_i64(o, "read_fd", ev->pipe.read_fd);
		kv_i64(o, "write_fd", ev->pipe.write_fd);
		kv_u64(o, "flags", ev->pipe.flags);
		break;
	case EV_SOCKET:
		kv_i64(o, "fd", ev->socket.fd);
		if (ev->socket.fd2 >= 0)
			kv_i64(o, "fd2", ev->socket.fd2);
		kv_u64(o, "domain", ev->socket.domain);
		kv_u64(o, "sock_type", ev->socket.type); /* "type" is the event kind */
		kv_u64(o, "protocol", ev->socket.protocol);
		kv_proto(o, "proto", ev->socket.proto);
		break;
	case EV_CONNECT:
	case EV_BIND: {
		const struct ev_addr *a = ev->kind == EV_CONNECT ? &ev->connect : &ev->bind;
		kv_i64(o, "fd", a->fd);
		kv_proto(o, "proto", a->proto);
		kv_str(o, "addr", a->addr);
		break;
	}
	case EV_LISTEN:
		kv_i64(o, "fd", ev->listen.fd);
		kv_i64(o, "backlog", ev->listen.backlog);
		kv_proto(o, "proto", ev->listen.proto);
		kv_str(o, "addr", ev->listen.addr);
		break;
	case EV_ACCEPT:
		kv_i64(o, "fd", ev->accept.fd);
		kv_i64(o, "new_fd", ev->accept.new_fd);
		kv_proto(o, "proto", ev->accept.proto);
		kv_str(o, "local_addr", ev->accept.local_addr);
		kv_str(o, "peer_addr", ev->accept.peer_addr);
		break;
	case EV_IO:
		kv_name(o, "op", io_op_name(ev->io.op));
		kv_fdref(o, "fd", "fd_kind", NULL, &ev->io.fd);
		kv_proto(o, "proto", ev->io.fd.proto);
		kv_i64(o, "bytes", ev->io.bytes);
		kv_str(o, "addr", ev->io.addr);
		if (ev->io.count)
			kv_u64(o, "count", ev->io.count);
		if (ev->io.offset >= 0)
			kv_i64(o, "offset", ev->io.offset);
		break;
	case EV_TRANSFER:
		kv_fdref(o, "src_fd", "src_kind", "src", &ev->transfer.src);
		kv_fdref(o, "dst_fd", "dst_kind", "dst", &ev->transfer.dst);
		kv_i64(o, "bytes", ev->transfer.bytes);
		break;
	case EV_BRK:
		kv_u64(o, "old_brk", ev->brk.old_brk);
		kv_u64(o, "new_brk", ev->brk.new_brk);
		kv_u64(o, "requested", ev->brk.requested);
		break;
	case EV_MMAP:
		kv_u64(o, "addr", ev->mmap.addr);
		kv_u64(o, "len", ev->mmap.len);
		kv_u64(o, "prot", ev->mmap.prot);
		kv_u64(o, "flags", ev->mmap.flags);
		kv_i64(o, "fd", ev->mmap.fd);
		kv_u64(o, "offset", ev->mmap.offset);
		kv_str(o, "path", ev->mmap.path);
		break;
	case EV_MUNMAP:
		kv_u64(o, "addr", ev->munmap.addr);
		kv_u64(o, "len", ev->munmap.len);
		break;
	case EV_MREMAP:
		kv_u64(o, "old_addr", ev->mremap.old_addr);
		kv_u64(o, "old_len", ev->mremap.old_len);
		kv_u64(o, "new_addr", ev->mremap.new_addr);
		kv_u64(o, "new_len", ev->mremap.new_len);
		kv_u64(o, "flags", ev->mremap.flags);
		break;
	case EV_MPROTECT:
		kv_u64(o, "addr", ev->mprotect.addr);
		kv_u64(o, "len", ev->mprotect.len);
		kv_u64(o, "prot", ev->mprotect.prot);
		break;
	case EV_FAULT:
		kv_u64(o, "addr", ev->fault.addr);
		kv_u64(o, "ip", ev->fault.ip);
		break;
	case EV_SCHED:
		kv_u64(o, "delay_ns", ev->sched.delay_ns);
		kv_u64(o, "cpu", ev->sched.cpu);
		kv_bool(o, "preempted", ev->sched.preempted);
		break;
	case EV_BLOCK:
		kv_u64(o, "dev", ev->block.dev);
		kv_u64(o, "sector", ev->block.sector);
		kv_u64(o, "bytes", ev->block.bytes);
		kv_bool(o, "write", ev->block.write);
		kv_bool(o, "writeback", ev->block.writeback);
		kv_i64(o, "error", ev->block.error);
		break;
	case EV_HIST: {
		uint32_t n = ev->hist.nbuckets;
		if (n > EVENT_MAX_HIST_BUCKETS)
			n = EVENT_MAX_HIST_BUCKETS;
		kv_name(o, "kind", hist_kind_name(ev->hist.kind));
		kv_str(o, "unit", ev->hist.unit);
		key(o, "buckets");
		outbuf_putc(o, '[');
		for (uint32_t i = 0; i < n && ev->hist.buckets; i++) {
			if (i)
				outbuf_putc(o, ',');
			outbuf_u64(o, ev->hist.buckets[i]);
		}
		outbuf_putc(o, ']');
		break;
	}
	case EV_LOSS:
		kv_str(o, "source", ev->loss.source);
		kv_u64(o, "count", ev->loss.count);
		kv_str(o, "reason", ev->loss.reason);
		break;
	case EV_NOTE:
		kv_name(o, "level", note_level_name(ev->note.level));
		kv_str(o, "text", ev->note.text);
		break;
	case EV_SYSCALL: {
		uint32_t n = ev->syscall.nargs;
		if (n > EVENT_MAX_SYSCALL_ARGS)
			n = EVENT_MAX_SYSCALL_ARGS;
		key(o, "args");
		outbuf_putc(o, '[');
		for (uint32_t i = 0; i < n; i++) {
			if (i)
				outbuf_putc(o, ',');
			outbuf_u64(o, ev->syscall.args[i]);
		}
		outbuf_putc(o, ']');
		kv_i64(o, "ret", ev->syscall.ret);
		break;
	}
	case EV_TASK:
		kv_str(o, "comm", ev->task.comm);
		kv_bool(o, "thread", ev->task.thread);
		break;
	default:
		break;
	}
}

void json_write_event(struct outbuf *o, const struct event *ev)
{
	outbuf_write(o, "{\"type\":\"", 9);
	outbuf_puts(o, event_kind_name(ev->kind));
	outbuf_putc(o, '"');
	kv_u64(o, "ts_ns", ev->ts_ns);
	kv_u64(o, "pid", ev->pid);
	kv_u64(o, "tid", ev->tid);
	if (ev->sysno >= 0) {
		const char *name = event_syscall_name(ev->sysno);
		kv_u64(o, "dur_ns", ev->dur_ns);
		if (name)
			kv_name(o, "syscall", name);
		else
			kv_i64(o, "syscall", ev->sysno);
	}
	if (ev->err) {
		char b[FMT_MAX];
		kv_name(o, "errno", fmt_errno(b, ev->err));
	}
	if (ev->flags & EVENT_F_SEEDED)
		kv_bool(o, "seeded", true);
	write_kind(o, ev);
	outbuf_putc(o, '}');
}

/* ---- header, trailer, end ------------------------------------------------ */

static const char *mode_name(enum rec_mode m)
{
	switch (m) {
	case REC_MODE_SPAWN: return "spawn";
	case REC_MODE_ATTACH: return "attach";
	default: return "unknown";
	}
}

static void js_header(void *ctx, const struct rec_header *h)
{
	struct outbuf *o = ((struct json_sink *)ctx)->out;
	outbuf_puts(o, "{\"type\":\"header\"");
	kv_str(o, "tool_version", h->tool_version);
	kv_u64(o, "format_major", h->format_major);
	kv_u64(o, "format_minor", h->format_minor);
	kv_strv(o, "argv", h->argv, h->argc);
	kv_u64(o, "start_wall_ns", h->start_wall_ns);
	kv_u64(o, "monotonic_base_ns", h->monotonic_base_ns);
	kv_str(o, "hostname", h->hostname);
	kv_str(o, "kernel_release", h->kernel_release);
	kv_str(o, "arch", h->arch);
	kv_u64(o, "page_size", h->page_size);
	kv_name(o, "mode", mode_name(h->mode));
	kv_u64(o, "root_pid", h->root_pid);
	key(o, "options");
	outbuf_putc(o, '[');
	for (uint32_t i = 0; i < h->noptions && i < REC_MAX_OPTIONS; i++) {
		outbuf_puts(o, i ? ",{\"name\":" : "{\"name\":");
		escape_json(o, h->options[i].name);
		kv_str(o, "value", h->options[i].value);
		outbuf_putc(o, '}');
	}
	outbuf_putc(o, ']');
	key(o, "sources");
	outbuf_putc(o, '[');
	for (uint32_t i = 0; i < h->nsources && i < REC_MAX_SOURCES; i++) {
		outbuf_puts(o, i ? ",{\"name\":" : "{\"name\":");
		escape_json(o, h->sources[i].name);
		kv_bool(o, "active", h->sources[i].active);
		kv_str(o, "reason", h->sources[i].reason);
		outbuf_putc(o, '}');
	}
	outbuf_putc(o, ']');
	kv_strv(o, "recorder_argv", h->recorder_argv, h->recorder_argc);
	outbuf_putc(o, '}');
	outbuf_end_line(o);
}

static void js_event(void *ctx, const struct event *ev)
{
	struct outbuf *o = ((struct json_sink *)ctx)->out;
	json_write_event(o, ev);
	outbuf_end_line(o);
}

static void js_trailer(void *ctx, const struct rec_trailer *t)
{
	struct outbuf *o = ((struct json_sink *)ctx)->out;
	outbuf_puts(o, "{\"type\":\"trailer\"");
	kv_name(o, "end_reason", rec_end_name(t->end_reason));
	if (t->exit_signal)
		kv_signal(o, "exit_signal", t->exit_signal);
	else
		kv_i64(o, "exit_code", t->exit_code);
	kv_bool(o, "core_dumped", t->core_dumped);
	kv_u64(o, "end_ts_ns", t->end_ts_ns);
	kv_u64(o, "event_count", t->event_count);
	if (t->recorder_max_rss_kb) /* absent in recordings of older writers */
		kv_u64(o, "recorder_max_rss_kb", t->recorder_max_rss_kb);
	if (t->recorder_cpu_ns)
		kv_u64(o, "recorder_cpu_ns", t->recorder_cpu_ns);
	key(o, "losses");
	outbuf_putc(o, '[');
	for (uint32_t i = 0; i < t->nlosses && i < REC_MAX_LOSSES; i++) {
		outbuf_puts(o, i ? ",{\"source\":" : "{\"source\":");
		escape_json(o, t->losses[i].source);
		kv_u64(o, "count", t->losses[i].count);
		kv_str(o, "reason", t->losses[i].reason);
		outbuf_putc(o, '}');
	}
	outbuf_putc(o, ']');
	outbuf_putc(o, '}');
	outbuf_end_line(o);
}

static void js_end(void *ctx, const struct rec_integrity *in)
{
	struct outbuf *o = ((struct json_sink *)ctx)->out;
	outbuf_puts(o, "{\"type\":\"end\"");
	kv_bool(o, "truncated", in->truncated);
	kv_bool(o, "has_trailer", in->has_trailer);
	kv_u64(o, "events", in->events);
	kv_u64(o, "corrupt_frames", in->corrupt_frames);
	kv_u64(o, "skipped_bytes", in->skipped_bytes);
	outbuf_putc(o, '}');
	outbuf_end_line(o);
	outbuf_flush(o);
}

struct event_sink json_sink(struct json_sink *js)
{
	return (struct event_sink){ .ctx = js, .header = js_header, .event = js_event,
				    .trailer = js_trailer, .end = js_end };
}

/*
 * decode_io.c - read/write family and in-kernel transfers.
 *
 * Only counts matter: data buffers are never read. This is the hot path, so
 * nothing here allocates; the fd is described through the fd table (one
 * /proc lookup the first time an unknown fd is seen).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "record/decode_impl.h"
#include "record/fdtable.h"

static bool decode_is_write(int32_t nr)
{
	switch (nr) {
	case SYS_write: case SYS_pwrite64: case SYS_writev:
	case SYS_pwritev: case SYS_pwritev2:
		return true;
	default:
		return false;
	}
}

/* The explicit file offset of p* calls; -1 for the current position. */
static int64_t decode_rw_offset(const struct syscall_call *call)
{
	switch (call->nr) {
	case SYS_pread64: case SYS_pwrite64:
	case SYS_preadv: case SYS_pwritev:
	case SYS_preadv2: case SYS_pwritev2:
		/* x86-64: the whole offset is in pos_l (arg 3); -1 means current. */
		return (int64_t)call->args[3];
	default:
		return -1;
	}
}

void decode_rw(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;
	int fd = (int)call->args[0];

	decode_event_init(&ev, EV_IO, c, call);
	ev.io.op = decode_is_write(call->nr) ? IO_WRITE : IO_READ;
	fdtable_ref_of(c->fds, fd, ev.err == EBADF ? 0 : c->tid, &ev.io.fd);
	ev.io.bytes = ev.err ? 0 : call->ret;
	ev.io.offset = decode_rw_offset(call);
	decode_emit(c, &ev);
}

/*
 * sendfile(out, in, off*, count), copy_file_range(in, off*, out, off*, ...),
 * splice(in, off*, out, off*, ...), tee(in, out, ...).
 */
void decode_transfer(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;
	int in, out;

	switch (call->nr) {
	case SYS_sendfile:
		out = (int)call->args[0];
		in = (int)call->args[1];
		break;
	case SYS_tee:
		in = (int)call->args[0];
		out = (int)call->args[1];
		break;
	default: /* copy_file_range, splice */
		in = (int)call->args[0];
		out = (int)call->args[2];
		break;
	}
	decode_event_init(&ev, EV_TRANSFER, c, call);
	/* Both lookups first: the second may resolve (and move) table slots. */
	fdtable_get(c->fds, in, c->tid);
	fdtable_get(c->fds, out, c->tid);
	fdtable_ref_of(c->fds, in, 0, &ev.transfer.src);
	fdtable_ref_of(c->fds, out, 0, &ev.transfer.dst);
	ev.transfer.bytes = ev.err ? 0 : call->ret;
	decode_emit(c, &ev);
}

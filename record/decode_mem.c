/*
 * decode_mem.c - brk, mmap, munmap, mremap, mprotect as raw events.
 *
 * The region map (replay/regions.c) is rebuilt from these events by the
 * sinks, so live and replayed views agree; here we only record facts.
 *
 * These decoders read nothing from the tracee's memory: only the arguments,
 * the result, the fd table (mmap's path) and the address space's break
 * (brk). That is what lets the fast path (record/fastpath.c) run them on a
 * record taken in the kernel, later than the call but in the task's order,
 * with the same result as at a ptrace exit stop. Keep it so: a decoder here
 * that read the tracee would see memory the task has changed since.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "record/decode_impl.h"
#include "record/fdtable.h"

void decode_brk(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;
	uint64_t now = (uint64_t)call->ret;

	decode_event_init(&ev, EV_BRK, c, call);
	ev.brk.old_brk = c->brk ? *c->brk : 0;
	ev.brk.new_brk = now;
	ev.brk.requested = call->args[0];
	if (c->brk && now)
		*c->brk = now;
	decode_emit(c, &ev);
}

void decode_mmap(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;
	uint32_t flags = (uint32_t)call->args[3];
	int fd = (int)call->args[4];

	decode_event_init(&ev, EV_MMAP, c, call);
	ev.mmap.addr = ev.err ? call->args[0] : (uint64_t)call->ret;
	ev.mmap.len = call->args[1];
	ev.mmap.prot = (uint32_t)call->args[2];
	ev.mmap.flags = flags;
	ev.mmap.fd = (flags & MAP_ANONYMOUS) ? -1 : fd;
	ev.mmap.offset = call->args[5];
	if (!(flags & MAP_ANONYMOUS) && fd >= 0) {
		const struct fdinfo *fi = fdtable_get(c->fds, fd, c->tid);
		ev.mmap.path = fi ? fi->name : NULL;
	}
	decode_emit(c, &ev);
}

void decode_munmap(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;

	decode_event_init(&ev, EV_MUNMAP, c, call);
	ev.munmap.addr = call->args[0];
	ev.munmap.len = call->args[1];
	decode_emit(c, &ev);
}

/* mremap(old_addr, old_len, new_len, flags, new_addr) */
void decode_mremap(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;

	decode_event_init(&ev, EV_MREMAP, c, call);
	ev.mremap.old_addr = call->args[0];
	ev.mremap.old_len = call->args[1];
	ev.mremap.new_len = call->args[2];
	ev.mremap.flags = (uint32_t)call->args[3];
	ev.mremap.new_addr = ev.err ? 0 : (uint64_t)call->ret;
	decode_emit(c, &ev);
}

/* mprotect(addr, len, prot) and pkey_mprotect(addr, len, prot, pkey) */
void decode_mprotect(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;

	decode_event_init(&ev, EV_MPROTECT, c, call);
	ev.mprotect.addr = call->args[0];
	ev.mprotect.len = call->args[1];
	ev.mprotect.prot = (uint32_t)call->args[2];
	decode_emit(c, &ev);
}

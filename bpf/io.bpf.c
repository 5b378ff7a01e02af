// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * io.bpf.c - the fast path: the read/write family and the memory calls of
 * the traced tasks (IO_FAST_LIST in io.h), recorded in the kernel on the
 * raw syscall tracepoints instead of two ptrace stops per call. A memory
 * call needs nothing but its arguments and result, so it takes the plain
 * io_record like a read. The opens (IO_RESULT_LIST) take it too: ptrace
 * stops at their entry, and the record replaces the exit stop.
 *
 * sys_enter (a raw tracepoint, see below; it runs for every syscall on the
 * host, so it first tests the syscall number, then the task map) keeps the
 * arguments and the time in the thread's task-map entry; sys_exit turns
 * them into one ring-buffer record with the return value and the
 * duration. The record is submitted before the task returns to user space:
 * when the tracer sees the task stop for any later syscall, the record is
 * already in the ring. record/fastpath.c relies on this for attribution.
 *
 * Socket addresses (sendto, recvfrom, sendmsg, recvmsg) are read here at
 * sys_exit from the user memory the syscall named, where the ptrace
 * decoder reads them at the exit stop: the same bytes, taken before the
 * task can reuse the buffer.
 *
 * Which tasks: `tasks` is kept by the user side alone (the tracer's
 * task_new / task_gone). That is enough: a new task is added at its
 * creator's ptrace event, and the task cannot run a single instruction
 * before the tracer resumes it, which it does only after that (stops.c);
 * exec from a non-leader thread and deaths are ptrace stops too.
 *
 * Why raw_tp and no CO-RE: a BTF-typed program (tp_btf) or a CO-RE
 * relocation makes libbpf read and parse the kernel's whole BTF
 * (/sys/kernel/btf/vmlinux, ~5 MB) at load, ~8-10 ms of a ~15-20 ms
 * start-up that every recording pays, and that is most of the fast path's
 * cost on a short command (a compile). The only kernel structure read here
 * is the syscall's struct pt_regs, whose x86-64 layout is user ABI
 * (<asm/ptrace.h>), so plain raw tracepoints with one bounded
 * bpf_probe_read_kernel do the same job with no BTF at all. The price is
 * that read of orig_ax at every sys_exit on the host (a tp_btf program
 * loads it directly): a few ns, against milliseconds per recording.
 * A thread that dies is dropped at its death's ptrace stop, after it was
 * reaped: a new task given the same tid in between would be counted as
 * "fastpath-unknown", never attributed.
 */
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>

#include <bpf/bpf_helpers.h>

#include "io.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Wake the reader only when this much is waiting (it also polls on a
 * timer): a wakeup per record would cost more than the record. */
const volatile __u64 wakeup_bytes = 1;
/* Set when compendium runs in a PID namespace other than the host's (a
 * container): ids are then taken in that namespace (dev/ino of
 * /proc/self/ns/pid), the ones the tracer knows. A task of a namespace
 * nested below it is not found, and not recorded: the user side warns. */
const volatile bool ns_ids = false;
const volatile __u64 ns_dev = 0, ns_ino = 0;

struct io_counters counters;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IO_MAX_TASKS);
	__type(key, __u32);
	__type(value, struct io_task);
} tasks SEC(".maps");

/* Size set by the user side before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, IO_DEFAULT_RINGBUF_BYTES);
} events SEC(".maps");

/* The head of the user ABI's struct msghdr. */
struct io_msghdr_head {
	__u64 msg_name;
	__u32 msg_namelen;
};

/* enum io_kind of a fast syscall, -1 for any other. */
static __always_inline int io_kind_of(long nr)
{
	switch (nr) {
#define IO_CASE(n, k) case n: return k;
	IO_FAST_LIST(IO_CASE)
	IO_RESULT_LIST(IO_CASE)
#undef IO_CASE
	}
	return -1;
}

static __always_inline bool io_has_sa(long nr)
{
	return nr == __NR_sendto || nr == __NR_recvfrom || nr == __NR_sendmsg ||
	       nr == __NR_recvmsg;
}

/* The current thread's id and process id as the tracer knows them: false
 * when they cannot be told (a task of a nested PID namespace). */
static __always_inline bool io_ids(__u32 *tid, __u32 *tgid)
{
	struct bpf_pidns_info ns;
	__u64 id;

	if (ns_ids) {
		if (bpf_get_ns_current_pid_tgid(ns_dev, ns_ino, &ns, sizeof(ns)))
			return false;
		*tid = ns.pid;
		*tgid = ns.tgid;
		return true;
	}
	id = bpf_get_current_pid_tgid();
	*tid = (__u32)id;
	*tgid = (__u32)(id >> 32);
	return true;
}

static __always_inline void io_submit(void *r)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(r, flags);
}

/* ---- syscalls ------------------------------------------------------------- */

/*
 * The size of recvfrom's / recvmsg's address buffer, read at entry: the
 * length is value-result, and at exit the kernel has replaced it with the
 * address's full length even when it copied only what fitted. An address
 * longer than the room it had is cut, and not recorded (as the ptrace
 * decoder does, record/decode_net.c).
 */
static __always_inline __u32 io_sa_room(long nr, const __u64 *args)
{
	struct io_msghdr_head m;
	__u32 room = 0;

	if (nr == __NR_recvfrom && args[4] && args[5])
		bpf_probe_read_user(&room, sizeof(room), (void *)args[5]);
	else if (nr == __NR_recvmsg && !bpf_probe_read_user(&m, sizeof(m), (void *)args[1]))
		room = m.msg_name ? m.msg_namelen : 0;
	return room;
}

/* The x86-64 struct pt_regs (user ABI, <asm/ptrace.h>) from r10, the
 * first argument register in it, to orig_ax: read in one bounded copy. */
struct io_regs {
	__u64 r10, r9, r8, ax, cx, dx, si, di, orig_ax;
};
#define IO_REGS_OFF (7 * 8) /* r15 r14 r13 r12 bp bx r11 precede r10 */

/* raw_tp/sys_enter: args[0] the task's struct pt_regs *, args[1] the number */
SEC("raw_tp/sys_enter")
int io_enter(struct bpf_raw_tracepoint_args *ctx)
{
	const char *regs = (const char *)ctx->args[0];
	long id = (long)ctx->args[1];
	struct io_regs r;
	__u32 tid, tgid;
	struct io_task *t;

	if (io_kind_of(id) < 0 || !io_ids(&tid, &tgid))
		return 0;
	t = bpf_map_lookup_elem(&tasks, &tid);
	if (!t)
		return 0;
	if (bpf_probe_read_kernel(&r, sizeof(r), regs + IO_REGS_OFF))
		return 0; /* never: the kernel's own registers */
	t->args[0] = r.di;
	t->args[1] = r.si;
	t->args[2] = r.dx;
	t->args[3] = r.r10;
	t->args[4] = r.r8;
	t->args[5] = r.r9;
	t->sa_room = io_sa_room(id, t->args);
	t->ts_ns = bpf_ktime_get_ns();
	t->nr = (__s32)id;
	return 0;
}

/*
 * The address the ptrace decoder would read (record/decode_net.c): sendto's
 * dest_addr even when it failed; for the others only on success.
 */
static __always_inline void io_capture_sa(struct io_record_sa *s, long nr, long ret, __u32 room)
{
	const __u64 *args = s->r.args;
	struct io_msghdr_head m;
	__u64 addr;
	__u32 len = 0;

	s->sa_len = 0;
	s->pad = 0;
	if (nr == __NR_sendto) {
		addr = args[4];
		len = (__u32)args[5];
	} else if (ret < 0) {
		s->r.flags |= IO_F_SA;
		return;
	} else if (nr == __NR_recvfrom) {
		addr = args[4];
		if (!addr || !args[5]) {
			s->r.flags |= IO_F_SA;
			return;
		}
		if (bpf_probe_read_user(&len, sizeof(len), (void *)args[5]))
			return;
	} else {
		if (bpf_probe_read_user(&m, sizeof(m), (void *)args[1]))
			return;
		addr = m.msg_name;
		len = m.msg_namelen;
	}
	if (!addr || !len || ((nr == __NR_recvfrom || nr == __NR_recvmsg) && len > room)) {
		s->r.flags |= IO_F_SA; /* no address, or one cut short: none */
		return;
	}
	if (len > IO_SA_MAX)
		len = IO_SA_MAX;
	/* the same value, in a form the verifier can bound: [1, IO_SA_MAX] */
	len = ((len - 1) & (IO_SA_MAX - 1)) + 1;
	if (bpf_probe_read_user(s->sa, len, (void *)addr))
		return;
	s->sa_len = len;
	s->r.flags |= IO_F_SA;
}

static __always_inline void io_fill(struct io_record *r, const struct io_task *t, __u64 now,
				    long nr, long ret, __u32 tid, __u32 tgid)
{
	r->ts_ns = t->ts_ns;
	r->dur_ns = now - t->ts_ns;
	r->ret = ret;
	for (int i = 0; i < 6; i++)
		r->args[i] = t->args[i];
	r->tid = tid;
	r->tgid = tgid;
	r->nr = (__s32)nr;
	r->flags = 0;
}

/* raw_tp/sys_exit: args[0] the task's struct pt_regs *, args[1] the result */
SEC("raw_tp/sys_exit")
int io_exit(struct bpf_raw_tracepoint_args *ctx)
{
	const char *regs = (const char *)ctx->args[0];
	long ret = (long)ctx->args[1];
	long nr = -1;
	int kind;
	__u32 tid, tgid;
	struct io_task *t;
	__u64 now;

	bpf_probe_read_kernel(&nr, sizeof(nr), regs + IO_REGS_OFF + offsetof(struct io_regs, orig_ax));
	kind = io_kind_of(nr);
	if (kind < 0 || !io_ids(&tid, &tgid))
		return 0;
	t = bpf_map_lookup_elem(&tasks, &tid);
	if (!t || t->nr != nr)
		return 0;
	t->nr = -1;
	now = bpf_ktime_get_ns();
	if (io_has_sa(nr)) {
		struct io_record_sa *s = bpf_ringbuf_reserve(&events, sizeof(*s), 0);

		if (!s)
			goto drop;
		io_fill(&s->r, t, now, nr, ret, tid, tgid);
		io_capture_sa(s, nr, ret, t->sa_room);
		io_submit(s);
	} else {
		struct io_record *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

		if (!r)
			goto drop;
		io_fill(r, t, now, nr, ret, tid, tgid);
		io_submit(r);
	}
	__sync_fetch_and_add(&counters.records, 1);
	return 0;
drop:
	if (kind >= 0 && kind < IO_K__COUNT)
		__sync_fetch_and_add(&counters.drops[kind], 1);
	return 0;
}

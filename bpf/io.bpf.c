// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * io.bpf.c - the I/O fast path: the read/write family of the traced tasks
 * (IO_FAST_LIST in io.h), recorded in the kernel on the raw syscall
 * tracepoints instead of two ptrace stops per call.
 *
 * sys_enter (tp_btf: the cheapest hook; it runs for every syscall on the
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
 * Which tasks: `tasks` is seeded by the user side (from the tracer's
 * task_new) and extended here on sched_process_fork when the parent is
 * traced, so a child is followed from its first instruction.
 */
#include <linux/bpf.h>

#include "vmlinux_min.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "io.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Wake the reader only when this much is waiting (it also polls on a
 * timer): a wakeup per record would cost more than the record. */
const volatile __u64 wakeup_bytes = 1;

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
#undef IO_CASE
	}
	return -1;
}

static __always_inline bool io_has_sa(long nr)
{
	return nr == __NR_sendto || nr == __NR_recvfrom || nr == __NR_sendmsg ||
	       nr == __NR_recvmsg;
}

static __always_inline void io_submit(void *r)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(r, flags);
}

/* ---- tasks ---------------------------------------------------------------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(io_fork, struct task_struct *parent, struct task_struct *child)
{
	struct io_task v = { .tgid = BPF_CORE_READ(child, tgid), .nr = -1 };
	__u32 ptid = BPF_CORE_READ(parent, pid), tid = BPF_CORE_READ(child, pid);

	if (!bpf_map_lookup_elem(&tasks, &ptid))
		return 0;
	if (bpf_map_update_elem(&tasks, &tid, &v, BPF_ANY))
		__sync_fetch_and_add(&counters.tasks_full, 1);
	return 0;
}

/* exec from a non-leader thread: the thread takes the leader's id */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(io_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	__u32 old = old_pid, tid = BPF_CORE_READ(p, pid);
	struct io_task v = { .tgid = BPF_CORE_READ(p, tgid), .nr = -1 };

	if (old == tid || !bpf_map_lookup_elem(&tasks, &old))
		return 0;
	bpf_map_update_elem(&tasks, &tid, &v, BPF_ANY);
	bpf_map_delete_elem(&tasks, &old);
	return 0;
}

/* a dead thread's id may be reused by a task we do not trace */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(io_task_exit, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);

	bpf_map_delete_elem(&tasks, &tid);
	return 0;
}

/* ---- syscalls ------------------------------------------------------------- */

SEC("tp_btf/sys_enter")
int BPF_PROG(io_enter, struct pt_regs *regs, long id)
{
	__u32 tid;
	struct io_task *t;

	if (io_kind_of(id) < 0)
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	t = bpf_map_lookup_elem(&tasks, &tid);
	if (!t)
		return 0;
	t->args[0] = regs->di;
	t->args[1] = regs->si;
	t->args[2] = regs->dx;
	t->args[3] = regs->r10;
	t->args[4] = regs->r8;
	t->args[5] = regs->r9;
	t->ts_ns = bpf_ktime_get_ns();
	t->nr = (__s32)id;
	return 0;
}

/*
 * The address the ptrace decoder would read (record/decode_net.c): sendto's
 * dest_addr even when it failed; for the others only on success.
 */
static __always_inline void io_capture_sa(struct io_record_sa *s, long nr, long ret)
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
	if (!addr || !len) {
		s->r.flags |= IO_F_SA;
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
				    long nr, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();

	r->ts_ns = t->ts_ns;
	r->dur_ns = now - t->ts_ns;
	r->ret = ret;
	for (int i = 0; i < 6; i++)
		r->args[i] = t->args[i];
	r->tid = (__u32)id;
	r->tgid = (__u32)(id >> 32);
	r->nr = (__s32)nr;
	r->flags = 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(io_exit, struct pt_regs *regs, long ret)
{
	long nr = (long)regs->orig_ax;
	int kind = io_kind_of(nr);
	__u32 tid;
	struct io_task *t;
	__u64 now;

	if (kind < 0)
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	t = bpf_map_lookup_elem(&tasks, &tid);
	if (!t || t->nr != nr)
		return 0;
	t->nr = -1;
	now = bpf_ktime_get_ns();
	if (io_has_sa(nr)) {
		struct io_record_sa *s = bpf_ringbuf_reserve(&events, sizeof(*s), 0);

		if (!s)
			goto drop;
		io_fill(&s->r, t, now, nr, ret);
		io_capture_sa(s, nr, ret);
		io_submit(s);
	} else {
		struct io_record *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

		if (!r)
			goto drop;
		io_fill(r, t, now, nr, ret);
		io_submit(r);
	}
	__sync_fetch_and_add(&counters.records, 1);
	return 0;
drop:
	if (kind >= 0 && kind < IO_K__COUNT)
		__sync_fetch_and_add(&counters.drops[kind], 1);
	return 0;
}

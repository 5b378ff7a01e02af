// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * latency.bpf.c - scheduler and block-I/O latency of the traced tasks only.
 *
 * Which tasks: `tasks` (thread id -> tgid and the thread's current wait)
 * is seeded by the user side
 * (record/ebpf.c, from the tracer's task_new) and extended here on
 * sched_process_fork when the forking thread is traced, so a child is
 * followed from its first wakeup, before the tracer hears of it. Exit and
 * exec from a non-leader thread keep it right in the kernel as well.
 *
 * Scheduler latency (as libbpf-tools' runqlat): a wait begins at
 * sched_wakeup / sched_wakeup_new, or at sched_switch when the task leaves
 * the CPU still queued (preempted, even while on its way to sleep, or
 * yielding); it ends when sched_switch puts the task on a CPU. Unlike
 * runqlat we also count a preemption of a task whose state is no longer
 * TASK_RUNNING: the kernel keeps it queued, and schedstat counts the wait.
 * Every wait goes into a per-thread log2 histogram; waits of at least
 * `sched_threshold_ns` also become ring-buffer records.
 *
 * Block I/O: a request is attributed to its submitter at block_io_start
 * (6.5+; else block_rq_insert, else block_rq_issue when a traced task issues
 * it itself), timed from block_rq_issue and ended at block_rq_complete.
 * Every completed request is a record and goes into a histogram.
 *
 * Writeback: buffered writes reach the disk later, from kernel flusher
 * threads (or whoever triggers the flush: sync, memory pressure). We
 * remember the inodes traced tasks dirty (writeback_mark_inode_dirty, in
 * the dirtying task's context); a request started by a task we do not
 * trace whose first page belongs to one of those inodes is charged to the
 * task that dirtied it, flagged writeback. The page decides, not which
 * thread flushes: data is also flushed by memory reclaim, by another
 * process's sync or fsync, or by plugged requests started late. Journal
 * and metadata writes of the filesystem are not attributed; a request
 * merging several files is charged by its first page. A traced task's own
 * flush (fsync, ext4's flush at close) is charged to it without the flag.
 *
 * Program names are stable: record/ebpf.c turns off the programs whose
 * tracepoint the running kernel lacks before loading.
 */
#include <linux/bpf.h>

#include "vmlinux_min.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "latency.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by the user side before load. */
const volatile __u64 sched_threshold_ns = 10000;
/* Wake the reader only when this much is waiting in the ring buffer (it
 * also polls on a timer): a wakeup per record would cost more than the
 * record itself. */
const volatile __u64 wakeup_bytes = 1;

struct lat_counters counters;

static struct lat_hist zero_hist;

struct rq_info {
	__u64 start_ts; /* submission */
	__u64 issue_ts; /* dispatch to the driver, 0 until seen */
	__u32 tid, tgid;
	__u32 writeback;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LAT_MAX_TASKS);
	__type(key, __u32);
	__type(value, struct lat_task);
} tasks SEC(".maps");

/* Allocated on first use: a histogram is created once per thread and kind,
 * and preallocating 16384 of 520 bytes costs ~3 ms at start. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LAT_MAX_HISTS);
	__type(key, struct lat_hist_key);
	__type(value, struct lat_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_MAX_REQUESTS);
	__type(key, __u64);
	__type(value, struct rq_info);
} requests SEC(".maps");

/* inode pointer -> the traced task that dirtied it last (tid, tgid) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_MAX_INODES);
	__type(key, __u64);
	__type(value, struct rq_info);
} dirty_inodes SEC(".maps");

/* Size set by the user side before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, LAT_DEFAULT_RINGBUF_BYTES);
} events SEC(".maps");

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1)
		r += 1;
	return r;
}

static __always_inline void hist_add(__u32 tid, __u32 tgid, __u32 kind, __u64 value)
{
	struct lat_hist_key key = { .tid = tid, .kind = kind };
	struct lat_hist *h;
	__u32 slot;

	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			__sync_fetch_and_add(&counters.hist_full, 1);
			return;
		}
		h->tgid = tgid;
	}
	slot = log2_u64(value);
	if (slot >= LAT_HIST_SLOTS)
		slot = LAT_HIST_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
}

static __always_inline void submit(struct lat_record *r)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(r, flags);
}

static __always_inline struct lat_task *task_of(__u32 tid)
{
	return tid ? bpf_map_lookup_elem(&tasks, &tid) : NULL;
}

static __always_inline bool traced(__u32 tid)
{
	return task_of(tid) != NULL;
}

/* tp_btf arguments are trusted pointers: direct (CO-RE relocated) loads,
 * cheaper than bpf_probe_read_kernel on the hot scheduler paths. */
static __always_inline bool task_runnable(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return t->__state == TASK_RUNNING;
	return ((struct task_struct___old *)t)->state == TASK_RUNNING;
}

/* ---- tasks ---------------------------------------------------------------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(lat_fork, struct task_struct *parent, struct task_struct *child)
{
	struct lat_task v = { .tgid = BPF_CORE_READ(child, tgid) };
	__u32 tid = BPF_CORE_READ(child, pid);

	if (!traced(BPF_CORE_READ(parent, pid)))
		return 0;
	if (bpf_map_update_elem(&tasks, &tid, &v, BPF_ANY))
		__sync_fetch_and_add(&counters.tasks_full, 1);
	return 0;
}

/* exec from a non-leader thread: the thread takes the leader's id */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(lat_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	__u32 old = old_pid, tid = BPF_CORE_READ(p, pid);
	struct lat_task v = { .tgid = BPF_CORE_READ(p, tgid) };

	if (old == tid || !traced(old))
		return 0;
	bpf_map_update_elem(&tasks, &tid, &v, BPF_ANY);
	bpf_map_delete_elem(&tasks, &old);
	return 0;
}

/* a dead thread's id may be reused by a task we do not trace */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(lat_exit, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);

	bpf_map_delete_elem(&tasks, &tid);
	return 0;
}

/* ---- scheduler ------------------------------------------------------------ */

/* The wait start lives in the task's pid-map entry: no map update on the
 * hot path, only stores into the value. */
static __always_inline void wait_begin(struct task_struct *p, __u32 preempted)
{
	struct lat_task *t = task_of(p->pid);

	if (!t)
		return;
	t->preempted = preempted;
	t->wait_ts = bpf_ktime_get_ns();
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(lat_wakeup, struct task_struct *p)
{
	wait_begin(p, 0);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(lat_wakeup_new, struct task_struct *p)
{
	wait_begin(p, 0);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(lat_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct lat_record *r;
	struct lat_task *t;
	__u64 now, delay, begin;
	__u32 tid, preempted;

	/* preempted, even on its way to sleep (state already set), it stays
	 * queued: a wait for the CPU too */
	if (preempt || task_runnable(prev))
		wait_begin(prev, 1);

	tid = next->pid;
	t = task_of(tid);
	if (!t || !t->wait_ts)
		return 0;
	now = bpf_ktime_get_ns();
	begin = t->wait_ts;
	preempted = t->preempted;
	t->wait_ts = 0;
	delay = now > begin ? now - begin : 0;

	__sync_fetch_and_add(&counters.sched_events, 1);
	hist_add(tid, next->tgid, LAT_HIST_SCHED, delay);
	if (delay < sched_threshold_ns)
		return 0;

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&counters.ringbuf_drops, 1);
		return 0;
	}
	r->ts_ns = begin;
	r->delay_ns = delay;
	r->sector = 0;
	r->kind = LAT_REC_SCHED;
	r->tid = tid;
	r->tgid = next->tgid;
	r->cpu = bpf_get_smp_processor_id();
	r->dev = 0;
	r->bytes = 0;
	r->flags = preempted ? LAT_F_PREEMPTED : 0;
	r->status = 0;
	submit(r);
	return 0;
}

/* ---- block I/O ------------------------------------------------------------ */

static __always_inline __u32 rq_dev(struct request *rq)
{
	struct gendisk *disk;

	if (bpf_core_field_exists(rq->q->disk))
		disk = BPF_CORE_READ(rq, q, disk);
	else
		disk = BPF_CORE_READ((struct request___old *)rq, rq_disk);
	if (!disk)
		return 0;
	return LAT_MKDEV(BPF_CORE_READ(disk, major), BPF_CORE_READ(disk, first_minor));
}

/* The traced task that dirtied the file data rq carries, if any. */
static __always_inline struct rq_info *writeback_owner(struct request *rq)
{
	struct address_space *mapping = BPF_CORE_READ(rq, bio, bi_io_vec, bv_page, mapping);
	__u64 key;

	if (!mapping || ((__u64)mapping & PAGE_MAPPING_FLAGS))
		return NULL; /* no data, or anonymous memory (O_DIRECT, swap) */
	key = (__u64)BPF_CORE_READ(mapping, host);
	return bpf_map_lookup_elem(&dirty_inodes, &key);
}

/* Records rq if the current task is traced or writes back a traced inode. */
static __always_inline struct rq_info *rq_claim(struct request *rq)
{
	__u64 id = bpf_get_current_pid_tgid(), key = (__u64)rq;
	__u32 tid = (__u32)id;
	struct rq_info info = {}, *owner;

	if (traced(tid)) {
		info.tid = tid;
		info.tgid = id >> 32;
	} else {
		if ((BPF_CORE_READ(rq, cmd_flags) & REQ_OP_MASK) != REQ_OP_WRITE)
			return NULL;
		owner = writeback_owner(rq);
		if (!owner)
			return NULL;
		info.tid = owner->tid;
		info.tgid = owner->tgid;
		info.writeback = 1;
	}
	info.start_ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&requests, &key, &info, BPF_ANY)) {
		__sync_fetch_and_add(&counters.requests_full, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&requests, &key);
}

SEC("tp_btf/block_io_start")
int BPF_PROG(lat_io_start, struct request *rq)
{
	__u64 key = (__u64)rq;

	/* Requests are recycled; one of ours that ended without a completion
	 * (merged into another) must not be charged to the next user. */
	if (!rq_claim(rq))
		bpf_map_delete_elem(&requests, &key);
	return 0;
}

/* Loaded only on kernels without block_io_start. */
SEC("tp_btf/block_rq_insert")
int BPF_PROG(lat_rq_insert, struct request *rq)
{
	__u64 key = (__u64)rq;

	if (!bpf_map_lookup_elem(&requests, &key))
		rq_claim(rq);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(lat_rq_issue, struct request *rq)
{
	__u64 key = (__u64)rq;
	struct rq_info *info;

	info = bpf_map_lookup_elem(&requests, &key);
	if (!info)
		info = rq_claim(rq);
	if (info)
		info->issue_ts = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(lat_rq_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq, now, begin;
	struct rq_info *info;
	struct lat_record *r;
	__u32 op, tid, tgid, wb;

	info = bpf_map_lookup_elem(&requests, &key);
	if (!info)
		return 0;
	now = bpf_ktime_get_ns();
	begin = info->issue_ts ? info->issue_ts : info->start_ts;
	tid = info->tid;
	tgid = info->tgid;
	wb = info->writeback;
	bpf_map_delete_elem(&requests, &key);

	op = BPF_CORE_READ(rq, cmd_flags) & REQ_OP_MASK;
	if (op != REQ_OP_READ && op != REQ_OP_WRITE)
		return 0; /* flush, discard...: no data moved */

	__sync_fetch_and_add(&counters.block_events, 1);
	hist_add(tid, tgid, LAT_HIST_BLOCK, now > begin ? now - begin : 0);

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&counters.ringbuf_drops, 1);
		return 0;
	}
	r->ts_ns = begin;
	r->delay_ns = now > begin ? now - begin : 0;
	r->sector = BPF_CORE_READ(rq, __sector);
	r->kind = LAT_REC_BLOCK;
	r->tid = tid;
	r->tgid = tgid;
	r->cpu = bpf_get_smp_processor_id();
	r->dev = rq_dev(rq);
	/* the whole request: __data_len shrinks as partial completions land */
	r->bytes = BPF_CORE_READ(rq, __data_len);
	r->flags = (op == REQ_OP_WRITE ? LAT_F_WRITE : 0) | (wb ? LAT_F_WRITEBACK : 0);
	r->status = error;
	submit(r);
	return 0;
}

/* ---- writeback attribution ------------------------------------------------ */

SEC("tp_btf/writeback_mark_inode_dirty")
int BPF_PROG(lat_inode_dirty, struct inode *inode, int flags)
{
	__u64 id = bpf_get_current_pid_tgid(), key = (__u64)inode;
	struct rq_info owner = {}, *old;
	__u32 tid = (__u32)id;

	if (!traced(tid))
		return 0;
	old = bpf_map_lookup_elem(&dirty_inodes, &key);
	if (old && old->tid == tid)
		return 0;
	owner.tid = tid;
	owner.tgid = id >> 32;
	bpf_map_update_elem(&dirty_inodes, &key, &owner, BPF_ANY);
	return 0;
}

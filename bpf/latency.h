/*
 * latency.h - the contract between bpf/latency.bpf.c (kernel side) and
 * record/ebpf.c (user side): map sizes, ring-buffer record layout,
 * histogram layout and the loss counters. Both sides include this file and
 * nothing in it is repeated elsewhere.
 *
 * Times are CLOCK_MONOTONIC ns (bpf_ktime_get_ns), not yet relative to the
 * recording's start: the user side subtracts its monotonic base.
 */
#ifndef COMPENDIUM_LATENCY_H
#define COMPENDIUM_LATENCY_H

#include <linux/types.h>

/* Map capacities. */
#define LAT_MAX_TASKS 16384    /* traced threads (pid map) */
#define LAT_MAX_HISTS 16384    /* (thread, kind) histograms */
#define LAT_MAX_REQUESTS 16384 /* block requests in flight */
#define LAT_MAX_INODES 8192    /* inodes dirtied by traced tasks (LRU) */

/* log2 histogram: slot i counts values in [2^i, 2^(i+1)) ns; slot 0 also
 * counts 0. 64 slots cover every u64. */
#define LAT_HIST_SLOTS 64

/* Ring buffer size when the caller gives none (bytes, power of two). */
#define LAT_DEFAULT_RINGBUF_BYTES (4u << 20)

/* pid map value: the key is the thread id. The user side writes tgid
 * with the rest zero; the rest is the kernel side's. */
struct lat_task {
	__u32 tgid;
	__u32 preempted; /* the current wait began at a preemption */
	__u64 wait_ts;   /* when the current wait for a CPU began; 0: none */
};

enum lat_hist_kind { LAT_HIST_SCHED = 0, LAT_HIST_BLOCK = 1 };

struct lat_hist_key {
	__u32 tid;
	__u32 kind; /* enum lat_hist_kind */
};

struct lat_hist {
	__u32 tgid;
	__u32 pad;
	__u64 slots[LAT_HIST_SLOTS];
};

enum lat_rec_kind { LAT_REC_SCHED = 1, LAT_REC_BLOCK = 2 };

/* lat_record.flags */
#define LAT_F_PREEMPTED 0x1u /* sched: re-queued while runnable, not woken */
#define LAT_F_WRITE 0x2u     /* block: a write (else a read) */
#define LAT_F_WRITEBACK 0x4u /* block: issued by a kernel worker for our inode */

/*
 * One ring-buffer record.
 * sched: ts_ns = when the wait began (wakeup or preemption), delay_ns = wait,
 *        cpu = the CPU the task then ran on.
 * block: ts_ns = issue to the driver (submission when no issue was seen),
 *        delay_ns = issue to completion; dev is the kernel dev_t
 *        (major << 20 | minor) of the disk; status is the kernel's raw
 *        blk_status_t (0 = success; other values differ between kernels).
 */
struct lat_record {
	__u64 ts_ns;
	__u64 delay_ns;
	__u64 sector;
	__u32 kind; /* enum lat_rec_kind */
	__u32 tid;
	__u32 tgid;
	__u32 cpu;
	__u32 dev;
	__u32 bytes;
	__u32 flags; /* LAT_F_* */
	__u32 status;
};

/* Global counters in the BPF object's .bss, read by the user side at stop. */
struct lat_counters {
	__u64 ringbuf_drops; /* records lost: bpf_ringbuf_reserve failed */
	__u64 hist_full;     /* values lost: histogram map full */
	__u64 requests_full; /* block requests not followed: request map full */
	__u64 tasks_full;    /* forked tasks not followed: pid map full */
	__u64 sched_events;  /* delays measured (hooks' work, for cost reports) */
	__u64 block_events;  /* requests completed for traced tasks */
};

/* Kernel dev_t (include/linux/kdev_t.h). */
#define LAT_MINORBITS 20
#define LAT_MKDEV(ma, mi) (((__u32)(ma) << LAT_MINORBITS) | (__u32)(mi))

#endif

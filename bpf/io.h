/*
 * io.h - the contract between bpf/io.bpf.c (kernel side of the fast path:
 * the I/O and memory syscalls) and record/fastpath.c (user side): which
 * syscalls the fast path owns, the ring-buffer record layout, map sizes and
 * loss counters. Both sides include this file and nothing in it is repeated
 * elsewhere; the seccomp filter (record/seccomp.c) leaves exactly
 * IO_FAST_LIST out, and keeps IO_RESULT_LIST in.
 *
 * Times are CLOCK_MONOTONIC ns (bpf_ktime_get_ns); the user side subtracts
 * the recording's monotonic base.
 */
#ifndef COMPENDIUM_IO_H
#define COMPENDIUM_IO_H

#include <linux/types.h>
#include <asm/unistd_64.h>

/*
 * The syscalls the fast path records instead of ptrace: X(number, kind).
 * A syscall belongs here when its decoder needs only the arguments, the
 * return value and state the ptrace side keeps in time order (the fd table,
 * the address space's break), and when it changes none of the state other
 * syscalls' decoders read: no fd is created or closed here, so the ordering
 * argument of record/fastpath.c holds for every entry.
 * sendmmsg/recvmmsg stay on ptrace: their byte count is a sum over a
 * variable array of headers, and one stop per batch of messages is cheap.
 * The memory calls are here because a small program makes more of them
 * than of anything else (ld.so and malloc: ~16 of ~24 stops of /bin/true);
 * mmap names an fd (its path is looked up like a read's) but creates none,
 * and brk's old break is the per-address-space value the decoder updates,
 * in this task's order (see decode_brk).
 */
#define IO_FAST_LIST(X)                                                          \
	X(__NR_read, IO_K_READ) X(__NR_write, IO_K_WRITE)                        \
	X(__NR_pread64, IO_K_READ) X(__NR_pwrite64, IO_K_WRITE)                  \
	X(__NR_readv, IO_K_READ) X(__NR_writev, IO_K_WRITE)                      \
	X(__NR_preadv, IO_K_READ) X(__NR_pwritev, IO_K_WRITE)                    \
	X(__NR_preadv2, IO_K_READ) X(__NR_pwritev2, IO_K_WRITE)                  \
	X(__NR_sendto, IO_K_SEND) X(__NR_recvfrom, IO_K_RECV)                    \
	X(__NR_sendmsg, IO_K_SEND) X(__NR_recvmsg, IO_K_RECV)                    \
	X(__NR_sendfile, IO_K_TRANSFER) X(__NR_copy_file_range, IO_K_TRANSFER)   \
	X(__NR_splice, IO_K_TRANSFER) X(__NR_tee, IO_K_TRANSFER)                \
	X(__NR_brk, IO_K_MEM) X(__NR_mmap, IO_K_MEM) X(__NR_munmap, IO_K_MEM)    \
	X(__NR_mremap, IO_K_MEM) X(__NR_mprotect, IO_K_MEM)                      \
	X(__NR_pkey_mprotect, IO_K_MEM)

/*
 * The syscalls whose *result* the fast path records while ptrace keeps
 * them: they stay in the seccomp filter, the tracer takes their entry stop
 * (and reads the path there) but no exit stop, and the record brings the
 * fd or the errno, and the times (record/fastpath.c, OPENS). A successful
 * exec is still the PTRACE_EVENT_EXEC stop's (its record says 0 and is
 * ignored); only a failed one is decoded from its record. openat2 keeps
 * its exit stop: its flags live in a struct in the tracee's memory, and it
 * is rare.
 */
#define IO_RESULT_LIST(X)                                                        \
	X(__NR_open, IO_K_OPEN) X(__NR_openat, IO_K_OPEN) X(__NR_creat, IO_K_OPEN)    \
	X(__NR_execve, IO_K_EXEC) X(__NR_execveat, IO_K_EXEC)

/* Kinds, for the per-kind loss counters. */
enum io_kind {
	IO_K_READ = 0, IO_K_WRITE, IO_K_SEND, IO_K_RECV, IO_K_TRANSFER, IO_K_MEM, IO_K_OPEN,
	IO_K_EXEC, IO_K__COUNT
};

/* Map capacities and defaults. */
#define IO_MAX_TASKS 16384                /* traced threads */
#define IO_DEFAULT_RINGBUF_BYTES (8u << 20) /* power of two */
#define IO_SA_MAX 128                     /* sockaddr bytes kept (sockaddr_storage) */

/* io_record.flags */
#define IO_F_SA 0x1u /* an io_record_sa: `sa` holds the socket address the
			syscall named (sa_len bytes; 0: none) */

/*
 * One finished syscall. ts_ns is the sys_enter time, dur_ns sys_enter to
 * sys_exit, ret the raw return value (-errno on failure), args the six
 * argument registers at sys_enter. Submitted at sys_exit, before the task
 * returns to user space.
 */
struct io_record {
	__u64 ts_ns;
	__u64 dur_ns;
	__s64 ret;
	__u64 args[6];
	__u32 tid;
	__u32 tgid;
	__s32 nr;
	__u32 flags; /* IO_F_* */
};

/*
 * sendto/recvfrom/sendmsg/recvmsg: the record plus the address, read in the
 * kernel at sys_exit where the ptrace decoder reads it from the tracee
 * (sendto: dest_addr; recvfrom: src_addr with the length the kernel wrote;
 * sendmsg/recvmsg: msg_name, msg_namelen; the receive calls only when they
 * succeeded). Without IO_F_SA the read faulted: the user side falls back to
 * reading the tracee's memory.
 */
struct io_record_sa {
	struct io_record r;
	__u32 sa_len;
	__u32 pad;
	__u8 sa[IO_SA_MAX];
};

/* Per-thread state in the task map (key: thread id). Only the user side
 * adds and deletes entries (tgid, nr = -1); the rest is the kernel side's. */
struct io_task {
	__u32 tgid;
	__s32 nr;      /* fast syscall in flight (sys_enter seen), -1: none */
	__u64 ts_ns;   /* its sys_enter time */
	__u64 args[6];
	__u32 sa_room; /* recvfrom/recvmsg: the address buffer's size at entry */
	__u32 pad;
};

/* Global counters in the BPF object's .bss, read by the user side at stop. */
struct io_counters {
	__u64 drops[IO_K__COUNT]; /* records lost: ring buffer full, per kind */
	__u64 records;            /* records submitted */
};

#endif

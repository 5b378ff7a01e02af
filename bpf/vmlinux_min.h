/*
 * vmlinux_min.h - the few kernel types the BPF programs read, written by
 * hand so that building bpf/ never depends on the build host's
 * /sys/kernel/btf/vmlinux.
 *
 * CO-RE: every struct carries preserve_access_index, so clang records each
 * field access as a relocation and libbpf fixes the offsets against the
 * running kernel's BTF at load time. Only the fields we read are declared;
 * their order and the absence of the others do not matter. A "___old"
 * suffix names an older layout of the same struct (libbpf ignores the
 * suffix when matching), used with bpf_core_field_exists().
 */
#ifndef COMPENDIUM_VMLINUX_MIN_H
#define COMPENDIUM_VMLINUX_MIN_H

#include <linux/types.h> /* __u8 ... __u64 (UAPI, not the host's BTF) */

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef __u8 blk_status_t;
typedef __u64 sector_t;
typedef __u32 dev_t;
typedef _Bool bool;

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct task_struct {
	unsigned int __state; /* 5.14+ */
	int pid;              /* thread id */
	int tgid;             /* process id */
};

struct task_struct___old {
	long state; /* before 5.14 */
};

struct gendisk {
	int major;
	int first_minor;
};

struct request_queue {
	struct gendisk *disk; /* 5.15+ */
};

struct address_space {
	struct inode *host;
};

struct page {
	struct address_space *mapping; /* low bits set: anonymous, not a file */
};

struct bio_vec {
	struct page *bv_page;
};

struct bio {
	struct bio_vec *bi_io_vec;
};

struct request {
	struct request_queue *q;
	unsigned int cmd_flags;
	unsigned int __data_len;
	sector_t __sector;
	struct bio *bio;
};

struct request___old {
	struct gendisk *rq_disk; /* before 5.15 */
};

struct inode {
	unsigned long i_ino;
};

struct linux_binprm {
	int argc;
};

/* x86-64 registers at syscall entry (io.bpf.c: the arguments). */
struct pt_regs {
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
};

#pragma clang attribute pop

/* Stable values from include/linux/sched.h and include/linux/blk_types.h. */
#define TASK_RUNNING 0x0
#define PAGE_MAPPING_FLAGS 0x3ul /* include/linux/page-flags.h */
#define REQ_OP_BITS 8
#define REQ_OP_MASK ((1u << REQ_OP_BITS) - 1)
#define REQ_OP_READ 0u
#define REQ_OP_WRITE 1u

#endif

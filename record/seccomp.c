/*
 * seccomp.c - builds and installs the tracer's seccomp-bpf filter.
 *
 * The program checks the ABI, then finds the syscall number in the sorted
 * set of decoded syscalls with a binary search of JGE jumps down to small
 * linear leaves, so an untraced syscall costs about log2(n) + 4 BPF
 * instructions rather than n:
 *
 *     ld  arch;  jeq AUDIT_ARCH_X86_64 ? next : ALLOW
 *     ld  nr;    jge X32_BIT ? ALLOW : next
 *     tree(nrs): jge nrs[mid] ? right : left      (left follows inline)
 *     leaf:      jeq nr ? TRACE : next ... ALLOW
 *
 * A syscall the decoder needs only for some values of one argument is
 * traced only for those (fcntl: decode_fcntl_cmds); its leaf entry is
 *
 *     jeq nr ? next : past the entry;  ld arg;  jeq v1 ? TRACE ...;  ALLOW; TRACE
 */
#define _GNU_SOURCE
#include "util.h"
#include "record/seccomp.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "record/decode.h"

#define SECCOMP_X32_BIT 0x40000000u
#define SECCOMP_LEAF 4 /* syscalls per linear leaf */

/* Traced only when argument `arg` (its low 32 bits) is one of `vals`. */
struct seccomp_argfilter {
	int32_t nr;
	unsigned arg;
	const int *vals;
	const unsigned *nvals;
};

static const struct seccomp_argfilter seccomp_argfilters[] = {
	{ SYS_fcntl, 1, decode_fcntl_cmds, &decode_fcntl_ncmds },
};

static const struct seccomp_argfilter *seccomp_argfilter(uint32_t nr)
{
	for (size_t i = 0; i < sizeof(seccomp_argfilters) / sizeof(seccomp_argfilters[0]); i++)
		if ((uint32_t)seccomp_argfilters[i].nr == nr)
			return &seccomp_argfilters[i];
	return NULL;
}

/* Instructions of one leaf entry. */
static unsigned seccomp_entry_size(uint32_t nr)
{
	const struct seccomp_argfilter *f = seccomp_argfilter(nr);

	return f ? 4 + *f->nvals : 2;
}

struct seccomp_emit {
	struct sock_filter *insn;
	unsigned n, cap;
	int err;
};

static void seccomp_put(struct seccomp_emit *e, uint16_t code, uint32_t k, unsigned jt, unsigned jf)
{
	if (jt > 255 || jf > 255)
		e->err = -E2BIG; /* a jump too far for classic BPF */
	if (e->n >= e->cap) {
		e->err = -E2BIG;
		return;
	}
	e->insn[e->n++] = (struct sock_filter)BPF_JUMP(code, k, (uint8_t)jt, (uint8_t)jf);
}

static void seccomp_put_stmt(struct seccomp_emit *e, uint16_t code, uint32_t k)
{
	seccomp_put(e, code, k, 0, 0);
}

/* Instructions tree() emits for nrs[0..n). */
static unsigned seccomp_tree_size(const uint32_t *nrs, unsigned n)
{
	unsigned size = 1;

	if (n > SECCOMP_LEAF)
		return 1 + seccomp_tree_size(nrs, n / 2) + seccomp_tree_size(nrs + n / 2, n - n / 2);
	for (unsigned i = 0; i < n; i++)
		size += seccomp_entry_size(nrs[i]);
	return size;
}

static void seccomp_leaf_entry(struct seccomp_emit *e, uint32_t nr)
{
	const struct seccomp_argfilter *f = seccomp_argfilter(nr);
	unsigned k = f ? *f->nvals : 0;

	if (!f) {
		seccomp_put(e, BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1);
		seccomp_put_stmt(e, BPF_RET | BPF_K, SECCOMP_RET_TRACE);
		return;
	}
	seccomp_put(e, BPF_JMP | BPF_JEQ | BPF_K, nr, 0, k + 3);
	seccomp_put_stmt(e, BPF_LD | BPF_W | BPF_ABS,
			 (uint32_t)(offsetof(struct seccomp_data, args) + 8 * f->arg));
	for (unsigned j = 0; j < k; j++)
		seccomp_put(e, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)f->vals[j], k - j, 0);
	seccomp_put_stmt(e, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	seccomp_put_stmt(e, BPF_RET | BPF_K, SECCOMP_RET_TRACE);
}

static void seccomp_tree(struct seccomp_emit *e, const uint32_t *nrs, unsigned n)
{
	if (n <= SECCOMP_LEAF) {
		for (unsigned i = 0; i < n; i++)
			seccomp_leaf_entry(e, nrs[i]);
		seccomp_put_stmt(e, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		return;
	}
	seccomp_put(e, BPF_JMP | BPF_JGE | BPF_K, nrs[n / 2], seccomp_tree_size(nrs, n / 2), 0);
	seccomp_tree(e, nrs, n / 2);
	seccomp_tree(e, nrs + n / 2, n - n / 2);
}

static int seccomp_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The decoded syscall numbers, sorted and unique, without the untraced
 * ones. Returns count or -ENOMEM. */
static int seccomp_numbers(uint32_t **out, bool (*untraced)(int32_t nr))
{
	uint32_t *nrs = malloc((decode_table_len + 1) * sizeof(*nrs));
	unsigned n = 0;

	if (!nrs)
		return -ENOMEM;
	for (unsigned i = 0; i < decode_table_len; i++)
		if (decode_table[i].nr >= 0 && (uint32_t)decode_table[i].nr < SECCOMP_X32_BIT &&
		    !(untraced && untraced(decode_table[i].nr)))
			nrs[n++] = (uint32_t)decode_table[i].nr;
	qsort(nrs, n, sizeof(*nrs), seccomp_cmp_u32);
	unsigned u = 0;
	for (unsigned i = 0; i < n; i++)
		if (u == 0 || nrs[u - 1] != nrs[i])
			nrs[u++] = nrs[i];
	*out = nrs;
	return (int)u;
}

int seccomp_filter_build(struct sock_fprog *prog, bool (*untraced)(int32_t nr))
{
	uint32_t *nrs;
	int n = seccomp_numbers(&nrs, untraced);
	struct seccomp_emit e = { 0 };

	if (n < 0)
		return n;
	e.cap = 6 + seccomp_tree_size(nrs, (unsigned)n);
	e.insn = calloc(e.cap, sizeof(*e.insn));
	if (!e.insn) {
		free(nrs);
		return -ENOMEM;
	}
	seccomp_put(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
	seccomp_put(&e, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	seccomp_put(&e, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	seccomp_put(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
	seccomp_put(&e, BPF_JMP | BPF_JGE | BPF_K, SECCOMP_X32_BIT, 0, 1);
	seccomp_put(&e, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	seccomp_tree(&e, nrs, (unsigned)n);
	free(nrs);
	if (e.err || e.n > BPF_MAXINSNS) {
		free(e.insn);
		return e.err ? e.err : -E2BIG;
	}
	prog->filter = e.insn;
	prog->len = (unsigned short)e.n;
	return 0;
}

void seccomp_filter_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

bool seccomp_needs_no_new_privs(void)
{
	return !util_has_cap(CAP_SYS_ADMIN);
}

int seccomp_install(const struct sock_fprog *prog, bool no_new_privs)
{
	if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) != 0)
		return -errno;
	return 0;
}

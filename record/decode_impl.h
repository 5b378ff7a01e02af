/*
 * decode_impl.h - private to the decoders (decode*.c): the one list of
 * decoded syscalls and helpers shared by the decoder files.
 *
 * DECODE_LIST is the single source of truth: decode.c expands it into
 * decode_table[] (which the seccomp filter is built from) and into the
 * O(1) lookup array indexed by syscall number.
 */
#ifndef COMPENDIUM_DECODE_IMPL_H
#define COMPENDIUM_DECODE_IMPL_H

#include <stddef.h>
#include <sys/syscall.h>

#include "record/decode.h"

#define DECODE_LIST(X)                                                           \
	/* files */                                                              \
	X(SYS_open, decode_open) X(SYS_openat, decode_openat)                    \
	X(SYS_openat2, decode_openat2) X(SYS_creat, decode_creat)                \
	X(SYS_close, decode_close) X(SYS_close_range, decode_close_range)        \
	X(SYS_unshare, decode_unshare)                                           \
	X(SYS_dup, decode_dup) X(SYS_dup2, decode_dup) X(SYS_dup3, decode_dup)   \
	X(SYS_fcntl, decode_fcntl) X(SYS_pipe, decode_pipe)                      \
	X(SYS_pipe2, decode_pipe) X(SYS_chdir, decode_chdir)                     \
	X(SYS_fchdir, decode_chdir) X(SYS_unlink, decode_unlink)                 \
	X(SYS_unlinkat, decode_unlink) X(SYS_rmdir, decode_unlink)               \
	X(SYS_rename, decode_rename) X(SYS_renameat, decode_rename)              \
	X(SYS_renameat2, decode_rename) X(SYS_mkdir, decode_mkdir)               \
	X(SYS_mkdirat, decode_mkdir) X(SYS_truncate, decode_truncate)            \
	X(SYS_ftruncate, decode_truncate) X(SYS_link, decode_link)               \
	X(SYS_linkat, decode_link) X(SYS_symlink, decode_symlink)                \
	X(SYS_symlinkat, decode_symlink)                                         \
	X(SYS_execve, decode_exec_failed) X(SYS_execveat, decode_exec_failed)    \
	/* network */                                                            \
	X(SYS_socket, decode_socket) X(SYS_socketpair, decode_socketpair)        \
	X(SYS_connect, decode_connect) X(SYS_bind, decode_bind)                  \
	X(SYS_listen, decode_listen) X(SYS_accept, decode_accept)                \
	X(SYS_accept4, decode_accept) X(SYS_sendto, decode_sendto)               \
	X(SYS_recvfrom, decode_recvfrom) X(SYS_sendmsg, decode_msg)              \
	X(SYS_recvmsg, decode_msg) X(SYS_sendmmsg, decode_mmsg)                  \
	X(SYS_recvmmsg, decode_mmsg)                                             \
	/* I/O */                                                                \
	X(SYS_read, decode_rw) X(SYS_write, decode_rw)                           \
	X(SYS_pread64, decode_rw) X(SYS_pwrite64, decode_rw)                     \
	X(SYS_readv, decode_rw) X(SYS_writev, decode_rw)                         \
	X(SYS_preadv, decode_rw) X(SYS_pwritev, decode_rw)                       \
	X(SYS_preadv2, decode_rw) X(SYS_pwritev2, decode_rw)                     \
	X(SYS_sendfile, decode_transfer) X(SYS_copy_file_range, decode_transfer) \
	X(SYS_splice, decode_transfer) X(SYS_tee, decode_transfer)               \
	/* memory */                                                             \
	X(SYS_brk, decode_brk) X(SYS_mmap, decode_mmap)                          \
	X(SYS_munmap, decode_munmap) X(SYS_mremap, decode_mremap)                \
	X(SYS_mprotect, decode_mprotect) X(SYS_pkey_mprotect, decode_mprotect)

/* Every decoder named in the list, declared once. */
#define DECODE_DECLARE(nr, fn) void fn(struct decode_ctx *c, const struct syscall_call *call);
DECODE_LIST(DECODE_DECLARE)
#undef DECODE_DECLARE

/* Hands a finished event to the sink. */
void decode_emit(const struct decode_ctx *c, const struct event *ev);

/* True when the call failed (ret in [-4095, -1]). */
static inline int decode_failed(const struct syscall_call *call)
{
	return call->ret < 0 && call->ret >= -4095;
}

/*
 * Reads the path argument at `addr` and makes it absolute against dirfd
 * (AT_FDCWD for the non-at calls) into out[DECODE_PATH_MAX]. Returns out, or
 * NULL when nothing could be read (addr NULL or unmapped).
 */
const char *decode_path(struct decode_ctx *c, int dirfd, uint64_t addr, char *out);

/* The kind of fd a path opens ("/dev/pts/3" -> tty, O_DIRECTORY -> dir). */
uint8_t decode_kind_of_path(const char *path, uint32_t flags);

#endif

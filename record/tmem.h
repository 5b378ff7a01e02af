/*
 * tmem.h - reading tracee memory with process_vm_readv.
 *
 * Every read is bounded by the caller's buffer. A read that crosses into an
 * unmapped page returns what was readable before the fault instead of
 * failing (process_vm_readv is split at page boundaries for that).
 */
#ifndef COMPENDIUM_TMEM_H
#define COMPENDIUM_TMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads up to `len` bytes at `addr`. Returns bytes read (possibly short),
 * or -errno when not even the first byte could be read. */
ssize_t tmem_read(pid_t tid, uint64_t addr, void *buf, size_t len);

/*
 * Reads a NUL-terminated string of at most `cap - 1` bytes into `buf`,
 * always NUL-terminating it (cap >= 1). Returns its length, or -errno when
 * nothing could be read. `*truncated` (may be NULL) is set when the string
 * was longer than the buffer or ran into unreadable memory.
 */
ssize_t tmem_read_string(pid_t tid, uint64_t addr, char *buf, size_t cap, int *truncated);

#endif

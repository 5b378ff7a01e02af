/*
 * tmem.c - reading tracee memory with process_vm_readv.
 *
 * process_vm_readv stops at the first fault of a remote iovec but reports the
 * bytes copied before it only at iovec granularity, so a read that may cross
 * into an unmapped page is split at page boundaries: the first chunk runs up
 * to the end of its page, later ones are whole pages. Strings are read one
 * chunk per call and the next call happens only if no NUL was found, so a
 * string that does not cross a page boundary (most paths) costs one syscall.
 */
#define _GNU_SOURCE
#include "record/tmem.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define TMEM_PAGE 4096u

/* Bytes from addr to the end of its page. */
static size_t tmem_page_left(uint64_t addr)
{
	return TMEM_PAGE - (size_t)(addr & (TMEM_PAGE - 1));
}

/* One process_vm_readv of at most one page-bounded chunk. */
static ssize_t tmem_read_chunk(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);

	return n < 0 ? -errno : n;
}

ssize_t tmem_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	if (len == 0)
		return 0;
	/* Common case: everything readable in one call. */
	ssize_t n = tmem_read_chunk(tid, addr, buf, len);
	if (n == (ssize_t)len)
		return n;
	if (n < 0 && n != -EFAULT)
		return n;
	/* Something faulted: go on page by page to get the readable prefix
	 * (a short count is whole pages, so what was read stays). */
	if (n > 0)
		done = (size_t)n;
	while (done < len) {
		size_t want = tmem_page_left(addr + done);
		if (want > len - done)
			want = len - done;
		n = tmem_read_chunk(tid, addr + done, (char *)buf + done, want);
		if (n <= 0)
			break;
		done += (size_t)n;
		if ((size_t)n < want)
			break;
	}
	if (done == 0)
		return n < 0 ? n : -EFAULT;
	return (ssize_t)done;
}

ssize_t tmem_read_string(pid_t tid, uint64_t addr, char *buf, size_t cap, int *truncated)
{
	size_t done = 0;
	int trunc = 0;

	if (truncated)
		*truncated = 0;
	if (cap == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (addr == 0)
		return -EFAULT;
	while (done < cap - 1) {
		/* Never past the page end: the next page is touched only when the
		 * string really continues there (no faults caused in the tracee). */
		size_t want = tmem_page_left(addr + done);
		if (want > cap - 1 - done)
			want = cap - 1 - done;
		ssize_t n = tmem_read_chunk(tid, addr + done, buf + done, want);
		if (n <= 0) {
			if (done == 0)
				return n < 0 ? n : -EFAULT;
			trunc = 1;
			break;
		}
		char *nul = memchr(buf + done, '\0', (size_t)n);
		if (nul) {
			if (truncated)
				*truncated = 0;
			return nul - buf;
		}
		done += (size_t)n;
		if ((size_t)n < want) {
			trunc = 1;
			break;
		}
	}
	if (done >= cap - 1)
		trunc = 1;
	buf[done] = '\0';
	if (truncated)
		*truncated = trunc;
	return (ssize_t)done;
}

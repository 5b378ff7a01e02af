/*
 * bpfutil.h - what the two BPF users (ebpf.c, fastpath.c) share: sizing a
 * ring buffer, detaching a skeleton's programs, libbpf's messages.
 *
 * Detaching:
 * Releasing a link to a tracepoint may wait for an RCU grace period (several
 * milliseconds each, measured here up to 20 ms when two of our objects are
 * attached); one after the other, a skeleton of six programs took ~70 ms at
 * the end of every recording. Released concurrently, the waits overlap.
 */
#ifndef COMPENDIUM_BPFUTIL_H
#define COMPENDIUM_BPFUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object_skeleton;

/* Destroys every attached link of the skeleton (concurrently) and clears
 * the skeleton's pointers, as <name>__detach() does one by one. */
void bpfutil_detach_all(struct bpf_object_skeleton *s);

/* A ring buffer size the kernel accepts: `want` (0: `dflt`), at most 1 GiB,
 * rounded up to a power of two of at least one page. */
size_t bpfutil_ringbuf_size(size_t want, size_t dflt);

/*
 * The PID namespace compendium runs in. BPF programs see a task's ids in
 * the initial namespace (bpf_get_current_pid_tgid, task->pid); ptrace and
 * /proc give them in ours. Inside a container's namespace the two differ:
 * a BPF source must translate (bpf_get_ns_current_pid_tgid with dev/ino)
 * or refuse. Returns 0 or -errno (/proc/self/ns/pid unreadable).
 */
struct bpfutil_pidns {
	bool initial; /* the host's namespace: ids agree */
	uint64_t dev, ino;
};
int bpfutil_pidns(struct bpfutil_pidns *ns);

/* libbpf's message callback is process-wide: one for both sources, set
 * once before any BPF object is opened. `on` (compendium's -v): libbpf's
 * warnings and errors to stderr; else nothing. */
void bpfutil_libbpf_messages(bool on);

/* Writes why a BPF source could not start into why[whylen] (both may be
 * NULL / 0: the caller does not want to know). */
void bpfutil_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

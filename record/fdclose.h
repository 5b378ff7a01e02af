/*
 * fdclose.h - whether a close(2) can be recorded at its entry.
 *
 * Linux releases the fd number at every close that finds it open, whatever
 * the call returns; the only errors it can report come from the file's
 * ->flush (NFS, FUSE, CIFS, overlayfs, some drivers) or from an fd that is
 * not open (EBADF). A close of an open pipe, socket or FIFO, or of a
 * regular file or directory on a local filesystem whose files have no
 * ->flush, therefore returns 0: the tracer can apply it at the seccomp
 * entry stop and resume the task without an exit stop (one ptrace round
 * trip less per close, and the fd table changes before the kernel can give
 * the number to another thread). Every other close keeps its exit stop and
 * its real result.
 *
 * The check never calls into a filesystem that could wait on a traced
 * task (a FUSE server we trace is stopped while we look): statx with
 * AT_STATX_DONT_SYNC on /proc/TID/fd/N gives the type and mount id, and the
 * mount's filesystem type comes from /proc/TID/mountinfo (cached by mount
 * id, read again only for an id not seen yet).
 */
#ifndef COMPENDIUM_FDCLOSE_H
#define COMPENDIUM_FDCLOSE_H

#include <stdbool.h>
#include <sys/types.h>

/* True when `fd` is open in tid's table and closing it returns 0. Any
 * doubt (unreadable /proc, unknown mount, another file type) is false. */
bool fdclose_cannot_fail(pid_t tid, int fd);

/* Whether files of filesystem `fstype` (as /proc/PID/mountinfo names it)
 * close without ->flush. Exposed for the unit tests. */
bool fdclose_fstype_quiet(const char *fstype);

#endif

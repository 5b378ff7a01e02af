/*
 * decode_file.c - opens, closes, dups, pipes, cwd and path operations.
 *
 * Paths are made absolute at exit against the task's cwd or the dirfd
 * (fsinfo_abspath). `created` is true only when O_CREAT|O_EXCL succeeded:
 * without O_EXCL the kernel does not say whether the file existed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "record/decode_impl.h"
#include "record/fdtable.h"
#include "record/fsinfo.h"
#include "record/tmem.h"

/* ---- open, openat, openat2, creat ----------------------------------------- */

static void decode_open_common(struct decode_ctx *c, const struct syscall_call *call,
			       int dirfd, uint64_t path_addr, uint32_t flags, uint32_t mode)
{
	char path[DECODE_PATH_MAX];
	struct event ev;

	decode_event_init(&ev, EV_OPEN, c, call);
	ev.open.path = call->path_known ? call->path : decode_path(c, dirfd, path_addr, path);
	ev.open.flags = flags;
	ev.open.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0;
	ev.open.fd = decode_failed(call) ? -1 : (int32_t)call->ret;
	ev.open.created = !ev.err && (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
	if (!ev.err)
		fdtable_set(c->fds, (int)call->ret, decode_kind_of_path(ev.open.path, flags),
			    PROTO_NONE, ev.open.path, (flags & O_CLOEXEC) != 0, flags);
	decode_emit(c, &ev);
}

void decode_path_entry(struct decode_ctx *c, struct syscall_call *call, char *buf)
{
	bool at = call->nr == SYS_openat || call->nr == SYS_execveat;

	call->path_known = true;
	call->path = decode_path(c, at ? (int)call->args[0] : AT_FDCWD, call->args[at], buf);
}

void decode_open(struct decode_ctx *c, const struct syscall_call *call)
{
	decode_open_common(c, call, AT_FDCWD, call->args[0], (uint32_t)call->args[1],
			   (uint32_t)call->args[2]);
}

void decode_openat(struct decode_ctx *c, const struct syscall_call *call)
{
	decode_open_common(c, call, (int)call->args[0], call->args[1], (uint32_t)call->args[2],
			   (uint32_t)call->args[3]);
}

void decode_openat2(struct decode_ctx *c, const struct syscall_call *call)
{
	struct open_how how;
	size_t size = call->args[3] < sizeof(how) ? call->args[3] : sizeof(how);

	memset(&how, 0, sizeof(how));
	if (tmem_read(c->tid, call->args[2], &how, size) < 0)
		memset(&how, 0, sizeof(how));
	decode_open_common(c, call, (int)call->args[0], call->args[1], (uint32_t)how.flags,
			   (uint32_t)how.mode);
}

void decode_creat(struct decode_ctx *c, const struct syscall_call *call)
{
	decode_open_common(c, call, AT_FDCWD, call->args[0], O_CREAT | O_WRONLY | O_TRUNC,
			   (uint32_t)call->args[1]);
}

/* ---- close, close_range ----------------------------------------------------- */

void decode_close(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;
	int fd = (int)call->args[0];

	decode_event_init(&ev, EV_CLOSE, c, call);
	/* The fd is gone at exit: what we knew of it is all there is. */
	fdtable_ref_of(c->fds, fd, 0, &ev.close.fd);
	ev.close.last_fd = fd;
	decode_emit(c, &ev);
	if (!ev.err)
		fdtable_close(c->fds, fd);
}

/* The task stops sharing its fd table: from now on it has a copy. */
static void decode_unshare_files(struct decode_ctx *c)
{
	struct fdtable *copy;

	if (!c->fds_slot || !(copy = fdtable_clone(c->fds)))
		return;
	fdtable_unref(*c->fds_slot);
	*c->fds_slot = c->fds = copy;
}

static void decode_unshare_fs(struct decode_ctx *c)
{
	struct fsinfo *copy;

	if (!c->fs_slot || !(copy = fsinfo_clone(c->fs)))
		return;
	fsinfo_unref(*c->fs_slot);
	*c->fs_slot = c->fs = copy;
}

/* unshare: only what the decoders keep (fd table, cwd); no event. */
void decode_unshare(struct decode_ctx *c, const struct syscall_call *call)
{
	if (decode_failed(call))
		return;
	if (call->args[0] & CLONE_FILES)
		decode_unshare_files(c);
	if (call->args[0] & CLONE_FS)
		decode_unshare_fs(c);
}

void decode_close_range(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;
	unsigned first = (unsigned)call->args[0], last = (unsigned)call->args[1];
	unsigned flags = (unsigned)call->args[2];

	if (first > INT_MAX)
		first = INT_MAX;
	if (last > INT_MAX)
		last = INT_MAX;
	if ((flags & CLOSE_RANGE_UNSHARE) && !decode_failed(call))
		decode_unshare_files(c);
	if (flags & CLOSE_RANGE_CLOEXEC) { /* marks, does not close: state only */
		if (!decode_failed(call))
			fdtable_set_cloexec_range(c->fds, (int)first, (int)last, true);
		return;
	}
	decode_event_init(&ev, EV_CLOSE, c, call);
	/* One event for the range; it describes its first fd. */
	fdtable_ref_of(c->fds, (int)first, 0, &ev.close.fd);
	ev.close.last_fd = (int32_t)last;
	decode_emit(c, &ev);
	if (!ev.err)
		fdtable_close_range(c->fds, (int)first, (int)last);
}

/* ---- dup, dup2, dup3, fcntl ------------------------------------------------- */

static void decode_dup_common(struct decode_ctx *c, const struct syscall_call *call,
			      int oldfd, bool cloexec)
{
	struct event ev;

	decode_event_init(&ev, EV_DUP, c, call);
	fdtable_ref_of(c->fds, oldfd, c->tid, &ev.dup.old_fd);
	ev.dup.new_fd = decode_failed(call) ? -1 : (int32_t)call->ret;
	ev.dup.cloexec = cloexec;
	decode_emit(c, &ev);
	if (!ev.err)
		fdtable_dup(c->fds, oldfd, (int)call->ret, cloexec);
}

void decode_dup(struct decode_ctx *c, const struct syscall_call *call)
{
	bool cloexec = call->nr == SYS_dup3 && (call->args[2] & O_CLOEXEC);

	decode_dup_common(c, call, (int)call->args[0], cloexec);
}

const int decode_fcntl_cmds[] = { F_DUPFD, F_DUPFD_CLOEXEC, F_SETFD };
const unsigned decode_fcntl_ncmds = sizeof(decode_fcntl_cmds) / sizeof(decode_fcntl_cmds[0]);

/* Acts on decode_fcntl_cmds only: keep the two in step. */
void decode_fcntl(struct decode_ctx *c, const struct syscall_call *call)
{
	int fd = (int)call->args[0], cmd = (int)call->args[1];

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		decode_dup_common(c, call, fd, cmd == F_DUPFD_CLOEXEC);
		break;
	case F_SETFD:
		if (!decode_failed(call))
			fdtable_set_cloexec(c->fds, fd, (call->args[2] & FD_CLOEXEC) != 0);
		break;
	default:
		break;
	}
}

/* ---- pipe, pipe2 ------------------------------------------------------------- */

void decode_pipe(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;
	int fds[2] = { -1, -1 };
	uint32_t flags = call->nr == SYS_pipe2 ? (uint32_t)call->args[1] : 0;

	decode_event_init(&ev, EV_PIPE, c, call);
	if (!ev.err && tmem_read(c->tid, call->args[0], fds, sizeof(fds)) != sizeof(fds))
		fds[0] = fds[1] = -1;
	ev.pipe.read_fd = fds[0];
	ev.pipe.write_fd = fds[1];
	ev.pipe.flags = flags;
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			fdtable_set(c->fds, fds[i], FD_PIPE, PROTO_NONE, NULL,
				    (flags & O_CLOEXEC) != 0, i ? O_WRONLY : O_RDONLY);
	decode_emit(c, &ev);
}

/* ---- chdir, fchdir ----------------------------------------------------------- */

/* The cwd the kernel now has (symlinks resolved), or NULL. */
static const char *decode_proc_cwd(pid_t tid, char *out, size_t cap)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/cwd", (int)tid);
	n = readlink(link, out, cap - 1);
	if (n <= 0 || out[0] != '/')
		return NULL;
	out[n] = '\0';
	return out;
}

void decode_chdir(struct decode_ctx *c, const struct syscall_call *call)
{
	char path[DECODE_PATH_MAX], now[DECODE_PATH_MAX];
	struct event ev;

	decode_event_init(&ev, EV_FILE_OP, c, call);
	ev.file_op.fd = -1;
	if (call->nr == SYS_fchdir) {
		const struct fdinfo *fi = fdtable_get(c->fds, (int)call->args[0], c->tid);
		ev.file_op.op = FOP_FCHDIR;
		ev.file_op.fd = (int32_t)call->args[0];
		ev.file_op.path = fi ? fi->name : NULL;
	} else {
		ev.file_op.op = FOP_CHDIR;
		ev.file_op.path = decode_path(c, AT_FDCWD, call->args[0], path);
	}
	if (!ev.err && c->fs) {
		const char *cwd = decode_proc_cwd(c->tid, now, sizeof(now));
		if (!cwd)
			cwd = ev.file_op.path;
		if (cwd && cwd[0] == '/')
			fsinfo_set_cwd(c->fs, cwd);
	}
	decode_emit(c, &ev);
}

/* ---- unlink, rename, mkdir, truncate, link, symlink --------------------------- */

void decode_unlink(struct decode_ctx *c, const struct syscall_call *call)
{
	char path[DECODE_PATH_MAX];
	struct event ev;
	bool at = call->nr == SYS_unlinkat;

	decode_event_init(&ev, EV_FILE_OP, c, call);
	ev.file_op.fd = -1;
	ev.file_op.op = FOP_UNLINK;
	if (call->nr == SYS_rmdir || (at && (call->args[2] & AT_REMOVEDIR)))
		ev.file_op.op = FOP_RMDIR;
	ev.file_op.path = decode_path(c, at ? (int)call->args[0] : AT_FDCWD,
				      call->args[at ? 1 : 0], path);
	decode_emit(c, &ev);
}

/* Two-path calls: rename(at)(2), link(at). */
static void decode_two_paths(struct decode_ctx *c, const struct syscall_call *call,
			     uint8_t op, bool at)
{
	char p1[DECODE_PATH_MAX], p2[DECODE_PATH_MAX];
	struct event ev;

	decode_event_init(&ev, EV_FILE_OP, c, call);
	ev.file_op.fd = -1;
	ev.file_op.op = op;
	if (at) {
		ev.file_op.path = decode_path(c, (int)call->args[0], call->args[1], p1);
		ev.file_op.path2 = decode_path(c, (int)call->args[2], call->args[3], p2);
	} else {
		ev.file_op.path = decode_path(c, AT_FDCWD, call->args[0], p1);
		ev.file_op.path2 = decode_path(c, AT_FDCWD, call->args[1], p2);
	}
	decode_emit(c, &ev);
}

void decode_rename(struct decode_ctx *c, const struct syscall_call *call)
{
	decode_two_paths(c, call, FOP_RENAME, call->nr != SYS_rename);
}

void decode_link(struct decode_ctx *c, const struct syscall_call *call)
{
	decode_two_paths(c, call, FOP_LINK, call->nr == SYS_linkat);
}

/*
 * symlink(target, linkpath): path2 is the new link (absolute); path is the
 * target resolved lexically against the link's directory, which is where
 * the kernel will resolve it (an absolute target stays as written).
 */
void decode_symlink(struct decode_ctx *c, const struct syscall_call *call)
{
	char target[DECODE_PATH_MAX], link[DECODE_PATH_MAX], abs[DECODE_PATH_MAX];
	struct event ev;
	bool at = call->nr == SYS_symlinkat;

	decode_event_init(&ev, EV_FILE_OP, c, call);
	ev.file_op.fd = -1;
	ev.file_op.op = FOP_SYMLINK;
	ev.file_op.path2 = decode_path(c, at ? (int)call->args[1] : AT_FDCWD,
				       call->args[at ? 2 : 1], link);
	if (tmem_read_string(c->tid, call->args[0], target, sizeof(target), NULL) >= 0) {
		ev.file_op.path = target;
		if (target[0] != '/' && ev.file_op.path2 && ev.file_op.path2[0] == '/') {
			char joined[2 * DECODE_PATH_MAX + 8];
			snprintf(joined, sizeof(joined), "%s/../%s", link, target);
			fsinfo_abspath(NULL, NULL, 0, AT_FDCWD, joined, abs, sizeof(abs));
			ev.file_op.path = abs;
		}
	}
	decode_emit(c, &ev);
}

void decode_mkdir(struct decode_ctx *c, const struct syscall_call *call)
{
	char path[DECODE_PATH_MAX];
	struct event ev;
	bool at = call->nr == SYS_mkdirat;

	decode_event_init(&ev, EV_FILE_OP, c, call);
	ev.file_op.fd = -1;
	ev.file_op.op = FOP_MKDIR;
	ev.file_op.path = decode_path(c, at ? (int)call->args[0] : AT_FDCWD,
				      call->args[at ? 1 : 0], path);
	decode_emit(c, &ev);
}

void decode_truncate(struct decode_ctx *c, const struct syscall_call *call)
{
	char path[DECODE_PATH_MAX];
	struct event ev;

	decode_event_init(&ev, EV_FILE_OP, c, call);
	ev.file_op.length = (int64_t)call->args[1];
	if (call->nr == SYS_ftruncate) {
		const struct fdinfo *fi = fdtable_get(c->fds, (int)call->args[0], c->tid);
		ev.file_op.op = FOP_FTRUNCATE;
		ev.file_op.fd = (int32_t)call->args[0];
		ev.file_op.path = fi ? fi->name : NULL;
	} else {
		ev.file_op.op = FOP_TRUNCATE;
		ev.file_op.fd = -1;
		ev.file_op.path = decode_path(c, AT_FDCWD, call->args[0], path);
	}
	decode_emit(c, &ev);
}

/* ---- execve, execveat: only failures (success is PTRACE_EVENT_EXEC's) ------ */

void decode_exec_failed(struct decode_ctx *c, const struct syscall_call *call)
{
	char path[DECODE_PATH_MAX];
	struct event ev;
	bool at = call->nr == SYS_execveat;

	if (!decode_failed(call))
		return;
	decode_event_init(&ev, EV_EXEC, c, call);
	ev.exec.path = call->path_known ? call->path
					: decode_path(c, at ? (int)call->args[0] : AT_FDCWD,
						      call->args[at ? 1 : 0], path);
	decode_emit(c, &ev);
}

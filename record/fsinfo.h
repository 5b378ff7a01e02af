/*
 * fsinfo.h - a task's current directory, shared like the kernel's fs_struct
 * (CLONE_FS threads share it, fork copies it), and making paths absolute.
 */
#ifndef COMPENDIUM_FSINFO_H
#define COMPENDIUM_FSINFO_H

#include <stddef.h>
#include <sys/types.h>

struct fsinfo;
struct fdtable;

/* From /proc/pid/cwd, or "/" when it cannot be read. NULL on ENOMEM. */
struct fsinfo *fsinfo_from_proc(pid_t pid);
struct fsinfo *fsinfo_clone(const struct fsinfo *f);
struct fsinfo *fsinfo_ref(struct fsinfo *f);
void fsinfo_unref(struct fsinfo *f);

const char *fsinfo_cwd(const struct fsinfo *f);
int fsinfo_set_cwd(struct fsinfo *f, const char *abs_path);

/*
 * Makes `path` absolute the way the kernel resolves it for *at() calls:
 * absolute stays; relative to AT_FDCWD (-100) uses the cwd; relative to a
 * dirfd uses the dirfd's path from `fds` (resolved via /proc when unknown).
 * "." and ".." components are folded lexically; symlinks are not resolved.
 * Writes at most `cap` bytes including NUL into out. Returns its length.
 */
size_t fsinfo_abspath(const struct fsinfo *f, struct fdtable *fds, pid_t pid,
		      int dirfd, const char *path, char *out, size_t cap);

#endif

/* fdclose.c - see fdclose.h. */
#define _GNU_SOURCE
#include "record/fdclose.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Mount ids seen, with whether their files close quietly. Mount ids are
 * unique while mounted; a stale entry after an umount and reuse could only
 * name another mount, read again at its first miss. */
#define FDCLOSE_MOUNTS 256

struct fdclose_mount {
	uint64_t id;
	bool quiet;
};

static struct fdclose_mount fdclose_mounts[FDCLOSE_MOUNTS];
static unsigned fdclose_nmounts;

bool fdclose_fstype_quiet(const char *fstype)
{
	/* Local filesystems whose files and directories have no ->flush
	 * (checked in the kernel's file_operations of each; f2fs, NFS, FUSE,
	 * CIFS and overlayfs have one). */
	static const char *const quiet[] = {
		"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "ramfs", "vfat", "msdos",
		"exfat", "squashfs", "iso9660", "erofs", "proc", "sysfs", "cgroup", "cgroup2",
	};

	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		if (!strcmp(fstype, quiet[i]))
			return true;
	return false;
}

static int fdclose_find(uint64_t id)
{
	for (unsigned i = 0; i < fdclose_nmounts; i++)
		if (fdclose_mounts[i].id == id)
			return (int)i;
	return -1;
}

static void fdclose_remember(uint64_t id, bool quiet)
{
	int i = fdclose_find(id);

	if (i >= 0) {
		fdclose_mounts[i].quiet = quiet;
		return;
	}
	if (fdclose_nmounts == FDCLOSE_MOUNTS)
		fdclose_nmounts = 0; /* full: start over, rereading is cheap */
	fdclose_mounts[fdclose_nmounts++] = (struct fdclose_mount){ id, quiet };
}

/* One line of mountinfo: "ID PARENT MAJ:MIN ROOT POINT OPTS [TAGS...] - TYPE ..." */
static void fdclose_mountinfo_line(const char *line)
{
	const char *sep = strstr(line, " - ");
	char type[64];
	unsigned long long id;

	if (!sep || sscanf(line, "%llu", &id) != 1 || sscanf(sep + 3, "%63s", type) != 1)
		return;
	fdclose_remember(id, fdclose_fstype_quiet(type));
}

static void fdclose_read_mounts(pid_t tid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0)
		fdclose_mountinfo_line(line);
	free(line);
	fclose(f);
}

static bool fdclose_mount_quiet(pid_t tid, uint64_t id)
{
	int i = fdclose_find(id);

	if (i < 0) {
		fdclose_read_mounts(tid);
		i = fdclose_find(id);
		if (i < 0) {
			fdclose_remember(id, false); /* not listed (an internal mount) */
			return false;
		}
	}
	return fdclose_mounts[i].quiet;
}

bool fdclose_cannot_fail(pid_t tid, int fd)
{
	char path[64];
	struct statx st;

	if (fd < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)tid, fd);
	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MNT_ID, &st) != 0 ||
	    !(st.stx_mask & STATX_TYPE))
		return false; /* not open (EBADF), or the task is gone */
	if (S_ISSOCK(st.stx_mode) || S_ISFIFO(st.stx_mode))
		return true;
	if (!S_ISREG(st.stx_mode) && !S_ISDIR(st.stx_mode))
		return false; /* devices: their driver may flush */
	if (!(st.stx_mask & STATX_MNT_ID))
		return false;
	return fdclose_mount_quiet(tid, st.stx_mnt_id);
}

/*
 * format.c - human formats of sizes, times, flags and names (format.h).
 */
#define _GNU_SOURCE
#include "format.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "event.h"

char *fmt_bytes(char *buf, uint64_t n)
{
	static const char *const units[] = { "KB", "MB", "GB", "TB", "PB", "EB" };
	if (n < 1024) {
		snprintf(buf, FMT_MAX, "%llu B", (unsigned long long)n);
		return buf;
	}
	/* tenths of the unit, rounded, computed in integers for exactness */
	unsigned u = 0;
	uint64_t div = 1024;
	while (u + 1 < sizeof(units) / sizeof(units[0]) && n / div >= 1024) {
		div *= 1024;
		u++;
	}
	unsigned __int128 tenths = ((unsigned __int128)n * 10 + div / 2) / div;
	if (tenths >= 10240 && u + 1 < sizeof(units) / sizeof(units[0])) {
		u++;
		div *= 1024;
		tenths = ((unsigned __int128)n * 10 + div / 2) / div;
	}
	snprintf(buf, FMT_MAX, "%llu.%u %s", (unsigned long long)(tenths / 10),
		 (unsigned)(tenths % 10), units[u]);
	return buf;
}

char *fmt_count(char *buf, uint64_t n)
{
	char digits[24];
	int nd = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	size_t o = 0;
	for (int i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
	return buf;
}

char *fmt_bytes_signed(char *buf, int64_t n)
{
	char tmp[FMT_MAX];
	uint64_t mag = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
	snprintf(buf, FMT_MAX, "%c%s", n < 0 ? '-' : '+', fmt_bytes(tmp, mag));
	return buf;
}

char *fmt_ts(char *buf, uint64_t ns)
{
	uint64_t ms = ns / 1000000;
	snprintf(buf, FMT_MAX, "+%llu.%03llus", (unsigned long long)(ms / 1000),
		 (unsigned long long)(ms % 1000));
	return buf;
}

char *fmt_runtime(char *buf, uint64_t ns)
{
	uint64_t cs = (ns + 5000000) / 10000000; /* hundredths, rounded */
	uint64_t s = ns / 1000000000;
	if (s < 10)
		snprintf(buf, FMT_MAX, "%llu.%02llus", (unsigned long long)(cs / 100),
			 (unsigned long long)(cs % 100));
	else if (s < 60)
		snprintf(buf, FMT_MAX, "%llu.%llus", (unsigned long long)(cs / 100),
			 (unsigned long long)(cs % 100 / 10));
	else if (s < 3600)
		snprintf(buf, FMT_MAX, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, FMT_MAX, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
	return buf;
}

char *fmt_latency(char *buf, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, FMT_MAX, "%llu ns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, FMT_MAX, "%llu µs", (unsigned long long)(ns / 1000));
	else if (ns < 1000000000)
		snprintf(buf, FMT_MAX, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, FMT_MAX, "%.2f s", (double)ns / 1e9);
	return buf;
}

char *fmt_prot(char *buf, uint32_t prot)
{
	buf[0] = (prot & PROT_READ) ? 'r' : '-';
	buf[1] = (prot & PROT_WRITE) ? 'w' : '-';
	buf[2] = (prot & PROT_EXEC) ? 'x' : '-';
	buf[3] = 0;
	return buf;
}

struct flag_name {
	uint32_t bit;
	const char *name;
};

static char *fmt_flags(char *buf, uint32_t flags, const char *first,
		       const struct flag_name *t, size_t n)
{
	size_t len = 0;
	buf[0] = 0;
	if (first)
		len = (size_t)snprintf(buf, FMT_MAX, "%s", first);
	for (size_t i = 0; i < n; i++) {
		if ((flags & t[i].bit) != t[i].bit || !t[i].bit)
			continue;
		flags &= ~t[i].bit;
		if (len + strlen(t[i].name) + 2 >= FMT_MAX)
			break;
		len += (size_t)snprintf(buf + len, FMT_MAX - len, "%s%s", len ? "|" : "",
					t[i].name);
	}
	if (flags && len + 12 < FMT_MAX)
		snprintf(buf + len, FMT_MAX - len, "%s0x%x", len ? "|" : "", flags);
	else if (!len)
		snprintf(buf, FMT_MAX, "0");
	return buf;
}

char *fmt_open_flags(char *buf, uint32_t flags)
{
	static const struct flag_name t[] = {
		{ O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" }, { O_NOCTTY, "O_NOCTTY" },
		{ O_TRUNC, "O_TRUNC" }, { O_APPEND, "O_APPEND" },
		{ O_NONBLOCK, "O_NONBLOCK" }, { O_DSYNC, "O_DSYNC" },
		{ O_DIRECT, "O_DIRECT" }, { O_LARGEFILE, "O_LARGEFILE" },
		{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
		{ O_NOATIME, "O_NOATIME" }, { O_CLOEXEC, "O_CLOEXEC" },
		{ O_TMPFILE & ~O_DIRECTORY, "O_TMPFILE" }, { O_PATH, "O_PATH" },
		{ O_SYNC & ~O_DSYNC, "O_SYNC" },
	};
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	return fmt_flags(buf, flags & ~(uint32_t)O_ACCMODE, acc[flags & O_ACCMODE], t,
			 sizeof(t) / sizeof(t[0]));
}

char *fmt_mmap_flags(char *buf, uint32_t flags)
{
	static const struct flag_name t[] = {
		{ MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE" }, { MAP_SHARED, "MAP_SHARED" },
		{ MAP_PRIVATE, "MAP_PRIVATE" }, { MAP_FIXED, "MAP_FIXED" },
		{ MAP_ANONYMOUS, "MAP_ANONYMOUS" }, { MAP_GROWSDOWN, "MAP_GROWSDOWN" },
		{ MAP_DENYWRITE, "MAP_DENYWRITE" }, { MAP_EXECUTABLE, "MAP_EXECUTABLE" },
		{ MAP_LOCKED, "MAP_LOCKED" }, { MAP_NORESERVE, "MAP_NORESERVE" },
		{ MAP_POPULATE, "MAP_POPULATE" }, { MAP_NONBLOCK, "MAP_NONBLOCK" },
		{ MAP_STACK, "MAP_STACK" }, { MAP_HUGETLB, "MAP_HUGETLB" },
		{ MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE" },
	};
	return fmt_flags(buf, flags, NULL, t, sizeof(t) / sizeof(t[0]));
}

const char *fmt_open_access(uint32_t flags)
{
	if (flags & O_PATH)
		return "path";
	switch (flags & O_ACCMODE) {
	case O_RDONLY: return "read";
	case O_WRONLY: return "write";
	default: return "read-write";
	}
}

char *fmt_signal(char *buf, uint32_t sig)
{
	const char *name = event_signal_name(sig);
	if (name)
		snprintf(buf, FMT_MAX, "%s", name);
	else if (sig >= 34 && sig <= 64)
		snprintf(buf, FMT_MAX, "SIGRTMIN+%u", sig - 34);
	else
		snprintf(buf, FMT_MAX, "SIG%u", sig);
	return buf;
}

char *fmt_errno(char *buf, uint32_t err)
{
	const char *name = event_errno_name(err);
	if (name)
		snprintf(buf, FMT_MAX, "%s", name);
	else
		snprintf(buf, FMT_MAX, "E%u", err);
	return buf;
}

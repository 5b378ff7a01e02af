/*
 * noise.c - which paths and peers are hidden by default (see noise.h).
 */
#include "noise.h"

#include <string.h>

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* "libc.so", "libc.so.6", "libfoo.so.1.2.3" */
static bool shared_object(const char *base)
{
	const char *p = base;
	while ((p = strstr(p, ".so")) != NULL) {
		const char *q = p + 3;
		while (*q == '.' || (*q >= '0' && *q <= '9'))
			q++;
		if (*q == 0 && p > base)
			return true;
		p += 3;
	}
	return false;
}

bool noise_path(const char *path)
{
	if (!path)
		return false;
	if (under(path, "/proc") || under(path, "/sys") || under(path, "/dev"))
		return true;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strncmp(base, "ld.so", 5) == 0 || strncmp(base, "ld-linux", 8) == 0)
		return true;
	return shared_object(base);
}

bool noise_addr(const char *addr)
{
	if (!addr)
		return false;
	return strncmp(addr, "127.", 4) == 0 || strncmp(addr, "[::1]", 5) == 0 ||
	       strncmp(addr, "[::ffff:127.", 12) == 0 || strcmp(addr, "::1") == 0 ||
	       strncmp(addr, "localhost", 9) == 0;
}

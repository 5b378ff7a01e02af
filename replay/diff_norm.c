/*
 * diff_norm.c - the normalisation rules of `compendium diff` (diff.h, N1-N6):
 * names that differ between two runs of the same program only by chance
 * (pids, random temporary suffixes, inode numbers, ephemeral ports) are
 * rewritten into a stable form before the two recordings are compared.
 *
 * Every function writes into a caller buffer through a bounded builder:
 * input of any length is cut, never overflowed.
 */
#define _GNU_SOURCE
#include "diff.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb {
	char *p;
	size_t len, cap;
};

static void sb_putn(struct sb *b, const char *s, size_t n)
{
	if (b->len + 1 >= b->cap)
		return;
	size_t room = b->cap - 1 - b->len;
	if (n > room)
		n = room;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Number of leading digits of s. */
static size_t digits(const char *s)
{
	size_t n = 0;
	while (isdigit((unsigned char)s[n]))
		n++;
	return n;
}

/* "Looks random" for 6 trailing characters without a separator before them:
 * anything but six lowercase letters (which real names often end with). */
static bool looks_random(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]))
			return true;
	return false;
}

/* Copies c[0..n) with every run of 2+ digits written as "N". */
static void put_digits_folded(struct sb *b, const char *c, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && isdigit((unsigned char)c[j]))
			j++;
		if (j - i >= 2) {
			sb_puts(b, "N");
			i = j;
		} else if (j > i) {
			sb_putn(b, c + i, j - i);
			i = j;
		} else {
			sb_putn(b, c + i, 1);
			i++;
		}
	}
}

/* Rule N2 on a name without its extension. */
static void put_temp_stem(struct sb *b, const char *c, size_t n)
{
	size_t r = n;
	while (r > 0 && isalnum((unsigned char)c[r - 1]))
		r--;
	size_t run = n - r;
	if (run >= 6 && r > 0 && strchr(".-_", c[r - 1])) {
		put_digits_folded(b, c, r);
		sb_puts(b, "XXXXXX");
	} else if (run >= 6 && looks_random(c + n - 6, 6)) {
		put_digits_folded(b, c, n - 6);
		sb_puts(b, "XXXXXX");
	} else {
		put_digits_folded(b, c, n);
	}
}

/* Rule N2 on one name component c[0..n): a short extension (".o", ".log",
 * up to 5 letters/digits, as mkstemps keeps) is kept apart. */
static void put_temp_component(struct sb *b, const char *c, size_t n)
{
	size_t dot = n;
	while (dot > 0 && c[dot - 1] != '.')
		dot--;
	size_t ext = dot ? n - dot : 0;
	bool short_ext = ext >= 1 && ext <= 5 && dot - 1 >= 6;
	for (size_t i = dot; short_ext && i < n; i++)
		short_ext = isalnum((unsigned char)c[i]);
	if (!short_ext) {
		put_temp_stem(b, c, n);
		return;
	}
	put_temp_stem(b, c, dot - 1);
	sb_putn(b, c + dot - 1, ext + 1);
}

/* Components of `rest` (starting after a '/'), each through rule N2. */
static void put_temp_components(struct sb *b, const char *rest)
{
	while (*rest) {
		const char *slash = strchr(rest, '/');
		size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
		put_temp_component(b, rest, n);
		if (!slash)
			break;
		sb_puts(b, "/");
		rest = slash + 1;
	}
}

static const char *const temp_dirs[] = { "/tmp/", "/var/tmp/", "/dev/shm/" };

/* Rule N1: /proc/<digits>[/task/<digits>]... Returns false when not such. */
static bool norm_proc(struct sb *b, const char *p)
{
	if (!starts(p, "/proc/"))
		return false;
	size_t d = digits(p + 6);
	if (!d || (p[6 + d] && p[6 + d] != '/'))
		return false;
	sb_puts(b, "/proc/<pid>");
	p += 6 + d;
	if (starts(p, "/task/")) {
		size_t t = digits(p + 6);
		if (t && (!p[6 + t] || p[6 + t] == '/')) {
			sb_puts(b, "/task/<tid>");
			p += 6 + t;
		}
	}
	sb_puts(b, p);
	return true;
}

/* Rule N2: temporary directories. Returns false when not under one. */
static bool norm_temp(struct sb *b, const char *p)
{
	for (size_t i = 0; i < sizeof(temp_dirs) / sizeof(temp_dirs[0]); i++) {
		if (starts(p, temp_dirs[i])) {
			sb_puts(b, temp_dirs[i]);
			put_temp_components(b, p + strlen(temp_dirs[i]));
			return true;
		}
	}
	if (starts(p, "/run/user/")) {
		size_t d = digits(p + 10);
		if (d && (!p[10 + d] || p[10 + d] == '/')) {
			sb_puts(b, "/run/user/<uid>");
			if (p[10 + d]) {
				sb_puts(b, "/");
				put_temp_components(b, p + 11 + d);
			}
			return true;
		}
	}
	return false;
}

/* Rule N3: "pipe:[1234]" and the like. Returns false when not such. */
static bool norm_inode(struct sb *b, const char *p)
{
	size_t n = strlen(p);
	if (n < 4 || p[n - 1] != ']')
		return false;
	const char *open = strrchr(p, '[');
	if (!open || open == p || open[-1] != ':' || strchr(p, '/'))
		return false;
	size_t d = digits(open + 1);
	if (!d || open + 1 + d != p + n - 1)
		return false;
	sb_putn(b, p, (size_t)(open + 1 - p));
	sb_puts(b, "*]");
	return true;
}

char *diff_norm_path(char *out, size_t cap, const char *path)
{
	struct sb b = { out, 0, cap };
	if (!cap)
		return out;
	out[0] = '\0';
	if (!path)
		return out;
	if (norm_proc(&b, path) || norm_temp(&b, path) || norm_inode(&b, path))
		return out;
	if (starts(path, "/dev/pts/")) {
		size_t d = digits(path + 9);
		if (d && !path[9 + d]) {
			sb_puts(&b, "/dev/pts/<n>");
			return out;
		}
	}
	sb_puts(&b, path);
	return out;
}

static bool loopback_host(const char *h, size_t n)
{
	if (n >= 4 && strncmp(h, "127.", 4) == 0)
		return true;
	if (n == 5 && strncmp(h, "[::1]", 5) == 0)
		return true;
	return n >= 12 && strncmp(h, "[::ffff:127.", 12) == 0;
}

int diff_addr_port(const char *addr)
{
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	size_t d = colon ? digits(colon + 1) : 0;
	if (!d || d > 5 || colon[1 + d])
		return -1;
	long port = strtol(colon + 1, NULL, 10);
	return port >= 1 && port <= 65535 ? (int)port : -1;
}

bool diff_addr_loopback(const char *addr)
{
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	return colon && loopback_host(addr, (size_t)(colon - addr));
}

/* The label of an ephemeral loopback port (rule N5) into b. */
static void put_port_label(struct sb *b, int port, const struct diff_ports *ports, int depth)
{
	for (uint32_t i = 0; ports && i < ports->nlisten; i++) {
		if (ports->listen[i] == port) {
			char lab[32];
			snprintf(lab, sizeof(lab), "<listen#%u>", i + 1);
			sb_puts(b, lab);
			return;
		}
	}
	for (uint32_t i = 0; depth == 0 && ports && i < ports->naccepted; i++) {
		if (ports->accepted[i][0] == port) {
			if (ports->accepted[i][1] < DIFF_EPHEMERAL_MIN) {
				char num[8];
				snprintf(num, sizeof(num), "%u", ports->accepted[i][1]);
				sb_puts(b, num);
			} else {
				put_port_label(b, ports->accepted[i][1], ports, depth + 1);
			}
			return;
		}
	}
	sb_puts(b, "<ephemeral>");
}

char *diff_norm_addr(char *out, size_t cap, const char *addr, const struct diff_ports *ports)
{
	struct sb b = { out, 0, cap };
	if (!cap)
		return out;
	out[0] = '\0';
	if (!addr)
		return out;
	if (starts(addr, "unix:")) {
		sb_puts(&b, "unix:");
		char tmp[DIFF_NORM_MAX];
		sb_puts(&b, diff_norm_path(tmp, sizeof(tmp), addr + 5));
		return out;
	}
	int port = diff_addr_port(addr);
	if (port < DIFF_EPHEMERAL_MIN || !diff_addr_loopback(addr)) {
		sb_puts(&b, addr);
		return out;
	}
	sb_putn(&b, addr, (size_t)(strrchr(addr, ':') + 1 - addr));
	put_port_label(&b, port, ports, 0);
	return out;
}

/*
 * sockaddr.c - socket addresses as text (see sockaddr.h), from tracee bytes
 * and from /proc/PID/net tables.
 */
#define _GNU_SOURCE
#include "record/sockaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "event.h"

static size_t sockaddr_put(char *out, size_t cap, const char *fmt, const char *a, unsigned port)
{
	int n = snprintf(out, cap, fmt, a, port);

	if (n < 0) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

static size_t sockaddr_in4(const void *sa, size_t len, char *out, size_t cap)
{
	struct sockaddr_in in;
	char a[INET_ADDRSTRLEN];

	memset(&in, 0, sizeof(in));
	memcpy(&in, sa, len < sizeof(in) ? len : sizeof(in));
	inet_ntop(AF_INET, &in.sin_addr, a, sizeof(a));
	return sockaddr_put(out, cap, "%s:%u", a, ntohs(in.sin_port));
}

static size_t sockaddr_in6(const void *sa, size_t len, char *out, size_t cap)
{
	struct sockaddr_in6 in;
	char a[INET6_ADDRSTRLEN + 16];

	memset(&in, 0, sizeof(in));
	memcpy(&in, sa, len < sizeof(in) ? len : sizeof(in));
	inet_ntop(AF_INET6, &in.sin6_addr, a, INET6_ADDRSTRLEN);
	if (in.sin6_scope_id)
		snprintf(a + strlen(a), 16, "%%%u", in.sin6_scope_id);
	return sockaddr_put(out, cap, "[%s]:%u", a, ntohs(in.sin6_port));
}

static size_t sockaddr_un(const void *sa, size_t len, char *out, size_t cap)
{
	const char *p = (const char *)sa + offsetof(struct sockaddr_un, sun_path);
	size_t n = len - offsetof(struct sockaddr_un, sun_path), o;

	if (n > sizeof(((struct sockaddr_un *)0)->sun_path))
		n = sizeof(((struct sockaddr_un *)0)->sun_path);
	o = (size_t)snprintf(out, cap, "unix:");
	if (o >= cap)
		return cap - 1;
	if (n > 0 && p[0] == '\0') { /* abstract: the length says where it ends */
		for (size_t i = 0; i < n && o + 1 < cap; i++)
			out[o++] = p[i] ? p[i] : '@';
	} else {
		for (size_t i = 0; i < n && p[i] && o + 1 < cap; i++)
			out[o++] = p[i];
	}
	out[o] = '\0';
	return o;
}

size_t sockaddr_format(const void *sa, size_t len, char *out, size_t cap)
{
	sa_family_t fam;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (!sa || len < sizeof(fam))
		return 0;
	memcpy(&fam, sa, sizeof(fam));
	switch (fam) {
	case AF_UNSPEC:
		return (size_t)snprintf(out, cap, "%s", cap > 6 ? "unspec" : "");
	case AF_INET:
		return sockaddr_in4(sa, len, out, cap);
	case AF_INET6:
		return sockaddr_in6(sa, len, out, cap);
	case AF_UNIX:
		return sockaddr_un(sa, len, out, cap);
	case AF_NETLINK: {
		struct sockaddr_nl nl;
		memset(&nl, 0, sizeof(nl));
		memcpy(&nl, sa, len < sizeof(nl) ? len : sizeof(nl));
		int n = snprintf(out, cap, "netlink:%u", nl.nl_pid);
		return (size_t)n < cap ? (size_t)n : cap - 1;
	}
	default: {
		int n = snprintf(out, cap, "family:%u", (unsigned)fam);
		return (size_t)n < cap ? (size_t)n : cap - 1;
	}
	}
}

uint8_t sockaddr_proto(int domain, int type, int protocol)
{
	int t = type & 0xf; /* strip SOCK_NONBLOCK / SOCK_CLOEXEC */

	switch (domain) {
	case AF_INET:
	case AF_INET6: {
		bool v6 = domain == AF_INET6;
		if (t == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
			return v6 ? PROTO_TCP6 : PROTO_TCP4;
		if (t == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
			return v6 ? PROTO_UDP6 : PROTO_UDP4;
		if (t == SOCK_RAW)
			return PROTO_RAW;
		return PROTO_OTHER;
	}
	case AF_UNIX:
		return t == SOCK_DGRAM ? PROTO_UNIX_DGRAM : PROTO_UNIX;
	case AF_NETLINK:
		return PROTO_NETLINK;
	case AF_PACKET:
		return PROTO_RAW;
	default:
		return PROTO_OTHER;
	}
}

/* ---- /proc/PID/net ------------------------------------------------------- */

/* "0100007F:1F90" (v4) or 32 hex digits + ":PORT" (v6) as text. */
static void sockaddr_proc_addr(const char *hex, bool v6, char *out, size_t cap)
{
	uint32_t w[4] = { 0 };
	unsigned port = 0;
	char a[INET6_ADDRSTRLEN];

	out[0] = '\0';
	if (!v6) {
		if (sscanf(hex, "%8x:%x", &w[0], &port) != 2)
			return;
		if (w[0] == 0 && port == 0)
			return;
		inet_ntop(AF_INET, w, a, sizeof(a));
		snprintf(out, cap, "%s:%u", a, port);
		return;
	}
	if (sscanf(hex, "%8x%8x%8x%8x:%x", &w[0], &w[1], &w[2], &w[3], &port) != 5)
		return;
	if (!(w[0] | w[1] | w[2] | w[3]) && port == 0)
		return;
	inet_ntop(AF_INET6, w, a, sizeof(a));
	snprintf(out, cap, "[%s]:%u", a, port);
}

static int sockaddr_scan_inet(pid_t pid, const char *table, bool v6, uint8_t proto,
			      unsigned long ino, struct sockaddr_proc *out)
{
	char path[64], line[512], loc[64], rem[64];
	unsigned long inode;
	int rc = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, table);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, " %*s %63s %63s %*s %*s %*s %*s %*s %*s %lu",
			   loc, rem, &inode) != 3 || inode != ino)
			continue;
		out->proto = proto;
		sockaddr_proc_addr(loc, v6, out->local, sizeof(out->local));
		sockaddr_proc_addr(rem, v6, out->peer, sizeof(out->peer));
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

static int sockaddr_scan_unix(pid_t pid, unsigned long ino, struct sockaddr_proc *out)
{
	char path[64], line[512];
	unsigned long inode;
	unsigned type;
	int off = 0, rc = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/net/unix", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* Num RefCount Protocol Flags Type St Inode [Path] */
		if (sscanf(line, "%*s %*s %*s %*s %x %*s %lu %n", &type, &inode, &off) < 2 ||
		    inode != ino)
			continue;
		out->proto = type == SOCK_DGRAM ? PROTO_UNIX_DGRAM : PROTO_UNIX;
		line[strcspn(line, "\n")] = '\0';
		if (off > 0 && line[off])
			snprintf(out->local, sizeof(out->local), "unix:%s", line + off);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

int sockaddr_from_proc_inode(pid_t pid, unsigned long ino, struct sockaddr_proc *out)
{
	static const struct {
		const char *table;
		bool v6;
		uint8_t proto;
	} inet[] = {
		{ "tcp", false, PROTO_TCP4 }, { "tcp6", true, PROTO_TCP6 },
		{ "udp", false, PROTO_UDP4 }, { "udp6", true, PROTO_UDP6 },
	};

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(inet) / sizeof(inet[0]); i++)
		if (sockaddr_scan_inet(pid, inet[i].table, inet[i].v6, inet[i].proto, ino, out) == 0)
			return 0;
	return sockaddr_scan_unix(pid, ino, out);
}

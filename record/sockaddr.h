/*
 * sockaddr.h - socket addresses as text, and the protocol of a socket.
 *
 * Formats: "127.0.0.1:8080", "[::1]:443", "[fe80::1%2]:22" (scope id),
 * "unix:/run/x.sock", "unix:@name" (abstract; NUL bytes inside the name are
 * shown as '@'), "unix:" (unnamed), "netlink:PID", "unspec" (AF_UNSPEC,
 * connect's "disconnect"), "family:N" (others).
 * The input bytes come from a tracee: every length is bounded by the caller's
 * `len`, which may be shorter or longer than the family's struct.
 */
#ifndef COMPENDIUM_SOCKADDR_H
#define COMPENDIUM_SOCKADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest text any sockaddr_format output needs, including the NUL. */
#define SOCKADDR_TEXT_MAX 128

/*
 * Writes the text of the `len` bytes at `sa` into out (cap >= 1, always
 * NUL-terminated, truncated to cap). Returns the text length, or 0 (and "")
 * when len is too short to hold a family.
 */
size_t sockaddr_format(const void *sa, size_t len, char *out, size_t cap);

/* enum net_proto of a socket(domain, type, protocol); type may carry
 * SOCK_NONBLOCK / SOCK_CLOEXEC. */
uint8_t sockaddr_proto(int domain, int type, int protocol);

/* What /proc/PID/net/{tcp,tcp6,udp,udp6,unix} say about one socket inode. */
struct sockaddr_proc {
	uint8_t proto;                 /* enum net_proto */
	char local[SOCKADDR_TEXT_MAX]; /* "" when unbound / unknown */
	char peer[SOCKADDR_TEXT_MAX];  /* "" when not connected / unknown */
};

/*
 * Looks socket inode `ino` up in the network namespace of `pid`.
 * Returns 0 when found, -ENOENT when not (netlink, raw, packet sockets, or a
 * socket closed meanwhile), -errno when /proc cannot be read. Unix sockets
 * get their bound path as `local`; their peer is not in /proc and stays "".
 */
int sockaddr_from_proc_inode(pid_t pid, unsigned long ino, struct sockaddr_proc *out);

#endif

/*
 * decode_net.c - sockets: creation, addresses, and send/recv byte counts.
 *
 * Addresses come from the syscall's own sockaddr arguments (read with one
 * process_vm_readv each). Where the kernel picked the address (bind to port
 * 0, then listen; accept without an addr buffer) it is looked up once in
 * /proc/PID/net/{tcp,tcp6,udp,udp6,unix} by the socket's inode.
 * accept's local address is the listening socket's (bound, or found at
 * listen), not re-read per connection: a wildcard listener (0.0.0.0:80)
 * therefore reports the wildcard, which keeps accept cheap on busy servers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "record/decode_impl.h"
#include "record/fdtable.h"
#include "record/sockaddr.h"
#include "record/tmem.h"

/* Bytes of a sockaddr we read from the tracee: sockaddr_storage. */
#define DECODE_SA_MAX 128
/* mmsghdrs read per process_vm_readv, and in total (the kernel's UIO_MAXIOV). */
#define DECODE_MMSG_BATCH 64
#define DECODE_MMSG_MAX 1024

/* Formats the sockaddr of `len` bytes at addr into out ("" when unreadable). */
static const char *decode_sockaddr(pid_t tid, uint64_t addr, uint64_t len, char *out)
{
	unsigned char sa[DECODE_SA_MAX];
	ssize_t n;

	out[0] = '\0';
	if (!addr || len == 0)
		return NULL;
	if (len > sizeof(sa))
		len = sizeof(sa);
	n = tmem_read(tid, addr, sa, len);
	if (n <= 0)
		return NULL;
	return sockaddr_format(sa, (size_t)n, out, SOCKADDR_TEXT_MAX) ? out : NULL;
}

/*
 * The length of a value-result address the kernel filled in: `kernel_len` is
 * the address's full length, which the kernel wrote back; it copied only as
 * much as the buffer held (its size read at entry). 0 when the buffer was
 * shorter: the bytes after it are the tracee's, not the address, so a cut
 * address is not recorded (accept then asks /proc).
 */
static uint32_t decode_vr_len(const struct syscall_call *call, uint32_t kernel_len)
{
	if (call->addrlen_known && call->addrlen_in < kernel_len)
		return 0;
	return kernel_len;
}

/* Same, with the length in a socklen_t the kernel filled in (value-result). */
static const char *decode_sockaddr_vr(pid_t tid, const struct syscall_call *call, uint64_t addr,
				      uint64_t lenp, char *out)
{
	uint32_t len = 0;

	out[0] = '\0';
	if (!addr || !lenp || tmem_read(tid, lenp, &len, sizeof(len)) != sizeof(len))
		return NULL;
	return decode_sockaddr(tid, addr, decode_vr_len(call, len), out);
}

void decode_syscall_entry(pid_t tid, struct syscall_call *call)
{
	struct mmsghdr mm;
	uint64_t lenp = 0;
	uint32_t len;

	call->addrlen_known = false;
	call->addrlen_in = 0;
	switch (call->nr) {
	case SYS_accept:
	case SYS_accept4:
		lenp = call->args[1] ? call->args[2] : 0;
		break;
	case SYS_recvfrom:
		lenp = call->args[4] ? call->args[5] : 0;
		break;
	case SYS_recvmsg: /* msg_namelen of the msghdr, or of the first mmsghdr */
	case SYS_recvmmsg:
		if (tmem_read(tid, call->args[1], &mm, sizeof(mm.msg_hdr)) ==
		    (ssize_t)sizeof(mm.msg_hdr)) {
			call->addrlen_in = mm.msg_hdr.msg_namelen;
			call->addrlen_known = true;
		}
		return;
	default:
		return;
	}
	if (lenp && tmem_read(tid, lenp, &len, sizeof(len)) == (ssize_t)sizeof(len)) {
		call->addrlen_in = len;
		call->addrlen_known = true;
	}
}

/* The address the fast path captured in the kernel (decode.h), formatted. */
static const char *decode_captured_sa(const struct syscall_call *call, char *out)
{
	uint32_t len = call->sa_len < DECODE_SA_MAX ? call->sa_len : DECODE_SA_MAX;

	out[0] = '\0';
	if (!call->sa || len == 0)
		return NULL;
	return sockaddr_format(call->sa, len, out, SOCKADDR_TEXT_MAX) ? out : NULL;
}

/* /proc/PID/net facts about the socket behind fd. */
static int decode_sock_proc(const struct decode_ctx *c, int fd, struct sockaddr_proc *sp)
{
	char link[64], target[64];
	unsigned long ino;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)c->tid, fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (sscanf(target, "socket:[%lu]", &ino) != 1)
		return -ENOTSOCK;
	return sockaddr_from_proc_inode(c->tid, ino, sp);
}

/* "1.2.3.4:0" / "[::]:0": an inet address whose port the kernel picks. */
static bool decode_port_zero(const char *addr)
{
	size_t n = addr ? strlen(addr) : 0;

	return n > 2 && addr[0] != 'u' && strcmp(addr + n - 2, ":0") == 0;
}

static uint8_t decode_fd_proto(struct decode_ctx *c, int fd)
{
	const struct fdinfo *fi = fdtable_get(c->fds, fd, c->tid);

	return fi ? fi->proto : PROTO_NONE;
}

/* ---- socket, socketpair ------------------------------------------------------- */

void decode_socket(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;
	int domain = (int)call->args[0], type = (int)call->args[1], proto = (int)call->args[2];

	decode_event_init(&ev, EV_SOCKET, c, call);
	ev.socket.fd = ev.err ? -1 : (int32_t)call->ret;
	ev.socket.fd2 = -1;
	ev.socket.domain = (uint32_t)domain;
	ev.socket.type = (uint32_t)type;
	ev.socket.protocol = (uint32_t)proto;
	ev.socket.proto = sockaddr_proto(domain, type, proto);
	if (!ev.err)
		fdtable_set(c->fds, ev.socket.fd, FD_SOCKET, ev.socket.proto, NULL,
			    (type & SOCK_CLOEXEC) != 0, 0);
	decode_emit(c, &ev);
}

void decode_socketpair(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;
	int domain = (int)call->args[0], type = (int)call->args[1], proto = (int)call->args[2];
	int sv[2] = { -1, -1 };

	decode_event_init(&ev, EV_SOCKET, c, call);
	if (!ev.err && tmem_read(c->tid, call->args[3], sv, sizeof(sv)) != sizeof(sv))
		sv[0] = sv[1] = -1;
	ev.socket.fd = sv[0];
	ev.socket.fd2 = sv[1];
	ev.socket.domain = (uint32_t)domain;
	ev.socket.type = (uint32_t)type;
	ev.socket.protocol = (uint32_t)proto;
	ev.socket.proto = sockaddr_proto(domain, type, proto);
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			fdtable_set(c->fds, sv[i], FD_SOCKET, ev.socket.proto, NULL,
				    (type & SOCK_CLOEXEC) != 0, 0);
	decode_emit(c, &ev);
}

/* ---- connect, bind, listen, accept --------------------------------------------- */

void decode_connect(struct decode_ctx *c, const struct syscall_call *call)
{
	char addr[SOCKADDR_TEXT_MAX];
	struct event ev;
	int fd = (int)call->args[0];

	decode_event_init(&ev, EV_CONNECT, c, call);
	ev.connect.fd = fd;
	ev.connect.proto = decode_fd_proto(c, fd);
	ev.connect.addr = decode_sockaddr(c->tid, call->args[1], call->args[2], addr);
	/* AF_UNSPEC dissolves a datagram socket's association */
	if (ev.connect.addr && strcmp(ev.connect.addr, "unspec") == 0)
		fdtable_set_peer(c->fds, fd, PROTO_NONE, NULL);
	else if (!ev.err || ev.err == EINPROGRESS)
		fdtable_set_peer(c->fds, fd, PROTO_NONE, ev.connect.addr);
	decode_emit(c, &ev);
}

void decode_bind(struct decode_ctx *c, const struct syscall_call *call)
{
	char addr[SOCKADDR_TEXT_MAX];
	struct event ev;
	int fd = (int)call->args[0];

	decode_event_init(&ev, EV_BIND, c, call);
	ev.bind.fd = fd;
	ev.bind.proto = decode_fd_proto(c, fd);
	ev.bind.addr = decode_sockaddr(c->tid, call->args[1], call->args[2], addr);
	if (!ev.err && decode_port_zero(ev.bind.addr)) {
		/* The kernel chose the port: remember the real one for later events. */
		struct sockaddr_proc sp;
		if (decode_sock_proc(c, fd, &sp) == 0 && sp.local[0])
			fdtable_set_local(c->fds, fd, sp.local);
		else
			fdtable_set_local(c->fds, fd, ev.bind.addr);
	} else if (!ev.err) {
		fdtable_set_local(c->fds, fd, ev.bind.addr);
	}
	decode_emit(c, &ev);
}

void decode_listen(struct decode_ctx *c, const struct syscall_call *call)
{
	struct sockaddr_proc sp;
	struct event ev;
	int fd = (int)call->args[0];
	const struct fdinfo *fi = fdtable_get(c->fds, fd, c->tid);

	decode_event_init(&ev, EV_LISTEN, c, call);
	ev.listen.fd = fd;
	ev.listen.backlog = (int32_t)call->args[1];
	ev.listen.proto = fi ? fi->proto : PROTO_NONE;
	/* The kernel's view: resolves port 0 and implicit binds. */
	if (!ev.err && decode_sock_proc(c, fd, &sp) == 0 && sp.local[0]) {
		fdtable_set_local(c->fds, fd, sp.local);
		fi = fdtable_get(c->fds, fd, 0);
	}
	ev.listen.addr = fi ? fi->local : NULL;
	decode_emit(c, &ev);
}

/*
 * The accepted socket's entry: named by its peer; a unix peer is usually
 * unnamed, and then (like lsof) the socket is named by the listener's path.
 */
static void decode_accepted(struct decode_ctx *c, int newfd, int lfd, uint8_t proto,
			    const char *peer, bool cloexec)
{
	char local[SOCKADDR_TEXT_MAX] = "";
	const struct fdinfo *li = fdtable_get(c->fds, lfd, 0);
	bool unix_sock = proto == PROTO_UNIX || proto == PROTO_UNIX_DGRAM;

	if (li && li->local)
		snprintf(local, sizeof(local), "%s", li->local);
	if (unix_sock && (!peer || strcmp(peer, "unix:") == 0) && local[0])
		peer = local;
	fdtable_set(c->fds, newfd, FD_SOCKET, proto, peer, cloexec, 0);
	if (local[0])
		fdtable_set_local(c->fds, newfd, local);
}

void decode_accept(struct decode_ctx *c, const struct syscall_call *call)
{
	char peer[SOCKADDR_TEXT_MAX];
	struct sockaddr_proc sp;
	struct event ev;
	int fd = (int)call->args[0];
	int flags = call->nr == SYS_accept4 ? (int)call->args[3] : 0;
	const struct fdinfo *fi = fdtable_get(c->fds, fd, c->tid);

	decode_event_init(&ev, EV_ACCEPT, c, call);
	ev.accept.fd = fd;
	ev.accept.new_fd = ev.err ? -1 : (int32_t)call->ret;
	ev.accept.proto = fi ? fi->proto : PROTO_NONE;
	ev.accept.local_addr = fi ? fi->local : NULL;
	if (!ev.err) {
		ev.accept.peer_addr = decode_sockaddr_vr(c->tid, call, call->args[1], call->args[2],
							 peer);
		if (!ev.accept.peer_addr && decode_sock_proc(c, ev.accept.new_fd, &sp) == 0 &&
		    sp.peer[0]) {
			snprintf(peer, sizeof(peer), "%s", sp.peer);
			ev.accept.peer_addr = peer;
		}
		decode_accepted(c, ev.accept.new_fd, fd, ev.accept.proto, ev.accept.peer_addr,
				(flags & SOCK_CLOEXEC) != 0);
		fi = fdtable_get(c->fds, fd, 0);
		ev.accept.local_addr = fi ? fi->local : NULL;
	}
	decode_emit(c, &ev);
}

/* ---- send and receive ------------------------------------------------------------- */

static void decode_io_init(struct decode_ctx *c, const struct syscall_call *call,
			   struct event *ev, bool send)
{
	decode_event_init(ev, EV_IO, c, call);
	ev->io.op = send ? IO_SEND : IO_RECV;
	fdtable_ref_of(c->fds, (int)call->args[0], ev->err == EBADF ? 0 : c->tid, &ev->io.fd);
	ev->io.bytes = ev->err ? 0 : call->ret;
	ev->io.offset = -1;
}

/* sendto(fd, buf, len, flags, dest, addrlen) */
void decode_sendto(struct decode_ctx *c, const struct syscall_call *call)
{
	char addr[SOCKADDR_TEXT_MAX];
	struct event ev;

	decode_io_init(c, call, &ev, true);
	ev.io.addr = call->sa_known ? decode_captured_sa(call, addr)
				    : decode_sockaddr(c->tid, call->args[4], call->args[5], addr);
	decode_emit(c, &ev);
}

/* recvfrom(fd, buf, len, flags, src, addrlen*) */
void decode_recvfrom(struct decode_ctx *c, const struct syscall_call *call)
{
	char addr[SOCKADDR_TEXT_MAX];
	struct event ev;

	decode_io_init(c, call, &ev, false);
	if (!ev.err && call->sa_known)
		ev.io.addr = decode_captured_sa(call, addr);
	else if (!ev.err)
		ev.io.addr = decode_sockaddr_vr(c->tid, call, call->args[4], call->args[5], addr);
	decode_emit(c, &ev);
}

/* The address of a msghdr in tracee memory (msg_name, msg_namelen); a
 * received one is bounded by the buffer's size at entry (decode_vr_len). */
static const char *decode_msg_name(pid_t tid, const struct syscall_call *call,
				   const struct msghdr *m, bool received, char *out)
{
	uint32_t len = received ? decode_vr_len(call, m->msg_namelen) : m->msg_namelen;

	return decode_sockaddr(tid, (uint64_t)(uintptr_t)m->msg_name, len, out);
}

/* sendmsg(fd, msghdr*, flags), recvmsg(fd, msghdr*, flags) */
void decode_msg(struct decode_ctx *c, const struct syscall_call *call)
{
	char addr[SOCKADDR_TEXT_MAX];
	struct msghdr m;
	struct event ev;
	bool send = call->nr == SYS_sendmsg;

	decode_io_init(c, call, &ev, send);
	if (!ev.err && call->sa_known)
		ev.io.addr = decode_captured_sa(call, addr);
	else if (!ev.err && tmem_read(c->tid, call->args[1], &m, sizeof(m)) == sizeof(m) &&
		 m.msg_name)
		ev.io.addr = decode_msg_name(c->tid, call, &m, !send, addr);
	decode_emit(c, &ev);
}

/*
 * sendmmsg(fd, mmsghdr*, vlen, flags), recvmmsg(fd, mmsghdr*, vlen, flags, ts*):
 * ret is the number of messages; bytes is the sum of their msg_len; addr is
 * the first message's.
 */
void decode_mmsg(struct decode_ctx *c, const struct syscall_call *call)
{
	char addr[SOCKADDR_TEXT_MAX];
	struct mmsghdr batch[DECODE_MMSG_BATCH];
	struct event ev;
	bool send = call->nr == SYS_sendmmsg;
	int64_t total = 0;
	uint64_t n;

	decode_io_init(c, call, &ev, send);
	n = ev.err ? 0 : (uint64_t)call->ret;
	if (n > DECODE_MMSG_MAX)
		n = DECODE_MMSG_MAX;
	for (uint64_t done = 0; done < n;) {
		uint64_t k = n - done < DECODE_MMSG_BATCH ? n - done : DECODE_MMSG_BATCH;
		ssize_t got = tmem_read(c->tid, call->args[1] + done * sizeof(batch[0]), batch,
					k * sizeof(batch[0]));
		if (got < (ssize_t)sizeof(batch[0]))
			break;
		k = (uint64_t)got / sizeof(batch[0]);
		if (done == 0 && batch[0].msg_hdr.msg_name)
			ev.io.addr = decode_msg_name(c->tid, call, &batch[0].msg_hdr, !send, addr);
		for (uint64_t i = 0; i < k; i++)
			total += batch[i].msg_len;
		done += k;
	}
	ev.io.bytes = total;
	ev.io.count = (uint32_t)n;
	decode_emit(c, &ev);
}

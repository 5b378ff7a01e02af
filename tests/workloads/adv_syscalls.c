/*
 * adv_syscalls.c - syscalls with hostile arguments, for test_adversarial.py.
 *
 *   adv_syscalls bogus          paths, sockaddrs, msghdrs, iovecs, open_how
 *                               and clone_args that are NULL, -1, kernel
 *                               addresses, cut by an unmapped page, or with
 *                               lying lengths; prints each result (errno)
 *   adv_syscalls longpath DIR   creates and opens DIR/.../file, a path of
 *                               exactly 4095 bytes; prints it
 *   adv_syscalls accept_short   accepts a 127.0.0.1 connection into a 4-byte
 *                               address buffer whose tail holds 0xab bytes;
 *                               prints the client's port
 *   adv_syscalls recv_short     recvfrom and recvmsg of a 127.0.0.1 datagram
 *                               into 4-byte address buffers (tail 0xab)
 * Exit status 3 (bogus), 0 otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define KERNEL_ADDR 0xffff888000000000UL

static void show(const char *what, long r)
{
	printf("%s %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "-");
}

static int bogus(void)
{
	/* a string that runs into an unmapped page, without a NUL */
	char *pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED)
		return 1;
	munmap(pg + 4096, 4096);
	memset(pg, 'x', 4096);
	char *cut = pg + 4096 - 14;
	memcpy(cut, "/tmp/adv-nonul", 14);

	show("open_cut", syscall(SYS_openat, AT_FDCWD, cut, O_RDONLY));
	show("open_null", syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY));
	show("open_minus1", syscall(SYS_openat, AT_FDCWD, (void *)-1L, O_RDONLY));
	show("open_kernel", syscall(SYS_openat, AT_FDCWD, (void *)KERNEL_ADDR, O_RDONLY));
	show("open_baddirfd", syscall(SYS_openat, 12345, "rel", O_RDONLY));
	struct open_how how = { .flags = O_RDONLY };
	show("openat2_huge", syscall(SYS_openat2, AT_FDCWD, "/etc/hostname", &how, (size_t)1 << 40));
	show("openat2_bad", syscall(SYS_openat2, AT_FDCWD, "/etc/hostname", (void *)-1L, sizeof(how)));

	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char big[256];
	memset(big, 0, sizeof(big));
	memcpy(big, &sin, sizeof(sin));
	show("sendto_len0", sendto(s, "a", 1, 0, (void *)&sin, 0));
	show("sendto_len1", sendto(s, "a", 1, 0, (void *)&sin, 1));
	show("sendto_len200", sendto(s, "a", 1, 0, (void *)big, 200));
	show("sendto_badptr", sendto(s, "a", 1, 0, (void *)-1L, 16));
	show("connect_len0", connect(s, (void *)&sin, 0));
	show("connect_kernel", connect(s, (void *)KERNEL_ADDR, 16));

	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sun;
	sun.sun_family = AF_UNIX;
	memset(sun.sun_path, 'q', sizeof(sun.sun_path)); /* no NUL */
	show("connect_unix_nonul", connect(u, (void *)&sun, sizeof(sun)));

	struct msghdr m;
	memset(&m, 0, sizeof(m));
	m.msg_name = (void *)-1L;
	m.msg_namelen = 0xffffffffu;
	m.msg_iov = (void *)0x1000;
	m.msg_iovlen = 5000;
	show("sendmsg_bogus", sendmsg(s, &m, 0));
	show("sendmsg_badhdr", syscall(SYS_sendmsg, s, (void *)-1L, 0));
	show("sendmmsg_huge", syscall(SYS_sendmmsg, s, (void *)0x1000, 1u << 30, 0));
	show("recvmmsg_bad", syscall(SYS_recvmmsg, s, (void *)-1L, 1u << 30, MSG_DONTWAIT, NULL));

	struct iovec *iov = calloc(2000, sizeof(*iov));
	for (int i = 0; i < 2000; i++) {
		iov[i].iov_base = (void *)-1L;
		iov[i].iov_len = 1 << 30;
	}
	show("writev_2000", syscall(SYS_writev, 1, iov, 2000));
	show("readv_1024", syscall(SYS_readv, 0, iov, 1024));
	free(iov);

	show("clone3_huge", syscall(SYS_clone3, (void *)-1L, (size_t)1 << 40));
	show("clone3_null", syscall(SYS_clone3, NULL, 0));
	show("pipe2_bad", syscall(SYS_pipe2, (void *)-1L, 0));
	show("socketpair_bad", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, NULL));
	show("close_range_huge", syscall(SYS_close_range, 1000000, ~0u, 0));
	show("dup2_self", syscall(SYS_dup2, 1, 1));
	show("dupfd_big", syscall(SYS_fcntl, 1, F_DUPFD, 1 << 30));
	show("symlink_cut", syscall(SYS_symlink, cut, cut));
	show("rename_bad", syscall(SYS_rename, (void *)-1L, (void *)KERNEL_ADDR));
	show("accept_bad", syscall(SYS_accept4, s, (void *)-1L, (void *)-1L, 0));
	show("execve_cut", syscall(SYS_execve, cut, (void *)-1L, (void *)-1L));
	fflush(stdout);
	return 3;
}

static int longpath(const char *base)
{
	char dir[4096], comp[201], name[300], path[8192];

	snprintf(dir, sizeof(dir), "%s", base);
	memset(comp, 'd', 200);
	comp[200] = '\0';
	while (strlen(dir) + 1 + 200 + 1 + 10 < 4095) {
		strcat(dir, "/");
		strcat(dir, comp);
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return 1;
	}
	size_t need = 4095 - strlen(dir) - 1;
	memset(name, 'f', need);
	name[need] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || strlen(path) != 4095)
		return 1;
	close(fd);
	printf("%s\n", path);
	return 0;
}

static int accept_short(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (bind(l, (void *)&sin, sizeof(sin)) || listen(l, 1) || getsockname(l, (void *)&sin, &sl))
		return 1;
	pid_t p = fork();
	if (p == 0) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (void *)&sin, sizeof(sin)) != 0)
			_exit(1);
		_exit(write(c, "x", 1) == 1 ? 0 : 1);
	}
	unsigned char buf[32];
	memset(buf, 0xab, sizeof(buf));
	socklen_t al = 4; /* family and port only */
	int a = accept(l, (void *)buf, &al);
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	if (a < 0 || getpeername(a, (void *)&peer, &pl) != 0)
		return 1;
	char c;
	if (read(a, &c, 1) != 1)
		return 1;
	waitpid(p, NULL, 0);
	printf("%u %u\n", ntohs(peer.sin_port), al);
	return 0;
}

static int recv_short(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned char name[32];
	char data[8];

	if (bind(s, (void *)&sin, sizeof(sin)) || getsockname(s, (void *)&sin, &sl))
		return 1;
	for (int i = 0; i < 2; i++)
		if (sendto(s, "xy", 2, 0, (void *)&sin, sizeof(sin)) != 2)
			return 1;
	memset(name, 0xab, sizeof(name));
	socklen_t al = 4;
	if (recvfrom(s, data, sizeof(data), 0, (void *)name, &al) != 2)
		return 1;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_name = name, .msg_namelen = 4, .msg_iov = &iov, .msg_iovlen = 1 };
	memset(name, 0xab, sizeof(name));
	if (recvmsg(s, &m, 0) != 2)
		return 1;
	printf("%u %u %u\n", ntohs(sin.sin_port), al, m.msg_namelen);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "bogus"))
		return bogus();
	if (!strcmp(mode, "longpath") && argc > 2)
		return longpath(argv[2]);
	if (!strcmp(mode, "accept_short"))
		return accept_short();
	if (!strcmp(mode, "recv_short"))
		return recv_short();
	fprintf(stderr, "usage: adv_syscalls bogus|longpath DIR|accept_short|recv_short\n");
	return 2;
}

/*
 * net_udp.c - UDP datagrams with destinations, on 127.0.0.1.
 *
 * usage: net_udp
 * Receiver r bound to 127.0.0.1:0; unconnected sender s (bound too, so its
 * address is known). Sends: sendto 123 bytes; sendmsg 45 bytes with
 * msg_name; sendmmsg 3 messages of 10+20+30 bytes. Receives: recvfrom 123
 * (with address), recvmsg 45, recvmmsg 3 messages (60 bytes).
 * Prints "recv_port R send_port S".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int bound(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)a, sizeof(*a)) ||
	    getsockname(s, (struct sockaddr *)a, &len))
		return -1;
	return s;
}

int main(void)
{
	struct sockaddr_in ra, sa, from;
	socklen_t flen = sizeof(from);
	static char buf[2048];
	int r = bound(&ra), s = bound(&sa);

	if (r < 0 || s < 0)
		return 1;
	printf("recv_port %u send_port %u\n", ntohs(ra.sin_port), ntohs(sa.sin_port));
	fflush(stdout);
	if (sendto(s, buf, 123, 0, (struct sockaddr *)&ra, sizeof(ra)) != 123)
		return 2;
	struct iovec iov = { buf, 45 };
	struct msghdr m = { .msg_name = &ra, .msg_namelen = sizeof(ra), .msg_iov = &iov,
			    .msg_iovlen = 1 };
	if (sendmsg(s, &m, 0) != 45)
		return 3;
	struct iovec iv[3] = { { buf, 10 }, { buf, 20 }, { buf, 30 } };
	struct mmsghdr mm[3];
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_name = &ra;
		mm[i].msg_hdr.msg_namelen = sizeof(ra);
		mm[i].msg_hdr.msg_iov = &iv[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	if (sendmmsg(s, mm, 3, 0) != 3)
		return 4;
	if (recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) != 123)
		return 5;
	struct sockaddr_in from2;
	struct iovec riov = { buf, sizeof(buf) };
	struct msghdr rm = { .msg_name = &from2, .msg_namelen = sizeof(from2), .msg_iov = &riov,
			     .msg_iovlen = 1 };
	if (recvmsg(r, &rm, 0) != 45)
		return 6;
	struct iovec rv[3] = { { buf, 100 }, { buf + 100, 100 }, { buf + 200, 100 } };
	struct mmsghdr rmm[3];
	memset(rmm, 0, sizeof(rmm));
	for (int i = 0; i < 3; i++) {
		rmm[i].msg_hdr.msg_iov = &rv[i];
		rmm[i].msg_hdr.msg_iovlen = 1;
	}
	if (recvmmsg(r, rmm, 3, MSG_WAITFORONE, NULL) < 1)
		return 7;
	return 0;
}

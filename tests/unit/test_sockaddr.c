/* test_sockaddr.c - socket addresses as text and protocols of sockets. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "format/event.h"
#include "record/sockaddr.h"

static char out[SOCKADDR_TEXT_MAX];

static void test_inet(void **state)
{
	(void)state;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(8080) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(sockaddr_format(&a, sizeof(a), out, sizeof(out)), 14);
	assert_string_equal(out, "127.0.0.1:8080");

	struct sockaddr_in6 b = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	inet_pton(AF_INET6, "::1", &b.sin6_addr);
	sockaddr_format(&b, sizeof(b), out, sizeof(out));
	assert_string_equal(out, "[::1]:443");
	inet_pton(AF_INET6, "fe80::1", &b.sin6_addr);
	b.sin6_scope_id = 2;
	sockaddr_format(&b, sizeof(b), out, sizeof(out));
	assert_string_equal(out, "[fe80::1%2]:443");
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &b.sin6_addr);
	b.sin6_scope_id = 0;
	sockaddr_format(&b, sizeof(b), out, sizeof(out));
	assert_string_equal(out, "[::ffff:10.0.0.1]:443");
}

static void test_unix(void **state)
{
	(void)state;
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	strcpy(u.sun_path, "/run/x.sock");
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(u.sun_path) + 1;
	sockaddr_format(&u, len, out, sizeof(out));
	assert_string_equal(out, "unix:/run/x.sock");
	/* abstract: the length ends the name; NULs inside show as '@' */
	memset(u.sun_path, 0, sizeof(u.sun_path));
	memcpy(u.sun_path, "\0name\0x", 7);
	sockaddr_format(&u, offsetof(struct sockaddr_un, sun_path) + 7, out, sizeof(out));
	assert_string_equal(out, "unix:@name@x");
	/* unnamed */
	sockaddr_format(&u, sizeof(sa_family_t), out, sizeof(out));
	assert_string_equal(out, "unix:");
	/* a path filling sun_path without NUL is bounded by sun_path */
	memset(u.sun_path, 'p', sizeof(u.sun_path));
	sockaddr_format(&u, sizeof(u) + 50, out, sizeof(out));
	assert_int_equal(strlen(out), 5 + sizeof(u.sun_path));
}

static void test_short_and_other(void **state)
{
	(void)state;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };
	a.sin_addr.s_addr = htonl(0x7f000001);
	assert_int_equal(sockaddr_format(&a, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* truncated to the caller's buffer */
	char small[6];
	assert_int_equal(sockaddr_format(&a, sizeof(a), small, sizeof(small)), 5);
	assert_string_equal(small, "127.0");
	/* a short inet sockaddr reads only what was given */
	sockaddr_format(&a, 4, out, sizeof(out));
	assert_string_equal(out, "0.0.0.0:80");
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_pid = 42 };
	sockaddr_format(&nl, sizeof(nl), out, sizeof(out));
	assert_string_equal(out, "netlink:42");
	sa_family_t f = AF_UNSPEC;
	sockaddr_format(&f, sizeof(f), out, sizeof(out));
	assert_string_equal(out, "unspec");
	f = 77;
	sockaddr_format(&f, sizeof(f), out, sizeof(out));
	assert_string_equal(out, "family:77");
}

static void test_proto(void **state)
{
	(void)state;
	assert_int_equal(sockaddr_proto(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), PROTO_TCP4);
	assert_int_equal(sockaddr_proto(AF_INET6, SOCK_STREAM, IPPROTO_TCP), PROTO_TCP6);
	assert_int_equal(sockaddr_proto(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), PROTO_UDP4);
	assert_int_equal(sockaddr_proto(AF_INET6, SOCK_DGRAM, IPPROTO_UDP), PROTO_UDP6);
	assert_int_equal(sockaddr_proto(AF_UNIX, SOCK_STREAM, 0), PROTO_UNIX);
	assert_int_equal(sockaddr_proto(AF_UNIX, SOCK_DGRAM, 0), PROTO_UNIX_DGRAM);
	assert_int_equal(sockaddr_proto(AF_NETLINK, SOCK_RAW, 0), PROTO_NETLINK);
	assert_int_equal(sockaddr_proto(AF_INET, SOCK_RAW, IPPROTO_ICMP), PROTO_RAW);
	assert_int_equal(sockaddr_proto(AF_INET, SOCK_STREAM, IPPROTO_SCTP), PROTO_OTHER);
}

/* A connected loopback pair as /proc/self/net/tcp shows it. */
static void test_proc_lookup(void **state)
{
	(void)state;
	int l = socket(AF_INET, SOCK_STREAM, 0), cl = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	char link[64], tgt[64], want[64];
	unsigned long ino;
	struct sockaddr_proc sp;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	getsockname(l, (struct sockaddr *)&a, &len);
	assert_int_equal(connect(cl, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", cl);
	ssize_t n = readlink(link, tgt, sizeof(tgt) - 1);
	assert_true(n > 0);
	tgt[n] = '\0';
	assert_int_equal(sscanf(tgt, "socket:[%lu]", &ino), 1);
	assert_int_equal(sockaddr_from_proc_inode(getpid(), ino, &sp), 0);
	assert_int_equal(sp.proto, PROTO_TCP4);
	snprintf(want, sizeof(want), "127.0.0.1:%u", ntohs(a.sin_port));
	assert_string_equal(sp.peer, want);
	assert_true(strncmp(sp.local, "127.0.0.1:", 10) == 0);
	assert_int_equal(sockaddr_from_proc_inode(getpid(), 1, &sp), -ENOENT);
	close(cl);
	close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inet),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_short_and_other),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_proc_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

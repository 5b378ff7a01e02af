/* test_fdtable.c - fd state: set, dup, close_range, sharing, fork copy,
 * exec closing only O_CLOEXEC fds, and lazy resolution from /proc. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "record/fdtable.h"

static void test_set_get_replace(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	assert_non_null(t);
	assert_int_equal(fdtable_set(t, 3, FD_FILE, PROTO_NONE, "/etc/passwd", false, O_RDONLY), 0);
	const struct fdinfo *fi = fdtable_get(t, 3, 0);
	assert_non_null(fi);
	assert_int_equal(fi->kind, FD_FILE);
	assert_string_equal(fi->name, "/etc/passwd");
	assert_int_equal(fdtable_set(t, 3, FD_PIPE, PROTO_NONE, NULL, true, 0), 0);
	fi = fdtable_get(t, 3, 0);
	assert_int_equal(fi->kind, FD_PIPE);
	assert_null(fi->name);
	assert_true(fi->cloexec);
	assert_null(fdtable_get(t, 4, 0));
	assert_null(fdtable_get(t, -1, 0));
	/* fd numbers no kernel hands out are refused, not allocated */
	assert_int_equal(fdtable_set(t, 1 << 30, FD_FILE, 0, "x", false, 0), -EBADF);
	assert_int_equal(fdtable_set(t, -5, FD_FILE, 0, "x", false, 0), -EBADF);
	fdtable_unref(t);
}

static void test_dup_and_close(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	fdtable_set(t, 5, FD_FILE, PROTO_NONE, "/tmp/out", false, O_WRONLY);
	assert_int_equal(fdtable_dup(t, 5, 1, false), 0);
	fdtable_close(t, 5);
	assert_null(fdtable_get(t, 5, 0));
	const struct fdinfo *fi = fdtable_get(t, 1, 0);
	assert_non_null(fi);
	assert_string_equal(fi->name, "/tmp/out");
	assert_int_equal(fi->flags, O_WRONLY);
	/* dup onto itself is a no-op; dup of an unknown fd drops the target so
	 * that it can still be resolved lazily */
	assert_int_equal(fdtable_dup(t, 1, 1, true), 0);
	assert_false(fdtable_get(t, 1, 0)->cloexec);
	fdtable_set(t, 41, FD_FILE, PROTO_NONE, "/old", false, 0);
	assert_int_equal(fdtable_dup(t, 40, 41, false), 0);
	assert_null(fdtable_get(t, 41, 0));
	fdtable_unref(t);
}

static void test_close_range(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	for (int fd = 0; fd < 10; fd++)
		fdtable_set(t, fd, FD_FILE, PROTO_NONE, "/f", false, 0);
	fdtable_close_range(t, 3, 6);
	for (int fd = 0; fd < 10; fd++) {
		if (fd >= 3 && fd <= 6)
			assert_null(fdtable_get(t, fd, 0));
		else
			assert_non_null(fdtable_get(t, fd, 0));
	}
	fdtable_close_range(t, 8, 0x7fffffff); /* ~0U clamped by the decoder */
	assert_null(fdtable_get(t, 8, 0));
	assert_null(fdtable_get(t, 9, 0));
	assert_non_null(fdtable_get(t, 7, 0));
	fdtable_unref(t);
}

static void test_ref_shares_clone_copies(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	fdtable_set(t, 3, FD_FILE, PROTO_NONE, "/a", false, 0);
	struct fdtable *shared = fdtable_ref(t);
	struct fdtable *copy = fdtable_clone(t);
	assert_ptr_equal(shared, t);
	assert_ptr_not_equal(copy, t);
	fdtable_set(shared, 4, FD_FILE, PROTO_NONE, "/b", false, 0);
	assert_non_null(fdtable_get(t, 4, 0));    /* CLONE_FILES: one table */
	assert_null(fdtable_get(copy, 4, 0));     /* fork: independent copy */
	fdtable_close(copy, 3);
	assert_non_null(fdtable_get(t, 3, 0));
	fdtable_unref(shared);
	assert_string_equal(fdtable_get(t, 3, 0)->name, "/a"); /* still referenced */
	fdtable_unref(t);
	fdtable_unref(copy);
}

static void test_exec_closes_cloexec_only(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	fdtable_set(t, 1, FD_FILE, PROTO_NONE, "/out", false, 0);
	fdtable_set(t, 3, FD_FILE, PROTO_NONE, "/lib", true, O_CLOEXEC);
	fdtable_set(t, 4, FD_FILE, PROTO_NONE, "/keep", true, 0);
	fdtable_set_cloexec(t, 4, false);   /* fcntl(F_SETFD, 0) */
	fdtable_dup(t, 1, 5, true);         /* dup3(1, 5, O_CLOEXEC) */
	fdtable_set(t, 20, FD_FILE, PROTO_NONE, "/r1", false, 0);
	fdtable_set(t, 5000, FD_FILE, PROTO_NONE, "/r2", false, 0);
	fdtable_set_cloexec_range(t, 10, 0x7fffffff, true); /* close_range CLOEXEC */
	fdtable_exec(t);
	assert_null(fdtable_get(t, 20, 0));
	assert_null(fdtable_get(t, 5000, 0));
	assert_non_null(fdtable_get(t, 1, 0));
	assert_null(fdtable_get(t, 3, 0));
	assert_non_null(fdtable_get(t, 4, 0));
	assert_null(fdtable_get(t, 5, 0));
	fdtable_unref(t);
}

static void test_socket_peer_local_ref_of(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	struct event_fd r;
	fdtable_set(t, 7, FD_SOCKET, PROTO_TCP4, NULL, false, 0);
	assert_int_equal(fdtable_set_peer(t, 7, PROTO_NONE, "127.0.0.1:80"), 0);
	assert_int_equal(fdtable_set_local(t, 7, "127.0.0.1:5555"), 0);
	assert_int_equal(fdtable_set_peer(t, 8, PROTO_NONE, "x"), -EBADF);
	fdtable_ref_of(t, 7, 0, &r);
	assert_int_equal(r.fd, 7);
	assert_int_equal(r.kind, FD_SOCKET);
	assert_int_equal(r.proto, PROTO_TCP4);
	assert_string_equal(r.name, "127.0.0.1:80");
	assert_string_equal(fdtable_get(t, 7, 0)->local, "127.0.0.1:5555");
	fdtable_ref_of(t, 99, 0, &r);
	assert_int_equal(r.kind, FD_UNKNOWN);
	assert_null(r.name);
	fdtable_unref(t);
}

/* Lazy resolution through /proc/self/fd: file, dir, pipe, socket, device. */
static void test_lazy_resolve_from_proc(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	char tmpl[] = "/tmp/fdtable-test-XXXXXX";
	int f = mkstemp(tmpl);
	int d = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int p[2];
	assert_int_equal(pipe(p), 0);
	int null = open("/dev/null", O_WRONLY);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 1), 0);

	const struct fdinfo *fi = fdtable_get(t, f, getpid());
	assert_non_null(fi);
	assert_int_equal(fi->kind, FD_FILE);
	assert_string_equal(fi->name, tmpl);
	fi = fdtable_get(t, d, getpid());
	assert_int_equal(fi->kind, FD_DIR);
	assert_true(fi->cloexec);
	assert_int_equal(fdtable_get(t, p[0], getpid())->kind, FD_PIPE);
	assert_int_equal(fdtable_get(t, null, getpid())->kind, FD_DEVICE);
	fi = fdtable_get(t, s, getpid());
	assert_int_equal(fi->kind, FD_SOCKET);
	assert_int_equal(fi->proto, PROTO_TCP4);
	assert_non_null(fi->local);
	assert_true(strncmp(fi->local, "127.0.0.1:", 10) == 0);
	/* a closed fd is not invented */
	assert_null(fdtable_get(t, 1000, getpid()));

	struct fdtable *seeded = fdtable_new();
	assert_true(fdtable_seed_from_proc(seeded, getpid()) >= 6);
	assert_string_equal(fdtable_get(seeded, f, 0)->name, tmpl);
	fdtable_unref(seeded);

	close(s); close(null); close(p[0]); close(p[1]); close(d); close(f);
	unlink(tmpl);
	fdtable_unref(t);
}

static void count_fd(void *arg, int fd, const struct fdinfo *fi)
{
	(void)fi;
	int *last = arg;
	assert_true(fd > *last); /* ascending */
	*last = fd;
}

static void test_foreach_ascending(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	fdtable_set(t, 9, FD_FILE, 0, "/9", false, 0);
	fdtable_set(t, 2, FD_FILE, 0, "/2", false, 0);
	fdtable_set(t, 300, FD_FILE, 0, "/300", false, 0);
	int last = -1;
	fdtable_foreach(t, count_fd, &last);
	assert_int_equal(last, 300);
	fdtable_unref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_get_replace),
		cmocka_unit_test(test_dup_and_close),
		cmocka_unit_test(test_close_range),
		cmocka_unit_test(test_ref_shares_clone_copies),
		cmocka_unit_test(test_exec_closes_cloexec_only),
		cmocka_unit_test(test_socket_peer_local_ref_of),
		cmocka_unit_test(test_lazy_resolve_from_proc),
		cmocka_unit_test(test_foreach_ascending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_fastpath.c - the I/O fast path against the real kernel: a forked
 * child does known I/O, the fast path is driven the way the engine drives
 * it (task_new before the child runs, drain with the lock held, stop), and
 * the finished syscalls it hands over are checked field by field; a tiny
 * ring buffer shows that every lost record is counted, per kind. Needs
 * root (CAP_BPF + CAP_PERFMON); without it only the refusal is checked.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/fastpath.h"

#define TEST_MAX_CALLS 4096

struct seen {
	pid_t child;
	size_t n;
	unsigned total;
	struct {
		struct syscall_call call;
		uint8_t sa[128];
		pid_t tid, pid;
	} v[TEST_MAX_CALLS];
	struct event loss[16];
	char loss_src[16][40];
	size_t nloss;
};

static bool on_call(void *ctx, pid_t tid, pid_t pid, const struct syscall_call *call)
{
	struct seen *s = ctx;

	if (pid != s->child)
		return false;
	s->total++;
	if (s->n < TEST_MAX_CALLS) {
		s->v[s->n].call = *call;
		s->v[s->n].tid = tid;
		s->v[s->n].pid = pid;
		if (call->sa_known && call->sa_len <= sizeof(s->v[0].sa)) {
			memcpy(s->v[s->n].sa, call->sa, call->sa_len);
			s->v[s->n].call.sa = s->v[s->n].sa;
		}
		s->n++;
	}
	return true;
}

static void on_loss(void *ctx, const struct event *ev)
{
	struct seen *s = ctx;

	if (ev->kind != EV_LOSS || s->nloss >= 16)
		return;
	s->loss[s->nloss] = *ev;
	snprintf(s->loss_src[s->nloss], sizeof(s->loss_src[0]), "%s", ev->loss.source);
	s->nloss++;
}

static uint64_t loss_of(const struct seen *s, const char *source)
{
	for (size_t i = 0; i < s->nloss; i++)
		if (!strcmp(s->loss_src[i], source))
			return s->loss[i].loss.count;
	return 0;
}

/* Forks a child that waits for a byte on `go`, runs fn, and exits. */
/*
 * A child that stops itself before reading the go byte: the caller adds it
 * to the fast path while it is stopped and then continues it, so the read of
 * the go byte is always entered after the task is known (a read entered
 * earlier has no recorded entry and would be missed, nondeterministically).
 */
static pid_t fork_child(int go[2], void (*fn)(void))
{
	pid_t pid = fork();
	int status;
	char b;

	if (pid == 0) {
		close(go[1]);
		raise(SIGSTOP);
		if (read(go[0], &b, 1) != 1)
			_exit(2);
		fn();
		_exit(0);
	}
	close(go[0]);
	assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
	assert_true(WIFSTOPPED(status));
	return pid;
}

static void child_io(void)
{
	char buf[64] = "0123456789";
	int null = open("/dev/null", O_WRONLY), zero = open("/dev/zero", O_RDONLY);
	int sv[2];
	struct sockaddr_un { sa_family_t f; char p[20]; } sa = { AF_UNIX, "\0fastpath-test" };

	for (int i = 0; i < 3; i++)
		if (write(null, buf, 10) != 10)
			_exit(3);
	if (pread(zero, buf, 5, 7) != 5)
		_exit(4);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		_exit(5);
	/* connected: EISCONN, and the address is recorded as given */
	if (sendto(sv[0], buf, 4, 0, (struct sockaddr *)&sa, 2 + 14) != -1)
		_exit(6);
	if (sendto(sv[0], buf, 4, 0, NULL, 0) != 4)
		_exit(6);
	if (recvfrom(sv[1], buf, sizeof(buf), 0, NULL, NULL) != 4)
		_exit(7);
	if (write(-1, buf, 1) != -1)
		_exit(8);
}

static void child_storm(void)
{
	char buf[8] = "x";
	int null = open("/dev/null", O_WRONLY);

	for (int i = 0; i < 1000; i++)
		if (write(null, buf, 1) != 1)
			_exit(3);
}

static struct fastpath *start(struct seen *s, pthread_mutex_t *mu, size_t ring)
{
	char why[256] = "";
	struct fastpath_opts o = { .lock = mu, .on_call = on_call, .ctx = s,
				   .ringbuf_bytes = ring };
	struct fastpath *f = fastpath_new(&o, why, sizeof(why));

	if (!f)
		print_message("fast path not started: %s\n", why);
	return f;
}

static void test_owns(void **state)
{
	(void)state;
	assert_true(fastpath_owns(SYS_read));
	assert_true(fastpath_owns(SYS_pwritev2));
	assert_true(fastpath_owns(SYS_recvmsg));
	assert_true(fastpath_owns(SYS_tee));
	assert_false(fastpath_owns(SYS_openat));
	assert_false(fastpath_owns(SYS_close));
	assert_false(fastpath_owns(SYS_sendmmsg)); /* stays on ptrace */
}

static void test_refused_without_privilege(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct seen *s = calloc(1, sizeof(*s));
	char why[256] = "";
	struct fastpath_opts o = { .lock = &mu, .on_call = on_call, .ctx = s };
	struct fastpath *f;

	(void)state;
	if (geteuid() == 0) {
		free(s);
		skip();
	}
	f = fastpath_new(&o, why, sizeof(why));
	assert_null(f);
	assert_non_null(strstr(why, "CAP_BPF"));
	free(s);
}

static void test_records_are_the_syscalls(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct seen *s = calloc(1, sizeof(*s));
	struct fastpath *f;
	int go[2], status;

	(void)state;
	if (geteuid() != 0 || !(f = start(s, &mu, 0))) {
		free(s);
		skip();
	}
	assert_int_equal(pipe(go), 0);
	s->child = fork_child(go, child_io);
	assert_int_equal(fastpath_task_new(f, s->child, s->child), 0);
	kill(s->child, SIGCONT);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(s->child, &status, 0), s->child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pthread_mutex_lock(&mu);
	fastpath_drain(f);
	pthread_mutex_unlock(&mu);
	fastpath_stop(f, (struct source_emit){ on_loss, s });

	/* the go byte, 3 writes, pread, 2 sendto, recvfrom, the failed write */
	assert_int_equal(s->n, 9);
	assert_int_equal(s->v[0].call.nr, SYS_read);
	assert_int_equal(s->v[0].call.ret, 1);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(s->v[i].call.nr, SYS_write);
		assert_int_equal(s->v[i].call.ret, 10);
		assert_int_equal(s->v[i].call.args[2], 10);
		assert_true(s->v[i].call.ts_exit_ns >= s->v[i].call.ts_enter_ns);
		assert_true(s->v[i].call.ts_enter_ns >= s->v[i - 1].call.ts_enter_ns);
		assert_int_equal(s->v[i].tid, s->child);
	}
	assert_int_equal(s->v[4].call.nr, SYS_pread64);
	assert_int_equal(s->v[4].call.args[3], 7);
	assert_int_equal(s->v[4].call.ret, 5);
	assert_int_equal(s->v[5].call.nr, SYS_sendto);
	assert_true(s->v[5].call.sa_known);
	assert_int_equal(s->v[5].call.sa_len, 16);
	assert_int_equal(s->v[5].call.ret, -EISCONN);
	assert_memory_equal(s->v[5].call.sa + 2, "\0fastpath-test", 14);
	assert_true(s->v[6].call.sa_known);
	assert_int_equal(s->v[6].call.sa_len, 0);
	assert_int_equal(s->v[6].call.ret, 4);
	assert_int_equal(s->v[7].call.nr, SYS_recvfrom);
	assert_true(s->v[7].call.sa_known);
	assert_int_equal(s->v[7].call.sa_len, 0);
	assert_int_equal(s->v[8].call.nr, SYS_write);
	assert_int_equal(s->v[8].call.ret, -EBADF);
	assert_int_equal(s->nloss, 0);
	free(s);
}

/* The reader cannot hand records over while we hold the lock: with a
 * one-page ring most of the 1000 writes are lost, and counted. */
static void test_losses_are_counted(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct seen *s = calloc(1, sizeof(*s));
	struct fastpath *f;
	int go[2], status;
	unsigned writes = 0;

	(void)state;
	if (geteuid() != 0 || !(f = start(s, &mu, 4096))) {
		free(s);
		skip();
	}
	assert_int_equal(pipe(go), 0);
	s->child = fork_child(go, child_storm);
	assert_int_equal(fastpath_task_new(f, s->child, s->child), 0);
	kill(s->child, SIGCONT);
	pthread_mutex_lock(&mu);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(s->child, &status, 0), s->child);
	pthread_mutex_unlock(&mu);
	fastpath_stop(f, (struct source_emit){ on_loss, s });

	for (size_t i = 0; i < s->n; i++)
		writes += s->v[i].call.nr == SYS_write;
	assert_true(loss_of(s, "fastpath-write") > 0);
	assert_int_equal(writes + loss_of(s, "fastpath-write"), 1000);
	assert_int_equal(loss_of(s, "fastpath-read"), 0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owns),
		cmocka_unit_test(test_refused_without_privilege),
		cmocka_unit_test(test_records_are_the_syscalls),
		cmocka_unit_test(test_losses_are_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

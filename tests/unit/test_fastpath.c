/*
 * test_fastpath.c - the fast path against the real kernel: a forked
 * child does known I/O and memory calls, the fast path is driven the way
 * the engine drives it (task_new before the child runs, drain with the
 * lock held, stop), and
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/bpfutil.h"
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

/* One of each memory call, raw (no libc allocator in between), with known
 * arguments; the results go to the parent through `mem_out`. */
static int mem_out = -1;

static void child_mem(void)
{
	long pg = 4096;
	uint64_t r[5];
	char *a = (char *)syscall(SYS_mmap, 0, 4 * pg, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED)
		_exit(3);
	r[0] = (uint64_t)(uintptr_t)a;
	if (syscall(SYS_mprotect, a, pg, PROT_READ) != 0)
		_exit(4);
	r[1] = (uint64_t)syscall(SYS_mremap, a + 2 * pg, 2 * pg, 3 * pg, MREMAP_MAYMOVE, 0);
	if ((void *)r[1] == MAP_FAILED)
		_exit(5);
	if (syscall(SYS_munmap, a, 2 * pg) != 0 || syscall(SYS_munmap, r[1], 3 * pg) != 0)
		_exit(6);
	r[2] = (uint64_t)syscall(SYS_brk, 0);
	r[3] = (uint64_t)syscall(SYS_brk, r[2] + 8 * pg);
	r[4] = (uint64_t)syscall(SYS_pkey_mprotect, a, pg, PROT_READ, -1); /* unmapped: ENOMEM */
	if (write(mem_out, r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(7);
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
	assert_true(fastpath_owns(SYS_brk));
	assert_true(fastpath_owns(SYS_mmap));
	assert_true(fastpath_owns(SYS_munmap));
	assert_true(fastpath_owns(SYS_mremap));
	assert_true(fastpath_owns(SYS_mprotect));
	assert_true(fastpath_owns(SYS_pkey_mprotect));
	assert_false(fastpath_owns(SYS_madvise)); /* not decoded at all */
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
	__typeof__(s->v[0]) *w;
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

	/* the go byte, the opens' results (ptrace takes their entry), 3 writes,
	 * pread, 2 sendto, recvfrom, the failed write */
	assert_int_equal(s->n, 11);
	assert_int_equal(s->v[0].call.nr, SYS_read);
	assert_int_equal(s->v[0].call.ret, 1);
	for (int i = 1; i <= 2; i++) {
		assert_int_equal(s->v[i].call.nr, SYS_openat);
		assert_true(s->v[i].call.ret >= 3); /* the fd */
		assert_true(s->v[i].call.ts_exit_ns >= s->v[i].call.ts_enter_ns);
	}
	assert_int_equal(s->v[2].call.ret, s->v[1].call.ret + 1);
	w = s->v + 2; /* w[k]: the k-th call after the opens */
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(w[i].call.nr, SYS_write);
		assert_int_equal(w[i].call.ret, 10);
		assert_int_equal(w[i].call.args[2], 10);
		assert_true(w[i].call.ts_exit_ns >= w[i].call.ts_enter_ns);
		assert_true(w[i].call.ts_enter_ns >= w[i - 1].call.ts_enter_ns);
		assert_int_equal(w[i].tid, s->child);
	}
	assert_int_equal(w[4].call.nr, SYS_pread64);
	assert_int_equal(w[4].call.args[3], 7);
	assert_int_equal(w[4].call.ret, 5);
	assert_int_equal(w[5].call.nr, SYS_sendto);
	assert_true(w[5].call.sa_known);
	assert_int_equal(w[5].call.sa_len, 16);
	assert_int_equal(w[5].call.ret, -EISCONN);
	assert_memory_equal(w[5].call.sa + 2, "\0fastpath-test", 14);
	assert_true(w[6].call.sa_known);
	assert_int_equal(w[6].call.sa_len, 0);
	assert_int_equal(w[6].call.ret, 4);
	assert_int_equal(w[7].call.nr, SYS_recvfrom);
	assert_true(w[7].call.sa_known);
	assert_int_equal(w[7].call.sa_len, 0);
	assert_int_equal(w[8].call.nr, SYS_write);
	assert_int_equal(w[8].call.ret, -EBADF);
	assert_int_equal(s->nloss, 0);
	free(s);
}

/* The memory calls: arguments and result as the ptrace path would see
 * them at the exit stop, in the task's order. */
static void test_memory_calls_are_recorded(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct seen *s = calloc(1, sizeof(*s));
	struct fastpath *f;
	int go[2], out[2], status;
	uint64_t r[5], pg = 4096;
	static const int32_t want[] = { SYS_read, SYS_mmap, SYS_mprotect, SYS_mremap,
					SYS_munmap, SYS_munmap, SYS_brk, SYS_brk,
					SYS_pkey_mprotect, SYS_write };

	(void)state;
	if (geteuid() != 0 || !(f = start(s, &mu, 0))) {
		free(s);
		skip();
	}
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(out), 0);
	mem_out = out[1];
	s->child = fork_child(go, child_mem);
	close(out[1]);
	assert_int_equal(fastpath_task_new(f, s->child, s->child), 0);
	kill(s->child, SIGCONT);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	assert_int_equal(read(out[0], r, sizeof(r)), (ssize_t)sizeof(r));
	close(out[0]);
	assert_int_equal(waitpid(s->child, &status, 0), s->child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pthread_mutex_lock(&mu);
	fastpath_drain(f);
	pthread_mutex_unlock(&mu);
	fastpath_stop(f, (struct source_emit){ on_loss, s });

	assert_int_equal(s->n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < s->n; i++) {
		assert_int_equal(s->v[i].call.nr, want[i]);
		assert_true(s->v[i].call.ts_exit_ns >= s->v[i].call.ts_enter_ns);
		if (i)
			assert_true(s->v[i].call.ts_enter_ns >= s->v[i - 1].call.ts_enter_ns);
	}
	/* mmap(0, 4 pages, rw, private|anon, -1, 0) */
	assert_int_equal(s->v[1].call.ret, r[0]);
	assert_int_equal(s->v[1].call.args[1], 4 * pg);
	assert_int_equal(s->v[1].call.args[2], PROT_READ | PROT_WRITE);
	assert_int_equal(s->v[1].call.args[3], MAP_PRIVATE | MAP_ANONYMOUS);
	assert_int_equal((int)s->v[1].call.args[4], -1);
	assert_int_equal(s->v[2].call.args[0], r[0]);
	assert_int_equal(s->v[2].call.args[2], PROT_READ);
	assert_int_equal(s->v[2].call.ret, 0);
	assert_int_equal(s->v[3].call.args[0], r[0] + 2 * pg);
	assert_int_equal(s->v[3].call.args[2], 3 * pg);
	assert_int_equal(s->v[3].call.args[3], MREMAP_MAYMOVE);
	assert_int_equal(s->v[3].call.ret, r[1]);
	assert_int_equal(s->v[5].call.args[0], r[1]);
	assert_int_equal(s->v[6].call.args[0], 0);
	assert_int_equal(s->v[6].call.ret, r[2]);
	assert_int_equal(s->v[7].call.args[0], r[2] + 8 * pg);
	assert_int_equal(s->v[7].call.ret, r[3]);
	assert_int_equal(s->v[8].call.ret, -ENOMEM);
	assert_int_equal((int)s->v[8].call.args[3], -1);
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
		cmocka_unit_test(test_memory_calls_are_recorded),
		cmocka_unit_test(test_losses_are_counted),
	};

	bpfutil_libbpf_messages(false); /* the refusals are the tests' own */
	return cmocka_run_group_tests(tests, NULL, NULL);
}

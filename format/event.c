/*
 * event.c - names of the event model's enums, syscalls, errnos and signals.
 *
 * Each table here is the only place its names are spelt; the JSON dump, the
 * terminal printer and the report all ask these functions.
 */
#define _GNU_SOURCE
#include "event.h"

#include <string.h>

#include "syscall_names.h" /* generated from <asm/unistd_64.h> by the Makefile */

#define NAME_AT(table, i) \
	((i) < sizeof(table) / sizeof((table)[0]) && (table)[i] ? (table)[i] : "unknown")

static const char *const kind_names[EV__COUNT] = {
	[EV_NONE] = "none",         [EV_SPAWN] = "spawn",
	[EV_EXEC] = "exec",         [EV_EXIT] = "exit",
	[EV_SIGNAL] = "signal",     [EV_OPEN] = "open",
	[EV_CLOSE] = "close",       [EV_FILE_OP] = "file_op",
	[EV_DUP] = "dup",           [EV_PIPE] = "pipe",
	[EV_SOCKET] = "socket",     [EV_CONNECT] = "connect",
	[EV_BIND] = "bind",         [EV_LISTEN] = "listen",
	[EV_ACCEPT] = "accept",     [EV_IO] = "io",
	[EV_TRANSFER] = "transfer", [EV_BRK] = "brk",
	[EV_MMAP] = "mmap",         [EV_MUNMAP] = "munmap",
	[EV_MREMAP] = "mremap",     [EV_MPROTECT] = "mprotect",
	[EV_FAULT] = "fault",       [EV_SCHED] = "sched",
	[EV_BLOCK] = "block",       [EV_HIST] = "hist",
	[EV_LOSS] = "loss",         [EV_NOTE] = "note",
	[EV_SYSCALL] = "syscall",   [EV_TASK] = "task",
};

const char *event_kind_name(enum event_kind k)
{
	return NAME_AT(kind_names, (unsigned)k);
}

enum event_kind event_kind_from_name(const char *name)
{
	for (unsigned k = 1; k < EV__COUNT; k++)
		if (strcmp(kind_names[k], name) == 0)
			return (enum event_kind)k;
	return EV_NONE;
}

static const char *const fd_kind_names[FD__COUNT] = {
	"unknown", "file", "socket", "pipe", "tty", "device", "anon", "dir",
};
const char *fd_kind_name(unsigned k) { return NAME_AT(fd_kind_names, k); }

static const char *const proto_names[PROTO__COUNT] = {
	"none", "tcp4", "tcp6", "udp4", "udp6", "unix", "netlink", "raw",
	"other", "unix-dgram",
};
const char *net_proto_name(unsigned p) { return NAME_AT(proto_names, p); }

static const char *const spawn_names[SPAWN__COUNT] = { "process", "thread", "vfork" };
const char *spawn_kind_name(unsigned k) { return NAME_AT(spawn_names, k); }

static const char *const file_op_names[FOP__COUNT] = {
	"unknown", "unlink", "rename", "mkdir", "rmdir", "truncate",
	"ftruncate", "chdir", "fchdir", "link", "symlink",
};
const char *file_op_name(unsigned op) { return NAME_AT(file_op_names, op); }

static const char *const io_op_names[IO__COUNT] = { "read", "write", "send", "recv" };
const char *io_op_name(unsigned op) { return NAME_AT(io_op_names, op); }

static const char *const hist_names[HIST__COUNT] = { "sched", "block" };
const char *hist_kind_name(unsigned k) { return NAME_AT(hist_names, k); }

static const char *const note_names[NOTE__COUNT] = { "info", "warning", "error" };
const char *note_level_name(unsigned l) { return NAME_AT(note_names, l); }

static const char *const end_names[REC_END__COUNT] = {
	"unknown", "completed", "interrupted", "detached", "killed", "error",
};
const char *rec_end_name(unsigned r) { return NAME_AT(end_names, r); }

const char *event_syscall_name(int32_t nr)
{
	if (nr < 0 || (size_t)nr >= sizeof(syscall_names) / sizeof(syscall_names[0]))
		return NULL;
	return syscall_names[nr];
}

int32_t event_syscall_number(const char *name)
{
	for (size_t i = 0; i < sizeof(syscall_names) / sizeof(syscall_names[0]); i++)
		if (syscall_names[i] && strcmp(syscall_names[i], name) == 0)
			return (int32_t)i;
	return -1;
}

const char *event_errno_name(uint32_t err)
{
	/* The kernel's own restart codes (include/linux/errno.h): a syscall
	 * interrupted by a signal returns one at its exit, which ptrace and
	 * the fast path both see before the signal is handled. */
	static const char *const restart[] = {
		"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD",
		"ERESTART_RESTARTBLOCK",
	};

	if (err >= 512 && err < 512 + sizeof(restart) / sizeof(restart[0]))
		return restart[err - 512];
	if (err == 0 || err > 4095)
		return NULL;
	return strerrorname_np((int)err);
}

const char *event_signal_name(uint32_t sig)
{
	static const char *const names[] = {
		[1] = "SIGHUP",   [2] = "SIGINT",    [3] = "SIGQUIT",  [4] = "SIGILL",
		[5] = "SIGTRAP",  [6] = "SIGABRT",   [7] = "SIGBUS",   [8] = "SIGFPE",
		[9] = "SIGKILL",  [10] = "SIGUSR1",  [11] = "SIGSEGV", [12] = "SIGUSR2",
		[13] = "SIGPIPE", [14] = "SIGALRM",  [15] = "SIGTERM", [16] = "SIGSTKFLT",
		[17] = "SIGCHLD", [18] = "SIGCONT",  [19] = "SIGSTOP", [20] = "SIGTSTP",
		[21] = "SIGTTIN", [22] = "SIGTTOU",  [23] = "SIGURG",  [24] = "SIGXCPU",
		[25] = "SIGXFSZ", [26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH",
		[29] = "SIGIO",   [30] = "SIGPWR",   [31] = "SIGSYS",
	};
	if (sig < sizeof(names) / sizeof(names[0]))
		return names[sig];
	return NULL;
}

/* ---- tee ---------------------------------------------------------------- */

static void tee_header(void *ctx, const struct rec_header *h)
{
	const struct event_tee *t = ctx;
	for (unsigned i = 0; i < t->n; i++)
		if (t->sinks[i].header)
			t->sinks[i].header(t->sinks[i].ctx, h);
}

static void tee_event(void *ctx, const struct event *ev)
{
	const struct event_tee *t = ctx;
	for (unsigned i = 0; i < t->n; i++)
		if (t->sinks[i].event)
			t->sinks[i].event(t->sinks[i].ctx, ev);
}

static void tee_trailer(void *ctx, const struct rec_trailer *tr)
{
	const struct event_tee *t = ctx;
	for (unsigned i = 0; i < t->n; i++)
		if (t->sinks[i].trailer)
			t->sinks[i].trailer(t->sinks[i].ctx, tr);
}

static void tee_end(void *ctx, const struct rec_integrity *in)
{
	const struct event_tee *t = ctx;
	for (unsigned i = 0; i < t->n; i++)
		if (t->sinks[i].end)
			t->sinks[i].end(t->sinks[i].ctx, in);
}

struct event_sink event_tee_sink(struct event_tee *tee)
{
	return (struct event_sink){ .ctx = tee, .header = tee_header, .event = tee_event,
				    .trailer = tee_trailer, .end = tee_end };
}

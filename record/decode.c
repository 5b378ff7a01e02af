/*
 * decode.c - the table of decoded syscalls, dispatch, and helpers shared by
 * decode_file.c, decode_net.c, decode_io.c and decode_mem.c.
 */
#define _GNU_SOURCE
#include "record/decode.h"

#include <fcntl.h>
#include <string.h>

#include "record/decode_impl.h"
#include "record/fdtable.h"
#include "record/fsinfo.h"
#include "record/tmem.h"

/* Larger than any syscall number the list uses (checked at compile time). */
#define DECODE_NR_MAX 512

#define DECODE_ENTRY(nr, fn) { nr, fn },
const struct decoder decode_table[] = { DECODE_LIST(DECODE_ENTRY) };
#undef DECODE_ENTRY
const unsigned decode_table_len = sizeof(decode_table) / sizeof(decode_table[0]);

#define DECODE_BY_NR(nr, fn) [nr] = fn,
static const decode_fn decode_by_nr[DECODE_NR_MAX] = { DECODE_LIST(DECODE_BY_NR) };
#undef DECODE_BY_NR

#define DECODE_CHECK_NR(nr, fn) _Static_assert((nr) < DECODE_NR_MAX, "raise DECODE_NR_MAX");
DECODE_LIST(DECODE_CHECK_NR)
#undef DECODE_CHECK_NR

decode_fn decode_lookup(int32_t nr)
{
	if (nr < 0 || nr >= DECODE_NR_MAX)
		return NULL;
	return decode_by_nr[nr];
}

void decode_event_init(struct event *ev, enum event_kind kind,
		       const struct decode_ctx *c, const struct syscall_call *call)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->ts_ns = call->ts_enter_ns;
	ev->dur_ns = call->ts_exit_ns > call->ts_enter_ns ? call->ts_exit_ns - call->ts_enter_ns : 0;
	ev->pid = (uint32_t)c->pid;
	ev->tid = (uint32_t)c->tid;
	ev->sysno = call->nr;
	ev->err = decode_failed(call) ? (uint32_t)-call->ret : 0;
}

void decode_emit(const struct decode_ctx *c, const struct event *ev)
{
	if (c->out && c->out->event)
		c->out->event(c->out->ctx, ev);
}

static void decode_raw(struct decode_ctx *c, const struct syscall_call *call)
{
	struct event ev;

	decode_event_init(&ev, EV_SYSCALL, c, call);
	ev.syscall.nargs = EVENT_MAX_SYSCALL_ARGS;
	memcpy(ev.syscall.args, call->args, sizeof(ev.syscall.args));
	ev.syscall.ret = call->ret;
	decode_emit(c, &ev);
}

void decode_syscall(struct decode_ctx *c, const struct syscall_call *call)
{
	decode_fn fn = decode_lookup(call->nr);

	if (fn)
		fn(c, call);
	else if (c->verbose_raw)
		decode_raw(c, call);
}

const char *decode_path(struct decode_ctx *c, int dirfd, uint64_t addr, char *out)
{
	char raw[DECODE_PATH_MAX];

	if (tmem_read_string(c->tid, addr, raw, sizeof(raw), NULL) < 0)
		return NULL;
	fsinfo_abspath(c->fs, c->fds, c->tid, dirfd, raw, out, DECODE_PATH_MAX);
	return out;
}

uint8_t decode_kind_of_path(const char *path, uint32_t flags)
{
	if (!path)
		return FD_UNKNOWN;
	if (strncmp(path, "/dev/pts/", 9) == 0 || strncmp(path, "/dev/tty", 8) == 0 ||
	    strcmp(path, "/dev/console") == 0 || strcmp(path, "/dev/ptmx") == 0)
		return FD_TTY;
	if (strncmp(path, "/dev/", 5) == 0)
		return FD_DEVICE;
	if ((flags & __O_TMPFILE) == __O_TMPFILE) /* O_TMPFILE includes O_DIRECTORY */
		return FD_FILE;
	if (flags & O_DIRECTORY)
		return FD_DIR;
	return FD_FILE;
}

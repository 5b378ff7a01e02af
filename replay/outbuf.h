/*
 * outbuf.h - a buffered output writer for the sinks (JSON, printer, FINAL).
 *
 * Why not stdio: the sinks need (1) no per-event allocation and cheap
 * integer formatting, because `show` must do millions of events per second,
 * (2) a closed pipe (`| head`) to end the output quietly instead of killing
 * the process, so a recording being written alongside still completes, and
 * (3) an in-memory mode for unit tests and for the HTML report.
 *
 * An outbuf writes to a file descriptor, or grows in memory. Errors stick:
 * after the first failed write (EPIPE, ENOSPC, ...) `err` holds the errno and
 * every later write is dropped silently; the owner checks `err` at the end.
 * Writing to a closed pipe yields EPIPE only if SIGPIPE does not kill us
 * first: callers install outbuf_ignore_sigpipe().
 */
#ifndef COMPENDIUM_OUTBUF_H
#define COMPENDIUM_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define OUTBUF_SIZE (64u << 10)

struct outbuf {
	char *buf;
	size_t len, cap;
	int fd;          /* -1: memory mode */
	int err;         /* first errno met, 0 while fine */
	bool line_flush; /* flush after each outbuf_end_line() (live output) */
};

/* Writes to `fd` (not closed by outbuf_free). Returns 0 or -ENOMEM. */
int outbuf_init_fd(struct outbuf *o, int fd);
/* Collects everything in memory: o->buf / o->len (NUL-terminated). */
int outbuf_init_mem(struct outbuf *o);
/* Flushes (fd mode) and frees the buffer. Returns o->err as -errno. */
int outbuf_free(struct outbuf *o);
/* Writes the buffered bytes out (fd mode); no-op in memory mode. */
int outbuf_flush(struct outbuf *o);
/* Memory mode: forgets the contents (tests reuse one buffer). */
void outbuf_reset(struct outbuf *o);

/* Makes room for `n` more bytes; slow path of the inline writers. */
void outbuf_reserve_slow(struct outbuf *o, size_t n);

/*
 * Installs a do-nothing SIGPIPE handler (not SIG_IGN: a handler is reset at
 * execve, so a program we spawn still gets the default disposition), so
 * writes to a closed pipe fail with EPIPE.
 */
void outbuf_ignore_sigpipe(void);

/* Returns a pointer where `n` bytes can be written, then call outbuf_commit. */
static inline char *outbuf_space(struct outbuf *o, size_t n)
{
	if (o->cap - o->len < n + 1)
		outbuf_reserve_slow(o, n + 1);
	return o->buf + o->len;
}

static inline void outbuf_commit(struct outbuf *o, size_t n)
{
	o->len += n;
}

static inline void outbuf_write(struct outbuf *o, const void *p, size_t n)
{
	memcpy(outbuf_space(o, n), p, n);
	o->len += n;
}

static inline void outbuf_puts(struct outbuf *o, const char *s)
{
	outbuf_write(o, s, strlen(s));
}

static inline void outbuf_putc(struct outbuf *o, char c)
{
	*outbuf_space(o, 1) = c;
	o->len++;
}

/* `n` spaces (padding). */
void outbuf_pad(struct outbuf *o, size_t n);
void outbuf_u64(struct outbuf *o, uint64_t v);
void outbuf_i64(struct outbuf *o, int64_t v);
/* lowercase hex without prefix */
void outbuf_hex(struct outbuf *o, uint64_t v);
void outbuf_printf(struct outbuf *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* End of a line: writes '\n', flushes when line_flush is set. */
void outbuf_end_line(struct outbuf *o);

#endif

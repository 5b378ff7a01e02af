/*
 * outbuf.c - buffered output for the sinks; see outbuf.h for why.
 */
#define _GNU_SOURCE
#include "outbuf.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int outbuf_init_fd(struct outbuf *o, int fd)
{
	*o = (struct outbuf){ .fd = fd };
	o->buf = malloc(OUTBUF_SIZE);
	if (!o->buf)
		return -ENOMEM;
	o->cap = OUTBUF_SIZE;
	return 0;
}

int outbuf_init_mem(struct outbuf *o)
{
	*o = (struct outbuf){ .fd = -1 };
	o->buf = malloc(4096);
	if (!o->buf)
		return -ENOMEM;
	o->cap = 4096;
	o->buf[0] = 0;
	return 0;
}

int outbuf_flush(struct outbuf *o)
{
	if (o->fd < 0) {
		if (o->buf)
			o->buf[o->len] = 0;
		return -o->err;
	}
	size_t off = 0;
	while (off < o->len && !o->err) {
		ssize_t n = write(o->fd, o->buf + off, o->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			o->err = errno;
			break;
		}
		off += (size_t)n;
	}
	o->len = 0;
	return -o->err;
}

int outbuf_free(struct outbuf *o)
{
	int rc = outbuf_flush(o);
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
	return rc;
}

void outbuf_reset(struct outbuf *o)
{
	o->len = 0;
	if (o->buf)
		o->buf[0] = 0;
}

void outbuf_reserve_slow(struct outbuf *o, size_t n)
{
	if (o->fd >= 0) {
		outbuf_flush(o);
		if (o->cap >= n)
			return;
	}
	size_t cap = o->cap ? o->cap : 4096;
	while (cap - o->len < n)
		cap *= 2;
	char *b = realloc(o->buf, cap);
	if (!b) {
		/* Out of memory: drop what we have rather than crash. */
		o->err = ENOMEM;
		o->len = 0;
		if (o->cap >= n)
			return;
		abort();
	}
	o->buf = b;
	o->cap = cap;
}

static void sigpipe_noop(int sig)
{
	(void)sig;
}

void outbuf_ignore_sigpipe(void)
{
	struct sigaction sa = { .sa_handler = sigpipe_noop };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGPIPE, &sa, NULL);
}

void outbuf_pad(struct outbuf *o, size_t n)
{
	memset(outbuf_space(o, n), ' ', n);
	o->len += n;
}

void outbuf_u64(struct outbuf *o, uint64_t v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	outbuf_write(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

void outbuf_i64(struct outbuf *o, int64_t v)
{
	if (v < 0) {
		outbuf_putc(o, '-');
		outbuf_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		outbuf_u64(o, (uint64_t)v);
	}
}

void outbuf_hex(struct outbuf *o, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	char *p = tmp + sizeof(tmp);
	do {
		*--p = digits[v & 15];
		v >>= 4;
	} while (v);
	outbuf_write(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

void outbuf_printf(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= o->cap - o->len) {
		outbuf_space(o, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
	}
	o->len += (size_t)n;
}

void outbuf_end_line(struct outbuf *o)
{
	outbuf_putc(o, '\n');
	if (o->line_flush || (o->fd >= 0 && o->len > o->cap - 1024))
		outbuf_flush(o);
	else if (o->fd < 0)
		o->buf[o->len] = 0;
}

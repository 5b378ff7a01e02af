/*
 * escape.c - terminal, JSON and HTML escaping of untrusted bytes.
 *
 * The schemes are specified in escape.h. The fast path (printable ASCII
 * without anything to escape) copies runs with one memcpy, which is what
 * keeps `show --json` above a million events per second.
 */
#include "escape.h"

#include <stdbool.h>
#include <stdint.h>

static const char hexdig[] = "0123456789abcdef";

size_t escape_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0; /* continuation byte, overlong 2-byte lead, or > U+10FFFF */
	if (c < 0xe0) {
		if (n < 2 || (s[1] & 0xc0) != 0x80)
			return 0;
		return 2;
	}
	if (c < 0xf0) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0; /* UTF-16 surrogate */
		return 3;
	}
	if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
	    (s[3] & 0xc0) != 0x80)
		return 0;
	if (c == 0xf0 && s[1] < 0x90)
		return 0; /* overlong */
	if (c == 0xf4 && s[1] >= 0x90)
		return 0; /* above U+10FFFF */
	return 4;
}

/* A valid sequence that a terminal must not receive raw. */
static bool unsafe_sequence(const unsigned char *s, size_t len)
{
	if (len == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return true; /* C1 control U+0080..U+009F */
	if (len == 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0xaa && s[2] <= 0xae)
		return true; /* bidi embedding/override U+202A..U+202E */
	if (len == 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
		return true; /* bidi isolates U+2066..U+2069 */
	return false;
}

static inline bool plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\\';
}

static void put_xbyte(struct outbuf *o, unsigned char c)
{
	char *p = outbuf_space(o, 4);
	p[0] = '\\';
	p[1] = 'x';
	p[2] = hexdig[c >> 4];
	p[3] = hexdig[c & 15];
	outbuf_commit(o, 4);
}

/* Shared by the terminal and HTML schemes: one non-plain position. */
static size_t term_special(struct outbuf *o, const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	switch (c) {
	case '\\': outbuf_write(o, "\\\\", 2); return 1;
	case '\n': outbuf_write(o, "\\n", 2); return 1;
	case '\t': outbuf_write(o, "\\t", 2); return 1;
	case '\r': outbuf_write(o, "\\r", 2); return 1;
	}
	if (c < 0x80) {
		put_xbyte(o, c);
		return 1;
	}
	size_t len = escape_utf8_len(s, n);
	if (len == 0) {
		put_xbyte(o, c);
		return 1;
	}
	if (unsafe_sequence(s, len)) {
		for (size_t i = 0; i < len; i++)
			put_xbyte(o, s[i]);
		return len;
	}
	outbuf_write(o, s, len);
	return len;
}

void escape_term_n(struct outbuf *o, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && plain_ascii(s[run]))
			run++;
		if (run > i) {
			outbuf_write(o, s + i, run - i);
			i = run;
			continue;
		}
		i += term_special(o, s + i, n - i);
	}
}

void escape_term(struct outbuf *o, const char *s)
{
	if (s)
		escape_term_n(o, s, strlen(s));
}

size_t escape_term_width(const char *str)
{
	if (!str)
		return 0;
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), w = 0, i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (plain_ascii(c)) {
			w++;
			i++;
		} else if (c == '\\' || c == '\n' || c == '\t' || c == '\r') {
			w += 2;
			i++;
		} else if (c < 0x80) {
			w += 4;
			i++;
		} else {
			size_t len = escape_utf8_len(s + i, n - i);
			if (len == 0) {
				w += 4;
				i++;
			} else {
				w += unsafe_sequence(s + i, len) ? 4 * len : 1;
				i += len;
			}
		}
	}
	return w;
}

/* ---- JSON --------------------------------------------------------------- */

static inline bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void put_u(struct outbuf *o, unsigned hi, unsigned char b)
{
	char *p = outbuf_space(o, 6);
	p[0] = '\\';
	p[1] = 'u';
	p[2] = hexdig[(hi >> 4) & 15];
	p[3] = hexdig[hi & 15];
	p[4] = hexdig[b >> 4];
	p[5] = hexdig[b & 15];
	outbuf_commit(o, 6);
}

void escape_json_n(struct outbuf *o, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	outbuf_putc(o, '"');
	while (i < n) {
		size_t run = i;
		while (run < n && json_plain(s[run]))
			run++;
		if (run > i) {
			outbuf_write(o, s + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			char *p = outbuf_space(o, 2);
			p[0] = '\\';
			p[1] = (char)c;
			outbuf_commit(o, 2);
			i++;
		} else if (c < 0x80) {
			put_u(o, 0x00, c); /* C0 control or DEL */
			i++;
		} else {
			size_t len = escape_utf8_len(s + i, n - i);
			if (len == 0) {
				put_u(o, 0xdc, c); /* surrogateescape */
				i++;
			} else if (len == 2 && c == 0xc2 && s[i + 1] < 0xa0) {
				put_u(o, 0x00, s[i + 1]); /* C1 control */
				i += 2;
			} else {
				outbuf_write(o, s + i, len);
				i += len;
			}
		}
	}
	outbuf_putc(o, '"');
}

void escape_json(struct outbuf *o, const char *s)
{
	if (s)
		escape_json_n(o, s, strlen(s));
	else
		outbuf_write(o, "null", 4);
}

/* ---- HTML --------------------------------------------------------------- */

void escape_html_n(struct outbuf *o, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		const char *ent = NULL;
		switch (c) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		}
		if (ent) {
			outbuf_puts(o, ent);
			i++;
		} else if (plain_ascii(c)) {
			outbuf_putc(o, (char)c);
			i++;
		} else {
			i += term_special(o, s + i, n - i);
		}
	}
}

void escape_html(struct outbuf *o, const char *s)
{
	if (s)
		escape_html_n(o, s, strlen(s));
}

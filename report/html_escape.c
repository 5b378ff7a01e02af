/*
 * html_escape.c - JSON strings safe inside <script> (html_escape.h).
 *
 * It reuses escape_json_n() for the JSON scheme and rewrites, in place, the
 * few characters that matter to the HTML parser. Most strings hold none, and
 * then the only cost is one scan.
 */
#include "html_escape.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "replay/escape.h"

static bool html_special(const unsigned char *p, size_t left)
{
	if (*p == '<' || *p == '>' || *p == '&')
		return true;
	/* U+2028 / U+2029: E2 80 A8 / E2 80 A9 */
	return left >= 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9);
}

void html_json_string_n(struct outbuf *o, const char *s, size_t n)
{
	size_t start = o->len;
	escape_json_n(o, s, n);
	size_t len = o->len - start;
	const unsigned char *q = (const unsigned char *)o->buf + start;
	size_t first = len;
	for (size_t i = 0; i < len; i++) {
		if (html_special(q + i, len - i)) {
			first = i;
			break;
		}
	}
	if (first == len)
		return;
	/* rare: copy the escaped tail aside and write it again, rewritten */
	size_t tail = len - first;
	unsigned char *tmp = malloc(tail);
	if (!tmp) {
		/* no memory: drop the string rather than emit an unsafe one */
		o->len = start;
		outbuf_write(o, "\"\"", 2);
		return;
	}
	memcpy(tmp, q + first, tail);
	o->len = start + first;
	for (size_t i = 0; i < tail;) {
		if (!html_special(tmp + i, tail - i)) {
			outbuf_putc(o, (char)tmp[i++]);
			continue;
		}
		switch (tmp[i]) {
		case '<': outbuf_write(o, "\\u003c", 6); i++; break;
		case '>': outbuf_write(o, "\\u003e", 6); i++; break;
		case '&': outbuf_write(o, "\\u0026", 6); i++; break;
		default:
			outbuf_write(o, tmp[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			i += 3;
			break;
		}
	}
	free(tmp);
}

void html_json_string(struct outbuf *o, const char *s)
{
	if (s)
		html_json_string_n(o, s, strlen(s));
	else
		outbuf_write(o, "null", 4);
}

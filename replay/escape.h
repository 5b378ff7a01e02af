/*
 * escape.h - the one place where untrusted bytes (paths, argv, comm, socket
 * addresses from a tracee or a recording) are made safe for an output.
 *
 * Strings are arbitrary bytes: Linux paths may hold control characters and
 * invalid UTF-8. Each scheme below is lossless (distinct inputs give distinct
 * outputs) and documented in README.md ("Escaping").
 *
 * Terminal (escape_term): printable ASCII and valid UTF-8 go through, except
 *   that a backslash becomes "\\"; "\n", "\t", "\r" are written as those two
 *   characters; every other control byte (C0, DEL), every C1 control
 *   (U+0080..U+009F, which some terminals obey), Unicode bidi controls
 *   (U+202A..U+202E, U+2066..U+2069) and every byte that is not part of a
 *   valid UTF-8 sequence become "\xNN" per byte (lowercase hex). So ESC is
 *   "\x1b" and an invalid byte 0xff is "\xff".
 *
 * JSON (escape_json): a JSON string literal, quotes included, that is pure
 *   ASCII-safe valid JSON: '"' and '\' are backslash-escaped, control
 *   characters (U+0000..U+001F, U+007F..U+009F) become "\u00XX", valid UTF-8
 *   is copied as is, and each byte b that is not part of a valid UTF-8
 *   sequence becomes "\udcXX" (U+DC00 + b, a lone low surrogate), the
 *   "surrogateescape" scheme of Python: json.loads() followed by
 *   s.encode("utf-8", "surrogateescape") gives back the original bytes. A
 *   valid UTF-8 text never decodes to a lone surrogate, so it is lossless.
 *
 * HTML (escape_html): text safe inside an element or a quoted attribute:
 *   & < > " ' become entities; control bytes, C1 controls, bidi controls and
 *   invalid bytes are shown as "\xNN" like the terminal scheme (an HTML page
 *   must be valid UTF-8).
 */
#ifndef COMPENDIUM_ESCAPE_H
#define COMPENDIUM_ESCAPE_H

#include <stddef.h>

#include "outbuf.h"

/* NULL is written as nothing (term, html) or as the literal null (json). */
void escape_term(struct outbuf *o, const char *s);
void escape_json(struct outbuf *o, const char *s);
void escape_html(struct outbuf *o, const char *s);

/* The same for a byte range that may hold NUL bytes. */
void escape_term_n(struct outbuf *o, const char *s, size_t n);
void escape_json_n(struct outbuf *o, const char *s, size_t n);
void escape_html_n(struct outbuf *o, const char *s, size_t n);

/*
 * Length of the valid UTF-8 sequence starting at s[0] (1..4), or 0 when s[0]
 * does not start one within `n` bytes (overlong forms, surrogates and code
 * points above U+10FFFF are invalid). ASCII gives 1.
 */
size_t escape_utf8_len(const unsigned char *s, size_t n);

/* Columns a terminal-escaped string takes (for alignment). */
size_t escape_term_width(const char *s);

#endif

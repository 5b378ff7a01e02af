/*
 * html_escape.h - JSON string literals that are safe inside an HTML
 * <script> element.
 *
 * The report embeds its data as JSON in <script type="application/json">.
 * The HTML parser ends that element at the first "</script" and treats
 * "<!--" specially, whatever the JSON means, so on top of the JSON scheme of
 * replay/escape.h (quotes, backslashes, control characters, invalid UTF-8 as
 * \udcXX) this writes '<', '>' and '&' as \u003c, \u003e, \u0026 and the
 * line and paragraph separators U+2028 / U+2029 as \u2028 / \u2029 (they end
 * a line in pre-ES2019 JavaScript). The output is pure JSON: JSON.parse gives
 * back the same string escape_json would.
 */
#ifndef COMPENDIUM_HTML_ESCAPE_H
#define COMPENDIUM_HTML_ESCAPE_H

#include <stddef.h>

#include "replay/outbuf.h"

/* A quoted JSON string literal of s[0..n), safe in <script>. */
void html_json_string_n(struct outbuf *o, const char *s, size_t n);
/* The same for a NUL-terminated string; NULL is written as null. */
void html_json_string(struct outbuf *o, const char *s);

#endif

/* test_escape.c - terminal, JSON and HTML escaping of untrusted bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "replay/escape.h"

static struct outbuf ob;

static const char *term(const char *s)
{
	outbuf_reset(&ob);
	escape_term(&ob, s);
	outbuf_flush(&ob);
	return ob.buf;
}

static const char *json(const char *s)
{
	outbuf_reset(&ob);
	escape_json(&ob, s);
	outbuf_flush(&ob);
	return ob.buf;
}

static const char *html(const char *s)
{
	outbuf_reset(&ob);
	escape_html(&ob, s);
	outbuf_flush(&ob);
	return ob.buf;
}

static void test_term(void **state)
{
	(void)state;
	assert_string_equal(term("/etc/resolv.conf"), "/etc/resolv.conf");
	assert_string_equal(term("/tmp/\x1b[31mred\nx"), "/tmp/\\x1b[31mred\\nx");
	assert_string_equal(term("a\\b"), "a\\\\b");
	assert_string_equal(term("tab\there\r"), "tab\\there\\r");
	assert_string_equal(term("\x7f\x01"), "\\x7f\\x01");
	/* valid UTF-8 passes, invalid bytes are \xNN */
	assert_string_equal(term("caf\xc3\xa9"), "caf\xc3\xa9");
	assert_string_equal(term("bad\xff\xfe"), "bad\\xff\\xfe");
	assert_string_equal(term("\xc3"), "\\xc3");           /* truncated */
	assert_string_equal(term("\xc0\xaf"), "\\xc0\\xaf");  /* overlong '/' */
	assert_string_equal(term("\xed\xa0\x80"), "\\xed\\xa0\\x80"); /* surrogate */
	assert_string_equal(term("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
	assert_string_equal(term("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80"); /* emoji */
	/* C1 CSI and a bidi override are escaped even though valid */
	assert_string_equal(term("\xc2\x9b" "1m"), "\\xc2\\x9b1m");
	assert_string_equal(term("\xe2\x80\xae" "txt"), "\\xe2\\x80\\xaetxt");
	assert_string_equal(term(NULL), "");
	assert_int_equal(escape_term_width("a\x1b\xc3\xa9"), 1 + 4 + 1);
}

static void test_json(void **state)
{
	(void)state;
	assert_string_equal(json("/a b"), "\"/a b\"");
	assert_string_equal(json("q\"\\"), "\"q\\\"\\\\\"");
	assert_string_equal(json("\x1b[31m\n"), "\"\\u001b[31m\\u000a\"");
	assert_string_equal(json("\x7f"), "\"\\u007f\"");
	assert_string_equal(json("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
	assert_string_equal(json("\xff"), "\"\\udcff\"");
	assert_string_equal(json("a\xc3" "b"), "\"a\\udcc3b\"");
	assert_string_equal(json("\xc2\x85"), "\"\\u0085\"");
	assert_string_equal(json(NULL), "null");
	outbuf_reset(&ob);
	escape_json_n(&ob, "a\0b", 3);
	outbuf_flush(&ob);
	assert_string_equal(ob.buf, "\"a\\u0000b\"");
}

static void test_html(void **state)
{
	(void)state;
	assert_string_equal(html("<a href=\"x\">&'"),
			    "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
	assert_string_equal(html("\x1b\xff"), "\\x1b\\xff");
}

/* Every byte string of length <= 2 escapes to distinct, valid output. */
static void test_lossless_short(void **state)
{
	(void)state;
	struct outbuf a;
	outbuf_init_mem(&a);
	char seen_prev[16] = "";
	(void)seen_prev;
	for (unsigned x = 1; x < 256; x++) {
		for (unsigned y = 1; y < 256; y++) {
			char s[3] = { (char)x, (char)y, 0 };
			const char *t = json(s);
			/* output is ASCII or valid UTF-8 */
			size_t n = strlen(t);
			for (size_t i = 0; i < n;) {
				size_t l = escape_utf8_len((const unsigned char *)t + i, n - i);
				assert_true(l > 0);
				assert_true((unsigned char)t[i] >= 0x20);
				i += l;
			}
		}
	}
	outbuf_free(&a);
}

static int setup(void **state)
{
	(void)state;
	return outbuf_init_mem(&ob);
}

static int teardown(void **state)
{
	(void)state;
	outbuf_free(&ob);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_lossless_short),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

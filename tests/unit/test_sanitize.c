// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The one filter of kernel and file strings (tools/lib/cli/sanitize.c), on hostile names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "cli/sanitize.h"

/* what every output of the filter must be: valid UTF-8, no control character */
static void assert_clean(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	json_t *j = json_string(s);	/* jansson refuses invalid UTF-8 */

	assert_non_null(j);
	json_decref(j);
	for (size_t i = 0; u[i]; i++) {
		assert_true(u[i] >= 0x20 && u[i] != 0x7f);
		if (u[i] == 0xc2)	/* U+0080..U+009F, the C1 controls */
			assert_true(u[i + 1] >= 0xa0);
	}
}

static void check(const char *in, size_t inlen, const char *want)
{
	char out[512];
	size_t n = devmem_sanitize(out, sizeof(out), in, inlen, 0);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	assert_clean(out);
}

#define CHECK(in, want) check(in, sizeof(in) - 1, want)

static void test_terminal_sequences(void **state)
{
	CHECK("\x1b[2J", "\\x1b[2J");
	CHECK("\x1b]0;title\x07", "\\x1b]0;title\\x07");	/* OSC: sets the window title */
	CHECK("a\x9b" "31mb", "a\\x9b31mb");			/* 8-bit CSI */
	CHECK("a\xc2\x9b" "31mb", "a\\xc2\\x9b31mb");		/* the CSI as UTF-8 C1 */
	/* C1 ends at U+009F */
	CHECK("\xc2\x80\xc2\x9f\xc2\xa0", "\\xc2\\x80\\xc2\\x9f\xc2\xa0");
	CHECK("del\x7f", "del\\x7f");
	CHECK("tab\tnl\ncr\r", "tab\\x09nl\\x0acr\\x0d");
	CHECK("\x01\x1f ", "\\x01\\x1f ");
	/* a right-to-left override would reorder the rest of the line */
	CHECK("a\xe2\x80\xae" "b", "a\\xe2\\x80\\xaeb");
	CHECK("\xe2\x81\xa6x\xe2\x81\xa9", "\\xe2\\x81\\xa6x\\xe2\\x81\\xa9");
	CHECK("\xef\xbf\xbe\xef\xbf\xbf", "\\xef\\xbf\\xbe\\xef\\xbf\\xbf");
}

static void test_invalid_utf8(void **state)
{
	/* truncated sequences, also at the end of the input */
	CHECK("ab\xc3", "ab\\xc3");
	CHECK("\xe2\x82" "x", "\\xe2\\x82x");
	CHECK("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
	/* overlong forms of '/' and of U+20AC */
	CHECK("\xc0\xaf", "\\xc0\\xaf");
	CHECK("\xc1\xbf", "\\xc1\\xbf");
	CHECK("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
	CHECK("\xf0\x82\x82\xac", "\\xf0\\x82\\x82\\xac");
	/* surrogates, high and low */
	CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80");
	CHECK("\xed\xbf\xbf", "\\xed\\xbf\\xbf");
	/* above U+10FFFF, and bytes that never start a character */
	CHECK("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	CHECK("\xf5\xff\xfe", "\\xf5\\xff\\xfe");
	CHECK("\x80\xbf", "\\x80\\xbf");
	/* the largest valid characters next to the bounds pass */
	CHECK("\xed\x9f\xbf\xf4\x8f\xbf\xbf", "\xed\x9f\xbf\xf4\x8f\xbf\xbf");
}

static void test_backslash_and_valid(void **state)
{
	CHECK("a\\b", "a\\\\b");
	CHECK("\\x1b", "\\\\x1b");	/* an escape that was text reads back as text */
	CHECK("caf\xc3\xa9", "caf\xc3\xa9");				/* é */
	CHECK("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");	/* 日本 */
	CHECK("\xf0\x9f\x98\x80 ok", "\xf0\x9f\x98\x80 ok");
	CHECK("hmm_dmirror", "hmm_dmirror");
	CHECK("", "");
}

static void test_spaces(void **state)
{
	char out[64];

	devmem_sanitize(out, sizeof(out), "Web Content", 64, DEVMEM_SANITIZE_SPACE);
	assert_string_equal(out, "Web\\x20Content");
	devmem_sanitize(out, sizeof(out), "Web Content", 64, 0);
	assert_string_equal(out, "Web Content");
}

/* a comm is 16 bytes that may lack a NUL: the filter reads no further */
static void test_comm_without_nul(void **state)
{
	struct {
		char comm[16];
		char after[8];
	} ev;
	char out[128];

	memset(ev.comm, 'x', sizeof(ev.comm));
	memcpy(ev.after, "\x1b[2J!!!", 8);
	assert_int_equal(devmem_sanitize(out, sizeof(out), ev.comm, sizeof(ev.comm), 0), 16);
	assert_string_equal(out, "xxxxxxxxxxxxxxxx");
	/* a character cut by the field's end is escaped, not completed from beyond */
	memcpy(ev.comm + 15, "\xc3", 1);
	memcpy(ev.after, "\xa9", 2);
	devmem_sanitize(out, sizeof(out), ev.comm, sizeof(ev.comm), 0);
	assert_string_equal(out, "xxxxxxxxxxxxxxx\\xc3");
	assert_clean(out);
	/* a NULL source is an empty string */
	assert_int_equal(devmem_sanitize(out, sizeof(out), NULL, 16, 0), 0);
	assert_string_equal(out, "");
}

/* Every output size from 1 to 40: a prefix cut between units, NUL-terminated. */
static void test_truncation(void **state)
{
	/* units: é (2) ESC (4) \ (2) 日 (3) x (1) C2 9B (8) y (1) */
	static const char in[] = "\xc3\xa9\x1b\\\xe6\x97\xa5x\xc2\x9by";
	static const char full[] = "\xc3\xa9\\x1b\\\\\xe6\x97\xa5x\\xc2\\x9by";
	static const size_t ends[] = { 0, 2, 6, 8, 11, 12, 20, 21 };
	char out[64];

	for (size_t size = 1; size <= 40; size++) {
		size_t want = 0, n;

		for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
			if (ends[i] < size)
				want = ends[i];
		memset(out, 'Z', sizeof(out));
		n = devmem_sanitize(out, size, in, sizeof(in) - 1, 0);
		assert_int_equal(n, strlen(full));	/* as snprintf: the whole length */
		assert_int_equal(strlen(out), want);
		assert_memory_equal(out, full, want);
		for (size_t k = want + 1; k <= size; k++)
			assert_int_equal(out[k], 'Z');	/* nothing written past the NUL */
		assert_clean(out);
	}
	/* size 0 writes nothing at all */
	out[0] = 'Z';
	assert_int_equal(devmem_sanitize(out, 0, in, sizeof(in) - 1, 0), strlen(full));
	assert_int_equal(out[0], 'Z');
}

static void test_columns(void **state)
{
	/* 日本語 is six columns; a cut never splits a character or an escape */
	static const char cjk[] = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";
	char out[64];

	assert_int_equal(devmem_sanitize_cols(out, sizeof(out), cjk, 64, 0, 5), 4);
	assert_string_equal(out, "\xe6\x97\xa5\xe6\x9c\xac");
	assert_int_equal(devmem_sanitize_cols(out, sizeof(out), "ab\x1b" "c", 64, 0, 5), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(devmem_sanitize_cols(out, sizeof(out), "ab\x1b" "c", 64, 0, 6), 6);
	assert_string_equal(out, "ab\\x1b");
	/* combining marks take no column */
	assert_int_equal(devmem_str_cols("e\xcc\x81"), 1);
	assert_int_equal(devmem_str_cols("caf\xc3\xa9\xe6\x97\xa5\\x1b"), 4 + 2 + 4);
	assert_int_equal(devmem_str_cut(cjk, 3), 3);
	assert_int_equal(devmem_str_cut(cjk, 100), 9);
	assert_int_equal(devmem_str_cut("abc", 0), 0);
	/* a table field: exactly its columns, whatever the bytes */
	devmem_sanitize_field(out, sizeof(out), "caf\xc3\xa9", 64, 0, 6);
	assert_string_equal(out, "caf\xc3\xa9  ");
	assert_int_equal(devmem_str_cols(out), 6);
	devmem_sanitize_field(out, sizeof(out), "\x1b]0;pwn\x07", 16, 0, 8);
	assert_string_equal(out, "\\x1b]0;p");
	devmem_sanitize_field(out, sizeof(out), cjk, 64, 0, 5);
	assert_string_equal(out, "\xe6\x97\xa5\xe6\x9c\xac ");
	assert_int_equal(devmem_str_cols(out), 5);
	strcpy(out, "ab");
	assert_string_equal(devmem_pad_cols(out, 4, 8), "ab ");	/* bounded by size */
	/* what a byte-counting snprintf cut inside a character loses */
	assert_int_equal(devmem_utf8_cut("ab\xe6\x97", 4), 2);
	assert_int_equal(devmem_utf8_cut("ab\xe6\x97\xa5", 5), 5);
	assert_int_equal(devmem_utf8_cut("ab\xc3", 3), 2);
	assert_int_equal(devmem_utf8_cut("abc", 3), 3);
}

/* random bytes: the output is always clean, whatever the input */
static void test_random(void **state)
{
	unsigned int seed = 12345;
	char in[48], out[DEVMEM_SANITIZED_SIZE(sizeof(in))], small[13];

	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof(in));

		for (size_t i = 0; i < n; i++) {
			int r = rand_r(&seed);

			/* mostly the bytes that make UTF-8 interesting */
			in[i] = (char)(r & 1 ? 0x80 + (r >> 1) % 0x80 : (r >> 1) & 0xff);
		}
		unsigned int flags = round & 1 ? DEVMEM_SANITIZE_SPACE : 0;

		assert_true(devmem_sanitize(out, sizeof(out), in, n, flags) < sizeof(out));
		assert_clean(out);
		devmem_sanitize(small, sizeof(small), in, n, flags);
		assert_clean(small);
		assert_memory_equal(small, out, strlen(small));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terminal_sequences),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_backslash_and_valid),
		cmocka_unit_test(test_spaces),
		cmocka_unit_test(test_comm_without_nul),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

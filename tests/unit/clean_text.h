/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What a rendering of hostile names must be: valid UTF-8 with no control
 * byte but the newlines of its format, no DEL and no C1 control. Include
 * after <cmocka.h> and <jansson.h>.
 */
#ifndef TEST_CLEAN_TEXT_H
#define TEST_CLEAN_TEXT_H

static void assert_clean_text(const char *text, size_t len)
{
	const unsigned char *u = (const unsigned char *)text;
	json_t *j = json_stringn(text, len);	/* jansson refuses invalid UTF-8 */

	assert_non_null(j);
	json_decref(j);
	for (size_t i = 0; i < len; i++) {
		if (u[i] == '\n')
			continue;
		assert_true(u[i] >= 0x20 && u[i] != 0x7f);
		if (u[i] == 0xc2 && i + 1 < len)	/* U+0080..U+009F */
			assert_true(u[i + 1] >= 0xa0);
	}
}

#endif /* TEST_CLEAN_TEXT_H */

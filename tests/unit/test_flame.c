// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Folded stacks and the SVG flame graph (tools/lib/render/flame.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "render/flame.h"
#include "clean_text.h"

static const char *const a[] = { "workload", "main", "touch_reads" };
static const char *const b[] = { "workload", "main", "touch_writes" };
static const char *const c[] = { "evil\x1b[2J", "f;g<h>&" };

static char *render(int svg, const struct devmem_stack *st, size_t n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	if (svg)
		assert_int_equal(devmem_flame_svg(f, st, n, "faults \x1b]0;t\x07"), 0);
	else
		assert_int_equal(devmem_folded_write(f, st, n), 0);
	fclose(f);
	return buf;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void test_folded(void **state)
{
	struct devmem_stack st[] = { { a, 3, 30 }, { b, 3, 12 }, { c, 2, 1 } };
	size_t len;
	char *out = render(0, st, 3, &len);

	assert_string_equal(out, "workload;main;touch_reads 30\n"
				 "workload;main;touch_writes 12\n"
				 "evil\\x1b[2J;f:g<h>& 1\n");
	assert_clean_text(out, len);
	free(out);
}

static void test_svg(void **state)
{
	struct devmem_stack st[] = { { a, 3, 30 }, { b, 3, 12 }, { c, 2, 1 } };
	size_t len;
	char *out = render(1, st, 3, &len);

	assert_clean_text(out, len);
	assert_non_null(strstr(out, "<?xml"));
	assert_non_null(strstr(out, "</svg>\n"));
	/* the frames merged: workload, main, the two leaves, and the evil pair */
	assert_int_equal(count(out, "<rect class=\"frame\""), 6);
	assert_non_null(strstr(out, "<title>touch_reads (30 faults, 69.8%)</title>"));
	assert_non_null(strstr(out, "<title>main (42 faults, 97.7%)</title>"));
	/* every name escaped for XML and filtered */
	assert_null(strstr(out, "<h>"));
	assert_non_null(strstr(out, "f;g&lt;h&gt;&amp;"));
	assert_non_null(strstr(out, "(43 faults)</text>"));
	free(out);
	/* nothing recorded: still a document */
	out = render(1, st, 0, &len);
	assert_non_null(strstr(out, "no stack was recorded"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_svg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

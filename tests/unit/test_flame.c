// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Folded stacks and the SVG flame graph (tools/lib/render/folded.c, flame.c). */
#include <errno.h>
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
/* b again (another process of the same command), and a name with a space */
static const char *const b2[] = { "workload", "main", "touch_writes" };
static const char *const sp[] = { "workload", "operator new(unsigned long)" };

static char *render(int svg, const struct devmem_stack *st, size_t n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	if (svg)
		assert_int_equal(devmem_flame_svg(f, st, n, "faults \x1b]0;t\x07", "faults"), 0);
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

/* lines in byte order, identical stacks merged, names one word each */
static void test_folded(void **state)
{
	struct devmem_stack st[] = {
		{ b, 3, 12 }, { a, 3, 30 }, { c, 2, 1 }, { b2, 3, 5 }, { sp, 2, 2 }, { a, 3, 0 },
	};
	size_t len;
	char *out = render(0, st, 6, &len);

	assert_string_equal(out, "evil\\x1b[2J;f:g<h>& 1\n"
				 "workload;main;touch_reads 30\n"
				 "workload;main;touch_writes 17\n"
				 "workload;operator\\x20new(unsigned\\x20long) 2\n");
	assert_clean_text(out, len);
	free(out);
}

/* what devmemhist flame reads: the folded lines back, bad lines said by number */
static void test_folded_read(void **state)
{
	static const char text[] = "x;y 3\n\nx;z 4\r\nw 10\n";
	static const char bad[] = "x;y 3\nno count here\n";
	struct devmem_folded f;
	char err[128];
	FILE *in = fmemopen((void *)text, sizeof(text) - 1, "r");

	assert_int_equal(devmem_folded_read(in, &f, err, sizeof(err)), 0);
	fclose(in);
	assert_int_equal(f.nr, 3);
	assert_int_equal(f.st[0].depth, 2);
	assert_string_equal(f.st[0].frames[1], "y");
	assert_int_equal(f.st[1].count, 4);
	assert_string_equal(f.st[1].frames[1], "z");
	assert_int_equal(f.st[2].depth, 1);
	assert_int_equal(f.st[2].count, 10);
	devmem_folded_free(&f);
	in = fmemopen((void *)bad, sizeof(bad) - 1, "r");
	assert_int_equal(devmem_folded_read(in, &f, err, sizeof(err)), -EINVAL);
	fclose(in);
	assert_non_null(strstr(err, "line 2"));
}

/* the x of the first frame named name */
static double frame_x(const char *svg, const char *name)
{
	char want[128];
	const char *p;

	snprintf(want, sizeof(want), "data-name=\"%s\"", name);
	p = strstr(svg, want);
	assert_non_null(p);
	p = strstr(p, "<rect x=\"");
	assert_non_null(p);
	return strtod(p + 9, NULL);
}

static void test_svg(void **state)
{
	struct devmem_stack st[] = { { a, 3, 30 }, { b, 3, 12 }, { c, 2, 1 } };
	size_t len;
	char *out = render(1, st, 3, &len);

	assert_clean_text(out, len);
	assert_non_null(strstr(out, "<?xml"));
	assert_non_null(strstr(out, "</svg>\n"));
	/* the root, workload, main, the two leaves, and the evil pair */
	assert_int_equal(count(out, "<g class=\"frame\""), 7);
	assert_non_null(strstr(out, "<title>all (43 faults, 100.00%)</title>"));
	assert_non_null(strstr(out, "<title>touch_reads (30 faults, 69.77%)</title>"));
	assert_non_null(strstr(out, "<title>main (42 faults, 97.67%)</title>"));
	/* siblings by name, not by count: evil... before workload, reads before writes */
	assert_true(frame_x(out, "evil\\x1b[2J") < frame_x(out, "workload"));
	assert_true(frame_x(out, "touch_reads") < frame_x(out, "touch_writes"));
	/* the root spans the whole width, below everything */
	assert_true(frame_x(out, "all") == frame_x(out, "evil\\x1b[2J"));
	/* every name escaped for XML and filtered */
	assert_null(strstr(out, "<h>"));
	assert_non_null(strstr(out, "f;g&lt;h&gt;&amp;"));
	assert_non_null(strstr(out, "(43 faults)</text>"));
	/* search and zoom: the script, its buttons, the URL parameter */
	assert_non_null(strstr(out, "<script type=\"text/ecmascript\"><![CDATA["));
	assert_non_null(strstr(out, "onload=\"flameInit(evt)\""));
	assert_non_null(strstr(out, "function search(term)"));
	assert_non_null(strstr(out, "function zoom(z)"));
	assert_non_null(strstr(out, "param('s')"));
	assert_non_null(strstr(out, "id=\"search\""));
	assert_non_null(strstr(out, "id=\"unzoom\""));
	assert_non_null(strstr(out, "id=\"matched\""));
	/* nothing of the stacks inside the script */
	assert_int_equal(count(strstr(out, "<![CDATA["), "touch_reads"),
			 count(out, "touch_reads"));
	assert_true(strstr(out, "]]>") < strstr(out, "touch_reads"));
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
		cmocka_unit_test(test_folded_read),
		cmocka_unit_test(test_svg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

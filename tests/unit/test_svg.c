// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * SVG pictures: well-formed XML (a small checker here, and python3's
 * xml.etree where python3 exists), one bar per non-empty bucket with the
 * right count, hostile labels escaped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "model/hist.h"
#include "render/svg.h"

static char *render_hist(const struct devmem_hist *h, const char *title, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(devmem_svg_hist(f, h, title, "usecs", 1000), 0);
	fclose(f);
	return buf;
}

/*
 * Minimal XML well-formedness: balanced, properly nested elements, quoted
 * attributes, no raw '<' or '&' outside markup except entity references.
 * Returns 0 or the offset of the first problem + 1.
 */
static size_t xml_check(const char *s)
{
	const char *stack[64];
	size_t depth = 0, roots = 0;
	const char *p = s;

	if (!strncmp(p, "<?xml", 5)) {
		p = strstr(p, "?>");
		if (!p)
			return 1;
		p += 2;
	}
	while (*p) {
		if (*p == '&') {
			const char *ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
			bool okent = false;

			for (size_t i = 0; i < 5; i++)
				if (!strncmp(p, ents[i], strlen(ents[i])))
					okent = true;
			if (!okent)
				return (size_t)(p - s) + 1;
			p++;
			continue;
		}
		if (*p == '>')
			return (size_t)(p - s) + 1;
		if (*p != '<') {
			if (!depth && !strchr(" \t\r\n", *p))
				return (size_t)(p - s) + 1;	/* text outside the root */
			p++;
			continue;
		}
		if (p[1] == '/') {
			size_t n = strcspn(p + 2, ">");

			if (!depth || strncmp(stack[depth - 1], p + 2, n) ||
			    (stack[depth - 1][n] != ' ' && stack[depth - 1][n] != '>' &&
			     stack[depth - 1][n] != '/'))
				return (size_t)(p - s) + 1;
			depth--;
			p += 2 + n + 1;
			continue;
		}
		/* start tag: name, then attributes name="value" */
		const char *tag = p + 1, *q = tag;
		bool self = false;

		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
			return (size_t)(q - s) + 1;
		while (*q && !strchr(" />", *q))
			q++;
		for (;;) {
			while (*q == ' ' || *q == '\n')
				q++;
			if (*q == '/' && q[1] == '>') {
				self = true;
				q += 2;
				break;
			}
			if (*q == '>') {
				q++;
				break;
			}
			while (*q && *q != '=' && !strchr(" />", *q))
				q++;
			if (*q != '=' || (q[1] != '"' && q[1] != '\''))
				return (size_t)(q - s) + 1;
			char quote = q[1];
			const char *end = strchr(q + 2, quote);

			if (!end || memchr(q + 2, '<', (size_t)(end - q - 2)))
				return (size_t)(q - s) + 1;
			q = end + 1;
		}
		if (!depth)
			roots++;
		if (!self) {
			if (depth == 64)
				return (size_t)(p - s) + 1;
			stack[depth++] = tag;
		}
		p = q;
	}
	return depth || roots != 1 ? strlen(s) + 1 : 0;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* python3's parser too, where python3 is installed; 0 if it parses or is absent */
static int python_parse(const char *svg, size_t len)
{
	char path[] = "/tmp/test_svg.XXXXXX";
	char cmd[256];
	int fd, ret;

	if (system("command -v python3 >/dev/null 2>&1"))
		return 0;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, svg, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 -c 'import sys, xml.etree.ElementTree as E; "
		 "E.parse(sys.argv[1])' %s", path);
	ret = system(cmd);
	unlink(path);
	return ret;
}

static void test_hist_buckets(void **state)
{
	struct devmem_hist h = { 0 };
	size_t len, nonempty = 0;
	char *svg, want[128];

	/* buckets 10, 12, 13 and the saturated last one; 11 stays empty */
	for (int i = 0; i < 5; i++)
		devmem_hist_add(&h, 1500);
	devmem_hist_add(&h, 5000);
	for (int i = 0; i < 3; i++)
		devmem_hist_add(&h, 9000);
	devmem_hist_add(&h, 1ULL << 60);
	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++)
		nonempty += h.slots[i] != 0;
	svg = render_hist(&h, "fault_latency", &len);
	assert_int_equal(xml_check(svg), 0);
	assert_int_equal(python_parse(svg, len), 0);
	assert_int_equal(count(svg, "<rect class=\"bucket\""), nonempty);
	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++) {
		if (!h.slots[i])
			continue;
		snprintf(want, sizeof(want), "data-slot=\"%u\"", i);
		assert_non_null(strstr(svg, want));
		snprintf(want, sizeof(want), "data-slot=\"%u\" data-low=", i);
		char *at = strstr(svg, want);

		assert_non_null(at);
		snprintf(want, sizeof(want), "data-count=\"%llu\"", (unsigned long long)h.slots[i]);
		assert_non_null(strstr(at, want));
	}
	assert_non_null(strstr(svg, "data-high=\"inf\""));
	free(svg);
}

static void test_hist_empty(void **state)
{
	struct devmem_hist h = { 0 };
	size_t len;
	char *svg = render_hist(&h, "empty", &len);

	assert_int_equal(xml_check(svg), 0);
	assert_int_equal(count(svg, "class=\"bucket\""), 0);
	assert_non_null(strstr(svg, "no samples"));
	free(svg);
}

static void test_hostile_text(void **state)
{
	struct devmem_hist h = { 0 };
	double t[2] = { 0, 1 }, v[2] = { 3, 4 };
	struct devmem_svg_series s = { "<host>&\"'\x01\xff]]>", t, v, 2 };
	char *buf = NULL;
	size_t len;
	FILE *f;
	char *svg;

	devmem_hist_add(&h, 3);
	svg = render_hist(&h, "</svg><script>alert(1)</script>&", &len);
	assert_int_equal(xml_check(svg), 0);
	assert_int_equal(python_parse(svg, len), 0);
	assert_null(strstr(svg, "<script"));
	free(svg);
	f = open_memstream(&buf, &len);
	assert_int_equal(devmem_svg_rate(f, "rate & <title>", "per second", &s, 1), 0);
	fclose(f);
	assert_int_equal(xml_check(buf), 0);
	assert_int_equal(python_parse(buf, len), 0);
	free(buf);
}

static void test_rate(void **state)
{
	double t1[3] = { 1, 2, 3 }, v1[3] = { 10, 20, 15 };
	double t2[2] = { 1.5, 2.5 }, v2[2] = { 0, 1 };
	struct devmem_svg_series s[2] = { { "a", t1, v1, 3 }, { "b", t2, v2, 2 } };
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(devmem_svg_rate(f, "faults per second", "per second", s, 2), 0);
	fclose(f);
	assert_int_equal(xml_check(buf), 0);
	assert_int_equal(python_parse(buf, len), 0);
	assert_int_equal(count(buf, "<polyline class=\"series\""), 2);
	assert_int_equal(count(buf, "<circle class=\"point\""), 5);
	free(buf);
	/* no points at all */
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(devmem_svg_rate(f, "nothing", "per second", NULL, 0), 0);
	fclose(f);
	assert_int_equal(xml_check(buf), 0);
	free(buf);
}

static void test_checker_rejects(void **state)
{
	/* the checker itself must catch what it is there to catch */
	assert_int_not_equal(xml_check("<a><b></a></b>"), 0);
	assert_int_not_equal(xml_check("<a x=1></a>"), 0);
	assert_int_not_equal(xml_check("<a>&</a>"), 0);
	assert_int_not_equal(xml_check("<a>"), 0);
	assert_int_not_equal(xml_check("<a></a><b/>"), 0);
	assert_int_equal(xml_check("<a x=\"1\"><b/>t&amp;</a>"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_rejects),
		cmocka_unit_test(test_hist_buckets),
		cmocka_unit_test(test_hist_empty),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_rate),
	};

	return cmocka_run_group_tests_name("svg", tests, NULL, NULL);
}

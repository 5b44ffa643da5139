// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * SVG pictures: well-formed XML (a small checker here, and python3's
 * xml.etree where python3 exists), one bar per non-empty bucket with the
 * right count, hostile labels escaped; y ticks and axis labels, p50 and p99
 * where their estimate falls, the host and the time window in the title,
 * and -P and -G as small multiples of a report's histograms.
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
#include <math.h>
#include <time.h>
#include "model/hist.h"
#include "render/rec_svg.h"
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
	{
		const struct devmem_svg_text txt = { .title = "rate & <title>", .subtitle = "host <x>",
						     .count = "per second" };

		assert_int_equal(devmem_svg_rate(f, &txt, &s, 1), 0);
	}
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
	const struct devmem_svg_text txt = { .title = "faults per second", .subtitle = "host a",
					     .count = "per second" };
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(devmem_svg_rate(f, &txt, s, 2), 0);
	fclose(f);
	assert_int_equal(xml_check(buf), 0);
	assert_int_equal(python_parse(buf, len), 0);
	assert_int_equal(count(buf, "<polyline class=\"series\""), 2);
	assert_int_equal(count(buf, "<circle class=\"point\""), 5);
	/* y ticks to 20 by 5, and what the y axis counts */
	assert_int_equal(count(buf, "class=\"ytick\""), 5);
	assert_non_null(strstr(buf, ">20</text>"));
	assert_non_null(strstr(buf, "class=\"ylabel\""));
	assert_non_null(strstr(buf, ">per second</text>"));
	assert_non_null(strstr(buf, "class=\"subtitle\""));
	free(buf);
	/* no points at all */
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(devmem_svg_rate(f, &txt, NULL, 0), 0);
	fclose(f);
	assert_int_equal(xml_check(buf), 0);
	free(buf);
}

/* the number of attribute name="..." of the element that starts at p */
static double attr(const char *p, const char *name)
{
	char want[64];
	const char *a, *end = strchr(p, '>');

	snprintf(want, sizeof(want), " %s=\"", name);
	a = strstr(p, want);
	assert_true(a && a < end);
	return strtod(a + strlen(want), NULL);
}

/* y ticks, the axes' words, and p50/p99 where their estimates fall */
static void test_hist_axes_and_percentiles(void **state)
{
	struct devmem_hist h = { 0 };
	struct devmem_percentile p50, p99;
	size_t len;
	char *svg, want[64];
	const char *at;

	/* 90 faults of 1.5 us, 10 of 9 us: p50 in [1024, 2047] ns, p99 in [8192, 16383] */
	for (int i = 0; i < 90; i++)
		devmem_hist_add(&h, 1500);
	for (int i = 0; i < 10; i++)
		devmem_hist_add(&h, 9000);
	svg = render_hist(&h, "fault_latency", &len);
	assert_int_equal(xml_check(svg), 0);
	assert_int_equal(python_parse(svg, len), 0);
	/* ticks 0, 20 .. 100: five steps up to the tallest bar */
	assert_int_equal(count(svg, "class=\"ytick\""), 6);
	assert_non_null(strstr(svg, ">100</text>"));
	assert_non_null(strstr(svg, "class=\"ylabel\""));
	assert_non_null(strstr(svg, ">samples</text>"));
	assert_non_null(strstr(svg, "class=\"xlabel\""));
	assert_int_equal(devmem_hist_percentile(&h, 50, &p50), 0);
	assert_int_equal(devmem_hist_percentile(&h, 99, &p99), 0);
	assert_int_equal(count(svg, "<line class=\"percentile\""), 2);
	for (int i = 0; i < 2; i++) {
		const struct devmem_percentile *pc = i ? &p99 : &p50;
		unsigned int slot = devmem_hist_slot(pc->low);
		double x, bx, bw;

		snprintf(want, sizeof(want), "data-p=\"%d\" data-value=\"%.3g\"", i ? 99 : 50,
			 pc->value / 1000);
		at = strstr(svg, want);
		if (!at)
			fail_msg("no %s in the picture", want);
		x = attr(strstr(svg, want) - 24, "x1");
		/* inside the bar of the bucket it falls in */
		snprintf(want, sizeof(want), "data-slot=\"%u\"", slot);
		at = strstr(svg, want);
		assert_non_null(at);
		bx = attr(at, "x");
		bw = attr(at, "width");
		if (x < bx - 1 || x > bx + bw + 1)
			fail_msg("p%d at x=%.1f, its bucket spans %.1f..%.1f", i ? 99 : 50, x, bx,
				 bx + bw);
	}
	/* estimates, written as the text report writes them */
	assert_non_null(strstr(svg, ">p50 ~"));
	assert_non_null(strstr(svg, ">p99 ~"));
	free(svg);
}

static char *render_panels(const struct devmem_svg_panel *p, size_t n, size_t *len)
{
	const struct devmem_svg_text txt = {
		.title = "fault_latency per process", .subtitle = "host h, then",
		.unit = "usecs", .unit_div = 1000, .count = "faults",
	};
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(devmem_svg_hists(f, &txt, p, n), 0);
	fclose(f);
	return buf;
}

/* small multiples: a panel each, over the same buckets, each with its counts */
static void test_small_multiples(void **state)
{
	struct devmem_hist h[30];
	struct devmem_svg_panel p[30];
	char labels[30][16], want[128];
	size_t len;
	char *svg;
	const char *at;

	memset(h, 0, sizeof(h));
	for (int i = 0; i < 3; i++) {
		for (int k = 0; k <= i; k++)
			devmem_hist_add(&h[i], 1000ULL << (4 * i));
		snprintf(labels[i], sizeof(labels[i]), "p%d <&>", i);
		p[i] = (struct devmem_svg_panel){ labels[i], &h[i] };
	}
	svg = render_panels(p, 3, &len);
	assert_int_equal(xml_check(svg), 0);
	assert_int_equal(python_parse(svg, len), 0);
	assert_int_equal(count(svg, "<g class=\"panel\""), 3);
	assert_int_equal(count(svg, "<rect class=\"bucket\""), 3);
	assert_int_equal(count(svg, "class=\"percentile\""), 6);
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "<g class=\"panel\" data-label=\"p%d &lt;&amp;&gt;\" "
			 "data-samples=\"%d\">", i, i + 1);
		at = strstr(svg, want);
		if (!at)
			fail_msg("no panel: %s", want);
		/* the panel's one bucket, with its count */
		snprintf(want, sizeof(want), "data-slot=\"%u\"", devmem_hist_slot(1000ULL << (4 * i)));
		at = strstr(at, want);
		assert_non_null(at);
		snprintf(want, sizeof(want), "data-count=\"%d\"", i + 1);
		assert_int_equal(strncmp(strstr(at, "data-count"), want, strlen(want)), 0);
	}
	/* every panel over the same buckets (slots 9 to 17 of all three): nine x labels each */
	assert_int_equal(devmem_hist_slot(1000), 9);
	assert_int_equal(devmem_hist_slot(256000), 17);
	assert_int_equal(count(svg, "rotate(-45"), 3 * 9);
	assert_int_equal(count(svg, ">faults</text>"), 3);
	assert_non_null(strstr(svg, "class=\"subtitle\""));
	free(svg);

	/* more panels than fit: the first ones, and said */
	for (int i = 0; i < 30; i++) {
		if (i >= 3)
			devmem_hist_add(&h[i], 5000);
		snprintf(labels[i], sizeof(labels[i]), "p%d", i);
		p[i] = (struct devmem_svg_panel){ labels[i], &h[i] };
	}
	svg = render_panels(p, 30, &len);
	assert_int_equal(xml_check(svg), 0);
	assert_int_equal(count(svg, "<g class=\"panel\""), 24);
	assert_non_null(strstr(svg, "the first 24 of 30 drawn"));
	free(svg);
}

/* a report: the title names the host and the window, -P and -G draw small multiples */
static void test_report_charts(void **state)
{
	struct devmem_rec_report rep;
	struct devmem_rec_stream st;
	struct devmem_process *pr;
	struct devmem_unit u = { "usecs", 1000 };
	char *buf[3] = { NULL };
	size_t len[3];

	setenv("TZ", "UTC", 1);
	tzset();
	memset(&rep, 0, sizeof(rep));
	memset(&st, 0, sizeof(st));
	snprintf(st.host, sizeof(st.host), "gpu-host-7");
	st.start_realtime_ns = 1764583200ULL * 1000000000ULL;	/* 2025-12-01 10:00:00 UTC */
	st.from = 60;
	st.to = 360;
	rep.streams = &st;
	rep.nr_streams = 1;
	devmem_snapshot_init(&rep.total);
	for (__u32 t = 1; t <= 2; t++) {
		pr = devmem_snapshot_process(&rep.total, 100 + t, t);
		snprintf(pr->comm, sizeof(pr->comm), "app%u", t);
		pr->has_hist = true;
		for (__u32 k = 0; k < 10 * t; k++) {
			devmem_hist_add(&pr->hist[DEVMEM_HIST_FAULT_LATENCY], 2000 * t * t);
			devmem_hist_add(&rep.total.hist[DEVMEM_HIST_FAULT_LATENCY], 2000 * t * t);
		}
	}
	{
		struct devmem_snap_range *r = devmem_snapshot_range(&rep.total, 1, 0x100000000ULL);

		r->r.end = 0x10fffffffULL;
		snprintf(r->name, sizeof(r->name), "gpu0");
		r->has_hist = true;
		devmem_hist_add(&r->hist[DEVMEM_HIST_FAULT_LATENCY], 3000);
		assert_int_equal(devmem_snapshot_group_devices(&rep.total), 0);
	}
	for (int i = 0; i < 3; i++) {
		FILE *f = open_memstream(&buf[i], &len[i]);

		assert_int_equal(devmem_rec_svg_hist(f, &rep, DEVMEM_HIST_FAULT_LATENCY, u,
						     i == 1 ? DEVMEM_REC_SVG_PROCESSES :
						     i == 2 ? DEVMEM_REC_SVG_DEVICES : 0), 0);
		fclose(f);
		assert_int_equal(xml_check(buf[i]), 0);
		assert_non_null(strstr(buf[i], "host gpu-host-7, 2025-12-01 10:01:00 to 10:06:00"));
	}
	/* the total: one chart, no panel of its own */
	assert_int_equal(count(buf[0], "<g class=\"panel\" data-label=\"\""), 1);
	assert_non_null(strstr(buf[0], ">faults</text>"));
	/* -P: a panel a process, the busiest first; not the total's picture */
	assert_int_equal(count(buf[1], "<g class=\"panel\""), 2);
	assert_true(strstr(buf[1], "data-label=\"app2 (102)\"") <
		    strstr(buf[1], "data-label=\"app1 (101)\""));
	assert_non_null(strstr(buf[1], "data-samples=\"20\""));
	assert_non_null(strstr(buf[1], "per process"));
	assert_true(len[1] != len[0] || memcmp(buf[1], buf[0], len[0]));
	/* -G: a panel a device */
	assert_int_equal(count(buf[2], "<g class=\"panel\""), 1);
	assert_non_null(strstr(buf[2], "data-label=\"gpu0\""));
	assert_non_null(strstr(buf[2], "data-samples=\"1\""));
	for (int i = 0; i < 3; i++)
		free(buf[i]);
	devmem_snapshot_free(&rep.total);
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
		cmocka_unit_test(test_hist_axes_and_percentiles),
		cmocka_unit_test(test_small_multiples),
		cmocka_unit_test(test_report_charts),
	};

	return cmocka_run_group_tests_name("svg", tests, NULL, NULL);
}

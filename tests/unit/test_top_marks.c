// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemtop as top users expect it: how full each device is (bytes in use,
 * USE%, a bar, -s inuse by fraction), what colour marks (full devices,
 * thrashing), THRASH as a sort key, the header of -p, -D that matches
 * nothing, and the JSON of a device's fullness.
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
#include <jansson.h>
#include "cli/cli.h"
#include "cli/sanitize.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "model/thrash.h"
#include "render/top_view.h"
#include "top_fixture.h"

/* a range of its own device: pages, of which in_use were in use at the start */
static void add_device(struct devmem_snapshot *s, __u64 gen, __u64 start, __u64 pages,
		       __u64 in_use, const char *name)
{
	struct devmem_snap_range *r = devmem_snapshot_range(s, gen, start);

	assert_non_null(r);
	r->r.end = start + pages * 4096 - 1;
	r->r.nr_pages = pages;
	r->r.owner = 0xffff888000100000ULL + gen * 0x1000;
	r->r.type = DEVMEM_TYPE_PRIVATE;
	r->in_use_at_start = in_use;
	r->sources = DEVMEM_RANGE_TRACED | DEVMEM_RANGE_DISCOVERED;
	snprintf(r->name, sizeof(r->name), "%s", name);
}

/* big: 10% of 1000 pages; small: 7 of 8 (87.5%); full: 9 of 10 (90%) */
static void three_devices(struct devmem_snapshot *s)
{
	devmem_snapshot_init(s);
	s->ts_ns = 1000000000ULL;
	s->mode = DEVMEM_MODE_TP_BTF;
	add_device(s, 1, 0x100000000ULL, 1000, 100, "big");
	add_device(s, 2, 0x200000000ULL, 8, 7, "small");
	add_device(s, 3, 0x300000000ULL, 10, 9, "full");
	assert_int_equal(devmem_snapshot_group_devices(s), 0);
}

static const struct top_dev_row *dev_named(const struct top_frame *f, const char *name)
{
	for (size_t i = 0; i < f->nr_devs; i++)
		if (!strcmp(f->devs[i].name, name))
			return &f->devs[i];
	fail_msg("no device %s", name);
	return NULL;
}

/* the whitespace-separated field k (from 1) of a row */
static const char *field(const char *line, int k)
{
	static char out[128];
	const char *p = line;

	for (int i = 1;; i++) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (i == k) {
			snprintf(out, sizeof(out), "%.*s", (int)n, p);
			return out;
		}
		p += n;
	}
}

static void test_fullness(void **state)
{
	struct devmem_snapshot s;
	struct top_frame f;
	struct top_sort so;
	char line[512];
	__u64 page = (__u64)sysconf(_SC_PAGESIZE);

	three_devices(&s);
	build_summary(&f, &s, NULL);
	assert_true(dev_named(&f, "small")->fullness_known);
	assert_true(dev_named(&f, "small")->fullness == 7.0 * (double)page / (8.0 * 4096));
	top_sort_init(&so);
	so.key[TOP_VIEW_DEVICES] = TOP_DK_IN_USE;
	top_sort_rows(&f, &so);
	/* by fraction: the fullest first, not the one with the most pages in use */
	assert_string_equal(f.devs[0].name, "full");
	assert_string_equal(f.devs[1].name, "small");
	assert_string_equal(f.devs[2].name, "big");
	assert_int_equal(top_key_parse(TOP_VIEW_DEVICES, "inuse"), TOP_DK_IN_USE);
	assert_int_equal(top_key_parse(TOP_VIEW_DEVICES, "use"), TOP_DK_IN_USE);

	/* the name first, then SIZE, INUSE in bytes, USE%, the bar */
	top_title_text(line, sizeof(line), &f, TOP_VIEW_DEVICES, &so, NULL, NULL);
	assert_string_equal(field(line, 1), "DEVICE");
	assert_string_equal(field(line, 4), "*USE%");
	if (page == 4096) {
		top_row_text(line, sizeof(line), &f, TOP_VIEW_DEVICES, 1);
		assert_string_equal(field(line, 1), "small");
		assert_string_equal(field(line, 2), "32K");
		assert_string_equal(field(line, 3), "28K");
		assert_string_equal(field(line, 4), "88%");
		assert_string_equal(field(line, 5), "[#########.]");
		top_row_text(line, sizeof(line), &f, TOP_VIEW_DEVICES, 2);
		assert_string_equal(field(line, 3), "400K");
		assert_string_equal(field(line, 4), "10%");
		assert_string_equal(field(line, 5), "[#.........]");
	}
	top_frame_free(&f);

	/* without a start count: the change since the start in bytes, no fullness */
	s.ranges[1].in_use_at_start = DEVMEM_UNKNOWN;
	s.ranges[1].c.allocs = 3;
	assert_int_equal(devmem_snapshot_group_devices(&s), 0);
	build_summary(&f, &s, NULL);
	assert_false(dev_named(&f, "small")->fullness_known);
	top_sort_rows(&f, &so);
	assert_string_equal(f.devs[2].name, "small");	/* unknown after every known one */
	top_row_text(line, sizeof(line), &f, TOP_VIEW_DEVICES, 2);
	if (page == 4096)
		assert_string_equal(field(line, 3), "+12K");
	assert_string_equal(field(line, 4), "?");
	assert_string_equal(field(line, 5), "-");
	top_frame_free(&f);
	devmem_snapshot_free(&s);
}

static void test_bar(void **state)
{
	char b[32];

	top_fmt_bar(b, sizeof(b), 0, true, 12);
	assert_string_equal(b, "[..........]");
	top_fmt_bar(b, sizeof(b), 0.5, true, 12);
	assert_string_equal(b, "[#####.....]");
	top_fmt_bar(b, sizeof(b), 1.7, true, 12);	/* never past its end */
	assert_string_equal(b, "[##########]");
	top_fmt_bar(b, sizeof(b), 0.5, false, 12);
	assert_string_equal(b, "-");
	top_fmt_bar(b, 5, 0.5, true, 12);		/* no room: no half bar */
	assert_string_equal(b, "-");
}

/* the span a mark covers holds the figure it marks */
static void assert_span(const char *line, const struct top_span *sp, const char *text)
{
	char got[64];

	assert_true(sp->cols > 0);
	snprintf(got, sizeof(got), "%.*s", sp->cols, line + sp->col);
	assert_string_equal(got, text);
}

static void test_marks(void **state)
{
	struct devmem_snapshot s;
	struct top_span sp[8];
	struct top_frame f;
	struct top_sort so;
	char line[512];
	size_t n;

	three_devices(&s);
	build_summary(&f, &s, NULL);
	top_sort_init(&so);
	so.key[TOP_VIEW_DEVICES] = TOP_DK_IN_USE;
	top_sort_rows(&f, &so);
	/* full (90%): USE% and the bar in the alert colour */
	assert_int_equal(top_fullness_mark(&f.devs[0]), TOP_MARK_ALERT);
	n = top_row_marks(&f, TOP_VIEW_DEVICES, 0, sp, 8);
	assert_int_equal(n, 2);
	top_row_text(line, sizeof(line), &f, TOP_VIEW_DEVICES, 0);
	assert_int_equal(sp[0].mark, TOP_MARK_ALERT);
	assert_span(line, &sp[0], "90%");
	assert_span(line, &sp[1], "[#########.]");
	/* small (87.5%): a warning */
	n = top_row_marks(&f, TOP_VIEW_DEVICES, 1, sp, 8);
	assert_int_equal(n, 2);
	assert_int_equal(sp[0].mark, TOP_MARK_WARN);
	/* big (10%): only its bar, in the colour of room */
	n = top_row_marks(&f, TOP_VIEW_DEVICES, 2, sp, 8);
	assert_int_equal(n, 1);
	assert_int_equal(sp[0].mark, TOP_MARK_GOOD);
	top_row_text(line, sizeof(line), &f, TOP_VIEW_DEVICES, 2);
	assert_span(line, &sp[0], "[#.........]");
	top_frame_free(&f);

	/* spans are terminal columns: a wide name before them moves them as it shows */
	snprintf(s.ranges[2].name, sizeof(s.ranges[2].name), "\xe5\x85\xa8");	/* one wide char */
	s.ranges[2].device[0] = '\0';
	assert_int_equal(devmem_snapshot_group_devices(&s), 0);
	build_summary(&f, &s, NULL);
	top_sort_rows(&f, &so);
	n = top_row_marks(&f, TOP_VIEW_DEVICES, 0, sp, 8);
	top_row_text(line, sizeof(line), &f, TOP_VIEW_DEVICES, 0);
	assert_int_equal(n, 2);
	{
		/* the bytes of the line before the span take exactly sp.col columns */
		const char *p = strstr(line, "90%");
		char pre[512];

		snprintf(pre, sizeof(pre), "%.*s", (int)(p - line), line);
		assert_int_equal(sp[0].col, (int)devmem_str_cols(pre));
	}
	top_frame_free(&f);
	devmem_snapshot_free(&s);

	/* thrashing pages: an alert on the process and device rows, nothing when 0 */
	fill_cum(&s);
	add_thrash(&s);
	build_summary(&f, &s, NULL);
	top_sort_rows(&f, &so);
	for (size_t i = 0; i < f.nr_procs; i++) {
		n = top_row_marks(&f, TOP_VIEW_PROCESSES, i, sp, 8);
		top_row_text(line, sizeof(line), &f, TOP_VIEW_PROCESSES, i);
		if (f.procs[i].tgid == 1001) {
			assert_int_equal(n, 1);
			assert_int_equal(sp[0].mark, TOP_MARK_ALERT);
			assert_span(line, &sp[0], "3");
		} else if (f.procs[i].tgid == 1003) {
			assert_int_equal(n, 0);
		}
	}
	top_frame_free(&f);
	devmem_snapshot_free(&s);
}

static void test_thrash_sorts(void **state)
{
	struct devmem_snapshot s;
	struct top_frame f;
	struct top_sort so;
	char line[512];

	fill_cum(&s);
	add_thrash(&s);
	build_summary(&f, &s, NULL);
	top_sort_init(&so);
	assert_int_equal(top_key_parse(TOP_VIEW_PROCESSES, "thrash"), TOP_PK_THRASH);
	assert_int_equal(top_key_parse(TOP_VIEW_DEVICES, "thrash"), TOP_DK_THRASH);
	so.key[TOP_VIEW_PROCESSES] = TOP_PK_THRASH;
	so.key[TOP_VIEW_DEVICES] = TOP_DK_THRASH;
	top_sort_rows(&f, &so);
	assert_int_equal(f.procs[0].tgid, 1001);	/* 3 pages */
	assert_int_equal(f.procs[1].tgid, 1002);	/* 1 */
	assert_int_equal(f.devs[0].thrash_pages, 3);
	top_title_text(line, sizeof(line), &f, TOP_VIEW_PROCESSES, &so, NULL, NULL);
	assert_non_null(strstr(line, "*THRASH"));
	/* the keys follow the screen's columns: THRASH right after FAULT/s */
	assert_int_equal(TOP_PK_THRASH, TOP_PK_FAULTS + 1);
	assert_string_equal(top_key_name(TOP_VIEW_DEVICES, 0), "name");
	top_frame_free(&f);
	devmem_snapshot_free(&s);
}

/* -p: the header's totals, latency and thrashing are the process's */
static void test_header_follows_pid(void **state)
{
	struct top_text_opts o = { .source = "live", .rows = -1 };
	struct top_filter flt = { .tgid = 1003 };
	struct devmem_snapshot s;
	struct top_frame f;
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	fill_cum(&s);
	add_thrash(&s);
	devmem_hist_add(&devmem_snapshot_process(&s, 1003, 2003)->hist[DEVMEM_HIST_FAULT_LATENCY],
			900000);
	devmem_snapshot_process(&s, 1003, 2003)->has_hist = true;
	devmem_hist_add(&s.hist[DEVMEM_HIST_FAULT_LATENCY], 1000);
	build_summary(&f, &s, &flt);
	assert_int_equal(f.total.faults, 20);
	assert_int_equal(f.total.pages_to_device, 50);
	assert_int_equal(f.thrash_pages, 0);	/* charlie has none of the 4 */
	assert_true(f.has_latency && f.p50_ns > 500000);
	m = open_memstream(&text, &len);
	top_header_text(m, &f, NULL, TOP_VIEW_PROCESSES, &o);
	fclose(m);
	assert_non_null(strstr(text, "Total: faults 20 "));
	assert_non_null(strstr(text, "thrashing pages 0"));
	free(text);
	top_frame_free(&f);
	flt.tgid = 1001;
	build_summary(&f, &s, &flt);
	assert_int_equal(f.thrash_pages, 3);
	top_frame_free(&f);
	/* no -p: everyone's */
	build_summary(&f, &s, NULL);
	assert_int_equal(f.total.faults, 60);
	top_frame_free(&f);
	devmem_snapshot_free(&s);
}

/* -D that names no device: the table says which, and what there is */
static void test_device_matches_nothing(void **state)
{
	struct devmem_device_filter d;
	struct top_filter flt = { .device = &d };
	struct devmem_snapshot s;
	struct top_frame f;
	char line[512];

	fill_cum(&s);
	devmem_cli_parse_device(&d, "nosuch\x1b[2J");
	build_summary(&f, &s, &flt);
	assert_int_equal(f.nr_devs, 0);
	assert_true(f.no_device_match);
	top_empty_text(line, sizeof(line), &f, TOP_VIEW_DEVICES);
	assert_non_null(strstr(line, "no device matches -D nosuch\\x1b[2J; the devices are: "));
	assert_non_null(strstr(line, "gpu1"));
	top_frame_free(&f);
	devmem_cli_parse_device(&d, "gpu1");
	build_summary(&f, &s, &flt);
	assert_int_equal(f.nr_devs, 1);
	assert_false(f.no_device_match);
	top_empty_text(line, sizeof(line), &f, TOP_VIEW_DEVICES);
	assert_string_equal(line, "(no device-private memory known)");
	top_frame_free(&f);
	devmem_snapshot_free(&s);
}

static void test_json_fullness(void **state)
{
	struct top_text_opts o = { .source = "live", .rows = -1 };
	struct devmem_snapshot s;
	struct top_frame f;
	char *text = NULL;
	size_t len = 0;
	json_t *doc, *devs;
	FILE *m;
	int seen = 0;

	three_devices(&s);
	s.ranges[1].in_use_at_start = DEVMEM_UNKNOWN;
	build_summary(&f, &s, NULL);
	m = open_memstream(&text, &len);
	assert_int_equal(top_frame_json(m, &f, &o), 0);
	fclose(m);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	devs = json_object_get(doc, "devices");
	for (size_t i = 0; i < json_array_size(devs); i++) {
		json_t *d = json_array_get(devs, i);
		const char *name = json_string_value(json_object_get(d, "name"));
		json_t *full = json_object_get(d, "fullness");

		if (!strcmp(name, "small")) {
			assert_true(json_is_null(full));
			assert_true(json_is_null(json_object_get(d, "bytes_in_use")));
			seen++;
		} else if (!strcmp(name, "full")) {
			assert_true(json_real_value(full) * 10 * 4096 ==
				    9.0 * (double)sysconf(_SC_PAGESIZE));
			assert_int_equal(json_integer_value(json_object_get(d, "bytes_in_use")),
					 9 * sysconf(_SC_PAGESIZE));
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	json_decref(doc);
	free(text);
	top_frame_free(&f);
	devmem_snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fullness),
		cmocka_unit_test(test_bar),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_thrash_sorts),
		cmocka_unit_test(test_header_follows_pid),
		cmocka_unit_test(test_device_matches_nothing),
		cmocka_unit_test(test_json_fullness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

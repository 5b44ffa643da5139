// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop's screen model: rows, pages in use, sorting, formatting, frames. */
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
#include "model/snapshot.h"
#include "model/thrash.h"
#include "cli/cli.h"
#include "render/top_view.h"

#include "top_fixture.h"

static void test_process_rows(void **state)
{
	struct devmem_snapshot cum;
	struct top_frame f;
	struct top_filter flt = { .tgid = 1002 };

	fill_cum(&cum);
	build_summary(&f, &cum, NULL);
	/* the idle process has no row */
	assert_int_equal(f.nr_procs, 3);
	assert_null(proc(&f, 1004));
	assert_int_equal(proc(&f, 1002)->c.faults, 30);
	assert_string_equal(proc(&f, 1003)->comm, "charlie");
	top_frame_free(&f);

	build_summary(&f, &cum, &flt);
	assert_int_equal(f.nr_procs, 1);
	assert_int_equal(f.procs[0].tgid, 1002);
	top_frame_free(&f);
	devmem_snapshot_free(&cum);
}

static void test_device_rows_in_use(void **state)
{
	struct devmem_snapshot cum;
	const struct top_dev_row *d;
	struct top_frame f;

	fill_cum(&cum);
	build_summary(&f, &cum, NULL);
	assert_int_equal(f.nr_devs, 3);
	assert_int_equal(f.nr_ranges, 3);
	assert_int_equal(f.ranges_bytes, (65536ULL + 131072 + 16384) * (__u64)sysconf(_SC_PAGESIZE));

	/* discovered with 7 in use: 7 + 120 - 55 */
	d = dev_by_owner(&f, GPU0);
	assert_non_null(d);
	assert_true(d->in_use_known);
	assert_int_equal(d->in_use, 72);
	assert_string_equal(d->name, "gpu0 private");
	assert_int_equal(d->start, 0x100000000ULL);
	assert_int_equal(d->nr_ranges, 1);

	/* added while traced: nothing in use at the start */
	d = dev_by_owner(&f, GPU1);
	assert_true(d->in_use_known);
	assert_int_equal(d->in_use, 49);

	/* a range whose owner is not known is a device of its own, named by its start */
	d = dev_by_start(&f, 0x300000000ULL);
	assert_non_null(d);
	assert_int_equal(d->owner, 0);
	assert_string_equal(d->name, "0x300000000");
	assert_true(d->in_use_known);
	assert_int_equal(d->in_use, 3);
	top_frame_free(&f);

	/* a range neither listed at start nor added while traced: only the change */
	cum.ranges[1].r.added_ns = 0;
	cum.ranges[1].c.frees = 60;
	assert_int_equal(devmem_snapshot_group_devices(&cum), 0);
	build_summary(&f, &cum, NULL);
	d = dev_by_owner(&f, GPU1);
	assert_false(d->in_use_known);
	assert_int_equal(d->in_use, -10);
	top_frame_free(&f);
	devmem_snapshot_free(&cum);
}

static void test_device_filter(void **state)
{
	struct devmem_snapshot cum;
	struct top_frame f;
	struct devmem_device_filter name, start, start_hex, owner, nosuch;
	struct top_filter by_name = { .device = &name };
	struct top_filter by_start = { .device = &start };
	struct top_filter by_start_hex = { .device = &start_hex };
	struct top_filter by_owner = { .device = &owner };
	struct top_filter none = { .device = &nosuch };

	devmem_cli_parse_device(&name, "gpu1");
	devmem_cli_parse_device(&start, "0x100000000");
	devmem_cli_parse_device(&start_hex, "300000000");
	devmem_cli_parse_device(&owner, "0xffff888000002000");
	devmem_cli_parse_device(&nosuch, "nosuch");

	fill_cum(&cum);
	build_summary(&f, &cum, &by_name);
	assert_int_equal(f.nr_devs, 1);
	assert_int_equal(f.devs[0].owner, GPU1);
	top_frame_free(&f);
	build_summary(&f, &cum, &by_start);
	assert_int_equal(f.nr_devs, 1);
	assert_int_equal(f.devs[0].owner, GPU0);
	top_frame_free(&f);
	build_summary(&f, &cum, &by_start_hex);
	assert_int_equal(f.nr_devs, 1);
	assert_int_equal(f.devs[0].start, 0x300000000ULL);
	top_frame_free(&f);
	build_summary(&f, &cum, &by_owner);
	assert_int_equal(f.nr_devs, 1);
	assert_int_equal(f.devs[0].owner, GPU1);
	top_frame_free(&f);
	build_summary(&f, &cum, &none);
	assert_int_equal(f.nr_devs, 0);
	top_frame_free(&f);
	devmem_snapshot_free(&cum);
}

/* rates come from the delta, pages in use from the cumulative snapshot */
static void test_delta_frame(void **state)
{
	struct devmem_snapshot prev, cum, delta;
	struct top_frame f;
	char line[256];

	fill_cum(&prev);
	fill_cum(&cum);
	cum.ts_ns = prev.ts_ns + 2000000000ULL;
	devmem_snapshot_process(&cum, 1002, 2002)->c.faults += 50;	/* 25/s */
	cum.ranges[0].c.allocs += 10;
	assert_int_equal(devmem_snapshot_group_devices(&cum), 0);
	assert_int_equal(devmem_snapshot_delta(&delta, &cum, &prev), 0);
	top_frame_init(&f);
	f.number = 2;
	assert_int_equal(top_frame_build(&f, &delta, &cum, NULL), 0);
	assert_int_equal(f.interval_ns, 2000000000ULL);
	/* only bravo was active in the interval */
	assert_int_equal(f.nr_procs, 1);
	top_row_text(line, sizeof(line), &f, TOP_VIEW_PROCESSES, 0);
	assert_non_null(strstr(line, "1002"));
	assert_non_null(strstr(line, "      25 "));
	assert_non_null(strstr(line, "bravo"));
	assert_int_equal(dev_by_owner(&f, GPU0)->in_use, 82);
	top_frame_free(&f);
	devmem_snapshot_free(&delta);
	devmem_snapshot_free(&cum);
	devmem_snapshot_free(&prev);
}

static void order(const struct top_frame *f, __u32 a, __u32 b, __u32 c)
{
	assert_int_equal(f->nr_procs, 3);
	assert_int_equal(f->procs[0].tgid, a);
	assert_int_equal(f->procs[1].tgid, b);
	assert_int_equal(f->procs[2].tgid, c);
}

static void test_sort(void **state)
{
	struct devmem_snapshot cum;
	struct top_frame f;
	struct top_sort s;

	fill_cum(&cum);
	build_summary(&f, &cum, NULL);
	top_sort_init(&s);
	top_sort_rows(&f, &s);
	order(&f, 1002, 1003, 1001);		/* faults, descending */
	s.reverse[TOP_VIEW_PROCESSES] = true;
	top_sort_rows(&f, &s);
	order(&f, 1001, 1003, 1002);
	s.reverse[TOP_VIEW_PROCESSES] = false;
	s.key[TOP_VIEW_PROCESSES] = TOP_PK_TO_DEVICE;
	top_sort_rows(&f, &s);
	order(&f, 1001, 1003, 1002);
	s.key[TOP_VIEW_PROCESSES] = TOP_PK_FREES;
	top_sort_rows(&f, &s);
	order(&f, 1002, 1001, 1003);
	s.key[TOP_VIEW_PROCESSES] = TOP_PK_COMM;	/* names ascending */
	top_sort_rows(&f, &s);
	order(&f, 1001, 1002, 1003);
	s.key[TOP_VIEW_PROCESSES] = TOP_PK_PID;
	s.reverse[TOP_VIEW_PROCESSES] = true;
	top_sort_rows(&f, &s);
	order(&f, 1003, 1002, 1001);

	/* devices: in use descending, the unnamed range's device (3) after gpu1 (49) */
	s.key[TOP_VIEW_DEVICES] = TOP_DK_IN_USE;
	top_sort_rows(&f, &s);
	assert_int_equal(f.devs[0].owner, GPU0);
	assert_int_equal(f.devs[1].owner, GPU1);
	assert_int_equal(f.devs[2].start, 0x300000000ULL);
	s.key[TOP_VIEW_DEVICES] = TOP_DK_RANGE;
	top_sort_rows(&f, &s);
	assert_int_equal(f.devs[0].start, 0x100000000ULL);
	assert_int_equal(f.devs[2].start, 0x300000000ULL);
	top_frame_free(&f);
	devmem_snapshot_free(&cum);
}

/* counts that differ by more than 2^32 must not wrap through an int */
static void test_sort_64bit(void **state)
{
	struct devmem_snapshot s;
	struct top_frame f;
	struct top_sort so;

	devmem_snapshot_init(&s);
	set_proc(&s, 1, "small", 1, 0, 0, 0);
	set_proc(&s, 2, "huge", (1ULL << 33) + 1, 0, 0, 0);
	set_proc(&s, 3, "mid", 1ULL << 31, 0, 0, 0);
	build_summary(&f, &s, NULL);
	top_sort_init(&so);
	top_sort_rows(&f, &so);
	order(&f, 2, 3, 1);
	top_frame_free(&f);
	devmem_snapshot_free(&s);
}

static void test_keys(void **state)
{
	assert_int_equal(top_key_parse(TOP_VIEW_PROCESSES, "toram"), TOP_PK_TO_RAM);
	assert_int_equal(top_key_parse(TOP_VIEW_PROCESSES, "P99"), TOP_PK_P99);
	assert_int_equal(top_key_parse(TOP_VIEW_PROCESSES, "inuse"), -1);
	assert_int_equal(top_key_parse(TOP_VIEW_DEVICES, "inuse"), TOP_DK_IN_USE);
	assert_int_equal(top_key_parse(TOP_VIEW_DEVICES, "faults"), TOP_DK_FAULTS);
	assert_int_equal(top_key_parse(TOP_VIEW_DEVICES, "nosuch"), -1);
	for (int k = 0; k < TOP_PK_COUNT; k++)
		assert_int_equal(top_key_parse(TOP_VIEW_PROCESSES,
					       top_key_name(TOP_VIEW_PROCESSES, k)), k);
	for (int k = 0; k < TOP_DK_COUNT; k++)
		assert_int_equal(top_key_parse(TOP_VIEW_DEVICES, top_key_name(TOP_VIEW_DEVICES, k)), k);
	assert_true(top_key_descending(TOP_VIEW_PROCESSES, TOP_PK_FAULTS));
	assert_false(top_key_descending(TOP_VIEW_PROCESSES, TOP_PK_PID));
	assert_false(top_key_descending(TOP_VIEW_DEVICES, TOP_DK_NAME));
}

static void test_formats(void **state)
{
	char b[32];

	top_fmt_rate(b, sizeof(b), 12, 6);
	assert_string_equal(b, "    12");
	top_fmt_rate(b, sizeof(b), 12.25, 6);
	assert_string_equal(b, "  12.2");
	top_fmt_rate(b, sizeof(b), 123456, 8);
	assert_string_equal(b, "  123.5k");
	top_fmt_rate(b, sizeof(b), 5.6e6, 8);
	assert_string_equal(b, "    5.6M");
	top_fmt_rate(b, sizeof(b), -1, 4);
	assert_string_equal(b, "   -");
	top_fmt_ns(b, sizeof(b), 850, false);
	assert_string_equal(b, "850ns");
	top_fmt_ns(b, sizeof(b), 12345, false);
	assert_string_equal(b, "12.3us");
	top_fmt_ns(b, sizeof(b), 1.5e6, false);
	assert_string_equal(b, "1.5ms");
	top_fmt_ns(b, sizeof(b), 2.1e9, true);
	assert_string_equal(b, ">2.10s");
	top_fmt_ns(b, sizeof(b), -1, false);
	assert_string_equal(b, "-");
	top_fmt_bytes(b, sizeof(b), 256ULL << 20);
	assert_string_equal(b, "256M");
	top_fmt_bytes(b, sizeof(b), 3ULL << 29);
	assert_string_equal(b, "1.5G");
	top_fmt_bytes(b, sizeof(b), 512);
	assert_string_equal(b, "512B");
}

static void test_title_marks_sort(void **state)
{
	struct top_frame f;
	struct top_sort s;
	char line[256];
	int col, len;

	top_frame_init(&f);
	top_sort_init(&s);
	top_title_text(line, sizeof(line), &f, TOP_VIEW_PROCESSES, &s, &col, &len);
	assert_non_null(strstr(line, "*FAULT/s"));
	assert_int_equal(strncmp(line + col, "*FAULT/s", (size_t)len), 0);
	assert_non_null(strstr(line, "COMMAND"));
	s.key[TOP_VIEW_DEVICES] = TOP_DK_IN_USE;
	top_title_text(line, sizeof(line), &f, TOP_VIEW_DEVICES, &s, &col, &len);
	assert_non_null(strstr(line, "*USE%"));
	assert_non_null(strstr(line, "MIGR/s"));
	f.summary = true;	/* summary frames show counts */
	top_title_text(line, sizeof(line), &f, TOP_VIEW_DEVICES, &s, &col, &len);
	assert_non_null(strstr(line, "TODEV"));
	assert_null(strstr(line, "MIGR/s"));
}

/* a whole batch frame: plain text, hostile names defused, rows limited */
static void test_frame_print(void **state)
{
	struct devmem_snapshot cum;
	struct top_text_opts o = { .source = "live", .rows = 2, .delay_s = 1 };
	struct top_frame f;
	struct top_sort s;
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	fill_cum(&cum);
	snprintf(devmem_snapshot_process(&cum, 1003, 2003)->comm, DEVMEM_COMM_LEN, "x\x1b]0;pwn\a");
	snprintf(cum.ranges[0].name, sizeof(cum.ranges[0].name), "bad\x1b[2J");
	cum.ranges[0].device[0] = '\0';	/* the device takes the range's name */
	assert_int_equal(devmem_snapshot_group_devices(&cum), 0);
	build_summary(&f, &cum, NULL);
	top_sort_init(&s);
	top_sort_rows(&f, &s);
	m = open_memstream(&text, &len);
	assert_non_null(m);
	top_frame_print(m, &f, &s, 3, &o);
	fclose(m);
	for (size_t i = 0; i < len; i++)
		assert_true(text[i] == '\n' || (text[i] >= 0x20 && text[i] < 0x7f));
	assert_non_null(strstr(text, "summary over"));
	assert_non_null(strstr(text, "Total: faults 60"));
	/* two rows per table: bravo and charlie (as x\x1b]0;pwn\x07), not alpha */
	assert_non_null(strstr(text, "bravo"));
	assert_non_null(strstr(text, "x\\x1b]0;pwn\\x07"));
	assert_null(strstr(text, "alpha"));
	assert_non_null(strstr(text, "bad\\x1b[2J"));
	free(text);
	top_frame_free(&f);
	devmem_snapshot_free(&cum);
}

static void test_initial_frame_has_no_rates(void **state)
{
	struct devmem_snapshot cum;
	struct top_frame f;
	char line[256];

	fill_cum(&cum);
	top_frame_init(&f);
	f.initial = true;
	assert_int_equal(top_frame_build(&f, &cum, &cum, NULL), 0);
	top_row_text(line, sizeof(line), &f, TOP_VIEW_PROCESSES, 0);
	assert_non_null(strstr(line, "       -        -"));
	top_frame_free(&f);
	devmem_snapshot_free(&cum);
}

/* THRASH: the pages of add_thrash() at K 3 and K 4 */
static void test_thrash_column(void **state)
{
	struct devmem_snapshot cum;
	struct top_frame f;
	char line[256];

	fill_cum(&cum);
	add_thrash(&cum);
	top_frame_init(&f);
	f.summary = true;
	assert_int_equal(top_frame_build(&f, &cum, &cum, NULL), 0);
	assert_true(f.thrash_on);
	assert_int_equal(f.thrash_pages, 4);
	assert_int_equal(proc(&f, 1001)->thrash_pages, 3);
	assert_int_equal(proc(&f, 1002)->thrash_pages, 1);
	assert_int_equal(proc(&f, 1003)->thrash_pages, 0);
	assert_int_equal(dev_by_owner(&f, GPU0)->thrash_pages, 3);
	assert_int_equal(dev_by_owner(&f, GPU1)->thrash_pages, 1);
	top_title_text(line, sizeof(line), &f, TOP_VIEW_PROCESSES, NULL, NULL, NULL);
	assert_non_null(strstr(line, "THRASH"));
	/* the thrash view: alpha's three pages in a row, bravo's one, most bounces first */
	{
		struct top_sort so;

		top_sort_init(&so);
		top_sort_rows(&f, &so);
		assert_int_equal(top_row_count(&f, TOP_VIEW_THRASH), 2);
		assert_int_equal(f.runs[0].tgid, 1001);
		assert_int_equal(f.runs[0].npages, 3);
		assert_int_equal(f.runs[0].bounces, 15);
		assert_int_equal(f.runs[0].vaddr, 0x10000);
		assert_int_equal(f.runs[1].tgid, 1002);
		assert_int_equal(f.runs[1].bounces, 4);
		top_row_text(line, sizeof(line), &f, TOP_VIEW_THRASH, 0);
		assert_non_null(strstr(line, "alpha"));
		assert_non_null(strstr(line, " 15 "));
		assert_non_null(strstr(line, "10000"));
		top_title_text(line, sizeof(line), &f, TOP_VIEW_THRASH, &so, NULL, NULL);
		assert_non_null(strstr(line, "*BOUNCES"));
		so.key[TOP_VIEW_THRASH] = top_key_parse(TOP_VIEW_THRASH, "pid");
		top_sort_rows(&f, &so);
		assert_int_equal(f.runs[0].tgid, 1001);
		so.reverse[TOP_VIEW_THRASH] = true;
		top_sort_rows(&f, &so);
		assert_int_equal(f.runs[0].tgid, 1002);
	}
	cum.thrash_k = 4;
	assert_int_equal(top_frame_build(&f, &cum, &cum, NULL), 0);
	assert_int_equal(proc(&f, 1001)->thrash_pages, 3);
	assert_int_equal(proc(&f, 1002)->thrash_pages, 0);
	/* off: shown as "-", not as 0 */
	cum.thrash_on = false;
	assert_int_equal(top_frame_build(&f, &cum, &cum, NULL), 0);
	assert_false(f.thrash_on);
	assert_int_equal(top_row_count(&f, TOP_VIEW_THRASH), 0);
	top_frame_free(&f);
	devmem_snapshot_free(&cum);
}

static void test_json(void **state)
{
	struct devmem_snapshot cum;
	struct top_text_opts o = { .source = "replay x.rec" };
	struct top_frame f;
	json_error_t jerr;
	json_t *root, *procs, *devs;
	char *text = NULL;
	size_t len = 0, i;
	FILE *m;
	__u64 faults = 0;

	fill_cum(&cum);
	build_summary(&f, &cum, NULL);
	m = open_memstream(&text, &len);
	assert_int_equal(top_frame_json(m, &f, &o), 0);
	fclose(m);
	assert_int_equal(strchr(text, '\n') - text, (long)len - 1);	/* one line */
	root = json_loads(text, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "type")), "summary");
	assert_string_equal(json_string_value(json_object_get(root, "source")), "replay x.rec");
	procs = json_object_get(root, "processes");
	devs = json_object_get(root, "devices");
	assert_int_equal(json_array_size(procs), 3);
	for (i = 0; i < json_array_size(procs); i++)
		faults += json_integer_value(json_object_get(
			json_object_get(json_array_get(procs, i), "counters"), "faults"));
	assert_int_equal(faults, 60);
	assert_int_equal(json_array_size(devs), 3);
	for (i = 0; i < json_array_size(devs); i++) {
		json_t *d = json_array_get(devs, i);

		if (json_is_null(json_object_get(d, "owner")))
			assert_int_equal(json_integer_value(json_object_get(d, "pages_in_use")), 3);
	}
	json_decref(root);
	free(text);
	top_frame_free(&f);
	devmem_snapshot_free(&cum);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_process_rows),
		cmocka_unit_test(test_device_rows_in_use),
		cmocka_unit_test(test_device_filter),
		cmocka_unit_test(test_delta_frame),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_sort_64bit),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_title_marks_sort),
		cmocka_unit_test(test_frame_print),
		cmocka_unit_test(test_initial_frame_has_no_rates),
		cmocka_unit_test(test_thrash_column),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests_name("top_view", tests, NULL, NULL);
}

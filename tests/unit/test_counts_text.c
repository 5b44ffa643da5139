// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Counters and folios in the reports (tools/lib/render/counts_text.c and
 * its users): the folios-by-order line, "?" for what the mode cannot see,
 * devmemstat's text and JSON, devmemhist's text, with folios of order 0
 * and 9 and busy faults on the fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "clean_text.h"
#include "model/counts.h"
#include "model/snapshot.h"
#include "render/counts_text.h"
#include "render/hist_report.h"
#include "render/report.h"

/* what fn printed into a string (free it) */
#define CAPTURE(buf, ...) do {							\
		size_t len_;							\
		FILE *f_ = open_memstream(&(buf), &len_);			\
		assert_non_null(f_);						\
		__VA_ARGS__;							\
		fclose(f_);							\
	} while (0)
#define OUT f_

static void has(const char *text, const char *what)
{
	if (!strstr(text, what))
		fail_msg("missing: '%s' in:\n%s", what, text);
}

/* gpu0: 2 MiB folios and small ones; gpu1 nothing; in total the same */
static void snapshot(struct devmem_snapshot *s, enum devmem_mode mode)
{
	struct devmem_snap_range *r;
	struct devmem_folio_counts *f;

	devmem_snapshot_init(s);
	s->mode = mode;
	r = devmem_snapshot_range(s, 1, 0x100000000ULL);
	r->r.end = 0x10fffffffULL;
	r->r.nr_pages = 65536;
	strcpy(r->name, "gpu0");
	f = &r->folios;
	f->allocs[0] = 123;
	f->allocs[9] = 4;
	f->frees[0] = 120;
	f->to_ram[0] = 1;
	f->to_ram[DEVMEM_ORDERS - 1] = 2;
	r->c.allocs = 123 + 4 * 512;
	r->c.faults = 5;
	r->c.faults_pmd = 3;
	r = devmem_snapshot_range(s, 2, 0x200000000ULL);
	r->r.end = 0x20fffffffULL;
	strcpy(r->name, "gpu1");
	r->c.faults_busy = 0;
	s->total = s->ranges[0].c;
	s->folios = s->ranges[0].folios;
	assert_int_equal(devmem_snapshot_group_devices(s), 0);
	devmem_snapshot_sort(s);
}

#define FOLIOS_LINE "folios by order: allocs 0:123 9:4, frees 0:120, to_device none, " \
		    "to_ram 0:1 10:2\n"

static void test_folios_line(void **state)
{
	struct devmem_folio_counts f;
	struct devmem_snapshot s;
	char *t;

	snapshot(&s, DEVMEM_MODE_TP_BTF);
	CAPTURE(t, devmem_folios_text(OUT, &s.folios, "  "));
	assert_string_equal(t, "  " FOLIOS_LINE);
	free(t);
	memset(&f, 0, sizeof(f));
	CAPTURE(t, devmem_folios_text(OUT, &f, ""));
	assert_string_equal(t, "folios by order: allocs none, frees none, to_device none, "
			    "to_ram none\n");
	free(t);
	devmem_folios_set_unknown(&f);
	CAPTURE(t, devmem_folios_text(OUT, &f, ""));
	assert_string_equal(t, "folios by order: ?\n");
	free(t);
	devmem_snapshot_free(&s);
}

static void test_counters_unknown(void **state)
{
	struct devmem_snapshot s;
	char buf[24], *t;

	assert_string_equal(devmem_count_text(buf, sizeof(buf), 7), "7");
	assert_string_equal(devmem_count_text(buf, sizeof(buf), DEVMEM_UNKNOWN), "?");
	snapshot(&s, DEVMEM_MODE_FENTRY);
	CAPTURE(t, devmem_counters_text(OUT, s.mode, &s.total, "  "));
	has(t, "\n  faults_pmd               3\n");
	has(t, "\n  faults_busy              ?\n");
	has(t, "  faults                   5\n");
	free(t);
	CAPTURE(t, devmem_counters_text(OUT, DEVMEM_MODE_TP_BTF, &s.total, ""));
	has(t, "\nfaults_busy              0\n");
	free(t);
	/* one line: what is known and not 0 */
	CAPTURE(t, devmem_counters_line(OUT, s.mode, &s.total, "  "));
	assert_string_equal(t, "  faults 5, allocs 2171, faults_pmd 3\n");
	free(t);
	s.total.faults_pmd = DEVMEM_UNKNOWN;
	CAPTURE(t, devmem_counters_line(OUT, s.mode, &s.total, ""));
	assert_string_equal(t, "faults 5, allocs 2171\n");
	free(t);
	devmem_snapshot_free(&s);
}

/* devmemstat's text: the totals with folios, the device tables with PMD and busy faults */
static void test_stat_text(void **state)
{
	struct devmem_snapshot s;
	char *t;

	snapshot(&s, DEVMEM_MODE_FENTRY);
	CAPTURE(t, devmem_report_text(OUT, &s, 0));
	assert_clean_text(t, strlen(t));
	has(t, "TOTALS\n");
	has(t, "\n  faults_busy              ?\n  " FOLIOS_LINE);
	has(t, "REFS_WT PMD_FLT   BUSY\n");
	/* gpu0's row ends in its PMD faults and an unknown busy count, then its folios */
	has(t, "        0       3      ?\n      " FOLIOS_LINE);
	/* gpu1 had none: no folios line under its row */
	has(t, "      0       0      ?\n\nPROCESSES");
	free(t);
	snapshot(&s, DEVMEM_MODE_TP_BTF);
	CAPTURE(t, devmem_report_text(OUT, &s, 0));
	has(t, "\n  faults_busy              0\n");
	has(t, "        0       3      0\n      " FOLIOS_LINE);
	free(t);
	devmem_snapshot_free(&s);
}

/* devmemstat -j: folios keyed by order, busy faults null on the fallback */
static void test_stat_json(void **state)
{
	struct devmem_snapshot s;
	json_t *root, *f, *dev, *range;
	json_error_t jerr;
	char *t;

	snapshot(&s, DEVMEM_MODE_FENTRY);
	CAPTURE(t, assert_int_equal(devmem_report_json(OUT, &s), 0));
	root = json_loads(t, 0, &jerr);
	assert_non_null(root);
	f = json_object_get(root, "folios");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "allocs"), "0")), 123);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "allocs"), "9")), 4);
	assert_int_equal(json_object_size(json_object_get(f, "allocs")), 2);
	assert_int_equal(json_object_size(json_object_get(f, "to_device")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "to_ram"), "10")), 2);
	assert_true(json_is_null(json_object_get(json_object_get(root, "counters"), "faults_busy")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "counters"),
							     "faults_pmd")), 3);
	dev = json_array_get(json_object_get(root, "devices"), 0);
	assert_string_equal(json_string_value(json_object_get(dev, "name")), "gpu0");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
				json_object_get(dev, "folios"), "allocs"), "9")), 4);
	assert_true(json_is_null(json_object_get(json_object_get(dev, "counters"), "faults_busy")));
	range = json_array_get(json_object_get(root, "ranges"), 1);
	assert_int_equal(json_object_size(json_object_get(json_object_get(range, "folios"),
							  "allocs")), 0);
	json_decref(root);
	free(t);
	/* not kept: null */
	devmem_folios_set_unknown(&s.folios);
	CAPTURE(t, assert_int_equal(devmem_report_json(OUT, &s), 0));
	root = json_loads(t, 0, &jerr);
	assert_true(json_is_null(json_object_get(root, "folios")));
	json_decref(root);
	free(t);
	devmem_snapshot_free(&s);
}

/* devmemhist's summary: counters and folios in total and per device */
static void test_hist_text(void **state)
{
	struct devmem_hist_report o = {
		.time_unit = { "usecs", 1000 }, .counters = true, .per_device = true,
	};
	struct devmem_snapshot s;
	char *t;

	snapshot(&s, DEVMEM_MODE_FENTRY);
	CAPTURE(t, devmem_hist_report_text(OUT, &s, &o));
	assert_clean_text(t, strlen(t));
	has(t, "Counters:\n");
	has(t, "\n  faults_busy              ?\n  " FOLIOS_LINE);
	has(t, "device gpu0:\n  faults 5, allocs 2171, faults_pmd 3\n  " FOLIOS_LINE);
	has(t, "device gpu1:\n  no activity\n");
	free(t);
	devmem_snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folios_line),
		cmocka_unit_test(test_counters_unknown),
		cmocka_unit_test(test_stat_text),
		cmocka_unit_test(test_stat_json),
		cmocka_unit_test(test_hist_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

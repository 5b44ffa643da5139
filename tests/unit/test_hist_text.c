// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * render/hist_text.c: the bucket table and the summary line of a histogram;
 * render/hist_report.c: a report per process leaves out their empty ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/hist_report.h"
#include "render/hist_text.h"

static char *print_to_string(const struct devmem_hist *h, const char *unit)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	devmem_hist_table(f, h, (struct devmem_unit){ unit, 1 }, "");
	fclose(f);
	return buf;
}

static void test_print(void **state)
{
	struct devmem_hist h = {};
	char *out;

	out = print_to_string(&h, "nsecs");
	assert_non_null(strstr(out, "(no samples)"));
	free(out);

	devmem_hist_add(&h, 3);
	devmem_hist_add(&h, 3);
	devmem_hist_add(&h, 100);
	out = print_to_string(&h, "pages");
	assert_non_null(strstr(out, "pages"));
	assert_non_null(strstr(out, "2 -> 3"));
	assert_non_null(strstr(out, "64 -> 127"));
	/* the fullest slot gets the whole 40-star bar, half of it 20 stars */
	assert_non_null(strstr(out, "|****************************************|"));
	assert_non_null(strstr(out, "|********************                    |"));
	/* nothing after the last used slot */
	assert_null(strstr(out, "128 -> 255"));
	free(out);

	memset(&h, 0, sizeof(h));
	devmem_hist_add(&h, UINT64_MAX);
	out = print_to_string(&h, "nsecs");
	assert_non_null(strstr(out, " -> ..."));
	free(out);
}

/* scaled units: bucket bounds stay apart, percentiles say they are estimates */
static void test_scaled(void **state)
{
	struct devmem_hist h = {};
	struct devmem_unit ms = { "msecs", 1e6 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	devmem_hist_add(&h, 600);	/* [512, 1023] ns */
	devmem_hist_add(&h, 1500);	/* [1024, 2047] ns */
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	devmem_hist_table(f, &h, ms, "");
	devmem_hist_summary(f, &h, ms);
	fclose(f);
	assert_non_null(strstr(buf, "0.000512 -> 0.00102"));
	assert_non_null(strstr(buf, "0.00102 -> 0.00205"));
	assert_null(strstr(buf, "0.001 -> 0.001"));
	assert_non_null(strstr(buf, "2 samples"));
	assert_non_null(strstr(buf, "p50 ~"));
	free(buf);
}

/* per process: the histograms that have samples, the totals all four */
static void test_report_leaves_out_empty(void **state)
{
	struct devmem_hist_report o = {
		.time_unit = { "usecs", 1000 }, .counters = true, .per_process = true,
	};
	struct devmem_snapshot s;
	struct devmem_process *p;
	char *buf = NULL, *a, *b;
	size_t len = 0;
	FILE *f;

	devmem_snapshot_init(&s);
	p = devmem_snapshot_process(&s, 41, 1);
	snprintf(p->comm, sizeof(p->comm), "busy");
	p->c.faults = 2;
	p->has_hist = true;
	devmem_hist_add(&p->hist[DEVMEM_HIST_FAULT_LATENCY], 5000);
	devmem_hist_add(&p->hist[DEVMEM_HIST_FAULT_LATENCY], 6000);
	devmem_hist_add(&s.hist[DEVMEM_HIST_FAULT_LATENCY], 5000);
	devmem_hist_add(&s.hist[DEVMEM_HIST_FAULT_LATENCY], 6000);
	p = devmem_snapshot_process(&s, 42, 2);
	snprintf(p->comm, sizeof(p->comm), "quiet");
	p->c.allocs = 1;
	p->has_hist = true;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	devmem_hist_report_text(f, &s, &o);
	fclose(f);
	/* the totals: every kind, empty ones said */
	assert_non_null(strstr(buf, "\nmigrate_pages (pages): 0 samples"));
	a = strstr(buf, "process 41 (busy)");
	b = strstr(buf, "process 42 (quiet)");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	/* busy: its fault latency, none of its three empty kinds */
	*b = '\0';
	assert_non_null(strstr(a, "fault_latency (usecs): 2 samples"));
	assert_null(strstr(a, "0 samples"));
	assert_null(strstr(a, "migrate_pages"));
	/* quiet: one line that it has none */
	assert_non_null(strstr(b + 1, "no histogram samples"));
	assert_null(strstr(b + 1, "0 samples"));
	free(buf);
	devmem_snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_scaled),
		cmocka_unit_test(test_report_leaves_out_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

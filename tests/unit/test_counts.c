// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Counts that may be unknown (tools/lib/model/counts.c): the one rule of
 * the counters a mode observes, sums and deltas that keep unknown values
 * unknown, and the folios by order through grouping, deltas, merges and
 * copies of snapshots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/counts.h"
#include "model/snapshot.h"

#define IDX(field) (offsetof(struct devmem_counters, field) / sizeof(__u64))

/* faults_busy is a zone_device tracepoint's: never seen by the fentry fallback */
static void test_observed_rule(void **state)
{
	struct devmem_counters c = { .faults = 7, .faults_pmd = 2, .faults_busy = 0 };
	static const enum devmem_mode seeing[] = {
		DEVMEM_MODE_TP_BTF, DEVMEM_MODE_RAW_TP, DEVMEM_MODE_NONE,
	};

	for (size_t m = 0; m < sizeof(seeing) / sizeof(seeing[0]); m++) {
		for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
			assert_true(devmem_counter_observed(seeing[m], i));
		assert_int_equal(devmem_counter_shown(seeing[m], &c, IDX(faults_busy)), 0);
	}
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		assert_int_equal(devmem_counter_observed(DEVMEM_MODE_FENTRY, i),
				 i != IDX(faults_busy));
	/* the fallback's 0 is no count: unknown */
	assert_true(devmem_counter_shown(DEVMEM_MODE_FENTRY, &c, IDX(faults_busy)) ==
		    DEVMEM_UNKNOWN);
	assert_int_equal(devmem_counter_shown(DEVMEM_MODE_FENTRY, &c, IDX(faults_pmd)), 2);
	assert_int_equal(devmem_counter_shown(DEVMEM_MODE_FENTRY, &c, IDX(faults)), 7);
	/* a value unknown in the data is unknown in every mode */
	c.faults_pmd = DEVMEM_UNKNOWN;
	assert_true(devmem_counter_shown(DEVMEM_MODE_TP_BTF, &c, IDX(faults_pmd)) ==
		    DEVMEM_UNKNOWN);
	devmem_counters_mask(&c, DEVMEM_MODE_FENTRY);
	assert_true(c.faults_busy == DEVMEM_UNKNOWN);
	assert_int_equal(c.faults, 7);
}

static void test_known_arithmetic(void **state)
{
	struct devmem_counters a = { .faults = 1 }, b = { .faults = 2, .faults_pmd = 3 };

	assert_int_equal(devmem_known_add(2, 3), 5);
	assert_true(devmem_known_add(DEVMEM_UNKNOWN, 3) == DEVMEM_UNKNOWN);
	assert_true(devmem_known_add(3, DEVMEM_UNKNOWN) == DEVMEM_UNKNOWN);
	assert_int_equal(devmem_known_delta(10, 4), 6);
	assert_int_equal(devmem_known_delta(4, 10), 4);	/* restarted: all of it is new */
	assert_true(devmem_known_delta(DEVMEM_UNKNOWN, 4) == DEVMEM_UNKNOWN);
	assert_true(devmem_known_delta(4, DEVMEM_UNKNOWN) == DEVMEM_UNKNOWN);
	/* the sums of the session and the grouping keep an unknown counter unknown */
	a.faults_pmd = DEVMEM_UNKNOWN;
	devmem_counters_add(&a, &b);
	assert_int_equal(a.faults, 3);
	assert_true(a.faults_pmd == DEVMEM_UNKNOWN);
	/* no activity: nothing known but 0 */
	memset(&a, 0, sizeof(a));
	assert_true(devmem_counters_none(&a));
	a.faults_pmd = DEVMEM_UNKNOWN;
	assert_true(devmem_counters_none(&a));
	a.frees = 1;
	assert_false(devmem_counters_none(&a));
	/* a sum over modes: what one of them could not see is unknown */
	memset(&a, 0, sizeof(a));
	a.faults_busy = 4;
	b.faults_busy = 0;
	devmem_counters_add_seen(&a, DEVMEM_MODE_TP_BTF, &b, DEVMEM_MODE_TP_BTF);
	assert_int_equal(a.faults_busy, 4);
	devmem_counters_add_seen(&a, DEVMEM_MODE_TP_BTF, &b, DEVMEM_MODE_FENTRY);
	assert_true(a.faults_busy == DEVMEM_UNKNOWN);
	assert_int_equal(a.faults_pmd, 6);
}

static void set_folios(struct devmem_folio_counts *f, __u64 small, __u64 pmd)
{
	memset(f, 0, sizeof(*f));
	f->allocs[0] = small;
	f->allocs[9] = pmd;
	f->frees[0] = small / 2;
	f->to_device[9] = pmd;
	f->to_ram[0] = 1;
	f->to_ram[DEVMEM_ORDERS - 1] = pmd / 2;	/* 10 and up */
}

/* two ranges of one device, one of another; order 0 and 9 each */
static void two_devices(struct devmem_snapshot *s, enum devmem_mode mode, __u64 k)
{
	struct devmem_snap_range *r;

	devmem_snapshot_init(s);
	s->mode = mode;
	s->ts_ns = k * 1000000000ULL;
	r = devmem_snapshot_range(s, 1, 0x100000000ULL);
	strcpy(r->device, "gpu0");
	set_folios(&r->folios, 100 * k, 4 * k);
	r->c.faults = 10 * k;
	r->c.faults_pmd = 4 * k;
	r = devmem_snapshot_range(s, 2, 0x200000000ULL);
	strcpy(r->device, "gpu0");
	set_folios(&r->folios, 20 * k, 2 * k);
	r = devmem_snapshot_range(s, 3, 0x300000000ULL);
	strcpy(r->device, "gpu1");
	set_folios(&r->folios, 3 * k, 0);
	r->c.faults_busy = k;
	set_folios(&s->folios, 123 * k, 6 * k);
	s->total.faults_pmd = 4 * k;
	s->total.faults_busy = k;
	assert_int_equal(devmem_snapshot_group_devices(s), 0);
	devmem_snapshot_sort(s);
}

static void test_folios_group_delta_add_copy(void **state)
{
	struct devmem_snapshot a, b, d, sum, copy;
	const struct devmem_device *g;

	two_devices(&a, DEVMEM_MODE_TP_BTF, 1);
	two_devices(&b, DEVMEM_MODE_TP_BTF, 3);
	/* grouping sums the ranges' folios into their device */
	g = devmem_snapshot_find_device(&b, "gpu0");
	assert_non_null(g);
	assert_int_equal(g->folios.allocs[0], 360);
	assert_int_equal(g->folios.allocs[9], 18);
	assert_int_equal(g->folios.frees[0], 150 + 30);
	assert_int_equal(g->folios.to_device[9], 18);
	assert_int_equal(g->folios.to_ram[DEVMEM_ORDERS - 1], 6 + 3);
	assert_int_equal(g->c.faults_pmd, 12);
	assert_int_equal(devmem_folios_of(&g->folios, DEVMEM_FOLIO_TO_DEVICE)[9], 18);
	assert_string_equal(devmem_folio_kind_names[DEVMEM_FOLIO_TO_RAM], "to_ram");
	g = devmem_snapshot_find_device(&b, "gpu1");
	assert_int_equal(g->folios.allocs[9], 0);
	assert_false(devmem_folios_none(&g->folios));

	/* a delta by order: what each bucket gained */
	assert_int_equal(devmem_snapshot_delta(&d, &b, &a), 0);
	assert_int_equal(d.folios.allocs[0], 246);
	assert_int_equal(d.folios.allocs[9], 12);
	assert_int_equal(d.total.faults_pmd, 8);
	assert_int_equal(d.total.faults_busy, 2);
	g = devmem_snapshot_find_device(&d, "gpu0");
	assert_int_equal(g->folios.allocs[0], 240);
	assert_int_equal(g->folios.allocs[9], 12);
	assert_int_equal(d.ranges[0].folios.allocs[9], 8);
	assert_int_equal(d.ranges[1].folios.to_device[9], 4);

	/* merging sums total and devices; a range is the newest one's */
	devmem_snapshot_init(&sum);
	assert_int_equal(devmem_snapshot_add(&sum, &d), 0);
	assert_int_equal(devmem_snapshot_add(&sum, &a), 0);
	assert_int_equal(sum.folios.allocs[0], 246 + 123);
	assert_int_equal(sum.folios.allocs[9], 12 + 6);
	g = devmem_snapshot_find_device(&sum, "gpu0");
	assert_int_equal(g->folios.allocs[9], 12 + 6);
	assert_int_equal(sum.total.faults_busy, 3);

	/* a copy has them all */
	assert_int_equal(devmem_snapshot_copy(&copy, &b), 0);
	assert_memory_equal(&copy.folios, &b.folios, sizeof(b.folios));
	assert_memory_equal(&copy.devices[0].folios, &b.devices[0].folios, sizeof(b.folios));
	assert_memory_equal(&copy.ranges[2].folios, &b.ranges[2].folios, sizeof(b.folios));
	devmem_snapshot_free(&copy);
	devmem_snapshot_free(&sum);
	devmem_snapshot_free(&d);
	devmem_snapshot_free(&a);
	devmem_snapshot_free(&b);
}

/* folio counts a source did not keep stay unknown through every operation */
static void test_folios_unknown(void **state)
{
	struct devmem_snapshot a, b, d, sum;
	struct devmem_folio_counts f;

	memset(&f, 0, sizeof(f));
	assert_true(devmem_folios_known(&f));
	assert_true(devmem_folios_none(&f));
	devmem_folios_set_unknown(&f);
	assert_false(devmem_folios_known(&f));
	assert_false(devmem_folios_none(&f));

	two_devices(&a, DEVMEM_MODE_TP_BTF, 1);
	two_devices(&b, DEVMEM_MODE_TP_BTF, 2);
	devmem_folios_set_unknown(&a.folios);
	devmem_folios_set_unknown(&a.ranges[0].folios);
	assert_int_equal(devmem_snapshot_group_devices(&a), 0);
	devmem_snapshot_sort(&a);
	/* a device with one range unknown is unknown, the other not */
	assert_false(devmem_folios_known(&devmem_snapshot_find_device(&a, "gpu0")->folios));
	assert_true(devmem_folios_known(&devmem_snapshot_find_device(&a, "gpu1")->folios));
	assert_int_equal(devmem_snapshot_delta(&d, &b, &a), 0);
	assert_false(devmem_folios_known(&d.folios));
	assert_false(devmem_folios_known(&devmem_snapshot_find_device(&d, "gpu0")->folios));
	assert_int_equal(devmem_snapshot_find_device(&d, "gpu1")->folios.allocs[0], 3);
	devmem_snapshot_init(&sum);
	assert_int_equal(devmem_snapshot_add(&sum, &b), 0);
	assert_int_equal(devmem_snapshot_add(&sum, &a), 0);
	assert_false(devmem_folios_known(&sum.folios));
	devmem_snapshot_free(&sum);
	devmem_snapshot_free(&d);
	devmem_snapshot_free(&a);
	devmem_snapshot_free(&b);
}

/* on the fallback, faults_busy stays unknown through deltas and merges */
static void test_busy_unknown_on_fallback(void **state)
{
	struct devmem_snapshot a, b, d, sum;

	two_devices(&a, DEVMEM_MODE_FENTRY, 1);
	two_devices(&b, DEVMEM_MODE_FENTRY, 2);
	assert_int_equal(devmem_snapshot_delta(&d, &b, &a), 0);
	assert_true(d.total.faults_busy == DEVMEM_UNKNOWN);
	assert_true(d.devices[0].c.faults_busy == DEVMEM_UNKNOWN);
	assert_true(d.ranges[2].c.faults_busy == DEVMEM_UNKNOWN);
	assert_int_equal(d.total.faults_pmd, 4);	/* the fallback sees PMD faults */
	devmem_snapshot_free(&d);

	/* a fallback recording merged with a tracepoint one: the sum is unknown */
	two_devices(&d, DEVMEM_MODE_TP_BTF, 5);
	devmem_snapshot_init(&sum);
	assert_int_equal(devmem_snapshot_add(&sum, &d), 0);
	assert_int_equal(sum.total.faults_busy, 5);
	assert_int_equal(devmem_snapshot_add(&sum, &b), 0);
	assert_true(sum.total.faults_busy == DEVMEM_UNKNOWN);
	assert_true(devmem_snapshot_find_device(&sum, "gpu1")->c.faults_busy == DEVMEM_UNKNOWN);
	assert_true(sum.ranges[2].c.faults_busy == DEVMEM_UNKNOWN);
	assert_int_equal(sum.total.faults_pmd, 20 + 8);
	devmem_snapshot_free(&sum);
	devmem_snapshot_free(&d);
	devmem_snapshot_free(&a);
	devmem_snapshot_free(&b);
}

/* a session that lacks an event marks its counter unknown: it stays so in deltas */
static void test_session_marks_unknown(void **state)
{
	struct devmem_snapshot a, b, d;

	two_devices(&a, DEVMEM_MODE_TP_BTF, 1);
	two_devices(&b, DEVMEM_MODE_TP_BTF, 2);
	devmem_snapshot_process(&b, 7, 70)->c.faults_busy = 0;
	devmem_snapshot_counter_unknown(&a, IDX(faults_busy));
	devmem_snapshot_counter_unknown(&b, IDX(faults_busy));
	assert_true(b.total.faults_busy == DEVMEM_UNKNOWN);
	assert_true(b.devices[1].c.faults_busy == DEVMEM_UNKNOWN);
	assert_true(b.ranges[2].c.faults_busy == DEVMEM_UNKNOWN);
	assert_true(b.procs[0].c.faults_busy == DEVMEM_UNKNOWN);
	assert_int_equal(devmem_snapshot_delta(&d, &b, &a), 0);
	assert_true(devmem_counter_shown(d.mode, &d.total, IDX(faults_busy)) == DEVMEM_UNKNOWN);
	assert_true(d.ranges[2].c.faults_busy == DEVMEM_UNKNOWN);
	assert_int_equal(d.total.faults_pmd, 4);
	devmem_snapshot_free(&d);
	devmem_snapshot_free(&a);
	devmem_snapshot_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_observed_rule),
		cmocka_unit_test(test_known_arithmetic),
		cmocka_unit_test(test_folios_group_delta_add_copy),
		cmocka_unit_test(test_folios_unknown),
		cmocka_unit_test(test_busy_unknown_on_fallback),
		cmocka_unit_test(test_session_marks_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

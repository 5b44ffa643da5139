// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* log2 histogram maths: bucket edges, percentiles, empty and saturated. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/hist.h"

static void test_slots_and_edges(void **state)
{
	assert_int_equal(devmem_hist_slot(0), 0);
	assert_int_equal(devmem_hist_slot(1), 0);
	assert_int_equal(devmem_hist_slot(2), 1);
	assert_int_equal(devmem_hist_slot(3), 1);
	assert_int_equal(devmem_hist_slot(4), 2);
	assert_int_equal(devmem_hist_slot(1023), 9);
	assert_int_equal(devmem_hist_slot(1024), 10);
	assert_int_equal(devmem_hist_slot(UINT64_MAX), DEVMEM_HIST_SLOTS - 1);
	assert_int_equal(devmem_hist_slot(1ULL << (DEVMEM_HIST_SLOTS - 1)), DEVMEM_HIST_SLOTS - 1);
	assert_int_equal(devmem_hist_slot((1ULL << (DEVMEM_HIST_SLOTS - 1)) - 1),
			 DEVMEM_HIST_SLOTS - 2);

	assert_int_equal(devmem_hist_slot_low(0), 0);
	assert_int_equal(devmem_hist_slot_high(0), 1);
	assert_int_equal(devmem_hist_slot_low(1), 2);
	assert_int_equal(devmem_hist_slot_high(1), 3);
	assert_int_equal(devmem_hist_slot_low(10), 1024);
	assert_int_equal(devmem_hist_slot_high(10), 2047);
	assert_true(devmem_hist_slot_high(DEVMEM_HIST_SLOTS - 1) == UINT64_MAX);
	/* every value lies within the bounds of its slot, and slots touch */
	for (unsigned int i = 0; i + 1 < DEVMEM_HIST_SLOTS; i++) {
		assert_int_equal(devmem_hist_slot(devmem_hist_slot_low(i)), i);
		assert_int_equal(devmem_hist_slot(devmem_hist_slot_high(i)), i);
		assert_true(devmem_hist_slot_high(i) + 1 == devmem_hist_slot_low(i + 1));
	}
}

static void test_add_merge_total(void **state)
{
	struct devmem_hist a = {}, b = {};

	devmem_hist_add(&a, 5);
	devmem_hist_add(&a, 6);
	devmem_hist_add(&b, 1000);
	devmem_hist_merge(&a, &b);
	assert_int_equal(devmem_hist_total(&a), 3);
	assert_int_equal(a.count, 3);
	assert_int_equal(a.sum, 1011);
	assert_int_equal(a.slots[2], 2);
	assert_int_equal(a.slots[9], 1);
	assert_true(fabs(devmem_hist_mean(&a) - 337.0) < 1e-9);
}

static void test_percentile_empty(void **state)
{
	struct devmem_hist h = {};
	struct devmem_percentile p;

	assert_int_equal(devmem_hist_percentile(&h, 50, &p), -1);
	assert_true(p.empty);
	assert_true(devmem_hist_mean(&h) == 0.0);
	/* out-of-range p is refused on a non-empty histogram too */
	devmem_hist_add(&h, 10);
	assert_int_equal(devmem_hist_percentile(&h, 0, &p), -1);
	assert_int_equal(devmem_hist_percentile(&h, 101, &p), -1);
	assert_false(p.empty);
}

static void test_percentile_interpolated(void **state)
{
	struct devmem_hist h = {};
	struct devmem_percentile p;

	/* 100 samples in [1024, 2047]: p50 is the slot's middle */
	for (int i = 0; i < 100; i++)
		devmem_hist_add(&h, 1500);
	assert_int_equal(devmem_hist_percentile(&h, 50, &p), 0);
	assert_int_equal(p.low, 1024);
	assert_int_equal(p.high, 2047);
	assert_false(p.saturated);
	assert_true(fabs(p.value - 1536.0) < 1e-9);
	assert_int_equal(devmem_hist_percentile(&h, 100, &p), 0);
	assert_true(fabs(p.value - 2048.0) < 1e-9);

	/* 90 small, 10 large: p50 in the small slot, p99 in the large one */
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 90; i++)
		devmem_hist_add(&h, 10);	/* slot 3: [8, 15] */
	for (int i = 0; i < 10; i++)
		devmem_hist_add(&h, 5000);	/* slot 12: [4096, 8191] */
	assert_int_equal(devmem_hist_percentile(&h, 50, &p), 0);
	assert_int_equal(p.low, 8);
	assert_true(fabs(p.value - (8 + 8 * 50.0 / 90.0)) < 1e-9);
	assert_int_equal(devmem_hist_percentile(&h, 90, &p), 0);
	assert_int_equal(p.low, 8);		/* rank 90 is the last small one */
	assert_int_equal(devmem_hist_percentile(&h, 99, &p), 0);
	assert_int_equal(p.low, 4096);
	assert_true(fabs(p.value - (4096 + 4096 * 9.0 / 10.0)) < 1e-9);
}

static void test_percentile_saturated(void **state)
{
	struct devmem_hist h = {};
	struct devmem_percentile p;

	devmem_hist_add(&h, 1);
	devmem_hist_add(&h, UINT64_MAX);
	devmem_hist_add(&h, 1ULL << 60);
	assert_int_equal(h.slots[DEVMEM_HIST_SLOTS - 1], 2);
	assert_int_equal(devmem_hist_percentile(&h, 99, &p), 0);
	assert_true(p.saturated);
	assert_true(p.value == (double)(1ULL << (DEVMEM_HIST_SLOTS - 1)));
	assert_true(p.high == UINT64_MAX);
	assert_int_equal(devmem_hist_percentile(&h, 10, &p), 0);
	assert_false(p.saturated);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_and_edges),
		cmocka_unit_test(test_add_merge_total),
		cmocka_unit_test(test_percentile_empty),
		cmocka_unit_test(test_percentile_interpolated),
		cmocka_unit_test(test_percentile_saturated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

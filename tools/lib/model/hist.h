/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * log2 histograms (hist.c): slots, merging, percentiles.
 */
#ifndef DEVMEM_MODEL_HIST_H
#define DEVMEM_MODEL_HIST_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "devmem.h"

/*
 * Slot i holds [2^i, 2^(i+1) - 1], slot 0 holds 0 and 1, the last slot
 * everything from 2^(DEVMEM_HIST_SLOTS - 1) up (saturated, no upper bound).
 */
unsigned int devmem_hist_slot(__u64 v);
__u64 devmem_hist_slot_low(unsigned int slot);
__u64 devmem_hist_slot_high(unsigned int slot);	/* UINT64_MAX for the last */
void devmem_hist_add(struct devmem_hist *h, __u64 v);
void devmem_hist_merge(struct devmem_hist *dst, const struct devmem_hist *src);
__u64 devmem_hist_total(const struct devmem_hist *h);	/* sum of the slots */
/* first and last non-empty slot and the largest count; false when empty */
bool devmem_hist_extent(const struct devmem_hist *h, unsigned int *first, unsigned int *last,
			__u64 *max);

/*
 * Percentile p (0 < p <= 100). The rank p% of the samples falls into one
 * slot; the value is interpolated linearly within that slot's bounds
 * (uniform spread assumed), so it is exact to within the slot width, which
 * low/high report. In the saturated last slot no interpolation is possible:
 * value = low and saturated is set (read it as "at least"). Returns -1 and
 * sets empty for a histogram without samples.
 */
struct devmem_percentile {
	double value;
	__u64 low, high;
	bool saturated;
	bool empty;
};
int devmem_hist_percentile(const struct devmem_hist *h, double p, struct devmem_percentile *out);
/* percentiles the text and JSON reports show: 50, 90, 99 (json_out.c) */
extern const double devmem_rec_percentiles[3];
/* mean from sum/count; 0 when empty */
double devmem_hist_mean(const struct devmem_hist *h);
const char *devmem_hist_kind_name(enum devmem_hist_kind kind);	/* e.g. fault_latency */
const char *devmem_hist_kind_unit(enum devmem_hist_kind kind);	/* nsecs or pages */

#endif /* DEVMEM_MODEL_HIST_H */

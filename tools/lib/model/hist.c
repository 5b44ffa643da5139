// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* log2 histogram maths and printing, the same slot rule as bpf/bits.bpf.h */
#include <stdint.h>
#include <string.h>
#include "model/hist.h"

unsigned int devmem_hist_slot(__u64 v)
{
	unsigned int s = v ? 63 - __builtin_clzll(v) : 0;

	return s < DEVMEM_HIST_SLOTS ? s : DEVMEM_HIST_SLOTS - 1;
}

__u64 devmem_hist_slot_low(unsigned int slot)
{
	if (slot == 0)
		return 0;
	if (slot >= DEVMEM_HIST_SLOTS)
		slot = DEVMEM_HIST_SLOTS - 1;
	return 1ULL << slot;
}

__u64 devmem_hist_slot_high(unsigned int slot)
{
	if (slot >= DEVMEM_HIST_SLOTS - 1)
		return UINT64_MAX;
	return (1ULL << (slot + 1)) - 1;
}

void devmem_hist_add(struct devmem_hist *h, __u64 v)
{
	h->slots[devmem_hist_slot(v)]++;
	h->count++;
	h->sum += v;
}

void devmem_hist_merge(struct devmem_hist *dst, const struct devmem_hist *src)
{
	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++)
		dst->slots[i] += src->slots[i];
	dst->count += src->count;
	dst->sum += src->sum;
}

__u64 devmem_hist_total(const struct devmem_hist *h)
{
	__u64 t = 0;

	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++)
		t += h->slots[i];
	return t;
}

int devmem_hist_percentile(const struct devmem_hist *h, double p,
			   struct devmem_percentile *out)
{
	__u64 total = devmem_hist_total(h), cum = 0;
	double rank;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	if (!total || !(p > 0.0) || p > 100.0) {
		out->empty = !total;
		return -1;
	}
	rank = p / 100.0 * (double)total;
	for (i = 0; i < DEVMEM_HIST_SLOTS; i++) {
		__u64 n = h->slots[i];

		if (!n || (double)(cum + n) < rank) {
			cum += n;
			continue;
		}
		out->low = devmem_hist_slot_low(i);
		out->high = devmem_hist_slot_high(i);
		if (i == DEVMEM_HIST_SLOTS - 1) {
			out->saturated = true;
			out->value = (double)out->low;
		} else {
			/* slot covers [low, high + 1): spread n samples uniformly */
			double width = (double)(out->high - out->low) + 1.0;

			out->value = (double)out->low + width * ((rank - (double)cum) / (double)n);
		}
		return 0;
	}
	return -1;	/* not reached: rank <= total */
}

double devmem_hist_mean(const struct devmem_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

bool devmem_hist_extent(const struct devmem_hist *h, unsigned int *first, unsigned int *last,
			__u64 *max)
{
	unsigned int i;

	*first = DEVMEM_HIST_SLOTS;
	*last = 0;
	*max = 0;
	for (i = 0; i < DEVMEM_HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (*first == DEVMEM_HIST_SLOTS)
			*first = i;
		*last = i;
		if (h->slots[i] > *max)
			*max = h->slots[i];
	}
	return *first != DEVMEM_HIST_SLOTS;
}

static const char *const kind_names[DEVMEM_HIST_KINDS] = {
	[DEVMEM_HIST_FAULT_LATENCY] = "fault_latency",
	[DEVMEM_HIST_MIGRATE_PAGES] = "migrate_pages",
	[DEVMEM_HIST_PAGE_LIFETIME] = "page_lifetime",
	[DEVMEM_HIST_REMOVE_WAIT] = "remove_wait",
};

const char *devmem_hist_kind_name(enum devmem_hist_kind kind)
{
	return (unsigned int)kind < DEVMEM_HIST_KINDS ? kind_names[kind] : "unknown";
}

const char *devmem_hist_kind_unit(enum devmem_hist_kind kind)
{
	return kind == DEVMEM_HIST_MIGRATE_PAGES ? "pages" : "nsecs";
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Counts that may be unknown, and folios by order (counts.h). */
#include <stddef.h>
#include "model/array.h"
#include "model/counts.h"

#define FOLIO_VALUES	(DEVMEM_FOLIO_KINDS * DEVMEM_ORDERS)

_Static_assert(sizeof(struct devmem_folio_counts) == FOLIO_VALUES * sizeof(__u64),
	       "struct devmem_folio_counts must be DEVMEM_FOLIO_KINDS arrays of DEVMEM_ORDERS");
_Static_assert(offsetof(struct devmem_folio_counts, to_ram) ==
	       DEVMEM_FOLIO_TO_RAM * DEVMEM_ORDERS * sizeof(__u64),
	       "enum devmem_folio_kind follows struct devmem_folio_counts");

const char *const devmem_folio_kind_names[DEVMEM_FOLIO_KINDS] = {
	[DEVMEM_FOLIO_ALLOCS] = "allocs",
	[DEVMEM_FOLIO_FREES] = "frees",
	[DEVMEM_FOLIO_TO_DEVICE] = "to_device",
	[DEVMEM_FOLIO_TO_RAM] = "to_ram",
};

#define COUNTER(field) (offsetof(struct devmem_counters, field) / sizeof(__u64))

bool devmem_counter_observed(enum devmem_mode mode, size_t idx)
{
	/* a fault that found its page locked is an event of the zone_device tracepoints */
	return !(mode == DEVMEM_MODE_FENTRY && idx == COUNTER(faults_busy));
}

__u64 devmem_counter_shown(enum devmem_mode mode, const struct devmem_counters *c, size_t idx)
{
	return devmem_counter_observed(mode, idx) ? devmem_counters_cu64(c)[idx] : DEVMEM_UNKNOWN;
}

void devmem_counters_mask(struct devmem_counters *c, enum devmem_mode mode)
{
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		if (!devmem_counter_observed(mode, i))
			devmem_counters_u64(c)[i] = DEVMEM_UNKNOWN;
}

bool devmem_counters_none(const struct devmem_counters *c)
{
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		if (devmem_counters_cu64(c)[i] && devmem_counters_cu64(c)[i] != DEVMEM_UNKNOWN)
			return false;
	return true;
}

void devmem_snapshot_counter_unknown(struct devmem_snapshot *s, size_t idx)
{
	size_t i;

	devmem_counters_u64(&s->total)[idx] = DEVMEM_UNKNOWN;
	for (i = 0; i < s->nr_devices; i++)
		devmem_counters_u64(&s->devices[i].c)[idx] = DEVMEM_UNKNOWN;
	for (i = 0; i < s->nr_ranges; i++)
		devmem_counters_u64(&s->ranges[i].c)[idx] = DEVMEM_UNKNOWN;
	for (i = 0; i < s->nr_procs; i++)
		devmem_counters_u64(&s->procs[i].c)[idx] = DEVMEM_UNKNOWN;
}

__u64 devmem_known_add(__u64 a, __u64 b)
{
	return a == DEVMEM_UNKNOWN || b == DEVMEM_UNKNOWN ? DEVMEM_UNKNOWN : a + b;
}

__u64 devmem_known_delta(__u64 cur, __u64 prev)
{
	return cur == DEVMEM_UNKNOWN || prev == DEVMEM_UNKNOWN ? DEVMEM_UNKNOWN :
	       devmem_delta_u64(cur, prev);
}

void devmem_counters_add_seen(struct devmem_counters *dst, enum devmem_mode dst_mode,
			      const struct devmem_counters *src, enum devmem_mode src_mode)
{
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		devmem_counters_u64(dst)[i] = devmem_known_add(devmem_counter_shown(dst_mode, dst, i),
							       devmem_counter_shown(src_mode, src, i));
}

void devmem_counters_delta(struct devmem_counters *out, enum devmem_mode cur_mode,
			   const struct devmem_counters *cur, enum devmem_mode prev_mode,
			   const struct devmem_counters *prev)
{
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++) {
		__u64 c = devmem_counter_shown(cur_mode, cur, i);

		devmem_counters_u64(out)[i] = prev ?
			devmem_known_delta(c, devmem_counter_shown(prev_mode, prev, i)) : c;
	}
}

static __u64 *values(struct devmem_folio_counts *f)
{
	return (__u64 *)f;
}

static const __u64 *cvalues(const struct devmem_folio_counts *f)
{
	return (const __u64 *)f;
}

const __u64 *devmem_folios_of(const struct devmem_folio_counts *f, unsigned int kind)
{
	return cvalues(f) + (size_t)kind * DEVMEM_ORDERS;
}

bool devmem_folios_known(const struct devmem_folio_counts *f)
{
	return f->allocs[0] != DEVMEM_UNKNOWN;
}

void devmem_folios_set_unknown(struct devmem_folio_counts *f)
{
	for (size_t i = 0; i < FOLIO_VALUES; i++)
		values(f)[i] = DEVMEM_UNKNOWN;
}

bool devmem_folios_none(const struct devmem_folio_counts *f)
{
	for (size_t i = 0; i < FOLIO_VALUES; i++)
		if (cvalues(f)[i])
			return false;
	return true;
}

void devmem_folios_add(struct devmem_folio_counts *dst, const struct devmem_folio_counts *src)
{
	for (size_t i = 0; i < FOLIO_VALUES; i++)
		values(dst)[i] = devmem_known_add(values(dst)[i], cvalues(src)[i]);
}

void devmem_folios_delta(struct devmem_folio_counts *out, const struct devmem_folio_counts *cur,
			 const struct devmem_folio_counts *prev)
{
	for (size_t i = 0; i < FOLIO_VALUES; i++)
		values(out)[i] = prev ? devmem_known_delta(cvalues(cur)[i], cvalues(prev)[i]) :
				 cvalues(cur)[i];
}

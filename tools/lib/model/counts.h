/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Counts that may be unknown (counts.c): which counters an attachment mode
 * observes, sums and differences that keep an unknown value unknown, and
 * the folio counts by order.
 *
 * A value not observed is DEVMEM_UNKNOWN. It comes from the mode (the
 * fallback cannot see faults_busy) or from the data (a recording older
 * than a counter, or than the folio counts), and it stays unknown through
 * every sum and difference: an unknown value plus anything is unknown.
 */
#ifndef DEVMEM_MODEL_COUNTS_H
#define DEVMEM_MODEL_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "model/snapshot.h"

/* ---- counters --------------------------------------------------------------- */

/*
 * Whether a snapshot taken in this mode observes counter idx (an index
 * into struct devmem_counters): faults_busy only the zone_device
 * tracepoints see, never the fentry fallback.
 */
bool devmem_counter_observed(enum devmem_mode mode, size_t idx);
/* counter idx of c as shown: DEVMEM_UNKNOWN where mode cannot see it or c does not know it */
__u64 devmem_counter_shown(enum devmem_mode mode, const struct devmem_counters *c, size_t idx);
/* every counter of c that mode cannot see set to DEVMEM_UNKNOWN */
void devmem_counters_mask(struct devmem_counters *c, enum devmem_mode mode);
/*
 * Counter idx not observed by the source of s beyond what its mode says
 * (e.g. tracepoints of a series without the busy-fault event): DEVMEM_UNKNOWN
 * in the total, every device, range and process, and so in every delta,
 * merge and recording made of s.
 */
void devmem_snapshot_counter_unknown(struct devmem_snapshot *s, size_t idx);
/* dst += src, each counter as the mode of its snapshot observes it */
void devmem_counters_add_seen(struct devmem_counters *dst, enum devmem_mode dst_mode,
			      const struct devmem_counters *src, enum devmem_mode src_mode);
/*
 * out = cur - prev (devmem_known_delta of each counter as the mode of its
 * snapshot observes it); prev NULL: cur
 */
void devmem_counters_delta(struct devmem_counters *out, enum devmem_mode cur_mode,
			   const struct devmem_counters *cur, enum devmem_mode prev_mode,
			   const struct devmem_counters *prev);
/* no activity: every counter 0 or not known */
bool devmem_counters_none(const struct devmem_counters *c);
/* a + b; unknown if either is */
__u64 devmem_known_add(__u64 a, __u64 b);
/* devmem_delta_u64(cur, prev); unknown if either is */
__u64 devmem_known_delta(__u64 cur, __u64 prev);

/* ---- folios by order ---------------------------------------------------------- */

/* the arrays of struct devmem_folio_counts, in its order */
enum devmem_folio_kind {
	DEVMEM_FOLIO_ALLOCS = 0,
	DEVMEM_FOLIO_FREES,
	DEVMEM_FOLIO_TO_DEVICE,
	DEVMEM_FOLIO_TO_RAM,
};

/* "allocs", "frees", "to_device", "to_ram": their keys in every output */
extern const char *const devmem_folio_kind_names[DEVMEM_FOLIO_KINDS];

/* the DEVMEM_ORDERS counts of one kind; the last bucket holds that order and up */
const __u64 *devmem_folios_of(const struct devmem_folio_counts *f, unsigned int kind);
/*
 * Whether the source kept folio counts: a recording older than format 4
 * did not, and its folio counts are unknown (every bucket DEVMEM_UNKNOWN).
 */
bool devmem_folios_known(const struct devmem_folio_counts *f);
void devmem_folios_set_unknown(struct devmem_folio_counts *f);
/* no folio of any order and kind (false for unknown counts) */
bool devmem_folios_none(const struct devmem_folio_counts *f);
/* dst += src, bucket by bucket; unknown if either is */
void devmem_folios_add(struct devmem_folio_counts *dst, const struct devmem_folio_counts *src);
/* out = cur - prev (devmem_known_delta per bucket); prev NULL: cur */
void devmem_folios_delta(struct devmem_folio_counts *out, const struct devmem_folio_counts *cur,
			 const struct devmem_folio_counts *prev);

#endif /* DEVMEM_MODEL_COUNTS_H */

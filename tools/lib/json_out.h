/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The one JSON writer per shape (json_out.c); values in nsecs and pages. */
#ifndef DEVMEM_JSON_OUT_H
#define DEVMEM_JSON_OUT_H

#include <jansson.h>
#include "devmem.h"

/* every counter by its name (devmem_counter_names order) */
json_t *devmem_json_counters(const struct devmem_counters *c);
/*
 * unit, count, sum, mean, percentiles (devmem_rec_percentiles: value, low,
 * high, saturated; null when empty) and the non-empty buckets
 */
json_t *devmem_json_hist(const struct devmem_hist *h, enum devmem_hist_kind kind);
/* one histogram per kind, by its name (devmem_hist_kind_name) */
json_t *devmem_json_hists(const struct devmem_hist *h);

/* a count, null for DEVMEM_UNKNOWN; an address as "0x..." */
json_t *devmem_json_num(__u64 v);
json_t *devmem_json_hex(__u64 v);
/* losses by kind, with their total and the kernel's recursion misses */
json_t *devmem_json_lost(const struct devmem_snapshot *s);

#define DEVMEM_JSON_NO_DEVICES		0x1	/* leave the devices array out */
#define DEVMEM_JSON_NO_PROCESSES	0x2	/* leave the processes array out */
/*
 * A snapshot as one JSON object, the shape docs/schema/snapshot.schema.json
 * describes: mode, ts_ns, interval_ns, counters, histograms, devices,
 * processes, ranges, lost, unmatched, note. Strings from the kernel or a
 * file are sanitized. NULL on allocation failure.
 */
json_t *devmem_json_snapshot(const struct devmem_snapshot *s, unsigned int flags);
/* write doc (and a newline) to out and drop it; 0, -ENOMEM (doc NULL) or -EIO */
int devmem_json_dump(FILE *out, json_t *doc);

#endif /* DEVMEM_JSON_OUT_H */

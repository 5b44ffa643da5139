/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The one JSON writer per shape (json_out.c); values in nsecs and pages. */
#ifndef DEVMEM_JSON_OUT_H
#define DEVMEM_JSON_OUT_H

#include <jansson.h>
#include "model/snapshot.h"

/* a count; DEVMEM_UNKNOWN (not observed) is null */
json_t *devmem_json_u64(__u64 v);
/* an address or id as a "0x..." string */
json_t *devmem_json_hex(__u64 v);
/*
 * A string from the kernel or a file (at most maxlen bytes of s, up to a
 * NUL), through sanitize.h's filter: always valid UTF-8, so never NULL but
 * for lack of memory.
 */
json_t *devmem_json_str(const char *s, size_t maxlen);

/* a range's type: "private", "coherent", "other"; null when not known (0) */
json_t *devmem_json_range_type(__u32 type);

/*
 * every counter as a key of obj, by its name (devmem_counter_names), null
 * where mode cannot see it or it is not known; 0 or -1
 */
int devmem_json_counters_set(json_t *obj, enum devmem_mode mode, const struct devmem_counters *c);
/* the same as an object of its own */
json_t *devmem_json_counters(enum devmem_mode mode, const struct devmem_counters *c);
/*
 * Folios by order: {"allocs": {"0": 123, "9": 4}, "frees": {...},
 * "to_device": {...}, "to_ram": {...}}, each kind keyed by the orders
 * with folios (the last, DEVMEM_ORDERS - 1, stands for itself and up);
 * null when the source did not keep them.
 */
json_t *devmem_json_folios(const struct devmem_folio_counts *f);

/*
 * unit, count, sum, mean, "percentiles": {"p50": {value, low, high,
 * saturated} or null, "p90", "p99"} (devmem_rec_percentiles) and the
 * non-empty buckets [{low, high (null: open-ended), count}]
 */
json_t *devmem_json_hist(const struct devmem_hist *h, enum devmem_hist_kind kind);
/* one histogram per kind, by its name (devmem_hist_kind_name) */
json_t *devmem_json_hists(const struct devmem_hist *h);

/* losses by kind, with their total and the kernel's recursion misses */
json_t *devmem_json_lost(const struct devmem_snapshot *s);

#define DEVMEM_JSON_NO_DEVICES		0x1	/* leave the devices array out */
#define DEVMEM_JSON_NO_PROCESSES	0x2	/* leave the processes array out */
/*
 * A snapshot as one JSON object, the shape docs/schema/snapshot.schema.json
 * describes: mode, ts_ns, interval_ns, counters, folios, histograms, devices,
 * processes, ranges, lost, unmatched, note. Strings from the kernel or a
 * file are sanitized. NULL on allocation failure.
 */
json_t *devmem_json_snapshot(const struct devmem_snapshot *s, unsigned int flags);
/* write doc (and a newline) to out and drop it; 0, -ENOMEM (doc NULL) or -EIO */
int devmem_json_dump(FILE *out, json_t *doc);
/*
 * "thrash" (null when off), "stacks" (null when off) and "findings" of s
 * into root (diag_report.c); k the thrashing threshold, 0: the snapshot's.
 */
void devmem_json_diag(json_t *root, const struct devmem_snapshot *s, __u32 k);

#endif /* DEVMEM_JSON_OUT_H */

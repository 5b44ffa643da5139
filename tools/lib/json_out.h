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

#endif /* DEVMEM_JSON_OUT_H */

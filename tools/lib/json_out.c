// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The one JSON writer per shape (jansson): counters, a histogram with its
 * percentiles and buckets, the histograms of every kind. Every JSON output
 * of the tools builds these shapes here.
 */
#include <stdio.h>
#include "record.h"
#include "json_out.h"

const double devmem_rec_percentiles[3] = { 50.0, 90.0, 99.0 };

json_t *devmem_json_counters(const struct devmem_counters *c)
{
	json_t *o = json_object();

	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		json_object_set_new(o, devmem_counter_names[i],
				    json_integer((json_int_t)devmem_counters_cu64(c)[i]));
	return o;
}

json_t *devmem_json_hist(const struct devmem_hist *h, enum devmem_hist_kind kind)
{
	json_t *o = json_object(), *b = json_array(), *p = json_object();

	json_object_set_new(o, "unit", json_string(devmem_hist_kind_unit(kind)));
	json_object_set_new(o, "count", json_integer((json_int_t)devmem_hist_total(h)));
	json_object_set_new(o, "sum", json_integer((json_int_t)h->sum));
	json_object_set_new(o, "mean", json_real(devmem_hist_mean(h)));
	for (unsigned int i = 0; i < 3; i++) {
		struct devmem_percentile pc;
		char key[16];

		snprintf(key, sizeof(key), "p%g", devmem_rec_percentiles[i]);
		if (devmem_hist_percentile(h, devmem_rec_percentiles[i], &pc))
			json_object_set_new(p, key, json_null());
		else
			json_object_set_new(p, key, json_pack("{s:f,s:I,s:I,s:b}", "value",
							      pc.value, "low", (json_int_t)pc.low,
							      "high", (json_int_t)pc.high,
							      "saturated", pc.saturated));
	}
	json_object_set_new(o, "percentiles", p);
	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++) {
		json_t *e;

		if (!h->slots[i])
			continue;
		e = json_pack("{s:I,s:I}", "low", (json_int_t)devmem_hist_slot_low(i),
			      "count", (json_int_t)h->slots[i]);
		/* the last slot has no upper bound */
		json_object_set_new(e, "high", i == DEVMEM_HIST_SLOTS - 1 ? json_null() :
				    json_integer((json_int_t)devmem_hist_slot_high(i)));
		json_array_append_new(b, e);
	}
	json_object_set_new(o, "buckets", b);
	return o;
}

json_t *devmem_json_hists(const struct devmem_hist *h)
{
	json_t *o = json_object();

	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
		json_object_set_new(o, devmem_hist_kind_name(k), devmem_json_hist(&h[k], k));
	return o;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The one text printer of log2 histograms (hist_text.c). */
#ifndef DEVMEM_RENDER_HIST_TEXT_H
#define DEVMEM_RENDER_HIST_TEXT_H

#include <stdio.h>
#include "model/hist.h"

/* the unit values are shown in: a name and what a raw value is divided by */
struct devmem_unit {
	const char *name;		/* "nsecs", "usecs", "msecs", "pages" */
	double div;
};

/* the unit a histogram of kind is shown in, times in time_unit (NULL: nsecs) */
struct devmem_unit devmem_hist_unit(enum devmem_hist_kind kind, const struct devmem_unit *time_unit);
/*
 * "N samples, mean X, p50 ~A, p90 ~B, p99 ~C": the percentiles are
 * estimated from the buckets (interpolated within one), marked by "~";
 * ">=" where one falls into the open last bucket. No newline.
 */
void devmem_hist_summary(FILE *out, const struct devmem_hist *h, struct devmem_unit u);
/*
 * The bucket table, print_log2_hist style: "low -> high : count |***|",
 * the bounds in unit u, each line with its own indent; in the raw unit
 * (div 1) from the first bucket, scaled from the first one with data, to
 * the last one with data. "(no samples)" for an empty histogram.
 */
void devmem_hist_table(FILE *out, const struct devmem_hist *h, struct devmem_unit u,
		       const char *indent);

#endif /* DEVMEM_RENDER_HIST_TEXT_H */

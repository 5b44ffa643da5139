/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SVG pictures for people who would rather look than read: a log2 histogram
 * as a bar chart, and rates over time as lines. Self-contained SVG 1.1, no
 * scripts, every text from input escaped.
 */
#ifndef DEVMEM_SVG_H
#define DEVMEM_SVG_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "devmem.h"

/*
 * A bar chart of h from its first to its last non-empty slot: exactly one
 * <rect class="bucket"> per non-empty slot, carrying data-slot, data-low,
 * data-high ("inf" for the open-ended last slot) and data-count. Bounds are
 * printed divided by unit_div (1 for raw values) and labelled with unit.
 * 0 or -errno (write error).
 */
int devmem_svg_hist(FILE *out, const struct devmem_hist *h, const char *title,
		    const char *unit, double unit_div);

/* One line of a rate chart: n points (t[i] seconds, v[i] per second). */
struct devmem_svg_series {
	const char *label;
	const double *t;
	const double *v;
	size_t n;
};

/*
 * Lines of rates over time, one <polyline class="series"> per series with
 * data-label, and one <circle class="point"> per point. 0 or -errno.
 */
int devmem_svg_rate(FILE *out, const char *title, const char *ylabel,
		    const struct devmem_svg_series *series, size_t nr_series);

/* s through sanitize.h's filter, then with &, <, >, " and ' escaped */
void devmem_svg_escape(FILE *out, const char *s);

#endif /* DEVMEM_SVG_H */

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SVG pictures for people who would rather look than read: log2 histograms
 * as bar charts (one, or small multiples of one per process or device), and
 * rates over time as lines. Self-contained SVG 1.1, no scripts, every text
 * from input escaped. Each chart has y ticks and an axis label; a
 * histogram marks its p50 and p99, estimated within their bucket as the
 * text reports say.
 */
#ifndef DEVMEM_SVG_H
#define DEVMEM_SVG_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "devmem.h"

/* one bar chart of small multiples: a process's or a device's histogram */
struct devmem_svg_panel {
	const char *label;		/* "bravo (1002)", a device's name; NULL: none */
	const struct devmem_hist *h;
};

/* the words of a chart */
struct devmem_svg_text {
	const char *title;		/* what it shows */
	const char *subtitle;		/* what it covers: hosts, time window; NULL: none */
	const char *unit;		/* of the x axis (histograms) */
	double unit_div;		/* bounds are divided by it (1: raw values) */
	const char *count;		/* of the y axis: "faults", "per second", ... */
};

/*
 * Bar charts of histograms: one panel at full size, or small multiples on a
 * grid, every panel over the same buckets (the first to the last non-empty
 * one of any panel) so that they compare. Exactly one <rect class="bucket">
 * per non-empty slot of a panel, carrying data-slot, data-low, data-high
 * ("inf" for the open-ended last slot) and data-count; one <line
 * class="percentile"> for each of p50 and p99 with data-p and data-value
 * (in the unit); each panel a <g class="panel"> with data-label and
 * data-samples. 0 or -errno (write error).
 */
int devmem_svg_hists(FILE *out, const struct devmem_svg_text *txt,
		     const struct devmem_svg_panel *panels, size_t nr_panels);
/* one histogram, no subtitle: devmem_svg_hists() of one panel, counted as "samples" */
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
 * data-label, and one <circle class="point"> per point; y ticks labelled
 * with txt->count. 0 or -errno.
 */
int devmem_svg_rate(FILE *out, const struct devmem_svg_text *txt,
		    const struct devmem_svg_series *series, size_t nr_series);

/* s through sanitize.h's filter, then with &, <, >, " and ' escaped */
void devmem_svg_escape(FILE *out, const char *s);

#endif /* DEVMEM_SVG_H */

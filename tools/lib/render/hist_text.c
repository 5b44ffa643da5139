// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The one text printer of log2 histograms (hist_text.h). */
#include <math.h>
#include <stdio.h>
#include "render/hist_text.h"

#define BAR	40

struct devmem_unit devmem_hist_unit(enum devmem_hist_kind kind, const struct devmem_unit *time_unit)
{
	static const struct devmem_unit nsecs = { "nsecs", 1 }, pages = { "pages", 1 };

	if (kind == DEVMEM_HIST_MIGRATE_PAGES)
		return pages;
	return time_unit ? *time_unit : nsecs;
}

/*
 * A value in the display unit: whole numbers as such, others with three
 * significant digits, so that the bounds of small buckets stay apart
 * (0.000512 -> 0.00102 msecs, not 0.001 -> 0.001).
 */
static void fmt_val(char *buf, size_t len, double v)
{
	if (v == floor(v) && v < 1e15)
		snprintf(buf, len, "%.0f", v);
	else if (v < 1)
		snprintf(buf, len, "%.3g", v);
	else
		snprintf(buf, len, "%.3f", v);
}

void devmem_hist_summary(FILE *out, const struct devmem_hist *h, struct devmem_unit u)
{
	__u64 total = devmem_hist_total(h);
	char v[32];

	fprintf(out, "%llu samples", (unsigned long long)total);
	if (!total)
		return;
	fmt_val(v, sizeof(v), devmem_hist_mean(h) / u.div);
	fprintf(out, ", mean %s", v);
	for (size_t i = 0; i < 3; i++) {
		struct devmem_percentile p;

		if (devmem_hist_percentile(h, devmem_rec_percentiles[i], &p))
			continue;
		fmt_val(v, sizeof(v), p.value / u.div);
		fprintf(out, ", p%g %s%s", devmem_rec_percentiles[i], p.saturated ? ">=" : "~", v);
	}
}

void devmem_hist_table(FILE *out, const struct devmem_hist *h, struct devmem_unit u,
		       const char *indent)
{
	unsigned int i, first, last;
	char lo[32], hi[32], bound[72];
	__u64 max;

	if (!devmem_hist_extent(h, &first, &last, &max)) {
		fprintf(out, "%s     (no samples)\n", indent);
		return;
	}
	fprintf(out, "%s%28s : count    distribution\n", indent, u.name);
	for (i = u.div == 1 ? 0 : first; i <= last; i++) {
		int stars = (int)((double)h->slots[i] * BAR / (double)max);

		fmt_val(lo, sizeof(lo), (double)devmem_hist_slot_low(i) / u.div);
		if (i == DEVMEM_HIST_SLOTS - 1) {
			snprintf(bound, sizeof(bound), "%s -> ...", lo);
		} else {
			fmt_val(hi, sizeof(hi), (double)devmem_hist_slot_high(i) / u.div);
			snprintf(bound, sizeof(bound), "%s -> %s", lo, hi);
		}
		fprintf(out, "%s%28s : %-8llu |%-*.*s|\n", indent, bound,
			(unsigned long long)h->slots[i], BAR, stars,
			"****************************************");
	}
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* SVG bar charts of log2 histograms and line charts of rates over time. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli/sanitize.h"
#include "model/hist.h"
#include "render/svg.h"

#define W	800
#define H	420
#define LEFT	80
#define RIGHT	20
#define TOP	50
#define BOTTOM	90

static const char *const colours[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
};

void devmem_svg_escape(FILE *out, const char *s)
{
	size_t len, size;
	char *clean;

	if (!s)
		return;
	/* the filter first (no control characters, valid UTF-8), then XML's own escapes */
	len = strlen(s);
	size = DEVMEM_SANITIZED_SIZE(len);
	clean = malloc(size);
	if (!clean) {
		fputc('?', out);
		return;
	}
	devmem_sanitize(clean, size, s, len, 0);
	for (const char *c = clean; *c; c++) {
		switch (*c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default: fputc(*c, out);
		}
	}
	free(clean);
}

static void header(FILE *out, const char *title)
{
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
		"font-size=\"12\">\n", W, H, W, H);
	fputs("<title>", out);
	devmem_svg_escape(out, title);
	fputs("</title>\n", out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
	fprintf(out, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">", W / 2);
	devmem_svg_escape(out, title);
	fputs("</text>\n", out);
}

static int footer(FILE *out)
{
	fputs("</svg>\n", out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}

/* a bound divided by the unit, short: 1.5, 12, 3.1e+06 */
static void fmt_bound(char *buf, size_t len, double v)
{
	if (v == floor(v) && v < 1e7)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

int devmem_svg_hist(FILE *out, const struct devmem_hist *h, const char *title,
		    const char *unit, double unit_div)
{
	unsigned int first, last, i, n;
	__u64 max;
	double slot_w, plot_w = W - LEFT - RIGHT, plot_h = H - TOP - BOTTOM;
	char lo[32], hi[32];

	if (!(unit_div > 0))
		unit_div = 1;
	devmem_hist_extent(h, &first, &last, &max);
	header(out, title);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", LEFT + (int)plot_w / 2,
		H - 12);
	devmem_svg_escape(out, unit);
	fprintf(out, " (log2 buckets); %llu samples</text>\n",
		(unsigned long long)devmem_hist_total(h));
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
		LEFT, TOP + (int)plot_h, W - RIGHT, TOP + (int)plot_h);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
		LEFT, TOP, LEFT, TOP + (int)plot_h);
	if (first == DEVMEM_HIST_SLOTS) {
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no samples</text>\n",
			W / 2, H / 2);
		return footer(out);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%llu</text>\n", LEFT - 6,
		TOP + 4, (unsigned long long)max);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", LEFT - 6,
		TOP + (int)plot_h + 4);
	n = last - first + 1;
	slot_w = plot_w / n;
	fputs("<g class=\"buckets\">\n", out);
	for (i = first; i <= last; i++) {
		double x = LEFT + (i - first) * slot_w;
		double bh = max ? plot_h * (double)h->slots[i] / (double)max : 0;

		fmt_bound(lo, sizeof(lo), (double)devmem_hist_slot_low(i) / unit_div);
		if (i == DEVMEM_HIST_SLOTS - 1)
			snprintf(hi, sizeof(hi), "inf");
		else
			fmt_bound(hi, sizeof(hi), (double)devmem_hist_slot_high(i) / unit_div);
		/* axis label for every slot in range, so gaps read as empty buckets */
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" font-size=\"10\" "
			"transform=\"rotate(-45 %.1f %d)\">%s</text>\n", x + slot_w / 2,
			TOP + (int)plot_h + 14, x + slot_w / 2, TOP + (int)plot_h + 14, lo);
		if (!h->slots[i])
			continue;
		if (bh < 1)
			bh = 1;	/* a non-empty bucket stays visible */
		fprintf(out, "<rect class=\"bucket\" data-slot=\"%u\" data-low=\"%s\" "
			"data-high=\"%s\" data-count=\"%llu\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" fill=\"#1f77b4\"><title>%s .. %s ",
			i, lo, hi, (unsigned long long)h->slots[i], x + 1, TOP + plot_h - bh,
			slot_w > 2 ? slot_w - 2 : slot_w, bh, lo, hi);
		devmem_svg_escape(out, unit);
		fprintf(out, ": %llu</title></rect>\n", (unsigned long long)h->slots[i]);
	}
	fputs("</g>\n", out);
	return footer(out);
}

int devmem_svg_rate(FILE *out, const char *title, const char *ylabel,
		    const struct devmem_svg_series *series, size_t nr_series)
{
	double tmin = INFINITY, tmax = -INFINITY, vmax = 0;
	double plot_w = W - LEFT - RIGHT, plot_h = H - TOP - BOTTOM;
	size_t i, j, points = 0;

	for (i = 0; i < nr_series; i++)
		for (j = 0; j < series[i].n; j++) {
			double t = series[i].t[j], v = series[i].v[j];

			if (!isfinite(t) || !isfinite(v))
				continue;
			points++;
			tmin = fmin(tmin, t);
			tmax = fmax(tmax, t);
			vmax = fmax(vmax, v);
		}
	header(out, title);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
		LEFT, TOP + (int)plot_h, W - RIGHT, TOP + (int)plot_h);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
		LEFT, TOP, LEFT, TOP + (int)plot_h);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">seconds since the "
		"recording started</text>\n", LEFT + (int)plot_w / 2, H - 40);
	fprintf(out, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">",
		TOP + (int)plot_h / 2, TOP + (int)plot_h / 2);
	devmem_svg_escape(out, ylabel);
	fputs("</text>\n", out);
	if (!points) {
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no intervals in the "
			"window</text>\n", W / 2, H / 2);
		return footer(out);
	}
	if (tmax <= tmin)
		tmax = tmin + 1;
	if (vmax <= 0)
		vmax = 1;
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3g</text>\n", LEFT - 6,
		TOP + 4, vmax);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", LEFT - 6,
		TOP + (int)plot_h + 4);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"start\">%.3g</text>\n", LEFT,
		TOP + (int)plot_h + 16, tmin);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3g</text>\n", W - RIGHT,
		TOP + (int)plot_h + 16, tmax);
	for (i = 0; i < nr_series; i++) {
		const char *colour = colours[i % (sizeof(colours) / sizeof(colours[0]))];

		fputs("<g class=\"series-group\">\n<polyline class=\"series\" data-label=\"", out);
		devmem_svg_escape(out, series[i].label);
		fprintf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", colour);
		for (j = 0; j < series[i].n; j++) {
			double t = series[i].t[j], v = series[i].v[j];

			if (!isfinite(t) || !isfinite(v))
				continue;
			fprintf(out, "%.1f,%.1f ", LEFT + plot_w * (t - tmin) / (tmax - tmin),
				TOP + plot_h - plot_h * v / vmax);
		}
		fputs("\"/>\n", out);
		for (j = 0; j < series[i].n; j++) {
			double t = series[i].t[j], v = series[i].v[j];

			if (!isfinite(t) || !isfinite(v))
				continue;
			fprintf(out, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\" "
				"fill=\"%s\"><title>%.3f s: %.6g</title></circle>\n",
				LEFT + plot_w * (t - tmin) / (tmax - tmin),
				TOP + plot_h - plot_h * v / vmax, colour, t, v);
		}
		fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"%s\">", LEFT + 10 + (int)(i % 4) * 180,
			H - 20 + (int)(i / 4) * 12 - 0, colour);
		devmem_svg_escape(out, series[i].label);
		fputs("</text>\n</g>\n", out);
	}
	return footer(out);
}

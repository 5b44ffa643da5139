// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* SVG bar charts of log2 histograms and line charts of rates over time (svg.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli/sanitize.h"
#include "model/hist.h"
#include "render/svg.h"

#define W		800
#define H		420
#define TOP		56		/* title and subtitle above the plot */
#define PANEL_H		250		/* a small multiple */
#define MAX_PANELS	24

/* where a chart draws: its plot area */
struct box {
	double x, y, w, h;
};

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

static void header(FILE *out, const struct devmem_svg_text *txt, int height)
{
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
		"font-size=\"12\">\n", W, height, W, height);
	fputs("<title>", out);
	devmem_svg_escape(out, txt->title);
	if (txt->subtitle) {
		fputs(": ", out);
		devmem_svg_escape(out, txt->subtitle);
	}
	fputs("</title>\n", out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W,
		height);
	fprintf(out, "<text class=\"title\" x=\"%d\" y=\"22\" text-anchor=\"middle\" "
		"font-size=\"16\">", W / 2);
	devmem_svg_escape(out, txt->title);
	fputs("</text>\n", out);
	if (txt->subtitle) {
		fprintf(out, "<text class=\"subtitle\" x=\"%d\" y=\"40\" text-anchor=\"middle\" "
			"fill=\"#555\">", W / 2);
		devmem_svg_escape(out, txt->subtitle);
		fputs("</text>\n", out);
	}
}

static int footer(FILE *out)
{
	fputs("</svg>\n", out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}

/* a number short: 1.5, 12, 3.1e+06 */
static void fmt_num(char *buf, size_t len, double v)
{
	if (v == floor(v) && fabs(v) < 1e7)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

/* a step of 1, 2 or 5 times a power of ten: four to six ticks up to max */
static double tick_step(double max, bool whole)
{
	double raw = max / 5, mag, norm, step;

	if (!(raw > 0))
		return 1;
	mag = pow(10, floor(log10(raw)));
	norm = raw / mag;
	step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
	return whole && step < 1 ? 1 : step;
}

/*
 * The axes of b, y ticks from 0 to the top they return (a multiple of the
 * step at or above max) with grid lines, and the y axis label.
 */
static double axes(FILE *out, const struct box *b, double max, bool whole, const char *ylabel)
{
	double step = tick_step(max, whole), top = step * ceil(max / step);
	char num[32];

	if (!(top > 0))
		top = step;
	fputs("<g class=\"yaxis\">\n", out);
	for (double v = 0; v <= top + step / 2; v += step) {
		double y = b->y + b->h - b->h * v / top;

		fmt_num(num, sizeof(num), v);
		fprintf(out, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"%s\"/>\n", b->x - 4, y, b->x + b->w, y, v ? "#e5e5e5" : "black");
		fprintf(out, "<text class=\"ytick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
			"font-size=\"10\">%s</text>\n", b->x - 6, y + 3, num);
	}
	fprintf(out, "<text class=\"ylabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		"transform=\"rotate(-90 %.1f %.1f)\">", b->x - 44, b->y + b->h / 2, b->x - 44,
		b->y + b->h / 2);
	devmem_svg_escape(out, ylabel);
	fputs("</text>\n</g>\n", out);
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
		b->x, b->y, b->x, b->y + b->h);
	return top;
}

/* p50 and p99 as lines where their estimate falls, within its bucket */
static void percentiles(FILE *out, const struct box *b, const struct devmem_hist *h,
			unsigned int first, double slot_w, const struct devmem_svg_text *txt)
{
	static const struct { double p; const char *colour; } ps[] = {
		{ 50, "#ff7f0e" }, { 99, "#d62728" },
	};

	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		struct devmem_percentile pc;
		unsigned int slot;
		double frac, x;
		bool right;
		char v[32];

		if (devmem_hist_percentile(h, ps[i].p, &pc) || pc.empty)
			continue;
		slot = devmem_hist_slot(pc.low);
		frac = pc.high > pc.low ? (pc.value - (double)pc.low) / (double)(pc.high - pc.low) : 0;
		frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
		x = b->x + (slot - first + frac) * slot_w;
		fmt_num(v, sizeof(v), pc.value / txt->unit_div);
		fprintf(out, "<line class=\"percentile\" data-p=\"%g\" data-value=\"%s\" "
			"x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-dasharray=\"4 3\"/>\n", ps[i].p, v, x, b->y, x, b->y + b->h,
			ps[i].colour);
		/* an estimate from the bucket, as the text report writes it */
		/* to the left of the line where it is near the right edge */
		right = x > b->x + b->w * 0.6;
		fprintf(out, "<text class=\"plabel\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\" "
			"text-anchor=\"%s\" font-size=\"10\">p%g %s%s ", right ? x - 3 : x + 3,
			b->y + 10 + 12.0 * (double)i, ps[i].colour, right ? "end" : "start", ps[i].p,
			pc.saturated ? "&gt;=" : "~", v);
		devmem_svg_escape(out, txt->unit);
		fputs("</text>\n", out);
	}
}

/* one bar chart in b over slots first..last, the y axis up to the panel's own top */
static void hist_panel(FILE *out, const struct box *b, const struct devmem_svg_panel *p,
		       unsigned int first, unsigned int last, const struct devmem_svg_text *txt,
		       bool small)
{
	double slot_w = b->w / (last - first + 1), top;
	unsigned int label_every = slot_w < 14 ? 2 : 1;
	__u64 max = 0;
	char lo[32], hi[32];

	for (unsigned int i = first; i <= last; i++)
		if (p->h->slots[i] > max)
			max = p->h->slots[i];
	fputs("<g class=\"panel\" data-label=\"", out);
	devmem_svg_escape(out, p->label ? p->label : "");
	fprintf(out, "\" data-samples=\"%llu\">\n", (unsigned long long)devmem_hist_total(p->h));
	if (p->label) {
		fprintf(out, "<text class=\"panel-title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			"font-size=\"%d\">", b->x + b->w / 2, b->y - 10, small ? 12 : 13);
		devmem_svg_escape(out, p->label);
		fprintf(out, " (%llu)</text>\n", (unsigned long long)devmem_hist_total(p->h));
	}
	top = axes(out, b, max ? (double)max : 1, true, txt->count);
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
		b->x, b->y + b->h, b->x + b->w, b->y + b->h);
	for (unsigned int i = first; i <= last; i++) {
		double x = b->x + (i - first) * slot_w;
		double bh = b->h * (double)p->h->slots[i] / top;

		fmt_num(lo, sizeof(lo), (double)devmem_hist_slot_low(i) / txt->unit_div);
		if (i == DEVMEM_HIST_SLOTS - 1)
			snprintf(hi, sizeof(hi), "inf");
		else
			fmt_num(hi, sizeof(hi), (double)devmem_hist_slot_high(i) / txt->unit_div);
		/* a label for every slot (or every other), so gaps read as empty buckets */
		if ((i - first) % label_every == 0)
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"%d\" "
				"transform=\"rotate(-45 %.1f %.1f)\">%s</text>\n", x + slot_w / 2,
				b->y + b->h + 12, small ? 9 : 10, x + slot_w / 2, b->y + b->h + 12, lo);
		if (!p->h->slots[i])
			continue;
		if (bh < 1)
			bh = 1;	/* a non-empty bucket stays visible */
		fprintf(out, "<rect class=\"bucket\" data-slot=\"%u\" data-low=\"%s\" "
			"data-high=\"%s\" data-count=\"%llu\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" fill=\"#1f77b4\"><title>%s .. %s ",
			i, lo, hi, (unsigned long long)p->h->slots[i], x + 1, b->y + b->h - bh,
			slot_w > 2 ? slot_w - 2 : slot_w, bh, lo, hi);
		devmem_svg_escape(out, txt->unit);
		fprintf(out, ": %llu</title></rect>\n", (unsigned long long)p->h->slots[i]);
	}
	percentiles(out, b, p->h, first, slot_w, txt);
	fputs("</g>\n", out);
}

int devmem_svg_hists(FILE *out, const struct devmem_svg_text *in,
		     const struct devmem_svg_panel *panels, size_t n)
{
	struct devmem_svg_text txt = *in;
	unsigned int first = DEVMEM_HIST_SLOTS, last = 0, f, l;
	size_t cols = n > 1 ? 2 : 1, rows, drawn = n > MAX_PANELS ? MAX_PANELS : n;
	int height;
	__u64 max, samples = 0;

	if (!(txt.unit_div > 0))
		txt.unit_div = 1;
	if (!txt.count)
		txt.count = "samples";
	for (size_t i = 0; i < drawn; i++) {
		devmem_hist_extent(panels[i].h, &f, &l, &max);
		samples += devmem_hist_total(panels[i].h);
		if (f == DEVMEM_HIST_SLOTS)
			continue;
		first = f < first ? f : first;
		last = l > last ? l : last;
	}
	rows = (drawn + cols - 1) / cols;
	height = n > 1 ? TOP + (int)rows * PANEL_H + 30 : H;
	header(out, &txt, height);
	fprintf(out, "<text class=\"xlabel\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", W / 2,
		height - 10);
	devmem_svg_escape(out, txt.unit);
	fprintf(out, " (log2 buckets; the lower bound of each); %llu samples", (unsigned long long)samples);
	if (drawn < n)
		fprintf(out, "; the first %zu of %zu drawn", drawn, n);
	fputs("</text>\n", out);
	if (first == DEVMEM_HIST_SLOTS) {
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no samples</text>\n",
			W / 2, height / 2);
		return footer(out);
	}
	for (size_t i = 0; i < drawn; i++) {
		struct box b;

		if (n == 1) {
			b = (struct box){ 80, TOP + 14, W - 80 - 20, H - TOP - 14 - 80 };
		} else {
			double pw = (double)W / (double)cols;

			b = (struct box){ pw * (double)(i % cols) + 64, TOP + 24 + PANEL_H *
					  (double)(i / cols), pw - 64 - 16, PANEL_H - 24 - 64 };
		}
		hist_panel(out, &b, &panels[i], first, last, &txt, n > 1);
	}
	return footer(out);
}

int devmem_svg_hist(FILE *out, const struct devmem_hist *h, const char *title,
		    const char *unit, double unit_div)
{
	const struct devmem_svg_text txt = {
		.title = title, .unit = unit, .unit_div = unit_div, .count = "samples",
	};
	const struct devmem_svg_panel p = { NULL, h };

	return devmem_svg_hists(out, &txt, &p, 1);
}

int devmem_svg_rate(FILE *out, const struct devmem_svg_text *txt,
		    const struct devmem_svg_series *series, size_t nr_series)
{
	double tmin = INFINITY, tmax = -INFINITY, vmax = 0, top;
	const struct box b = { 80, TOP + 14, W - 80 - 20, H - TOP - 14 - 90 };
	size_t i, j, points = 0;
	char a[32], z[32];

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
	header(out, txt, H);
	fprintf(out, "<text class=\"xlabel\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">seconds "
		"since the recording started</text>\n", b.x + b.w / 2, H - 40);
	if (!points) {
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no intervals in the "
			"window</text>\n", W / 2, H / 2);
		return footer(out);
	}
	if (tmax <= tmin)
		tmax = tmin + 1;
	top = axes(out, &b, vmax > 0 ? vmax : 1, false, txt->count ? txt->count : "per second");
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
		b.x, b.y + b.h, b.x + b.w, b.y + b.h);
	fmt_num(a, sizeof(a), tmin);
	fmt_num(z, sizeof(z), tmax);
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">%s</text>\n", b.x,
		b.y + b.h + 16, a);
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", b.x + b.w,
		b.y + b.h + 16, z);
	for (i = 0; i < nr_series; i++) {
		const char *colour = colours[i % (sizeof(colours) / sizeof(colours[0]))];

		fputs("<g class=\"series-group\">\n<polyline class=\"series\" data-label=\"", out);
		devmem_svg_escape(out, series[i].label);
		fprintf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", colour);
		for (j = 0; j < series[i].n; j++) {
			double t = series[i].t[j], v = series[i].v[j];

			if (!isfinite(t) || !isfinite(v))
				continue;
			fprintf(out, "%.1f,%.1f ", b.x + b.w * (t - tmin) / (tmax - tmin),
				b.y + b.h - b.h * v / top);
		}
		fputs("\"/>\n", out);
		for (j = 0; j < series[i].n; j++) {
			double t = series[i].t[j], v = series[i].v[j];

			if (!isfinite(t) || !isfinite(v))
				continue;
			fprintf(out, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\" "
				"fill=\"%s\"><title>%.3f s: %.6g</title></circle>\n",
				b.x + b.w * (t - tmin) / (tmax - tmin), b.y + b.h - b.h * v / top,
				colour, t, v);
		}
		fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"%s\">", 90 + (int)(i % 4) * 180,
			H - 20 + (int)(i / 4) * 12, colour);
		devmem_svg_escape(out, series[i].label);
		fputs("</text>\n</g>\n", out);
	}
	return footer(out);
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop's numbers as text (top_view.h): rates, times, bytes, bars, figures. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli/sanitize.h"
#include "render/top_view.h"

#define NSEC_PER_SEC 1000000000.0

void top_fmt_rate(char *buf, size_t len, double v, int w)
{
	static const char units[] = "kMGTPE";
	int u = -1;

	if (!(v >= 0) || isinf(v)) {
		snprintf(buf, len, "%*s", w, "-");
		return;
	}
	/* one decimal while it fits, then k, M, ... with one decimal */
	if (v < 99999.95) {
		if (v == floor(v))
			snprintf(buf, len, "%*.0f", w, v);
		else
			snprintf(buf, len, "%*.1f", w, v);
		return;
	}
	while (v >= 999.95 && u < (int)sizeof(units) - 2) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, len, "%*.1f%c", w > 0 ? w - 1 : 0, v, units[u]);
}

void top_fmt_ns(char *buf, size_t len, double ns, bool saturated)
{
	const char *pre = saturated ? ">" : "";

	if (!(ns >= 0)) {
		snprintf(buf, len, "-");
	} else if (ns < 1000) {
		snprintf(buf, len, "%s%.0fns", pre, ns);
	} else if (ns < 999.95e3) {
		snprintf(buf, len, "%s%.1fus", pre, ns / 1e3);
	} else if (ns < 999.95e6) {
		snprintf(buf, len, "%s%.1fms", pre, ns / 1e6);
	} else {
		snprintf(buf, len, "%s%.2fs", pre, ns / 1e9);
	}
}

void top_fmt_bar(char *buf, size_t len, double fraction, bool known, int w)
{
	int inner = w > 2 ? w - 2 : 1, filled;
	size_t pos = 0;

	if (!known || !(fraction >= 0)) {
		snprintf(buf, len, "-");
		return;
	}
	filled = fraction >= 1 ? inner : (int)(fraction * inner + 0.5);
	if (len < (size_t)inner + 3) {
		snprintf(buf, len, "-");
		return;
	}
	buf[pos++] = '[';
	for (int i = 0; i < inner; i++)
		buf[pos++] = i < filled ? '#' : '.';
	buf[pos++] = ']';
	buf[pos] = '\0';
}

void top_fmt_bytes(char *buf, size_t len, __u64 bytes)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (u == 0 || v >= 9.95 || v == floor(v))
		snprintf(buf, len, "%.0f%c", v, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
}

/* append to buf at *pos, never past len, and if cut, never inside a character */
void top_put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	size_t start = *pos;
	va_list ap;
	int n;

	if (*pos >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (*pos + (size_t)n < len) {
		*pos += (size_t)n;
		return;
	}
	*pos = start + devmem_utf8_cut(buf + start, len - 1 - start);
	buf[*pos] = '\0';
}

/* a figure: a count in summary frames, else a rate over the interval */
void top_figure(char *buf, size_t len, const struct top_frame *f, __u64 count, int w)
{
	if (f->summary)
		snprintf(buf, len, "%*llu", w, (unsigned long long)count);
	else if (f->initial || !f->interval_ns)
		snprintf(buf, len, "%*s", w, "-");
	else
		top_fmt_rate(buf, len, (double)count * NSEC_PER_SEC / (double)f->interval_ns, w);
}

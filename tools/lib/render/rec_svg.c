// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Charts of a report over recordings as SVG (rec_svg.h), drawn by svg.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "model/hist.h"
#include "render/rec_svg.h"
#include "render/svg.h"

/* a wall-clock time, local, to the second */
static void when(char *buf, size_t len, double epoch_s)
{
	time_t t = (time_t)epoch_s;
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "?");
}

void devmem_rec_svg_subtitle(char *buf, size_t len, const struct devmem_rec_report *rep)
{
	double from = INFINITY, to = -INFINITY;
	char a[32], z[32], hosts[256] = "";
	size_t pos = 0, nhosts = 0;

	for (size_t i = 0; i < rep->nr_streams; i++) {
		const struct devmem_rec_stream *st = &rep->streams[i];
		double t0 = (double)st->start_realtime_ns / 1e9;
		char want[sizeof(st->host) + 2];

		if (st->start_realtime_ns && st->to >= st->from) {
			from = fmin(from, t0 + st->from);
			to = fmax(to, t0 + st->to);
		}
		/* each host once, as the recording names it: filtered where it is drawn */
		snprintf(want, sizeof(want), "%.*s", (int)strnlen(st->host, sizeof(st->host)),
			 st->host);
		if (strstr(hosts, want) && (strlen(want) || nhosts))
			continue;
		nhosts++;
		if (pos < sizeof(hosts))
			pos += (size_t)snprintf(hosts + pos, sizeof(hosts) - pos, "%s%s",
						pos ? ", " : "", want);
	}
	if (!isfinite(from)) {
		snprintf(buf, len, "%s %s", nhosts == 1 ? "host" : "hosts", hosts);
		return;
	}
	when(a, sizeof(a), from);
	when(z, sizeof(z), to);
	/* the end's date only where it is another day */
	snprintf(buf, len, "%s %s, %s to %s", nhosts == 1 ? "host" : "hosts", hosts, a,
		 strncmp(a, z, 11) ? z : z + 11);
}

int devmem_rec_svg_rate(FILE *f, const struct devmem_rec_report *rep, unsigned int c,
			const char *name)
{
	struct devmem_svg_series *series = calloc(rep->nr_streams + 1, sizeof(*series));
	double **tv = calloc(2 * rep->nr_streams + 1, sizeof(*tv));
	char (*labels)[384] = calloc(rep->nr_streams + 1, sizeof(*labels));
	char title[128], sub[512];
	int ret = -ENOMEM;

	if (series && tv && labels) {
		ret = 0;
		for (size_t i = 0; i < rep->nr_streams && !ret; i++) {
			const struct devmem_rec_stream *st = &rep->streams[i];
			double *t = calloc(st->nr_points + 1, sizeof(double));
			double *v = calloc(st->nr_points + 1, sizeof(double));

			tv[2 * i] = t;
			tv[2 * i + 1] = v;
			if (!t || !v) {
				ret = -ENOMEM;
				break;
			}
			for (size_t j = 0; j < st->nr_points; j++) {
				const struct devmem_rec_point *p = &st->points[j];

				__u64 n = devmem_counters_cu64(&p->c)[c];

				t[j] = p->t;
				/* a counter not known (an older recording) has no rate */
				v[j] = p->dt > 0 && n != DEVMEM_UNKNOWN ? (double)n / p->dt : NAN;
			}
			snprintf(labels[i], sizeof(labels[i]), "%s (%s)", st->host, st->first_path);
			series[i] = (struct devmem_svg_series){ labels[i], t, v, st->nr_points };
		}
		snprintf(title, sizeof(title), "%s per second", name);
		devmem_rec_svg_subtitle(sub, sizeof(sub), rep);
		if (!ret) {
			const struct devmem_svg_text txt = {
				.title = title, .subtitle = sub, .count = "per second",
			};

			ret = devmem_svg_rate(f, &txt, series, rep->nr_streams);
		}
	}
	for (size_t i = 0; tv && i < 2 * rep->nr_streams; i++)
		free(tv[i]);
	free(tv);
	free(series);
	free(labels);
	return ret;
}

/* what a histogram's samples are */
static const char *count_of(unsigned int k)
{
	switch (k) {
	case DEVMEM_HIST_FAULT_LATENCY: return "faults";
	case DEVMEM_HIST_MIGRATE_PAGES: return "migrations";
	case DEVMEM_HIST_PAGE_LIFETIME: return "device pages";
	default: return "removes";
	}
}

/* most samples first, then by label: the busiest panels lead */
static int panel_cmp(const void *a, const void *b)
{
	const struct devmem_svg_panel *x = a, *y = b;
	__u64 nx = devmem_hist_total(x->h), ny = devmem_hist_total(y->h);

	return nx != ny ? (nx < ny ? 1 : -1) : strcmp(x->label, y->label);
}

int devmem_rec_svg_hist(FILE *f, const struct devmem_rec_report *rep, unsigned int k,
			struct devmem_unit u, unsigned int split)
{
	const struct devmem_snapshot *s = &rep->total;
	size_t cap = s->nr_procs + s->nr_devices + 1, n = 0;
	struct devmem_svg_panel *p = calloc(cap, sizeof(*p));
	char (*labels)[DEVMEM_COMM_LEN + DEVMEM_NAME_LEN + 16] = calloc(cap, sizeof(*labels));
	char title[128], sub[512];
	struct devmem_svg_text txt = { .unit = u.name, .unit_div = u.div, .count = count_of(k) };
	int ret = -ENOMEM;

	if (!p || !labels)
		goto out;
	/* one panel per process or device with samples of this kind */
	for (size_t i = 0; (split & DEVMEM_REC_SVG_PROCESSES) && i < s->nr_procs; i++) {
		const struct devmem_process *pr = &s->procs[i];

		if (!pr->has_hist || !devmem_hist_total(&pr->hist[k]))
			continue;
		snprintf(labels[n], sizeof(labels[n]), "%.*s (%u)",
			 (int)strnlen(pr->comm, sizeof(pr->comm)), pr->comm, pr->tgid);
		p[n] = (struct devmem_svg_panel){ labels[n], &pr->hist[k] };
		n++;
	}
	for (size_t i = 0; (split & DEVMEM_REC_SVG_DEVICES) && i < s->nr_devices; i++) {
		const struct devmem_device *d = &s->devices[i];

		if (!d->has_hist || !devmem_hist_total(&d->hist[k]))
			continue;
		snprintf(labels[n], sizeof(labels[n]), "%.*s",
			 (int)strnlen(d->name, sizeof(d->name)), d->name);
		p[n] = (struct devmem_svg_panel){ labels[n], &d->hist[k] };
		n++;
	}
	qsort(p, n, sizeof(*p), panel_cmp);
	snprintf(title, sizeof(title), "%s (%s)%s", devmem_hist_kind_name(k), u.name,
		 split & DEVMEM_REC_SVG_PROCESSES ? " per process" :
		 split & DEVMEM_REC_SVG_DEVICES ? " per device" : "");
	devmem_rec_svg_subtitle(sub, sizeof(sub), rep);
	txt.title = title;
	txt.subtitle = sub;
	if (!split) {
		const struct devmem_svg_panel all = { NULL, &s->hist[k] };

		ret = devmem_svg_hists(f, &txt, &all, 1);
	} else {
		ret = devmem_svg_hists(f, &txt, p, n);
	}
out:
	free(p);
	free(labels);
	return ret;
}

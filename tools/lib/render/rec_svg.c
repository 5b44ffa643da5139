// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Charts of a report over recordings as SVG (rec_svg.h), drawn by svg.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "model/hist.h"
#include "render/rec_svg.h"
#include "render/svg.h"

int devmem_rec_svg_rate(FILE *f, const struct devmem_rec_report *rep, unsigned int c,
			const char *name)
{
	struct devmem_svg_series *series = calloc(rep->nr_streams + 1, sizeof(*series));
	double **tv = calloc(2 * rep->nr_streams + 1, sizeof(*tv));
	char (*labels)[384] = calloc(rep->nr_streams + 1, sizeof(*labels));
	char title[128];
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
		if (!ret)
			ret = devmem_svg_rate(f, title, "per second", series, rep->nr_streams);
	}
	for (size_t i = 0; tv && i < 2 * rep->nr_streams; i++)
		free(tv[i]);
	free(tv);
	free(series);
	free(labels);
	return ret;
}

int devmem_rec_svg_hist(FILE *f, const struct devmem_rec_report *rep, unsigned int k,
			struct devmem_unit u)
{
	char title[128];

	snprintf(title, sizeof(title), "%s over %zu recording%s", devmem_hist_kind_name(k),
		 rep->nr_streams, rep->nr_streams == 1 ? "" : "s");
	return devmem_svg_hist(f, &rep->total.hist[k], title, u.name, u.div);
}

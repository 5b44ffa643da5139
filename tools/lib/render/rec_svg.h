/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Charts of a report over recordings as SVG (rec_svg.c). */
#ifndef DEVMEM_RENDER_REC_SVG_H
#define DEVMEM_RENDER_REC_SVG_H

#include <stdio.h>
#include "render/hist_text.h"
#include "store/record.h"

/* the rate of counter (an index of struct devmem_counters) over time, a line a recording */
int devmem_rec_svg_rate(FILE *out, const struct devmem_rec_report *rep, unsigned int counter,
			const char *name);
/* the histogram of kind over every recording, in unit u */
int devmem_rec_svg_hist(FILE *out, const struct devmem_rec_report *rep, unsigned int kind,
			struct devmem_unit u);

#endif /* DEVMEM_RENDER_REC_SVG_H */

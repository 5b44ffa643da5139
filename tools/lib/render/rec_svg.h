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
#define DEVMEM_REC_SVG_PROCESSES	0x1	/* -P: a panel per process */
#define DEVMEM_REC_SVG_DEVICES		0x2	/* -G: a panel per device */
/*
 * The histogram of kind over every recording, in unit u: the total, or with
 * split (DEVMEM_REC_SVG_*) small multiples, a panel per process or device
 * that has samples of it, most samples first.
 */
int devmem_rec_svg_hist(FILE *out, const struct devmem_rec_report *rep, unsigned int kind,
			struct devmem_unit u, unsigned int split);
/* what a report covers, for a chart's subtitle: "host a, 2026-12-01 10:00:00 to 10:05:00" */
void devmem_rec_svg_subtitle(char *buf, size_t len, const struct devmem_rec_report *rep);

#endif /* DEVMEM_RENDER_REC_SVG_H */

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The text and JSON reports of a snapshot (report.c).
 */
#ifndef DEVMEM_RENDER_REPORT_H
#define DEVMEM_RENDER_REPORT_H

#include <stdio.h>
#include "model/snapshot.h"

#define DEVMEM_REPORT_HISTS	0x1	/* print the histogram tables too */

void devmem_report_text(FILE *out, const struct devmem_snapshot *s, unsigned int flags);
/* JSON document (jansson); 0 or -errno */
int devmem_report_json(FILE *out, const struct devmem_snapshot *s);

/*
 * Folded lines ("comm;outer;...;inner COUNT"), each process's stacks
 * under its command name, the same stack of two processes of one name
 * summed; by_time counts microseconds of fault time instead of faults.
 */
int devmem_stacks_folded(FILE *out, const struct devmem_snapshot *s, bool by_time);
/* the same as an SVG flame graph; 0, -ENOMEM or -EIO */
int devmem_stacks_flamegraph(FILE *out, const struct devmem_snapshot *s, const char *title);

#endif /* DEVMEM_RENDER_REPORT_H */

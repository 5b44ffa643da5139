/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The gauges of the metrics (om_gauges.c): ranges and devices in pages and
 * bytes, and thrashing, for the catalogue of openmetrics.c.
 */
#ifndef DEVMEM_RENDER_OM_GAUGES_H
#define DEVMEM_RENDER_OM_GAUGES_H

#include <stddef.h>
#include "model/snapshot.h"
#include "render/om_series.h"

/* the labels of a process's series: pid and comm */
void om_pid_labels(struct om_ctx *c, const struct devmem_process *p);
/* live ranges and devices: in use and size, pages and (with a page size) bytes */
void om_render_gauges(struct om_ctx *c, const struct devmem_snapshot *s);
/* pages thrashing and bouncing and their bounces, in total and per device; none when off */
void om_render_thrash(struct om_ctx *c, const struct devmem_snapshot *s);
/* the same per process, for the n processes keep[] names (indexes into s->procs) */
void om_process_thrash(struct om_ctx *c, const struct devmem_snapshot *s, const size_t *keep,
		       size_t n);

#endif /* DEVMEM_RENDER_OM_GAUGES_H */

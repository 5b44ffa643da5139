/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* devmemhist's text report of a snapshot (hist_report.c). */
#ifndef DEVMEM_RENDER_HIST_REPORT_H
#define DEVMEM_RENDER_HIST_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "model/snapshot.h"
#include "render/hist_text.h"

struct devmem_hist_report {
	struct devmem_unit time_unit;	/* of the latency and lifetime histograms */
	bool counters;			/* the counters, losses and diagnosis too (a summary) */
	bool per_device;		/* the histograms of each device (-G) */
	bool per_process;		/* ... of each process (-P) */
	__u32 thrash_k;			/* the thrashing threshold; 0: the snapshot's */
};

void devmem_hist_report_text(FILE *out, const struct devmem_snapshot *s,
			     const struct devmem_hist_report *o);

#endif /* DEVMEM_RENDER_HIST_REPORT_H */

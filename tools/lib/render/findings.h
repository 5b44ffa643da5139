/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What stands out in a snapshot (findings.c), and the diagnosis sections
 * of the text report (diag_report.c).
 */
#ifndef DEVMEM_RENDER_FINDINGS_H
#define DEVMEM_RENDER_FINDINGS_H

#include <stdio.h>
#include "model/snapshot.h"

enum devmem_finding_kind {
	DEVMEM_FIND_THRASH = 1,		/* a run of thrashing pages */
	DEVMEM_FIND_WASTED,		/* a high share of wasted faults */
	DEVMEM_FIND_LATENCY,		/* fault latency p99 far above p50 */
	DEVMEM_FIND_FULL,		/* a device almost full */
	DEVMEM_FIND_LOST,		/* events were lost: figures are low */
};

struct devmem_finding {
	enum devmem_finding_kind kind;
	double score;			/* rank: higher first */
	char text[512];			/* one line, sanitized */
};

/*
 * What stands out in s, ranked, at most max findings; k the thrashing
 * threshold. Returns the number found (0: nothing stands out) or -ENOMEM.
 */
int devmem_findings(const struct devmem_snapshot *s, __u32 k, struct devmem_finding *out,
		    size_t max);
/* the name a kind has in JSON: "thrash", "wasted", ... */
const char *devmem_finding_kind_name(enum devmem_finding_kind kind);
/* "Findings:" and one numbered line each, or "Findings: none" */
void devmem_findings_print(FILE *out, const struct devmem_snapshot *s, __u32 k);
/*
 * The THRASHING and FAULT STACKS sections (each when on) and the findings,
 * as text (diag_report.c); k the thrashing threshold, 0: the snapshot's.
 */
void devmem_diag_text(FILE *out, const struct devmem_snapshot *s, __u32 k);

#endif /* DEVMEM_RENDER_FINDINGS_H */

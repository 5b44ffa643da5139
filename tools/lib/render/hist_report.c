// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemhist's text report of a snapshot (hist_report.h): counters and
 * folios by order, losses, the histograms (in total, per device or per
 * process) and the diagnosis sections.
 */
#include <stdio.h>
#include "cli/sanitize.h"
#include "model/counts.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/counts_text.h"
#include "render/findings.h"
#include "render/hist_report.h"
#include "render/hist_text.h"

/* one histogram, times in the report's unit */
static void print_hist(FILE *out, const struct devmem_hist_report *o, const struct devmem_hist *h,
		       unsigned int kind, const char *indent)
{
	struct devmem_unit u = devmem_hist_unit(kind, &o->time_unit);

	fprintf(out, "%s%s (%s): ", indent, devmem_hist_kind_name(kind), u.name);
	devmem_hist_summary(out, h, u);
	fputc('\n', out);
	if (devmem_hist_total(h))
		devmem_hist_table(out, h, u, indent);
}

/*
 * The histograms of the totals, each even when empty ("0 samples" says
 * something there); those of a device or process only where they have
 * samples, so that a long list shows what each part did.
 */
static void print_hists(FILE *out, const struct devmem_hist_report *o, const struct devmem_hist *h,
			const char *indent, bool part)
{
	bool any = false;

	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++) {
		if (part && !devmem_hist_total(&h[k]))
			continue;
		print_hist(out, o, &h[k], k, indent);
		fputc('\n', out);
		any = true;
	}
	if (!any)
		fprintf(out, "%sno histogram samples\n\n", indent);
}

static void print_losses(FILE *out, const struct devmem_snapshot *s)
{
	bool any = false;

	for (unsigned int i = 0; i < DEVMEM_LOST_KINDS; i++)
		if (s->lost[i]) {
			fprintf(out, "%s%s %llu", any ? ", " : "Lost or unmatched events: ",
				devmem_lost_names[i], (unsigned long long)s->lost[i]);
			any = true;
		}
	for (unsigned int i = 0; i < DEVMEM_TALLY_KINDS; i++)
		if (s->tallies[i]) {
			fprintf(out, "%s%s %llu", any ? ", " : "Lost or unmatched events: ",
				devmem_tally_names[i], (unsigned long long)s->tallies[i]);
			any = true;
		}
	if (s->recursion_misses) {
		fprintf(out, "%srecursion_misses %llu", any ? ", " : "Lost events: ",
			(unsigned long long)s->recursion_misses);
		any = true;
	}
	fprintf(out, "%s\n", any ? "" : "Lost events: none");
}

void devmem_hist_report_text(FILE *out, const struct devmem_snapshot *s,
			     const struct devmem_hist_report *o)
{
	if (o->counters) {
		fprintf(out, "Counters:\n");
		devmem_counters_text(out, s->mode, &s->total, "  ");
		devmem_folios_text(out, &s->folios, "  ");
	}
	print_losses(out, s);
	fputc('\n', out);
	/* reports and summaries always show the totals; live -D/-P only the parts */
	if (o->counters || (!o->per_device && !o->per_process))
		print_hists(out, o, s->hist, "", false);
	if (o->per_device) {
		if (!s->nr_devices)
			fprintf(out, "No device had activity.\n");
		for (size_t i = 0; i < s->nr_devices; i++) {
			const struct devmem_device *d = &s->devices[i];
			char name[DEVMEM_SANITIZED_SIZE(DEVMEM_NAME_LEN)];

			devmem_sanitize(name, sizeof(name), d->name, sizeof(d->name), 0);
			fprintf(out, "device %s:\n", name);
			if (o->counters) {
				devmem_counters_line(out, s->mode, &d->c, "  ");
				if (!devmem_folios_none(&d->folios))
					devmem_folios_text(out, &d->folios, "  ");
			}
			if (d->has_hist)
				print_hists(out, o, d->hist, "  ", true);
		}
	} else if (o->per_process) {
		if (!s->nr_procs)
			fprintf(out, "No process had activity.\n");
		for (size_t i = 0; i < s->nr_procs; i++) {
			const struct devmem_process *p = &s->procs[i];
			char comm[DEVMEM_SANITIZED_SIZE(DEVMEM_COMM_LEN)];

			devmem_sanitize(comm, sizeof(comm), p->comm, sizeof(p->comm), 0);
			fprintf(out, "process %u (%s)%s", p->tgid, comm, p->exit_ns ? ", exited" : "");
			if (p->lost_events)
				fprintf(out, ", %llu events not counted (table full)",
					(unsigned long long)p->lost_events);
			fprintf(out, ":\n");
			if (o->counters)
				devmem_counters_line(out, s->mode, &p->c, "  ");
			if (p->has_hist)
				print_hists(out, o, p->hist, "  ", true);
		}
	}
	if (o->counters)
		devmem_diag_text(out, s, o->thrash_k);
}

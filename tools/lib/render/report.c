// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Text and JSON renderings of a snapshot; plain text, never escape codes. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "cli/sanitize.h"
#include "model/counts.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/counts_text.h"
#include "render/findings.h"
#include "render/json_out.h"
#include "render/hist_text.h"
#include "render/report.h"

/* NAME and COMM: 16 columns of the filtered name */
#define LABEL_COLS	16

static void counters_header(FILE *out)
{
	fprintf(out, "%8s %6s %6s %9s %9s %7s %7s %9s %9s %4s %4s %8s %7s %6s",
		"FAULTS", "ERRS", "WASTED", "PG_TO_DEV", "PG_TO_RAM", "CALL_D", "CALL_R",
		"ALLOCS", "FREES", "ADD", "REM", "REFS_WT", "PMD_FLT", "BUSY");
}

#define COUNTER(field) (offsetof(struct devmem_counters, field) / sizeof(__u64))

/* the columns of counters_header(), "?" for a value not observed */
static void counters_row(FILE *out, enum devmem_mode mode, const struct devmem_counters *c)
{
	static const struct {
		size_t idx;
		int width;
	} cols[] = {
		{ COUNTER(faults), 8 }, { COUNTER(fault_errors), 6 }, { COUNTER(faults_wasted), 6 },
		{ COUNTER(pages_to_device), 9 }, { COUNTER(pages_to_ram), 9 },
		{ COUNTER(migrate_calls_to_device), 7 }, { COUNTER(migrate_calls_to_ram), 7 },
		{ COUNTER(allocs), 9 }, { COUNTER(frees), 9 }, { COUNTER(adds), 4 },
		{ COUNTER(removes), 4 }, { COUNTER(refs_waited), 8 }, { COUNTER(faults_pmd), 7 },
		{ COUNTER(faults_busy), 6 },
	};
	char v[24];

	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		fprintf(out, "%s%*s", i ? " " : "", cols[i].width,
			devmem_count_text(v, sizeof(v), devmem_counter_shown(mode, c, cols[i].idx)));
}

/* a device's folios, when it has any or they are not known */
static void device_folios(FILE *out, const struct devmem_folio_counts *f, const char *indent)
{
	if (!devmem_folios_none(f))
		devmem_folios_text(out, f, indent);
}

static void print_hists(FILE *out, const struct devmem_hist *hist, const char *indent,
			unsigned int flags)
{
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++) {
		struct devmem_unit u = devmem_hist_unit(k, NULL);

		fprintf(out, "%s%-14s ", indent, devmem_hist_kind_name(k));
		devmem_hist_summary(out, &hist[k], u);
		fprintf(out, " (%s)\n", u.name);
		if ((flags & DEVMEM_REPORT_HISTS) && devmem_hist_total(&hist[k]))
			devmem_hist_table(out, &hist[k], u, indent);
	}
}

void devmem_report_text(FILE *out, const struct devmem_snapshot *s, unsigned int flags)
{
	size_t i;
	int k;

	fprintf(out, "mode: %s", devmem_mode_name(s->mode));
	if (s->interval_ns)
		fprintf(out, "   interval: %.3f s", (double)s->interval_ns / 1e9);
	fprintf(out, "\n\nTOTALS\n");
	devmem_counters_text(out, s->mode, &s->total, "  ");
	devmem_folios_text(out, &s->folios, "  ");

	fprintf(out, "\nDEVICES\n  %-24s %6s ", "NAME", "RANGES");
	counters_header(out);
	fprintf(out, "\n");
	for (i = 0; i < s->nr_devices; i++) {
		char label[DEVMEM_SANITIZED_SIZE(sizeof(s->devices->name))];

		devmem_sanitize_field(label, sizeof(label), s->devices[i].name,
				      sizeof(s->devices[i].name), 0, 24);
		fprintf(out, "  %s %6u ", label, s->devices[i].nr_ranges);
		counters_row(out, s->mode, &s->devices[i].c);
		fprintf(out, "\n");
		device_folios(out, &s->devices[i].folios, "      ");
		if (s->devices[i].has_hist)
			print_hists(out, s->devices[i].hist, "      ", flags);
	}

	fprintf(out, "\nPROCESSES\n  %-10s %-16s %-6s %8s ", "TGID", "COMM", "STATE", "UNCOUNTED");
	counters_header(out);
	fprintf(out, "\n");
	for (i = 0; i < s->nr_procs; i++) {
		char comm[DEVMEM_SANITIZED_SIZE(DEVMEM_COMM_LEN)];

		devmem_sanitize_field(comm, sizeof(comm), s->procs[i].comm[0] ? s->procs[i].comm :
				      "?", sizeof(s->procs[i].comm), 0, LABEL_COLS);
		fprintf(out, "  %-10u %s %-6s %8llu ", s->procs[i].tgid, comm,
			s->procs[i].exit_ns ? "exited" : "alive",
			(unsigned long long)s->procs[i].lost_events);
		counters_row(out, s->mode, &s->procs[i].c);
		fprintf(out, "\n");
		if (s->procs[i].has_hist)
			print_hists(out, s->procs[i].hist, "      ", flags);
	}

	fprintf(out, "\nRANGES\n  %-18s %-37s %9s %4s %-8s %9s %-7s %12s %s\n", "PGMAP_ID",
		"PHYSICAL RANGE", "PAGES", "NID", "TYPE", "IN_USE", "STATE", "REMOVE_WAIT",
		"NAME");
	for (i = 0; i < s->nr_ranges; i++) {
		const struct devmem_snap_range *r = &s->ranges[i];
		char nid[16], in_use[24], wait[24], name[DEVMEM_SANITIZED_SIZE(sizeof(r->name))];
		const char *state = devmem_range_state_name(r->r.removed_ns, r->r.remove_done_ns);
		__u64 iu = devmem_range_in_use(r);

		snprintf(nid, sizeof(nid), r->r.nid == ~0U ? "-" : "%u", r->r.nid);
		if (iu == DEVMEM_UNKNOWN)
			snprintf(in_use, sizeof(in_use), "-");
		else
			snprintf(in_use, sizeof(in_use), "%llu", (unsigned long long)iu);
		if (r->r.remove_done_ns && r->r.removed_ns)
			snprintf(wait, sizeof(wait), "%.3fms",
				 (double)(r->r.remove_done_ns - r->r.removed_ns) / 1e6);
		else
			snprintf(wait, sizeof(wait), "-");
		devmem_sanitize(name, sizeof(name), r->name[0] ? r->name : "-", sizeof(r->name), 0);
		fprintf(out, "  0x%016llx 0x%016llx-0x%016llx %9llu %4s %-8s %9s %-7s %12s %s\n",
			(unsigned long long)r->id, (unsigned long long)r->r.start,
			(unsigned long long)r->r.end, (unsigned long long)r->r.nr_pages, nid,
			devmem_range_type_name(r->r.type), in_use, state, wait, name);
	}
	fprintf(out, "\nRANGE COUNTERS\n  %-18s %-24s ", "PGMAP_ID", "DEVICE");
	counters_header(out);
	fprintf(out, "\n");
	for (i = 0; i < s->nr_ranges; i++) {
		char label[DEVMEM_SANITIZED_SIZE(DEVMEM_NAME_LEN)];

		devmem_sanitize_field(label, sizeof(label), s->ranges[i].device,
				      sizeof(s->ranges[i].device), 0, 24);
		fprintf(out, "  0x%016llx %s ", (unsigned long long)s->ranges[i].id, label);
		counters_row(out, s->mode, &s->ranges[i].c);
		fprintf(out, "\n");
	}

	fprintf(out, "\nHISTOGRAMS\n");
	print_hists(out, s->hist, "  ", flags);

	fprintf(out, "\nLOST EVENTS: %llu\n", (unsigned long long)devmem_snapshot_lost_total(s));
	for (k = 0; k < DEVMEM_LOST_KINDS; k++)
		if (s->lost[k])
			fprintf(out, "  %-36s %llu\n", devmem_lost_names[k],
				(unsigned long long)s->lost[k]);
	if (s->recursion_misses)
		fprintf(out, "  %-36s %llu\n", "recursion_misses",
			(unsigned long long)s->recursion_misses);
	for (k = 0; k < DEVMEM_TALLY_KINDS; k++)
		if (s->tallies[k])
			fprintf(out, "  (not lost) %-25s %llu\n", devmem_tally_names[k],
				(unsigned long long)s->tallies[k]);
	if (s->note[0]) {
		char note[DEVMEM_SANITIZED_SIZE(sizeof(s->note))];

		devmem_sanitize(note, sizeof(note), s->note, sizeof(s->note), 0);
		fprintf(out, "\nNOTE: %s\n", note);
	}
	devmem_diag_text(out, s, 0);
}

/* ---- JSON ----------------------------------------------------------------- */

int devmem_report_json(FILE *out, const struct devmem_snapshot *s)
{
	return devmem_json_dump(out, devmem_json_snapshot(s, 0));
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Text and JSON renderings of a snapshot; plain text, never escape codes. */
#include <errno.h>
#include <string.h>
#include <jansson.h>
#include "devmem.h"

static const char *type_name(__u32 type)
{
	return type == DEVMEM_TYPE_PRIVATE ? "private" :
	       type == DEVMEM_TYPE_COHERENT ? "coherent" : "other";
}

static void counters_header(FILE *out)
{
	fprintf(out, "%8s %6s %6s %9s %9s %7s %7s %9s %9s %4s %4s %8s",
		"FAULTS", "ERRS", "WASTED", "PG_TO_DEV", "PG_TO_RAM", "CALL_D", "CALL_R",
		"ALLOCS", "FREES", "ADD", "REM", "REFS_WT");
}

static void counters_row(FILE *out, const struct devmem_counters *c)
{
	fprintf(out, "%8llu %6llu %6llu %9llu %9llu %7llu %7llu %9llu %9llu %4llu %4llu %8llu",
		(unsigned long long)c->faults, (unsigned long long)c->fault_errors,
		(unsigned long long)c->faults_wasted, (unsigned long long)c->pages_to_device,
		(unsigned long long)c->pages_to_ram,
		(unsigned long long)c->migrate_calls_to_device,
		(unsigned long long)c->migrate_calls_to_ram, (unsigned long long)c->allocs,
		(unsigned long long)c->frees, (unsigned long long)c->adds,
		(unsigned long long)c->removes, (unsigned long long)c->refs_waited);
}

static void print_percentiles(FILE *out, const struct devmem_hist *h, const char *unit)
{
	static const double ps[] = { 50, 90, 99 };
	struct devmem_percentile pc;

	fprintf(out, "count %llu", (unsigned long long)devmem_hist_total(h));
	if (!devmem_hist_total(h)) {
		fprintf(out, "\n");
		return;
	}
	fprintf(out, "  mean %.0f", devmem_hist_mean(h));
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		devmem_hist_percentile(h, ps[i], &pc);
		fprintf(out, "  p%.0f %s%.0f", ps[i], pc.saturated ? ">=" : "", pc.value);
	}
	fprintf(out, " %s\n", unit);
}

static void print_hists(FILE *out, const struct devmem_hist *hist, const char *indent,
			unsigned int flags)
{
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++) {
		fprintf(out, "%s%-14s ", indent, devmem_hist_kind_name(k));
		print_percentiles(out, &hist[k], devmem_hist_kind_unit(k));
		if ((flags & DEVMEM_REPORT_HISTS) && devmem_hist_total(&hist[k]))
			devmem_hist_print(out, &hist[k], devmem_hist_kind_unit(k));
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
	for (i = 0; i < DEVMEM_NR_COUNTERS; i++)
		fprintf(out, "  %-24s %llu\n", devmem_counter_names[i],
			(unsigned long long)devmem_counters_cu64(&s->total)[i]);

	fprintf(out, "\nDEVICES\n  %-24s %6s ", "NAME", "RANGES");
	counters_header(out);
	fprintf(out, "\n");
	for (i = 0; i < s->nr_devices; i++) {
		fprintf(out, "  %-24.24s %6u ", s->devices[i].name, s->devices[i].nr_ranges);
		counters_row(out, &s->devices[i].c);
		fprintf(out, "\n");
		if (s->devices[i].has_hist)
			print_hists(out, s->devices[i].hist, "      ", flags);
	}

	fprintf(out, "\nPROCESSES\n  %-10s %-16s %-6s %8s ", "TGID", "COMM", "STATE", "UNCOUNTED");
	counters_header(out);
	fprintf(out, "\n");
	for (i = 0; i < s->nr_procs; i++) {
		fprintf(out, "  %-10u %-16.16s %-6s %8llu ", s->procs[i].tgid,
			s->procs[i].comm[0] ? s->procs[i].comm : "?",
			s->procs[i].exit_ns ? "exited" : "alive",
			(unsigned long long)s->procs[i].lost_events);
		counters_row(out, &s->procs[i].c);
		fprintf(out, "\n");
		if (s->procs[i].has_hist)
			print_hists(out, s->procs[i].hist, "      ", flags);
	}

	fprintf(out, "\nRANGES\n  %-18s %-37s %9s %4s %-8s %9s %-7s %12s %s\n", "PGMAP_ID",
		"PHYSICAL RANGE", "PAGES", "NID", "TYPE", "IN_USE", "STATE", "REMOVE_WAIT",
		"NAME");
	for (i = 0; i < s->nr_ranges; i++) {
		const struct devmem_snap_range *r = &s->ranges[i];
		char nid[16], in_use[24], wait[24];
		const char *state = r->r.remove_done_ns ? "removed" :
				    r->r.removed_ns ? "waiting" : "live";
		__u64 iu = r->r.removed_ns ? r->r.in_use_at_remove : r->in_use_at_start;

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
		fprintf(out, "  0x%016llx 0x%016llx-0x%016llx %9llu %4s %-8s %9s %-7s %12s %s\n",
			(unsigned long long)r->id, (unsigned long long)r->r.start,
			(unsigned long long)r->r.end, (unsigned long long)r->r.nr_pages, nid,
			type_name(r->r.type), in_use, state, wait, r->name[0] ? r->name : "-");
	}
	fprintf(out, "\nRANGE COUNTERS\n  %-18s %-24s ", "PGMAP_ID", "DEVICE");
	counters_header(out);
	fprintf(out, "\n");
	for (i = 0; i < s->nr_ranges; i++) {
		fprintf(out, "  0x%016llx %-24.24s ", (unsigned long long)s->ranges[i].id,
			s->ranges[i].device);
		counters_row(out, &s->ranges[i].c);
		fprintf(out, "\n");
	}

	fprintf(out, "\nHISTOGRAMS\n");
	print_hists(out, s->hist, "  ", flags);

	fprintf(out, "\nLOST EVENTS: %llu\n", (unsigned long long)devmem_snapshot_lost_total(s));
	for (k = 0; k < DEVMEM_LOST_NR_LOSSES; k++)
		if (s->lost[k])
			fprintf(out, "  %-36s %llu\n", devmem_lost_names[k],
				(unsigned long long)s->lost[k]);
	if (s->recursion_misses)
		fprintf(out, "  %-36s %llu\n", "recursion_misses",
			(unsigned long long)s->recursion_misses);
	for (k = DEVMEM_LOST_NR_LOSSES; k < DEVMEM_LOST_KINDS; k++)
		if (s->lost[k])
			fprintf(out, "  (not lost) %-25s %llu\n", devmem_lost_names[k],
				(unsigned long long)s->lost[k]);
	if (s->note[0])
		fprintf(out, "\nNOTE: %s\n", s->note);
}

/* ---- JSON ----------------------------------------------------------------- */

static json_t *hex(__u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

/* counts fit json_int_t; DEVMEM_UNKNOWN becomes null */
static json_t *num(__u64 v)
{
	if (v == DEVMEM_UNKNOWN)
		return json_null();
	return json_integer((json_int_t)v);
}

static int counters_json(json_t *obj, const struct devmem_counters *c)
{
	int err = 0;

	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		err |= json_object_set_new(obj, devmem_counter_names[i],
					   num(devmem_counters_cu64(c)[i]));
	return err;
}

static json_t *hist_json(const struct devmem_hist *h, const char *unit)
{
	static const struct { const char *name; double p; } ps[] = {
		{ "p50", 50 }, { "p90", 90 }, { "p99", 99 },
	};
	json_t *o = json_object(), *buckets = json_array();
	struct devmem_percentile pc;
	bool saturated = false;

	if (!o || !buckets) {
		json_decref(o);
		json_decref(buckets);
		return NULL;
	}
	json_object_set_new(o, "unit", json_string(unit));
	json_object_set_new(o, "count", num(devmem_hist_total(h)));
	json_object_set_new(o, "sum", num(h->sum));
	json_object_set_new(o, "mean", json_real(devmem_hist_mean(h)));
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		if (devmem_hist_percentile(h, ps[i].p, &pc)) {
			json_object_set_new(o, ps[i].name, json_null());
			continue;
		}
		saturated |= pc.saturated;
		json_object_set_new(o, ps[i].name, json_real(pc.value));
	}
	json_object_set_new(o, "saturated", json_boolean(saturated));
	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++) {
		json_t *b;

		if (!h->slots[i])
			continue;
		b = json_object();
		json_object_set_new(b, "low", num(devmem_hist_slot_low(i)));
		json_object_set_new(b, "high", i == DEVMEM_HIST_SLOTS - 1 ? json_null()
						 : num(devmem_hist_slot_high(i)));
		json_object_set_new(b, "count", num(h->slots[i]));
		json_array_append_new(buckets, b);
	}
	json_object_set_new(o, "buckets", buckets);
	return o;
}

static json_t *hists_json(const struct devmem_hist *hist)
{
	json_t *o = json_object();

	for (unsigned int k = 0; o && k < DEVMEM_HIST_KINDS; k++)
		json_object_set_new(o, devmem_hist_kind_name(k),
				    hist_json(&hist[k], devmem_hist_kind_unit(k)));
	return o;
}

static json_t *snapshot_json(const struct devmem_snapshot *s)
{
	json_t *root = json_object(), *a, *o;
	size_t i;
	int k;

	if (!root)
		return NULL;
	json_object_set_new(root, "mode", json_string(devmem_mode_name(s->mode)));
	json_object_set_new(root, "ts_ns", num(s->ts_ns));
	json_object_set_new(root, "interval_ns", num(s->interval_ns));
	o = json_object();
	counters_json(o, &s->total);
	json_object_set_new(root, "totals", o);

	a = json_array();
	for (i = 0; i < s->nr_devices; i++) {
		o = json_object();
		json_object_set_new(o, "name", json_string(s->devices[i].name) ?: json_string("?"));
		json_object_set_new(o, "owner", s->devices[i].owner ? hex(s->devices[i].owner) :
				    json_null());
		json_object_set_new(o, "nr_ranges", num(s->devices[i].nr_ranges));
		json_object_set_new(o, "live_ranges", num(s->devices[i].nr_live));
		counters_json(o, &s->devices[i].c);
		if (s->devices[i].has_hist)
			json_object_set_new(o, "histograms", hists_json(s->devices[i].hist));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "devices", a);

	a = json_array();
	for (i = 0; i < s->nr_procs; i++) {
		char comm[DEVMEM_COMM_LEN + 1] = "";

		memcpy(comm, s->procs[i].comm, DEVMEM_COMM_LEN);
		o = json_object();
		json_object_set_new(o, "tgid", num(s->procs[i].tgid));
		/* jansson rejects invalid UTF-8; a comm is bytes, so fall back to "?" */
		json_object_set_new(o, "comm", json_string(comm) ?: json_string("?"));
		json_object_set_new(o, "start_ns", num(s->procs[i].start_ns));
		json_object_set_new(o, "exit_ns", s->procs[i].exit_ns ? num(s->procs[i].exit_ns) :
				    json_null());
		/* events of this process the per-process table had no room for */
		json_object_set_new(o, "lost_events", num(s->procs[i].lost_events));
		counters_json(o, &s->procs[i].c);
		if (s->procs[i].has_hist)
			json_object_set_new(o, "histograms", hists_json(s->procs[i].hist));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "processes", a);

	a = json_array();
	for (i = 0; i < s->nr_ranges; i++) {
		const struct devmem_snap_range *r = &s->ranges[i];

		o = json_object();
		json_object_set_new(o, "pgmap_id", hex(r->id));
		json_object_set_new(o, "gen", num(r->r.gen));
		json_object_set_new(o, "device", json_string(r->device) ?: json_string("?"));
		json_object_set_new(o, "range_index", num(r->range_index));
		json_object_set_new(o, "start", hex(r->r.start));
		json_object_set_new(o, "end", hex(r->r.end));
		json_object_set_new(o, "nr_pages", num(r->r.nr_pages));
		json_object_set_new(o, "nid", r->r.nid == ~0U ? json_null() : num(r->r.nid));
		json_object_set_new(o, "type", json_string(type_name(r->r.type)));
		json_object_set_new(o, "owner", r->r.owner ? hex(r->r.owner) : json_null());
		json_object_set_new(o, "added_ns", num(r->r.added_ns));
		json_object_set_new(o, "removed_ns", num(r->r.removed_ns));
		json_object_set_new(o, "remove_done_ns", num(r->r.remove_done_ns));
		json_object_set_new(o, "in_use_at_remove",
				    r->r.removed_ns ? num(r->r.in_use_at_remove) : json_null());
		json_object_set_new(o, "in_use_at_start", num(r->in_use_at_start));
		json_object_set_new(o, "traced", json_boolean(r->sources & DEVMEM_RANGE_TRACED));
		json_object_set_new(o, "discovered",
				    json_boolean(r->sources & DEVMEM_RANGE_DISCOVERED));
		json_object_set_new(o, "name", r->name[0] ? (json_string(r->name) ?:
							    json_string("?")) : json_null());
		counters_json(o, &r->c);
		if (r->has_hist)
			json_object_set_new(o, "histograms", hists_json(r->hist));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "ranges", a);

	json_object_set_new(root, "histograms", hists_json(s->hist));

	o = json_object();
	json_object_set_new(o, "total", num(devmem_snapshot_lost_total(s)));
	json_object_set_new(o, "recursion_misses", num(s->recursion_misses));
	for (k = 0; k < DEVMEM_LOST_NR_LOSSES; k++)
		json_object_set_new(o, devmem_lost_names[k], num(s->lost[k]));
	json_object_set_new(root, "lost", o);
	o = json_object();
	for (k = DEVMEM_LOST_NR_LOSSES; k < DEVMEM_LOST_KINDS; k++)
		json_object_set_new(o, devmem_lost_names[k], num(s->lost[k]));
	json_object_set_new(root, "unmatched", o);
	json_object_set_new(root, "note", s->note[0] ? json_string(s->note) : json_null());
	return root;
}

int devmem_report_json(FILE *out, const struct devmem_snapshot *s)
{
	json_t *root = snapshot_json(s);
	int err;

	if (!root)
		return -ENOMEM;
	err = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (err)
		return -EIO;
	fputc('\n', out);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The one JSON writer per shape (jansson): a count, an address, the
 * counters, the folios by order, a histogram with its percentiles and buckets, the histograms of
 * every kind. Every JSON output of the tools builds these shapes here.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/sanitize.h"
#include "model/counts.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "model/stacks.h"
#include "render/findings.h"
#include "render/json_out.h"
#include "render/thrash_runs.h"

const double devmem_rec_percentiles[3] = { 50.0, 90.0, 99.0 };

json_t *devmem_json_u64(__u64 v)
{
	if (v == DEVMEM_UNKNOWN)
		return json_null();
	return json_integer((json_int_t)v);
}

json_t *devmem_json_hex(__u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

json_t *devmem_json_str(const char *s, size_t maxlen)
{
	size_t size = DEVMEM_SANITIZED_SIZE(strnlen(s, maxlen));
	char *buf = malloc(size);
	json_t *j;

	if (!buf)
		return NULL;
	devmem_sanitize(buf, size, s, maxlen, 0);
	j = json_string(buf);
	free(buf);
	return j;
}

int devmem_json_counters_set(json_t *obj, enum devmem_mode mode, const struct devmem_counters *c)
{
	int err = 0;

	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		err |= json_object_set_new(obj, devmem_counter_names[i],
					   devmem_json_u64(devmem_counter_shown(mode, c, i)));
	return err;
}

json_t *devmem_json_counters(enum devmem_mode mode, const struct devmem_counters *c)
{
	json_t *o = json_object();

	if (o && devmem_json_counters_set(o, mode, c)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *devmem_json_folios(const struct devmem_folio_counts *f)
{
	json_t *o;

	if (!devmem_folios_known(f))
		return json_null();
	o = json_object();
	for (unsigned int k = 0; o && k < DEVMEM_FOLIO_KINDS; k++) {
		const __u64 *n = devmem_folios_of(f, k);
		json_t *by_order = json_object();

		for (unsigned int i = 0; by_order && i < DEVMEM_ORDERS; i++) {
			char order[8];

			if (!n[i])
				continue;
			snprintf(order, sizeof(order), "%u", i);
			json_object_set_new(by_order, order, devmem_json_u64(n[i]));
		}
		json_object_set_new(o, devmem_folio_kind_names[k], by_order);
	}
	return o;
}

/* the percentiles as one object of {value, low, high, saturated} each */
static void percentiles_nested(json_t *o, const struct devmem_hist *h)
{
	json_t *p = json_object();

	for (unsigned int i = 0; p && i < 3; i++) {
		struct devmem_percentile pc;
		char key[16];

		snprintf(key, sizeof(key), "p%g", devmem_rec_percentiles[i]);
		if (devmem_hist_percentile(h, devmem_rec_percentiles[i], &pc))
			json_object_set_new(p, key, json_null());
		else
			/* the open-ended last slot has no upper bound: null, as in buckets */
			json_object_set_new(p, key, json_pack("{s:f,s:I,s:o,s:b}", "value",
							      pc.value, "low", (json_int_t)pc.low,
							      "high", pc.high == UINT64_MAX ? json_null() :
							      json_integer((json_int_t)pc.high),
							      "saturated", pc.saturated));
	}
	json_object_set_new(o, "percentiles", p);
}

json_t *devmem_json_hist(const struct devmem_hist *h, enum devmem_hist_kind kind)
{
	json_t *o = json_object(), *buckets = json_array();

	if (!o || !buckets) {
		json_decref(o);
		json_decref(buckets);
		return NULL;
	}
	json_object_set_new(o, "unit", json_string(devmem_hist_kind_unit(kind)));
	json_object_set_new(o, "count", devmem_json_u64(devmem_hist_total(h)));
	json_object_set_new(o, "sum", devmem_json_u64(h->sum));
	json_object_set_new(o, "mean", json_real(devmem_hist_mean(h)));
	percentiles_nested(o, h);
	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++) {
		json_t *b;

		if (!h->slots[i])
			continue;
		b = json_object();
		json_object_set_new(b, "low", devmem_json_u64(devmem_hist_slot_low(i)));
		/* the last slot has no upper bound */
		json_object_set_new(b, "high", i == DEVMEM_HIST_SLOTS - 1 ? json_null() :
				    devmem_json_u64(devmem_hist_slot_high(i)));
		json_object_set_new(b, "count", devmem_json_u64(h->slots[i]));
		json_array_append_new(buckets, b);
	}
	json_object_set_new(o, "buckets", buckets);
	return o;
}

json_t *devmem_json_hists(const struct devmem_hist *h)
{
	json_t *o = json_object();

	for (unsigned int k = 0; o && k < DEVMEM_HIST_KINDS; k++)
		json_object_set_new(o, devmem_hist_kind_name(k), devmem_json_hist(&h[k], k));
	return o;
}

/* a time stamp (CLOCK_MONOTONIC ns); 0, never happened or not seen, is null */
static json_t *stamp(__u64 ns)
{
	return ns ? json_integer((json_int_t)ns) : json_null();
}

/* a string from the kernel or a file: shown, never obeyed; "" is null */
static json_t *text(const char *s, size_t len)
{
	return strnlen(s, len) ? devmem_json_str(s, len) : json_null();
}

json_t *devmem_json_range_type(__u32 type)
{
	if (!type)
		return json_null();
	return json_string(devmem_range_type_name(type));
}

static json_t *device_json(const struct devmem_snapshot *s, const struct devmem_device *d)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", text(d->name, sizeof(d->name)));
	json_object_set_new(o, "owner", d->owner ? devmem_json_hex(d->owner) : json_null());
	json_object_set_new(o, "ranges", json_integer(d->nr_ranges));
	json_object_set_new(o, "live_ranges", json_integer(d->nr_live));
	json_object_set_new(o, "pages", json_integer((json_int_t)d->nr_pages));
	json_object_set_new(o, "counters", devmem_json_counters(s->mode, &d->c));
	json_object_set_new(o, "folios", devmem_json_folios(&d->folios));
	json_object_set_new(o, "histograms", d->has_hist ? devmem_json_hists(d->hist) : json_null());
	return o;
}

static json_t *process_json(const struct devmem_snapshot *s, const struct devmem_process *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "tgid", json_integer(p->tgid));
	json_object_set_new(o, "comm", devmem_json_str(p->comm, sizeof(p->comm)));
	json_object_set_new(o, "start_ns", stamp(p->start_ns));
	json_object_set_new(o, "exit_ns", stamp(p->exit_ns));
	json_object_set_new(o, "exited", json_boolean(p->exit_ns != 0));
	/* events the per-process table had no room for: counters are short by them */
	json_object_set_new(o, "lost_events", json_integer((json_int_t)p->lost_events));
	json_object_set_new(o, "counters", devmem_json_counters(s->mode, &p->c));
	json_object_set_new(o, "histograms", p->has_hist ? devmem_json_hists(p->hist) : json_null());
	return o;
}

static json_t *range_json(const struct devmem_snapshot *s, const struct devmem_snap_range *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "pgmap_id", devmem_json_hex(r->id));
	json_object_set_new(o, "gen", json_integer((json_int_t)r->r.gen));
	json_object_set_new(o, "device", text(r->device, sizeof(r->device)));
	json_object_set_new(o, "name", text(r->name, sizeof(r->name)));
	json_object_set_new(o, "range_index", json_integer(r->range_index));
	json_object_set_new(o, "start", devmem_json_hex(r->r.start));
	json_object_set_new(o, "end", devmem_json_hex(r->r.end));
	json_object_set_new(o, "pages", json_integer((json_int_t)r->r.nr_pages));
	json_object_set_new(o, "nid", r->r.nid == ~0U ? json_null() : json_integer(r->r.nid));
	json_object_set_new(o, "type", devmem_json_range_type(r->r.type));
	json_object_set_new(o, "owner", r->r.owner ? devmem_json_hex(r->r.owner) : json_null());
	json_object_set_new(o, "added_ns", stamp(r->r.added_ns));
	json_object_set_new(o, "removed_ns", stamp(r->r.removed_ns));
	json_object_set_new(o, "remove_done_ns", stamp(r->r.remove_done_ns));
	json_object_set_new(o, "removed", json_boolean(r->r.removed_ns != 0));
	json_object_set_new(o, "in_use_at_remove",
			    r->r.removed_ns ? devmem_json_u64(r->r.in_use_at_remove) : json_null());
	json_object_set_new(o, "in_use_at_start", devmem_json_u64(r->in_use_at_start));
	json_object_set_new(o, "traced", json_boolean(r->sources & DEVMEM_RANGE_TRACED));
	json_object_set_new(o, "discovered", json_boolean(r->sources & DEVMEM_RANGE_DISCOVERED));
	json_object_set_new(o, "counters", devmem_json_counters(s->mode, &r->c));
	json_object_set_new(o, "folios", devmem_json_folios(&r->folios));
	json_object_set_new(o, "histograms", r->has_hist ? devmem_json_hists(r->hist) : json_null());
	return o;
}

json_t *devmem_json_lost(const struct devmem_snapshot *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "total", json_integer((json_int_t)devmem_snapshot_lost_total(s)));
	json_object_set_new(o, "recursion_misses", json_integer((json_int_t)s->recursion_misses));
	for (int k = 0; k < DEVMEM_LOST_KINDS; k++)
		json_object_set_new(o, devmem_lost_names[k], json_integer((json_int_t)s->lost[k]));
	return o;
}

static json_t *thrash_json(const struct devmem_snapshot *s, __u32 k)
{
	struct devmem_thrash_run *runs = NULL;
	struct devmem_thrash_sum sum;
	json_t *o = json_object(), *a = json_array();
	size_t n = 0;

	devmem_thrash_sum_all(s, k, &sum);
	json_object_set_new(o, "k", devmem_json_u64(k));
	json_object_set_new(o, "window_ns", devmem_json_u64(s->thrash_window_ns));
	json_object_set_new(o, "page_size", devmem_json_u64(s->page_size));
	json_object_set_new(o, "pages_bouncing", devmem_json_u64(sum.pages_bouncing));
	json_object_set_new(o, "pages_thrashing", devmem_json_u64(sum.pages_thrashing));
	json_object_set_new(o, "bounces", devmem_json_u64(sum.bounces));
	json_object_set_new(o, "fault_ns", devmem_json_u64(sum.fault_ns));
	json_object_set_new(o, "not_kept", devmem_json_u64(s->thrash_dropped));
	if (!devmem_thrash_runs(s, k, &runs, &n)) {
		for (size_t i = 0; i < n; i++) {
			const struct devmem_thrash_run *r = &runs[i];
			json_t *x = json_object();

			json_object_set_new(x, "tgid", devmem_json_u64(r->tgid));
			json_object_set_new(x, "start_ns", devmem_json_u64(r->start_ns));
			json_object_set_new(x, "comm", r->comm[0] ?
					    devmem_json_str(r->comm, sizeof(r->comm)) : json_null());
			json_object_set_new(x, "device", r->device[0] ?
					    devmem_json_str(r->device, sizeof(r->device)) :
					    json_null());
			json_object_set_new(x, "range_start", devmem_json_u64(r->range));
			json_object_set_new(x, "address", devmem_json_u64(r->vaddr));
			json_object_set_new(x, "pages", devmem_json_u64(r->npages));
			json_object_set_new(x, "bounces", devmem_json_u64(r->bounces));
			json_object_set_new(x, "faults", devmem_json_u64(r->faults));
			json_object_set_new(x, "fault_ns", devmem_json_u64(r->fault_ns));
			json_object_set_new(x, "window_max", devmem_json_u64(r->window_max));
			json_array_append_new(a, x);
		}
		free(runs);
	}
	json_object_set_new(o, "runs", a);
	return o;
}

/*
 * Where each frame of a stack is, outermost first as its frames: the file,
 * its build-id and the frame's offset, in the file's ELF addresses (as
 * addr2line -e FILE takes it), else in the file, else (no file) the
 * address in the process.
 */
static json_t *locations_json(const struct devmem_snap_stack *st)
{
	json_t *a = json_array();

	for (__u32 d = st->depth; d-- > 0;) {
		const struct devmem_frame_loc *l = &st->locs[d];
		const char *file = devmem_stack_file(st, d);
		char id[2 * DEVMEM_BUILD_ID_MAX + 1];
		json_t *x = json_object();

		for (__u32 i = 0; i < l->build_id_len && i < DEVMEM_BUILD_ID_MAX; i++)
			snprintf(id + 2 * i, 3, "%02x", l->build_id[i]);
		json_object_set_new(x, "file", file[0] ? devmem_json_str(file, strlen(file)) :
				    json_null());
		json_object_set_new(x, "build_id", l->build_id_len ? json_string(id) : json_null());
		json_object_set_new(x, "offset", devmem_json_u64(l->offset));
		json_object_set_new(x, "offset_of", json_string(
			!l->build_id_len && !file[0] ? "process_address" :
			l->flags & DEVMEM_LOC_FILE_OFFSET ? "file_offset" : "elf_address"));
		json_array_append_new(a, x);
	}
	return a;
}

static json_t *stacks_json(const struct devmem_snapshot *s)
{
	const struct devmem_snap_stack **v;
	json_t *a = json_array();
	size_t n;

	v = devmem_stacks_ranked(s, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_object(), *f = json_array();

		json_object_set_new(x, "tgid", devmem_json_u64(v[i]->tgid));
		json_object_set_new(x, "start_ns", devmem_json_u64(v[i]->start_ns));
		json_object_set_new(x, "comm", v[i]->comm[0] ?
				    devmem_json_str(v[i]->comm, sizeof(v[i]->comm)) : json_null());
		json_object_set_new(x, "faults", devmem_json_u64(v[i]->faults));
		json_object_set_new(x, "fault_ns", devmem_json_u64(v[i]->fault_ns));
		for (__u32 d = v[i]->depth; d-- > 0;) {
			const char *name = devmem_stack_frame(v[i], d);

			json_array_append_new(f, devmem_json_str(name, strlen(name)));
		}
		json_object_set_new(x, "frames", f);
		json_object_set_new(x, "locations", v[i]->locs ? locations_json(v[i]) : json_null());
		json_array_append_new(a, x);
	}
	free(v);
	return a;
}

void devmem_json_diag(json_t *root, const struct devmem_snapshot *s, __u32 k)
{
	struct devmem_finding f[16];
	json_t *a = json_array();
	int n;

	k = devmem_thrash_k(s, k);
	json_object_set_new(root, "thrash", s->thrash_on ? thrash_json(s, k) : json_null());
	json_object_set_new(root, "stacks", s->stacks_on ? stacks_json(s) : json_null());
	n = devmem_findings(s, k, f, sizeof(f) / sizeof(f[0]));
	for (int i = 0; i < n; i++) {
		json_t *x = json_object();

		json_object_set_new(x, "kind", json_string(devmem_finding_kind_name(f[i].kind)));
		json_object_set_new(x, "text", devmem_json_str(f[i].text, sizeof(f[i].text)));
		json_array_append_new(a, x);
	}
	json_object_set_new(root, "findings", a);
}

json_t *devmem_json_snapshot(const struct devmem_snapshot *s, unsigned int flags)
{
	json_t *root = json_object(), *a, *o;
	size_t i;

	if (!root)
		return NULL;
	json_object_set_new(root, "mode", json_string(devmem_mode_name(s->mode)));
	json_object_set_new(root, "ts_ns", json_integer((json_int_t)s->ts_ns));
	json_object_set_new(root, "interval_ns", json_integer((json_int_t)s->interval_ns));
	json_object_set_new(root, "counters", devmem_json_counters(s->mode, &s->total));
	json_object_set_new(root, "folios", devmem_json_folios(&s->folios));
	json_object_set_new(root, "histograms", devmem_json_hists(s->hist));
	if (!(flags & DEVMEM_JSON_NO_DEVICES)) {
		a = json_array();
		for (i = 0; i < s->nr_devices; i++)
			json_array_append_new(a, device_json(s, &s->devices[i]));
		json_object_set_new(root, "devices", a);
	}
	if (!(flags & DEVMEM_JSON_NO_PROCESSES)) {
		a = json_array();
		for (i = 0; i < s->nr_procs; i++)
			json_array_append_new(a, process_json(s, &s->procs[i]));
		json_object_set_new(root, "processes", a);
	}
	a = json_array();
	for (i = 0; i < s->nr_ranges; i++)
		json_array_append_new(a, range_json(s, &s->ranges[i]));
	json_object_set_new(root, "ranges", a);
	json_object_set_new(root, "lost", devmem_json_lost(s));
	o = json_object();
	for (int k = 0; k < DEVMEM_TALLY_KINDS; k++)
		json_object_set_new(o, devmem_tally_names[k], json_integer((json_int_t)s->tallies[k]));
	json_object_set_new(root, "unmatched", o);
	json_object_set_new(root, "note", text(s->note, sizeof(s->note)));
	devmem_json_diag(root, s, 0);
	return root;
}

int devmem_json_dump(FILE *out, json_t *doc)
{
	int err;

	if (!doc)
		return -ENOMEM;
	err = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (err)
		return -EIO;
	fputc('\n', out);
	return 0;
}

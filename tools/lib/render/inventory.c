// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The range inventory devmemranges shows (inventory.h): the ranges of a
 * snapshot, one entry per range and per life (a pagemap removed and added
 * again at the same physical range is two entries, as in the history), with
 * the state, times and pages in use a listing wants, and its text and JSON
 * renderings.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/sanitize.h"
#include "model/array.h"
#include "model/snapshot.h"
#include "render/inventory.h"
#include "render/json_out.h"

static struct devmem_inv_range *inv_new(struct devmem_inventory *inv)
{
	struct devmem_inv_range *r = devmem_array_grow(inv->r, inv->n, sizeof(*r));

	if (!r)
		return NULL;
	inv->r = r;
	r = &inv->r[inv->n++];
	memset(r, 0, sizeof(*r));
	r->nid = ~0U;
	r->in_use = DEVMEM_UNKNOWN;
	r->seq = inv->seq++;
	return r;
}

int devmem_inv_from_snapshot(struct devmem_inventory *inv, const struct devmem_snapshot *s)
{
	for (size_t i = 0; i < s->nr_ranges; i++) {
		const struct devmem_snap_range *d = &s->ranges[i];
		struct devmem_inv_range *r = inv_new(inv);

		if (!r)
			return -ENOMEM;
		r->owner = d->r.owner;
		r->id = d->id ? d->id : d->r.start;
		r->start = d->r.start;
		r->end = d->r.end;
		r->nr_pages = d->r.nr_pages;
		r->nid = d->r.nid;
		r->type = d->r.type;
		r->in_use = devmem_range_in_use(d);
		memcpy(r->name, d->name, sizeof(r->name));
		memcpy(r->device, d->device, sizeof(r->device));
		/* there before the tool: listed or probed at start, never added since */
		r->before = !d->r.added_ns;
		r->added_ns = d->r.added_ns;
		r->removed = d->r.removed_ns != 0;
		r->removed_ns = d->r.removed_ns;
		r->done = d->r.remove_done_ns != 0;
		r->done_ns = d->r.remove_done_ns;
		r->wait_ns = r->done && r->removed ? r->done_ns - r->removed_ns : 0;
	}
	inv->lost = devmem_snapshot_lost_total(s);
	return 0;
}

void devmem_inv_refresh(struct devmem_inventory *inv, const struct devmem_snapshot *now)
{
	for (size_t i = 0; i < inv->n; i++) {
		struct devmem_inv_range *r = &inv->r[i];

		for (size_t j = 0; j < now->nr_ranges; j++) {
			const struct devmem_snap_range *d = &now->ranges[j];

			if (d->r.start != r->start)
				continue;
			if (!r->type)
				r->type = d->r.type;
			if (r->nid == ~0U)
				r->nid = d->r.nid;
			if (!r->name[0]) {
				memcpy(r->name, d->name, sizeof(r->name));
				r->name[sizeof(r->name) - 1] = '\0';
			}
			if (!r->nr_pages)
				r->nr_pages = d->r.nr_pages;
			if (!r->removed)
				r->in_use = d->in_use_at_start;
		}
	}
}

static int inv_cmp(const void *a, const void *b)
{
	const struct devmem_inv_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void devmem_inv_sort(struct devmem_inventory *inv)
{
	if (inv->n)
		qsort(inv->r, inv->n, sizeof(*inv->r), inv_cmp);
}

void devmem_inv_free(struct devmem_inventory *inv)
{
	free(inv->r);
	memset(inv, 0, sizeof(*inv));
}

const char *devmem_inv_state_name(const struct devmem_inv_range *r)
{
	return devmem_range_state_name(r->removed, r->done);
}

void devmem_inv_format_size(char *buf, size_t len, __u64 bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	unsigned int u = 0;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >= 1024 && !(bytes % 1024)) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 "%s", (uint64_t)bytes, units[u]);
}

/* local time of day of a CLOCK_MONOTONIC stamp */
static void format_when(char *buf, size_t len, __u64 ns, __s64 wall_offset)
{
	__s64 wall = (__s64)ns + wall_offset;
	time_t sec = (time_t)(wall / 1000000000LL);
	struct tm tm;

	if (!ns || wall < 0 || !localtime_r(&sec, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%02d:%02d:%02d.%03lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(wall % 1000000000LL) / 1000000);
}

void devmem_inv_print_text(FILE *out, const struct devmem_inventory *inv, __s64 wall_offset,
			   unsigned long page_size)
{
	fprintf(out, "%-18s %-18s %8s %4s %-8s %7s %-8s %-18s %-18s %-12s %-12s %s\n", "START",
		"END", "SIZE", "NODE", "TYPE", "IN_USE", "STATE", "DEVICE", "NAME", "ADDED",
		"REMOVED", "WAIT(ms)");
	for (size_t i = 0; i < inv->n; i++) {
		const struct devmem_inv_range *r = &inv->r[i];
		char start[24], end[24], size[24], nid[12], in_use[24];
		char owner[DEVMEM_SANITIZED_SIZE(sizeof(r->name))];
		char device[DEVMEM_SANITIZED_SIZE(sizeof(r->device))];
		char added[24], removed[24], wait[32];

		snprintf(start, sizeof(start), "0x%" PRIx64, (uint64_t)r->start);
		snprintf(end, sizeof(end), "0x%" PRIx64, (uint64_t)r->end);
		devmem_inv_format_size(size, sizeof(size), r->nr_pages * page_size);
		if (r->nid == ~0U)
			snprintf(nid, sizeof(nid), "?");
		else
			snprintf(nid, sizeof(nid), "%u", r->nid);
		if (r->in_use == DEVMEM_UNKNOWN)
			snprintf(in_use, sizeof(in_use), "?");
		else
			snprintf(in_use, sizeof(in_use), "%" PRIu64, (uint64_t)r->in_use);
		/* 18 columns, more if need be, at most 40 */
		if (r->name[0])
			devmem_sanitize_cols(owner, sizeof(owner), r->name, sizeof(r->name), 0, 40);
		else
			snprintf(owner, sizeof(owner), "-");
		if (r->device[0])
			devmem_sanitize_cols(device, sizeof(device), r->device, sizeof(r->device),
					     DEVMEM_SANITIZE_SPACE, 40);
		else
			snprintf(device, sizeof(device), "-");
		if (r->before)
			snprintf(added, sizeof(added), "before");
		else
			format_when(added, sizeof(added), r->added_ns, wall_offset);
		if (r->removed)
			format_when(removed, sizeof(removed), r->removed_ns, wall_offset);
		else
			snprintf(removed, sizeof(removed), "-");
		if (r->done)
			snprintf(wait, sizeof(wait), "%" PRIu64 ".%03" PRIu64,
				 (uint64_t)(r->wait_ns / 1000000), (uint64_t)(r->wait_ns / 1000 % 1000));
		else
			snprintf(wait, sizeof(wait), "-");
		devmem_pad_cols(owner, sizeof(owner), 18);
		devmem_pad_cols(device, sizeof(device), 18);
		fprintf(out, "%-18s %-18s %8s %4s %-8s %7s %-8s %s %s %-12s %-12s %s\n", start, end,
			size, nid, devmem_range_type_name(r->type), in_use, devmem_inv_state_name(r), device, owner,
			added, removed, wait);
	}
}

static json_t *when_json(__u64 ns, __s64 wall_offset)
{
	char buf[24];

	if (!ns)
		return json_null();
	format_when(buf, sizeof(buf), ns, wall_offset);
	return json_string(buf);
}

json_t *devmem_inv_json(const struct devmem_inventory *inv, __s64 wall_offset,
			unsigned long page_size, const char *note)
{
	json_t *doc = json_object(), *arr = json_array();
	int err = !doc || !arr;

	for (size_t i = 0; !err && i < inv->n; i++) {
		const struct devmem_inv_range *r = &inv->r[i];
		json_t *o = json_object();

		err |= !o;
		if (err)
			break;
		/* the keys a snapshot's range has, with the same meaning */
		err |= json_object_set_new(o, "pgmap_id", devmem_json_hex(r->id));
		err |= json_object_set_new(o, "start", devmem_json_hex(r->start));
		err |= json_object_set_new(o, "end", devmem_json_hex(r->end));
		err |= json_object_set_new(o, "pages", json_integer((json_int_t)r->nr_pages));
		err |= json_object_set_new(o, "bytes",
					   json_integer((json_int_t)(r->nr_pages * page_size)));
		err |= json_object_set_new(o, "nid", r->nid == ~0U ? json_null() :
					   json_integer(r->nid));
		err |= json_object_set_new(o, "type", devmem_json_range_type(r->type));
		err |= json_object_set_new(o, "in_use", r->in_use == DEVMEM_UNKNOWN ? json_null() :
					   json_integer((json_int_t)r->in_use));
		err |= json_object_set_new(o, "state", json_string(devmem_inv_state_name(r)));
		err |= json_object_set_new(o, "device", r->device[0] ?
					   devmem_json_str(r->device, sizeof(r->device)) : json_null());
		err |= json_object_set_new(o, "name", r->name[0] ?
					   devmem_json_str(r->name, sizeof(r->name)) : json_null());
		err |= json_object_set_new(o, "owner", r->owner ? devmem_json_hex(r->owner) :
					   json_null());
		err |= json_object_set_new(o, "before_start", json_boolean(r->before));
		err |= json_object_set_new(o, "added_time", r->before ? json_null() :
					   when_json(r->added_ns, wall_offset));
		err |= json_object_set_new(o, "added_ns", r->before || !r->added_ns ? json_null() :
					   json_integer((json_int_t)r->added_ns));
		err |= json_object_set_new(o, "removed", json_boolean(r->removed));
		err |= json_object_set_new(o, "removed_time", r->removed ?
					   when_json(r->removed_ns, wall_offset) : json_null());
		err |= json_object_set_new(o, "removed_ns", r->removed && r->removed_ns ?
					   json_integer((json_int_t)r->removed_ns) : json_null());
		err |= json_object_set_new(o, "remove_done_ns", r->done && r->done_ns ?
					   json_integer((json_int_t)r->done_ns) : json_null());
		err |= json_object_set_new(o, "remove_wait_ns", r->done ?
					   json_integer((json_int_t)r->wait_ns) : json_null());
		err |= json_array_append_new(arr, o);
	}
	if (!err) {
		err |= json_object_set_new(doc, "ranges", arr);
		arr = NULL;
		err |= json_object_set_new(doc, "lost", json_pack("{s:I}", "total",
								      (json_int_t)inv->lost));
		err |= json_object_set_new(doc, "note", note && note[0] ?
					   devmem_json_str(note, SIZE_MAX) : json_null());
	}
	json_decref(arr);
	if (err) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

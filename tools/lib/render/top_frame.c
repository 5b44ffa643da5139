// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop's screen model (top_view.h): the rows of a frame, built from a delta and the cumulative snapshot. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "cli/sanitize.h"
#include "model/array.h"
#include "model/counts.h"
#include "model/device_filter.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/json_out.h"
#include "render/thrash_runs.h"
#include "render/top_view.h"


#define NSEC_PER_SEC 1000000000.0

void top_frame_init(struct top_frame *f)
{
	memset(f, 0, sizeof(*f));
}

void top_frame_free(struct top_frame *f)
{
	free(f->procs);
	free(f->devs);
	free(f->runs);
	top_frame_init(f);
}

/* a string kept as read (sanitize.h filters it where it is shown) */
static void copy_str(char *dst, size_t size, const char *src, size_t srclen)
{
	size_t n = strnlen(src, srclen < size ? srclen : size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void latency(const struct devmem_hist *h, bool *has, double *p50, double *p99,
		    bool *sat)
{
	struct devmem_percentile p;

	*has = false;
	*p50 = *p99 = 0;
	*sat = false;
	if (devmem_hist_percentile(h, 50, &p))
		return;
	*p50 = p.value;
	if (devmem_hist_percentile(h, 99, &p))
		return;
	*p99 = p.value;
	*sat = p.saturated;
	*has = true;
}

static struct top_dev_row *dev_row(struct top_frame *f, const struct devmem_device *dev)
{
	struct top_dev_row *d;

	d = devmem_array_grow(f->devs, f->nr_devs, sizeof(*d));
	if (!d)
		return NULL;
	f->devs = d;
	d = &f->devs[f->nr_devs++];
	memset(d, 0, sizeof(*d));
	d->owner = dev->owner;
	copy_str(d->name, sizeof(d->name), dev->name, sizeof(dev->name));
	d->in_use_known = true;	/* until a range says otherwise */
	return d;
}

/* a range still mapped: not removed, or removed but still waiting */
static bool range_live(const struct devmem_snap_range *r)
{
	return !r->r.remove_done_ns;
}

static __u64 range_bytes(const struct devmem_snap_range *r, __u64 page)
{
	if (r->r.nr_pages && r->r.nr_pages != DEVMEM_UNKNOWN && r->r.nr_pages < UINT64_MAX / page)
		return r->r.nr_pages * page;
	return r->r.end >= r->r.start ? r->r.end - r->r.start + 1 : 0;
}

static void add_range(struct top_dev_row *d, const struct devmem_snap_range *r, __u64 page)
{
	__u64 at_start = devmem_range_in_use_at_start(r);

	if (at_start == DEVMEM_UNKNOWN)
		d->in_use_known = false;
	else
		d->in_use += (long long)at_start;
	if (!range_live(r))
		return;
	if (!d->nr_ranges || r->r.start < d->start) {
		d->start = r->r.start;
		d->end = r->r.end;
	}
	d->nr_ranges++;
	d->size_bytes += range_bytes(r, page);
}

/*
 * One row per device of the cumulative snapshot: its figures over the
 * interval from the delta, pages in use from the start, its live ranges.
 */
static int build_devices(struct top_frame *f, const struct devmem_snapshot *delta,
			 const struct devmem_snapshot *cum, const struct top_filter *flt)
{
	__u64 page = (__u64)sysconf(_SC_PAGESIZE);
	size_t i, j, kept;
	struct top_dev_row *d;

	for (i = 0; i < cum->nr_devices; i++) {
		const struct devmem_device *c = &cum->devices[i];
		const struct devmem_device *x = devmem_snapshot_find_device(delta, c->name);

		d = dev_row(f, c);
		if (!d)
			return -ENOMEM;
		if (x)
			d->c = x->c;
		d->in_use_change = (long long)c->c.allocs - (long long)c->c.frees;
		d->in_use += d->in_use_change;
		d->nr_pages = c->nr_pages;
		for (j = 0; j < cum->nr_ranges; j++)
			if (!strncmp(cum->ranges[j].device, c->name, sizeof(c->name)))
				add_range(d, &cum->ranges[j], page);
	}
	for (i = 0; i < f->nr_devs; i++) {
		d = &f->devs[i];
		d->page_bytes = page;
		/* full is what is in use of what is mapped: both must be known */
		d->fullness_known = d->in_use_known && d->size_bytes;
		if (d->fullness_known)
			d->fullness = (double)(d->in_use > 0 ? d->in_use : 0) * (double)page /
				      (double)d->size_bytes;
	}
	for (i = 0; i < cum->nr_ranges; i++) {
		if (range_live(&cum->ranges[i])) {
			f->nr_ranges++;
			f->ranges_bytes += range_bytes(&cum->ranges[i], page);
		}
	}
	if (flt && flt->device) {
		for (i = 0, kept = 0; i < f->nr_devs; i++)
			if (devmem_filter_device(flt->device, cum, f->devs[i].name))
				f->devs[kept++] = f->devs[i];
		/* an empty table would say nothing: which -D, and what there is */
		if (!kept) {
			f->no_device_match = true;
			copy_str(f->device_arg, sizeof(f->device_arg), flt->device->arg ?
				 flt->device->arg : "", sizeof(f->device_arg));
			devmem_filter_known(cum, f->known_devices, sizeof(f->known_devices));
		}
		f->nr_devs = kept;
	}
	return 0;
}

/*
 * With -p the header is that process's: its counters (every life of the
 * tgid in the interval), its fault latency, its thrashing pages.
 */
static void totals_of_process(struct top_frame *f, const struct devmem_snapshot *delta,
			      const struct devmem_snapshot *cum, __u32 tgid)
{
	struct devmem_hist lat = { 0 };
	bool has_hist = false;

	memset(&f->total, 0, sizeof(f->total));
	for (size_t i = 0; i < delta->nr_procs; i++) {
		const struct devmem_process *p = &delta->procs[i];

		if (p->tgid != tgid)
			continue;
		devmem_counters_add_seen(&f->total, delta->mode, &p->c, delta->mode);
		if (p->has_hist) {
			devmem_hist_merge(&lat, &p->hist[DEVMEM_HIST_FAULT_LATENCY]);
			has_hist = true;
		}
	}
	if (has_hist)
		latency(&lat, &f->has_latency, &f->p50_ns, &f->p99_ns, &f->p99_saturated);
	else
		f->has_latency = false;
	if (cum->thrash_on) {
		f->thrash_pages = 0;
		for (size_t i = 0; i < cum->nr_procs; i++) {
			struct devmem_thrash_sum sum;

			if (cum->procs[i].tgid != tgid)
				continue;
			devmem_thrash_sum_process(cum, devmem_thrash_k(cum, 0), tgid,
						  cum->procs[i].start_ns, &sum);
			f->thrash_pages += sum.pages_thrashing;
		}
	}
}

static int build_procs(struct top_frame *f, const struct devmem_snapshot *delta,
		       const struct devmem_snapshot *cum, const struct top_filter *flt)
{
	size_t i, n = 0;

	if (!delta->nr_procs)
		return 0;
	f->procs = calloc(delta->nr_procs, sizeof(*f->procs));
	if (!f->procs)
		return -ENOMEM;
	for (i = 0; i < delta->nr_procs; i++) {
		const struct devmem_process *p = &delta->procs[i];
		struct top_proc_row *r;

		if (flt && flt->tgid && p->tgid != flt->tgid)
			continue;
		/* idle in this interval: nothing to show */
		if (devmem_counters_none(&p->c))
			continue;
		r = &f->procs[n++];
		r->tgid = p->tgid;
		r->exited = p->exit_ns != 0;
		copy_str(r->comm, sizeof(r->comm), p->comm, sizeof(p->comm));
		r->c = p->c;
		if (p->has_hist)
			latency(&p->hist[DEVMEM_HIST_FAULT_LATENCY], &r->has_latency,
				&r->p50_ns, &r->p99_ns, &r->p99_saturated);
		if (cum->thrash_on) {
			struct devmem_thrash_sum sum;

			devmem_thrash_sum_process(cum, devmem_thrash_k(cum, 0), p->tgid, p->start_ns, &sum);
			r->thrash_pages = sum.pages_thrashing;
		}
	}
	f->nr_procs = n;
	return 0;
}

static int build_runs(struct top_frame *f, const struct devmem_snapshot *cum,
		      const struct top_filter *flt)
{
	struct devmem_thrash_run *runs;
	size_t n, i, kept = 0;

	f->thrash_k = devmem_thrash_k(cum, 0);
	f->thrash_window_ns = cum->thrash_window_ns;
	if (devmem_thrash_runs(cum, f->thrash_k, &runs, &n))
		return -ENOMEM;
	if (!n)
		return 0;
	f->runs = calloc(n, sizeof(*f->runs));
	if (!f->runs) {
		free(runs);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct top_thrash_row *r = &f->runs[kept];

		if (flt && flt->tgid && runs[i].tgid != flt->tgid)
			continue;
		if (flt && flt->device && !devmem_filter_device(flt->device, cum, runs[i].device))
			continue;
		r->tgid = runs[i].tgid;
		r->window_max = runs[i].window_max;
		copy_str(r->comm, sizeof(r->comm), runs[i].comm, sizeof(runs[i].comm));
		copy_str(r->device, sizeof(r->device), runs[i].device, sizeof(runs[i].device));
		r->vaddr = runs[i].vaddr;
		r->npages = runs[i].npages;
		r->bounces = runs[i].bounces;
		r->faults = runs[i].faults;
		r->fault_ns = runs[i].fault_ns;
		kept++;
	}
	f->nr_runs = kept;
	free(runs);
	return 0;
}

int top_frame_build(struct top_frame *f, const struct devmem_snapshot *delta,
		    const struct devmem_snapshot *cum, const struct top_filter *flt)
{
	bool summary = f->summary, initial = f->initial;
	unsigned long number = f->number;
	__u64 realtime = f->realtime_ns, elapsed = f->elapsed_ns;
	int err;

	top_frame_free(f);
	f->summary = summary;
	f->initial = initial;
	f->number = number;
	f->realtime_ns = realtime;
	f->elapsed_ns = elapsed;
	f->ts_ns = delta->ts_ns;
	f->interval_ns = delta->interval_ns;
	f->mode = cum->mode;
	f->total = delta->total;
	latency(&delta->hist[DEVMEM_HIST_FAULT_LATENCY], &f->has_latency, &f->p50_ns,
		&f->p99_ns, &f->p99_saturated);
	f->lost = devmem_snapshot_lost_total(delta);
	f->lost_since_start = devmem_snapshot_lost_total(cum);
	copy_str(f->note, sizeof(f->note), cum->note, sizeof(cum->note));
	f->thrash_on = cum->thrash_on;
	if (cum->thrash_on) {
		struct devmem_thrash_sum sum;

		devmem_thrash_sum_all(cum, devmem_thrash_k(cum, 0), &sum);
		f->thrash_pages = sum.pages_thrashing;
	}
	if (flt && flt->tgid)
		totals_of_process(f, delta, cum, flt->tgid);
	err = build_procs(f, delta, cum, flt);
	if (!err)
		err = build_devices(f, delta, cum, flt);
	if (!err && cum->thrash_on)
		err = build_runs(f, cum, flt);
	if (!err && cum->thrash_on)
		for (size_t i = 0; i < f->nr_devs; i++) {
			struct devmem_thrash_sum sum;

			devmem_thrash_sum_device(cum, devmem_thrash_k(cum, 0), f->devs[i].name, &sum);
			f->devs[i].thrash_pages = sum.pages_thrashing;
		}
	if (err)
		top_frame_free(f);
	return err;
}

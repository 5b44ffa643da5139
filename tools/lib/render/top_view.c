// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop's screen model: rows, sort orders, columns, frame text, JSON. */
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

static bool counters_zero(const struct devmem_counters *c)
{
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		if (devmem_counters_cu64(c)[i])
			return false;
	return true;
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
		f->nr_devs = kept;
	}
	return 0;
}

static __u32 thrash_k(const struct devmem_snapshot *s);

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
		if (counters_zero(&p->c))
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

			devmem_thrash_sum_process(cum, thrash_k(cum), p->tgid, p->start_ns, &sum);
			r->thrash_pages = sum.pages_thrashing;
		}
	}
	f->nr_procs = n;
	return 0;
}

static __u32 thrash_k(const struct devmem_snapshot *s)
{
	return s->thrash_k ? s->thrash_k : DEVMEM_THRASH_K_DEFAULT;
}

static int build_runs(struct top_frame *f, const struct devmem_snapshot *cum,
		      const struct top_filter *flt)
{
	struct devmem_thrash_run *runs;
	size_t n, i, kept = 0;

	f->thrash_k = thrash_k(cum);
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

		devmem_thrash_sum_all(cum, thrash_k(cum), &sum);
		f->thrash_pages = sum.pages_thrashing;
	}
	err = build_procs(f, delta, cum, flt);
	if (!err)
		err = build_devices(f, delta, cum, flt);
	if (!err && cum->thrash_on)
		err = build_runs(f, cum, flt);
	if (!err && cum->thrash_on)
		for (size_t i = 0; i < f->nr_devs; i++) {
			struct devmem_thrash_sum sum;

			devmem_thrash_sum_device(cum, thrash_k(cum), f->devs[i].name, &sum);
			f->devs[i].thrash_pages = sum.pages_thrashing;
		}
	if (err)
		top_frame_free(f);
	return err;
}

/* ---- sorting ---- */

static const char *const proc_key_names[TOP_PK_COUNT] = {
	[TOP_PK_PID] = "pid", [TOP_PK_FAULTS] = "faults", [TOP_PK_TO_DEVICE] = "todev",
	[TOP_PK_TO_RAM] = "toram", [TOP_PK_FREES] = "frees", [TOP_PK_P50] = "p50",
	[TOP_PK_P99] = "p99", [TOP_PK_COMM] = "comm",
};

static const char *const dev_key_names[TOP_DK_COUNT] = {
	[TOP_DK_RANGE] = "range", [TOP_DK_SIZE] = "size", [TOP_DK_IN_USE] = "inuse",
	[TOP_DK_FAULTS] = "faults", [TOP_DK_MIGRATIONS] = "migr", [TOP_DK_FREES] = "frees",
	[TOP_DK_NAME] = "name",
};

static const char *const thrash_key_names[TOP_TK_COUNT] = {
	[TOP_TK_PID] = "pid", [TOP_TK_PAGES] = "pages", [TOP_TK_BOUNCES] = "bounces",
	[TOP_TK_FAULT_TIME] = "time",
};

void top_sort_init(struct top_sort *s)
{
	memset(s, 0, sizeof(*s));
	s->key[TOP_VIEW_PROCESSES] = TOP_PK_FAULTS;
	s->key[TOP_VIEW_DEVICES] = TOP_DK_FAULTS;
	s->key[TOP_VIEW_THRASH] = TOP_TK_BOUNCES;
}

const char *top_key_name(enum top_view v, int key)
{
	if (v == TOP_VIEW_PROCESSES && key >= 0 && key < TOP_PK_COUNT)
		return proc_key_names[key];
	if (v == TOP_VIEW_DEVICES && key >= 0 && key < TOP_DK_COUNT)
		return dev_key_names[key];
	if (v == TOP_VIEW_THRASH && key >= 0 && key < TOP_TK_COUNT)
		return thrash_key_names[key];
	return "?";
}

int top_key_parse(enum top_view v, const char *name)
{
	int n = v == TOP_VIEW_PROCESSES ? TOP_PK_COUNT : v == TOP_VIEW_DEVICES ? TOP_DK_COUNT :
		TOP_TK_COUNT;

	for (int k = 0; k < n; k++)
		if (!strcasecmp(name, top_key_name(v, k)))
			return k;
	/* a few spellings people type */
	if (v == TOP_VIEW_PROCESSES && !strcasecmp(name, "command"))
		return TOP_PK_COMM;
	if (v == TOP_VIEW_DEVICES && (!strcasecmp(name, "in_use") || !strcasecmp(name, "used")))
		return TOP_DK_IN_USE;
	if (v == TOP_VIEW_DEVICES && !strcasecmp(name, "device"))
		return TOP_DK_NAME;
	return -1;
}

bool top_key_descending(enum top_view v, int key)
{
	if (v == TOP_VIEW_PROCESSES)
		return key != TOP_PK_PID && key != TOP_PK_COMM;
	if (v == TOP_VIEW_THRASH)
		return key != TOP_TK_PID;
	return key != TOP_DK_RANGE && key != TOP_DK_NAME;
}

/* three-way comparisons (devmem_cmp_u64 for unsigned): no difference goes through an int */
static int cmp_s64(long long a, long long b)
{
	return a < b ? -1 : a > b;
}

static int cmp_double(double a, double b)
{
	return a < b ? -1 : a > b;
}

/* qsort has no context argument; the comparators read these */
static int sort_key;
static bool sort_desc;

static double proc_latency(const struct top_proc_row *r, bool p99)
{
	if (!r->has_latency)
		return -1;	/* no samples: below every measured latency */
	return p99 ? r->p99_ns : r->p50_ns;
}

static int proc_cmp_key(const struct top_proc_row *a, const struct top_proc_row *b)
{
	switch (sort_key) {
	case TOP_PK_PID:
		return devmem_cmp_u64(a->tgid, b->tgid);
	case TOP_PK_FAULTS:
		return devmem_cmp_u64(a->c.faults, b->c.faults);
	case TOP_PK_TO_DEVICE:
		return devmem_cmp_u64(a->c.pages_to_device, b->c.pages_to_device);
	case TOP_PK_TO_RAM:
		return devmem_cmp_u64(a->c.pages_to_ram, b->c.pages_to_ram);
	case TOP_PK_FREES:
		return devmem_cmp_u64(a->c.frees, b->c.frees);
	case TOP_PK_P50:
		return cmp_double(proc_latency(a, false), proc_latency(b, false));
	case TOP_PK_P99:
		return cmp_double(proc_latency(a, true), proc_latency(b, true));
	case TOP_PK_COMM:
		return strcmp(a->comm, b->comm);
	}
	return 0;
}

static int proc_cmp(const void *x, const void *y)
{
	const struct top_proc_row *a = x, *b = y;
	int c = proc_cmp_key(a, b);

	if (sort_desc)
		c = -c;
	/* ties in pid order whatever the direction: rows do not jump around */
	return c ?: devmem_cmp_u64(a->tgid, b->tgid);
}

static __u64 dev_migrations(const struct top_dev_row *d)
{
	return d->c.pages_to_device + d->c.pages_to_ram;
}

static int dev_cmp_key(const struct top_dev_row *a, const struct top_dev_row *b)
{
	switch (sort_key) {
	case TOP_DK_RANGE:
		return devmem_cmp_u64(a->start, b->start);
	case TOP_DK_SIZE:
		return devmem_cmp_u64(a->size_bytes, b->size_bytes);
	case TOP_DK_IN_USE:
		return cmp_s64(a->in_use, b->in_use);
	case TOP_DK_FAULTS:
		return devmem_cmp_u64(a->c.faults, b->c.faults);
	case TOP_DK_MIGRATIONS:
		return devmem_cmp_u64(dev_migrations(a), dev_migrations(b));
	case TOP_DK_FREES:
		return devmem_cmp_u64(a->c.frees, b->c.frees);
	case TOP_DK_NAME:
		return strcmp(a->name, b->name);
	}
	return 0;
}

static int dev_cmp(const void *x, const void *y)
{
	const struct top_dev_row *a = x, *b = y;
	int c = dev_cmp_key(a, b);

	if (sort_desc)
		c = -c;
	return c ?: devmem_cmp_u64(a->start, b->start) ?: devmem_cmp_u64(a->owner, b->owner);
}

static int run_cmp_key(const struct top_thrash_row *a, const struct top_thrash_row *b)
{
	switch (sort_key) {
	case TOP_TK_PID:
		return devmem_cmp_u64(a->tgid, b->tgid);
	case TOP_TK_PAGES:
		return devmem_cmp_u64(a->npages, b->npages);
	case TOP_TK_FAULT_TIME:
		return devmem_cmp_u64(a->fault_ns, b->fault_ns);
	default:
		return devmem_cmp_u64(a->bounces, b->bounces);
	}
}

static int run_cmp(const void *x, const void *y)
{
	const struct top_thrash_row *a = x, *b = y;
	int c = run_cmp_key(a, b);

	if (sort_desc)
		c = -c;
	return c ?: devmem_cmp_u64(a->tgid, b->tgid) ?: devmem_cmp_u64(a->vaddr, b->vaddr);
}

void top_sort_rows(struct top_frame *f, const struct top_sort *s)
{
	sort_key = s->key[TOP_VIEW_PROCESSES];
	sort_desc = top_key_descending(TOP_VIEW_PROCESSES, sort_key) != s->reverse[TOP_VIEW_PROCESSES];
	if (f->nr_procs)
		qsort(f->procs, f->nr_procs, sizeof(*f->procs), proc_cmp);
	sort_key = s->key[TOP_VIEW_DEVICES];
	sort_desc = top_key_descending(TOP_VIEW_DEVICES, sort_key) != s->reverse[TOP_VIEW_DEVICES];
	if (f->nr_devs)
		qsort(f->devs, f->nr_devs, sizeof(*f->devs), dev_cmp);
	sort_key = s->key[TOP_VIEW_THRASH];
	sort_desc = top_key_descending(TOP_VIEW_THRASH, sort_key) != s->reverse[TOP_VIEW_THRASH];
	if (f->nr_runs)
		qsort(f->runs, f->nr_runs, sizeof(*f->runs), run_cmp);
}

/* ---- formatting ---- */

void top_fmt_rate(char *buf, size_t len, double v, int w)
{
	static const char units[] = "kMGTPE";
	int u = -1;

	if (!(v >= 0) || isinf(v)) {
		snprintf(buf, len, "%*s", w, "-");
		return;
	}
	/* one decimal while it fits, then k, M, ... with one decimal */
	if (v < 99999.95) {
		if (v == floor(v))
			snprintf(buf, len, "%*.0f", w, v);
		else
			snprintf(buf, len, "%*.1f", w, v);
		return;
	}
	while (v >= 999.95 && u < (int)sizeof(units) - 2) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, len, "%*.1f%c", w > 0 ? w - 1 : 0, v, units[u]);
}

void top_fmt_ns(char *buf, size_t len, double ns, bool saturated)
{
	const char *pre = saturated ? ">" : "";

	if (!(ns >= 0)) {
		snprintf(buf, len, "-");
	} else if (ns < 1000) {
		snprintf(buf, len, "%s%.0fns", pre, ns);
	} else if (ns < 999.95e3) {
		snprintf(buf, len, "%s%.1fus", pre, ns / 1e3);
	} else if (ns < 999.95e6) {
		snprintf(buf, len, "%s%.1fms", pre, ns / 1e6);
	} else {
		snprintf(buf, len, "%s%.2fs", pre, ns / 1e9);
	}
}

void top_fmt_bytes(char *buf, size_t len, __u64 bytes)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (u == 0 || v >= 9.95 || v == floor(v))
		snprintf(buf, len, "%.0f%c", v, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
}

/* ---- columns ---- */

enum col_id {
	C_PID, C_FAULTS, C_WASTED, C_THRASH, C_TO_DEVICE, C_TO_RAM, C_ALLOCS, C_FREES, C_P50, C_P99,
	C_COMM, C_RANGE, C_SIZE, C_IN_USE, C_MIGR, C_NAME,
	C_PAGES, C_BOUNCES, C_WMAX, C_TIME, C_ADDR, C_TDEV,
};

struct column {
	enum col_id id;
	const char *rate_title;		/* rate frames */
	const char *count_title;	/* summary frames */
	int width;			/* negative: left-aligned; 0: rest of the line */
	int key;			/* sort key, -1: none */
	bool summary_only;
};

static const struct column proc_cols[] = {
	{ C_PID, "PID", "PID", 7, TOP_PK_PID, false },
	{ C_FAULTS, "FAULT/s", "FAULTS", 8, TOP_PK_FAULTS, false },
	{ C_WASTED, NULL, "WASTED", 8, -1, true },
	{ C_THRASH, "THRASH", "THRASH", 7, -1, false },
	{ C_TO_DEVICE, "TODEV/s", "TODEV", 8, TOP_PK_TO_DEVICE, false },
	{ C_TO_RAM, "TORAM/s", "TORAM", 8, TOP_PK_TO_RAM, false },
	{ C_ALLOCS, NULL, "ALLOCS", 8, -1, true },
	{ C_FREES, "FREE/s", "FREES", 8, TOP_PK_FREES, false },
	{ C_P50, "P50", "P50", 8, TOP_PK_P50, false },
	{ C_P99, "P99", "P99", 8, TOP_PK_P99, false },
	{ C_COMM, "COMMAND", "COMMAND", 0, TOP_PK_COMM, false },
};

static const struct column dev_cols[] = {
	{ C_RANGE, "RANGE", "RANGE", -26, TOP_DK_RANGE, false },
	{ C_SIZE, "SIZE", "SIZE", 6, TOP_DK_SIZE, false },
	{ C_IN_USE, "INUSE", "INUSE", 8, TOP_DK_IN_USE, false },
	{ C_FAULTS, "FAULT/s", "FAULTS", 8, TOP_DK_FAULTS, false },
	{ C_WASTED, NULL, "WASTED", 8, -1, true },
	{ C_MIGR, "MIGR/s", NULL, 8, TOP_DK_MIGRATIONS, false },
	{ C_THRASH, "THRASH", "THRASH", 7, -1, false },
	{ C_TO_DEVICE, NULL, "TODEV", 8, -1, true },
	{ C_TO_RAM, NULL, "TORAM", 8, -1, true },
	{ C_ALLOCS, NULL, "ALLOCS", 8, -1, true },
	{ C_FREES, "FREE/s", "FREES", 8, TOP_DK_FREES, false },
	{ C_NAME, "DEVICE", "DEVICE", 0, TOP_DK_NAME, false },
};

static const struct column thrash_cols[] = {
	{ C_PID, "PID", "PID", 7, TOP_TK_PID, false },
	{ C_PAGES, "PAGES", "PAGES", 7, TOP_TK_PAGES, false },
	{ C_BOUNCES, "BOUNCES", "BOUNCES", 8, TOP_TK_BOUNCES, false },
	{ C_FAULTS, "FAULTS", "FAULTS", 8, -1, false },
	{ C_WMAX, "MAX/T", "MAX/T", 5, -1, false },
	{ C_TIME, "TIME", "TIME", 8, TOP_TK_FAULT_TIME, false },
	{ C_ADDR, "ADDRESS", "ADDRESS", -14, -1, false },
	{ C_TDEV, "DEVICE", "DEVICE", -14, -1, false },
	{ C_COMM, "COMMAND", "COMMAND", 0, -1, false },
};

static const struct column *view_cols(enum top_view v, size_t *n)
{
	if (v == TOP_VIEW_THRASH) {
		*n = sizeof(thrash_cols) / sizeof(thrash_cols[0]);
		return thrash_cols;
	}
	if (v == TOP_VIEW_PROCESSES) {
		*n = sizeof(proc_cols) / sizeof(proc_cols[0]);
		return proc_cols;
	}
	*n = sizeof(dev_cols) / sizeof(dev_cols[0]);
	return dev_cols;
}

static const char *col_title(const struct column *c, bool summary)
{
	return summary ? c->count_title : c->rate_title;
}

/* append to buf at *pos, never past len, and if cut, never inside a character */
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	size_t start = *pos;
	va_list ap;
	int n;

	if (*pos >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (*pos + (size_t)n < len) {
		*pos += (size_t)n;
		return;
	}
	*pos = start + devmem_utf8_cut(buf + start, len - 1 - start);
	buf[*pos] = '\0';
}

static void put_field(char *buf, size_t len, size_t *pos, const struct column *c,
		      const char *text, bool first)
{
	if (!first)
		put(buf, len, pos, " ");
	if (c->width > 0)
		put(buf, len, pos, "%*s", c->width, text);
	else if (c->width < 0)
		put(buf, len, pos, "%*s", c->width, text);
	else
		put(buf, len, pos, "%s", text);
}

void top_title_text(char *buf, size_t len, const struct top_frame *f, enum top_view v,
		    const struct top_sort *s, int *col, int *col_len)
{
	const struct column *cols;
	size_t n, pos = 0;
	bool first = true;

	if (col)
		*col = -1;
	if (col_len)
		*col_len = 0;
	buf[0] = '\0';
	cols = view_cols(v, &n);
	for (size_t i = 0; i < n; i++) {
		const char *t = col_title(&cols[i], f->summary);
		char marked[32];
		size_t start;

		if (!t)
			continue;
		if (cols[i].key >= 0 && s && cols[i].key == s->key[v]) {
			snprintf(marked, sizeof(marked), "*%s", t);
			t = marked;
		}
		start = pos + (first ? 0 : 1);
		put_field(buf, len, &pos, &cols[i], t, first);
		if (cols[i].key >= 0 && s && cols[i].key == s->key[v] && col && col_len) {
			*col = (int)start;
			*col_len = (int)(pos - start);
		}
		first = false;
	}
}

size_t top_row_count(const struct top_frame *f, enum top_view v)
{
	return v == TOP_VIEW_PROCESSES ? f->nr_procs : v == TOP_VIEW_DEVICES ? f->nr_devs :
	       f->nr_runs;
}

/* a figure: a count in summary frames, else a rate over the interval */
static void figure(char *buf, size_t len, const struct top_frame *f, __u64 count, int w)
{
	if (f->summary)
		snprintf(buf, len, "%*llu", w, (unsigned long long)count);
	else if (f->initial || !f->interval_ns)
		snprintf(buf, len, "%*s", w, "-");
	else
		top_fmt_rate(buf, len, (double)count * NSEC_PER_SEC / (double)f->interval_ns, w);
}

static void proc_field(char *buf, size_t len, const struct top_frame *f,
		       const struct top_proc_row *r, enum col_id id, int w)
{
	switch (id) {
	case C_PID:
		snprintf(buf, len, "%u", r->tgid);
		break;
	case C_FAULTS:
		figure(buf, len, f, r->c.faults, w);
		break;
	case C_WASTED:
		figure(buf, len, f, r->c.faults_wasted, w);
		break;
	case C_THRASH:
		/* pages, since the start: not a rate */
		if (f->thrash_on)
			snprintf(buf, len, "%llu", (unsigned long long)r->thrash_pages);
		else
			snprintf(buf, len, "-");
		break;
	case C_TO_DEVICE:
		figure(buf, len, f, r->c.pages_to_device, w);
		break;
	case C_TO_RAM:
		figure(buf, len, f, r->c.pages_to_ram, w);
		break;
	case C_ALLOCS:
		figure(buf, len, f, r->c.allocs, w);
		break;
	case C_FREES:
		figure(buf, len, f, r->c.frees, w);
		break;
	case C_P50:
		top_fmt_ns(buf, len, r->has_latency ? r->p50_ns : -1, false);
		break;
	case C_P99:
		top_fmt_ns(buf, len, r->has_latency ? r->p99_ns : -1, r->p99_saturated);
		break;
	case C_COMM:
		if (r->comm[0])
			devmem_sanitize(buf, len, r->comm, sizeof(r->comm), 0);
		else
			snprintf(buf, len, "?");
		break;
	default:
		snprintf(buf, len, "?");
	}
}

static void dev_field(char *buf, size_t len, const struct top_frame *f,
		      const struct top_dev_row *d, enum col_id id, int w)
{
	switch (id) {
	case C_RANGE:
		if (!d->nr_ranges)
			snprintf(buf, len, "-");
		else if (d->nr_ranges == 1)
			snprintf(buf, len, "%llx-%llx", (unsigned long long)d->start,
				 (unsigned long long)d->end);
		else
			snprintf(buf, len, "%llx-%llx+%u", (unsigned long long)d->start,
				 (unsigned long long)d->end, d->nr_ranges - 1);
		break;
	case C_SIZE:
		if (d->nr_ranges)
			top_fmt_bytes(buf, len, d->size_bytes);
		else
			snprintf(buf, len, "-");
		break;
	case C_IN_USE:
		/* without a start count, the net change since the start, signed */
		snprintf(buf, len, d->in_use_known ? "%lld" : "%+lld", d->in_use);
		break;
	case C_FAULTS:
		figure(buf, len, f, d->c.faults, w);
		break;
	case C_WASTED:
		figure(buf, len, f, d->c.faults_wasted, w);
		break;
	case C_THRASH:
		if (f->thrash_on)
			snprintf(buf, len, "%llu", (unsigned long long)d->thrash_pages);
		else
			snprintf(buf, len, "-");
		break;
	case C_MIGR:
		figure(buf, len, f, dev_migrations(d), w);
		break;
	case C_TO_DEVICE:
		figure(buf, len, f, d->c.pages_to_device, w);
		break;
	case C_TO_RAM:
		figure(buf, len, f, d->c.pages_to_ram, w);
		break;
	case C_ALLOCS:
		figure(buf, len, f, d->c.allocs, w);
		break;
	case C_FREES:
		figure(buf, len, f, d->c.frees, w);
		break;
	case C_NAME:
		if (d->name[0])	/* one word: scripts split the line at blanks */
			devmem_sanitize(buf, len, d->name, sizeof(d->name), DEVMEM_SANITIZE_SPACE);
		else if (d->owner)
			snprintf(buf, len, "owner:%llx", (unsigned long long)d->owner);
		else
			snprintf(buf, len, "?");
		break;
	default:
		snprintf(buf, len, "?");
	}
}

static void run_field(char *buf, size_t len, const struct top_thrash_row *r, enum col_id id)
{
	switch (id) {
	case C_PID:
		snprintf(buf, len, "%u", r->tgid);
		break;
	case C_PAGES:
		snprintf(buf, len, "%llu", (unsigned long long)r->npages);
		break;
	case C_BOUNCES:
		snprintf(buf, len, "%llu", (unsigned long long)r->bounces);
		break;
	case C_FAULTS:
		snprintf(buf, len, "%llu", (unsigned long long)r->faults);
		break;
	case C_WMAX:
		snprintf(buf, len, "%u", r->window_max);
		break;
	case C_TIME:
		top_fmt_ns(buf, len, (double)r->fault_ns, false);
		break;
	case C_ADDR:
		snprintf(buf, len, "%llx", (unsigned long long)r->vaddr);
		break;
	case C_TDEV:
		if (r->device[0])
			devmem_sanitize(buf, len, r->device, sizeof(r->device),
					DEVMEM_SANITIZE_SPACE);
		else
			snprintf(buf, len, "-");
		break;
	case C_COMM:
		if (r->comm[0])
			devmem_sanitize(buf, len, r->comm, sizeof(r->comm), 0);
		else
			snprintf(buf, len, "?");
		break;
	default:
		snprintf(buf, len, "?");
	}
}

void top_row_text(char *buf, size_t len, const struct top_frame *f, enum top_view v, size_t i)
{
	const struct column *cols;
	size_t n, pos = 0;
	bool first = true;

	buf[0] = '\0';
	if (i >= top_row_count(f, v))
		return;
	cols = view_cols(v, &n);
	for (size_t k = 0; k < n; k++) {
		char field[DEVMEM_SANITIZED_SIZE(sizeof(f->devs->name))];
		int w = cols[k].width > 0 ? cols[k].width : 0;

		if (!col_title(&cols[k], f->summary))
			continue;
		if (v == TOP_VIEW_PROCESSES)
			proc_field(field, sizeof(field), f, &f->procs[i], cols[k].id, w);
		else if (v == TOP_VIEW_DEVICES)
			dev_field(field, sizeof(field), f, &f->devs[i], cols[k].id, w);
		else
			run_field(field, sizeof(field), &f->runs[i], cols[k].id);
		put_field(buf, len, &pos, &cols[k], field, first);
		first = false;
	}
}

/* ---- header ---- */

static void clock_text(char *buf, size_t len, __u64 realtime_ns, bool date)
{
	time_t t = (time_t)(realtime_ns / 1000000000ULL);
	struct tm tm;

	if (!realtime_ns || !localtime_r(&t, &tm) ||
	    !strftime(buf, len, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm))
		snprintf(buf, len, "-");
}

static void line_out(FILE *out, const char *line, int width)
{
	if (width > 0)	/* by columns, never inside a character */
		fprintf(out, "%.*s\n", (int)devmem_str_cut(line, (size_t)width), line);
	else
		fprintf(out, "%s\n", line);
}

int top_header_text(FILE *out, const struct top_frame *f, const struct top_sort *s,
		    enum top_view v, const struct top_text_opts *o)
{
	char line[512], when[64], a[32], b[32], c[32], d[32], e[32], g[32];
	const struct devmem_counters *t = &f->total;
	size_t pos = 0;
	int lines = 0;

	/* a screen has room for the time only; logs want the date too */
	clock_text(when, sizeof(when), f->realtime_ns, o->width <= 0);
	put(line, sizeof(line), &pos, "devmemtop - %s  %s", when, o->source ? o->source : "live");
	if (f->mode != DEVMEM_MODE_NONE)
		put(line, sizeof(line), &pos, " (%s)", devmem_mode_name(f->mode));
	if (f->summary)
		put(line, sizeof(line), &pos, "  summary over %.1f s, %lu frames",
		    (double)f->elapsed_ns / NSEC_PER_SEC, f->number);
	else if (f->initial)
		put(line, sizeof(line), &pos, "  starting: first figures in %.1f s", o->delay_s);
	else
		put(line, sizeof(line), &pos, "  frame %lu (%.2f s)", f->number,
		    (double)f->interval_ns / NSEC_PER_SEC);
	if (o->paused)
		put(line, sizeof(line), &pos, "  [paused]");
	if (o->ended)
		put(line, sizeof(line), &pos, "  [end]");
	line_out(out, line, o->width);
	lines++;

	pos = 0;
	top_fmt_bytes(a, sizeof(a), f->ranges_bytes);
	put(line, sizeof(line), &pos, "Devices: %zu  ranges: %zu (%s)  processes: %zu  sort: %s %s",
	    f->nr_devs, f->nr_ranges, a, f->nr_procs,
	    s ? top_key_name(v, s->key[v]) : "-",
	    s ? ((top_key_descending(v, s->key[v]) != s->reverse[v]) ? "desc" : "asc") : "");
	line_out(out, line, o->width);
	lines++;

	pos = 0;
	figure(a, sizeof(a), f, t->faults, 0);
	figure(b, sizeof(b), f, t->faults_wasted, 0);
	figure(c, sizeof(c), f, t->pages_to_device, 0);
	figure(d, sizeof(d), f, t->pages_to_ram, 0);
	figure(e, sizeof(e), f, t->allocs, 0);
	figure(g, sizeof(g), f, t->frees, 0);
	put(line, sizeof(line), &pos,
	    "%s faults %s (wasted %s)  pages to device %s  to RAM %s  allocs %s  frees %s",
	    f->summary ? "Total:" : "Per second:", a, b, c, d, e, g);
	if (f->thrash_on)
		put(line, sizeof(line), &pos, "  thrashing pages %llu",
		    (unsigned long long)f->thrash_pages);
	line_out(out, line, o->width);
	lines++;

	pos = 0;
	top_fmt_ns(a, sizeof(a), f->has_latency ? f->p50_ns : -1, false);
	top_fmt_ns(b, sizeof(b), f->has_latency ? f->p99_ns : -1, f->p99_saturated);
	put(line, sizeof(line), &pos, "Fault latency: p50 %s  p99 %s  Lost events: %llu (%llu since start)",
	    a, b, (unsigned long long)(f->summary ? f->lost_since_start : f->lost),
	    (unsigned long long)f->lost_since_start);
	line_out(out, line, o->width);
	lines++;

	if (f->note[0]) {
		/* cut by the filter, between characters, to fit the line */
		char note[sizeof(line) - sizeof("Note: ")];

		devmem_sanitize(note, sizeof(note), f->note, sizeof(f->note), 0);
		pos = 0;
		put(line, sizeof(line), &pos, "Note: %s", note);
		line_out(out, line, o->width);
		lines++;
	}
	return lines;
}

void top_frame_print(FILE *out, const struct top_frame *f, const struct top_sort *s,
		     unsigned int views, const struct top_text_opts *o)
{
	char line[512];

	top_header_text(out, f, s, TOP_VIEW_PROCESSES, o);
	for (int v = 0; v < TOP_VIEW_COUNT; v++) {
		size_t n = top_row_count(f, v);

		if (!(views & (1U << v)))
			continue;
		/* nothing to show without thrashing detection (or an older recording) */
		if (v == TOP_VIEW_THRASH && !f->thrash_on)
			continue;
		fputc('\n', out);
		top_title_text(line, sizeof(line), f, v, s, NULL, NULL);
		line_out(out, line, o->width);
		if (o->rows >= 0 && (size_t)o->rows < n)
			n = (size_t)o->rows;
		for (size_t i = 0; i < n; i++) {
			top_row_text(line, sizeof(line), f, v, i);
			line_out(out, line, o->width);
		}
	}
	fputc('\n', out);
}

/* ---- JSON ---- */

static json_t *rates_json(const struct top_frame *f, const struct devmem_counters *c)
{
	double secs = (double)f->interval_ns / NSEC_PER_SEC;
	json_t *o;

	if (f->summary || f->initial || !f->interval_ns)
		return json_null();
	o = json_object();
	json_object_set_new(o, "faults", json_real((double)c->faults / secs));
	json_object_set_new(o, "pages_to_device", json_real((double)c->pages_to_device / secs));
	json_object_set_new(o, "pages_to_ram", json_real((double)c->pages_to_ram / secs));
	json_object_set_new(o, "allocs", json_real((double)c->allocs / secs));
	json_object_set_new(o, "frees", json_real((double)c->frees / secs));
	return o;
}

static json_t *latency_json(bool has, double p50, double p99, bool sat)
{
	if (!has)
		return json_null();
	return json_pack("{s:f,s:f,s:b}", "p50", p50, "p99", p99, "p99_saturated", sat);
}

int top_frame_json(FILE *out, const struct top_frame *f, const struct top_text_opts *o)
{
	json_t *root = json_object(), *procs = json_array(), *devs = json_array();
	int err = 0;

	if (!root || !procs || !devs) {
		err = -ENOMEM;
		goto out;
	}
	json_object_set_new(root, "type", json_string(f->summary ? "summary" :
						      f->initial ? "initial" : "frame"));
	json_object_set_new(root, "frame", json_integer((json_int_t)f->number));
	json_object_set_new(root, "source", json_string(o && o->source ? o->source : "live"));
	json_object_set_new(root, "mode", json_string(devmem_mode_name(f->mode)));
	json_object_set_new(root, "ts_ns", json_integer((json_int_t)f->ts_ns));
	json_object_set_new(root, "realtime_ns", json_integer((json_int_t)f->realtime_ns));
	json_object_set_new(root, "interval_ns", json_integer((json_int_t)f->interval_ns));
	if (f->summary)
		json_object_set_new(root, "elapsed_ns", json_integer((json_int_t)f->elapsed_ns));
	json_object_set_new(root, "counters", devmem_json_counters(&f->total));
	json_object_set_new(root, "rates", rates_json(f, &f->total));
	json_object_set_new(root, "fault_latency_ns",
			    latency_json(f->has_latency, f->p50_ns, f->p99_ns, f->p99_saturated));
	/* as in a snapshot: the losses of what this object covers */
	json_object_set_new(root, "lost", json_pack("{s:I}", "total", (json_int_t)f->lost));
	json_object_set_new(root, "lost_since_start", json_integer((json_int_t)f->lost_since_start));
	if (f->note[0])
		json_object_set_new(root, "note", devmem_json_str(f->note, sizeof(f->note)));
	/* pages thrashing since the start; null when detection is off */
	json_object_set_new(root, "thrash_pages", f->thrash_on ?
			    json_integer((json_int_t)f->thrash_pages) : json_null());
	for (size_t i = 0; i < f->nr_procs; i++) {
		const struct top_proc_row *r = &f->procs[i];

		json_array_append_new(procs, json_pack("{s:I,s:o,s:b,s:o,s:o,s:o,s:o}",
			"tgid", (json_int_t)r->tgid,
			"comm", devmem_json_str(r->comm, sizeof(r->comm)), "exited", r->exited,
			"counters", devmem_json_counters(&r->c), "rates", rates_json(f, &r->c),
			"fault_latency_ns", latency_json(r->has_latency, r->p50_ns, r->p99_ns,
							 r->p99_saturated),
			"thrash_pages", f->thrash_on ? json_integer((json_int_t)r->thrash_pages) :
				json_null()));
	}
	for (size_t i = 0; i < f->nr_devs; i++) {
		const struct top_dev_row *d = &f->devs[i];
		json_t *dj = json_object();

		/* a snapshot's device keys first, with the same meaning */
		json_object_set_new(dj, "name", devmem_json_str(d->name, sizeof(d->name)));
		json_object_set_new(dj, "owner", d->owner ? devmem_json_hex(d->owner) :
				    json_null());
		json_object_set_new(dj, "ranges", json_integer(d->nr_ranges));
		json_object_set_new(dj, "pages", json_integer((json_int_t)d->nr_pages));
		json_object_set_new(dj, "start", d->nr_ranges ? devmem_json_hex(d->start) :
				    json_null());
		json_object_set_new(dj, "end", d->nr_ranges ? devmem_json_hex(d->end) :
				    json_null());
		json_object_set_new(dj, "size_bytes", json_integer((json_int_t)d->size_bytes));
		/* a value that could not be observed is null, never a guess */
		json_object_set_new(dj, "pages_in_use", d->in_use_known ? json_integer(d->in_use) :
				    json_null());
		json_object_set_new(dj, "pages_in_use_change", json_integer(d->in_use_change));
		json_object_set_new(dj, "counters", devmem_json_counters(&d->c));
		json_object_set_new(dj, "rates", rates_json(f, &d->c));
		json_object_set_new(dj, "thrash_pages", f->thrash_on ?
				    json_integer((json_int_t)d->thrash_pages) : json_null());
		json_array_append_new(devs, dj);
	}
	json_object_set_new(root, "processes", procs);
	json_object_set_new(root, "devices", devs);
	procs = devs = NULL;
	{
		json_t *runs = json_array();

		for (size_t i = 0; i < f->nr_runs; i++) {
			const struct top_thrash_row *r = &f->runs[i];

			json_array_append_new(runs, json_pack("{s:I,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I}",
				"tgid", (json_int_t)r->tgid,
				"comm", devmem_json_str(r->comm, sizeof(r->comm)),
				"device", r->device[0] ? devmem_json_str(r->device, sizeof(r->device)) :
					json_null(),
				"address", (json_int_t)r->vaddr, "pages", (json_int_t)r->npages,
				"bounces", (json_int_t)r->bounces, "faults", (json_int_t)r->faults,
				"fault_ns", (json_int_t)r->fault_ns,
				"window_max", (json_int_t)r->window_max));
		}
		json_object_set_new(root, "thrash_runs", runs);
	}
	if (json_dumpf(root, out, JSON_COMPACT | JSON_ENSURE_ASCII) || fputc('\n', out) == EOF)
		err = -EIO;
out:
	json_decref(procs);
	json_decref(devs);
	json_decref(root);
	return err;
}

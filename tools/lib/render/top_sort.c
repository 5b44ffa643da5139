// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop's sort orders (top_view.h): keys by name and row comparisons. */
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

/* ---- sorting ---- */

static const char *const proc_key_names[TOP_PK_COUNT] = {
	[TOP_PK_PID] = "pid", [TOP_PK_FAULTS] = "faults", [TOP_PK_THRASH] = "thrash",
	[TOP_PK_TO_DEVICE] = "todev",
	[TOP_PK_TO_RAM] = "toram", [TOP_PK_FREES] = "frees", [TOP_PK_P50] = "p50",
	[TOP_PK_P99] = "p99", [TOP_PK_COMM] = "comm",
};

static const char *const dev_key_names[TOP_DK_COUNT] = {
	[TOP_DK_NAME] = "name", [TOP_DK_SIZE] = "size", [TOP_DK_IN_USE] = "inuse",
	[TOP_DK_FAULTS] = "faults", [TOP_DK_MIGRATIONS] = "migr", [TOP_DK_THRASH] = "thrash",
	[TOP_DK_FREES] = "frees", [TOP_DK_RANGE] = "range",
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
	if (v == TOP_VIEW_DEVICES && (!strcasecmp(name, "in_use") || !strcasecmp(name, "used") ||
				      !strcasecmp(name, "use") || !strcasecmp(name, "full")))
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
	case TOP_PK_THRASH:
		return devmem_cmp_u64(a->thrash_pages, b->thrash_pages);
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

static int dev_cmp_key(const struct top_dev_row *a, const struct top_dev_row *b)
{
	switch (sort_key) {
	case TOP_DK_RANGE:
		return devmem_cmp_u64(a->start, b->start);
	case TOP_DK_SIZE:
		return devmem_cmp_u64(a->size_bytes, b->size_bytes);
	case TOP_DK_IN_USE:
		/* by fullness; unknown below every known one, then by pages */
		if (a->fullness_known != b->fullness_known)
			return a->fullness_known ? 1 : -1;
		return cmp_double(a->fullness_known ? a->fullness : 0,
				  b->fullness_known ? b->fullness : 0) ?: cmp_s64(a->in_use, b->in_use);
	case TOP_DK_FAULTS:
		return devmem_cmp_u64(a->c.faults, b->c.faults);
	case TOP_DK_MIGRATIONS:
		return devmem_cmp_u64(top_dev_migrations(a), top_dev_migrations(b));
	case TOP_DK_THRASH:
		return devmem_cmp_u64(a->thrash_pages, b->thrash_pages);
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

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Thrashing as the views show it (thrash_runs.h): runs of consecutive
 * thrashing pages of one process and pagemap, and sums per process and
 * device. Pages count by weight: a bouncing 2 MiB folio is one entry of
 * 512 pages, and a run or a sum of such entries counts their pages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/array.h"
#include "model/snapshot.h"
#include "model/thrash.h"
#include "render/thrash_runs.h"

const char *devmem_snapshot_range_device(const struct devmem_snapshot *s, __u64 range)
{
	const struct devmem_snap_range *best = NULL;

	for (size_t i = 0; i < s->nr_ranges; i++) {
		const struct devmem_snap_range *r = &s->ranges[i];

		if (r->r.start == range && (!best || r->r.gen > best->r.gen))
			best = r;
	}
	return best ? best->device : "";
}

static const char *comm_of(const struct devmem_snapshot *s, __u32 tgid, __u64 start_ns)
{
	for (size_t i = 0; i < s->nr_procs; i++)
		if (s->procs[i].tgid == tgid &&
		    (s->procs[i].start_ns == start_ns || !start_ns || !s->procs[i].start_ns))
			return s->procs[i].comm;
	return "";
}

static int cmp_run(const void *x, const void *y)
{
	const struct devmem_thrash_run *a = x, *b = y;

	if (a->bounces != b->bounces)
		return a->bounces > b->bounces ? -1 : 1;
	return devmem_key_cmp(a->tgid, a->start_ns, a->vaddr, b->tgid, b->start_ns, b->vaddr);
}

int devmem_thrash_runs(const struct devmem_snapshot *s, __u32 k, struct devmem_thrash_run **out,
		       size_t *n)
{
	struct devmem_thrash_entry *e = NULL;
	struct devmem_thrash_run *runs = NULL, *r = NULL;
	__u64 page = s->page_size ? s->page_size : 4096;
	size_t nr = 0, ne = 0, i;

	*out = NULL;
	*n = 0;
	for (i = 0; i < s->nr_thrash; i++)
		ne += devmem_thrash_is(&s->thrash[i], k);
	if (!ne)
		return 0;
	e = malloc(ne * sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0, ne = 0; i < s->nr_thrash; i++)
		if (devmem_thrash_is(&s->thrash[i], k))
			e[ne++] = s->thrash[i];
	devmem_thrash_sort(e, ne);
	for (i = 0; i < ne; i++) {
		if (!r || r->tgid != e[i].tgid || r->start_ns != e[i].start_ns ||
		    r->range != e[i].range || r->vaddr + r->npages * page != e[i].vaddr) {
			struct devmem_thrash_run *g = devmem_array_grow(runs, nr, sizeof(*g));

			if (!g) {
				free(runs);
				free(e);
				return -ENOMEM;
			}
			runs = g;
			r = &runs[nr++];
			memset(r, 0, sizeof(*r));
			r->tgid = e[i].tgid;
			r->start_ns = e[i].start_ns;
			r->vaddr = e[i].vaddr;
			r->range = e[i].range;
			snprintf(r->comm, sizeof(r->comm), "%s", comm_of(s, r->tgid, r->start_ns));
			snprintf(r->device, sizeof(r->device), "%s",
				 devmem_snapshot_range_device(s, r->range));
		}
		r->npages += devmem_thrash_pages(&e[i]);
		r->bounces += e[i].bounces;
		r->faults += e[i].faults;
		r->fault_ns += e[i].fault_ns;
		if (e[i].window_max > r->window_max)
			r->window_max = e[i].window_max;
	}
	free(e);
	if (nr)
		qsort(runs, nr, sizeof(*runs), cmp_run);
	*out = runs;
	*n = nr;
	return 0;
}

static void sum_add(struct devmem_thrash_sum *out, const struct devmem_thrash_entry *e, __u32 k)
{
	out->pages_bouncing += devmem_thrash_pages(e);
	if (!devmem_thrash_is(e, k))
		return;
	out->pages_thrashing += devmem_thrash_pages(e);
	out->bounces += e->bounces;
	out->fault_ns += e->fault_ns;
}

void devmem_thrash_sum_process(const struct devmem_snapshot *s, __u32 k, __u32 tgid,
			       __u64 start_ns, struct devmem_thrash_sum *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->nr_thrash; i++)
		if (s->thrash[i].tgid == tgid && s->thrash[i].start_ns == start_ns)
			sum_add(out, &s->thrash[i], k);
}

void devmem_thrash_sum_device(const struct devmem_snapshot *s, __u32 k, const char *device,
			      struct devmem_thrash_sum *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->nr_thrash; i++)
		if (!strcmp(devmem_snapshot_range_device(s, s->thrash[i].range), device))
			sum_add(out, &s->thrash[i], k);
}

void devmem_thrash_sum_all(const struct devmem_snapshot *s, __u32 k, struct devmem_thrash_sum *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->nr_thrash; i++)
		sum_add(out, &s->thrash[i], k);
}

__u32 devmem_thrash_k(const struct devmem_snapshot *s, __u32 k)
{
	return k ? k : s->thrash_k ? s->thrash_k : DEVMEM_THRASH_K_DEFAULT;
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Thrashing pages of a snapshot (thrash.h): their order, merge and delta. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/array.h"
#include "model/snapshot.h"
#include "model/thrash.h"

int devmem_thrash_cmp(const void *x, const void *y)
{
	const struct devmem_thrash_entry *a = x, *b = y;

	return devmem_key_cmp(a->tgid, a->start_ns, a->vaddr, b->tgid, b->start_ns, b->vaddr);
}

void devmem_thrash_sort(struct devmem_thrash_entry *e, size_t n)
{
	if (n)
		qsort(e, n, sizeof(*e), devmem_thrash_cmp);
}

int devmem_thrash_merge(struct devmem_snapshot *dst, const struct devmem_snapshot *src)
{
	if (src->thrash_on) {
		dst->thrash_on = true;
		dst->thrash_k = src->thrash_k;
		dst->thrash_window_ns = src->thrash_window_ns;
		if (src->page_size)
			dst->page_size = src->page_size;
		if (src->thrash_dropped > dst->thrash_dropped)
			dst->thrash_dropped = src->thrash_dropped;
	}
	return devmem_array_merge((void **)&dst->thrash, &dst->nr_thrash, src->thrash,
				  src->nr_thrash, sizeof(*src->thrash), devmem_thrash_cmp, NULL, NULL);
}

static const struct devmem_thrash_entry *find_entry(const struct devmem_snapshot *s,
						    const struct devmem_thrash_entry *k)
{
	return devmem_array_find(k, s->thrash, s->nr_thrash, sizeof(*s->thrash), devmem_thrash_cmp);
}

void devmem_thrash_delta(struct devmem_snapshot *out, const struct devmem_snapshot *prev)
{
	size_t i, j;

	devmem_thrash_sort(out->thrash, out->nr_thrash);
	for (i = j = 0; i < out->nr_thrash; i++) {
		struct devmem_thrash_entry e = out->thrash[i];
		const struct devmem_thrash_entry *p = find_entry(prev, &e);

		if (p) {
			e.bounces = devmem_delta_u64(e.bounces, p->bounces);
			e.faults = devmem_delta_u64(e.faults, p->faults);
			e.fault_ns = devmem_delta_u64(e.fault_ns, p->fault_ns);
		}
		if (e.bounces || e.faults)
			out->thrash[j++] = e;
	}
	out->nr_thrash = j;
}

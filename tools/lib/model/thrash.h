/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Thrashing pages of a snapshot (thrash.c): order, merge and delta.
 */
#ifndef DEVMEM_MODEL_THRASH_H
#define DEVMEM_MODEL_THRASH_H

#include "model/snapshot.h"

/* the pages an entry stands for: a large folio's, else 1 */
static inline __u64 devmem_thrash_pages(const struct devmem_thrash_entry *e)
{
	return e->npages ? e->npages : 1;
}

/* sort by (tgid, start_ns, vaddr), the order of devmem_thrash_cmp() */
int devmem_thrash_cmp(const void *x, const void *y);
void devmem_thrash_sort(struct devmem_thrash_entry *e, size_t n);
/*
 * Entries of src (sorted: devmem_thrash_sort) replace those of dst with the
 * same (tgid, start, vaddr), the others join; dst ends up sorted.
 */
int devmem_thrash_merge(struct devmem_snapshot *dst, const struct devmem_snapshot *src);
/*
 * For devmem_snapshot_delta(): out's pages (copies of cur's) less prev's
 * (both sorted; out is sorted here), those that did not change left out;
 * window_max stays cur's.
 */
void devmem_thrash_delta(struct devmem_snapshot *out, const struct devmem_snapshot *prev);

#endif /* DEVMEM_MODEL_THRASH_H */

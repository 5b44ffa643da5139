/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Arrays that grow, sorted-array lookups and the one key order (array.c).
 */
#ifndef DEVMEM_MODEL_ARRAY_H
#define DEVMEM_MODEL_ARRAY_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Make room for element n of an array of n elements of elem bytes; returns
 * the (moved) array, or NULL (arr untouched) when out of memory. The
 * capacity is implicit, devmem_array_cap(n): 0 for an empty array, else
 * max(8, the smallest power of two >= n), so only a full array reallocates.
 * An array filled another way must have been allocated with that capacity.
 */
void *devmem_array_grow(void *arr, size_t n, size_t elem);
size_t devmem_array_cap(size_t n);
/* a zeroed array of n elements that devmem_array_grow() can grow; NULL for 0 */
void *devmem_array_alloc(size_t n, size_t elem);
/* -1, 0 or 1 as a < b, a == b, a > b */
int devmem_cmp_u64(__u64 a, __u64 b);
/* the order of the (tgid, start_ns, x) keys of processes, pages and stacks */
int devmem_key_cmp(__u32 ta, __u64 sa, __u64 xa, __u32 tb, __u64 sb, __u64 xb);
/* bsearch() of a sorted array that may be empty (arr NULL): the match or NULL */
void *devmem_array_find(const void *key, const void *arr, size_t n, size_t elem,
			int (*cmp)(const void *, const void *));

/*
 * What a cumulative value gained since prev; one that went down restarted
 * (a table entry taken out and made again), so all of it is new.
 */
__u64 devmem_delta_u64(__u64 cur, __u64 prev);
/*
 * Merge the sorted array src (ns elements of elem bytes) into *dst (*nd
 * elements, sorted here first): an element of src replaces the equal one
 * of dst, whose memory drop() releases, the others join in order. With
 * copy, dst's element is made from src's by it (and drop() undoes it),
 * else by a plain copy. 0, or -ENOMEM with dst as it was.
 */
int devmem_array_merge(void **dst, size_t *nd, const void *src, size_t ns, size_t elem,
		       int (*cmp)(const void *, const void *),
		       int (*copy)(void *to, const void *from), void (*drop)(void *e));

#endif /* DEVMEM_MODEL_ARRAY_H */

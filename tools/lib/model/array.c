// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The array helpers of the library (devmem.h): growth, ordering, lookup. */
#include <stdint.h>
#include <stdlib.h>
#include "model/array.h"

size_t devmem_array_cap(size_t n)
{
	size_t cap = 8;

	if (!n)
		return 0;
	while (cap < n)
		cap *= 2;
	return cap;
}

void *devmem_array_grow(void *arr, size_t n, size_t elem)
{
	if (n && (n < 8 || (n & (n - 1))))
		return arr;
	if (n > SIZE_MAX / 2 / elem)
		return NULL;
	return realloc(arr, (n ? n * 2 : 8) * elem);
}

void *devmem_array_alloc(size_t n, size_t elem)
{
	return n ? calloc(devmem_array_cap(n), elem) : NULL;
}

int devmem_cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;	/* never a truncated difference */
}

int devmem_key_cmp(__u32 ta, __u64 sa, __u64 xa, __u32 tb, __u64 sb, __u64 xb)
{
	return devmem_cmp_u64(ta, tb) ?: devmem_cmp_u64(sa, sb) ?: devmem_cmp_u64(xa, xb);
}

void *devmem_array_find(const void *key, const void *arr, size_t n, size_t elem,
			int (*cmp)(const void *, const void *))
{
	return n ? bsearch(key, arr, n, elem, cmp) : NULL;
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The array helpers of the library (array.h): growth, ordering, lookup, merge, delta. */
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

__u64 devmem_delta_u64(__u64 cur, __u64 prev)
{
	return cur >= prev ? cur - prev : cur;
}

int devmem_array_merge(void **dst, size_t *nd, const void *src, size_t ns, size_t elem,
		       int (*cmp)(const void *, const void *),
		       int (*copy)(void *to, const void *from), void (*drop)(void *e))
{
	char *out, *d = *dst, *tmp = NULL;
	const char *s = src;
	size_t i = 0, j = 0, n = 0;

	if (!ns)
		return 0;
	/* copies that own memory are made first, so a failure leaves dst as it was */
	if (copy) {
		tmp = malloc(ns * elem);
		if (!tmp)
			return -ENOMEM;
		for (j = 0; j < ns; j++)
			if (copy(tmp + j * elem, s + j * elem)) {
				while (j--)
					drop(tmp + j * elem);
				free(tmp);
				return -ENOMEM;
			}
		s = tmp;
		j = 0;
	}
	out = devmem_array_alloc(*nd + ns, elem);
	if (!out) {
		for (j = 0; copy && j < ns; j++)
			drop(tmp + j * elem);
		free(tmp);
		return -ENOMEM;
	}
	if (*nd)
		qsort(d, *nd, elem, cmp);
	while (i < *nd || j < ns) {
		int c = i == *nd ? 1 : j == ns ? -1 : cmp(d + i * elem, s + j * elem);

		if (c < 0) {
			memcpy(out + n++ * elem, d + i++ * elem, elem);
			continue;
		}
		memcpy(out + n++ * elem, s + j++ * elem, elem);
		if (!c) {
			if (drop)
				drop(d + i * elem);
			i++;
		}
	}
	free(tmp);
	free(*dst);
	*dst = out;
	*nd = n;
	return 0;
}

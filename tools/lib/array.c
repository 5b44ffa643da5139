// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The one array-growth helper of the library (devmem.h). */
#include <stdint.h>
#include <stdlib.h>
#include "devmem.h"

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

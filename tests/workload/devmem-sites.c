// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libdevmem-sites.so: the two functions of devmem-stacks whose copies fault
 * on device memory, in a shared library of their own so that a fault's
 * stack runs through one: site_copy_a() copies pages front to back and
 * site_copy_b() back to front, each page by one call of the leaf that
 * reads it.
 *
 * Built -O2 -fomit-frame-pointer (tests/workload/build.sh), the leaf is
 * libc's memcpy(), called through the PLT, so every fault happens inside
 * libc with no frame pointer anywhere. Built -O1 -fno-omit-frame-pointer
 * with -DDEVMEM_SITES_OWN_LEAF (libdevmem-sites-fp.so), the leaf is
 * sites_copy_leaf() below, to which gcc gives no frame of its own (a
 * leaf), so a frame-pointer walk from a fault in it misses its caller.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "devmem-sites.h"

#ifdef DEVMEM_SITES_OWN_LEAF
/* one word at a time, volatile: never turned into a call of memcpy() */
__attribute__((noipa)) void sites_copy_leaf(uint64_t *dst, const volatile uint64_t *src,
					    size_t bytes)
{
	size_t k;

	for (k = 0; k < bytes / sizeof(uint64_t); k++)
		dst[k] = src[k];
}
#define COPY(dst, src, n)	sites_copy_leaf((uint64_t *)(dst), (const volatile uint64_t *)(src), (n))
#define LEAF_NAME		"sites_copy_leaf"
#else
#define COPY(dst, src, n)	memcpy((dst), (src), (n))
#define LEAF_NAME		"memcpy"
#endif

const char *sites_leaf_name(void)
{
	return LEAF_NAME;
}

void *sites_leaf_address(void)
{
#ifdef DEVMEM_SITES_OWN_LEAF
	return (void *)sites_copy_leaf;
#else
	return (void *)memcpy;
#endif
}

__attribute__((noipa)) size_t site_copy_a(void *dst, const void *src, size_t npages,
					  size_t page_size)
{
	size_t k;

	for (k = 0; k < npages; k++)
		COPY((char *)dst + k * page_size, (const char *)src + k * page_size, page_size);
	return npages;
}

__attribute__((noipa)) size_t site_copy_b(void *dst, const void *src, size_t npages,
					  size_t page_size)
{
	size_t k;

	for (k = npages; k > 0; k--)
		COPY((char *)dst + (k - 1) * page_size, (const char *)src + (k - 1) * page_size,
		     page_size);
	return npages;
}

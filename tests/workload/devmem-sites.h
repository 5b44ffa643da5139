/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The fault sites of devmem-stacks, in libdevmem-sites.so (devmem-sites.c). */
#ifndef DEVMEM_SITES_H
#define DEVMEM_SITES_H

#include <stddef.h>

/* Copy npages pages of page_size bytes from src to dst, one leaf call each. */
size_t site_copy_a(void *dst, const void *src, size_t npages, size_t page_size);
size_t site_copy_b(void *dst, const void *src, size_t npages, size_t page_size);
/* The function the copies call for each page, where every fault happens. */
const char *sites_leaf_name(void);
void *sites_leaf_address(void);

#endif

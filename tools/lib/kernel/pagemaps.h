/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Ranges present before the tool started (pagemaps.c): the debugfs listing
 * of the kernel series, names from /proc/iomem.
 */
#ifndef DEVMEM_KERNEL_PAGEMAPS_H
#define DEVMEM_KERNEL_PAGEMAPS_H

#include <stdio.h>
#include "model/snapshot.h"

/* the debugfs listings of live pagemaps: the zone_device series (v3), the devmem series (v2) */
#define DEVMEM_PAGEMAPS_V3_PATH "/sys/kernel/debug/zone_device/pagemaps"
#define DEVMEM_PAGEMAPS_PATH "/sys/kernel/debug/devmem/pagemaps"

struct devmem_pagemap_line {
	__u64 pgmap_id;
	__u32 range;
	__u64 start, end;
	__u64 nr_pages;
	__u32 nid;			/* ~0U if absent */
	__u32 type;			/* DEVMEM_TYPE_* */
	__u64 in_use;			/* DEVMEM_UNKNOWN if absent */
	char name[64];			/* "" for "-" */
};

/* 0, or -EINVAL for a malformed line (out is then undefined) */
int devmem_pagemaps_parse_line(const char *line, struct devmem_pagemap_line *out);
/* add every good line to s; returns the number of bad lines skipped, or -errno */
int devmem_pagemaps_parse(FILE *f, struct devmem_snapshot *s);
/* name of the /proc/iomem resource that is [start, end], else the smallest holding it; or NULL */
const char *devmem_iomem_name(FILE *iomem, __u64 start, __u64 end, char *buf, size_t len);
/*
 * Read the debugfs file (path NULL: the v3 listing, else the v2 one) into s. When the file is
 * missing, s->note says why (debugfs not mounted, or a kernel without the
 * series) and that earlier ranges are unknown. Returns 0 or -errno.
 */
int devmem_discover_ranges(const char *path, struct devmem_snapshot *s);
/* call fn for every resource of an open /proc/iomem until it returns non-zero */
int devmem_iomem_each(FILE *iomem, int (*fn)(void *ctx, __u64 start, __u64 end,
					     const char *name), void *ctx);
/* fill empty range names from /proc/iomem (path NULL: /proc/iomem) */
void devmem_name_ranges(const char *iomem_path, struct devmem_snapshot *s);

#endif /* DEVMEM_KERNEL_PAGEMAPS_H */

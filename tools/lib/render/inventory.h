/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The range inventory devmemranges shows (inventory.c): every
 * device-private and device-coherent range live when the tool started or
 * added since, removed ones included, taken from a session's snapshot (the
 * history keeps a range removed and added again at the same physical range
 * as two).
 */
#ifndef DEVMEM_INVENTORY_H
#define DEVMEM_INVENTORY_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "model/snapshot.h"

struct devmem_inv_range {
	__u64 owner;		/* pgmap->owner, 0 unknown */
	__u64 id;		/* pgmap id: physical start of range 0 */
	__u64 start, end;	/* physical, inclusive */
	__u64 nr_pages;
	__u32 nid;		/* ~0U unknown */
	__u32 type;		/* DEVMEM_TYPE_*, 0 unknown */
	__u64 in_use;		/* DEVMEM_UNKNOWN unknown */
	char name[64];		/* /proc/iomem name as read, "" unknown */
	char device[64];	/* its device, as every tool names it */
	bool before;		/* present when the tool started */
	bool removed;		/* remove started */
	bool done;		/* remove finished */
	__u64 added_ns, removed_ns, done_ns;	/* CLOCK_MONOTONIC, 0 unknown */
	__u64 wait_ns;
	unsigned int seq;	/* order of arrival, for stable sorting */
};

/* Zero-initialised is empty; devmem_inv_free() releases it. */
struct devmem_inventory {
	struct devmem_inv_range *r;
	size_t n;
	unsigned int seq;
	__u64 lost;		/* events lost on the way */
};

/* every range of a snapshot (a listing: ranges without gen); 0 or -ENOMEM */
int devmem_inv_from_snapshot(struct devmem_inventory *inv, const struct devmem_snapshot *s);
/* live ranges take type, node, name and pages in use from a fresh listing */
void devmem_inv_refresh(struct devmem_inventory *inv, const struct devmem_snapshot *now);
/* by physical start, then in order of arrival */
void devmem_inv_sort(struct devmem_inventory *inv);
void devmem_inv_free(struct devmem_inventory *inv);	/* and empty it */

/* "live", "removing" (references still held) or "removed" */
const char *devmem_inv_state_name(const struct devmem_inv_range *r);
/* bytes in the largest unit that divides them: 256MiB, 24577B */
void devmem_inv_format_size(char *buf, size_t len, __u64 bytes);

/* the table, one range a line; wall_offset turns stamps into times of day */
void devmem_inv_print_text(FILE *out, const struct devmem_inventory *inv, __s64 wall_offset,
			   unsigned long page_size);
/* the same as one JSON document ({ranges, lost, note}); NULL on ENOMEM */
json_t *devmem_inv_json(const struct devmem_inventory *inv, __s64 wall_offset,
			unsigned long page_size, const char *note);

#endif /* DEVMEM_INVENTORY_H */

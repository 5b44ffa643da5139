/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The one device filter (-D) of every tool (device_filter.c): a device is
 * named by its owner (a kernel address), the physical start of one of its
 * ranges, or its name (or a range's /proc/iomem name).
 */
#ifndef DEVMEM_MODEL_DEVICE_FILTER_H
#define DEVMEM_MODEL_DEVICE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "model/snapshot.h"

enum devmem_filter_kind {
	DEVMEM_FILTER_ANY = 0,		/* no -D */
	DEVMEM_FILTER_OWNER,		/* a kernel address: pgmap->owner */
	DEVMEM_FILTER_START,		/* a physical address: the start of one of its ranges */
	DEVMEM_FILTER_NAME,		/* its name, or the /proc/iomem name of one of its ranges */
};

struct devmem_device_filter {
	enum devmem_filter_kind kind;
	__u64 value;			/* OWNER, START */
	const char *arg;		/* as given; NULL: no -D */
};

/* Kernel addresses (owner pointers) start here on x86-64 and arm64. */
#define DEVMEM_KERNEL_ADDR_MIN	0xffff000000000000ULL

/* does a range (its device's name, its iomem name, owner and start) pass the filter */
bool devmem_filter_range(const struct devmem_device_filter *f, const char *device,
			 const char *range_name, __u64 owner, __u64 start);
/* does a device of s pass: one of its ranges does */
bool devmem_filter_device(const struct devmem_device_filter *f, const struct devmem_snapshot *s,
			  const char *device);
/*
 * The owner of the device the filter names among the live ranges of s
 * (0 for no filter): 0 and *owner set; -ENOENT if no live range passes, -EEXIST if ranges of
 * two owners do, -EINVAL if they pass but their owner is unknown.
 */
int devmem_filter_owner(const struct devmem_device_filter *f, const struct devmem_snapshot *s,
			__u64 *owner);
/* "a, b, c": the names of the devices of s with a live range (for error messages) */
void devmem_filter_known(const struct devmem_snapshot *s, char *buf, size_t len);

#endif /* DEVMEM_MODEL_DEVICE_FILTER_H */

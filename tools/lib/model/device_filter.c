// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The one device filter (device_filter.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "model/device_filter.h"

bool devmem_filter_range(const struct devmem_device_filter *f, const char *device,
			 const char *range_name, __u64 owner, __u64 start)
{
	switch (f->kind) {
	case DEVMEM_FILTER_OWNER:
		return owner && owner == f->value;
	case DEVMEM_FILTER_START:
		return start == f->value;
	case DEVMEM_FILTER_NAME:
		return (device && !strcmp(device, f->arg)) ||
		       (range_name && range_name[0] && !strcmp(range_name, f->arg));
	default:
		return true;
	}
}

static bool range_passes(const struct devmem_device_filter *f, const struct devmem_snap_range *r)
{
	return devmem_filter_range(f, r->device, r->name, r->r.owner, r->r.start);
}

bool devmem_filter_device(const struct devmem_device_filter *f, const struct devmem_snapshot *s,
			  const char *device)
{
	if (f->kind == DEVMEM_FILTER_ANY)
		return true;
	if (f->kind == DEVMEM_FILTER_NAME && !strcmp(device, f->arg))
		return true;
	for (size_t i = 0; i < s->nr_ranges; i++)
		if (!strcmp(s->ranges[i].device, device) && range_passes(f, &s->ranges[i]))
			return true;
	return false;
}

int devmem_filter_owner(const struct devmem_device_filter *f, const struct devmem_snapshot *s,
			__u64 *owner)
{
	__u64 found = 0;
	bool any = false, by_device = false;

	if (f->kind == DEVMEM_FILTER_ANY || f->kind == DEVMEM_FILTER_OWNER) {
		*owner = f->kind == DEVMEM_FILTER_OWNER ? f->value : 0;
		return 0;
	}
	/*
	 * A name is a device's name first: two devices whose ranges have one
	 * /proc/iomem name (hmm_dmirror and hmm_dmirror#2) are told apart by
	 * it; a range's own name is taken only when no device has the name.
	 */
	for (size_t i = 0; f->kind == DEVMEM_FILTER_NAME && i < s->nr_ranges; i++)
		if (!s->ranges[i].r.removed_ns && !strcmp(s->ranges[i].device, f->arg))
			by_device = true;
	for (size_t i = 0; i < s->nr_ranges; i++) {
		const struct devmem_snap_range *r = &s->ranges[i];

		if (r->r.removed_ns ||
		    (by_device ? strcmp(r->device, f->arg) != 0 : !range_passes(f, r)))
			continue;
		if (any && r->r.owner != found)
			return -EEXIST;
		found = r->r.owner;
		any = true;
	}
	if (!any)
		return -ENOENT;
	if (!found)
		return -EINVAL;
	*owner = found;
	return 0;
}

void devmem_filter_known(const struct devmem_snapshot *s, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->nr_devices && at < len; i++) {
		if (!s->devices[i].nr_live)
			continue;
		at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "",
				       s->devices[i].name);
	}
	if (!at)
		snprintf(buf, len, "none");
}

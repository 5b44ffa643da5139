/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Thrashing as the views show it (thrash_runs.c): runs of pages and sums.
 */
#ifndef DEVMEM_RENDER_THRASH_RUNS_H
#define DEVMEM_RENDER_THRASH_RUNS_H

#include "model/snapshot.h"

/* consecutive thrashing pages of one process and pagemap */
struct devmem_thrash_run {
	__u32 tgid;
	__u32 window_max;		/* the most of its pages */
	__u64 start_ns;
	char comm[DEVMEM_COMM_LEN];
	__u64 vaddr;			/* first page */
	__u64 npages;			/* pages: a large folio's entry counts all of its */
	__u64 bounces, faults, fault_ns;	/* summed over its pages */
	__u64 range;			/* physical start of its pagemap */
	char device[DEVMEM_NAME_LEN];	/* "" if unknown */
};

/* figures of the thrashing pages of one process or device, in pages (by weight) */
struct devmem_thrash_sum {
	__u64 pages_bouncing;		/* bounced twice or more */
	__u64 pages_thrashing;		/* more than K bounces within T */
	__u64 bounces;			/* of the thrashing pages */
	__u64 fault_ns;			/* ... the time their faults took */
};

/* is this page thrashing at threshold k */
static inline bool devmem_thrash_is(const struct devmem_thrash_entry *e, __u32 k)
{
	return e->window_max > k;
}
/*
 * The runs of thrashing pages of s at threshold k, most bounces first
 * (ties: lower tgid, lower address); *out is malloc'ed. 0 or -ENOMEM.
 */
int devmem_thrash_runs(const struct devmem_snapshot *s, __u32 k, struct devmem_thrash_run **out,
		       size_t *n);
/* sums per process (tgid, start_ns) or, with device, per device name; k threshold */
void devmem_thrash_sum_process(const struct devmem_snapshot *s, __u32 k, __u32 tgid,
			       __u64 start_ns, struct devmem_thrash_sum *out);
void devmem_thrash_sum_device(const struct devmem_snapshot *s, __u32 k, const char *device,
			      struct devmem_thrash_sum *out);
void devmem_thrash_sum_all(const struct devmem_snapshot *s, __u32 k, struct devmem_thrash_sum *out);
/* the device name of a pagemap start, as the snapshot's ranges name it; "" if unknown */
const char *devmem_snapshot_range_device(const struct devmem_snapshot *s, __u64 range);

/* the threshold K a view applies: k, else the snapshot's, else the default */
__u32 devmem_thrash_k(const struct devmem_snapshot *s, __u32 k);

#endif /* DEVMEM_RENDER_THRASH_RUNS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fentry/fexit fallback computes itself where the tracepoints
 * carry it: pages in use at a remove, pages a migrate window moved.
 */
#ifndef DEVMEM_FALLBACK_BPF_H
#define DEVMEM_FALLBACK_BPF_H

#include "tables.bpf.h"

/* Loop bound of the fallback's migrate window walk (pages). */
#define MIGRATE_WINDOW_MAX	65536	/* src entries the fallback reads (256 MiB) */

/*
 * The pages of a pagemap in use at its remove, for the fallback (the
 * tracepoint carries the count): free device private and coherent pages
 * have a zero refcount, so the pages in use are those with another. One
 * probe read per page, at a remove only; a pagemap beyond the bpf_loop()
 * bound (8M pages, 32 GiB) is reported unknown. The walk's state lives in
 * a per-CPU map for the reason count_scratch below gives.
 */
struct inuse_state {
	__u64 first_page;	/* address of the struct page of the range's first pfn */
	__u64 in_use;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct inuse_state);
} inuse_scratch SEC(".maps");

#define INUSE_MAX_PAGES	(1U << 23)

static long inuse_page(__u32 i, void *data)
{
	struct inuse_state *st;
	__u32 zero = 0;
	int ref = 0;

	st = bpf_map_lookup_elem(&inuse_scratch, &zero);
	if (!st)
		return 1;
	if (bpf_probe_read_kernel(&ref, sizeof(ref),
				  (const void *)(st->first_page + (__u64)i * bpf_core_type_size(struct page) +
						 bpf_core_field_offset(struct page, _refcount))))
		return 1;
	if (ref)
		st->in_use++;
	return 0;
}

static __noinline __u64 pgmap_in_use(const struct dev_pagemap *pgmap)
{
	const struct range *rg = (const void *)pgmap + bpf_core_field_offset(struct dev_pagemap, ranges);
	struct inuse_state *st;
	__u64 start, end, n, total = 0;
	__u32 zero = 0, i, nr = BPF_CORE_READ(pgmap, nr_range);

	for (i = 0; i < DEVMEM_MAX_RANGES && i < nr; i++) {
		start = BPF_CORE_READ(&rg[i], start);
		end = BPF_CORE_READ(&rg[i], end);
		if (end < start)
			continue;
		n = (end - start + 1) >> page_shift;
		if (n > INUSE_MAX_PAGES)
			return DEVMEM_UNKNOWN;
		st = bpf_map_lookup_elem(&inuse_scratch, &zero);
		if (!st)
			return DEVMEM_UNKNOWN;
		st->first_page = (__u64)pfn_to_page(start >> page_shift);
		st->in_use = 0;
		bpf_loop(n, inuse_page, NULL, 0);
		total += st->in_use;
	}
	return total;
}

/*
 * State of one migrate-window count. It lives in a per-CPU map rather than
 * on the stack: values read from a map are unknown to the verifier, so the
 * bpf_loop() callback below verifies once instead of once per constant the
 * counter could hold (v6.7+ verifiers walk callbacks like loops).
 */
struct count_state {
	__u64 src;
	__u64 migrated;
	__u64 first_idx;
	__u64 first_valid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct count_state);
} count_scratch SEC(".maps");

/* bpf_loop() callback: one src entry of a migrate window */
static long count_entry(__u32 i, void *data)
{
	struct count_state *c;
	__u32 zero = 0;
	unsigned long v;

	c = bpf_map_lookup_elem(&count_scratch, &zero);
	if (!c)
		return 1;
	if (bpf_probe_read_kernel(&v, sizeof(v), (const unsigned long *)c->src + i))
		return 1;
	if (!c->first_valid && (v & DEVMEM_MIGRATE_PFN_VALID))
		c->first_valid = v;
	if (v & DEVMEM_MIGRATE_PFN_MIGRATE) {
		if (c->first_idx == ~0ULL)
			c->first_idx = i;
		c->migrated++;
	}
	return 0;
}

/*
 * Count the src entries that still have MIGRATE_PFN_MIGRATE after the
 * migration (those really moved) and remember the first valid and the
 * first migrated entry (to find the device pagemap). bpf_loop() keeps the
 * verifier's work independent of the window size; this is the fallback
 * only (the devmem_migrate tracepoint carries the counts).
 */
static __always_inline __u64 count_migrated(const unsigned long *src, __u64 npages,
					    unsigned long *first_valid, __u64 *first_idx)
{
	struct count_state *c;
	__u32 zero = 0;

	*first_valid = 0;
	*first_idx = ~0ULL;
	c = bpf_map_lookup_elem(&count_scratch, &zero);
	if (!c || !src || !npages)
		return 0;
	c->src = ptr_value(src);
	c->migrated = 0;
	c->first_idx = ~0ULL;
	c->first_valid = 0;
	if (npages > MIGRATE_WINDOW_MAX) {
		count_lost(DEVMEM_LOST_MIGRATE_TRUNC);
		npages = MIGRATE_WINDOW_MAX;
	}
	bpf_loop(npages, count_entry, NULL, 0);
	*first_valid = c->first_valid;
	*first_idx = c->first_idx;
	return c->migrated;
}

static __always_inline const struct dev_pagemap *mpfn_pgmap(unsigned long mpfn)
{
	if (!(mpfn & DEVMEM_MIGRATE_PFN_VALID))
		return NULL;
	return page_pgmap(pfn_to_page(mpfn >> DEVMEM_MIGRATE_PFN_SHIFT), false);
}


#endif /* DEVMEM_FALLBACK_BPF_H */

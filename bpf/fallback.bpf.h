/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fentry/fexit fallback computes itself where the tracepoints
 * carry it: pages in use at a remove, pages and folios a migrate window
 * moved. Nothing here walks a device: the in-use count reads the
 * pagemap's reference count (a loop over CPUs), an eviction is counted
 * folio by folio as the core migrates them, and only a migrate_vma()
 * window, whose size its driver chooses, is walked.
 */
#ifndef DEVMEM_FALLBACK_BPF_H
#define DEVMEM_FALLBACK_BPF_H

#include "tables.bpf.h"

/* ---- pages in use at a remove -------------------------------------------- */

/*
 * A device private or coherent pagemap holds one reference of pgmap->ref
 * for each page handed out and not freed, on top of the one it was made
 * with (zone_device_page_init() takes 2^order, free_zone_device_folio()
 * gives them back); at memunmap_pages() entry, before percpu_ref_kill(),
 * the count is still spread over the CPUs: the atomic part holds
 * PERCPU_COUNT_BIAS plus what was moved there, each CPU its share. The
 * per-CPU shares are read through __per_cpu_offset, a loop as long as the
 * machine has CPUs. A transient get_dev_pagemap() reference counts as a
 * page, as it does in the tracepoint's figure.
 */
extern const void __per_cpu_offset __ksym __weak;
extern const void nr_cpu_ids __ksym __weak;

#define DEVMEM_PERCPU_REF_ATOMIC_DEAD	3UL
#define DEVMEM_PERCPU_COUNT_BIAS	(1UL << 63)
#define DEVMEM_MAX_CPUS			8192

struct refs_state {
	__u64 counts;		/* the per-CPU counters' address (percpu_count_ptr) */
	__u64 offsets;		/* &__per_cpu_offset[0] */
	__u64 sum;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct refs_state);
} refs_scratch SEC(".maps");

static long refs_cpu(__u32 cpu, void *data)
{
	struct refs_state *st;
	__u32 zero = 0;
	__u64 off = 0, v = 0;

	st = bpf_map_lookup_elem(&refs_scratch, &zero);
	if (!st)
		return 1;
	if (bpf_probe_read_kernel(&off, sizeof(off), (const void *)(st->offsets + cpu * 8ULL)))
		return 1;
	if (!bpf_probe_read_kernel(&v, sizeof(v), (const void *)(st->counts + off)))
		st->sum += v;
	return 0;
}

static __noinline __u64 pgmap_in_use(const struct dev_pagemap *pgmap)
{
	struct refs_state *st;
	__u64 ptr, count, total;
	__u32 zero = 0, ncpus = 0;

	if (!pgmap)
		return DEVMEM_UNKNOWN;
	ptr = BPF_CORE_READ(pgmap, ref.percpu_count_ptr);
	count = BPF_CORE_READ(pgmap, ref.data, count.counter);
	if (ptr & DEVMEM_PERCPU_REF_ATOMIC_DEAD) {
		total = count;
	} else {
		if (!&__per_cpu_offset || !&nr_cpu_ids)
			return DEVMEM_UNKNOWN;
		bpf_probe_read_kernel(&ncpus, sizeof(ncpus), &nr_cpu_ids);
		st = bpf_map_lookup_elem(&refs_scratch, &zero);
		if (!st || !ncpus || ncpus > DEVMEM_MAX_CPUS)
			return DEVMEM_UNKNOWN;
		st->counts = ptr;
		st->offsets = ptr_value(&__per_cpu_offset);
		st->sum = 0;
		if (bpf_loop(ncpus, refs_cpu, NULL, 0) != ncpus)
			return DEVMEM_UNKNOWN;
		total = count - DEVMEM_PERCPU_COUNT_BIAS + st->sum;
	}
	/* the reference the pagemap was made with is not a page's */
	return (__s64)total > 0 ? total - 1 : 0;
}

/* ---- a migrate_vma() window -------------------------------------------- */

/* Loop bound of the window walk: entries of one migrate_vma() call. */
#define MIGRATE_WINDOW_MAX	65536	/* src entries the fallback reads (256 MiB) */
/* entries read at once: one probe read, then a plain scan of the copy */
#define COUNT_CHUNK		64

/*
 * State of one migrate-window count. It lives in a per-CPU map rather than
 * on the stack: values read from a map are unknown to the verifier, so the
 * bpf_loop() callback below verifies once instead of once per constant the
 * counter could hold (v6.7+ verifiers walk callbacks like loops).
 */
struct count_state {
	__u64 src;
	__u64 npages;
	__u64 migrated;		/* pages */
	__u64 first_idx;
	__u64 first_valid;
	__u64 folios[DEVMEM_ORDERS];	/* folios moved, by order */
	__u32 order;		/* of the first moved entry */
	__u32 pad;
	unsigned long chunk[COUNT_CHUNK];	/* the entries being scanned */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct count_state);
} count_scratch SEC(".maps");

static __always_inline __u32 order_bucket(__u32 order)
{
	return order < DEVMEM_ORDERS ? order : DEVMEM_ORDERS - 1;
}

/*
 * One src entry of a migrate window, at index i. A MIGRATE_PFN_COMPOUND
 * entry (v7.x) stands for its whole folio: the entries after it are empty,
 * and its pages are the folio's.
 */
static __always_inline void count_one(struct count_state *c, __u64 i, unsigned long v)
{
	__u32 order = 0;

	if (!c->first_valid && (v & DEVMEM_MIGRATE_PFN_VALID))
		c->first_valid = v;
	if (!(v & DEVMEM_MIGRATE_PFN_MIGRATE))
		return;
	if ((v & DEVMEM_MIGRATE_PFN_COMPOUND) && (v & DEVMEM_MIGRATE_PFN_VALID))
		order = folio_order(pfn_to_page(v >> DEVMEM_MIGRATE_PFN_SHIFT));
	if (c->first_idx == ~0ULL) {
		c->first_idx = i;
		c->order = order;
	}
	c->migrated += 1ULL << order;
	c->folios[order_bucket(order)]++;
}

/*
 * bpf_loop() callback: the k-th chunk of COUNT_CHUNK entries, copied with
 * one probe read and scanned in the copy (a probe read an entry cost about
 * ten times as much: 0.2 us an entry at 1 ns an instruction).
 */
static long count_chunk(__u32 k, void *data)
{
	struct count_state *c;
	__u32 zero = 0, n;
	__u64 base = (__u64)k * COUNT_CHUNK;

	c = bpf_map_lookup_elem(&count_scratch, &zero);
	if (!c || base >= c->npages)
		return 1;
	n = c->npages - base < COUNT_CHUNK ? c->npages - base : COUNT_CHUNK;
	if (n > COUNT_CHUNK)	/* for the verifier: the size is bounded */
		return 1;
	if (bpf_probe_read_kernel(c->chunk, n * sizeof(c->chunk[0]),
				  (const unsigned long *)c->src + base))
		return 1;
	for (__u32 j = 0; j < COUNT_CHUNK; j++) {
		if (j >= n)
			break;
		count_one(c, base + j, c->chunk[j]);
	}
	return 0;
}

/*
 * Count the src entries that still have MIGRATE_PFN_MIGRATE after the
 * migration (those really moved), as pages and as folios by order, and
 * remember the first valid and the first migrated entry (to find the
 * device pagemap). bpf_loop() keeps the verifier's work independent of the
 * window size.
 */
static __always_inline struct count_state *count_migrated(const unsigned long *src, __u64 npages)
{
	struct count_state *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&count_scratch, &zero);
	if (!c)
		return NULL;
	__builtin_memset(c, 0, offsetof(struct count_state, chunk));
	c->src = ptr_value(src);
	c->first_idx = ~0ULL;
	if (!src || !npages)
		return c;
	if (npages > MIGRATE_WINDOW_MAX) {
		count_lost(DEVMEM_LOST_MIGRATE_TRUNC);
		npages = MIGRATE_WINDOW_MAX;
	}
	c->npages = npages;
	bpf_loop((npages + COUNT_CHUNK - 1) / COUNT_CHUNK, count_chunk, NULL, 0);
	return c;
}

static __always_inline const struct dev_pagemap *mpfn_pgmap(unsigned long mpfn)
{
	if (!(mpfn & DEVMEM_MIGRATE_PFN_VALID))
		return NULL;
	return page_pgmap(pfn_to_page(mpfn >> DEVMEM_MIGRATE_PFN_SHIFT), false);
}

#endif /* DEVMEM_FALLBACK_BPF_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The range table: one entry per live pagemap with a slot of the
 * per-range tables, learnt at its add, at start or at its first event.
 */
#ifndef DEVMEM_RANGES_BPF_H
#define DEVMEM_RANGES_BPF_H

#include "tables.bpf.h"

/* ---- ranges --------------------------------------------------------------- */

static __always_inline bool followed_type(__u32 type)
{
	return type == DEVMEM_TYPE_PRIVATE || type == DEVMEM_TYPE_COHERENT;
}

static __always_inline void fill_range(struct devmem_range *r, const struct dev_pagemap *pgmap)
{
	__u64 pages = 0, start, end;
	__u32 i, nr;
	const struct range *rg;

	r->pgmap = (__u64)pgmap;
	r->owner = (__u64)BPF_CORE_READ(pgmap, owner);
	r->type = BPF_CORE_READ(pgmap, type);
	r->start = BPF_CORE_READ(pgmap, range.start);
	r->end = BPF_CORE_READ(pgmap, range.end);
	nr = BPF_CORE_READ(pgmap, nr_range);
	r->nr_range = nr;
	rg = (const void *)pgmap + bpf_core_field_offset(struct dev_pagemap, ranges);
	for (i = 0; i < DEVMEM_MAX_RANGES && i < nr; i++) {
		start = BPF_CORE_READ(&rg[i], start);
		end = BPF_CORE_READ(&rg[i], end);
		if (end >= start)
			pages += (end - start + 1) >> page_shift;
	}
	r->nr_pages = pages;
	r->nid = ~0U;
	r->in_use_at_remove = DEVMEM_UNKNOWN;
}

static __always_inline __u32 cache_index(__u64 start)
{
	return ((__u32)(start >> 21) * 2654435761U) >> (32 - 12);
}

_Static_assert(DEVMEM_RANGE_CACHE == 1 << 12, "cache_index() takes 12 bits");
_Static_assert(DEVMEM_RANGE_SLOTS <= 1 << 9, "a cache entry holds 9 bits of slot");

static __always_inline void cache_put(__u64 start, __u32 slot)
{
	__u32 idx = cache_index(start);
	__u64 *e = bpf_map_lookup_elem(&range_cache, &idx);

	if (e)
		*e = (start >> page_shift) << 9 | slot;
}

/*
 * Tell user space of a new range at once (notices ring), so that it names
 * the range from /proc/iomem while the range is there: a driver that adds
 * and removes a pagemap between two reads would leave it nameless. A full
 * ring only delays the name to the next read.
 */
static __always_inline void range_announce(const struct devmem_range *r)
{
	struct devmem_range_notice *rec = bpf_ringbuf_reserve(&notices, sizeof(*rec), 0);

	if (!rec)
		return;
	rec->type = DEVMEM_NOTICE_RANGE;
	rec->pad = 0;
	rec->r = *r;
	bpf_ringbuf_submit(rec, 0);
}

/*
 * Learn the pagemap of an event (or of an add, or of the probe at start):
 * a new entry with a free slot. Returns the slot, DEVMEM_RANGE_IGNORED for
 * a type that is not followed, or -1 when no slot is left.
 */
static __noinline int range_learn(const struct dev_pagemap *pgmap, __u32 flags, __u32 nid,
				  __u64 ts)
{
	struct devmem_range r = {}, *old;
	__u32 slot;
	int err;	/* helpers return int: a 64-bit compare would miss -E2BIG on v6.1 */

	fill_range(&r, pgmap);
	if (!followed_type(r.type)) {
		cache_put(r.start, DEVMEM_RANGE_IGNORED);
		return DEVMEM_RANGE_IGNORED;
	}
	old = bpf_map_lookup_elem(&ranges, &r.start);
	if (old) {
		if (!old->removed_ns) {
			/* the probe at start and an add raced: one range */
			old->flags |= flags;
			if (flags & DEVMEM_RANGE_F_ADDED) {
				old->added_ns = ts;
				old->nid = nid;
			}
			cache_put(r.start, old->slot);
			return old->slot;
		}
		/* a removed range not read yet: keep it aside for user space */
		err = bpf_map_update_elem(&ranges_retired, &old->gen, old, BPF_NOEXIST);
		if (err)
			count_insert_failure(err, DEVMEM_LOST_RANGES_FULL);
		bpf_map_delete_elem(&ranges, &r.start);
	}
	if (bpf_map_pop_elem(&free_slots, &slot)) {
		count_lost(DEVMEM_LOST_RANGES_FULL);
		return -1;
	}
	slot &= DEVMEM_RANGE_SLOTS - 1;
	r.slot = slot;
	r.gen = next_seq();
	r.flags = flags;
	if (flags & DEVMEM_RANGE_F_ADDED) {
		r.added_ns = ts;
		r.nid = nid;
	}
	err = bpf_map_update_elem(&ranges, &r.start, &r, BPF_NOEXIST);
	if (err) {
		bpf_map_push_elem(&free_slots, &slot, 0);
		old = bpf_map_lookup_elem(&ranges, &r.start);
		if (old)
			return old->slot;	/* learnt on another CPU meanwhile */
		count_insert_failure(err, DEVMEM_LOST_RANGES_FULL);
		return -1;
	}
	cache_put(r.start, slot);
	range_announce(&r);
	return slot;
}

/*
 * remove_done: no page of the range is left, so no event can name it again.
 * Its entry moves aside (keyed by gen, so a new pagemap at the same start
 * cannot meet it) for user space to take its last figures and free its
 * slot. With the aside table full the entry stays where it is, done, and
 * user space takes it from there.
 */
static __noinline int range_retire(struct devmem_range *rp)
{
	struct devmem_range r = *rp;
	__u32 idx = cache_index(r.start);
	__u64 *e;
	int err;	/* helpers return int: a 64-bit compare would miss -E2BIG on v6.1 */

	err = bpf_map_update_elem(&ranges_retired, &r.gen, &r, BPF_NOEXIST);
	if (err) {
		count_insert_failure(err, DEVMEM_LOST_RANGES_FULL);
		return 0;
	}
	bpf_map_delete_elem(&ranges, &r.start);
	e = bpf_map_lookup_elem(&range_cache, &idx);
	if (e && (*e >> 9) == r.start >> page_shift)
		*e = 0;
	return 0;
}

/* slot of a pagemap: one array load when cached; -1 if none */
static __always_inline int range_slot(const struct dev_pagemap *pgmap, bool fast)
{
	__u64 start, *e;
	__u32 idx;

	if (!pgmap)
		return -1;
	start = DEVMEM_READ(fast, struct dev_pagemap, pgmap, range.start);
	idx = cache_index(start);
	e = bpf_map_lookup_elem(&range_cache, &idx);
	if (e && *e && (*e >> 9) == start >> page_shift)
		return *e & 0x1ff;
	return range_learn(pgmap, DEVMEM_RANGE_F_LEARNT, ~0U, 0);
}

/* the counter sets of an event; range_slot() result, tgid 0 for none */

#endif /* DEVMEM_RANGES_BPF_H */

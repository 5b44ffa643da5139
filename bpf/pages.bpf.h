/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The handlers of pagemap and device page events, shared by every
 * attachment mode.
 */
#ifndef DEVMEM_PAGES_BPF_H
#define DEVMEM_PAGES_BPF_H

#include "procs.bpf.h"

/* ---- pagemaps ---------------------------------------------------------- */

static __always_inline int on_pagemap_add(const struct dev_pagemap *pgmap, __u32 nid)
{
	struct devmem_range *rp;
	struct devmem_event *e;
	struct ctrs c;
	__u64 key, ts = bpf_ktime_get_ns();
	int slot;

	if (!pgmap || pgmap_filtered(pgmap, false))
		return 0;
	slot = range_learn(pgmap, DEVMEM_RANGE_F_ADDED, nid, ts);
	if (slot == DEVMEM_RANGE_IGNORED)
		return 0;
	get_ctrs(&c, slot, 0);
	CTR_ADD(&c, adds, 1);
	e = stream_reserve(DEVMEM_EV_PAGEMAP_ADD, ts, pgmap, false);
	if (e) {
		key = BPF_CORE_READ(pgmap, range.start);
		rp = bpf_map_lookup_elem(&ranges, &key);
		if (rp) {
			e->range_end = rp->end;
			e->npages = rp->nr_pages;
		}
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

static __always_inline int on_pagemap_remove(const struct dev_pagemap *pgmap, __u64 in_use)
{
	struct devmem_range *rp;
	struct devmem_event *e;
	struct ctrs c;
	__u64 key, ts = bpf_ktime_get_ns();
	int slot;

	if (!pgmap || pgmap_filtered(pgmap, false))
		return 0;
	/* added before tracing started and never touched: learn it now */
	slot = range_slot(pgmap, false);
	if (slot == DEVMEM_RANGE_IGNORED)
		return 0;
	key = BPF_CORE_READ(pgmap, range.start);
	rp = bpf_map_lookup_elem(&ranges, &key);
	if (rp) {
		rp->removed_ns = ts;
		rp->in_use_at_remove = in_use;
	}
	get_ctrs(&c, slot, 0);
	CTR_ADD(&c, removes, 1);
	if (in_use != DEVMEM_UNKNOWN)
		CTR_ADD(&c, refs_waited, in_use);
	e = stream_reserve(DEVMEM_EV_PAGEMAP_REMOVE, ts, pgmap, false);
	if (e) {
		if (rp) {
			e->range_end = rp->end;
			e->npages = rp->nr_pages;
		}
		e->in_use = in_use;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

static __always_inline int on_pagemap_remove_done(const struct dev_pagemap *pgmap)
{
	struct devmem_range *rp;
	struct devmem_event *e;
	__u64 key, ts = bpf_ktime_get_ns(), wait;

	if (!pgmap || pgmap_filtered(pgmap, false))
		return 0;
	key = BPF_CORE_READ(pgmap, range.start);
	rp = bpf_map_lookup_elem(&ranges, &key);
	if (!rp || !rp->removed_ns) {
		if (!filter_owner)
			count_tally(DEVMEM_UNMATCHED_REMOVE_DONE);
		return 0;
	}
	rp->remove_done_ns = ts;
	wait = ts - rp->removed_ns;
	hist_add(DEVMEM_HIST_REMOVE_WAIT, wait, rp->slot, 0);
	e = stream_reserve(DEVMEM_EV_PAGEMAP_REMOVE_DONE, ts, pgmap, false);
	if (e) {
		e->range_end = rp->end;
		e->npages = rp->nr_pages;
		e->latency_ns = wait;
		bpf_ringbuf_submit(e, 0);
	}
	range_retire(rp);
	return 0;
}


/* ---- device pages -------------------------------------------------------- */

static __always_inline struct life_slot *life_slot_of(__u64 pfn)
{
	__u32 idx = pfn & (LIFE_SLOTS - 1);

	return bpf_map_lookup_elem(&page_alloc_ts, &idx);
}

static __always_inline __u64 order_pages(__u32 order)
{
	return order < 20 ? 1ULL << order : 1;
}

/*
 * A folio of 2^order pages handed out. pfn: its head's, computed by the
 * entry point (a raw_tp argument is a number already; a BTF pointer has to
 * be read back first).
 */
static __always_inline int on_page_alloc(const void *page, __u64 pfn, __u32 order, bool fast)
{
	const struct dev_pagemap *pgmap;
	struct devmem_event *e;
	struct life_slot *ls;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), ts, npages = order_pages(order);
	__u32 tgid = id >> 32;
	int slot;

	if (tgid_filtered(tgid))
		return 0;
	pgmap = page_pgmap(page, fast);
	if (pgmap_filtered(pgmap, fast))
		return 0;
	slot = range_slot(pgmap, fast);
	ts = bpf_ktime_get_ns();
	ls = life_slot_of(pfn);
	if (ls) {
		/* a live folio 1 GiB away holds the slot: its lifetime is lost */
		if (ls->ts && ls->pfn != pfn)
			count_lost(DEVMEM_LOST_ALLOC_TS_FULL);
		ls->pfn = pfn;
		ls->ts = ts;
		ls->order = order;
		ls->left = npages;
	}
	get_ctrs(&c, slot, tgid);
	CTR_ADD(&c, allocs, npages);
	FOLIO_ADD(slot, allocs, order, 1);
	e = stream_reserve(DEVMEM_EV_PAGE_ALLOC, ts, pgmap, fast);
	if (e) {
		e->pfn = pfn;
		e->npages = npages;
		e->order = order;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

/*
 * The slot of the folio a freed one came from: its own, or, for a piece of
 * a large folio split after its alloc, the PMD-aligned head's. NULL when
 * the folio was handed out before tracing started.
 */
static __always_inline struct life_slot *life_slot_freed(__u64 pfn)
{
	struct life_slot *ls = life_slot_of(pfn);
	__u64 head = pfn & ~((1ULL << LIFE_HEAD_ORDER) - 1);

	if (ls && ls->ts && ls->pfn == pfn)
		return ls;
	if (head == pfn)
		return NULL;
	ls = life_slot_of(head);
	if (ls && ls->ts && ls->pfn == head && ls->order >= LIFE_HEAD_ORDER)
		return ls;
	return NULL;
}

static __always_inline int on_page_free(const void *page, __u64 pfn, __u32 order,
					bool check_type, bool fast)
{
	const struct dev_pagemap *pgmap;
	struct devmem_event *e;
	struct life_slot *ls;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), ts, life = 0, npages = order_pages(order);
	__u32 tgid = id >> 32;
	bool timed = false;
	int slot;

	pgmap = page_pgmap(page, fast);
	if (!pgmap && check_type)
		return 0;
	/* the fallback also sees fsdax/p2pdma/generic pages: their slot says ignored */
	slot = range_slot(pgmap, fast);
	if (slot == DEVMEM_RANGE_IGNORED)
		return 0;
	if (pgmap_filtered(pgmap, fast))
		return 0;
	ts = bpf_ktime_get_ns();
	ls = life_slot_freed(pfn);
	if (ls) {
		life = ts - ls->ts;
		timed = true;
		if (ls->left > npages)
			ls->left -= npages;
		else
			ls->ts = 0;
	}
	/*
	 * Events belong to the process they happen in, frees too; a page of
	 * the filtered process freed elsewhere is forgotten.
	 */
	if (tgid_filtered(tgid))
		return 0;
	/* a slot taken over by another folio was counted as lost already */
	if (!timed) {
		ls = life_slot_of(pfn);
		if (!(ls && ls->ts))
			count_tally(DEVMEM_UNMATCHED_FREE);
	}
	get_ctrs(&c, slot, tgid);
	CTR_ADD(&c, frees, npages);
	FOLIO_ADD(slot, frees, order, 1);
	if (timed)
		hist_add(DEVMEM_HIST_PAGE_LIFETIME, life, slot, tgid);
	e = stream_reserve(DEVMEM_EV_PAGE_FREE, ts, pgmap, fast);
	if (e) {
		e->pfn = pfn;
		e->npages = npages;
		e->order = order;
		e->latency_ns = life;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

#endif /* DEVMEM_PAGES_BPF_H */

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

/*
 * pfn: the page's pfn, computed by the entry point (a raw_tp argument is a
 * number already; a BTF pointer has to be read back first).
 */
static __always_inline int on_page_alloc(const void *page, __u64 pfn, __u64 npages, bool fast)
{
	const struct dev_pagemap *pgmap;
	struct devmem_event *e;
	struct life_slot *ls;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), ts;
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
		/* a live page 1 GiB away holds the slot: its lifetime is lost */
		if (ls->ts && ls->pfn != pfn)
			count_lost(DEVMEM_LOST_ALLOC_TS_FULL);
		ls->pfn = pfn;
		ls->ts = ts;
	}
	get_ctrs(&c, slot, tgid);
	CTR_ADD(&c, allocs, npages);
	e = stream_reserve(DEVMEM_EV_PAGE_ALLOC, ts, pgmap, fast);
	if (e) {
		e->pfn = pfn;
		e->npages = npages;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

static __always_inline int on_page_free(const void *page, __u64 pfn, __u64 npages,
					bool check_type, bool fast)
{
	const struct dev_pagemap *pgmap;
	struct devmem_event *e;
	struct life_slot *ls;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), ts, life = 0;
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
	ls = life_slot_of(pfn);
	if (ls && ls->ts && ls->pfn == pfn) {
		life = ts - ls->ts;
		ls->ts = 0;
		timed = true;
	}
	/*
	 * Events belong to the process they happen in, frees too; a page of
	 * the filtered process freed elsewhere is forgotten.
	 */
	if (tgid_filtered(tgid))
		return 0;
	/* a slot taken over by another page was counted as lost already */
	if (!timed && !(ls && ls->ts))
		count_tally(DEVMEM_UNMATCHED_FREE);
	get_ctrs(&c, slot, tgid);
	CTR_ADD(&c, frees, npages);
	if (timed)
		hist_add(DEVMEM_HIST_PAGE_LIFETIME, life, slot, tgid);
	e = stream_reserve(DEVMEM_EV_PAGE_FREE, ts, pgmap, fast);
	if (e) {
		e->pfn = pfn;
		e->npages = npages;
		e->latency_ns = life;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}


#endif /* DEVMEM_PAGES_BPF_H */

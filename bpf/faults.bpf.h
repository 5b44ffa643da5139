/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The handlers of faults and migrations, shared by every attachment mode.
 */
#ifndef DEVMEM_FAULTS_BPF_H
#define DEVMEM_FAULTS_BPF_H

#include "procs.bpf.h"
#include "stacks.bpf.h"
#include "thrash.bpf.h"

/* ---- faults -------------------------------------------------------------- */

/*
 * A fault is described by the tracepoint's struct vm_fault (vmf) or, on the
 * fallback, by the driver's struct migrate_vma (margs); fields only a
 * streamed record needs are read only when it is streamed. fast: see
 * DEVMEM_READ.
 */
static __always_inline __u64 fault_address(const void *vmf, const void *margs, bool fast)
{
	if (vmf)
		return DEVMEM_READ(fast, struct vm_fault, vmf, address);
	return margs ? DEVMEM_READ(fast, struct migrate_vma, margs, start) : 0;
}

/* the start time of the current process, from its entry when it has one */
static __always_inline int on_fault(void *ctx, const void *page, const void *vmf,
				    const void *margs, __u32 order, bool fast)
{
	struct devmem_fault_start *st;
	struct devmem_event *e;
	const struct dev_pagemap *pgmap;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), ts, start_ns = 0;
	__u32 tgid = id >> 32;
	int slot, stackid = -1;

	if (tgid_filtered(tgid))
		return 0;
	pgmap = page_pgmap(page, fast);
	if (pgmap_filtered(pgmap, fast))
		return 0;
	slot = range_slot(pgmap, fast);
	get_ctrs(&c, slot, tgid);
	CTR_ADD(&c, faults, 1);
	if (thrash_window_ns || fault_stacks)
		start_ns = cur_proc_start(&c);
	if (fault_stacks)
		stackid = stack_capture(ctx, tgid, start_ns);
	ts = bpf_ktime_get_ns();
	st = bpf_task_storage_get(&fault_start, bpf_get_current_task_btf(), NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (st) {
		st->ts_ns = ts;
		st->slot = slot;
		st->migrated = 0;
		st->collected = 0;
		st->calls = 0;
		st->stackid = stackid;
		st->proc_start_ns = start_ns;
		if (thrash_window_ns) {
			st->address = fault_address(vmf, margs, fast);
			st->range = pgmap ? DEVMEM_READ(fast, struct dev_pagemap, pgmap,
							range.start) : 0;
		}
	} else {
		count_lost(DEVMEM_LOST_FAULT_TS_FULL);
	}
	e = stream_reserve(DEVMEM_EV_FAULT, ts, pgmap, fast);
	if (e) {
		e->address = fault_address(vmf, margs, fast);
		e->pfn = page ? page_to_pfn(page) : 0;
		/* the fallback starts a fault at migrate_vma_setup(): no vm_fault there */
		e->write = vmf ? !!(DEVMEM_READ(fast, struct vm_fault, vmf, flags) &
				    DEVMEM_FAULT_FLAG_WRITE) : DEVMEM_WRITE_UNKNOWN;
		e->order = order;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

/* the device page was locked by another (a migration of it): the access faults again */
static __always_inline int on_fault_busy(const void *page, bool fast)
{
	const struct dev_pagemap *pgmap;
	struct ctrs c;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (tgid_filtered(tgid))
		return 0;
	pgmap = page_pgmap(page, fast);
	if (pgmap_filtered(pgmap, fast))
		return 0;
	get_ctrs(&c, range_slot(pgmap, fast), tgid);
	CTR_ADD(&c, faults_busy, 1);
	return 0;
}


/* order: of the mapping that faulted (0 a PTE, 9 a PMD), as far as the entry point knows */
static __always_inline int on_fault_done(const void *vmf, const void *margs, __u64 ret,
					 bool failed, __u32 order, bool fast, bool only_started)
{
	const void *page;
	struct devmem_fault_start *st;
	struct thrash_note n;
	struct devmem_event *e;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), ts, lat;
	__u32 tgid = id >> 32;
	__u64 migrated, fault_addr;
	const struct dev_pagemap *pgmap;
	int slot;

	if (tgid_filtered(tgid))
		return 0;
	st = bpf_task_storage_get(&fault_start, bpf_get_current_task_btf(), NULL, 0);
	if (!st || !st->ts_ns) {
		/* only_started: every swap fault ends here, few are ours */
		if (!filter_owner && !only_started)
			count_tally(DEVMEM_UNMATCHED_FAULT_DONE);
		return 0;
	}
	ts = bpf_ktime_get_ns();
	lat = ts - st->ts_ns;
	slot = st->slot;
	migrated = st->migrated;
	/* read apart from vmf's: one load may not take a map value or a kernel pointer */
	fault_addr = st->address;
	barrier_var(fault_addr);
	st->ts_ns = 0;			/* the thread is out of its fault */

	get_ctrs(&c, slot, tgid);
	if (failed)
		CTR_ADD(&c, fault_errors, 1);
	if (vmf && (ret & DEVMEM_VM_FAULT_RETRY))
		CTR_ADD(&c, faults_retry, 1);
	if (order)
		CTR_ADD(&c, faults_pmd, 1);
	if (!migrated) {
		CTR_ADD(&c, faults_wasted, 1);
		if (!st->collected)
			CTR_ADD(&c, faults_uncollected, 1);
		else
			CTR_ADD(&c, faults_unmigrated, 1);
	}
	hist_add(DEVMEM_HIST_FAULT_LATENCY, lat, slot, tgid);
	if (fault_stacks && st->stackid >= 0)
		stack_fault_end(lat);
	if (thrash_window_ns) {
		n.ts = ts;
		n.lat = lat;
		/* do_swap_page()'s vm_fault has the faulting address where margs has its range */
		if (vmf)
			fault_addr = DEVMEM_READ(fast, struct vm_fault, vmf, address);
		/* a PMD fault is followed at its folio's first page, weighing its pages */
		n.vpage = (fault_addr >> page_shift) & ~((1ULL << (order & 31)) - 1);
		n.pages = order < 20 ? 1U << order : 1;
		n.range = st->range;
		n.start_ns = st->proc_start_ns;
		n.tgid = tgid;
		n.bounced = migrated > 0;
		thrash_note(&n);
	}
	if (stream_mask & (1U << DEVMEM_EV_FAULT_DONE)) {
		e = stream_reserve(DEVMEM_EV_FAULT_DONE, ts, NULL, fast);
		if (e) {
			page = vmf ? DEVMEM_READ(fast, struct vm_fault, vmf, page) :
				     migrate_fault_page(margs, fast);
			pgmap = page_pgmap(page, fast);
			if (pgmap) {
				e->pgmap_start = DEVMEM_READ(fast, struct dev_pagemap, pgmap,
							     range.start);
				e->owner = (__u64)DEVMEM_READ(fast, struct dev_pagemap, pgmap, owner);
			}
			e->address = fault_address(vmf, margs, fast);
			e->pfn = page ? page_to_pfn(page) : 0;
			e->write = vmf ? !!(DEVMEM_READ(fast, struct vm_fault, vmf, flags) &
					    DEVMEM_FAULT_FLAG_WRITE) : DEVMEM_WRITE_UNKNOWN;
			e->vm_fault = vmf || !fault_result_unknown ? ret : DEVMEM_UNKNOWN;
			e->migrated = migrated;
			e->latency_ns = lat;
			e->order = order;
			bpf_ringbuf_submit(e, 0);
		}
	}
	return 0;
}

/* ---- migrations ---------------------------------------------------------- */

/*
 * A migration is a window of entries (a migrate_vma() call, or a
 * migrate_device_*() eviction): counted once as a call, with the pages it
 * collected and the pages it moved, on the range of its device side. Its
 * pages move in parts (per pair of source and destination pagemaps and
 * folio order), each counted as pages and as folios on the device side's
 * range: the source for a move to RAM, the destination otherwise. owner
 * names the device where no pagemap does (every destination allocation of
 * a move to the device failed).
 */
struct mig_window {
	__u64 owner;
	__u64 address;		/* migrate->start; 0 on the device path */
	__u64 npages;		/* entries of the window */
	__u64 cpages;		/* pages collected */
	__u32 dir;		/* enum devmem_dir, from the pages selected */
	__u32 reason;		/* enum devmem_reason */
	bool fault;		/* made by a CPU fault's migrate_to_ram() */
};

static __always_inline const struct dev_pagemap *
device_side(const struct dev_pagemap *src_pgmap, const struct dev_pagemap *dst_pgmap, __u32 dir)
{
	if (dir == DEVMEM_TO_RAM)
		return src_pgmap ? src_pgmap : dst_pgmap;
	return dst_pgmap ? dst_pgmap : src_pgmap;
}

/* the window as a call: pages collected, fault calls */
static __always_inline void mig_window_count(const struct mig_window *w, int slot, __u32 tgid)
{
	struct devmem_fault_start *st;
	struct ctrs c;

	get_ctrs(&c, slot, tgid);
	if (w->dir == DEVMEM_TO_RAM)
		CTR_ADD(&c, migrate_calls_to_ram, 1);
	else
		CTR_ADD(&c, migrate_calls_to_device, 1);
	CTR_ADD(&c, pages_collected, w->cpages);
	if (w->fault) {
		CTR_ADD(&c, fault_migrations, 1);
		st = bpf_task_storage_get(&fault_start, bpf_get_current_task_btf(), NULL, 0);
		if (st && st->ts_ns) {
			st->collected += w->cpages;
			st->calls++;
		}
	}
}

/* a part: pages and folios of one order moved one way */
static __always_inline void mig_part_count(int slot, __u32 tgid, __u32 dir, bool fault,
					   __u64 pages, __u32 order, __u64 nr_folios)
{
	struct devmem_fault_start *st;
	struct ctrs c;

	get_ctrs(&c, slot, tgid);
	if (dir == DEVMEM_TO_RAM) {
		CTR_ADD(&c, pages_to_ram, pages);
		FOLIO_ADD(slot, to_ram, order, nr_folios);
	} else {
		CTR_ADD(&c, pages_to_device, pages);
		FOLIO_ADD(slot, to_device, order, nr_folios);
	}
	if (fault) {
		CTR_ADD(&c, fault_pages, pages);
		st = bpf_task_storage_get(&fault_start, bpf_get_current_task_btf(), NULL, 0);
		if (st && st->ts_ns)
			st->migrated += pages;
	}
}

/* a streamed record of a window, or of one part of it */
static __always_inline void mig_stream(const struct mig_window *w,
				       const struct dev_pagemap *src_pgmap,
				       const struct dev_pagemap *dst_pgmap, __u32 dir,
				       __u64 migrated, __u32 order, __u32 part, bool fast)
{
	const struct dev_pagemap *pgmap = device_side(src_pgmap, dst_pgmap, dir);
	struct devmem_event *e = stream_reserve(DEVMEM_EV_MIGRATE, bpf_ktime_get_ns(), pgmap, fast);

	if (!e)
		return;
	e->address = w->address;
	e->npages = w->npages;
	e->cpages = w->cpages;
	e->migrated = migrated;
	e->dir = dir;
	e->fault_driven = w->fault;
	e->reason = w->reason;
	e->part = part;
	e->order = order;
	if (src_pgmap)
		e->src_pgmap = DEVMEM_READ(fast, struct dev_pagemap, src_pgmap, range.start);
	if (dst_pgmap)
		e->dst_pgmap = DEVMEM_READ(fast, struct dev_pagemap, dst_pgmap, range.start);
	if (!pgmap)
		e->owner = w->owner;
	bpf_ringbuf_submit(e, 0);
}

/* filtered out by -p or -D; a window without a device pagemap goes by its owner */
static __always_inline bool mig_filtered(const struct mig_window *w,
					 const struct dev_pagemap *pgmap, __u32 tgid, bool fast)
{
	if (tgid_filtered(tgid))
		return true;
	return pgmap_filtered(pgmap, fast) && !(filter_owner && !pgmap && w->owner == filter_owner);
}

/*
 * A window seen whole at once (the fallback, and the v2 devmem_migrate
 * event, which reports a window in parts numbered from 0): the call is
 * counted at part 0, the pages of every part.
 */
static __always_inline int on_migrate(const struct mig_window *w,
				      const struct dev_pagemap *src_pgmap,
				      const struct dev_pagemap *dst_pgmap, __u64 migrated,
				      const __u64 *folios, __u32 order, __u32 part, bool fast)
{
	const struct dev_pagemap *pgmap = device_side(src_pgmap, dst_pgmap, w->dir);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	int slot;

	if (mig_filtered(w, pgmap, tgid, fast))
		return 0;
	slot = range_slot(pgmap, fast);
	if (!part)
		mig_window_count(w, slot, tgid);
	/* pages per migrate call: the v2 event counted each part */
	hist_add(DEVMEM_HIST_MIGRATE_PAGES, migrated, slot, tgid);
	if (folios) {
		/* the fallback's window: pages of every order, then its folios */
		mig_part_count(slot, tgid, w->dir, w->fault, migrated, 0, 0);
		for (__u32 k = 0; k < DEVMEM_ORDERS; k++)
			if (folios[k]) {
				if (w->dir == DEVMEM_TO_RAM)
					FOLIO_ADD(slot, to_ram, k, folios[k]);
				else
					FOLIO_ADD(slot, to_device, k, folios[k]);
			}
	} else {
		mig_part_count(slot, tgid, w->dir, w->fault, migrated, order,
			       migrated >> order);
	}
	mig_stream(w, src_pgmap, dst_pgmap, w->dir, migrated, order, part, fast);
	return 0;
}

/*
 * The zone_device events of series v3 report a migration from its start
 * (pages collected) through its parts (folios moved, per pair of pagemaps
 * and order) to its end (pages moved), all with the source array's
 * address, which pairs them: the window waits in `migrations` from start to
 * end. The call is counted at its first part, on that part's device side,
 * or at its end when nothing moved (or at its start when nothing was
 * collected: no end follows then).
 */
struct mig_state {
	struct mig_window w;
	__u64 start_ns;
	__u64 migrated;
	__s32 slot;		/* where the call was counted; -2: not yet */
	__u32 parts;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);			/* src_pfns */
	__type(value, struct mig_state);
} migrations SEC(".maps");

/* enum migrate_device_reason of the v3 series into the tools' reasons */
static __always_inline __u32 v3_reason(__u32 r)
{
	switch (r) {
	case 1: return DEVMEM_REASON_FAULT;
	case 2: return DEVMEM_REASON_DEVICE_FAULT;
	case 3: return DEVMEM_REASON_PREFETCH;
	case 4: return DEVMEM_REASON_EVICT;
	case 5: return DEVMEM_REASON_REMOVE;
	case 6: return DEVMEM_REASON_PIN;
	default: return DEVMEM_REASON_DRIVER;
	}
}

static __always_inline void mig_window_of(struct mig_window *w, const void *migrate,
					  __u64 npages, __u64 cpages, __u32 reason, bool fast)
{
	__u64 flags = 0;

	__builtin_memset(w, 0, sizeof(*w));
	if (migrate) {
		w->owner = (__u64)DEVMEM_READ(fast, struct migrate_vma, migrate, pgmap_owner);
		w->address = DEVMEM_READ(fast, struct migrate_vma, migrate, start);
		flags = DEVMEM_READ(fast, struct migrate_vma, migrate, flags);
	}
	w->npages = npages;
	w->cpages = cpages;
	/* system pages selected go to a device; device pages, and evictions, come back */
	w->dir = flags & DEVMEM_MIGRATE_VMA_SELECT_SYSTEM ? DEVMEM_TO_DEVICE : DEVMEM_TO_RAM;
	w->reason = v3_reason(reason);
	w->fault = w->reason == DEVMEM_REASON_FAULT;
}

static __always_inline int on_migrate_start(const void *migrate, __u64 src, __u64 npages,
					    __u64 nr_pages, __u32 reason, bool fast)
{
	struct mig_state m = { .slot = -2 };
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	mig_window_of(&m.w, migrate, npages, nr_pages, reason, fast);
	if (!nr_pages) {
		/* collected nothing: the migration ends here */
		if (mig_filtered(&m.w, NULL, tgid, fast))
			return 0;
		mig_window_count(&m.w, -1, tgid);
		hist_add(DEVMEM_HIST_MIGRATE_PAGES, 0, -1, tgid);
		mig_stream(&m.w, NULL, NULL, m.w.dir, 0, 0, 0, fast);
		return 0;
	}
	m.start_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&migrations, &src, &m, BPF_ANY))
		count_lost(DEVMEM_LOST_MAP_BUSY);
	return 0;
}

static __always_inline int on_migrate_folios(__u64 src, const struct dev_pagemap *src_pgmap,
					     const struct dev_pagemap *dst_pgmap, __u32 order,
					     __u64 nr_folios, bool fast)
{
	struct mig_state *m = bpf_map_lookup_elem(&migrations, &src);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	const struct dev_pagemap *pgmap;
	__u64 pages = order < 20 ? nr_folios << order : nr_folios;
	__u32 dir;
	int slot;

	if (!m) {
		count_tally(DEVMEM_UNMATCHED_MIGRATION);
		return 0;
	}
	/* the pagemaps on each side are the direction */
	dir = src_pgmap && dst_pgmap ? DEVMEM_DEVICE_TO_DEVICE :
	      src_pgmap ? DEVMEM_TO_RAM : DEVMEM_TO_DEVICE;
	pgmap = device_side(src_pgmap, dst_pgmap, dir);
	m->migrated += pages;
	if (mig_filtered(&m->w, pgmap, tgid, fast))
		return 0;
	slot = range_slot(pgmap, fast);
	if (m->slot == -2) {
		m->w.dir = dir == DEVMEM_TO_RAM ? DEVMEM_TO_RAM : DEVMEM_TO_DEVICE;
		m->slot = slot;
		mig_window_count(&m->w, slot, tgid);
	}
	mig_part_count(slot, tgid, dir, m->w.fault, pages, order, nr_folios);
	mig_stream(&m->w, src_pgmap, dst_pgmap, dir, pages, order, m->parts++, fast);
	return 0;
}

static __always_inline int on_migrate_end(__u64 src, __u64 nr_pages, bool fast)
{
	struct mig_state *m = bpf_map_lookup_elem(&migrations, &src);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!m) {
		count_tally(DEVMEM_UNMATCHED_MIGRATION);
		return 0;
	}
	if (!mig_filtered(&m->w, NULL, tgid, fast) || m->slot != -2) {
		if (m->slot == -2) {
			/* nothing moved: the call on no range, and one record of it */
			mig_window_count(&m->w, -1, tgid);
			mig_stream(&m->w, NULL, NULL, m->w.dir, 0, 0, 0, fast);
		}
		/* the histogram has the window's pages, whatever moved them */
		hist_add(DEVMEM_HIST_MIGRATE_PAGES, nr_pages, m->slot, tgid);
	}
	bpf_map_delete_elem(&migrations, &src);
	return 0;
}

#endif /* DEVMEM_FAULTS_BPF_H */

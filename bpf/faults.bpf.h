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
				    const void *margs, bool fast)
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
		stackid = stack_count(ctx, tgid, start_ns);
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
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}


static __always_inline int on_fault_done(const void *vmf, const void *margs, __u64 ret,
					 bool failed, bool fast, bool only_started)
{
	const void *page;
	struct devmem_fault_start *st;
	struct devmem_stack_value *sv;
	struct devmem_stack_key sk;
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
	if (!migrated) {
		CTR_ADD(&c, faults_wasted, 1);
		if (!st->collected)
			CTR_ADD(&c, faults_uncollected, 1);
		else
			CTR_ADD(&c, faults_unmigrated, 1);
	}
	hist_add(DEVMEM_HIST_FAULT_LATENCY, lat, slot, tgid);
	if (fault_stacks && st->stackid >= 0) {
		sk.tgid = tgid;
		sk.stackid = st->stackid;
		sk.start_ns = st->proc_start_ns;
		sv = bpf_map_lookup_elem(&stack_counts, &sk);
		if (sv)
			ADD(&sv->fault_ns, lat);
	}
	if (thrash_window_ns) {
		n.ts = ts;
		n.lat = lat;
		/* do_swap_page()'s vm_fault has the faulting address where margs has its range */
		if (vmf)
			fault_addr = DEVMEM_READ(fast, struct vm_fault, vmf, address);
		n.vpage = fault_addr >> page_shift;
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
			bpf_ringbuf_submit(e, 0);
		}
	}
	return 0;
}

/* ---- migrations ---------------------------------------------------------- */

/*
 * One migrate window, or one part of it: the tracepoint reports a window
 * once per pair of source and destination pagemaps (part 0, 1, ...), the
 * fallback once per window (part 0). A window is a call, counted at part 0;
 * pages are counted in every part, on the device side's range: the source
 * for a move to RAM, the destination otherwise (either, where only one is
 * known). owner names the device where no pagemap does (every destination
 * allocation of a move to the device failed).
 */
static __always_inline int on_migrate(const void *migrate, const struct dev_pagemap *src_pgmap,
				      const struct dev_pagemap *dst_pgmap, __u64 owner,
				      __u64 npages, __u64 cpages, __u64 migrated, __u32 dir,
				      __u32 reason, __u32 part, bool fast)
{
	const struct dev_pagemap *pgmap;
	struct devmem_fault_start *st;
	struct devmem_event *e;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	bool fault = reason == DEVMEM_REASON_FAULT;
	int slot;

	if (dir == DEVMEM_TO_RAM)
		pgmap = src_pgmap ? src_pgmap : dst_pgmap;
	else
		pgmap = dst_pgmap ? dst_pgmap : src_pgmap;
	if (tgid_filtered(tgid))
		return 0;
	if (pgmap_filtered(pgmap, fast) && !(filter_owner && !pgmap && owner == filter_owner))
		return 0;
	slot = range_slot(pgmap, fast);
	get_ctrs(&c, slot, tgid);
	if (dir == DEVMEM_TO_RAM) {
		if (!part)
			CTR_ADD(&c, migrate_calls_to_ram, 1);
		CTR_ADD(&c, pages_to_ram, migrated);
	} else {
		if (!part)
			CTR_ADD(&c, migrate_calls_to_device, 1);
		CTR_ADD(&c, pages_to_device, migrated);
	}
	CTR_ADD(&c, pages_collected, cpages);
	if (fault) {
		if (!part)
			CTR_ADD(&c, fault_migrations, 1);
		CTR_ADD(&c, fault_pages, migrated);
		st = bpf_task_storage_get(&fault_start, bpf_get_current_task_btf(), NULL, 0);
		if (st && st->ts_ns) {
			st->migrated += migrated;
			st->collected += cpages;
			if (!part)
				st->calls++;	/* a window is one call */
		}
	}
	hist_add(DEVMEM_HIST_MIGRATE_PAGES, migrated, slot, tgid);
	e = stream_reserve(DEVMEM_EV_MIGRATE, bpf_ktime_get_ns(), pgmap, fast);
	if (e) {
		e->address = migrate ? DEVMEM_READ(fast, struct migrate_vma, migrate, start) : 0;
		e->npages = npages;
		e->cpages = cpages;
		e->migrated = migrated;
		e->dir = dir;
		e->fault_driven = fault;
		e->reason = reason;
		e->part = part;
		if (src_pgmap)
			e->src_pgmap = DEVMEM_READ(fast, struct dev_pagemap, src_pgmap, range.start);
		if (dst_pgmap)
			e->dst_pgmap = DEVMEM_READ(fast, struct dev_pagemap, dst_pgmap, range.start);
		if (!pgmap)
			e->owner = owner;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}


#endif /* DEVMEM_FAULTS_BPF_H */

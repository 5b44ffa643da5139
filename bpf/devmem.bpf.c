// SPDX-License-Identifier: GPL-2.0
/*
 * devmem: aggregate HMM device-private memory events in the kernel.
 *
 * This file holds the entry points; what they share is in modules
 * included into this one object, so there is one skeleton:
 *   tables.bpf.h    settings, maps, losses, counter sets, filters, events ring
 *   ranges.bpf.h    the range table (one entry per live pagemap)
 *   procs.bpf.h     the process table and the histograms
 *   stacks.bpf.h    fault stacks (--stacks)
 *   thrash.bpf.h    the thrash table
 *   pages.bpf.h     pagemap and device page handlers
 *   faults.bpf.h    fault and migration handlers
 *   fallback.bpf.h  what the fallback computes where a tracepoint carries it
 *   core_fixes.bpf.h every kernel difference, chosen by CO-RE
 *
 * Three attachment variants of the same handlers; user space
 * (tools/lib/kernel/session_progs.c) keeps one set autoloaded, chosen by
 * probing:
 *   tp_btf/devmem_*   the devmem tracepoints of the kernel series (primary)
 *   raw_tp/devmem_*   the same tracepoints where BTF tracing programs are
 *                     refused; also what BPF_PROG_TEST_RUN can run
 *   fentry/fexit      the core functions, on kernels without the tracepoints
 *
 * What the fallback sees differently:
 *   - a fault is migrate_vma_setup() with args->fault_page set (its start)
 *     up to do_swap_page()'s return, or migrate_vma_finalize() where
 *     do_swap_page() takes no program; a failing setup ends it with an
 *     error. Drivers whose migrate_to_ram() does not use migrate_vma with
 *     fault_page are not seen as faults.
 *   - remove wait is memunmap_pages() entry to exit, so it includes the
 *     unmapping of the range after the last reference dropped; nid is the
 *     requested one.
 *   - migration direction comes from the pages a migrate_vma call selected
 *     (MIGRATE_VMA_SELECT_SYSTEM: system pages go to the device, otherwise
 *     device pages come back); migrate_device_pages() always moves device
 *     pages back to RAM.
 *
 * Per-CPU maps take the hot counters; plain increments are fine there
 * because a tracing program runs with migration disabled and the same
 * program does not nest on one CPU (nesting is counted by the kernel as
 * recursion_misses, which user space reports as lost events).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "devmem.h"
#include "bits.bpf.h"
#include "maps.bpf.h"
#include "core_fixes.bpf.h"

#include "pages.bpf.h"
#include "faults.bpf.h"
#include "fallback.bpf.h"

/*
 * One tracepoint, two programs from one definition: tp_<name> (BTF-typed
 * arguments, the primary) and raw_<name> (where BTF tracing programs are
 * refused; also what BPF_PROG_TEST_RUN runs). The body sees `raw`, a
 * constant, for the one thing that differs: a raw_tp argument is a number
 * already, a BTF pointer has to be read back before arithmetic.
 */
#define DEVMEM_UNPAREN(...) __VA_ARGS__
#define DEVMEM_TP_TWINS(event, name, proto, ...)			\
SEC("tp_btf/" #event)							\
int BPF_PROG(tp_##name, DEVMEM_UNPAREN proto)				\
{									\
	const bool raw = false;						\
									\
	(void)raw;							\
	__VA_ARGS__							\
}									\
SEC("raw_tp/" #event)							\
int BPF_PROG(raw_##name, DEVMEM_UNPAREN proto)				\
{									\
	const bool raw = true;						\
									\
	(void)raw;							\
	__VA_ARGS__							\
}

/* pfn of a tracepoint's struct page argument */
#define TP_PAGE_PFN(page) (raw ? page_value_to_pfn((__u64)(page)) : page_to_pfn(page))
/* a tracepoint's pointer argument as a number (a key) */
#define TP_PTR(p) (raw ? (__u64)(p) : ptr_value(p))
/*
 * A pointer argument that may be NULL. The verifier takes a tp_btf pointer
 * argument for a trusted one, never NULL, unless the kernel lists it as
 * nullable (only a few core tracepoints are), and drops every test of it
 * against NULL as dead code: read back as a number, it is tested for real.
 */
#define TP_NULLABLE(type, p) ((const type *)TP_PTR(p))

/* ---- processes, ranges at start -------------------------------------------- */

/*
 * The exit flush, as late in do_exit() as a hook is found: perf_event_exit_task()
 * runs after exit_files() and exit_task_work(), so a driver's release of the
 * files the process had open (which may free or evict device pages) is
 * counted before the process leaves the table. sched_process_exit, before
 * those, where it is not there; sched_process_free catches what is left.
 */
SEC("fentry/perf_event_exit_task")
int BPF_PROG(fe_perf_event_exit_task, struct task_struct *task)
{
	return on_task_exit(task);
}

DEVMEM_TP_TWINS(sched_process_exit, sched_process_exit, (struct task_struct *task),
	return on_task_exit(task);)

DEVMEM_TP_TWINS(sched_process_free, sched_process_free, (struct task_struct *task),
	return on_task_free(task);)

/*
 * Run by user space through BPF_PROG_TEST_RUN (never attached) for each
 * candidate range at start: ctx[0] is a physical address. If the struct
 * page of that address belongs to a device private or coherent pagemap
 * whose first range starts there, the pagemap is learnt into `ranges`, so
 * ranges hotplugged before the tool started are known, with their owner,
 * on every kernel. Returns the slot, or a negative value.
 */
SEC("raw_tp")
int probe_range(__u64 *ctx)
{
	__u64 start = ctx[0];
	const struct dev_pagemap *pgmap;
	const void *page;

	page = pfn_to_page(start >> page_shift);
	pgmap = page_pgmap(page, false);
	if (!pgmap || BPF_CORE_READ(pgmap, range.start) != start ||
	    !followed_type(BPF_CORE_READ(pgmap, type)))
		return -1;
	return range_learn(pgmap, DEVMEM_RANGE_F_PROBED, ~0U, 0);
}

/* ==== the zone_device tracepoints of the kernel series v3 (primary) ====== */

/*
 * The pagemap class: (pgmap, nid, in_use, error). A failed add (error set)
 * created no pagemap: there is nothing to learn or count.
 */
DEVMEM_TP_TWINS(zone_device_pagemap_add, pagemap_add,
		(const struct dev_pagemap *pgmap, int nid, unsigned long in_use, int error),
	return error ? 0 : on_pagemap_add(pgmap, (__u32)nid);)

DEVMEM_TP_TWINS(zone_device_pagemap_remove, pagemap_remove,
		(const struct dev_pagemap *pgmap, int nid, unsigned long in_use, int error),
	return on_pagemap_remove(pgmap, in_use);)

DEVMEM_TP_TWINS(zone_device_pagemap_remove_done, pagemap_remove_done,
		(const struct dev_pagemap *pgmap, int nid, unsigned long in_use, int error),
	return on_pagemap_remove_done(pgmap);)

/* the folio class: (folio, pgmap, order) */
DEVMEM_TP_TWINS(zone_device_folio_alloc, folio_alloc,
		(const struct folio *folio, const struct dev_pagemap *pgmap, unsigned int order),
	return on_page_alloc(folio, TP_PAGE_PFN(folio), order, true);)

DEVMEM_TP_TWINS(zone_device_folio_free, folio_free,
		(const struct folio *folio, const struct dev_pagemap *pgmap, unsigned int order),
	return on_page_free(folio, TP_PAGE_PFN(folio), order, false, true);)

/* the fault class: (vmf, pgmap, order, ret); order 9 is a PMD fault */
DEVMEM_TP_TWINS(zone_device_fault, fault,
		(const struct vm_fault *vmf, const struct dev_pagemap *pgmap, unsigned int order,
		 unsigned int ret),
	return on_fault(ctx, DEVMEM_READ(true, struct vm_fault, vmf, page), vmf, NULL, order,
			true);)

DEVMEM_TP_TWINS(zone_device_fault_done, fault_done,
		(const struct vm_fault *vmf, const struct dev_pagemap *pgmap, unsigned int order,
		 unsigned int ret),
	return on_fault_done(vmf, NULL, ret, ret & DEVMEM_VM_FAULT_ERROR, order, true, false);)

DEVMEM_TP_TWINS(zone_device_fault_busy, fault_busy,
		(const struct vm_fault *vmf, const struct dev_pagemap *pgmap, unsigned int order,
		 unsigned int ret),
	return on_fault_busy(DEVMEM_READ(true, struct vm_fault, vmf, page), true);)

/*
 * the migrate class: (migrate, src_pfns, npages, nr_pages, reason), paired
 * by src_pfns; migrate is NULL on the device path (migrate_device_range()),
 * a pagemap NULL for system memory
 */
DEVMEM_TP_TWINS(zone_device_migrate_start, migrate_start,
		(const struct migrate_vma *migrate, const unsigned long *src_pfns,
		 unsigned long npages, unsigned long nr_pages, int reason),
	return on_migrate_start(TP_NULLABLE(struct migrate_vma, migrate), TP_PTR(src_pfns),
				npages, nr_pages, reason, true);)

DEVMEM_TP_TWINS(zone_device_migrate_end, migrate_end,
		(const struct migrate_vma *migrate, const unsigned long *src_pfns,
		 unsigned long npages, unsigned long nr_pages, int reason),
	return on_migrate_end(TP_PTR(src_pfns), nr_pages, true);)

DEVMEM_TP_TWINS(zone_device_migrate_folios, migrate_folios,
		(const struct migrate_vma *migrate, const unsigned long *src_pfns,
		 const struct dev_pagemap *src_pgmap, const struct dev_pagemap *dst_pgmap,
		 unsigned int order, unsigned long nr_folios),
	return on_migrate_folios(TP_PTR(src_pfns), TP_NULLABLE(struct dev_pagemap, src_pgmap),
				 TP_NULLABLE(struct dev_pagemap, dst_pgmap), order, nr_folios,
				 true);)

/* ==== the devmem tracepoints of the kernel series v2 (found by probing) === */

DEVMEM_TP_TWINS(devmem_pagemap_add, v2_pagemap_add,
		(const struct dev_pagemap *pgmap, int nid, unsigned long in_use, int error),
	return error ? 0 : on_pagemap_add(pgmap, (__u32)nid);)

DEVMEM_TP_TWINS(devmem_pagemap_remove, v2_pagemap_remove,
		(const struct dev_pagemap *pgmap, int nid, unsigned long in_use, int error),
	return on_pagemap_remove(pgmap, in_use);)

DEVMEM_TP_TWINS(devmem_pagemap_remove_done, v2_pagemap_remove_done,
		(const struct dev_pagemap *pgmap, int nid, unsigned long in_use, int error),
	return on_pagemap_remove_done(pgmap);)

/* (vmf, pgmap, ret); ret is 0 for devmem_fault */
DEVMEM_TP_TWINS(devmem_fault, v2_fault,
		(const struct vm_fault *vmf, const struct dev_pagemap *pgmap, unsigned int ret),
	return on_fault(ctx, DEVMEM_READ(true, struct vm_fault, vmf, page), vmf, NULL, 0, true);)

DEVMEM_TP_TWINS(devmem_fault_done, v2_fault_done,
		(const struct vm_fault *vmf, const struct dev_pagemap *pgmap, unsigned int ret),
	return on_fault_done(vmf, NULL, ret, ret & DEVMEM_VM_FAULT_ERROR, 0, true, false);)

/* one record per pair of pagemaps of a window; dir and reason read as ints */
DEVMEM_TP_TWINS(devmem_migrate, v2_migrate,
		(const struct migrate_vma *migrate, const struct dev_pagemap *src_pgmap,
		 const struct dev_pagemap *dst_pgmap, unsigned long npages, unsigned long cpages,
		 unsigned long migrated, int dir, int reason, unsigned int part),
	struct mig_window w = {
		.owner = migrate ?
			 (__u64)DEVMEM_READ(true, struct migrate_vma, migrate, pgmap_owner) : 0,
		.address = migrate ? DEVMEM_READ(true, struct migrate_vma, migrate, start) : 0,
		.npages = npages, .cpages = cpages, .dir = dir, .reason = reason,
		.fault = reason == DEVMEM_REASON_FAULT,
	};

	return on_migrate(&w, TP_NULLABLE(struct dev_pagemap, src_pgmap),
			  TP_NULLABLE(struct dev_pagemap, dst_pgmap), migrated, NULL, 0, part, true);)

DEVMEM_TP_TWINS(devmem_page_alloc, v2_page_alloc,
		(const struct page *page, const struct dev_pagemap *pgmap, unsigned int order),
	return on_page_alloc(page, TP_PAGE_PFN(page), order, true);)

DEVMEM_TP_TWINS(devmem_page_free, v2_page_free,
		(const struct page *page, const struct dev_pagemap *pgmap, unsigned int order),
	return on_page_free(page, TP_PAGE_PFN(page), order, false, true);)

/* ==== fentry/fexit: kernels without the tracepoints ====================== */

SEC("fexit/memremap_pages")
int BPF_PROG(fx_memremap_pages, struct dev_pagemap *pgmap, int nid, void *ret)
{
	if ((unsigned long)ret >= (unsigned long)-4095L)	/* IS_ERR(ret) */
		return 0;
	return on_pagemap_add(pgmap, (__u32)nid);
}

SEC("fentry/memunmap_pages")
int BPF_PROG(fe_memunmap_pages, struct dev_pagemap *pgmap)
{
	if (!pgmap || !followed_type(BPF_CORE_READ(pgmap, type)))
		return 0;
	return on_pagemap_remove(pgmap, pgmap_in_use(pgmap));
}

SEC("fexit/memunmap_pages")
int BPF_PROG(fx_memunmap_pages, struct dev_pagemap *pgmap)
{
	return on_pagemap_remove_done(pgmap);
}

SEC("fentry/free_zone_device_folio")
int BPF_PROG(fe_free_zone_device_folio, struct folio *folio)
{
	return on_page_free(folio, page_to_pfn(folio), folio_order(folio), true, false);
}

SEC("fentry/free_zone_device_page")
int BPF_PROG(fe_free_zone_device_page, struct page *page)
{
	return on_page_free(page, page_to_pfn(page), 0, true, false);
}

SEC("fentry/zone_device_page_init")
int BPF_PROG(fe_zone_device_page_init, struct page *page)
{
	return on_page_alloc(page, page_to_pfn(page), 0, false);
}

/* v7.x: zone_device_page_init(page, pgmap, order) hands out a folio of an order */
SEC("fentry/zone_device_page_init")
int BPF_PROG(fe_zone_device_page_init_order, struct page *page, struct dev_pagemap *pgmap,
	     unsigned int order)
{
	return on_page_alloc(page, page_to_pfn(page), order, false);
}

/* kernels with zone_device_folio_init() out of line hand out a folio of an order */
SEC("fentry/zone_device_folio_init")
int BPF_PROG(fe_zone_device_folio_init, struct folio *folio, unsigned int order)
{
	return on_page_alloc(folio, page_to_pfn(folio), order, false);
}

SEC("fexit/migrate_vma_pages")
int BPF_PROG(fx_migrate_vma_pages, struct migrate_vma *migrate)
{
	const unsigned long *src = BPF_CORE_READ(migrate, src);
	const unsigned long *dst = BPF_CORE_READ(migrate, dst);
	const struct dev_pagemap *pgmap = NULL;
	struct count_state *c;
	struct mig_window w = {
		.owner = (__u64)BPF_CORE_READ(migrate, pgmap_owner),
		.address = BPF_CORE_READ(migrate, start),
		.npages = BPF_CORE_READ(migrate, npages),
		.cpages = BPF_CORE_READ(migrate, cpages),
	};
	unsigned long mpfn = 0;
	__u64 folios[DEVMEM_ORDERS];

	c = count_migrated(src, w.npages);
	if (!c)
		return 0;
	w.fault = migrate_fault_page(migrate, false) != NULL;
	w.reason = w.fault ? DEVMEM_REASON_FAULT : DEVMEM_REASON_DRIVER;
	if (BPF_CORE_READ(migrate, flags) & DEVMEM_MIGRATE_VMA_SELECT_SYSTEM) {
		w.dir = DEVMEM_TO_DEVICE;
		/* the device side is the destination */
		if (c->first_idx != ~0ULL && dst)
			bpf_probe_read_kernel(&mpfn, sizeof(mpfn), dst + c->first_idx);
		pgmap = mpfn_pgmap(mpfn);
	} else {
		w.dir = DEVMEM_TO_RAM;
		pgmap = mpfn_pgmap(c->first_valid);
		if (!pgmap)
			pgmap = page_pgmap(migrate_fault_page(migrate, false), false);
	}
	__builtin_memcpy(folios, c->folios, sizeof(folios));
	/* the fallback sees one side's pagemap: the device side */
	return on_migrate(&w, w.dir == DEVMEM_TO_RAM ? pgmap : NULL,
			  w.dir == DEVMEM_TO_RAM ? NULL : pgmap, c->migrated, folios, c->order, 0,
			  false);
}

/*
 * An eviction (migrate_device_range() or _pfns(), then
 * migrate_device_pages()) covers what its driver chose, a whole device at
 * a remove: it is counted folio by folio as the core migrates each one
 * (folio_migrate_mapping(), or migrate_folio_extra()/migrate_folio() on
 * v6.1, whichever take programs), between the entry and the exit of
 * migrate_device_pages() in the same task, so no program walks it.
 */
struct evict_state {
	__u64 migrated;		/* pages */
	__u64 last_folio;	/* a nested hook counts a folio once */
	__s32 slot;		/* the range of its first folio; -2: none yet */
	__u32 active;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct evict_state);
} evictions SEC(".maps");

SEC("fentry/migrate_device_pages")
int BPF_PROG(fe_migrate_device_pages, unsigned long *src_pfns, unsigned long *dst_pfns,
	     unsigned long npages)
{
	struct evict_state *st = bpf_task_storage_get(&evictions, bpf_get_current_task_btf(),
						      NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!st) {
		count_lost(DEVMEM_LOST_FAULT_TS_FULL);
		return 0;
	}
	st->migrated = 0;
	st->last_folio = 0;
	st->slot = -2;
	st->active = 1;
	return 0;
}

static __always_inline int evicted_folio(const struct folio *folio, int ret)
{
	struct evict_state *st = bpf_task_storage_get(&evictions, bpf_get_current_task_btf(),
						      NULL, 0);
	const struct dev_pagemap *pgmap;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, order;
	__u64 f = ptr_value(folio);
	int slot;

	if (!st || !st->active || ret || st->last_folio == f)
		return 0;
	st->last_folio = f;
	pgmap = page_pgmap(folio, false);
	if (tgid_filtered(tgid) || pgmap_filtered(pgmap, false))
		return 0;
	order = folio_order(folio);
	slot = range_slot(pgmap, false);
	if (st->slot == -2)
		st->slot = slot;
	st->migrated += 1ULL << order;
	mig_part_count(slot, tgid, DEVMEM_TO_RAM, false, 1ULL << order, order, 1);
	return 0;
}

SEC("fexit/folio_migrate_mapping")
int BPF_PROG(fx_folio_migrate_mapping, struct address_space *mapping, struct folio *newfolio,
	     struct folio *folio, int extra_count, int ret)
{
	return evicted_folio(folio, ret);
}

SEC("fexit/migrate_folio_extra")
int BPF_PROG(fx_migrate_folio_extra, struct address_space *mapping, struct folio *dst,
	     struct folio *src, int mode, int extra_count, int ret)
{
	return evicted_folio(src, ret);
}

SEC("fexit/migrate_folio")
int BPF_PROG(fx_migrate_folio, struct address_space *mapping, struct folio *dst,
	     struct folio *src, int mode, int ret)
{
	return evicted_folio(src, ret);
}

SEC("fexit/migrate_device_pages")
int BPF_PROG(fx_migrate_device_pages, unsigned long *src_pfns, unsigned long *dst_pfns,
	     unsigned long npages)
{
	struct evict_state *st = bpf_task_storage_get(&evictions, bpf_get_current_task_btf(),
						      NULL, 0);
	struct mig_window w = {
		.npages = npages, .dir = DEVMEM_TO_RAM, .reason = DEVMEM_REASON_EVICT,
	};
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	int slot;

	if (!st || !st->active)
		return 0;
	st->active = 0;
	/* migrate_device_range()/pfns() collect device pages: what moved was collected */
	w.cpages = st->migrated;
	if (tgid_filtered(tgid) || (filter_owner && st->slot == -2))
		return 0;
	slot = st->slot;
	mig_window_count(&w, slot, tgid);
	hist_add(DEVMEM_HIST_MIGRATE_PAGES, st->migrated, slot, tgid);
	mig_stream(&w, NULL, NULL, DEVMEM_TO_RAM, st->migrated, 0, 0, false);
	return 0;
}

SEC("fentry/migrate_vma_setup")
int BPF_PROG(fe_migrate_vma_setup, struct migrate_vma *args)
{
	const void *page = migrate_fault_page(args, false);

	if (!page)
		return 0;
	return on_fault(ctx, page, NULL, args, 0, false);
}

SEC("fexit/migrate_vma_setup")
int BPF_PROG(fx_migrate_vma_setup, struct migrate_vma *args, int ret)
{
	const void *page;

	if (!ret)
		return 0;
	page = migrate_fault_page(args, false);
	if (!page)
		return 0;
	/* a failed setup makes the driver return VM_FAULT_SIGBUS */
	return on_fault_done(NULL, args, (__u64)(__s64)ret, true, 0, false, false);
}

SEC("fexit/migrate_vma_finalize")
int BPF_PROG(fx_migrate_vma_finalize, struct migrate_vma *migrate)
{
	const void *page = migrate_fault_page(migrate, false);

	if (!page)
		return 0;
	return on_fault_done(NULL, migrate, 0, false, 0, false, false);
}

/*
 * Where do_swap_page() takes programs, the fallback ends a fault when it
 * returns (and the two programs above are not loaded): this sees the
 * fault's result and its flags, and a driver whose migrate_to_ram()
 * returns early without migrate_vma_pages() and migrate_vma_finalize()
 * when it collected nothing (nouveau, amdkfd) still ends its fault, a
 * wasted one, timed. do_swap_page() runs for every swap fault; only a
 * thread with a fault start (set at migrate_vma_setup() with a fault page)
 * counts one.
 */
SEC("fexit/do_swap_page")
int BPF_PROG(fx_do_swap_page, struct vm_fault *vmf, unsigned int ret)
{
	return on_fault_done(vmf, NULL, ret, ret & DEVMEM_VM_FAULT_ERROR, 0, false, true);
}

/* v7.x: a CPU fault on a device private PMD calls migrate_to_ram() from here */
SEC("fexit/do_huge_pmd_device_private")
int BPF_PROG(fx_do_huge_pmd_device_private, struct vm_fault *vmf, unsigned int ret)
{
	return on_fault_done(vmf, NULL, ret, ret & DEVMEM_VM_FAULT_ERROR, DEVMEM_PMD_ORDER, false,
			     true);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

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
/* pages of an order */
#define ORDER_PAGES(order) ((order) < 20 ? 1ULL << (order) : 1)

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

/* ==== the devmem tracepoints (primary) ==================================== */

/*
 * The pagemap events: (pgmap, nid, in_use, error). A failed add (error set)
 * created no pagemap: there is nothing to learn or count.
 */
DEVMEM_TP_TWINS(devmem_pagemap_add, pagemap_add,
		(const struct dev_pagemap *pgmap, int nid, unsigned long in_use, int error),
	return error ? 0 : on_pagemap_add(pgmap, (__u32)nid);)

DEVMEM_TP_TWINS(devmem_pagemap_remove, pagemap_remove,
		(const struct dev_pagemap *pgmap, int nid, unsigned long in_use, int error),
	return on_pagemap_remove(pgmap, in_use);)

DEVMEM_TP_TWINS(devmem_pagemap_remove_done, pagemap_remove_done,
		(const struct dev_pagemap *pgmap, int nid, unsigned long in_use, int error),
	return on_pagemap_remove_done(pgmap);)

/* the fault class: (vmf, pgmap, ret); ret is 0 for devmem_fault */
DEVMEM_TP_TWINS(devmem_fault, fault,
		(const struct vm_fault *vmf, const struct dev_pagemap *pgmap, unsigned int ret),
	return on_fault(ctx, DEVMEM_READ(true, struct vm_fault, vmf, page), vmf, NULL, true);)

DEVMEM_TP_TWINS(devmem_fault_done, fault_done,
		(const struct vm_fault *vmf, const struct dev_pagemap *pgmap, unsigned int ret),
	return on_fault_done(vmf, NULL, ret, ret & DEVMEM_VM_FAULT_ERROR, true, false);)

/* dir and reason are enums of the trace header, read as ints */
DEVMEM_TP_TWINS(devmem_migrate, migrate,
		(const struct migrate_vma *migrate, const struct dev_pagemap *src_pgmap,
		 const struct dev_pagemap *dst_pgmap, unsigned long npages, unsigned long cpages,
		 unsigned long migrated, int dir, int reason, unsigned int part),
	__u64 owner = migrate ?
		(__u64)DEVMEM_READ(true, struct migrate_vma, migrate, pgmap_owner) : 0;

	return on_migrate(migrate, src_pgmap, dst_pgmap, owner, npages, cpages, migrated, dir,
			  reason, part, true);)

/* the page events: (page, pgmap, order), 2^order pages */
DEVMEM_TP_TWINS(devmem_page_alloc, page_alloc,
		(const struct page *page, const struct dev_pagemap *pgmap, unsigned int order),
	return on_page_alloc(page, TP_PAGE_PFN(page), ORDER_PAGES(order), true);)

DEVMEM_TP_TWINS(devmem_page_free, page_free,
		(const struct page *page, const struct dev_pagemap *pgmap, unsigned int order),
	return on_page_free(page, TP_PAGE_PFN(page), ORDER_PAGES(order), false, true);)

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
	return on_page_free(folio, page_to_pfn(folio), folio_pages(folio), true, false);
}

SEC("fentry/free_zone_device_page")
int BPF_PROG(fe_free_zone_device_page, struct page *page)
{
	return on_page_free(page, page_to_pfn(page), 1, true, false);
}

SEC("fentry/zone_device_page_init")
int BPF_PROG(fe_zone_device_page_init, struct page *page)
{
	return on_page_alloc(page, page_to_pfn(page), 1, false);
}

/* kernels with device private large folios hand out a folio of an order */
SEC("fentry/zone_device_folio_init")
int BPF_PROG(fe_zone_device_folio_init, struct folio *folio, unsigned int order)
{
	return on_page_alloc(folio, page_to_pfn(folio), ORDER_PAGES(order), false);
}

SEC("fexit/migrate_vma_pages")
int BPF_PROG(fx_migrate_vma_pages, struct migrate_vma *migrate)
{
	const unsigned long *src = BPF_CORE_READ(migrate, src);
	const unsigned long *dst = BPF_CORE_READ(migrate, dst);
	const struct dev_pagemap *pgmap = NULL;
	__u64 npages = BPF_CORE_READ(migrate, npages), migrated, idx;
	unsigned long first_src, mpfn = 0;
	__u32 dir;

	migrated = count_migrated(src, npages, &first_src, &idx);
	if (BPF_CORE_READ(migrate, flags) & DEVMEM_MIGRATE_VMA_SELECT_SYSTEM) {
		dir = DEVMEM_TO_DEVICE;
		/* the device side is the destination */
		if (idx != ~0ULL && dst)
			bpf_probe_read_kernel(&mpfn, sizeof(mpfn), dst + idx);
		pgmap = mpfn_pgmap(mpfn);
	} else {
		dir = DEVMEM_TO_RAM;
		pgmap = mpfn_pgmap(first_src);
		if (!pgmap)
			pgmap = page_pgmap(migrate_fault_page(migrate, false), false);
	}
	/* the fallback sees one side's pagemap: the device side */
	return on_migrate(migrate, dir == DEVMEM_TO_RAM ? pgmap : NULL,
			  dir == DEVMEM_TO_RAM ? NULL : pgmap,
			  (__u64)BPF_CORE_READ(migrate, pgmap_owner), npages,
			  BPF_CORE_READ(migrate, cpages), migrated, dir,
			  migrate_fault_page(migrate, false) ? DEVMEM_REASON_FAULT :
			  DEVMEM_REASON_DRIVER, 0, false);
}

SEC("fexit/migrate_device_pages")
int BPF_PROG(fx_migrate_device_pages, unsigned long *src_pfns, unsigned long *dst_pfns,
	     unsigned long npages)
{
	unsigned long first_src;
	__u64 migrated, idx;

	/* migrate_device_range()/pfns() collect device pages: they go to RAM */
	migrated = count_migrated(src_pfns, npages, &first_src, &idx);
	return on_migrate(NULL, mpfn_pgmap(first_src), NULL, 0, npages, migrated, migrated,
			  DEVMEM_TO_RAM, DEVMEM_REASON_EVICT, 0, false);
}

SEC("fentry/migrate_vma_setup")
int BPF_PROG(fe_migrate_vma_setup, struct migrate_vma *args)
{
	const void *page = migrate_fault_page(args, false);

	if (!page)
		return 0;
	return on_fault(ctx, page, NULL, args, false);
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
	return on_fault_done(NULL, args, (__u64)(__s64)ret, true, false, false);
}

SEC("fexit/migrate_vma_finalize")
int BPF_PROG(fx_migrate_vma_finalize, struct migrate_vma *migrate)
{
	const void *page = migrate_fault_page(migrate, false);

	if (!page)
		return 0;
	return on_fault_done(NULL, migrate, 0, false, false, false);
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
	return on_fault_done(vmf, NULL, ret, ret & DEVMEM_VM_FAULT_ERROR, false, true);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
// SPDX-License-Identifier: GPL-2.0
/*
 * devmem_testdrv: a test driver of device private memory for devmem-kit.
 *
 * It does what a GPU driver does with device private memory, in the shapes
 * lib/test_hmm.c does not have, so that tracing tools can be checked against
 * exact numbers:
 *
 *  - a device (one pagemap owner) with several pagemaps, and pagemaps with
 *    more than one physical range; one migrate_vma call can take pages of
 *    several ranges;
 *  - a migrate_to_ram() that returns early, without migrate_vma_pages() and
 *    migrate_vma_finalize(), when migrate_vma_setup() collected nothing, as
 *    the GPU drivers do; user space can make chosen pages waste a number of
 *    faults that way (their setup looks for another owner's pages);
 *  - migrations to the device whose destination allocations fail, for the
 *    pages user space picks, and migrations that say why they happen (the
 *    reason of struct migrate_vma, where the kernel has it);
 *  - a remove while the driver still holds references on pages, which a work
 *    item drops a set time later (queued by an hrtimer: a timer-wheel delayed
 *    work may expire up to an eighth of its delay late, too coarse for a wait
 *    that is to be measured);
 *  - a remove while processes still map pages of the pagemap: the driver
 *    evicts them to system memory first, the pages in use only, or with
 *    DEVMEM_TD_EVICT_WHOLE one migrate_device_range() over every pfn of each
 *    range, as test_hmm and nouveau do;
 *  - big devices: a DEVMEM_TD_SPARSE pagemap has up to DEVMEM_TD_MAX_SPARSE
 *    pages a range (256 GiB), every one usable, since a device page gets its
 *    backing system page only while it is handed out. The knob for a device
 *    of 64 GiB and more: ADD_PAGEMAP with DEVMEM_TD_SPARSE and npages of
 *    16777216 (64 GiB of 4 KiB pages), then map and migrate as many pages as
 *    the test wants in use at the remove, which evicts all of them
 *    (devmem-drv-workload --big PAGES runs that). The struct pages of such a
 *    range cost 1/64 of its size, 1 GiB for 64 GiB: boot the guest with
 *    DEVMEM_MEM=4G (tests/guest/run.sh).
 *
 * What the kernel offers is found at build time (see Kbuild), not from its
 * version. With zone_device_pool (the devmem-kit series v3), single-range
 * pagemaps are added with zone_device_pool_add(), their pages handed out by
 * zone_device_pool_alloc_folio() and given back by
 * zone_device_pool_free_folio(), and a remove is zone_device_pool_remove(),
 * which evicts what is still mapped; multi-range pagemaps, DEVMEM_TD_DIRECT
 * ones and every pagemap on a kernel without the pool use memremap_pages(),
 * the driver's own bitmap allocator and its own eviction. The interface is in
 * devmem_testdrv.h.
 */
#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/hrtimer.h>
#include <linux/ioport.h>
#include <linux/ktime.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#ifdef TD_HAVE_POOL
#include <linux/zone_device_pool.h>
#define TD_POOL 1
#else
#define TD_POOL 0
#endif

#include "devmem_testdrv.h"

/* kzalloc_obj() where the kernel has it, kzalloc() before. */
#ifndef kzalloc_obj
#define kzalloc_obj(p) kzalloc(sizeof(p), GFP_KERNEL)
#endif

#define TD_DEFAULT_WINDOW	64
#define TD_MAX_DEV_RANGES	16	/* ranges of one device, over its pagemaps */
#define TD_EVICT_BATCH		512	/* pfns of one eviction call over pages in use */

enum td_state { TD_USER, TD_HELD };

struct td_range;

/* A device page handed out, and the system page that holds its data. */
struct td_page {
	struct td_range *range;
	struct page *page;
	struct page *backing;		/* NULL for a page the driver holds */
	struct list_head link;		/* in the pagemap's held list */
	unsigned int waste;		/* faults still to waste */
	enum td_state state;
};

struct td_pagemap;

struct td_range {
	struct td_pagemap *pm;
	unsigned int index;		/* in the device, in creation order */
	struct resource *res;
	unsigned long pfn_first;
	unsigned long npages;		/* usable pages */
	unsigned long *used;		/* without the pool: the pages handed out */
	unsigned long next;		/* without the pool: where a search resumes */
	unsigned long nused;		/* pages handed out */
};

struct td_device;

struct td_pagemap {
	struct td_device *tdev;
	u32 id;
	struct list_head link;		/* in the device's list */
	unsigned int nr_range;
	struct td_range ranges[DEVMEM_TD_MAX_RANGES];
	struct dev_pagemap *pgmap;
#if TD_POOL
	struct zone_device_pool pool;
	bool pooled;			/* added with zone_device_pool_add() */
#endif
	struct list_head held;
	unsigned long nheld;
	struct hrtimer release_timer;	/* queues release_work */
	struct work_struct release_work;
	bool removing;
};

struct td_device {
	struct device dev;		/* the pagemap owner */
	u32 id;
	struct file *file;		/* the file that created it */
	struct list_head link;
	struct list_head pagemaps;
	struct td_range *rangev[TD_MAX_DEV_RANGES];
	unsigned int nranges;
	spinlock_t lock;		/* bitmaps, held lists, page states, counters */
	struct devmem_td_counts c;
};

/* Write: the set of devices and pagemaps changes. Read: it is used. */
static DECLARE_RWSEM(td_rwsem);
static LIST_HEAD(td_devices);
static u32 td_next_dev;
static u32 td_next_pagemap;

/*
 * The owner a wasted fault asks migrate_vma_setup() for: no pagemap has it,
 * so nothing is collected, as when another thread won the race for a page.
 */
static int td_foreign_owner;

static const struct dev_pagemap_ops td_pagemap_ops;

/* ---- what differs between kernels ---- */

static void td_page_init(struct page *page, struct dev_pagemap *pgmap)
{
#ifdef TD_INIT_PGMAP_ORDER
	zone_device_page_init(page, pgmap, 0);
#else
	zone_device_page_init(page);
#endif
}

static void td_timer_setup(struct hrtimer *timer, enum hrtimer_restart (*fn)(struct hrtimer *))
{
#ifdef TD_HAVE_HRTIMER_SETUP
	hrtimer_setup(timer, fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
#else
	hrtimer_init(timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	timer->function = fn;
#endif
}

static int td_set_reason(struct migrate_vma *args, u32 reason)
{
#ifdef TD_HAVE_MIGRATE_REASON
	if (reason > MIGRATE_DEVICE_LONGTERM_PIN)
		return -EINVAL;
	args->reason = reason;
#endif
	return 0;
}

static bool td_pooled(struct td_pagemap *pm)
{
#if TD_POOL
	return pm->pooled;
#else
	return false;
#endif
}

static struct td_page *td_page_of(struct page *page)
{
	return page->zone_device_data;
}

/* ---- device pages ---- */

/*
 * Hand out a page of @range as @tp, or return NULL if it has no free page.
 * The driver data is stored before the page gets its reference, so an
 * eviction that finds the page finds its data.
 */
static struct page *td_alloc_page(struct td_range *range, struct td_page *tp)
{
	struct td_pagemap *pm = range->pm;
	struct td_device *tdev = pm->tdev;
	struct page *page = NULL;
	unsigned long flags, idx;

	if (pm->removing)
		return NULL;
#if TD_POOL
	if (pm->pooled) {
		struct folio *folio = zone_device_pool_alloc_folio(&pm->pool, 0, tp);

		if (!folio)
			return NULL;
		page = &folio->page;
	}
#endif
	if (!page) {
		spin_lock_irqsave(&tdev->lock, flags);
		idx = find_next_zero_bit(range->used, range->npages, range->next);
		if (idx >= range->npages)
			idx = find_first_zero_bit(range->used, range->npages);
		if (idx < range->npages) {
			__set_bit(idx, range->used);
			range->next = idx + 1;
		}
		spin_unlock_irqrestore(&tdev->lock, flags);
		if (idx >= range->npages)
			return NULL;
		page = pfn_to_page(range->pfn_first + idx);
		page->zone_device_data = tp;
		td_page_init(page, pm->pgmap);
	}
	tp->range = range;
	tp->page = page;
	spin_lock_irqsave(&tdev->lock, flags);
	range->nused++;
	tdev->c.allocs++;
	tdev->c.in_use++;
	spin_unlock_irqrestore(&tdev->lock, flags);
	return page;
}

/* A page of ours lost its last reference. */
static noinline void devmem_td_page_free(struct page *page)
{
	struct td_page *tp = td_page_of(page);
	struct td_range *range = tp->range;
	struct td_pagemap *pm = range->pm;
	struct td_device *tdev = pm->tdev;
	unsigned long flags;
	bool pooled = td_pooled(pm);

	if (tp->backing)
		__free_page(tp->backing);
#if TD_POOL
	if (pooled)
		zone_device_pool_free_folio(&pm->pool, page_folio(page));
#endif
	spin_lock_irqsave(&tdev->lock, flags);
	if (!pooled)
		__clear_bit(page_to_pfn(page) - range->pfn_first, range->used);
	range->nused--;
	tdev->c.frees++;
	tdev->c.in_use--;
	spin_unlock_irqrestore(&tdev->lock, flags);
	kfree(tp);
}

/* A device page of @placement for page @idx of a migration, as @tp. */
static struct page *td_place(struct td_device *tdev, u32 placement, unsigned long idx,
			     struct td_page *tp)
{
	unsigned int first = 0, i, n;
	struct td_range *rangev[TD_MAX_DEV_RANGES];
	unsigned long flags;
	struct page *page;

	spin_lock_irqsave(&tdev->lock, flags);
	n = tdev->nranges;
	memcpy(rangev, tdev->rangev, n * sizeof(rangev[0]));
	spin_unlock_irqrestore(&tdev->lock, flags);
	if (!n)
		return NULL;
	if (placement == DEVMEM_TD_INTERLEAVE)
		first = idx % n;
	for (i = 0; i < n; i++) {
		page = td_alloc_page(rangev[(first + i) % n], tp);
		if (page)
			return page;
	}
	return NULL;
}

/*
 * The CPU touched a page of ours: migrate it back to system memory. If
 * migrate_vma_setup() collected nothing, some other path got the page first;
 * there is nothing to migrate or to finalize, and the fault is retried.
 */
static noinline vm_fault_t devmem_td_migrate_to_ram(struct vm_fault *vmf)
{
	struct td_page *tp = td_page_of(vmf->page);
	struct td_device *tdev = tp->range->pm->tdev;
	unsigned long src = 0, dst = 0, flags;
	struct page *dpage = NULL;
	struct migrate_vma args = {
		.vma		= vmf->vma,
		.start		= vmf->address & PAGE_MASK,
		.end		= (vmf->address & PAGE_MASK) + PAGE_SIZE,
		.src		= &src,
		.dst		= &dst,
		.pgmap_owner	= &tdev->dev,
		.flags		= MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page	= vmf->page,
	};
	bool moved;

	spin_lock_irqsave(&tdev->lock, flags);
	tdev->c.fault_calls++;
	if (tp->waste) {
		tp->waste--;
		args.pgmap_owner = &td_foreign_owner;
	}
	spin_unlock_irqrestore(&tdev->lock, flags);

	/* The reason is left unset: the core tells a CPU fault by fault_page. */
	if (migrate_vma_setup(&args))
		return VM_FAULT_SIGBUS;
	if (!args.cpages) {
		spin_lock_irqsave(&tdev->lock, flags);
		tdev->c.faults_wasted++;
		spin_unlock_irqrestore(&tdev->lock, flags);
		return 0;
	}

	if (src & MIGRATE_PFN_MIGRATE) {
		dpage = alloc_page_vma(GFP_HIGHUSER_MOVABLE, args.vma, args.start);
		if (dpage) {
			lock_page(dpage);
			copy_highpage(dpage, tp->backing);
			dst = migrate_pfn(page_to_pfn(dpage));
		}
	}
	migrate_vma_pages(&args);
	moved = dst && (src & MIGRATE_PFN_MIGRATE);
	migrate_vma_finalize(&args);
	if (moved) {
		spin_lock_irqsave(&tdev->lock, flags);
		tdev->c.pages_to_ram++;
		spin_unlock_irqrestore(&tdev->lock, flags);
	}
	return dpage ? 0 : VM_FAULT_OOM;
}

#ifdef TD_HAVE_FOLIO_FREE
static void td_folio_free(struct folio *folio)
{
	devmem_td_page_free(&folio->page);
}
#else
static void td_page_free(struct page *page)
{
	devmem_td_page_free(page);
}
#endif

static vm_fault_t td_migrate_to_ram(struct vm_fault *vmf)
{
	return devmem_td_migrate_to_ram(vmf);
}

static const struct dev_pagemap_ops td_pagemap_ops = {
#ifdef TD_HAVE_FOLIO_FREE
	.folio_free	= td_folio_free,
#else
	.page_free	= td_page_free,
#endif
	.migrate_to_ram	= td_migrate_to_ram,
};

#if TD_POOL
static int td_pool_copy_to_ram(struct zone_device_pool *pool, struct folio *dst,
			       struct folio *src)
{
	struct td_page *tp = td_page_of(&src->page);

	if (tp->backing)
		copy_highpage(&dst->page, tp->backing);
	else
		clear_highpage(&dst->page);
	return 0;
}

static const struct zone_device_pool_ops td_pool_ops = {
	.copy_to_ram	= td_pool_copy_to_ram,
};
#endif

/* ---- devices and pagemaps (td_rwsem held for writing) ---- */

static struct td_device *td_find_dev(struct file *file, u32 id)
{
	struct td_device *tdev;

	list_for_each_entry(tdev, &td_devices, link)
		if (tdev->id == id && tdev->file == file)
			return tdev;
	return NULL;
}

static struct td_pagemap *td_find_pagemap(struct file *file, u32 id)
{
	struct td_device *tdev;
	struct td_pagemap *pm;

	list_for_each_entry(tdev, &td_devices, link) {
		if (tdev->file != file)
			continue;
		list_for_each_entry(pm, &tdev->pagemaps, link)
			if (pm->id == id)
				return pm;
	}
	return NULL;
}

static void td_update_rangev(struct td_device *tdev)
{
	struct td_pagemap *pm;
	unsigned int i, n = 0;
	unsigned long flags;

	spin_lock_irqsave(&tdev->lock, flags);
	list_for_each_entry(pm, &tdev->pagemaps, link)
		for (i = 0; i < pm->nr_range; i++) {
			pm->ranges[i].index = n;
			tdev->rangev[n++] = &pm->ranges[i];
		}
	tdev->nranges = n;
	spin_unlock_irqrestore(&tdev->lock, flags);
}

static void td_release_held(struct td_pagemap *pm)
{
	struct td_device *tdev = pm->tdev;
	struct td_page *tp, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&tdev->lock, flags);
	list_splice_init(&pm->held, &list);
	tdev->c.held -= pm->nheld;
	pm->nheld = 0;
	spin_unlock_irqrestore(&tdev->lock, flags);

	list_for_each_entry_safe(tp, tmp, &list, link) {
		list_del_init(&tp->link);
		put_page(tp->page);	/* the last reference: devmem_td_page_free() */
	}
}

static void td_release_work(struct work_struct *work)
{
	struct td_pagemap *pm = container_of(work, struct td_pagemap, release_work);

	td_release_held(pm);
}

static enum hrtimer_restart td_release_timer(struct hrtimer *timer)
{
	struct td_pagemap *pm = container_of(timer, struct td_pagemap, release_timer);

	schedule_work(&pm->release_work);
	return HRTIMER_NORESTART;
}

/* Release the held pages of @pm @ms from now, from a work item. */
static void td_release_later(struct td_pagemap *pm, u32 ms)
{
	hrtimer_start(&pm->release_timer, ms_to_ktime(ms), HRTIMER_MODE_REL);
}

static void td_free_ranges(struct td_pagemap *pm)
{
	unsigned int r;

	for (r = 0; r < pm->nr_range; r++) {
		kvfree(pm->ranges[r].used);
		pm->ranges[r].used = NULL;
	}
}

static int td_init_range(struct td_pagemap *pm, unsigned int r, unsigned long pfn_first,
			 unsigned long npages)
{
	struct td_range *range = &pm->ranges[r];

	range->pm = pm;
	range->pfn_first = pfn_first;
	range->npages = npages;
	if (td_pooled(pm))
		return 0;
	range->used = kvcalloc(BITS_TO_LONGS(npages), sizeof(unsigned long), GFP_KERNEL);
	return range->used ? 0 : -ENOMEM;
}

static void td_release_regions(struct td_pagemap *pm)
{
	unsigned int r;

	for (r = 0; r < pm->nr_range; r++) {
		struct resource *res = pm->ranges[r].res;

		if (res)
			release_mem_region(res->start, resource_size(res));
		pm->ranges[r].res = NULL;
	}
}

/*
 * Beyond what memory hotplug accepts on any x86-64 kernel (MAX_PHYSMEM_BITS
 * is 46, or 52 with 5-level paging): mhp_range_allowed() refuses it with a
 * pr_warn(), before anything is mapped.
 */
#define TD_BOGUS_START	BIT_ULL(52)

/* The flags that only the memremap_pages() path implements. */
#define TD_DIRECT_FLAGS	(DEVMEM_TD_BOGUS | DEVMEM_TD_UNBACKED)

/*
 * Reserve the physical ranges of @pm and fill in its pagemap: every range
 * npages, rounded up to a subsection (what memremap_pages() maps), the last
 * one placed beyond the hotpluggable space with DEVMEM_TD_BOGUS.
 */
static struct dev_pagemap *td_reserve(struct td_pagemap *pm, unsigned long npages, u32 flags)
{
	unsigned long len = ALIGN(npages << PAGE_SHIFT, SUBSECTION_SIZE);
	struct dev_pagemap *pgmap;
	unsigned int r;

	pgmap = kzalloc(struct_size(pgmap, ranges, pm->nr_range), GFP_KERNEL);
	if (!pgmap)
		return ERR_PTR(-ENOMEM);
	for (r = 0; r < pm->nr_range; r++) {
		struct resource *res;

		if ((flags & DEVMEM_TD_BOGUS) && r == pm->nr_range - 1) {
			pgmap->ranges[r].start = TD_BOGUS_START;
			pgmap->ranges[r].end = TD_BOGUS_START + len - 1;
			continue;
		}
		res = request_free_mem_region(&iomem_resource, len, dev_name(&pm->tdev->dev));
		if (IS_ERR(res)) {
			td_release_regions(pm);
			kfree(pgmap);
			return ERR_CAST(res);
		}
		pm->ranges[r].res = res;
		pgmap->ranges[r].start = res->start;
		pgmap->ranges[r].end = res->start + len - 1;
	}
	pgmap->type = MEMORY_DEVICE_PRIVATE;
	pgmap->nr_range = pm->nr_range;
	pgmap->ops = &td_pagemap_ops;
	pgmap->owner = &pm->tdev->dev;
	return pgmap;
}

/* Remove the pagemap of @pm; waits until none of its pages is referenced. */
static void td_unmap_pagemap(struct td_pagemap *pm)
{
	memunmap_pages(pm->pgmap);
	td_release_regions(pm);
	kfree(pm->pgmap);
	pm->pgmap = NULL;
}

static int td_map(struct td_pagemap *pm, unsigned long npages, u32 flags)
{
	unsigned long usable = (flags & DEVMEM_TD_UNBACKED) ?
			       min_t(unsigned long, npages, DEVMEM_TD_UNBACKED_USABLE) : npages;
	struct dev_pagemap *pgmap;
	unsigned int r;
	void *addr;
	int ret;

	pgmap = td_reserve(pm, npages, flags);
	if (IS_ERR(pgmap))
		return PTR_ERR(pgmap);
#if TD_POOL
	if (pm->pooled) {
		ret = zone_device_pool_add(&pm->pool, pgmap, &td_pool_ops, numa_node_id());
		addr = ret ? ERR_PTR(ret) : NULL;
	} else {
		addr = memremap_pages(pgmap, numa_node_id());
	}
#else
	addr = memremap_pages(pgmap, numa_node_id());
#endif
	if (IS_ERR(addr)) {
		td_release_regions(pm);
		kfree(pgmap);
		return PTR_ERR(addr);
	}
	pm->pgmap = pgmap;
	for (r = 0; r < pm->nr_range; r++) {
		ret = td_init_range(pm, r, PHYS_PFN(pgmap->ranges[r].start), usable);
		if (ret)
			goto err;
	}
	return 0;

err:
#if TD_POOL
	if (pm->pooled) {
		zone_device_pool_remove(&pm->pool);
		td_release_regions(pm);
		kfree(pm->pgmap);
		pm->pgmap = NULL;
		return ret;
	}
#endif
	td_unmap_pagemap(pm);
	return ret;
}

static int td_add_pagemap(struct file *file, struct devmem_td_pagemap *a)
{
	struct td_device *tdev = td_find_dev(file, a->dev);
	struct td_pagemap *pm;
	u32 max_pages = DEVMEM_TD_MAX_PAGES;
	int ret;

	if (!tdev)
		return -ENOENT;
	if (a->flags & DEVMEM_TD_UNBACKED)
		max_pages = DEVMEM_TD_MAX_MAPPED;
	if (a->flags & DEVMEM_TD_SPARSE)
		max_pages = DEVMEM_TD_MAX_SPARSE;
	if (!a->nr_range || a->nr_range > DEVMEM_TD_MAX_RANGES || !a->npages ||
	    a->npages > max_pages ||
	    (a->flags & ~(TD_DIRECT_FLAGS | DEVMEM_TD_DIRECT | DEVMEM_TD_SPARSE)) ||
	    ((a->flags & DEVMEM_TD_UNBACKED) && (a->flags & DEVMEM_TD_SPARSE)))
		return -EINVAL;
	if (tdev->nranges + a->nr_range > TD_MAX_DEV_RANGES)
		return -ENOSPC;
	pm = kzalloc_obj(*pm);
	if (!pm)
		return -ENOMEM;
	pm->tdev = tdev;
	pm->nr_range = a->nr_range;
	INIT_LIST_HEAD(&pm->held);
	INIT_WORK(&pm->release_work, td_release_work);
	td_timer_setup(&pm->release_timer, td_release_timer);
#if TD_POOL
	pm->pooled = a->nr_range == 1 && !(a->flags & (DEVMEM_TD_DIRECT | TD_DIRECT_FLAGS));
#endif
	a->helper = td_pooled(pm);
	ret = td_map(pm, a->npages, a->flags);
	if (ret) {
		td_free_ranges(pm);
		kfree(pm);
		return ret;
	}
	pm->id = td_next_pagemap++;
	list_add_tail(&pm->link, &tdev->pagemaps);
	td_update_rangev(tdev);
	a->pagemap = pm->id;
	return 0;
}

/*
 * Migrate the pages of the @npages pfns from @pfn that are in use back to
 * system memory: one migrate_device_range() call. @src and @dst hold @npages.
 */
static unsigned long td_evict_pfns(unsigned long pfn, unsigned long npages,
				   unsigned long *src, unsigned long *dst)
{
	unsigned long i, moved = 0;

	migrate_device_range(src, pfn, npages);
	for (i = 0; i < npages; i++) {
		struct page *spage = migrate_pfn_to_page(src[i]);
		struct td_page *tp;
		struct page *dpage;

		dst[i] = 0;
		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		tp = td_page_of(spage);
		dpage = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOFAIL);
		lock_page(dpage);
		if (tp->backing)
			copy_highpage(dpage, tp->backing);
		else
			clear_highpage(dpage);
		dst[i] = migrate_pfn(page_to_pfn(dpage));
	}
	migrate_device_pages(src, dst, npages);
	for (i = 0; i < npages; i++)
		if (dst[i] && (src[i] & MIGRATE_PFN_MIGRATE))
			moved++;
	migrate_device_finalize(src, dst, npages);
	return moved;
}

/*
 * The driver's own eviction of @pm's pages: over the runs of pages in use,
 * TD_EVICT_BATCH pfns a call, or with @whole one call over each whole range.
 */
static long td_evict(struct td_pagemap *pm, bool whole)
{
	struct td_device *tdev = pm->tdev;
	unsigned long evicted = 0, flags, *src, *dst;
	unsigned long batch = TD_EVICT_BATCH;
	unsigned int r;

	if (whole)
		for (r = 0; r < pm->nr_range; r++)
			batch = max(batch, PHYS_PFN(range_len(&pm->pgmap->ranges[r])));
	src = kvcalloc(batch, sizeof(*src), GFP_KERNEL);
	dst = kvcalloc(batch, sizeof(*dst), GFP_KERNEL);
	if (!src || !dst) {
		kvfree(src);
		kvfree(dst);
		return -ENOMEM;
	}
	for (r = 0; r < pm->nr_range; r++) {
		struct td_range *range = &pm->ranges[r];
		unsigned long start = 0, end;

		if (whole) {
			evicted += td_evict_pfns(range->pfn_first,
						 PHYS_PFN(range_len(&pm->pgmap->ranges[r])),
						 src, dst);
			continue;
		}
		for (;;) {
			spin_lock_irqsave(&tdev->lock, flags);
			start = find_next_bit(range->used, range->npages, start);
			end = find_next_zero_bit(range->used, range->npages, start);
			spin_unlock_irqrestore(&tdev->lock, flags);
			if (start >= range->npages)
				break;
			end = min(end, start + TD_EVICT_BATCH);
			evicted += td_evict_pfns(range->pfn_first + start, end - start, src, dst);
			start = end;
		}
	}
	kvfree(src);
	kvfree(dst);
	return evicted;
}

static unsigned long td_in_use(struct td_pagemap *pm)
{
	unsigned long flags, in_use = 0;
	unsigned int r;

	spin_lock_irqsave(&pm->tdev->lock, flags);
	for (r = 0; r < pm->nr_range; r++)
		in_use += pm->ranges[r].nused;
	spin_unlock_irqrestore(&pm->tdev->lock, flags);
	return in_use;
}

/*
 * Remove @pm, evicting what processes still map first. Held pages are
 * released @release_ms after the memunmap_pages() (with the pool: the
 * zone_device_pool_remove()) began, so it waits that long for them.
 */
static int td_remove_pagemap(struct td_pagemap *pm, struct devmem_td_remove *out)
{
	struct td_device *tdev = pm->tdev;
	bool whole = out->flags & DEVMEM_TD_EVICT_WHOLE;
	unsigned long flags, handed_out;
	long evicted = 0;
	u64 t0;

	if (out->flags & ~DEVMEM_TD_EVICT_WHOLE || out->reserved)
		return -EINVAL;
	spin_lock_irqsave(&tdev->lock, flags);
	if (pm->nheld && !out->release_ms) {
		spin_unlock_irqrestore(&tdev->lock, flags);
		return -EBUSY;
	}
	pm->removing = true;
	spin_unlock_irqrestore(&tdev->lock, flags);

	if (whole || !td_pooled(pm)) {
		evicted = td_evict(pm, whole);
		if (evicted < 0) {
			pm->removing = false;
			return evicted;
		}
	}
	handed_out = td_in_use(pm);
	if (pm->nheld)
		td_release_later(pm, out->release_ms);
	t0 = ktime_get_ns();
#if TD_POOL
	if (pm->pooled) {
		unsigned long more = zone_device_pool_remove(&pm->pool);

		evicted += more;
		handed_out -= more;
		td_release_regions(pm);
		kfree(pm->pgmap);
		pm->pgmap = NULL;
	} else {
		td_unmap_pagemap(pm);
	}
#else
	td_unmap_pagemap(pm);
#endif
	out->wait_ns = ktime_get_ns() - t0;
	out->in_use = handed_out;
	out->evicted = evicted;
	hrtimer_cancel(&pm->release_timer);
	flush_work(&pm->release_work);

	spin_lock_irqsave(&tdev->lock, flags);
	tdev->c.evicted += evicted;
	tdev->c.pages_to_ram += evicted;
	spin_unlock_irqrestore(&tdev->lock, flags);

	list_del(&pm->link);
	td_update_rangev(tdev);
	td_free_ranges(pm);
	kfree(pm);
	return 0;
}

static void td_destroy_dev(struct td_device *tdev)
{
	struct devmem_td_remove out;
	struct td_pagemap *pm, *tmp;

	list_for_each_entry_safe(pm, tmp, &tdev->pagemaps, link) {
		td_release_held(pm);
		memset(&out, 0, sizeof(out));
		td_remove_pagemap(pm, &out);
	}
	list_del(&tdev->link);
	device_unregister(&tdev->dev);
}

static void td_dev_release(struct device *dev)
{
	kfree(container_of(dev, struct td_device, dev));
}

/* ---- migration ioctls (td_rwsem held for reading) ---- */

static int td_check_migrate(struct devmem_td_migrate *m, unsigned long *window)
{
	if (m->addr & ~PAGE_MASK || !m->npages || m->npages > (ULONG_MAX >> PAGE_SHIFT) ||
	    m->addr + (m->npages << PAGE_SHIFT) < m->addr || m->reserved)
		return -EINVAL;
	*window = m->window ? m->window : TD_DEFAULT_WINDOW;
	if (*window > DEVMEM_TD_MAX_WINDOW)
		return -EINVAL;
	m->calls = 0;
	m->collected = 0;
	m->migrated = 0;
	m->alloc_failures = 0;
	m->empty_calls = 0;
	m->spanning = 0;
	return 0;
}

/* Destination pages for one window of a migration to the device. */
static void td_alloc_to_dev(struct td_device *tdev, struct migrate_vma *args,
			    struct devmem_td_migrate *m, unsigned long base)
{
	unsigned long i, flags;

	for (i = 0; i < args->npages; i++) {
		struct page *spage = migrate_pfn_to_page(args->src[i]);
		unsigned long idx = base + i;
		struct page *dpage = NULL;
		struct td_page *tp = NULL;

		args->dst[i] = 0;
		if (!(args->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		if (!(m->fail_mask & BIT_ULL(idx % 64))) {
			tp = kzalloc_obj(*tp);
			if (tp)
				tp->backing = alloc_page(GFP_HIGHUSER);
			if (tp && tp->backing) {
				INIT_LIST_HEAD(&tp->link);
				tp->state = TD_USER;
				if (m->waste_mask & BIT_ULL(idx % 64))
					tp->waste = m->waste;
				if (spage)
					copy_highpage(tp->backing, spage);
				else
					clear_highpage(tp->backing);
				dpage = td_place(tdev, m->placement, idx, tp);
			}
		}
		if (!dpage) {
			if (tp && tp->backing)
				__free_page(tp->backing);
			kfree(tp);
			spin_lock_irqsave(&tdev->lock, flags);
			tdev->c.alloc_failures++;
			spin_unlock_irqrestore(&tdev->lock, flags);
			m->alloc_failures++;
			continue;
		}
		args->dst[i] = migrate_pfn(page_to_pfn(dpage));
		if (args->src[i] & MIGRATE_PFN_WRITE)
			args->dst[i] |= MIGRATE_PFN_WRITE;
	}
}

/* System pages for one window of a migration back to RAM. */
static void td_alloc_to_ram(struct migrate_vma *args)
{
	unsigned long i;

	for (i = 0; i < args->npages; i++) {
		struct page *spage = migrate_pfn_to_page(args->src[i]);
		struct page *dpage;

		args->dst[i] = 0;
		if (!spage || !(args->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		dpage = alloc_page_vma(GFP_HIGHUSER_MOVABLE, args->vma,
				       args->start + (i << PAGE_SHIFT));
		if (!dpage)
			continue;
		lock_page(dpage);
		copy_highpage(dpage, td_page_of(spage)->backing);
		args->dst[i] = migrate_pfn(page_to_pfn(dpage));
	}
}

/* Pages of one finished window that moved, and whether they span ranges. */
static unsigned long td_count_moved(struct migrate_vma *args, bool to_dev, bool *spanning)
{
	unsigned long i, moved = 0;
	int first = -1;

	*spanning = false;
	for (i = 0; i < args->npages; i++) {
		struct page *dev_page;
		int index;

		if (!args->dst[i] || !(args->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		moved++;
		dev_page = migrate_pfn_to_page(to_dev ? args->dst[i] : args->src[i]);
		index = td_page_of(dev_page)->range->index;
		if (first < 0)
			first = index;
		else if (index != first)
			*spanning = true;
	}
	return moved;
}

static int td_migrate(struct td_device *tdev, struct devmem_td_migrate *m, bool to_dev)
{
	struct mm_struct *mm = current->mm;
	unsigned long window, addr, end, *src, *dst, flags;
	int ret;

	ret = td_check_migrate(m, &window);
	if (ret)
		return ret;
	if (to_dev && m->placement != DEVMEM_TD_FILL && m->placement != DEVMEM_TD_INTERLEAVE)
		return -EINVAL;
	if (!mm || !mmget_not_zero(mm))
		return -EINVAL;
	src = kvcalloc(window, sizeof(*src), GFP_KERNEL);
	dst = kvcalloc(window, sizeof(*dst), GFP_KERNEL);
	if (!src || !dst) {
		ret = -ENOMEM;
		goto out;
	}

	end = m->addr + (m->npages << PAGE_SHIFT);
	mmap_read_lock(mm);
	for (addr = m->addr; addr < end; ) {
		unsigned long next = min(end, addr + (window << PAGE_SHIFT));
		struct vm_area_struct *vma = vma_lookup(mm, addr);
		struct migrate_vma args = {
			.src		= src,
			.dst		= dst,
			.start		= addr,
			.end		= next,
			.pgmap_owner	= &tdev->dev,
			.flags		= to_dev ? MIGRATE_VMA_SELECT_SYSTEM :
					  MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		};
		unsigned long moved;
		bool spanning;

		if (!vma || next > vma->vm_end) {
			ret = -EINVAL;
			break;
		}
		args.vma = vma;
		ret = td_set_reason(&args, m->reason);
		if (ret)
			break;
		ret = migrate_vma_setup(&args);
		if (ret)
			break;
		m->calls++;
		m->collected += args.cpages;
		if (!args.cpages) {
			m->empty_calls++;
			addr = next;
			continue;
		}
		if (to_dev)
			td_alloc_to_dev(tdev, &args, m, (addr - m->addr) >> PAGE_SHIFT);
		else
			td_alloc_to_ram(&args);
		migrate_vma_pages(&args);
		moved = td_count_moved(&args, to_dev, &spanning);
		migrate_vma_finalize(&args);
		m->migrated += moved;
		m->spanning += spanning;
		spin_lock_irqsave(&tdev->lock, flags);
		if (to_dev)
			tdev->c.pages_to_device += moved;
		else
			tdev->c.pages_to_ram += moved;
		spin_unlock_irqrestore(&tdev->lock, flags);
		addr = next;
	}
	mmap_read_unlock(mm);
out:
	kvfree(src);
	kvfree(dst);
	mmput(mm);
	return ret;
}

static int td_hold(struct td_pagemap *pm, struct devmem_td_hold *h)
{
	struct td_device *tdev = pm->tdev;
	struct td_page *tp, *tmp;
	unsigned long flags;
	unsigned int r = 0, n;
	LIST_HEAD(list);
	int ret = 0;

	if (pm->removing)
		return -EBUSY;
	for (n = 0; n < h->npages; ) {
		struct page *page;

		tp = kzalloc_obj(*tp);
		if (!tp) {
			ret = -ENOMEM;
			break;
		}
		INIT_LIST_HEAD(&tp->link);
		tp->state = TD_HELD;
		page = NULL;
		while (r < pm->nr_range && !page) {
			page = td_alloc_page(&pm->ranges[r], tp);
			if (!page)
				r++;
		}
		if (!page) {
			kfree(tp);
			ret = -ENOSPC;
			break;
		}
		unlock_page(page);
		list_add_tail(&tp->link, &list);
		n++;
	}
	if (ret) {
		/* Give back what was taken: the last reference frees each page. */
		list_for_each_entry_safe(tp, tmp, &list, link) {
			list_del_init(&tp->link);
			put_page(tp->page);
		}
		return ret;
	}

	spin_lock_irqsave(&tdev->lock, flags);
	list_splice_tail(&list, &pm->held);
	pm->nheld += h->npages;
	tdev->c.held += h->npages;
	h->held = pm->nheld;
	spin_unlock_irqrestore(&tdev->lock, flags);
	return 0;
}

/* Hand a page of @pm out and free it, b->iterations times, timed. */
static int td_bench(struct td_pagemap *pm, struct devmem_td_bench *b)
{
	u32 i;
	u64 t0;

	if (!b->iterations || pm->removing)
		return -EINVAL;
	t0 = ktime_get_ns();
	for (i = 0; i < b->iterations; i++) {
		struct td_page *tp = kzalloc_obj(*tp);
		struct page *page;

		if (!tp)
			return -ENOMEM;
		INIT_LIST_HEAD(&tp->link);
		tp->state = TD_HELD;
		page = td_alloc_page(&pm->ranges[0], tp);
		if (!page) {
			kfree(tp);
			return -ENOSPC;
		}
		unlock_page(page);
		put_page(page);		/* the last reference: devmem_td_page_free() */
	}
	b->ns = ktime_get_ns() - t0;
	return 0;
}

static int td_release(struct td_pagemap *pm, struct devmem_td_hold *h)
{
	if (h->delay_ms)
		td_release_later(pm, h->delay_ms);
	else
		td_release_held(pm);
	h->held = h->delay_ms ? pm->nheld : 0;
	return 0;
}

static void td_counts(struct file *file, struct devmem_td_counts *c)
{
	u32 dev = c->dev;
	struct td_device *tdev;
	struct td_pagemap *pm;
	unsigned long flags;

	memset(c, 0, sizeof(*c));
	c->dev = dev;
	list_for_each_entry(tdev, &td_devices, link) {
		if (tdev->file != file || (dev != DEVMEM_TD_ALL && tdev->id != dev))
			continue;
		spin_lock_irqsave(&tdev->lock, flags);
		c->allocs += tdev->c.allocs;
		c->frees += tdev->c.frees;
		c->alloc_failures += tdev->c.alloc_failures;
		c->pages_to_device += tdev->c.pages_to_device;
		c->pages_to_ram += tdev->c.pages_to_ram;
		c->fault_calls += tdev->c.fault_calls;
		c->faults_wasted += tdev->c.faults_wasted;
		c->evicted += tdev->c.evicted;
		c->in_use += tdev->c.in_use;
		c->held += tdev->c.held;
		spin_unlock_irqrestore(&tdev->lock, flags);
		list_for_each_entry(pm, &tdev->pagemaps, link)
			c->pagemaps++;
	}
}

/* ---- the character device ---- */

static struct miscdevice td_misc;

static int td_create_dev(struct file *file, struct devmem_td_dev *a)
{
	struct td_device *tdev;
	int ret;

	if (a->flags)
		return -EINVAL;
	tdev = kzalloc_obj(*tdev);
	if (!tdev)
		return -ENOMEM;
	spin_lock_init(&tdev->lock);
	INIT_LIST_HEAD(&tdev->pagemaps);
	tdev->file = file;
	tdev->id = td_next_dev++;
	device_initialize(&tdev->dev);
	tdev->dev.release = td_dev_release;
	tdev->dev.parent = td_misc.this_device;
	ret = dev_set_name(&tdev->dev, "devmem_td%u", tdev->id);
	if (!ret)
		ret = device_add(&tdev->dev);
	if (ret) {
		put_device(&tdev->dev);
		return ret;
	}
	list_add_tail(&tdev->link, &td_devices);
	a->dev = tdev->id;
	return 0;
}

static long td_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	union {
		struct devmem_td_dev dev;
		struct devmem_td_pagemap pagemap;
		struct devmem_td_remove remove;
		struct devmem_td_migrate migrate;
		struct devmem_td_hold hold;
		struct devmem_td_counts counts;
		struct devmem_td_bench bench;
	} a;
	struct td_device *tdev;
	struct td_pagemap *pm;
	unsigned int size = _IOC_SIZE(cmd);
	int ret;

	switch (cmd) {
	case DEVMEM_TD_CREATE_DEV:
	case DEVMEM_TD_DESTROY_DEV:
	case DEVMEM_TD_ADD_PAGEMAP:
	case DEVMEM_TD_REMOVE_PAGEMAP:
	case DEVMEM_TD_MIGRATE_TO_DEV:
	case DEVMEM_TD_MIGRATE_TO_RAM:
	case DEVMEM_TD_HOLD:
	case DEVMEM_TD_RELEASE:
	case DEVMEM_TD_COUNTS:
	case DEVMEM_TD_BENCH:
		break;
	default:
		return -ENOTTY;
	}
	if (copy_from_user(&a, uarg, size))
		return -EFAULT;

	switch (cmd) {
	case DEVMEM_TD_CREATE_DEV:
		down_write(&td_rwsem);
		ret = td_create_dev(file, &a.dev);
		up_write(&td_rwsem);
		break;
	case DEVMEM_TD_DESTROY_DEV:
		down_write(&td_rwsem);
		tdev = td_find_dev(file, a.dev.dev);
		ret = tdev ? 0 : -ENOENT;
		if (tdev)
			td_destroy_dev(tdev);
		up_write(&td_rwsem);
		break;
	case DEVMEM_TD_ADD_PAGEMAP:
		down_write(&td_rwsem);
		ret = td_add_pagemap(file, &a.pagemap);
		up_write(&td_rwsem);
		break;
	case DEVMEM_TD_REMOVE_PAGEMAP:
		down_write(&td_rwsem);
		pm = td_find_pagemap(file, a.remove.pagemap);
		ret = pm ? td_remove_pagemap(pm, &a.remove) : -ENOENT;
		up_write(&td_rwsem);
		break;
	case DEVMEM_TD_MIGRATE_TO_DEV:
	case DEVMEM_TD_MIGRATE_TO_RAM:
		down_read(&td_rwsem);
		tdev = td_find_dev(file, a.migrate.dev);
		ret = tdev ? td_migrate(tdev, &a.migrate, cmd == DEVMEM_TD_MIGRATE_TO_DEV) :
			     -ENOENT;
		up_read(&td_rwsem);
		break;
	case DEVMEM_TD_HOLD:
		down_write(&td_rwsem);
		pm = td_find_pagemap(file, a.hold.pagemap);
		ret = pm ? td_hold(pm, &a.hold) : -ENOENT;
		up_write(&td_rwsem);
		break;
	case DEVMEM_TD_RELEASE:
		down_write(&td_rwsem);
		pm = td_find_pagemap(file, a.hold.pagemap);
		ret = pm ? td_release(pm, &a.hold) : -ENOENT;
		up_write(&td_rwsem);
		break;
	case DEVMEM_TD_BENCH:
		down_write(&td_rwsem);
		pm = td_find_pagemap(file, a.bench.pagemap);
		ret = pm ? td_bench(pm, &a.bench) : -ENOENT;
		up_write(&td_rwsem);
		break;
	default:
		down_read(&td_rwsem);
		td_counts(file, &a.counts);
		up_read(&td_rwsem);
		ret = 0;
		break;
	}
	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(uarg, &a, size))
		ret = -EFAULT;
	return ret;
}

static int td_open(struct inode *inode, struct file *file)
{
	return nonseekable_open(inode, file);
}

/* Everything the file created goes with it. */
static int td_file_release(struct inode *inode, struct file *file)
{
	struct td_device *tdev, *tmp;

	down_write(&td_rwsem);
	list_for_each_entry_safe(tdev, tmp, &td_devices, link)
		if (tdev->file == file)
			td_destroy_dev(tdev);
	up_write(&td_rwsem);
	return 0;
}

static const struct file_operations td_fops = {
	.owner		= THIS_MODULE,
	.open		= td_open,
	.release	= td_file_release,
	.unlocked_ioctl	= td_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice td_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= DEVMEM_TD_NAME,
	.fops	= &td_fops,
	.mode	= 0600,
};

static int __init td_init(void)
{
	int ret = misc_register(&td_misc);

	if (!ret)
		pr_info("%s: ready (%s)\n", DEVMEM_TD_NAME,
			TD_POOL ? "zone_device_pool" : "memremap_pages");
	return ret;
}

static void __exit td_exit(void)
{
	misc_deregister(&td_misc);
}

module_init(td_init);
module_exit(td_exit);
MODULE_DESCRIPTION("devmem-kit test driver of device private memory");
MODULE_LICENSE("GPL");

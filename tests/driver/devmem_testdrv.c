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
 *    pages user space picks;
 *  - a remove (memunmap_pages()) while the driver still holds references on
 *    pages, which a work item drops a set time later (queued by an hrtimer:
 *    a timer-wheel delayed work may expire up to an eighth of its delay
 *    late, too coarse for a wait that is to be measured).
 *
 * On a kernel with the hmm_devmem helpers (detected at build time from
 * <linux/hmm.h>) single-range pagemaps are added with hmm_devmem_add();
 * otherwise, and for multi-range pagemaps, with request_free_mem_region()
 * and memremap_pages(). The interface is in devmem_testdrv.h.
 */
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/hrtimer.h>
#include <linux/hmm.h>
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

#include "devmem_testdrv.h"

#if defined(DEVMEM_TD_HMM_DEVMEM) && defined(CONFIG_HMM_MIRROR)
#define TD_HELPERS 1
#else
#define TD_HELPERS 0
#endif

#define TD_DEFAULT_WINDOW	64
#define TD_MAX_DEV_RANGES	16	/* ranges of one device, over its pagemaps */

enum td_state { TD_FREE, TD_USER, TD_HELD };

struct td_range;

/* One device page and the system page that holds its data. */
struct td_slot {
	struct page *page;
	struct page *backing;
	struct td_range *range;
	struct list_head link;		/* in the range's free list or the pagemap's held list */
	unsigned int waste;		/* faults still to waste */
	enum td_state state;
};

struct td_pagemap;

struct td_range {
	struct td_pagemap *pm;
	unsigned int index;		/* in the device, in creation order */
	struct resource *res;		/* without the helpers */
	unsigned long pfn_first;
	unsigned long npages;		/* usable pages */
	struct td_slot *slots;
	struct list_head free;
	unsigned long nfree;
};

struct td_device;

struct td_pagemap {
	struct td_device *tdev;
	u32 id;
	struct list_head link;		/* in the device's list */
	unsigned int nr_range;
	struct td_range ranges[DEVMEM_TD_MAX_RANGES];
	struct dev_pagemap *pgmap;
#if TD_HELPERS
	struct hmm_devmem *devmem;	/* added with hmm_devmem_add() */
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
	spinlock_t lock;		/* free and held lists, slot states, counters */
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
#if TD_HELPERS
static const struct hmm_devmem_ops td_hmm_devmem_ops;
#endif

static void td_page_set_slot(struct page *page, struct td_slot *slot)
{
#if TD_HELPERS
	hmm_devmem_page_set_drvdata(page, slot);
#else
	page->zone_device_data = slot;
#endif
}

static struct td_slot *td_page_slot(struct page *page)
{
#if TD_HELPERS
	return hmm_devmem_page_get_drvdata(page);
#else
	return page->zone_device_data;
#endif
}

static struct page *td_alloc_ram_page(struct vm_area_struct *vma, unsigned long addr)
{
#if TD_HELPERS
	return hmm_vma_alloc_locked_page(vma, addr);
#else
	struct page *page = alloc_page_vma(GFP_HIGHUSER_MOVABLE, vma, addr);

	if (page)
		lock_page(page);
	return page;
#endif
}

/* Take a free slot of @range; tdev->lock held. */
static struct td_slot *td_take_slot(struct td_device *tdev, struct td_range *range,
				    enum td_state state)
{
	struct td_slot *slot;

	if (!range->nfree || range->pm->removing)
		return NULL;
	slot = list_first_entry(&range->free, struct td_slot, link);
	list_del_init(&slot->link);
	range->nfree--;
	slot->state = state;
	slot->waste = 0;
	tdev->c.allocs++;
	tdev->c.in_use++;
	return slot;
}

/* A destination slot for page @idx of a migration; tdev->lock held. */
static struct td_slot *td_place(struct td_device *tdev, u32 placement, unsigned long idx)
{
	unsigned int first = 0, i;
	struct td_slot *slot;

	if (!tdev->nranges)
		return NULL;
	if (placement == DEVMEM_TD_INTERLEAVE)
		first = idx % tdev->nranges;
	for (i = 0; i < tdev->nranges; i++) {
		slot = td_take_slot(tdev, tdev->rangev[(first + i) % tdev->nranges], TD_USER);
		if (slot)
			return slot;
	}
	return NULL;
}

/* Hand out the page of @slot: its driver data, a reference, the lock. */
static void td_init_page(struct td_slot *slot)
{
	td_page_set_slot(slot->page, slot);
	zone_device_page_init(slot->page);
}

static noinline void devmem_td_page_free(struct page *page)
{
	struct td_slot *slot = td_page_slot(page);
	struct td_range *range = slot->range;
	struct td_device *tdev = range->pm->tdev;
	unsigned long flags;

	spin_lock_irqsave(&tdev->lock, flags);
	slot->state = TD_FREE;
	slot->waste = 0;
	list_add_tail(&slot->link, &range->free);
	range->nfree++;
	tdev->c.frees++;
	tdev->c.in_use--;
	spin_unlock_irqrestore(&tdev->lock, flags);
}

/*
 * The CPU touched a page of ours: migrate it back to system memory. If
 * migrate_vma_setup() collected nothing, some other path got the page first;
 * there is nothing to migrate or to finalize, and the fault is retried.
 */
static noinline vm_fault_t devmem_td_migrate_to_ram(struct vm_fault *vmf)
{
	struct td_slot *slot = td_page_slot(vmf->page);
	struct td_device *tdev = slot->range->pm->tdev;
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
	if (slot->waste) {
		slot->waste--;
		args.pgmap_owner = &td_foreign_owner;
	}
	spin_unlock_irqrestore(&tdev->lock, flags);

	if (migrate_vma_setup(&args))
		return VM_FAULT_SIGBUS;
	if (!args.cpages) {
		spin_lock_irqsave(&tdev->lock, flags);
		tdev->c.faults_wasted++;
		spin_unlock_irqrestore(&tdev->lock, flags);
		return 0;
	}

	if (src & MIGRATE_PFN_MIGRATE) {
		dpage = td_alloc_ram_page(args.vma, args.start);
		if (dpage) {
			copy_highpage(dpage, slot->backing);
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

static void td_dp_page_free(struct page *page)
{
	devmem_td_page_free(page);
}

static vm_fault_t td_dp_migrate_to_ram(struct vm_fault *vmf)
{
	return devmem_td_migrate_to_ram(vmf);
}

static const struct dev_pagemap_ops td_pagemap_ops = {
	.page_free	= td_dp_page_free,
	.migrate_to_ram	= td_dp_migrate_to_ram,
};

#if TD_HELPERS
static void td_hd_free(struct hmm_devmem *devmem, struct page *page)
{
	devmem_td_page_free(page);
}

static vm_fault_t td_hd_fault(struct hmm_devmem *devmem, struct vm_fault *vmf)
{
	return devmem_td_migrate_to_ram(vmf);
}

static const struct hmm_devmem_ops td_hmm_devmem_ops = {
	.free	= td_hd_free,
	.fault	= td_hd_fault,
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
	struct td_slot *slot, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&tdev->lock, flags);
	list_splice_init(&pm->held, &list);
	tdev->c.held -= pm->nheld;
	pm->nheld = 0;
	spin_unlock_irqrestore(&tdev->lock, flags);

	list_for_each_entry_safe(slot, tmp, &list, link) {
		list_del_init(&slot->link);
		put_page(slot->page);	/* the last reference: devmem_td_page_free() */
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
	unsigned long i;

	for (r = 0; r < pm->nr_range; r++) {
		struct td_range *range = &pm->ranges[r];

		if (!range->slots)
			continue;
		for (i = 0; i < range->npages; i++)
			if (range->slots[i].backing)
				__free_page(range->slots[i].backing);
		kvfree(range->slots);
		range->slots = NULL;
	}
}

static int td_init_range(struct td_pagemap *pm, unsigned int r, unsigned long pfn_first,
			 unsigned long npages)
{
	struct td_range *range = &pm->ranges[r];
	unsigned long i;

	range->pm = pm;
	range->pfn_first = pfn_first;
	range->npages = npages;
	INIT_LIST_HEAD(&range->free);
	range->slots = kvcalloc(npages, sizeof(*range->slots), GFP_KERNEL);
	if (!range->slots)
		return -ENOMEM;
	for (i = 0; i < npages; i++) {
		struct td_slot *slot = &range->slots[i];

		slot->backing = alloc_page(GFP_HIGHUSER);
		if (!slot->backing)
			return -ENOMEM;
		slot->page = pfn_to_page(pfn_first + i);
		slot->range = range;
		slot->state = TD_FREE;
		list_add_tail(&slot->link, &range->free);
	}
	range->nfree = npages;
	return 0;
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

/* Remove the pagemap of @pm; waits until none of its pages is referenced. */
static void td_unmap_pagemap(struct td_pagemap *pm)
{
#if TD_HELPERS
	if (pm->devmem) {
		hmm_devmem_remove(pm->devmem);	/* memunmap_pages(), region, devmem */
		pm->devmem = NULL;
		pm->pgmap = NULL;
		return;
	}
#endif
	memunmap_pages(pm->pgmap);
	td_release_regions(pm);
	kfree(pm->pgmap);
	pm->pgmap = NULL;
}

/*
 * Beyond what memory hotplug accepts on any x86-64 kernel (MAX_PHYSMEM_BITS
 * is 46, or 52 with 5-level paging): mhp_range_allowed() refuses it with a
 * pr_warn(), before anything is mapped.
 */
#define TD_BOGUS_START	BIT_ULL(52)

/* The flags that only the memremap_pages() path implements. */
#define TD_DIRECT_FLAGS	(DEVMEM_TD_BOGUS | DEVMEM_TD_UNBACKED)

static int td_map_direct(struct td_pagemap *pm, unsigned long npages, u32 flags)
{
	bool bogus = flags & DEVMEM_TD_BOGUS;
	unsigned long usable = (flags & DEVMEM_TD_UNBACKED) ?
			       min_t(unsigned long, npages, DEVMEM_TD_UNBACKED_USABLE) : npages;
	unsigned long len = ALIGN(npages << PAGE_SHIFT, SUBSECTION_SIZE);
	struct dev_pagemap *pgmap;
	unsigned int r;
	void *addr;
	int ret;

	pgmap = kzalloc(struct_size(pgmap, ranges, pm->nr_range), GFP_KERNEL);
	if (!pgmap)
		return -ENOMEM;
	for (r = 0; r < pm->nr_range; r++) {
		struct resource *res;

		if (bogus && r == pm->nr_range - 1) {
			pgmap->ranges[r].start = TD_BOGUS_START;
			pgmap->ranges[r].end = TD_BOGUS_START + len - 1;
			continue;
		}
		res = request_free_mem_region(&iomem_resource, npages << PAGE_SHIFT,
					      dev_name(&pm->tdev->dev));
		if (IS_ERR(res)) {
			ret = PTR_ERR(res);
			goto err;
		}
		/*
		 * The region is reserved in whole memory sections; only the
		 * subsections the pages need get struct pages.
		 */
		pm->ranges[r].res = res;
		pgmap->ranges[r].start = res->start;
		pgmap->ranges[r].end = res->start + len - 1;
	}
	pgmap->type = MEMORY_DEVICE_PRIVATE;
	pgmap->nr_range = pm->nr_range;
	pgmap->ops = &td_pagemap_ops;
	pgmap->owner = &pm->tdev->dev;
	addr = memremap_pages(pgmap, numa_node_id());
	if (IS_ERR(addr)) {
		ret = PTR_ERR(addr);
		goto err;
	}
	pm->pgmap = pgmap;
	for (r = 0; r < pm->nr_range; r++) {
		ret = td_init_range(pm, r, PHYS_PFN(pgmap->ranges[r].start), usable);
		if (ret) {
			td_unmap_pagemap(pm);
			return ret;
		}
	}
	return 0;

err:
	td_release_regions(pm);
	kfree(pgmap);
	return ret;
}

#if TD_HELPERS
static int td_map_helper(struct td_pagemap *pm, unsigned long npages)
{
	struct hmm_devmem *devmem;
	int ret;

#ifdef DEVMEM_TD_HMM_DEVMEM_OWNER
	devmem = hmm_devmem_add(&td_hmm_devmem_ops, &pm->tdev->dev, NULL, npages << PAGE_SHIFT);
#else
	devmem = hmm_devmem_add(&td_hmm_devmem_ops, &pm->tdev->dev, npages << PAGE_SHIFT);
#endif
	if (IS_ERR(devmem))
		return PTR_ERR(devmem);
	devmem->drvdata = pm;
	pm->devmem = devmem;
	pm->pgmap = &devmem->pagemap;
	ret = td_init_range(pm, 0, devmem->pfn_first, npages);
	if (ret)
		td_unmap_pagemap(pm);
	return ret;
}
#endif

static int td_add_pagemap(struct file *file, struct devmem_td_pagemap *a)
{
	struct td_device *tdev = td_find_dev(file, a->dev);
	struct td_pagemap *pm;
	u32 max_pages;
	int ret;

	if (!tdev)
		return -ENOENT;
	max_pages = (a->flags & DEVMEM_TD_UNBACKED) ? DEVMEM_TD_MAX_MAPPED : DEVMEM_TD_MAX_PAGES;
	if (!a->nr_range || a->nr_range > DEVMEM_TD_MAX_RANGES || !a->npages ||
	    a->npages > max_pages || (a->flags & ~(TD_DIRECT_FLAGS | DEVMEM_TD_DIRECT)))
		return -EINVAL;
	if (tdev->nranges + a->nr_range > TD_MAX_DEV_RANGES)
		return -ENOSPC;
	pm = kzalloc(sizeof(*pm), GFP_KERNEL);
	if (!pm)
		return -ENOMEM;
	pm->tdev = tdev;
	pm->nr_range = a->nr_range;
	INIT_LIST_HEAD(&pm->held);
	INIT_WORK(&pm->release_work, td_release_work);
	hrtimer_init(&pm->release_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	pm->release_timer.function = td_release_timer;

	a->helper = 0;
#if TD_HELPERS
	if (a->nr_range == 1 && !(a->flags & (DEVMEM_TD_DIRECT | TD_DIRECT_FLAGS))) {
		a->helper = 1;
		ret = td_map_helper(pm, a->npages);
	} else {
		ret = td_map_direct(pm, a->npages, a->flags);
	}
#else
	ret = td_map_direct(pm, a->npages, a->flags);
#endif
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

/* Migrate the pages of @pm still mapped by a process back to system memory. */
static unsigned long td_evict(struct td_pagemap *pm)
{
	struct td_device *tdev = pm->tdev;
	unsigned long evicted = 0, i, flags;
	unsigned int r;

	for (r = 0; r < pm->nr_range; r++) {
		struct td_range *range = &pm->ranges[r];

		for (i = 0; i < range->npages; i++) {
			struct td_slot *slot = &range->slots[i];
			unsigned long src = 0, dst = 0;
			struct page *dpage;
			bool user;

			spin_lock_irqsave(&tdev->lock, flags);
			user = slot->state == TD_USER;
			spin_unlock_irqrestore(&tdev->lock, flags);
			if (!user)
				continue;
			migrate_device_range(&src, range->pfn_first + i, 1);
			if (!(src & MIGRATE_PFN_MIGRATE))
				continue;
			dpage = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOFAIL);
			lock_page(dpage);
			copy_highpage(dpage, slot->backing);
			dst = migrate_pfn(page_to_pfn(dpage));
			migrate_device_pages(&src, &dst, 1);
			if (src & MIGRATE_PFN_MIGRATE)
				evicted++;
			migrate_device_finalize(&src, &dst, 1);
		}
	}
	spin_lock_irqsave(&tdev->lock, flags);
	tdev->c.evicted += evicted;
	tdev->c.pages_to_ram += evicted;
	spin_unlock_irqrestore(&tdev->lock, flags);
	return evicted;
}

/*
 * Remove @pm. Held pages are released @release_ms after memunmap_pages()
 * began, so it waits that long for them.
 */
static int td_remove_pagemap(struct td_pagemap *pm, u32 release_ms, struct devmem_td_remove *out)
{
	struct td_device *tdev = pm->tdev;
	unsigned long flags, in_use = 0, i;
	unsigned int r;
	u64 t0;

	spin_lock_irqsave(&tdev->lock, flags);
	if (pm->nheld && !release_ms) {
		spin_unlock_irqrestore(&tdev->lock, flags);
		return -EBUSY;
	}
	pm->removing = true;
	spin_unlock_irqrestore(&tdev->lock, flags);

	out->evicted = td_evict(pm);

	spin_lock_irqsave(&tdev->lock, flags);
	for (r = 0; r < pm->nr_range; r++)
		for (i = 0; i < pm->ranges[r].npages; i++)
			if (pm->ranges[r].slots[i].state != TD_FREE)
				in_use++;
	spin_unlock_irqrestore(&tdev->lock, flags);
	out->in_use = in_use;

	if (pm->nheld)
		td_release_later(pm, release_ms);
	t0 = ktime_get_ns();
	td_unmap_pagemap(pm);
	out->wait_ns = ktime_get_ns() - t0;
	hrtimer_cancel(&pm->release_timer);
	flush_work(&pm->release_work);

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
		td_remove_pagemap(pm, 0, &out);
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
	    m->addr + (m->npages << PAGE_SHIFT) < m->addr)
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
		struct td_slot *slot = NULL;

		args->dst[i] = 0;
		if (!(args->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		spin_lock_irqsave(&tdev->lock, flags);
		if (!(m->fail_mask & BIT_ULL(idx % 64)))
			slot = td_place(tdev, m->placement, idx);
		if (slot && (m->waste_mask & BIT_ULL(idx % 64)))
			slot->waste = m->waste;
		if (!slot)
			tdev->c.alloc_failures++;
		spin_unlock_irqrestore(&tdev->lock, flags);
		if (!slot) {
			m->alloc_failures++;
			continue;
		}
		if (spage)
			copy_highpage(slot->backing, spage);
		else
			clear_highpage(slot->backing);
		td_init_page(slot);
		args->dst[i] = migrate_pfn(page_to_pfn(slot->page));
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
		dpage = td_alloc_ram_page(args->vma, args->start + (i << PAGE_SHIFT));
		if (!dpage)
			continue;
		copy_highpage(dpage, td_page_slot(spage)->backing);
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
		index = td_page_slot(dev_page)->range->index;
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
	unsigned long flags, nfree = 0;
	struct td_slot *slot, *tmp;
	unsigned int r, n;
	LIST_HEAD(list);

	spin_lock_irqsave(&tdev->lock, flags);
	for (r = 0; r < pm->nr_range; r++)
		nfree += pm->ranges[r].nfree;
	if (pm->removing || nfree < h->npages) {
		spin_unlock_irqrestore(&tdev->lock, flags);
		return pm->removing ? -EBUSY : -ENOSPC;
	}
	for (n = 0, r = 0; n < h->npages; ) {
		slot = td_take_slot(tdev, &pm->ranges[r], TD_HELD);
		if (!slot) {
			r++;
			continue;
		}
		list_add_tail(&slot->link, &list);
		n++;
	}
	spin_unlock_irqrestore(&tdev->lock, flags);

	list_for_each_entry(slot, &list, link) {
		td_init_page(slot);
		unlock_page(slot->page);
	}

	spin_lock_irqsave(&tdev->lock, flags);
	list_for_each_entry_safe(slot, tmp, &list, link)
		list_move_tail(&slot->link, &pm->held);
	pm->nheld += h->npages;
	tdev->c.held += h->npages;
	h->held = pm->nheld;
	spin_unlock_irqrestore(&tdev->lock, flags);
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
	tdev = kzalloc(sizeof(*tdev), GFP_KERNEL);
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
		ret = pm ? td_remove_pagemap(pm, a.remove.release_ms, &a.remove) : -ENOENT;
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
			TD_HELPERS ? "hmm_devmem helpers" : "memremap_pages");
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

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * devmem_testdrv: the ioctl interface of the project's test driver of
 * device private memory (/dev/devmem_testdrv), shared by the module and the
 * programs that drive it.
 *
 * A device is one pagemap owner. It has pagemaps (each one memremap_pages()
 * of MEMORY_DEVICE_PRIVATE memory, with one or more physical ranges), and
 * its pages are handed out from them. Everything a file created is removed
 * when the file is closed. All ioctls return 0 or -1 with errno set.
 */
#ifndef DEVMEM_TESTDRV_H
#define DEVMEM_TESTDRV_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DEVMEM_TD_NAME		"devmem_testdrv"
#define DEVMEM_TD_MAX_RANGES	4	/* ranges of one pagemap */
#define DEVMEM_TD_MAX_PAGES	65536	/* usable pages of one range */
#define DEVMEM_TD_MAX_WINDOW	512	/* pages of one migrate_vma call */
#define DEVMEM_TD_ALL		0xffffffffU	/* every device (COUNTS) */

/* DEVMEM_TD_CREATE_DEV, DEVMEM_TD_DESTROY_DEV */
struct devmem_td_dev {
	__u32 dev;		/* out (CREATE), in (DESTROY): device id */
	__u32 flags;		/* must be 0 */
};

/* devmem_td_pagemap.flags: memremap_pages() even where zone_device_pool exists */
#define DEVMEM_TD_DIRECT	0x1
/*
 * ... and the last range placed beyond the physical address space the kernel
 * can hotplug, so that memremap_pages() fails (EINVAL, without a kernel
 * warning) after setting up the ranges before it: the ioctl fails with it.
 */
#define DEVMEM_TD_BOGUS		0x2
/*
 * ... and npages (up to DEVMEM_TD_MAX_MAPPED) is the size of each range,
 * struct pages for all of it, but only its first DEVMEM_TD_UNBACKED_USABLE
 * pages are usable (have a backing page): big pagemaps for a benchmark of
 * what costs per struct page, without the memory to back them.
 */
#define DEVMEM_TD_UNBACKED	0x4
#define DEVMEM_TD_MAX_MAPPED	1048576U	/* pages of an unbacked range: 4 GiB */
#define DEVMEM_TD_UNBACKED_USABLE 16
/*
 * ... and npages (up to DEVMEM_TD_MAX_SPARSE) is the size of each range, every
 * page of it usable: a device page gets its backing system page only while it
 * is handed out, so a range can be far larger than RAM (its struct pages cost
 * 1/64 of its size). For a device of 64 GiB and more.
 */
#define DEVMEM_TD_SPARSE	0x8
#define DEVMEM_TD_MAX_SPARSE	0x4000000U	/* pages of a sparse range: 256 GiB */

/* DEVMEM_TD_ADD_PAGEMAP */
struct devmem_td_pagemap {
	__u32 dev;		/* in: device id */
	__u32 nr_range;		/* in: physical ranges, 1 to DEVMEM_TD_MAX_RANGES */
	__u32 npages;		/* in: usable pages per range, 1 to DEVMEM_TD_MAX_PAGES */
	__u32 flags;		/* in: DEVMEM_TD_* flags, or 0 */
	__u32 pagemap;		/* out: pagemap id */
	__u32 helper;		/* out: 1 if added with zone_device_pool_add() */
};

/*
 * devmem_td_remove.flags: evict with one migrate_device_range() over every pfn
 * of each range (as test_hmm and nouveau do), not only over the pages in use
 */
#define DEVMEM_TD_EVICT_WHOLE	0x1

/* DEVMEM_TD_REMOVE_PAGEMAP */
struct devmem_td_remove {
	__u32 pagemap;		/* in: pagemap id */
	__u32 release_ms;	/* in: release the held pages this long after the remove began */
	__u64 wait_ns;		/* out: time the remove took: eviction and memunmap_pages() */
	__u32 in_use;		/* out: pages handed out when the remove began */
	__u32 evicted;		/* out: pages migrated back to RAM by the remove */
	__u32 flags;		/* in: DEVMEM_TD_EVICT_WHOLE or 0 */
	__u32 reserved;		/* must be 0 */
};

/*
 * devmem_td_migrate.placement, which range a destination page comes from:
 * FILL the first range (in creation order) with a free page; INTERLEAVE for
 * page i range i % (ranges of the device), else the next one with a free page.
 */
#define DEVMEM_TD_FILL		0
#define DEVMEM_TD_INTERLEAVE	1

/* DEVMEM_TD_MIGRATE_TO_DEV, DEVMEM_TD_MIGRATE_TO_RAM */
struct devmem_td_migrate {
	__u64 addr;		/* in: page aligned start of a private anonymous range */
	__u64 npages;		/* in: its length in pages */
	__u32 dev;		/* in: device id */
	__u32 window;		/* in: pages per migrate_vma call, 0 for 64 */
	__u32 placement;	/* in (TO_DEV): DEVMEM_TD_FILL or DEVMEM_TD_INTERLEAVE */
	__u32 waste;		/* in (TO_DEV): faults each page of waste_mask wastes */
	__u32 reason;		/* in: struct migrate_vma's reason where the kernel has it:
				 * enum migrate_device_reason (0 unknown, 1 cpu_fault,
				 * 2 device_fault, 3 prefetch, 4 evict, 5 remove, 6 longterm_pin)
				 */
	__u32 reserved;		/* must be 0 */
	__u64 fail_mask;	/* in (TO_DEV): bit i % 64 set: page i's allocation fails */
	__u64 waste_mask;	/* in (TO_DEV): bit i % 64 set: page i's next `waste` faults
				 * collect nothing (migrate_to_ram() returns early)
				 */
	__u64 calls;		/* out: migrate_vma_setup() calls */
	__u64 collected;	/* out: pages migrate_vma_setup() collected */
	__u64 migrated;		/* out: pages migrated */
	__u64 alloc_failures;	/* out (TO_DEV): destination pages not allocated */
	__u64 empty_calls;	/* out: calls that collected nothing (no pages/finalize) */
	__u64 spanning;		/* out: calls whose pages came from more than one range */
};

/* DEVMEM_TD_HOLD, DEVMEM_TD_RELEASE */
struct devmem_td_hold {
	__u32 pagemap;		/* in: pagemap id */
	__u32 npages;		/* in (HOLD): free pages to take a reference on */
	__u32 delay_ms;		/* in (RELEASE): drop the references this long from now,
				 * from a workqueue; 0: now
				 */
	__u32 held;		/* out: pages of the pagemap held after the call */
};

/*
 * DEVMEM_TD_BENCH: hand a page of the pagemap out and free it again,
 * iterations times, and say how long that took: the cost of
 * zone_device_page_init() and free_zone_device_folio() with whatever is
 * attached to them, plus the driver's own bookkeeping.
 */
struct devmem_td_bench {
	__u32 pagemap;		/* in: pagemap id */
	__u32 iterations;	/* in: allocations and frees */
	__u64 ns;		/* out: time they took */
};

/* DEVMEM_TD_COUNTS */
struct devmem_td_counts {
	__u32 dev;		/* in: device id or DEVMEM_TD_ALL */
	__u32 pagemaps;		/* out: live pagemaps */
	__u64 allocs;		/* device pages handed out (zone_device_page_init()) */
	__u64 frees;		/* device pages freed (page_free callback) */
	__u64 alloc_failures;	/* destination pages not allocated (TO_DEV) */
	__u64 pages_to_device;
	__u64 pages_to_ram;	/* by faults, TO_RAM and eviction */
	__u64 fault_calls;	/* migrate_to_ram() calls */
	__u64 faults_wasted;	/* of those, the ones whose migrate_vma_setup() collected nothing */
	__u64 evicted;		/* pages migrated back to RAM by a remove */
	__u64 in_use;		/* device pages allocated now */
	__u64 held;		/* of those, held by the driver */
};

#define DEVMEM_TD_IOC		'V'
#define DEVMEM_TD_CREATE_DEV	_IOWR(DEVMEM_TD_IOC, 0x40, struct devmem_td_dev)
#define DEVMEM_TD_DESTROY_DEV	_IOW(DEVMEM_TD_IOC, 0x41, struct devmem_td_dev)
#define DEVMEM_TD_ADD_PAGEMAP	_IOWR(DEVMEM_TD_IOC, 0x42, struct devmem_td_pagemap)
#define DEVMEM_TD_REMOVE_PAGEMAP _IOWR(DEVMEM_TD_IOC, 0x43, struct devmem_td_remove)
#define DEVMEM_TD_MIGRATE_TO_DEV _IOWR(DEVMEM_TD_IOC, 0x44, struct devmem_td_migrate)
#define DEVMEM_TD_MIGRATE_TO_RAM _IOWR(DEVMEM_TD_IOC, 0x45, struct devmem_td_migrate)
#define DEVMEM_TD_HOLD		_IOWR(DEVMEM_TD_IOC, 0x46, struct devmem_td_hold)
#define DEVMEM_TD_RELEASE	_IOWR(DEVMEM_TD_IOC, 0x47, struct devmem_td_hold)
#define DEVMEM_TD_COUNTS	_IOWR(DEVMEM_TD_IOC, 0x48, struct devmem_td_counts)
#define DEVMEM_TD_BENCH		_IOWR(DEVMEM_TD_IOC, 0x49, struct devmem_td_bench)

#endif /* DEVMEM_TESTDRV_H */

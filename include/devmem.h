/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Types shared by the BPF programs (bpf/devmem.bpf.c) and user space
 * (tools/lib). Fixed-width types only, no includes: the BPF side gets __u32
 * and friends from vmlinux.h, user space from <linux/types.h>.
 */
#ifndef DEVMEM_SHARED_H
#define DEVMEM_SHARED_H

#define DEVMEM_COMM_LEN		16
#define DEVMEM_HIST_SLOTS	48	/* log2 buckets; the last one is open-ended */
#define DEVMEM_MAX_RANGES	16	/* struct dev_pagemap ranges walked per pagemap */
#define DEVMEM_UNKNOWN		(~0ULL)	/* a value the attachment mode cannot see */

/* memory_type values of include/linux/memremap.h that the toolkit follows */
#define DEVMEM_TYPE_PRIVATE	1
#define DEVMEM_TYPE_COHERENT	2

/* enum devmem_migrate_dir of the kernel series */
enum devmem_dir {
	DEVMEM_TO_DEVICE = 0,
	DEVMEM_TO_RAM = 1,
};

/* What a ring buffer record describes; also the bit number in stream_mask. */
enum devmem_event_type {
	DEVMEM_EV_PAGEMAP_ADD = 1,
	DEVMEM_EV_PAGEMAP_REMOVE,
	DEVMEM_EV_PAGEMAP_REMOVE_DONE,
	DEVMEM_EV_FAULT,
	DEVMEM_EV_FAULT_DONE,
	DEVMEM_EV_MIGRATE,
	DEVMEM_EV_PAGE_ALLOC,
	DEVMEM_EV_PAGE_FREE,
	DEVMEM_EV_MAX,
};

#define DEVMEM_STREAM_ALL	(((1U << DEVMEM_EV_MAX) - 1) & ~1U)

/*
 * One ring buffer record. Fields a type does not use are zero.
 *   pagemap events: address = start, pfn = end (inclusive, physical),
 *                   npages = nr_pages, result = in_use, latency = remove wait
 *                   (remove_done only)
 *   fault:          address, pfn, fault = write flag
 *   fault_done:     address, pfn, result = vm_fault_t, migrated = pages the
 *                   fault moved, latency = fault latency
 *   migrate:        address = migrate->start, npages/cpages/migrated, dir,
 *                   fault = fault-driven
 *   page_alloc/free: pfn, latency = page lifetime (free only, 0 if unknown)
 */
struct devmem_event {
	__u32 type;
	__u32 cpu;
	__u64 ts_ns;
	__u32 pid;
	__u32 tgid;
	char comm[DEVMEM_COMM_LEN];
	__u64 pgmap;		/* struct dev_pagemap pointer value */
	__u64 owner;		/* pgmap->owner pointer value */
	__u64 address;
	__u64 pfn;
	__u64 npages;
	__u64 cpages;
	__u64 migrated;
	__u32 dir;		/* enum devmem_dir */
	__u32 fault;
	__u64 result;
	__u64 latency_ns;
};

/* ranges map: key = struct dev_pagemap pointer value */
struct devmem_range {
	__u64 pgmap;
	__u64 start;		/* physical, of ranges[0] */
	__u64 end;		/* inclusive */
	__u64 nr_pages;		/* over all ranges */
	__u64 owner;
	__u64 added_ns;		/* 0: added before tracing started */
	__u64 removed_ns;
	__u64 remove_done_ns;
	__u64 in_use_at_remove;	/* DEVMEM_UNKNOWN on the fallback */
	__u32 nr_range;
	__u32 type;		/* DEVMEM_TYPE_* */
	__u32 nid;		/* ~0U: unknown */
	__u32 pad;
};

/*
 * Counters, per device (key: owner), per process (key: tgid) and global.
 * All __u64 so that user space can sum them as an array.
 */
struct devmem_counters {
	__u64 faults;			/* migrate_to_ram() calls */
	__u64 fault_errors;		/* ... returning VM_FAULT_ERROR bits */
	__u64 faults_wasted;		/* ... that migrated no page */
	__u64 pages_to_device;
	__u64 pages_to_ram;
	__u64 migrate_calls_to_device;
	__u64 migrate_calls_to_ram;
	__u64 fault_migrations;		/* migrate calls made by a fault handler */
	__u64 fault_pages;		/* pages those calls migrated */
	__u64 pages_collected;		/* cpages over all migrate calls */
	__u64 allocs;			/* device pages handed out */
	__u64 frees;			/* device pages given back */
	__u64 adds;			/* pagemaps added */
	__u64 removes;			/* pagemaps removed */
	__u64 refs_waited;		/* in-use pages a remove had to wait for */
};

#define DEVMEM_NR_COUNTERS (sizeof(struct devmem_counters) / sizeof(__u64))

/* per-process counters value: comm of the process + counters */
struct devmem_proc_value {
	char comm[DEVMEM_COMM_LEN];
	struct devmem_counters c;
};

/* log2 histogram kinds */
enum devmem_hist_kind {
	DEVMEM_HIST_FAULT_LATENCY = 0,	/* ns */
	DEVMEM_HIST_MIGRATE_PAGES,	/* pages per migrate call */
	DEVMEM_HIST_PAGE_LIFETIME,	/* ns from alloc to free of a device page */
	DEVMEM_HIST_REMOVE_WAIT,	/* ns a remove waited for references */
	DEVMEM_HIST_KINDS,
};

/*
 * Slot i counts values v with log2(v) == i (slot 0 holds 0 and 1); the last
 * slot holds everything from 2^(DEVMEM_HIST_SLOTS-1) up (saturated).
 */
struct devmem_hist {
	__u64 slots[DEVMEM_HIST_SLOTS];
	__u64 count;
	__u64 sum;
};

/* per-device (id = owner) and per-process (id = tgid) histogram key */
struct devmem_hist_key {
	__u64 id;
	__u32 kind;
	__u32 pad;
};

/* fault-start map value, keyed by thread id */
struct devmem_fault_start {
	__u64 ts_ns;
	__u64 pgmap;
	__u64 owner;
	__u64 migrated;		/* pages migrated by the fault so far */
};

/* Internal counters of the BPF side; the first DEVMEM_LOST_NR_LOSSES are losses. */
enum devmem_lost_kind {
	DEVMEM_LOST_RINGBUF = 0,	/* ring buffer full: record dropped */
	DEVMEM_LOST_RANGES_FULL,
	DEVMEM_LOST_DEVICES_FULL,
	DEVMEM_LOST_PROCS_FULL,
	DEVMEM_LOST_HISTS_FULL,
	DEVMEM_LOST_ALLOC_TS_FULL,	/* alloc-time slot held by another live page: lifetime lost */
	DEVMEM_LOST_FAULT_TS_FULL,	/* no task storage for the fault start: latency lost */
	DEVMEM_LOST_MIGRATE_TRUNC,	/* migrate window longer than the loop bound */
	DEVMEM_LOST_NR_LOSSES,
	/* not losses: events whose start happened before tracing started */
	DEVMEM_UNMATCHED_FREE = DEVMEM_LOST_NR_LOSSES,
	DEVMEM_UNMATCHED_FAULT_DONE,
	DEVMEM_UNMATCHED_REMOVE_DONE,
	DEVMEM_LOST_KINDS,
};

#endif /* DEVMEM_SHARED_H */

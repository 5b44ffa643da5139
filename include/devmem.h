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

/* enum devmem_migrate_dir of the kernel series' trace header */
enum devmem_dir {
	DEVMEM_TO_DEVICE = 0,
	DEVMEM_TO_RAM = 1,
	DEVMEM_DEVICE_TO_DEVICE = 2,
};

/* enum devmem_migrate_reason of the kernel series' trace header */
enum devmem_reason {
	DEVMEM_REASON_FAULT = 0,	/* a CPU fault's migrate_to_ram() */
	DEVMEM_REASON_DRIVER = 1,	/* the driver's own migrate_vma_setup(), no reason given */
	DEVMEM_REASON_EVICT = 2,	/* device memory reclaimed (migrate_device_*()) */
	DEVMEM_REASON_PIN = 3,		/* a long-term pin of a coherent page */
	DEVMEM_REASON_DEVICE_FAULT = 4,	/* the device faulted: its driver moves memory to it */
	DEVMEM_REASON_PREFETCH = 5,	/* a placement asked for ahead of use */
	DEVMEM_REASON_REMOVE = 6,	/* device memory going away: evicted before its remove */
	DEVMEM_REASONS,
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

/* devmem_event.write: the fault flags were not seen */
#define DEVMEM_WRITE_UNKNOWN	2

#define DEVMEM_STREAM_ALL	(((1U << DEVMEM_EV_MAX) - 1) & ~1U)

/*
 * One record of the events ring (streamed events). Fields a type does not
 * use are zero.
 */
struct devmem_event {
	__u32 type;		/* enum devmem_event_type */
	__u32 cpu;
	__u64 ts_ns;
	__u32 pid;
	__u32 tgid;
	char comm[DEVMEM_COMM_LEN];
	__u64 pgmap_start;	/* physical start of the pagemap the event is about (a
				 * migration: its device side); 0: none */
	__u64 owner;		/* that pagemap's owner pointer value; a migration
				 * without a device pagemap: its migrate_vma's pgmap_owner */
	__u64 address;		/* fault, fault_done: faulting virtual address;
				 * migrate: start of the window */
	__u64 pfn;		/* fault, fault_done, page_alloc, page_free: the page */
	__u64 range_end;	/* pagemap events: last physical byte (inclusive) */
	__u64 npages;		/* pagemap events: pages of its ranges; migrate: entries
				 * of the window; page events: pages of the folio */
	__u64 cpages;		/* migrate: pages collected */
	__u64 migrated;		/* migrate: pages moved; fault_done: pages the fault moved */
	__u64 in_use;		/* pagemap_remove: pages still in use (DEVMEM_UNKNOWN: not seen) */
	__u64 vm_fault;		/* fault_done: the vm_fault_t returned (DEVMEM_UNKNOWN: not seen) */
	__u64 latency_ns;	/* fault_done: the fault's latency; remove_done: how long the
				 * remove waited; page_free: the page's lifetime (0: unknown) */
	__u64 src_pgmap;	/* migrate: physical start of the source pagemap, 0: RAM */
	__u64 dst_pgmap;	/* migrate: ... of the destination, 0: RAM or no page */
	__u32 dir;		/* migrate: enum devmem_dir */
	__u32 reason;		/* migrate: enum devmem_reason */
	__u32 part;		/* migrate: index of the record in its window, 0 first */
	__u8 write;		/* fault, fault_done: 1 a write, 0 a read, DEVMEM_WRITE_UNKNOWN */
	__u8 fault_driven;	/* migrate: made by a CPU fault's handler */
	__u8 pad[2];
	__u32 order;		/* page events: the folio's order; fault, fault_done: the
				 * mapping's (0 a PTE, 9 a PMD on x86-64); migrate: the
				 * folios' (mixed windows: of the first) */
	__u32 pad2;
};

/*
 * ranges map: key = struct dev_pagemap pointer value. An entry lives while
 * its pagemap does and until user space has read it after remove_done;
 * slot indexes the per-range counter and histogram arrays, gen tells two
 * pagemaps at the same address apart within a session.
 */
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
	__u32 slot;		/* index into range_counters / range_hists */
	__u64 gen;		/* order in which the BPF side learnt the range, from 1 */
	__u32 flags;		/* DEVMEM_RANGE_F_* */
	__u32 pad;
};

#define DEVMEM_RANGE_F_ADDED	0x1	/* seen at its add event */
#define DEVMEM_RANGE_F_PROBED	0x2	/* found at start by the probe program */
#define DEVMEM_RANGE_F_LEARNT	0x4	/* first seen at an event of one of its pages */

/* Per-range tables: counters per CPU, histograms shared (atomic adds). */
#define DEVMEM_RANGE_SLOTS	256
/* slot value of the range cache for a pagemap of a type that is not followed */
#define DEVMEM_RANGE_IGNORED	255

/*
 * Counters: global, per range (slot) and per process (tgid). All __u64 so
 * that user space can sum them as an array.
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
	/* why a wasted fault migrated nothing, where the kernel shows it */
	__u64 faults_uncollected;	/* ... its migration collected no page, or none was tried */
	__u64 faults_unmigrated;	/* ... pages were collected but none moved (busy, pinned) */
	__u64 faults_retry;		/* faults that returned VM_FAULT_RETRY */
	__u64 faults_pmd;		/* faults on a PMD mapping of a large device folio */
	__u64 faults_busy;		/* faults that found the page locked and faulted again
					 * (zone_device tracepoints only) */
};

#define DEVMEM_NR_COUNTERS (sizeof(struct devmem_counters) / sizeof(__u64))

/*
 * Folios by order: orders 0 to DEVMEM_ORDERS - 2 each, the last bucket
 * holding DEVMEM_ORDERS - 1 and up. Page counts (struct devmem_counters)
 * count pages; these count folios, so a 2 MiB folio is 512 pages there and
 * one folio of order 9 here.
 */
#define DEVMEM_ORDERS	11

struct devmem_folio_counts {
	__u64 allocs[DEVMEM_ORDERS];	/* folios handed out */
	__u64 frees[DEVMEM_ORDERS];	/* folios given back (after a split: its pieces) */
	__u64 to_device[DEVMEM_ORDERS];	/* folios migrated to a device */
	__u64 to_ram[DEVMEM_ORDERS];	/* ... back to RAM */
};

#define DEVMEM_FOLIO_KINDS	4	/* arrays of struct devmem_folio_counts */

/*
 * procs map value (key: tgid). Shared by all CPUs: the BPF side adds with
 * atomic instructions. An entry exists while its process is alive; at exit
 * its figures leave the table as a struct devmem_proc_exit notice.
 */
struct devmem_proc_value {
	char comm[DEVMEM_COMM_LEN];
	__u64 seq;		/* incarnation: order of insertion, from 1 */
	__u64 start_ns;		/* group leader's start_time (CLOCK_MONOTONIC) */
	__u64 start_boot_ns;	/* ... start_boottime, as in /proc/PID/stat */
	__u64 exit_ns;		/* set when the exit record could not be sent */
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

/*
 * proc_overflow map value (key: tgid, LRU): a process that found the procs
 * table full, and how many of its events are missing from its figures.
 */
struct devmem_proc_overflow {
	char comm[DEVMEM_COMM_LEN];
	__u64 start_ns;
	__u64 events;
	__u64 exit_ns;		/* set at its exit; 0: alive */
};

/* per-process histograms (map proc_hists, key: tgid), atomic adds */
struct devmem_proc_hists {
	struct devmem_hist h[DEVMEM_HIST_KINDS];
};

/*
 * Records of the notices ring: what user space must hear of at once, not
 * at its next read of the tables.
 */
enum devmem_notice_type {
	DEVMEM_NOTICE_PROCESS_EXIT = 1,	/* a process left the procs table */
	DEVMEM_NOTICE_RANGE,		/* a range was learnt: user space names it now */
	DEVMEM_NOTICE_THRASH_PAGE,	/* a page left the thrash table */
	DEVMEM_NOTICE_STACK_PROC,	/* not sent any more (stack maps come on the ustacks ring) */
};

#define DEVMEM_PROC_EXIT_F_HISTS	0x1	/* hists are valid */

struct devmem_proc_exit {
	__u32 type;		/* DEVMEM_NOTICE_PROCESS_EXIT */
	__u32 tgid;
	__u32 flags;		/* DEVMEM_PROC_EXIT_F_* */
	__u32 pad;
	__u64 exit_ns;
	struct devmem_proc_value v;
	struct devmem_proc_hists hists;	/* only in notices with DEVMEM_PROC_EXIT_F_HISTS */
};

struct devmem_range_notice {
	__u32 type;		/* DEVMEM_NOTICE_RANGE */
	__u32 pad;
	struct devmem_range r;
};

/*
 * Thrashing: the thrash map is a set-associative table of the pages CPU
 * faults on device memory hit, DEVMEM_THRASH_WAYS ways per set, the set
 * chosen by a hash of (tgid, virtual page). A bounce is a fault that
 * migrated its page back to RAM; the times of a page's last
 * DEVMEM_THRASH_RING bounces give the most bounces it made within the
 * window T, so user space can apply any threshold K below the ring size.
 * A page that must give its way to another is sent to user space (notices
 * ring) if it bounced twice or more.
 */
#define DEVMEM_THRASH_WAYS	4
#define DEVMEM_THRASH_RING	8
#define DEVMEM_THRASH_K_MAX	(DEVMEM_THRASH_RING - 1)
#define DEVMEM_THRASH_SETS	512	/* default: 2048 pages followed at once */

struct devmem_thrash_page {
	__u64 seq;		/* incarnation of the way, unique; 0: empty */
	__u32 tgid;
	__u32 window_max;	/* most bounces within T, at most DEVMEM_THRASH_RING */
	__u64 start_ns;		/* its process's start time: the identity with tgid */
	__u64 vpage;		/* virtual address >> page shift */
	__u64 range;		/* physical start of the pagemap of its last fault */
	__u64 bounces;		/* faults that migrated it back to RAM */
	__u64 faults;		/* faults on it, wasted ones too */
	__u64 fault_ns;		/* their summed latency */
	__u64 last_ns;		/* its last fault */
	__u64 ring[DEVMEM_THRASH_RING];	/* times of its last bounces, 0: none */
	__u32 ring_pos;
	__u32 pages;		/* pages one bounce of it moves: 1, or a large folio's
				 * (a PMD fault is followed at its folio's first page) */
};

struct devmem_thrash_set {
	struct devmem_thrash_page w[DEVMEM_THRASH_WAYS];
};

/*
 * The set of a page, mask = sets - 1: the tgid is spread over all 64 bits
 * before the multiply and the product's high half folded into the low
 * one, so every bit of (tgid, page) reaches the index. Processes forked
 * from one parent fault the same virtual pages: a tgid that reached only
 * the high bits of the product would put all of them into a few sets.
 */
static inline __u32 devmem_thrash_set_of(__u32 tgid, __u64 vpage, __u32 mask)
{
	__u64 h = (vpage + tgid * 0x9E3779B97F4A7C15ULL) * 0x9E3779B97F4A7C15ULL;

	return (__u32)(h ^ (h >> 32)) & mask;
}

struct devmem_thrash_notice {
	__u32 type;		/* DEVMEM_NOTICE_THRASH_PAGE */
	__u32 pad;
	struct devmem_thrash_page p;
};

/*
 * Stacks (optional): the user stack of each CPU fault on device memory.
 * In fp mode the kernel walks the frame pointers into the stacks map and
 * stack_counts counts faults per (process, layout, stack, caller) in the
 * kernel; in dwarf mode (and in fp mode for a leaf user space has not
 * looked at yet) each fault sends a sample (below) that user space unwinds.
 */
#define DEVMEM_STACK_DEPTH	64	/* frames kept per stack */

struct devmem_stack_key {
	__u32 tgid;
	__s32 stackid;		/* the walk in the stacks map */
	__u64 start_ns;		/* process start time */
	__u64 caller;		/* the return address of a frameless leaf, read where its
				 * leaf rule says (0: none, or unreadable) */
	__u32 layout;		/* the process's address space: 0, +1 at each exec */
	__u32 pad;
};

struct devmem_stack_value {
	__u64 faults;
	__u64 fault_ns;		/* summed latency of the faults that ended */
	char comm[DEVMEM_COMM_LEN];
};

/*
 * fp mode: what the CFI at a leaf's ip says of the frame-pointer walk,
 * per (process, layout, ip), written by user space when the first sample
 * at that ip came; until then the faults there send samples.
 */
enum devmem_leaf_kind {
	DEVMEM_LEAF_PENDING = 0,	/* not looked at yet: samples */
	DEVMEM_LEAF_FRAMED,		/* the leaf has its frame: the walk is whole */
	DEVMEM_LEAF_FRAMELESS,		/* no frame yet: its caller's return address is at
					 * sp + ra_off, the walk skips the caller */
	DEVMEM_LEAF_UNCHECKED,		/* no CFI there: the walk as it is, counted */
};

struct devmem_leaf_key {
	__u64 ip;
	__u64 start_ns;
	__u32 tgid;
	__u32 layout;
};

struct devmem_leaf_rule {
	__u32 kind;		/* enum devmem_leaf_kind */
	__u32 ra_off;		/* DEVMEM_LEAF_FRAMELESS: bytes above sp */
};

#define DEVMEM_LEAF_RA_MAX	256	/* the farthest a frameless leaf's return address is */

/*
 * What the BPF side knows of a process's address space (stack_procs): the
 * mm its layout was taken of, and the memory areas it has looked up and
 * sent (the executable ones as DEVMEM_USTACK_MAP records); user space sets
 * maps to DEVMEM_MAPS_AGAIN when a stack reached an address outside them.
 */
#define DEVMEM_PROC_AREAS	32	/* a power of two */

enum devmem_maps_state {
	DEVMEM_MAPS_TAKEN = 0,
	DEVMEM_MAPS_AGAIN,		/* look again at the next fault's stack */
};

struct devmem_stack_proc {
	__u64 start_ns;
	__u64 mm;		/* an identity: a new one is a new layout (exec) */
	__u32 layout;
	__u32 maps;		/* enum devmem_maps_state */
	__u32 looks;		/* stacks looked at for areas (bounded) */
	__u32 nr_areas;
	__u32 next_area;	/* the one a new area replaces once all are taken */
	__u32 pad;
	struct {
		__u64 start, end;
	} areas[DEVMEM_PROC_AREAS];
};

#define DEVMEM_MAPS_LOOKS_MAX	8	/* per layout */

/* Losses (lost map): an event, or a part of what it is counted in, that is missing. */
enum devmem_lost_kind {
	DEVMEM_LOST_RINGBUF = 0,	/* ring buffer full: record dropped */
	DEVMEM_LOST_RANGES_FULL,	/* no range slot left: per-range counts lost */
	DEVMEM_LOST_PROCS_FULL,		/* procs table full: per-process counts lost */
	DEVMEM_LOST_HISTS_FULL,		/* proc_hists table full */
	DEVMEM_LOST_ALLOC_TS_FULL,	/* alloc-time slot held by another live page: lifetime lost */
	DEVMEM_LOST_FAULT_TS_FULL,	/* no task storage for the fault start: latency lost */
	DEVMEM_LOST_MIGRATE_TRUNC,	/* migrate window longer than the loop bound */
	DEVMEM_LOST_MAP_BUSY,		/* an insert failed although the table had room */
	DEVMEM_LOST_THRASH_EVICTED,	/* a bouncing page left the thrash table unsent */
	DEVMEM_LOST_THRASH_RACE,	/* way taken by another CPU 3 times: page not followed */
	DEVMEM_LOST_STACK_COLLISION,	/* stack map bucket held another stack */
	DEVMEM_LOST_STACK_DROP,		/* stack not taken (no user stack, no memory) */
	DEVMEM_LOST_STACK_COUNTS_FULL,	/* stack_counts table full: a stack's fault time lost */
	/* a fault's stack sample (struct devmem_ustack_sample) missing, by why */
	DEVMEM_LOST_USTACK_RING,	/* the stack ring was full */
	DEVMEM_LOST_USTACK_NO_REGS,	/* no user registers (a kernel thread, no helper) */
	DEVMEM_LOST_USTACK_UNREADABLE,	/* not a byte of the user stack could be read */
	/* ... or short, found by the unwinder in user space */
	DEVMEM_LOST_STACK_NO_MAPS,	/* the process's mappings were never read: addresses only */
	DEVMEM_LOST_STACK_TRUNCATED,	/* the unwinding reached the end of the stack copied */
	DEVMEM_LOST_STACK_UNWIND_STOPPED, /* a frame without CFI, or outside every mapping */
	DEVMEM_LOST_STACK_TIME_RING,	/* the stack ring was full at a sampled fault's end:
					 * its fault time is missing */
	DEVMEM_LOST_STACK_LEAF_UNCHECKED, /* fp: no CFI at the leaf, or its return address
					 * unreadable: a frameless leaf's caller may be missing */
	DEVMEM_LOST_STACK_MAPS_BUSY,	/* the process's memory areas could not be looked up
					 * (its mmap lock was taken): looked up again later */
	DEVMEM_LOST_KINDS,
};

/*
 * Tallies (tallies map): events counted aside that are not losses. The
 * unmatched ones end something that started before tracing did.
 */
enum devmem_tally_kind {
	DEVMEM_UNMATCHED_FREE = 0,	/* a page freed that was handed out before */
	DEVMEM_UNMATCHED_FAULT_DONE,	/* a fault ended that started before */
	DEVMEM_UNMATCHED_REMOVE_DONE,	/* a remove ended that started before */
	DEVMEM_NOTICES_DEFERRED,	/* exit notices that waited (the notices ring was full) */
	DEVMEM_UNMATCHED_MIGRATION,	/* a migration's part or end whose start came before */
	DEVMEM_TALLY_KINDS,
};

/*
 * The ustacks ring (--stacks): records that start with their type. A
 * sample (dwarf mode, and fp mode at a leaf not looked at yet) has the
 * user registers, the frame-pointer walk (fp) and the top of the user
 * stack (a few words for fp, --stack-size bytes for dwarf); its fault's
 * time follows in a latency record when the fault ends. Before a
 * process's first sample (and when user space asks again) come the
 * executable mappings its stack touches, each with its file and build-id,
 * taken in the kernel while the process lives, then an end record.
 */
enum devmem_stack_mode {
	DEVMEM_STACKS_OFF = 0,
	DEVMEM_STACKS_FP = 1,		/* the in-kernel frame-pointer walk, counted in the kernel */
	DEVMEM_STACKS_DWARF = 2,	/* registers and the top of the stack, unwound by CFI */
};

enum devmem_ustack_type {
	DEVMEM_USTACK_SAMPLE = 1,	/* struct devmem_ustack_sample */
	DEVMEM_USTACK_MAP,		/* struct devmem_stack_map */
	DEVMEM_USTACK_MAPS_END,		/* struct devmem_stack_maps_end */
	DEVMEM_USTACK_LATENCY,		/* struct devmem_ustack_latency */
};

#define DEVMEM_UREGS		17	/* x86-64 DWARF registers 0-16: ax dx cx bx si di bp
					 * sp r8-r15, then the ip as the return address column */
#define DEVMEM_UREG_BP		6
#define DEVMEM_UREG_SP		7
#define DEVMEM_UREG_IP		16
#define DEVMEM_FP_STACK_BYTES	DEVMEM_LEAF_RA_MAX	/* fp: words above sp, for a leaf */
#define DEVMEM_STACK_BYTES_DEFAULT 8192	/* dwarf mode */
#define DEVMEM_STACK_BYTES_MAX	65536

struct devmem_ustack_sample {
	__u32 type;		/* DEVMEM_USTACK_SAMPLE */
	__u32 tgid;
	__u32 pid;
	__u32 layout;		/* as in devmem_stack_key */
	__u64 start_ns;		/* its process's start time */
	__u64 seq;		/* its latency record's (0: none comes) */
	__u32 nr_ips;		/* fp mode: frames in ips */
	__u32 stack_len;	/* bytes of stack copied, from regs[DEVMEM_UREG_SP] */
	char comm[DEVMEM_COMM_LEN];
	__u64 regs[DEVMEM_UREGS];
	__u64 ips[DEVMEM_STACK_DEPTH];	/* fp mode: the walk, innermost first */
	__u8 stack[];		/* the copy, as many bytes as the ring record holds */
};

struct devmem_ustack_latency {
	__u32 type;		/* DEVMEM_USTACK_LATENCY */
	__u32 tgid;
	__u64 seq;		/* its sample's */
	__u64 lat_ns;
};

#define DEVMEM_BUILD_ID_MAX	20
#define DEVMEM_MAP_PATH_LEN	512
#define DEVMEM_MAP_NAME_MAX	128	/* bytes of one path component kept */

#define DEVMEM_MAP_F_PATH_CUT	0x1	/* path: a component or the depth cut short */

/* one executable file mapping of a process, as its stacks touch it */
struct devmem_stack_map {
	__u32 type;		/* DEVMEM_USTACK_MAP */
	__u32 tgid;
	__u64 start_ns;
	__u32 layout;
	__u32 flags;		/* DEVMEM_MAP_F_* */
	__u64 start, end;	/* the mapping's addresses */
	__u64 pgoff;		/* the file offset of start, in bytes */
	__u64 ino;
	__u32 dev;		/* the kernel's dev_t: major << 20 | minor */
	__u32 build_id_len;	/* 0: not readable from the process's memory */
	__u8 build_id[DEVMEM_BUILD_ID_MAX];
	__u32 path_len;		/* bytes used in path */
	/* the path's components from the file up to the root, each NUL-terminated */
	char path[DEVMEM_MAP_PATH_LEN];
};

struct devmem_stack_maps_end {
	__u32 type;		/* DEVMEM_USTACK_MAPS_END */
	__u32 tgid;
	__u64 start_ns;
	__u32 layout;
	__u32 sent;		/* mappings sent by this look */
	__s32 err;		/* 0, or why the look ended early (-EBUSY: the mmap lock) */
	__u32 pad;
};

#endif /* DEVMEM_SHARED_H */

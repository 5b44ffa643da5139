/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tables of the BPF side: the settings user space fixes before load,
 * every map, and the few helpers every handler uses (losses, sequence
 * numbers, the three counter sets of an event, filters, the event ring).
 */
#ifndef DEVMEM_TABLES_BPF_H
#define DEVMEM_TABLES_BPF_H

/* Filters and flags, set by user space before load. 0 = no filter. */
const volatile __u32 filter_tgid = 0;
const volatile __u64 filter_owner = 0;
const volatile __u32 stream_mask = 0;		/* bit (1 << DEVMEM_EV_x): stream it */
const volatile bool hist_per_range = false;	/* fill range_hists (-D views) */
const volatile bool hist_per_process = false;	/* fill proc_hists (-P views) */
const volatile __u32 page_shift = 12;		/* of the running kernel, from user space */
/* fallback without do_swap_page(): a fault ends at migrate_vma_finalize(), result unseen */
const volatile bool fault_result_unknown = false;
/* thrashing detection: the window T in ns (0: off) and the thrash map's sets - 1 */
const volatile __u64 thrash_window_ns = 0;
const volatile __u32 thrash_mask = 0;
/* the user stack of each fault (stacks, stack_counts) */
const volatile bool fault_stacks = false;
/* per-process counters and histograms (procs, proc_hists); off for tools that show none */
const volatile bool procs_on = true;

/* direct-mapped pgmap -> slot cache in front of the ranges hash */
#define DEVMEM_RANGE_CACHE	4096

/* Loop bound of the fallback's migrate window walk (pages). */

/*
 * What the kernel keeps is what is live or not yet read; the session in
 * user space owns the history (tools/lib/kernel/history.c).
 *
 * Ranges (pagemaps): `ranges` describes each live pagemap, keyed by the
 * physical start of its first range (unique among live pagemaps, and a
 * plain load away from a struct dev_pagemap). Each entry holds a slot of
 * the per-range tables, taken from the free_slots queue; user space reads a
 * removed range's figures after remove_done, then clears the slot and gives
 * it back. range_cache maps a start to its slot without hashing or locking.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DEVMEM_RANGE_SLOTS);
	__type(key, __u64);			/* physical start of ranges[0] */
	__type(value, struct devmem_range);
} ranges SEC(".maps");

/* removed ranges whose entry a new pagemap at the same start needed */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);			/* gen */
	__type(value, struct devmem_range);
} ranges_retired SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, DEVMEM_RANGE_SLOTS);
	__type(value, __u32);
} free_slots SEC(".maps");

/* entry: (start >> page_shift) << 9 | slot; 0 is empty */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DEVMEM_RANGE_CACHE);
	__type(key, __u32);
	__type(value, __u64);
} range_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DEVMEM_RANGE_SLOTS);
	__type(key, __u32);			/* slot */
	__type(value, struct devmem_counters);
} range_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DEVMEM_RANGE_SLOTS * DEVMEM_HIST_KINDS); /* 1 without -D */
	__type(key, __u32);			/* slot * DEVMEM_HIST_KINDS + kind */
	__type(value, struct devmem_hist);
} range_hists SEC(".maps");

/*
 * Processes: one shared entry per live process, allocated when it is first
 * seen (no preallocation, so memory follows the processes alive), updated
 * with atomic adds, and taken out at exit as a record of the notices ring.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);		/* DEVMEM_MAX_PROCS */
	__type(key, __u32);			/* tgid */
	__type(value, struct devmem_proc_value);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);		/* 1 without -P */
	__type(key, __u32);			/* tgid */
	__type(value, struct devmem_proc_hists);
} proc_hists SEC(".maps");

/* processes that found procs full: named, with their missing events */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);			/* tgid */
	__type(value, struct devmem_proc_overflow);
} proc_overflow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} notices SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct devmem_counters);
} total_counters SEC(".maps");

/* folios by order: in total per CPU, per range slot shared (atomic adds) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct devmem_folio_counts);
} total_folios SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DEVMEM_RANGE_SLOTS);
	__type(key, __u32);			/* slot */
	__type(value, struct devmem_folio_counts);
} range_folios SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DEVMEM_HIST_KINDS);
	__type(key, __u32);			/* enum devmem_hist_kind */
	__type(value, struct devmem_hist);
} hists SEC(".maps");

/*
 * Alloc times of live device folios for the page-lifetime histogram: a
 * direct-mapped table indexed by the low bits of the head pfn, each slot
 * tagged with its pfn. An array lookup is inlined by the verifier, so this
 * costs a few loads where a hash update and delete cost a lock and a hash
 * each. Two live folios 2^18 pfns (1 GiB) apart share a slot: the later
 * one takes it and the earlier one's lifetime is counted as lost. A large
 * folio split before it is freed is freed in pieces: each piece finds its
 * folio's slot at its PMD-aligned head, and the slot is free once every
 * page of the folio is back.
 */
#define LIFE_SLOTS	262144
#define LIFE_HEAD_ORDER	9	/* HPAGE_PMD_ORDER on x86-64 */
struct life_slot {
	__u64 pfn;
	__u64 ts;				/* alloc time, ns; 0: free slot */
	__u32 order;
	__u32 left;				/* its pages not freed yet */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LIFE_SLOTS);
	__type(key, __u32);			/* pfn & (LIFE_SLOTS - 1) */
	__type(value, struct life_slot);
} page_alloc_ts SEC(".maps");

/* task-local storage of a thread in a fault */
struct devmem_fault_start {
	__u64 ts_ns;
	__s64 slot;		/* range slot of the faulting page, -1: none */
	__u64 migrated;		/* pages migrated by the fault so far */
	__u64 collected;	/* pages its migrations collected */
	__u64 address;		/* faulting virtual address */
	__u64 range;		/* physical start of the faulting page's pagemap */
	__u64 proc_start_ns;	/* its process's start time */
	__u32 calls;		/* migrate calls it made */
	__s32 stackid;		/* >= 0: it has a stack (stacks.bpf.h), < 0: none */
};

/*
 * Start of the fault a thread is in: task-local storage, found from the
 * task pointer without hashing or locking; it lives as long as the task.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct devmem_fault_start);
} fault_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DEVMEM_LOST_KINDS);
	__type(key, __u32);			/* enum devmem_lost_kind */
	__type(value, __u64);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DEVMEM_TALLY_KINDS);
	__type(key, __u32);			/* enum devmem_tally_kind */
	__type(value, __u64);
} tallies SEC(".maps");

/* pages faults hit, for thrashing detection (include/devmem.h) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DEVMEM_THRASH_SETS);	/* 1 when off */
	__type(key, __u32);
	__type(value, struct devmem_thrash_set);
} thrash SEC(".maps");

/* user stacks of faults, with --stacks=fp (stacks.bpf.h); 1 entry each otherwise */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__uint(value_size, DEVMEM_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct devmem_stack_key);
	__type(value, struct devmem_stack_value);
} stack_counts SEC(".maps");

/* per-CPU sequence numbers: (n << 12) | cpu is unique without atomics */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seqs SEC(".maps");

static __always_inline void count_lost(__u32 kind)
{
	__u64 *v = bpf_map_lookup_elem(&lost, &kind);

	if (v)
		(*v)++;
}

static __always_inline void count_tally(__u32 kind)
{
	__u64 *v = bpf_map_lookup_elem(&tallies, &kind);

	if (v)
		(*v)++;
}

/* an insert that failed: a full table, or something else (busy, no memory) */
static __always_inline void count_insert_failure(int err, __u32 full_kind)
{
	count_lost(err == -E2BIG ? full_kind : DEVMEM_LOST_MAP_BUSY);
}

static __always_inline __u64 next_seq(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&seqs, &zero);

	if (!n)
		return 0;
	return (++*n << 12) | (bpf_get_smp_processor_id() & 0xfff);
}

#define ADD(p, n)	__sync_fetch_and_add((p), (n))

/* the three counter sets one event updates */
struct ctrs {
	struct devmem_counters *total;	/* per CPU */
	struct devmem_counters *range;	/* per CPU */
	struct devmem_counters *proc;	/* shared: atomic adds */
};

/*
 * Folios of an order one way (kind: allocs, frees, to_device, to_ram): in
 * total per CPU, on a range slot with an atomic add (the per-range table
 * is shared: per CPU it would cost 352 bytes a slot a CPU).
 */
#define FOLIO_ADD(slot, kind, order, n)					\
	do {								\
		__u32 __z = 0, __s = (slot), __o = (order);		\
		struct devmem_folio_counts *__f;			\
									\
		__o = __o < DEVMEM_ORDERS ? __o : DEVMEM_ORDERS - 1;	\
		asm volatile("" : "+r"(__o));				\
		if (__o >= DEVMEM_ORDERS)				\
			break;						\
		__f = bpf_map_lookup_elem(&total_folios, &__z);		\
		if (__f)						\
			__f->kind[__o] += (n);				\
		if ((int)__s >= 0 && __s < DEVMEM_RANGE_IGNORED) {	\
			__f = bpf_map_lookup_elem(&range_folios, &__s);	\
			if (__f)					\
				ADD(&__f->kind[__o], (n));		\
		}							\
	} while (0)

#define CTR_ADD(c, field, n)						\
	do {								\
		if ((c)->total)						\
			(c)->total->field += (n);			\
		if ((c)->range)						\
			(c)->range->field += (n);			\
		if ((c)->proc)						\
			ADD(&(c)->proc->field, (n));			\
	} while (0)

static __always_inline bool tgid_filtered(__u32 tgid)
{
	return filter_tgid && tgid != filter_tgid;
}

/* with -o OWNER: true if the pagemap is another device's (or unknown) */
static __always_inline bool pgmap_filtered(const struct dev_pagemap *pgmap, bool fast)
{
	if (!filter_owner)
		return false;
	return !pgmap || (__u64)DEVMEM_READ(fast, struct dev_pagemap, pgmap, owner) != filter_owner;
}

/* Reserve a zeroed ring buffer record if this type is streamed. */
static __always_inline struct devmem_event *
stream_reserve(__u32 type, __u64 ts, const struct dev_pagemap *pgmap, bool fast)
{
	struct devmem_event *e;
	__u64 id;

	if (!(stream_mask & (1U << type)))
		return NULL;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(DEVMEM_LOST_RINGBUF);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	id = bpf_get_current_pid_tgid();
	e->type = type;
	e->cpu = bpf_get_smp_processor_id();
	e->ts_ns = ts;
	e->pid = (__u32)id;
	e->tgid = id >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (pgmap) {
		e->pgmap_start = DEVMEM_READ(fast, struct dev_pagemap, pgmap, range.start);
		e->owner = (__u64)DEVMEM_READ(fast, struct dev_pagemap, pgmap, owner);
	}
	return e;
}


#endif /* DEVMEM_TABLES_BPF_H */

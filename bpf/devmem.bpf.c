// SPDX-License-Identifier: GPL-2.0
/*
 * devmem: aggregate HMM device-private memory events in the kernel.
 *
 * Three attachment variants of the same handlers live in this object; user
 * space (tools/lib/session.c) keeps one set autoloaded, chosen by probing:
 *   tp_btf/devmem_*   the devmem tracepoints of the kernel series (primary)
 *   raw_tp/devmem_*   the same tracepoints where BTF tracing programs are
 *                     refused; also what BPF_PROG_TEST_RUN can run
 *   fentry/fexit      the core functions, on kernels without the tracepoints
 *
 * Fallback approximations (documented for users in tools/lib/devmem.h):
 *   - a fault is migrate_vma_setup() with args->fault_page set (its start)
 *     up to migrate_vma_finalize() (its end); a failing setup ends it with an
 *     error. Drivers whose migrate_to_ram() does not use migrate_vma with
 *     fault_page are not seen as faults. The fault result is not visible.
 *   - remove wait is memunmap_pages() entry to exit, so it includes the
 *     unmapping of the range after the last reference dropped.
 *   - in_use at remove is counted from the page refcounts by a walk of the
 *     pagemap at its remove; nid is the requested one.
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

/* Loop bound of the fallback's migrate window walk (pages). */
#define MIGRATE_WINDOW_MAX	65536	/* src entries the fallback reads (256 MiB) */

/*
 * What the kernel keeps is what is live or not yet read; the session in
 * user space owns the history (tools/lib/history.c).
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
 * with atomic adds, and taken out at exit as a record of the exits ring.
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
} exits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct devmem_counters);
} total_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DEVMEM_HIST_KINDS);
	__type(key, __u32);			/* enum devmem_hist_kind */
	__type(value, struct devmem_hist);
} hists SEC(".maps");

/*
 * Alloc times of live device pages for the page-lifetime histogram: a
 * direct-mapped table indexed by the low bits of the pfn, each slot tagged
 * with its pfn. An array lookup is inlined by the verifier, so this costs a
 * few loads where a hash update and delete cost a lock and a hash each.
 * Two live pages 2^18 pfns (1 GiB) apart share a slot: the later one takes
 * it and the earlier one's lifetime is counted as lost.
 */
#define LIFE_SLOTS	262144
struct life_slot {
	__u64 pfn;
	__u64 ts;				/* alloc time, ns; 0: free slot */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LIFE_SLOTS);
	__type(key, __u32);			/* pfn & (LIFE_SLOTS - 1) */
	__type(value, struct life_slot);
} page_alloc_ts SEC(".maps");

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

/* pages faults hit, for thrashing detection (include/devmem.h) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DEVMEM_THRASH_SETS);	/* 1 when off */
	__type(key, __u32);
	__type(value, struct devmem_thrash_set);
} thrash SEC(".maps");

/* user stacks of faults, with --stacks; 1 entry each otherwise */
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

/* processes whose first stack user space was told of (their maps) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);			/* tgid */
	__type(value, __u64);			/* start_ns */
} stack_procs SEC(".maps");

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

#define CTR_ADD(c, field, n)						\
	do {								\
		if ((c)->total)						\
			(c)->total->field += (n);			\
		if ((c)->range)						\
			(c)->range->field += (n);			\
		if ((c)->proc)						\
			ADD(&(c)->proc->field, (n));			\
	} while (0)

/* ---- processes ------------------------------------------------------------ */

/* an event of a process without a table entry: count it under its name */
static __always_inline void proc_overflowed(__u32 tgid, const struct devmem_proc_value *v)
{
	struct devmem_proc_overflow *o = bpf_map_lookup_elem(&proc_overflow, &tgid), n = {};

	if (o && o->start_ns == v->start_ns) {
		ADD(&o->events, 1);
		return;
	}
	__builtin_memcpy(n.comm, v->comm, sizeof(n.comm));
	n.start_ns = v->start_ns;
	n.events = 1;
	bpf_map_update_elem(&proc_overflow, &tgid, &n, BPF_ANY);
}

/* First event of a process: its entry, named after its group leader. */
static __noinline struct devmem_proc_value *proc_insert(__u32 tgid)
{
	struct task_struct *leader;
	struct devmem_proc_value init = {};
	int err;	/* helpers return int: a 64-bit compare would miss -E2BIG on v6.1 */

	leader = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), group_leader);
	init.start_ns = BPF_CORE_READ(leader, start_time);
	init.start_boot_ns = BPF_CORE_READ(leader, start_boottime);
	BPF_CORE_READ_STR_INTO(&init.comm, leader, comm);
	init.seq = next_seq();
	err = bpf_map_update_elem(&procs, &tgid, &init, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_insert_failure(err, DEVMEM_LOST_PROCS_FULL);
		if (err == -E2BIG)
			proc_overflowed(tgid, &init);
		return NULL;
	}
	return bpf_map_lookup_elem(&procs, &tgid);
}

static __always_inline struct devmem_counters *proc_ctrs(__u32 tgid)
{
	struct devmem_proc_value *v = bpf_map_lookup_elem(&procs, &tgid);

	if (!v)
		v = proc_insert(tgid);
	return v ? &v->c : NULL;
}

static __noinline struct devmem_proc_hists *proc_hists_insert(__u32 tgid)
{
	static const struct devmem_proc_hists zero;
	int err;	/* helpers return int: a 64-bit compare would miss -E2BIG on v6.1 */

	err = bpf_map_update_elem(&proc_hists, &tgid, &zero, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_insert_failure(err, DEVMEM_LOST_HISTS_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&proc_hists, &tgid);
}

/*
 * A process is gone: move its entry out of the table into a record of the
 * exits ring, deleting before submitting, so that user space never sees
 * the record and the entry at once. With the ring full the entry stays,
 * marked exited, and user space takes it at its next read.
 */
static __noinline int proc_flush(__u32 tgid, __u64 start_ns)
{
	struct devmem_proc_value *v = bpf_map_lookup_elem(&procs, &tgid);
	struct devmem_proc_hists *h = NULL;
	struct devmem_proc_exit *rec;
	__u64 now;

	if (!v || (start_ns && v->start_ns != start_ns) || v->exit_ns)
		return 0;
	now = bpf_ktime_get_ns();
	if (hist_per_process) {
		h = bpf_map_lookup_elem(&proc_hists, &tgid);
		rec = bpf_ringbuf_reserve(&exits, sizeof(*rec), 0);
	} else {
		rec = bpf_ringbuf_reserve(&exits, offsetof(struct devmem_proc_exit, hists), 0);
	}
	if (!rec) {
		v->exit_ns = now;
		count_lost(DEVMEM_EXITS_DEFERRED);
		return 0;
	}
	rec->type = DEVMEM_EXIT_PROCESS;
	rec->tgid = tgid;
	rec->flags = 0;
	rec->pad = 0;
	rec->exit_ns = now;
	rec->v = *v;
	rec->v.exit_ns = now;
	if (hist_per_process) {
		/* too big for an inlined copy */
		if (h && !bpf_probe_read_kernel(&rec->hists, sizeof(rec->hists), h))
			rec->flags = DEVMEM_EXIT_F_HISTS;
		bpf_map_delete_elem(&proc_hists, &tgid);
	}
	bpf_map_delete_elem(&procs, &tgid);
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

/*
 * A thread exits (see the programs below for where): once the last thread
 * has decremented signal->live the process is dead, and every thread that
 * passes here after that flushes what it added since.
 */
static __always_inline int on_task_exit(const struct task_struct *task)
{
	struct devmem_proc_overflow *o;
	__u64 start;
	__u32 tgid;

	if (BPF_CORE_READ(task, signal, live.counter))
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	start = BPF_CORE_READ(task, group_leader, start_time);
	/* a process that found the table full: its listing says it is gone */
	o = bpf_map_lookup_elem(&proc_overflow, &tgid);
	if (o && o->start_ns == start && !o->exit_ns)
		o->exit_ns = bpf_ktime_get_ns();
	return proc_flush(tgid, start);
}

/* sched_process_free of a group leader: nothing of the process can run any more */
static __always_inline int on_task_free(const struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (BPF_CORE_READ(task, pid) != tgid)
		return 0;
	return proc_flush(tgid, BPF_CORE_READ(task, start_time));
}

/* ---- ranges --------------------------------------------------------------- */

static __always_inline bool followed_type(__u32 type)
{
	return type == DEVMEM_TYPE_PRIVATE || type == DEVMEM_TYPE_COHERENT;
}

static __always_inline void fill_range(struct devmem_range *r, const struct dev_pagemap *pgmap)
{
	__u64 pages = 0, start, end;
	__u32 i, nr;
	const struct range *rg;

	r->pgmap = (__u64)pgmap;
	r->owner = (__u64)BPF_CORE_READ(pgmap, owner);
	r->type = BPF_CORE_READ(pgmap, type);
	r->start = BPF_CORE_READ(pgmap, range.start);
	r->end = BPF_CORE_READ(pgmap, range.end);
	nr = BPF_CORE_READ(pgmap, nr_range);
	r->nr_range = nr;
	rg = (const void *)pgmap + bpf_core_field_offset(struct dev_pagemap, ranges);
	for (i = 0; i < DEVMEM_MAX_RANGES && i < nr; i++) {
		start = BPF_CORE_READ(&rg[i], start);
		end = BPF_CORE_READ(&rg[i], end);
		if (end >= start)
			pages += (end - start + 1) >> page_shift;
	}
	r->nr_pages = pages;
	r->nid = ~0U;
	r->in_use_at_remove = DEVMEM_UNKNOWN;
}

static __always_inline __u32 cache_index(__u64 start)
{
	return ((__u32)(start >> 21) * 2654435761U) >> (32 - 12);
}

_Static_assert(DEVMEM_RANGE_CACHE == 1 << 12, "cache_index() takes 12 bits");
_Static_assert(DEVMEM_RANGE_SLOTS <= 1 << 9, "a cache entry holds 9 bits of slot");

static __always_inline void cache_put(__u64 start, __u32 slot)
{
	__u32 idx = cache_index(start);
	__u64 *e = bpf_map_lookup_elem(&range_cache, &idx);

	if (e)
		*e = (start >> page_shift) << 9 | slot;
}

/*
 * Tell user space of a new range at once (exits ring), so that it names
 * the range from /proc/iomem while the range is there: a driver that adds
 * and removes a pagemap between two reads would leave it nameless. A full
 * ring only delays the name to the next read.
 */
static __always_inline void range_announce(const struct devmem_range *r)
{
	struct devmem_range_exit *rec = bpf_ringbuf_reserve(&exits, sizeof(*rec), 0);

	if (!rec)
		return;
	rec->type = DEVMEM_EXIT_RANGE;
	rec->pad = 0;
	rec->r = *r;
	bpf_ringbuf_submit(rec, 0);
}

/*
 * Learn the pagemap of an event (or of an add, or of the probe at start):
 * a new entry with a free slot. Returns the slot, DEVMEM_RANGE_IGNORED for
 * a type that is not followed, or -1 when no slot is left.
 */
static __noinline int range_learn(const struct dev_pagemap *pgmap, __u32 flags, __u32 nid,
				  __u64 ts)
{
	struct devmem_range r = {}, *old;
	__u32 slot;
	int err;	/* helpers return int: a 64-bit compare would miss -E2BIG on v6.1 */

	fill_range(&r, pgmap);
	if (!followed_type(r.type)) {
		cache_put(r.start, DEVMEM_RANGE_IGNORED);
		return DEVMEM_RANGE_IGNORED;
	}
	old = bpf_map_lookup_elem(&ranges, &r.start);
	if (old) {
		if (!old->removed_ns) {
			/* the probe at start and an add raced: one range */
			old->flags |= flags;
			if (flags & DEVMEM_RANGE_F_ADDED) {
				old->added_ns = ts;
				old->nid = nid;
			}
			cache_put(r.start, old->slot);
			return old->slot;
		}
		/* a removed range not read yet: keep it aside for user space */
		err = bpf_map_update_elem(&ranges_retired, &old->gen, old, BPF_NOEXIST);
		if (err)
			count_insert_failure(err, DEVMEM_LOST_RANGES_FULL);
		bpf_map_delete_elem(&ranges, &r.start);
	}
	if (bpf_map_pop_elem(&free_slots, &slot)) {
		count_lost(DEVMEM_LOST_RANGES_FULL);
		return -1;
	}
	slot &= DEVMEM_RANGE_SLOTS - 1;
	r.slot = slot;
	r.gen = next_seq();
	r.flags = flags;
	if (flags & DEVMEM_RANGE_F_ADDED) {
		r.added_ns = ts;
		r.nid = nid;
	}
	err = bpf_map_update_elem(&ranges, &r.start, &r, BPF_NOEXIST);
	if (err) {
		bpf_map_push_elem(&free_slots, &slot, 0);
		old = bpf_map_lookup_elem(&ranges, &r.start);
		if (old)
			return old->slot;	/* learnt on another CPU meanwhile */
		count_insert_failure(err, DEVMEM_LOST_RANGES_FULL);
		return -1;
	}
	cache_put(r.start, slot);
	range_announce(&r);
	return slot;
}

/*
 * remove_done: no page of the range is left, so no event can name it again.
 * Its entry moves aside (keyed by gen, so a new pagemap at the same start
 * cannot meet it) for user space to take its last figures and free its
 * slot. With the aside table full the entry stays where it is, done, and
 * user space takes it from there.
 */
static __noinline int range_retire(struct devmem_range *rp)
{
	struct devmem_range r = *rp;
	__u32 idx = cache_index(r.start);
	__u64 *e;
	int err;	/* helpers return int: a 64-bit compare would miss -E2BIG on v6.1 */

	err = bpf_map_update_elem(&ranges_retired, &r.gen, &r, BPF_NOEXIST);
	if (err) {
		count_insert_failure(err, DEVMEM_LOST_RANGES_FULL);
		return 0;
	}
	bpf_map_delete_elem(&ranges, &r.start);
	e = bpf_map_lookup_elem(&range_cache, &idx);
	if (e && (*e >> 9) == r.start >> page_shift)
		*e = 0;
	return 0;
}

/* slot of a pagemap: one array load when cached; -1 if none */
static __always_inline int range_slot(const struct dev_pagemap *pgmap, bool fast)
{
	__u64 start, *e;
	__u32 idx;

	if (!pgmap)
		return -1;
	start = DEVMEM_READ(fast, struct dev_pagemap, pgmap, range.start);
	idx = cache_index(start);
	e = bpf_map_lookup_elem(&range_cache, &idx);
	if (e && *e && (*e >> 9) == start >> page_shift)
		return *e & 0x1ff;
	return range_learn(pgmap, DEVMEM_RANGE_F_LEARNT, ~0U, 0);
}

/* the counter sets of an event; range_slot() result, tgid 0 for none */
static __always_inline void get_ctrs(struct ctrs *c, int slot, __u32 tgid)
{
	__u32 zero = 0, s = slot;

	c->total = bpf_map_lookup_elem(&total_counters, &zero);
	c->range = NULL;
	if (slot >= 0 && slot < DEVMEM_RANGE_IGNORED)
		c->range = bpf_map_lookup_elem(&range_counters, &s);
	c->proc = tgid ? proc_ctrs(tgid) : NULL;
}

/* ---- histograms ----------------------------------------------------------- */

static __always_inline void hist_put(struct devmem_hist *h, __u32 slot, __u64 v, bool atomic)
{
	__u64 i = slot;

	/*
	 * Keep the bound check and the index in one register: older verifiers
	 * (v6.1) lose a 32-bit bound the compiler checked on a copy.
	 */
	asm volatile("" : "+r"(i));
	if (i >= DEVMEM_HIST_SLOTS)
		return;
	if (atomic) {
		ADD(&h->slots[i], 1);
		ADD(&h->count, 1);
		ADD(&h->sum, v);
	} else {
		h->slots[i]++;
		h->count++;
		h->sum += v;
	}
}

static __always_inline void hist_add(__u32 kind, __u64 v, int range, __u32 tgid)
{
	struct devmem_proc_hists *ph;
	struct devmem_hist *h;
	__u32 slot = hist_slot(v), idx;

	h = bpf_map_lookup_elem(&hists, &kind);
	if (h)
		hist_put(h, slot, v, false);
	if (hist_per_range && range >= 0 && range < DEVMEM_RANGE_IGNORED) {
		idx = range * DEVMEM_HIST_KINDS + kind;
		h = bpf_map_lookup_elem(&range_hists, &idx);
		if (h)
			hist_put(h, slot, v, true);
	}
	if (hist_per_process && tgid) {
		__u64 k = kind;

		asm volatile("" : "+r"(k));	/* see hist_put() */
		if (k >= DEVMEM_HIST_KINDS)
			return;
		ph = bpf_map_lookup_elem(&proc_hists, &tgid);
		if (!ph)
			ph = proc_hists_insert(tgid);
		if (ph)
			hist_put(&ph->h[k], slot, v, true);
	}
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
		e->pgmap = DEVMEM_READ(fast, struct dev_pagemap, pgmap, range.start);
		e->owner = (__u64)DEVMEM_READ(fast, struct dev_pagemap, pgmap, owner);
	}
	return e;
}

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

/* ---- pagemaps ---------------------------------------------------------- */

static __always_inline int on_pagemap_add(const struct dev_pagemap *pgmap, __u32 nid)
{
	struct devmem_range *rp;
	struct devmem_event *e;
	struct ctrs c;
	__u64 key, ts = bpf_ktime_get_ns();
	int slot;

	if (!pgmap || pgmap_filtered(pgmap, false))
		return 0;
	slot = range_learn(pgmap, DEVMEM_RANGE_F_ADDED, nid, ts);
	if (slot == DEVMEM_RANGE_IGNORED)
		return 0;
	get_ctrs(&c, slot, 0);
	CTR_ADD(&c, adds, 1);
	e = stream_reserve(DEVMEM_EV_PAGEMAP_ADD, ts, pgmap, false);
	if (e) {
		key = BPF_CORE_READ(pgmap, range.start);
		rp = bpf_map_lookup_elem(&ranges, &key);
		if (rp) {
			e->address = rp->start;
			e->pfn = rp->end;
			e->npages = rp->nr_pages;
		}
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

static __always_inline int on_pagemap_remove(const struct dev_pagemap *pgmap, __u64 in_use)
{
	struct devmem_range *rp;
	struct devmem_event *e;
	struct ctrs c;
	__u64 key, ts = bpf_ktime_get_ns();
	int slot;

	if (!pgmap || pgmap_filtered(pgmap, false))
		return 0;
	/* added before tracing started and never touched: learn it now */
	slot = range_slot(pgmap, false);
	if (slot == DEVMEM_RANGE_IGNORED)
		return 0;
	key = BPF_CORE_READ(pgmap, range.start);
	rp = bpf_map_lookup_elem(&ranges, &key);
	if (rp) {
		rp->removed_ns = ts;
		rp->in_use_at_remove = in_use;
	}
	get_ctrs(&c, slot, 0);
	CTR_ADD(&c, removes, 1);
	if (in_use != DEVMEM_UNKNOWN)
		CTR_ADD(&c, refs_waited, in_use);
	e = stream_reserve(DEVMEM_EV_PAGEMAP_REMOVE, ts, pgmap, false);
	if (e) {
		if (rp) {
			e->address = rp->start;
			e->pfn = rp->end;
			e->npages = rp->nr_pages;
		}
		e->result = in_use;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

static __always_inline int on_pagemap_remove_done(const struct dev_pagemap *pgmap)
{
	struct devmem_range *rp;
	struct devmem_event *e;
	__u64 key, ts = bpf_ktime_get_ns(), wait;

	if (!pgmap || pgmap_filtered(pgmap, false))
		return 0;
	key = BPF_CORE_READ(pgmap, range.start);
	rp = bpf_map_lookup_elem(&ranges, &key);
	if (!rp || !rp->removed_ns) {
		if (!filter_owner)
			count_lost(DEVMEM_UNMATCHED_REMOVE_DONE);
		return 0;
	}
	rp->remove_done_ns = ts;
	wait = ts - rp->removed_ns;
	hist_add(DEVMEM_HIST_REMOVE_WAIT, wait, rp->slot, 0);
	e = stream_reserve(DEVMEM_EV_PAGEMAP_REMOVE_DONE, ts, pgmap, false);
	if (e) {
		e->address = rp->start;
		e->pfn = rp->end;
		e->npages = rp->nr_pages;
		e->latency_ns = wait;
		bpf_ringbuf_submit(e, 0);
	}
	range_retire(rp);
	return 0;
}

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
static __always_inline __u64 cur_proc_start(const struct ctrs *c)
{
	const struct devmem_proc_value *v;

	if (c->proc) {
		v = (const void *)c->proc - offsetof(struct devmem_proc_value, c);
		return v->start_ns;
	}
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), group_leader,
			     start_time);
}

/*
 * A process's first stack: tell user space, which reads its maps while it
 * lives (a stack's addresses mean nothing without them). A full ring
 * leaves the process untold, and a later fault tries again. A process
 * forked and not exec'd has its parent's layout (the same start of code
 * and mmap base): the parent is named, whose maps serve if the process is
 * gone by the time user space reads them.
 */
static __noinline void stack_proc_announce(__u32 tgid, __u64 start_ns)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct devmem_stack_proc_exit *rec;
	__u64 *known = bpf_map_lookup_elem(&stack_procs, &tgid);
	__u64 code, base;

	if (known && *known == start_ns)
		return;
	rec = bpf_ringbuf_reserve(&exits, sizeof(*rec), 0);
	if (!rec)
		return;
	rec->type = DEVMEM_EXIT_STACK_PROC;
	rec->tgid = tgid;
	rec->start_ns = start_ns;
	rec->parent = 0;
	rec->pad = 0;
	code = BPF_CORE_READ(t, mm, start_code);
	base = BPF_CORE_READ(t, mm, mmap_base);
	if (code && code == BPF_CORE_READ(t, real_parent, mm, start_code) &&
	    base == BPF_CORE_READ(t, real_parent, mm, mmap_base))
		rec->parent = BPF_CORE_READ(t, real_parent, tgid);
	bpf_ringbuf_submit(rec, 0);
	bpf_map_update_elem(&stack_procs, &tgid, &start_ns, BPF_ANY);
}

/* count a fault under its process and user stack; the stack id, or < 0 */
static __noinline int stack_count(void *ctx, __u32 tgid, __u64 start_ns)
{
	struct devmem_stack_key key = { .tgid = tgid, .start_ns = start_ns };
	struct devmem_stack_value *v, init = {};
	int id, err;	/* helpers return int: a 64-bit compare would miss errors on v6.1 */

	id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (id < 0) {
		count_lost(id == -EEXIST ? DEVMEM_LOST_STACK_COLLISION : DEVMEM_LOST_STACK_DROP);
		return id;
	}
	key.stackid = id;
	v = bpf_map_lookup_elem(&stack_counts, &key);
	if (!v) {
		bpf_get_current_comm(init.comm, sizeof(init.comm));
		err = bpf_map_update_elem(&stack_counts, &key, &init, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			count_insert_failure(err, DEVMEM_LOST_STACK_COUNTS_FULL);
			return -1;
		}
		stack_proc_announce(tgid, start_ns);
		v = bpf_map_lookup_elem(&stack_counts, &key);
		if (!v)
			return -1;
	}
	ADD(&v->faults, 1);
	return id;
}

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
		e->fault = vmf ? !!(DEVMEM_READ(fast, struct vm_fault, vmf, flags) &
				    DEVMEM_FAULT_FLAG_WRITE) : DEVMEM_WRITE_UNKNOWN;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

/* ---- thrashing ------------------------------------------------------------ */

struct thrash_note {
	__u64 ts, lat, vpage, range, start_ns;
	__u32 tgid;
	bool bounced;
};

static __always_inline __u32 thrash_index(__u32 tgid, __u64 vpage)
{
	return devmem_thrash_set_of(tgid, vpage, thrash_mask);
}

/*
 * A fault on a page ended: count it in the page's way of its set, taking
 * the least recently faulted way for a page not in the set. Ways are
 * claimed with a compare-and-swap of their seq; a CPU that loses the
 * claim to another scans the set again, up to DEVMEM_THRASH_CLAIMS times,
 * and only then gives the page up. The figures of one page are updated by
 * the faults on that page, which its page lock serialises, so plain
 * updates suffice there. A page that loses its way after two or more
 * bounces goes to user space first.
 */
#define DEVMEM_THRASH_CLAIMS	3

static __noinline int thrash_note(struct thrash_note *n)
{
	struct devmem_thrash_page *w = NULL, *victim, *x;
	struct devmem_thrash_exit rec;
	struct devmem_thrash_set *set;
	__u32 idx = thrash_index(n->tgid, n->vpage), i, a, in_window = 0;
	__u64 old, seq;

	set = bpf_map_lookup_elem(&thrash, &idx);
	if (!set)
		return 0;
	for (a = 0; a < DEVMEM_THRASH_CLAIMS && !w; a++) {
		victim = NULL;
		for (i = 0; i < DEVMEM_THRASH_WAYS; i++) {
			x = &set->w[i];
			if (x->seq && x->tgid == n->tgid && x->vpage == n->vpage &&
			    x->start_ns == n->start_ns) {
				w = x;
				break;
			}
			if (!victim ||
			    (victim->seq && (!x->seq || x->last_ns < victim->last_ns)))
				victim = x;
		}
		if (w || !victim)
			break;
		/*
		 * The old incarnation's figures, copied before the way is taken:
		 * sent with bpf_ringbuf_output() once the claim succeeded, so no
		 * ring buffer reservation is held across the claim (the 6.1
		 * verifier loses track of one there).
		 */
		__builtin_memcpy(&rec.p, victim, sizeof(rec.p));
		old = rec.p.seq;
		seq = next_seq();
		if (__sync_val_compare_and_swap(&victim->seq, old, seq) != old)
			continue;
		if (old && rec.p.bounces >= 2) {
			rec.type = DEVMEM_EXIT_THRASH;
			rec.pad = 0;
			if (bpf_ringbuf_output(&exits, &rec, sizeof(rec), 0))
				count_lost(DEVMEM_LOST_THRASH_EVICTED);
		}
		w = victim;
		w->tgid = n->tgid;
		w->start_ns = n->start_ns;
		w->vpage = n->vpage;
		w->bounces = 0;
		w->faults = 0;
		w->fault_ns = 0;
		w->window_max = 0;
		w->ring_pos = 0;
		for (i = 0; i < DEVMEM_THRASH_RING; i++)
			w->ring[i] = 0;
	}
	if (!w) {
		count_lost(DEVMEM_LOST_THRASH_RACE);
		return 0;
	}
	w->range = n->range;
	w->last_ns = n->ts;
	w->faults++;
	w->fault_ns += n->lat;
	if (!n->bounced)
		return 0;
	w->bounces++;
	w->ring[w->ring_pos & (DEVMEM_THRASH_RING - 1)] = n->ts;
	w->ring_pos++;
	for (i = 0; i < DEVMEM_THRASH_RING; i++)
		if (w->ring[i] && n->ts - w->ring[i] < thrash_window_ns)
			in_window++;
	if (in_window > w->window_max)
		w->window_max = in_window;
	return 0;
}

_Static_assert((DEVMEM_THRASH_RING & (DEVMEM_THRASH_RING - 1)) == 0, "ring size: power of 2");

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
			count_lost(DEVMEM_UNMATCHED_FAULT_DONE);
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
				e->pgmap = DEVMEM_READ(fast, struct dev_pagemap, pgmap, range.start);
				e->owner = (__u64)DEVMEM_READ(fast, struct dev_pagemap, pgmap, owner);
			}
			e->address = fault_address(vmf, margs, fast);
			e->pfn = page ? page_to_pfn(page) : 0;
			e->fault = vmf ? !!(DEVMEM_READ(fast, struct vm_fault, vmf, flags) &
					    DEVMEM_FAULT_FLAG_WRITE) : DEVMEM_WRITE_UNKNOWN;
			e->result = vmf || !fault_result_unknown ? ret : DEVMEM_UNKNOWN;
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
		e->fault = fault;
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

/* ---- device pages -------------------------------------------------------- */

static __always_inline struct life_slot *life_slot_of(__u64 pfn)
{
	__u32 idx = pfn & (LIFE_SLOTS - 1);

	return bpf_map_lookup_elem(&page_alloc_ts, &idx);
}

/*
 * pfn: the page's pfn, computed by the entry point (a raw_tp argument is a
 * number already; a BTF pointer has to be read back first).
 */
static __always_inline int on_page_alloc(const void *page, __u64 pfn, __u64 npages, bool fast)
{
	const struct dev_pagemap *pgmap;
	struct devmem_event *e;
	struct life_slot *ls;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), ts;
	__u32 tgid = id >> 32;
	int slot;

	if (tgid_filtered(tgid))
		return 0;
	pgmap = page_pgmap(page, fast);
	if (pgmap_filtered(pgmap, fast))
		return 0;
	slot = range_slot(pgmap, fast);
	ts = bpf_ktime_get_ns();
	ls = life_slot_of(pfn);
	if (ls) {
		/* a live page 1 GiB away holds the slot: its lifetime is lost */
		if (ls->ts && ls->pfn != pfn)
			count_lost(DEVMEM_LOST_ALLOC_TS_FULL);
		ls->pfn = pfn;
		ls->ts = ts;
	}
	get_ctrs(&c, slot, tgid);
	CTR_ADD(&c, allocs, npages);
	e = stream_reserve(DEVMEM_EV_PAGE_ALLOC, ts, pgmap, fast);
	if (e) {
		e->pfn = pfn;
		e->npages = npages;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

static __always_inline int on_page_free(const void *page, __u64 pfn, __u64 npages,
					bool check_type, bool fast)
{
	const struct dev_pagemap *pgmap;
	struct devmem_event *e;
	struct life_slot *ls;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), ts, life = 0;
	__u32 tgid = id >> 32;
	bool timed = false;
	int slot;

	pgmap = page_pgmap(page, fast);
	if (!pgmap && check_type)
		return 0;
	/* the fallback also sees fsdax/p2pdma/generic pages: their slot says ignored */
	slot = range_slot(pgmap, fast);
	if (slot == DEVMEM_RANGE_IGNORED)
		return 0;
	if (pgmap_filtered(pgmap, fast))
		return 0;
	ts = bpf_ktime_get_ns();
	ls = life_slot_of(pfn);
	if (ls && ls->ts && ls->pfn == pfn) {
		life = ts - ls->ts;
		ls->ts = 0;
		timed = true;
	}
	/*
	 * Events belong to the process they happen in, frees too; a page of
	 * the filtered process freed elsewhere is forgotten.
	 */
	if (tgid_filtered(tgid))
		return 0;
	/* a slot taken over by another page was counted as lost already */
	if (!timed && !(ls && ls->ts))
		count_lost(DEVMEM_UNMATCHED_FREE);
	get_ctrs(&c, slot, tgid);
	CTR_ADD(&c, frees, npages);
	if (timed)
		hist_add(DEVMEM_HIST_PAGE_LIFETIME, life, slot, tgid);
	e = stream_reserve(DEVMEM_EV_PAGE_FREE, ts, pgmap, fast);
	if (e) {
		e->pfn = pfn;
		e->npages = npages;
		e->latency_ns = life;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

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

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_sched_process_exit, struct task_struct *task)
{
	return on_task_exit(task);
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(tp_sched_process_free, struct task_struct *task)
{
	return on_task_free(task);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_sched_process_exit, struct task_struct *task)
{
	return on_task_exit(task);
}

SEC("raw_tp/sched_process_free")
int BPF_PROG(raw_sched_process_free, struct task_struct *task)
{
	return on_task_free(task);
}

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

/* ==== tp_btf: the devmem tracepoints (primary) =========================== */

/*
 * The pagemap events: (pgmap, nid, in_use, error). A failed add (error set)
 * created no pagemap: there is nothing to learn or count.
 */
SEC("tp_btf/devmem_pagemap_add")
int BPF_PROG(tp_pagemap_add, const struct dev_pagemap *pgmap, int nid, unsigned long in_use,
	     int error)
{
	return error ? 0 : on_pagemap_add(pgmap, (__u32)nid);
}

SEC("tp_btf/devmem_pagemap_remove")
int BPF_PROG(tp_pagemap_remove, const struct dev_pagemap *pgmap, int nid, unsigned long in_use,
	     int error)
{
	return on_pagemap_remove(pgmap, in_use);
}

SEC("tp_btf/devmem_pagemap_remove_done")
int BPF_PROG(tp_pagemap_remove_done, const struct dev_pagemap *pgmap, int nid,
	     unsigned long in_use, int error)
{
	return on_pagemap_remove_done(pgmap);
}

/* the fault class: (vmf, pgmap, ret); ret is 0 for devmem_fault */
SEC("tp_btf/devmem_fault")
int BPF_PROG(tp_fault, const struct vm_fault *vmf, const struct dev_pagemap *pgmap,
	     unsigned int ret)
{
	return on_fault(ctx, DEVMEM_READ(true, struct vm_fault, vmf, page), vmf, NULL, true);
}

SEC("tp_btf/devmem_fault_done")
int BPF_PROG(tp_fault_done, const struct vm_fault *vmf, const struct dev_pagemap *pgmap,
	     unsigned int ret)
{
	return on_fault_done(vmf, NULL, ret, ret & DEVMEM_VM_FAULT_ERROR, true, false);
}

/* dir and reason are enums of the trace header, read as ints */
SEC("tp_btf/devmem_migrate")
int BPF_PROG(tp_migrate, const struct migrate_vma *migrate, const struct dev_pagemap *src_pgmap,
	     const struct dev_pagemap *dst_pgmap, unsigned long npages, unsigned long cpages,
	     unsigned long migrated, int dir, int reason, unsigned int part)
{
	__u64 owner = migrate ? (__u64)DEVMEM_READ(true, struct migrate_vma, migrate, pgmap_owner) : 0;

	return on_migrate(migrate, src_pgmap, dst_pgmap, owner, npages, cpages, migrated, dir,
			  reason, part, true);
}

/* the page events: (page, pgmap, order), 2^order pages */
SEC("tp_btf/devmem_page_alloc")
int BPF_PROG(tp_page_alloc, const struct page *page, const struct dev_pagemap *pgmap,
	     unsigned int order)
{
	return on_page_alloc(page, page_to_pfn(page), order < 20 ? 1ULL << order : 1, true);
}

SEC("tp_btf/devmem_page_free")
int BPF_PROG(tp_page_free, const struct page *page, const struct dev_pagemap *pgmap,
	     unsigned int order)
{
	return on_page_free(page, page_to_pfn(page), order < 20 ? 1ULL << order : 1, false, true);
}

/* ==== raw_tp: the same tracepoints, untyped arguments ===================== */

SEC("raw_tp/devmem_pagemap_add")
int BPF_PROG(raw_pagemap_add, const struct dev_pagemap *pgmap, int nid, unsigned long in_use,
	     int error)
{
	return error ? 0 : on_pagemap_add(pgmap, (__u32)nid);
}

SEC("raw_tp/devmem_pagemap_remove")
int BPF_PROG(raw_pagemap_remove, const struct dev_pagemap *pgmap, int nid, unsigned long in_use,
	     int error)
{
	return on_pagemap_remove(pgmap, in_use);
}

SEC("raw_tp/devmem_pagemap_remove_done")
int BPF_PROG(raw_pagemap_remove_done, const struct dev_pagemap *pgmap, int nid,
	     unsigned long in_use, int error)
{
	return on_pagemap_remove_done(pgmap);
}

SEC("raw_tp/devmem_fault")
int BPF_PROG(raw_fault, const struct vm_fault *vmf, const struct dev_pagemap *pgmap,
	     unsigned int ret)
{
	return on_fault(ctx, DEVMEM_READ(true, struct vm_fault, vmf, page), vmf, NULL, true);
}

SEC("raw_tp/devmem_fault_done")
int BPF_PROG(raw_fault_done, const struct vm_fault *vmf, const struct dev_pagemap *pgmap,
	     unsigned int ret)
{
	return on_fault_done(vmf, NULL, ret, ret & DEVMEM_VM_FAULT_ERROR, true, false);
}

SEC("raw_tp/devmem_migrate")
int BPF_PROG(raw_migrate, const struct migrate_vma *migrate, const struct dev_pagemap *src_pgmap,
	     const struct dev_pagemap *dst_pgmap, unsigned long npages, unsigned long cpages,
	     unsigned long migrated, int dir, int reason, unsigned int part)
{
	__u64 owner = migrate ? (__u64)DEVMEM_READ(true, struct migrate_vma, migrate, pgmap_owner) : 0;

	return on_migrate(migrate, src_pgmap, dst_pgmap, owner, npages, cpages, migrated, dir,
			  reason, part, true);
}

SEC("raw_tp/devmem_page_alloc")
int BPF_PROG(raw_page_alloc, const struct page *page, const struct dev_pagemap *pgmap,
	     unsigned int order)
{
	return on_page_alloc(page, page_value_to_pfn((__u64)page), order < 20 ? 1ULL << order : 1,
			     true);
}

SEC("raw_tp/devmem_page_free")
int BPF_PROG(raw_page_free, const struct page *page, const struct dev_pagemap *pgmap,
	     unsigned int order)
{
	return on_page_free(page, page_value_to_pfn((__u64)page), order < 20 ? 1ULL << order : 1,
			    false, true);
}

/* ==== fentry/fexit: kernels without the tracepoints ====================== */

SEC("fexit/memremap_pages")
int BPF_PROG(fx_memremap_pages, struct dev_pagemap *pgmap, int nid, void *ret)
{
	if ((unsigned long)ret >= (unsigned long)-4095L)	/* IS_ERR(ret) */
		return 0;
	return on_pagemap_add(pgmap, (__u32)nid);
}

/*
 * The pages of a pagemap in use at its remove, for the fallback (the
 * tracepoint carries the count): free device private and coherent pages
 * have a zero refcount, so the pages in use are those with another. One
 * probe read per page, at a remove only; a pagemap beyond the bpf_loop()
 * bound (8M pages, 32 GiB) is reported unknown. The walk's state lives in
 * a per-CPU map for the reason count_scratch below gives.
 */
struct inuse_state {
	__u64 first_page;	/* address of the struct page of the range's first pfn */
	__u64 in_use;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct inuse_state);
} inuse_scratch SEC(".maps");

#define INUSE_MAX_PAGES	(1U << 23)

static long inuse_page(__u32 i, void *data)
{
	struct inuse_state *st;
	__u32 zero = 0;
	int ref = 0;

	st = bpf_map_lookup_elem(&inuse_scratch, &zero);
	if (!st)
		return 1;
	if (bpf_probe_read_kernel(&ref, sizeof(ref),
				  (const void *)(st->first_page + (__u64)i * bpf_core_type_size(struct page) +
						 bpf_core_field_offset(struct page, _refcount))))
		return 1;
	if (ref)
		st->in_use++;
	return 0;
}

static __noinline __u64 pgmap_in_use(const struct dev_pagemap *pgmap)
{
	const struct range *rg = (const void *)pgmap + bpf_core_field_offset(struct dev_pagemap, ranges);
	struct inuse_state *st;
	__u64 start, end, n, total = 0;
	__u32 zero = 0, i, nr = BPF_CORE_READ(pgmap, nr_range);

	for (i = 0; i < DEVMEM_MAX_RANGES && i < nr; i++) {
		start = BPF_CORE_READ(&rg[i], start);
		end = BPF_CORE_READ(&rg[i], end);
		if (end < start)
			continue;
		n = (end - start + 1) >> page_shift;
		if (n > INUSE_MAX_PAGES)
			return DEVMEM_UNKNOWN;
		st = bpf_map_lookup_elem(&inuse_scratch, &zero);
		if (!st)
			return DEVMEM_UNKNOWN;
		st->first_page = (__u64)pfn_to_page(start >> page_shift);
		st->in_use = 0;
		bpf_loop(n, inuse_page, NULL, 0);
		total += st->in_use;
	}
	return total;
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
	return on_page_alloc(folio, page_to_pfn(folio), order < 20 ? 1ULL << order : 1, false);
}

/*
 * State of one migrate-window count. It lives in a per-CPU map rather than
 * on the stack: values read from a map are unknown to the verifier, so the
 * bpf_loop() callback below verifies once instead of once per constant the
 * counter could hold (v6.7+ verifiers walk callbacks like loops).
 */
struct count_state {
	__u64 src;
	__u64 migrated;
	__u64 first_idx;
	__u64 first_valid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct count_state);
} count_scratch SEC(".maps");

/* bpf_loop() callback: one src entry of a migrate window */
static long count_entry(__u32 i, void *data)
{
	struct count_state *c;
	__u32 zero = 0;
	unsigned long v;

	c = bpf_map_lookup_elem(&count_scratch, &zero);
	if (!c)
		return 1;
	if (bpf_probe_read_kernel(&v, sizeof(v), (const unsigned long *)c->src + i))
		return 1;
	if (!c->first_valid && (v & DEVMEM_MIGRATE_PFN_VALID))
		c->first_valid = v;
	if (v & DEVMEM_MIGRATE_PFN_MIGRATE) {
		if (c->first_idx == ~0ULL)
			c->first_idx = i;
		c->migrated++;
	}
	return 0;
}

/*
 * Count the src entries that still have MIGRATE_PFN_MIGRATE after the
 * migration (those really moved) and remember the first valid and the
 * first migrated entry (to find the device pagemap). bpf_loop() keeps the
 * verifier's work independent of the window size; this is the fallback
 * only (the devmem_migrate tracepoint carries the counts).
 */
static __always_inline __u64 count_migrated(const unsigned long *src, __u64 npages,
					    unsigned long *first_valid, __u64 *first_idx)
{
	struct count_state *c;
	__u32 zero = 0;

	*first_valid = 0;
	*first_idx = ~0ULL;
	c = bpf_map_lookup_elem(&count_scratch, &zero);
	if (!c || !src || !npages)
		return 0;
	c->src = ptr_value(src);
	c->migrated = 0;
	c->first_idx = ~0ULL;
	c->first_valid = 0;
	if (npages > MIGRATE_WINDOW_MAX) {
		count_lost(DEVMEM_LOST_MIGRATE_TRUNC);
		npages = MIGRATE_WINDOW_MAX;
	}
	bpf_loop(npages, count_entry, NULL, 0);
	*first_valid = c->first_valid;
	*first_idx = c->first_idx;
	return c->migrated;
}

static __always_inline const struct dev_pagemap *mpfn_pgmap(unsigned long mpfn)
{
	if (!(mpfn & DEVMEM_MIGRATE_PFN_VALID))
		return NULL;
	return page_pgmap(pfn_to_page(mpfn >> DEVMEM_MIGRATE_PFN_SHIFT), false);
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

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
 *   - in_use at remove is unknown (DEVMEM_UNKNOWN), nid is the requested one.
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
const volatile bool hist_per_device = false;	/* fill dev_hists (-D views) */
const volatile bool hist_per_process = false;	/* fill proc_hists (-P views) */

/* Loop bound of the fallback's migrate window walk (pages). */
#define MIGRATE_WINDOW_MAX	65536	/* src entries the fallback reads (256 MiB) */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);			/* struct dev_pagemap pointer */
	__type(value, struct devmem_range);
} ranges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);			/* pgmap->owner */
	__type(value, struct devmem_counters);
} dev_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);			/* tgid */
	__type(value, struct devmem_proc_value);
} proc_counters SEC(".maps");

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);		/* user space shrinks it when unused */
	__type(key, struct devmem_hist_key);	/* id = owner */
	__type(value, struct devmem_hist);
} dev_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);		/* user space shrinks it when unused */
	__type(key, struct devmem_hist_key);	/* id = tgid */
	__type(value, struct devmem_hist);
} proc_hists SEC(".maps");

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

/* init values for lookup_or_init(), in .bss so they cost no stack */
static struct devmem_counters zero_counters;
static struct devmem_hist zero_hist;

static __always_inline void count_lost(__u32 kind)
{
	__u64 *v = bpf_map_lookup_elem(&lost, &kind);

	if (v)
		(*v)++;
}

/* the three counter sets one event updates */
struct ctrs {
	struct devmem_counters *total;
	struct devmem_counters *dev;
	struct devmem_counters *proc;
};

static __always_inline struct devmem_counters *proc_ctrs(__u32 tgid)
{
	struct devmem_proc_value *v, init = {};

	v = bpf_map_lookup_elem(&proc_counters, &tgid);
	if (!v) {
		bpf_get_current_comm(init.comm, sizeof(init.comm));
		v = lookup_or_init(&proc_counters, &tgid, &init);
		if (!v) {
			count_lost(DEVMEM_LOST_PROCS_FULL);
			return NULL;
		}
	}
	/* a per-CPU value created on another CPU has no comm on this one */
	if (!v->comm[0])
		bpf_get_current_comm(v->comm, sizeof(v->comm));
	return &v->c;
}

static __always_inline void get_ctrs(struct ctrs *c, __u64 owner, __u32 tgid)
{
	__u32 zero = 0;

	c->total = bpf_map_lookup_elem(&total_counters, &zero);
	c->dev = NULL;
	if (owner) {
		c->dev = lookup_or_init(&dev_counters, &owner, &zero_counters);
		if (!c->dev)
			count_lost(DEVMEM_LOST_DEVICES_FULL);
	}
	c->proc = tgid ? proc_ctrs(tgid) : NULL;
}

#define CTR_ADD(c, field, n)						\
	do {								\
		if ((c)->total)						\
			(c)->total->field += (n);			\
		if ((c)->dev)						\
			(c)->dev->field += (n);				\
		if ((c)->proc)						\
			(c)->proc->field += (n);			\
	} while (0)

static __always_inline void hist_put(struct devmem_hist *h, __u32 slot, __u64 v)
{
	__u64 i = slot;

	/*
	 * Keep the bound check and the index in one register: older verifiers
	 * (v6.1) lose a 32-bit bound the compiler checked on a copy.
	 */
	asm volatile("" : "+r"(i));
	if (i >= DEVMEM_HIST_SLOTS)
		return;
	h->slots[i]++;
	h->count++;
	h->sum += v;
}

static __always_inline void hist_add(__u32 kind, __u64 v, __u64 owner, __u32 tgid)
{
	struct devmem_hist_key key = { .kind = kind };
	struct devmem_hist *h;
	__u32 slot = hist_slot(v);

	h = bpf_map_lookup_elem(&hists, &kind);
	if (h)
		hist_put(h, slot, v);
	if (hist_per_device && owner) {
		key.id = owner;
		h = lookup_or_init(&dev_hists, &key, &zero_hist);
		if (h)
			hist_put(h, slot, v);
		else
			count_lost(DEVMEM_LOST_HISTS_FULL);
	}
	if (hist_per_process && tgid) {
		key.id = tgid;
		h = lookup_or_init(&proc_hists, &key, &zero_hist);
		if (h)
			hist_put(h, slot, v);
		else
			count_lost(DEVMEM_LOST_HISTS_FULL);
	}
}

/* Reserve a zeroed ring buffer record if this type is streamed. */
static __always_inline struct devmem_event *
stream_reserve(__u32 type, __u64 ts, __u64 pgmap, __u64 owner)
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
	e->pgmap = pgmap;
	e->owner = owner;
	return e;
}

static __always_inline bool tgid_filtered(__u32 tgid)
{
	return filter_tgid && tgid != filter_tgid;
}

static __always_inline bool owner_filtered(__u64 owner)
{
	return filter_owner && owner != filter_owner;
}

/* ---- pagemaps ---------------------------------------------------------- */

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
			pages += (end - start + 1) >> 12;
	}
	r->nr_pages = pages;
}

static __always_inline int on_pagemap_add(const struct dev_pagemap *pgmap, __u32 nid)
{
	struct devmem_range r = {};
	struct devmem_event *e;
	struct ctrs c;
	__u64 ts = bpf_ktime_get_ns();

	if (!pgmap)
		return 0;
	fill_range(&r, pgmap);
	if (!followed_type(r.type) || owner_filtered(r.owner))
		return 0;
	r.added_ns = ts;
	r.nid = nid;
	if (bpf_map_update_elem(&ranges, &r.pgmap, &r, BPF_ANY))
		count_lost(DEVMEM_LOST_RANGES_FULL);
	get_ctrs(&c, r.owner, 0);
	CTR_ADD(&c, adds, 1);
	e = stream_reserve(DEVMEM_EV_PAGEMAP_ADD, ts, r.pgmap, r.owner);
	if (e) {
		e->address = r.start;
		e->pfn = r.end;
		e->npages = r.nr_pages;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

static __always_inline int on_pagemap_remove(const struct dev_pagemap *pgmap, __u64 in_use)
{
	struct devmem_range *rp, r = {};
	struct devmem_event *e;
	struct ctrs c;
	__u64 key = (__u64)pgmap, ts = bpf_ktime_get_ns();

	if (!pgmap)
		return 0;
	rp = bpf_map_lookup_elem(&ranges, &key);
	if (!rp) {
		/* added before tracing started: learn it now (added_ns = 0) */
		fill_range(&r, pgmap);
		if (!followed_type(r.type) || owner_filtered(r.owner))
			return 0;
		r.nid = ~0U;
		if (bpf_map_update_elem(&ranges, &key, &r, BPF_NOEXIST))
			count_lost(DEVMEM_LOST_RANGES_FULL);
		rp = bpf_map_lookup_elem(&ranges, &key);
		if (!rp)
			return 0;
	}
	if (owner_filtered(rp->owner))
		return 0;
	rp->removed_ns = ts;
	rp->in_use_at_remove = in_use;
	get_ctrs(&c, rp->owner, 0);
	CTR_ADD(&c, removes, 1);
	if (in_use != DEVMEM_UNKNOWN)
		CTR_ADD(&c, refs_waited, in_use);
	e = stream_reserve(DEVMEM_EV_PAGEMAP_REMOVE, ts, key, rp->owner);
	if (e) {
		e->address = rp->start;
		e->pfn = rp->end;
		e->npages = rp->nr_pages;
		e->result = in_use;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

static __always_inline int on_pagemap_remove_done(const struct dev_pagemap *pgmap)
{
	struct devmem_range *rp;
	struct devmem_event *e;
	__u64 key = (__u64)pgmap, ts = bpf_ktime_get_ns(), wait;

	rp = bpf_map_lookup_elem(&ranges, &key);
	if (!rp || !rp->removed_ns) {
		if (!filter_owner)
			count_lost(DEVMEM_UNMATCHED_REMOVE_DONE);
		return 0;
	}
	if (owner_filtered(rp->owner))
		return 0;
	rp->remove_done_ns = ts;
	wait = ts - rp->removed_ns;
	hist_add(DEVMEM_HIST_REMOVE_WAIT, wait, rp->owner, 0);
	e = stream_reserve(DEVMEM_EV_PAGEMAP_REMOVE_DONE, ts, key, rp->owner);
	if (e) {
		e->address = rp->start;
		e->pfn = rp->end;
		e->npages = rp->nr_pages;
		e->latency_ns = wait;
		bpf_ringbuf_submit(e, 0);
	}
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

static __always_inline int on_fault(const void *page, const void *vmf, const void *margs,
				    bool fast)
{
	struct devmem_fault_start *st;
	struct devmem_event *e;
	const struct dev_pagemap *pgmap;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), owner, ts;
	__u32 tgid = id >> 32;

	if (tgid_filtered(tgid))
		return 0;
	pgmap = page_pgmap(page, fast);
	owner = pgmap ? (__u64)DEVMEM_READ(fast, struct dev_pagemap, pgmap, owner) : 0;
	if (owner_filtered(owner))
		return 0;
	ts = bpf_ktime_get_ns();
	st = bpf_task_storage_get(&fault_start, bpf_get_current_task_btf(), NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (st) {
		st->ts_ns = ts;
		st->pgmap = (__u64)pgmap;
		st->owner = owner;
		st->migrated = 0;
	} else {
		count_lost(DEVMEM_LOST_FAULT_TS_FULL);
	}
	get_ctrs(&c, owner, tgid);
	CTR_ADD(&c, faults, 1);
	e = stream_reserve(DEVMEM_EV_FAULT, ts, (__u64)pgmap, owner);
	if (e) {
		e->address = fault_address(vmf, margs, fast);
		e->pfn = page ? page_to_pfn(page) : 0;
		e->fault = vmf ? DEVMEM_READ(fast, struct vm_fault, vmf, flags) &
				 DEVMEM_FAULT_FLAG_WRITE : 0;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

static __always_inline int on_fault_done(const void *vmf, const void *margs, __u64 ret,
					 bool failed, bool fast)
{
	const void *page;
	struct devmem_fault_start *st;
	struct devmem_event *e;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), ts, lat;
	__u32 tgid = id >> 32;
	__u64 owner, pgmap, migrated;

	if (tgid_filtered(tgid))
		return 0;
	st = bpf_task_storage_get(&fault_start, bpf_get_current_task_btf(), NULL, 0);
	if (!st || !st->ts_ns) {
		if (!filter_owner)
			count_lost(DEVMEM_UNMATCHED_FAULT_DONE);
		return 0;
	}
	ts = bpf_ktime_get_ns();
	lat = ts - st->ts_ns;
	owner = st->owner;
	pgmap = st->pgmap;
	migrated = st->migrated;
	st->ts_ns = 0;			/* the thread is out of its fault */

	get_ctrs(&c, owner, tgid);
	if (failed)
		CTR_ADD(&c, fault_errors, 1);
	if (!migrated)
		CTR_ADD(&c, faults_wasted, 1);
	hist_add(DEVMEM_HIST_FAULT_LATENCY, lat, owner, tgid);
	e = stream_reserve(DEVMEM_EV_FAULT_DONE, ts, pgmap, owner);
	if (e) {
		page = vmf ? DEVMEM_READ(fast, struct vm_fault, vmf, page) :
			     migrate_fault_page(margs, fast);
		e->address = fault_address(vmf, margs, fast);
		e->pfn = page ? page_to_pfn(page) : 0;
		e->result = ret;
		e->migrated = migrated;
		e->latency_ns = lat;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

/* ---- migrations ---------------------------------------------------------- */

static __always_inline int on_migrate(const void *migrate, const struct dev_pagemap *pgmap,
				      __u64 npages, __u64 cpages, __u64 migrated, __u32 dir,
				      bool fast)
{
	struct devmem_fault_start *st;
	struct devmem_event *e;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), owner;
	__u32 tgid = id >> 32;
	bool fault;

	if (tgid_filtered(tgid))
		return 0;
	owner = pgmap ? (__u64)DEVMEM_READ(fast, struct dev_pagemap, pgmap, owner) : 0;
	if (owner_filtered(owner))
		return 0;
	fault = migrate_fault_page(migrate, fast) != NULL;
	get_ctrs(&c, owner, tgid);
	if (dir == DEVMEM_TO_DEVICE) {
		CTR_ADD(&c, migrate_calls_to_device, 1);
		CTR_ADD(&c, pages_to_device, migrated);
	} else {
		CTR_ADD(&c, migrate_calls_to_ram, 1);
		CTR_ADD(&c, pages_to_ram, migrated);
	}
	CTR_ADD(&c, pages_collected, cpages);
	if (fault) {
		CTR_ADD(&c, fault_migrations, 1);
		CTR_ADD(&c, fault_pages, migrated);
		st = bpf_task_storage_get(&fault_start, bpf_get_current_task_btf(), NULL, 0);
		if (st && st->ts_ns)
			st->migrated += migrated;
	}
	hist_add(DEVMEM_HIST_MIGRATE_PAGES, migrated, owner, tgid);
	e = stream_reserve(DEVMEM_EV_MIGRATE, bpf_ktime_get_ns(), (__u64)pgmap, owner);
	if (e) {
		e->address = migrate ? DEVMEM_READ(fast, struct migrate_vma, migrate, start) : 0;
		e->npages = npages;
		e->cpages = cpages;
		e->migrated = migrated;
		e->dir = dir;
		e->fault = fault;
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
static __always_inline int on_page_alloc(const void *page, __u64 pfn, bool fast)
{
	const struct dev_pagemap *pgmap;
	struct devmem_event *e;
	struct life_slot *ls;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), owner, ts;
	__u32 tgid = id >> 32;

	if (tgid_filtered(tgid))
		return 0;
	pgmap = page_pgmap(page, fast);
	owner = pgmap ? (__u64)DEVMEM_READ(fast, struct dev_pagemap, pgmap, owner) : 0;
	if (owner_filtered(owner))
		return 0;
	ts = bpf_ktime_get_ns();
	ls = life_slot_of(pfn);
	if (ls) {
		/* a live page 1 GiB away holds the slot: its lifetime is lost */
		if (ls->ts && ls->pfn != pfn)
			count_lost(DEVMEM_LOST_ALLOC_TS_FULL);
		ls->pfn = pfn;
		ls->ts = ts;
	}
	get_ctrs(&c, owner, tgid);
	CTR_ADD(&c, allocs, 1);
	e = stream_reserve(DEVMEM_EV_PAGE_ALLOC, ts, (__u64)pgmap, owner);
	if (e) {
		e->pfn = pfn;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

static __always_inline int on_page_free(const void *page, __u64 pfn, bool check_type, bool fast)
{
	const struct dev_pagemap *pgmap;
	struct devmem_event *e;
	struct life_slot *ls;
	struct ctrs c;
	__u64 id = bpf_get_current_pid_tgid(), owner, ts, life = 0;
	__u32 tgid = id >> 32;
	bool timed = false;

	pgmap = page_pgmap(page, fast);
	/* the fallback also sees fsdax/p2pdma/generic pages */
	if (check_type &&
	    (!pgmap || !followed_type(DEVMEM_READ(fast, struct dev_pagemap, pgmap, type))))
		return 0;
	owner = pgmap ? (__u64)DEVMEM_READ(fast, struct dev_pagemap, pgmap, owner) : 0;
	if (owner_filtered(owner))
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
	get_ctrs(&c, owner, tgid);
	CTR_ADD(&c, frees, 1);
	if (timed)
		hist_add(DEVMEM_HIST_PAGE_LIFETIME, life, owner, tgid);
	e = stream_reserve(DEVMEM_EV_PAGE_FREE, ts, (__u64)pgmap, owner);
	if (e) {
		e->pfn = pfn;
		e->latency_ns = life;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

/* ==== tp_btf: the devmem tracepoints (primary) =========================== */

SEC("tp_btf/devmem_pagemap_add")
int BPF_PROG(tp_pagemap_add, const struct dev_pagemap *pgmap, unsigned long in_use)
{
	return on_pagemap_add(pgmap, ~0U);
}

SEC("tp_btf/devmem_pagemap_remove")
int BPF_PROG(tp_pagemap_remove, const struct dev_pagemap *pgmap, unsigned long in_use)
{
	return on_pagemap_remove(pgmap, in_use);
}

SEC("tp_btf/devmem_pagemap_remove_done")
int BPF_PROG(tp_pagemap_remove_done, const struct dev_pagemap *pgmap, unsigned long in_use)
{
	return on_pagemap_remove_done(pgmap);
}

SEC("tp_btf/devmem_fault")
int BPF_PROG(tp_fault, const struct vm_fault *vmf)
{
	return on_fault(DEVMEM_READ(true, struct vm_fault, vmf, page), vmf, NULL, true);
}

SEC("tp_btf/devmem_fault_done")
int BPF_PROG(tp_fault_done, const struct vm_fault *vmf, unsigned int ret)
{
	return on_fault_done(vmf, NULL, ret, ret & DEVMEM_VM_FAULT_ERROR, true);
}

/* dir is enum devmem_migrate_dir, read as an int (see core_fixes.bpf.h) */
SEC("tp_btf/devmem_migrate")
int BPF_PROG(tp_migrate, const struct migrate_vma *migrate, const struct dev_pagemap *pgmap,
	     unsigned long npages, unsigned long cpages, unsigned long migrated, int dir)
{
	return on_migrate(migrate, pgmap, npages, cpages, migrated, dir, true);
}

SEC("tp_btf/devmem_page_alloc")
int BPF_PROG(tp_page_alloc, const struct page *page)
{
	return on_page_alloc(page, page_to_pfn(page), true);
}

SEC("tp_btf/devmem_page_free")
int BPF_PROG(tp_page_free, const struct page *page)
{
	return on_page_free(page, page_to_pfn(page), false, true);
}

/* ==== raw_tp: the same tracepoints, untyped arguments ===================== */

SEC("raw_tp/devmem_pagemap_add")
int BPF_PROG(raw_pagemap_add, const struct dev_pagemap *pgmap, unsigned long in_use)
{
	return on_pagemap_add(pgmap, ~0U);
}

SEC("raw_tp/devmem_pagemap_remove")
int BPF_PROG(raw_pagemap_remove, const struct dev_pagemap *pgmap, unsigned long in_use)
{
	return on_pagemap_remove(pgmap, in_use);
}

SEC("raw_tp/devmem_pagemap_remove_done")
int BPF_PROG(raw_pagemap_remove_done, const struct dev_pagemap *pgmap, unsigned long in_use)
{
	return on_pagemap_remove_done(pgmap);
}

SEC("raw_tp/devmem_fault")
int BPF_PROG(raw_fault, const struct vm_fault *vmf)
{
	return on_fault(DEVMEM_READ(true, struct vm_fault, vmf, page), vmf, NULL, true);
}

SEC("raw_tp/devmem_fault_done")
int BPF_PROG(raw_fault_done, const struct vm_fault *vmf, unsigned int ret)
{
	return on_fault_done(vmf, NULL, ret, ret & DEVMEM_VM_FAULT_ERROR, true);
}

SEC("raw_tp/devmem_migrate")
int BPF_PROG(raw_migrate, const struct migrate_vma *migrate, const struct dev_pagemap *pgmap,
	     unsigned long npages, unsigned long cpages, unsigned long migrated, int dir)
{
	return on_migrate(migrate, pgmap, npages, cpages, migrated, dir, true);
}

SEC("raw_tp/devmem_page_alloc")
int BPF_PROG(raw_page_alloc, const struct page *page)
{
	return on_page_alloc(page, page_value_to_pfn((__u64)page), true);
}

SEC("raw_tp/devmem_page_free")
int BPF_PROG(raw_page_free, const struct page *page)
{
	return on_page_free(page, page_value_to_pfn((__u64)page), false, true);
}

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
	return on_pagemap_remove(pgmap, DEVMEM_UNKNOWN);
}

SEC("fexit/memunmap_pages")
int BPF_PROG(fx_memunmap_pages, struct dev_pagemap *pgmap)
{
	return on_pagemap_remove_done(pgmap);
}

SEC("fentry/free_zone_device_folio")
int BPF_PROG(fe_free_zone_device_folio, struct folio *folio)
{
	return on_page_free(folio, page_to_pfn(folio), true, false);
}

SEC("fentry/free_zone_device_page")
int BPF_PROG(fe_free_zone_device_page, struct page *page)
{
	return on_page_free(page, page_to_pfn(page), true, false);
}

SEC("fentry/zone_device_page_init")
int BPF_PROG(fe_zone_device_page_init, struct page *page)
{
	return on_page_alloc(page, page_to_pfn(page), false);
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
	return on_migrate(migrate, pgmap, npages, BPF_CORE_READ(migrate, cpages), migrated, dir,
			  false);
}

SEC("fexit/migrate_device_pages")
int BPF_PROG(fx_migrate_device_pages, unsigned long *src_pfns, unsigned long *dst_pfns,
	     unsigned long npages)
{
	unsigned long first_src;
	__u64 migrated, idx;

	/* migrate_device_range()/pfns() collect device pages: they go to RAM */
	migrated = count_migrated(src_pfns, npages, &first_src, &idx);
	return on_migrate(NULL, mpfn_pgmap(first_src), npages, migrated, migrated,
			  DEVMEM_TO_RAM, false);
}

SEC("fentry/migrate_vma_setup")
int BPF_PROG(fe_migrate_vma_setup, struct migrate_vma *args)
{
	const void *page = migrate_fault_page(args, false);

	if (!page)
		return 0;
	return on_fault(page, NULL, args, false);
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
	return on_fault_done(NULL, args, (__u64)(__s64)ret, true, false);
}

SEC("fexit/migrate_vma_finalize")
int BPF_PROG(fx_migrate_vma_finalize, struct migrate_vma *migrate)
{
	const void *page = migrate_fault_page(migrate, false);

	if (!page)
		return 0;
	return on_fault_done(NULL, migrate, 0, false, false);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

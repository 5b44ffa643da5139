/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process table: an entry per live process, flushed into a record of
 * the notices ring at its exit; the counter sets and histograms of an event.
 */
#ifndef DEVMEM_PROCS_BPF_H
#define DEVMEM_PROCS_BPF_H

#include "ranges.bpf.h"

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

/*
 * A new process's entry is built here, not on the BPF stack: with a
 * fallback handler's own frame it would pass the 512 bytes 6.1 allows.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct devmem_proc_value);
} proc_init SEC(".maps");

/* First event of a process: its entry, named after its group leader. */
static __noinline struct devmem_proc_value *proc_insert(__u32 tgid)
{
	struct task_struct *leader;
	struct devmem_proc_value *init;
	__u32 zero = 0;
	int err;	/* helpers return int: a 64-bit compare would miss -E2BIG on v6.1 */

	init = bpf_map_lookup_elem(&proc_init, &zero);
	if (!init)
		return NULL;
	__builtin_memset(init, 0, sizeof(*init));
	leader = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), group_leader);
	init->start_ns = BPF_CORE_READ(leader, start_time);
	init->start_boot_ns = BPF_CORE_READ(leader, start_boottime);
	BPF_CORE_READ_STR_INTO(&init->comm, leader, comm);
	init->seq = next_seq();
	err = bpf_map_update_elem(&procs, &tgid, init, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_insert_failure(err, DEVMEM_LOST_PROCS_FULL);
		if (err == -E2BIG)
			proc_overflowed(tgid, init);
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
 * notices ring, deleting before submitting, so that user space never sees
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
		rec = bpf_ringbuf_reserve(&notices, sizeof(*rec), 0);
	} else {
		rec = bpf_ringbuf_reserve(&notices, offsetof(struct devmem_proc_exit, hists), 0);
	}
	if (!rec) {
		v->exit_ns = now;
		count_tally(DEVMEM_NOTICES_DEFERRED);
		return 0;
	}
	rec->type = DEVMEM_NOTICE_PROCESS_EXIT;
	rec->tgid = tgid;
	rec->flags = 0;
	rec->pad = 0;
	rec->exit_ns = now;
	rec->v = *v;
	rec->v.exit_ns = now;
	if (hist_per_process) {
		/* too big for an inlined copy */
		if (h && !bpf_probe_read_kernel(&rec->hists, sizeof(rec->hists), h))
			rec->flags = DEVMEM_PROC_EXIT_F_HISTS;
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


static __always_inline void get_ctrs(struct ctrs *c, int slot, __u32 tgid)
{
	__u32 zero = 0, s = slot;

	c->total = bpf_map_lookup_elem(&total_counters, &zero);
	c->range = NULL;
	if (slot >= 0 && slot < DEVMEM_RANGE_IGNORED)
		c->range = bpf_map_lookup_elem(&range_counters, &s);
	c->proc = procs_on && tgid ? proc_ctrs(tgid) : NULL;
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
	if (procs_on && hist_per_process && tgid) {
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

#endif /* DEVMEM_PROCS_BPF_H */

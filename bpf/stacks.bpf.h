/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault stacks (--stacks): the user stack of each CPU fault on device
 * memory, counted per (process, stack).
 */
#ifndef DEVMEM_STACKS_BPF_H
#define DEVMEM_STACKS_BPF_H

#include "procs.bpf.h"

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
	struct devmem_stack_proc_notice *rec;
	__u64 *known = bpf_map_lookup_elem(&stack_procs, &tgid);
	__u64 code, base;

	if (known && *known == start_ns)
		return;
	rec = bpf_ringbuf_reserve(&notices, sizeof(*rec), 0);
	if (!rec)
		return;
	rec->type = DEVMEM_NOTICE_STACK_PROC;
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


#endif /* DEVMEM_STACKS_BPF_H */

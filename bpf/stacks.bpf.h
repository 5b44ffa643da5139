/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault stacks (--stacks): the user stack of each CPU fault on device
 * memory, sent as a sample (ustack.bpf.h) and counted per (process,
 * stack) in user space.
 */
#ifndef DEVMEM_STACKS_BPF_H
#define DEVMEM_STACKS_BPF_H

#include "procs.bpf.h"
#include "ustack.bpf.h"

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
	struct devmem_stack_proc_notice *rec;
	__u64 *known = bpf_map_lookup_elem(&stack_procs, &tgid);

	if (known && *known == start_ns)
		return;
	rec = bpf_ringbuf_reserve(&notices, sizeof(*rec), 0);
	if (!rec)
		return;
	rec->type = DEVMEM_NOTICE_STACK_PROC;
	rec->tgid = tgid;
	rec->start_ns = start_ns;
	rec->parent = stack_layout_parent();
	rec->pad = 0;
	bpf_ringbuf_submit(rec, 0);
	bpf_map_update_elem(&stack_procs, &tgid, &start_ns, BPF_ANY);
}

/*
 * The stack of the current fault, as a sample (ustack.bpf.h); the process
 * is announced at its first one, so user space reads its maps while it
 * lives. Returns the fault's latency key, or < 0.
 */
static __always_inline int stack_capture(void *ctx, __u32 tgid, __u64 start_ns)
{
	stack_proc_announce(tgid, start_ns);
	return ustack_sample(ctx, tgid, start_ns);
}

#endif /* DEVMEM_STACKS_BPF_H */

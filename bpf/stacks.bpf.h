/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault stacks (--stacks): the user stack of each CPU fault on device
 * memory. fp mode counts in the kernel, per (process, layout, the kernel's
 * frame-pointer walk, the return address of a frameless leaf where the
 * leaf's rule says it is); dwarf mode, and fp mode at a leaf user space
 * has not looked at yet, sends a sample (ustack.bpf.h). A process's
 * mappings are looked up at its first stack of each layout.
 */
#ifndef DEVMEM_STACKS_BPF_H
#define DEVMEM_STACKS_BPF_H

#include "procs.bpf.h"
#include "ustack.bpf.h"

/* fp mode: what the CFI at each leaf ip says (user space writes it) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct devmem_leaf_key);
	__type(value, struct devmem_leaf_rule);
} leaf_rules SEC(".maps");

enum stack_fault_kind {
	STACK_FAULT_NONE = 0,
	STACK_FAULT_COUNTED,		/* its stack_counts entry gets the latency */
	STACK_FAULT_SAMPLED,		/* a latency record follows its sample */
};

/* the stack of the fault a thread is in, for the fault's end */
struct stack_fault {
	struct devmem_stack_key key;	/* STACK_FAULT_COUNTED */
	__u64 seq;			/* STACK_FAULT_SAMPLED */
	__u32 kind;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct stack_fault);
} fault_stack SEC(".maps");

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
 * The layout (address space) of the current process as stack_procs knows
 * it: a new process, or a new mm (it exec'd), starts a new one, whose
 * mappings are to be looked up (*look), as they are when user space asked
 * again. A layout is a number unique to it. 0, or -1 without an entry.
 */
static __noinline int stack_layout(__u32 tgid, __u64 start_ns, __u32 *layout, bool *look)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 mm = (__u64)BPF_CORE_READ(t, mm), seq;
	struct devmem_stack_proc *p = bpf_map_lookup_elem(&stack_procs, &tgid);
	__u32 zero = 0;
	void *init;

	if (p && p->start_ns == start_ns && p->mm == mm) {
		*layout = p->layout;
		*look = p->maps == DEVMEM_MAPS_AGAIN && p->looks < DEVMEM_MAPS_LOOKS_MAX;
		return 0;
	}
	init = bpf_map_lookup_elem(&stack_proc_zero, &zero);
	if (!init || bpf_map_update_elem(&stack_procs, &tgid, init, BPF_ANY))
		return -1;
	p = bpf_map_lookup_elem(&stack_procs, &tgid);
	if (!p)
		return -1;
	seq = next_seq();
	p->start_ns = start_ns;
	p->mm = mm;
	p->layout = (__u32)(seq ^ (seq >> 32));
	p->maps = DEVMEM_MAPS_AGAIN;
	*layout = p->layout;
	*look = true;
	return 0;
}

/*
 * fp mode: count the fault in stack_counts under its walk and, for a
 * frameless leaf, its caller's return address read where the leaf's rule
 * says. 0, or -1 where a sample is to be sent instead: a leaf not looked
 * at yet (its rule is asked for), a walk the stacks map has no bucket
 * for, a full table.
 */
static __noinline int stack_fp_count(void *ctx, __u32 tgid, __u64 start_ns, __u32 layout,
				     struct stack_fault *f)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct devmem_leaf_key lk = { .start_ns = start_ns, .tgid = tgid, .layout = layout };
	struct devmem_leaf_rule *r, pending = {};
	struct devmem_stack_key key = { .tgid = tgid, .start_ns = start_ns, .layout = layout };
	struct devmem_stack_value *v, init = {};
	struct pt_regs *regs;
	__u32 off;
	int id, err;	/* helpers return int: a 64-bit compare would miss errors on v6.1 */

	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return -1;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	lk.ip = BPF_CORE_READ(regs, ip);
	r = bpf_map_lookup_elem(&leaf_rules, &lk);
	if (!r) {
		bpf_map_update_elem(&leaf_rules, &lk, &pending, BPF_NOEXIST);
		return -1;
	}
	if (r->kind == DEVMEM_LEAF_PENDING)
		return -1;
	if (r->kind == DEVMEM_LEAF_FRAMELESS) {
		off = r->ra_off & (DEVMEM_LEAF_RA_MAX - 8);
		if (bpf_probe_read_user(&key.caller, sizeof(key.caller),
					(const void *)(BPF_CORE_READ(regs, sp) + off)))
			key.caller = 0;
	}
	id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (id < 0)
		return -1;
	key.stackid = id;
	v = bpf_map_lookup_elem(&stack_counts, &key);
	if (!v) {
		bpf_get_current_comm(init.comm, sizeof(init.comm));
		err = bpf_map_update_elem(&stack_counts, &key, &init, BPF_NOEXIST);
		if (err && err != -EEXIST)
			return -1;
		v = bpf_map_lookup_elem(&stack_counts, &key);
		if (!v)
			return -1;
	}
	ADD(&v->faults, 1);
	if (f) {
		f->key = key;
		f->kind = STACK_FAULT_COUNTED;
	}
	return 0;
}

/*
 * The stack of the current fault: counted in the kernel (fp) or sent as
 * a sample, after the process's mappings where they are to be looked up.
 * 0 if the fault has a stack whose time stack_fault_end() adds, else < 0.
 */
static __always_inline int stack_capture(void *ctx, __u32 tgid, __u64 start_ns)
{
	struct stack_fault *f;
	__u32 layout = 0;
	bool look = false;
	__u64 seq;

	if (stack_layout(tgid, start_ns, &layout, &look))
		look = false;
	f = bpf_task_storage_get(&fault_stack, bpf_get_current_task_btf(), NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (f)
		f->kind = STACK_FAULT_NONE;
	/* the mappings first: user space reads the ring in order */
	if (look && stack_maps_on)
		stack_maps_look(tgid, start_ns, layout);
	if (stack_mode == DEVMEM_STACKS_FP && !look &&
	    !stack_fp_count(ctx, tgid, start_ns, layout, f))
		return 0;
	seq = ustack_sample(ctx, tgid, start_ns, layout);
	if (!seq)
		return -1;
	if (f) {
		f->key.tgid = tgid;
		f->seq = seq;
		f->kind = STACK_FAULT_SAMPLED;
	}
	return 0;
}

/* the fault whose stack stack_capture() took ended after lat ns */
static __always_inline void stack_fault_end(__u64 lat)
{
	struct stack_fault *f = bpf_task_storage_get(&fault_stack, bpf_get_current_task_btf(),
						     NULL, 0);
	struct devmem_stack_value *v;

	if (!f)
		return;
	if (f->kind == STACK_FAULT_COUNTED) {
		v = bpf_map_lookup_elem(&stack_counts, &f->key);
		if (v)
			ADD(&v->fault_ns, lat);
	} else if (f->kind == STACK_FAULT_SAMPLED) {
		ustack_latency(f->key.tgid, f->seq, lat);
	}
	f->kind = STACK_FAULT_NONE;
}

#endif /* DEVMEM_STACKS_BPF_H */

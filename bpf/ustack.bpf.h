/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stack samples of faults (--stacks=fp|dwarf, include/devmem.h): the user
 * registers, the frame-pointer walk in fp mode, and a copy of the top of
 * the user stack, on a ring of their own; user space unwinds them (with
 * the CFI of the mapped files in dwarf mode; in fp mode the copy gives a
 * frameless leaf its caller). The work is bounded by the copy size.
 */
#ifndef DEVMEM_USTACK_BPF_H
#define DEVMEM_USTACK_BPF_H

/* DEVMEM_STACKS_*, and the bytes of stack a sample copies: set before load */
const volatile __u32 stack_mode = DEVMEM_STACKS_OFF;
const volatile __u32 stack_bytes = DEVMEM_FP_STACK_BYTES;

/* stack samples; user space sizes it for its copy size (a page when off) */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} ustacks SEC(".maps");

#define USTACK_PAGE	4096ULL

/*
 * The parent whose address space layout the current process has (forked,
 * not exec'd: the same start of code and mmap base), whose maps serve if
 * it is gone by the time user space reads them; 0: none.
 */
static __always_inline __u32 stack_layout_parent(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 code = BPF_CORE_READ(t, mm, start_code), base = BPF_CORE_READ(t, mm, mmap_base);

	if (code && code == BPF_CORE_READ(t, real_parent, mm, start_code) &&
	    base == BPF_CORE_READ(t, real_parent, mm, mmap_base))
		return BPF_CORE_READ(t, real_parent, tgid);
	return 0;
}

/*
 * The top of the user stack from sp into buf: stack_bytes if they can be
 * read, else as far as the stack's mapping goes (the page sp is in, and
 * whole pages after it, fewer each try). Bytes copied; 0: none.
 */
static __always_inline __u32 ustack_copy(__u8 *buf, __u64 sp)
{
	__u64 size = stack_bytes, first, len;

	if (size > DEVMEM_STACK_BYTES_MAX)
		size = DEVMEM_STACK_BYTES_MAX;
	if (!bpf_probe_read_user(buf, size, (const void *)sp))
		return size;
	first = USTACK_PAGE - (sp & (USTACK_PAGE - 1));
	for (int k = DEVMEM_STACK_BYTES_MAX / USTACK_PAGE; k >= 0; k--) {
		len = first + (__u64)k * USTACK_PAGE;
		if (len >= size)
			continue;
		/* the bound checked on the register the helper gets */
		asm volatile("" : "+r"(len));
		if (len >= size)
			continue;
		if (!bpf_probe_read_user(buf, len, (const void *)sp))
			return len;
	}
	return 0;
}

/*
 * A fault's latency key: a stack_counts entry its end adds the latency
 * to, with a stackid of its own (a sequence number) until user space has
 * read it. Returns the key, or -1 without one (the fault time is lost).
 */
static __always_inline int ustack_lat_key(__u32 tgid, __u64 start_ns)
{
	struct devmem_stack_key key = { .tgid = tgid, .start_ns = start_ns };
	struct devmem_stack_value init = { .faults = 1 };
	int err;

	key.stackid = (__s32)((next_seq() >> 1) & 0x7fffffff);
	bpf_get_current_comm(init.comm, sizeof(init.comm));
	err = bpf_map_update_elem(&stack_counts, &key, &init, BPF_NOEXIST);
	if (err) {
		count_insert_failure(err, DEVMEM_LOST_STACK_COUNTS_FULL);
		return -1;
	}
	return key.stackid;
}

/* the sample of the current fault; its latency key, or -1 */
static __noinline int ustack_sample(void *ctx, __u32 tgid, __u64 start_ns)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct devmem_ustack_sample *rec;
	struct pt_regs *regs;
	__u64 id = bpf_get_current_pid_tgid();
	long n;
	int key;

	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs) ||
	    !BPF_CORE_READ(t, mm)) {
		count_lost(DEVMEM_LOST_USTACK_NO_REGS);
		return -1;
	}
	rec = bpf_ringbuf_reserve(&ustacks, sizeof(*rec) + stack_bytes, 0);
	if (!rec) {
		count_lost(DEVMEM_LOST_USTACK_RING);
		return -1;
	}
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	rec->regs[0] = BPF_CORE_READ(regs, ax);
	rec->regs[1] = BPF_CORE_READ(regs, dx);
	rec->regs[2] = BPF_CORE_READ(regs, cx);
	rec->regs[3] = BPF_CORE_READ(regs, bx);
	rec->regs[4] = BPF_CORE_READ(regs, si);
	rec->regs[5] = BPF_CORE_READ(regs, di);
	rec->regs[DEVMEM_UREG_BP] = BPF_CORE_READ(regs, bp);
	rec->regs[DEVMEM_UREG_SP] = BPF_CORE_READ(regs, sp);
	rec->regs[8] = BPF_CORE_READ(regs, r8);
	rec->regs[9] = BPF_CORE_READ(regs, r9);
	rec->regs[10] = BPF_CORE_READ(regs, r10);
	rec->regs[11] = BPF_CORE_READ(regs, r11);
	rec->regs[12] = BPF_CORE_READ(regs, r12);
	rec->regs[13] = BPF_CORE_READ(regs, r13);
	rec->regs[14] = BPF_CORE_READ(regs, r14);
	rec->regs[15] = BPF_CORE_READ(regs, r15);
	rec->regs[DEVMEM_UREG_IP] = BPF_CORE_READ(regs, ip);
	rec->stack_len = ustack_copy(rec->stack, rec->regs[DEVMEM_UREG_SP]);
	if (!rec->stack_len) {
		bpf_ringbuf_discard(rec, 0);
		count_lost(DEVMEM_LOST_USTACK_UNREADABLE);
		return -1;
	}
	rec->nr_ips = 0;
	if (stack_mode == DEVMEM_STACKS_FP) {
		n = bpf_get_stack(ctx, rec->ips, sizeof(rec->ips), BPF_F_USER_STACK);
		rec->nr_ips = n > 0 ? (__u32)n / sizeof(__u64) : 0;
	}
	rec->tgid = tgid;
	rec->pid = (__u32)id;
	rec->start_ns = start_ns;
	rec->parent = stack_layout_parent();
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	key = ustack_lat_key(tgid, start_ns);
	rec->lat_key = key;
	bpf_ringbuf_submit(rec, 0);
	return key;
}

#endif /* DEVMEM_USTACK_BPF_H */

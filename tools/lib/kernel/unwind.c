// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Stack samples unwound in user space (unwind.h): libdw's unwinder walks
 * the CFI of the modules a process's Dwfl holds (its mappings), reading
 * the registers and stack memory of the sample through the thread
 * callbacks below; nothing of the live process is read.
 */
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include "kernel/unwind.h"

/* what the callbacks read: the sample being unwound */
struct uw_state {
	const struct devmem_ustack_sample *s;
	size_t stack_len;
	bool copy_full;		/* the copy took all the room: the stack may go on */
	bool past_copy;		/* a read beyond a full copy was asked for */
	bool thread_given;
};

static pid_t uw_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct uw_state *u = arg;

	if (u->thread_given)
		return 0;
	u->thread_given = true;
	*thread_argp = u;
	return (pid_t)u->s->pid;
}

static bool uw_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	*thread_argp = arg;
	return true;
}

/* stack memory: only what the sample copied, from its sp up */
static bool uw_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct uw_state *u = arg;
	__u64 sp = u->s->regs[DEVMEM_UREG_SP];

	if (addr < sp || addr - sp + sizeof(*result) > u->stack_len) {
		/*
		 * above a full copy, within reach of a stack: the copy was too
		 * short; past a copy cut by the end of the stack's mapping, the
		 * stack ends there
		 */
		if (u->copy_full && addr >= sp && addr - sp < (64ULL << 20))
			u->past_copy = true;
		return false;
	}
	memcpy(result, u->s->stack + (addr - sp), sizeof(*result));
	return true;
}

static bool uw_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct uw_state *u = arg;
	Dwarf_Word regs[DEVMEM_UREGS];

	for (int i = 0; i < DEVMEM_UREGS; i++)
		regs[i] = u->s->regs[i];
	/* 0-16: the general registers and the return address column, which is the ip */
	return dwfl_thread_state_registers(thread, 0, DEVMEM_UREGS, regs);
}

static void uw_detach(Dwfl *dwfl, void *arg)
{
	free(arg);
}

static const Dwfl_Thread_Callbacks uw_callbacks = {
	.next_thread = uw_next_thread,
	.get_thread = uw_get_thread,
	.memory_read = uw_memory_read,
	.set_initial_registers = uw_set_initial_registers,
	.detach = uw_detach,
};

static int uw_frame(Dwfl_Frame *state, void *arg)
{
	struct devmem_unwound *out = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return -1;
	/* a return address of 0 ends some stacks (the outermost frame's caller) */
	if (!pc && out->depth)
		return DWARF_CB_ABORT;
	out->pc[out->depth++] = pc;
	return out->depth < DEVMEM_STACK_DEPTH ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* the bytes of stack a record of len bytes holds */
static size_t stack_len_of(const struct devmem_ustack_sample *s, size_t len)
{
	size_t room = len > sizeof(*s) ? len - sizeof(*s) : 0;

	return s->stack_len < room ? s->stack_len : room;
}

void devmem_unwind_dwarf(Dwfl *dwfl, void **state, const struct devmem_ustack_sample *s,
			 size_t len, struct devmem_unwound *out)
{
	struct uw_state *u;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!dwfl || !state) {
		out->pc[out->depth++] = s->regs[DEVMEM_UREG_IP];
		out->loss = DEVMEM_LOST_STACK_NO_MAPS;
		return;
	}
	u = *state;
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u || !dwfl_attach_state(dwfl, NULL, (pid_t)s->tgid, &uw_callbacks, u)) {
			free(u);
			out->pc[out->depth++] = s->regs[DEVMEM_UREG_IP];
			out->loss = DEVMEM_LOST_STACK_UNWIND_STOPPED;
			return;
		}
		*state = u;	/* dwfl_end() frees it (uw_detach) */
	}
	u->s = s;
	u->stack_len = stack_len_of(s, len);
	u->copy_full = u->stack_len >= len - sizeof(*s);
	u->past_copy = false;
	u->thread_given = false;
	ret = dwfl_getthread_frames(dwfl, (pid_t)s->pid, uw_frame, out);
	if (!out->depth)
		out->pc[out->depth++] = s->regs[DEVMEM_UREG_IP];
	/*
	 * libdw ends a stack where a read of memory fails: past a full copy,
	 * that is the copy's end, not the stack's; an error is a frame it
	 * could not unwind
	 */
	if (out->depth >= DEVMEM_STACK_DEPTH)
		out->loss = 0;
	else if (u->past_copy)
		out->loss = DEVMEM_LOST_STACK_TRUNCATED;
	else if (ret == -1)
		out->loss = DEVMEM_LOST_STACK_UNWIND_STOPPED;
	u->s = NULL;
}

int devmem_cfa_rule(Dwfl *dwfl, __u64 pc, int *reg, __s64 *off)
{
	Dwfl_Module *mod = dwfl ? dwfl_addrmodule(dwfl, pc) : NULL;
	Dwarf_CFI *cfi;
	Dwarf_Frame *frame = NULL;
	Dwarf_Addr bias = 0;
	Dwarf_Op *ops;
	size_t nops;
	int ret = -1;

	if (!mod)
		return -1;
	cfi = dwfl_module_eh_cfi(mod, &bias);
	if (!cfi)
		cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &frame))
		return -1;
	/* a register-plus-offset rule is given as one DW_OP_bregx */
	if (!dwarf_frame_cfa(frame, &ops, &nops) && nops == 1 && ops[0].atom == DW_OP_bregx) {
		*reg = (int)ops[0].number;
		*off = (__s64)ops[0].number2;
		ret = 0;
	}
	free(frame);
	return ret;
}

int devmem_leaf_rule(Dwfl *dwfl, __u64 ip, struct devmem_leaf_rule *r)
{
	__s64 off;
	int reg;

	memset(r, 0, sizeof(*r));
	if (!dwfl || !dwfl_addrmodule(dwfl, ip))
		return -1;
	r->kind = DEVMEM_LEAF_UNCHECKED;
	if (devmem_cfa_rule(dwfl, ip, &reg, &off))
		return 0;
	if (reg == DEVMEM_UREG_BP) {
		r->kind = DEVMEM_LEAF_FRAMED;
	} else if (reg == DEVMEM_UREG_SP && off >= 8 && off <= DEVMEM_LEAF_RA_MAX && !(off & 7)) {
		/* the return address is just below the CFA */
		r->kind = DEVMEM_LEAF_FRAMELESS;
		r->ra_off = (__u32)(off - 8);
	}
	return 0;
}

void devmem_fp_frames(const __u64 *ips, __u32 n, const struct devmem_leaf_rule *r, __u64 caller,
		      struct devmem_unwound *out)
{
	if (n > DEVMEM_STACK_DEPTH)
		n = DEVMEM_STACK_DEPTH;
	memset(out, 0, sizeof(*out));
	if (!n)
		return;
	out->pc[out->depth++] = ips[0];
	if (r->kind == DEVMEM_LEAF_UNCHECKED || (r->kind == DEVMEM_LEAF_FRAMELESS && !caller))
		out->loss = DEVMEM_LOST_STACK_LEAF_UNCHECKED;
	/*
	 * No frame yet: the walk went on from the frame of the caller's caller
	 * (or one further up) and skipped the caller, whose return address
	 * the leaf's CFI locates
	 */
	if (r->kind == DEVMEM_LEAF_FRAMELESS && caller && (n < 2 || caller != ips[1]))
		out->pc[out->depth++] = caller;
	for (__u32 i = 1; i < n && out->depth < DEVMEM_STACK_DEPTH; i++)
		out->pc[out->depth++] = ips[i];
}

int devmem_unwind_fp(Dwfl *dwfl, const struct devmem_ustack_sample *s, size_t len,
		     struct devmem_unwound *out, struct devmem_leaf_rule *r)
{
	size_t stack_len = stack_len_of(s, len);
	struct devmem_leaf_rule none = { .kind = DEVMEM_LEAF_FRAMED };
	__u64 caller = 0;
	int ret;

	if (!s->nr_ips) {
		memset(out, 0, sizeof(*out));
		out->pc[out->depth++] = s->regs[DEVMEM_UREG_IP];
		out->loss = DEVMEM_LOST_STACK_UNWIND_STOPPED;
		return -1;
	}
	ret = devmem_leaf_rule(dwfl, s->ips[0], r);
	if (ret) {
		devmem_fp_frames(s->ips, s->nr_ips, &none, 0, out);
		out->loss = dwfl ? DEVMEM_LOST_STACK_LEAF_UNCHECKED : DEVMEM_LOST_STACK_NO_MAPS;
		return -1;
	}
	if (r->kind == DEVMEM_LEAF_FRAMELESS && r->ra_off + 8 <= stack_len)
		memcpy(&caller, s->stack + r->ra_off, sizeof(caller));
	devmem_fp_frames(s->ips, s->nr_ips, r, caller, out);
	return 0;
}

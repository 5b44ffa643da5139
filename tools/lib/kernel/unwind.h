/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Unwinding the stack samples of faults (unwind.c, on elfutils' libdw):
 * dwarf mode walks the CFI (.eh_frame) of the process's mapped files over
 * the registers and the stack the BPF side copied, as perf's libdw
 * unwinder does; fp mode takes the kernel's frame-pointer walk and gives a
 * leaf that has no frame yet (its CFA still computed from sp) the caller
 * the walk skipped, read from the stack where the leaf's CFI says.
 */
#ifndef DEVMEM_KERNEL_UNWIND_H
#define DEVMEM_KERNEL_UNWIND_H

#include <elfutils/libdwfl.h>
#include <linux/types.h>
#include "devmem.h"

struct devmem_unwound {
	__u64 pc[DEVMEM_STACK_DEPTH];	/* innermost first: the ip, then return addresses */
	__u32 depth;
	unsigned int loss;		/* 0, or the DEVMEM_LOST_STACK_* that cut it short */
};

/*
 * dwarf: the sample (len bytes of ring record) unwound against dwfl, the
 * modules of its process at their addresses (NULL: its maps are unknown,
 * only the ip). *state keeps what the unwinder attached to dwfl (NULL the
 * first time; dwfl_end() frees it).
 */
void devmem_unwind_dwarf(Dwfl *dwfl, void **state, const struct devmem_ustack_sample *s,
			 size_t len, struct devmem_unwound *out);
/*
 * fp: what the CFI at a leaf's ip says of the frame-pointer walk (a rule
 * for the BPF side's leaf_rules): framed, frameless with its caller's
 * return address ra_off bytes above sp, or unchecked (no CFI, or a rule
 * this cannot follow). -1 when dwfl has no module at ip.
 */
int devmem_leaf_rule(Dwfl *dwfl, __u64 ip, struct devmem_leaf_rule *r);
/*
 * fp: the kernel's walk (n frames, innermost first), with the caller of a
 * frameless leaf inserted (its return address, read where r said, 0 if it
 * could not be); a leaf unchecked, or whose caller could not be read, is
 * a DEVMEM_LOST_STACK_LEAF_UNCHECKED.
 */
void devmem_fp_frames(const __u64 *ips, __u32 n, const struct devmem_leaf_rule *r, __u64 caller,
		      struct devmem_unwound *out);
/*
 * fp: a sample's walk, its leaf's rule found from dwfl (NULL: the process's
 * maps are unknown, the walk as it is) and the caller read from the copied
 * stack. *r is the rule, 0; or -1 without one (no maps, no module at ip).
 */
int devmem_unwind_fp(Dwfl *dwfl, const struct devmem_ustack_sample *s, size_t len,
		     struct devmem_unwound *out, struct devmem_leaf_rule *r);
/*
 * The rule of the CFA at pc (an ip: the instruction itself is looked up):
 * *reg (DWARF number) + *off. 0, or -1 where no CFI covers pc or the rule
 * is an expression.
 */
int devmem_cfa_rule(Dwfl *dwfl, __u64 pc, int *reg, __s64 *off);

#endif /* DEVMEM_KERNEL_UNWIND_H */

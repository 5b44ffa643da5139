/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What a session keeps of the thrash and stack tables of the kernel
 * (thrash.c, stacks.c): private to session.c and its tests. Views use the
 * snapshot's thrash and stacks arrays (devmem.h).
 */
#ifndef DEVMEM_KERNEL_ACC_H
#define DEVMEM_KERNEL_ACC_H

#include "kernel/symbolize.h"
#include "model/snapshot.h"

/*
 * Pages that bounced twice or more, from the kernel's thrash ways: a way is
 * one incarnation of a page's figures (its seq), read again and again while
 * it lives and once more when it is evicted; the accumulator adds what
 * each incarnation gained since it was last read.
 */
struct devmem_thrash_acc;

#define DEVMEM_THRASH_KEEP	65536	/* pages kept in user space at most */

struct devmem_thrash_acc *devmem_thrash_acc_new(size_t cap, unsigned int page_shift);
void devmem_thrash_acc_free(struct devmem_thrash_acc *a);
/* a way read from the table, or sent at its eviction; 0 or -ENOMEM */
int devmem_thrash_acc_way(struct devmem_thrash_acc *a, const struct devmem_thrash_page *w);
/* fold the ways given since the last call in; 0 or -ENOMEM */
int devmem_thrash_acc_commit(struct devmem_thrash_acc *a);
/* entries into s->thrash (replaced); 0 or -ENOMEM */
int devmem_thrash_acc_snapshot(struct devmem_thrash_acc *a, struct devmem_snapshot *s);
/* drop the pages of processes keep() says are forgotten */
void devmem_thrash_acc_forget(struct devmem_thrash_acc *a,
			      bool (*keep)(void *ctx, __u32 tgid, __u64 start_ns), void *ctx);
size_t devmem_thrash_acc_size(const struct devmem_thrash_acc *a);
__u64 devmem_thrash_acc_dropped(const struct devmem_thrash_acc *a);

/*
 * Stacks of faults: the samples, counted per (process, stack), each stack
 * symbolized once, at first sight; the fault time comes later, when the
 * kernel has added each fault's latency to its stack_counts entry.
 */
struct devmem_stack_acc;
struct devmem_unwound;

struct devmem_stack_acc *devmem_stack_acc_new(void);
void devmem_stack_acc_free(struct devmem_stack_acc *a);
/* a sample, as unwound into u, named with sym (NULL: addresses); 0 or -ENOMEM */
int devmem_stack_acc_sample(struct devmem_stack_acc *a, const struct devmem_ustack_sample *s,
			    const struct devmem_unwound *u, struct devmem_symbolizer *sym);
/* faults whose latency has not come yet, joined since the last settle */
size_t devmem_stack_acc_pending(const struct devmem_stack_acc *a);
/*
 * For each of those, ended() says whether the kernel's entry k is done
 * (and takes it): its latency in *ns is added to its stack.
 */
void devmem_stack_acc_settle(struct devmem_stack_acc *a,
			     bool (*ended)(void *ctx, const struct devmem_stack_key *k, __u64 *ns),
			     void *ctx);
/* the stacks cut short (DEVMEM_LOST_STACK_*) added to lost */
void devmem_stack_acc_losses(const struct devmem_stack_acc *a, __u64 lost[DEVMEM_LOST_KINDS]);
int devmem_stack_acc_snapshot(struct devmem_stack_acc *a, struct devmem_snapshot *s);
void devmem_stack_acc_forget(struct devmem_stack_acc *a,
			     bool (*keep)(void *ctx, __u32 tgid, __u64 start_ns), void *ctx);

#endif /* DEVMEM_KERNEL_ACC_H */

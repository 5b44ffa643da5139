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
 * Stacks of faults, counted per (process, layout, frames), each stack
 * named and located (files, build-ids, offsets) once, at first sight:
 * from the samples, whose fault times come in latency records, and in fp
 * mode from the kernel's stack_counts entries, whose figures are
 * cumulative and read again and again.
 */
struct devmem_stack_acc;
struct devmem_unwound;

struct devmem_stack_acc *devmem_stack_acc_new(void);
void devmem_stack_acc_free(struct devmem_stack_acc *a);
/* a sample, as unwound into u, named with sym (NULL: addresses); 0 or -ENOMEM */
int devmem_stack_acc_sample(struct devmem_stack_acc *a, const struct devmem_ustack_sample *s,
			    const struct devmem_unwound *u, struct devmem_symbolizer *sym);
/* the latency of the sampled fault seq of tgid */
void devmem_stack_acc_latency(struct devmem_stack_acc *a, __u32 tgid, __u64 seq, __u64 ns);
/* fp: whether the kernel's entry k was seen, so that its frames are known */
bool devmem_stack_acc_has_key(const struct devmem_stack_acc *a, const struct devmem_stack_key *k);
/*
 * fp: the kernel's entry k with its figures now; u (its frames) is needed
 * the first time only (NULL after). 0, -ENOENT (a new entry without u),
 * or -ENOMEM.
 */
int devmem_stack_acc_counted(struct devmem_stack_acc *a, const struct devmem_stack_key *k,
			     const struct devmem_stack_value *v, const struct devmem_unwound *u,
			     struct devmem_symbolizer *sym);
/* fp: the entry k left the kernel; whether another entry still has its walk */
bool devmem_stack_acc_key_gone(struct devmem_stack_acc *a, const struct devmem_stack_key *k);
/* faults taken as samples, and counted in the kernel (fp), so far */
void devmem_stack_acc_sources(const struct devmem_stack_acc *a, __u64 *sampled, __u64 *counted);
/* the stacks cut short (DEVMEM_LOST_STACK_*) added to lost */
void devmem_stack_acc_losses(const struct devmem_stack_acc *a, __u64 lost[DEVMEM_LOST_KINDS]);
int devmem_stack_acc_snapshot(struct devmem_stack_acc *a, struct devmem_snapshot *s);
void devmem_stack_acc_forget(struct devmem_stack_acc *a,
			     bool (*keep)(void *ctx, __u32 tgid, __u64 start_ns), void *ctx);

#endif /* DEVMEM_KERNEL_ACC_H */

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The session's accumulator of the stack samples of faults: every stack of
 * every process seen, unwound (unwind.c), counted, symbolized once when
 * first seen, with the fault time the kernel adds at each fault's end
 * (acc.h).
 * Apart from stacks.c so that what only reads snapshots does not link the
 * symbolizer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/acc.h"
#include "kernel/symbolize.h"
#include "kernel/unwind.h"
#include "model/array.h"
#include "model/snapshot.h"
#include "model/stacks.h"

/* a fault whose latency the kernel adds to stack_counts at its end */
struct pending {
	struct devmem_stack_key key;
	__u64 id;			/* its stack */
};

#define MAX_PENDING	65536

struct devmem_stack_acc {
	struct devmem_snap_stack *v;	/* sorted by (tgid, start, id) */
	size_t n;
	struct pending *pend;
	size_t nr_pend, cap_pend;
	size_t settled;			/* pending left by the last settle */
	__u64 lost[DEVMEM_LOST_KINDS];	/* stacks cut short, found here */
};

struct devmem_stack_acc *devmem_stack_acc_new(void)
{
	return calloc(1, sizeof(struct devmem_stack_acc));
}

void devmem_stack_acc_free(struct devmem_stack_acc *a)
{
	if (!a)
		return;
	devmem_stacks_free(a->v, a->n);
	free(a->pend);
	free(a);
}

static struct devmem_snap_stack *acc_find(const struct devmem_stack_acc *a, __u32 tgid,
					  __u64 start_ns, __u64 id)
{
	struct devmem_snap_stack want = { .tgid = tgid, .start_ns = start_ns, .id = id };

	return devmem_array_find(&want, a->v, a->n, sizeof(*a->v), devmem_stack_cmp);
}

/* a stack's identity within its process: its frames */
static __u64 stack_id(const __u64 *pc, __u32 depth)
{
	__u64 h = 14695981039346656037ULL;

	for (__u32 i = 0; i < depth; i++)
		for (int b = 0; b < 64; b += 8)
			h = (h ^ ((pc[i] >> b) & 0xff)) * 1099511628211ULL;
	return h;
}

/* a new stack, its names from sym (NULL: addresses); NULL out of memory */
static struct devmem_snap_stack *acc_add(struct devmem_stack_acc *a,
					 const struct devmem_ustack_sample *s, __u64 id,
					 const __u64 *pc, __u32 depth, struct devmem_symbolizer *sym)
{
	const char *names[DEVMEM_STACK_DEPTH];
	char buf[DEVMEM_STACK_DEPTH][160];
	struct devmem_snap_stack *x, *g;
	__u32 d = 0;

	g = devmem_array_grow(a->v, a->n, sizeof(*g));
	if (!g)
		return NULL;
	a->v = g;
	x = &a->v[a->n];
	memset(x, 0, sizeof(*x));
	x->tgid = s->tgid;
	x->start_ns = s->start_ns;
	x->id = id;
	memcpy(x->comm, s->comm, sizeof(x->comm));
	x->comm[sizeof(x->comm) - 1] = '\0';
	for (__u32 i = 0; i < depth && i < DEVMEM_STACK_DEPTH; i++) {
		/* a return address is past its call: look the call up */
		__u64 addr = i ? pc[i] - 1 : pc[i];

		if (sym)
			names[d] = devmem_sym_name(sym, s->tgid, s->start_ns, addr, buf[d],
						   sizeof(buf[d]));
		else
			names[d] = (snprintf(buf[d], sizeof(buf[d]), "0x%" PRIx64, (uint64_t)addr),
				    buf[d]);
		d++;
	}
	if (devmem_stack_set_names(x, names, d))
		return NULL;
	a->n++;
	qsort(a->v, a->n, sizeof(*a->v), devmem_stack_cmp);
	return acc_find(a, s->tgid, s->start_ns, id);
}

int devmem_stack_acc_sample(struct devmem_stack_acc *a, const struct devmem_ustack_sample *s,
			    const struct devmem_unwound *u, struct devmem_symbolizer *sym)
{
	__u64 id = stack_id(u->pc, u->depth);
	struct devmem_snap_stack *x = acc_find(a, s->tgid, s->start_ns, id);

	if (!x)
		x = acc_add(a, s, id, u->pc, u->depth, sym);
	if (!x)
		return -ENOMEM;
	x->faults++;
	if (u->loss && u->loss < DEVMEM_LOST_KINDS)
		a->lost[u->loss]++;
	if (s->lat_key < 0)
		return 0;
	if (a->nr_pend == a->cap_pend) {
		size_t cap = a->cap_pend ? 2 * a->cap_pend : 256;
		struct pending *p;

		if (a->nr_pend >= MAX_PENDING) {
			/* faults that never ended: the oldest give way */
			memmove(a->pend, a->pend + 1, (a->nr_pend - 1) * sizeof(*a->pend));
			a->nr_pend--;
			if (a->settled)
				a->settled--;
		} else {
			p = realloc(a->pend, cap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			a->pend = p;
			a->cap_pend = cap;
		}
	}
	a->pend[a->nr_pend].key = (struct devmem_stack_key){
		.tgid = s->tgid, .stackid = s->lat_key, .start_ns = s->start_ns,
	};
	a->pend[a->nr_pend++].id = id;
	return 0;
}

size_t devmem_stack_acc_pending(const struct devmem_stack_acc *a)
{
	return a->nr_pend > a->settled ? a->nr_pend - a->settled : 0;
}

void devmem_stack_acc_settle(struct devmem_stack_acc *a,
			     bool (*ended)(void *ctx, const struct devmem_stack_key *k, __u64 *ns),
			     void *ctx)
{
	size_t i, j;

	for (i = j = 0; i < a->nr_pend; i++) {
		struct pending *p = &a->pend[i];
		struct devmem_snap_stack *x;
		__u64 ns = 0;

		if (!ended(ctx, &p->key, &ns)) {
			a->pend[j++] = *p;
			continue;
		}
		x = acc_find(a, p->key.tgid, p->key.start_ns, p->id);
		if (x)
			x->fault_ns += ns;
	}
	a->nr_pend = j;
	a->settled = j;
}

void devmem_stack_acc_losses(const struct devmem_stack_acc *a, __u64 lost[DEVMEM_LOST_KINDS])
{
	for (int k = 0; k < DEVMEM_LOST_KINDS; k++)
		lost[k] += a->lost[k];
}

int devmem_stack_acc_snapshot(struct devmem_stack_acc *a, struct devmem_snapshot *s)
{
	devmem_stacks_free(s->stacks, s->nr_stacks);
	s->stacks = NULL;
	s->nr_stacks = 0;
	if (!a->n)
		return 0;
	s->stacks = devmem_stacks_dup(a->v, a->n);
	if (!s->stacks)
		return -ENOMEM;
	s->nr_stacks = a->n;
	return 0;
}

void devmem_stack_acc_forget(struct devmem_stack_acc *a,
			     bool (*keep)(void *ctx, __u32 tgid, __u64 start_ns), void *ctx)
{
	size_t i, j;

	for (i = j = 0; i < a->nr_pend; i++)
		if (keep(ctx, a->pend[i].key.tgid, a->pend[i].key.start_ns))
			a->pend[j++] = a->pend[i];
	a->nr_pend = j;
	a->settled = a->settled < j ? a->settled : j;

	for (i = j = 0; i < a->n; i++) {
		if (keep(ctx, a->v[i].tgid, a->v[i].start_ns))
			a->v[j++] = a->v[i];
		else
			free(a->v[i].names);
	}
	a->n = j;
}


// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The session's accumulator of the stacks of faults (acc.h): every stack
 * of every process seen, counted per (process, layout, frames), named and
 * located once when first seen. Samples count one fault each and get
 * their fault time from a latency record; the kernel's stack_counts
 * entries (fp mode) are cumulative, so each is remembered with what it
 * had, and what it gained is added to its stack.
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

/* a sampled fault whose latency record has not come yet */
struct pending {
	__u64 seq;			/* 0: a free slot */
	__u64 start_ns;
	__u64 id;			/* its stack */
	__u32 tgid;
};

/* direct-mapped: a fault that never ends gives its slot to a later one */
#define PENDING_SLOTS	16384

/* a kernel stack_counts entry, as last read */
struct kernel_entry {
	struct devmem_stack_key k;
	__u64 id;			/* its stack */
	__u64 faults, fault_ns;
	unsigned int loss;		/* DEVMEM_LOST_* of each of its faults, or 0 */
};

struct devmem_stack_acc {
	struct devmem_snap_stack *v;	/* sorted by (tgid, start, id) */
	size_t n;
	struct pending *pend;		/* PENDING_SLOTS */
	struct kernel_entry *keys;	/* sorted by key */
	size_t nr_keys;
	__u64 lost[DEVMEM_LOST_KINDS];	/* stacks cut short, found here */
	__u64 sampled, counted;		/* faults by where they were taken */
};

struct devmem_stack_acc *devmem_stack_acc_new(void)
{
	struct devmem_stack_acc *a = calloc(1, sizeof(*a));

	if (a && !(a->pend = calloc(PENDING_SLOTS, sizeof(*a->pend)))) {
		free(a);
		a = NULL;
	}
	return a;
}

void devmem_stack_acc_free(struct devmem_stack_acc *a)
{
	if (!a)
		return;
	devmem_stacks_free(a->v, a->n);
	free(a->pend);
	free(a->keys);
	free(a);
}

static struct devmem_snap_stack *acc_find(const struct devmem_stack_acc *a, __u32 tgid,
					  __u64 start_ns, __u64 id)
{
	struct devmem_snap_stack want = { .tgid = tgid, .start_ns = start_ns, .id = id };

	return devmem_array_find(&want, a->v, a->n, sizeof(*a->v), devmem_stack_cmp);
}

/* a stack's identity within its process: its layout and frames */
static __u64 stack_id(__u32 layout, const __u64 *pc, __u32 depth)
{
	__u64 h = 14695981039346656037ULL;

	for (int b = 0; b < 32; b += 8)
		h = (h ^ ((layout >> b) & 0xff)) * 1099511628211ULL;
	for (__u32 i = 0; i < depth; i++)
		for (int b = 0; b < 64; b += 8)
			h = (h ^ ((pc[i] >> b) & 0xff)) * 1099511628211ULL;
	return h;
}

/* the stack of (tgid, start_ns, layout) with frames u, made on first sight; NULL out of memory */
static struct devmem_snap_stack *acc_get(struct devmem_stack_acc *a, __u32 tgid, __u64 start_ns,
					 __u32 layout, const char *comm,
					 const struct devmem_unwound *u,
					 struct devmem_symbolizer *sym)
{
	__u64 id = stack_id(layout, u->pc, u->depth);
	struct devmem_snap_stack *x = acc_find(a, tgid, start_ns, id), *g;
	const char *names[DEVMEM_STACK_DEPTH], *files[DEVMEM_STACK_DEPTH];
	struct devmem_frame_loc locs[DEVMEM_STACK_DEPTH];
	char buf[DEVMEM_STACK_DEPTH][160];
	__u32 d = 0;

	if (x)
		return x;
	g = devmem_array_grow(a->v, a->n, sizeof(*g));
	if (!g)
		return NULL;
	a->v = g;
	x = &a->v[a->n];
	memset(x, 0, sizeof(*x));
	x->tgid = tgid;
	x->start_ns = start_ns;
	x->id = id;
	memcpy(x->comm, comm, sizeof(x->comm));
	x->comm[sizeof(x->comm) - 1] = '\0';
	for (__u32 i = 0; i < u->depth && i < DEVMEM_STACK_DEPTH; i++) {
		/* a return address is past its call: look the call up */
		__u64 addr = i ? u->pc[i] - 1 : u->pc[i];

		if (sym) {
			names[d] = devmem_sym_name(sym, tgid, start_ns, layout, addr, buf[d],
						   sizeof(buf[d]));
			devmem_sym_where(sym, tgid, start_ns, layout, addr, &locs[d], &files[d]);
		} else {
			names[d] = (snprintf(buf[d], sizeof(buf[d]), "0x%" PRIx64, (uint64_t)addr),
				    buf[d]);
			memset(&locs[d], 0, sizeof(locs[d]));
			locs[d].offset = addr;
			files[d] = "";
		}
		d++;
	}
	if (devmem_stack_set_names(x, names, d) || devmem_stack_set_locs(x, locs, files, d)) {
		devmem_stack_release(x);
		return NULL;
	}
	a->n++;
	qsort(a->v, a->n, sizeof(*a->v), devmem_stack_cmp);
	return acc_find(a, tgid, start_ns, id);
}

static struct pending *pending_slot(struct devmem_stack_acc *a, __u64 seq)
{
	return &a->pend[(seq ^ (seq >> 17) ^ (seq >> 31)) & (PENDING_SLOTS - 1)];
}

int devmem_stack_acc_sample(struct devmem_stack_acc *a, const struct devmem_ustack_sample *s,
			    const struct devmem_unwound *u, struct devmem_symbolizer *sym)
{
	struct devmem_snap_stack *x = acc_get(a, s->tgid, s->start_ns, s->layout, s->comm, u, sym);
	struct pending *p;

	if (!x)
		return -ENOMEM;
	x->faults++;
	a->sampled++;
	if (u->loss && u->loss < DEVMEM_LOST_KINDS)
		a->lost[u->loss]++;
	if (s->seq) {
		p = pending_slot(a, s->seq);
		p->seq = s->seq;
		p->tgid = s->tgid;
		p->start_ns = s->start_ns;
		p->id = x->id;
	}
	return 0;
}

void devmem_stack_acc_latency(struct devmem_stack_acc *a, __u32 tgid, __u64 seq, __u64 ns)
{
	struct pending *p = pending_slot(a, seq);
	struct devmem_snap_stack *x;

	if (!seq || p->seq != seq || p->tgid != tgid)
		return;		/* its sample was lost, or gave its slot */
	x = acc_find(a, p->tgid, p->start_ns, p->id);
	if (x)
		x->fault_ns += ns;
	p->seq = 0;
}

/* ---- the kernel's entries (fp) ---------------------------------------------- */

static int key_cmp(const void *x, const void *y)
{
	const struct devmem_stack_key *a = x, *b = y;
	int c = devmem_key_cmp(a->tgid, a->start_ns, (__u32)a->stackid, b->tgid, b->start_ns,
			       (__u32)b->stackid);

	if (!c)
		c = devmem_cmp_u64(a->caller, b->caller);
	return c ? c : devmem_cmp_u64(a->layout, b->layout);
}

static struct kernel_entry *key_find(const struct devmem_stack_acc *a,
				     const struct devmem_stack_key *k)
{
	struct kernel_entry want = { .k = *k };

	want.k.pad = 0;
	return devmem_array_find(&want, a->keys, a->nr_keys, sizeof(*a->keys), key_cmp);
}

bool devmem_stack_acc_has_key(const struct devmem_stack_acc *a, const struct devmem_stack_key *k)
{
	return key_find(a, k) != NULL;
}

int devmem_stack_acc_counted(struct devmem_stack_acc *a, const struct devmem_stack_key *k,
			     const struct devmem_stack_value *v, const struct devmem_unwound *u,
			     struct devmem_symbolizer *sym)
{
	struct kernel_entry *e = key_find(a, k), *g;
	struct devmem_snap_stack *x;
	__u64 faults, ns;

	if (!e) {
		if (!u)
			return -ENOENT;
		x = acc_get(a, k->tgid, k->start_ns, k->layout, v->comm, u, sym);
		g = x ? devmem_array_grow(a->keys, a->nr_keys, sizeof(*g)) : NULL;
		if (!g)
			return -ENOMEM;
		a->keys = g;
		e = &a->keys[a->nr_keys++];
		memset(e, 0, sizeof(*e));
		e->k = *k;
		e->k.pad = 0;
		e->id = x->id;
		e->loss = u->loss < DEVMEM_LOST_KINDS ? u->loss : 0;
		qsort(a->keys, a->nr_keys, sizeof(*a->keys), key_cmp);
		e = key_find(a, k);
	}
	faults = devmem_delta_u64(v->faults, e->faults);
	ns = devmem_delta_u64(v->fault_ns, e->fault_ns);
	e->faults = v->faults;
	e->fault_ns = v->fault_ns;
	x = acc_find(a, k->tgid, k->start_ns, e->id);
	if (x) {
		x->faults += faults;
		x->fault_ns += ns;
	}
	a->counted += faults;
	if (e->loss)
		a->lost[e->loss] += faults;
	return 0;
}

bool devmem_stack_acc_key_gone(struct devmem_stack_acc *a, const struct devmem_stack_key *k)
{
	struct kernel_entry *e = key_find(a, k);
	bool shared = false;

	if (e) {
		memmove(e, e + 1, (size_t)(a->keys + a->nr_keys - (e + 1)) * sizeof(*e));
		a->nr_keys--;
	}
	for (size_t i = 0; i < a->nr_keys && !shared; i++)
		shared = a->keys[i].k.stackid == k->stackid;
	return shared;
}

/* ---- out ------------------------------------------------------------------- */

void devmem_stack_acc_sources(const struct devmem_stack_acc *a, __u64 *sampled, __u64 *counted)
{
	*sampled = a->sampled;
	*counted = a->counted;
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

	for (i = 0; i < PENDING_SLOTS; i++)
		if (a->pend[i].seq && !keep(ctx, a->pend[i].tgid, a->pend[i].start_ns))
			a->pend[i].seq = 0;
	for (i = j = 0; i < a->nr_keys; i++)
		if (keep(ctx, a->keys[i].k.tgid, a->keys[i].k.start_ns))
			a->keys[j++] = a->keys[i];
	a->nr_keys = j;
	for (i = j = 0; i < a->n; i++) {
		if (keep(ctx, a->v[i].tgid, a->v[i].start_ns))
			a->v[j++] = a->v[i];
		else
			devmem_stack_release(&a->v[i]);
	}
	a->n = j;
}

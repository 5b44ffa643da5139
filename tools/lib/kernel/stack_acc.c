// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The session's accumulator of the kernel's per-stack fault counts: every
 * stack of every process seen, symbolized once when first read (diag.h).
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
#include "model/array.h"
#include "model/snapshot.h"
#include "model/stacks.h"

struct devmem_stack_acc {
	struct devmem_snap_stack *v;	/* sorted by (tgid, start, id) */
	size_t n;
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
	free(a);
}

static struct devmem_snap_stack *acc_find(const struct devmem_stack_acc *a,
					  const struct devmem_stack_key *k)
{
	struct devmem_snap_stack want = {
		.tgid = k->tgid, .start_ns = k->start_ns, .id = (__u32)k->stackid,
	};

	return devmem_array_find(&want, a->v, a->n, sizeof(*a->v), devmem_stack_cmp);
}

bool devmem_stack_acc_known(const struct devmem_stack_acc *a, const struct devmem_stack_key *k)
{
	return acc_find(a, k) != NULL;
}

int devmem_stack_acc_put(struct devmem_stack_acc *a, const struct devmem_stack_key *k,
			 const struct devmem_stack_value *v, const __u64 *ips, __u32 depth,
			 struct devmem_symbolizer *sym)
{
	struct devmem_snap_stack *x = acc_find(a, k), *g;
	const char *names[DEVMEM_STACK_DEPTH];
	char buf[DEVMEM_STACK_DEPTH][160];
	__u32 d = 0;
	int err;

	if (x) {
		x->faults = v->faults;
		x->fault_ns = v->fault_ns;
		return 0;
	}
	g = devmem_array_grow(a->v, a->n, sizeof(*g));
	if (!g)
		return -ENOMEM;
	a->v = g;
	x = &a->v[a->n];
	memset(x, 0, sizeof(*x));
	x->tgid = k->tgid;
	x->start_ns = k->start_ns;
	x->id = (__u32)k->stackid;
	memcpy(x->comm, v->comm, sizeof(x->comm));
	x->comm[sizeof(x->comm) - 1] = '\0';
	x->faults = v->faults;
	x->fault_ns = v->fault_ns;
	for (__u32 i = 0; i < depth && i < DEVMEM_STACK_DEPTH && ips[i]; i++) {
		/* a return address is past its call: look the call up */
		__u64 addr = i ? ips[i] - 1 : ips[i];

		if (sym)
			names[d] = devmem_sym_name(sym, k->tgid, k->start_ns, addr, buf[d],
						   sizeof(buf[d]));
		else
			names[d] = (snprintf(buf[d], sizeof(buf[d]), "0x%" PRIx64, (uint64_t)addr),
				    buf[d]);
		d++;
	}
	err = devmem_stack_set_names(x, names, d);
	if (err)
		return err;
	a->n++;
	qsort(a->v, a->n, sizeof(*a->v), devmem_stack_cmp);
	return 0;
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

	for (i = j = 0; i < a->n; i++) {
		if (keep(ctx, a->v[i].tgid, a->v[i].start_ns))
			a->v[j++] = a->v[i];
		else
			free(a->v[i].names);
	}
	a->n = j;
}


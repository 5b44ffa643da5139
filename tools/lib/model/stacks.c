// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fault stacks: the snapshot's symbolized stacks (devmem.h), the session's
 * accumulator of the kernel's stack counts (diag.h), and their folded and
 * flame graph renderings (through flame.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "model/array.h"
#include "model/snapshot.h"
#include "model/stacks.h"

/* ---- one stack's names ----------------------------------------------------- */

const char *devmem_stack_frame(const struct devmem_snap_stack *st, __u32 i)
{
	const char *p = st->names;

	if (!p || i >= st->depth)
		return "";
	while (i--)
		p += strlen(p) + 1;
	return p;
}

int devmem_stack_set_names(struct devmem_snap_stack *st, const char *const *names, __u32 depth)
{
	size_t len = 0, off = 0;
	char *buf;

	for (__u32 i = 0; i < depth; i++)
		len += strlen(names[i]) + 1;
	buf = len ? malloc(len) : NULL;
	if (len && !buf)
		return -ENOMEM;
	for (__u32 i = 0; i < depth; i++) {
		size_t n = strlen(names[i]) + 1;

		memcpy(buf + off, names[i], n);
		off += n;
	}
	free(st->names);
	st->names = buf;
	st->names_len = len;
	st->depth = depth;
	return 0;
}

void devmem_stacks_free(struct devmem_snap_stack *st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(st[i].names);
	free(st);
}

struct devmem_snap_stack *devmem_stacks_dup(const struct devmem_snap_stack *st, size_t n)
{
	struct devmem_snap_stack *d;

	if (!n)
		return NULL;
	d = devmem_array_alloc(n, sizeof(*d));
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		d[i] = st[i];
		d[i].names = NULL;
		if (st[i].names_len) {
			d[i].names = malloc(st[i].names_len);
			if (!d[i].names) {
				devmem_stacks_free(d, i);
				return NULL;
			}
			memcpy(d[i].names, st[i].names, st[i].names_len);
		}
	}
	return d;
}

int devmem_stack_cmp(const void *x, const void *y)
{
	const struct devmem_snap_stack *a = x, *b = y;

	return devmem_key_cmp(a->tgid, a->start_ns, a->id, b->tgid, b->start_ns, b->id);
}

static int stack_copy(void *to, const void *from)
{
	struct devmem_snap_stack *t = devmem_stacks_dup(from, 1);

	if (!t)
		return -ENOMEM;
	memcpy(to, t, sizeof(*t));
	free(t);
	return 0;
}

static void stack_drop(void *e)
{
	struct devmem_snap_stack *st = e;

	free(st->names);
	st->names = NULL;
}

int devmem_stacks_merge(struct devmem_snapshot *dst, const struct devmem_snapshot *src)
{
	if (src->stacks_on)
		dst->stacks_on = true;
	/* src's entries are copied: src keeps its own */
	return devmem_array_merge((void **)&dst->stacks, &dst->nr_stacks, src->stacks,
				  src->nr_stacks, sizeof(*src->stacks), devmem_stack_cmp, stack_copy,
				  stack_drop);
}

void devmem_stacks_delta(struct devmem_snapshot *out, const struct devmem_snapshot *prev)
{
	size_t i, j;

	if (out->nr_stacks)
		qsort(out->stacks, out->nr_stacks, sizeof(*out->stacks), devmem_stack_cmp);
	for (i = j = 0; i < out->nr_stacks; i++) {
		struct devmem_snap_stack *x = &out->stacks[i];
		const struct devmem_snap_stack *p =
			devmem_array_find(x, prev->stacks, prev->nr_stacks, sizeof(*x),
					  devmem_stack_cmp);

		if (p) {
			x->faults = devmem_delta_u64(x->faults, p->faults);
			x->fault_ns = devmem_delta_u64(x->fault_ns, p->fault_ns);
		}
		if (x->faults)
			out->stacks[j++] = *x;
		else
			free(x->names);
	}
	out->nr_stacks = j;
}

static int cmp_stack_faults(const void *x, const void *y)
{
	const struct devmem_snap_stack *a = *(const struct devmem_snap_stack *const *)x;
	const struct devmem_snap_stack *b = *(const struct devmem_snap_stack *const *)y;

	if (a->faults != b->faults)
		return a->faults > b->faults ? -1 : 1;
	return devmem_stack_cmp(a, b);
}

const struct devmem_snap_stack **devmem_stacks_ranked(const struct devmem_snapshot *s, size_t *n)
{
	const struct devmem_snap_stack **v;

	*n = 0;
	if (!s->nr_stacks || !(v = malloc(s->nr_stacks * sizeof(*v))))
		return NULL;
	for (size_t i = 0; i < s->nr_stacks; i++)
		v[i] = &s->stacks[i];
	qsort(v, s->nr_stacks, sizeof(*v), cmp_stack_faults);
	*n = s->nr_stacks;
	return v;
}

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

int devmem_stacks_merge(struct devmem_snapshot *dst, const struct devmem_snapshot *src)
{
	struct devmem_snap_stack *out;
	size_t i = 0, j = 0, n = 0;

	if (src->stacks_on)
		dst->stacks_on = true;
	if (!src->nr_stacks)
		return 0;
	out = devmem_array_alloc(dst->nr_stacks + src->nr_stacks, sizeof(*out));
	if (!out)
		return -ENOMEM;
	if (dst->nr_stacks)
		qsort(dst->stacks, dst->nr_stacks, sizeof(*dst->stacks), devmem_stack_cmp);
	/* src's entries are copied: src keeps its own */
	while (i < dst->nr_stacks || j < src->nr_stacks) {
		int c = i == dst->nr_stacks ? 1 : j == src->nr_stacks ? -1 :
			devmem_stack_cmp(&dst->stacks[i], &src->stacks[j]);
		struct devmem_snap_stack *t;

		if (c < 0) {
			out[n++] = dst->stacks[i++];
			continue;
		}
		t = devmem_stacks_dup(&src->stacks[j++], 1);
		if (!t) {
			/* out holds dst's entries moved so far: give them back */
			free(out);
			return -ENOMEM;
		}
		out[n++] = *t;
		free(t);
		if (!c) {
			free(dst->stacks[i].names);
			dst->stacks[i++].names = NULL;
		}
	}
	free(dst->stacks);
	dst->stacks = out;
	dst->nr_stacks = n;
	return 0;
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
			x->faults = x->faults > p->faults ? x->faults - p->faults : 0;
			x->fault_ns = x->fault_ns > p->fault_ns ? x->fault_ns - p->fault_ns : 0;
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

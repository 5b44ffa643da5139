// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fault stacks: the snapshot's symbolized stacks (devmem.h), the session's
 * accumulator of the kernel's stack counts (diag.h), and their folded and
 * flame graph renderings (through flame.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include "model/array.h"
#include "model/snapshot.h"
#include "model/stacks.h"

/* ---- one stack's names ----------------------------------------------------- */

/* string i of a packed list of n strings ("" past it) */
static const char *packed_at(const char *p, __u32 n, __u32 i)
{
	if (!p || i >= n)
		return "";
	while (i--)
		p += strlen(p) + 1;
	return p;
}

const char *devmem_stack_frame(const struct devmem_snap_stack *st, __u32 i)
{
	return packed_at(st->names, st->depth, i);
}

const char *devmem_stack_file(const struct devmem_snap_stack *st, __u32 i)
{
	return packed_at(st->files, st->locs ? st->depth : 0, i);
}

int devmem_strings_count(const char *p, size_t len)
{
	int n = 0;

	if (len && p[len - 1])
		return -1;
	for (size_t k = 0; k < len; k++)
		n += !p[k];
	return n;
}

/* depth strings packed into *buf (replaced); 0 or -ENOMEM */
static int pack(char **buf, size_t *buf_len, const char *const *v, __u32 depth)
{
	size_t len = 0, off = 0;
	char *b;

	for (__u32 i = 0; i < depth; i++)
		len += strlen(v[i]) + 1;
	b = len ? malloc(len) : NULL;
	if (len && !b)
		return -ENOMEM;
	for (__u32 i = 0; i < depth; i++) {
		size_t n = strlen(v[i]) + 1;

		memcpy(b + off, v[i], n);
		off += n;
	}
	free(*buf);
	*buf = b;
	*buf_len = len;
	return 0;
}

int devmem_stack_set_names(struct devmem_snap_stack *st, const char *const *names, __u32 depth)
{
	int err = pack(&st->names, &st->names_len, names, depth);

	if (!err)
		st->depth = depth;
	return err;
}

int devmem_stack_set_locs(struct devmem_snap_stack *st, const struct devmem_frame_loc *locs,
			  const char *const *files, __u32 depth)
{
	struct devmem_frame_loc *l = depth ? malloc(depth * sizeof(*l)) : NULL;

	if (depth && !l)
		return -ENOMEM;
	if (pack(&st->files, &st->files_len, files, depth)) {
		free(l);
		return -ENOMEM;
	}
	if (depth)
		memcpy(l, locs, depth * sizeof(*l));
	free(st->locs);
	st->locs = l;
	return 0;
}

void devmem_stack_release(struct devmem_snap_stack *st)
{
	free(st->names);
	free(st->locs);
	free(st->files);
	st->names = NULL;
	st->locs = NULL;
	st->files = NULL;
}

void devmem_stacks_free(struct devmem_snap_stack *st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		devmem_stack_release(&st[i]);
	free(st);
}

static void *dup_bytes(const void *p, size_t n, bool *oom)
{
	void *d;

	if (!p || !n)
		return NULL;
	d = malloc(n);
	if (!d) {
		*oom = true;
		return NULL;
	}
	return memcpy(d, p, n);
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
		bool oom = false;

		d[i] = st[i];
		d[i].names = dup_bytes(st[i].names, st[i].names_len, &oom);
		d[i].locs = dup_bytes(st[i].locs, st[i].locs ? st[i].depth * sizeof(*st[i].locs) : 0,
				      &oom);
		d[i].files = dup_bytes(st[i].files, st[i].files_len, &oom);
		if (oom) {
			devmem_stacks_free(d, i + 1);
			return NULL;
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
	devmem_stack_release(e);
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
			devmem_stack_release(x);
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

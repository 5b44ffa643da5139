// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The session's accumulator of the kernel's thrash ways (acc.h).
 *
 * It keeps the pages that bounced twice or more, sorted by (tgid, start,
 * vaddr), each with the last two incarnations it was read in (a page
 * evicted and taken again can be read as both before the eviction record
 * arrives). A page below two bounces is not kept: its way holds all of its
 * figures, and the next read takes them again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/acc.h"
#include "model/array.h"
#include "model/snapshot.h"
#include "model/thrash.h"

struct acc_entry {
	struct devmem_thrash_entry e;
	__u64 seq[2];
	__u64 at_bounces[2], at_faults[2], at_ns[2];
	unsigned int next;		/* slot the next new incarnation takes */
};

struct devmem_thrash_acc {
	struct acc_entry *v;		/* sorted */
	size_t n;
	struct devmem_thrash_page *pending;
	size_t nr_pending;
	size_t cap;
	unsigned int page_shift;
	__u64 dropped;
};

struct devmem_thrash_acc *devmem_thrash_acc_new(size_t cap, unsigned int page_shift)
{
	struct devmem_thrash_acc *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->cap = cap ? cap : DEVMEM_THRASH_KEEP;
	a->page_shift = page_shift;
	return a;
}

void devmem_thrash_acc_free(struct devmem_thrash_acc *a)
{
	if (!a)
		return;
	free(a->v);
	free(a->pending);
	free(a);
}

size_t devmem_thrash_acc_size(const struct devmem_thrash_acc *a)
{
	return a->n;
}

__u64 devmem_thrash_acc_dropped(const struct devmem_thrash_acc *a)
{
	return a->dropped;
}

int devmem_thrash_acc_way(struct devmem_thrash_acc *a, const struct devmem_thrash_page *w)
{
	struct devmem_thrash_page *p;

	if (!w->seq)
		return 0;
	p = devmem_array_grow(a->pending, a->nr_pending, sizeof(*p));
	if (!p)
		return -ENOMEM;
	a->pending = p;
	p[a->nr_pending++] = *w;
	return 0;
}

static int cmp_way(const void *x, const void *y)
{
	const struct devmem_thrash_page *a = x, *b = y;

	return devmem_key_cmp(a->tgid, a->start_ns, a->vpage, b->tgid, b->start_ns, b->vpage);
}

/* add what incarnation w gained since x last saw it */
static void apply(struct acc_entry *x, const struct devmem_thrash_page *w)
{
	unsigned int i;

	for (i = 0; i < 2 && x->seq[i] != w->seq; i++)
		;
	if (i == 2) {
		i = x->next;
		x->next ^= 1;
		x->seq[i] = w->seq;
		x->at_bounces[i] = x->at_faults[i] = x->at_ns[i] = 0;
	}
	x->e.bounces += devmem_delta_u64(w->bounces, x->at_bounces[i]);
	x->e.faults += devmem_delta_u64(w->faults, x->at_faults[i]);
	x->e.fault_ns += devmem_delta_u64(w->fault_ns, x->at_ns[i]);
	if (w->bounces > x->at_bounces[i])
		x->at_bounces[i] = w->bounces;
	if (w->faults > x->at_faults[i])
		x->at_faults[i] = w->faults;
	if (w->fault_ns > x->at_ns[i])
		x->at_ns[i] = w->fault_ns;
	if (w->window_max > x->e.window_max)
		x->e.window_max = w->window_max;
	if (w->last_ns >= x->e.last_ns) {
		x->e.last_ns = w->last_ns;
		x->e.range = w->range;
		/* the weight of its latest incarnation: a folio may be split since */
		x->e.npages = w->pages ? w->pages : 1;
	}
}

static struct acc_entry *find(struct devmem_thrash_acc *a, const struct devmem_thrash_page *w,
			      __u64 vaddr)
{
	struct acc_entry want = {
		.e = { .tgid = w->tgid, .start_ns = w->start_ns, .vaddr = vaddr },
	};

	/* e leads an acc_entry: the entries' order is their e's */
	return devmem_array_find(&want, a->v, a->n, sizeof(*a->v), devmem_thrash_cmp);
}

int devmem_thrash_acc_commit(struct devmem_thrash_acc *a)
{
	struct acc_entry *fresh = NULL, *out;
	size_t nr_fresh = 0, i, j, n;

	if (!a->nr_pending)
		return 0;
	qsort(a->pending, a->nr_pending, sizeof(*a->pending), cmp_way);
	for (i = 0; i < a->nr_pending; i++) {
		const struct devmem_thrash_page *w = &a->pending[i];
		__u64 vaddr = w->vpage << a->page_shift;
		struct acc_entry *x = find(a, w, vaddr);
		struct devmem_thrash_entry key = {
			.tgid = w->tgid, .start_ns = w->start_ns, .vaddr = vaddr,
		};

		if (!x && nr_fresh && !devmem_thrash_cmp(&fresh[nr_fresh - 1].e, &key))
			x = &fresh[nr_fresh - 1];
		if (!x) {
			struct acc_entry *f = devmem_array_grow(fresh, nr_fresh, sizeof(*f));

			if (!f) {
				free(fresh);
				return -ENOMEM;
			}
			fresh = f;
			x = &fresh[nr_fresh++];
			memset(x, 0, sizeof(*x));
			x->e.tgid = w->tgid;
			x->e.start_ns = w->start_ns;
			x->e.vaddr = vaddr;
		}
		apply(x, w);
	}
	a->nr_pending = 0;
	/* pages below two bounces are read again from their way next time */
	for (i = j = 0; i < nr_fresh; i++)
		if (fresh[i].e.bounces >= 2)
			fresh[j++] = fresh[i];
	nr_fresh = j;
	if (a->n + nr_fresh > a->cap) {
		a->dropped += a->n + nr_fresh - a->cap;
		nr_fresh = a->cap > a->n ? a->cap - a->n : 0;
	}
	if (!nr_fresh) {
		free(fresh);
		return 0;
	}
	out = devmem_array_alloc(a->n + nr_fresh, sizeof(*out));
	if (!out) {
		free(fresh);
		return -ENOMEM;
	}
	/* both sorted: merge */
	for (i = j = n = 0; i < a->n || j < nr_fresh;) {
		if (j == nr_fresh || (i < a->n && devmem_thrash_cmp(&a->v[i].e, &fresh[j].e) < 0))
			out[n++] = a->v[i++];
		else
			out[n++] = fresh[j++];
	}
	free(a->v);
	free(fresh);
	a->v = out;
	a->n = n;
	return 0;
}

int devmem_thrash_acc_snapshot(struct devmem_thrash_acc *a, struct devmem_snapshot *s)
{
	int err = devmem_thrash_acc_commit(a);

	if (err)
		return err;
	free(s->thrash);
	s->thrash = NULL;
	s->nr_thrash = 0;
	s->thrash_dropped = a->dropped;
	if (!a->n)
		return 0;
	s->thrash = devmem_array_alloc(a->n, sizeof(*s->thrash));
	if (!s->thrash)
		return -ENOMEM;
	for (size_t i = 0; i < a->n; i++)
		s->thrash[i] = a->v[i].e;
	s->nr_thrash = a->n;
	return 0;
}

void devmem_thrash_acc_forget(struct devmem_thrash_acc *a,
			      bool (*keep)(void *ctx, __u32 tgid, __u64 start_ns), void *ctx)
{
	size_t i, j;

	for (i = j = 0; i < a->n; i++)
		if (keep(ctx, a->v[i].e.tgid, a->v[i].e.start_ns))
			a->v[j++] = a->v[i];
	a->n = j;
}

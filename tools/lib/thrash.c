// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Thrashing: the session's accumulator of the kernel's thrash ways
 * (diag.h) and what views make of a snapshot's pages (devmem.h): runs of
 * thrashing pages, sums per process and device, merging.
 *
 * The accumulator keeps the pages that bounced twice or more, sorted by
 * (tgid, start, vaddr), each with the last two incarnations it was read
 * in (a page evicted and taken again can be read as both before the
 * eviction record arrives). A page below two bounces is not kept: its
 * way holds all of its figures, and the next read takes them again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"

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

int devmem_thrash_cmp(const void *x, const void *y)
{
	const struct devmem_thrash_entry *a = x, *b = y;

	return devmem_key_cmp(a->tgid, a->start_ns, a->vaddr, b->tgid, b->start_ns, b->vaddr);
}

void devmem_thrash_sort(struct devmem_thrash_entry *e, size_t n)
{
	if (n)
		qsort(e, n, sizeof(*e), devmem_thrash_cmp);
}

static __u64 gain(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;
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
	x->e.bounces += gain(w->bounces, x->at_bounces[i]);
	x->e.faults += gain(w->faults, x->at_faults[i]);
	x->e.fault_ns += gain(w->fault_ns, x->at_ns[i]);
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

/* ---- views of a snapshot's pages ----------------------------------------- */

const char *devmem_snapshot_range_device(const struct devmem_snapshot *s, __u64 range)
{
	const struct devmem_snap_range *best = NULL;

	for (size_t i = 0; i < s->nr_ranges; i++) {
		const struct devmem_snap_range *r = &s->ranges[i];

		if (r->r.start == range && (!best || r->r.gen > best->r.gen))
			best = r;
	}
	return best ? best->device : "";
}

static const char *comm_of(const struct devmem_snapshot *s, __u32 tgid, __u64 start_ns)
{
	for (size_t i = 0; i < s->nr_procs; i++)
		if (s->procs[i].tgid == tgid &&
		    (s->procs[i].start_ns == start_ns || !start_ns || !s->procs[i].start_ns))
			return s->procs[i].comm;
	return "";
}

static int cmp_run(const void *x, const void *y)
{
	const struct devmem_thrash_run *a = x, *b = y;

	if (a->bounces != b->bounces)
		return a->bounces > b->bounces ? -1 : 1;
	return devmem_key_cmp(a->tgid, a->start_ns, a->vaddr, b->tgid, b->start_ns, b->vaddr);
}

int devmem_thrash_runs(const struct devmem_snapshot *s, __u32 k, struct devmem_thrash_run **out,
		       size_t *n)
{
	struct devmem_thrash_entry *e = NULL;
	struct devmem_thrash_run *runs = NULL, *r = NULL;
	__u64 page = s->page_size ? s->page_size : 4096;
	size_t nr = 0, ne = 0, i;

	*out = NULL;
	*n = 0;
	for (i = 0; i < s->nr_thrash; i++)
		ne += devmem_thrash_is(&s->thrash[i], k);
	if (!ne)
		return 0;
	e = malloc(ne * sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0, ne = 0; i < s->nr_thrash; i++)
		if (devmem_thrash_is(&s->thrash[i], k))
			e[ne++] = s->thrash[i];
	devmem_thrash_sort(e, ne);
	for (i = 0; i < ne; i++) {
		if (!r || r->tgid != e[i].tgid || r->start_ns != e[i].start_ns ||
		    r->range != e[i].range || r->vaddr + r->npages * page != e[i].vaddr) {
			struct devmem_thrash_run *g = devmem_array_grow(runs, nr, sizeof(*g));

			if (!g) {
				free(runs);
				free(e);
				return -ENOMEM;
			}
			runs = g;
			r = &runs[nr++];
			memset(r, 0, sizeof(*r));
			r->tgid = e[i].tgid;
			r->start_ns = e[i].start_ns;
			r->vaddr = e[i].vaddr;
			r->range = e[i].range;
			snprintf(r->comm, sizeof(r->comm), "%s", comm_of(s, r->tgid, r->start_ns));
			snprintf(r->device, sizeof(r->device), "%s",
				 devmem_snapshot_range_device(s, r->range));
		}
		r->npages++;
		r->bounces += e[i].bounces;
		r->faults += e[i].faults;
		r->fault_ns += e[i].fault_ns;
		if (e[i].window_max > r->window_max)
			r->window_max = e[i].window_max;
	}
	free(e);
	if (nr)
		qsort(runs, nr, sizeof(*runs), cmp_run);
	*out = runs;
	*n = nr;
	return 0;
}

static void sum_add(struct devmem_thrash_sum *out, const struct devmem_thrash_entry *e, __u32 k)
{
	out->pages_bouncing++;
	if (!devmem_thrash_is(e, k))
		return;
	out->pages_thrashing++;
	out->bounces += e->bounces;
	out->fault_ns += e->fault_ns;
}

void devmem_thrash_sum_process(const struct devmem_snapshot *s, __u32 k, __u32 tgid,
			       __u64 start_ns, struct devmem_thrash_sum *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->nr_thrash; i++)
		if (s->thrash[i].tgid == tgid && s->thrash[i].start_ns == start_ns)
			sum_add(out, &s->thrash[i], k);
}

void devmem_thrash_sum_device(const struct devmem_snapshot *s, __u32 k, const char *device,
			      struct devmem_thrash_sum *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->nr_thrash; i++)
		if (!strcmp(devmem_snapshot_range_device(s, s->thrash[i].range), device))
			sum_add(out, &s->thrash[i], k);
}

void devmem_thrash_sum_all(const struct devmem_snapshot *s, __u32 k, struct devmem_thrash_sum *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->nr_thrash; i++)
		sum_add(out, &s->thrash[i], k);
}

int devmem_thrash_merge(struct devmem_snapshot *dst, const struct devmem_snapshot *src)
{
	struct devmem_thrash_entry *out;
	size_t i = 0, j = 0, n = 0;

	if (src->thrash_on) {
		dst->thrash_on = true;
		dst->thrash_k = src->thrash_k;
		dst->thrash_window_ns = src->thrash_window_ns;
		if (src->page_size)
			dst->page_size = src->page_size;
		if (src->thrash_dropped > dst->thrash_dropped)
			dst->thrash_dropped = src->thrash_dropped;
	}
	if (!src->nr_thrash)
		return 0;
	out = devmem_array_alloc(dst->nr_thrash + src->nr_thrash, sizeof(*out));
	if (!out)
		return -ENOMEM;
	devmem_thrash_sort(dst->thrash, dst->nr_thrash);
	while (i < dst->nr_thrash || j < src->nr_thrash) {
		int c = i == dst->nr_thrash ? 1 : j == src->nr_thrash ? -1 :
			devmem_thrash_cmp(&dst->thrash[i], &src->thrash[j]);

		if (c < 0) {
			out[n++] = dst->thrash[i++];
		} else {
			out[n++] = src->thrash[j++];
			if (!c)
				i++;
		}
	}
	free(dst->thrash);
	dst->thrash = out;
	dst->nr_thrash = n;
	return 0;
}

static const struct devmem_thrash_entry *find_entry(const struct devmem_snapshot *s,
						    const struct devmem_thrash_entry *k)
{
	return devmem_array_find(k, s->thrash, s->nr_thrash, sizeof(*s->thrash), devmem_thrash_cmp);
}

void devmem_thrash_delta(struct devmem_snapshot *out, const struct devmem_snapshot *prev)
{
	size_t i, j;

	devmem_thrash_sort(out->thrash, out->nr_thrash);
	for (i = j = 0; i < out->nr_thrash; i++) {
		struct devmem_thrash_entry e = out->thrash[i];
		const struct devmem_thrash_entry *p = find_entry(prev, &e);

		if (p) {
			e.bounces = gain(e.bounces, p->bounces);
			e.faults = gain(e.faults, p->faults);
			e.fault_ns = gain(e.fault_ns, p->fault_ns);
		}
		if (e.bounces || e.faults)
			out->thrash[j++] = e;
	}
	out->nr_thrash = j;
}

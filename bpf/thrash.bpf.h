/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thrashing: the set-associative table of the pages CPU faults hit
 * (include/devmem.h describes its layout).
 */
#ifndef DEVMEM_THRASH_BPF_H
#define DEVMEM_THRASH_BPF_H

#include "tables.bpf.h"

/* ---- thrashing ------------------------------------------------------------ */

struct thrash_note {
	__u64 ts, lat, vpage, range, start_ns;
	__u32 tgid;
	__u32 pages;
	bool bounced;
};

static __always_inline __u32 thrash_index(__u32 tgid, __u64 vpage)
{
	return devmem_thrash_set_of(tgid, vpage, thrash_mask);
}

/*
 * A fault on a page ended: count it in the page's way of its set, taking
 * the least recently faulted way for a page not in the set. Ways are
 * claimed with a compare-and-swap of their seq; a CPU that loses the
 * claim to another scans the set again, up to DEVMEM_THRASH_CLAIMS times,
 * and only then gives the page up. The figures of one page are updated by
 * the faults on that page, which its page lock serialises, so plain
 * updates suffice there. A page that loses its way after two or more
 * bounces goes to user space first.
 */
#define DEVMEM_THRASH_CLAIMS	3

static __noinline int thrash_note(struct thrash_note *n)
{
	struct devmem_thrash_page *w = NULL, *victim, *x;
	struct devmem_thrash_notice rec;
	struct devmem_thrash_set *set;
	__u32 idx = thrash_index(n->tgid, n->vpage), i, a, in_window = 0;
	__u64 old, seq;

	set = bpf_map_lookup_elem(&thrash, &idx);
	if (!set)
		return 0;
	for (a = 0; a < DEVMEM_THRASH_CLAIMS && !w; a++) {
		victim = NULL;
		for (i = 0; i < DEVMEM_THRASH_WAYS; i++) {
			x = &set->w[i];
			if (x->seq && x->tgid == n->tgid && x->vpage == n->vpage &&
			    x->start_ns == n->start_ns) {
				w = x;
				break;
			}
			if (!victim ||
			    (victim->seq && (!x->seq || x->last_ns < victim->last_ns)))
				victim = x;
		}
		if (w || !victim)
			break;
		/*
		 * The old incarnation's figures, copied before the way is taken:
		 * sent with bpf_ringbuf_output() once the claim succeeded, so no
		 * ring buffer reservation is held across the claim (the 6.1
		 * verifier loses track of one there).
		 */
		__builtin_memcpy(&rec.p, victim, sizeof(rec.p));
		old = rec.p.seq;
		seq = next_seq();
		if (__sync_val_compare_and_swap(&victim->seq, old, seq) != old)
			continue;
		if (old && rec.p.bounces >= 2) {
			rec.type = DEVMEM_NOTICE_THRASH_PAGE;
			rec.pad = 0;
			if (bpf_ringbuf_output(&notices, &rec, sizeof(rec), 0))
				count_lost(DEVMEM_LOST_THRASH_EVICTED);
		}
		w = victim;
		w->tgid = n->tgid;
		w->start_ns = n->start_ns;
		w->vpage = n->vpage;
		w->bounces = 0;
		w->faults = 0;
		w->fault_ns = 0;
		w->window_max = 0;
		w->ring_pos = 0;
		w->pages = n->pages;
		for (i = 0; i < DEVMEM_THRASH_RING; i++)
			w->ring[i] = 0;
	}
	if (!w) {
		count_lost(DEVMEM_LOST_THRASH_RACE);
		return 0;
	}
	w->range = n->range;
	w->last_ns = n->ts;
	w->faults++;
	w->fault_ns += n->lat;
	if (!n->bounced)
		return 0;
	w->bounces++;
	w->ring[w->ring_pos & (DEVMEM_THRASH_RING - 1)] = n->ts;
	w->ring_pos++;
	for (i = 0; i < DEVMEM_THRASH_RING; i++)
		if (w->ring[i] && n->ts - w->ring[i] < thrash_window_ns)
			in_window++;
	if (in_window > w->window_max)
		w->window_max = in_window;
	return 0;
}

_Static_assert((DEVMEM_THRASH_RING & (DEVMEM_THRASH_RING - 1)) == 0, "ring size: power of 2");


#endif /* DEVMEM_THRASH_BPF_H */

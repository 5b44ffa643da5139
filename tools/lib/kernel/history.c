// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The history a session owns: every process, range and device seen since
 * it started. The kernel tables hold only what is live; what leaves them
 * (a process at exit, a range after its remove) is kept here, so figures
 * survive however many processes come and go.
 *
 * A process is known by (tgid, start time). Its kernel entry may come and
 * go more than once (a straggling event after the exit flush makes a new
 * one), so each entry is an incarnation with its own sequence number; the
 * process's figures are the sum of its finished incarnations and the last
 * values read of the live ones. An exit record replaces the last values of
 * its incarnation, which makes the sum exact however reads and exits
 * interleave.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/history.h"
#include "model/array.h"
#include "model/hist.h"
#include "model/snapshot.h"

struct incarnation {
	__u64 seq;
	struct devmem_counters c;
	struct devmem_hist *hist;	/* NULL: no per-process histograms */
};

struct hproc {
	struct devmem_process p;	/* identity, comm, exit_ns */
	__u64 start_boot_ns;
	struct devmem_counters done;	/* finished incarnations */
	struct devmem_hist *done_hist;
	struct incarnation *live;
	size_t nr_live;
};

struct owner_name {
	__u64 owner;
	__u64 start;			/* where its first range was */
	char name[DEVMEM_NAME_LEN];
	unsigned int live_ranges;
};

struct devmem_history {
	struct hproc *procs;
	size_t nr_procs;
	size_t *index;			/* open addressing: procs index + 1, 0 empty */
	size_t index_cap;		/* power of two */
	struct devmem_snap_range *ranges;
	size_t nr_ranges;
	struct owner_name *owners;
	size_t nr_owners;
	size_t live_incarnations;
};

/* room for one more element of a history array (devmem_array_grow) */
static int grow(void **arr, size_t n, size_t elem)
{
	void *p = devmem_array_grow(*arr, n, elem);

	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

struct devmem_history *devmem_history_new(void)
{
	return calloc(1, sizeof(struct devmem_history));
}

static void free_proc(struct hproc *p)
{
	for (size_t i = 0; i < p->nr_live; i++)
		free(p->live[i].hist);
	free(p->live);
	free(p->done_hist);
}

void devmem_history_free(struct devmem_history *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nr_procs; i++)
		free_proc(&h->procs[i]);
	free(h->procs);
	free(h->index);
	free(h->ranges);
	free(h->owners);
	free(h);
}

/* ---- processes ------------------------------------------------------------ */

static size_t key_hash(__u32 tgid, __u64 start_ns)
{
	__u64 x = ((__u64)tgid << 32) ^ start_ns;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static int reindex(struct devmem_history *h, size_t cap)
{
	size_t *idx = calloc(cap, sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < h->nr_procs; i++) {
		size_t j = key_hash(h->procs[i].p.tgid, h->procs[i].p.start_ns) & (cap - 1);

		while (idx[j])
			j = (j + 1) & (cap - 1);
		idx[j] = i + 1;
	}
	free(h->index);
	h->index = idx;
	h->index_cap = cap;
	return 0;
}

static struct hproc *find_proc(struct devmem_history *h, __u32 tgid, __u64 start_ns)
{
	size_t j;

	if (!h->index_cap)
		return NULL;
	for (j = key_hash(tgid, start_ns) & (h->index_cap - 1); h->index[j];
	     j = (j + 1) & (h->index_cap - 1)) {
		struct hproc *p = &h->procs[h->index[j] - 1];

		if (p->p.tgid == tgid && p->p.start_ns == start_ns)
			return p;
	}
	return NULL;
}

static struct hproc *get_proc(struct devmem_history *h, __u32 tgid,
			      const struct devmem_proc_value *v)
{
	struct hproc *p = find_proc(h, tgid, v->start_ns);
	size_t j;

	if (p)
		return p;
	if ((h->nr_procs + 1) * 2 > h->index_cap &&
	    reindex(h, h->index_cap ? h->index_cap * 2 : 64))
		return NULL;
	if (grow((void **)&h->procs, h->nr_procs, sizeof(*h->procs)))
		return NULL;
	p = &h->procs[h->nr_procs];
	memset(p, 0, sizeof(*p));
	p->p.tgid = tgid;
	p->p.start_ns = v->start_ns;
	p->start_boot_ns = v->start_boot_ns;
	memcpy(p->p.comm, v->comm, sizeof(p->p.comm) - 1);
	for (j = key_hash(tgid, v->start_ns) & (h->index_cap - 1); h->index[j];
	     j = (j + 1) & (h->index_cap - 1))
		;
	h->index[j] = ++h->nr_procs;
	return p;
}

static struct devmem_hist *copy_hists(const struct devmem_proc_hists *ph)
{
	struct devmem_hist *x = malloc(sizeof(ph->h));

	if (x)
		memcpy(x, ph->h, sizeof(ph->h));
	return x;
}

int devmem_history_proc_seen(struct devmem_history *h, __u32 tgid,
			     const struct devmem_proc_value *v, const struct devmem_proc_hists *ph)
{
	struct hproc *p = get_proc(h, tgid, v);
	struct incarnation *in = NULL;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < p->nr_live; i++)
		if (p->live[i].seq == v->seq)
			in = &p->live[i];
	if (!in) {
		if (grow((void **)&p->live, p->nr_live, sizeof(*p->live)))
			return -ENOMEM;
		in = &p->live[p->nr_live++];
		memset(in, 0, sizeof(*in));
		in->seq = v->seq;
		h->live_incarnations++;
	}
	in->c = v->c;
	if (ph) {
		if (!in->hist && !(in->hist = copy_hists(ph)))
			return -ENOMEM;
		memcpy(in->hist, ph->h, sizeof(ph->h));
	}
	p->p.exit_ns = 0;
	return 0;
}

int devmem_history_proc_exit(struct devmem_history *h, __u32 tgid,
			     const struct devmem_proc_value *v, const struct devmem_proc_hists *ph,
			     __u64 exit_ns)
{
	struct hproc *p = get_proc(h, tgid, v);

	if (!p)
		return -ENOMEM;
	/* the record holds the incarnation's last figures: they replace what was read */
	for (size_t i = 0; i < p->nr_live; i++) {
		if (p->live[i].seq != v->seq)
			continue;
		free(p->live[i].hist);
		p->live[i] = p->live[--p->nr_live];
		h->live_incarnations--;
		break;
	}
	devmem_counters_add(&p->done, &v->c);
	if (ph) {
		if (!p->done_hist && !(p->done_hist = calloc(DEVMEM_HIST_KINDS, sizeof(*p->done_hist))))
			return -ENOMEM;
		for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
			devmem_hist_merge(&p->done_hist[k], &ph->h[k]);
	}
	if (!p->nr_live && exit_ns > p->p.exit_ns)
		p->p.exit_ns = exit_ns;
	return 0;
}

/*
 * An incarnation whose kernel entry is gone without a record (taken from
 * the table by the session, or never to come): its last values are final.
 */
void devmem_history_proc_gone(struct devmem_history *h, __u32 tgid, __u64 start_ns, __u64 seq,
			      __u64 exit_ns)
{
	struct hproc *p = find_proc(h, tgid, start_ns);

	if (!p)
		return;
	for (size_t i = 0; i < p->nr_live; i++) {
		struct incarnation *in = &p->live[i];

		if (in->seq != seq)
			continue;
		devmem_counters_add(&p->done, &in->c);
		if (in->hist) {
			if (!p->done_hist)
				p->done_hist = calloc(DEVMEM_HIST_KINDS, sizeof(*p->done_hist));
			for (unsigned int k = 0; p->done_hist && k < DEVMEM_HIST_KINDS; k++)
				devmem_hist_merge(&p->done_hist[k], &in->hist[k]);
			free(in->hist);
		}
		*in = p->live[--p->nr_live];
		h->live_incarnations--;
		break;
	}
	if (!p->nr_live && exit_ns > p->p.exit_ns)
		p->p.exit_ns = exit_ns;
}

int devmem_history_proc_overflow(struct devmem_history *h, __u32 tgid,
				 const struct devmem_proc_overflow *o)
{
	struct devmem_proc_value v;
	struct hproc *p;

	memset(&v, 0, sizeof(v));
	v.start_ns = o->start_ns;
	memcpy(v.comm, o->comm, sizeof(v.comm));
	p = get_proc(h, tgid, &v);
	if (!p)
		return -ENOMEM;
	/* the kernel's count is cumulative; an entry the LRU dropped keeps the last */
	if (o->events > p->p.lost_events)
		p->p.lost_events = o->events;
	/* never in the table, so no exit record: the overflow entry tells */
	if (o->exit_ns && !p->nr_live && o->exit_ns > p->p.exit_ns)
		p->p.exit_ns = o->exit_ns;
	return 0;
}

bool devmem_history_has_proc(struct devmem_history *h, __u32 tgid, __u64 start_ns)
{
	return find_proc(h, tgid, start_ns) != NULL;
}

bool devmem_history_proc_exited(struct devmem_history *h, __u32 tgid, __u64 start_ns)
{
	struct hproc *p = find_proc(h, tgid, start_ns);

	return p && p->p.exit_ns && !p->nr_live;
}

size_t devmem_history_nr_procs(const struct devmem_history *h)
{
	return h->nr_procs;
}

void devmem_history_forget_exited(struct devmem_history *h, __u64 exited_before_ns)
{
	size_t n = 0;

	for (size_t i = 0; i < h->nr_procs; i++) {
		struct hproc *p = &h->procs[i];

		if (p->p.exit_ns && p->p.exit_ns < exited_before_ns && !p->nr_live) {
			free_proc(p);
			continue;
		}
		h->procs[n++] = *p;
	}
	if (n == h->nr_procs)
		return;
	h->nr_procs = n;
	/* a smaller index when the table shrank a lot; the same size otherwise */
	reindex(h, h->index_cap > 64 && n * 8 < h->index_cap ? h->index_cap / 2 : h->index_cap);
}

/* ---- ranges and devices ---------------------------------------------------- */

static struct owner_name *owner_of(struct devmem_history *h, __u64 owner)
{
	for (size_t i = 0; i < h->nr_owners; i++)
		if (h->owners[i].owner == owner)
			return &h->owners[i];
	return NULL;
}

static bool name_taken(const struct devmem_history *h, const char *name, __u64 owner)
{
	for (size_t i = 0; i < h->nr_owners; i++)
		if (h->owners[i].live_ranges && h->owners[i].owner != owner &&
		    !strcmp(h->owners[i].name, name))
			return true;
	return false;
}

/*
 * A device gone (no live range) whose first range was at start under the
 * name base: a driver that reloads or resets adds its range again where it
 * was, under a new owner. NULL if none.
 */
static const struct owner_name *gone_at(const struct devmem_history *h, __u64 start,
					const char *base)
{
	size_t n = strlen(base);

	for (size_t i = h->nr_owners; i-- > 0;) {
		const struct owner_name *g = &h->owners[i];

		if (!g->live_ranges && g->start == start && !strncmp(g->name, base, n) &&
		    (g->name[n] == '\0' || g->name[n] == '#'))
			return g;
	}
	return NULL;
}

/*
 * The device of a new range: its owner's, if the owner has live ranges;
 * else, when a device gone had its range here under the same name, that
 * device's name; else the range's own name, made unique among the devices
 * that are live now (two test_hmm devices, or two GPUs of one driver, on a
 * kernel that names their ranges alike). A device that went away and came
 * back under the same name is one device.
 */
static int assign_device(struct devmem_history *h, struct devmem_snap_range *r)
{
	char base[DEVMEM_NAME_LEN], name[DEVMEM_NAME_LEN];
	struct owner_name *o = r->r.owner ? owner_of(h, r->r.owner) : NULL;

	if (o && o->live_ranges) {
		snprintf(r->device, sizeof(r->device), "%s", o->name);
		o->live_ranges++;
		return 0;
	}
	devmem_range_device_name(r, base, sizeof(base));
	snprintf(name, sizeof(name), "%s", base);
	if (r->r.owner) {
		const struct owner_name *g = gone_at(h, r->r.start, base);

		if (g && !name_taken(h, g->name, r->r.owner))
			snprintf(name, sizeof(name), "%s", g->name);
	}
	for (unsigned int n = 2; r->r.owner && name_taken(h, name, r->r.owner); n++) {
		int len = snprintf(name, sizeof(name), "%s#%u", base, n);

		if (len >= (int)sizeof(name))
			snprintf(name + sizeof(name) - 8, 8, "#%u", n);
	}
	snprintf(r->device, sizeof(r->device), "%s", name);
	if (!r->r.owner)
		return 0;
	if (!o) {
		if (grow((void **)&h->owners, h->nr_owners, sizeof(*h->owners)))
			return -ENOMEM;
		o = &h->owners[h->nr_owners++];
		memset(o, 0, sizeof(*o));
		o->owner = r->r.owner;
		o->start = r->r.start;
	}
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->live_ranges = 1;
	return 0;
}

static void range_gone(struct devmem_history *h, const struct devmem_snap_range *r)
{
	struct owner_name *o = r->r.owner ? owner_of(h, r->r.owner) : NULL;

	if (o && o->live_ranges)
		o->live_ranges--;
}

static struct devmem_snap_range *find_range(struct devmem_history *h, __u64 gen)
{
	for (size_t i = 0; i < h->nr_ranges; i++)
		if (h->ranges[i].r.gen == gen)
			return &h->ranges[i];
	return NULL;
}

int devmem_history_range_seen(struct devmem_history *h, const struct devmem_range *kr,
			      const struct devmem_counters *c,
			      const struct devmem_folio_counts *folios,
			      const struct devmem_hist *hists, const char *iomem_name)
{
	struct devmem_snap_range *r = find_range(h, kr->gen);
	bool was_removed;
	int err;

	if (!r) {
		/* a range listed at start, traced now, is the same range */
		for (size_t i = 0; i < h->nr_ranges && !r; i++)
			if (!h->ranges[i].r.gen && h->ranges[i].r.start == kr->start)
				r = &h->ranges[i];
		if (!r) {
			if (grow((void **)&h->ranges, h->nr_ranges, sizeof(*h->ranges)))
				return -ENOMEM;
			r = &h->ranges[h->nr_ranges++];
			memset(r, 0, sizeof(*r));
			r->id = kr->start;
			r->in_use_at_start = DEVMEM_UNKNOWN;
			r->r.nid = ~0U;
		}
		{
			__u32 nid = r->r.nid;

			r->r = *kr;
			if (r->r.nid == ~0U)
				r->r.nid = nid;
		}
		if (!r->name[0] && iomem_name)
			snprintf(r->name, sizeof(r->name), "%s", iomem_name);
		r->device[0] = '\0';
		err = assign_device(h, r);
		if (err)
			return err;
		r->sources |= DEVMEM_RANGE_TRACED;
		was_removed = false;
	} else {
		was_removed = r->r.removed_ns != 0;
		__u32 nid = r->r.nid;

		r->r = *kr;
		if (r->r.nid == ~0U)
			r->r.nid = nid;
	}
	if (!was_removed && kr->removed_ns)
		range_gone(h, r);
	r->c = *c;
	r->folios = *folios;
	r->has_hist = hists != NULL;
	if (hists)
		memcpy(r->hist, hists, sizeof(r->hist));
	return 0;
}

const struct devmem_snap_range *devmem_history_range_at(const struct devmem_history *h,
							__u64 start)
{
	const struct devmem_snap_range *found = NULL;

	/* the newest range learnt at that start: a re-added one wins */
	for (size_t i = 0; i < h->nr_ranges; i++)
		if (h->ranges[i].r.start == start &&
		    (!found || h->ranges[i].r.gen > found->r.gen))
			found = &h->ranges[i];
	return found;
}

int devmem_history_listed(struct devmem_history *h, const struct devmem_snap_range *l)
{
	struct devmem_snap_range *r = NULL;

	for (size_t i = 0; i < h->nr_ranges && !r; i++)
		if (h->ranges[i].r.start == l->r.start && !h->ranges[i].r.removed_ns)
			r = &h->ranges[i];
	if (!r) {
		if (grow((void **)&h->ranges, h->nr_ranges, sizeof(*h->ranges)))
			return -ENOMEM;
		r = &h->ranges[h->nr_ranges++];
		*r = *l;
		r->r.gen = 0;
		r->device[0] = '\0';
		return assign_device(h, r);
	}
	r->sources |= DEVMEM_RANGE_DISCOVERED;
	r->id = l->id;
	r->range_index = l->range_index;
	r->in_use_at_start = l->in_use_at_start;
	if (r->r.nid == ~0U)
		r->r.nid = l->r.nid;
	if (!r->name[0])
		memcpy(r->name, l->name, sizeof(r->name));
	return 0;
}

/* ---- the snapshot ---------------------------------------------------------- */

int devmem_history_snapshot(struct devmem_history *h, struct devmem_snapshot *out)
{
	free(out->procs);
	free(out->ranges);
	out->procs = NULL;
	out->ranges = NULL;
	out->nr_procs = out->nr_ranges = 0;
	if (h->nr_procs && !(out->procs = devmem_array_alloc(h->nr_procs, sizeof(*out->procs))))
		return -ENOMEM;
	for (size_t i = 0; i < h->nr_procs; i++) {
		const struct hproc *p = &h->procs[i];
		struct devmem_process *o;

		o = &out->procs[out->nr_procs++];
		*o = p->p;
		o->c = p->done;
		o->has_hist = p->done_hist != NULL;
		if (p->done_hist)
			memcpy(o->hist, p->done_hist, sizeof(o->hist));
		for (size_t j = 0; j < p->nr_live; j++) {
			devmem_counters_add(&o->c, &p->live[j].c);
			if (p->live[j].hist) {
				o->has_hist = true;
				for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
					devmem_hist_merge(&o->hist[k], &p->live[j].hist[k]);
			}
		}
	}
	if (h->nr_ranges) {
		out->ranges = devmem_array_alloc(h->nr_ranges, sizeof(*out->ranges));
		if (!out->ranges)
			return -ENOMEM;
		memcpy(out->ranges, h->ranges, h->nr_ranges * sizeof(*out->ranges));
		out->nr_ranges = h->nr_ranges;
	}
	return devmem_snapshot_group_devices(out);
}

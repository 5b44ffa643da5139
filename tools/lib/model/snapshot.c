// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The snapshot model: plain C, no BPF; live and recorded data alike. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "model/array.h"
#include "model/counts.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "model/stacks.h"
#include "model/thrash.h"

_Static_assert(sizeof(struct devmem_counters) == DEVMEM_NR_COUNTERS * sizeof(__u64),
	       "struct devmem_counters must be __u64 fields only");

const char *const devmem_counter_names[DEVMEM_NR_COUNTERS] = {
	"faults", "fault_errors", "faults_wasted", "pages_to_device", "pages_to_ram",
	"migrate_calls_to_device", "migrate_calls_to_ram", "fault_migrations",
	"fault_pages", "pages_collected", "allocs", "frees", "adds", "removes",
	"refs_waited", "faults_uncollected", "faults_unmigrated", "faults_retry", "faults_pmd",
	"faults_busy",
};

const char *const devmem_lost_names[DEVMEM_LOST_KINDS] = {
	[DEVMEM_LOST_RINGBUF] = "ringbuf_full",
	[DEVMEM_LOST_RANGES_FULL] = "ranges_map_full",
	[DEVMEM_LOST_PROCS_FULL] = "processes_map_full",
	[DEVMEM_LOST_HISTS_FULL] = "histograms_map_full",
	[DEVMEM_LOST_ALLOC_TS_FULL] = "page_alloc_slot_taken",
	[DEVMEM_LOST_FAULT_TS_FULL] = "fault_start_no_storage",
	[DEVMEM_LOST_MIGRATE_TRUNC] = "migrate_window_truncated",
	[DEVMEM_LOST_MAP_BUSY] = "map_insert_failed_not_full",
	[DEVMEM_LOST_THRASH_EVICTED] = "thrash_page_evicted_unsent",
	[DEVMEM_LOST_THRASH_RACE] = "thrash_way_claim_raced",
	[DEVMEM_LOST_STACK_COLLISION] = "stack_map_collision",
	[DEVMEM_LOST_STACK_DROP] = "stack_not_taken",
	[DEVMEM_LOST_STACK_COUNTS_FULL] = "stack_counts_map_full",
	[DEVMEM_LOST_USTACK_RING] = "stack_ring_full",
	[DEVMEM_LOST_USTACK_NO_REGS] = "stack_no_user_registers",
	[DEVMEM_LOST_USTACK_UNREADABLE] = "stack_unreadable",
	[DEVMEM_LOST_STACK_NO_MAPS] = "stack_maps_unknown",
	[DEVMEM_LOST_STACK_TRUNCATED] = "stack_copy_too_short",
	[DEVMEM_LOST_STACK_UNWIND_STOPPED] = "stack_unwind_stopped",
	[DEVMEM_LOST_STACK_TIME_RING] = "stack_time_ring_full",
	[DEVMEM_LOST_STACK_LEAF_UNCHECKED] = "stack_leaf_unchecked",
	[DEVMEM_LOST_STACK_MAPS_BUSY] = "stack_maps_busy",
};

const char *const devmem_tally_names[DEVMEM_TALLY_KINDS] = {
	[DEVMEM_UNMATCHED_FREE] = "free_of_page_allocated_before_start",
	[DEVMEM_UNMATCHED_FAULT_DONE] = "fault_done_without_start",
	[DEVMEM_UNMATCHED_REMOVE_DONE] = "remove_done_without_remove",
	[DEVMEM_NOTICES_DEFERRED] = "exit_records_deferred",
	[DEVMEM_UNMATCHED_MIGRATION] = "migration_without_start",
};

const char *devmem_mode_name(enum devmem_mode mode)
{
	switch (mode) {
	case DEVMEM_MODE_TP_BTF: return "tracepoints";
	case DEVMEM_MODE_RAW_TP: return "raw_tracepoints";
	case DEVMEM_MODE_FENTRY: return "fentry";
	default: return "none";
	}
}

__u64 devmem_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

__s64 devmem_wall_offset_ns(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return ((__s64)r.tv_sec - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
}

void devmem_snapshot_init(struct devmem_snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

void devmem_snapshot_free(struct devmem_snapshot *s)
{
	free(s->devices);
	free(s->procs);
	free(s->ranges);
	free(s->thrash);
	devmem_stacks_free(s->stacks, s->nr_stacks);
	devmem_snapshot_init(s);
}

static void hists_add(struct devmem_hist *dst, const struct devmem_hist *src)
{
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
		devmem_hist_merge(&dst[k], &src[k]);
}

struct devmem_device *devmem_snapshot_device(struct devmem_snapshot *s, const char *name)
{
	struct devmem_device *d;

	for (size_t i = 0; i < s->nr_devices; i++)
		if (!strncmp(s->devices[i].name, name, sizeof(d->name)))
			return &s->devices[i];
	d = devmem_array_grow(s->devices, s->nr_devices, sizeof(*d));
	if (!d)
		return NULL;
	s->devices = d;
	d = &s->devices[s->nr_devices++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	return d;
}

const struct devmem_device *devmem_snapshot_find_device(const struct devmem_snapshot *s,
							const char *name)
{
	for (size_t i = 0; i < s->nr_devices; i++)
		if (!strncmp(s->devices[i].name, name, sizeof(s->devices[i].name)))
			return &s->devices[i];
	return NULL;
}

struct devmem_process *devmem_snapshot_process(struct devmem_snapshot *s, __u32 tgid,
					       __u64 start_ns)
{
	struct devmem_process *p;

	for (size_t i = s->nr_procs; i-- > 0;)	/* the newest are at the end */
		if (s->procs[i].tgid == tgid && s->procs[i].start_ns == start_ns)
			return &s->procs[i];
	p = devmem_array_grow(s->procs, s->nr_procs, sizeof(*p));
	if (!p)
		return NULL;
	s->procs = p;
	p = &s->procs[s->nr_procs++];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	p->start_ns = start_ns;
	return p;
}

struct devmem_snap_range *devmem_snapshot_range(struct devmem_snapshot *s, __u64 gen,
						__u64 start)
{
	struct devmem_snap_range *r;
	size_t i;

	if (gen)
		for (i = 0; i < s->nr_ranges; i++)
			if (s->ranges[i].r.gen == gen)
				return &s->ranges[i];
	for (i = 0; i < s->nr_ranges; i++) {
		r = &s->ranges[i];
		/* a listed range (no gen yet) and a traced one meet by start, if live */
		if (r->r.start == start && (!r->r.gen || !gen) && !r->r.remove_done_ns) {
			if (gen)
				r->r.gen = gen;
			return r;
		}
	}
	r = devmem_array_grow(s->ranges, s->nr_ranges, sizeof(*r));
	if (!r)
		return NULL;
	s->ranges = r;
	r = &s->ranges[s->nr_ranges++];
	memset(r, 0, sizeof(*r));
	r->r.gen = gen;
	r->r.start = start;
	r->r.nid = ~0U;
	r->r.in_use_at_remove = DEVMEM_UNKNOWN;
	r->id = start;
	r->in_use_at_start = DEVMEM_UNKNOWN;
	return r;
}

void devmem_range_device_name(const struct devmem_snap_range *r, char *buf, size_t len)
{
	if (r->device[0])
		snprintf(buf, len, "%s", r->device);
	else if (r->name[0])
		snprintf(buf, len, "%s", r->name);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)r->r.start);
}

int devmem_snapshot_group_devices(struct devmem_snapshot *s)
{
	char name[DEVMEM_NAME_LEN];
	struct devmem_device *d;
	size_t i;

	free(s->devices);
	s->devices = NULL;
	s->nr_devices = 0;
	for (i = 0; i < s->nr_ranges; i++) {
		struct devmem_snap_range *r = &s->ranges[i];

		devmem_range_device_name(r, name, sizeof(name));
		snprintf(r->device, sizeof(r->device), "%s", name);
		d = devmem_snapshot_device(s, name);
		if (!d)
			return -ENOMEM;
		if (!d->nr_ranges)
			d->has_hist = true;
		d->nr_ranges++;
		if (!r->r.removed_ns) {
			d->nr_live++;
			d->nr_pages += r->r.nr_pages;
			if (r->r.owner)
				d->owner = r->r.owner;
		}
		devmem_counters_add(&d->c, &r->c);
		devmem_folios_add(&d->folios, &r->folios);
		if (r->has_hist)
			hists_add(d->hist, r->hist);
		else
			d->has_hist = false;
	}
	return 0;
}

static int dup_array(void **dst, const void *src, size_t n, size_t elem)
{
	*dst = NULL;
	if (!n)
		return 0;
	*dst = devmem_array_alloc(n, elem);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * elem);
	return 0;
}

int devmem_snapshot_copy(struct devmem_snapshot *dst, const struct devmem_snapshot *src)
{
	struct devmem_snapshot t = *src;

	t.devices = NULL;
	t.procs = NULL;
	t.ranges = NULL;
	t.thrash = NULL;
	t.stacks = NULL;
	if (dup_array((void **)&t.devices, src->devices, src->nr_devices, sizeof(*t.devices)) ||
	    dup_array((void **)&t.procs, src->procs, src->nr_procs, sizeof(*t.procs)) ||
	    dup_array((void **)&t.ranges, src->ranges, src->nr_ranges, sizeof(*t.ranges)) ||
	    dup_array((void **)&t.thrash, src->thrash, src->nr_thrash, sizeof(*t.thrash)) ||
	    (src->nr_stacks && !(t.stacks = devmem_stacks_dup(src->stacks, src->nr_stacks)))) {
		t.nr_stacks = 0;
		devmem_snapshot_free(&t);
		return -ENOMEM;
	}
	*dst = t;
	return 0;
}

size_t devmem_percpu_stride(size_t value_size)
{
	return (value_size + 7) & ~(size_t)7;
}

static void sum_u64_array(__u64 *dst, size_t n, const void *percpu, size_t value_size,
			  size_t offset, int ncpus)
{
	size_t stride = devmem_percpu_stride(value_size);

	for (int cpu = 0; cpu < ncpus; cpu++) {
		const __u64 *v = (const __u64 *)((const char *)percpu + cpu * stride + offset);

		for (size_t i = 0; i < n; i++)
			dst[i] += v[i];
	}
}

void devmem_sum_counters(struct devmem_counters *dst, const void *percpu, int ncpus)
{
	memset(dst, 0, sizeof(*dst));
	sum_u64_array(devmem_counters_u64(dst), DEVMEM_NR_COUNTERS, percpu,
		      sizeof(struct devmem_counters), 0, ncpus);
}

void devmem_sum_folios(struct devmem_folio_counts *dst, const void *percpu, int ncpus)
{
	memset(dst, 0, sizeof(*dst));
	sum_u64_array((__u64 *)dst, sizeof(*dst) / sizeof(__u64), percpu,
		      sizeof(struct devmem_folio_counts), 0, ncpus);
}

void devmem_sum_hist(struct devmem_hist *dst, const void *percpu, int ncpus)
{
	memset(dst, 0, sizeof(*dst));
	sum_u64_array((__u64 *)dst, sizeof(*dst) / sizeof(__u64), percpu,
		      sizeof(struct devmem_hist), 0, ncpus);
}

void devmem_sum_u64(__u64 *dst, const void *percpu, int ncpus)
{
	*dst = 0;
	sum_u64_array(dst, 1, percpu, sizeof(__u64), 0, ncpus);
}

void devmem_counters_add(struct devmem_counters *dst, const struct devmem_counters *src)
{
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		devmem_counters_u64(dst)[i] = devmem_known_add(devmem_counters_cu64(dst)[i],
							       devmem_counters_cu64(src)[i]);
}

static void hist_delta(struct devmem_hist *out, const struct devmem_hist *cur,
		       const struct devmem_hist *prev)
{
	/* a histogram restarts as a whole, so decide once for all slots */
	bool restarted = prev && (cur->count < prev->count);

	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++)
		if (prev && cur->slots[i] < prev->slots[i])
			restarted = true;
	if (!prev || restarted) {
		*out = *cur;
		return;
	}
	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++)
		out->slots[i] = cur->slots[i] - prev->slots[i];
	out->count = cur->count - prev->count;
	out->sum = devmem_delta_u64(cur->sum, prev->sum);
}

static void hists_delta(struct devmem_hist *out, const struct devmem_hist *cur,
			const struct devmem_hist *prev)
{
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
		hist_delta(&out[k], &cur[k], prev ? &prev[k] : NULL);
}

int devmem_process_cmp(const void *a, const void *b)
{
	const struct devmem_process *x = a, *y = b;

	return devmem_key_cmp(x->tgid, x->start_ns, 0, y->tgid, y->start_ns, 0);
}

/* prev's process of the same identity; prev sorted by devmem_snapshot_sort() */
static const struct devmem_process *find_process(const struct devmem_snapshot *prev,
						 const struct devmem_process *p)
{
	return devmem_array_find(p, prev->procs, prev->nr_procs, sizeof(*p), devmem_process_cmp);
}

static const struct devmem_snap_range *find_range(const struct devmem_snapshot *prev,
						  const struct devmem_snap_range *r)
{
	for (size_t j = 0; j < prev->nr_ranges; j++)
		if (r->r.gen ? prev->ranges[j].r.gen == r->r.gen :
			       !prev->ranges[j].r.gen && prev->ranges[j].r.start == r->r.start)
			return &prev->ranges[j];
	return NULL;
}

static bool sorted_procs(const struct devmem_snapshot *s)
{
	for (size_t i = 1; i < s->nr_procs; i++)
		if (devmem_process_cmp(&s->procs[i - 1], &s->procs[i]) > 0)
			return false;
	return true;
}

int devmem_snapshot_delta(struct devmem_snapshot *out, const struct devmem_snapshot *cur,
			  const struct devmem_snapshot *prev)
{
	struct devmem_snapshot sorted_prev;
	int err;
	size_t i;

	err = devmem_snapshot_copy(out, cur);
	if (err)
		return err;
	/* processes are matched by binary search: sort a copy of prev if need be */
	devmem_snapshot_init(&sorted_prev);
	if (!sorted_procs(prev)) {
		sorted_prev = *prev;
		sorted_prev.procs = NULL;
		sorted_prev.nr_procs = 0;
		if (prev->nr_procs) {
			sorted_prev.procs = malloc(prev->nr_procs * sizeof(*prev->procs));
			if (!sorted_prev.procs) {
				devmem_snapshot_free(out);
				return -ENOMEM;
			}
			memcpy(sorted_prev.procs, prev->procs, prev->nr_procs * sizeof(*prev->procs));
			sorted_prev.nr_procs = prev->nr_procs;
			qsort(sorted_prev.procs, sorted_prev.nr_procs, sizeof(*sorted_prev.procs),
			      devmem_process_cmp);
		}
		prev = &sorted_prev;
	}
	out->interval_ns = cur->ts_ns > prev->ts_ns ? cur->ts_ns - prev->ts_ns : 0;
	devmem_counters_delta(&out->total, cur->mode, &cur->total, prev->mode, &prev->total);
	devmem_folios_delta(&out->folios, &cur->folios, &prev->folios);
	hists_delta(out->hist, cur->hist, prev->hist);
	for (i = 0; i < DEVMEM_LOST_KINDS; i++)
		out->lost[i] = devmem_delta_u64(cur->lost[i], prev->lost[i]);
	for (i = 0; i < DEVMEM_TALLY_KINDS; i++)
		out->tallies[i] = devmem_delta_u64(cur->tallies[i], prev->tallies[i]);
	out->recursion_misses = devmem_delta_u64(cur->recursion_misses, prev->recursion_misses);

	for (i = 0; i < out->nr_devices; i++) {
		const struct devmem_device *p = devmem_snapshot_find_device(prev, cur->devices[i].name);

		devmem_counters_delta(&out->devices[i].c, cur->mode, &cur->devices[i].c, prev->mode,
				      p ? &p->c : NULL);
		devmem_folios_delta(&out->devices[i].folios, &cur->devices[i].folios,
				    p ? &p->folios : NULL);
		hists_delta(out->devices[i].hist, cur->devices[i].hist,
			    p && p->has_hist ? p->hist : NULL);
	}
	for (i = 0; i < out->nr_ranges; i++) {
		const struct devmem_snap_range *p = find_range(prev, &cur->ranges[i]);

		devmem_counters_delta(&out->ranges[i].c, cur->mode, &cur->ranges[i].c, prev->mode,
				      p ? &p->c : NULL);
		devmem_folios_delta(&out->ranges[i].folios, &cur->ranges[i].folios,
				    p ? &p->folios : NULL);
		hists_delta(out->ranges[i].hist, cur->ranges[i].hist,
			    p && p->has_hist ? p->hist : NULL);
	}
	for (i = 0; i < out->nr_procs; i++) {
		const struct devmem_process *p = find_process(prev, &cur->procs[i]);

		devmem_counters_delta(&out->procs[i].c, cur->mode, &cur->procs[i].c, prev->mode,
				      p ? &p->c : NULL);
		out->procs[i].lost_events = devmem_delta_u64(cur->procs[i].lost_events,
						p ? p->lost_events : 0);
		hists_delta(out->procs[i].hist, cur->procs[i].hist,
			    p && p->has_hist ? p->hist : NULL);
	}
	devmem_thrash_delta(out, prev);
	devmem_stacks_delta(out, prev);
	free(sorted_prev.procs);
	return 0;
}

__u64 devmem_snapshot_lost_total(const struct devmem_snapshot *s)
{
	__u64 t = s->recursion_misses;

	for (int i = 0; i < DEVMEM_LOST_KINDS; i++)
		t += s->lost[i];
	return t;
}

static int cmp_device(const void *a, const void *b)
{
	return strncmp(((const struct devmem_device *)a)->name,
		       ((const struct devmem_device *)b)->name, DEVMEM_NAME_LEN);
}

static int cmp_range(const void *a, const void *b)
{
	const struct devmem_snap_range *x = a, *y = b;

	return devmem_cmp_u64(x->r.start, y->r.start) ?:
	       devmem_cmp_u64(x->range_index, y->range_index) ?:
	       devmem_cmp_u64(x->r.gen, y->r.gen);
}

int devmem_snapshot_merge_procs(struct devmem_snapshot *dst, const struct devmem_snapshot *src)
{
	return devmem_array_merge((void **)&dst->procs, &dst->nr_procs, src->procs, src->nr_procs,
				  sizeof(*src->procs), devmem_process_cmp, NULL, NULL);
}

void devmem_snapshot_sort(struct devmem_snapshot *s)
{
	if (s->nr_devices)
		qsort(s->devices, s->nr_devices, sizeof(*s->devices), cmp_device);
	if (s->nr_procs)
		qsort(s->procs, s->nr_procs, sizeof(*s->procs), devmem_process_cmp);
	if (s->nr_ranges)
		qsort(s->ranges, s->nr_ranges, sizeof(*s->ranges), cmp_range);
}

/* ---- merging -------------------------------------------------------------- */

int devmem_snapshot_add(struct devmem_snapshot *dst, const struct devmem_snapshot *src)
{
	size_t i;

	devmem_counters_add_seen(&dst->total, dst->mode, &src->total, src->mode);
	devmem_folios_add(&dst->folios, &src->folios);
	hists_add(dst->hist, src->hist);
	for (i = 0; i < DEVMEM_LOST_KINDS; i++)
		dst->lost[i] += src->lost[i];
	for (i = 0; i < DEVMEM_TALLY_KINDS; i++)
		dst->tallies[i] += src->tallies[i];
	dst->recursion_misses += src->recursion_misses;
	dst->interval_ns += src->interval_ns;
	if (src->ts_ns > dst->ts_ns)
		dst->ts_ns = src->ts_ns;
	if (dst->mode == DEVMEM_MODE_NONE)
		dst->mode = src->mode;
	for (i = 0; i < src->nr_devices; i++) {
		const struct devmem_device *s = &src->devices[i];
		struct devmem_device *d = devmem_snapshot_device(dst, s->name);

		if (!d)
			return -ENOMEM;
		devmem_counters_add_seen(&d->c, dst->mode, &s->c, src->mode);
		devmem_folios_add(&d->folios, &s->folios);
		if (s->has_hist) {
			d->has_hist = true;
			hists_add(d->hist, s->hist);
		}
	}
	for (i = 0; i < src->nr_procs; i++) {
		const struct devmem_process *s = &src->procs[i];
		struct devmem_process *p = devmem_snapshot_process(dst, s->tgid, s->start_ns);

		if (!p)
			return -ENOMEM;
		if (!p->comm[0])
			memcpy(p->comm, s->comm, sizeof(p->comm));
		if (s->exit_ns > p->exit_ns)
			p->exit_ns = s->exit_ns;
		p->lost_events += s->lost_events;
		devmem_counters_add_seen(&p->c, dst->mode, &s->c, src->mode);
		if (s->has_hist) {
			p->has_hist = true;
			hists_add(p->hist, s->hist);
		}
	}
	for (i = 0; i < src->nr_ranges; i++) {
		const struct devmem_snap_range *s = &src->ranges[i];
		struct devmem_snap_range *g = devmem_snapshot_range(dst, s->r.gen, s->r.start);

		if (!g)
			return -ENOMEM;
		*g = *s;
		/* in dst, whose mode may see more: what src's could not is unknown */
		devmem_counters_mask(&g->c, src->mode);
	}
	if (!dst->note[0])
		memcpy(dst->note, src->note, sizeof(dst->note));
	if (devmem_thrash_merge(dst, src) || devmem_stacks_merge(dst, src))
		return -ENOMEM;
	return 0;
}

const char *devmem_range_type_name(__u32 type)
{
	return type == DEVMEM_TYPE_PRIVATE ? "private" :
	       type == DEVMEM_TYPE_COHERENT ? "coherent" : "other";
}

const char *devmem_range_state_name(bool removed, bool remove_done)
{
	return !removed ? "live" : remove_done ? "removed" : "removing";
}

__u64 devmem_range_in_use_at_start(const struct devmem_snap_range *r)
{
	if (r->in_use_at_start != DEVMEM_UNKNOWN)
		return r->in_use_at_start;
	/* added while traced: nothing of it was in use before */
	if (r->r.added_ns)
		return 0;
	return DEVMEM_UNKNOWN;
}

__u64 devmem_range_in_use(const struct devmem_snap_range *r)
{
	__u64 base;

	if (r->r.removed_ns)
		return r->r.in_use_at_remove;
	base = devmem_range_in_use_at_start(r);
	if (base == DEVMEM_UNKNOWN)
		return DEVMEM_UNKNOWN;
	return base + r->c.allocs >= r->c.frees ? base + r->c.allocs - r->c.frees : 0;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The snapshots devmemtop's screen-model tests build frames of: processes,
 * devices with pages in use, thrashing pages (test_top_view.c,
 * test_top_marks.c).
 */
#ifndef DEVMEM_TEST_TOP_FIXTURE_H
#define DEVMEM_TEST_TOP_FIXTURE_H

#define GPU0 0xffff888000001000ULL
#define GPU1 0xffff888000002000ULL

static inline void set_proc(struct devmem_snapshot *s, __u32 tgid, const char *comm, __u64 faults,
		     __u64 todev, __u64 toram, __u64 frees)
{
	struct devmem_process *p = devmem_snapshot_process(s, tgid, 1000 + tgid);

	assert_non_null(p);
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->c.faults = faults;
	p->c.pages_to_device = todev;
	p->c.pages_to_ram = toram;
	p->c.frees = frees;
	s->total.faults += faults;
	s->total.pages_to_device += todev;
	s->total.pages_to_ram += toram;
	s->total.frees += frees;
}

static inline void set_counts(struct devmem_snap_range *r, __u64 allocs, __u64 frees, __u64 faults)
{
	r->c.allocs = allocs;
	r->c.frees = frees;
	r->c.faults = faults;
	r->c.pages_to_device = allocs;
	r->c.pages_to_ram = faults;
}

/*
 * cumulative snapshot: gpu0 listed at start with 7 in use, gpu1 added while
 * traced, and a range listed at start whose device has no name of its own
 */
static inline void fill_cum(struct devmem_snapshot *s)
{
	struct devmem_snap_range *r;

	devmem_snapshot_init(s);
	s->ts_ns = 10000000000ULL;
	s->mode = DEVMEM_MODE_TP_BTF;
	set_proc(s, 1001, "alpha", 10, 100, 10, 5);
	set_proc(s, 1002, "bravo", 30, 20, 30, 50);
	set_proc(s, 1003, "charlie", 20, 50, 20, 1);
	set_proc(s, 1004, "idle", 0, 0, 0, 0);
	r = devmem_snapshot_range(s, 1, 0x100000000ULL);
	r->r.end = 0x10fffffffULL;
	r->r.nr_pages = 65536;
	r->r.owner = GPU0;
	r->in_use_at_start = 7;
	r->sources = DEVMEM_RANGE_TRACED | DEVMEM_RANGE_DISCOVERED;
	snprintf(r->name, sizeof(r->name), "gpu0 private");
	set_counts(r, 120, 55, 40);
	r = devmem_snapshot_range(s, 2, 0x200000000ULL);
	r->r.end = 0x21fffffffULL;
	r->r.nr_pages = 131072;
	r->r.owner = GPU1;
	r->r.added_ns = 5;
	r->sources = DEVMEM_RANGE_TRACED;
	snprintf(r->name, sizeof(r->name), "gpu1");
	set_counts(r, 50, 1, 20);
	r = devmem_snapshot_range(s, 0, 0x300000000ULL);
	r->r.end = 0x303ffffffULL;
	r->r.nr_pages = 16384;
	r->in_use_at_start = 3;
	r->sources = DEVMEM_RANGE_DISCOVERED;
	assert_int_equal(devmem_snapshot_group_devices(s), 0);
}

static inline __u64 proc_start(const struct devmem_snapshot *s, __u32 tgid)
{
	for (size_t i = 0; i < s->nr_procs; i++)
		if (s->procs[i].tgid == tgid)
			return s->procs[i].start_ns;
	return 0;
}

static inline const struct top_proc_row *proc(const struct top_frame *f, __u32 tgid)
{
	for (size_t i = 0; i < f->nr_procs; i++)
		if (f->procs[i].tgid == tgid)
			return &f->procs[i];
	return NULL;
}

static inline const struct top_dev_row *dev_by_start(const struct top_frame *f, __u64 start)
{
	for (size_t i = 0; i < f->nr_devs; i++)
		if (f->devs[i].nr_ranges && f->devs[i].start == start)
			return &f->devs[i];
	return NULL;
}

static inline const struct top_dev_row *dev_by_owner(const struct top_frame *f, __u64 owner)
{
	for (size_t i = 0; i < f->nr_devs; i++)
		if (f->devs[i].owner == owner)
			return &f->devs[i];
	return NULL;
}

static inline void build_summary(struct top_frame *f, struct devmem_snapshot *cum,
			  const struct top_filter *flt)
{
	top_frame_init(f);
	f->summary = true;
	assert_int_equal(top_frame_build(f, cum, cum, flt), 0);
}


/*
 * THRASH: alpha has 3 pages that bounced 5 times in the window on gpu0, one
 * that bounced twice; bravo one page 4 times on gpu1. At K 3 that is 3 for
 * alpha, 1 for bravo; at K 4 alpha's 3 only.
 */
static inline void add_thrash(struct devmem_snapshot *s)
{
	static const struct { __u32 tgid; __u64 range; __u32 w; } p[] = {
		{ 1001, 0x100000000ULL, 5 }, { 1001, 0x100000000ULL, 5 },
		{ 1001, 0x100000000ULL, 5 }, { 1001, 0x100000000ULL, 2 },
		{ 1002, 0x200000000ULL, 4 },
	};

	s->thrash_on = true;
	s->thrash_k = 3;
	s->page_size = 4096;
	s->thrash = calloc(5, sizeof(*s->thrash));
	assert_non_null(s->thrash);
	for (size_t i = 0; i < 5; i++) {
		s->thrash[i].tgid = p[i].tgid;
		s->thrash[i].start_ns = proc_start(s, p[i].tgid);
		s->thrash[i].vaddr = 0x10000 + i * 4096;
		s->thrash[i].range = p[i].range;
		s->thrash[i].bounces = s->thrash[i].window_max = p[i].w;
	}
	s->nr_thrash = 5;
	devmem_thrash_sort(s->thrash, s->nr_thrash);
}

#endif /* DEVMEM_TEST_TOP_FIXTURE_H */

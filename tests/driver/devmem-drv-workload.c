// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmem-drv-workload: a deterministic workload for the project's test
 * driver (devmem_testdrv.ko, /dev/devmem_testdrv), in the shapes test_hmm
 * does not have, printing what the kernel must have seen as
 * "expect KEY=VALUE ..." lines.
 *
 * The main process creates two devices:
 *   device 0: pagemap 0 and pagemap 1, one range each (range 0, range 1)
 *   device 1: pagemap 2 with two ranges (range 2, range 3)
 * every range with -R usable pages. P worker processes start together;
 * worker i uses device i % 2 and runs R rounds of
 *   mmap N+i pages, fill them with a known pattern,
 *   migrate them to the device in windows of -w pages, interleaved over the
 *   device's two ranges (page j goes to the device's range j % 2), so every
 *   window of two or more pages takes pages of both ranges (reason
 *   device_fault in even rounds, prefetch in odd ones, where the kernel has
 *   struct migrate_vma's reason);
 *   even rounds: pages whose index has its bit (j % 64) set in the -W mask
 *     waste -c faults each (their migrate_to_ram() collects nothing and
 *     returns early); then every page is read by the CPU, one fault each;
 *   odd rounds: the allocation of the pages picked by the -f mask fails; the
 *     pages are migrated back with the driver's MIGRATE_TO_RAM ioctl, in
 *     windows of -w pages (a window with no page on the device collects
 *     nothing), reason evict;
 *   verify the pattern, munmap.
 * Then (unless --no-fail-all) it migrates one more range with every
 * allocation failing (reason prefetch), and (unless --no-last) one that it
 * unmaps untouched, so munmap frees the device pages (reason left unset:
 * unknown). The CPU faults leave it unset too: the kernel reports them as
 * cpu_fault.
 * When the workers are done the main process holds -H pages of pagemap 1
 * and removes it with their release due -T ms later (memunmap_pages() waits
 * for them: in use at remove, freed by a kernel worker), holds 4 pages of
 * pagemap 0 and releases them at once, and removes pagemaps 0 and 2.
 *
 * Each expect line is computed from what the workload did; "driver" lines
 * are the driver's own counters. The ioctls' results are compared with the
 * same model, and a difference is an error. Migrations are also counted per
 * reason: starts (every migrate_vma_setup() that succeeds), ends (those that
 * collected pages: the kernel's zone_device_migrate_end) and pages migrated.
 *
 * --evict and --bogus-add run one scenario each instead; --big runs a device
 * of --big-gib GiB (64 by default) with PAGES pages in use when its pagemap is
 * removed, every one of them evicted by the remove.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "devmem_testdrv.h"

#define MAX_PROCS	64
#define NDEVS		2
#define NPAGEMAPS	3
#define NRANGES		4
#define HOLD_NOW	4	/* pages held and released at once (pagemap 0) */
#define NREASONS	7	/* enum migrate_device_reason */
#define DEV_PATH	"/dev/" DEVMEM_TD_NAME

static const char *prog = "devmem-drv-workload";
static long page_size;

/* The layout: the device of each pagemap, the pagemap of each range, and
 * device d's local range k as a range number.
 */
static const int pagemap_dev[NPAGEMAPS] = { 0, 0, 1 };
static const int pagemap_nr_range[NPAGEMAPS] = { 1, 1, 2 };
static const int range_pagemap[NRANGES] = { 0, 1, 2, 2 };
static const int dev_range[NDEVS][2] = { { 0, 1 }, { 2, 3 } };

struct opts {
	unsigned int procs, rounds, window, waste, hold, hold_ms;
	unsigned long pages, range_pages;
	uint64_t fail_mask, waste_mask;
	int fail_all, last, verbose;
	unsigned int bogus_add;	/* --bogus-add N: only a pagemap add that fails */
	unsigned int evict;	/* --evict N: only N pages evicted by a remove */
	unsigned long big;	/* --big N: N pages of a --big-gib device evicted */
	unsigned long bench;	/* --bench N: N allocations and frees, timed */
	unsigned int big_gib, whole;
};

/* enum migrate_device_reason, as the zone_device events print it */
enum { R_UNKNOWN, R_CPU_FAULT, R_DEV_FAULT, R_PREFETCH, R_EVICT, R_REMOVE, R_PIN };
static const char *const reason_name[NREASONS] = {
	"unknown", "cpu_fault", "device_fault", "prefetch", "evict", "remove", "longterm_pin",
};

/* What one process, device, pagemap or range makes the kernel count. */
struct counts {
	unsigned long long allocs, frees, alloc_failures;
	unsigned long long pages_to_device, pages_collected_to_device;
	unsigned long long pages_to_ram, faults, faults_wasted, fault_calls;
	unsigned long long migrate_to_device_calls, migrate_to_ram_calls;
	unsigned long long setup_calls, pages_calls, finalize_calls, spanning;
	/* per reason: migrations started, ended (collected pages), pages migrated */
	unsigned long long starts[NREASONS], ends[NREASONS], reason_pages[NREASONS];
};

static void add(struct counts *a, const struct counts *b)
{
	a->allocs += b->allocs;
	a->frees += b->frees;
	a->alloc_failures += b->alloc_failures;
	a->pages_to_device += b->pages_to_device;
	a->pages_collected_to_device += b->pages_collected_to_device;
	a->pages_to_ram += b->pages_to_ram;
	a->faults += b->faults;
	a->faults_wasted += b->faults_wasted;
	a->fault_calls += b->fault_calls;
	a->migrate_to_device_calls += b->migrate_to_device_calls;
	a->migrate_to_ram_calls += b->migrate_to_ram_calls;
	a->setup_calls += b->setup_calls;
	a->pages_calls += b->pages_calls;
	a->finalize_calls += b->finalize_calls;
	a->spanning += b->spanning;
	for (int k = 0; k < NREASONS; k++) {
		a->starts[k] += b->starts[k];
		a->ends[k] += b->ends[k];
		a->reason_pages[k] += b->reason_pages[k];
	}
}

/* Per worker: its own counts and, per range, allocs and frees. */
struct model {
	struct counts c;
	unsigned long long range_allocs[NRANGES], range_frees[NRANGES];
};

static int mask_bit(uint64_t mask, unsigned long j)
{
	return (mask >> (j % 64)) & 1;
}

/*
 * Model one migration of pages 0..n-1 to device d with the given fail mask,
 * in windows of w pages; on_dev[j] says where page j ended up.
 */
static void model_to_dev(struct model *m, int d, unsigned long n, unsigned long w,
			 uint64_t fail, unsigned int reason, unsigned char *on_dev)
{
	unsigned long s, j;

	for (s = 0; s < n; s += w) {
		unsigned long e = s + w < n ? s + w : n;
		int seen[2] = { 0, 0 };

		m->c.setup_calls++;
		m->c.pages_calls++;
		m->c.finalize_calls++;
		m->c.migrate_to_device_calls++;
		m->c.starts[reason]++;
		m->c.ends[reason]++;
		for (j = s; j < e; j++) {
			m->c.pages_collected_to_device++;
			on_dev[j] = !mask_bit(fail, j);
			if (!on_dev[j]) {
				m->c.alloc_failures++;
				continue;
			}
			m->c.allocs++;
			m->c.pages_to_device++;
			m->c.reason_pages[reason]++;
			m->range_allocs[dev_range[d][j % 2]]++;
			seen[j % 2] = 1;
		}
		if (seen[0] && seen[1])
			m->c.spanning++;
	}
}

/* Model migrating back to RAM with the ioctl, windows of w pages. */
static void model_to_ram_ioctl(struct model *m, int d, unsigned long n, unsigned long w,
			       const unsigned char *on_dev)
{
	unsigned long s, j;

	for (s = 0; s < n; s += w) {
		unsigned long e = s + w < n ? s + w : n, moved = 0;
		int seen[2] = { 0, 0 };

		m->c.setup_calls++;
		m->c.starts[R_EVICT]++;
		for (j = s; j < e; j++) {
			if (!on_dev[j])
				continue;
			moved++;
			seen[j % 2] = 1;
			m->range_frees[dev_range[d][j % 2]]++;
		}
		if (!moved)
			continue;	/* collected nothing: no pages, no finalize */
		m->c.pages_calls++;
		m->c.finalize_calls++;
		m->c.migrate_to_ram_calls++;
		m->c.ends[R_EVICT]++;
		m->c.reason_pages[R_EVICT] += moved;
		m->c.pages_to_ram += moved;
		m->c.frees += moved;
		if (seen[0] && seen[1])
			m->c.spanning++;
	}
}

/* Model the CPU touching every page: one fault per page on the device. */
static void model_touch(struct model *m, int d, unsigned long n, const unsigned char *on_dev,
			uint64_t waste_mask, unsigned int waste)
{
	unsigned long j;

	for (j = 0; j < n; j++) {
		unsigned int wasted = mask_bit(waste_mask, j) ? waste : 0;

		if (!on_dev[j])
			continue;
		m->c.fault_calls += wasted + 1;
		m->c.faults_wasted += wasted;
		m->c.setup_calls += wasted + 1;
		m->c.starts[R_CPU_FAULT] += wasted + 1;
		m->c.ends[R_CPU_FAULT]++;
		m->c.reason_pages[R_CPU_FAULT]++;
		m->c.faults++;
		m->c.pages_calls++;
		m->c.finalize_calls++;
		m->c.migrate_to_ram_calls++;
		m->c.pages_to_ram++;
		m->c.frees++;
		m->range_frees[dev_range[d][j % 2]]++;
	}
}

static void model_worker(const struct opts *o, unsigned int i, struct model *m)
{
	unsigned long n = o->pages + i, j;
	unsigned char *on_dev = calloc(n, 1);
	int d = i % NDEVS;
	unsigned int r;

	if (!on_dev) {
		fprintf(stderr, "%s: out of memory.\n", prog);
		exit(1);
	}
	memset(m, 0, sizeof(*m));
	for (r = 0; r < o->rounds; r++) {
		int odd = r % 2;

		model_to_dev(m, d, n, o->window, odd ? o->fail_mask : 0,
			     odd ? R_PREFETCH : R_DEV_FAULT, on_dev);
		if (odd)
			model_to_ram_ioctl(m, d, n, o->window, on_dev);
		else
			model_touch(m, d, n, on_dev, o->waste_mask, o->waste);
	}
	if (o->fail_all)
		model_to_dev(m, d, n, o->window, ~0ULL, R_PREFETCH, on_dev);
	if (o->last) {
		model_to_dev(m, d, n, o->window, 0, R_UNKNOWN, on_dev);
		for (j = 0; j < n; j++) {	/* munmap frees them */
			m->c.frees++;
			m->range_frees[dev_range[d][j % 2]]++;
		}
	}
	free(on_dev);
}

/* ---- the run ---- */

#define die(...) do {							\
	fprintf(stderr, "%s: ", prog);					\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	exit(1);							\
} while (0)

#define child_fail(...) do {						\
	fprintf(stderr, "%s: ", prog);					\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	_exit(1);							\
} while (0)

static inline uint64_t pattern(unsigned int i, unsigned int r, unsigned long pg, unsigned long w)
{
	uint64_t x = ((uint64_t)(i + 1) << 48) ^ ((uint64_t)(r + 1) << 32) ^
		     ((uint64_t)pg << 12) ^ w;

	return x * 0x9E3779B97F4A7C15ULL;
}

static void fill(uint64_t *mem, unsigned long n, unsigned int i, unsigned int r)
{
	unsigned long words = page_size / sizeof(uint64_t), pg, w;

	for (pg = 0; pg < n; pg++)
		for (w = 0; w < words; w++)
			mem[pg * words + w] = pattern(i, r, pg, w);
}

static long check(const uint64_t *mem, unsigned long n, unsigned int i, unsigned int r)
{
	unsigned long words = page_size / sizeof(uint64_t), pg, w;

	for (pg = 0; pg < n; pg++)
		for (w = 0; w < words; w++)
			if (mem[pg * words + w] != pattern(i, r, pg, w))
				return (long)pg;
	return -1;
}

/* Mismatches between the ioctls' results and the model, from any process. */
static int mismatch_fd = -1;

static void mismatch(const char *what, unsigned long long got, unsigned long long want)
{
	char buf[256];
	int len;

	len = snprintf(buf, sizeof(buf), "%s: the driver reported %llu, the model expects %llu\n",
		       what, got, want);
	if (len > 0 && write(mismatch_fd, buf, (size_t)len) != len)
		_exit(1);
}

static void migrate(int fd, unsigned long cmd, uint32_t dev, void *mem, unsigned long n,
		    const struct opts *o, uint64_t fail, uint64_t waste_mask, unsigned int waste,
		    unsigned int reason, struct devmem_td_migrate *m, const char *what)
{
	memset(m, 0, sizeof(*m));
	m->reason = reason;
	m->addr = (uintptr_t)mem;
	m->npages = n;
	m->dev = dev;
	m->window = o->window;
	m->placement = DEVMEM_TD_INTERLEAVE;
	m->fail_mask = fail;
	m->waste_mask = waste_mask;
	m->waste = waste;
	if (ioctl(fd, cmd, m) < 0)
		child_fail("%s: %s of %lu pages failed: %s.", what,
			   cmd == DEVMEM_TD_MIGRATE_TO_DEV ? "MIGRATE_TO_DEV" : "MIGRATE_TO_RAM",
			   n, strerror(errno));
}

static void expect_migration(const char *what, const struct devmem_td_migrate *m,
			     const struct model *before, const struct model *after)
{
	char w[128];

	snprintf(w, sizeof(w), "%s: migrate_vma_setup calls", what);
	if (m->calls != after->c.setup_calls - before->c.setup_calls)
		mismatch(w, m->calls, after->c.setup_calls - before->c.setup_calls);
	snprintf(w, sizeof(w), "%s: allocation failures", what);
	if (m->alloc_failures != after->c.alloc_failures - before->c.alloc_failures)
		mismatch(w, m->alloc_failures, after->c.alloc_failures - before->c.alloc_failures);
	snprintf(w, sizeof(w), "%s: pages migrated", what);
	if (m->migrated != after->c.pages_to_device + after->c.pages_to_ram -
			   before->c.pages_to_device - before->c.pages_to_ram)
		mismatch(w, m->migrated, after->c.pages_to_device + after->c.pages_to_ram -
			 before->c.pages_to_device - before->c.pages_to_ram);
	snprintf(w, sizeof(w), "%s: windows spanning two ranges", what);
	if (m->spanning != after->c.spanning - before->c.spanning)
		mismatch(w, m->spanning, after->c.spanning - before->c.spanning);
}

static void worker(const struct opts *o, unsigned int i, int fd, const uint32_t *devs,
		   int start_fd)
{
	unsigned long n = o->pages + i, words = page_size / sizeof(uint64_t), j;
	unsigned char *on_dev = calloc(n, 1);
	size_t size = n * page_size;
	struct devmem_td_migrate m;
	int d = i % NDEVS;
	struct model cur, prev;
	unsigned int r;
	uint64_t *mem;
	char c, what[64];
	long bad;

	if (!on_dev)
		child_fail("worker %u: out of memory.", i);
	memset(&cur, 0, sizeof(cur));
	while (read(start_fd, &c, 1) < 0 && errno == EINTR)
		;

	for (r = 0; r < o->rounds + 2; r++) {
		int odd = r % 2, extra = r >= o->rounds;
		uint64_t fail = !extra && odd ? o->fail_mask : 0;
		unsigned int reason = extra ? R_PREFETCH : odd ? R_PREFETCH : R_DEV_FAULT;

		if (r == o->rounds && !o->fail_all)
			continue;
		if (r == o->rounds + 1 && !o->last)
			continue;
		if (r == o->rounds)
			fail = ~0ULL;
		if (r == o->rounds + 1)
			reason = R_UNKNOWN;
		snprintf(what, sizeof(what), "worker %u %s %u", i, extra ? "extra" : "round", r);
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			child_fail("%s: mmap of %lu pages failed: %s.", what, n, strerror(errno));
		madvise(mem, size, MADV_NOHUGEPAGE);
		fill(mem, n, i, r);

		prev = cur;
		model_to_dev(&cur, d, n, o->window, fail, reason, on_dev);
		migrate(fd, DEVMEM_TD_MIGRATE_TO_DEV, devs[d], mem, n, o, fail,
			!extra && !odd ? o->waste_mask : 0, o->waste, reason, &m, what);
		expect_migration(what, &m, &prev, &cur);

		if (r == o->rounds + 1) {
			/* Untouched: munmap frees the device pages. */
		} else if (extra) {
			/* Every allocation failed: nothing is on the device. */
		} else if (odd) {
			prev = cur;
			model_to_ram_ioctl(&cur, d, n, o->window, on_dev);
			migrate(fd, DEVMEM_TD_MIGRATE_TO_RAM, devs[d], mem, n, o, 0, 0, 0, R_EVICT,
				&m, what);
			expect_migration(what, &m, &prev, &cur);
			if (m.empty_calls != (m.calls - (cur.c.pages_calls - prev.c.pages_calls)))
				mismatch("empty MIGRATE_TO_RAM windows", m.empty_calls,
					 m.calls - (cur.c.pages_calls - prev.c.pages_calls));
		} else {
			volatile uint64_t *v = mem;

			for (j = 0; j < n; j++)
				(void)v[j * words];
		}
		if (r != o->rounds + 1) {
			bad = check(mem, n, i, r);
			if (bad >= 0)
				child_fail("%s: page %ld does not hold its pattern after the migrations.",
					   what, bad);
		}
		if (munmap(mem, size) < 0)
			child_fail("%s: munmap failed: %s.", what, strerror(errno));
		if (o->verbose)
			fprintf(stderr, "%s: %s done\n", prog, what);
	}
	free(on_dev);
	_exit(0);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * --bogus-add: one device, one pagemap add that memremap_pages() refuses
 * (its last range beyond the hotpluggable physical space), then nothing.
 */
static int bogus_add(int fd, unsigned int nr_range)
{
	struct devmem_td_dev dev = { 0 };
	struct devmem_td_pagemap pm = { 0 };
	int rc, err;

	if (ioctl(fd, DEVMEM_TD_CREATE_DEV, &dev) < 0)
		die("DEVMEM_TD_CREATE_DEV failed: %s.", strerror(errno));
	pm.dev = dev.dev;
	pm.nr_range = nr_range;
	pm.npages = 16;
	pm.flags = DEVMEM_TD_BOGUS;
	rc = ioctl(fd, DEVMEM_TD_ADD_PAGEMAP, &pm);
	err = rc < 0 ? errno : 0;
	if (ioctl(fd, DEVMEM_TD_DESTROY_DEV, &dev) < 0)
		die("DEVMEM_TD_DESTROY_DEV failed: %s.", strerror(errno));
	if (err != EINVAL)
		die("the bogus pagemap add returned %d (%s), not EINVAL.", rc,
		    err ? strerror(err) : "success");
	printf("expect bogus_add_errno=%d bogus_add_ranges=%u pagemaps_added=0 pagemaps_removed=0\n",
	       err, nr_range);
	return 0;
}

/*
 * --evict: N pages of one mapping migrated to a one-range pagemap in one
 * window, then the pagemap removed while they are still mapped: the driver
 * evicts them one by one, and the data must be intact.
 */
static int evict(int fd, unsigned int npages, int whole)
{
	struct devmem_td_dev dev = { 0 };
	struct devmem_td_pagemap pm = { 0 };
	struct devmem_td_migrate m = { 0 };
	struct devmem_td_remove rm = { 0 };
	size_t len = (size_t)npages * page_size;
	unsigned char *p;
	unsigned int i;

	if (ioctl(fd, DEVMEM_TD_CREATE_DEV, &dev) < 0)
		die("DEVMEM_TD_CREATE_DEV failed: %s.", strerror(errno));
	pm.dev = dev.dev;
	pm.nr_range = 1;
	pm.npages = npages;
	if (ioctl(fd, DEVMEM_TD_ADD_PAGEMAP, &pm) < 0)
		die("DEVMEM_TD_ADD_PAGEMAP failed: %s.", strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap of %zu bytes failed: %s.", len, strerror(errno));
	for (i = 0; i < npages; i++)
		memset(p + (size_t)i * page_size, 0x5a ^ i, page_size);
	m.addr = (uintptr_t)p;
	m.npages = npages;
	m.dev = dev.dev;
	m.window = npages;
	if (ioctl(fd, DEVMEM_TD_MIGRATE_TO_DEV, &m) < 0)
		die("DEVMEM_TD_MIGRATE_TO_DEV failed: %s.", strerror(errno));
	if (m.migrated != npages)
		die("%llu of %u pages reached the device.", (unsigned long long)m.migrated, npages);
	rm.pagemap = pm.pagemap;
	rm.flags = whole ? DEVMEM_TD_EVICT_WHOLE : 0;
	if (ioctl(fd, DEVMEM_TD_REMOVE_PAGEMAP, &rm) < 0)
		die("DEVMEM_TD_REMOVE_PAGEMAP failed: %s.", strerror(errno));
	for (i = 0; i < npages; i++)
		if (p[(size_t)i * page_size] != (unsigned char)(0x5a ^ i))
			die("page %u lost its data in the eviction.", i);
	munmap(p, len);
	if (ioctl(fd, DEVMEM_TD_DESTROY_DEV, &dev) < 0)
		die("DEVMEM_TD_DESTROY_DEV failed: %s.", strerror(errno));
	/*
	 * The pool evicts in one migrate_device_pfns() call per 512 pages in
	 * use, reason remove; the driver's own eviction (no pool, or --whole)
	 * in one migrate_device_range() call per run of pages in use, or over
	 * the whole range, reason evict.
	 */
	printf("expect evicted=%u driver_evicted=%u in_use_after_evict=%u helper=%u whole=%d evict_reason=%s pages_to_device=%u migrate_to_device_calls=1\n",
	       npages, rm.evicted, rm.in_use, pm.helper, whole,
	       pm.helper && !whole ? "remove" : "evict", npages);
	return 0;
}

/*
 * --big: a DEVMEM_TD_SPARSE pagemap of --big-gib GiB, N pages of one mapping
 * migrated to it, then the pagemap removed while they are mapped: the remove
 * evicts all of them, the data must be intact.
 */
static int big(int fd, unsigned long npages, unsigned int gib, int whole)
{
	unsigned long range_pages = ((unsigned long)gib << 30) / page_size, i;
	struct devmem_td_dev dev = { 0 };
	struct devmem_td_pagemap pm = { 0 };
	struct devmem_td_migrate m = { 0 };
	struct devmem_td_remove rm = { 0 };
	size_t len = npages * page_size;
	double t0, t1;
	uint64_t *p;

	if (range_pages > DEVMEM_TD_MAX_SPARSE || npages > range_pages)
		die("--big-gib %u is more than a sparse range takes, or fewer pages than --big.", gib);
	if (ioctl(fd, DEVMEM_TD_CREATE_DEV, &dev) < 0)
		die("DEVMEM_TD_CREATE_DEV failed: %s.", strerror(errno));
	pm.dev = dev.dev;
	pm.nr_range = 1;
	pm.npages = range_pages;
	pm.flags = DEVMEM_TD_SPARSE;
	if (ioctl(fd, DEVMEM_TD_ADD_PAGEMAP, &pm) < 0)
		die("DEVMEM_TD_ADD_PAGEMAP of %lu pages (%u GiB) failed: %s; the guest needs about 1/64 of that in RAM for the struct pages (DEVMEM_MEM).",
		    range_pages, gib, strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap of %zu bytes failed: %s.", len, strerror(errno));
	madvise(p, len, MADV_NOHUGEPAGE);
	for (i = 0; i < npages; i++)
		p[i * (page_size / sizeof(*p))] = 0xb16ULL << 40 | i;
	m.addr = (uintptr_t)p;
	m.npages = npages;
	m.dev = dev.dev;
	m.window = DEVMEM_TD_MAX_WINDOW;
	m.reason = R_PREFETCH;
	if (ioctl(fd, DEVMEM_TD_MIGRATE_TO_DEV, &m) < 0)
		die("DEVMEM_TD_MIGRATE_TO_DEV of %lu pages failed: %s.", npages, strerror(errno));
	if (m.migrated != npages)
		die("%llu of %lu pages reached the device.", (unsigned long long)m.migrated, npages);
	rm.pagemap = pm.pagemap;
	rm.flags = whole ? DEVMEM_TD_EVICT_WHOLE : 0;
	t0 = now_ms();
	if (ioctl(fd, DEVMEM_TD_REMOVE_PAGEMAP, &rm) < 0)
		die("DEVMEM_TD_REMOVE_PAGEMAP failed: %s.", strerror(errno));
	t1 = now_ms();
	for (i = 0; i < npages; i++)
		if (p[i * (page_size / sizeof(*p))] != (0xb16ULL << 40 | i))
			die("page %lu lost its data in the eviction.", i);
	munmap(p, len);
	if (ioctl(fd, DEVMEM_TD_DESTROY_DEV, &dev) < 0)
		die("DEVMEM_TD_DESTROY_DEV failed: %s.", strerror(errno));
	printf("remove big_gib=%u remove_ms=%.1f driver_wait_ms=%.1f\n", gib, t1 - t0,
	       rm.wait_ns / 1e6);
	printf("expect big_pages=%lu big_range_pages=%lu evicted=%lu driver_evicted=%u in_use_after_evict=%u helper=%u whole=%d evict_reason=%s migrate_to_device_calls=%lu\n",
	       npages, range_pages, npages, rm.evicted, rm.in_use, pm.helper, whole,
	       pm.helper && !whole ? "remove" : "evict",
	       (npages + DEVMEM_TD_MAX_WINDOW - 1) / DEVMEM_TD_MAX_WINDOW);
	return 0;
}

/*
 * --bench: one device, one pagemap, N pages handed out and freed one at a
 * time by the driver, timed in the kernel: ns per allocation and free.
 */
static int bench(int fd, unsigned long n, int direct)
{
	struct devmem_td_dev dev = { 0 };
	struct devmem_td_pagemap pm = { 0 };
	struct devmem_td_bench b = { 0 };

	if (ioctl(fd, DEVMEM_TD_CREATE_DEV, &dev) < 0)
		die("DEVMEM_TD_CREATE_DEV failed: %s.", strerror(errno));
	pm.dev = dev.dev;
	pm.nr_range = 1;
	pm.npages = 512;
	pm.flags = direct ? DEVMEM_TD_DIRECT : 0;
	if (ioctl(fd, DEVMEM_TD_ADD_PAGEMAP, &pm) < 0)
		die("DEVMEM_TD_ADD_PAGEMAP failed: %s.", strerror(errno));
	b.pagemap = pm.pagemap;
	b.iterations = n;
	if (ioctl(fd, DEVMEM_TD_BENCH, &b) < 0)
		die("DEVMEM_TD_BENCH failed: %s.", strerror(errno));
	printf("bench iterations=%lu helper=%u ns=%llu ns_per_alloc_free=%.1f\n", n, pm.helper,
	       (unsigned long long)b.ns, (double)b.ns / n);

	/* Then n / 512 migrations of 512 pages to the device and back, timed. */
	{
		unsigned long rounds = n / 512 ? n / 512 : 1, r;
		size_t len = 512 * page_size;
		struct devmem_td_migrate m;
		double t0, t1;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			die("mmap failed: %s.", strerror(errno));
		madvise(p, len, MADV_NOHUGEPAGE);
		memset(p, 0x3c, len);
		t0 = now_ms();
		for (r = 0; r < rounds; r++) {
			unsigned long cmd;

			for (cmd = 0; cmd < 2; cmd++) {
				memset(&m, 0, sizeof(m));
				m.addr = (uintptr_t)p;
				m.npages = 512;
				m.dev = dev.dev;
				m.window = 512;
				m.reason = R_PREFETCH;
				if (ioctl(fd, cmd ? DEVMEM_TD_MIGRATE_TO_RAM : DEVMEM_TD_MIGRATE_TO_DEV,
					  &m) < 0 || m.migrated != 512)
					die("the bench's migration %lu failed: %s.", r, strerror(errno));
			}
		}
		t1 = now_ms();
		munmap(p, len);
		printf("bench migrations=%lu pages=%lu ns_per_page_moved=%.1f\n", 2 * rounds,
		       2 * rounds * 512, (t1 - t0) * 1e6 / (2.0 * rounds * 512));
	}
	if (ioctl(fd, DEVMEM_TD_DESTROY_DEV, &dev) < 0)
		die("DEVMEM_TD_DESTROY_DEV failed: %s.", strerror(errno));
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [-p PROCS] [-r ROUNDS] [-n PAGES] [-w WINDOW] [-f MASK] [-W MASK]\n"
"       [-c COUNT] [-H PAGES] [-T MS] [-R PAGES] [--no-fail-all] [--no-last] [-v]\n"
"\n"
"Drive devmem_testdrv deterministically and print what the kernel must have\n"
"seen, as 'expect KEY=VALUE' lines, and the driver's own counters.\n"
"\n"
"  -p PROCS     worker processes, worker i on device i %% 2 (default 2, at most %d)\n"
"  -r ROUNDS    rounds per worker (default 4)\n"
"  -n PAGES     pages per range; worker i maps PAGES+i (default 40)\n"
"  -w WINDOW    pages per migrate_vma call, 1 to %d (default 16)\n"
"  -f MASK      odd rounds: allocations that fail, bit j %% 64 for page j\n"
"               (default 0x8888888888888888: every fourth page)\n"
"  -W MASK      even rounds: pages that waste faults (default 0x0101010101010101)\n"
"  -c COUNT     faults each such page wastes (default 2)\n"
"  -H PAGES     pages held while pagemap 1 is removed (default 8)\n"
"  -T MS        their release, this long after the remove began (default 1000)\n"
"  -R PAGES     usable pages per range (default 1024)\n"
"  --no-fail-all  skip the migration whose every allocation fails\n"
"  --no-last    skip the range unmapped while on the device\n"
"  --evict N    only migrate N pages to a device and remove its pagemap while\n"
"               they are mapped: the remove evicts them\n"
"  --big N      only migrate N pages to a sparse device of --big-gib GiB and\n"
"               remove its pagemap while they are mapped: the remove evicts them\n"
"  --big-gib G  the size of the --big device (default 64; its struct pages take\n"
"               G/64 GiB of the guest's RAM)\n"
"  --whole      --evict, --big: the driver evicts with one migrate_device_range()\n"
"               over the whole range, not the pages in use; --bench: the\n"
"               driver's own allocator (memremap_pages()), not the pool\n"
"  --bench N    only hand a device page out and free it N times, timed\n"
"  --bogus-add N  only add a pagemap of N ranges whose last one lies beyond the\n"
"               hotpluggable physical space: memremap_pages() must fail (EINVAL)\n"
"  -v           progress on stderr\n"
"\n"
"Requires the test driver: insmod devmem_testdrv.ko (tests/driver/build.sh builds it).\n",
		prog, MAX_PROCS, DEVMEM_TD_MAX_WINDOW);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_NO_FAIL_ALL = 256, OPT_NO_LAST, OPT_BOGUS_ADD, OPT_EVICT, OPT_BIG, OPT_BIG_GIB,
	       OPT_WHOLE, OPT_BENCH };
	static const struct option longopts[] = {
		{ "no-fail-all", no_argument, NULL, OPT_NO_FAIL_ALL },
		{ "no-last", no_argument, NULL, OPT_NO_LAST },
		{ "bogus-add", required_argument, NULL, OPT_BOGUS_ADD },
		{ "evict", required_argument, NULL, OPT_EVICT },
		{ "big", required_argument, NULL, OPT_BIG },
		{ "big-gib", required_argument, NULL, OPT_BIG_GIB },
		{ "whole", no_argument, NULL, OPT_WHOLE },
		{ "bench", required_argument, NULL, OPT_BENCH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "p:r:n:w:f:W:c:H:T:R:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_ulong(optarg, 1, MAX_PROCS, &v))
				die("-p wants a process count from 1 to %d, not '%s'.", MAX_PROCS, optarg);
			o->procs = v;
			break;
		case 'r':
			if (parse_ulong(optarg, 0, 100000, &v))
				die("-r wants a round count from 0 to 100000, not '%s'.", optarg);
			o->rounds = v;
			break;
		case 'n':
			if (parse_ulong(optarg, 1, DEVMEM_TD_MAX_PAGES, &v))
				die("-n wants a page count from 1 to %d, not '%s'.",
				    DEVMEM_TD_MAX_PAGES, optarg);
			o->pages = v;
			break;
		case 'w':
			if (parse_ulong(optarg, 1, DEVMEM_TD_MAX_WINDOW, &v))
				die("-w wants a window from 1 to %d pages, not '%s'.",
				    DEVMEM_TD_MAX_WINDOW, optarg);
			o->window = v;
			break;
		case 'f':
		case 'W':
			errno = 0;
			{
				char *end;
				unsigned long long m = strtoull(optarg, &end, 0);

				if (errno || end == optarg || *end || *optarg == '-')
					die("-%c wants a 64-bit mask such as 0x8888888888888888, not '%s'.",
					    c, optarg);
				if (c == 'f')
					o->fail_mask = m;
				else
					o->waste_mask = m;
			}
			break;
		case 'c':
			if (parse_ulong(optarg, 0, 1000, &v))
				die("-c wants a count from 0 to 1000, not '%s'.", optarg);
			o->waste = v;
			break;
		case 'H':
			if (parse_ulong(optarg, 0, DEVMEM_TD_MAX_PAGES, &v))
				die("-H wants a page count from 0 to %d, not '%s'.",
				    DEVMEM_TD_MAX_PAGES, optarg);
			o->hold = v;
			break;
		case 'T':
			if (parse_ulong(optarg, 1, 600000, &v))
				die("-T wants milliseconds from 1 to 600000, not '%s'.", optarg);
			o->hold_ms = v;
			break;
		case 'R':
			if (parse_ulong(optarg, 1, DEVMEM_TD_MAX_PAGES, &v))
				die("-R wants a page count from 1 to %d, not '%s'.",
				    DEVMEM_TD_MAX_PAGES, optarg);
			o->range_pages = v;
			break;
		case OPT_NO_FAIL_ALL:
			o->fail_all = 0;
			break;
		case OPT_NO_LAST:
			o->last = 0;
			break;
		case OPT_BOGUS_ADD:
			if (parse_ulong(optarg, 1, DEVMEM_TD_MAX_RANGES, &v))
				die("--bogus-add wants a range count from 1 to %d, not '%s'.",
				    DEVMEM_TD_MAX_RANGES, optarg);
			o->bogus_add = v;
			break;
		case OPT_EVICT:
			if (parse_ulong(optarg, 1, DEVMEM_TD_MAX_WINDOW, &v))
				die("--evict wants a page count from 1 to %d, not '%s'.",
				    DEVMEM_TD_MAX_WINDOW, optarg);
			o->evict = v;
			break;
		case OPT_BIG:
			if (parse_ulong(optarg, 1, 1UL << 20, &v))
				die("--big wants a page count from 1 to %lu, not '%s'.", 1UL << 20, optarg);
			o->big = v;
			break;
		case OPT_BIG_GIB:
			if (parse_ulong(optarg, 1, 256, &v))
				die("--big-gib wants GiB from 1 to 256, not '%s'.", optarg);
			o->big_gib = v;
			break;
		case OPT_WHOLE:
			o->whole = 1;
			break;
		case OPT_BENCH:
			if (parse_ulong(optarg, 1, 100000000, &v))
				die("--bench wants a count from 1 to 100000000, not '%s'.", optarg);
			o->bench = v;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'; see %s -h.\n", prog, argv[optind], prog);
		exit(2);
	}
}

static void print_counts(const char *prefix, const struct counts *c)
{
	int k;

	printf("expect %sallocs=%llu frees=%llu alloc_failures=%llu pages_to_device=%llu pages_collected_to_device=%llu pages_to_ram=%llu faults=%llu faults_wasted=%llu fault_calls=%llu migrate_to_device_calls=%llu migrate_to_ram_calls=%llu migrate_vma_setup_calls=%llu migrate_vma_pages_calls=%llu migrate_vma_finalize_calls=%llu windows_spanning_ranges=%llu\n",
	       prefix, c->allocs, c->frees, c->alloc_failures, c->pages_to_device,
	       c->pages_collected_to_device, c->pages_to_ram, c->faults, c->faults_wasted,
	       c->fault_calls, c->migrate_to_device_calls, c->migrate_to_ram_calls,
	       c->setup_calls, c->pages_calls, c->finalize_calls, c->spanning);
	printf("expect %smigrate_reasons=1", prefix);
	for (k = 0; k < NREASONS; k++)
		printf(" starts_%s=%llu ends_%s=%llu pages_%s=%llu", reason_name[k], c->starts[k],
		       reason_name[k], c->ends[k], reason_name[k], c->reason_pages[k]);
	printf("\n");
}

static void print_driver(int fd, const char *prefix, uint32_t dev)
{
	struct devmem_td_counts c;

	memset(&c, 0, sizeof(c));
	c.dev = dev;
	if (ioctl(fd, DEVMEM_TD_COUNTS, &c) < 0)
		die("DEVMEM_TD_COUNTS failed: %s.", strerror(errno));
	printf("driver %sallocs=%llu frees=%llu alloc_failures=%llu pages_to_device=%llu pages_to_ram=%llu fault_calls=%llu faults_wasted=%llu evicted=%llu in_use=%llu held=%llu\n",
	       prefix, (unsigned long long)c.allocs, (unsigned long long)c.frees,
	       (unsigned long long)c.alloc_failures, (unsigned long long)c.pages_to_device,
	       (unsigned long long)c.pages_to_ram, (unsigned long long)c.fault_calls,
	       (unsigned long long)c.faults_wasted, (unsigned long long)c.evicted,
	       (unsigned long long)c.in_use, (unsigned long long)c.held);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.procs = 2, .rounds = 4, .pages = 40, .window = 16, .waste = 2, .hold = 8,
		.hold_ms = 1000, .range_pages = 1024, .fail_mask = 0x8888888888888888ULL,
		.waste_mask = 0x0101010101010101ULL, .fail_all = 1, .last = 1, .big_gib = 64,
	};
	struct model models[MAX_PROCS];
	struct counts total = { 0 }, devc[NDEVS], main_c = { 0 };
	unsigned long long pm_allocs[NPAGEMAPS] = { 0 }, pm_frees[NPAGEMAPS] = { 0 };
	unsigned long long r_allocs[NRANGES] = { 0 }, r_frees[NRANGES] = { 0 };
	unsigned long long in_use_at_remove[NPAGEMAPS] = { 0 }, hold_ms[NPAGEMAPS] = { 0 };
	unsigned long long need[NRANGES] = { 0 };
	struct devmem_td_pagemap pms[NPAGEMAPS];
	struct devmem_td_dev devs[NDEVS];
	uint32_t dev_ids[NDEVS];
	pid_t pids[MAX_PROCS];
	int start_pipe[2], mm_pipe[2], fd, failed = 0, k;
	unsigned int i, started = 0;
	char buf[4096];
	ssize_t len;

	page_size = sysconf(_SC_PAGESIZE);
	parse_args(argc, argv, &o);

	/* The model assumes every interleaved page finds room in its range. */
	for (i = 0; i < o.procs; i++) {
		need[dev_range[i % NDEVS][0]] += (o.pages + i + 1) / 2;
		need[dev_range[i % NDEVS][1]] += (o.pages + i) / 2;
	}
	need[1] += o.hold;
	need[0] += HOLD_NOW;
	for (k = 0; k < NRANGES; k++)
		if (need[k] > o.range_pages)
			die("range %d may need %llu pages, more than -R %lu; pass a larger -R.",
			    k, need[k], o.range_pages);

	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("cannot open %s: %s; load the test driver (insmod devmem_testdrv.ko) first.",
		    DEV_PATH, strerror(errno));
	if (o.bogus_add)
		return bogus_add(fd, o.bogus_add);
	if (o.evict)
		return evict(fd, o.evict, o.whole);
	if (o.big)
		return big(fd, o.big, o.big_gib, o.whole);
	if (o.bench)
		return bench(fd, o.bench, o.whole);
	for (k = 0; k < NDEVS; k++) {
		memset(&devs[k], 0, sizeof(devs[k]));
		if (ioctl(fd, DEVMEM_TD_CREATE_DEV, &devs[k]) < 0)
			die("DEVMEM_TD_CREATE_DEV failed: %s.", strerror(errno));
		dev_ids[k] = devs[k].dev;
	}
	for (k = 0; k < NPAGEMAPS; k++) {
		memset(&pms[k], 0, sizeof(pms[k]));
		pms[k].dev = dev_ids[pagemap_dev[k]];
		pms[k].nr_range = pagemap_nr_range[k];
		pms[k].npages = o.range_pages;
		if (ioctl(fd, DEVMEM_TD_ADD_PAGEMAP, &pms[k]) < 0)
			die("DEVMEM_TD_ADD_PAGEMAP of pagemap %d (%d ranges of %lu pages) failed: %s.",
			    k, pagemap_nr_range[k], o.range_pages, strerror(errno));
	}

	if (pipe2(start_pipe, O_CLOEXEC) || pipe2(mm_pipe, O_CLOEXEC))
		die("pipe failed: %s.", strerror(errno));
	mismatch_fd = mm_pipe[1];
	fflush(NULL);
	for (i = 0; i < o.procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "%s: fork of worker %u failed: %s.\n", prog, i, strerror(errno));
			failed = 1;
			break;
		}
		if (pid == 0) {
			close(start_pipe[1]);
			close(mm_pipe[0]);
			worker(&o, i, fd, dev_ids, start_pipe[0]);
		}
		pids[i] = pid;
		started++;
	}
	close(start_pipe[0]);
	close(mm_pipe[1]);
	if (failed)
		for (i = 0; i < started; i++)
			kill(pids[i], SIGKILL);
	close(start_pipe[1]);	/* go */

	for (i = 0; i < started; i++) {
		int status;

		while (waitpid(pids[i], &status, 0) < 0)
			if (errno != EINTR)
				die("waitpid failed: %s.", strerror(errno));
		if (WIFSIGNALED(status)) {
			fprintf(stderr, "%s: worker %u (pid %d) was killed by signal %d (%s).\n",
				prog, i, (int)pids[i], WTERMSIG(status), strsignal(WTERMSIG(status)));
			failed = 1;
		} else if (WEXITSTATUS(status)) {
			failed = 1;
		}
	}
	if (failed)
		die("a worker failed (see above); no expectations are printed.");

	/* The main process: holds, the remove that waits, the other removes. */
	{
		struct devmem_td_hold h;
		struct devmem_td_remove rm;
		double t0, t1;

		memset(&h, 0, sizeof(h));
		h.pagemap = pms[1].pagemap;
		h.npages = o.hold;
		if (o.hold && ioctl(fd, DEVMEM_TD_HOLD, &h) < 0)
			die("DEVMEM_TD_HOLD of %u pages of pagemap 1 failed: %s.", o.hold,
			    strerror(errno));
		memset(&rm, 0, sizeof(rm));
		rm.pagemap = pms[1].pagemap;
		rm.release_ms = o.hold_ms;
		t0 = now_ms();
		if (ioctl(fd, DEVMEM_TD_REMOVE_PAGEMAP, &rm) < 0)
			die("DEVMEM_TD_REMOVE_PAGEMAP of pagemap 1 failed: %s.", strerror(errno));
		t1 = now_ms();
		printf("remove pagemap=1 held=%u release_ms=%u driver_wait_ms=%.1f ioctl_ms=%.1f in_use=%u evicted=%u\n",
		       o.hold, o.hold_ms, rm.wait_ns / 1e6, t1 - t0, rm.in_use, rm.evicted);
		if (rm.in_use != o.hold)
			mismatch("pages in use at the remove of pagemap 1", rm.in_use, o.hold);
		in_use_at_remove[1] = o.hold;
		hold_ms[1] = o.hold ? o.hold_ms : 0;
		main_c.allocs += o.hold;
		pm_allocs[1] += o.hold;
		r_allocs[1] += o.hold;
		pm_frees[1] += o.hold;
		r_frees[1] += o.hold;

		memset(&h, 0, sizeof(h));
		h.pagemap = pms[0].pagemap;
		h.npages = HOLD_NOW;
		if (ioctl(fd, DEVMEM_TD_HOLD, &h) < 0)
			die("DEVMEM_TD_HOLD of %d pages of pagemap 0 failed: %s.", HOLD_NOW,
			    strerror(errno));
		if (h.held != HOLD_NOW)
			mismatch("pages held on pagemap 0", h.held, HOLD_NOW);
		h.delay_ms = 0;
		if (ioctl(fd, DEVMEM_TD_RELEASE, &h) < 0)
			die("DEVMEM_TD_RELEASE of pagemap 0 failed: %s.", strerror(errno));
		main_c.allocs += HOLD_NOW;
		main_c.frees += HOLD_NOW;
		pm_allocs[0] += HOLD_NOW;
		pm_frees[0] += HOLD_NOW;
		r_allocs[0] += HOLD_NOW;
		r_frees[0] += HOLD_NOW;

		for (k = 0; k < NPAGEMAPS; k += 2) {
			memset(&rm, 0, sizeof(rm));
			rm.pagemap = pms[k].pagemap;
			if (ioctl(fd, DEVMEM_TD_REMOVE_PAGEMAP, &rm) < 0)
				die("DEVMEM_TD_REMOVE_PAGEMAP of pagemap %d failed: %s.", k,
				    strerror(errno));
			if (rm.in_use || rm.evicted)
				mismatch("pages in use or evicted at a remove without holds",
					 rm.in_use + rm.evicted, 0);
		}
	}

	/* Mismatches the workers found. */
	while ((len = read(mm_pipe[0], buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)len, stderr);
		failed = 1;
	}
	close(mm_pipe[0]);

	printf("workload procs=%u rounds=%u pages=%lu window=%u fail_mask=0x%016" PRIx64
	       " waste_mask=0x%016" PRIx64 " waste=%u hold=%u hold_ms=%u range_pages=%lu fail_all=%d last=%d\n",
	       o.procs, o.rounds, o.pages, o.window, o.fail_mask, o.waste_mask, o.waste, o.hold,
	       o.hold_ms, o.range_pages, o.fail_all, o.last);
	for (k = 0; k < NPAGEMAPS; k++)
		printf("pagemap %d dev=%d ranges=%d helper=%u\n", k, pagemap_dev[k],
		       pagemap_nr_range[k], pms[k].helper);

	memset(devc, 0, sizeof(devc));
	for (i = 0; i < o.procs; i++) {
		char prefix[64];

		model_worker(&o, i, &models[i]);
		snprintf(prefix, sizeof(prefix), "pid=%d dev=%u ", (int)pids[i], i % NDEVS);
		print_counts(prefix, &models[i].c);
		add(&total, &models[i].c);
		add(&devc[i % NDEVS], &models[i].c);
		for (k = 0; k < NRANGES; k++) {
			r_allocs[k] += models[i].range_allocs[k];
			r_frees[k] += models[i].range_frees[k];
			pm_allocs[range_pagemap[k]] += models[i].range_allocs[k];
			pm_frees[range_pagemap[k]] += models[i].range_frees[k];
		}
	}
	{
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "pid=%d ", (int)getpid());
		print_counts(prefix, &main_c);
	}
	/* The main process's pages are device 0's; the held ones are freed by a kernel worker. */
	add(&total, &main_c);
	add(&devc[0], &main_c);
	total.frees += o.hold;
	devc[0].frees += o.hold;
	for (k = 0; k < NDEVS; k++) {
		char prefix[16];

		snprintf(prefix, sizeof(prefix), "dev=%d ", k);
		print_counts(prefix, &devc[k]);
	}
	for (k = 0; k < NPAGEMAPS; k++)
		printf("expect pagemap=%d dev=%d ranges=%d allocs=%llu frees=%llu in_use_at_remove=%llu hold_ms=%llu\n",
		       k, pagemap_dev[k], pagemap_nr_range[k], pm_allocs[k], pm_frees[k],
		       in_use_at_remove[k], hold_ms[k]);
	for (k = 0; k < NRANGES; k++)
		printf("expect range=%d pagemap=%d allocs=%llu frees=%llu\n", k, range_pagemap[k],
		       r_allocs[k], r_frees[k]);
	print_counts("", &total);
	printf("expect pagemaps_added=%d pagemaps_removed=%d in_use_at_remove=%u hold_ms=%u frees_deferred=%u\n",
	       NPAGEMAPS, NPAGEMAPS, o.hold, o.hold ? o.hold_ms : 0, o.hold);
	for (k = 0; k < NDEVS; k++) {
		char prefix[16];

		snprintf(prefix, sizeof(prefix), "dev=%d ", k);
		print_driver(fd, prefix, dev_ids[k]);
	}
	print_driver(fd, "", DEVMEM_TD_ALL);

	for (k = 0; k < NDEVS; k++)
		if (ioctl(fd, DEVMEM_TD_DESTROY_DEV, &devs[k]) < 0)
			die("DEVMEM_TD_DESTROY_DEV failed: %s.", strerror(errno));
	close(fd);
	if (failed) {
		fprintf(stderr, "%s: the driver's results differ from the model (see above).\n", prog);
		return 1;
	}
	return 0;
}

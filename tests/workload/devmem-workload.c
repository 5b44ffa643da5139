// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmem-workload: a deterministic device-private memory workload for the
 * test_hmm driver (/dev/hmm_dmirror0, /dev/hmm_dmirror1).
 *
 * P processes start together; process i runs R rounds of
 *   mmap N+i anonymous pages, fill them with a known pattern,
 *   migrate all of them to the device (HMM_DMIRROR_MIGRATE_TO_DEV),
 *   touch every page from the CPU (one device-private fault per page, each
 *   migrating exactly that page back to RAM), verify the pattern, munmap.
 * With -L (the default) each process then maps, fills and migrates one more
 * range and unmaps it without touching it, so munmap frees the device pages.
 *
 * With -b B that is done B times in a row, each batch starting once the
 * previous one has exited: B x P short-lived processes, never more than P
 * alive at once.
 *
 * With --bounce N:B each process first maps N more pages once and B times
 * migrates all of them to the device and touches each from the CPU (B
 * faults per page, each moving that page back); with --calm M it maps M
 * more pages and does that once. These mappings stay mapped until the
 * process ends, so the rounds' ranges never reuse their addresses; the
 * rounds and the last range run after them as usual. With --same-va they
 * are at the same virtual addresses in every process.
 *
 * With --sites N1:N2 the first process itself (the one started, before it
 * forks any other) migrates N1+N2 pages of device 0 (1 with -d 1) once and
 * touches N1 of them from fault_site_a() and N2 from fault_site_b(), two
 * functions never inlined or merged, for per-stack fault counts (the
 * binary is built with frame pointers); -c of the tools sees them. With
 * --sites-child a child forked for them does that and exits at once, and
 * the first process waits for it before it starts the others; with
 * --sites-stop it then stops itself (SIGSTOP) until it is continued.
 *
 * With --thp H every range (the rounds' and the last) also has H huge
 * pages: a 2 MiB-aligned MADV_HUGEPAGE mapping that the kernel backs with
 * transparent huge pages (checked with test_hmm's snapshot, and collapsed
 * with MADV_COLLAPSE where it did not), each migrated by one ioctl of 512
 * pages (one PMD). Where test_hmm moves a huge page as one large
 * device-private folio (MIGRATE_VMA_SELECT_COMPOUND), the device maps it
 * by one PMD entry, and the first CPU touch of it is one PMD fault
 * (do_huge_pmd_device_private()) that migrates the whole folio back: to a
 * huge page in RAM, or, where none could be allocated, to 512 base pages,
 * the device folio split first. With --thp-split each huge page's device
 * mapping is split first (MADV_NOHUGEPAGE on its first base page splits
 * the VMA and the PMD), so touching it is 512 small faults, the first of
 * which splits the device folio. What happened to each huge page is read
 * back from test_hmm's snapshot (HMM_DMIRROR_SNAPSHOT): the expectations
 * follow what the kernel did, page by page.
 *
 * --thp first probes, in this process before any other starts, whether a
 * huge page arrives on the device as one folio: it migrates one and
 * touches it back (one PMD fault). Where it does not (kernels without
 * large device-private folios split it into 512 base pages), the run
 * stops with exit status 4 and one sentence saying so; --thp-probe does
 * only that probe.
 *
 * Ranges of base pages are migrated by ioctls of at most 64 pages: test_hmm
 * migrates up to 64 pages per migrate_vma call where it has no large
 * folios, 512 (one page table) where it has, so a piece of 64 is one call
 * on every kernel.
 *
 * At the end it prints one "expect KEY=VALUE ..." line per quantity it
 * caused, for tests that compare them with what the kernel reports. Page
 * counts count pages (a huge page is 512); with --thp the folios are also
 * counted by order (allocs_order0, allocs_order9, ...), and faults split
 * into pmd_faults and small_faults.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lib/test_hmm_uapi.h>

#define MAX_PROCS	1024
#define MAX_BATCHES	100000
#define MAX_PAGES	(1UL << 20)
#define MAX_HUGE	64
/*
 * Pages per migration ioctl of a range of base pages: test_hmm's window
 * per migrate_vma call is 64 pages, or 512 where it migrates huge pages,
 * so each piece is one call.
 */
#define HMM_PIECE_PAGES	64
/* exit status of a --thp run on a kernel without large device folios */
#define EXIT_NO_LARGE_FOLIOS	4

enum dev_mode { DEV_0, DEV_1, DEV_ALT };

struct workload_opts {
	unsigned int procs;
	unsigned int batches;
	unsigned int rounds;
	unsigned long pages;
	enum dev_mode device;
	int write_touch;
	int last;
	int release;
	int verbose;
	unsigned long bounce_pages;	/* --bounce N:B */
	unsigned long bounce_rounds;
	unsigned long calm_pages;	/* --calm M */
	int same_va;			/* --same-va */
	unsigned long site_a, site_b;	/* --sites N1:N2 */
	int sites_child;		/* --sites-child */
	int sites_stop;			/* --sites-stop */
	unsigned long thp;		/* --thp H: huge pages per range */
	int thp_split;			/* --thp-split */
	int thp_probe;			/* --thp-probe */
};

/*
 * What a process made the kernel do, or will have: device pages and folios.
 * Folios are counted by size, [0] base pages, [1] huge pages (order
 * hpage_order).
 */
struct counts {
	unsigned long long pages_to_device;
	unsigned long long migrate_to_device_calls;
	unsigned long long ioctls_to_device;
	unsigned long long pages_to_ram;
	unsigned long long pmd_faults;		/* each brought a whole huge page back */
	unsigned long long small_faults;	/* each brought one base page back */
	unsigned long long allocs;		/* device pages handed out */
	unsigned long long frees;		/* device pages freed */
	unsigned long long unmapped_on_device;	/* pages freed by munmap, never touched */
	unsigned long long alloc_folios[2];
	unsigned long long free_folios[2];
	unsigned long long folios_to_device[2];
	unsigned long long folios_to_ram[2];
	unsigned long long splits;		/* huge device folios split before freed */
};

/*
 * Where process i of a batch put its --bounce and --calm ranges, and what
 * its huge pages did (known only once the kernel did it).
 */
struct proc_report {
	uint64_t bounce_addr;
	uint64_t calm_addr;
	struct counts thp;
};

static const char *prog = "devmem-workload";
static long page_size;
/* base pages in a transparent huge page (one PMD), and its order; 0 without --thp */
static unsigned long hpage_pages;
static unsigned int hpage_order;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [-p PROCS] [-b BATCHES] [-r ROUNDS] [-n PAGES] [-d 0|1|alt] [-w]\n"
"       [-L|--no-last] [--release] [--bounce N:B [--calm M] [--same-va]]\n"
"       [--sites N1:N2 [--sites-child [--sites-stop]]] [--thp H [--thp-split]]\n"
"       [--thp-probe] [-v] [-h]\n"
"\n"
"Drive test_hmm's device-private memory deterministically and print what\n"
"the kernel must have seen, as 'expect KEY=VALUE' lines.\n"
"\n"
"  -p, --procs PROCS    processes running concurrently (default 3)\n"
"  -b, --batches B      run B batches of PROCS processes one after the other\n"
"                       (default 1); process i of every batch does the same\n"
"  -r, --rounds ROUNDS  rounds per process (default 4)\n"
"  -n, --pages PAGES    pages per range; process i maps PAGES+i (default 37);\n"
"                       0 (with --thp): huge pages only\n"
"  -d, --device DEV     0, 1, or alt (process i uses device i %% 2) (default 0)\n"
"  -w, --write          touch pages by writing instead of reading\n"
"  -L, --last           end with one more migrated range that is unmapped\n"
"                       without being touched (default on)\n"
"      --no-last        skip that last range\n"
"      --release        finish with HMM_DMIRROR_RELEASE on each device used\n"
"      --bounce N:B     first map N pages once, and B times migrate them all to\n"
"                       the device and touch each from the CPU (B faults per\n"
"                       page, each moving it back); prints their address\n"
"      --calm M         also map M pages (another mapping) and do that once\n"
"      --same-va        map the --bounce and --calm pages at the same virtual\n"
"                       addresses in every process, as processes forked after\n"
"                       their parent mapped them have them\n"
"      --sites N1:N2    first, in this process: migrate N1+N2 pages once and\n"
"                       touch N1 of them from fault_site_a(), N2 from\n"
"                       fault_site_b()\n"
"      --sites-child    do that in a child forked for it, which exits at once\n"
"                       (this process waits for it before the others start)\n"
"      --sites-stop     then stop this process (SIGSTOP) until a SIGCONT\n"
"      --thp H          every range also has H transparent huge pages, each\n"
"                       migrated as one folio where the kernel can (first\n"
"                       probed with one huge page, in this process)\n"
"      --thp-split      split each huge page's device mapping before touching\n"
"                       it: small faults, the device folio split\n"
"      --thp-probe      only probe: exit 0 if a huge page moves to the device\n"
"                       as one folio, 4 if not\n"
"  -v, --verbose        progress messages on stderr\n"
"  -h, --help           this help\n"
"\n"
"Defaults reproduce 570 device-page allocations and frees, 15 migrations\n"
"(570 pages) to the device and 456 pages faulted back to RAM.\n"
"Requires the test_hmm module: insmod test_hmm.ko. Exit status 4: --thp on a\n"
"kernel whose test_hmm moves no huge page as one folio.\n", prog);
}

static int proc_device(const struct workload_opts *o, unsigned int i)
{
	switch (o->device) {
	case DEV_0:
		return 0;
	case DEV_1:
		return 1;
	default:
		return i % 2;
	}
}

static void dev_path(char *buf, size_t len, int dev)
{
	snprintf(buf, len, "/dev/hmm_dmirror%d", dev);
}

/* Migration ioctls (and migrate_vma calls) for a range of n base pages */
static unsigned long long pieces(unsigned long long n)
{
	return (n + HMM_PIECE_PAGES - 1) / HMM_PIECE_PAGES;
}

/* Base pages of process i's ranges: PAGES + i, none with -n 0 (--thp). */
static unsigned long base_pages(const struct workload_opts *o, unsigned int i)
{
	return o->pages ? o->pages + i : 0;
}

/* The value of 64-bit word w of page pg, round r, process i. */
static inline uint64_t pattern(unsigned int i, unsigned int r, unsigned long pg,
			       unsigned long w)
{
	uint64_t x = ((uint64_t)(i + 1) << 48) ^ ((uint64_t)(r + 1) << 32) ^
		     ((uint64_t)pg << 12) ^ w;

	return x * 0x9E3779B97F4A7C15ULL;
}

static void fill(uint64_t *mem, unsigned long npages, unsigned int i,
		 unsigned int r)
{
	unsigned long words = page_size / sizeof(uint64_t);
	unsigned long pg, w;

	for (pg = 0; pg < npages; pg++)
		for (w = 0; w < words; w++)
			mem[pg * words + w] = pattern(i, r, pg, w);
}

/* First differing word of a range against the pattern, or -1. */
static long check(const uint64_t *mem, unsigned long npages, unsigned int i,
		  unsigned int r, unsigned long skip_first_word)
{
	unsigned long words = page_size / sizeof(uint64_t);
	unsigned long pg, w;

	for (pg = 0; pg < npages; pg++)
		for (w = skip_first_word; w < words; w++)
			if (mem[pg * words + w] != pattern(i, r, pg, w))
				return (long)(pg * words + w);
	return -1;
}

#define child_fail(...) do {						\
	fprintf(stderr, "%s: ", prog);					\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	_exit(1);							\
} while (0)

/*
 * Migrate a range holding pattern (i, r) to the device, by ioctls of at
 * most HMM_PIECE_PAGES pages; the device's copy of the data (returned by
 * the ioctls) is verified too.
 */
static void migrate_range(int fd, uint64_t *mem, unsigned int i, unsigned int r,
			  unsigned long npages, uint64_t *bounce, const char *what)
{
	unsigned long words = page_size / sizeof(uint64_t);
	unsigned long done, n;
	struct hmm_dmirror_cmd cmd;
	long bad;

	for (done = 0; done < npages; done += n) {
		n = npages - done < HMM_PIECE_PAGES ? npages - done : HMM_PIECE_PAGES;
		memset(&cmd, 0, sizeof(cmd));
		cmd.addr = (uintptr_t)(mem + done * words);
		cmd.ptr = (uintptr_t)(bounce + done * words);
		cmd.npages = n;
		if (ioctl(fd, HMM_DMIRROR_MIGRATE_TO_DEV, &cmd) < 0)
			child_fail("process %u %s: HMM_DMIRROR_MIGRATE_TO_DEV of %lu pages failed: %s.",
				   i, what, n, strerror(errno));
		if (cmd.cpages != n)
			child_fail("process %u %s: HMM_DMIRROR_MIGRATE_TO_DEV moved %llu of %lu pages to the device; device memory is short or the range was not migratable.",
				   i, what, (unsigned long long)cmd.cpages, n);
	}
	bad = check(bounce, npages, i, r, 0);
	if (bad >= 0)
		child_fail("process %u %s: the device's copy differs from the written pattern at page %ld.",
			   i, what, bad / (long)words);
}

/* Map and fill one range with pattern (i, r). */
/* --same-va: where the bounce and calm ranges go in every process */
#define SAME_VA_BOUNCE	0x500000000000ULL
#define SAME_VA_CALM	0x500100000000ULL

static uint64_t *map_filled_at(unsigned int i, unsigned int r, unsigned long npages,
			       const char *what, uint64_t at)
{
	size_t size = npages * page_size;
	uint64_t *mem;

	mem = mmap((void *)(uintptr_t)at, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED_NOREPLACE : 0), -1, 0);
	if (mem == MAP_FAILED)
		child_fail("process %u %s: mmap of %lu pages failed: %s.",
			   i, what, npages, strerror(errno));
	/* One base page per fault: keep THP out of the range. */
	madvise(mem, size, MADV_NOHUGEPAGE);
	fill(mem, npages, i, r);
	return mem;
}

static uint64_t *map_filled(unsigned int i, unsigned int r, unsigned long npages,
			    const char *what)
{
	return map_filled_at(i, r, npages, what, 0);
}

/* Map, fill and migrate one range to the device. Returns the mapping. */
static uint64_t *map_and_migrate(int fd, unsigned int i, unsigned int r,
				 unsigned long npages, uint64_t *bounce,
				 const char *what)
{
	uint64_t *mem = map_filled(i, r, npages, what);

	migrate_range(fd, mem, i, r, npages, bounce, what);
	return mem;
}

/*
 * Touch every page of a range that is on the device from the CPU: one
 * device-private fault per page, each moving that page back to RAM. A
 * write stores the word it already holds, so the range keeps its pattern.
 */
static void touch_all(const struct workload_opts *o, uint64_t *mem, unsigned int i,
		      unsigned int r, unsigned long npages)
{
	unsigned long words = page_size / sizeof(uint64_t);
	volatile uint64_t *v = mem;
	unsigned long pg;

	for (pg = 0; pg < npages; pg++) {
		if (o->write_touch)
			v[pg * words] = pattern(i, r, pg, 0);
		else
			(void)v[pg * words];
	}
}

/* The pattern rounds of the --bounce, --calm and --sites ranges. */
#define ROUND_BOUNCE(o)	((o)->rounds + 1)
#define ROUND_CALM(o)	((o)->rounds + 2)
#define ROUND_SITES(o)	((o)->rounds + 3)

/*
 * The two call sites of --sites: kept out of line, not cloned and not
 * merged with each other (their bodies differ too), so each fault's user
 * stack ends in one of them by name. Each calls site_done() at the end: a
 * leaf function gets no frame pointer from GCC 12 even with
 * -fno-omit-frame-pointer, and a frame-pointer walk from a leaf misses its
 * caller.
 */
#ifdef __clang__
#define FAULT_SITE __attribute__((noinline, optnone, used))
#else
#define FAULT_SITE __attribute__((noipa, used))
#endif

FAULT_SITE void site_done(uint64_t x);
FAULT_SITE uint64_t fault_site_a(const volatile uint64_t *v, unsigned long npages,
				 unsigned long words);
FAULT_SITE uint64_t fault_site_b(const volatile uint64_t *v, unsigned long npages,
				 unsigned long words);

static volatile uint64_t site_sink;

FAULT_SITE void site_done(uint64_t x)
{
	site_sink = x;
}

FAULT_SITE uint64_t fault_site_a(const volatile uint64_t *v, unsigned long npages,
				 unsigned long words)
{
	uint64_t sum = 0;
	unsigned long pg;

	for (pg = 0; pg < npages; pg++)
		sum += v[pg * words];
	site_done(sum);
	return sum;
}

FAULT_SITE uint64_t fault_site_b(const volatile uint64_t *v, unsigned long npages,
				 unsigned long words)
{
	uint64_t x = 0;
	unsigned long pg;

	for (pg = npages; pg > 0; pg--)
		x ^= v[(pg - 1) * words] + pg;
	site_done(x);
	return x;
}

static void verify(uint64_t *mem, unsigned long npages, unsigned int i, unsigned int r,
		   const char *what)
{
	long bad = check(mem, npages, i, r, 0);

	if (bad >= 0)
		child_fail("process %u %s: page %ld does not hold the pattern after it came back from the device.",
			   i, what, bad / (long)(page_size / sizeof(uint64_t)));
}

/* ---- huge pages (--thp) ------------------------------------------------ */

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/* The pattern round of huge page k of round r: no two huge pages hold the same data. */
#define ROUND_HUGE(r, k)	(0x100000u + (r) * MAX_HUGE + (k))

/* hpage_pages and hpage_order from the kernel; -1 (with a sentence) without THP */
static int thp_init(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");
	unsigned long size = 0;
	int ok = f && fscanf(f, "%lu", &size) == 1 && size >= 2UL * page_size &&
		 !(size & (size - 1));

	if (f)
		fclose(f);
	if (!ok) {
		fprintf(stderr, "%s: --thp: this kernel has no transparent huge pages (no /sys/kernel/mm/transparent_hugepage/hpage_pmd_size); run it on a kernel built with CONFIG_TRANSPARENT_HUGEPAGE, or without --thp.\n",
			prog);
		return -1;
	}
	hpage_pages = size / page_size;
	for (hpage_order = 0; (1UL << hpage_order) < hpage_pages; hpage_order++)
		;
	return 0;
}

/* test_hmm's view of n pages at mem, one HMM_DMIRROR_PROT_* byte each */
static void snapshot(int fd, const void *mem, unsigned long n, unsigned char *perm,
		     unsigned int i, const char *what)
{
	struct hmm_dmirror_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.addr = (uintptr_t)mem;
	cmd.ptr = (uintptr_t)perm;
	cmd.npages = n;
	if (ioctl(fd, HMM_DMIRROR_SNAPSHOT, &cmd) < 0)
		child_fail("process %u %s: HMM_DMIRROR_SNAPSHOT of %lu pages failed: %s.",
			   i, what, n, strerror(errno));
	if (cmd.cpages != n)
		child_fail("process %u %s: HMM_DMIRROR_SNAPSHOT described %llu of %lu pages.",
			   i, what, (unsigned long long)cmd.cpages, n);
}

/* the snapshot bits that say where a page is, and whether one PMD maps it */
#define PROT_WHERE	(0xF0 | HMM_DMIRROR_PROT_PMD)
/* in RAM, in a huge page; on this device, in a folio mapped by one PMD */
#define IN_RAM_HUGE	HMM_DMIRROR_PROT_PMD
#define ON_DEV_HUGE	(HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL | HMM_DMIRROR_PROT_PMD)
#define ON_DEV_BASE	HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL

static int all_are(const unsigned char *perm, unsigned long n, unsigned char where)
{
	unsigned long k;

	for (k = 0; k < n; k++)
		if ((perm[k] & PROT_WHERE) != where)
			return 0;
	return 1;
}

/*
 * Map h huge pages in one mapping aligned to a huge page, fill huge page k
 * with pattern (i, ROUND_HUGE(r, k)) and make sure the kernel backs each
 * with one huge page: where the first touches did not get one,
 * MADV_COLLAPSE makes it.
 */
static uint64_t *map_huge(const struct workload_opts *o, int fd, unsigned int i, unsigned int r,
			  unsigned long h, unsigned char *perm, const char *what)
{
	size_t hsize = hpage_pages * page_size, size = h * hsize;
	uint8_t *raw, *mem;
	unsigned long k;

	raw = mmap(NULL, size + hsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		child_fail("process %u %s: mmap of %lu huge pages failed: %s.", i, what, h,
			   strerror(errno));
	mem = (uint8_t *)(((uintptr_t)raw + hsize - 1) & ~(uintptr_t)(hsize - 1));
	if (mem > raw)
		munmap(raw, mem - raw);
	munmap(mem + size, raw + hsize - mem);
	/* without madvise() (ENOSYS) THP still comes where it is "always" */
	if (madvise(mem, size, MADV_HUGEPAGE) && o->verbose)
		fprintf(stderr, "%s: process %u %s: madvise(MADV_HUGEPAGE) failed: %s\n", prog, i,
			what, strerror(errno));
	for (k = 0; k < h; k++) {
		uint64_t *hp = (uint64_t *)(mem + k * hsize);

		fill(hp, hpage_pages, i, ROUND_HUGE(r, k));
		snapshot(fd, hp, hpage_pages, perm, i, what);
		if (all_are(perm, hpage_pages, IN_RAM_HUGE))
			continue;
		madvise(hp, hsize, MADV_COLLAPSE);	/* the snapshot tells whether it worked */
		snapshot(fd, hp, hpage_pages, perm, i, what);
		if (!all_are(perm, hpage_pages, IN_RAM_HUGE))
			child_fail("process %u %s: the kernel backed huge page %lu with base pages, even after MADV_COLLAPSE; set /sys/kernel/mm/transparent_hugepage/enabled to always or madvise, or free memory.",
				   i, what, k);
	}
	return (uint64_t *)mem;
}

/*
 * Migrate one huge page holding pattern (i, rk) to the device by one ioctl
 * of all its pages (one migrate_vma call: test_hmm's window is a page
 * table where it moves huge pages), verify the device's copy and count
 * what the kernel made of it. 1 if it is one folio on the device (mapped
 * there by one PMD), 0 if base pages. When probing, nothing is counted,
 * and a huge page not moved whole is -1.
 */
static int migrate_huge(int fd, uint64_t *hp, unsigned int i, unsigned int rk, uint64_t *bounce,
			unsigned char *perm, struct counts *c, int probing, const char *what)
{
	unsigned long n = hpage_pages;
	struct hmm_dmirror_cmd cmd;
	int large;
	long bad;

	memset(&cmd, 0, sizeof(cmd));
	cmd.addr = (uintptr_t)hp;
	cmd.ptr = (uintptr_t)bounce;
	cmd.npages = n;
	if (ioctl(fd, HMM_DMIRROR_MIGRATE_TO_DEV, &cmd) < 0) {
		if (probing)
			return -1;
		child_fail("process %u %s: HMM_DMIRROR_MIGRATE_TO_DEV of a huge page failed: %s.",
			   i, what, strerror(errno));
	}
	if (cmd.cpages != n) {
		if (probing)
			return -1;
		child_fail("process %u %s: HMM_DMIRROR_MIGRATE_TO_DEV moved %llu of the %lu pages of a huge page to the device; device memory is short.",
			   i, what, (unsigned long long)cmd.cpages, n);
	}
	bad = check(bounce, n, i, rk, 0);
	if (bad >= 0)
		child_fail("process %u %s: the device's copy of a huge page differs from the written pattern at page %ld.",
			   i, what, bad / (long)(page_size / sizeof(uint64_t)));
	snapshot(fd, hp, n, perm, i, what);
	large = all_are(perm, n, ON_DEV_HUGE);
	if (probing)
		return large;
	if (!large && !all_are(perm, n, ON_DEV_BASE))
		child_fail("process %u %s: after its migration, test_hmm's snapshot shows pages of a huge page that are not on this device.",
			   i, what);
	c->ioctls_to_device++;
	c->migrate_to_device_calls++;
	c->pages_to_device += n;
	c->allocs += n;
	if (large) {
		c->alloc_folios[1]++;
		c->folios_to_device[1]++;
	} else {
		c->alloc_folios[0] += n;
		c->folios_to_device[0] += n;
	}
	return large;
}

/*
 * Touch every base page of a huge page on the device from the CPU, verify
 * it, and count how it came back: a folio the device maps by one PMD comes
 * back whole at the first touch (one PMD fault), to a huge page in RAM or,
 * where none could be allocated, split into base pages first; base pages
 * come back one small fault each. With --thp-split the device's mapping
 * is split first (MADV_NOHUGEPAGE on the first base page splits the VMA
 * and the PMD): the first small fault splits the folio too.
 */
static void touch_huge(const struct workload_opts *o, int fd, uint64_t *hp, unsigned int i,
		       unsigned int rk, int large, unsigned char *perm, struct counts *c,
		       const char *what)
{
	unsigned long n = hpage_pages, words = page_size / sizeof(uint64_t), pg;
	volatile uint64_t *v = hp;
	int split = large && o->thp_split;

	if (split && madvise(hp, page_size, MADV_NOHUGEPAGE))
		child_fail("process %u %s: madvise(MADV_NOHUGEPAGE) on one page, to split a huge page's mapping, failed: %s; --thp-split needs madvise() (CONFIG_ADVISE_SYSCALLS).",
			   i, what, strerror(errno));
	for (pg = 0; pg < n; pg++) {
		if (o->write_touch)
			v[pg * words] = pattern(i, rk, pg, 0);
		else
			(void)v[pg * words];
	}
	verify(hp, n, i, rk, what);
	c->pages_to_ram += n;
	c->frees += n;
	if (large && !split) {
		c->pmd_faults++;
		snapshot(fd, hp, n, perm, i, what);
		if (all_are(perm, n, IN_RAM_HUGE)) {
			c->folios_to_ram[1]++;
			c->free_folios[1]++;
		} else {
			c->folios_to_ram[0] += n;
			c->free_folios[0] += n;
			c->splits++;
		}
	} else {
		c->small_faults += n;
		c->folios_to_ram[0] += n;
		c->free_folios[0] += n;
		if (large)
			c->splits++;
	}
}

/* A huge page left on the device: munmap frees its folio (or its base pages). */
static void unmapped_huge(int large, struct counts *c)
{
	c->unmapped_on_device += hpage_pages;
	c->frees += hpage_pages;
	if (large)
		c->free_folios[1]++;
	else
		c->free_folios[0] += hpage_pages;
}

/*
 * One range's huge pages (--thp): mapped, filled and migrated one by one;
 * then, when touch, each touched back, else left on the device; then
 * unmapped. Counts go to c.
 */
static void huge_range(const struct workload_opts *o, int fd, unsigned int i, unsigned int r,
		       int touch, uint64_t *bounce, unsigned char *perm, struct counts *c,
		       const char *what)
{
	size_t hsize = hpage_pages * page_size;
	unsigned char large[MAX_HUGE];
	uint64_t *mem;
	unsigned long k;

	mem = map_huge(o, fd, i, r, o->thp, perm, what);
	for (k = 0; k < o->thp; k++)
		large[k] = migrate_huge(fd, (uint64_t *)((uint8_t *)mem + k * hsize), i,
					ROUND_HUGE(r, k), bounce, perm, c, 0, what);
	for (k = 0; k < o->thp; k++) {
		if (touch)
			touch_huge(o, fd, (uint64_t *)((uint8_t *)mem + k * hsize), i,
				   ROUND_HUGE(r, k), large[k], perm, c, what);
		else
			unmapped_huge(large[k], c);
	}
	if (munmap(mem, o->thp * hsize) < 0)
		child_fail("process %u %s: munmap of its huge pages failed: %s.", i, what,
			   strerror(errno));
}

/*
 * --thp: does a huge page arrive on device dev as one folio? One is
 * migrated (a pattern of no process) and, if it does, touched back: one
 * PMD fault, counted in *c. The device's file stays open (*fd), since
 * closing it would evict the pages of the processes still running. 1 if
 * it does; 0 if not, with *why set, the page unmapped and the file closed.
 */
static int thp_probe(const struct workload_opts *o, int dev, int *fd, struct counts *c,
		     const char **why)
{
	unsigned int i = o->procs + 1, rk = ROUND_HUGE(0, 0);
	unsigned char *perm = malloc(hpage_pages);
	uint64_t *bounce = malloc(hpage_pages * page_size);
	const char *what = "huge page probe";
	struct workload_opts plain = *o;	/* touched whole, whatever --thp-split says */
	uint64_t *hp;
	char path[64];
	int large;

	plain.thp_split = 0;
	if (!perm || !bounce) {
		fprintf(stderr, "%s: out of memory for a huge page's buffers.\n", prog);
		exit(1);
	}
	dev_path(path, sizeof(path), dev);
	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd < 0) {
		fprintf(stderr, "%s: cannot open %s: %s.\n", prog, path, strerror(errno));
		exit(1);
	}
	hp = map_huge(o, *fd, i, 0, 1, perm, what);
	large = migrate_huge(*fd, hp, i, rk, bounce, perm, c, 1, what);
	if (large <= 0) {
		*why = large ? "only in part" : "as base pages";
		large = 0;
		munmap(hp, hpage_pages * page_size);
		close(*fd);
		*fd = -1;
	} else {
		/* counted as a migration like any other, now that it is known */
		c->ioctls_to_device++;
		c->migrate_to_device_calls++;
		c->pages_to_device += hpage_pages;
		c->allocs += hpage_pages;
		c->alloc_folios[1]++;
		c->folios_to_device[1]++;
		touch_huge(&plain, *fd, hp, i, rk, 1, perm, c, what);
		munmap(hp, hpage_pages * page_size);
	}
	free(perm);
	free(bounce);
	return large;
}

/*
 * --bounce and --calm, before the rounds. Their mappings are returned in
 * keep[] (bounce, calm) and stay mapped until the end; their addresses go
 * to rep.
 */
static void special_ranges(const struct workload_opts *o, unsigned int i, int fd,
			   uint64_t *keep[2], struct proc_report *rep)
{
	unsigned long most = o->bounce_pages, b;
	uint64_t *buf;

	if (o->calm_pages > most)
		most = o->calm_pages;
	if (!most)
		return;
	buf = malloc(most * page_size);
	if (!buf)
		child_fail("process %u: out of memory for a %lu-page buffer.", i, most);
	/* all mapped first, so none can take an address another had */
	if (o->bounce_pages)
		keep[0] = map_filled_at(i, ROUND_BOUNCE(o), o->bounce_pages, "bounce range",
					o->same_va ? SAME_VA_BOUNCE : 0);
	if (o->calm_pages)
		keep[1] = map_filled_at(i, ROUND_CALM(o), o->calm_pages, "calm range",
					o->same_va ? SAME_VA_CALM : 0);
	rep->bounce_addr = (uintptr_t)keep[0];
	rep->calm_addr = (uintptr_t)keep[1];

	for (b = 0; keep[0] && b < o->bounce_rounds; b++) {
		migrate_range(fd, keep[0], i, ROUND_BOUNCE(o), o->bounce_pages, buf,
			      "bounce range");
		touch_all(o, keep[0], i, ROUND_BOUNCE(o), o->bounce_pages);
		verify(keep[0], o->bounce_pages, i, ROUND_BOUNCE(o), "bounce range");
	}
	if (keep[1]) {
		migrate_range(fd, keep[1], i, ROUND_CALM(o), o->calm_pages, buf, "calm range");
		touch_all(o, keep[1], i, ROUND_CALM(o), o->calm_pages);
		verify(keep[1], o->calm_pages, i, ROUND_CALM(o), "calm range");
	}
	free(buf);
}

/*
 * --sites, in the first process: N1 + N2 pages of device dev migrated once,
 * N1 of them touched from fault_site_a(), the N2 after them from
 * fault_site_b(). The mapping stays; its address goes to *addr. The
 * device's file stays open too (*fd): closing it would evict the pages of
 * the processes still running. 0, or 1 on failure.
 */
/* out of line: every stack of a site fault is main ... sites_range, fault_site_x */
__attribute__((noinline)) static int sites_range(const struct workload_opts *o, int dev, int *fd,
					       uint64_t **mem)
{
	unsigned long nsites = o->site_a + o->site_b;
	unsigned long words = page_size / sizeof(uint64_t);
	unsigned int i = o->procs;	/* its pattern: no process's */
	uint64_t *buf;
	char path[64];

	dev_path(path, sizeof(path), dev);
	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd < 0) {
		fprintf(stderr, "%s: cannot open %s: %s.\n", prog, path, strerror(errno));
		return 1;
	}
	buf = malloc(nsites * page_size);
	if (!buf) {
		fprintf(stderr, "%s: out of memory for a %lu-page buffer.\n", prog, nsites);
		return 1;
	}
	/* these end this process (exit status 1) if they fail, before any fork */
	*mem = map_and_migrate(*fd, i, ROUND_SITES(o), nsites, buf, "sites range");
	fault_site_a(*mem, o->site_a, words);
	fault_site_b(*mem + o->site_a * words, o->site_b, words);
	verify(*mem, nsites, i, ROUND_SITES(o), "sites range");
	free(buf);
	return 0;
}

/*
 * --sites-child: sites_range() in a child forked for it, which exits as
 * soon as it is done; the process a tool sees fault and leave before it
 * can read its maps. Its PID goes to *pid and its range's address to
 * *addr. 0, or 1 on failure.
 */
static int sites_in_child(const struct workload_opts *o, int dev, pid_t *pid, uint64_t *addr)
{
	uint64_t *shared;
	int status;

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (shared == MAP_FAILED) {
		fprintf(stderr, "%s: mmap of a shared page failed: %s.\n", prog, strerror(errno));
		return 1;
	}
	fflush(NULL);
	*pid = fork();
	if (*pid < 0) {
		fprintf(stderr, "%s: fork failed: %s.\n", prog, strerror(errno));
		return 1;
	}
	if (*pid == 0) {
		uint64_t *mem;
		int fd;

		if (sites_range(o, dev, &fd, &mem))
			_exit(1);
		*shared = (uintptr_t)mem;
		_exit(0);
	}
	if (waitpid(*pid, &status, 0) != *pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "%s: the --sites child %d failed (see above).\n", prog, (int)*pid);
		return 1;
	}
	*addr = *shared;
	munmap(shared, sizeof(*shared));
	if (o->verbose || o->sites_stop)
		fprintf(stderr, "%s: sites child %d of %d exited\n", prog, (int)*pid,
			(int)getpid());
	/* held alive, its maps readable, while a paused tool catches up */
	if (o->sites_stop)
		raise(SIGSTOP);
	return 0;
}

static void wait_pipe_closed(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static void child(const struct workload_opts *o, unsigned int i, int start_fd,
		  int done_fd, int finish_fd, struct proc_report *rep)
{
	uint64_t *keep[2] = { NULL, NULL };
	unsigned long npages = base_pages(o, i);
	unsigned long words = page_size / sizeof(uint64_t);
	unsigned long bounce_pages = npages > hpage_pages ? npages : hpage_pages;
	int dev = proc_device(o, i);
	unsigned char *perm = NULL;
	uint64_t *bounce, *mem;
	char path[64];
	unsigned int r;
	long bad;
	int fd;

	dev_path(path, sizeof(path), dev);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		child_fail("process %u: cannot open %s: %s.", i, path,
			   strerror(errno));
	bounce = malloc(bounce_pages * page_size);
	if (!bounce)
		child_fail("process %u: out of memory for a %lu-page buffer.",
			   i, bounce_pages);
	if (o->thp && !(perm = malloc(hpage_pages)))
		child_fail("process %u: out of memory for a snapshot buffer.", i);

	wait_pipe_closed(start_fd);
	special_ranges(o, i, fd, keep, rep);

	for (r = 0; r < o->rounds; r++) {
		volatile uint64_t *v;
		unsigned long pg;

		if (o->thp)
			huge_range(o, fd, i, r, 1, bounce, perm, &rep->thp, "round");
		if (!npages)
			continue;
		mem = map_and_migrate(fd, i, r, npages, bounce, "round");
		v = mem;
		/* Each first CPU access to a page is one device-private fault. */
		for (pg = 0; pg < npages; pg++) {
			if (o->write_touch)
				v[pg * words] = ~pattern(i, r, pg, 0);
			else
				(void)v[pg * words];
		}
		bad = check(mem, npages, i, r, o->write_touch ? 1 : 0);
		if (bad >= 0)
			child_fail("process %u round %u: page %ld does not hold the pattern after it came back from the device.",
				   i, r, bad / (long)words);
		if (o->write_touch)
			for (pg = 0; pg < npages; pg++)
				if (mem[pg * words] != ~pattern(i, r, pg, 0))
					child_fail("process %u round %u: the CPU write to page %lu was lost.",
						   i, r, pg);
		if (munmap(mem, npages * page_size) < 0)
			child_fail("process %u round %u: munmap failed: %s.",
				   i, r, strerror(errno));
		if (o->verbose)
			fprintf(stderr, "%s: process %u round %u done\n",
				prog, i, r);
	}
	if (o->last && o->thp)
		huge_range(o, fd, i, o->rounds, 0, bounce, perm, &rep->thp, "last range");
	if (o->last && npages) {
		mem = map_and_migrate(fd, i, o->rounds, npages, bounce, "last range");
		/* Not touched: munmap frees the device pages. */
		if (munmap(mem, npages * page_size) < 0)
			child_fail("process %u last range: munmap failed: %s.",
				   i, strerror(errno));
	}
	if (keep[0])
		munmap(keep[0], o->bounce_pages * page_size);
	if (keep[1])
		munmap(keep[1], o->calm_pages * page_size);

	/*
	 * Closing a dmirror file evicts every page of the device, other
	 * processes' pages included; stay open until all processes are done.
	 */
	if (write(done_fd, "d", 1) != 1)
		child_fail("process %u: cannot report completion: %s.", i,
			   strerror(errno));
	close(done_fd);
	wait_pipe_closed(finish_fd);
	close(fd);
	free(bounce);
	_exit(0);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "A:B", each from 0 to max */
static int parse_pair(const char *s, unsigned long max, unsigned long *a, unsigned long *b)
{
	const char *colon = strchr(s, ':');
	char first[32];

	if (!colon || (size_t)(colon - s) >= sizeof(first))
		return -1;
	memcpy(first, s, colon - s);
	first[colon - s] = '\0';
	return parse_uint(first, max, a) || parse_uint(colon + 1, max, b) ? -1 : 0;
}

static void parse_args(int argc, char **argv, struct workload_opts *o)
{
	enum { OPT_NO_LAST = 256, OPT_RELEASE, OPT_BOUNCE, OPT_CALM, OPT_SITES, OPT_SAME_VA,
	       OPT_SITES_CHILD, OPT_SITES_STOP, OPT_THP, OPT_THP_SPLIT, OPT_THP_PROBE };
	static const struct option longopts[] = {
		{ "procs",   required_argument, NULL, 'p' },
		{ "batches", required_argument, NULL, 'b' },
		{ "rounds",  required_argument, NULL, 'r' },
		{ "pages",   required_argument, NULL, 'n' },
		{ "device",  required_argument, NULL, 'd' },
		{ "write",   no_argument,       NULL, 'w' },
		{ "last",    no_argument,       NULL, 'L' },
		{ "no-last", no_argument,       NULL, OPT_NO_LAST },
		{ "release", no_argument,       NULL, OPT_RELEASE },
		{ "bounce",  required_argument, NULL, OPT_BOUNCE },
		{ "calm",    required_argument, NULL, OPT_CALM },
		{ "same-va", no_argument,       NULL, OPT_SAME_VA },
		{ "sites",   required_argument, NULL, OPT_SITES },
		{ "sites-child", no_argument,   NULL, OPT_SITES_CHILD },
		{ "sites-stop", no_argument,    NULL, OPT_SITES_STOP },
		{ "thp",     required_argument, NULL, OPT_THP },
		{ "thp-split", no_argument,     NULL, OPT_THP_SPLIT },
		{ "thp-probe", no_argument,     NULL, OPT_THP_PROBE },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "p:b:r:n:d:wLvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_uint(optarg, MAX_PROCS, &v) || v == 0) {
				fprintf(stderr, "%s: -p wants a process count from 1 to %d, not '%s'.\n",
					prog, MAX_PROCS, optarg);
				exit(2);
			}
			o->procs = v;
			break;
		case 'b':
			if (parse_uint(optarg, MAX_BATCHES, &v) || v == 0) {
				fprintf(stderr, "%s: -b wants a batch count from 1 to %d, not '%s'.\n",
					prog, MAX_BATCHES, optarg);
				exit(2);
			}
			o->batches = v;
			break;
		case 'r':
			if (parse_uint(optarg, 1000000, &v)) {
				fprintf(stderr, "%s: -r wants a round count from 0 to 1000000, not '%s'.\n",
					prog, optarg);
				exit(2);
			}
			o->rounds = v;
			break;
		case 'n':
			if (parse_uint(optarg, MAX_PAGES, &v)) {
				fprintf(stderr, "%s: -n wants a page count from 0 (with --thp) to %lu, not '%s'.\n",
					prog, MAX_PAGES, optarg);
				exit(2);
			}
			o->pages = v;
			break;
		case 'd':
			if (!strcmp(optarg, "0")) {
				o->device = DEV_0;
			} else if (!strcmp(optarg, "1")) {
				o->device = DEV_1;
			} else if (!strcmp(optarg, "alt")) {
				o->device = DEV_ALT;
			} else {
				fprintf(stderr, "%s: -d wants 0, 1 or alt, not '%s'.\n",
					prog, optarg);
				exit(2);
			}
			break;
		case 'w':
			o->write_touch = 1;
			break;
		case 'L':
			o->last = 1;
			break;
		case OPT_NO_LAST:
			o->last = 0;
			break;
		case OPT_RELEASE:
			o->release = 1;
			break;
		case OPT_BOUNCE:
			if (parse_pair(optarg, MAX_PAGES, &o->bounce_pages, &o->bounce_rounds) ||
			    !o->bounce_pages || !o->bounce_rounds || o->bounce_rounds > 1000000) {
				fprintf(stderr, "%s: --bounce wants PAGES:TIMES, pages from 1 to %lu, times from 1 to 1000000, not '%s'.\n",
					prog, MAX_PAGES, optarg);
				exit(2);
			}
			break;
		case OPT_CALM:
			if (parse_uint(optarg, MAX_PAGES, &v) || v == 0) {
				fprintf(stderr, "%s: --calm wants a page count from 1 to %lu, not '%s'.\n",
					prog, MAX_PAGES, optarg);
				exit(2);
			}
			o->calm_pages = v;
			break;
		case OPT_SAME_VA:
			o->same_va = 1;
			break;
		case OPT_SITES_CHILD:
			o->sites_child = 1;
			break;
		case OPT_SITES_STOP:
			o->sites_stop = 1;
			break;
		case OPT_THP:
			if (parse_uint(optarg, MAX_HUGE, &v) || v == 0) {
				fprintf(stderr, "%s: --thp wants a huge page count from 1 to %d, not '%s'.\n",
					prog, MAX_HUGE, optarg);
				exit(2);
			}
			o->thp = v;
			break;
		case OPT_THP_SPLIT:
			o->thp_split = 1;
			break;
		case OPT_THP_PROBE:
			o->thp_probe = 1;
			break;
		case OPT_SITES:
			if (parse_pair(optarg, MAX_PAGES, &o->site_a, &o->site_b) ||
			    o->site_a + o->site_b == 0) {
				fprintf(stderr, "%s: --sites wants N1:N2, page counts from 0 to %lu, not both 0, not '%s'.\n",
					prog, MAX_PAGES, optarg);
				exit(2);
			}
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
		fprintf(stderr, "%s: unexpected argument '%s'; see %s -h.\n",
			prog, argv[optind], prog);
		exit(2);
	}
	/* a modifier without what it modifies would be silently ignored */
	if (o->same_va && !o->bounce_pages && !o->calm_pages) {
		fprintf(stderr, "%s: --same-va places the --bounce and --calm pages; give one of them.\n",
			prog);
		exit(2);
	}
	if (o->sites_child && !(o->site_a + o->site_b)) {
		fprintf(stderr, "%s: --sites-child runs the --sites faults; give --sites N1:N2.\n", prog);
		exit(2);
	}
	if (!o->pages && !o->thp) {
		fprintf(stderr, "%s: -n 0 leaves a range without pages; give a page count, or huge pages with --thp.\n",
			prog);
		exit(2);
	}
	if (o->thp_split && !o->thp) {
		fprintf(stderr, "%s: --thp-split splits the --thp huge pages; give --thp H.\n", prog);
		exit(2);
	}
	if (o->sites_stop && !o->sites_child) {
		fprintf(stderr, "%s: --sites-stop waits for the --sites child; give --sites-child.\n",
			prog);
		exit(2);
	}
}

static void add_counts(struct counts *sum, const struct counts *c)
{
	int k;

	sum->pages_to_device += c->pages_to_device;
	sum->migrate_to_device_calls += c->migrate_to_device_calls;
	sum->ioctls_to_device += c->ioctls_to_device;
	sum->pages_to_ram += c->pages_to_ram;
	sum->pmd_faults += c->pmd_faults;
	sum->small_faults += c->small_faults;
	sum->allocs += c->allocs;
	sum->frees += c->frees;
	sum->unmapped_on_device += c->unmapped_on_device;
	for (k = 0; k < 2; k++) {
		sum->alloc_folios[k] += c->alloc_folios[k];
		sum->free_folios[k] += c->free_folios[k];
		sum->folios_to_device[k] += c->folios_to_device[k];
		sum->folios_to_ram[k] += c->folios_to_ram[k];
	}
	sum->splits += c->splits;
}

/* The base-page figures of c, all order 0: one folio per page. */
static void base_folios(struct counts *c)
{
	c->alloc_folios[0] = c->allocs;
	c->free_folios[0] = c->frees;
	c->folios_to_device[0] = c->pages_to_device;
	c->folios_to_ram[0] = c->pages_to_ram;
	c->small_faults = c->pages_to_ram;
}

/* What process i makes the kernel do. */
/* What process i's base pages make the kernel do (its huge pages report theirs). */
static struct counts proc_counts(const struct workload_opts *o, unsigned int i)
{
	unsigned long long npages = base_pages(o, i);
	unsigned long long ranges = o->rounds + (o->last ? 1 : 0);
	struct counts c = { 0 };

	c.ioctls_to_device = ranges * pieces(npages);
	c.migrate_to_device_calls = c.ioctls_to_device;
	c.pages_to_device = ranges * npages;
	c.pages_to_ram = (unsigned long long)o->rounds * npages;
	c.unmapped_on_device = o->last ? npages : 0;
	if (o->bounce_pages || o->calm_pages) {
		unsigned long long moved = (unsigned long long)o->bounce_pages * o->bounce_rounds +
					   o->calm_pages;

		c.ioctls_to_device += o->bounce_rounds * pieces(o->bounce_pages) +
				      pieces(o->calm_pages);
		c.migrate_to_device_calls = c.ioctls_to_device;
		c.pages_to_device += moved;
		c.pages_to_ram += moved;
	}
	c.allocs = c.pages_to_device;
	c.frees = c.pages_to_ram + c.unmapped_on_device;
	base_folios(&c);
	return c;
}

/* What --sites makes the first process do: one range there and back. */
static struct counts sites_counts(const struct workload_opts *o)
{
	unsigned long long n = o->site_a + o->site_b;
	struct counts c = { 0 };

	if (!n)
		return c;
	c.ioctls_to_device = c.migrate_to_device_calls = pieces(n);
	c.pages_to_device = c.pages_to_ram = c.allocs = c.frees = n;
	base_folios(&c);
	return c;
}

static void print_counts(const struct workload_opts *o, const char *prefix,
			 const struct counts *c)
{
	printf("expect %spages_to_device=%llu migrate_to_device_calls=%llu ioctls_to_device=%llu pages_to_ram=%llu faults=%llu allocs=%llu frees=%llu unmapped_on_device=%llu",
	       prefix, c->pages_to_device, c->migrate_to_device_calls,
	       c->ioctls_to_device, c->pages_to_ram, c->pmd_faults + c->small_faults,
	       c->allocs, c->frees, c->unmapped_on_device);
	if (o->thp)
		printf(" pmd_faults=%llu small_faults=%llu allocs_order0=%llu allocs_order%u=%llu frees_order0=%llu frees_order%u=%llu folios_to_device_order0=%llu folios_to_device_order%u=%llu folios_to_ram_order0=%llu folios_to_ram_order%u=%llu splits=%llu",
		       c->pmd_faults, c->small_faults,
		       c->alloc_folios[0], hpage_order, c->alloc_folios[1],
		       c->free_folios[0], hpage_order, c->free_folios[1],
		       c->folios_to_device[0], hpage_order, c->folios_to_device[1],
		       c->folios_to_ram[0], hpage_order, c->folios_to_ram[1], c->splits);
	putchar('\n');
}

static int release_device(int dev)
{
	struct hmm_dmirror_cmd cmd;
	char path[64];
	int fd;

	dev_path(path, sizeof(path), dev);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot open %s for HMM_DMIRROR_RELEASE: %s.\n",
			prog, path, strerror(errno));
		return -1;
	}
	memset(&cmd, 0, sizeof(cmd));
	if (ioctl(fd, HMM_DMIRROR_RELEASE, &cmd) < 0) {
		fprintf(stderr, "%s: HMM_DMIRROR_RELEASE on %s failed: %s.\n",
			prog, path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * One batch: fork the processes, let them go together, wait until all are
 * done before any closes its device (a close evicts the whole device),
 * reap them. Their pids go to pids[], where they put their special ranges
 * to reps[] (shared memory). 0, or 1 if any failed.
 */
static int run_batch(const struct workload_opts *o, pid_t *pids, struct proc_report *reps)
{
	int start_pipe[2], done_pipe[2], finish_pipe[2];
	unsigned int i, started = 0, done = 0;
	int failed = 0;
	char c;

	if (pipe2(start_pipe, O_CLOEXEC) || pipe2(done_pipe, O_CLOEXEC) ||
	    pipe2(finish_pipe, O_CLOEXEC)) {
		fprintf(stderr, "%s: pipe failed: %s.\n", prog, strerror(errno));
		return 1;
	}
	fflush(NULL);
	for (i = 0; i < o->procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "%s: fork of process %u failed: %s.\n",
				prog, i, strerror(errno));
			failed = 1;
			break;
		}
		if (pid == 0) {
			close(start_pipe[1]);
			close(done_pipe[0]);
			close(finish_pipe[1]);
			child(o, i, start_pipe[0], done_pipe[1], finish_pipe[0], &reps[i]);
		}
		pids[i] = pid;
		started++;
	}
	close(start_pipe[0]);
	close(done_pipe[1]);
	close(finish_pipe[0]);
	if (failed) {
		/* Release the started ones without work: EOF on start. */
		for (i = 0; i < started; i++)
			kill(pids[i], SIGKILL);
	}
	/* All processes are forked and have opened their device: go. */
	close(start_pipe[1]);

	/* Each process reports once; EOF means the rest died. */
	while (done < started) {
		ssize_t n = read(done_pipe[0], &c, 1);

		if (n == 1)
			done++;
		else if (n == 0 || errno != EINTR)
			break;
	}
	close(finish_pipe[1]);
	close(done_pipe[0]);

	for (i = 0; i < started; i++) {
		int status;

		while (waitpid(pids[i], &status, 0) < 0) {
			if (errno != EINTR) {
				fprintf(stderr, "%s: waitpid failed: %s.\n",
					prog, strerror(errno));
				return 1;
			}
		}
		if (WIFSIGNALED(status)) {
			fprintf(stderr, "%s: process %u (pid %d) was killed by signal %d (%s).\n",
				prog, i, (int)pids[i], WTERMSIG(status),
				strsignal(WTERMSIG(status)));
			failed = 1;
		} else if (WEXITSTATUS(status) != 0) {
			failed = 1;
		}
	}
	return failed;
}

int main(int argc, char **argv)
{
	struct workload_opts o = {
		.procs = 3, .batches = 1, .rounds = 4, .pages = 37, .device = DEV_0, .last = 1,
	};
	struct proc_report *reps;
	size_t reps_size;
	uint64_t *sites_mem = NULL, sites_addr = 0;
	int sites_fd = -1, sites_dev, probe_fd = -1;
	struct counts probe = { 0 };
	pid_t sites_pid = getpid();
	pid_t *pids;
	int used[2] = { 0, 0 };
	unsigned int i, b;
	int dev;

	page_size = sysconf(_SC_PAGESIZE);
	parse_args(argc, argv, &o);

	for (i = 0; i < o.procs; i++)
		used[proc_device(&o, i)] = 1;
	for (dev = 0; dev < 2; dev++) {
		char path[64];

		if (!used[dev])
			continue;
		dev_path(path, sizeof(path), dev);
		if (access(path, R_OK | W_OK) < 0) {
			fprintf(stderr, "%s: cannot use %s: %s; load test_hmm (insmod test_hmm.ko) first.\n",
				prog, path, strerror(errno));
			return 1;
		}
	}
	pids = calloc((size_t)o.procs * o.batches, sizeof(*pids));
	if (!pids) {
		fprintf(stderr, "%s: out of memory for %u x %u pids.\n", prog, o.batches, o.procs);
		return 1;
	}
	/* written by the processes, read here */
	reps_size = (size_t)o.procs * o.batches * sizeof(*reps);
	reps = mmap(NULL, reps_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (reps == MAP_FAILED) {
		fprintf(stderr, "%s: mmap of %zu bytes for the processes' reports failed: %s.\n",
			prog, reps_size, strerror(errno));
		return 1;
	}
	/*
	 * --thp: first, in this process, whether a huge page arrives on the
	 * device as one folio; its counts are this process's. Then --sites:
	 * process 0's device, in this process (or a child), before any fork.
	 */
	sites_dev = proc_device(&o, 0);
	if (o.thp || o.thp_probe) {
		const char *why = NULL;

		if (thp_init())
			return 1;
		if (!thp_probe(&o, sites_dev, &probe_fd, &probe, &why)) {
			fprintf(stderr, "%s: --thp: test_hmm moved a %lu KiB huge page to /dev/hmm_dmirror%d %s, not as one folio: this kernel has no large device-private folios, or could not allocate one; run without --thp.\n",
				prog, hpage_pages * page_size / 1024, sites_dev, why);
			return EXIT_NO_LARGE_FOLIOS;
		}
		if (o.thp_probe) {
			printf("thp huge_page_pages=%lu order=%u one_folio=yes\n", hpage_pages,
			       hpage_order);
			close(probe_fd);
			return 0;
		}
	}
	if (o.site_a + o.site_b) {
		if (o.sites_child ? sites_in_child(&o, sites_dev, &sites_pid, &sites_addr)
				  : sites_range(&o, sites_dev, &sites_fd, &sites_mem))
			return 1;
		if (!o.sites_child)
			sites_addr = (uintptr_t)sites_mem;
	}
	for (b = 0; b < o.batches; b++) {
		if (run_batch(&o, pids + (size_t)b * o.procs, reps + (size_t)b * o.procs)) {
			fprintf(stderr, "%s: the workload failed in batch %u (see above); its expectations are not printed.\n",
				prog, b);
			return 1;
		}
		if (o.verbose)
			fprintf(stderr, "%s: batch %u done\n", prog, b);
	}

	if (sites_fd >= 0) {
		munmap(sites_mem, (o.site_a + o.site_b) * page_size);
		close(sites_fd);
	}
	if (probe_fd >= 0)
		close(probe_fd);
	if (o.release) {
		for (dev = 0; dev < 2; dev++)
			if (used[dev] && release_device(dev))
				return 1;
	}

	{
		struct counts total = { 0 }, perdev[2] = { { 0 }, { 0 } };
		struct counts sc = sites_counts(&o), mine = probe;
		int me = (int)getpid();

		printf("workload procs=%u batches=%u rounds=%u pages=%lu device=%s touch=%s last=%d release=%d\n",
		       o.procs, o.batches, o.rounds, o.pages,
		       o.device == DEV_0 ? "0" : o.device == DEV_1 ? "1" : "alt",
		       o.write_touch ? "write" : "read", o.last, o.release);
		if (o.bounce_pages || o.calm_pages || o.site_a + o.site_b)
			printf("workload bounce=%lu:%lu calm=%lu sites=%lu:%lu\n",
			       o.bounce_pages, o.bounce_rounds, o.calm_pages, o.site_a, o.site_b);
		if (o.thp)
			printf("workload thp=%lu split=%d huge_page_pages=%lu order=%u probe_pid=%d\n",
			       o.thp, o.thp_split, hpage_pages, hpage_order, me);
		for (b = 0; b < o.batches; b++) {
			for (i = 0; i < o.procs; i++) {
				const struct proc_report *r = &reps[(size_t)b * o.procs + i];
				int pid = (int)pids[(size_t)b * o.procs + i];
				struct counts pc = proc_counts(&o, i);
				char prefix[64];

				add_counts(&pc, &r->thp);
				add_counts(&total, &pc);
				add_counts(&perdev[proc_device(&o, i)], &pc);
				snprintf(prefix, sizeof(prefix), "pid=%d dev=%d ",
					 pid, proc_device(&o, i));
				print_counts(&o, prefix, &pc);
				/* each page of [start, start + pages * page_size) faulted B times */
				if (o.bounce_pages)
					printf("expect pid=%d bounce_start=0x%llx bounce_pages=%lu bounce_times=%lu page_size=%ld\n",
					       pid, (unsigned long long)r->bounce_addr,
					       o.bounce_pages, o.bounce_rounds, page_size);
				if (o.calm_pages)
					printf("expect pid=%d calm_start=0x%llx calm_pages=%lu\n",
					       pid, (unsigned long long)r->calm_addr, o.calm_pages);
			}
		}
		/* this process's own work: the probe, and the --sites faults unless a child's */
		if (o.site_a + o.site_b && !o.sites_child)
			add_counts(&mine, &sc);
		if (o.thp || (o.site_a + o.site_b && !o.sites_child)) {
			char prefix[64];

			add_counts(&total, &mine);
			add_counts(&perdev[sites_dev], &mine);
			snprintf(prefix, sizeof(prefix), "pid=%d dev=%d ", me, sites_dev);
			print_counts(&o, prefix, &mine);
		}
		if (o.site_a + o.site_b && o.sites_child) {
			char prefix[64];

			add_counts(&total, &sc);
			add_counts(&perdev[sites_dev], &sc);
			snprintf(prefix, sizeof(prefix), "pid=%d dev=%d ", (int)sites_pid,
				 sites_dev);
			print_counts(&o, prefix, &sc);
		}
		if (o.site_a + o.site_b)
			printf("expect pid=%d sites_start=0x%llx fault_site_a=%lu fault_site_b=%lu\n",
			       (int)sites_pid, (unsigned long long)sites_addr, o.site_a, o.site_b);
		for (dev = 0; dev < 2; dev++) {
			char prefix[16];

			if (!used[dev])
				continue;
			snprintf(prefix, sizeof(prefix), "dev=%d ", dev);
			print_counts(&o, prefix, &perdev[dev]);
		}
		printf("expect pages_to_device=%llu\n", total.pages_to_device);
		printf("expect migrate_to_device_calls=%llu\n", total.migrate_to_device_calls);
		printf("expect pages_to_ram=%llu\n", total.pages_to_ram);
		printf("expect faults=%llu\n", total.pmd_faults + total.small_faults);
		printf("expect allocs=%llu\n", total.allocs);
		printf("expect frees=%llu\n", total.frees);
		printf("expect releases=%d\n", o.release ? used[0] + used[1] : 0);
		if (o.thp) {
			printf("expect pmd_faults=%llu\n", total.pmd_faults);
			printf("expect small_faults=%llu\n", total.small_faults);
			printf("expect allocs_order0=%llu\n", total.alloc_folios[0]);
			printf("expect allocs_order%u=%llu\n", hpage_order, total.alloc_folios[1]);
			printf("expect frees_order0=%llu\n", total.free_folios[0]);
			printf("expect frees_order%u=%llu\n", hpage_order, total.free_folios[1]);
			printf("expect folios_to_device_order0=%llu\n", total.folios_to_device[0]);
			printf("expect folios_to_device_order%u=%llu\n", hpage_order,
			       total.folios_to_device[1]);
			printf("expect folios_to_ram_order0=%llu\n", total.folios_to_ram[0]);
			printf("expect folios_to_ram_order%u=%llu\n", hpage_order,
			       total.folios_to_ram[1]);
			printf("expect splits=%llu\n", total.splits);
		}
		if (o.bounce_pages || o.calm_pages || o.site_a + o.site_b) {
			unsigned long long np = (unsigned long long)o.procs * o.batches;

			/* pages faulted B times (bounce_faults faults), and once */
			printf("expect bounce_pages=%llu bounce_faults=%llu calm_pages=%llu\n",
			       np * o.bounce_pages, np * o.bounce_pages * o.bounce_rounds,
			       np * o.calm_pages);
			printf("expect fault_site_a=%lu fault_site_b=%lu\n", o.site_a, o.site_b);
		}
	}
	munmap(reps, reps_size);
	free(pids);
	return 0;
}

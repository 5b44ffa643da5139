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
 * At the end it prints one "expect KEY=VALUE ..." line per quantity it
 * caused, for tests that compare them with what the kernel reports.
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
/* test_hmm migrates a range to the device in batches of this many pages. */
#define HMM_BATCH_PAGES	64

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
};

/* Where process i of a batch put its --bounce and --calm ranges. */
struct proc_report {
	uint64_t bounce_addr;
	uint64_t calm_addr;
};

static const char *prog = "devmem-workload";
static long page_size;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [-p PROCS] [-b BATCHES] [-r ROUNDS] [-n PAGES] [-d 0|1|alt] [-w]\n"
"       [-L|--no-last] [--release] [--bounce N:B [--calm M] [--same-va]]\n"
"       [--sites N1:N2 [--sites-child [--sites-stop]]] [-v] [-h]\n"
"\n"
"Drive test_hmm's device-private memory deterministically and print what\n"
"the kernel must have seen, as 'expect KEY=VALUE' lines.\n"
"\n"
"  -p, --procs PROCS    processes running concurrently (default 3)\n"
"  -b, --batches B      run B batches of PROCS processes one after the other\n"
"                       (default 1); process i of every batch does the same\n"
"  -r, --rounds ROUNDS  rounds per process (default 4)\n"
"  -n, --pages PAGES    pages per range; process i maps PAGES+i (default 37)\n"
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
"  -v, --verbose        progress messages on stderr\n"
"  -h, --help           this help\n"
"\n"
"Defaults reproduce 570 device-page allocations and frees, 15 migrations\n"
"(570 pages) to the device and 456 pages faulted back to RAM.\n"
"Requires the test_hmm module: insmod test_hmm.ko.\n", prog);
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
 * Migrate a range holding pattern (i, r) to the device; the device's copy
 * of the data (returned by the ioctl) is verified too.
 */
static void migrate_range(int fd, uint64_t *mem, unsigned int i, unsigned int r,
			  unsigned long npages, uint64_t *bounce, const char *what)
{
	struct hmm_dmirror_cmd cmd;
	long bad;

	memset(&cmd, 0, sizeof(cmd));
	cmd.addr = (uintptr_t)mem;
	cmd.ptr = (uintptr_t)bounce;
	cmd.npages = npages;
	if (ioctl(fd, HMM_DMIRROR_MIGRATE_TO_DEV, &cmd) < 0)
		child_fail("process %u %s: HMM_DMIRROR_MIGRATE_TO_DEV of %lu pages failed: %s.",
			   i, what, npages, strerror(errno));
	if (cmd.cpages != npages)
		child_fail("process %u %s: HMM_DMIRROR_MIGRATE_TO_DEV moved %llu of %lu pages to the device; device memory is short or the range was not migratable.",
			   i, what, (unsigned long long)cmd.cpages, npages);
	bad = check(bounce, npages, i, r, 0);
	if (bad >= 0)
		child_fail("process %u %s: the device's copy differs from the written pattern at page %ld.",
			   i, what, bad / (long)(page_size / sizeof(uint64_t)));
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
	unsigned long npages = o->pages + i;
	unsigned long words = page_size / sizeof(uint64_t);
	int dev = proc_device(o, i);
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
	bounce = malloc(npages * page_size);
	if (!bounce)
		child_fail("process %u: out of memory for a %lu-page buffer.",
			   i, npages);

	wait_pipe_closed(start_fd);
	special_ranges(o, i, fd, keep, rep);

	for (r = 0; r < o->rounds; r++) {
		volatile uint64_t *v;
		unsigned long pg;

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
	if (o->last) {
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
	       OPT_SITES_CHILD, OPT_SITES_STOP };
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
			if (parse_uint(optarg, MAX_PAGES, &v) || v == 0) {
				fprintf(stderr, "%s: -n wants a page count from 1 to %lu, not '%s'.\n",
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
	if (o->sites_stop && !o->sites_child) {
		fprintf(stderr, "%s: --sites-stop waits for the --sites child; give --sites-child.\n",
			prog);
		exit(2);
	}
}

struct counts {
	unsigned long long pages_to_device;
	unsigned long long migrate_to_device_calls;
	unsigned long long ioctls_to_device;
	unsigned long long pages_to_ram;
	unsigned long long allocs;
	unsigned long long frees;
	unsigned long long unmapped_on_device;
};

static void add_counts(struct counts *sum, const struct counts *c)
{
	sum->pages_to_device += c->pages_to_device;
	sum->migrate_to_device_calls += c->migrate_to_device_calls;
	sum->ioctls_to_device += c->ioctls_to_device;
	sum->pages_to_ram += c->pages_to_ram;
	sum->allocs += c->allocs;
	sum->frees += c->frees;
	sum->unmapped_on_device += c->unmapped_on_device;
}

/* What process i makes the kernel do. */
static struct counts proc_counts(const struct workload_opts *o, unsigned int i)
{
	unsigned long long npages = o->pages + i;
	unsigned long long ranges = o->rounds + (o->last ? 1 : 0);
	unsigned long long batches = (npages + HMM_BATCH_PAGES - 1) / HMM_BATCH_PAGES;
	struct counts c;

	c.ioctls_to_device = ranges;
	c.migrate_to_device_calls = ranges * batches;
	c.pages_to_device = ranges * npages;
	c.pages_to_ram = (unsigned long long)o->rounds * npages;
	c.unmapped_on_device = o->last ? npages : 0;
	c.allocs = c.pages_to_device;
	if (o->bounce_pages || o->calm_pages) {
		/* one ioctl per bounce and one for the calm range */
		unsigned long long moved = (unsigned long long)o->bounce_pages * o->bounce_rounds +
					   o->calm_pages;

		c.ioctls_to_device += (o->bounce_pages ? o->bounce_rounds : 0) + !!o->calm_pages;
		c.migrate_to_device_calls +=
			o->bounce_rounds * ((o->bounce_pages + HMM_BATCH_PAGES - 1) / HMM_BATCH_PAGES) +
			(o->calm_pages + HMM_BATCH_PAGES - 1) / HMM_BATCH_PAGES;
		c.pages_to_device += moved;
		c.pages_to_ram += moved;
		c.allocs = c.pages_to_device;
	}
	c.frees = c.pages_to_ram + c.unmapped_on_device;
	return c;
}

/* What --sites makes the first process do: one range there and back. */
static struct counts sites_counts(const struct workload_opts *o)
{
	unsigned long long n = o->site_a + o->site_b;
	struct counts c = { 0 };

	if (!n)
		return c;
	c.ioctls_to_device = 1;
	c.migrate_to_device_calls = (n + HMM_BATCH_PAGES - 1) / HMM_BATCH_PAGES;
	c.pages_to_device = c.pages_to_ram = c.allocs = c.frees = n;
	return c;
}

static void print_counts(const char *prefix, const struct counts *c)
{
	printf("expect %spages_to_device=%llu migrate_to_device_calls=%llu ioctls_to_device=%llu pages_to_ram=%llu faults=%llu allocs=%llu frees=%llu unmapped_on_device=%llu\n",
	       prefix, c->pages_to_device, c->migrate_to_device_calls,
	       c->ioctls_to_device, c->pages_to_ram, c->pages_to_ram,
	       c->allocs, c->frees, c->unmapped_on_device);
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
	int sites_fd = -1, sites_dev;
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
	/* --sites: process 0's device, in this process, before any fork */
	sites_dev = proc_device(&o, 0);
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
	if (o.release) {
		for (dev = 0; dev < 2; dev++)
			if (used[dev] && release_device(dev))
				return 1;
	}

	{
		struct counts total = { 0 }, perdev[2] = { { 0 }, { 0 } };
		struct counts sc = sites_counts(&o);

		printf("workload procs=%u batches=%u rounds=%u pages=%lu device=%s touch=%s last=%d release=%d\n",
		       o.procs, o.batches, o.rounds, o.pages,
		       o.device == DEV_0 ? "0" : o.device == DEV_1 ? "1" : "alt",
		       o.write_touch ? "write" : "read", o.last, o.release);
		if (o.bounce_pages || o.calm_pages || o.site_a + o.site_b)
			printf("workload bounce=%lu:%lu calm=%lu sites=%lu:%lu\n",
			       o.bounce_pages, o.bounce_rounds, o.calm_pages, o.site_a, o.site_b);
		for (b = 0; b < o.batches; b++) {
			for (i = 0; i < o.procs; i++) {
				const struct proc_report *r = &reps[(size_t)b * o.procs + i];
				int pid = (int)pids[(size_t)b * o.procs + i];
				struct counts pc = proc_counts(&o, i);
				char prefix[64];

				add_counts(&total, &pc);
				add_counts(&perdev[proc_device(&o, i)], &pc);
				snprintf(prefix, sizeof(prefix), "pid=%d dev=%d ",
					 pid, proc_device(&o, i));
				print_counts(prefix, &pc);
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
		if (o.site_a + o.site_b) {
			char prefix[64];

			add_counts(&total, &sc);
			add_counts(&perdev[sites_dev], &sc);
			snprintf(prefix, sizeof(prefix), "pid=%d dev=%d ", (int)sites_pid,
				 sites_dev);
			print_counts(prefix, &sc);
			printf("expect pid=%d sites_start=0x%llx fault_site_a=%lu fault_site_b=%lu\n",
			       (int)sites_pid, (unsigned long long)sites_addr, o.site_a, o.site_b);
		}
		for (dev = 0; dev < 2; dev++) {
			char prefix[16];

			if (!used[dev])
				continue;
			snprintf(prefix, sizeof(prefix), "dev=%d ", dev);
			print_counts(prefix, &perdev[dev]);
		}
		printf("expect pages_to_device=%llu\n", total.pages_to_device);
		printf("expect migrate_to_device_calls=%llu\n", total.migrate_to_device_calls);
		printf("expect pages_to_ram=%llu\n", total.pages_to_ram);
		printf("expect faults=%llu\n", total.pages_to_ram);
		printf("expect allocs=%llu\n", total.allocs);
		printf("expect frees=%llu\n", total.frees);
		printf("expect releases=%d\n", o.release ? used[0] + used[1] : 0);
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

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
};

static const char *prog = "devmem-workload";
static long page_size;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [-p PROCS] [-b BATCHES] [-r ROUNDS] [-n PAGES] [-d 0|1|alt] [-w]\n"
"       [-L|--no-last] [--release] [-v] [-h]\n"
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
 * Map, fill and migrate one range to the device. Returns the mapping; the
 * device's copy of the data (returned by the ioctl) is verified too.
 */
static uint64_t *map_and_migrate(int fd, unsigned int i, unsigned int r,
				 unsigned long npages, uint64_t *bounce,
				 const char *what)
{
	size_t size = npages * page_size;
	struct hmm_dmirror_cmd cmd;
	uint64_t *mem;
	long bad;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		child_fail("process %u %s: mmap of %lu pages failed: %s.",
			   i, what, npages, strerror(errno));
	/* One base page per fault: keep THP out of the range. */
	madvise(mem, size, MADV_NOHUGEPAGE);
	fill(mem, npages, i, r);

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
	return mem;
}

static void wait_pipe_closed(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static void child(const struct workload_opts *o, unsigned int i, int start_fd,
		  int done_fd, int finish_fd)
{
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

static void parse_args(int argc, char **argv, struct workload_opts *o)
{
	enum { OPT_NO_LAST = 256, OPT_RELEASE };
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
	c.frees = c.pages_to_ram + c.unmapped_on_device;
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
 * reap them. Their pids go to pids[]. 0, or 1 if any failed.
 */
static int run_batch(const struct workload_opts *o, pid_t *pids)
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
			child(o, i, start_pipe[0], done_pipe[1], finish_pipe[0]);
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
	for (b = 0; b < o.batches; b++) {
		if (run_batch(&o, pids + (size_t)b * o.procs)) {
			fprintf(stderr, "%s: the workload failed in batch %u (see above); its expectations are not printed.\n",
				prog, b);
			return 1;
		}
		if (o.verbose)
			fprintf(stderr, "%s: batch %u done\n", prog, b);
	}

	if (o.release) {
		for (dev = 0; dev < 2; dev++)
			if (used[dev] && release_device(dev))
				return 1;
	}

	{
		struct counts total = { 0 }, perdev[2] = { { 0 }, { 0 } };

		printf("workload procs=%u batches=%u rounds=%u pages=%lu device=%s touch=%s last=%d release=%d\n",
		       o.procs, o.batches, o.rounds, o.pages,
		       o.device == DEV_0 ? "0" : o.device == DEV_1 ? "1" : "alt",
		       o.write_touch ? "write" : "read", o.last, o.release);
		for (b = 0; b < o.batches; b++) {
			for (i = 0; i < o.procs; i++) {
				struct counts pc = proc_counts(&o, i);
				char prefix[64];

				add_counts(&total, &pc);
				add_counts(&perdev[proc_device(&o, i)], &pc);
				snprintf(prefix, sizeof(prefix), "pid=%d dev=%d ",
					 (int)pids[(size_t)b * o.procs + i], proc_device(&o, i));
				print_counts(prefix, &pc);
			}
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
	}
	free(pids);
	return 0;
}

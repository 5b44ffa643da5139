// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * hmm-thp: THP-sized migrations through test_hmm (/dev/hmm_dmirror0), for
 * the guest checks of the zone_device events of large device private folios
 * (Linux 6.19 and later; test_hmm migrates with MIGRATE_VMA_SELECT_COMPOUND).
 *
 * Each of -r rounds maps 4 MiB of anonymous memory, takes its 2 MiB-aligned
 * half, asks for a THP there (MADV_HUGEPAGE), writes a pattern into every
 * page and migrates the 2 MiB to the device (HMM_DMIRROR_MIGRATE_TO_DEV, one
 * ioctl), then brings it back: by reading it from the CPU (the default: one
 * fault on the device private PMD moves all of it), or with -s by
 * HMM_DMIRROR_MIGRATE_TO_SYS. It checks the pattern and unmaps.
 *
 * Whether the memory was a THP before the migration, and again after it came
 * back, it reads from /proc/self/smaps (AnonHugePages of the mapping): the
 * kernel makes a 2 MiB device folio of a THP and a 2 MiB system folio on the
 * way back only when it can allocate one. It prints what that makes the
 * kernel do as "expect KEY=VALUE" lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lib/test_hmm_uapi.h>

#define THP_SIZE	(2UL << 20)

static const char *prog = "hmm-thp";

#define die(...) do {							\
	fprintf(stderr, "%s: ", prog);					\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	exit(1);							\
} while (0)

/* AnonHugePages, in kB, of the mapping that contains @addr. */
static long anon_huge_kb(const void *addr)
{
	unsigned long a = (unsigned long)addr, start, end;
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0;
	long kb = -1;

	if (!f)
		die("cannot read /proc/self/smaps: %s.", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a >= start && a < end;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static int dmirror(int fd, unsigned long cmd, void *addr, unsigned long npages,
		   struct hmm_dmirror_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->addr = (uintptr_t)addr;
	c->ptr = (uintptr_t)malloc(npages * 4096);
	c->npages = npages;
	if (!c->ptr)
		die("out of memory.");
	if (ioctl(fd, cmd, c) < 0)
		return -errno;
	free((void *)(uintptr_t)c->ptr);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long rounds = 4, r, i, pages = THP_SIZE / 4096;
	unsigned long src_thp = 0, back_thp = 0, pmd_faults = 0;
	long page = sysconf(_SC_PAGESIZE);
	int sys = 0, c, fd;

	while ((c = getopt(argc, argv, "r:sh")) != -1) {
		switch (c) {
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			if (!rounds || rounds > 1000)
				die("-r wants 1 to 1000 rounds, not '%s'.", optarg);
			break;
		case 's':
			sys = 1;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"Usage: %s [-r ROUNDS] [-s]\n"
				"  -r ROUNDS  2 MiB migrations to the device and back (default 4)\n"
				"  -s         bring them back with HMM_DMIRROR_MIGRATE_TO_SYS, not a CPU fault\n",
				prog);
			return c == 'h' ? 0 : 2;
		}
	}
	if (page != 4096)
		die("this expects 4 KiB pages, not %ld.", page);
	fd = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("cannot open /dev/hmm_dmirror0: %s; load test_hmm.ko first.", strerror(errno));

	for (r = 0; r < rounds; r++) {
		struct hmm_dmirror_cmd cmd;
		char *map, *p;
		long before, after;
		int ret;

		map = mmap(NULL, 2 * THP_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED)
			die("mmap of 4 MiB failed: %s.", strerror(errno));
		p = (char *)(((uintptr_t)map + THP_SIZE - 1) & ~(THP_SIZE - 1));
		if (madvise(p, THP_SIZE, MADV_HUGEPAGE) < 0)
			die("madvise(MADV_HUGEPAGE) failed: %s.", strerror(errno));
		for (i = 0; i < pages; i++)
			memset(p + i * page, (int)(r * 31 + i) & 0xff, page);
		before = anon_huge_kb(p);
		ret = dmirror(fd, HMM_DMIRROR_MIGRATE_TO_DEV, p, pages, &cmd);
		if (ret)
			die("round %lu: HMM_DMIRROR_MIGRATE_TO_DEV failed: %s.", r, strerror(-ret));
		if (cmd.cpages != pages)
			die("round %lu: %llu of %lu pages reached the device.", r,
			    (unsigned long long)cmd.cpages, pages);
		if (sys) {
			ret = dmirror(fd, HMM_DMIRROR_MIGRATE_TO_SYS, p, pages, &cmd);
			if (ret)
				die("round %lu: HMM_DMIRROR_MIGRATE_TO_SYS failed: %s.", r, strerror(-ret));
		}
		for (i = 0; i < pages; i++)
			if (((volatile char *)p)[i * page] != (char)((r * 31 + i) & 0xff))
				die("round %lu: page %lu lost its data.", r, i);
		after = anon_huge_kb(p);
		if (before >= 2048) {
			src_thp++;
			if (!sys)
				pmd_faults++;
			if (after >= 2048)
				back_thp++;
		}
		printf("round %lu anon_huge_kb_before=%ld after=%ld\n", r, before, after);
		munmap(map, 2 * THP_SIZE);
	}
	close(fd);
	/*
	 * A THP goes to the device as one order-9 device folio and comes back
	 * as one order-9 system folio if one could be allocated (a THP again
	 * after), else as 512 pages; memory that was not a THP moves as 512
	 * order-0 folios. A device private PMD faults once.
	 */
	printf("expect thp_rounds=%lu source_thp=%lu back_thp=%lu pmd_faults=%lu mode=%s\n",
	       rounds, src_thp, back_thp, pmd_faults, sys ? "sys" : "fault");
	printf("expect device_folios_order9=%lu device_folios_order0=%lu pages_to_device=%lu pages_to_ram=%lu\n",
	       src_thp, (rounds - src_thp) * pages, rounds * pages, rounds * pages);
	printf("expect ram_folios_order9=%lu ram_folios_order0=%lu\n",
	       back_thp, (rounds - back_thp) * pages);
	return 0;
}

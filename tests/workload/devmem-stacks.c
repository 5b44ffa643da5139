// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmem-stacks: device-private faults with known user stacks, for stack
 * tools. It migrates N1 + N2 pages to a test_hmm device, then copies them
 * back to RAM from main() through copy_sites() and the two functions of
 * its own shared library libdevmem-sites.so: site_copy_a() copies the first
 * N1 pages, site_copy_b() the next N2, one call of the library's leaf per
 * page. Every page faults once, inside the leaf, so the stacks are
 *
 *   main;copy_sites;site_copy_a;LEAF   N1 faults
 *   main;copy_sites;site_copy_b;LEAF   N2 faults
 *
 * (root first). Built by tests/workload/build.sh twice: devmem-stacks,
 * everything -O2 -fomit-frame-pointer, whose LEAF is libc's memcpy() (the
 * implementation its IFUNC selected); devmem-stacks-fp, everything -O1
 * -fno-omit-frame-pointer, whose LEAF is the library's sites_copy_leaf(),
 * a leaf gcc gives no frame. Sibling calls are off in both, so no caller
 * is replaced by its callee.
 *
 * After the faults it prints "expect KEY=VALUE" lines: the counts the
 * kernel must have seen (the keys of devmem-workload), the faults per site
 * and per stack, and where the leaf and the sites are (their mappings and
 * file offsets). Then, by default, it unmaps and exits; with --exit-at-once
 * it exits at once (no unmap, no close), before a tool could read its
 * maps; with --exec it replaces itself with another program, so its maps
 * are gone while its PID lives on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lib/test_hmm_uapi.h>

#include "devmem-sites.h"

#define MAX_PAGES	(1UL << 16)
/* pages per migration ioctl: one migrate_vma call of test_hmm on every kernel */
#define PIECE_PAGES	64

static const char *prog = "devmem-stacks";
static long page_size;

struct stacks_opts {
	int dev;
	unsigned long na, nb;
	int exit_at_once;
	char **exec_argv;	/* --exec PROG [ARGS...]: the rest of the command line */
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [-d 0|1] [-s N1:N2] [--exit-at-once | --exec PROG [ARGS...]] [-h]\n"
"\n"
"Fault on device-private memory from two known functions of a shared library\n"
"(site_copy_a, site_copy_b), called from main through copy_sites, and print\n"
"what the kernel and a stack tool must have seen, as 'expect KEY=VALUE' lines.\n"
"\n"
"  -d, --device DEV     test_hmm device 0 or 1 (default 0)\n"
"  -s, --sites N1:N2    pages copied by site_copy_a and site_copy_b, one fault\n"
"                       each (default 5:7)\n"
"      --exit-at-once   exit right after the faults and the expect lines, before\n"
"                       a tool could read this process's maps\n"
"      --exec PROG ...  then exec PROG with the arguments after it (the rest of\n"
"                       the command line): the PID lives on, its maps are PROG's\n"
"  -h, --help           this help\n"
"\n"
"Requires the test_hmm module: insmod test_hmm.ko.\n", prog);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t pattern(unsigned long pg, unsigned long w)
{
	return ((uint64_t)(pg + 1) << 32 ^ w ^ 0x5157e5ULL) * 0x9E3779B97F4A7C15ULL;
}

static int parse_count(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *s == '-' || *v > MAX_PAGES ? -1 : (int)(end - s);
}

static void parse_args(int argc, char **argv, struct stacks_opts *o)
{
	enum { OPT_EXIT = 256, OPT_EXEC };
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "sites", required_argument, NULL, 's' },
		{ "exit-at-once", no_argument, NULL, OPT_EXIT },
		{ "exec", required_argument, NULL, OPT_EXEC },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, n;

	/* "+": options end at the first non-option, the program --exec runs */
	while ((c = getopt_long(argc, argv, "+d:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (strcmp(optarg, "0") && strcmp(optarg, "1")) {
				fprintf(stderr, "%s: -d wants 0 or 1, not '%s'.\n", prog, optarg);
				exit(2);
			}
			o->dev = optarg[0] - '0';
			break;
		case 's':
			n = parse_count(optarg, &o->na);
			if (n < 0 || optarg[n] != ':' || parse_count(optarg + n + 1, &o->nb) < 0 ||
			    strchr(optarg + n + 1, ':') || !o->na || !o->nb) {
				fprintf(stderr, "%s: -s wants N1:N2, page counts from 1 to %lu, not '%s'.\n",
					prog, MAX_PAGES, optarg);
				exit(2);
			}
			break;
		case OPT_EXIT:
			o->exit_at_once = 1;
			break;
		case OPT_EXEC:
			/* PROG is optarg; its arguments are what getopt has not read */
			o->exec_argv = &argv[optind - 1];
			optind = argc;
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
		fprintf(stderr, "%s: unexpected argument '%s'; see %s -h.\n", prog, argv[optind],
			prog);
		exit(2);
	}
	if (o->exit_at_once && o->exec_argv) {
		fprintf(stderr, "%s: --exit-at-once and --exec end the process in two ways; give one.\n",
			prog);
		exit(2);
	}
}

/* The mapping of this process that holds addr: its range, file offset and path. */
struct where {
	unsigned long start, end, offset;
	char path[256];
};

static int find_mapping(const void *addr, struct where *w)
{
	unsigned long a = (unsigned long)addr;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		char perms[8];
		int n = 0;

		w->path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &w->start, &w->end, perms,
			   &w->offset, &n) < 4)
			continue;
		if (a < w->start || a >= w->end)
			continue;
		snprintf(w->path, sizeof(w->path), "%s", line + n);
		w->path[strcspn(w->path, "\n")] = '\0';
		found = 1;
	}
	fclose(f);
	return found ? 0 : -1;
}

/* The third function of the stacks, between main and the sites. */
__attribute__((noipa)) size_t copy_sites(void *dst, const void *src, const struct stacks_opts *o)
{
	size_t n;

	n = site_copy_a(dst, src, o->na, page_size);
	n += site_copy_b((char *)dst + o->na * page_size, (const char *)src + o->na * page_size,
			 o->nb, page_size);
	return n;
}

static void migrate(int fd, uint64_t *mem, unsigned long npages, uint64_t *bounce)
{
	unsigned long words = page_size / sizeof(uint64_t), done, n;
	struct hmm_dmirror_cmd cmd;

	for (done = 0; done < npages; done += n) {
		n = npages - done < PIECE_PAGES ? npages - done : PIECE_PAGES;
		memset(&cmd, 0, sizeof(cmd));
		cmd.addr = (uintptr_t)(mem + done * words);
		cmd.ptr = (uintptr_t)(bounce + done * words);
		cmd.npages = n;
		if (ioctl(fd, HMM_DMIRROR_MIGRATE_TO_DEV, &cmd) < 0)
			die("HMM_DMIRROR_MIGRATE_TO_DEV of %lu pages failed: %s.", n, strerror(errno));
		if (cmd.cpages != n)
			die("HMM_DMIRROR_MIGRATE_TO_DEV moved %llu of %lu pages to the device; device memory is short.",
			    (unsigned long long)cmd.cpages, n);
	}
}

/* The offset in its file of a function of a mapped object, for a uprobe. */
static unsigned long file_offset(const void *fn, const struct where *w)
{
	return (unsigned long)fn - w->start + w->offset;
}

int main(int argc, char **argv)
{
	struct stacks_opts o = { .dev = 0, .na = 5, .nb = 7 };
	unsigned long words, npages, pg, w, ioctls;
	uint64_t *mem, *bounce, *dst;
	struct where leaf, sites;
	const char *leaf_name;
	char path[64];
	int fd, pid;

	page_size = sysconf(_SC_PAGESIZE);
	words = page_size / sizeof(uint64_t);
	parse_args(argc, argv, &o);
	npages = o.na + o.nb;
	pid = (int)getpid();

	snprintf(path, sizeof(path), "/dev/hmm_dmirror%d", o.dev);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("cannot open %s: %s; load test_hmm (insmod test_hmm.ko) first.", path,
		    strerror(errno));
	mem = mmap(NULL, npages * page_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bounce = malloc(npages * page_size);
	dst = malloc(npages * page_size);
	if (mem == MAP_FAILED || !bounce || !dst)
		die("out of memory for %lu pages.", npages);
	/* one base page per fault */
	madvise(mem, npages * page_size, MADV_NOHUGEPAGE);
	for (pg = 0; pg < npages; pg++)
		for (w = 0; w < words; w++)
			mem[pg * words + w] = pattern(pg, w);
	migrate(fd, mem, npages, bounce);
	for (pg = 0; pg < npages; pg++)
		if (bounce[pg * words] != pattern(pg, 0))
			die("the device's copy of page %lu differs from the written pattern.", pg);

	/* every page faults once, inside the leaf */
	if (copy_sites(dst, mem, &o) != npages)
		die("the sites copied a wrong number of pages.");
	for (pg = 0; pg < npages; pg++)
		for (w = 0; w < words; w++)
			if (dst[pg * words + w] != pattern(pg, w))
				die("page %lu came back from the device wrong.", pg);

	leaf_name = sites_leaf_name();
	if (find_mapping(sites_leaf_address(), &leaf) || find_mapping((void *)site_copy_a, &sites))
		die("cannot find the leaf and the sites in /proc/self/maps.");
	ioctls = (npages + PIECE_PAGES - 1) / PIECE_PAGES;
	printf("workload stacks sites=%lu:%lu device=%d leaf=%s end=%s\n", o.na, o.nb, o.dev,
	       leaf_name, o.exit_at_once ? "exit-at-once" : o.exec_argv ? "exec" : "exit");
	printf("expect pid=%d dev=%d pages_to_device=%lu migrate_to_device_calls=%lu ioctls_to_device=%lu pages_to_ram=%lu faults=%lu allocs=%lu frees=%lu unmapped_on_device=0\n",
	       pid, o.dev, npages, ioctls, ioctls, npages, npages, npages, npages);
	printf("expect pid=%d site_copy_a=%lu site_copy_b=%lu\n", pid, o.na, o.nb);
	printf("expect pid=%d stack_a=main;copy_sites;site_copy_a;%s stack_b=main;copy_sites;site_copy_b;%s\n",
	       pid, leaf_name, leaf_name);
	printf("expect pid=%d leaf=%s leaf_addr=0x%lx leaf_map=0x%lx-0x%lx leaf_object=%s\n", pid,
	       leaf_name, (unsigned long)sites_leaf_address(), leaf.start, leaf.end, leaf.path);
	printf("expect pid=%d sites_object=%s site_copy_a_offset=0x%lx site_copy_b_offset=0x%lx copy_sites=0x%lx\n",
	       pid, sites.path, file_offset((void *)site_copy_a, &sites),
	       file_offset((void *)site_copy_b, &sites), (unsigned long)copy_sites);
	printf("expect dev=%d pages_to_device=%lu migrate_to_device_calls=%lu ioctls_to_device=%lu pages_to_ram=%lu faults=%lu allocs=%lu frees=%lu unmapped_on_device=0\n",
	       o.dev, npages, ioctls, ioctls, npages, npages, npages, npages);
	printf("expect pages_to_device=%lu\nexpect migrate_to_device_calls=%lu\nexpect pages_to_ram=%lu\nexpect faults=%lu\nexpect allocs=%lu\nexpect frees=%lu\n",
	       npages, ioctls, npages, npages, npages, npages);
	fflush(stdout);
	if (o.exit_at_once)
		_exit(0);
	if (o.exec_argv) {
		execvp(o.exec_argv[0], o.exec_argv);
		fprintf(stderr, "%s: cannot exec %s: %s.\n", prog, o.exec_argv[0], strerror(errno));
		return 127;
	}
	munmap(mem, npages * page_size);
	close(fd);
	free(bounce);
	free(dst);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * listing: what reading /sys/kernel/debug/zone_device/pagemaps costs, and what it
 * costs a concurrent remove, against the size of the pagemaps listed. Run in
 * the guest by tests/bench/listing.sh, with the test driver loaded.
 *
 *   listing PAGES READS [REMOVES]
 *
 * adds one pagemap of PAGES struct pages (DEVMEM_TD_UNBACKED: only a few of
 * them backed) to a new test device, then
 *   - reads the listing READS times and prints each read's time;
 *   - removes the pagemap REMOVES times (default 5; it is added again before
 *     each) while nothing reads the listing, then REMOVES times while a child
 *     process reads it in a loop, and prints how long each remove took:
 *     memunmap_pages() as the driver timed it, and the ioctl as seen from
 *     here.
 * Output lines: "read PAGES US", "remove PAGES idle|busy WAIT_US IOCTL_US".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "devmem_testdrv.h"

#define LISTING "/sys/kernel/debug/zone_device/pagemaps"

/* one sentence: what failed, why, and what to do about it */
static void die(const char *what, const char *remedy)
{
	fprintf(stderr, "listing: %s failed (%s); %s.\n", what, strerror(errno), remedy);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* one whole read of the listing, as cat does it */
static void read_listing(void)
{
	static char buf[65536];
	int fd = open(LISTING, O_RDONLY);

	if (fd < 0)
		die("open " LISTING, "run it as root on a kernel with the devmem series and debugfs mounted");
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static unsigned int add(int fd, unsigned int dev, unsigned int pages)
{
	struct devmem_td_pagemap pm = {
		.dev = dev, .nr_range = 1, .npages = pages,
		.flags = DEVMEM_TD_DIRECT | DEVMEM_TD_UNBACKED,
	};

	if (ioctl(fd, DEVMEM_TD_ADD_PAGEMAP, &pm) < 0)
		die("DEVMEM_TD_ADD_PAGEMAP", "use a devmem_testdrv.ko built from this tree, which knows DEVMEM_TD_UNBACKED");
	return pm.pagemap;
}

static void remove_timed(int fd, unsigned int pagemap, unsigned int pages, const char *kind)
{
	struct devmem_td_remove rm = { .pagemap = pagemap };
	uint64_t t0 = now_ns();

	if (ioctl(fd, DEVMEM_TD_REMOVE_PAGEMAP, &rm) < 0)
		die("DEVMEM_TD_REMOVE_PAGEMAP", "see the kernel log for what the driver said");
	printf("remove %u %s %.1f %.1f\n", pages, kind, rm.wait_ns / 1000.0,
	       (now_ns() - t0) / 1000.0);
}

int main(int argc, char **argv)
{
	struct devmem_td_dev dev = { 0 };
	unsigned int pages, reads, removes = 5, pagemap, i;
	pid_t reader;
	int fd;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: listing PAGES READS [REMOVES]\n");
		return 2;
	}
	pages = strtoul(argv[1], NULL, 0);
	reads = strtoul(argv[2], NULL, 0);
	if (argc == 4)
		removes = strtoul(argv[3], NULL, 0);
	if (!removes)
		removes = 1;
	fd = open("/dev/" DEVMEM_TD_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/" DEVMEM_TD_NAME, "load devmem_testdrv.ko first (tests/driver/build.sh builds it)");
	if (ioctl(fd, DEVMEM_TD_CREATE_DEV, &dev) < 0)
		die("DEVMEM_TD_CREATE_DEV", "see the kernel log for what the driver said");

	pagemap = add(fd, dev.dev, pages);
	for (i = 0; i < reads; i++) {
		uint64_t t0 = now_ns();

		read_listing();
		printf("read %u %.1f\n", pages, (now_ns() - t0) / 1000.0);
	}
	remove_timed(fd, pagemap, pages, "idle");
	for (i = 1; i < removes; i++) {
		pagemap = add(fd, dev.dev, pages);
		remove_timed(fd, pagemap, pages, "idle");
	}

	fflush(stdout);
	reader = fork();
	if (reader < 0)
		die("fork", "free some memory and run it again");
	if (reader == 0) {
		for (;;)
			read_listing();
	}
	for (i = 0; i < removes; i++) {
		pagemap = add(fd, dev.dev, pages);
		usleep(100000);		/* the reader lists the new pagemap */
		remove_timed(fd, pagemap, pages, "busy");
	}
	kill(reader, SIGKILL);
	waitpid(reader, NULL, 0);

	if (ioctl(fd, DEVMEM_TD_DESTROY_DEV, &dev) < 0)
		die("DEVMEM_TD_DESTROY_DEV", "see the kernel log for what the driver said");
	close(fd);
	return 0;
}

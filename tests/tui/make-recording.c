// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Write a recording with known content for the devmemtop tests: FRAMES
 * frames, INTERVAL_MS apart, each adding the same amounts per process:
 *
 *   pid   comm              device  faults todev toram allocs frees
 *   1001  alpha             gpu0      10    100    10    100     5
 *   1002  bravo             gpu0      30     20    30     20    50
 *   1003  charlie           gpu1      20     50    20     50     1
 *   1004  "evil\e[31m"      gpu1       1      1     1      1     1
 *
 * gpu0 (owner 0xffff888000001000) has one range discovered at the start with
 * 7 pages in use, named "gpu0 private"; gpu1 (owner 0xffff888000002000) one
 * range added while traced, "gpu1-private". One more range, of an unknown
 * owner, was discovered at the start ("older": 4 pages, 3 of them in use,
 * a device 75% full). Devices are named after their ranges, so they are
 * "gpu0 private", "gpu1-private" and "older".
 * Every page is a folio of order 0: the folio counts by order equal the
 * page counts (allocs, frees, pages to the device and to RAM).
 *
 *   make-recording FILE [FRAMES [INTERVAL_MS [thrash]]]
 *
 * thrash: thrashing detection on (with no page thrashing), so that the
 * frames also hold the page size.
 * FRAMES 0 writes the header alone: a recorder stopped before its first
 * interval ended.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "model/hist.h"
#include "model/snapshot.h"
#include "store/record.h"

#define GPU0 0xffff888000001000ULL
#define GPU1 0xffff888000002000ULL

struct proc_step {
	__u32 pid;
	const char *comm;
	__u64 owner;
	__u64 faults, todev, toram, allocs, frees;
	__u64 latency_ns;	/* every fault of the frame takes this long */
};

static const struct proc_step steps[] = {
	{ 1001, "alpha", GPU0, 10, 100, 10, 100, 5, 3000 },
	{ 1002, "bravo", GPU0, 30, 20, 30, 20, 50, 70000 },
	{ 1003, "charlie", GPU1, 20, 50, 20, 50, 1, 900000 },
	{ 1004, "evil\x1b[31m", GPU1, 1, 1, 1, 1, 1, 1000 },
};

/* the folios of a range or of the total: one of order 0 a page */
static void add_folios(struct devmem_folio_counts *f, const struct proc_step *p, __u64 k)
{
	f->allocs[0] += p->allocs * k;
	f->frees[0] += p->frees * k;
	f->to_device[0] += p->todev * k;
	f->to_ram[0] += p->toram * k;
}

static void add(struct devmem_counters *c, const struct proc_step *p, __u64 k)
{
	c->faults += p->faults * k;
	c->pages_to_device += p->todev * k;
	c->pages_to_ram += p->toram * k;
	c->fault_pages += p->toram * k;
	c->fault_migrations += p->toram * k;
	c->migrate_calls_to_ram += p->toram * k;
	c->migrate_calls_to_device += k;
	c->allocs += p->allocs * k;
	c->frees += p->frees * k;
}

int main(int argc, char **argv)
{
	unsigned long frames = argc > 2 ? strtoul(argv[2], NULL, 10) : 5;
	unsigned long interval_ms = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
	/* thrashing detection on (no page thrashes): the frames keep the page size */
	bool thrash = argc > 4 && !strcmp(argv[4], "thrash");
	struct devmem_record_opts ro = { .host = "testhost" };
	struct devmem_recorder *rec;
	struct timespec now;
	char err[512];
	__u64 t0;

	if (argc < 2 || (argc > 2 && !frames && strcmp(argv[2], "0"))) {
		fprintf(stderr, "usage: make-recording FILE [FRAMES [INTERVAL_MS]]\n");
		return 2;
	}
	if (devmem_recorder_open(argv[1], &ro, &rec, err, sizeof(err))) {
		fprintf(stderr, "make-recording: %s\n", err);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	t0 = (__u64)now.tv_sec * 1000000000ULL + (__u64)now.tv_nsec;
	for (unsigned long f = 1; f <= frames; f++) {
		struct devmem_snapshot s;
		struct devmem_snap_range *r, *gpu[2];

		devmem_snapshot_init(&s);
		s.ts_ns = t0 + f * interval_ms * 1000000ULL;
		s.mode = DEVMEM_MODE_TP_BTF;
		if (thrash) {
			s.thrash_on = true;
			s.thrash_k = 3;
			s.thrash_window_ns = 1000000000ULL;
			s.page_size = 4096;
		}
		gpu[0] = devmem_snapshot_range(&s, 1, 0x100000000ULL);
		gpu[1] = devmem_snapshot_range(&s, 2, 0x200000000ULL);
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			const struct proc_step *p = &steps[i];
			struct devmem_process *pr = devmem_snapshot_process(&s, p->pid, 1);

			if (!pr)
				return 1;
			snprintf(pr->comm, sizeof(pr->comm), "%s", p->comm);
			add(&pr->c, p, f);
			add(&gpu[p->owner == GPU1]->c, p, f);
			add_folios(&gpu[p->owner == GPU1]->folios, p, f);
			add(&s.total, p, f);
			add_folios(&s.folios, p, f);
			pr->has_hist = true;
			for (__u64 n = 0; n < p->faults * f; n++) {
				devmem_hist_add(&pr->hist[DEVMEM_HIST_FAULT_LATENCY], p->latency_ns);
				devmem_hist_add(&s.hist[DEVMEM_HIST_FAULT_LATENCY], p->latency_ns);
			}
		}
		r = gpu[0];
		r->r.end = 0x10fffffffULL;
		r->r.nr_pages = 65536;
		r->r.owner = GPU0;
		r->r.type = DEVMEM_TYPE_PRIVATE;
		r->in_use_at_start = 7;
		r->sources = DEVMEM_RANGE_TRACED | DEVMEM_RANGE_DISCOVERED;
		snprintf(r->name, sizeof(r->name), "gpu0 private");
		r = gpu[1];
		r->r.end = 0x21fffffffULL;
		r->r.nr_pages = 131072;
		r->r.owner = GPU1;
		r->r.type = DEVMEM_TYPE_PRIVATE;
		r->r.added_ns = t0 + 1;
		r->sources = DEVMEM_RANGE_TRACED;
		snprintf(r->name, sizeof(r->name), "gpu1-private");
		r = devmem_snapshot_range(&s, 0, 0x300000000ULL);
		r->r.end = 0x300003fffULL;
		r->r.nr_pages = 4;
		r->in_use_at_start = 3;
		r->sources = DEVMEM_RANGE_DISCOVERED;
		snprintf(r->name, sizeof(r->name), "older");
		if (devmem_snapshot_group_devices(&s))
			return 1;
		devmem_snapshot_sort(&s);
		if (devmem_recorder_write(rec, &s, err, sizeof(err))) {
			fprintf(stderr, "make-recording: %s\n", err);
			return 1;
		}
		devmem_snapshot_free(&s);
	}
	devmem_recorder_close(rec);
	return 0;
}

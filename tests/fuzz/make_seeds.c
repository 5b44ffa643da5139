// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Seed corpus for fuzz_recording, written by the recorder API itself. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "model/hist.h"
#include "model/snapshot.h"
#include "model/stacks.h"
#include "store/record.h"

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* a thrashing page and a fault stack per process, changing every other frame */
static void diag(struct devmem_snapshot *s, unsigned int k, unsigned int procs)
{
	s->thrash_on = s->stacks_on = true;
	s->thrash_k = 3;
	s->thrash_window_ns = 1000000000ULL;
	s->page_size = 4096;
	s->thrash = calloc(procs, sizeof(*s->thrash));
	s->stacks = calloc(procs, sizeof(*s->stacks));
	if (!s->thrash || !s->stacks)
		return;
	for (unsigned int p = 0; p < procs; p++) {
		const char *names[2] = { "fault_site_a", "main" };
		struct devmem_thrash_entry *e = &s->thrash[p];
		struct devmem_snap_stack *st = &s->stacks[p];

		e->tgid = st->tgid = 100 + p;
		e->start_ns = st->start_ns = 1000 + p;
		e->vaddr = 0x7f0000000000ULL;
		e->range = 0x100000000ULL;
		e->bounces = e->faults = k / 2 + 2;
		e->window_max = 4;
		st->id = 1;
		st->faults = k / 2 + 1;
		strcpy(st->comm, "p");
		if (devmem_stack_set_names(st, names, 2))
			return;
		s->nr_thrash = s->nr_stacks = p + 1;
	}
}

static int seed(const char *dir, const char *name, unsigned int frames, unsigned int procs,
		bool hists)
{
	struct devmem_record_opts o = { .host = "seed" };
	struct devmem_recorder *rec;
	struct devmem_snapshot s;
	char path[512], err[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (devmem_recorder_open(path, &o, &rec, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (unsigned int k = 0; k < frames; k++) {
		devmem_snapshot_init(&s);
		s.ts_ns = now_ns() + k;
		s.mode = DEVMEM_MODE_TP_BTF;
		s.total.faults = k * 7;
		s.total.allocs = k * 3;
		devmem_hist_add(&s.hist[DEVMEM_HIST_FAULT_LATENCY], 1000 * (k + 1));
		devmem_hist_add(&s.hist[DEVMEM_HIST_PAGE_LIFETIME], 1ULL << 62);
		s.lost[0] = k;
		for (unsigned int p = 0; p < procs; p++) {
			struct devmem_process *pr = devmem_snapshot_process(&s, 100 + p, 1000 + p);

			snprintf(pr->comm, sizeof(pr->comm), "p%u", p);
			pr->c.faults = k;
			pr->has_hist = hists;
			if (hists)
				devmem_hist_add(&pr->hist[0], 5000);
		}
		if (procs) {
			struct devmem_snap_range *r = devmem_snapshot_range(&s, 7, 0x100000000ULL);

			r->c.pages_to_ram = k;
			r->has_hist = hists;
			r->r.nr_pages = 1024;
			r->r.owner = 0xffff8880aabb0000ULL;
			strcpy(r->name, "hmm_dmirror");
			if (devmem_snapshot_group_devices(&s))
				return 1;
			strcpy(s.note, "seed note");
			if (hists)
				diag(&s, k, procs);
		}
		if (devmem_recorder_write(rec, &s, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		devmem_snapshot_free(&s);
	}
	devmem_recorder_close(rec);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";

	return seed(dir, "header-only.rec", 0, 0, false) ||
	       seed(dir, "one-empty.rec", 1, 0, false) ||
	       seed(dir, "three.rec", 3, 1, false) ||
	       seed(dir, "hists.rec", 3, 2, true);
}

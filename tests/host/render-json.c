// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The JSON every tool prints, rendered on the host from made-up snapshots
 * and events through the same library writers, for tests/host/json-schema.sh:
 *
 *   render-json stat      devmemstat -j: a cumulative snapshot and a delta
 *   render-json top       devmemtop -j: an initial, a data and a summary frame
 *   render-json snoop     devmemsnoop -j: an event of every type, lost records
 *   render-json ranges    devmemranges -j: a live, a removing and a removed range
 *
 * The data reach every branch of the writers that a shape depends on:
 * counters not observed (and busy faults on the fallback), folios of order
 * 0 and 9 and folios not kept, a saturated histogram, exited processes,
 * hostile names (escape sequences, a C1 byte, invalid UTF-8), ranges
 * removed and listed only at start, events of large folios and every
 * migration reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/counts.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/inventory.h"
#include "render/report.h"
#include "render/snoop_fmt.h"
#include "render/top_view.h"

#define SEC 1000000000ULL
#define T0 (1000 * SEC)

/* ESC [2J, an OSC title, the 8-bit CSI 0x9b and a byte that is no UTF-8 */
static const char hostile[] = "\x1b[2J\x1b]0;owned\x07\x9b" "1m\xff";
/* the same in a process name's 15 bytes */
static const char hostile_comm[] = "\x1b[2J\x1b]0;x\x07\x9b\xff";

static void fail(const char *what)
{
	fprintf(stderr, "render-json: %s failed\n", what);
	exit(1);
}

static void build(struct devmem_snapshot *s, unsigned int k)
{
	struct devmem_snap_range *r;
	struct devmem_process *p;

	devmem_snapshot_init(s);
	s->ts_ns = T0 + k * SEC;
	s->mode = DEVMEM_MODE_TP_BTF;

	r = devmem_snapshot_range(s, 1, 0x100000000ULL);
	r->r.end = 0x10fffffffULL;
	r->r.nr_pages = 65536;
	r->r.owner = 0xffff888100000000ULL;
	r->r.type = DEVMEM_TYPE_PRIVATE;
	r->r.nid = 0;
	r->in_use_at_start = 4;
	r->sources = DEVMEM_RANGE_TRACED | DEVMEM_RANGE_DISCOVERED;
	r->c.faults = 10 * k;
	r->c.allocs = 40 * k;
	r->c.frees = 30 * k;
	r->c.pages_to_device = 40 * k;
	r->c.pages_to_ram = 10 * k;
	r->c.faults_pmd = k;
	/* 8 small folios and one of 2 MiB a frame; one moved back as a 2 MiB folio */
	r->folios.allocs[0] = 8 * k;
	r->folios.allocs[9] = k;
	r->folios.frees[0] = 6 * k;
	r->folios.to_device[0] = 8 * k;
	r->folios.to_device[9] = k;
	r->folios.to_ram[9] = k;
	r->has_hist = true;
	devmem_hist_add(&r->hist[DEVMEM_HIST_FAULT_LATENCY], 25000);
	snprintf(r->name, sizeof(r->name), "hmm_dmirror");

	/* removed while traced, with a hostile name */
	r = devmem_snapshot_range(s, 2, 0x200000000ULL);
	r->r.end = 0x20fffffffULL;
	r->r.nr_pages = 65536;
	r->r.owner = 0xffff888200000000ULL;
	r->r.type = DEVMEM_TYPE_COHERENT;
	r->r.nid = ~0U;
	r->r.added_ns = T0 + 1;
	r->r.removed_ns = T0 + 2;
	r->r.remove_done_ns = T0 + 3;
	r->r.in_use_at_remove = 0;
	r->in_use_at_start = DEVMEM_UNKNOWN;
	r->sources = DEVMEM_RANGE_TRACED;
	snprintf(r->name, sizeof(r->name), "%s", hostile);

	/* listed at start only: no owner, no gen */
	r = devmem_snapshot_range(s, 0, 0x300000000ULL);
	r->r.end = 0x303ffffffULL;
	r->r.nr_pages = 16384;
	r->r.nid = ~0U;
	r->in_use_at_start = DEVMEM_UNKNOWN;
	r->sources = DEVMEM_RANGE_DISCOVERED;

	p = devmem_snapshot_process(s, 4242, T0);
	snprintf(p->comm, sizeof(p->comm), "%s", hostile_comm);
	p->c = s->ranges[0].c;
	p->has_hist = true;
	devmem_hist_add(&p->hist[DEVMEM_HIST_FAULT_LATENCY], 25000);
	devmem_hist_add(&p->hist[DEVMEM_HIST_FAULT_LATENCY], 1ULL << 62);	/* saturated */
	p = devmem_snapshot_process(s, 4243, T0);
	snprintf(p->comm, sizeof(p->comm), "gone");
	p->exit_ns = T0 + 5;
	p->lost_events = 3;
	p->c.faults = k;

	s->total = s->ranges[0].c;
	s->total.refs_waited = DEVMEM_UNKNOWN;	/* not observed: null */
	s->folios = s->ranges[0].folios;
	for (unsigned int h = 0; h < DEVMEM_HIST_KINDS; h++)
		devmem_hist_add(&s->hist[h], 100 * (h + 1));
	devmem_hist_add(&s->hist[DEVMEM_HIST_FAULT_LATENCY], 1ULL << 62);
	s->lost[DEVMEM_LOST_RINGBUF] = k;
	s->tallies[DEVMEM_UNMATCHED_FREE] = 2;
	s->recursion_misses = 1;
	snprintf(s->note, sizeof(s->note), "a note %s", hostile);
	if (devmem_snapshot_group_devices(s))
		fail("grouping devices");
	devmem_snapshot_sort(s);
}

static void stat_json(void)
{
	struct devmem_snapshot a, b, d;

	build(&a, 1);
	build(&b, 3);
	devmem_snapshot_init(&d);
	if (devmem_report_json(stdout, &b) || devmem_snapshot_delta(&d, &b, &a) ||
	    devmem_report_json(stdout, &d))
		fail("devmem_report_json");
	/* the fallback (busy faults null), a recording without folio counts (null) */
	b.mode = DEVMEM_MODE_FENTRY;
	devmem_folios_set_unknown(&b.folios);
	devmem_folios_set_unknown(&b.ranges[0].folios);
	if (devmem_snapshot_group_devices(&b) || devmem_report_json(stdout, &b))
		fail("devmem_report_json of the fallback");
	devmem_snapshot_free(&a);
	devmem_snapshot_free(&b);
	devmem_snapshot_free(&d);
}

static void top_json(void)
{
	struct top_text_opts o = { .source = "live", .delay_s = 1, .rows = -1 };
	struct devmem_snapshot a, b, d;
	struct top_frame f;

	build(&a, 1);
	build(&b, 3);
	devmem_snapshot_init(&d);
	top_frame_init(&f);
	f.initial = true;
	if (top_frame_build(&f, &a, &a, NULL) || top_frame_json(stdout, &f, &o))
		fail("the initial frame");
	top_frame_free(&f);
	f.number = 1;
	if (devmem_snapshot_delta(&d, &b, &a) || top_frame_build(&f, &d, &b, NULL) ||
	    top_frame_json(stdout, &f, &o))
		fail("a frame");
	top_frame_free(&f);
	f.summary = true;
	f.number = 1;
	f.elapsed_ns = 3 * SEC;
	snprintf(f.note, sizeof(f.note), "%s", hostile);
	if (top_frame_build(&f, &b, &b, NULL) || top_frame_json(stdout, &f, &o))
		fail("the summary frame");
	top_frame_free(&f);
	devmem_snapshot_free(&a);
	devmem_snapshot_free(&b);
	devmem_snapshot_free(&d);
}

static void put(json_t *o)
{
	if (!o || json_dumpf(o, stdout, JSON_COMPACT) || fputc('\n', stdout) == EOF)
		fail("an event line");
	json_decref(o);
}

static void snoop_json(void)
{
	struct snoop_fmt fmt = { .start_ns = T0, .wall_offset_ns = 0 };
	struct snoop_device dev = { .id = 0x100000000ULL, .name = "hmm_dmirror" };
	struct snoop_device bad = { .id = 0x200000000ULL, .name = hostile };
	static const __u32 types[] = {
		DEVMEM_EV_PAGEMAP_ADD, DEVMEM_EV_PAGEMAP_REMOVE, DEVMEM_EV_PAGEMAP_REMOVE_DONE,
		DEVMEM_EV_FAULT, DEVMEM_EV_FAULT_DONE, DEVMEM_EV_MIGRATE, DEVMEM_EV_PAGE_ALLOC,
		DEVMEM_EV_PAGE_FREE,
	};

	for (int wall = 0; wall < 2; wall++) {
		fmt.wall_clock = wall;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			struct devmem_event e = {
				.type = types[i], .cpu = 1, .ts_ns = T0 + i * 1000, .pid = 4243,
				.tgid = 4242, .owner = wall ? 0 : 0xffff888100000000ULL,
				.address = 0x7f0000001000ULL, .pfn = 0x100000ULL + i, .npages = 8,
				.cpages = 8, .migrated = 8, .dir = DEVMEM_TO_DEVICE, .write = 0,
				.in_use = i % 2 ? DEVMEM_UNKNOWN : 2,
				.vm_fault = i % 2 ? DEVMEM_UNKNOWN : 2, .latency_ns = i * 100,
				/* a 2 MiB folio and a PMD fault, then small pages */
				.order = wall ? 0 : 9,
			};

			snprintf(e.comm, sizeof(e.comm), "%s", wall ? hostile_comm : "devmem-workload");
			put(snoop_event_json(&fmt, &e, wall ? &bad : i % 2 ? &dev : NULL));
		}
	}
	/* a migration of every reason */
	for (__u32 r = 0; r < DEVMEM_REASONS; r++) {
		struct devmem_event e = {
			.type = DEVMEM_EV_MIGRATE, .ts_ns = T0 + r, .tgid = 4242, .pid = 4242,
			.address = 0x7f0000200000ULL, .npages = 512, .cpages = 512, .migrated = 512,
			.dir = r % 2 ? DEVMEM_TO_RAM : DEVMEM_TO_DEVICE, .reason = r, .order = 9,
			.src_pgmap = r % 2 ? 0x100000000ULL : 0,
		};

		snprintf(e.comm, sizeof(e.comm), "devmem-workload");
		put(snoop_event_json(&fmt, &e, &dev));
	}
	put(snoop_lost_json(5, 7, 1, false));
	put(snoop_lost_json(0, 7, 1, true));
}

static void ranges_json(void)
{
	struct devmem_inventory inv = { 0 };
	struct devmem_snapshot s;
	json_t *doc;

	build(&s, 1);
	/* one still waiting for its pages */
	s.ranges[0].r.removed_ns = T0 + 9;
	s.ranges[0].r.in_use_at_remove = 12;
	if (devmem_inv_from_snapshot(&inv, &s))
		fail("the inventory");
	devmem_inv_sort(&inv);
	inv.lost = 2;
	doc = devmem_inv_json(&inv, 0, 4096, hostile);
	if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) || fputc('\n', stdout) == EOF)
		fail("devmem_inv_json");
	json_decref(doc);
	devmem_inv_free(&inv);
	devmem_snapshot_free(&s);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "stat"))
		stat_json();
	else if (!strcmp(what, "top"))
		top_json();
	else if (!strcmp(what, "snoop"))
		snoop_json();
	else if (!strcmp(what, "ranges"))
		ranges_json();
	else {
		fprintf(stderr, "usage: render-json stat|top|snoop|ranges\n");
		return 2;
	}
	return fflush(stdout) ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The BPF handlers (the .bpf.h modules of bpf/) on the running kernel, as far as the host
 * allows: each raw_tp program runs through BPF_PROG_TEST_RUN with fake
 * argument pointers (probe reads of them return zeros), and the session's
 * map reading turns what they counted into a snapshot: the zone_device
 * events of series v3, the devmem events of v2, alloc-time slots, large
 * folios split before their free, the cost of each handler. Skips, saying
 * why, without root or BPF.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli/errors.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "devmem.skel.h"

static struct devmem_session *sess;
static enum devmem_error open_err;

static int setup(void **state)
{
	struct devmem_opts o = {
		.force_mode = DEVMEM_MODE_RAW_TP,
		.no_attach = true,
		.hist_per_device = true,
		.hist_per_process = true,
		.stacks = true,		/* every optional path through the verifier */
		.verbose = getenv("DEVMEM_TEST_VERBOSE") != NULL,
	};

	open_err = devmem_session_open(&o, &sess);
	return 0;
}

static int teardown(void **state)
{
	devmem_session_close(sess);
	return 0;
}

static void skip_unless_loaded(void)
{
	if (sess)
		return;
	if (open_err == DEVMEM_E_PERM || open_err == DEVMEM_E_NO_BTF ||
	    open_err == DEVMEM_E_REFUSED) {
		print_message("skipped: %s\n", devmem_strerror(open_err));
		skip();
	}
	fail_msg("loading the raw_tp programs failed: %s (rerun with DEVMEM_TEST_VERBOSE=1)",
		 devmem_strerror(open_err));
}

static int run(struct bpf_program *prog, __u64 *args, size_t nr)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		.ctx_in = args,
		.ctx_size_in = nr * sizeof(__u64),
	);
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &topts);

	assert_int_equal(err, 0);
	assert_int_equal(topts.retval, 0);
	return 0;
}

/*
 * Fake kernel pointers: low addresses that fault, so every CO-RE read gives
 * 0. The handlers must cope (NULL pgmap/owner) and still count.
 */
#define FAKE_VMF	0x1000ULL
#define FAKE_PGMAP	0x2000ULL
#define FAKE_PAGE	0x3000ULL

#define FAKE_SRC	0x5000ULL

static void test_handlers_count_v2(void **state)
{
	struct devmem_bpf *skel;
	struct devmem_snapshot snap;
	__u64 a[9];
	int i;

	struct devmem_opts o = {
		.force_mode = DEVMEM_MODE_RAW_TP,
		.force_flavour = DEVMEM_TP_V2,
		.no_attach = true,
		.hist_per_device = true,
		.hist_per_process = true,
	};
	struct devmem_session *s2 = NULL;

	skip_unless_loaded();
	assert_int_equal(devmem_session_open(&o, &s2), DEVMEM_OK);
	skel = devmem_session_skel(s2);
	devmem_snapshot_init(&snap);

	/* 3 faults, each followed by a fault-driven-looking migrate and its end */
	for (i = 0; i < 3; i++) {
		/* (vmf, pgmap, ret) */
		a[0] = FAKE_VMF; a[1] = FAKE_PGMAP; a[2] = 0;
		run(skel->progs.raw_v2_fault, a, 3);
		/* (migrate, src_pgmap, dst_pgmap, npages, cpages, migrated, dir, reason, part) */
		a[0] = 0; a[1] = FAKE_PGMAP; a[2] = 0; a[3] = 16; a[4] = 8; a[5] = 5;
		a[6] = DEVMEM_TO_RAM; a[7] = DEVMEM_REASON_DRIVER; a[8] = 0;
		run(skel->progs.raw_v2_migrate, a, 9);
		a[0] = FAKE_VMF; a[1] = FAKE_PGMAP; a[2] = 0x2;	/* VM_FAULT_SIGBUS */
		run(skel->progs.raw_v2_fault_done, a, 3);
	}
	/* one migration to the device of 7 pages */
	a[0] = 0; a[1] = 0; a[2] = FAKE_PGMAP; a[3] = 8; a[4] = 7; a[5] = 7;
	a[6] = DEVMEM_TO_DEVICE; a[7] = DEVMEM_REASON_DRIVER; a[8] = 0;
	run(skel->progs.raw_v2_migrate, a, 9);
	/* page alloc then free: one lifetime sample; (page, pgmap, order) */
	a[0] = FAKE_PAGE; a[1] = FAKE_PGMAP; a[2] = 0;
	run(skel->progs.raw_v2_page_alloc, a, 3);
	run(skel->progs.raw_v2_page_free, a, 3);
	/* a free without alloc: counted as unmatched, not lost */
	a[0] = FAKE_PAGE + 64;
	run(skel->progs.raw_v2_page_free, a, 3);
	/* pagemap add with an unreadable pgmap: type 0 is not followed; (pgmap, nid, in_use, error) */
	a[0] = FAKE_PGMAP; a[1] = 0; a[2] = 0; a[3] = 0;
	run(skel->progs.raw_v2_pagemap_add, a, 4);
	run(skel->progs.raw_v2_pagemap_remove, a, 4);
	run(skel->progs.raw_v2_pagemap_remove_done, a, 4);

	assert_int_equal(devmem_session_snapshot(s2, &snap), 0);
	assert_int_equal(snap.total.faults, 3);
	assert_int_equal(snap.total.fault_errors, 3);
	/* migrate_vma is NULL, so no migration was fault-driven: all wasted */
	assert_int_equal(snap.total.faults_wasted, 3);
	assert_int_equal(snap.total.fault_migrations, 0);
	assert_int_equal(snap.total.pages_to_ram, 3 * 5);
	assert_int_equal(snap.total.migrate_calls_to_ram, 3);
	assert_int_equal(snap.total.pages_to_device, 7);
	assert_int_equal(snap.total.migrate_calls_to_device, 1);
	assert_int_equal(snap.total.pages_collected, 3 * 8 + 7);
	assert_int_equal(snap.total.allocs, 1);
	assert_int_equal(snap.total.frees, 2);
	assert_int_equal(snap.total.adds, 0);		/* type 0: not device-private */
	assert_int_equal(snap.nr_ranges, 0);
	assert_int_equal(snap.tallies[DEVMEM_UNMATCHED_FREE], 1);
	assert_int_equal(snap.tallies[DEVMEM_UNMATCHED_REMOVE_DONE], 1);
	assert_int_equal(snap.tallies[DEVMEM_UNMATCHED_FAULT_DONE], 0);
	assert_int_equal(devmem_snapshot_lost_total(&snap), 0);

	assert_int_equal(devmem_hist_total(&snap.hist[DEVMEM_HIST_FAULT_LATENCY]), 3);
	assert_int_equal(devmem_hist_total(&snap.hist[DEVMEM_HIST_MIGRATE_PAGES]), 4);
	/* 5 and 7 pages both fall in slot 2, [4, 7] */
	assert_int_equal(snap.hist[DEVMEM_HIST_MIGRATE_PAGES].slots[2], 4);
	assert_int_equal(snap.hist[DEVMEM_HIST_MIGRATE_PAGES].sum, 3 * 5 + 7);
	assert_int_equal(devmem_hist_total(&snap.hist[DEVMEM_HIST_PAGE_LIFETIME]), 1);

	/* this process, with its comm, per-process histograms on */
	assert_int_equal(snap.nr_procs, 1);
	assert_int_equal(snap.procs[0].tgid, (unsigned)getpid());
	assert_string_equal(snap.procs[0].comm, "test_bpf_handle");	/* 15 bytes of its name */
	assert_int_equal(snap.procs[0].c.faults, 3);
	assert_int_equal(snap.procs[0].c.pages_to_device, 7);
	assert_true(snap.procs[0].has_hist);
	assert_int_equal(devmem_hist_total(&snap.procs[0].hist[DEVMEM_HIST_FAULT_LATENCY]), 3);
	/* owner 0 (unreadable pgmap) makes no device entry */
	assert_int_equal(snap.nr_devices, 0);
	assert_int_equal(snap.mode, DEVMEM_MODE_RAW_TP);
	devmem_snapshot_free(&snap);
	devmem_session_close(s2);
}

/* a page's address for a pfn, as the programs compute pfns (vmemmap_base + 64 * pfn) */
static __u64 page_at(struct devmem_bpf *skel, __u64 pfn)
{
	__u64 a[3] = { FAKE_PAGE, FAKE_PGMAP, 0 };

	/* the programs learn the base at their first page event */
	if (!skel->bss->vmemmap_cached) {
		run(skel->progs.raw_folio_free, a, 3);
		assert_true(skel->bss->vmemmap_cached != 0);
	}
	return skel->bss->vmemmap_cached + pfn * 64;
}

/*
 * The zone_device events: a PMD fault migrating one folio of 512 pages
 * back, from start through its folios to its end; a migration that
 * collected nothing (no end follows); one that moved nothing of what it
 * collected; an end without its start; a busy fault.
 */
static void test_handlers_count_v3(void **state)
{
	struct devmem_snapshot s0, s1;
	struct devmem_bpf *skel;
	__u64 a[6];

	skip_unless_loaded();
	skel = devmem_session_skel(sess);
	devmem_snapshot_init(&s0);
	devmem_snapshot_init(&s1);
	assert_int_equal(devmem_session_snapshot(sess, &s0), 0);

	/* (vmf, pgmap, order, ret): a PMD fault */
	a[0] = FAKE_VMF; a[1] = FAKE_PGMAP; a[2] = 9; a[3] = 0;
	run(skel->progs.raw_fault, a, 4);
	/* (migrate, src_pfns, npages, nr_pages, reason): a CPU fault's migration */
	a[0] = 0; a[1] = FAKE_SRC; a[2] = 512; a[3] = 512; a[4] = 1;
	run(skel->progs.raw_migrate_start, a, 5);
	/* (migrate, src_pfns, src_pgmap, dst_pgmap, order, nr_folios): one folio to RAM */
	a[0] = 0; a[1] = FAKE_SRC; a[2] = FAKE_PGMAP; a[3] = 0; a[4] = 9; a[5] = 1;
	run(skel->progs.raw_migrate_folios, a, 6);
	a[0] = 0; a[1] = FAKE_SRC; a[2] = 512; a[3] = 512; a[4] = 1;
	run(skel->progs.raw_migrate_end, a, 5);
	a[0] = FAKE_VMF; a[1] = FAKE_PGMAP; a[2] = 9; a[3] = 0;
	run(skel->progs.raw_fault_done, a, 4);

	/* collected nothing: one call, no end */
	a[0] = 0; a[1] = FAKE_SRC + 8; a[2] = 64; a[3] = 0; a[4] = 3;
	run(skel->progs.raw_migrate_start, a, 5);
	/* collected 8, moved none */
	a[0] = 0; a[1] = FAKE_SRC + 16; a[2] = 64; a[3] = 8; a[4] = 3;
	run(skel->progs.raw_migrate_start, a, 5);
	a[3] = 0;
	run(skel->progs.raw_migrate_end, a, 5);
	/* an end whose start came before */
	a[1] = FAKE_SRC + 24;
	run(skel->progs.raw_migrate_end, a, 5);
	a[0] = FAKE_VMF; a[1] = FAKE_PGMAP; a[2] = 0; a[3] = 0;
	run(skel->progs.raw_fault_busy, a, 4);

	assert_int_equal(devmem_session_snapshot(sess, &s1), 0);
	assert_int_equal(s1.total.faults - s0.total.faults, 1);
	assert_int_equal(s1.total.faults_pmd - s0.total.faults_pmd, 1);
	assert_int_equal(s1.total.faults_wasted - s0.total.faults_wasted, 0);
	assert_int_equal(s1.total.fault_migrations - s0.total.fault_migrations, 1);
	assert_int_equal(s1.total.fault_pages - s0.total.fault_pages, 512);
	/* a page count counts pages, a folio count folios */
	assert_int_equal(s1.total.pages_to_ram - s0.total.pages_to_ram, 512);
	assert_int_equal(s1.folios.to_ram[9] - s0.folios.to_ram[9], 1);
	assert_int_equal(s1.folios.to_ram[0] - s0.folios.to_ram[0], 0);
	assert_int_equal(s1.total.migrate_calls_to_ram - s0.total.migrate_calls_to_ram, 3);
	assert_int_equal(s1.total.pages_collected - s0.total.pages_collected, 512 + 8);
	/* pages per migration: 512, 0, 0 */
	assert_int_equal(devmem_hist_total(&s1.hist[DEVMEM_HIST_MIGRATE_PAGES]) -
			 devmem_hist_total(&s0.hist[DEVMEM_HIST_MIGRATE_PAGES]), 3);
	assert_int_equal(s1.hist[DEVMEM_HIST_MIGRATE_PAGES].sum -
			 s0.hist[DEVMEM_HIST_MIGRATE_PAGES].sum, 512);
	assert_int_equal(s1.tallies[DEVMEM_UNMATCHED_MIGRATION] -
			 s0.tallies[DEVMEM_UNMATCHED_MIGRATION], 1);
	assert_int_equal(s1.total.faults_busy - s0.total.faults_busy, 1);
	assert_int_equal(devmem_snapshot_lost_total(&s1) - devmem_snapshot_lost_total(&s0), 0);
	devmem_snapshot_free(&s0);
	devmem_snapshot_free(&s1);
}

/*
 * A folio of order 9 handed out, split, and freed as 512 single pages:
 * every piece pairs with the folio's alloc in the lifetime histogram, its
 * slot frees with the last piece, and nothing is unmatched.
 */
static void test_split_folio_lifetimes(void **state)
{
	struct devmem_snapshot s0, s1;
	struct devmem_bpf *skel;
	__u64 head = 1ULL << 32, a[3] = { 0, FAKE_PGMAP, 0 };	/* no RAM there: reads give 0 */

	skip_unless_loaded();
	skel = devmem_session_skel(sess);
	devmem_snapshot_init(&s0);
	devmem_snapshot_init(&s1);
	a[0] = page_at(skel, head);
	assert_int_equal(devmem_session_snapshot(sess, &s0), 0);
	a[2] = 9;
	run(skel->progs.raw_folio_alloc, a, 3);
	a[2] = 0;
	for (__u64 i = 0; i < 512; i++) {
		a[0] = page_at(skel, head + i);
		run(skel->progs.raw_folio_free, a, 3);
	}
	/* the slot is free again: one more free of the head is unmatched */
	a[0] = page_at(skel, head);
	run(skel->progs.raw_folio_free, a, 3);
	assert_int_equal(devmem_session_snapshot(sess, &s1), 0);
	assert_int_equal(s1.total.allocs - s0.total.allocs, 512);
	assert_int_equal(s1.total.frees - s0.total.frees, 513);
	assert_int_equal(s1.folios.allocs[9] - s0.folios.allocs[9], 1);
	assert_int_equal(s1.folios.frees[0] - s0.folios.frees[0], 513);
	assert_int_equal(devmem_hist_total(&s1.hist[DEVMEM_HIST_PAGE_LIFETIME]) -
			 devmem_hist_total(&s0.hist[DEVMEM_HIST_PAGE_LIFETIME]), 512);
	assert_int_equal(s1.tallies[DEVMEM_UNMATCHED_FREE] - s0.tallies[DEVMEM_UNMATCHED_FREE], 1);
	devmem_snapshot_free(&s0);
	devmem_snapshot_free(&s1);
}

/*
 * Alloc times live in a table indexed by the low 18 bits of the pfn. Two
 * live pages 2^18 pfns apart share a slot: the second alloc takes it and
 * counts one lost lifetime; the first page's free then times nothing and is
 * not called unmatched; the second's is timed; a free with an empty slot is
 * unmatched.
 */
static void test_lifetime_slots(void **state)
{
	struct devmem_snapshot a0, a1;
	struct devmem_bpf *skel;
	__u64 p1 = FAKE_PAGE + 4096 * 64, p2 = p1 + 262144ULL * 64, a[3] = { 0, FAKE_PGMAP, 0 };

	skip_unless_loaded();
	skel = devmem_session_skel(sess);
	devmem_snapshot_init(&a0);
	devmem_snapshot_init(&a1);
	assert_int_equal(devmem_session_snapshot(sess, &a0), 0);
	a[0] = p1;
	run(skel->progs.raw_folio_alloc, a, 3);
	a[0] = p2;
	run(skel->progs.raw_folio_alloc, a, 3);
	a[0] = p1;
	run(skel->progs.raw_folio_free, a, 3);
	a[0] = p2;
	run(skel->progs.raw_folio_free, a, 3);
	run(skel->progs.raw_folio_free, a, 3);
	assert_int_equal(devmem_session_snapshot(sess, &a1), 0);
	assert_int_equal(a1.total.allocs - a0.total.allocs, 2);
	assert_int_equal(a1.total.frees - a0.total.frees, 3);
	assert_int_equal(a1.lost[DEVMEM_LOST_ALLOC_TS_FULL] - a0.lost[DEVMEM_LOST_ALLOC_TS_FULL], 1);
	assert_int_equal(a1.tallies[DEVMEM_UNMATCHED_FREE] - a0.tallies[DEVMEM_UNMATCHED_FREE], 1);
	assert_int_equal(devmem_hist_total(&a1.hist[DEVMEM_HIST_PAGE_LIFETIME]) -
			 devmem_hist_total(&a0.hist[DEVMEM_HIST_PAGE_LIFETIME]), 1);
	devmem_snapshot_free(&a0);
	devmem_snapshot_free(&a1);
}

/*
 * Native handler cost. raw_tp test runs take no repeat count, so the cost
 * comes from the kernel's own BPF run-time statistics (bpf_enable_stats):
 * run_time_ns / run_cnt of the program over many single runs.
 */
#define COST_RUNS 20000

/* average ns per run of prog_fd over COST_RUNS single test runs */
static double cost_of(int prog_fd, __u64 *a, int nr)
{
	struct bpf_prog_info before = {}, after = {};
	__u32 len = sizeof(before);
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		.ctx_in = a,
		.ctx_size_in = nr * sizeof(__u64),
	);

	assert_int_equal(bpf_obj_get_info_by_fd(prog_fd, &before, &len), 0);
	for (int r = 0; r < COST_RUNS; r++)
		assert_int_equal(bpf_prog_test_run_opts(prog_fd, &topts), 0);
	len = sizeof(after);
	assert_int_equal(bpf_obj_get_info_by_fd(prog_fd, &after, &len), 0);
	assert_int_equal(after.run_cnt - before.run_cnt, COST_RUNS);
	return (double)(after.run_time_ns - before.run_time_ns) / COST_RUNS;
}

/* "return 0" as a raw_tp program: the cost of the measurement itself */
static int empty_prog(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "empty", "GPL", insns, 2, NULL);
}

static void test_handler_cost(void **state)
{
	static const struct { const char *name; int nr; __u64 a[9]; } cases[] = {
		{ "raw_fault", 4, { FAKE_VMF, FAKE_PGMAP, 0, 0 } },
		{ "raw_fault_done", 4, { FAKE_VMF, FAKE_PGMAP, 0, 0 } },
		{ "raw_migrate_start", 5, { 0, FAKE_SRC, 16, 16, 0 } },
		{ "raw_migrate_folios", 6, { 0, FAKE_SRC, 0, FAKE_PGMAP, 0, 16 } },
		{ "raw_migrate_end", 5, { 0, FAKE_SRC, 16, 16, 0 } },
		{ "raw_folio_alloc", 3, { FAKE_PAGE, FAKE_PGMAP, 0 } },
		{ "raw_folio_free", 3, { FAKE_PAGE, FAKE_PGMAP, 0 } },
	};
	struct devmem_bpf *skel;
	int stats_fd;
	double base;

	skip_unless_loaded();
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		print_message("skipped: BPF run-time statistics cannot be enabled (%s)\n",
			      strerror(errno));
		skip();
	}
	skel = devmem_session_skel(sess);
	{
		__u64 a[1] = { 0 };
		int fd = empty_prog();

		assert_true(fd >= 0);
		base = cost_of(fd, a, 1);
		close(fd);
		print_message("%-16s %7.1f ns/event (an empty program: the measurement's own "
			      "cost, not subtracted below)\n", "baseline", base);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(skel->obj, cases[i].name);
		__u64 a[6];
		double ns;

		assert_non_null(p);
		memcpy(a, cases[i].a, sizeof(a));
		ns = cost_of(bpf_program__fd(p), a, cases[i].nr);
		print_message("%-16s %7.1f ns/event (kernel run-time stats, %d runs, "
			      "per-device and per-process histograms on)\n",
			      cases[i].name, ns, COST_RUNS);
		/* generous bound: catches a handler gone badly wrong, not noise */
		assert_true(ns < 20000.0);
	}
	close(stats_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handlers_count_v2),
		cmocka_unit_test(test_handlers_count_v3),
		cmocka_unit_test(test_split_folio_lifetimes),
		cmocka_unit_test(test_lifetime_slots),
		cmocka_unit_test(test_handler_cost),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

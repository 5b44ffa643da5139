// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Thrashing pages (tools/lib/kernel/thrash_acc.c): the accumulator of the kernel's
 * thrash ways across re-reads and evictions, the runs and sums views
 * make of a snapshot, deltas, and the findings they lead to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "kernel/acc.h"
#include "kernel/acc.h"
#include "model/snapshot.h"
#include "model/stacks.h"
#include "model/thrash.h"
#include "render/findings.h"
#include "render/json_out.h"
#include "render/thrash_runs.h"

#define PAGE_SHIFT	12
#define VPAGE(n)	((0x7f0000000ULL) + (n))

static struct devmem_thrash_page way(__u64 seq, __u32 tgid, __u64 vpage, __u64 bounces,
				     __u32 window_max)
{
	return (struct devmem_thrash_page){
		.seq = seq, .tgid = tgid, .start_ns = 1000 + tgid, .vpage = vpage,
		.range = 0x100000000ULL, .bounces = bounces, .faults = bounces + 1,
		.fault_ns = 100 * bounces, .last_ns = seq * 10, .window_max = window_max,
	};
}

static void snap(struct devmem_thrash_acc *a, struct devmem_snapshot *s)
{
	devmem_snapshot_init(s);
	s->thrash_on = true;
	s->page_size = 1U << PAGE_SHIFT;
	assert_int_equal(devmem_thrash_acc_snapshot(a, s), 0);
}

/* a way read again and again counts what it holds, not the sum of the reads */
static void test_reread_is_not_summed(void **state)
{
	struct devmem_thrash_acc *a = devmem_thrash_acc_new(0, PAGE_SHIFT);
	struct devmem_thrash_page w;
	struct devmem_snapshot s;

	for (__u64 b = 1; b <= 5; b++) {
		w = way(7, 42, VPAGE(1), b, (__u32)b);
		assert_int_equal(devmem_thrash_acc_way(a, &w), 0);
		assert_int_equal(devmem_thrash_acc_commit(a), 0);
		/* a page is kept from its second bounce on */
		assert_int_equal(devmem_thrash_acc_size(a), b >= 2);
	}
	/* the same figures twice more: nothing gained */
	assert_int_equal(devmem_thrash_acc_way(a, &w), 0);
	assert_int_equal(devmem_thrash_acc_way(a, &w), 0);
	snap(a, &s);
	assert_int_equal(s.nr_thrash, 1);
	assert_int_equal(s.thrash[0].tgid, 42);
	assert_int_equal(s.thrash[0].vaddr, VPAGE(1) << PAGE_SHIFT);
	assert_int_equal(s.thrash[0].bounces, 5);
	assert_int_equal(s.thrash[0].faults, 6);
	assert_int_equal(s.thrash[0].fault_ns, 500);
	assert_int_equal(s.thrash[0].window_max, 5);
	devmem_snapshot_free(&s);
	devmem_thrash_acc_free(a);
}

/*
 * A page evicted from its way and taken again: the old incarnation's last
 * figures (its eviction record, read after the new one) and the new one's
 * add up, whatever the order they arrive in.
 */
static void test_incarnations_add_up(void **state)
{
	struct devmem_thrash_acc *a = devmem_thrash_acc_new(0, PAGE_SHIFT);
	struct devmem_thrash_page w;
	struct devmem_snapshot s;

	w = way(1, 42, VPAGE(3), 3, 3);			/* read while it lived */
	devmem_thrash_acc_way(a, &w);
	devmem_thrash_acc_commit(a);
	w = way(2, 42, VPAGE(3), 2, 2);			/* the new incarnation */
	devmem_thrash_acc_way(a, &w);
	w = way(1, 42, VPAGE(3), 4, 4);			/* the old one's eviction record */
	devmem_thrash_acc_way(a, &w);
	w = way(2, 42, VPAGE(3), 2, 2);			/* read again, unchanged */
	devmem_thrash_acc_way(a, &w);
	snap(a, &s);
	assert_int_equal(s.nr_thrash, 1);
	assert_int_equal(s.thrash[0].bounces, 4 + 2);
	assert_int_equal(s.thrash[0].faults, 5 + 3);
	assert_int_equal(s.thrash[0].window_max, 4);
	devmem_snapshot_free(&s);
	devmem_thrash_acc_free(a);
}

/* pages of two incarnations of one pid stay apart; a full table counts what it drops */
static void test_processes_and_cap(void **state)
{
	struct devmem_thrash_acc *a = devmem_thrash_acc_new(3, PAGE_SHIFT);
	struct devmem_thrash_page w;
	struct devmem_snapshot s;

	w = way(1, 42, VPAGE(1), 2, 2);
	devmem_thrash_acc_way(a, &w);
	w = way(2, 42, VPAGE(1), 2, 2);
	w.start_ns = 99999;				/* pid 42 again, another process */
	devmem_thrash_acc_way(a, &w);
	for (__u64 p = 0; p < 3; p++) {
		w = way(10 + p, 43, VPAGE(p), 2, 2);
		devmem_thrash_acc_way(a, &w);
	}
	snap(a, &s);
	assert_int_equal(s.nr_thrash, 3);
	assert_int_equal(s.thrash_dropped, 2);
	assert_int_equal(devmem_thrash_acc_dropped(a), 2);
	devmem_snapshot_free(&s);
	devmem_thrash_acc_free(a);
}

static bool keep_43(void *ctx, __u32 tgid, __u64 start_ns)
{
	(void)ctx;
	(void)start_ns;
	return tgid == 43;
}

static void test_forget(void **state)
{
	struct devmem_thrash_acc *a = devmem_thrash_acc_new(0, PAGE_SHIFT);
	struct devmem_thrash_page w;
	struct devmem_snapshot s;

	w = way(1, 42, VPAGE(1), 2, 2);
	devmem_thrash_acc_way(a, &w);
	w = way(2, 43, VPAGE(1), 2, 2);
	devmem_thrash_acc_way(a, &w);
	devmem_thrash_acc_commit(a);
	devmem_thrash_acc_forget(a, keep_43, NULL);
	snap(a, &s);
	assert_int_equal(s.nr_thrash, 1);
	assert_int_equal(s.thrash[0].tgid, 43);
	devmem_snapshot_free(&s);
	devmem_thrash_acc_free(a);
}

/*
 * Pages 0..3 of process 42 bounce 5 times in the window, page 4 twice
 * (bouncing, not thrashing at K 3), pages 6..7 5 times again: two runs;
 * process 43's page 0 6 times: a run of its own, first (most bounces per
 * run are 4 x 5 = 20 for the first, 2 x 5 = 10, 6).
 */
static void thrash_fixture(struct devmem_snapshot *s)
{
	static const struct { __u32 tgid; __u64 page, bounces; } p[] = {
		{ 42, 0, 5 }, { 42, 1, 5 }, { 42, 2, 5 }, { 42, 3, 5 }, { 42, 4, 2 },
		{ 42, 6, 5 }, { 42, 7, 5 }, { 43, 0, 6 },
	};
	struct devmem_snap_range *r;
	struct devmem_process *pr;

	devmem_snapshot_init(s);
	s->thrash_on = true;
	s->thrash_k = 3;
	s->thrash_window_ns = 1000000000ULL;
	s->page_size = 4096;
	s->thrash = calloc(8, sizeof(*s->thrash));
	assert_non_null(s->thrash);
	for (size_t i = 0; i < 8; i++) {
		struct devmem_thrash_entry *e = &s->thrash[i];

		e->tgid = p[i].tgid;
		e->start_ns = 1000 + p[i].tgid;
		e->vaddr = 0x10000000ULL + p[i].page * 4096;
		e->range = 0x100000000ULL;
		e->bounces = p[i].bounces;
		e->faults = p[i].bounces;
		e->fault_ns = 10 * p[i].bounces;
		e->window_max = (__u32)p[i].bounces;
	}
	s->nr_thrash = 8;
	pr = devmem_snapshot_process(s, 42, 1042);
	strcpy(pr->comm, "bouncer");
	pr = devmem_snapshot_process(s, 43, 1043);
	strcpy(pr->comm, "other");
	r = devmem_snapshot_range(s, 1, 0x100000000ULL);
	strcpy(r->device, "hmm_dmirror0");
	devmem_snapshot_sort(s);
}

static void test_runs_and_sums(void **state)
{
	struct devmem_snapshot s;
	struct devmem_thrash_run *runs;
	struct devmem_thrash_sum sum;
	size_t n;

	thrash_fixture(&s);
	assert_int_equal(devmem_thrash_runs(&s, 3, &runs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(runs[0].tgid, 42);
	assert_string_equal(runs[0].comm, "bouncer");
	assert_string_equal(runs[0].device, "hmm_dmirror0");
	assert_int_equal(runs[0].vaddr, 0x10000000ULL);
	assert_int_equal(runs[0].npages, 4);
	assert_int_equal(runs[0].bounces, 20);
	assert_int_equal(runs[1].tgid, 42);
	assert_int_equal(runs[1].vaddr, 0x10000000ULL + 6 * 4096);
	assert_int_equal(runs[1].npages, 2);
	assert_int_equal(runs[2].tgid, 43);
	assert_int_equal(runs[2].bounces, 6);
	free(runs);
	/* at K 5 only process 43's page thrashes (more than 5 in the window) */
	assert_int_equal(devmem_thrash_runs(&s, 5, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].tgid, 43);
	free(runs);

	devmem_thrash_sum_process(&s, 3, 42, 1042, &sum);
	assert_int_equal(sum.pages_bouncing, 7);
	assert_int_equal(sum.pages_thrashing, 6);
	assert_int_equal(sum.bounces, 30);
	devmem_thrash_sum_all(&s, 3, &sum);
	assert_int_equal(sum.pages_thrashing, 7);
	assert_int_equal(sum.bounces, 36);
	devmem_thrash_sum_device(&s, 3, "hmm_dmirror0", &sum);
	assert_int_equal(sum.pages_thrashing, 7);
	devmem_thrash_sum_device(&s, 3, "hmm_dmirror1", &sum);
	assert_int_equal(sum.pages_thrashing, 0);
	devmem_snapshot_free(&s);
}

/*
 * A bouncing 2 MiB folio is one entry of 512 pages (its way says so): a run
 * of two such folios and a small page right after them is 1025 pages, and
 * the sums count pages by the same weight.
 */
static void test_large_folios_count_their_pages(void **state)
{
	struct devmem_thrash_acc *a = devmem_thrash_acc_new(0, PAGE_SHIFT);
	struct devmem_thrash_run *runs;
	struct devmem_thrash_sum sum;
	struct devmem_thrash_page w;
	struct devmem_snapshot s;
	size_t n;

	for (unsigned int f = 0; f < 2; f++) {
		w = way(1 + f, 42, VPAGE(512 * f), 6, 5);
		w.pages = 512;
		assert_int_equal(devmem_thrash_acc_way(a, &w), 0);
	}
	w = way(3, 42, VPAGE(1024), 6, 5);	/* pages 0: one page */
	assert_int_equal(devmem_thrash_acc_way(a, &w), 0);
	snap(a, &s);
	assert_int_equal(s.nr_thrash, 3);
	assert_int_equal(s.thrash[0].npages, 512);
	assert_int_equal(s.thrash[1].npages, 512);
	assert_int_equal(devmem_thrash_pages(&s.thrash[2]), 1);
	assert_int_equal(devmem_thrash_runs(&s, 3, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].vaddr, VPAGE(0) << PAGE_SHIFT);
	assert_int_equal(runs[0].npages, 1025);
	assert_int_equal(runs[0].bounces, 18);
	free(runs);
	devmem_thrash_sum_process(&s, 3, 42, 1042, &sum);
	assert_int_equal(sum.pages_bouncing, 1025);
	assert_int_equal(sum.pages_thrashing, 1025);
	assert_int_equal(sum.bounces, 18);
	/* above K 5 none thrashes; they still bounced */
	devmem_thrash_sum_all(&s, 5, &sum);
	assert_int_equal(sum.pages_bouncing, 1025);
	assert_int_equal(sum.pages_thrashing, 0);
	devmem_snapshot_free(&s);
	/* split since: the way's latest incarnation gives the weight */
	w = way(9, 42, VPAGE(0), 7, 5);
	w.pages = 1;
	w.last_ns = 1000;
	assert_int_equal(devmem_thrash_acc_way(a, &w), 0);
	snap(a, &s);
	assert_int_equal(s.thrash[0].npages, 1);
	devmem_snapshot_free(&s);
	devmem_thrash_acc_free(a);
}

/* a delta keeps what changed, by what it gained */
static void test_delta(void **state)
{
	struct devmem_snapshot prev, cur, d;

	thrash_fixture(&prev);
	thrash_fixture(&cur);
	cur.thrash[0].bounces += 3;
	cur.thrash[0].faults += 4;
	assert_int_equal(devmem_snapshot_copy(&d, &cur), 0);
	devmem_thrash_delta(&d, &prev);
	assert_int_equal(d.nr_thrash, 1);
	assert_int_equal(d.thrash[0].bounces, 3);
	assert_int_equal(d.thrash[0].faults, 4);
	devmem_snapshot_free(&d);
	devmem_snapshot_free(&prev);
	devmem_snapshot_free(&cur);
}

/* the thrashing runs lead the findings, named by process and device */
static void test_findings_name_the_run(void **state)
{
	struct devmem_finding f[8];
	struct devmem_snapshot s;
	int n;

	thrash_fixture(&s);
	n = devmem_findings(&s, 3, f, 8);
	assert_true(n >= 1);
	assert_int_equal(f[0].kind, DEVMEM_FIND_THRASH);
	assert_non_null(strstr(f[0].text, "bouncer"));
	assert_non_null(strstr(f[0].text, "42"));
	assert_non_null(strstr(f[0].text, "hmm_dmirror0"));
	devmem_snapshot_free(&s);
	/* nothing bounces: no thrashing finding */
	devmem_snapshot_init(&s);
	n = devmem_findings(&s, 3, f, 8);
	for (int i = 0; i < n; i++)
		assert_int_not_equal(f[i].kind, DEVMEM_FIND_THRASH);
	devmem_snapshot_free(&s);
}

static char *render_text(const struct devmem_snapshot *s, __u32 k)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	devmem_diag_text(f, s, k);
	fclose(f);
	return buf;
}

/* the THRASHING section: the runs, most bounces first; names filtered */
static void test_diag_text(void **state)
{
	struct devmem_snapshot s;
	char *out, *a, *b;
	const char *names[2] = { "fault_site_a", "main" };

	thrash_fixture(&s);
	strcpy(s.procs[1].comm, "ev\x1b[2Jil");	/* process 43 */
	out = render_text(&s, 0);
	assert_non_null(strstr(out, "THRASHING: 7 pages bounced more than 3 times within 1.000s"));
	assert_non_null(strstr(out, "(8 pages bounced twice or more)"));
	a = strstr(out, "0x0000000010000000      4       20");
	b = strstr(out, "0x0000000010006000      2       10");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, "ev\\x1b[2Jil"));
	assert_non_null(strstr(out, "Findings:\n  1. thrashing:"));
	/* stacks off: no section */
	assert_null(strstr(out, "FAULT STACKS"));
	free(out);
	/* at K 5 only process 43's page */
	out = render_text(&s, 5);
	assert_non_null(strstr(out, "THRASHING: 1 pages bounced more than 5 times"));
	free(out);

	s.stacks_on = true;
	s.stacks = calloc(1, sizeof(*s.stacks));
	assert_non_null(s.stacks);
	s.stacks[0].tgid = 42;
	s.stacks[0].faults = 37;
	s.stacks[0].fault_ns = 5000;
	strcpy(s.stacks[0].comm, "bouncer");
	assert_int_equal(devmem_stack_set_names(&s.stacks[0], names, 2), 0);
	s.nr_stacks = 1;
	out = render_text(&s, 0);
	assert_non_null(strstr(out, "FAULT STACKS: 1 stacks, 37 faults"));
	assert_non_null(strstr(out, "bouncer;main;fault_site_a"));
	free(out);
	devmem_snapshot_free(&s);
}

/* the JSON of the same: runs, stacks (outermost first), findings */
static void test_diag_json(void **state)
{
	struct devmem_snapshot s;
	json_t *root = json_object(), *t, *r;

	thrash_fixture(&s);
	devmem_json_diag(root, &s, 0);
	t = json_object_get(root, "thrash");
	assert_true(json_is_object(t));
	assert_int_equal(json_integer_value(json_object_get(t, "k")), 3);
	assert_int_equal(json_integer_value(json_object_get(t, "pages_thrashing")), 7);
	assert_int_equal(json_integer_value(json_object_get(t, "pages_bouncing")), 8);
	r = json_array_get(json_object_get(t, "runs"), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "tgid")), 42);
	assert_int_equal(json_integer_value(json_object_get(r, "pages")), 4);
	assert_int_equal(json_integer_value(json_object_get(r, "bounces")), 20);
	assert_int_equal(json_integer_value(json_object_get(r, "address")), 0x10000000);
	assert_string_equal(json_string_value(json_object_get(r, "device")), "hmm_dmirror0");
	assert_true(json_is_null(json_object_get(root, "stacks")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(root, "findings"), 0), "kind")), "thrash");
	json_decref(root);
	/* off: null */
	s.thrash_on = false;
	root = json_object();
	devmem_json_diag(root, &s, 0);
	assert_true(json_is_null(json_object_get(root, "thrash")));
	json_decref(root);
	devmem_snapshot_free(&s);
}

/*
 * The kernel's set index: forked processes fault the same virtual pages,
 * and their pages must still spread over the sets. 16 processes of
 * consecutive tgids with the same 8 pages: 128 pages in the 512 sets of
 * 4 ways land in at least 100 sets and no set gets more than its 4 ways
 * (a tgid shifted above the hashed bits put them into 16 sets of 8).
 */
static void test_set_index_spreads_forked_processes(void **state)
{
	unsigned int used[DEVMEM_THRASH_SETS] = { 0 }, sets = 0, most = 0;
	const __u32 mask = DEVMEM_THRASH_SETS - 1;

	(void)state;
	for (__u32 tgid = 4000; tgid < 4016; tgid++)
		for (__u64 p = 0; p < 8; p++) {
			__u32 i = devmem_thrash_set_of(tgid, VPAGE(p), mask);

			assert_true(i <= mask);
			if (!used[i]++)
				sets++;
			if (used[i] > most)
				most = used[i];
		}
	assert_true(sets >= 100);
	assert_true(most <= DEVMEM_THRASH_WAYS);
	/* one process's consecutive pages take distinct sets */
	for (__u64 p = 1; p < 64; p++)
		assert_int_not_equal(devmem_thrash_set_of(4000, VPAGE(p), mask),
				     devmem_thrash_set_of(4000, VPAGE(p - 1), mask));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_index_spreads_forked_processes),
		cmocka_unit_test(test_reread_is_not_summed),
		cmocka_unit_test(test_incarnations_add_up),
		cmocka_unit_test(test_processes_and_cap),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_runs_and_sums),
		cmocka_unit_test(test_large_folios_count_their_pages),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_findings_name_the_run),
		cmocka_unit_test(test_diag_text),
		cmocka_unit_test(test_diag_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

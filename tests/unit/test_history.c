// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The session's history without BPF: process incarnations against every
 * order of reads and exit records, pid reuse, processes forgotten once
 * written, device names across remove and re-add.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/history.h"
#include "model/snapshot.h"

static struct devmem_proc_value pv(__u64 seq, __u64 start, __u64 faults, const char *comm)
{
	struct devmem_proc_value v;

	memset(&v, 0, sizeof(v));
	v.seq = seq;
	v.start_ns = start;
	v.c.faults = faults;
	v.c.allocs = faults * 2;
	snprintf(v.comm, sizeof(v.comm), "%s", comm);
	return v;
}

static struct devmem_snapshot snap(struct devmem_history *h)
{
	struct devmem_snapshot s;

	devmem_snapshot_init(&s);
	assert_int_equal(devmem_history_snapshot(h, &s), 0);
	devmem_snapshot_sort(&s);
	return s;
}

static const struct devmem_process *proc(const struct devmem_snapshot *s, __u32 tgid,
					 __u64 start)
{
	for (size_t i = 0; i < s->nr_procs; i++)
		if (s->procs[i].tgid == tgid && s->procs[i].start_ns == start)
			return &s->procs[i];
	fail_msg("process %u (start %llu) missing", tgid, (unsigned long long)start);
	return NULL;
}

/* reads then the exit record: the record's figures are the final ones */
static void test_read_then_exit(void **state)
{
	struct devmem_history *h = devmem_history_new();
	struct devmem_proc_value v = pv(1, 100, 3, "worker");
	struct devmem_snapshot s;

	assert_int_equal(devmem_history_proc_seen(h, 10, &v, NULL), 0);
	v.c.faults = 5;
	assert_int_equal(devmem_history_proc_seen(h, 10, &v, NULL), 0);
	s = snap(h);
	assert_int_equal(s.nr_procs, 1);
	assert_int_equal(proc(&s, 10, 100)->c.faults, 5);
	assert_int_equal(proc(&s, 10, 100)->exit_ns, 0);
	assert_string_equal(proc(&s, 10, 100)->comm, "worker");
	devmem_snapshot_free(&s);
	v.c.faults = 6;
	assert_int_equal(devmem_history_proc_exit(h, 10, &v, NULL, 999), 0);
	/* the entry was deleted before the record was sent: later reads miss it */
	s = snap(h);
	assert_int_equal(proc(&s, 10, 100)->c.faults, 6);
	assert_int_equal(proc(&s, 10, 100)->exit_ns, 999);
	devmem_snapshot_free(&s);
	devmem_history_free(h);
}

/*
 * The entry vanished from the table before its record was consumed: the
 * last values stand until the record replaces them; a process never read
 * alive appears from its record alone.
 */
static void test_record_late_or_alone(void **state)
{
	struct devmem_history *h = devmem_history_new();
	struct devmem_proc_value v = pv(7, 100, 4, "a"), w = pv(8, 300, 9, "b");
	struct devmem_snapshot s;

	assert_int_equal(devmem_history_proc_seen(h, 10, &v, NULL), 0);
	s = snap(h);	/* the next read does not see it: still 4 */
	assert_int_equal(proc(&s, 10, 100)->c.faults, 4);
	devmem_snapshot_free(&s);
	v.c.faults = 5;
	assert_int_equal(devmem_history_proc_exit(h, 10, &v, NULL, 50), 0);
	assert_int_equal(devmem_history_proc_exit(h, 11, &w, NULL, 60), 0);
	s = snap(h);
	assert_int_equal(s.nr_procs, 2);
	assert_int_equal(proc(&s, 10, 100)->c.faults, 5);
	assert_int_equal(proc(&s, 11, 300)->c.faults, 9);
	assert_int_equal(proc(&s, 11, 300)->c.allocs, 18);
	assert_int_equal(proc(&s, 11, 300)->exit_ns, 60);
	devmem_snapshot_free(&s);
	devmem_history_free(h);
}

/* events after the exit flush make a second incarnation: both count */
static void test_straggler_incarnation(void **state)
{
	struct devmem_history *h = devmem_history_new();
	struct devmem_proc_value a = pv(1, 100, 6, "p"), b = pv(2, 100, 2, "p");
	struct devmem_snapshot s;

	assert_int_equal(devmem_history_proc_exit(h, 10, &a, NULL, 500), 0);
	assert_int_equal(devmem_history_proc_seen(h, 10, &b, NULL), 0);
	s = snap(h);
	assert_int_equal(s.nr_procs, 1);
	assert_int_equal(proc(&s, 10, 100)->c.faults, 8);
	assert_int_equal(proc(&s, 10, 100)->exit_ns, 0);	/* a live part again */
	devmem_snapshot_free(&s);
	b.c.faults = 3;
	assert_int_equal(devmem_history_proc_exit(h, 10, &b, NULL, 700), 0);
	s = snap(h);
	assert_int_equal(proc(&s, 10, 100)->c.faults, 9);
	assert_int_equal(proc(&s, 10, 100)->exit_ns, 700);
	devmem_snapshot_free(&s);
	/* an incarnation whose entry the session found stale ends with its last values */
	b = pv(3, 100, 4, "p");
	assert_int_equal(devmem_history_proc_seen(h, 10, &b, NULL), 0);
	devmem_history_proc_gone(h, 10, 100, 3, 800);
	s = snap(h);
	assert_int_equal(proc(&s, 10, 100)->c.faults, 13);
	assert_int_equal(proc(&s, 10, 100)->exit_ns, 800);
	devmem_snapshot_free(&s);
	devmem_history_free(h);
}

/* many processes, pids reused: every one kept apart, and forgettable */
static void test_many_and_reuse(void **state)
{
	struct devmem_history *h = devmem_history_new();
	struct devmem_snapshot s;
	__u64 sum = 0;

	for (__u32 i = 0; i < 3000; i++) {
		/* 1000 pids, each used by three processes in turn */
		struct devmem_proc_value v = pv(i + 1, 1000 + i, i % 7, "w");

		assert_int_equal(devmem_history_proc_seen(h, 100 + i % 1000, &v, NULL), 0);
		if (i % 3)
			assert_int_equal(devmem_history_proc_exit(h, 100 + i % 1000, &v, NULL, 5000 + i), 0);
		sum += i % 7;
	}
	s = snap(h);
	assert_int_equal(s.nr_procs, 3000);
	for (size_t i = 0; i < s.nr_procs; i++)
		sum -= s.procs[i].c.faults;
	assert_int_equal(sum, 0);
	assert_int_equal(proc(&s, 100 + 5, 1005)->c.faults, 5);
	assert_int_equal(proc(&s, 100 + 5, 2005)->c.faults, 1005 % 7);
	devmem_snapshot_free(&s);
	/* those that exited before 6500 (i < 1500) go, the rest stay */
	devmem_history_forget_exited(h, 6500);
	assert_int_equal(devmem_history_nr_procs(h), 2000);
	s = snap(h);
	assert_int_equal(s.nr_procs, 2000);
	assert_int_equal(proc(&s, 100 + 5, 2005)->c.faults, 1005 % 7);
	devmem_snapshot_free(&s);
	devmem_history_forget_exited(h, 8000);
	s = snap(h);
	assert_int_equal(s.nr_procs, 1000);	/* i % 3 == 0: still alive */
	devmem_snapshot_free(&s);
	assert_int_equal(devmem_history_nr_procs(h), 1000);
	/* the index still finds them: an update adds to the right process */
	{
		struct devmem_proc_value v = pv(3001, 1000 + 2997, 50, "w");

		assert_int_equal(devmem_history_proc_seen(h, 100 + 997, &v, NULL), 0);
		assert_int_equal(devmem_history_nr_procs(h), 1000);
	}
	devmem_history_free(h);
}

static void test_process_hists(void **state)
{
	struct devmem_history *h = devmem_history_new();
	struct devmem_proc_value a = pv(1, 100, 1, "p"), b = pv(2, 100, 1, "p");
	struct devmem_proc_hists ha, hb;
	struct devmem_snapshot s;

	memset(&ha, 0, sizeof(ha));
	memset(&hb, 0, sizeof(hb));
	ha.h[DEVMEM_HIST_FAULT_LATENCY].slots[10] = 2;
	ha.h[DEVMEM_HIST_FAULT_LATENCY].count = 2;
	hb.h[DEVMEM_HIST_FAULT_LATENCY].slots[11] = 1;
	hb.h[DEVMEM_HIST_FAULT_LATENCY].count = 1;
	assert_int_equal(devmem_history_proc_exit(h, 10, &a, &ha, 5), 0);
	assert_int_equal(devmem_history_proc_seen(h, 10, &b, &hb), 0);
	s = snap(h);
	assert_true(proc(&s, 10, 100)->has_hist);
	assert_int_equal(proc(&s, 10, 100)->hist[DEVMEM_HIST_FAULT_LATENCY].count, 3);
	assert_int_equal(proc(&s, 10, 100)->hist[DEVMEM_HIST_FAULT_LATENCY].slots[11], 1);
	devmem_snapshot_free(&s);
	devmem_history_free(h);
}

static struct devmem_range kr(__u64 gen, __u64 start, __u64 owner)
{
	struct devmem_range r;

	memset(&r, 0, sizeof(r));
	r.gen = gen;
	r.start = start;
	r.end = start + (256ULL << 20) - 1;
	r.nr_pages = 65536;
	r.owner = owner;
	r.type = DEVMEM_TYPE_PRIVATE;
	r.nid = ~0U;
	return r;
}

static void range(struct devmem_history *h, struct devmem_range r, __u64 faults, const char *name)
{
	struct devmem_folio_counts folios = {};
	struct devmem_counters c;

	memset(&c, 0, sizeof(c));
	c.faults = faults;
	folios.allocs[0] = faults;	/* the folios go along with the counters */
	assert_int_equal(devmem_history_range_seen(h, &r, &c, &folios, NULL, name), 0);
}

static const struct devmem_device *dev(const struct devmem_snapshot *s, const char *name)
{
	const struct devmem_device *d = devmem_snapshot_find_device(s, name);

	if (!d)
		fail_msg("device %s missing", name);
	return d;
}

/*
 * Two devices whose ranges have one iomem name (test_hmm without the
 * series) are two devices; after both are removed and added again, under
 * new owners at the same addresses, they are still those two devices.
 */
static void test_devices_named_once(void **state)
{
	struct devmem_history *h = devmem_history_new();
	struct devmem_range a = kr(1, 0xfce0000000, 0xa0), b = kr(2, 0xfcf0000000, 0xb0);
	struct devmem_snapshot s;

	range(h, a, 5, "hmm_dmirror");
	range(h, b, 7, "hmm_dmirror");
	s = snap(h);
	assert_int_equal(s.nr_devices, 2);
	assert_int_equal(dev(&s, "hmm_dmirror")->c.faults, 5);
	assert_int_equal(dev(&s, "hmm_dmirror#2")->c.faults, 7);
	devmem_snapshot_free(&s);
	/* removed (the last read after remove_done), then re-added */
	a.removed_ns = a.remove_done_ns = 10;
	b.removed_ns = b.remove_done_ns = 10;
	range(h, a, 6, NULL);
	range(h, b, 8, NULL);
	range(h, kr(3, 0xfce0000000, 0xc0), 1, "hmm_dmirror");
	range(h, kr(4, 0xfcf0000000, 0xd0), 2, "hmm_dmirror");
	s = snap(h);
	assert_int_equal(s.nr_ranges, 4);
	assert_int_equal(s.nr_devices, 2);
	assert_int_equal(dev(&s, "hmm_dmirror")->c.faults, 7);
	assert_int_equal(dev(&s, "hmm_dmirror")->nr_ranges, 2);
	assert_int_equal(dev(&s, "hmm_dmirror")->nr_live, 1);
	assert_int_equal(dev(&s, "hmm_dmirror#2")->c.faults, 10);
	devmem_snapshot_free(&s);
	devmem_history_free(h);
}

/*
 * Re-added in the other order (the second device's range first): each
 * range takes back the name of the device that had it at its address.
 */
static void test_devices_back_where_they_were(void **state)
{
	struct devmem_history *h = devmem_history_new();
	struct devmem_range a = kr(1, 0xfce0000000, 0xa0), b = kr(2, 0xfcf0000000, 0xb0);
	struct devmem_snapshot s;

	range(h, a, 5, "hmm_dmirror");
	range(h, b, 7, "hmm_dmirror");
	a.removed_ns = a.remove_done_ns = 10;
	b.removed_ns = b.remove_done_ns = 10;
	range(h, a, 5, NULL);
	range(h, b, 7, NULL);
	range(h, kr(4, 0xfcf0000000, 0xd0), 2, "hmm_dmirror");
	range(h, kr(3, 0xfce0000000, 0xc0), 1, "hmm_dmirror");
	/* a third device of the name, at a new address: a new number */
	range(h, kr(5, 0xfd00000000, 0xe0), 4, "hmm_dmirror");
	s = snap(h);
	assert_int_equal(s.nr_devices, 3);
	assert_int_equal(dev(&s, "hmm_dmirror")->c.faults, 5 + 1);
	assert_int_equal(dev(&s, "hmm_dmirror#2")->c.faults, 7 + 2);
	assert_int_equal(dev(&s, "hmm_dmirror#3")->c.faults, 4);
	devmem_snapshot_free(&s);
	devmem_history_free(h);
}

/* a second range of one owner joins its device whatever its own name */
static void test_owner_joins_ranges(void **state)
{
	struct devmem_history *h = devmem_history_new();
	struct devmem_snap_range listed;
	struct devmem_snapshot s;

	range(h, kr(1, 0x100000000, 0xa0), 1, "gpu0");
	range(h, kr(2, 0x200000000, 0xa0), 2, "gpu0-extra");
	range(h, kr(3, 0x300000000, 0xb0), 4, "gpu1");
	/* listed at start by the debugfs file, traced later: one range */
	memset(&listed, 0, sizeof(listed));
	listed.r.start = 0x400000000;
	listed.r.nid = 1;
	listed.sources = DEVMEM_RANGE_DISCOVERED;
	listed.in_use_at_start = 12;
	strcpy(listed.name, "gpu2");
	assert_int_equal(devmem_history_listed(h, &listed), 0);
	range(h, kr(4, 0x400000000, 0xc0), 8, NULL);
	s = snap(h);
	assert_int_equal(s.nr_ranges, 4);
	assert_int_equal(s.nr_devices, 3);
	assert_int_equal(dev(&s, "gpu0")->c.faults, 3);
	assert_int_equal(dev(&s, "gpu0")->nr_ranges, 2);
	assert_int_equal(dev(&s, "gpu1")->c.faults, 4);
	assert_int_equal(dev(&s, "gpu2")->c.faults, 8);
	for (size_t i = 0; i < s.nr_ranges; i++)
		if (s.ranges[i].r.start == 0x400000000) {
			assert_int_equal(s.ranges[i].in_use_at_start, 12);
			assert_int_equal(s.ranges[i].r.gen, 4);
			assert_int_equal(s.ranges[i].r.nid, 1);
			assert_int_equal(s.ranges[i].sources,
					 DEVMEM_RANGE_DISCOVERED | DEVMEM_RANGE_TRACED);
		}
	devmem_snapshot_free(&s);
	devmem_history_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_then_exit),
		cmocka_unit_test(test_record_late_or_alone),
		cmocka_unit_test(test_straggler_incarnation),
		cmocka_unit_test(test_many_and_reuse),
		cmocka_unit_test(test_process_hists),
		cmocka_unit_test(test_devices_named_once),
		cmocka_unit_test(test_devices_back_where_they_were),
		cmocka_unit_test(test_owner_joins_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

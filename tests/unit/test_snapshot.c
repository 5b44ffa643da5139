// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The snapshot model without BPF: per-CPU sums, find-or-add, deltas, losses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "clean_text.h"
#include "model/array.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/report.h"

static void test_percpu_sums(void **state)
{
	struct devmem_counters percpu[3] = {}, sum;
	struct devmem_hist hp[2] = {}, hs;
	__u64 lost[4] = { 1, 2, 3, 4 }, l;

	assert_int_equal(devmem_percpu_stride(sizeof(struct devmem_counters)),
			 sizeof(struct devmem_counters));
	assert_int_equal(devmem_percpu_stride(20), 24);
	percpu[0].faults = 1;
	percpu[1].faults = 10;
	percpu[2].faults = 100;
	percpu[2].refs_waited = 7;	/* the last field is summed too */
	devmem_sum_counters(&sum, percpu, 3);
	assert_int_equal(sum.faults, 111);
	assert_int_equal(sum.refs_waited, 7);
	devmem_sum_counters(&sum, percpu, 2);	/* only the CPUs asked for */
	assert_int_equal(sum.faults, 11);

	hp[0].slots[3] = 2;
	hp[1].slots[3] = 5;
	hp[1].slots[DEVMEM_HIST_SLOTS - 1] = 1;
	hp[0].count = 2;
	hp[1].count = 6;
	hp[1].sum = 99;
	devmem_sum_hist(&hs, hp, 2);
	assert_int_equal(hs.slots[3], 7);
	assert_int_equal(hs.slots[DEVMEM_HIST_SLOTS - 1], 1);
	assert_int_equal(hs.count, 8);
	assert_int_equal(hs.sum, 99);

	devmem_sum_u64(&l, lost, 4);
	assert_int_equal(l, 10);
}

static void test_find_or_add(void **state)
{
	struct devmem_snapshot s;
	struct devmem_device *d;
	struct devmem_snap_range *r, *r2;

	devmem_snapshot_init(&s);
	/* many entries: growth keeps earlier ones intact */
	for (__u64 i = 1; i <= 100; i++) {
		char name[16];

		snprintf(name, sizeof(name), "gpu%llu", (unsigned long long)i);
		d = devmem_snapshot_device(&s, name);
		assert_non_null(d);
		d->c.faults = i;
		assert_non_null(devmem_snapshot_process(&s, (__u32)i, 1000 + i));
	}
	assert_int_equal(s.nr_devices, 100);
	assert_int_equal(s.nr_procs, 100);
	d = devmem_snapshot_device(&s, "gpu50");
	assert_int_equal(d->c.faults, 50);
	assert_int_equal(s.nr_devices, 100);
	/* a process is its tgid and its start: a reused pid is another process */
	assert_ptr_equal(devmem_snapshot_process(&s, 7, 1007), &s.procs[6]);
	assert_non_null(devmem_snapshot_process(&s, 7, 99999));
	assert_int_equal(s.nr_procs, 101);

	/* a listed range (no gen yet) merges with the traced one by start */
	r = devmem_snapshot_range(&s, 0, 0x100000000ULL);
	assert_non_null(r);
	r->sources = DEVMEM_RANGE_DISCOVERED;
	assert_int_equal(r->in_use_at_start, DEVMEM_UNKNOWN);
	r2 = devmem_snapshot_range(&s, 12, 0x100000000ULL);
	assert_ptr_equal(r, r2);
	assert_true(r2->r.gen == 12);
	/* another pagemap at the same physical range after a remove is new */
	r2->r.removed_ns = r2->r.remove_done_ns = 5;
	r2 = devmem_snapshot_range(&s, 13, 0x100000000ULL);
	assert_ptr_not_equal(r, r2);
	assert_int_equal(s.nr_ranges, 2);
	devmem_snapshot_free(&s);
	assert_int_equal(s.nr_devices, 0);
	assert_null(s.devices);
}

static void fill(struct devmem_snapshot *s, __u64 ts, __u64 faults, __u64 dev_faults,
		 __u64 hist_slot5)
{
	devmem_snapshot_init(s);
	s->ts_ns = ts;
	s->total.faults = faults;
	s->total.pages_to_ram = faults * 2;
	s->hist[DEVMEM_HIST_FAULT_LATENCY].slots[5] = hist_slot5;
	s->hist[DEVMEM_HIST_FAULT_LATENCY].count = hist_slot5;
	s->hist[DEVMEM_HIST_FAULT_LATENCY].sum = hist_slot5 * 40;
	devmem_snapshot_device(s, "gpu-a")->c.faults = dev_faults;
	s->lost[DEVMEM_LOST_RINGBUF] = faults / 10;
	s->recursion_misses = 1;
}

static void test_delta(void **state)
{
	struct devmem_snapshot a, b, d;

	fill(&a, 1000000000, 100, 60, 10);
	fill(&b, 3000000000, 150, 90, 25);
	devmem_snapshot_device(&b, "gpu-b")->c.faults = 4;	/* new since a */
	assert_int_equal(devmem_snapshot_delta(&d, &b, &a), 0);
	assert_int_equal(d.interval_ns, 2000000000ULL);
	assert_int_equal(d.total.faults, 50);
	assert_int_equal(d.total.pages_to_ram, 100);
	assert_int_equal(d.hist[DEVMEM_HIST_FAULT_LATENCY].slots[5], 15);
	assert_int_equal(d.hist[DEVMEM_HIST_FAULT_LATENCY].count, 15);
	assert_int_equal(d.hist[DEVMEM_HIST_FAULT_LATENCY].sum, 600);
	assert_int_equal(d.lost[DEVMEM_LOST_RINGBUF], 5);
	assert_int_equal(d.recursion_misses, 0);
	assert_int_equal(d.nr_devices, 2);
	assert_int_equal(devmem_snapshot_device(&d, "gpu-a")->c.faults, 30);
	assert_int_equal(devmem_snapshot_device(&d, "gpu-b")->c.faults, 4);
	/* the inputs are untouched */
	assert_int_equal(b.total.faults, 150);
	assert_int_equal(devmem_snapshot_device(&b, "gpu-a")->c.faults, 90);
	devmem_snapshot_free(&d);

	/* a counter that went down restarted: the delta is its value */
	devmem_snapshot_device(&b, "gpu-a")->c.faults = 7;
	b.hist[DEVMEM_HIST_FAULT_LATENCY].slots[5] = 3;
	b.hist[DEVMEM_HIST_FAULT_LATENCY].count = 3;
	assert_int_equal(devmem_snapshot_delta(&d, &b, &a), 0);
	assert_int_equal(devmem_snapshot_device(&d, "gpu-a")->c.faults, 7);
	assert_int_equal(d.hist[DEVMEM_HIST_FAULT_LATENCY].slots[5], 3);
	devmem_snapshot_free(&d);
	devmem_snapshot_free(&a);
	devmem_snapshot_free(&b);
}

static void test_lost_total_and_sort(void **state)
{
	struct devmem_snapshot s;

	devmem_snapshot_init(&s);
	s.lost[DEVMEM_LOST_RINGBUF] = 3;
	s.lost[DEVMEM_LOST_ALLOC_TS_FULL] = 4;
	s.tallies[DEVMEM_UNMATCHED_FREE] = 100;	/* not a loss */
	s.recursion_misses = 2;
	assert_int_equal(devmem_snapshot_lost_total(&s), 9);

	devmem_snapshot_device(&s, "nv1");
	devmem_snapshot_device(&s, "amd0");
	devmem_snapshot_device(&s, "hmm_dmirror0");
	/* start times far apart: a 64-bit difference squeezed into int would misorder */
	devmem_snapshot_process(&s, 5, 0xffff888100000000ULL);
	devmem_snapshot_process(&s, 5, 0x1);
	devmem_snapshot_process(&s, 4, 0x7fff000000000000ULL);
	devmem_snapshot_sort(&s);
	assert_string_equal(s.devices[0].name, "amd0");
	assert_string_equal(s.devices[1].name, "hmm_dmirror0");
	assert_string_equal(s.devices[2].name, "nv1");
	assert_int_equal(s.procs[0].tgid, 4);
	assert_true(s.procs[1].start_ns == 0x1);
	assert_true(s.procs[2].start_ns == 0xffff888100000000ULL);
	devmem_snapshot_free(&s);
}

static void test_copy(void **state)
{
	struct devmem_snapshot a, c;

	fill(&a, 5, 1, 1, 1);
	devmem_snapshot_range(&a, 0x10, 0x1000)->r.nr_pages = 16;
	assert_int_equal(devmem_snapshot_copy(&c, &a), 0);
	assert_ptr_not_equal(c.devices, a.devices);
	assert_int_equal(c.nr_ranges, 1);
	assert_int_equal(c.ranges[0].r.nr_pages, 16);
	/* the copy can grow on its own */
	for (__u64 i = 0; i < 20; i++)
		assert_non_null(devmem_snapshot_process(&c, 0x1000 + (__u32)i, i));
	assert_int_equal(a.nr_procs, 0);
	devmem_snapshot_free(&c);
	devmem_snapshot_free(&a);
}

/* devices are their ranges summed, named by the ranges' device field */
static void test_group_devices(void **state)
{
	struct devmem_snapshot s;
	struct devmem_snap_range *r;

	devmem_snapshot_init(&s);
	r = devmem_snapshot_range(&s, 1, 0x100000000ULL);
	strcpy(r->name, "hmm_dmirror0");
	r->r.nr_pages = 10;
	r->c.faults = 3;
	r = devmem_snapshot_range(&s, 2, 0x200000000ULL);
	strcpy(r->name, "other");
	strcpy(r->device, "hmm_dmirror0");	/* assigned to the device of range 1 */
	r->r.nr_pages = 5;
	r->c.faults = 4;
	r = devmem_snapshot_range(&s, 3, 0x300000000ULL);	/* no name: named by its start */
	r->c.allocs = 9;
	r->r.removed_ns = 1;
	assert_int_equal(devmem_snapshot_group_devices(&s), 0);
	assert_int_equal(s.nr_devices, 2);
	devmem_snapshot_sort(&s);
	assert_string_equal(s.devices[0].name, "0x300000000");
	assert_int_equal(s.devices[0].c.allocs, 9);
	assert_int_equal(s.devices[0].nr_live, 0);
	assert_string_equal(s.devices[1].name, "hmm_dmirror0");
	assert_int_equal(s.devices[1].c.faults, 7);
	assert_int_equal(s.devices[1].nr_ranges, 2);
	assert_int_equal(s.devices[1].nr_pages, 15);
	assert_false(s.devices[1].has_hist);
	/* grouping twice gives the same devices */
	assert_int_equal(devmem_snapshot_group_devices(&s), 0);
	assert_int_equal(s.nr_devices, 2);
	devmem_snapshot_free(&s);
}

/* the one growth policy: implicit capacity, a reallocation only when full */
static void test_array_grow(void **state)
{
	int *a = NULL;
	size_t n;

	assert_int_equal(devmem_array_cap(0), 0);
	assert_int_equal(devmem_array_cap(1), 8);
	assert_int_equal(devmem_array_cap(8), 8);
	assert_int_equal(devmem_array_cap(9), 16);
	assert_int_equal(devmem_array_cap(1000), 1024);
	for (n = 0; n < 1000; n++) {
		int *p = devmem_array_grow(a, n, sizeof(*a));

		assert_non_null(p);
		/* between two powers of two the array stays where it is */
		if (n > 8 && (n & (n - 1)))
			assert_ptr_equal(p, a);
		a = p;
		a[n] = (int)n;
	}
	for (n = 0; n < 1000; n++)
		assert_int_equal(a[n], (int)n);
	assert_null(devmem_array_grow(a, (size_t)1 << 62, 64));	/* would overflow */
	free(a);
}

static char *render(const struct devmem_snapshot *s, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (json)
		assert_int_equal(devmem_report_json(f, s), 0);
	else
		devmem_report_text(f, s, DEVMEM_REPORT_HISTS);
	fclose(f);
	return buf;
}

static void test_reports(void **state)
{
	struct devmem_snapshot s;
	struct devmem_process *p;
	struct devmem_snap_range *r;
	char *out;

	fill(&s, 5, 12, 12, 4);
	p = devmem_snapshot_process(&s, 42, 77);
	strcpy(p->comm, "a\"b\\c");
	r = devmem_snapshot_range(&s, 0x10, 0x100000000ULL);
	r->r.end = 0x10fffffffULL;
	r->r.type = DEVMEM_TYPE_PRIVATE;
	strcpy(r->name, "hmm_dmirror");

	out = render(&s, true);
	/* the filter doubles the backslash, jansson escapes both and the quote */
	assert_non_null(strstr(out, "\"comm\": \"a\\\"b\\\\\\\\c\""));
	assert_non_null(strstr(out, "\"faults\": 12"));
	assert_non_null(strstr(out, "\"name\": \"hmm_dmirror\""));
	assert_non_null(strstr(out, "\"recursion_misses\": 1"));
	assert_non_null(strstr(out, "\"ringbuf_full\": 1"));
	free(out);

	out = render(&s, false);
	assert_non_null(strstr(out, "hmm_dmirror"));
	assert_non_null(strstr(out, "LOST EVENTS: 2"));	/* 1 ringbuf + 1 recursion */
	assert_null(strchr(out, '\033'));		/* no escape codes, ever */
	free(out);
	devmem_snapshot_free(&s);
}

/* a process, a range and a note that try to drive the terminal render as text */
static void test_reports_hostile_names(void **state)
{
	static const char *const evil[] = {
		"\x1b[2J\x1b]0;pwn\x07",		/* clear screen, set the title */
		"a\x9b" "31m\xc2\x9b" "2J",	/* 8-bit CSI, raw and as UTF-8 C1 */
		"\xed\xa0\x80\xc0\xaf\xe2\x82",	/* surrogate, overlong, cut short */
	};
	struct devmem_snapshot s;
	struct devmem_process *p;
	struct devmem_snap_range *r;

	devmem_snapshot_init(&s);
	for (unsigned int i = 0; i < 3; i++) {
		p = devmem_snapshot_process(&s, 100 + i, 1);
		memcpy(p->comm, evil[i], strlen(evil[i]));
		p->c.faults = 1;
		p->has_hist = true;
		devmem_hist_add(&p->hist[DEVMEM_HIST_FAULT_LATENCY], 5000);
		r = devmem_snapshot_range(&s, 0x10 + i, 0x100000000ULL * (i + 1));
		r->r.end = r->r.start + 0xfff;
		r->r.owner = 0xffff888000001000ULL + i;
		r->c.faults = 1;
		/* the device takes the range's name */
		snprintf(r->name, sizeof(r->name), "%s", evil[i]);
	}
	assert_int_equal(devmem_snapshot_group_devices(&s), 0);
	/* a comm filling its 16 bytes, no NUL */
	memset(devmem_snapshot_process(&s, 200, 1)->comm, 'x', DEVMEM_COMM_LEN);
	snprintf(s.note, sizeof(s.note), "note %s %s", evil[0], evil[1]);

	for (int json = 0; json < 2; json++) {
		char *out = render(&s, json);

		assert_clean_text(out, strlen(out));
		assert_non_null(strstr(out, json ? "\\\\x1b[2J\\\\x1b]0;pwn\\\\x07" :
					       "\\x1b[2J\\x1b]0;pwn\\x07"));
		/* the COMM column is 16 wide, whatever the name */
		if (!json)
			assert_non_null(strstr(out, "  100        "
						    "\\x1b[2J\\x1b]0;pw alive         0        1 "));
		free(out);
	}
	devmem_snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percpu_sums),
		cmocka_unit_test(test_find_or_add),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_lost_total_and_sort),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_group_devices),
		cmocka_unit_test(test_array_grow),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_reports_hostile_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

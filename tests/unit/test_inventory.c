// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The range inventory (tools/lib/render/inventory.c): from a snapshot, refresh, output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "model/snapshot.h"
#include "render/inventory.h"
#include "clean_text.h"

#define START0	0x43fff0000000ULL
#define END0	0x43ffffffffffULL
#define START1	0x43ffe0000000ULL
#define END1	0x43ffefffffffULL

/* a range of a snapshot, as the session's history has it */
static struct devmem_snap_range *range(struct devmem_snapshot *s, __u64 gen, __u64 start,
				       __u64 end, const char *device)
{
	struct devmem_snap_range *d = devmem_snapshot_range(s, gen, start);

	assert_non_null(d);
	d->r.end = end;
	d->r.nr_pages = (end - start + 1) / 4096;
	d->r.nid = 0;
	d->r.type = DEVMEM_TYPE_PRIVATE;
	d->r.owner = 0xffff888000aa0000ULL;
	strcpy(d->name, "hmm_dmirror");
	strcpy(d->device, device);
	return d;
}

/* rmmod then insmod: the same physical ranges again, each life its own entry */
static void test_remove_and_readd(void **state)
{
	struct devmem_inventory inv = { 0 };
	struct devmem_snapshot s;
	struct devmem_snap_range *d;

	devmem_snapshot_init(&s);
	/* listed at start, removed, done after 60 ns */
	d = range(&s, 1, START0, END0, "hmm_dmirror0");
	d->in_use_at_start = 0;
	d->r.removed_ns = 200;
	d->r.remove_done_ns = 260;
	d->r.in_use_at_remove = 0;
	/* probed at start, remove still waiting for two pages */
	d = range(&s, 2, START1, END1, "hmm_dmirror1");
	d->r.removed_ns = 300;
	d->r.in_use_at_remove = 2;
	/* added again at START0: 5 pages handed out, 2 back */
	d = range(&s, 3, START0, END0, "hmm_dmirror0");
	d->r.added_ns = 400;
	d->c.allocs = 5;
	d->c.frees = 2;
	assert_int_equal(devmem_inv_from_snapshot(&inv, &s), 0);
	assert_int_equal(inv.n, 3);

	devmem_inv_sort(&inv);
	/* START1 < START0: the second range first */
	assert_int_equal(inv.r[0].start, START1);
	assert_true(inv.r[0].before);
	assert_true(inv.r[0].removed);
	assert_false(inv.r[0].done);
	assert_string_equal(devmem_inv_state_name(&inv.r[0]), "removing");
	assert_int_equal(inv.r[0].in_use, 2);
	assert_string_equal(inv.r[0].device, "hmm_dmirror1");

	assert_int_equal(inv.r[1].start, START0);
	assert_true(inv.r[1].before);
	assert_string_equal(devmem_inv_state_name(&inv.r[1]), "removed");
	assert_int_equal(inv.r[1].wait_ns, 60);
	assert_int_equal(inv.r[1].removed_ns, 200);

	assert_int_equal(inv.r[2].start, START0);
	assert_false(inv.r[2].before);
	assert_string_equal(devmem_inv_state_name(&inv.r[2]), "live");
	assert_int_equal(inv.r[2].added_ns, 400);
	assert_int_equal(inv.r[2].in_use, 3);
	assert_int_equal(inv.r[2].nr_pages, 65536);
	assert_string_equal(inv.r[2].device, "hmm_dmirror0");
	devmem_inv_free(&inv);
	devmem_snapshot_free(&s);
}

/*
 * Pages in use now: from the start listing plus the allocs and frees since;
 * not known for a range found at start without a listing.
 */
static void test_in_use(void **state)
{
	struct devmem_inventory inv = { 0 };
	struct devmem_snapshot s;
	struct devmem_snap_range *d;

	devmem_snapshot_init(&s);
	d = range(&s, 1, START0, END0, "gpu0");
	d->in_use_at_start = 7;
	d->c.allocs = 3;
	d->c.frees = 1;
	d = range(&s, 2, START1, END1, "gpu1");
	d->c.allocs = 3;
	s.lost[DEVMEM_LOST_RINGBUF] = 4;
	assert_int_equal(devmem_inv_from_snapshot(&inv, &s), 0);
	devmem_inv_sort(&inv);
	assert_int_equal(inv.r[1].in_use, 9);
	assert_int_equal(inv.r[0].in_use, DEVMEM_UNKNOWN);
	assert_true(inv.r[0].before);
	assert_int_equal(inv.lost, 4);
	devmem_inv_free(&inv);
	devmem_snapshot_free(&s);
}

static void test_refresh(void **state)
{
	struct devmem_inventory inv = { 0 };
	struct devmem_snapshot now, s;
	struct devmem_snap_range *d;

	devmem_snapshot_init(&s);
	d = range(&s, 1, START0, END0, "drv");
	d->r.type = 0;
	d->r.nid = ~0U;
	d->name[0] = '\0';
	d->r.added_ns = 50;
	assert_int_equal(devmem_inv_from_snapshot(&inv, &s), 0);
	devmem_snapshot_free(&s);
	devmem_snapshot_init(&now);
	d = devmem_snapshot_range(&now, 0, START0);
	assert_non_null(d);
	d->r.start = START0;
	d->r.end = END0;
	d->r.type = DEVMEM_TYPE_COHERENT;
	d->r.nid = 1;
	d->in_use_at_start = 17;
	strcpy(d->name, "drv");
	devmem_inv_refresh(&inv, &now);
	assert_int_equal(inv.r[0].type, DEVMEM_TYPE_COHERENT);
	assert_int_equal(inv.r[0].nid, 1);
	assert_int_equal(inv.r[0].in_use, 17);
	assert_string_equal(inv.r[0].name, "drv");
	devmem_snapshot_free(&now);
	devmem_inv_free(&inv);
}

static void test_output(void **state)
{
	struct devmem_inventory inv = { 0 };
	struct devmem_snapshot s;
	struct devmem_snap_range *d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	json_t *doc, *arr;

	devmem_snapshot_init(&s);
	d = range(&s, 1, START0, END0, "hmm_dmirror0");
	d->in_use_at_start = 0;
	d->r.removed_ns = 200;
	d->r.remove_done_ns = 2000200;
	d->r.in_use_at_remove = 0;
	d = range(&s, 2, START0, END0, "hmm_dmirror0");
	d->r.added_ns = 3000000;
	assert_int_equal(devmem_inv_from_snapshot(&inv, &s), 0);
	devmem_snapshot_free(&s);
	devmem_inv_sort(&inv);

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	devmem_inv_print_text(f, &inv, 0, 4096);
	fclose(f);
	assert_non_null(strstr(buf, "START "));
	assert_non_null(strstr(buf, "0x43fff0000000"));
	assert_non_null(strstr(buf, "256MiB"));
	assert_non_null(strstr(buf, "before"));
	assert_non_null(strstr(buf, " removed "));
	assert_non_null(strstr(buf, " 2.000\n"));
	assert_non_null(strstr(buf, "DEVICE"));
	assert_non_null(strstr(buf, "hmm_dmirror0 "));
	assert_null(strchr(buf, '\033'));
	free(buf);

	doc = devmem_inv_json(&inv, 0, 4096, "a note");
	assert_non_null(doc);
	arr = json_object_get(doc, "ranges");
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "state")),
			    "removed");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0),
							     "remove_wait_ns")), 2000000);
	assert_true(json_is_true(json_object_get(json_array_get(arr, 0), "before_start")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "device")),
			    "hmm_dmirror0");
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "start")),
			    "0x43fff0000000");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 1), "bytes")),
			 256 << 20);
	assert_true(json_is_false(json_object_get(json_array_get(arr, 1), "removed")));
	assert_true(json_is_null(json_object_get(json_array_get(arr, 1), "removed_time")));
	assert_string_equal(json_string_value(json_object_get(doc, "note")), "a note");
	json_decref(doc);
	devmem_inv_free(&inv);
}

/* a range name that tries to drive the terminal: filtered in text and JSON */
static void test_hostile_name(void **state)
{
	struct devmem_inventory inv = { 0 };
	struct devmem_snapshot s;
	struct devmem_snap_range *d;
	char *buf = NULL, *name;
	size_t len = 0;
	json_t *doc;
	FILE *f;

	devmem_snapshot_init(&s);
	d = range(&s, 1, START0, END0, "\x9b" "31mdev");
	d->in_use_at_start = 0;
	strcpy(d->name, "\x1b]0;\x07\xe6\x97\xa5");
	assert_int_equal(devmem_inv_from_snapshot(&inv, &s), 0);
	devmem_snapshot_free(&s);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	devmem_inv_print_text(f, &inv, 0, 4096);
	fclose(f);
	assert_clean_text(buf, len);
	/* 13 columns (日 takes two) padded to the NAME column's 18, then ADDED */
	name = strstr(buf, "\\x1b]0;\\x07\xe6\x97\xa5");
	assert_non_null(name);
	assert_memory_equal(name + strlen("\\x1b]0;\\x07\xe6\x97\xa5"), "      before", 12);
	free(buf);
	doc = devmem_inv_json(&inv, 0, 4096, "note \x1b[2J");
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
				    json_object_get(doc, "ranges"), 0), "name")),
			    "\\x1b]0;\\x07\xe6\x97\xa5");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
				    json_object_get(doc, "ranges"), 0), "device")), "\\x9b31mdev");
	assert_string_equal(json_string_value(json_object_get(doc, "note")), "note \\x1b[2J");
	json_decref(doc);
	devmem_inv_free(&inv);
}

static void test_size(void **state)
{
	char buf[32];

	devmem_inv_format_size(buf, sizeof(buf), 256ULL << 20);
	assert_string_equal(buf, "256MiB");
	devmem_inv_format_size(buf, sizeof(buf), 16ULL << 30);
	assert_string_equal(buf, "16GiB");
	devmem_inv_format_size(buf, sizeof(buf), 12288 + 4096 * 3 + 1);
	assert_string_equal(buf, "24577B");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_and_readd),
		cmocka_unit_test(test_in_use),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_hostile_name),
		cmocka_unit_test(test_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

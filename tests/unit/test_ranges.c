// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The range inventory (tools/lib/inventory.c): start listing, hotplug events, refresh, output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "../../tools/lib/inventory.h"
#include "clean_text.h"

#define START0	0x43fff0000000ULL
#define END0	0x43ffffffffffULL
#define START1	0x43ffe0000000ULL
#define END1	0x43ffefffffffULL

static struct devmem_event pm_event(__u32 type, __u64 pgmap, __u64 start, __u64 end, __u64 ts)
{
	struct devmem_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = ts;
	e.pgmap = pgmap;
	e.owner = 0xffff888000aa0000ULL;
	e.address = start;
	e.pfn = end;
	e.npages = (end - start + 1) / 4096;
	return e;
}

static void discovered(struct devmem_inventory *inv, __u64 start, __u64 end, __u64 in_use)
{
	struct devmem_snap_range d;

	memset(&d, 0, sizeof(d));
	d.r.start = start;
	d.r.end = end;
	d.r.nr_pages = (end - start + 1) / 4096;
	d.r.nid = 0;
	d.r.type = DEVMEM_TYPE_PRIVATE;
	d.id = start;
	d.in_use_at_start = in_use;
	strcpy(d.name, "hmm_dmirror");
	assert_int_equal(devmem_inv_add_discovered(inv, &d), 0);
}

/* rmmod then insmod: the same physical ranges (and pgmap addresses) again */
static void test_remove_and_readd(void **state)
{
	struct devmem_inventory inv = { .discovered_ns = 100 };
	struct devmem_event e;

	discovered(&inv, START0, END0, 0);
	discovered(&inv, START1, END1, 5);
	e = pm_event(DEVMEM_EV_PAGEMAP_REMOVE, 0xa000, START0, END0, 200);
	e.result = 0;
	assert_int_equal(devmem_inv_event(&inv, &e), 0);
	e = pm_event(DEVMEM_EV_PAGEMAP_REMOVE_DONE, 0xa000, START0, END0, 260);
	e.latency_ns = 60;
	assert_int_equal(devmem_inv_event(&inv, &e), 0);
	e = pm_event(DEVMEM_EV_PAGEMAP_REMOVE, 0xb000, START1, END1, 300);
	e.result = 2;
	assert_int_equal(devmem_inv_event(&inv, &e), 0);
	e = pm_event(DEVMEM_EV_PAGEMAP_ADD, 0xa000, START0, END0, 400);
	assert_int_equal(devmem_inv_event(&inv, &e), 0);
	assert_int_equal(inv.n, 3);
	/* a duplicate add changes nothing */
	assert_int_equal(devmem_inv_event(&inv, &e), 0);
	assert_int_equal(inv.n, 3);

	devmem_inv_sort(&inv);
	/* START1 < START0: the second discovered range first */
	assert_int_equal(inv.r[0].start, START1);
	assert_true(inv.r[0].before);
	assert_true(inv.r[0].removed);
	assert_false(inv.r[0].done);
	assert_string_equal(devmem_inv_state_name(&inv.r[0]), "removing");
	assert_int_equal(inv.r[0].in_use, 2);

	assert_int_equal(inv.r[1].start, START0);
	assert_true(inv.r[1].before);
	assert_string_equal(devmem_inv_state_name(&inv.r[1]), "removed");
	assert_int_equal(inv.r[1].wait_ns, 60);
	assert_int_equal(inv.r[1].removed_ns, 200);

	assert_int_equal(inv.r[2].start, START0);
	assert_false(inv.r[2].before);
	assert_string_equal(devmem_inv_state_name(&inv.r[2]), "live");
	assert_int_equal(inv.r[2].added_ns, 400);
	assert_int_equal(inv.r[2].in_use, 0);
	assert_int_equal(inv.r[2].nr_pages, 65536);
	devmem_inv_free(&inv);
}

/* an add seen as an event and in the start listing is one range */
static void test_add_during_discovery(void **state)
{
	struct devmem_inventory inv = { .discovered_ns = 1000 };
	struct devmem_event e = pm_event(DEVMEM_EV_PAGEMAP_ADD, 0xa000, START0, END0, 900);

	discovered(&inv, START0, END0, 0);
	assert_int_equal(devmem_inv_event(&inv, &e), 0);
	assert_int_equal(inv.n, 1);
	assert_false(inv.r[0].before);
	assert_int_equal(inv.r[0].added_ns, 900);
	assert_int_equal(inv.r[0].owner, 0xffff888000aa0000ULL);
	devmem_inv_free(&inv);
}

/* a remove of a range nobody listed (no debugfs file) is still recorded */
static void test_remove_unknown(void **state)
{
	struct devmem_inventory inv = { 0 };
	struct devmem_event e = pm_event(DEVMEM_EV_PAGEMAP_REMOVE, 0xa000, START0, END0, 50);

	e.result = DEVMEM_UNKNOWN;
	assert_int_equal(devmem_inv_event(&inv, &e), 0);
	assert_int_equal(inv.n, 1);
	assert_true(inv.r[0].before);
	assert_int_equal(inv.r[0].in_use, DEVMEM_UNKNOWN);
	assert_int_equal(inv.r[0].type, 0);
	/* remove_done without remove: ignored */
	e = pm_event(DEVMEM_EV_PAGEMAP_REMOVE_DONE, 0xc000, START1, END1, 60);
	assert_int_equal(devmem_inv_event(&inv, &e), 0);
	assert_int_equal(inv.n, 1);
	devmem_inv_free(&inv);
}

static void test_refresh(void **state)
{
	struct devmem_inventory inv = { 0 };
	struct devmem_snapshot now;
	struct devmem_snap_range *d;
	struct devmem_event e = pm_event(DEVMEM_EV_PAGEMAP_ADD, 0xa000, START0, END0, 50);

	assert_int_equal(devmem_inv_event(&inv, &e), 0);
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
	struct devmem_inventory inv = { .discovered_ns = 100 };
	struct devmem_event e = pm_event(DEVMEM_EV_PAGEMAP_REMOVE, 0xa000, START0, END0, 200);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	json_t *doc, *arr;

	discovered(&inv, START0, END0, 0);
	e.result = 0;
	devmem_inv_event(&inv, &e);
	e = pm_event(DEVMEM_EV_PAGEMAP_REMOVE_DONE, 0xa000, START0, END0, 2000200);
	e.latency_ns = 2000000;
	devmem_inv_event(&inv, &e);
	e = pm_event(DEVMEM_EV_PAGEMAP_ADD, 0xa000, START0, END0, 3000000);
	devmem_inv_event(&inv, &e);
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
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "start")),
			    "0x43fff0000000");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 1), "bytes")),
			 256 << 20);
	assert_true(json_is_null(json_object_get(json_array_get(arr, 1), "removed")));
	assert_string_equal(json_string_value(json_object_get(doc, "note")), "a note");
	json_decref(doc);
	devmem_inv_free(&inv);
}

/* a range name that tries to drive the terminal: filtered in text and JSON */
static void test_hostile_name(void **state)
{
	struct devmem_inventory inv = { 0 };
	struct devmem_snap_range d;
	char *buf = NULL, *name;
	size_t len = 0;
	json_t *doc;
	FILE *f;

	memset(&d, 0, sizeof(d));
	d.r.start = START0;
	d.r.end = END0;
	d.r.nr_pages = 65536;
	d.in_use_at_start = 0;
	strcpy(d.name, "\x1b]0;\x07\xe6\x97\xa5");
	assert_int_equal(devmem_inv_add_discovered(&inv, &d), 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	devmem_inv_print_text(f, &inv, 0, 4096);
	fclose(f);
	assert_clean_text(buf, len);
	/* 13 columns (日 takes two) padded to the OWNER column's 18, then ADDED */
	name = strstr(buf, "\\x1b]0;\\x07\xe6\x97\xa5");
	assert_non_null(name);
	assert_memory_equal(name + strlen("\\x1b]0;\\x07\xe6\x97\xa5"), "      before", 12);
	free(buf);
	doc = devmem_inv_json(&inv, 0, 4096, "note \x1b[2J");
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
				    json_object_get(doc, "ranges"), 0), "name")),
			    "\\x1b]0;\\x07\xe6\x97\xa5");
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
		cmocka_unit_test(test_add_during_discovery),
		cmocka_unit_test(test_remove_unknown),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_hostile_name),
		cmocka_unit_test(test_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemsnoop's event names, filters and lines (tools/lib/render/snoop_fmt.c),
 * with the order of large folios and the reasons of the v3 events.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "render/snoop_fmt.h"

static const struct snoop_fmt fmt = { .start_ns = 1000000000ULL };

static struct devmem_event ev(__u32 type)
{
	struct devmem_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.cpu = 1;
	e.ts_ns = 3500000000ULL;	/* 2.5 s after start */
	e.pid = 4243;
	e.tgid = 4242;
	strcpy(e.comm, "devmem-workload");
	e.pgmap_start = 0xffff888003a4b000ULL;
	e.owner = 0xffff888003a40000ULL;
	return e;
}

/* split a text line into its whitespace separated columns */
static int columns(const char *line, char cols[][32], int max)
{
	int n = 0;
	const char *p = line;

	while (*p && n < max) {
		size_t len;

		p += strspn(p, " \n");
		len = strcspn(p, " \n");
		if (!len)
			break;
		snprintf(cols[n++], 32, "%.*s", (int)len, p);
		p += len;
	}
	return n;
}

static void test_parse_events(void **state)
{
	__u32 mask = 0;
	char bad[32];

	assert_int_equal(snoop_parse_events("fault,alloc", &mask, bad, sizeof(bad)), 0);
	assert_int_equal(mask, (1U << DEVMEM_EV_FAULT) | (1U << DEVMEM_EV_PAGE_ALLOC));
	assert_int_equal(snoop_parse_events("devmem_page_free,pagemap_remove_done", &mask,
					    bad, sizeof(bad)), 0);
	assert_int_equal(mask, (1U << DEVMEM_EV_PAGE_FREE) |
			       (1U << DEVMEM_EV_PAGEMAP_REMOVE_DONE));
	/* the v3 names, with and without the system prefix */
	assert_int_equal(snoop_parse_events("zone_device_folio_alloc,folio_free,migrate_folios",
					    &mask, bad, sizeof(bad)), 0);
	assert_int_equal(mask, (1U << DEVMEM_EV_PAGE_ALLOC) | (1U << DEVMEM_EV_PAGE_FREE) |
			       (1U << DEVMEM_EV_MIGRATE));
	assert_int_equal(snoop_parse_events("zone_device_", &mask, bad, sizeof(bad)), -EINVAL);
	assert_int_equal(snoop_parse_events("all", &mask, bad, sizeof(bad)), 0);
	assert_int_equal(mask, DEVMEM_STREAM_ALL);
	assert_int_equal(snoop_parse_events("fault,nope", &mask, bad, sizeof(bad)), -EINVAL);
	assert_string_equal(bad, "nope");
	assert_int_equal(snoop_parse_events("fault,", &mask, bad, sizeof(bad)), -EINVAL);
	assert_int_equal(snoop_parse_events("", &mask, bad, sizeof(bad)), -EINVAL);
	assert_int_equal(snoop_parse_events("faults", &mask, bad, sizeof(bad)), -EINVAL);
}

static void test_names(void **state)
{
	assert_string_equal(snoop_event_name(DEVMEM_EV_PAGE_ALLOC), "alloc");
	assert_string_equal(snoop_tracepoint_name(DEVMEM_EV_PAGEMAP_REMOVE_DONE),
			    "zone_device_pagemap_remove_done");
	assert_string_equal(snoop_tracepoint_name(DEVMEM_EV_PAGE_ALLOC), "zone_device_folio_alloc");
	assert_null(snoop_event_name(0));
	assert_null(snoop_event_name(DEVMEM_EV_MAX));
}

static void test_fault_result(void **state)
{
	char buf[64];

	assert_string_equal(snoop_fault_result(0, buf, sizeof(buf)), "ok");
	assert_string_equal(snoop_fault_result(0x2, buf, sizeof(buf)), "SIGBUS");
	assert_string_equal(snoop_fault_result(0x404, buf, sizeof(buf)), "MAJOR|RETRY");
	assert_string_equal(snoop_fault_result(0x100000, buf, sizeof(buf)), "0x100000");
	/* truncation never overruns */
	snoop_fault_result(0x7fff, buf, 8);
	assert_true(strlen(buf) < 8);
}

static void test_line_fault_done(void **state)
{
	struct devmem_event e = ev(DEVMEM_EV_FAULT_DONE);
	struct snoop_device dev = { .id = 0x43fff0000000ULL, .name = "hmm_dmirror" };
	char line[256], c[12][32];

	e.address = 0x7f0000001000ULL;
	e.pfn = 0x43fff0012ULL;
	e.migrated = 1;
	e.latency_ns = 12345678;
	snoop_format_line(line, sizeof(line), &fmt, &e, &dev);
	assert_int_equal(columns(line, c, 12), 10);
	assert_string_equal(c[0], "2.500000");
	assert_string_equal(c[1], "1");
	assert_string_equal(c[2], "4242");
	assert_string_equal(c[3], "devmem-workload");
	assert_string_equal(c[4], "hmm_dmirror");
	assert_string_equal(c[5], "fault_done");
	assert_string_equal(c[6], "0x7f0000001000");
	assert_string_equal(c[7], "1");
	assert_string_equal(c[8], "ok");
	assert_string_equal(c[9], "12345.678");
	assert_int_equal(line[strlen(line) - 1], '\n');
}

static void test_line_each_type(void **state)
{
	static const struct {
		__u32 type;
		const char *event, *addr, *pages, *result, *lat;
	} want[] = {
		{ DEVMEM_EV_PAGEMAP_ADD, "add", "0x100000000", "65536", "-", "-" },
		{ DEVMEM_EV_PAGEMAP_REMOVE, "remove", "0x100000000", "65536", "in_use=3", "-" },
		{ DEVMEM_EV_PAGEMAP_REMOVE_DONE, "remove_done", "0x100000000", "65536", "-", "2.000" },
		{ DEVMEM_EV_FAULT, "fault", "0x7f00", "-", "write", "-" },
		{ DEVMEM_EV_MIGRATE, "migrate", "0x7f00", "37", "to_ram,fault", "-" },
		{ DEVMEM_EV_PAGE_ALLOC, "alloc", "0x100005", "1", "-", "-" },
		{ DEVMEM_EV_PAGE_FREE, "free", "0x100005", "1", "-", "1.500" },
	};
	char line[320], c[13][32];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct devmem_event e = ev(want[i].type);

		if (want[i].type <= DEVMEM_EV_PAGEMAP_REMOVE_DONE) {
			e.pgmap_start = 0x100000000ULL;
			e.range_end = 0x10fffffffULL;
			e.npages = 65536;
			e.in_use = 3;
			e.latency_ns = 2000;
		} else if (want[i].type == DEVMEM_EV_PAGE_ALLOC ||
			   want[i].type == DEVMEM_EV_PAGE_FREE) {
			e.pfn = 0x100005;
			e.latency_ns = want[i].type == DEVMEM_EV_PAGE_FREE ? 1500 : 0;
		} else {
			e.address = 0x7f00;
			e.write = 1;
			e.migrated = 37;
			e.dir = DEVMEM_TO_RAM;
			e.reason = DEVMEM_REASON_FAULT;
			e.src_pgmap = 0x100000000ULL;
		}
		snoop_format_line(line, sizeof(line), &fmt, &e, NULL);
		if (want[i].type == DEVMEM_EV_MIGRATE) {
			/* a migration names both sides after the columns */
			assert_int_equal(columns(line, c, 13), 13);
			assert_string_equal(c[10], "src=0x100000000");
			assert_string_equal(c[11], "dst=ram");
			assert_string_equal(c[12], "part=0");
		} else {
			assert_int_equal(columns(line, c, 13), 10);
		}
		assert_string_equal(c[4], "-");
		assert_string_equal(c[5], want[i].event);
		assert_string_equal(c[6], want[i].addr);
		assert_string_equal(c[7], want[i].pages);
		assert_string_equal(c[8], want[i].result);
		assert_string_equal(c[9], want[i].lat);
	}
}

static void test_hostile_comm(void **state)
{
	struct devmem_event e = ev(DEVMEM_EV_PAGE_ALLOC);
	char line[256], c[12][32];

	memcpy(e.comm, "a\033[2Jb c\x7f", 10);
	snoop_format_line(line, sizeof(line), &fmt, &e, NULL);
	assert_null(strchr(line, '\033'));
	assert_int_equal(columns(line, c, 12), 10);
	/* escaped, one word, cut to the column's 16 characters */
	assert_string_equal(c[3], "a\\x1b[2Jb\\x20c");
	assert_non_null(strstr(line, "a\\x1b"));
	assert_memory_equal(strstr(line, "a\\x1b") + 14, "   - ", 5);	/* the columns stay put */
	/* a comm filling all 16 bytes without a NUL stays bounded */
	memset(e.comm, 'x', sizeof(e.comm));
	snoop_format_line(line, sizeof(line), &fmt, &e, NULL);
	assert_int_equal(columns(line, c, 12), 10);
	assert_int_equal(strlen(c[3]), DEVMEM_COMM_LEN);
}

static void test_early_event_time(void **state)
{
	struct devmem_event e = ev(DEVMEM_EV_FAULT);
	char line[256], c[12][32];

	e.ts_ns = 10;	/* queued before the start stamp */
	snoop_format_line(line, sizeof(line), &fmt, &e, NULL);
	columns(line, c, 12);
	assert_string_equal(c[0], "0.000000");
}

/* what the fallback cannot see is unknown, in text and JSON, never "read" or "ok" */
static void test_unknown_fields(void **state)
{
	struct devmem_event f = ev(DEVMEM_EV_FAULT), d = ev(DEVMEM_EV_FAULT_DONE);
	struct snoop_device dev = { .id = 0x43fff0000000ULL, .name = "hmm_dmirror" };
	char line[256], c[12][32];
	json_t *o;

	f.write = DEVMEM_WRITE_UNKNOWN;
	snoop_format_line(line, sizeof(line), &fmt, &f, &dev);
	assert_int_equal(columns(line, c, 12), 10);
	assert_string_equal(c[8], "?");
	o = snoop_event_json(&fmt, &f, &dev);
	assert_true(json_is_null(json_object_get(o, "write")));
	json_decref(o);
	d.write = 1;
	d.vm_fault = DEVMEM_UNKNOWN;
	d.latency_ns = 1000;
	snoop_format_line(line, sizeof(line), &fmt, &d, &dev);
	assert_int_equal(columns(line, c, 12), 10);
	assert_string_equal(c[8], "?");
	o = snoop_event_json(&fmt, &d, &dev);
	assert_true(json_is_null(json_object_get(o, "result")));
	assert_true(json_is_true(json_object_get(o, "write")));
	json_decref(o);
}

/* a move to the device whose destination allocations all failed, and a device-to-device move */
static void test_line_migrate_sides(void **state)
{
	struct devmem_event e = ev(DEVMEM_EV_MIGRATE);
	struct snoop_device dev = { .id = 0x200000000ULL, .name = "gpu0",
				    .src_name = "gpu0", .dst_name = "gpu1" };
	char line[320], c[13][32];

	e.dir = DEVMEM_TO_DEVICE;
	e.reason = DEVMEM_REASON_DRIVER;
	e.npages = 64;
	e.cpages = 64;
	snoop_format_line(line, sizeof(line), &fmt, &e, NULL);
	assert_int_equal(columns(line, c, 13), 13);
	assert_string_equal(c[7], "0");
	assert_string_equal(c[8], "to_device,driver");
	assert_string_equal(c[10], "src=ram");
	assert_string_equal(c[11], "dst=none");
	assert_string_equal(c[12], "part=0");

	e.dir = DEVMEM_DEVICE_TO_DEVICE;
	e.reason = DEVMEM_REASON_EVICT;
	e.src_pgmap = 0x200000000ULL;
	e.dst_pgmap = 0x300000000ULL;
	e.migrated = 5;
	e.part = 1;
	snoop_format_line(line, sizeof(line), &fmt, &e, &dev);
	assert_int_equal(columns(line, c, 13), 13);
	assert_string_equal(c[8], "device_to_device,evict");
	assert_string_equal(c[10], "src=gpu0");
	assert_string_equal(c[11], "dst=gpu1");
	assert_string_equal(c[12], "part=1");
}

static void test_json(void **state)
{
	struct devmem_event e = ev(DEVMEM_EV_MIGRATE);
	struct snoop_device dev = { .id = 0x43fff0000000ULL, .name = "hmm_dmirror" };
	json_t *o;

	e.address = 0x7f0000000000ULL;
	e.npages = 64;
	e.cpages = 37;
	e.migrated = 37;
	e.dir = DEVMEM_TO_DEVICE;
	e.reason = DEVMEM_REASON_DRIVER;
	o = snoop_event_json(&fmt, &e, &dev);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "event")), "migrate");
	assert_int_equal(json_integer_value(json_object_get(o, "tgid")), 4242);
	assert_int_equal(json_integer_value(json_object_get(o, "tid")), 4243);
	assert_string_equal(json_string_value(json_object_get(o, "device")), "hmm_dmirror");
	assert_string_equal(json_string_value(json_object_get(o, "pgmap_id")), "0x43fff0000000");
	assert_string_equal(json_string_value(json_object_get(o, "dir")), "to_device");
	assert_int_equal(json_integer_value(json_object_get(o, "pages")), 37);
	assert_int_equal(json_integer_value(json_object_get(o, "cpages")), 37);
	assert_true(json_is_false(json_object_get(o, "fault")));
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "driver");
	assert_true(json_is_null(json_object_get(o, "src_pgmap")));
	assert_true(json_is_null(json_object_get(o, "dst_device")));
	assert_true(json_real_value(json_object_get(o, "time_s")) > 2.49);
	json_decref(o);

	e = ev(DEVMEM_EV_PAGEMAP_REMOVE);
	e.in_use = DEVMEM_UNKNOWN;
	o = snoop_event_json(&fmt, &e, NULL);
	assert_non_null(o);
	assert_true(json_is_null(json_object_get(o, "device")));
	assert_true(json_is_null(json_object_get(o, "in_use")));
	json_decref(o);
}

/* a large folio's events name its order; a PMD fault its mapping's */
static void test_order(void **state)
{
	static const __u32 types[] = {
		DEVMEM_EV_PAGE_ALLOC, DEVMEM_EV_PAGE_FREE, DEVMEM_EV_FAULT, DEVMEM_EV_FAULT_DONE,
	};
	char line[320], c[14][32];

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct devmem_event e = ev(types[i]);
		json_t *o;

		e.pfn = 0x100200;
		e.npages = 512;
		e.migrated = 512;
		e.order = 9;
		snoop_format_line(line, sizeof(line), &fmt, &e, NULL);
		assert_int_equal(columns(line, c, 14), 11);
		assert_string_equal(c[10], "order=9");
		if (types[i] == DEVMEM_EV_PAGE_ALLOC)
			assert_string_equal(c[7], "512");
		o = snoop_event_json(&fmt, &e, NULL);
		assert_int_equal(json_integer_value(json_object_get(o, "order")), 9);
		json_decref(o);
		/* order 0: the line as it always was, the JSON says 0 */
		e.order = 0;
		snoop_format_line(line, sizeof(line), &fmt, &e, NULL);
		assert_int_equal(columns(line, c, 14), 10);
		assert_null(strstr(line, "order="));
		o = snoop_event_json(&fmt, &e, NULL);
		assert_int_equal(json_integer_value(json_object_get(o, "order")), 0);
		assert_true(json_is_integer(json_object_get(o, "order")));
		json_decref(o);
	}
	/* a migration of 2 MiB folios, after its sides */
	{
		struct devmem_event e = ev(DEVMEM_EV_MIGRATE);
		json_t *o;

		e.dir = DEVMEM_TO_DEVICE;
		e.reason = DEVMEM_REASON_PREFETCH;
		e.npages = e.cpages = e.migrated = 1024;
		e.order = 9;
		snoop_format_line(line, sizeof(line), &fmt, &e, NULL);
		assert_int_equal(columns(line, c, 14), 14);
		assert_string_equal(c[7], "1024");
		assert_string_equal(c[8], "to_device,prefetch");
		assert_string_equal(c[12], "part=0");
		assert_string_equal(c[13], "order=9");
		o = snoop_event_json(&fmt, &e, NULL);
		assert_int_equal(json_integer_value(json_object_get(o, "order")), 9);
		assert_string_equal(json_string_value(json_object_get(o, "reason")), "prefetch");
		json_decref(o);
	}
	/* a pagemap event has no order */
	{
		struct devmem_event e = ev(DEVMEM_EV_PAGEMAP_ADD);
		json_t *o = snoop_event_json(&fmt, &e, NULL);

		assert_null(json_object_get(o, "order"));
		json_decref(o);
	}
}

/* the reasons of the v3 events, by their names */
static void test_reasons(void **state)
{
	assert_string_equal(snoop_reason_name(DEVMEM_REASON_FAULT), "fault");
	assert_string_equal(snoop_reason_name(DEVMEM_REASON_PIN), "longterm_pin");
	assert_string_equal(snoop_reason_name(DEVMEM_REASON_DEVICE_FAULT), "device_fault");
	assert_string_equal(snoop_reason_name(DEVMEM_REASON_PREFETCH), "prefetch");
	assert_string_equal(snoop_reason_name(DEVMEM_REASON_REMOVE), "remove");
	assert_string_equal(snoop_reason_name(DEVMEM_REASONS), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_events),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_fault_result),
		cmocka_unit_test(test_line_fault_done),
		cmocka_unit_test(test_line_each_type),
		cmocka_unit_test(test_hostile_comm),
		cmocka_unit_test(test_early_event_time),
		cmocka_unit_test(test_line_migrate_sides),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

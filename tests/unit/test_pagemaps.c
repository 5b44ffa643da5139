// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The debugfs pagemaps parser and /proc/iomem names, on good and hostile input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/pagemaps.h"
#include "model/snapshot.h"

#define GOOD "pgmap=0x100000000 range=0 start=0x100000000 end=0x10fffffff nr_pages=65536 " \
	     "nid=0 type=private in_use=12 name=hmm_dmirror"

static void test_good_line(void **state)
{
	struct devmem_pagemap_line l;

	assert_int_equal(devmem_pagemaps_parse_line(GOOD "\n", &l), 0);
	assert_true(l.pgmap_id == 0x100000000ULL);
	assert_int_equal(l.range, 0);
	assert_true(l.start == 0x100000000ULL);
	assert_true(l.end == 0x10fffffffULL);
	assert_int_equal(l.nr_pages, 65536);
	assert_int_equal(l.nid, 0);
	assert_int_equal(l.type, DEVMEM_TYPE_PRIVATE);
	assert_int_equal(l.in_use, 12);
	assert_string_equal(l.name, "hmm_dmirror");
}

static void test_variants(void **state)
{
	struct devmem_pagemap_line l;

	/* name with spaces, "-" name, coherent, nid -1, CRLF, extra blanks */
	assert_int_equal(devmem_pagemaps_parse_line(
		"pgmap=0x2000 range=1 start=0x2000 end=0x2fff nr_pages=1 nid=-1 "
		"type=coherent in_use=0 name=Device Private Memory  \r\n", &l), 0);
	assert_string_equal(l.name, "Device Private Memory");
	assert_int_equal(l.type, DEVMEM_TYPE_COHERENT);
	assert_int_equal(l.nid, ~0U);
	assert_int_equal(l.range, 1);
	assert_int_equal(devmem_pagemaps_parse_line(
		"pgmap=0x2000 start=0x2000 end=0x2fff type=private name=-", &l), 0);
	assert_string_equal(l.name, "");
	/* absent optional keys: nr_pages from the span, unknowns marked */
	assert_int_equal(l.nr_pages, 1);
	assert_true(l.in_use == DEVMEM_UNKNOWN);
	assert_int_equal(l.nid, ~0U);
	/* a key appended by a later kernel is ignored, not an error */
	assert_int_equal(devmem_pagemaps_parse_line(
		"pgmap=0x2000 start=0x2000 end=0x2fff flags=0x3 type=private name=x", &l), 0);
	assert_string_equal(l.name, "x");
	/* a name is kept as the kernel wrote it: the views filter it (sanitize.c) */
	assert_int_equal(devmem_pagemaps_parse_line(
		"pgmap=0x2000 start=0x2000 end=0x2fff name=a\033[2Jb", &l), 0);
	assert_string_equal(l.name, "a\033[2Jb");
	/* an over-long name is cut, terminated */
	{
		char line[400];

		snprintf(line, sizeof(line), "pgmap=0x1 start=0x1000 end=0x1fff name=%0200d", 7);
		assert_int_equal(devmem_pagemaps_parse_line(line, &l), 0);
		assert_int_equal(strlen(l.name), sizeof(l.name) - 1);
	}
}

static void test_hostile_lines(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"pgmap=0x1000",						/* no start/end */
		"start=0x1000 end=0x1fff",				/* no pgmap */
		"pgmap=0x1000 start=0x2000 end=0x1fff",			/* end < start */
		"pgmap=0x1000 start=0x1000 end=0x1fff nr_pages=2",	/* more than span */
		"pgmap=0x1000 start=0x1000 end=0x1fff in_use=2",	/* more than pages */
		"pgmap=0x1000 pgmap=0x2000 start=0x1000 end=0x1fff",	/* duplicate */
		"pgmap=-1 start=0x1000 end=0x1fff",			/* sign */
		"pgmap=+1 start=0x1000 end=0x1fff",
		"pgmap=0x1000 start=0x1000 end=0x1fffzz",		/* junk */
		"pgmap=0x1000 start=0x1000 end=0x10000000000000000",	/* overflow */
		"pgmap=0x1000 start=0x1000 end=99999999999999999999999",
		"pgmap=0x1000 start=0x1000 end=",			/* empty value */
		"pgmap=0x1000 =0x5 start=0x1000 end=0x1fff",		/* empty key */
		"pgmap=0x1000 start=0x1000 end=0x1fff type=fsdax",	/* not followed */
		"pgmap=0x1000 start=0x1000 end=0x1fff nid=4294967295",
		"pgmap=0x1000 start=0x1000 end=0x1fff range=99999999999",
		"pgmap=0x1000 start 0x1000 end=0x1fff",			/* no '=' */
	};
	struct devmem_pagemap_line l;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (devmem_pagemaps_parse_line(bad[i], &l) != -EINVAL)
			fail_msg("accepted a bad line: '%s'", bad[i]);
	}
}

static void test_file(void **state)
{
	static const char text[] =
		"# a comment\n"
		GOOD "\n"
		"\n"
		"this line is broken\n"
		"pgmap=0x100000000 range=1 start=0x200000000 end=0x200000fff type=private "
		"in_use=1 name=second\n"
		"pgmap=0x1 start=0x1000 end=0x0fff\n"	/* bad */
		"pgmap=0x300000000 start=0x300000000 end=0x300001fff nid=1 type=coherent name=-";
	struct devmem_snapshot s;
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	assert_non_null(f);
	devmem_snapshot_init(&s);
	assert_int_equal(devmem_pagemaps_parse(f, &s), 2);	/* two bad lines */
	fclose(f);
	assert_int_equal(s.nr_ranges, 3);
	devmem_snapshot_sort(&s);
	assert_true(s.ranges[0].r.start == 0x100000000ULL);
	assert_string_equal(s.ranges[0].name, "hmm_dmirror");
	assert_int_equal(s.ranges[0].in_use_at_start, 12);
	assert_int_equal(s.ranges[0].sources, DEVMEM_RANGE_DISCOVERED);
	assert_true(s.ranges[1].id == 0x100000000ULL);	/* range 1 of the same pagemap */
	assert_int_equal(s.ranges[1].range_index, 1);
	assert_int_equal(s.ranges[2].r.nid, 1);
	assert_int_equal(s.ranges[2].r.nr_pages, 2);
	assert_int_equal(s.ranges[2].r.type, DEVMEM_TYPE_COHERENT);
	devmem_snapshot_free(&s);
}

static void test_file_with_nul_and_long_line(void **state)
{
	char text[6000];
	size_t n;
	struct devmem_snapshot s;
	FILE *f;

	n = (size_t)snprintf(text, sizeof(text), "%s\n", GOOD);
	text[20] = '\0';			/* a NUL inside the first line */
	memset(text + n, 'a', 5000);		/* a 5000-byte line */
	n += 5000;
	text[n++] = '\n';
	n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\n", GOOD);
	f = fmemopen(text, n, "r");
	assert_non_null(f);
	devmem_snapshot_init(&s);
	assert_int_equal(devmem_pagemaps_parse(f, &s), 2);
	fclose(f);
	assert_int_equal(s.nr_ranges, 1);
	devmem_snapshot_free(&s);
}

static void test_discover_missing_file(void **state)
{
	struct devmem_snapshot s;

	devmem_snapshot_init(&s);
	assert_int_equal(devmem_discover_ranges("/nonexistent/devmem/pagemaps", &s), -ENOENT);
	assert_non_null(strstr(s.note, "ranges added before the tool started are unknown"));
	assert_int_equal(s.nr_ranges, 0);
	devmem_snapshot_free(&s);
}

static void test_iomem(void **state)
{
	static const char text[] =
		"00000000-00000fff : Reserved\n"
		"100000000-43fffffff : System RAM\n"
		"  2a000000-2affffff : Kernel code\n"
		"4400000000-440fffffff : hmm_dmirror\n"
		"garbage line\n"
		"zz-yy : bad\n";
	char buf[64];
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	assert_non_null(f);
	assert_string_equal(devmem_iomem_name(f, 0x4400000000ULL, 0x440fffffffULL, buf,
					      sizeof(buf)), "hmm_dmirror");
	assert_string_equal(devmem_iomem_name(f, 0x2a000000, 0x2affffff, buf, sizeof(buf)),
			    "Kernel code");
	/* part of a reserved region (a driver mapping a subsection): the region's name */
	assert_string_equal(devmem_iomem_name(f, 0x4400000000ULL, 0x4400000fffULL, buf,
					      sizeof(buf)), "hmm_dmirror");
	/* the smallest resource that holds it, not its parent */
	assert_string_equal(devmem_iomem_name(f, 0x2a001000, 0x2a001fff, buf, sizeof(buf)),
			    "Kernel code");
	/* held by none */
	assert_null(devmem_iomem_name(f, 0x4410000000ULL, 0x4410000fffULL, buf, sizeof(buf)));
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_line),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_hostile_lines),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_with_nul_and_long_line),
		cmocka_unit_test(test_discover_missing_file),
		cmocka_unit_test(test_iomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

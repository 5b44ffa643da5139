// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* render/hist_text.c: the bucket table and the summary line of a histogram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "render/hist_text.h"

static char *print_to_string(const struct devmem_hist *h, const char *unit)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	devmem_hist_table(f, h, (struct devmem_unit){ unit, 1 }, "");
	fclose(f);
	return buf;
}

static void test_print(void **state)
{
	struct devmem_hist h = {};
	char *out;

	out = print_to_string(&h, "nsecs");
	assert_non_null(strstr(out, "(no samples)"));
	free(out);

	devmem_hist_add(&h, 3);
	devmem_hist_add(&h, 3);
	devmem_hist_add(&h, 100);
	out = print_to_string(&h, "pages");
	assert_non_null(strstr(out, "pages"));
	assert_non_null(strstr(out, "2 -> 3"));
	assert_non_null(strstr(out, "64 -> 127"));
	/* the fullest slot gets the whole 40-star bar, half of it 20 stars */
	assert_non_null(strstr(out, "|****************************************|"));
	assert_non_null(strstr(out, "|********************                    |"));
	/* nothing after the last used slot */
	assert_null(strstr(out, "128 -> 255"));
	free(out);

	memset(&h, 0, sizeof(h));
	devmem_hist_add(&h, UINT64_MAX);
	out = print_to_string(&h, "nsecs");
	assert_non_null(strstr(out, " -> ..."));
	free(out);
}

/* scaled units: bucket bounds stay apart, percentiles say they are estimates */
static void test_scaled(void **state)
{
	struct devmem_hist h = {};
	struct devmem_unit ms = { "msecs", 1e6 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	devmem_hist_add(&h, 600);	/* [512, 1023] ns */
	devmem_hist_add(&h, 1500);	/* [1024, 2047] ns */
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	devmem_hist_table(f, &h, ms, "");
	devmem_hist_summary(f, &h, ms);
	fclose(f);
	assert_non_null(strstr(buf, "0.000512 -> 0.00102"));
	assert_non_null(strstr(buf, "0.00102 -> 0.00205"));
	assert_null(strstr(buf, "0.001 -> 0.001"));
	assert_non_null(strstr(buf, "2 samples"));
	assert_non_null(strstr(buf, "p50 ~"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_scaled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

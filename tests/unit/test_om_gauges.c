// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The gauges of the metrics (tools/lib/render/om_gauges.c): thrashing in
 * total, per device and per process, and the host label a live exporter
 * puts on every series.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "model/hist.h"
#include "model/snapshot.h"
#include "model/thrash.h"
#include "render/openmetrics.h"
#include "om_fixture.h"
/*
 * Thrashing: pages thrashing and bouncing and the bounces of the thrashing
 * ones, in total, per device and per process (-P), K and T beside them.
 * busy (100) has 3 pages bounced 5 times within T on gpu0 and one twice;
 * middle (500) a 512-page folio bounced 4 times.
 */
static void test_thrash(void **state)
{
	struct devmem_snapshot s;
	char *t;

	example(&s);
	with_thrash(&s);
	t = render(&s, DEVMEM_OM_OPENMETRICS, true, 10, NULL);
	has_line(t, "devmem_thrash_k 3");
	has_line(t, "# UNIT devmem_thrash_window_seconds seconds");
	has_line(t, "devmem_thrash_window_seconds 0.5");
	has_line(t, "# TYPE devmem_thrashing_pages gauge");
	has_line(t, "devmem_thrashing_pages 515");
	has_line(t, "devmem_bouncing_pages 516");
	has_line(t, "devmem_thrashing_bounces 19");
	has_line(t, "devmem_device_thrashing_pages{device=\"gpu0\"} 515");
	has_line(t, "devmem_process_thrashing_pages{pid=\"100\",comm=\"busy\"} 3");
	has_line(t, "devmem_process_thrashing_pages{pid=\"500\",comm=\"middle\"} 512");
	has_line(t, "devmem_process_thrashing_bounces{pid=\"100\",comm=\"busy\"} 15");
	has_line(t, "devmem_process_bouncing_pages{pid=\"300\",comm=\"quiet\"} 0");
	check_histograms(t);
	free(t);
	devmem_snapshot_free(&s);
}

/* a label on every series: the exporter's host, as a recording's backfill has it */
static void test_host_label(void **state)
{
	const struct devmem_om_label host = { "host", "gpu-host-1" };
	struct devmem_om_opts o = { .format = DEVMEM_OM_PROMETHEUS, .page_size = 4096,
				    .labels = &host, .nr_labels = 1 };
	struct devmem_om_buf b = {};
	struct devmem_snapshot s;
	size_t samples = 0;

	example(&s);
	assert_int_equal(devmem_om_render(&b, &s, &o), 0);
	for (const char *l = b.data; *l; l = strchr(l, '\n') + 1) {
		if (*l == '#')
			continue;
		samples++;
		if (strncmp(strchr(l, '{') ? strchr(l, '{') : "", "{host=\"gpu-host-1\"", 18))
			fail_msg("a series without the host label: %.*s", (int)strcspn(l, "\n"), l);
	}
	assert_true(samples > 100);
	has_line(b.data, "devmem_device_faults_total{host=\"gpu-host-1\",device=\"gpu0\"} 5");
	devmem_om_buf_free(&b);
	devmem_snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thrash),
		cmocka_unit_test(test_host_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The metrics text of a snapshot (tools/lib/render/openmetrics.c): exact lines of
 * a known snapshot in both formats, bucket bounds, monotonic buckets with
 * +Inf = _count, hostile names escaped, the per-process cap, histories, a
 * counter not observed left out, folios by order.
 *
 *   test_openmetrics                     the cmocka tests
 *   test_openmetrics --write-examples DIR
 *                     write the example snapshot as DIR/example.prom (0.0.4,
 *                     with the exporter's own metrics, thrashing and the host
 *                     label) and DIR/example.om, for promtool
 *                     (tests/host/check-openmetrics.sh)
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
#include <jansson.h>
#include "clean_text.h"
#include "model/counts.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "model/thrash.h"
#include "om_fixture.h"

static void test_le_bounds(void **state)
{
	char b[48];
	static const struct { unsigned int slot; bool ns; const char *want; } cases[] = {
		{ 0, true, "1e-09" }, { 1, true, "3e-09" }, { 9, true, "1.023e-06" },
		{ 13, true, "1.6383e-05" }, { 16, true, "0.000131071" },
		{ 29, true, "1.073741823" }, { 46, true, "140737.488355327" },
		{ 0, false, "1.0" }, { 3, false, "15.0" }, { 18, false, "524287.0" },
		{ 19, false, "1.048575e+06" }, { 46, false, "1.40737488355327e+14" },
		{ DEVMEM_OM_BUCKETS, false, "+Inf" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		devmem_om_le(b, sizeof(b), cases[i].slot, cases[i].ns);
		assert_string_equal(b, cases[i].want);
	}
	/* every bound is the slot's largest value, ascending */
	for (unsigned int i = 0; i < DEVMEM_OM_BUCKETS; i++) {
		double want = (double)((2ULL << i) - 1);

		devmem_om_le(b, sizeof(b), i, true);
		assert_true(fabs(strtod(b, NULL) - want / 1e9) <= want / 1e9 * 1e-15);
		devmem_om_le(b, sizeof(b), i, false);
		assert_true(strtod(b, NULL) == want);
		assert_true(devmem_hist_slot_high(i) == (2ULL << i) - 1);
	}
}

static void test_known_prometheus(void **state)
{
	struct devmem_snapshot s;
	char *t;

	example(&s);
	t = render(&s, DEVMEM_OM_PROMETHEUS, false, 0, NULL);
	has_line(t, "# HELP devmem_faults_total CPU faults on device-private pages: "
		 "migrate_to_ram() calls");
	has_line(t, "# TYPE devmem_faults_total counter");
	has_line(t, "devmem_faults_total 7");
	has_line(t, "devmem_faults_wasted_total 3");
	/* the causes of a wasted fault, and the retries */
	has_line(t, "# HELP devmem_faults_uncollected_total Wasted faults whose migration "
		 "collected no page, or that made no migrate call");
	has_line(t, "# TYPE devmem_faults_uncollected_total counter");
	has_line(t, "devmem_faults_uncollected_total 2");
	has_line(t, "# HELP devmem_faults_unmigrated_total Wasted faults that collected pages "
		 "but moved none (busy or pinned)");
	has_line(t, "# TYPE devmem_faults_unmigrated_total counter");
	has_line(t, "devmem_faults_unmigrated_total 1");
	has_line(t, "# HELP devmem_faults_retry_total Faults whose migrate_to_ram() returned "
		 "VM_FAULT_RETRY");
	has_line(t, "# TYPE devmem_faults_retry_total counter");
	has_line(t, "devmem_faults_retry_total 1");
	has_line(t, "devmem_device_faults_wasted_total{device=\"gpu0\"} 3");
	has_line(t, "devmem_device_faults_uncollected_total{device=\"gpu0\"} 2");
	has_line(t, "devmem_device_faults_unmigrated_total{device=\"gpu0\"} 1");
	has_line(t, "devmem_device_faults_retry_total{device=\"gpu0\"} 1");
	has_line(t, "# HELP devmem_device_faults_unmigrated_total Wasted faults that collected "
		 "pages but moved none (busy or pinned), per device (removed ranges included)");
	has_line(t, "devmem_pages_migrated_total{direction=\"to_device\"} 40");
	has_line(t, "devmem_pages_migrated_total{direction=\"to_ram\"} 6");
	has_line(t, "devmem_device_faults_total{device=\"gpu0\"} 5");
	has_line(t, "devmem_device_page_allocs_total{device=\"gpu0\"} 30");
	has_line(t, "# TYPE devmem_attach_mode_info gauge");
	has_line(t, "devmem_attach_mode_info{mode=\"tracepoints\"} 1");
	/* the histogram: buckets cumulative at the slot bounds, seconds, exact sum */
	has_line(t, "# TYPE devmem_fault_latency_seconds histogram");
	/* buckets over what occurs: a fault of a microsecond or less is in the first */
	lacks(t, "le=\"5.11e-07\"");
	has_line(t, "devmem_fault_latency_seconds_bucket{le=\"1.023e-06\"} 4");
	has_line(t, "devmem_fault_latency_seconds_bucket{le=\"68.719476735\"} 7");
	lacks(t, "devmem_fault_latency_seconds_bucket{le=\"137.438953471\"}");
	has_line(t, "devmem_fault_latency_seconds_bucket{le=\"2.047e-06\"} 4");
	has_line(t, "devmem_fault_latency_seconds_bucket{le=\"4.095e-06\"} 7");
	has_line(t, "devmem_fault_latency_seconds_bucket{le=\"+Inf\"} 7");
	has_line(t, "devmem_fault_latency_seconds_sum 0.000013");
	has_line(t, "devmem_fault_latency_seconds_count 7");
	has_line(t, "devmem_migrate_pages_bucket{le=\"1.0\"} 6");
	has_line(t, "devmem_migrate_pages_bucket{le=\"31.0\"} 8");
	has_line(t, "devmem_migrate_pages_bucket{le=\"1.34217727e+08\"} 8");
	lacks(t, "devmem_migrate_pages_bucket{le=\"2.68435455e+08\"}");
	has_line(t, "devmem_migrate_pages_sum 46");
	has_line(t, "devmem_device_fault_latency_seconds_bucket{device=\"gpu0\",le=\"+Inf\"} 5");
	has_line(t, "devmem_device_fault_latency_seconds_sum{device=\"gpu0\"} 0.000007");
	/* gauges of live ranges; an in-use count not observed is left out */
	has_line(t, "devmem_range_in_use_pages{device=\"gpu0\",range=\"0x100000000\"} 4");
	has_line(t, "devmem_range_size_pages{device=\"gpu0\",range=\"0x100000000\"} 65536");
	has_line(t, "devmem_range_size_bytes{device=\"gpu0\",range=\"0x100000000\"} 268435456");
	lacks(t, "devmem_range_in_use_pages{device=\"evil");
	has_line(t, "devmem_device_in_use_pages{device=\"gpu0\"} 4");
	has_line(t, "devmem_device_size_pages{device=\"gpu0\"} 65536");
	has_line(t, "devmem_device_live_ranges{device=\"gpu0\"} 1");
	/* ... in bytes beside the pages (bytes are the base unit) */
	has_line(t, "# TYPE devmem_range_in_use_bytes gauge");
	has_line(t, "devmem_range_in_use_bytes{device=\"gpu0\",range=\"0x100000000\"} 16384");
	has_line(t, "devmem_device_in_use_bytes{device=\"gpu0\"} 16384");
	has_line(t, "devmem_device_size_bytes{device=\"gpu0\"} 268435456");
	lacks(t, "devmem_range_in_use_bytes{device=\"evil");
	/* thrashing detection off in this snapshot: no figure, not a 0 */
	lacks(t, "thrashing");
	has_line(t, "devmem_lost_events_total{kind=\"processes_map_full\"} 5");
	has_line(t, "devmem_lost_events_total{kind=\"recursion_misses\"} 2");
	has_line(t, "devmem_lost_events_total{kind=\"ringbuf_full\"} 0");
	has_line(t, "devmem_unmatched_events_total{kind=\"free_of_page_allocated_before_start\"} 0");
	has_line(t, "devmem_exit_records_deferred_total 0");
	/* opt-in parts absent; no OpenMetrics-only lines */
	lacks(t, "devmem_process_");
	lacks(t, "process_cpu");
	lacks(t, "# UNIT");
	lacks(t, "# EOF");
	free(t);
	devmem_snapshot_free(&s);
}

static void test_known_openmetrics(void **state)
{
	struct devmem_snapshot s;
	char *t;
	size_t n;

	example(&s);
	t = render(&s, DEVMEM_OM_OPENMETRICS, true, 10, &self);
	n = strlen(t);
	assert_true(n > 6 && !strcmp(t + n - 6, "# EOF\n"));
	assert_int_equal(strstr(t, "# EOF") - t, (long)n - 6);	/* only at the end */
	has_line(t, "# TYPE devmem_faults counter");
	has_line(t, "# HELP devmem_faults CPU faults on device-private pages: migrate_to_ram() calls");
	has_line(t, "devmem_faults_total 7");
	has_line(t, "# TYPE devmem_faults_uncollected counter");
	has_line(t, "devmem_faults_uncollected_total 2");
	has_line(t, "# TYPE devmem_faults_unmigrated counter");
	has_line(t, "devmem_faults_unmigrated_total 1");
	has_line(t, "# TYPE devmem_faults_retry counter");
	has_line(t, "devmem_faults_retry_total 1");
	has_line(t, "devmem_process_faults_uncollected_total{pid=\"100\",comm=\"busy\"} 3");
	has_line(t, "devmem_process_faults_unmigrated_total{pid=\"100\",comm=\"busy\"} 1");
	has_line(t, "devmem_process_faults_retry_total{pid=\"100\",comm=\"busy\"} 2");
	has_line(t, "# HELP devmem_process_faults_retry Faults whose migrate_to_ram() returned "
		 "VM_FAULT_RETRY, per live process");
	has_line(t, "# TYPE devmem_fault_latency_seconds histogram");
	has_line(t, "# UNIT devmem_fault_latency_seconds seconds");
	has_line(t, "# UNIT devmem_migrate_pages pages");
	has_line(t, "# TYPE devmem_attach_mode info");
	has_line(t, "devmem_attach_mode_info{mode=\"tracepoints\"} 1");
	has_line(t, "# TYPE process_cpu_seconds counter");
	has_line(t, "# UNIT process_cpu_seconds seconds");
	has_line(t, "process_cpu_seconds_total 0.250000");
	has_line(t, "process_resident_memory_bytes 4096000");
	has_line(t, "process_open_fds 9");
	has_line(t, "devmem_exporter_bpf_stats_enabled 1");
	has_line(t, "devmem_exporter_bpf_run_seconds_total{program=\"tp_fault\"} 0.0000015");
	has_line(t, "devmem_exporter_bpf_runs_total{program=\"tp_fault\"} 3");
	has_line(t, "devmem_exporter_http_responses_total{code=\"404\"} 1");
	lacks(t, "# TYPE devmem_faults_total");
	free(t);
	/* with the statistics off, the run time is not exported, and that is said */
	{
		struct devmem_om_self off = self;

		off.bpf_stats_enabled = 0;
		t = render(&s, DEVMEM_OM_PROMETHEUS, false, 0, &off);
		has_line(t, "devmem_exporter_bpf_stats_enabled 0");
		lacks(t, "# TYPE devmem_exporter_bpf_run_seconds");
		lacks(t, "\ndevmem_exporter_bpf_run_seconds_total");
		assert_non_null(strstr(t, "# HELP devmem_exporter_bpf_stats_enabled 1 if "
				       "kernel.bpf_stats_enabled is on"));
		free(t);
	}
	devmem_snapshot_free(&s);
}


static void test_buckets(void **state)
{
	struct devmem_snapshot s;
	char *t;

	example(&s);
	/* a spread over every slot, the open-ended last one included */
	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++)
		s.hist[DEVMEM_HIST_PAGE_LIFETIME].slots[i] = (i * 7919) % 13;
	s.hist[DEVMEM_HIST_PAGE_LIFETIME].slots[DEVMEM_HIST_SLOTS - 1] = 3;
	t = render(&s, DEVMEM_OM_PROMETHEUS, true, 10, &self);
	check_histograms(t);
	free(t);
	t = render(&s, DEVMEM_OM_OPENMETRICS, true, 10, &self);
	check_histograms(t);
	free(t);
	devmem_snapshot_free(&s);
}

static void test_hostile_names(void **state)
{
	struct devmem_snapshot s;
	char v[DEVMEM_OM_LABEL_SIZE(64)], *t;
	/* sanitized (\x.. for control and bad bytes, \\ for a backslash), then escaped */
	static const char want[] = "evil\\\"q\\\\\\\\b\\\\x0anl\\\\x1b[31m\\\\xff\\\\xc3";

	devmem_om_label_value(v, sizeof(v), HOSTILE, sizeof(HOSTILE));
	assert_string_equal(v, want);
	example(&s);
	for (int f = 0; f < 2; f++) {
		char line[256];

		t = render(&s, f, true, 10, &self);
		assert_clean_text(t, strlen(t));
		snprintf(line, sizeof(line), "devmem_device_faults_total{device=\"%s\"} 2", want);
		has_line(t, line);
		snprintf(line, sizeof(line), "devmem_process_faults_total{pid=\"200\",comm=\"%s\"} 20",
			 "evil\\\"q\\\\\\\\b\\\\x0anl\\\\x1b[31");	/* comm: 15 bytes of it */
		has_line(t, line);
		/* each line outside comments has balanced, escaped quotes */
		for (char *p = t; *p; p = strchr(p, '\n') + 1) {
			int quotes = 0;

			if (*p == '#')
				continue;
			for (char *q = p; *q != '\n'; q++) {
				if (*q == '\\') {
					q++;
					assert_true(*q == '\\' || *q == '"' || *q == 'n');
				} else if (*q == '"') {
					quotes++;
				}
			}
			assert_int_equal(quotes % 2, 0);
		}
		free(t);
	}
	devmem_snapshot_free(&s);
}

static void test_process_cap(void **state)
{
	struct devmem_snapshot s;
	size_t keep[8], alive;
	char *t;

	example(&s);
	/* alive: 100 busy (50), 200 (20), 300 quiet (0), 500 middle (30); 400 exited */
	assert_int_equal(devmem_om_select_procs(&s, 2, keep, &alive), 2);
	assert_int_equal(alive, 4);
	assert_int_equal(s.procs[keep[0]].tgid, 100);
	assert_int_equal(s.procs[keep[1]].tgid, 500);
	t = render(&s, DEVMEM_OM_PROMETHEUS, true, 2, NULL);
	has_line(t, "devmem_process_faults_total{pid=\"100\",comm=\"busy\"} 50");
	has_line(t, "devmem_process_faults_total{pid=\"500\",comm=\"middle\"} 30");
	lacks(t, "pid=\"200\"");
	lacks(t, "pid=\"300\"");
	lacks(t, "pid=\"400\"");	/* exited: its series are gone */
	has_line(t, "devmem_exporter_processes_limit 2");
	has_line(t, "devmem_exporter_processes_alive 4");
	has_line(t, "devmem_exporter_processes_dropped 2");
	/* pid order, not activity order */
	assert_true(strstr(t, "pid=\"100\"") < strstr(t, "pid=\"500\""));
	free(t);
	t = render(&s, DEVMEM_OM_PROMETHEUS, true, 100, NULL);
	has_line(t, "devmem_process_faults_total{pid=\"300\",comm=\"quiet\"} 0");
	has_line(t, "devmem_exporter_processes_dropped 0");
	lacks(t, "pid=\"400\"");
	free(t);
	/* a pid seen twice alive (a lost exit): one series, the later start */
	{
		struct devmem_process *p = devmem_snapshot_process(&s, 100, 99999);

		snprintf(p->comm, sizeof(p->comm), "reborn");
		p->c.faults = 1;
		devmem_snapshot_sort(&s);
		t = render(&s, DEVMEM_OM_PROMETHEUS, true, 100, NULL);
		has_line(t, "devmem_process_faults_total{pid=\"100\",comm=\"reborn\"} 1");
		lacks(t, "comm=\"busy\"");
		free(t);
	}
	devmem_snapshot_free(&s);
}

/* a counter the attachment mode could not see: its family, no sample */
static void test_unknown_counter(void **state)
{
	struct devmem_snapshot s;
	char *t;

	example(&s);
	s.total.faults_retry = DEVMEM_UNKNOWN;
	for (size_t d = 0; d < s.nr_devices; d++)
		if (!strcmp(s.devices[d].name, "gpu0"))
			s.devices[d].c.faults_unmigrated = DEVMEM_UNKNOWN;
	for (int f = 0; f < 2; f++) {
		t = render(&s, f, false, 0, NULL);
		lacks(t, "\ndevmem_faults_retry_total ");
		lacks(t, "18446744073709551615");
		has_line(t, f ? "# TYPE devmem_faults_retry counter" :
			 "# TYPE devmem_faults_retry_total counter");
		has_line(t, "devmem_device_faults_retry_total{device=\"gpu0\"} 1");
		lacks(t, "devmem_device_faults_unmigrated_total{device=\"gpu0\"}");
		has_line(t, "devmem_faults_unmigrated_total 1");
		free(t);
	}
	devmem_snapshot_free(&s);
}

/* folios of order 0 and 9 in total and on gpu0's range; PMD and busy faults */
static void with_folios(struct devmem_snapshot *s)
{
	struct devmem_folio_counts *f[2] = { &s->folios, NULL };

	for (size_t i = 0; i < s->nr_ranges; i++)
		if (s->ranges[i].r.start == 0x100000000ULL)
			f[1] = &s->ranges[i].folios;
	assert_non_null(f[1]);
	for (int i = 0; i < 2; i++) {
		f[i]->allocs[0] = 28;
		f[i]->allocs[9] = 2;
		f[i]->frees[0] = 26;
		f[i]->to_device[9] = 2;
		f[i]->to_ram[0] = 6;
	}
	s->total.faults_pmd = 3;
	s->total.faults_busy = 1;
	assert_int_equal(devmem_snapshot_group_devices(s), 0);
	devmem_snapshot_sort(s);
}

/*
 * Folios by order, a series per order with folios; PMD faults; busy faults
 * only where the mode sees them, folios only where the source kept them.
 */
static void test_folios_and_busy_faults(void **state)
{
	struct devmem_snapshot s;
	char *t;

	example(&s);
	with_folios(&s);
	t = render(&s, DEVMEM_OM_PROMETHEUS, false, 0, NULL);
	has_line(t, "# HELP devmem_folios_allocated_total Device folios handed out, by order "
		 "(order 10: 10 and up)");
	has_line(t, "# TYPE devmem_folios_allocated_total counter");
	has_line(t, "devmem_folios_allocated_total{order=\"0\"} 28");
	has_line(t, "devmem_folios_allocated_total{order=\"9\"} 2");
	lacks(t, "devmem_folios_allocated_total{order=\"1\"}");
	has_line(t, "devmem_folios_freed_total{order=\"0\"} 26");
	lacks(t, "devmem_folios_freed_total{order=\"9\"}");
	has_line(t, "devmem_folios_migrated_total{direction=\"to_device\",order=\"9\"} 2");
	has_line(t, "devmem_folios_migrated_total{direction=\"to_ram\",order=\"0\"} 6");
	has_line(t, "devmem_device_folios_allocated_total{device=\"gpu0\",order=\"0\"} 28");
	has_line(t, "devmem_device_folios_allocated_total{device=\"gpu0\",order=\"9\"} 2");
	has_line(t, "devmem_device_folios_migrated_total{device=\"gpu0\",direction=\"to_device\","
		 "order=\"9\"} 2");
	lacks(t, "devmem_device_folios_allocated_total{device=\"evil");	/* it has none */
	has_line(t, "devmem_faults_pmd_total 3");
	has_line(t, "devmem_faults_busy_total 1");
	free(t);
	t = render(&s, DEVMEM_OM_OPENMETRICS, true, 10, NULL);
	has_line(t, "# TYPE devmem_folios_allocated counter");
	has_line(t, "devmem_folios_allocated_total{order=\"9\"} 2");
	has_line(t, "# TYPE devmem_faults_pmd counter");
	has_line(t, "devmem_process_faults_busy_total{pid=\"100\",comm=\"busy\"} 0");
	free(t);

	/* the fallback: the family stays, no busy sample anywhere; PMD faults it sees */
	s.mode = DEVMEM_MODE_FENTRY;
	for (int f = 0; f < 2; f++) {
		t = render(&s, f, true, 10, NULL);
		has_line(t, f ? "# TYPE devmem_faults_busy counter" :
			 "# TYPE devmem_faults_busy_total counter");
		lacks(t, "\ndevmem_faults_busy_total ");
		lacks(t, "devmem_device_faults_busy_total{");
		lacks(t, "devmem_process_faults_busy_total{");
		has_line(t, "devmem_faults_pmd_total 3");
		has_line(t, "devmem_device_faults_pmd_total{device=\"gpu0\"} 0");
		lacks(t, "18446744073709551615");
		free(t);
	}
	/* folio counts not kept (an old recording): no folio sample, no bogus value */
	devmem_folios_set_unknown(&s.folios);
	for (size_t d = 0; d < s.nr_devices; d++)
		devmem_folios_set_unknown(&s.devices[d].folios);
	t = render(&s, DEVMEM_OM_PROMETHEUS, false, 0, NULL);
	has_line(t, "# TYPE devmem_folios_allocated_total counter");
	lacks(t, "devmem_folios_allocated_total{");
	lacks(t, "devmem_device_folios_allocated_total{");
	lacks(t, "18446744073709551615");
	free(t);
	devmem_snapshot_free(&s);
}

static void test_history(void **state)
{
	struct devmem_om_history *h = devmem_om_history_new();
	struct devmem_om_label l = { "host", "h\"1" };
	struct devmem_om_opts o = { .labels = &l, .nr_labels = 1 };
	struct devmem_snapshot s;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	example(&s);
	assert_int_equal(devmem_om_history_add(h, &s, &o, 1000500, false), 0);
	s.total.faults = 9;
	assert_int_equal(devmem_om_history_add(h, &s, &o, 1001500, false), 0);
	s.total.faults = 10;	/* the same millisecond: replaces the point before */
	assert_int_equal(devmem_om_history_add(h, &s, &o, 1001500, true), 0);
	s.total.faults = 12;
	assert_int_equal(devmem_om_history_add(h, &s, &o, 1002000, false), 0);
	f = open_memstream(&text, &len);
	assert_int_equal(devmem_om_history_write(h, f), 0);
	fclose(f);
	assert_true(len > 6 && !strcmp(text + len - 6, "# EOF\n"));
	assert_non_null(strstr(text, "# TYPE devmem_faults counter\n"
			       "# HELP devmem_faults CPU faults on device-private pages: "
			       "migrate_to_ram() calls\n"
			       "devmem_faults_total{host=\"h\\\"1\"} 7 1000.500\n"
			       "devmem_faults_total{host=\"h\\\"1\"} 10 1001.500\n"
			       "devmem_faults_total{host=\"h\\\"1\"} 12 1002.000\n# TYPE "));
	lacks(text, "} 9 1001.500");
	/* a histogram's points: all its samples at t1, then at t2 (not interleaved) */
	{
		const char *a = strstr(text, "devmem_migrate_pages_count{host=\"h\\\"1\"} 8 1000.500");
		const char *b = strstr(text, "devmem_migrate_pages_bucket{host=\"h\\\"1\",le=\"1.0\"} 6 "
				       "1001.500");

		assert_non_null(a);
		assert_non_null(b);
		assert_true(a < b);
	}
	/* every family's metadata once */
	{
		const char *p = strstr(text, "# TYPE devmem_faults counter");

		assert_null(strstr(p + 1, "# TYPE devmem_faults counter"));
	}
	free(text);
	devmem_om_history_free(h);
	devmem_snapshot_free(&s);
}

static int write_examples(const char *dir)
{
	struct devmem_snapshot s;
	char path[4096];
	int ret = 0;

	/* the host label of every series, as devmem-exporter writes it */
	static const struct devmem_om_label host = { "host", "gpu-host-1" };

	example(&s);
	with_folios(&s);
	with_thrash(&s);
	for (int f = 0; f < 2; f++) {
		struct devmem_om_buf b = {};
		struct devmem_om_opts o = {
			.format = f, .per_process = true, .max_processes = 10, .page_size = 4096,
			.self = &self, .labels = &host, .nr_labels = 1,
		};
		FILE *out;

		snprintf(path, sizeof(path), "%s/example.%s", dir, f ? "om" : "prom");
		out = fopen(path, "w");
		if (!out || devmem_om_render(&b, &s, &o) || fwrite(b.data, 1, b.len, out) != b.len)
			ret = 1;
		if (out && fclose(out))
			ret = 1;
		devmem_om_buf_free(&b);
	}
	devmem_snapshot_free(&s);
	return ret;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_le_bounds),
		cmocka_unit_test(test_known_prometheus),
		cmocka_unit_test(test_known_openmetrics),
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_process_cap),
		cmocka_unit_test(test_unknown_counter),
		cmocka_unit_test(test_folios_and_busy_faults),
		cmocka_unit_test(test_history),
	};

	if (argc == 3 && !strcmp(argv[1], "--write-examples"))
		return write_examples(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

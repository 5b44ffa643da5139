// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The catalogue of metrics (openmetrics.h): one walk over a snapshot names
 * every family, series and sample, through the series engine of
 * om_series.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/sanitize.h"
#include "model/array.h"
#include "model/counts.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/om_gauges.h"
#include "render/om_series.h"
#include "render/openmetrics.h"

/* ---- what a snapshot holds ------------------------------------------------------ */

#define C(field) (offsetof(struct devmem_counters, field) / sizeof(__u64))

static const struct counter_family {
	const char *name;
	const char *help;
	unsigned int idx[2];	/* one counter, or to_device and to_ram */
	bool by_direction;
	bool per_process;	/* meaningful per process too */
} counter_families[] = {
	{ "faults", "CPU faults on device-private pages: migrate_to_ram() calls",
	  { C(faults) }, false, true },
	{ "faults_wasted", "Faults whose migrate_to_ram() migrated no page (a racing fault "
	  "retries): a performance signal", { C(faults_wasted) }, false, true },
	{ "faults_uncollected", "Wasted faults whose migration collected no page, or that "
	  "made no migrate call", { C(faults_uncollected) }, false, true },
	{ "faults_unmigrated", "Wasted faults that collected pages but moved none (busy or "
	  "pinned)", { C(faults_unmigrated) }, false, true },
	{ "fault_errors", "Faults whose migrate_to_ram() returned VM_FAULT_ERROR bits",
	  { C(fault_errors) }, false, true },
	{ "faults_retry", "Faults whose migrate_to_ram() returned VM_FAULT_RETRY",
	  { C(faults_retry) }, false, true },
	{ "faults_pmd", "Faults on a PMD mapping of a large device folio",
	  { C(faults_pmd) }, false, true },
	{ "faults_busy", "Faults that found the device page locked and faulted again (seen by the "
	  "zone_device tracepoints only: no sample on the fentry fallback)",
	  { C(faults_busy) }, false, true },
	{ "pages_migrated", "Pages migrated, by direction (to_device, to_ram)",
	  { C(pages_to_device), C(pages_to_ram) }, true, true },
	{ "migrate_calls", "Device memory migrate calls, by direction (to_device, to_ram)",
	  { C(migrate_calls_to_device), C(migrate_calls_to_ram) }, true, true },
	{ "fault_migrations", "Migrate calls made by a fault handler",
	  { C(fault_migrations) }, false, false },
	{ "fault_migrated_pages", "Pages migrated by the migrate calls of fault handlers",
	  { C(fault_pages) }, false, false },
	{ "pages_collected", "Pages the migrate calls collected (cpages), migrated or not",
	  { C(pages_collected) }, false, false },
	{ "page_allocs", "Device pages handed out", { C(allocs) }, false, true },
	{ "page_frees", "Device pages given back", { C(frees) }, false, true },
	{ "pagemap_adds", "Device memory pagemaps added (hotplugged)", { C(adds) }, false, false },
	{ "pagemap_removes", "Device memory pagemaps removed", { C(removes) }, false, false },
	{ "remove_waited_pages", "In-use pages the pagemap removes had to wait for",
	  { C(refs_waited) }, false, false },
};

#define NR_COUNTER_FAMILIES (sizeof(counter_families) / sizeof(counter_families[0]))

static const char *const directions[2] = { "to_device", "to_ram" };

/* folios by order: a 2 MiB folio counts once, of order 9, where pages count 512 */
static const struct folio_family {
	const char *name;
	const char *help;
	unsigned int kind[2];	/* one kind, or to_device and to_ram */
	bool by_direction;
} folio_families[] = {
	{ "folios_allocated", "Device folios handed out, by order (order 10: 10 and up)",
	  { DEVMEM_FOLIO_ALLOCS }, false },
	{ "folios_freed", "Device folios given back, by order (a folio split before its free: "
	  "each piece)", { DEVMEM_FOLIO_FREES }, false },
	{ "folios_migrated", "Folios migrated, by direction (to_device, to_ram) and order",
	  { DEVMEM_FOLIO_TO_DEVICE, DEVMEM_FOLIO_TO_RAM }, true },
};

#define NR_FOLIO_FAMILIES (sizeof(folio_families) / sizeof(folio_families[0]))

static const struct {
	const char *name;
	const char *unit;
	const char *help;
} hist_families[DEVMEM_HIST_KINDS] = {
	[DEVMEM_HIST_FAULT_LATENCY] = { "fault_latency_seconds", "seconds",
		"Time of a CPU fault on a device page, migrate_to_ram() call to return" },
	[DEVMEM_HIST_MIGRATE_PAGES] = { "migrate_pages", "pages",
		"Pages migrated per migrate call" },
	[DEVMEM_HIST_PAGE_LIFETIME] = { "page_lifetime_seconds", "seconds",
		"Time from a device page handed out to its free" },
	[DEVMEM_HIST_REMOVE_WAIT] = { "remove_wait_seconds", "seconds",
		"Time a pagemap remove waited for the references to its pages" },
};

/*
 * The buckets of each histogram: what can occur, not all 47 log2 slots.
 * A fault takes a microsecond or more (the first bucket holds everything
 * faster) and one over a minute is broken (slot 35, 68.7 s); a migrate call
 * moves at most a device's pages (slot 26: 2^27 - 1 pages, 512 GiB of 4 KiB
 * pages); a device page lives from microseconds to days (slot 46, 39 hours,
 * the slots' own end); a remove waits up to hours (slot 42, 2.4 hours).
 * Above the last bucket only +Inf counts, as it did above slot 46.
 */
static const struct { unsigned int first, last; } bucket_range[DEVMEM_HIST_KINDS] = {
	[DEVMEM_HIST_FAULT_LATENCY] = { 9, 35 },
	[DEVMEM_HIST_MIGRATE_PAGES] = { 0, 26 },
	[DEVMEM_HIST_PAGE_LIFETIME] = { 9, 46 },
	[DEVMEM_HIST_REMOVE_WAIT] = { 9, 42 },
};

void devmem_om_bucket_range(unsigned int kind, unsigned int *first, unsigned int *last)
{
	*first = kind < DEVMEM_HIST_KINDS ? bucket_range[kind].first : 0;
	*last = kind < DEVMEM_HIST_KINDS ? bucket_range[kind].last : DEVMEM_OM_BUCKETS - 1;
}

/* back to the labels of the series before the ones a family adds */
static void labels_back(struct om_ctx *c, size_t mark)
{
	c->labels.len = mark;
	if (c->labels.data)
		c->labels.data[mark] = '\0';
}

static void counters_of(struct om_ctx *c, const struct counter_family *f, enum devmem_mode mode,
			const struct devmem_counters *cs)
{
	size_t mark = c->labels.len;

	for (unsigned int d = 0; d < (f->by_direction ? 2U : 1U); d++) {
		__u64 v = devmem_counter_shown(mode, cs, f->idx[d]);

		labels_back(c, mark);
		/* a counter the attachment mode cannot see has no sample, not a 0 */
		if (v == DEVMEM_UNKNOWN)
			continue;
		if (f->by_direction)
			om_label(c, "direction", directions[d], 16);
		om_metric(c);
		om_sample_u64(c, "_total", v);
	}
}

/* a series per order with folios; none where the source kept no folio counts */
static void folios_of(struct om_ctx *c, const struct folio_family *f,
		      const struct devmem_folio_counts *fc)
{
	size_t mark = c->labels.len;

	if (!devmem_folios_known(fc))
		return;
	for (unsigned int d = 0; d < (f->by_direction ? 2U : 1U); d++) {
		const __u64 *n = devmem_folios_of(fc, f->kind[d]);

		for (unsigned int i = 0; i < DEVMEM_ORDERS; i++) {
			char order[8];

			if (!n[i])
				continue;
			labels_back(c, mark);
			if (f->by_direction)
				om_label(c, "direction", directions[d], 16);
			snprintf(order, sizeof(order), "%u", i);
			om_label(c, "order", order, sizeof(order));
			om_metric(c);
			om_sample_u64(c, "_total", n[i]);
		}
	}
	labels_back(c, mark);
}

static void hist_of(struct om_ctx *c, const struct devmem_hist *h, unsigned int kind)
{
	bool ns = kind != DEVMEM_HIST_MIGRATE_PAGES;
	__u64 total = devmem_hist_total(h), cum = 0;
	unsigned int first, last;
	char le[40], extra[48], val[32];

	devmem_om_bucket_range(kind, &first, &last);
	/* the first bucket holds every slot below it too: le bounds stay exact */
	for (unsigned int i = 0; i < first; i++)
		cum += h->slots[i];
	om_metric(c);
	for (unsigned int i = first; i <= last; i++) {
		cum += h->slots[i];
		devmem_om_le(le, sizeof(le), i, ns);
		snprintf(extra, sizeof(extra), "le=\"%s\"", le);
		om_fmt_u64(val, sizeof(val), cum);
		om_sample(c, "_bucket", extra, val);
	}
	om_fmt_u64(val, sizeof(val), total);
	om_sample(c, "_bucket", "le=\"+Inf\"", val);
	if (ns)
		om_fmt_ns_seconds(val, sizeof(val), h->sum);
	else
		om_fmt_u64(val, sizeof(val), h->sum);
	om_sample(c, "_sum", NULL, val);
	om_sample_u64(c, "_count", total);
}

static int cmp_activity(const void *a, const void *b)
{
	const __u64 *x = a, *y = b;	/* {activity, tgid, index} */

	if (x[0] != y[0])
		return x[0] > y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

long devmem_om_select_procs(const struct devmem_snapshot *s, size_t max, size_t *keep,
			    size_t *alive)
{
	__u64 (*cand)[3] = calloc(s->nr_procs + 1, sizeof(*cand));
	size_t n = 0, k;

	*alive = 0;
	if (!cand)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_procs; i++) {
		const struct devmem_process *p = &s->procs[i];
		bool dup = false;

		if (p->exit_ns)
			continue;
		/* one live process per pid: the latest incarnation */
		for (size_t j = 0; j < n; j++) {
			const struct devmem_process *q = &s->procs[cand[j][2]];

			if (q->tgid != p->tgid)
				continue;
			dup = true;
			if (p->start_ns > q->start_ns)
				cand[j][2] = i;
		}
		if (dup)
			continue;
		cand[n][0] = p->c.faults + p->c.pages_to_device + p->c.pages_to_ram + p->c.allocs +
			     p->c.frees;
		cand[n][1] = p->tgid;
		cand[n][2] = i;
		n++;
	}
	qsort(cand, n, sizeof(*cand), cmp_activity);
	k = n < max ? n : max;
	for (size_t i = 0; i < k; i++)
		keep[i] = (size_t)cand[i][2];
	free(cand);
	/* snapshots are sorted by (tgid, start): index order is pid order */
	qsort(keep, k, sizeof(*keep), cmp_size);
	*alive = n;
	return (long)k;
}

static void render_processes(struct om_ctx *c, const struct devmem_snapshot *s)
{
	size_t *keep = calloc(s->nr_procs + 1, sizeof(*keep)), alive = 0;
	long k = keep ? devmem_om_select_procs(s, c->o->max_processes, keep, &alive) : -ENOMEM;

	if (k < 0) {
		free(keep);
		c->err = -ENOMEM;
		return;
	}
	for (size_t f = 0; f < NR_COUNTER_FAMILIES; f++) {
		const struct counter_family *cf = &counter_families[f];
		char help[192];

		if (!cf->per_process)
			continue;
		snprintf(help, sizeof(help), "%s, per live process", cf->help);
		om_family(c, "devmem_process_", cf->name, T_COUNTER, "", help);
		for (long i = 0; i < k; i++) {
			om_pid_labels(c, &s->procs[keep[i]]);
			counters_of(c, cf, s->mode, &s->procs[keep[i]].c);
		}
	}
	om_family(c, "devmem_process_", "lost_events", T_COUNTER, "",
	       "Events of a live process missing from its figures (the per-process table was full)");
	for (long i = 0; i < k; i++) {
		om_pid_labels(c, &s->procs[keep[i]]);
		om_metric(c);
		om_sample_u64(c, "_total", s->procs[keep[i]].lost_events);
	}
	om_process_thrash(c, s, keep, (size_t)k);
	om_labels_reset(c);
	om_family(c, "devmem_exporter_", "processes_limit", T_GAUGE, "",
	       "Most live processes exported per scrape (--max-processes)");
	om_metric(c);
	om_sample_u64(c, "", c->o->max_processes);
	om_family(c, "devmem_exporter_", "processes_alive", T_GAUGE, "",
	       "Live processes the session knows of");
	om_metric(c);
	om_sample_u64(c, "", alive);
	om_family(c, "devmem_exporter_", "processes_dropped", T_GAUGE, "",
	       "Live processes left out of this scrape by the limit (the least active)");
	om_metric(c);
	om_sample_u64(c, "", alive - (size_t)k);
	free(keep);
}

static void render_self(struct om_ctx *c, const struct devmem_om_self *self)
{
	char val[48];

	om_labels_reset(c);
	if (self->bpf_stats_enabled >= 0) {
		om_family(c, "devmem_exporter_", "bpf_stats_enabled", T_GAUGE, "",
		       "1 if kernel.bpf_stats_enabled is on: only then does the kernel time the "
		       "programs and devmem_exporter_bpf_run_seconds_total is exported (sysctl -w "
		       "kernel.bpf_stats_enabled=1 turns it on)");
		om_metric(c);
		om_sample_u64(c, "", self->bpf_stats_enabled == 1);
	}
	if (self->bpf_stats_enabled == 1) {
		om_family(c, "devmem_exporter_", "bpf_run_seconds", T_COUNTER, "seconds",
		       "Time the kernel spent in each of the exporter's BPF programs");
		for (size_t i = 0; i < self->nr_progs; i++) {
			om_labels_reset(c);
			om_label(c, "program", self->progs[i].name, sizeof(self->progs[i].name));
			om_metric(c);
			om_fmt_ns_seconds(val, sizeof(val), self->progs[i].run_time_ns);
			om_sample(c, "_total", NULL, val);
		}
		om_family(c, "devmem_exporter_", "bpf_runs", T_COUNTER, "",
		       "Runs of each of the exporter's BPF programs");
		for (size_t i = 0; i < self->nr_progs; i++) {
			om_labels_reset(c);
			om_label(c, "program", self->progs[i].name, sizeof(self->progs[i].name));
			om_metric(c);
			om_sample_u64(c, "_total", self->progs[i].run_cnt);
		}
	}
	if (self->nr_codes) {
		om_family(c, "devmem_exporter_", "http_responses", T_COUNTER, "",
		       "HTTP responses sent, by status code");
		for (size_t i = 0; i < self->nr_codes; i++) {
			char code[8];

			om_labels_reset(c);
			snprintf(code, sizeof(code), "%d", self->codes[i].code);
			om_label(c, "code", code, sizeof(code));
			om_metric(c);
			om_sample_u64(c, "_total", self->codes[i].count);
		}
	}
	om_labels_reset(c);
	if (self->cpu_seconds >= 0) {
		om_family(c, "process_", "cpu_seconds", T_COUNTER, "seconds",
		       "User and system CPU time the exporter spent");
		om_metric(c);
		snprintf(val, sizeof(val), "%.6f", self->cpu_seconds);
		om_sample(c, "_total", NULL, val);
	}
	if (self->rss_bytes) {
		om_family(c, "process_", "resident_memory_bytes", T_GAUGE, "bytes",
		       "Resident memory of the exporter");
		om_metric(c);
		om_sample_u64(c, "", self->rss_bytes);
	}
	if (self->start_time_seconds > 0) {
		om_family(c, "process_", "start_time_seconds", T_GAUGE, "seconds",
		       "Start time of the exporter since the epoch");
		om_metric(c);
		snprintf(val, sizeof(val), "%.3f", self->start_time_seconds);
		om_sample(c, "", NULL, val);
	}
	if (self->open_fds >= 0) {
		om_family(c, "process_", "open_fds", T_GAUGE, "", "File descriptors the exporter has open");
		om_metric(c);
		om_sample_u64(c, "", (__u64)self->open_fds);
	}
}

static int render(struct om_ctx *c, const struct devmem_snapshot *s)
{
	const struct devmem_om_opts *o = c->o;

	om_labels_reset(c);
	om_family(c, "devmem_", "attach_mode", T_INFO, "",
	       "How the BPF programs attach: tracepoints, raw_tracepoints or fentry");
	om_label(c, "mode", devmem_mode_name(s->mode), 32);
	om_metric(c);
	om_sample(c, "_info", NULL, "1");

	for (size_t f = 0; f < NR_COUNTER_FAMILIES; f++) {
		om_labels_reset(c);
		om_family(c, "devmem_", counter_families[f].name, T_COUNTER, "",
		       counter_families[f].help);
		counters_of(c, &counter_families[f], s->mode, &s->total);
	}
	for (size_t f = 0; f < NR_COUNTER_FAMILIES; f++) {
		char help[192];

		snprintf(help, sizeof(help), "%s, per device (removed ranges included)",
			 counter_families[f].help);
		om_family(c, "devmem_device_", counter_families[f].name, T_COUNTER, "", help);
		for (size_t d = 0; d < s->nr_devices; d++) {
			om_labels_reset(c);
			om_label(c, "device", s->devices[d].name, sizeof(s->devices[d].name));
			counters_of(c, &counter_families[f], s->mode, &s->devices[d].c);
		}
	}
	for (size_t f = 0; f < NR_FOLIO_FAMILIES; f++) {
		om_labels_reset(c);
		om_family(c, "devmem_", folio_families[f].name, T_COUNTER, "", folio_families[f].help);
		folios_of(c, &folio_families[f], &s->folios);
	}
	for (size_t f = 0; f < NR_FOLIO_FAMILIES; f++) {
		char help[192];

		snprintf(help, sizeof(help), "%s, per device (removed ranges included)",
			 folio_families[f].help);
		om_family(c, "devmem_device_", folio_families[f].name, T_COUNTER, "", help);
		for (size_t d = 0; d < s->nr_devices; d++) {
			om_labels_reset(c);
			om_label(c, "device", s->devices[d].name, sizeof(s->devices[d].name));
			folios_of(c, &folio_families[f], &s->devices[d].folios);
		}
	}
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++) {
		om_labels_reset(c);
		om_family(c, "devmem_", hist_families[k].name, T_HISTOGRAM, hist_families[k].unit,
		       hist_families[k].help);
		hist_of(c, &s->hist[k], k);
	}
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++) {
		char help[192];

		snprintf(help, sizeof(help), "%s, per device", hist_families[k].help);
		om_family(c, "devmem_device_", hist_families[k].name, T_HISTOGRAM,
		       hist_families[k].unit, help);
		for (size_t d = 0; d < s->nr_devices; d++) {
			if (!s->devices[d].has_hist)
				continue;	/* not kept per device by this session */
			om_labels_reset(c);
			om_label(c, "device", s->devices[d].name, sizeof(s->devices[d].name));
			hist_of(c, &s->devices[d].hist[k], k);
		}
	}
	om_render_gauges(c, s);
	om_render_thrash(c, s);

	om_labels_reset(c);
	om_family(c, "devmem_", "lost_events", T_COUNTER, "",
	       "Events missing from some figure, by kind (the table that was full); "
	       "recursion_misses: handlers the kernel skipped");
	for (int k = 0; k <= DEVMEM_LOST_KINDS; k++) {
		om_labels_reset(c);
		om_label(c, "kind", k < DEVMEM_LOST_KINDS ? devmem_lost_names[k] : "recursion_misses",
		      64);
		om_metric(c);
		om_sample_u64(c, "_total", k < DEVMEM_LOST_KINDS ? s->lost[k] : s->recursion_misses);
	}
	om_family(c, "devmem_", "unmatched_events", T_COUNTER, "",
	       "Events whose start happened before tracing started, by kind (not losses)");
	for (int k = 0; k < DEVMEM_TALLY_KINDS; k++) {
		if (k == DEVMEM_NOTICES_DEFERRED)
			continue;	/* not unmatched: a family of its own below */
		om_labels_reset(c);
		om_label(c, "kind", devmem_tally_names[k], 64);
		om_metric(c);
		om_sample_u64(c, "_total", s->tallies[k]);
	}
	om_labels_reset(c);
	om_family(c, "devmem_", "exit_records_deferred", T_COUNTER, "",
	       "Process exit records that waited for user space (the notices ring was full; not lost)");
	om_metric(c);
	om_sample_u64(c, "_total", s->tallies[DEVMEM_NOTICES_DEFERRED]);

	if (o->per_process)
		render_processes(c, s);
	if (o->self)
		render_self(c, o->self);
	return om_finish(c);
}

int devmem_om_render(struct devmem_om_buf *out, const struct devmem_snapshot *s,
		     const struct devmem_om_opts *o)
{
	struct om_ctx c = { .o = o, .out = out };

	return render(&c, s);
}

int devmem_om_history_add(struct devmem_om_history *h, const struct devmem_snapshot *s,
			  const struct devmem_om_opts *o, __u64 ts_ms, bool replace)
{
	struct devmem_om_opts om = *o;
	struct om_ctx c = { .o = &om, .h = h };
	int err;

	if (!om_history_begin(h, replace))
		return -ENOMEM;
	om.format = DEVMEM_OM_OPENMETRICS;
	snprintf(c.ts, sizeof(c.ts), " %" PRIu64 ".%03" PRIu64, (uint64_t)(ts_ms / 1000),
		 (uint64_t)(ts_ms % 1000));
	err = render(&c, s);
	if (err)
		om_history_failed(h);
	return err;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The snapshot the metrics tests render (test_openmetrics.c,
 * test_om_gauges.c), and the checks they read the text with.
 */
#ifndef DEVMEM_TEST_OM_FIXTURE_H
#define DEVMEM_TEST_OM_FIXTURE_H

#include "render/openmetrics.h"

#define HOSTILE "evil\"q\\b\nnl\x1b[31m\xff\xc3"

/* the example: two devices (one hostile name), a range each, processes */
static inline void example(struct devmem_snapshot *s)
{
	struct devmem_snap_range *r;
	struct devmem_process *p;

	devmem_snapshot_init(s);
	s->mode = DEVMEM_MODE_TP_BTF;
	s->total.faults = 7;
	/* wasted: 2 collected nothing, 1 collected pages it could not move */
	s->total.faults_wasted = 3;
	s->total.faults_uncollected = 2;
	s->total.faults_unmigrated = 1;
	s->total.faults_retry = 1;
	s->total.pages_to_device = 40;
	s->total.pages_to_ram = 6;
	s->total.migrate_calls_to_device = 2;
	s->total.migrate_calls_to_ram = 6;
	s->total.allocs = 40;
	s->total.frees = 30;
	s->total.adds = 2;
	/* fault latency: 1000 ns (slot 9) x 4, 3000 ns (slot 11) x 3 */
	s->hist[DEVMEM_HIST_FAULT_LATENCY].slots[9] = 4;
	s->hist[DEVMEM_HIST_FAULT_LATENCY].slots[11] = 3;
	s->hist[DEVMEM_HIST_FAULT_LATENCY].count = 7;
	s->hist[DEVMEM_HIST_FAULT_LATENCY].sum = 13000;
	/* pages per migration: 1 x 6, 20 x 2 */
	s->hist[DEVMEM_HIST_MIGRATE_PAGES].slots[0] = 6;
	s->hist[DEVMEM_HIST_MIGRATE_PAGES].slots[4] = 2;
	s->hist[DEVMEM_HIST_MIGRATE_PAGES].count = 8;
	s->hist[DEVMEM_HIST_MIGRATE_PAGES].sum = 46;
	s->lost[DEVMEM_LOST_PROCS_FULL] = 5;
	s->recursion_misses = 2;

	r = devmem_snapshot_range(s, 1, 0x100000000ULL);
	r->r.start = 0x100000000ULL;
	r->r.end = 0x10fffffffULL;
	r->r.nr_pages = 65536;
	r->r.added_ns = 1;
	r->r.type = DEVMEM_TYPE_PRIVATE;
	r->sources = DEVMEM_RANGE_TRACED;
	r->id = r->r.start;
	snprintf(r->name, sizeof(r->name), "gpu0");
	r->c = s->total;
	r->c.faults = 5;
	r->c.allocs = 30;
	r->c.frees = 26;
	r->has_hist = true;
	r->hist[DEVMEM_HIST_FAULT_LATENCY].slots[9] = 4;
	r->hist[DEVMEM_HIST_FAULT_LATENCY].slots[11] = 1;
	r->hist[DEVMEM_HIST_FAULT_LATENCY].sum = 7000;

	r = devmem_snapshot_range(s, 2, 0x200000000ULL);
	r->r.start = 0x200000000ULL;
	r->r.end = 0x20fffffffULL;
	r->r.nr_pages = 65536;
	r->r.type = DEVMEM_TYPE_PRIVATE;
	r->sources = DEVMEM_RANGE_TRACED;	/* there before tracing: in use unknown */
	r->in_use_at_start = DEVMEM_UNKNOWN;
	r->id = r->r.start;
	snprintf(r->name, sizeof(r->name), "%s", HOSTILE);
	r->c.faults = 2;
	r->c.allocs = 10;
	r->c.frees = 4;
	r->has_hist = true;
	assert_int_equal(devmem_snapshot_group_devices(s), 0);

	/* four processes alive, one exited */
	static const struct { __u32 pid; const char *comm; __u64 faults; __u64 exit; } procs[] = {
		{ 300, "quiet", 0, 0 }, { 100, "busy", 50, 0 }, { 200, HOSTILE, 20, 0 },
		{ 400, "gone", 99, 123 }, { 500, "middle", 30, 0 },
	};
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		p = devmem_snapshot_process(s, procs[i].pid, 1000 + i);
		snprintf(p->comm, sizeof(p->comm), "%s", procs[i].comm);
		p->c.faults = procs[i].faults;
		p->exit_ns = procs[i].exit;
		if (procs[i].pid == 100) {
			p->c.faults_wasted = 4;
			p->c.faults_uncollected = 3;
			p->c.faults_unmigrated = 1;
			p->c.faults_retry = 2;
		}
	}
	devmem_snapshot_sort(s);
}

static const struct devmem_om_code_count codes[] __attribute__((unused)) = { { 200, 3 }, { 404, 1 } };
static const struct devmem_prog_stat prog __attribute__((unused)) = { "tp_fault", 1500, 3, 0 };
static const struct devmem_om_self self __attribute__((unused)) = {
	.cpu_seconds = 0.25, .rss_bytes = 4096000, .start_time_seconds = 1700000000.5,
	.open_fds = 9, .bpf_stats_enabled = 1, .progs = &prog, .nr_progs = 1,
	.codes = codes, .nr_codes = 2,
};

static inline char *render(const struct devmem_snapshot *s, enum devmem_om_format f, bool procs,
		    size_t max, const struct devmem_om_self *me)
{
	struct devmem_om_buf b = {};
	struct devmem_om_opts o = {
		.format = f, .per_process = procs, .max_processes = max, .page_size = 4096,
		.self = me,
	};

	assert_int_equal(devmem_om_render(&b, s, &o), 0);
	assert_non_null(b.data);
	return b.data;
}

/* the text has this line, exactly */
static inline void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p += n;
	}
	fail_msg("missing line: %s", line);
}

static inline void lacks(const char *text, const char *what)
{
	if (strstr(text, what))
		fail_msg("unexpected: %s", what);
}

/* every histogram: le ascending, buckets non-decreasing, +Inf = _count */
static inline void check_histograms(const char *text)
{
	char name[1024] = "", prev_series[1024] = "";
	double prev_le = -1, prev_v = -1, inf = -1;
	const char *line = text;
	int histograms = 0;

	while (*line) {
		const char *nl = strchr(line, '\n');
		char buf[1024];
		size_t len = (size_t)(nl - line);
		char *le, *brace, *val;

		assert_non_null(nl);
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = nl + 1;
		if (buf[0] == '#' || !(brace = strstr(buf, "_bucket{")))
			goto count;
		le = strstr(buf, "le=\"");
		assert_non_null(le);
		val = strrchr(buf, ' ') + 1;
		/* the series without le: a new one starts the checks again */
		*le = '\0';
		if (strcmp(prev_series, buf)) {
			snprintf(prev_series, sizeof(prev_series), "%s", buf);
			prev_le = -1;
			prev_v = -1;
			histograms++;
		}
		if (!strncmp(le + 4, "+Inf", 4)) {
			inf = strtod(val, NULL);
			snprintf(name, sizeof(name), "%.*s", (int)(brace - buf), buf);
		} else {
			double l = strtod(le + 4, NULL);

			assert_true(l > prev_le);
			prev_le = l;
		}
		assert_true(strtod(val, NULL) >= prev_v);
		prev_v = strtod(val, NULL);
		continue;
count:
		/* name_count{same labels} follows its buckets */
		if (name[0] && !strncmp(buf, name, strlen(name)) && strstr(buf, "_count")) {
			assert_true(strtod(strrchr(buf, ' ') + 1, NULL) == inf);
			name[0] = '\0';
		}
	}
	assert_true(histograms >= 8);
}

/* the thrashing pages of test_om_gauges.c's test_thrash (its comment says which) */
static inline void with_thrash(struct devmem_snapshot *s)
{
	static const struct { __u32 pid; __u32 w; __u64 npages; } e[] = {
		{ 100, 5, 1 }, { 100, 5, 1 }, { 100, 5, 1 }, { 100, 2, 1 }, { 500, 4, 512 },
	};

	s->thrash_on = true;
	s->thrash_k = 3;
	s->thrash_window_ns = 500000000;
	s->page_size = 4096;
	s->thrash = calloc(5, sizeof(*s->thrash));
	assert_non_null(s->thrash);
	for (size_t i = 0; i < 5; i++) {
		for (size_t j = 0; j < s->nr_procs; j++)
			if (s->procs[j].tgid == e[i].pid)
				s->thrash[i].start_ns = s->procs[j].start_ns;
		s->thrash[i].tgid = e[i].pid;
		s->thrash[i].vaddr = 0x10000 + i * 0x200000;
		s->thrash[i].range = 0x100000000ULL;
		s->thrash[i].bounces = s->thrash[i].window_max = e[i].w;
		s->thrash[i].npages = e[i].npages;
	}
	s->nr_thrash = 5;
	devmem_thrash_sort(s->thrash, s->nr_thrash);
}

#endif /* DEVMEM_TEST_OM_FIXTURE_H */

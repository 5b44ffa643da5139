// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Findings: what stands out in a snapshot, as a short ranked list of
 * sentences with their figures (devmem.h). Ranked by kind first, in the
 * order a user should look (lost events make every other figure low, then
 * thrashing, wasted faults, latency outliers, full devices), then by size.
 *
 * Thresholds: a run of thrashing pages is always a finding; wasted faults
 * from 5% of at least 20 faults; latency when p99 is 10 times p50 or more
 * over at least 100 faults; a device from 90% of its pages in use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/sanitize.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/counts_text.h"
#include "render/findings.h"
#include "render/thrash_runs.h"

#define WASTED_MIN_FAULTS	20
#define WASTED_SHARE		0.05
#define LATENCY_MIN_FAULTS	100
#define LATENCY_RATIO		10.0
#define FULL_SHARE		0.90
#define THRASH_RUNS_SHOWN	5

static const double kind_rank[] = {
	[DEVMEM_FIND_LOST] = 5e15, [DEVMEM_FIND_THRASH] = 4e15, [DEVMEM_FIND_WASTED] = 3e15,
	[DEVMEM_FIND_LATENCY] = 2e15, [DEVMEM_FIND_FULL] = 1e15,
};

struct list {
	struct devmem_finding *v;
	size_t n, max;
};

static struct devmem_finding *add(struct list *l, enum devmem_finding_kind kind, double size)
{
	struct devmem_finding *f;
	size_t i;

	if (!l->max)
		return NULL;
	if (l->n == l->max) {
		/* full: replace the lowest if this one ranks higher */
		size_t lo = 0;

		for (i = 1; i < l->n; i++)
			if (l->v[i].score < l->v[lo].score)
				lo = i;
		if (l->v[lo].score >= kind_rank[kind] + size)
			return NULL;
		f = &l->v[lo];
	} else {
		f = &l->v[l->n++];
	}
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->score = kind_rank[kind] + size;
	return f;
}

/* a name in a finding: filtered, at most 40 columns */
static void safe(char *dst, size_t size, const char *s, size_t len)
{
	devmem_sanitize_cols(dst, size, s, len, 0, 40);
}

static void dur(char *buf, size_t len, __u64 ns)
{
	if (ns >= 10000000000ULL)
		snprintf(buf, len, "%.1f s", ns / 1e9);
	else if (ns >= 10000000)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.1f us", ns / 1e3);
}

static int thrash(const struct devmem_snapshot *s, __u32 k, struct list *l)
{
	struct devmem_thrash_run *runs;
	size_t n, i;
	char comm[DEVMEM_SANITIZED_SIZE(DEVMEM_COMM_LEN)], dev[160];
	char t[32], w[32];
	__u64 page = s->page_size ? s->page_size : 4096;

	if (devmem_thrash_runs(s, k, &runs, &n))
		return -ENOMEM;
	dur(w, sizeof(w), s->thrash_window_ns);
	for (i = 0; i < n && i < THRASH_RUNS_SHOWN; i++) {
		const struct devmem_thrash_run *r = &runs[i];
		struct devmem_finding *f = add(l, DEVMEM_FIND_THRASH, (double)r->bounces);

		if (!f)
			continue;
		safe(comm, sizeof(comm), r->comm, sizeof(r->comm));
		safe(dev, sizeof(dev), r->device, sizeof(r->device));
		dur(t, sizeof(t), r->fault_ns);
		snprintf(f->text, sizeof(f->text),
			 "thrashing: %u %s: %llu page%s at 0x%llx-0x%llx bounced %llu times (up to %u "
			 "within %s) on %s, %s of faults",
			 r->tgid, comm[0] ? comm : "?", (unsigned long long)r->npages,
			 r->npages == 1 ? "" : "s", (unsigned long long)r->vaddr,
			 (unsigned long long)(r->vaddr + r->npages * page),
			 (unsigned long long)r->bounces, r->window_max, w, dev[0] ? dev : "?", t);
	}
	if (n > THRASH_RUNS_SHOWN) {
		struct devmem_finding *f = add(l, DEVMEM_FIND_THRASH, 0);

		if (f)
			snprintf(f->text, sizeof(f->text), "thrashing: %zu more runs of pages",
				 n - THRASH_RUNS_SHOWN);
	}
	free(runs);
	return 0;
}

static void wasted(const struct devmem_snapshot *s, struct list *l)
{
	const struct devmem_counters *c = &s->total;
	const struct devmem_process *top = NULL;
	struct devmem_finding *f;
	char comm[DEVMEM_SANITIZED_SIZE(DEVMEM_COMM_LEN)], who[96] = "", n[3][24];
	double share;

	if (c->faults < WASTED_MIN_FAULTS || !c->faults_wasted)
		return;
	share = (double)c->faults_wasted / (double)c->faults;
	if (share < WASTED_SHARE)
		return;
	for (size_t i = 0; i < s->nr_procs; i++)
		if (!top || s->procs[i].c.faults_wasted > top->c.faults_wasted)
			top = &s->procs[i];
	if (top && top->c.faults_wasted) {
		safe(comm, sizeof(comm), top->comm, sizeof(top->comm));
		snprintf(who, sizeof(who), "; most in %u %s (%llu)", top->tgid, comm,
			 (unsigned long long)top->c.faults_wasted);
	}
	f = add(l, DEVMEM_FIND_WASTED, share * 1e6);
	/* the causes are unknown in recordings older than them */
	if (f)
		snprintf(f->text, sizeof(f->text),
			 "wasted faults: %llu of %llu faults (%.1f%%) migrated nothing: %s collected "
			 "no page, %s collected pages that did not move, %s retried%s",
			 (unsigned long long)c->faults_wasted, (unsigned long long)c->faults,
			 100 * share, devmem_count_text(n[0], sizeof(n[0]), c->faults_uncollected),
			 devmem_count_text(n[1], sizeof(n[1]), c->faults_unmigrated),
			 devmem_count_text(n[2], sizeof(n[2]), c->faults_retry), who);
}

static void latency(const struct devmem_snapshot *s, struct list *l)
{
	const struct devmem_hist *h = &s->hist[DEVMEM_HIST_FAULT_LATENCY];
	struct devmem_percentile p50, p99;
	struct devmem_finding *f;
	char a[32], b[32];
	double ratio;

	if (h->count < LATENCY_MIN_FAULTS || devmem_hist_percentile(h, 50, &p50) ||
	    devmem_hist_percentile(h, 99, &p99) || p50.value <= 0)
		return;
	ratio = p99.value / p50.value;
	if (ratio < LATENCY_RATIO)
		return;
	f = add(l, DEVMEM_FIND_LATENCY, ratio);
	if (!f)
		return;
	dur(a, sizeof(a), (__u64)p99.value);
	dur(b, sizeof(b), (__u64)p50.value);
	snprintf(f->text, sizeof(f->text),
		 "fault latency outliers: p99 %s%s is %.0fx the median %s (%llu faults)", a,
		 p99.saturated ? " or more" : "", ratio, b, (unsigned long long)h->count);
}

/* pages of a live range in use now, or DEVMEM_UNKNOWN */
static void full(const struct devmem_snapshot *s, struct list *l)
{
	for (size_t i = 0; i < s->nr_devices; i++) {
		const struct devmem_device *d = &s->devices[i];
		char name[160];
		__u64 used = 0, size = 0;
		struct devmem_finding *f;
		bool known = true;
		double share;

		for (size_t j = 0; j < s->nr_ranges; j++) {
			const struct devmem_snap_range *r = &s->ranges[j];
			__u64 u;

			if (r->r.removed_ns || strncmp(r->device, d->name, sizeof(d->name)))
				continue;
			u = devmem_range_in_use(r);
			if (u == DEVMEM_UNKNOWN)
				known = false;
			else
				used += u;
			size += r->r.nr_pages;
		}
		if (!known || !size)
			continue;
		share = (double)used / (double)size;
		if (share < FULL_SHARE)
			continue;
		f = add(l, DEVMEM_FIND_FULL, share * 1e6);
		if (!f)
			continue;
		safe(name, sizeof(name), d->name, sizeof(d->name));
		snprintf(f->text, sizeof(f->text),
			 "device almost full: %s has %llu of its %llu pages in use (%.1f%%)", name,
			 (unsigned long long)used, (unsigned long long)size, 100 * share);
	}
}

static void lost(const struct devmem_snapshot *s, struct list *l)
{
	__u64 n = devmem_snapshot_lost_total(s);
	const char *worst = NULL;
	__u64 most = 0;
	struct devmem_finding *f;

	if (!n)
		return;
	for (int k = 0; k < DEVMEM_LOST_KINDS; k++)
		if (s->lost[k] > most) {
			most = s->lost[k];
			worst = devmem_lost_names[k];
		}
	if (s->recursion_misses > most)
		worst = "recursion_misses";
	f = add(l, DEVMEM_FIND_LOST, (double)n);
	if (f)
		snprintf(f->text, sizeof(f->text),
			 "lost events: %llu (most as %s); the figures above are low by as much",
			 (unsigned long long)n, worst ? worst : "?");
}

static int cmp_finding(const void *a, const void *b)
{
	const struct devmem_finding *x = a, *y = b;

	return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

int devmem_findings(const struct devmem_snapshot *s, __u32 k, struct devmem_finding *out,
		    size_t max)
{
	struct list l = { .v = out, .max = max };

	lost(s, &l);
	if (s->thrash_on && thrash(s, k, &l))
		return -ENOMEM;
	wasted(s, &l);
	latency(s, &l);
	full(s, &l);
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_finding);
	return (int)l.n;
}

void devmem_findings_print(FILE *out, const struct devmem_snapshot *s, __u32 k)
{
	struct devmem_finding f[16];
	int n = devmem_findings(s, k, f, sizeof(f) / sizeof(f[0]));

	if (n < 0) {
		fprintf(out, "Findings: out of memory.\n");
		return;
	}
	if (!n) {
		fprintf(out, "Findings: none (no thrashing, wasted faults, latency outliers or "
			"full devices).\n");
		return;
	}
	fprintf(out, "Findings:\n");
	for (int i = 0; i < n; i++)
		fprintf(out, "  %d. %s\n", i + 1, f[i].text);
}

const char *devmem_finding_kind_name(enum devmem_finding_kind kind)
{
	static const char *const names[] = {
		[DEVMEM_FIND_THRASH] = "thrash", [DEVMEM_FIND_WASTED] = "wasted",
		[DEVMEM_FIND_LATENCY] = "latency", [DEVMEM_FIND_FULL] = "full",
		[DEVMEM_FIND_LOST] = "lost",
	};

	return (unsigned int)kind < sizeof(names) / sizeof(names[0]) && names[kind] ?
	       names[kind] : "?";
}

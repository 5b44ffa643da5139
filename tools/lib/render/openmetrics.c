// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A snapshot as Prometheus text 0.0.4 or OpenMetrics 1.0 (openmetrics.h):
 * one walk over the snapshot names every family, series and sample; it
 * writes them straight out (a scrape, a textfile) or files them per series
 * with a timestamp (a history of many snapshots, written out at the end in
 * the order OpenMetrics requires).
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/sanitize.h"
#include "model/array.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/inventory.h"
#include "render/openmetrics.h"

/* ---- text buffers ----------------------------------------------------------- */

static void buf_add(struct devmem_om_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void buf_str(struct devmem_om_buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void devmem_om_buf_free(struct devmem_om_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- numbers and label values ----------------------------------------------- */

static void fmt_u64(char *buf, size_t len, __u64 v)
{
	snprintf(buf, len, "%" PRIu64, (uint64_t)v);
}

/* ns as seconds, exact: 1500 -> 0.0000015, 2000000000 -> 2 */
static void fmt_ns_seconds(char *buf, size_t len, __u64 ns)
{
	size_t n;

	snprintf(buf, len, "%" PRIu64 ".%09" PRIu64, (uint64_t)(ns / 1000000000ULL),
		 (uint64_t)(ns % 1000000000ULL));
	n = strlen(buf);
	while (n && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n && buf[n - 1] == '.')
		buf[--n] = '\0';
}

void devmem_om_le(char *buf, size_t len, unsigned int slot, bool ns_to_seconds)
{
	char digits[32], out[48];
	__u64 n;
	int nd, dp, exp;
	size_t o = 0;

	if (slot >= DEVMEM_OM_BUCKETS) {
		snprintf(buf, len, "+Inf");
		return;
	}
	n = (2ULL << slot) - 1;	/* the largest integer of the slot */
	nd = snprintf(digits, sizeof(digits), "%" PRIu64, (uint64_t)n);
	/* the value is 0.DIGITS x 10^dp; trailing zeros carry no digit */
	dp = nd - (ns_to_seconds ? 9 : 0);
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	exp = dp - 1;
	/* Go's shortest %g, as OpenMetrics' canonical numbers are: %e below 1e-4 and from 1e6 */
	if (exp < -4 || exp >= 6) {
		out[o++] = digits[0];
		if (nd > 1) {
			out[o++] = '.';
			memcpy(out + o, digits + 1, (size_t)nd - 1);
			o += (size_t)nd - 1;
		}
		o += (size_t)snprintf(out + o, sizeof(out) - o, "e%c%02d", exp < 0 ? '-' : '+',
				      exp < 0 ? -exp : exp);
	} else if (dp <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -dp; i++)
			out[o++] = '0';
		memcpy(out + o, digits, (size_t)nd);
		o += (size_t)nd;
	} else if (dp >= nd) {
		memcpy(out + o, digits, (size_t)nd);
		o += (size_t)nd;
		for (int i = nd; i < dp; i++)
			out[o++] = '0';
		memcpy(out + o, ".0", 2);
		o += 2;
	} else {
		memcpy(out + o, digits, (size_t)dp);
		o += (size_t)dp;
		out[o++] = '.';
		memcpy(out + o, digits + dp, (size_t)(nd - dp));
		o += (size_t)(nd - dp);
	}
	out[o] = '\0';
	snprintf(buf, len, "%s", out);
}

char *devmem_om_label_value(char *dst, size_t size, const char *src, size_t srclen)
{
	char clean[DEVMEM_SANITIZED_SIZE(256)];
	size_t o = 0;

	if (!size)
		return dst;
	if (srclen > 256)
		srclen = 256;
	devmem_sanitize(clean, sizeof(clean), src, srclen, 0);
	for (const char *p = clean; *p; p++) {
		const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
		size_t n = esc ? 2 : 1;

		if (o + n >= size)
			break;
		if (esc)
			memcpy(dst + o, esc, 2);
		else
			dst[o] = *p;
		o += n;
	}
	dst[o] = '\0';
	return dst;
}

/* ---- families and the two sinks --------------------------------------------- */

enum om_type { T_COUNTER, T_GAUGE, T_HISTOGRAM, T_INFO };

static const char *const om_type_names[] = { "counter", "gauge", "histogram", "info" };

struct hmetric {
	size_t fam;			/* index into the history's families */
	char *key;			/* family name, '\n', labels: the identity */
	struct devmem_om_buf text;	/* its points, oldest first */
	size_t last_off;		/* where the last point starts */
	unsigned long last_add;		/* the add that wrote the last point */
};

struct hfamily {
	char *name;
	struct devmem_om_buf meta;	/* TYPE, UNIT, HELP */
};

struct devmem_om_history {
	struct hfamily *fam;
	size_t nr_fam;
	struct hmetric *m;
	size_t nr_m;
	size_t *slots;			/* hash of metric keys: index + 1, 0 empty */
	size_t nr_slots;
	unsigned long adds;
	bool failed;
};

struct ctx {
	const struct devmem_om_opts *o;
	struct devmem_om_buf *out;	/* a scrape: lines go here */
	struct devmem_om_history *h;	/* a history: lines go to their series */
	char ts[32];			/* " <seconds>" on every sample of a history */
	char name[128];			/* the family's name */
	enum om_type type;
	struct devmem_om_buf labels;	/* the series' labels, escaped, without braces */
	struct devmem_om_buf line;
	size_t fam;			/* history: the family's index */
	struct hmetric *m;		/* history: the series */
	int err;
};

static void meta_lines(struct devmem_om_buf *b, const struct ctx *c, const char *unit,
		       const char *help)
{
	const char *name = c->name;

	if (c->o->format == DEVMEM_OM_OPENMETRICS) {
		buf_str(b, "# TYPE ");
		buf_str(b, name);
		buf_str(b, " ");
		buf_str(b, om_type_names[c->type]);
		buf_str(b, "\n");
		if (unit && *unit) {
			buf_str(b, "# UNIT ");
			buf_str(b, name);
			buf_str(b, " ");
			buf_str(b, unit);
			buf_str(b, "\n");
		}
		buf_str(b, "# HELP ");
		buf_str(b, name);
		buf_str(b, " ");
		buf_str(b, help);
		buf_str(b, "\n");
		return;
	}
	/* 0.0.4: the sample's name; no info type, an info is a gauge of value 1 */
	buf_str(b, "# HELP ");
	buf_str(b, name);
	buf_str(b, c->type == T_COUNTER ? "_total " : c->type == T_INFO ? "_info " : " ");
	buf_str(b, help);
	buf_str(b, "\n# TYPE ");
	buf_str(b, name);
	buf_str(b, c->type == T_COUNTER ? "_total counter\n" : c->type == T_INFO ? "_info gauge\n" :
		   c->type == T_HISTOGRAM ? " histogram\n" : " gauge\n");
}

static size_t hash_key(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int hist_grow_slots(struct devmem_om_history *h)
{
	size_t n = h->nr_slots ? 2 * h->nr_slots : 1024;
	size_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < h->nr_m; i++) {
		size_t j = hash_key(h->m[i].key) & (n - 1);

		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = i + 1;
	}
	free(h->slots);
	h->slots = slots;
	h->nr_slots = n;
	return 0;
}

static void family(struct ctx *c, const char *prefix, const char *base, enum om_type type,
		   const char *unit, const char *help)
{
	struct devmem_om_history *h = c->h;
	size_t i;

	snprintf(c->name, sizeof(c->name), "%s%s", prefix, base);
	c->type = type;
	if (!h) {
		meta_lines(c->out, c, unit, help);
		return;
	}
	for (i = 0; i < h->nr_fam; i++)
		if (!strcmp(h->fam[i].name, c->name))
			break;
	if (i == h->nr_fam) {
		struct hfamily *f = devmem_array_grow(h->fam, h->nr_fam, sizeof(*f));

		if (!f) {
			c->err = -ENOMEM;
			return;
		}
		h->fam = f;
		f = &h->fam[h->nr_fam];
		memset(f, 0, sizeof(*f));
		f->name = strdup(c->name);
		meta_lines(&f->meta, c, unit, help);
		if (!f->name || f->meta.failed) {
			free(f->name);
			devmem_om_buf_free(&f->meta);
			c->err = -ENOMEM;
			return;
		}
		h->nr_fam++;
	}
	c->fam = i;
}

static void labels_reset(struct ctx *c)
{
	c->labels.len = 0;
	if (c->labels.data)
		c->labels.data[0] = '\0';
	for (size_t i = 0; i < c->o->nr_labels; i++) {
		char v[DEVMEM_OM_LABEL_SIZE(256)];
		const char *raw = c->o->labels[i].value;

		devmem_om_label_value(v, sizeof(v), raw, strlen(raw));
		if (c->labels.len)
			buf_str(&c->labels, ",");
		buf_str(&c->labels, c->o->labels[i].name);
		buf_str(&c->labels, "=\"");
		buf_str(&c->labels, v);
		buf_str(&c->labels, "\"");
	}
}

/* a label whose value comes from the kernel, a file or this code */
static void label(struct ctx *c, const char *name, const char *value, size_t maxlen)
{
	char v[DEVMEM_OM_LABEL_SIZE(256)];

	devmem_om_label_value(v, sizeof(v), value, strnlen(value, maxlen));
	if (c->labels.len)
		buf_str(&c->labels, ",");
	buf_str(&c->labels, name);
	buf_str(&c->labels, "=\"");
	buf_str(&c->labels, v);
	buf_str(&c->labels, "\"");
}

/* the series with the labels set so far begins */
static void metric(struct ctx *c)
{
	struct devmem_om_history *h = c->h;
	struct devmem_om_buf key = {};
	struct hmetric *m;
	size_t j;

	if (!h || c->err)
		return;
	c->m = NULL;
	if (c->labels.failed) {
		c->err = -ENOMEM;
		return;
	}
	buf_str(&key, c->name);
	buf_str(&key, "\n");
	buf_str(&key, c->labels.data ? c->labels.data : "");
	if (key.failed || ((h->nr_m + 1) * 2 > h->nr_slots && hist_grow_slots(h))) {
		devmem_om_buf_free(&key);
		c->err = -ENOMEM;
		return;
	}
	for (j = hash_key(key.data) & (h->nr_slots - 1); h->slots[j];
	     j = (j + 1) & (h->nr_slots - 1)) {
		m = &h->m[h->slots[j] - 1];
		if (!strcmp(m->key, key.data)) {
			devmem_om_buf_free(&key);
			c->m = m;
			c->m->last_off = m->text.len;
			c->m->last_add = h->adds;
			return;
		}
	}
	m = devmem_array_grow(h->m, h->nr_m, sizeof(*m));
	if (!m) {
		devmem_om_buf_free(&key);
		c->err = -ENOMEM;
		return;
	}
	h->m = m;
	m = &h->m[h->nr_m];
	memset(m, 0, sizeof(*m));
	m->fam = c->fam;
	m->key = key.data;
	m->last_add = h->adds;
	h->slots[j] = ++h->nr_m;
	c->m = m;
}

/* one sample of the current series: name + suffix, labels (+ extra), value */
static void sample(struct ctx *c, const char *suffix, const char *extra, const char *value)
{
	struct devmem_om_buf *b = c->h ? &c->line : c->out;
	bool any = c->labels.len || extra;

	if (c->err)
		return;
	if (c->h) {
		if (!c->m)
			return;
		c->line.len = 0;
	}
	buf_str(b, c->name);
	buf_str(b, suffix);
	if (any) {
		buf_str(b, "{");
		if (c->labels.len)
			buf_add(b, c->labels.data, c->labels.len);
		if (extra) {
			if (c->labels.len)
				buf_str(b, ",");
			buf_str(b, extra);
		}
		buf_str(b, "}");
	}
	buf_str(b, " ");
	buf_str(b, value);
	buf_str(b, c->ts);
	buf_str(b, "\n");
	if (c->h) {
		if (c->line.failed) {
			c->err = -ENOMEM;
			return;
		}
		buf_add(&c->m->text, c->line.data, c->line.len);
		if (c->m->text.failed)
			c->err = -ENOMEM;
	}
}

static void sample_u64(struct ctx *c, const char *suffix, __u64 v)
{
	char val[24];

	fmt_u64(val, sizeof(val), v);
	sample(c, suffix, NULL, val);
}

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

static void counters_of(struct ctx *c, const struct counter_family *f,
			const struct devmem_counters *cs)
{
	const __u64 *v = devmem_counters_cu64(cs);
	size_t mark = c->labels.len;

	for (unsigned int d = 0; d < (f->by_direction ? 2U : 1U); d++) {
		c->labels.len = mark;
		if (c->labels.data)
			c->labels.data[mark] = '\0';
		/* a counter the attachment mode cannot see has no sample, not a 0 */
		if (v[f->idx[d]] == DEVMEM_UNKNOWN)
			continue;
		if (f->by_direction)
			label(c, "direction", directions[d], 16);
		metric(c);
		sample_u64(c, "_total", v[f->idx[d]]);
	}
}

static void hist_of(struct ctx *c, const struct devmem_hist *h, unsigned int kind)
{
	bool ns = kind != DEVMEM_HIST_MIGRATE_PAGES;
	__u64 total = devmem_hist_total(h), cum = 0;
	char le[40], extra[48], val[32];

	metric(c);
	for (unsigned int i = 0; i < DEVMEM_OM_BUCKETS; i++) {
		cum += h->slots[i];
		devmem_om_le(le, sizeof(le), i, ns);
		snprintf(extra, sizeof(extra), "le=\"%s\"", le);
		fmt_u64(val, sizeof(val), cum);
		sample(c, "_bucket", extra, val);
	}
	fmt_u64(val, sizeof(val), total);
	sample(c, "_bucket", "le=\"+Inf\"", val);
	if (ns)
		fmt_ns_seconds(val, sizeof(val), h->sum);
	else
		fmt_u64(val, sizeof(val), h->sum);
	sample(c, "_sum", NULL, val);
	sample_u64(c, "_count", total);
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

static void pid_labels(struct ctx *c, const struct devmem_process *p)
{
	char pid[16];

	labels_reset(c);
	snprintf(pid, sizeof(pid), "%u", p->tgid);
	label(c, "pid", pid, sizeof(pid));
	label(c, "comm", p->comm, sizeof(p->comm));
}

static void render_processes(struct ctx *c, const struct devmem_snapshot *s)
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
		family(c, "devmem_process_", cf->name, T_COUNTER, "", help);
		for (long i = 0; i < k; i++) {
			pid_labels(c, &s->procs[keep[i]]);
			counters_of(c, cf, &s->procs[keep[i]].c);
		}
	}
	family(c, "devmem_process_", "lost_events", T_COUNTER, "",
	       "Events of a live process missing from its figures (the per-process table was full)");
	for (long i = 0; i < k; i++) {
		pid_labels(c, &s->procs[keep[i]]);
		metric(c);
		sample_u64(c, "_total", s->procs[keep[i]].lost_events);
	}
	labels_reset(c);
	family(c, "devmem_exporter_", "processes_limit", T_GAUGE, "",
	       "Most live processes exported per scrape (--max-processes)");
	metric(c);
	sample_u64(c, "", c->o->max_processes);
	family(c, "devmem_exporter_", "processes_alive", T_GAUGE, "",
	       "Live processes the session knows of");
	metric(c);
	sample_u64(c, "", alive);
	family(c, "devmem_exporter_", "processes_dropped", T_GAUGE, "",
	       "Live processes left out of this scrape by the limit (the least active)");
	metric(c);
	sample_u64(c, "", alive - (size_t)k);
	free(keep);
}

static void render_ranges(struct ctx *c, const struct devmem_snapshot *s)
{
	struct devmem_inventory inv = {};
	static const struct {
		const char *name, *unit, *help;
	} g[] = {
		{ "in_use_pages", "pages", "Pages of a live range in use (handed out, not freed)" },
		{ "size_pages", "pages", "Pages of a live range" },
		{ "size_bytes", "bytes", "Bytes of a live range" },
	};

	if (devmem_inv_from_snapshot(&inv, s)) {
		devmem_inv_free(&inv);
		c->err = -ENOMEM;
		return;
	}
	devmem_inv_sort(&inv);
	for (unsigned int k = 0; k < 3; k++) {
		if (k == 2 && !c->o->page_size)
			break;
		family(c, "devmem_range_", g[k].name, T_GAUGE, g[k].unit, g[k].help);
		for (size_t i = 0; i < inv.n; i++) {
			const struct devmem_inv_range *r = &inv.r[i];
			char start[24], val[24];

			if (r->removed || (k == 0 && r->in_use == DEVMEM_UNKNOWN))
				continue;	/* gone, or not observed: no plausible default */
			labels_reset(c);
			label(c, "device", r->device, sizeof(r->device));
			snprintf(start, sizeof(start), "0x%" PRIx64, (uint64_t)r->id);
			label(c, "range", start, sizeof(start));
			metric(c);
			fmt_u64(val, sizeof(val), k == 0 ? r->in_use : k == 1 ? r->nr_pages :
				r->nr_pages * c->o->page_size);
			sample(c, "", NULL, val);
		}
	}
	/* per device: the sum over its live ranges, unknown if one of them is */
	family(c, "devmem_device_", "in_use_pages", T_GAUGE, "pages",
	       "Pages of a device's live ranges in use");
	for (size_t d = 0; d < s->nr_devices; d++) {
		__u64 sum = 0;
		bool known = true;

		for (size_t i = 0; i < inv.n; i++) {
			const struct devmem_inv_range *r = &inv.r[i];

			if (r->removed || strncmp(r->device, s->devices[d].name, sizeof(r->device)))
				continue;
			if (r->in_use == DEVMEM_UNKNOWN)
				known = false;
			else
				sum += r->in_use;
		}
		if (!known)
			continue;
		labels_reset(c);
		label(c, "device", s->devices[d].name, sizeof(s->devices[d].name));
		metric(c);
		sample_u64(c, "", sum);
	}
	devmem_inv_free(&inv);
	family(c, "devmem_device_", "size_pages", T_GAUGE, "pages", "Pages of a device's live ranges");
	for (size_t d = 0; d < s->nr_devices; d++) {
		labels_reset(c);
		label(c, "device", s->devices[d].name, sizeof(s->devices[d].name));
		metric(c);
		sample_u64(c, "", s->devices[d].nr_pages);
	}
	family(c, "devmem_device_", "live_ranges", T_GAUGE, "", "Live ranges of a device");
	for (size_t d = 0; d < s->nr_devices; d++) {
		labels_reset(c);
		label(c, "device", s->devices[d].name, sizeof(s->devices[d].name));
		metric(c);
		sample_u64(c, "", s->devices[d].nr_live);
	}
}

static void render_self(struct ctx *c, const struct devmem_om_self *self)
{
	char val[48];

	labels_reset(c);
	if (self->bpf_stats_enabled >= 0) {
		family(c, "devmem_exporter_", "bpf_stats_enabled", T_GAUGE, "",
		       "1 if kernel.bpf_stats_enabled is on: only then does the kernel time the "
		       "programs and devmem_exporter_bpf_run_seconds_total is exported (sysctl -w "
		       "kernel.bpf_stats_enabled=1 turns it on)");
		metric(c);
		sample_u64(c, "", self->bpf_stats_enabled == 1);
	}
	if (self->bpf_stats_enabled == 1) {
		family(c, "devmem_exporter_", "bpf_run_seconds", T_COUNTER, "seconds",
		       "Time the kernel spent in each of the exporter's BPF programs");
		for (size_t i = 0; i < self->nr_progs; i++) {
			labels_reset(c);
			label(c, "program", self->progs[i].name, sizeof(self->progs[i].name));
			metric(c);
			fmt_ns_seconds(val, sizeof(val), self->progs[i].run_time_ns);
			sample(c, "_total", NULL, val);
		}
		family(c, "devmem_exporter_", "bpf_runs", T_COUNTER, "",
		       "Runs of each of the exporter's BPF programs");
		for (size_t i = 0; i < self->nr_progs; i++) {
			labels_reset(c);
			label(c, "program", self->progs[i].name, sizeof(self->progs[i].name));
			metric(c);
			sample_u64(c, "_total", self->progs[i].run_cnt);
		}
	}
	if (self->nr_codes) {
		family(c, "devmem_exporter_", "http_responses", T_COUNTER, "",
		       "HTTP responses sent, by status code");
		for (size_t i = 0; i < self->nr_codes; i++) {
			char code[8];

			labels_reset(c);
			snprintf(code, sizeof(code), "%d", self->codes[i].code);
			label(c, "code", code, sizeof(code));
			metric(c);
			sample_u64(c, "_total", self->codes[i].count);
		}
	}
	labels_reset(c);
	if (self->cpu_seconds >= 0) {
		family(c, "process_", "cpu_seconds", T_COUNTER, "seconds",
		       "User and system CPU time the exporter spent");
		metric(c);
		snprintf(val, sizeof(val), "%.6f", self->cpu_seconds);
		sample(c, "_total", NULL, val);
	}
	if (self->rss_bytes) {
		family(c, "process_", "resident_memory_bytes", T_GAUGE, "bytes",
		       "Resident memory of the exporter");
		metric(c);
		sample_u64(c, "", self->rss_bytes);
	}
	if (self->start_time_seconds > 0) {
		family(c, "process_", "start_time_seconds", T_GAUGE, "seconds",
		       "Start time of the exporter since the epoch");
		metric(c);
		snprintf(val, sizeof(val), "%.3f", self->start_time_seconds);
		sample(c, "", NULL, val);
	}
	if (self->open_fds >= 0) {
		family(c, "process_", "open_fds", T_GAUGE, "", "File descriptors the exporter has open");
		metric(c);
		sample_u64(c, "", (__u64)self->open_fds);
	}
}

static int render(struct ctx *c, const struct devmem_snapshot *s)
{
	const struct devmem_om_opts *o = c->o;

	labels_reset(c);
	family(c, "devmem_", "attach_mode", T_INFO, "",
	       "How the BPF programs attach: tracepoints, raw_tracepoints or fentry");
	label(c, "mode", devmem_mode_name(s->mode), 32);
	metric(c);
	sample(c, "_info", NULL, "1");

	for (size_t f = 0; f < NR_COUNTER_FAMILIES; f++) {
		labels_reset(c);
		family(c, "devmem_", counter_families[f].name, T_COUNTER, "",
		       counter_families[f].help);
		counters_of(c, &counter_families[f], &s->total);
	}
	for (size_t f = 0; f < NR_COUNTER_FAMILIES; f++) {
		char help[192];

		snprintf(help, sizeof(help), "%s, per device (removed ranges included)",
			 counter_families[f].help);
		family(c, "devmem_device_", counter_families[f].name, T_COUNTER, "", help);
		for (size_t d = 0; d < s->nr_devices; d++) {
			labels_reset(c);
			label(c, "device", s->devices[d].name, sizeof(s->devices[d].name));
			counters_of(c, &counter_families[f], &s->devices[d].c);
		}
	}
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++) {
		labels_reset(c);
		family(c, "devmem_", hist_families[k].name, T_HISTOGRAM, hist_families[k].unit,
		       hist_families[k].help);
		hist_of(c, &s->hist[k], k);
	}
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++) {
		char help[192];

		snprintf(help, sizeof(help), "%s, per device", hist_families[k].help);
		family(c, "devmem_device_", hist_families[k].name, T_HISTOGRAM,
		       hist_families[k].unit, help);
		for (size_t d = 0; d < s->nr_devices; d++) {
			if (!s->devices[d].has_hist)
				continue;	/* not kept per device by this session */
			labels_reset(c);
			label(c, "device", s->devices[d].name, sizeof(s->devices[d].name));
			hist_of(c, &s->devices[d].hist[k], k);
		}
	}
	render_ranges(c, s);

	labels_reset(c);
	family(c, "devmem_", "lost_events", T_COUNTER, "",
	       "Events missing from some figure, by kind (the table that was full); "
	       "recursion_misses: handlers the kernel skipped");
	for (int k = 0; k <= DEVMEM_LOST_KINDS; k++) {
		labels_reset(c);
		label(c, "kind", k < DEVMEM_LOST_KINDS ? devmem_lost_names[k] : "recursion_misses",
		      64);
		metric(c);
		sample_u64(c, "_total", k < DEVMEM_LOST_KINDS ? s->lost[k] : s->recursion_misses);
	}
	family(c, "devmem_", "unmatched_events", T_COUNTER, "",
	       "Events whose start happened before tracing started, by kind (not losses)");
	for (int k = 0; k < DEVMEM_NOTICES_DEFERRED; k++) {
		labels_reset(c);
		label(c, "kind", devmem_tally_names[k], 64);
		metric(c);
		sample_u64(c, "_total", s->tallies[k]);
	}
	labels_reset(c);
	family(c, "devmem_", "exit_records_deferred", T_COUNTER, "",
	       "Process exit records that waited for user space (the notices ring was full; not lost)");
	metric(c);
	sample_u64(c, "_total", s->tallies[DEVMEM_NOTICES_DEFERRED]);

	if (o->per_process)
		render_processes(c, s);
	if (o->self)
		render_self(c, o->self);
	if (!c->h && o->format == DEVMEM_OM_OPENMETRICS)
		buf_str(c->out, "# EOF\n");
	if (!c->err && (c->labels.failed || c->line.failed || (c->out && c->out->failed)))
		c->err = -ENOMEM;
	devmem_om_buf_free(&c->labels);
	devmem_om_buf_free(&c->line);
	return c->err;
}

int devmem_om_render(struct devmem_om_buf *out, const struct devmem_snapshot *s,
		     const struct devmem_om_opts *o)
{
	struct ctx c = { .o = o, .out = out };

	return render(&c, s);
}

/* ---- histories ---------------------------------------------------------------------- */

struct devmem_om_history *devmem_om_history_new(void)
{
	return calloc(1, sizeof(struct devmem_om_history));
}

int devmem_om_history_add(struct devmem_om_history *h, const struct devmem_snapshot *s,
			  const struct devmem_om_opts *o, __u64 ts_ms, bool replace)
{
	struct devmem_om_opts om = *o;
	struct ctx c = { .o = &om, .h = h };
	int err;

	if (h->failed)
		return -ENOMEM;
	om.format = DEVMEM_OM_OPENMETRICS;
	if (replace) {
		/* the series of the add before lose its point */
		for (size_t i = 0; i < h->nr_m; i++)
			if (h->m[i].last_add == h->adds) {
				h->m[i].text.len = h->m[i].last_off;
				if (h->m[i].text.data)
					h->m[i].text.data[h->m[i].text.len] = '\0';
				h->m[i].last_add = 0;
			}
	}
	h->adds++;
	snprintf(c.ts, sizeof(c.ts), " %" PRIu64 ".%03" PRIu64, (uint64_t)(ts_ms / 1000),
		 (uint64_t)(ts_ms % 1000));
	err = render(&c, s);
	if (err)
		h->failed = true;
	return err;
}

size_t devmem_om_history_bytes(const struct devmem_om_history *h)
{
	size_t n = 0;

	for (size_t i = 0; i < h->nr_m; i++)
		n += h->m[i].text.len + strlen(h->m[i].key);
	return n;
}

int devmem_om_history_write(const struct devmem_om_history *h, FILE *out)
{
	for (size_t f = 0; f < h->nr_fam; f++) {
		fwrite(h->fam[f].meta.data, 1, h->fam[f].meta.len, out);
		for (size_t i = 0; i < h->nr_m; i++)
			if (h->m[i].fam == f && h->m[i].text.len)
				fwrite(h->m[i].text.data, 1, h->m[i].text.len, out);
	}
	fputs("# EOF\n", out);
	return ferror(out) ? -EIO : 0;
}

void devmem_om_history_free(struct devmem_om_history *h)
{
	if (!h)
		return;
	for (size_t f = 0; f < h->nr_fam; f++) {
		free(h->fam[f].name);
		devmem_om_buf_free(&h->fam[f].meta);
	}
	for (size_t i = 0; i < h->nr_m; i++) {
		free(h->m[i].key);
		devmem_om_buf_free(&h->m[i].text);
	}
	free(h->fam);
	free(h->m);
	free(h->slots);
	free(h);
}

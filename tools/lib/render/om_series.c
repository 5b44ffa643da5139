// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The series engine of the metrics (om_series.h): families, series and
 * samples as Prometheus text 0.0.4 or OpenMetrics 1.0, written straight
 * out (a scrape, a textfile) or filed per series with a timestamp (a
 * history of many snapshots, written out at the end in the order
 * OpenMetrics requires).
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
#include "render/om_series.h"

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

void om_fmt_u64(char *buf, size_t len, __u64 v)
{
	snprintf(buf, len, "%" PRIu64, (uint64_t)v);
}

/* ns as seconds, exact: 1500 -> 0.0000015, 2000000000 -> 2 */
void om_fmt_ns_seconds(char *buf, size_t len, __u64 ns)
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

static void meta_lines(struct devmem_om_buf *b, const struct om_ctx *c, const char *unit,
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

void om_family(struct om_ctx *c, const char *prefix, const char *base, enum om_type type,
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

void om_labels_reset(struct om_ctx *c)
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
void om_label(struct om_ctx *c, const char *name, const char *value, size_t maxlen)
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
void om_metric(struct om_ctx *c)
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
void om_sample(struct om_ctx *c, const char *suffix, const char *extra, const char *value)
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

void om_sample_u64(struct om_ctx *c, const char *suffix, __u64 v)
{
	char val[24];

	om_fmt_u64(val, sizeof(val), v);
	om_sample(c, suffix, NULL, val);
}

/* ---- histories ---------------------------------------------------------------------- */

struct devmem_om_history *devmem_om_history_new(void)
{
	return calloc(1, sizeof(struct devmem_om_history));
}

bool om_history_begin(struct devmem_om_history *h, bool replace)
{
	if (h->failed)
		return false;
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
	return true;
}

void om_history_failed(struct devmem_om_history *h)
{
	h->failed = true;
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

int om_finish(struct om_ctx *c)
{
	if (!c->h && c->o->format == DEVMEM_OM_OPENMETRICS)
		buf_str(c->out, "# EOF\n");
	if (!c->err && (c->labels.failed || c->line.failed || (c->out && c->out->failed)))
		c->err = -ENOMEM;
	devmem_om_buf_free(&c->labels);
	devmem_om_buf_free(&c->line);
	return c->err;
}

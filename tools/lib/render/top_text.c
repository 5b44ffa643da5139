// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop's frame as text (top_view.h): number formats, columns, rows, the header. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "cli/sanitize.h"
#include "model/array.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/json_out.h"
#include "render/thrash_runs.h"
#include "render/top_view.h"


#define NSEC_PER_SEC 1000000000.0

/* ---- formatting ---- */

void top_fmt_rate(char *buf, size_t len, double v, int w)
{
	static const char units[] = "kMGTPE";
	int u = -1;

	if (!(v >= 0) || isinf(v)) {
		snprintf(buf, len, "%*s", w, "-");
		return;
	}
	/* one decimal while it fits, then k, M, ... with one decimal */
	if (v < 99999.95) {
		if (v == floor(v))
			snprintf(buf, len, "%*.0f", w, v);
		else
			snprintf(buf, len, "%*.1f", w, v);
		return;
	}
	while (v >= 999.95 && u < (int)sizeof(units) - 2) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, len, "%*.1f%c", w > 0 ? w - 1 : 0, v, units[u]);
}

void top_fmt_ns(char *buf, size_t len, double ns, bool saturated)
{
	const char *pre = saturated ? ">" : "";

	if (!(ns >= 0)) {
		snprintf(buf, len, "-");
	} else if (ns < 1000) {
		snprintf(buf, len, "%s%.0fns", pre, ns);
	} else if (ns < 999.95e3) {
		snprintf(buf, len, "%s%.1fus", pre, ns / 1e3);
	} else if (ns < 999.95e6) {
		snprintf(buf, len, "%s%.1fms", pre, ns / 1e6);
	} else {
		snprintf(buf, len, "%s%.2fs", pre, ns / 1e9);
	}
}

void top_fmt_bytes(char *buf, size_t len, __u64 bytes)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (u == 0 || v >= 9.95 || v == floor(v))
		snprintf(buf, len, "%.0f%c", v, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
}

/* ---- columns ---- */

enum col_id {
	C_PID, C_FAULTS, C_WASTED, C_THRASH, C_TO_DEVICE, C_TO_RAM, C_ALLOCS, C_FREES, C_P50, C_P99,
	C_COMM, C_RANGE, C_SIZE, C_IN_USE, C_MIGR, C_NAME,
	C_PAGES, C_BOUNCES, C_WMAX, C_TIME, C_ADDR, C_TDEV,
};

struct column {
	enum col_id id;
	const char *rate_title;		/* rate frames */
	const char *count_title;	/* summary frames */
	int width;			/* negative: left-aligned; 0: rest of the line */
	int key;			/* sort key, -1: none */
	bool summary_only;
};

static const struct column proc_cols[] = {
	{ C_PID, "PID", "PID", 7, TOP_PK_PID, false },
	{ C_FAULTS, "FAULT/s", "FAULTS", 8, TOP_PK_FAULTS, false },
	{ C_WASTED, NULL, "WASTED", 8, -1, true },
	{ C_THRASH, "THRASH", "THRASH", 7, -1, false },
	{ C_TO_DEVICE, "TODEV/s", "TODEV", 8, TOP_PK_TO_DEVICE, false },
	{ C_TO_RAM, "TORAM/s", "TORAM", 8, TOP_PK_TO_RAM, false },
	{ C_ALLOCS, NULL, "ALLOCS", 8, -1, true },
	{ C_FREES, "FREE/s", "FREES", 8, TOP_PK_FREES, false },
	{ C_P50, "P50", "P50", 8, TOP_PK_P50, false },
	{ C_P99, "P99", "P99", 8, TOP_PK_P99, false },
	{ C_COMM, "COMMAND", "COMMAND", 0, TOP_PK_COMM, false },
};

static const struct column dev_cols[] = {
	{ C_RANGE, "RANGE", "RANGE", -26, TOP_DK_RANGE, false },
	{ C_SIZE, "SIZE", "SIZE", 6, TOP_DK_SIZE, false },
	{ C_IN_USE, "INUSE", "INUSE", 8, TOP_DK_IN_USE, false },
	{ C_FAULTS, "FAULT/s", "FAULTS", 8, TOP_DK_FAULTS, false },
	{ C_WASTED, NULL, "WASTED", 8, -1, true },
	{ C_MIGR, "MIGR/s", NULL, 8, TOP_DK_MIGRATIONS, false },
	{ C_THRASH, "THRASH", "THRASH", 7, -1, false },
	{ C_TO_DEVICE, NULL, "TODEV", 8, -1, true },
	{ C_TO_RAM, NULL, "TORAM", 8, -1, true },
	{ C_ALLOCS, NULL, "ALLOCS", 8, -1, true },
	{ C_FREES, "FREE/s", "FREES", 8, TOP_DK_FREES, false },
	{ C_NAME, "DEVICE", "DEVICE", 0, TOP_DK_NAME, false },
};

static const struct column thrash_cols[] = {
	{ C_PID, "PID", "PID", 7, TOP_TK_PID, false },
	{ C_PAGES, "PAGES", "PAGES", 7, TOP_TK_PAGES, false },
	{ C_BOUNCES, "BOUNCES", "BOUNCES", 8, TOP_TK_BOUNCES, false },
	{ C_FAULTS, "FAULTS", "FAULTS", 8, -1, false },
	{ C_WMAX, "MAX/T", "MAX/T", 5, -1, false },
	{ C_TIME, "TIME", "TIME", 8, TOP_TK_FAULT_TIME, false },
	{ C_ADDR, "ADDRESS", "ADDRESS", -14, -1, false },
	{ C_TDEV, "DEVICE", "DEVICE", -14, -1, false },
	{ C_COMM, "COMMAND", "COMMAND", 0, -1, false },
};

static const struct column *view_cols(enum top_view v, size_t *n)
{
	if (v == TOP_VIEW_THRASH) {
		*n = sizeof(thrash_cols) / sizeof(thrash_cols[0]);
		return thrash_cols;
	}
	if (v == TOP_VIEW_PROCESSES) {
		*n = sizeof(proc_cols) / sizeof(proc_cols[0]);
		return proc_cols;
	}
	*n = sizeof(dev_cols) / sizeof(dev_cols[0]);
	return dev_cols;
}

static const char *col_title(const struct column *c, bool summary)
{
	return summary ? c->count_title : c->rate_title;
}

/* append to buf at *pos, never past len, and if cut, never inside a character */
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	size_t start = *pos;
	va_list ap;
	int n;

	if (*pos >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (*pos + (size_t)n < len) {
		*pos += (size_t)n;
		return;
	}
	*pos = start + devmem_utf8_cut(buf + start, len - 1 - start);
	buf[*pos] = '\0';
}

static void put_field(char *buf, size_t len, size_t *pos, const struct column *c,
		      const char *text, bool first)
{
	if (!first)
		put(buf, len, pos, " ");
	if (c->width > 0)
		put(buf, len, pos, "%*s", c->width, text);
	else if (c->width < 0)
		put(buf, len, pos, "%*s", c->width, text);
	else
		put(buf, len, pos, "%s", text);
}

void top_title_text(char *buf, size_t len, const struct top_frame *f, enum top_view v,
		    const struct top_sort *s, int *col, int *col_len)
{
	const struct column *cols;
	size_t n, pos = 0;
	bool first = true;

	if (col)
		*col = -1;
	if (col_len)
		*col_len = 0;
	buf[0] = '\0';
	cols = view_cols(v, &n);
	for (size_t i = 0; i < n; i++) {
		const char *t = col_title(&cols[i], f->summary);
		char marked[32];
		size_t start;

		if (!t)
			continue;
		if (cols[i].key >= 0 && s && cols[i].key == s->key[v]) {
			snprintf(marked, sizeof(marked), "*%s", t);
			t = marked;
		}
		start = pos + (first ? 0 : 1);
		put_field(buf, len, &pos, &cols[i], t, first);
		if (cols[i].key >= 0 && s && cols[i].key == s->key[v] && col && col_len) {
			*col = (int)start;
			*col_len = (int)(pos - start);
		}
		first = false;
	}
}

size_t top_row_count(const struct top_frame *f, enum top_view v)
{
	return v == TOP_VIEW_PROCESSES ? f->nr_procs : v == TOP_VIEW_DEVICES ? f->nr_devs :
	       f->nr_runs;
}

/* a figure: a count in summary frames, else a rate over the interval */
static void figure(char *buf, size_t len, const struct top_frame *f, __u64 count, int w)
{
	if (f->summary)
		snprintf(buf, len, "%*llu", w, (unsigned long long)count);
	else if (f->initial || !f->interval_ns)
		snprintf(buf, len, "%*s", w, "-");
	else
		top_fmt_rate(buf, len, (double)count * NSEC_PER_SEC / (double)f->interval_ns, w);
}

static void proc_field(char *buf, size_t len, const struct top_frame *f,
		       const struct top_proc_row *r, enum col_id id, int w)
{
	switch (id) {
	case C_PID:
		snprintf(buf, len, "%u", r->tgid);
		break;
	case C_FAULTS:
		figure(buf, len, f, r->c.faults, w);
		break;
	case C_WASTED:
		figure(buf, len, f, r->c.faults_wasted, w);
		break;
	case C_THRASH:
		/* pages, since the start: not a rate */
		if (f->thrash_on)
			snprintf(buf, len, "%llu", (unsigned long long)r->thrash_pages);
		else
			snprintf(buf, len, "-");
		break;
	case C_TO_DEVICE:
		figure(buf, len, f, r->c.pages_to_device, w);
		break;
	case C_TO_RAM:
		figure(buf, len, f, r->c.pages_to_ram, w);
		break;
	case C_ALLOCS:
		figure(buf, len, f, r->c.allocs, w);
		break;
	case C_FREES:
		figure(buf, len, f, r->c.frees, w);
		break;
	case C_P50:
		top_fmt_ns(buf, len, r->has_latency ? r->p50_ns : -1, false);
		break;
	case C_P99:
		top_fmt_ns(buf, len, r->has_latency ? r->p99_ns : -1, r->p99_saturated);
		break;
	case C_COMM:
		if (r->comm[0])
			devmem_sanitize(buf, len, r->comm, sizeof(r->comm), 0);
		else
			snprintf(buf, len, "?");
		break;
	default:
		snprintf(buf, len, "?");
	}
}

static void dev_field(char *buf, size_t len, const struct top_frame *f,
		      const struct top_dev_row *d, enum col_id id, int w)
{
	switch (id) {
	case C_RANGE:
		if (!d->nr_ranges)
			snprintf(buf, len, "-");
		else if (d->nr_ranges == 1)
			snprintf(buf, len, "%llx-%llx", (unsigned long long)d->start,
				 (unsigned long long)d->end);
		else
			snprintf(buf, len, "%llx-%llx+%u", (unsigned long long)d->start,
				 (unsigned long long)d->end, d->nr_ranges - 1);
		break;
	case C_SIZE:
		if (d->nr_ranges)
			top_fmt_bytes(buf, len, d->size_bytes);
		else
			snprintf(buf, len, "-");
		break;
	case C_IN_USE:
		/* without a start count, the net change since the start, signed */
		snprintf(buf, len, d->in_use_known ? "%lld" : "%+lld", d->in_use);
		break;
	case C_FAULTS:
		figure(buf, len, f, d->c.faults, w);
		break;
	case C_WASTED:
		figure(buf, len, f, d->c.faults_wasted, w);
		break;
	case C_THRASH:
		if (f->thrash_on)
			snprintf(buf, len, "%llu", (unsigned long long)d->thrash_pages);
		else
			snprintf(buf, len, "-");
		break;
	case C_MIGR:
		figure(buf, len, f, top_dev_migrations(d), w);
		break;
	case C_TO_DEVICE:
		figure(buf, len, f, d->c.pages_to_device, w);
		break;
	case C_TO_RAM:
		figure(buf, len, f, d->c.pages_to_ram, w);
		break;
	case C_ALLOCS:
		figure(buf, len, f, d->c.allocs, w);
		break;
	case C_FREES:
		figure(buf, len, f, d->c.frees, w);
		break;
	case C_NAME:
		if (d->name[0])	/* one word: scripts split the line at blanks */
			devmem_sanitize(buf, len, d->name, sizeof(d->name), DEVMEM_SANITIZE_SPACE);
		else if (d->owner)
			snprintf(buf, len, "owner:%llx", (unsigned long long)d->owner);
		else
			snprintf(buf, len, "?");
		break;
	default:
		snprintf(buf, len, "?");
	}
}

static void run_field(char *buf, size_t len, const struct top_thrash_row *r, enum col_id id)
{
	switch (id) {
	case C_PID:
		snprintf(buf, len, "%u", r->tgid);
		break;
	case C_PAGES:
		snprintf(buf, len, "%llu", (unsigned long long)r->npages);
		break;
	case C_BOUNCES:
		snprintf(buf, len, "%llu", (unsigned long long)r->bounces);
		break;
	case C_FAULTS:
		snprintf(buf, len, "%llu", (unsigned long long)r->faults);
		break;
	case C_WMAX:
		snprintf(buf, len, "%u", r->window_max);
		break;
	case C_TIME:
		top_fmt_ns(buf, len, (double)r->fault_ns, false);
		break;
	case C_ADDR:
		snprintf(buf, len, "%llx", (unsigned long long)r->vaddr);
		break;
	case C_TDEV:
		if (r->device[0])
			devmem_sanitize(buf, len, r->device, sizeof(r->device),
					DEVMEM_SANITIZE_SPACE);
		else
			snprintf(buf, len, "-");
		break;
	case C_COMM:
		if (r->comm[0])
			devmem_sanitize(buf, len, r->comm, sizeof(r->comm), 0);
		else
			snprintf(buf, len, "?");
		break;
	default:
		snprintf(buf, len, "?");
	}
}

void top_row_text(char *buf, size_t len, const struct top_frame *f, enum top_view v, size_t i)
{
	const struct column *cols;
	size_t n, pos = 0;
	bool first = true;

	buf[0] = '\0';
	if (i >= top_row_count(f, v))
		return;
	cols = view_cols(v, &n);
	for (size_t k = 0; k < n; k++) {
		char field[DEVMEM_SANITIZED_SIZE(sizeof(f->devs->name))];
		int w = cols[k].width > 0 ? cols[k].width : 0;

		if (!col_title(&cols[k], f->summary))
			continue;
		if (v == TOP_VIEW_PROCESSES)
			proc_field(field, sizeof(field), f, &f->procs[i], cols[k].id, w);
		else if (v == TOP_VIEW_DEVICES)
			dev_field(field, sizeof(field), f, &f->devs[i], cols[k].id, w);
		else
			run_field(field, sizeof(field), &f->runs[i], cols[k].id);
		put_field(buf, len, &pos, &cols[k], field, first);
		first = false;
	}
}

/* ---- header ---- */

static void clock_text(char *buf, size_t len, __u64 realtime_ns, bool date)
{
	time_t t = (time_t)(realtime_ns / 1000000000ULL);
	struct tm tm;

	if (!realtime_ns || !localtime_r(&t, &tm) ||
	    !strftime(buf, len, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm))
		snprintf(buf, len, "-");
}

static void line_out(FILE *out, const char *line, int width)
{
	if (width > 0)	/* by columns, never inside a character */
		fprintf(out, "%.*s\n", (int)devmem_str_cut(line, (size_t)width), line);
	else
		fprintf(out, "%s\n", line);
}

int top_header_text(FILE *out, const struct top_frame *f, const struct top_sort *s,
		    enum top_view v, const struct top_text_opts *o)
{
	char line[512], when[64], a[32], b[32], c[32], d[32], e[32], g[32];
	const struct devmem_counters *t = &f->total;
	size_t pos = 0;
	int lines = 0;

	/* a screen has room for the time only; logs want the date too */
	clock_text(when, sizeof(when), f->realtime_ns, o->width <= 0);
	put(line, sizeof(line), &pos, "devmemtop - %s  %s", when, o->source ? o->source : "live");
	if (f->mode != DEVMEM_MODE_NONE)
		put(line, sizeof(line), &pos, " (%s)", devmem_mode_name(f->mode));
	if (f->summary)
		put(line, sizeof(line), &pos, "  summary over %.1f s, %lu frames",
		    (double)f->elapsed_ns / NSEC_PER_SEC, f->number);
	else if (f->initial)
		put(line, sizeof(line), &pos, "  starting: first figures in %.1f s", o->delay_s);
	else
		put(line, sizeof(line), &pos, "  frame %lu (%.2f s)", f->number,
		    (double)f->interval_ns / NSEC_PER_SEC);
	if (o->paused)
		put(line, sizeof(line), &pos, "  [paused]");
	if (o->ended)
		put(line, sizeof(line), &pos, "  [end]");
	line_out(out, line, o->width);
	lines++;

	pos = 0;
	top_fmt_bytes(a, sizeof(a), f->ranges_bytes);
	put(line, sizeof(line), &pos, "Devices: %zu  ranges: %zu (%s)  processes: %zu  sort: %s %s",
	    f->nr_devs, f->nr_ranges, a, f->nr_procs,
	    s ? top_key_name(v, s->key[v]) : "-",
	    s ? ((top_key_descending(v, s->key[v]) != s->reverse[v]) ? "desc" : "asc") : "");
	line_out(out, line, o->width);
	lines++;

	pos = 0;
	figure(a, sizeof(a), f, t->faults, 0);
	figure(b, sizeof(b), f, t->faults_wasted, 0);
	figure(c, sizeof(c), f, t->pages_to_device, 0);
	figure(d, sizeof(d), f, t->pages_to_ram, 0);
	figure(e, sizeof(e), f, t->allocs, 0);
	figure(g, sizeof(g), f, t->frees, 0);
	put(line, sizeof(line), &pos,
	    "%s faults %s (wasted %s)  pages to device %s  to RAM %s  allocs %s  frees %s",
	    f->summary ? "Total:" : "Per second:", a, b, c, d, e, g);
	if (f->thrash_on)
		put(line, sizeof(line), &pos, "  thrashing pages %llu",
		    (unsigned long long)f->thrash_pages);
	line_out(out, line, o->width);
	lines++;

	pos = 0;
	top_fmt_ns(a, sizeof(a), f->has_latency ? f->p50_ns : -1, false);
	top_fmt_ns(b, sizeof(b), f->has_latency ? f->p99_ns : -1, f->p99_saturated);
	put(line, sizeof(line), &pos, "Fault latency: p50 %s  p99 %s  Lost events: %llu (%llu since start)",
	    a, b, (unsigned long long)(f->summary ? f->lost_since_start : f->lost),
	    (unsigned long long)f->lost_since_start);
	line_out(out, line, o->width);
	lines++;

	if (f->note[0]) {
		/* cut by the filter, between characters, to fit the line */
		char note[sizeof(line) - sizeof("Note: ")];

		devmem_sanitize(note, sizeof(note), f->note, sizeof(f->note), 0);
		pos = 0;
		put(line, sizeof(line), &pos, "Note: %s", note);
		line_out(out, line, o->width);
		lines++;
	}
	return lines;
}

void top_frame_print(FILE *out, const struct top_frame *f, const struct top_sort *s,
		     unsigned int views, const struct top_text_opts *o)
{
	char line[512];

	top_header_text(out, f, s, TOP_VIEW_PROCESSES, o);
	for (int v = 0; v < TOP_VIEW_COUNT; v++) {
		size_t n = top_row_count(f, v);

		if (!(views & (1U << v)))
			continue;
		/* nothing to show without thrashing detection (or an older recording) */
		if (v == TOP_VIEW_THRASH && !f->thrash_on)
			continue;
		fputc('\n', out);
		top_title_text(line, sizeof(line), f, v, s, NULL, NULL);
		line_out(out, line, o->width);
		if (o->rows >= 0 && (size_t)o->rows < n)
			n = (size_t)o->rows;
		for (size_t i = 0; i < n; i++) {
			top_row_text(line, sizeof(line), f, v, i);
			line_out(out, line, o->width);
		}
	}
	fputc('\n', out);
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop's tables as text (top_view.h): columns, titles, rows and what colour marks. */
#include <stdio.h>
#include <string.h>
#include "cli/sanitize.h"
#include "render/top_view.h"

/* ---- columns ---- */

enum col_id {
	C_PID, C_FAULTS, C_WASTED, C_THRASH, C_TO_DEVICE, C_TO_RAM, C_ALLOCS, C_FREES, C_P50, C_P99,
	C_COMM, C_RANGE, C_SIZE, C_IN_USE, C_USE, C_BAR, C_MIGR, C_NAME,
	C_PAGES, C_BOUNCES, C_WMAX, C_TIME, C_ADDR, C_TDEV,
};

/* a device's name: the first column, cut to this many terminal columns */
#define NAME_COLS	20
#define BAR_COLS	12

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
	{ C_THRASH, "THRASH", "THRASH", 7, TOP_PK_THRASH, false },
	{ C_TO_DEVICE, "TODEV/s", "TODEV", 8, TOP_PK_TO_DEVICE, false },
	{ C_TO_RAM, "TORAM/s", "TORAM", 8, TOP_PK_TO_RAM, false },
	{ C_ALLOCS, NULL, "ALLOCS", 8, -1, true },
	{ C_FREES, "FREE/s", "FREES", 8, TOP_PK_FREES, false },
	{ C_P50, "P50", "P50", 8, TOP_PK_P50, false },
	{ C_P99, "P99", "P99", 8, TOP_PK_P99, false },
	{ C_COMM, "COMMAND", "COMMAND", 0, TOP_PK_COMM, false },
};

/* the name first, then how full it is, then its traffic, its first range last */
static const struct column dev_cols[] = {
	{ C_NAME, "DEVICE", "DEVICE", -NAME_COLS, TOP_DK_NAME, false },
	{ C_SIZE, "SIZE", "SIZE", 6, TOP_DK_SIZE, false },
	{ C_IN_USE, "INUSE", "INUSE", 6, -1, false },
	{ C_USE, "USE%", "USE%", 5, TOP_DK_IN_USE, false },
	{ C_BAR, "", "", -BAR_COLS, -1, false },
	{ C_FAULTS, "FAULT/s", "FAULTS", 8, TOP_DK_FAULTS, false },
	{ C_WASTED, NULL, "WASTED", 8, -1, true },
	{ C_MIGR, "MIGR/s", NULL, 8, TOP_DK_MIGRATIONS, false },
	{ C_THRASH, "THRASH", "THRASH", 7, TOP_DK_THRASH, false },
	{ C_TO_DEVICE, NULL, "TODEV", 8, -1, true },
	{ C_TO_RAM, NULL, "TORAM", 8, -1, true },
	{ C_ALLOCS, NULL, "ALLOCS", 8, -1, true },
	{ C_FREES, "FREE/s", "FREES", 8, TOP_DK_FREES, false },
	{ C_RANGE, "RANGE", "RANGE", 0, TOP_DK_RANGE, false },
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

static void put_field(char *buf, size_t len, size_t *pos, const struct column *c,
		      const char *text, bool first)
{
	if (!first)
		top_put(buf, len, pos, " ");
	if (c->width > 0) {
		top_put(buf, len, pos, "%*s", c->width, text);
	} else if (c->width < 0) {
		/* padded by terminal columns: a name may hold wide or multi-byte characters */
		size_t cols = devmem_str_cols(text);

		top_put(buf, len, pos, "%s%*s", text, cols < (size_t)-c->width ?
		    (int)((size_t)-c->width - cols) : 0, "");
	} else {
		top_put(buf, len, pos, "%s", text);
	}
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

static void proc_field(char *buf, size_t len, const struct top_frame *f,
		       const struct top_proc_row *r, enum col_id id, int w)
{
	switch (id) {
	case C_PID:
		snprintf(buf, len, "%u", r->tgid);
		break;
	case C_FAULTS:
		top_figure(buf, len, f, r->c.faults, w);
		break;
	case C_WASTED:
		top_figure(buf, len, f, r->c.faults_wasted, w);
		break;
	case C_THRASH:
		/* pages, since the start: not a rate */
		if (f->thrash_on)
			snprintf(buf, len, "%llu", (unsigned long long)r->thrash_pages);
		else
			snprintf(buf, len, "-");
		break;
	case C_TO_DEVICE:
		top_figure(buf, len, f, r->c.pages_to_device, w);
		break;
	case C_TO_RAM:
		top_figure(buf, len, f, r->c.pages_to_ram, w);
		break;
	case C_ALLOCS:
		top_figure(buf, len, f, r->c.allocs, w);
		break;
	case C_FREES:
		top_figure(buf, len, f, r->c.frees, w);
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
	case C_IN_USE: {
		/* bytes, as SIZE; without a start count the net change since the start, signed */
		__u64 pages = d->in_use < 0 ? (__u64)-d->in_use : (__u64)d->in_use;
		char b[32];

		top_fmt_bytes(b, sizeof(b), pages * (d->page_bytes ? d->page_bytes : 4096));
		snprintf(buf, len, "%s%s", d->in_use < 0 ? "-" : d->in_use_known ? "" : "+", b);
		break;
	}
	case C_USE:
		if (d->fullness_known)
			snprintf(buf, len, "%.0f%%", d->fullness * 100);
		else
			snprintf(buf, len, d->nr_ranges ? "?" : "-");
		break;
	case C_BAR:
		top_fmt_bar(buf, len, d->fullness, d->fullness_known, BAR_COLS);
		break;
	case C_FAULTS:
		top_figure(buf, len, f, d->c.faults, w);
		break;
	case C_WASTED:
		top_figure(buf, len, f, d->c.faults_wasted, w);
		break;
	case C_THRASH:
		if (f->thrash_on)
			snprintf(buf, len, "%llu", (unsigned long long)d->thrash_pages);
		else
			snprintf(buf, len, "-");
		break;
	case C_MIGR:
		top_figure(buf, len, f, top_dev_migrations(d), w);
		break;
	case C_TO_DEVICE:
		top_figure(buf, len, f, d->c.pages_to_device, w);
		break;
	case C_TO_RAM:
		top_figure(buf, len, f, d->c.pages_to_ram, w);
		break;
	case C_ALLOCS:
		top_figure(buf, len, f, d->c.allocs, w);
		break;
	case C_FREES:
		top_figure(buf, len, f, d->c.frees, w);
		break;
	case C_NAME:
		if (d->name[0])	/* one word: scripts split the line at blanks */
			devmem_sanitize_cols(buf, len, d->name, sizeof(d->name), DEVMEM_SANITIZE_SPACE,
					     NAME_COLS);
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

/* where each field of a row went: its column and byte span */
struct field_pos {
	enum col_id id;
	size_t start, end;
};

static void row_text(char *buf, size_t len, const struct top_frame *f, enum top_view v,
		     size_t i, struct field_pos *fp, size_t *nfp)
{
	const struct column *cols;
	size_t n, pos = 0, nf = 0;
	bool first = true;

	buf[0] = '\0';
	if (nfp)
		*nfp = 0;
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
		if (!first)
			top_put(buf, len, &pos, " ");
		if (fp && nf < n)
			fp[nf] = (struct field_pos){ cols[k].id, pos, pos };
		put_field(buf, len, &pos, &cols[k], field, true);
		if (fp && nf < n)
			fp[nf++].end = pos;
		first = false;
	}
	if (nfp)
		*nfp = nf;
}

void top_row_text(char *buf, size_t len, const struct top_frame *f, enum top_view v, size_t i)
{
	row_text(buf, len, f, v, i, NULL, NULL);
}

enum top_mark top_fullness_mark(const struct top_dev_row *d)
{
	if (!d->fullness_known)
		return TOP_MARK_NONE;
	return d->fullness >= TOP_FULL_ALERT ? TOP_MARK_ALERT :
	       d->fullness >= TOP_FULL_WARN ? TOP_MARK_WARN : TOP_MARK_GOOD;
}

/* terminal columns of the first n bytes of s */
static int cols_of(const char *s, size_t n)
{
	char tmp[512];

	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return (int)devmem_str_cols(tmp);
}

size_t top_row_marks(const struct top_frame *f, enum top_view v, size_t i,
		     struct top_span *spans, size_t max)
{
	struct field_pos fp[16];
	char line[512];
	size_t nf, n = 0;

	if (v == TOP_VIEW_THRASH || i >= top_row_count(f, v))
		return 0;
	row_text(line, sizeof(line), f, v, i, fp, &nf);
	for (size_t k = 0; k < nf && n < max; k++) {
		enum top_mark m = TOP_MARK_NONE;
		size_t a = fp[k].start, b = fp[k].end;

		if (fp[k].id == C_THRASH && f->thrash_on)
			m = (v == TOP_VIEW_PROCESSES ? f->procs[i].thrash_pages :
			     f->devs[i].thrash_pages) ? TOP_MARK_ALERT : TOP_MARK_NONE;
		else if (fp[k].id == C_BAR && v == TOP_VIEW_DEVICES)
			m = top_fullness_mark(&f->devs[i]);
		else if (fp[k].id == C_USE && v == TOP_VIEW_DEVICES)
			m = top_fullness_mark(&f->devs[i]) >= TOP_MARK_WARN ?
			    top_fullness_mark(&f->devs[i]) : TOP_MARK_NONE;
		if (m == TOP_MARK_NONE)
			continue;
		/* the figure only, not the blanks that right-align it */
		while (a < b && line[a] == ' ')
			a++;
		while (b > a && line[b - 1] == ' ')
			b--;
		spans[n++] = (struct top_span){ cols_of(line, a), cols_of(line + a, b - a), m };
	}
	return n;
}


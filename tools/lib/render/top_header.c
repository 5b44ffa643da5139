// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop's header and batch frames as text (top_view.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli/sanitize.h"
#include "render/top_view.h"

#define NSEC_PER_SEC 1000000000.0

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
	top_put(line, sizeof(line), &pos, "devmemtop - %s  %s", when, o->source ? o->source : "live");
	if (f->mode != DEVMEM_MODE_NONE)
		top_put(line, sizeof(line), &pos, " (%s)", devmem_mode_name(f->mode));
	if (f->summary)
		top_put(line, sizeof(line), &pos, "  summary over %.1f s, %lu frames",
		    (double)f->elapsed_ns / NSEC_PER_SEC, f->number);
	else if (f->initial)
		top_put(line, sizeof(line), &pos, "  starting: first figures in %.1f s", o->delay_s);
	else
		top_put(line, sizeof(line), &pos, "  frame %lu (%.2f s)", f->number,
		    (double)f->interval_ns / NSEC_PER_SEC);
	if (o->speed > 0 && o->speed != 1)
		top_put(line, sizeof(line), &pos, "  %gx", o->speed);
	if (o->paused)
		top_put(line, sizeof(line), &pos, "  [paused]");
	if (o->ended)
		top_put(line, sizeof(line), &pos, "  [end]");
	line_out(out, line, o->width);
	lines++;

	pos = 0;
	top_fmt_bytes(a, sizeof(a), f->ranges_bytes);
	top_put(line, sizeof(line), &pos, "Devices: %zu  ranges: %zu (%s)  processes: %zu  sort: %s %s",
	    f->nr_devs, f->nr_ranges, a, f->nr_procs,
	    s ? top_key_name(v, s->key[v]) : "-",
	    s ? ((top_key_descending(v, s->key[v]) != s->reverse[v]) ? "desc" : "asc") : "");
	line_out(out, line, o->width);
	lines++;

	pos = 0;
	top_figure(a, sizeof(a), f, t->faults, 0);
	top_figure(b, sizeof(b), f, t->faults_wasted, 0);
	top_figure(c, sizeof(c), f, t->pages_to_device, 0);
	top_figure(d, sizeof(d), f, t->pages_to_ram, 0);
	top_figure(e, sizeof(e), f, t->allocs, 0);
	top_figure(g, sizeof(g), f, t->frees, 0);
	top_put(line, sizeof(line), &pos,
	    "%s faults %s (wasted %s)  pages to device %s  to RAM %s  allocs %s  frees %s",
	    f->summary ? "Total:" : "Per second:", a, b, c, d, e, g);
	if (f->thrash_on)
		top_put(line, sizeof(line), &pos, "  thrashing pages %llu",
		    (unsigned long long)f->thrash_pages);
	line_out(out, line, o->width);
	lines++;

	pos = 0;
	top_fmt_ns(a, sizeof(a), f->has_latency ? f->p50_ns : -1, false);
	top_fmt_ns(b, sizeof(b), f->has_latency ? f->p99_ns : -1, f->p99_saturated);
	top_put(line, sizeof(line), &pos, "Fault latency: p50 %s  p99 %s  Lost events: %llu (%llu since start)",
	    a, b, (unsigned long long)(f->summary ? f->lost_since_start : f->lost),
	    (unsigned long long)f->lost_since_start);
	line_out(out, line, o->width);
	lines++;

	if (f->note[0]) {
		/* cut by the filter, between characters, to fit the line */
		char note[sizeof(line) - sizeof("Note: ")];

		devmem_sanitize(note, sizeof(note), f->note, sizeof(f->note), 0);
		pos = 0;
		top_put(line, sizeof(line), &pos, "Note: %s", note);
		line_out(out, line, o->width);
		lines++;
	}
	return lines;
}

void top_empty_text(char *buf, size_t len, const struct top_frame *f, enum top_view v)
{
	char arg[DEVMEM_SANITIZED_SIZE(sizeof(f->device_arg))];
	char known[DEVMEM_SANITIZED_SIZE(sizeof(f->known_devices))];

	if (v == TOP_VIEW_DEVICES && f->no_device_match) {
		devmem_sanitize(arg, sizeof(arg), f->device_arg, sizeof(f->device_arg), 0);
		devmem_sanitize(known, sizeof(known), f->known_devices, sizeof(f->known_devices), 0);
		snprintf(buf, len, "(no device matches -D %s; the devices are: %s)", arg,
			 known[0] ? known : "none yet");
		return;
	}
	snprintf(buf, len, "%s", v == TOP_VIEW_PROCESSES ?
		 "(no process used device memory in this interval)" :
		 v == TOP_VIEW_DEVICES ? "(no device-private memory known)" :
		 f->thrash_on ? "(no page thrashes: more than K bounces to RAM within T)" :
		 "(thrashing detection is off: --no-thrash, or a recording without it)");
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
		/* a -D that matches nothing says so, rather than an empty table */
		if (v == TOP_VIEW_DEVICES && f->no_device_match) {
			top_empty_text(line, sizeof(line), f, v);
			line_out(out, line, o->width);
		}
	}
	fputc('\n', out);
}

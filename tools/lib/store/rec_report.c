// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Many recordings into one report: files are grouped by session (the rotated
 * parts of one recording), each recording's change within a time window is
 * taken and the changes are summed; the JSON rendering of that report.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "model/array.h"
#include "model/counts.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "store/record.h"

/* ---- windows ---------------------------------------------------------------- */

static int parse_bound(const char *s, double *v, bool *absolute, char *err, size_t errlen)
{
	char *end;

	*absolute = false;
	if (*s == '@') {
		*absolute = true;
		errno = 0;
		*v = strtod(s + 1, &end);
		if (end == s + 1 || *end || errno || !isfinite(*v) || *v < 0)
			goto bad;
		return 0;
	}
	if (strchr(s, '-') && strchr(s, 'T')) {
		struct tm tm = { 0 };
		const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
		time_t t;

		if (!rest || (*rest && strcmp(rest, "Z")))
			goto bad;
		tm.tm_isdst = -1;
		t = *rest ? timegm(&tm) : mktime(&tm);
		if (t == (time_t)-1)
			goto bad;
		*absolute = true;
		*v = (double)t;
		return 0;
	}
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(*v) || *v < 0)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "Bad window bound '%s': give seconds since the recording started "
		 "(10.5), @EPOCH_SECONDS or YYYY-MM-DDTHH:MM:SS[Z].", s);
	return -EINVAL;
}

int devmem_window_parse(const char *arg, struct devmem_window *w, char *err, size_t errlen)
{
	char buf[128], *comma;
	bool abs_start = false, abs_end = false;

	memset(w, 0, sizeof(*w));
	if (strlen(arg) >= sizeof(buf) || !(comma = strchr(strcpy(buf, arg), ','))) {
		snprintf(err, errlen, "Bad window '%s': give START,END (either may be empty), "
			 "e.g. -w 10,60.", arg);
		return -EINVAL;
	}
	*comma = '\0';
	if (buf[0]) {
		if (parse_bound(buf, &w->start, &abs_start, err, errlen))
			return -EINVAL;
		w->has_start = true;
	}
	if (comma[1]) {
		if (parse_bound(comma + 1, &w->end, &abs_end, err, errlen))
			return -EINVAL;
		w->has_end = true;
	}
	if (w->has_start && w->has_end && abs_start != abs_end) {
		snprintf(err, errlen, "Bad window '%s': both bounds must be relative seconds or "
			 "both absolute times.", arg);
		return -EINVAL;
	}
	w->absolute = abs_start || abs_end;
	if (w->has_start && w->has_end && w->end < w->start) {
		snprintf(err, errlen, "Bad window '%s': the end is before the start.", arg);
		return -EINVAL;
	}
	return 0;
}

/* ---- report: read, group by recording, window, sum ----------------------- */

struct part {
	const char *path;
	__u64 session, first_seq;
	struct devmem_recording_info info;
};

static int cmp_part(const void *a, const void *b)
{
	const struct part *x = a, *y = b;

	if (x->session != y->session)
		return x->session < y->session ? -1 : 1;
	return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

/* seconds on the window's scale: relative to the recording or the epoch */
static double frame_time(const struct devmem_recording_info *i, __u64 ts, bool absolute)
{
	double rel = (double)(ts - i->start_mono_ns) / 1e9;

	return absolute ? (double)i->start_realtime_ns / 1e9 + rel : rel;
}

static int add_point(struct devmem_rec_stream *st, const struct devmem_snapshot *cur,
		     const struct devmem_snapshot *prev, const struct devmem_recording_info *info)
{
	struct devmem_rec_point *pt;
	struct devmem_snapshot d;
	int ret;

	pt = devmem_array_grow(st->points, st->nr_points, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	st->points = pt;
	devmem_snapshot_init(&d);
	ret = devmem_snapshot_delta(&d, cur, prev);
	if (ret)
		return ret;
	pt = &st->points[st->nr_points++];
	memset(pt, 0, sizeof(*pt));
	pt->t = frame_time(info, cur->ts_ns, false);
	pt->dt = (double)d.interval_ns / 1e9;
	pt->c = d.total;
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
		pt->hist_count[k] = devmem_hist_total(&d.hist[k]);
	devmem_snapshot_free(&d);
	return 0;
}

/*
 * A recording keeps every process it saw; the processes of a report are
 * those alive in its window or active in it: one that exited before the
 * window began, with nothing in it, is left out.
 */
static void drop_gone_before(struct devmem_snapshot *d, __u64 start_ns)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nr_procs; i++) {
		const struct devmem_process *p = &d->procs[i];

		if (p->exit_ns && p->exit_ns <= start_ns && devmem_counters_none(&p->c))
			continue;
		d->procs[n++] = *p;
	}
	d->nr_procs = n;
}

static int load_stream(struct devmem_rec_report *rep, struct part *parts, size_t n,
		       const struct devmem_window *w, devmem_rec_frame_fn on_frame, void *ctx,
		       char *err, size_t errlen)
{
	struct devmem_rec_stream *st;
	struct devmem_snapshot base, last, prev, cur, delta;
	struct devmem_recording *before = NULL;
	bool have_base = false, have_last = false, have_prev = false;
	const struct devmem_recording_info *info0 = &parts[0].info;
	double from = 0;
	int ret = 0;

	st = &rep->streams[rep->nr_streams++];
	memset(st, 0, sizeof(*st));
	snprintf(st->host, sizeof(st->host), "%s", info0->host);
	snprintf(st->first_path, sizeof(st->first_path), "%s", parts[0].path);
	st->session = parts[0].session;
	st->start_realtime_ns = info0->start_realtime_ns;
	st->nr_files = (unsigned int)n;
	devmem_snapshot_init(&base);
	devmem_snapshot_init(&last);
	devmem_snapshot_init(&prev);
	devmem_snapshot_init(&cur);
	devmem_snapshot_init(&delta);

	/* the recording starts from zero before frame 0 */
	if (parts[0].first_seq == 0 &&
	    (!w->has_start || w->start <= frame_time(info0, info0->start_mono_ns, w->absolute))) {
		have_base = have_prev = true;
		st->from_zero = true;
		from = 0;
		base.ts_ns = prev.ts_ns = info0->start_mono_ns;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		struct devmem_recording *r;

		if (i && parts[i].first_seq == parts[i - 1].first_seq) {
			snprintf(err, errlen, "%s and %s hold the same part of one recording: give "
				 "each file once.", parts[i - 1].path, parts[i].path);
			ret = -EINVAL;
			break;
		}
		if (parts[i].info.start_mono_ns != info0->start_mono_ns ||
		    parts[i].info.start_realtime_ns != info0->start_realtime_ns) {
			snprintf(err, errlen, "%s: offset 24: its start time differs from %s of the "
				 "same recording; the file is corrupted.", parts[i].path,
				 parts[0].path);
			ret = -EINVAL;
			break;
		}
		ret = devmem_recording_open(parts[i].path, &r, err, errlen);
		if (ret)
			break;
		/* the processes of the parts before carry on */
		if (before) {
			devmem_recording_continue(r, before);
			devmem_recording_close(before);
			before = NULL;
		}
		while ((ret = devmem_recording_next(r, &cur, err, errlen)) == 1) {
			double t = frame_time(info0, cur.ts_ns, w->absolute);

			st->frames++;
			if (w->has_start && t <= w->start) {
				/* at or before the start: the newest one is the baseline */
				devmem_snapshot_free(&base);
				base = cur;
				devmem_snapshot_init(&cur);
				have_base = true;
				st->from_zero = false;
				from = frame_time(info0, base.ts_ns, false);
				have_prev = false;
				continue;
			}
			if (w->has_end && t > w->end)
				continue;	/* keep reading: the whole file is validated */
			if (on_frame) {
				ret = on_frame(ctx, st, info0, &cur, err, errlen);
				if (ret)
					break;
			}
			if (!have_base) {
				base = cur;
				devmem_snapshot_init(&cur);
				have_base = true;
				from = frame_time(info0, base.ts_ns, false);
				st->frames_in_window++;
				continue;
			}
			st->frames_in_window++;
			ret = add_point(st, &cur, have_prev ? &prev : &base, info0);
			if (ret) {
				snprintf(err, errlen, "Out of memory while reading %s.", parts[i].path);
				break;
			}
			devmem_snapshot_free(&prev);
			ret = devmem_snapshot_copy(&prev, &cur);
			if (ret)
				break;
			have_prev = true;
			devmem_snapshot_free(&last);
			last = cur;
			devmem_snapshot_init(&cur);
			have_last = true;
		}
		if (devmem_recording_truncated(r))
			st->truncated = true;
		before = r;
		if (ret > 0)
			ret = 0;
	}
	devmem_recording_close(before);
	if (!ret && have_last) {
		ret = devmem_snapshot_delta(&delta, &last, &base);
		if (!ret)
			drop_gone_before(&delta, base.ts_ns);
		if (!ret)
			ret = devmem_snapshot_add(&rep->total, &delta);
		if (ret)
			snprintf(err, errlen, "Out of memory while summing the recordings.");
		st->from = from;
		st->to = frame_time(info0, last.ts_ns, false);
	} else if (!ret) {
		st->from = st->to = from;
	}
	devmem_snapshot_free(&base);
	devmem_snapshot_free(&last);
	devmem_snapshot_free(&prev);
	devmem_snapshot_free(&cur);
	devmem_snapshot_free(&delta);
	return ret;
}

int devmem_rec_report_load(struct devmem_rec_report *rep, const char *const *paths,
			   size_t nr_paths, const struct devmem_window *w,
			   char *err, size_t errlen)
{
	return devmem_rec_report_load_frames(rep, paths, nr_paths, w, NULL, NULL, err, errlen);
}

int devmem_rec_report_load_frames(struct devmem_rec_report *rep, const char *const *paths,
				  size_t nr_paths, const struct devmem_window *w,
				  devmem_rec_frame_fn on_frame, void *ctx, char *err, size_t errlen)
{
	static const struct devmem_window all;
	struct part *parts;
	size_t i, start;
	int ret = 0;

	memset(rep, 0, sizeof(*rep));
	devmem_snapshot_init(&rep->total);
	if (!w)
		w = &all;
	rep->window = *w;
	if (!nr_paths) {
		snprintf(err, errlen, "No recording given: name one or more files written by "
			 "'devmemhist record'.");
		return -EINVAL;
	}
	parts = calloc(nr_paths, sizeof(*parts));
	rep->streams = calloc(nr_paths, sizeof(*rep->streams));
	if (!parts || !rep->streams) {
		free(parts);
		snprintf(err, errlen, "Out of memory.");
		return -ENOMEM;
	}
	/* headers first: they say which files are parts of one recording */
	for (i = 0; i < nr_paths && !ret; i++) {
		struct devmem_recording *r;

		ret = devmem_recording_open(paths[i], &r, err, errlen);
		if (ret)
			break;
		parts[i].path = paths[i];
		parts[i].session = devmem_recording_session(r);
		parts[i].first_seq = devmem_recording_first_seq(r);
		parts[i].info = *devmem_recording_info(r);
		devmem_recording_close(r);
	}
	if (!ret)
		qsort(parts, nr_paths, sizeof(*parts), cmp_part);
	for (start = 0, i = 1; !ret && i <= nr_paths; i++) {
		if (i < nr_paths && parts[i].session == parts[start].session)
			continue;
		ret = load_stream(rep, parts + start, i - start, w, on_frame, ctx, err, errlen);
		start = i;
	}
	free(parts);
	if (!ret)
		devmem_snapshot_sort(&rep->total);
	return ret;
}

void devmem_rec_report_free(struct devmem_rec_report *rep)
{
	for (size_t i = 0; i < rep->nr_streams; i++)
		free(rep->streams[i].points);
	free(rep->streams);
	devmem_snapshot_free(&rep->total);
	memset(rep, 0, sizeof(*rep));
}
/* ---- JSON (jansson) -------------------------------------------------------- */

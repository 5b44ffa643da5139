/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The screen model of devmemtop: rows per process and per device built from
 * snapshots, their sort orders, column formatting and the text of a frame.
 * Plain C without curses or BPF, so every figure on the screen is unit-tested.
 *
 * A frame is built from two snapshots: the delta of the interval it shows
 * (devmem_snapshot_delta) and the cumulative snapshot since the tool started
 * (pages in use need it). A summary frame shows counts since the start
 * instead of rates: then both are the cumulative snapshot.
 */
#ifndef DEVMEM_TOP_VIEW_H
#define DEVMEM_TOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "model/device_filter.h"
#include "model/snapshot.h"

enum top_view {
	TOP_VIEW_PROCESSES = 0,
	TOP_VIEW_DEVICES,
	TOP_VIEW_THRASH,		/* runs of thrashing pages */
	TOP_VIEW_COUNT,
};

/* Columns that can be sort keys, per view, in screen order. */
enum top_proc_key {
	TOP_PK_PID = 0,
	TOP_PK_FAULTS,
	TOP_PK_THRASH,
	TOP_PK_TO_DEVICE,
	TOP_PK_TO_RAM,
	TOP_PK_FREES,
	TOP_PK_P50,
	TOP_PK_P99,
	TOP_PK_COMM,
	TOP_PK_COUNT,
};

enum top_dev_key {
	TOP_DK_NAME = 0,
	TOP_DK_SIZE,
	TOP_DK_IN_USE,			/* by fullness: the fraction of the device in use */
	TOP_DK_FAULTS,
	TOP_DK_MIGRATIONS,
	TOP_DK_THRASH,
	TOP_DK_FREES,
	TOP_DK_RANGE,
	TOP_DK_COUNT,
};

enum top_thrash_key {
	TOP_TK_PID = 0,
	TOP_TK_PAGES,
	TOP_TK_BOUNCES,
	TOP_TK_FAULT_TIME,
	TOP_TK_COUNT,
};

/* a run of thrashing pages of one process and pagemap, since the start */
struct top_thrash_row {
	__u32 tgid;
	__u32 window_max;		/* most bounces of one of its pages within T */
	char comm[DEVMEM_COMM_LEN];	/* as read: filtered when shown */
	char device[DEVMEM_NAME_LEN];	/* "" if unknown */
	__u64 vaddr, npages, bounces, faults, fault_ns;
};

struct top_proc_row {
	__u32 tgid;
	bool exited;			/* gone by the end of the interval */
	char comm[DEVMEM_COMM_LEN];	/* as the kernel gave it: filtered when shown */
	struct devmem_counters c;	/* over the frame's interval */
	bool has_latency;		/* fault latency samples in the interval */
	double p50_ns, p99_ns;
	bool p99_saturated;		/* p99 is a lower bound */
	__u64 thrash_pages;		/* its pages thrashing since the start */
};

struct top_dev_row {
	__u64 owner;			/* of its live ranges; 0: not known */
	char name[64];			/* the device's name as read: filtered when shown */
	__u64 start, end;		/* first range; start = end = 0: none known */
	unsigned int nr_ranges;
	__u64 size_bytes;
	/*
	 * Pages in use: allocs - frees since the start plus what discovery
	 * reported at the start. Without a known start count only the net
	 * change since the start is known (in_use_known false).
	 */
	long long in_use;
	bool in_use_known;
	long long in_use_change;	/* allocs - frees since the start */
	__u64 nr_pages;			/* pages of its live ranges, as the snapshot counts them */
	__u64 page_bytes;		/* the page size the byte figures use */
	/* in_use of size_bytes; known with in_use_known and a size */
	bool fullness_known;
	double fullness;
	struct devmem_counters c;	/* over the frame's interval */
	__u64 thrash_pages;		/* pages on it thrashing since the start */
};

struct top_frame {
	__u64 ts_ns;			/* CLOCK_MONOTONIC of the snapshot */
	__u64 realtime_ns;		/* wall clock of the snapshot, 0: unknown */
	__u64 interval_ns;		/* what the rates cover */
	__u64 elapsed_ns;		/* since the start (summary) */
	bool initial;			/* before the first interval: no rates */
	bool summary;			/* counts since the start, not rates */
	unsigned long number;		/* frame number, 0 = initial */
	enum devmem_mode mode;
	struct devmem_counters total;	/* over the interval (summary: since start) */
	bool has_latency;
	double p50_ns, p99_ns;
	bool p99_saturated;
	__u64 lost;			/* lost events in the interval */
	__u64 lost_since_start;
	size_t nr_ranges;
	__u64 ranges_bytes;
	struct top_proc_row *procs;
	size_t nr_procs;
	struct top_dev_row *devs;
	size_t nr_devs;
	char note[256];			/* from the snapshot (e.g. ranges unknown), as read */
	/* -D matched no device: its argument, and the devices there are, as read */
	bool no_device_match;
	char device_arg[64];
	char known_devices[256];
	bool thrash_on;			/* thrashing detection is on */
	__u64 thrash_pages;		/* pages thrashing since the start */
	__u32 thrash_k;			/* ... more than K bounces */
	__u64 thrash_window_ns;		/* ... within T */
	struct top_thrash_row *runs;	/* the thrash view's rows */
	size_t nr_runs;
};

/*
 * What rows a frame keeps. With tgid the header's totals, latency and
 * thrashing are that process's too.
 */
struct top_filter {
	__u32 tgid;			/* 0: every process */
	const struct devmem_device_filter *device;	/* NULL: every device */
};

struct top_sort {
	int key[TOP_VIEW_COUNT];	/* enum top_proc_key / top_dev_key / top_thrash_key */
	bool reverse[TOP_VIEW_COUNT];	/* against the key's natural order */
};

void top_frame_init(struct top_frame *f);
void top_frame_free(struct top_frame *f);	/* and re-init */

/*
 * Build f from the interval's delta and the cumulative snapshot (the same
 * pointer twice for a summary frame, with summary set by the caller before
 * or after: only pages in use read cum). Returns 0 or -ENOMEM.
 */
int top_frame_build(struct top_frame *f, const struct devmem_snapshot *delta,
		    const struct devmem_snapshot *cum, const struct top_filter *filter);

/* Does a device row match a -D filter (owner or range start as a number, or name)? */

/* ---- sorting ---- */

/* pages a device migrated in the frame's interval, both ways */
static inline __u64 top_dev_migrations(const struct top_dev_row *d)
{
	return d->c.pages_to_device + d->c.pages_to_ram;
}

void top_sort_init(struct top_sort *s);	/* faults, descending, in both views */
const char *top_key_name(enum top_view v, int key);	/* "faults", "inuse", ... */
/*
 * Find a -s key by name in view v (or -1). Names: pid faults thrash todev
 * toram frees p50 p99 comm; name size inuse (by fullness) faults migr thrash
 * frees range; pid pages bounces time.
 */
int top_key_parse(enum top_view v, const char *name);
/* descending by default for figures, ascending for pid, comm, range, name */
bool top_key_descending(enum top_view v, int key);
void top_sort_rows(struct top_frame *f, const struct top_sort *s);

/* ---- formatting: fixed-width fields, never wider than asked ---- */

/* rate or count in a field of width w: 12, 12.5, 123.4k, 5.6M, "-" */
void top_fmt_rate(char *buf, size_t len, double v, int w);
/* nanoseconds: 850ns, 12.3us, 1.5ms, 2.10s; saturated adds '>' */
void top_fmt_ns(char *buf, size_t len, double ns, bool saturated);
/* bytes in binary units: 512B, 64K, 256M, 1.5G */
void top_fmt_bytes(char *buf, size_t len, __u64 bytes);
/* a fraction as a bar of w columns, "[####....]" (one word); unknown: "-" */
void top_fmt_bar(char *buf, size_t len, double fraction, bool known, int w);
/* a count (summary frames) or a rate over the interval, in w columns; "-" before the first */
void top_figure(char *buf, size_t len, const struct top_frame *f, __u64 count, int w);
/* printf at buf + *pos, never past len and never cutting a character; *pos moves on */
void top_put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- what colour says: spans of a row that carry a meaning ---- */

enum top_mark {
	TOP_MARK_NONE = 0,
	TOP_MARK_GOOD,			/* a device with room */
	TOP_MARK_WARN,			/* a device at TOP_FULL_WARN or more */
	TOP_MARK_ALERT,			/* a device at TOP_FULL_ALERT or more; thrashing */
};

#define TOP_FULL_WARN	0.75
#define TOP_FULL_ALERT	0.90

struct top_span {
	int col, cols;			/* terminal columns of row i's text */
	enum top_mark mark;
};

/* the spans of row i of view v that a colour marks; returns how many (at most max) */
size_t top_row_marks(const struct top_frame *f, enum top_view v, size_t i,
		     struct top_span *spans, size_t max);
/* the mark of a device's fullness */
enum top_mark top_fullness_mark(const struct top_dev_row *d);

/* ---- frame text ---- */

struct top_text_opts {
	const char *source;		/* "live" or "replay FILE" */
	double delay_s;			/* the refresh interval asked for */
	bool paused;
	bool ended;			/* a replay has no more frames */
	double speed;			/* a replay's pace (1: as recorded); 0: not a replay */
	int rows;			/* table rows at most; <0: all */
	int width;			/* line width at most; <=0: unlimited */
};

/* The header: a few lines, each ended by '\n'. Returns the number of lines. */
int top_header_text(FILE *out, const struct top_frame *f, const struct top_sort *s,
		    enum top_view v, const struct top_text_opts *o);
/*
 * The title line of view v's table (no '\n'); the sort column's title is
 * marked with '*'. col/col_len give that title's position for highlighting.
 */
void top_title_text(char *buf, size_t len, const struct top_frame *f, enum top_view v,
		    const struct top_sort *s, int *col, int *col_len);
/* what an empty table of view v says instead (no '\n'): which -D matched nothing */
void top_empty_text(char *buf, size_t len, const struct top_frame *f, enum top_view v);
/* row i of view v's table (no '\n') */
void top_row_text(char *buf, size_t len, const struct top_frame *f, enum top_view v, size_t i);
size_t top_row_count(const struct top_frame *f, enum top_view v);
/*
 * A whole batch frame: header, a blank line, the table of each view asked
 * (views: bit 1 << enum top_view), a blank line after each. Plain text only.
 */
void top_frame_print(FILE *out, const struct top_frame *f, const struct top_sort *s,
		     unsigned int views, const struct top_text_opts *o);
/* one JSON object on one line; 0 or -errno */
int top_frame_json(FILE *out, const struct top_frame *f, const struct top_text_opts *o);

#endif /* DEVMEM_TOP_VIEW_H */

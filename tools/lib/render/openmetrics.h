/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A snapshot as metrics for Prometheus (openmetrics.c): the Prometheus text
 * format 0.0.4 or OpenMetrics 1.0, plain C, no BPF. devmem-exporter serves
 * it, its textfile mode writes it for node_exporter, and recordings are
 * exported through it with one timestamped sample set per frame
 * (devmem_om_history_*, used by rec_openmetrics.c).
 *
 * Names and labels (docs/prometheus.md has the table):
 *   devmem_<counter>_total             totals of the kernel side
 *   devmem_device_<counter>_total      the same per device {device}
 *   devmem_process_<counter>_total     per live process {pid, comm} (opt-in)
 *   devmem_folios_{allocated, freed, migrated}_total
 *                                      folios by {order} (migrated: {direction});
 *                                      devmem_device_folios_* per device {device}
 *   devmem_{fault_latency_seconds, migrate_pages, page_lifetime_seconds,
 *     remove_wait_seconds}             histograms; devmem_device_* {device}
 *   devmem_range_*, devmem_device_*    gauges of live ranges {device, range}
 *   devmem_lost_events_total{kind}     losses, never dropped silently
 *   devmem_exporter_*, process_*       the exporter's own cost
 * Totals and per-device series are separate families, so that sum() over a
 * family never counts an event twice.
 *
 * Histogram buckets: slot i of the log2 histograms holds the integers
 * [2^i, 2^(i+1) - 1] (slot 0: 0 and 1), so its exact upper bound is
 * le = 2^(i+1) - 1 in the recorded unit (ns, shown in seconds: slot 0 is
 * le="1e-09", slot 9 le="1.023e-06"; pages: le="1.0", "3.0", "7.0").
 * Buckets go up to slot DEVMEM_HIST_SLOTS - 2; the open-ended last slot is
 * only in le="+Inf", which equals _count. le values are written in the
 * canonical OpenMetrics form (Go's %g, ".0" added to integers) in both
 * formats, so both give the same series.
 *
 * Every string from the kernel or a file (device and process names) goes
 * through sanitize.h's filter before label escaping (\\, \", \n).
 */
#ifndef DEVMEM_OPENMETRICS_H
#define DEVMEM_OPENMETRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "kernel/session.h"
#include "model/snapshot.h"

enum devmem_om_format {
	DEVMEM_OM_PROMETHEUS = 0,	/* text format 0.0.4 */
	DEVMEM_OM_OPENMETRICS,		/* OpenMetrics 1.0 text, ends in # EOF */
};

#define DEVMEM_OM_CTYPE_PROMETHEUS	"text/plain; version=0.0.4; charset=utf-8"
#define DEVMEM_OM_CTYPE_OPENMETRICS	"application/openmetrics-text; version=1.0.0; charset=utf-8"

/* le bounds per histogram: slots 0 .. DEVMEM_HIST_SLOTS - 2, then +Inf */
#define DEVMEM_OM_BUCKETS		(DEVMEM_HIST_SLOTS - 1)

/* a growing text buffer; zero-initialised is empty */
struct devmem_om_buf {
	char *data;
	size_t len, cap;
	bool failed;		/* an allocation failed: the text is incomplete */
};

void devmem_om_buf_free(struct devmem_om_buf *b);

/* HTTP responses the exporter sent, by status code */
struct devmem_om_code_count {
	int code;
	__u64 count;
};

/* The exporter's own cost; what a field could not be read as is said below. */
struct devmem_om_self {
	double cpu_seconds;		/* user + system; < 0: unknown */
	__u64 rss_bytes;		/* 0: unknown */
	double start_time_seconds;	/* since the epoch; 0: unknown */
	long open_fds;			/* < 0: unknown */
	int bpf_stats_enabled;		/* kernel.bpf_stats_enabled: 1, 0, < 0 unknown */
	const struct devmem_prog_stat *progs;	/* its programs: run time only if stats are on */
	size_t nr_progs;
	const struct devmem_om_code_count *codes;
	size_t nr_codes;
};

/* a label on every series (e.g. host and session of a recording) */
struct devmem_om_label {
	const char *name;	/* a valid label name */
	const char *value;	/* sanitized and escaped here */
};

struct devmem_om_opts {
	enum devmem_om_format format;
	bool per_process;		/* devmem_process_* series of live processes */
	size_t max_processes;		/* at most this many (the most active ones) */
	__u64 page_size;		/* for range sizes in bytes; 0: leave them out */
	const struct devmem_om_self *self;	/* NULL: leave the exporter's own out */
	const struct devmem_om_label *labels;	/* on every series */
	size_t nr_labels;
};

/*
 * Append the metrics of s to out (OpenMetrics: with the final "# EOF").
 * 0, or -ENOMEM (out->failed is set; the text is incomplete).
 */
int devmem_om_render(struct devmem_om_buf *out, const struct devmem_snapshot *s,
		     const struct devmem_om_opts *o);

/*
 * A label value as either format writes it: sanitized (sanitize.h), then
 * \\, \" and \n escaped. At most srclen bytes of src; returns dst.
 */
char *devmem_om_label_value(char *dst, size_t size, const char *src, size_t srclen);
/* bytes devmem_om_label_value() may need for srclen bytes, NUL included */
#define DEVMEM_OM_LABEL_SIZE(srclen)	(2 * (4 * (srclen)) + 1)

/*
 * The slots a histogram of kind exports as buckets, first to last (the
 * first also counts every slot below it, the slots above are only in +Inf).
 */
void devmem_om_bucket_range(unsigned int kind, unsigned int *first, unsigned int *last);
/* the le value of histogram slot i (< DEVMEM_OM_BUCKETS), ns shown as seconds or not */
void devmem_om_le(char *buf, size_t len, unsigned int slot, bool ns_to_seconds);

/*
 * The per-process selection the exporter makes: processes alive in s (one
 * per pid, the latest start), the max most active (faults + pages moved +
 * allocs + frees, ties by pid) kept, sorted by pid. Returns how many were
 * kept (<= max) in keep[] (indexes into s->procs), *alive the number alive.
 * keep must hold s->nr_procs entries; -ENOMEM if scratch space fails.
 */
long devmem_om_select_procs(const struct devmem_snapshot *s, size_t max, size_t *keep,
			    size_t *alive);

/*
 * A history: many snapshots of one or more sources, each with its
 * timestamp, as one OpenMetrics 1.0 exposition whose families, series and
 * points are in the order the format wants (no family or series
 * interleaved, points of a series in time order).
 */
struct devmem_om_history;

struct devmem_om_history *devmem_om_history_new(void);
/*
 * The series of s at ts_ms (milliseconds since the epoch). replace: this
 * snapshot takes the place of the one added just before (same source,
 * same millisecond). 0 or -ENOMEM.
 */
int devmem_om_history_add(struct devmem_om_history *h, const struct devmem_snapshot *s,
			  const struct devmem_om_opts *o, __u64 ts_ms, bool replace);
/* bytes of text held so far */
size_t devmem_om_history_bytes(const struct devmem_om_history *h);
/* the exposition, "# EOF" last; 0 or -EIO */
int devmem_om_history_write(const struct devmem_om_history *h, FILE *out);
void devmem_om_history_free(struct devmem_om_history *h);

#endif /* DEVMEM_OPENMETRICS_H */

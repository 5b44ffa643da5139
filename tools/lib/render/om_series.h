/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The series engine under the metrics (om_series.c), for the catalogue of
 * openmetrics.c: families, labels, samples, and the two sinks they go to
 * (a scrape's text, or a history of series with timestamps).
 */
#ifndef DEVMEM_RENDER_OM_SERIES_H
#define DEVMEM_RENDER_OM_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include "render/openmetrics.h"

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

struct om_ctx {
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

/* a family: its name is prefix + base; its TYPE, UNIT and HELP lines */
void om_family(struct om_ctx *c, const char *prefix, const char *base, enum om_type type,
	       const char *unit, const char *help);
/* the labels of the next series: none, then one by one */
void om_labels_reset(struct om_ctx *c);
void om_label(struct om_ctx *c, const char *name, const char *value, size_t maxlen);
/* a series of the family with the labels given */
void om_metric(struct om_ctx *c);
/* a sample of the series: its name's suffix, extra labels, the value as text */
void om_sample(struct om_ctx *c, const char *suffix, const char *extra, const char *value);
void om_sample_u64(struct om_ctx *c, const char *suffix, __u64 v);
void om_fmt_u64(char *buf, size_t len, __u64 v);
/* ns as seconds, exactly, in decimal */
void om_fmt_ns_seconds(char *buf, size_t len, __u64 ns);
/* the end of a walk: the EOF line of a scrape; 0 or -ENOMEM */
int om_finish(struct om_ctx *c);
/* a history's next add (replace: instead of the last one); false once it failed */
bool om_history_begin(struct devmem_om_history *h, bool replace);
void om_history_failed(struct devmem_om_history *h);

#endif /* DEVMEM_RENDER_OM_SERIES_H */

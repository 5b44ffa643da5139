// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop's frame as JSON (top_view.h). */
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

/* ---- JSON ---- */

static json_t *rates_json(const struct top_frame *f, const struct devmem_counters *c)
{
	double secs = (double)f->interval_ns / NSEC_PER_SEC;
	json_t *o;

	if (f->summary || f->initial || !f->interval_ns)
		return json_null();
	o = json_object();
	json_object_set_new(o, "faults", json_real((double)c->faults / secs));
	json_object_set_new(o, "pages_to_device", json_real((double)c->pages_to_device / secs));
	json_object_set_new(o, "pages_to_ram", json_real((double)c->pages_to_ram / secs));
	json_object_set_new(o, "allocs", json_real((double)c->allocs / secs));
	json_object_set_new(o, "frees", json_real((double)c->frees / secs));
	return o;
}

static json_t *latency_json(bool has, double p50, double p99, bool sat)
{
	if (!has)
		return json_null();
	return json_pack("{s:f,s:f,s:b}", "p50", p50, "p99", p99, "p99_saturated", sat);
}

int top_frame_json(FILE *out, const struct top_frame *f, const struct top_text_opts *o)
{
	json_t *root = json_object(), *procs = json_array(), *devs = json_array();
	int err = 0;

	if (!root || !procs || !devs) {
		err = -ENOMEM;
		goto out;
	}
	json_object_set_new(root, "type", json_string(f->summary ? "summary" :
						      f->initial ? "initial" : "frame"));
	json_object_set_new(root, "frame", json_integer((json_int_t)f->number));
	json_object_set_new(root, "source", json_string(o && o->source ? o->source : "live"));
	json_object_set_new(root, "mode", json_string(devmem_mode_name(f->mode)));
	json_object_set_new(root, "ts_ns", json_integer((json_int_t)f->ts_ns));
	json_object_set_new(root, "realtime_ns", json_integer((json_int_t)f->realtime_ns));
	json_object_set_new(root, "interval_ns", json_integer((json_int_t)f->interval_ns));
	if (f->summary)
		json_object_set_new(root, "elapsed_ns", json_integer((json_int_t)f->elapsed_ns));
	json_object_set_new(root, "counters", devmem_json_counters(f->mode, &f->total));
	json_object_set_new(root, "rates", rates_json(f, &f->total));
	json_object_set_new(root, "fault_latency_ns",
			    latency_json(f->has_latency, f->p50_ns, f->p99_ns, f->p99_saturated));
	/* as in a snapshot: the losses of what this object covers */
	json_object_set_new(root, "lost", json_pack("{s:I}", "total", (json_int_t)f->lost));
	json_object_set_new(root, "lost_since_start", json_integer((json_int_t)f->lost_since_start));
	if (f->note[0])
		json_object_set_new(root, "note", devmem_json_str(f->note, sizeof(f->note)));
	/* pages thrashing since the start; null when detection is off */
	json_object_set_new(root, "thrash_pages", f->thrash_on ?
			    json_integer((json_int_t)f->thrash_pages) : json_null());
	for (size_t i = 0; i < f->nr_procs; i++) {
		const struct top_proc_row *r = &f->procs[i];

		json_array_append_new(procs, json_pack("{s:I,s:o,s:b,s:o,s:o,s:o,s:o}",
			"tgid", (json_int_t)r->tgid,
			"comm", devmem_json_str(r->comm, sizeof(r->comm)), "exited", r->exited,
			"counters", devmem_json_counters(f->mode, &r->c),
			"rates", rates_json(f, &r->c),
			"fault_latency_ns", latency_json(r->has_latency, r->p50_ns, r->p99_ns,
							 r->p99_saturated),
			"thrash_pages", f->thrash_on ? json_integer((json_int_t)r->thrash_pages) :
				json_null()));
	}
	for (size_t i = 0; i < f->nr_devs; i++) {
		const struct top_dev_row *d = &f->devs[i];
		json_t *dj = json_object();

		/* a snapshot's device keys first, with the same meaning */
		json_object_set_new(dj, "name", devmem_json_str(d->name, sizeof(d->name)));
		json_object_set_new(dj, "owner", d->owner ? devmem_json_hex(d->owner) :
				    json_null());
		json_object_set_new(dj, "ranges", json_integer(d->nr_ranges));
		json_object_set_new(dj, "pages", json_integer((json_int_t)d->nr_pages));
		json_object_set_new(dj, "start", d->nr_ranges ? devmem_json_hex(d->start) :
				    json_null());
		json_object_set_new(dj, "end", d->nr_ranges ? devmem_json_hex(d->end) :
				    json_null());
		json_object_set_new(dj, "size_bytes", json_integer((json_int_t)d->size_bytes));
		/* a value that could not be observed is null, never a guess */
		json_object_set_new(dj, "pages_in_use", d->in_use_known ? json_integer(d->in_use) :
				    json_null());
		json_object_set_new(dj, "pages_in_use_change", json_integer(d->in_use_change));
		json_object_set_new(dj, "bytes_in_use", d->in_use_known ?
				    json_integer((json_int_t)(d->in_use * (long long)d->page_bytes)) :
				    json_null());
		/* pages in use of those mapped; null when either is unknown */
		json_object_set_new(dj, "fullness", d->fullness_known ? json_real(d->fullness) :
				    json_null());
		json_object_set_new(dj, "counters", devmem_json_counters(f->mode, &d->c));
		json_object_set_new(dj, "rates", rates_json(f, &d->c));
		json_object_set_new(dj, "thrash_pages", f->thrash_on ?
				    json_integer((json_int_t)d->thrash_pages) : json_null());
		json_array_append_new(devs, dj);
	}
	json_object_set_new(root, "processes", procs);
	json_object_set_new(root, "devices", devs);
	procs = devs = NULL;
	{
		json_t *runs = json_array();

		for (size_t i = 0; i < f->nr_runs; i++) {
			const struct top_thrash_row *r = &f->runs[i];

			json_array_append_new(runs, json_pack("{s:I,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I}",
				"tgid", (json_int_t)r->tgid,
				"comm", devmem_json_str(r->comm, sizeof(r->comm)),
				"device", r->device[0] ? devmem_json_str(r->device, sizeof(r->device)) :
					json_null(),
				"address", (json_int_t)r->vaddr, "pages", (json_int_t)r->npages,
				"bounces", (json_int_t)r->bounces, "faults", (json_int_t)r->faults,
				"fault_ns", (json_int_t)r->fault_ns,
				"window_max", (json_int_t)r->window_max));
		}
		json_object_set_new(root, "thrash_runs", runs);
	}
	if (json_dumpf(root, out, JSON_COMPACT | JSON_ENSURE_ASCII) || fputc('\n', out) == EOF)
		err = -EIO;
out:
	json_decref(procs);
	json_decref(devs);
	json_decref(root);
	return err;
}

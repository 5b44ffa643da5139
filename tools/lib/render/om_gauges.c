// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The gauges of the metrics (om_gauges.h): how big and how full each range
 * and device is, in pages and in bytes, and how many pages thrash, in
 * total, per device and per process.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "model/snapshot.h"
#include "render/inventory.h"
#include "render/om_gauges.h"
#include "render/thrash_runs.h"

void om_pid_labels(struct om_ctx *c, const struct devmem_process *p)
{
	char pid[16];

	om_labels_reset(c);
	snprintf(pid, sizeof(pid), "%u", p->tgid);
	om_label(c, "pid", pid, sizeof(pid));
	om_label(c, "comm", p->comm, sizeof(p->comm));
}

/* a device's gauge: pages, and bytes where the page size is known */
static void device_sample(struct om_ctx *c, const char *device, size_t len, __u64 v)
{
	om_labels_reset(c);
	om_label(c, "device", device, len);
	om_metric(c);
	om_sample_u64(c, "", v);
}

void om_render_gauges(struct om_ctx *c, const struct devmem_snapshot *s)
{
	struct devmem_inventory inv = {};
	static const struct {
		const char *name, *unit, *help;
		bool bytes, in_use;
	} g[] = {
		{ "in_use_pages", "pages", "Pages of a live range in use (handed out, not freed)",
		  false, true },
		{ "in_use_bytes", "bytes", "Bytes of a live range in use", true, true },
		{ "size_pages", "pages", "Pages of a live range", false, false },
		{ "size_bytes", "bytes", "Bytes of a live range", true, false },
	};
	__u64 page = c->o->page_size;

	if (devmem_inv_from_snapshot(&inv, s)) {
		devmem_inv_free(&inv);
		c->err = -ENOMEM;
		return;
	}
	devmem_inv_sort(&inv);
	for (unsigned int k = 0; k < sizeof(g) / sizeof(g[0]); k++) {
		if (g[k].bytes && !page)
			continue;
		om_family(c, "devmem_range_", g[k].name, T_GAUGE, g[k].unit, g[k].help);
		for (size_t i = 0; i < inv.n; i++) {
			const struct devmem_inv_range *r = &inv.r[i];
			__u64 pages = g[k].in_use ? r->in_use : r->nr_pages;
			char start[24], val[24];

			if (r->removed || pages == DEVMEM_UNKNOWN)
				continue;	/* gone, or not observed: no plausible default */
			om_labels_reset(c);
			om_label(c, "device", r->device, sizeof(r->device));
			snprintf(start, sizeof(start), "0x%" PRIx64, (uint64_t)r->id);
			om_label(c, "range", start, sizeof(start));
			om_metric(c);
			om_fmt_u64(val, sizeof(val), g[k].bytes ? pages * page : pages);
			om_sample(c, "", NULL, val);
		}
	}
	/* per device: the sum over its live ranges, unknown if one of them is */
	for (unsigned int bytes = 0; bytes < (page ? 2U : 1U); bytes++) {
		om_family(c, "devmem_device_", bytes ? "in_use_bytes" : "in_use_pages", T_GAUGE,
			  bytes ? "bytes" : "pages", bytes ? "Bytes of a device's live ranges in use" :
			  "Pages of a device's live ranges in use");
		for (size_t d = 0; d < s->nr_devices; d++) {
			__u64 sum = 0;
			bool known = true;

			for (size_t i = 0; i < inv.n; i++) {
				const struct devmem_inv_range *r = &inv.r[i];

				if (r->removed || strncmp(r->device, s->devices[d].name,
							  sizeof(r->device)))
					continue;
				if (r->in_use == DEVMEM_UNKNOWN)
					known = false;
				else
					sum += r->in_use;
			}
			if (known)
				device_sample(c, s->devices[d].name, sizeof(s->devices[d].name),
					      bytes ? sum * page : sum);
		}
	}
	devmem_inv_free(&inv);
	for (unsigned int bytes = 0; bytes < (page ? 2U : 1U); bytes++) {
		om_family(c, "devmem_device_", bytes ? "size_bytes" : "size_pages", T_GAUGE,
			  bytes ? "bytes" : "pages", bytes ? "Bytes of a device's live ranges" :
			  "Pages of a device's live ranges");
		for (size_t d = 0; d < s->nr_devices; d++)
			device_sample(c, s->devices[d].name, sizeof(s->devices[d].name),
				      bytes ? s->devices[d].nr_pages * page : s->devices[d].nr_pages);
	}
	om_family(c, "devmem_device_", "live_ranges", T_GAUGE, "", "Live ranges of a device");
	for (size_t d = 0; d < s->nr_devices; d++)
		device_sample(c, s->devices[d].name, sizeof(s->devices[d].name),
			      s->devices[d].nr_live);
}

/* the three figures of thrashing a family each: pages thrashing, bouncing, their bounces */
static const struct {
	const char *name, *unit, *help;
} thrash_families[] = {
	{ "thrashing_pages", "pages", "Pages thrashing since the start: more than K of their "
	  "faults within the window T moved them back to RAM (a large folio counts its pages)" },
	{ "bouncing_pages", "pages", "Pages that bounced (a fault moved them back to RAM) twice "
	  "or more since the start" },
	{ "thrashing_bounces", "", "Bounces of the thrashing pages since the start" },
};

static __u64 thrash_value(const struct devmem_thrash_sum *t, unsigned int f)
{
	return f == 0 ? t->pages_thrashing : f == 1 ? t->pages_bouncing : t->bounces;
}

void om_render_thrash(struct om_ctx *c, const struct devmem_snapshot *s)
{
	__u32 k = devmem_thrash_k(s, 0);
	char val[32];

	/* thrashing detection off: no figure, rather than a 0 that looks like none */
	if (!s->thrash_on)
		return;
	om_labels_reset(c);
	om_family(c, "devmem_", "thrash_k", T_GAUGE, "", "A page thrashes when more than K of "
		  "its faults within the window moved it back to RAM (--thrash-k)");
	om_metric(c);
	om_sample_u64(c, "", k);
	om_family(c, "devmem_", "thrash_window_seconds", T_GAUGE, "seconds",
		  "The window T of thrashing (--thrash-window)");
	om_metric(c);
	om_fmt_ns_seconds(val, sizeof(val), s->thrash_window_ns);
	om_sample(c, "", NULL, val);
	for (unsigned int f = 0; f < sizeof(thrash_families) / sizeof(thrash_families[0]); f++) {
		struct devmem_thrash_sum t;

		om_labels_reset(c);
		om_family(c, "devmem_", thrash_families[f].name, T_GAUGE, thrash_families[f].unit,
			  thrash_families[f].help);
		devmem_thrash_sum_all(s, k, &t);
		om_metric(c);
		om_sample_u64(c, "", thrash_value(&t, f));
	}
	for (unsigned int f = 0; f < sizeof(thrash_families) / sizeof(thrash_families[0]); f++) {
		char help[256];

		snprintf(help, sizeof(help), "%s, per device", thrash_families[f].help);
		om_family(c, "devmem_device_", thrash_families[f].name, T_GAUGE,
			  thrash_families[f].unit, help);
		for (size_t d = 0; d < s->nr_devices; d++) {
			struct devmem_thrash_sum t;

			devmem_thrash_sum_device(s, k, s->devices[d].name, &t);
			device_sample(c, s->devices[d].name, sizeof(s->devices[d].name),
				      thrash_value(&t, f));
		}
	}
}

void om_process_thrash(struct om_ctx *c, const struct devmem_snapshot *s, const size_t *keep,
		       size_t n)
{
	__u32 k = devmem_thrash_k(s, 0);

	if (!s->thrash_on)
		return;
	for (unsigned int f = 0; f < sizeof(thrash_families) / sizeof(thrash_families[0]); f++) {
		char help[256];

		snprintf(help, sizeof(help), "%s, per live process", thrash_families[f].help);
		om_family(c, "devmem_process_", thrash_families[f].name, T_GAUGE,
			  thrash_families[f].unit, help);
		for (size_t i = 0; i < n; i++) {
			const struct devmem_process *p = &s->procs[keep[i]];
			struct devmem_thrash_sum t;

			devmem_thrash_sum_process(s, k, p->tgid, p->start_ns, &t);
			om_pid_labels(c, p);
			om_metric(c);
			om_sample_u64(c, "", thrash_value(&t, f));
		}
	}
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The diagnosis part of a report (devmem.h): the thrashing runs, the fault
 * stacks and the findings of a snapshot, as text sections and as JSON, and
 * the folded and flame graph files of its stacks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/sanitize.h"
#include "model/snapshot.h"
#include "model/stacks.h"
#include "render/findings.h"
#include "render/json_out.h"
#include "render/report.h"
#include "render/thrash_runs.h"

#define RUNS_SHOWN	20
#define STACKS_SHOWN	10
#define STACK_COLS	160

static void dur(char *buf, size_t len, __u64 ns)
{
	if (ns >= 1000000000ULL)
		snprintf(buf, len, "%.3fs", ns / 1e9);
	else if (ns >= 1000000ULL)
		snprintf(buf, len, "%.3fms", ns / 1e6);
	else
		snprintf(buf, len, "%.1fus", ns / 1e3);
}

static __u32 k_of(const struct devmem_snapshot *s, __u32 k)
{
	return k ? k : s->thrash_k ? s->thrash_k : DEVMEM_THRASH_K_DEFAULT;
}

static int cmp_stack_faults(const void *x, const void *y)
{
	const struct devmem_snap_stack *a = *(const struct devmem_snap_stack *const *)x;
	const struct devmem_snap_stack *b = *(const struct devmem_snap_stack *const *)y;

	if (a->faults != b->faults)
		return a->faults > b->faults ? -1 : 1;
	return devmem_stack_cmp(a, b);
}

/* the stacks, most faults first; NULL (and *n 0) when none or out of memory */
static const struct devmem_snap_stack **ranked_stacks(const struct devmem_snapshot *s, size_t *n)
{
	const struct devmem_snap_stack **v;

	*n = 0;
	if (!s->nr_stacks || !(v = malloc(s->nr_stacks * sizeof(*v))))
		return NULL;
	for (size_t i = 0; i < s->nr_stacks; i++)
		v[i] = &s->stacks[i];
	qsort(v, s->nr_stacks, sizeof(*v), cmp_stack_faults);
	*n = s->nr_stacks;
	return v;
}

/* "comm;outer;...;inner", each name sanitized, at most cols columns */
static void stack_line(char *buf, size_t len, const struct devmem_snap_stack *st, size_t cols)
{
	char name[DEVMEM_SANITIZED_SIZE(256)];
	size_t at;

	devmem_sanitize(name, sizeof(name), st->comm[0] ? st->comm : "?", sizeof(st->comm), 0);
	at = (size_t)snprintf(buf, len, "%s", name);
	for (__u32 d = st->depth; d-- > 0 && at < len;) {
		const char *f = devmem_stack_frame(st, d);

		devmem_sanitize(name, sizeof(name), f, strlen(f) < 256 ? strlen(f) : 256, 0);
		at += (size_t)snprintf(buf + at, len - at, ";%s", name);
	}
	if (at > cols && cols > 3 && cols < len)
		memcpy(buf + cols - 3, "...", 4);
}

void devmem_diag_text(FILE *out, const struct devmem_snapshot *s, __u32 k)
{
	k = k_of(s, k);
	if (s->thrash_on) {
		struct devmem_thrash_run *runs = NULL;
		struct devmem_thrash_sum sum;
		char w[32];
		size_t n = 0;

		devmem_thrash_sum_all(s, k, &sum);
		dur(w, sizeof(w), s->thrash_window_ns);
		fprintf(out, "\nTHRASHING: %llu pages bounced more than %u times within %s "
			"(%llu pages bounced twice or more",
			(unsigned long long)sum.pages_thrashing, k, w,
			(unsigned long long)sum.pages_bouncing);
		if (s->thrash_dropped)
			fprintf(out, "; %llu more not kept: table full",
				(unsigned long long)s->thrash_dropped);
		fprintf(out, ")\n");
		if (devmem_thrash_runs(s, k, &runs, &n)) {
			fprintf(out, "  out of memory\n");
			n = 0;
		}
		if (n)
			fprintf(out, "  %-10s %-16s %-16s %-18s %6s %8s %8s %5s %11s\n", "TGID", "COMM",
				"DEVICE", "ADDRESS", "PAGES", "BOUNCES", "FAULTS", "MAX/T",
				"FAULT_TIME");
		for (size_t i = 0; i < n && i < RUNS_SHOWN; i++) {
			const struct devmem_thrash_run *r = &runs[i];
			char comm[DEVMEM_SANITIZED_SIZE(DEVMEM_COMM_LEN)];
			char dev[DEVMEM_SANITIZED_SIZE(DEVMEM_NAME_LEN)], t[32];

			devmem_sanitize_field(comm, sizeof(comm), r->comm[0] ? r->comm : "?",
					      sizeof(r->comm), 0, 16);
			devmem_sanitize_field(dev, sizeof(dev), r->device[0] ? r->device : "-",
					      sizeof(r->device), 0, 16);
			dur(t, sizeof(t), r->fault_ns);
			fprintf(out, "  %-10u %s %s 0x%016llx %6llu %8llu %8llu %5u %11s\n", r->tgid,
				comm, dev, (unsigned long long)r->vaddr,
				(unsigned long long)r->npages, (unsigned long long)r->bounces,
				(unsigned long long)r->faults, r->window_max, t);
		}
		if (n > RUNS_SHOWN)
			fprintf(out, "  ... %zu more runs (-j lists them all)\n", n - RUNS_SHOWN);
		free(runs);
	}
	if (s->stacks_on) {
		const struct devmem_snap_stack **v;
		char line[1024], t[32];
		__u64 faults = 0;
		size_t n;

		v = ranked_stacks(s, &n);
		for (size_t i = 0; i < n; i++)
			faults += v[i]->faults;
		fprintf(out, "\nFAULT STACKS: %zu stacks, %llu faults\n", n,
			(unsigned long long)faults);
		if (n)
			fprintf(out, "  %8s %11s  %s\n", "FAULTS", "FAULT_TIME",
				"COMM;STACK (outermost first)");
		for (size_t i = 0; i < n && i < STACKS_SHOWN; i++) {
			stack_line(line, sizeof(line), v[i], STACK_COLS);
			dur(t, sizeof(t), v[i]->fault_ns);
			fprintf(out, "  %8llu %11s  %s\n", (unsigned long long)v[i]->faults, t, line);
		}
		if (n > STACKS_SHOWN)
			fprintf(out, "  ... %zu more stacks (--folded FILE writes them all)\n",
				n - STACKS_SHOWN);
		free(v);
	}
	fprintf(out, "\n");
	devmem_findings_print(out, s, k);
}

static const char *const kind_names[] = {
	[DEVMEM_FIND_THRASH] = "thrash", [DEVMEM_FIND_WASTED] = "wasted",
	[DEVMEM_FIND_LATENCY] = "latency", [DEVMEM_FIND_FULL] = "full",
	[DEVMEM_FIND_LOST] = "lost",
};

static json_t *u64(__u64 v)
{
	return json_integer((json_int_t)v);
}

static json_t *thrash_json(const struct devmem_snapshot *s, __u32 k)
{
	struct devmem_thrash_run *runs = NULL;
	struct devmem_thrash_sum sum;
	json_t *o = json_object(), *a = json_array();
	size_t n = 0;

	devmem_thrash_sum_all(s, k, &sum);
	json_object_set_new(o, "k", u64(k));
	json_object_set_new(o, "window_ns", u64(s->thrash_window_ns));
	json_object_set_new(o, "page_size", u64(s->page_size));
	json_object_set_new(o, "pages_bouncing", u64(sum.pages_bouncing));
	json_object_set_new(o, "pages_thrashing", u64(sum.pages_thrashing));
	json_object_set_new(o, "bounces", u64(sum.bounces));
	json_object_set_new(o, "fault_ns", u64(sum.fault_ns));
	json_object_set_new(o, "not_kept", u64(s->thrash_dropped));
	if (!devmem_thrash_runs(s, k, &runs, &n)) {
		for (size_t i = 0; i < n; i++) {
			const struct devmem_thrash_run *r = &runs[i];
			json_t *x = json_object();

			json_object_set_new(x, "tgid", u64(r->tgid));
			json_object_set_new(x, "start_ns", u64(r->start_ns));
			json_object_set_new(x, "comm", r->comm[0] ?
					    devmem_json_str(r->comm, sizeof(r->comm)) : json_null());
			json_object_set_new(x, "device", r->device[0] ?
					    devmem_json_str(r->device, sizeof(r->device)) :
					    json_null());
			json_object_set_new(x, "range_start", u64(r->range));
			json_object_set_new(x, "address", u64(r->vaddr));
			json_object_set_new(x, "pages", u64(r->npages));
			json_object_set_new(x, "bounces", u64(r->bounces));
			json_object_set_new(x, "faults", u64(r->faults));
			json_object_set_new(x, "fault_ns", u64(r->fault_ns));
			json_object_set_new(x, "window_max", u64(r->window_max));
			json_array_append_new(a, x);
		}
		free(runs);
	}
	json_object_set_new(o, "runs", a);
	return o;
}

static json_t *stacks_json(const struct devmem_snapshot *s)
{
	const struct devmem_snap_stack **v;
	json_t *a = json_array();
	size_t n;

	v = ranked_stacks(s, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_object(), *f = json_array();

		json_object_set_new(x, "tgid", u64(v[i]->tgid));
		json_object_set_new(x, "start_ns", u64(v[i]->start_ns));
		json_object_set_new(x, "comm", v[i]->comm[0] ?
				    devmem_json_str(v[i]->comm, sizeof(v[i]->comm)) : json_null());
		json_object_set_new(x, "faults", u64(v[i]->faults));
		json_object_set_new(x, "fault_ns", u64(v[i]->fault_ns));
		for (__u32 d = v[i]->depth; d-- > 0;) {
			const char *name = devmem_stack_frame(v[i], d);

			json_array_append_new(f, devmem_json_str(name, strlen(name)));
		}
		json_object_set_new(x, "frames", f);
		json_array_append_new(a, x);
	}
	free(v);
	return a;
}

void devmem_json_diag(json_t *root, const struct devmem_snapshot *s, __u32 k)
{
	struct devmem_finding f[16];
	json_t *a = json_array();
	int n;

	k = k_of(s, k);
	json_object_set_new(root, "thrash", s->thrash_on ? thrash_json(s, k) : json_null());
	json_object_set_new(root, "stacks", s->stacks_on ? stacks_json(s) : json_null());
	n = devmem_findings(s, k, f, sizeof(f) / sizeof(f[0]));
	for (int i = 0; i < n; i++) {
		json_t *x = json_object();

		json_object_set_new(x, "kind", json_string(kind_names[f[i].kind]));
		json_object_set_new(x, "text", devmem_json_str(f[i].text, sizeof(f[i].text)));
		json_array_append_new(a, x);
	}
	json_object_set_new(root, "findings", a);
}

static int write_one(const char *path, const struct devmem_snapshot *s, bool svg,
		     const char *title, char *err, size_t errlen)
{
	bool std = !strcmp(path, "-");
	FILE *f = std ? stdout : fopen(path, "w");
	int ret;

	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s; give a writable path.", path,
			 strerror(errno));
		return -errno;
	}
	ret = svg ? devmem_stacks_flamegraph(f, s, title) : devmem_stacks_folded(f, s, false);
	if (fflush(f) && !ret)
		ret = -EIO;
	if (!std && fclose(f) && !ret)
		ret = -EIO;
	if (ret)
		snprintf(err, errlen, "writing %s failed: %s.", path,
			 ret == -ENOMEM ? "out of memory" : "write error (disk full?)");
	return ret;
}

int devmem_stacks_write(const struct devmem_snapshot *s, const char *folded,
			const char *flamegraph, const char *title, char *err, size_t errlen)
{
	int ret = 0;

	if (folded)
		ret = write_one(folded, s, false, title, err, errlen);
	if (!ret && flamegraph)
		ret = write_one(flamegraph, s, true, title, err, errlen);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The diagnosis part of the text report (findings.h): the thrashing runs,
 * the fault stacks and the findings of a snapshot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/sanitize.h"
#include "model/snapshot.h"
#include "model/stacks.h"
#include "render/findings.h"
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
	k = devmem_thrash_k(s, k);
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

		v = devmem_stacks_ranked(s, &n);
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

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemhist report: text, JSON, OpenMetrics and SVG from recordings. */
#include "devmemhist.h"

static int hist_kind_by_name(const char *name)
{
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
		if (!strcmp(name, devmem_hist_kind_name(k)))
			return (int)k;
	return -1;
}

static int counter_by_name(const char *name)
{
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		if (!strcmp(name, devmem_counter_names[i]))
			return (int)i;
	return -1;
}

static int write_svg(const struct devmem_rec_report *rep)
{
	FILE *f;
	int ret;

	/* small multiples need the histograms the recording kept per process */
	if (env.per_process && !env.svg_rate) {
		bool any = false;

		for (size_t i = 0; i < rep->total.nr_procs; i++)
			any |= rep->total.procs[i].has_hist;
		if (!any) {
			fprintf(stderr, "devmemhist: no histograms per process to draw: the recording "
				"was made without -P; record again with 'devmemhist record -P'.\n");
			return DEVMEM_EXIT_NO_DATA;
		}
	}
	f = fopen(env.svg, "w");
	if (!f) {
		fprintf(stderr, "devmemhist: cannot create %s: %s; check the directory is "
			"writable.\n", env.svg, strerror(errno));
		return DEVMEM_EXIT_FAILURE;
	}
	if (env.svg_rate) {
		ret = devmem_rec_svg_rate(f, rep, counter_by_name(env.svg_rate), env.svg_rate);
	} else {
		int k = env.svg_hist ? hist_kind_by_name(env.svg_hist) : DEVMEM_HIST_FAULT_LATENCY;
		struct devmem_unit tu = { env.unit, env.unit_div };

		ret = devmem_rec_svg_hist(f, rep, k, devmem_hist_unit(k, &tu),
					  (env.per_process ? DEVMEM_REC_SVG_PROCESSES : 0) |
					  (env.per_device ? DEVMEM_REC_SVG_DEVICES : 0));
	}
	if (fclose(f) || ret) {
		fprintf(stderr, "devmemhist: writing %s failed: %s; check the disk has space.\n",
			env.svg, strerror(ret ? -ret : errno));
		return DEVMEM_EXIT_FAILURE;
	}
	return 0;
}

static void print_report_header(FILE *out, const struct devmem_rec_report *rep)
{
	fprintf(out, "%zu recording%s:\n", rep->nr_streams, rep->nr_streams == 1 ? "" : "s");
	for (size_t i = 0; i < rep->nr_streams; i++) {
		const struct devmem_rec_stream *st = &rep->streams[i];
		time_t t0 = (time_t)(st->start_realtime_ns / 1000000000ULL);
		struct tm tm;
		char when[32], path[DEVMEM_SANITIZED_SIZE(sizeof(st->first_path))];
		char host[DEVMEM_SANITIZED_SIZE(sizeof(st->host))];

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t0, &tm));
		devmem_sanitize(path, sizeof(path), st->first_path, sizeof(st->first_path), 0);
		devmem_sanitize(host, sizeof(host), st->host, sizeof(st->host), 0);
		fprintf(out, "  %s%s: host %s, started %s, %zu snapshots (%zu in the window), "
			"%.1f s .. %.1f s%s\n", path, st->nr_files > 1 ? " (rotated)" : "",
			host, when, st->frames, st->frames_in_window, st->from, st->to,
			st->from_zero ? " (from the recorder's start)" : "");
	}
	fputc('\n', out);
}

/* a recorded name that is no function's: an address, or a file and an offset */
static bool unnamed(const char *name)
{
	return !strncmp(name, "0x", 2) || strstr(name, "+0x");
}

/*
 * The frames of the recorded stacks that the recorder could not name,
 * named here where their file is found by build-id (at its recorded path,
 * or under the debug directories: /usr/lib/debug, $DEVMEM_DEBUG_DIRS).
 */
static void name_by_build_id(struct devmem_snapshot *s)
{
	struct devmem_symbolizer *sym = NULL;

	for (size_t i = 0; i < s->nr_stacks; i++) {
		struct devmem_snap_stack *st = &s->stacks[i];
		const char *names[DEVMEM_STACK_DEPTH];
		char buf[DEVMEM_STACK_DEPTH][160];
		bool changed = false;

		if (!st->locs || st->depth > DEVMEM_STACK_DEPTH)
			continue;
		for (__u32 d = 0; d < st->depth; d++) {
			names[d] = devmem_stack_frame(st, d);
			if (!st->locs[d].build_id_len || !unnamed(names[d]))
				continue;
			if (!sym && !(sym = devmem_sym_new(NULL)))
				return;
			if (devmem_sym_name_at(sym, &st->locs[d], devmem_stack_file(st, d), buf[d],
					       sizeof(buf[d]))) {
				names[d] = buf[d];
				changed = true;
			}
		}
		/* out of memory: the names as recorded */
		if (changed)
			devmem_stack_set_names(st, names, st->depth);
	}
	devmem_sym_free(sym);
}

int run_report(void)
{
	struct devmem_rec_report rep;
	char err[ERRLEN];
	int ret;

	if (env.svg_hist && hist_kind_by_name(env.svg_hist) < 0) {
		fprintf(stderr, "devmemhist: unknown histogram '%s': give fault_latency, "
			"migrate_pages, page_lifetime or remove_wait.\n", env.svg_hist);
		return DEVMEM_EXIT_USAGE;
	}
	if (env.svg_rate && counter_by_name(env.svg_rate) < 0) {
		fprintf(stderr, "devmemhist: unknown counter '%s': give one of faults, "
			"pages_to_device, pages_to_ram, allocs, frees (see the JSON output for "
			"all).\n", env.svg_rate);
		return DEVMEM_EXIT_USAGE;
	}
	if (env.openmetrics) {
		ret = devmem_rec_report_openmetrics(stdout, env.files, env.nr_files, &env.window,
						    err, sizeof(err));
		if (ret)
			fprintf(stderr, "devmemhist: %s\n", err);
		return ret == -ENOMEM ? DEVMEM_EXIT_NOMEM : ret == -EINVAL ?
		       DEVMEM_EXIT_BAD_INPUT : ret ? DEVMEM_EXIT_FAILURE : 0;
	}
	ret = devmem_rec_report_load(&rep, env.files, env.nr_files, &env.window, err,
				     sizeof(err));
	if (ret) {
		fprintf(stderr, "devmemhist: %s\n", err);
		devmem_rec_report_free(&rep);
		return ret == -ENOMEM ? DEVMEM_EXIT_NOMEM :
		       ret == -EINVAL ? DEVMEM_EXIT_BAD_INPUT : DEVMEM_EXIT_FAILURE;
	}
	for (size_t i = 0; i < rep.nr_streams; i++) {
		const struct devmem_rec_stream *st = &rep.streams[i];

		if (st->truncated)
			fprintf(stderr, "devmemhist: note: a file of the recording %s ends in an "
				"incomplete snapshot (the recorder was stopped while writing it); "
				"the %zu complete snapshots before it are used.\n", st->first_path,
				st->frames);
		if ((env.window.has_start || env.window.has_end) && !st->frames_in_window)
			fprintf(stderr, "devmemhist: note: the recording %s has no snapshot in the "
				"window; it adds nothing.\n", st->first_path);
	}
	if (env.cli.thrash_k)
		rep.total.thrash_k = env.cli.thrash_k;
	name_by_build_id(&rep.total);
	if (env.json) {
		ret = devmem_rec_report_json(env.out, &rep,
					     (env.per_device ? DEVMEM_REC_JSON_DEVICES : 0) |
					     (env.per_process ? DEVMEM_REC_JSON_PROCESSES : 0));
		if (ret) {
			fprintf(stderr, "devmemhist: writing the JSON output failed.\n");
			ret = DEVMEM_EXIT_FAILURE;
		}
	} else {
		print_report_header(env.out, &rep);
		print_report(env.out, &rep.total, true);
	}
	if (!ret && env.svg)
		ret = write_svg(&rep);
	if (!ret) {
		fflush(env.out);
		ret = write_stacks(&rep.total, "devmemhist report: faults on device memory by "
				   "user stack");
	}
	devmem_rec_report_free(&rep);
	if (fflush(stdout) && !ret) {
		fprintf(stderr, "devmemhist: writing the output failed: %s.\n", strerror(errno));
		ret = DEVMEM_EXIT_FAILURE;
	}
	return ret;
}

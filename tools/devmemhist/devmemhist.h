/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * devmemhist's parts: the command line (devmemhist.c), live and record
 * (live.c), reports of recordings (report.c).
 */
#ifndef DEVMEMHIST_H
#define DEVMEMHIST_H

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "cli/child.h"
#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/parse.h"
#include "cli/sanitize.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "kernel/symbolize.h"
#include "model/stacks.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/findings.h"
#include "render/hist_report.h"
#include "render/hist_text.h"
#include "render/flame.h"
#include "render/rec_json.h"
#include "render/rec_svg.h"
#include "render/svg.h"
#include "store/record.h"


#define ERRLEN 512

enum mode { MODE_LIVE, MODE_RECORD, MODE_REPORT, MODE_FLAME };

struct env {
	struct devmem_cli cli;		/* the shared options */
	enum mode mode;
	bool per_device, per_process;
	bool timestamp;
	double unit_div;		/* ns per printed unit */
	const char *unit;
	__u32 pid;
	bool fentry, verbose;
	double interval;		/* seconds */
	long count;			/* intervals; 0: until stopped */
	__u64 deadline;			/* -t: CLOCK_MONOTONIC end; 0: none */
	/* record */
	const char *output;
	__u64 max_bytes;
	unsigned int keep;
	bool force;
	const char *host;
	/* report */
	const char **files;
	size_t nr_files;
	struct devmem_window window;
	bool json;
	bool openmetrics;
	const char *svg;
	const char *svg_hist;
	const char *svg_rate;
	/* flame */
	const char *title;
	const char *flame_unit;		/* what a count of the folded files counts */
	/* where the report goes: stderr when --folded - takes standard output */
	FILE *out;
};


extern struct env env;
extern volatile sig_atomic_t exiting;

/* the text report of a snapshot with this run's unit and breakdown */
void print_report(FILE *out, const struct devmem_snapshot *s, bool summary);
/* --folded and --flamegraph of a summary or report; 0 or an exit code */
int write_stacks(const struct devmem_snapshot *s, const char *title);
int run_live(void);
int run_record(void);
int run_report(void);
int run_flame(void);

#endif /* DEVMEMHIST_H */

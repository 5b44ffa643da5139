// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemhist: log2 histograms of device-private memory activity (fault
 * latency, pages per migration, device-page lifetime, remove wait), live
 * in the spirit of biolatency, recorded to a file always on, and reported
 * later from recordings on any machine without BPF.
 */
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
#include "model/hist.h"
#include "model/snapshot.h"
#include "render/findings.h"
#include "render/hist_text.h"
#include "render/flame.h"
#include "render/rec_json.h"
#include "render/svg.h"
#include "store/record.h"

#define ERRLEN 512

enum mode { MODE_LIVE, MODE_RECORD, MODE_REPORT };

static struct env {
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
} env = {
	.unit_div = 1000, .unit = "usecs", .interval = 1,
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static const char live_doc[] =
"Summarize device-private memory activity as log2 histograms.\n"
"\n"
"Histograms: fault latency, pages per migration, device-page lifetime and\n"
"the time a pagemap remove waited for page references. Live mode needs root\n"
"(or CAP_BPF and CAP_PERFMON); report mode needs nothing but the files.\n"
"\n"
"  devmemhist record -o FILE [OPTION...] [INTERVAL [COUNT]] [-- COMMAND...]\n"
"  devmemhist report [OPTION...] FILE...\n"
"record and report tell their options with --help.\n"
"\n"
"EXAMPLES:\n"
"    devmemhist                 # histograms until Ctrl-C\n"
"    devmemhist -m 1 10         # milliseconds, every second, 10 times\n"
"    devmemhist -G -T 5         # per device, every 5 s, with timestamps\n"
"    devmemhist -P -p 185       # per process, only PID 185\n"
"    devmemhist -P -- ./app     # per process, while ./app runs\n"
"    devmemhist record -o /var/log/devmem.rec -S 64M -k 4 10\n"
"                     # always on: every 10 s, at most 5 files of 64 MiB\n"
"    devmemhist report /var/log/devmem.rec* -w 3600,7200\n"
"                     # the second hour of a recording\n"
"    devmemhist report -j a.rec b.rec    # two hosts, summed, as JSON\n"
"    devmemhist report --svg lat.svg rec # fault latency as a picture\n"
"    devmemhist report --svg rate.svg --svg-rate pages_to_ram rec\n"
"\v"
"-D filters in the kernel and takes the device's owner address. -P and -G\n"
"exclude each other. With -- COMMAND, devmemhist stops when COMMAND exits.";

static const char record_doc[] =
"Record snapshots of the in-kernel aggregates to a file, for later reports.\n"
"\n"
"A snapshot is appended and flushed to disk every interval (default 1 s), so\n"
"a crash or kill -9 loses at most the last interval. With -S the file stops\n"
"growing at SIZE bytes: with -k KEEP it is rotated (FILE.1 .. FILE.KEEP),\n"
"without it recording stops. SIGINT/SIGTERM, -n, -t or the end of the\n"
"-- COMMAND write a last snapshot and close.\n"
"\n"
"EXAMPLES:\n"
"    devmemhist record -o run.rec              # every second until Ctrl-C\n"
"    devmemhist record -o run.rec -P 0.5 120   # per process, 2 per second, 1 minute\n"
"    devmemhist record -o run.rec -P -- ./app  # while ./app runs\n"
"    devmemhist record -o /var/log/devmem.rec -S 100M -k 9 10\n";

static const char report_doc[] =
"Report histograms and counters from recordings, on any machine, without BPF.\n"
"\n"
"Several files are merged: the parts of one rotated recording are joined, and\n"
"the changes of different recordings (hosts) within the window are summed.\n"
"Window bounds are seconds since each recording started, or absolute times\n"
"(@EPOCH or YYYY-MM-DDTHH:MM:SS, local time, Z for UTC); either may be empty.\n"
"\n"
"EXAMPLES:\n"
"    devmemhist report run.rec                 # the whole recording\n"
"    devmemhist report -w 60, run.rec          # from the first minute on\n"
"    devmemhist report -w 2026-11-25T10:00:00,2026-11-25T10:05:00 host*.rec\n"
"    devmemhist report -P -j run.rec           # JSON, per process\n"
"    devmemhist report --openmetrics run.rec > run.om   # for Prometheus\n"
"    devmemhist report --svg h.svg --svg-hist page_lifetime run.rec\n";

enum {
	OPT_SVG = 0x200,
	OPT_SVG_HIST,
	OPT_SVG_RATE,
	OPT_HOST,
	OPT_OPENMETRICS,
};

static const struct argp_option live_options[] = {
	{ "milliseconds", 'm', NULL, 0, "Times in milliseconds (default microseconds)", 0 },
	{ "nanoseconds", 'N', NULL, 0, "Times in nanoseconds", 0 },
	{},
};

static const struct argp_option record_options[] = {
	{ "output", 'o', "FILE", 0, "Recording file (required)", 0 },
	{ "max-size", 'S', "SIZE", 0, "Cap of one file, e.g. 64M (default: no cap)", 0 },
	{ "keep", 'k', "KEEP", 0, "Rotate at the cap, keeping KEEP older files (default 0: stop)", 0 },
	{ "force", 'f', NULL, 0, "Overwrite FILE if it exists", 0 },
	{ "host", OPT_HOST, "NAME", 0, "Host name stored in the file (default: uname)", 0 },
	{},
};

static const struct argp_option report_options[] = {
	{ "window", 'w', "START,END", 0, "Only this time window (see below)", 0 },
	{ "milliseconds", 'm', NULL, 0, "Times in milliseconds (default microseconds)", 0 },
	{ "nanoseconds", 'N', NULL, 0, "Times in nanoseconds", 0 },
	{ "openmetrics", OPT_OPENMETRICS, NULL, 0, "The history as OpenMetrics with timestamps, "
	  "for promtool tsdb create-blocks-from openmetrics", 0 },
	{ "svg", OPT_SVG, "FILE", 0, "Also draw an SVG picture into FILE", 0 },
	{ "svg-hist", OPT_SVG_HIST, "KIND", 0,
	  "Histogram to draw: fault_latency (default), migrate_pages, page_lifetime, remove_wait", 0 },
	{ "svg-rate", OPT_SVG_RATE, "COUNTER", 0,
	  "Draw COUNTER per second over time instead (e.g. faults, pages_to_ram)", 0 },
	{},
};

static __u64 parse_size(const char *arg)
{
	__u64 v;

	if (!devmem_parse_size(arg, &v))
		devmem_cli_usage_error(&env.cli, "bad size '%s': give bytes with an optional K, "
				       "M or G suffix, e.g. -S 64M", arg);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	__u64 v;

	switch (key) {
	case 'm':
		env.unit_div = 1e6;
		env.unit = "msecs";
		break;
	case 'N':
		env.unit_div = 1;
		env.unit = "nsecs";
		break;
	case 'o':
		env.output = arg;
		break;
	case 'S':
		env.max_bytes = parse_size(arg);
		break;
	case 'k':
		if (!devmem_parse_u64(arg, 10, 1000, &v))
			devmem_cli_usage_error(&env.cli, "bad KEEP '%s': give how many rotated files "
					       "to keep (0..1000), e.g. -k 4", arg);
		env.keep = (unsigned int)v;
		break;
	case 'f':
		env.force = true;
		break;
	case OPT_HOST:
		env.host = arg;
		break;
	case 'w': {
		char err[ERRLEN];

		if (devmem_window_parse(arg, &env.window, err, sizeof(err)))
			devmem_cli_usage_error(&env.cli, "%s", err);
		break;
	}
	case OPT_OPENMETRICS:
		env.openmetrics = true;
		break;
	case OPT_SVG:
		env.svg = arg;
		break;
	case OPT_SVG_HIST:
		env.svg_hist = arg;
		break;
	case OPT_SVG_RATE:
		env.svg_rate = arg;
		break;
	case ARGP_KEY_ARG:
		if (env.mode != MODE_REPORT)
			return ARGP_ERR_UNKNOWN;	/* [INTERVAL [COUNT]]: the shared parser's */
		env.files[env.nr_files++] = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* what the shared options left, checked once all are known */
static void check_args(void)
{
	struct devmem_cli *c = &env.cli;

	env.per_device = c->per_device;
	env.per_process = c->per_process;
	env.timestamp = c->timestamp;
	env.json = c->json;
	env.fentry = c->fentry;
	env.verbose = c->verbose;
	env.pid = c->pid;
	if (c->interval_set)
		env.interval = c->interval_s;
	env.count = (long)c->count;
	if (env.per_device && env.per_process)
		devmem_cli_usage_error(c, "-G and -P exclude each other: choose per device or per "
				       "process");
	if (env.mode == MODE_RECORD && !env.output)
		devmem_cli_usage_error(c, "no output file: give one with -o FILE");
	if (env.mode == MODE_RECORD && env.keep && !env.max_bytes)
		devmem_cli_usage_error(c, "-k rotates at the size cap: give the cap with -S SIZE too");
	if (env.mode == MODE_REPORT && (c->thrash_window_ns || c->no_thrash))
		devmem_cli_usage_error(c, "the thrashing window is set when recording: give "
				       "--thrash-window or --no-thrash to 'devmemhist record'; a report "
				       "takes --thrash-k");
	if (env.mode == MODE_REPORT && !env.nr_files)
		devmem_cli_usage_error(c, "no recording given: name one or more files written by "
				       "'devmemhist record'");
	if (env.mode == MODE_REPORT && env.svg_hist && env.svg_rate)
		devmem_cli_usage_error(c, "--svg-hist and --svg-rate exclude each other: draw one "
				       "picture at a time");
	if (env.mode == MODE_REPORT && (env.svg_hist || env.svg_rate) && !env.svg)
		devmem_cli_usage_error(c, "--svg-hist/--svg-rate choose what --svg FILE draws: give "
				       "--svg FILE too");
}

/* ---- text rendering ----------------------------------------------------- */

/* one histogram, times in the unit of -m/-N */
static void print_hist(FILE *out, const struct devmem_hist *h, unsigned int kind,
		       const char *indent)
{
	struct devmem_unit tu = { env.unit, env.unit_div };
	struct devmem_unit u = devmem_hist_unit(kind, &tu);

	fprintf(out, "%s%s (%s): ", indent, devmem_hist_kind_name(kind), u.name);
	devmem_hist_summary(out, h, u);
	fputc('\n', out);
	if (devmem_hist_total(h))
		devmem_hist_table(out, h, u, indent);
}

static void print_hists(FILE *out, const struct devmem_hist *h, const char *indent)
{
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++) {
		print_hist(out, &h[k], k, indent);
		fputc('\n', out);
	}
}

static void print_counters(FILE *out, const struct devmem_counters *c, const char *indent)
{
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		fprintf(out, "%s%-24s %llu\n", indent, devmem_counter_names[i],
			(unsigned long long)devmem_counters_cu64(c)[i]);
}

/* the non-zero counters on one line */
static void print_counters_short(FILE *out, const struct devmem_counters *c, const char *indent)
{
	bool any = false;

	fputs(indent, out);
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		if (devmem_counters_cu64(c)[i]) {
			fprintf(out, "%s%s %llu", any ? ", " : "", devmem_counter_names[i],
				(unsigned long long)devmem_counters_cu64(c)[i]);
			any = true;
		}
	fprintf(out, "%s\n", any ? "" : "no activity");
}

static void print_losses(FILE *out, const struct devmem_snapshot *s)
{
	bool any = false;

	for (unsigned int i = 0; i < DEVMEM_LOST_KINDS; i++)
		if (s->lost[i]) {
			fprintf(out, "%s%s %llu", any ? ", " : "Lost or unmatched events: ",
				devmem_lost_names[i], (unsigned long long)s->lost[i]);
			any = true;
		}
	for (unsigned int i = 0; i < DEVMEM_TALLY_KINDS; i++)
		if (s->tallies[i]) {
			fprintf(out, "%s%s %llu", any ? ", " : "Lost or unmatched events: ",
				devmem_tally_names[i], (unsigned long long)s->tallies[i]);
			any = true;
		}
	if (s->recursion_misses) {
		fprintf(out, "%srecursion_misses %llu", any ? ", " : "Lost events: ",
			(unsigned long long)s->recursion_misses);
		any = true;
	}
	fprintf(out, "%s\n", any ? "" : "Lost events: none");
}

static void print_snapshot(FILE *out, const struct devmem_snapshot *s, bool counters)
{
	if (counters) {
		fprintf(out, "Counters:\n");
		print_counters(out, &s->total, "  ");
	}
	print_losses(out, s);
	fputc('\n', out);
	/* reports and summaries always show the totals; live -D/-P only the parts */
	if (counters || (!env.per_device && !env.per_process))
		print_hists(out, s->hist, "");
	if (env.per_device) {
		if (!s->nr_devices)
			fprintf(out, "No device had activity.\n");
		for (size_t i = 0; i < s->nr_devices; i++) {
			const struct devmem_device *d = &s->devices[i];

			fprintf(out, "device %s:\n", d->name);
			if (counters)
				print_counters_short(out, &d->c, "  ");
			if (d->has_hist)
				print_hists(out, d->hist, "  ");
		}
	} else if (env.per_process) {
		if (!s->nr_procs)
			fprintf(out, "No process had activity.\n");
		for (size_t i = 0; i < s->nr_procs; i++) {
			const struct devmem_process *p = &s->procs[i];
			char comm[DEVMEM_SANITIZED_SIZE(DEVMEM_COMM_LEN)];

			devmem_sanitize(comm, sizeof(comm), p->comm, sizeof(p->comm), 0);
			fprintf(out, "process %u (%s)%s", p->tgid, comm, p->exit_ns ? ", exited" : "");
			if (p->lost_events)
				fprintf(out, ", %llu events not counted (table full)",
					(unsigned long long)p->lost_events);
			fprintf(out, ":\n");
			if (counters)
				print_counters_short(out, &p->c, "  ");
			if (p->has_hist)
				print_hists(out, p->hist, "  ");
		}
	}
	if (counters)
		devmem_diag_text(out, s, env.cli.thrash_k);
}

/* --folded and --flamegraph of a summary or report; 0 or an exit code */
static int write_stacks(const struct devmem_snapshot *s, const char *title)
{
	char msg[512];

	if (!env.cli.folded && !env.cli.flamegraph)
		return 0;
	if (!s->stacks_on) {
		fprintf(stderr, "devmemhist: no fault stacks to write: the recording was made "
			"without --stacks; record again with 'devmemhist record --stacks'.\n");
		return DEVMEM_EXIT_BAD_INPUT;
	}
	if (devmem_stacks_write(s, env.cli.folded, env.cli.flamegraph, title, msg, sizeof(msg))) {
		fprintf(stderr, "devmemhist: %s\n", msg);
		return DEVMEM_EXIT_FAILURE;
	}
	return 0;
}

/* ---- live and record ------------------------------------------------------ */

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* the end of the -- COMMAND ends the run as a signal would */
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
}

/* the -- COMMAND, forked before the session opens so that -c can filter by it */
static struct devmem_child child = DEVMEM_CHILD_INIT;

static void end_command(void)
{
	if (child.pid > 0 && !devmem_child_reap(&child, "devmemhist", env.cli.command[0])) {
		kill(child.pid, SIGTERM);
		waitpid(child.pid, NULL, 0);
	}
}

/* sleep until the deadline (CLOCK_MONOTONIC) or a signal */
/* wait for the deadline while taking in what the kernel sends (process exits) */
static void wait_until(struct devmem_session *sess, const struct timespec *deadline)
{
	devmem_session_wait(sess, (__u64)deadline->tv_sec * 1000000000ULL +
			    (__u64)deadline->tv_nsec, &exiting);
}

static void advance(struct timespec *t, double seconds)
{
	long long ns = (long long)(seconds * 1e9);

	t->tv_sec += ns / 1000000000LL;
	t->tv_nsec += ns % 1000000000LL;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static int open_session(struct devmem_session **sess)
{
	struct devmem_opts o;
	enum devmem_error e;

	int rc;

	o = (struct devmem_opts){
		.force_fentry = env.fentry,
		.hist_per_device = env.per_device,
		.hist_per_process = env.per_process,
		.verbose = env.verbose,
	};
	rc = devmem_opts_device_from_cli(&env.cli, &o);
	if (rc)
		return rc;
	if (devmem_cli_start_command(&env.cli, &child)) {
		fprintf(stderr, "devmemhist: %s\n", devmem_strerror(DEVMEM_E_CHILD));
		return devmem_exit_code(DEVMEM_E_CHILD);
	}
	o.tgid = env.cli.pid;
	devmem_opts_from_cli(&env.cli, &o);
	e = devmem_session_open(&o, sess);
	if (e != DEVMEM_OK) {
		devmem_child_abandon(&child);
		fprintf(stderr, "devmemhist: %s\n", devmem_strerror(e));
		return devmem_exit_code(e);
	}
	env.deadline = devmem_cli_deadline(&env.cli, devmem_mono_ns());
	return 0;
}

/* let the -- COMMAND run, once tracing is on; 0 or the exit code */
static int start_command(struct devmem_session *sess)
{
	int e;

	if (child.pid <= 0)
		return 0;
	e = devmem_child_go(&child);
	if (!e)
		return 0;
	fprintf(stderr, "devmemhist: %s: %s. %s\n", env.cli.command[0], strerror(-e),
		devmem_strerror(DEVMEM_E_CHILD));
	return devmem_exit_code(DEVMEM_E_CHILD);
}

/* the next interval's end, cut at the -t deadline; true if it is the last */
static bool next_stop(struct timespec *next)
{
	__u64 t;

	advance(next, env.interval);
	t = (__u64)next->tv_sec * 1000000000ULL + (__u64)next->tv_nsec;
	if (!env.deadline || t < env.deadline)
		return false;
	next->tv_sec = (time_t)(env.deadline / 1000000000ULL);
	next->tv_nsec = (long)(env.deadline % 1000000000ULL);
	return true;
}

static int snap_error(int err)
{
	char msg[256];

	fprintf(stderr, "devmemhist: %s\n", devmem_strerror_errno(DEVMEM_E_READ, err, msg,
								  sizeof(msg)));
	return devmem_exit_code(DEVMEM_E_READ);
}

static void print_time(FILE *out)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	strftime(buf, sizeof(buf), "%H:%M:%S", localtime_r(&t, &tm));
	fprintf(out, "%-8s\n", buf);
}

static int run_live(void)
{
	struct devmem_session *sess;
	struct devmem_snapshot first, prev, cur, delta;
	struct timespec next;
	long n = 0;
	int ret;

	ret = open_session(&sess);
	if (ret)
		return ret;
	devmem_snapshot_init(&first);
	devmem_snapshot_init(&prev);
	devmem_snapshot_init(&cur);
	devmem_snapshot_init(&delta);
	install_signals();
	ret = devmem_session_snapshot(sess, &prev);
	if (ret) {
		ret = snap_error(ret);
		goto out;
	}
	devmem_snapshot_copy(&first, &prev);
	printf("Tracing device-private memory (%s)... %s\n",
	       devmem_mode_name(devmem_session_mode(sess)),
	       child.pid > 0 ? "Stops when the command exits." : "Hit Ctrl-C to end.");
	fflush(stdout);
	ret = start_command(sess);
	if (ret)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!exiting) {
		bool last = next_stop(&next);

		wait_until(sess, &next);
		ret = devmem_session_snapshot(sess, &cur);
		if (ret) {
			ret = snap_error(ret);
			goto out;
		}
		devmem_snapshot_free(&delta);
		if (devmem_snapshot_delta(&delta, &cur, &prev)) {
			ret = DEVMEM_EXIT_NOMEM;
			goto out;
		}
		devmem_snapshot_sort(&delta);
		printf("\n");
		if (env.timestamp)
			print_time(stdout);
		print_snapshot(stdout, &delta, false);
		fflush(stdout);
		devmem_snapshot_free(&prev);
		prev = cur;
		devmem_snapshot_init(&cur);
		if ((env.count && ++n >= env.count) || last)
			break;
	}
	/* the final summary: everything since the start */
	devmem_snapshot_free(&delta);
	if (!devmem_snapshot_delta(&delta, &prev, &first)) {
		devmem_snapshot_sort(&delta);
		printf("\nSummary since the start (%.1f s):\n", (double)delta.interval_ns / 1e9);
		print_snapshot(stdout, &delta, true);
		fflush(stdout);
		ret = write_stacks(&delta, "devmemhist: faults on device memory by user stack");
		goto out;
	}
	ret = 0;
out:
	devmem_snapshot_free(&first);
	devmem_snapshot_free(&prev);
	devmem_snapshot_free(&cur);
	devmem_snapshot_free(&delta);
	devmem_session_close(sess);
	end_command();
	return ret;
}

/* processes that exited longer ago than this are written and forgotten */
#define FORGET_NS	(60ULL * 1000000000ULL)

static int run_record(void)
{
	struct devmem_record_opts ro = {
		.max_bytes = env.max_bytes, .keep = env.keep, .host = env.host,
	};
	struct devmem_recorder *rec = NULL;
	struct devmem_session *sess;
	struct devmem_snapshot s;
	struct timespec next;
	char err[ERRLEN];
	long frames = 0;
	int ret;

	if (!env.force && !env.keep && access(env.output, F_OK) == 0) {
		fprintf(stderr, "devmemhist: %s exists: remove it, give -f to overwrite it, or "
			"rotate with -S SIZE -k KEEP to keep it as %s.1.\n", env.output, env.output);
		return DEVMEM_EXIT_USAGE;
	}
	ret = open_session(&sess);
	if (ret)
		return ret;
	devmem_snapshot_init(&s);
	install_signals();
	if (devmem_recorder_open(env.output, &ro, &rec, err, sizeof(err))) {
		fprintf(stderr, "devmemhist: %s\n", err);
		ret = DEVMEM_EXIT_FAILURE;
		goto out;
	}
	fprintf(stderr, "Recording to %s every %g s (%s)... %s\n", env.output,
		env.interval, devmem_mode_name(devmem_session_mode(sess)),
		child.pid > 0 ? "Stops when the command exits." : "Hit Ctrl-C to end.");
	ret = start_command(sess);
	if (ret)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		bool last = exiting || (env.count && frames >= env.count) ||
			    (env.deadline && devmem_mono_ns() >= env.deadline);

		ret = devmem_session_snapshot(sess, &s);
		if (ret) {
			ret = snap_error(ret);
			goto out;
		}
		s.interval_ns = (__u64)(env.interval * 1e9);
		ret = devmem_recorder_write(rec, &s, err, sizeof(err));
		if (ret == DEVMEM_REC_CAP_REACHED) {
			fprintf(stderr, "devmemhist: %s\n", err);
			ret = 0;
			break;
		}
		if (ret) {
			fprintf(stderr, "devmemhist: %s\n", err);
			ret = DEVMEM_EXIT_FAILURE;
			goto out;
		}
		/*
		 * What exited a while ago is in the file: the history lets it go,
		 * so memory follows the processes alive however long this runs.
		 */
		devmem_session_forget_exited(sess, s.ts_ns > FORGET_NS ? s.ts_ns - FORGET_NS : 0);
		if (last)
			break;
		frames++;
		next_stop(&next);
		wait_until(sess, &next);
	}
	fprintf(stderr, "Recorded %ld intervals to %s (%llu bytes in the current file, %u "
		"rotations).\n", frames, env.output,
		(unsigned long long)devmem_recorder_bytes(rec), devmem_recorder_rotations(rec));
	ret = 0;
out:
	devmem_recorder_close(rec);
	devmem_snapshot_free(&s);
	devmem_session_close(sess);
	end_command();
	return ret;
}

/* ---- report ----------------------------------------------------------------- */

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

	f = fopen(env.svg, "w");
	if (!f) {
		fprintf(stderr, "devmemhist: cannot create %s: %s; check the directory is "
			"writable.\n", env.svg, strerror(errno));
		return DEVMEM_EXIT_FAILURE;
	}
	if (env.svg_rate) {
		int c = counter_by_name(env.svg_rate);
		struct devmem_svg_series *series = calloc(rep->nr_streams + 1, sizeof(*series));
		double **tv = calloc(2 * rep->nr_streams + 1, sizeof(*tv));
		char (*labels)[384] = calloc(rep->nr_streams + 1, sizeof(*labels));
		char title[128];

		ret = -ENOMEM;
		if (series && tv && labels) {
			ret = 0;
			for (size_t i = 0; i < rep->nr_streams && !ret; i++) {
				const struct devmem_rec_stream *st = &rep->streams[i];
				double *t = calloc(st->nr_points + 1, sizeof(double));
				double *v = calloc(st->nr_points + 1, sizeof(double));

				tv[2 * i] = t;
				tv[2 * i + 1] = v;
				if (!t || !v) {
					ret = -ENOMEM;
					break;
				}
				for (size_t j = 0; j < st->nr_points; j++) {
					const struct devmem_rec_point *p = &st->points[j];

					t[j] = p->t;
					v[j] = p->dt > 0 ? (double)devmem_counters_cu64(&p->c)[c] / p->dt
							 : NAN;
				}
				snprintf(labels[i], sizeof(labels[i]), "%s (%s)", st->host,
					 st->first_path);
				series[i] = (struct devmem_svg_series){ labels[i], t, v, st->nr_points };
			}
			snprintf(title, sizeof(title), "%s per second", env.svg_rate);
			if (!ret)
				ret = devmem_svg_rate(f, title, "per second", series, rep->nr_streams);
		}
		for (size_t i = 0; tv && i < 2 * rep->nr_streams; i++)
			free(tv[i]);
		free(tv);
		free(series);
		free(labels);
	} else {
		int k = env.svg_hist ? hist_kind_by_name(env.svg_hist) : DEVMEM_HIST_FAULT_LATENCY;
		struct devmem_unit tu = { env.unit, env.unit_div };
		struct devmem_unit u = devmem_hist_unit(k, &tu);
		char title[128];

		snprintf(title, sizeof(title), "%s over %zu recording%s",
			 devmem_hist_kind_name(k), rep->nr_streams, rep->nr_streams == 1 ? "" : "s");
		ret = devmem_svg_hist(f, &rep->total.hist[k], title, u.name, u.div);
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

static int run_report(void)
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
	if (env.json) {
		ret = devmem_rec_report_json(stdout, &rep,
					     (env.per_device ? DEVMEM_REC_JSON_DEVICES : 0) |
					     (env.per_process ? DEVMEM_REC_JSON_PROCESSES : 0));
		if (ret) {
			fprintf(stderr, "devmemhist: writing the JSON output failed.\n");
			ret = DEVMEM_EXIT_FAILURE;
		}
	} else {
		print_report_header(stdout, &rep);
		print_snapshot(stdout, &rep.total, true);
	}
	if (!ret && env.svg)
		ret = write_svg(&rep);
	if (!ret) {
		fflush(stdout);
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

int main(int argc, char **argv)
{
	static const unsigned int live = DEVMEM_CLI_PID | DEVMEM_CLI_DEVICE | DEVMEM_CLI_PER_PROCESS |
		DEVMEM_CLI_PER_DEVICE | DEVMEM_CLI_INTERVAL | DEVMEM_CLI_COUNT | DEVMEM_CLI_DURATION |
		DEVMEM_CLI_FENTRY | DEVMEM_CLI_COMMAND | DEVMEM_CLI_POSITIONAL | DEVMEM_CLI_THRASH |
		DEVMEM_CLI_STACKS;
	struct argp live_argp = {
		live_options, parse_arg,
		"[INTERVAL [COUNT]] [-- COMMAND [ARG...]]", live_doc, 0, 0, 0,
	};
	struct argp record_argp = {
		record_options, parse_arg, "-o FILE [INTERVAL [COUNT]] [-- COMMAND [ARG...]]",
		record_doc, 0, 0, 0,
	};
	struct argp report_argp = { report_options, parse_arg, "FILE...", report_doc, 0, 0, 0 };
	struct argp *a = &live_argp;
	const char *tool = "devmemhist";
	unsigned int takes = live | DEVMEM_CLI_TIMESTAMP | DEVMEM_CLI_FLAME;
	int first = 0;

	if (argc > 1 && !strcmp(argv[1], "record")) {
		env.mode = MODE_RECORD;
		a = &record_argp;
		tool = "devmemhist record";
		takes = live;
		first = 1;
	} else if (argc > 1 && !strcmp(argv[1], "report")) {
		env.mode = MODE_REPORT;
		a = &report_argp;
		tool = "devmemhist report";
		takes = DEVMEM_CLI_PER_PROCESS | DEVMEM_CLI_PER_DEVICE | DEVMEM_CLI_JSON |
			DEVMEM_CLI_THRASH | DEVMEM_CLI_FLAME;
		first = 1;
		env.files = calloc((size_t)argc, sizeof(*env.files));
		if (!env.files)
			return DEVMEM_EXIT_NOMEM;
	}
	/* argp sees "devmemhist record ..." as a program "devmemhist record" */
	if (first) {
		static char name[64];

		snprintf(name, sizeof(name), "devmemhist %s", argv[1]);
		argv[1] = name;
	}
	devmem_cli_init(&env.cli, tool, takes);
	devmem_cli_parse(&env.cli, a, argc - first, argv + first);
	check_args();
	switch (env.mode) {
	case MODE_RECORD:
		return run_record();
	case MODE_REPORT: {
		int ret = run_report();

		free(env.files);
		return ret;
	}
	default:
		return run_live();
	}
}

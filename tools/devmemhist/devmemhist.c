// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemhist: log2 histograms of device-private memory activity (fault
 * latency, pages per migration, device-page lifetime, remove wait), live
 * in the spirit of biolatency, recorded to a file always on, and reported
 * later from recordings on any machine without BPF.
 */
#include "devmemhist.h"

struct env env = {
	.unit_div = 1000, .unit = "usecs", .interval = 1,
};

volatile sig_atomic_t exiting;

static const char live_doc[] =
"Summarize device-private memory activity as log2 histograms.\n"
"\n"
"Histograms: fault latency, pages per migration, device-page lifetime and\n"
"the time a pagemap remove waited for page references. Live mode needs root\n"
"(or CAP_BPF and CAP_PERFMON); report mode needs nothing but the files.\n"
"\n"
"  devmemhist record -o FILE [OPTION...] [INTERVAL [COUNT]] [-- COMMAND...]\n"
"  devmemhist report [OPTION...] FILE...\n"
"  devmemhist flame [-o SVG] [--title TEXT] FOLDED...\n"
"record, report and flame tell their options with --help.\n"
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
DEVMEM_CLI_DEVICE_IN_KERNEL "\n"
"\n"
"-P and -G exclude each other. With -- COMMAND, devmemhist stops when\n"
"COMMAND exits.";

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
"    devmemhist record -o run.rec -P 0.5 120   # per process, 2 a second, 1 min\n"
"    devmemhist record -o run.rec -P -- ./app  # while ./app runs\n"
"    devmemhist record -o /var/log/devmem.rec -S 100M -k 9 10\n";

static const char flame_doc[] =
"Draw folded stacks (\"a;b;c COUNT\" lines, from --folded or any flame-graph\n"
"tool) as an SVG flame graph: a root frame, siblings in alphabetical order,\n"
"search and click-to-zoom. Several files (- for standard input) are summed.\n"
"\n"
"EXAMPLES:\n"
"    devmemstat --folded faults.txt -- ./app\n"
"    devmemhist flame faults.txt -o faults.svg\n"
"    devmemhist report --folded - run.rec | devmemhist flame - -o run.svg\n";

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
"    devmemhist report --svg h.svg --svg-hist page_lifetime run.rec\n"
"    devmemhist report -P --svg procs.svg run.rec  # a chart per process\n";

enum {
	OPT_SVG = 0x200,
	OPT_SVG_HIST,
	OPT_SVG_RATE,
	OPT_HOST,
	OPT_OPENMETRICS,
	OPT_TITLE,
	OPT_UNIT,
	OPT_REPORT_WINDOW,	/* --thrash-window and --no-thrash given to report */
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
	/* set when recording: said so, not "unrecognized" */
	{ "thrash-window", OPT_REPORT_WINDOW, "SECS", OPTION_HIDDEN, NULL, 0 },
	{ "no-thrash", OPT_REPORT_WINDOW, NULL, OPTION_HIDDEN, NULL, 0 },
	{},
};

static const struct argp_option flame_options[] = {
	{ "output", 'o', "SVG", 0, "The SVG file (default: standard output)", 0 },
	{ "title", OPT_TITLE, "TEXT", 0, "The title (default: the files' names)", 0 },
	{ "unit", OPT_UNIT, "NAME", 0, "What a count counts (default: faults)", 0 },
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
	case OPT_TITLE:
		env.title = arg;
		break;
	case OPT_UNIT:
		env.flame_unit = arg;
		break;
	case OPT_REPORT_WINDOW:
		devmem_cli_usage_error(&env.cli, "the thrashing window is set when recording: give "
				       "--thrash-window or --no-thrash to 'devmemhist record'; a report "
				       "takes --thrash-k");
		break;
	case ARGP_KEY_ARG: {
		double secs;

		if (env.mode == MODE_REPORT || env.mode == MODE_FLAME) {
			env.files[env.nr_files++] = arg;
			break;
		}
		/* a recording given without its subcommand: say which one reads it */
		if (env.mode == MODE_LIVE && !state->arg_num &&
		    !devmem_parse_double(arg, 0, 1e300, &secs))
			devmem_cli_usage_error(&env.cli, "'%s' is not an interval in seconds; to read "
					       "a recording give 'devmemhist report %s' (the subcommands "
					       "are record, report and flame)", arg, arg);
		return ARGP_ERR_UNKNOWN;	/* [INTERVAL [COUNT]]: the shared parser's */
	}
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
	if (env.mode == MODE_FLAME && !env.nr_files)
		devmem_cli_usage_error(c, "no folded file given: name one or more (- for standard "
				       "input)");
	if (env.mode == MODE_REPORT && env.openmetrics && c->folded && !strcmp(c->folded, "-"))
		devmem_cli_usage_error(c, "--openmetrics and --folded - both write standard output: "
				       "give --folded a file");
	if (env.mode == MODE_REPORT && !env.nr_files)
		devmem_cli_usage_error(c, "no recording given: name one or more files written by "
				       "'devmemhist record'");
	if (env.mode == MODE_REPORT && env.svg_hist && env.svg_rate)
		devmem_cli_usage_error(c, "--svg-hist and --svg-rate exclude each other: draw one "
				       "picture at a time");
	if (env.mode == MODE_REPORT && env.svg_rate && (env.per_process || env.per_device))
		devmem_cli_usage_error(c, "--svg-rate draws the totals over time; -P and -G split "
				       "the histogram picture (--svg without --svg-rate)");
	if (env.mode == MODE_REPORT && (env.svg_hist || env.svg_rate) && !env.svg)
		devmem_cli_usage_error(c, "--svg-hist/--svg-rate choose what --svg FILE draws: give "
				       "--svg FILE too");
}

/* ---- text rendering ----------------------------------------------------- */

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
	struct argp flame_argp = { flame_options, parse_arg, "FOLDED...", flame_doc, 0, 0, 0 };
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
			DEVMEM_CLI_THRASH_K | DEVMEM_CLI_FLAME;
		first = 1;
		env.files = calloc((size_t)argc, sizeof(*env.files));
		if (!env.files)
			return DEVMEM_EXIT_NOMEM;
	} else if (argc > 1 && !strcmp(argv[1], "flame")) {
		env.mode = MODE_FLAME;
		a = &flame_argp;
		tool = "devmemhist flame";
		takes = 0;
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
	/* --folded - takes standard output: the report goes to standard error */
	env.out = env.cli.folded && !strcmp(env.cli.folded, "-") ? stderr : stdout;
	switch (env.mode) {
	case MODE_RECORD:
		return run_record();
	case MODE_REPORT:
	case MODE_FLAME: {
		int ret = env.mode == MODE_FLAME ? run_flame() : run_report();

		free(env.files);
		return ret;
	}
	default:
		return run_live();
	}
}

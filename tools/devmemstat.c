// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemstat: count HMM device-private memory events until Ctrl-C, SIGTERM,
 * the end of a traced command, or interval x count, then print per-device
 * and per-process counters, ranges, histogram summaries and lost events.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "cli/child.h"
#include "cli/cli.h"
#include "cli/errors.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "model/snapshot.h"
#include "render/flame.h"
#include "render/report.h"

static struct env {
	struct devmem_cli cli;	/* the shared options */
	bool hist_tables;
	double interval;	/* seconds; 0: one summary at the end */
	long count;		/* intervals; 0: unlimited */
} env;

static const char doc[] =
"Count HMM device-private memory events (ZONE_DEVICE hotplug, faults,\n"
"migrations, device page allocation) with in-kernel aggregation.\n"
"\n"
"Runs until Ctrl-C or SIGTERM, until COMMAND exits, for -t SECS or for COUNT\n"
"intervals, then prints the totals. With an interval, each interval's delta\n"
"is printed.\n"
"\n"
"EXAMPLES:\n"
"    devmemstat                  # count until Ctrl-C, print a summary\n"
"    devmemstat -j -- ./hmm-tests -t migrate   # trace a command, JSON out\n"
"    devmemstat -c -- ./workload # only the events of that command\n"
"    devmemstat 1 10             # ten one-second deltas\n"
"    devmemstat -T -i 5 -t 60    # a minute of five-second deltas, with times\n"
"    devmemstat -p 1234 -H       # one process, with histogram tables\n"
"    devmemstat -G -P            # histograms per device and per process\n"
"    devmemstat --fentry         # force the fentry/fexit fallback\n"
"    devmemstat --folded f.txt --flamegraph f.svg -- ./app   # faults by stack\n"
"    devmemstat --thrash-k 5 --thrash-window 0.5   # a stricter thrashing test\n"
"\v"
DEVMEM_CLI_DEVICE_IN_KERNEL "\n"
"\n"
"-P and -G add histograms per process and per device; the counters are\n"
"always shown per device and per process.\n"
"\n"
"A page thrashes when more than K of its faults within the window moved it\n"
"back to RAM; the THRASHING section lists runs of such pages per process\n"
"and device. --stacks (implied by --folded and --flamegraph) counts faults\n"
"per user stack, symbolized; FINDINGS ranks what stands out.";

enum {
	OPT_OWNER = 0x200,	/* --owner: the old long name of -D */
};

static const struct argp_option stat_options[] = {
	{ "hist", 'H', NULL, 0, "Print the histogram tables, not just percentiles", 0 },
	{ "owner", OPT_OWNER, "OWNER", OPTION_HIDDEN, NULL, 0 },
	{ 0 },
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'H':
		env.hist_tables = true;
		break;
	case OPT_OWNER:
		devmem_cli_option(&env.cli, 'D', arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static volatile sig_atomic_t exiting;
static volatile sig_atomic_t child_exited;

static void on_signal(int sig)
{
	if (sig == SIGCHLD)
		child_exited = 1;
	else
		exiting = 1;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* no SA_RESTART: a signal must cut the wait short */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
}

/* the command, forked before attaching so that its pid can be the filter */
static struct devmem_child child = DEVMEM_CHILD_INIT;

/* the report's stream: standard error when --folded - takes standard output */
static FILE *report_out(void)
{
	return env.cli.folded && !strcmp(env.cli.folded, "-") ? stderr : stdout;
}

static void print(const struct devmem_snapshot *s)
{
	FILE *out = report_out();

	if (env.cli.timestamp && !env.cli.json) {
		char buf[32];
		time_t t = time(NULL);
		struct tm tm;

		strftime(buf, sizeof(buf), "%H:%M:%S", localtime_r(&t, &tm));
		fprintf(out, "%s\n", buf);
	}
	if (env.cli.json)
		devmem_report_json(out, s);
	else
		devmem_report_text(out, s, env.hist_tables ? DEVMEM_REPORT_HISTS : 0);
	fflush(out);
}

static void fail(enum devmem_error e)
{
	fprintf(stderr, "devmemstat: %s\n", devmem_strerror(e));
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		stat_options, parse_arg, "[INTERVAL [COUNT]] [-- COMMAND [ARG...]]", doc,
		NULL, NULL, NULL,
	};
	struct devmem_snapshot cur, prev, delta;
	struct devmem_session *s = NULL;
	struct devmem_opts o = {};
	enum devmem_error e;
	int ret = DEVMEM_EXIT_OK, err, status, intervals = 0;
	long slice_ms;
	struct timespec t0, t;
	__u64 deadline;

	devmem_cli_init(&env.cli, "devmemstat", DEVMEM_CLI_PID | DEVMEM_CLI_DEVICE |
			DEVMEM_CLI_PER_PROCESS | DEVMEM_CLI_PER_DEVICE | DEVMEM_CLI_INTERVAL |
			DEVMEM_CLI_COUNT | DEVMEM_CLI_DURATION | DEVMEM_CLI_JSON |
			DEVMEM_CLI_TIMESTAMP | DEVMEM_CLI_FENTRY | DEVMEM_CLI_COMMAND |
			DEVMEM_CLI_POSITIONAL | DEVMEM_CLI_THRASH | DEVMEM_CLI_STACKS |
			DEVMEM_CLI_FLAME);
	devmem_cli_parse(&env.cli, &argp, argc, argv);
	env.interval = env.cli.interval_set ? env.cli.interval_s : 0;
	env.count = (long)env.cli.count;
	if (env.count && !env.interval)
		devmem_cli_usage_error(&env.cli, "-n counts intervals: give the interval too (-i SECS "
				       "or INTERVAL COUNT)");
	ret = devmem_opts_device_from_cli(&env.cli, &o);
	if (ret)
		return ret;
	install_signals();
	devmem_snapshot_init(&cur);
	devmem_snapshot_init(&prev);
	devmem_snapshot_init(&delta);

	if (env.cli.command) {
		/* forked first: with -c its PID is the filter */
		err = devmem_cli_start_command(&env.cli, &child);
		if (err) {
			fail(DEVMEM_E_CHILD);
			return devmem_exit_code(DEVMEM_E_CHILD);
		}
	}
	o.tgid = env.cli.pid;
	o.force_fentry = env.cli.fentry;
	o.verbose = env.cli.verbose;
	o.hist_per_device = env.cli.per_device;
	o.hist_per_process = env.cli.per_process;
	devmem_opts_from_cli(&env.cli, &o);
	e = devmem_session_open(&o, &s);
	if (e) {
		devmem_child_abandon(&child);
		fail(e);
		return devmem_exit_code(e);
	}
	if (!env.cli.json)
		fprintf(stderr, "Tracing device-private memory (%s)... %s\n",
			devmem_mode_name(devmem_session_mode(s)),
			env.cli.command ? "Stops when the command exits." : "Hit Ctrl-C to end.");
	if (env.cli.command && devmem_child_go(&child)) {
		fail(DEVMEM_E_CHILD);
		ret = devmem_exit_code(DEVMEM_E_CHILD);
		goto cleanup;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline = devmem_cli_deadline(&env.cli, devmem_mono_ns());
	if (env.interval && devmem_session_snapshot(s, &prev))
		goto read_error;
	slice_ms = env.interval ? (long)(env.interval * 1000) : 1000;
	if (slice_ms > 200)
		slice_ms = 200;	/* notice a child's end soon */
	while (!exiting) {
		devmem_session_poll(s, (int)slice_ms);
		if (child_exited && child.pid > 0 && waitpid(child.pid, &status, WNOHANG) == child.pid) {
			child.pid = 0;
			break;
		}
		if (deadline && devmem_mono_ns() >= deadline)
			break;
		if (!env.interval)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < env.interval)
			continue;
		t0 = t;
		if (devmem_session_snapshot(s, &cur))
			goto read_error;
		devmem_snapshot_free(&delta);
		if (devmem_snapshot_delta(&delta, &cur, &prev))
			goto read_error;
		print(&delta);
		devmem_snapshot_free(&prev);
		prev = cur;
		devmem_snapshot_init(&cur);
		if (env.count && ++intervals >= env.count)
			goto cleanup;
	}
	/* final summary: totals since start (Ctrl-C, SIGTERM, end of the command) */
	if (devmem_session_snapshot(s, &cur))
		goto read_error;
	print(&cur);
	if (env.cli.folded || env.cli.flamegraph) {
		char msg[512];

		if (devmem_stacks_write(&cur, env.cli.folded, env.cli.flamegraph,
					"devmemstat: faults on device memory by user stack", msg,
					sizeof(msg))) {
			fprintf(stderr, "devmemstat: %s\n", msg);
			ret = DEVMEM_EXIT_FAILURE;
		}
	}
	goto cleanup;

read_error:
	{
		char msg[256];

		fprintf(stderr, "devmemstat: %s\n", devmem_strerror_errno(DEVMEM_E_READ, errno, msg,
									  sizeof(msg)));
	}
	ret = devmem_exit_code(DEVMEM_E_READ);
cleanup:
	if (child.pid > 0) {
		kill(child.pid, SIGTERM);
		waitpid(child.pid, &status, 0);
	}
	devmem_session_close(s);
	devmem_snapshot_free(&cur);
	devmem_snapshot_free(&prev);
	devmem_snapshot_free(&delta);
	return ret;
}

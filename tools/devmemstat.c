// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemstat: count HMM device-private memory events until Ctrl-C, SIGTERM,
 * the end of a traced command, or interval x count, then print per-device
 * and per-process counters, ranges, histogram summaries and lost events.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "lib/devmem.h"
#include "lib/child.h"

static struct env {
	__u32 pid;
	__u64 owner;
	bool json;
	bool fentry;
	bool verbose;
	bool hist_tables;
	bool per_device;
	bool per_process;
	bool child_only;
	double interval;	/* seconds; 0: one summary at the end */
	long count;		/* intervals; 0: unlimited */
	char **cmd;		/* -- COMMAND [ARGS] */
} env;

const char *argp_program_version = "devmemstat 0.1";
const char argp_program_doc[] =
"Count HMM device-private memory events (ZONE_DEVICE hotplug, faults,\n"
"migrations, device page allocation) with in-kernel aggregation.\n"
"\n"
"USAGE: devmemstat [-j] [-H] [-D] [-P] [-p PID] [-o OWNER] [--fentry] [-v]\n"
"                  [interval [count]] [-- COMMAND [ARGS...]]\n"
"\n"
"Runs until Ctrl-C or SIGTERM, until COMMAND exits, or for count intervals,\n"
"then prints the totals. With an interval, each interval's delta is printed.\n"
"\n"
"EXAMPLES:\n"
"    devmemstat                  # count until Ctrl-C, print a summary\n"
"    devmemstat -j -- ./hmm-tests -t migrate   # trace a command, JSON out\n"
"    devmemstat -c -- ./workload # only the events of that command\n"
"    devmemstat 1 10             # ten one-second deltas\n"
"    devmemstat -p 1234 -H       # one process, with histogram tables\n"
"    devmemstat -D -P            # histograms per device and per process\n"
"    devmemstat --fentry         # force the fentry/fexit fallback\n";

#define OPT_FENTRY 1000

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace this process only", 0 },
	{ "owner", 'o', "OWNER", 0, "Trace this pgmap owner only (hex, as printed)", 0 },
	{ "child-only", 'c', NULL, 0, "With -- COMMAND: trace that command only", 0 },
	{ "json", 'j', NULL, 0, "Print JSON", 0 },
	{ "hist", 'H', NULL, 0, "Print the histogram tables, not just percentiles", 0 },
	{ "per-device", 'D', NULL, 0, "Histograms per device", 0 },
	{ "per-process", 'P', NULL, 0, "Histograms per process", 0 },
	{ "fentry", OPT_FENTRY, NULL, 0, "Use the fentry/fexit fallback even if the "
	  "devmem tracepoints exist", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose debug output (libbpf)", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{},
};

static int parse_number(const char *arg, int base, unsigned long long max,
			unsigned long long *out)
{
	char *end;

	errno = 0;
	if (!arg[0] || arg[0] == '-')
		return -EINVAL;
	*out = strtoull(arg, &end, base);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	unsigned long long v;
	char *end;

	switch (key) {
	case 'h':
		argp_state_help(state, stderr, ARGP_HELP_STD_HELP);
		break;
	case 'p':
		if (parse_number(arg, 10, 0x7fffffff, &v) || !v)
			argp_error(state, "invalid PID '%s'", arg);
		env.pid = (__u32)v;
		break;
	case 'o':
		if (parse_number(arg, 16, ~0ULL, &v) || !v)
			argp_error(state, "invalid owner '%s' (a hex value as printed)", arg);
		env.owner = v;
		break;
	case 'c': env.child_only = true; break;
	case 'j': env.json = true; break;
	case 'H': env.hist_tables = true; break;
	case 'D': env.per_device = true; break;
	case 'P': env.per_process = true; break;
	case OPT_FENTRY: env.fentry = true; break;
	case 'v': env.verbose = true; break;
	case ARGP_KEY_ARG:
		errno = 0;
		if (state->arg_num == 0) {
			env.interval = strtod(arg, &end);
			if (errno || *end || !(env.interval > 0) || env.interval > 86400)
				argp_error(state, "invalid interval '%s' (seconds)", arg);
		} else if (state->arg_num == 1) {
			if (parse_number(arg, 10, 1000000000, &v) || !v)
				argp_error(state, "invalid count '%s'", arg);
			env.count = (long)v;
		} else {
			argp_error(state, "unexpected argument '%s' (put a command after --)", arg);
		}
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

static void print(const struct devmem_snapshot *s)
{
	if (env.json)
		devmem_report_json(stdout, s);
	else
		devmem_report_text(stdout, s, env.hist_tables ? DEVMEM_REPORT_HISTS : 0);
	fflush(stdout);
}

static void fail(enum devmem_error e)
{
	fprintf(stderr, "devmemstat: %s\n", devmem_strerror(e));
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.args_doc = "[interval [count]] [-- COMMAND [ARGS...]]",
		.doc = argp_program_doc,
	};
	struct devmem_snapshot cur, prev, delta;
	struct devmem_session *s = NULL;
	struct devmem_opts o = {};
	enum devmem_error e;
	int ret = DEVMEM_EXIT_OK, err, status, intervals = 0;
	long slice_ms;
	struct timespec t0, t;

	argp_err_exit_status = DEVMEM_EXIT_USAGE;
	/* everything after "--" is the command, not ours to parse */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			if (i + 1 < argc)
				env.cmd = &argv[i + 1];
			argv[i] = NULL;
			argc = i;
			break;
		}
	}
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return DEVMEM_EXIT_USAGE;
	if (env.child_only && !env.cmd) {
		fprintf(stderr, "devmemstat: -c needs a command after --: see --help.\n");
		return DEVMEM_EXIT_USAGE;
	}
	install_signals();
	devmem_snapshot_init(&cur);
	devmem_snapshot_init(&prev);
	devmem_snapshot_init(&delta);

	if (env.cmd) {
		err = devmem_child_start(env.cmd, &child);
		if (err) {
			fail(DEVMEM_E_CHILD);
			return devmem_exit_code(DEVMEM_E_CHILD);
		}
	}
	o.tgid = env.child_only ? (__u32)child.pid : env.pid;
	o.owner = env.owner;
	o.force_fentry = env.fentry;
	o.verbose = env.verbose;
	o.hist_per_device = env.per_device;
	o.hist_per_process = env.per_process;
	e = devmem_session_open(&o, &s);
	if (e) {
		devmem_child_abandon(&child);
		fail(e);
		return devmem_exit_code(e);
	}
	if (!env.json)
		fprintf(stderr, "Tracing device-private memory (%s)... %s\n",
			devmem_mode_name(devmem_session_mode(s)),
			env.cmd ? "Stops when the command exits." : "Hit Ctrl-C to end.");
	if (env.cmd && devmem_child_go(&child)) {
		fail(DEVMEM_E_CHILD);
		ret = devmem_exit_code(DEVMEM_E_CHILD);
		goto cleanup;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
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
	goto cleanup;

read_error:
	fprintf(stderr, "devmemstat: reading the BPF maps failed (%s): run again with -v and "
		"report it with 'uname -r'.\n", strerror(errno));
	ret = DEVMEM_EXIT_FAILURE;
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

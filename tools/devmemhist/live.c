// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemhist and devmemhist record: histograms of live events, shown or recorded. */
#include "devmemhist.h"

static void on_signal(int sig)
{
	exiting = 1;
}

/* the text report of a snapshot with this run's unit and breakdown */
void print_report(FILE *out, const struct devmem_snapshot *s, bool summary)
{
	struct devmem_hist_report o = {
		.time_unit = { env.unit, env.unit_div },
		.counters = summary,
		.per_device = env.per_device,
		.per_process = env.per_process,
		.thrash_k = env.cli.thrash_k,
	};

	devmem_hist_report_text(out, s, &o);
}

/* --folded and --flamegraph of a summary or report; 0 or an exit code */
int write_stacks(const struct devmem_snapshot *s, const char *title)
{
	char msg[512];

	if (!env.cli.folded && !env.cli.flamegraph)
		return 0;
	if (!s->stacks_on) {
		fprintf(stderr, "devmemhist: no fault stacks to write: the recording was made "
			"without --stacks; record again with 'devmemhist record --stacks'.\n");
		return DEVMEM_EXIT_NO_DATA;	/* a good recording, without what was asked */
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

int run_live(void)
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
	fprintf(env.out, "Tracing device-private memory (%s)... %s\n",
		devmem_mode_name(devmem_session_mode(sess)),
		child.pid > 0 ? "Stops when the command exits." : "Hit Ctrl-C to end.");
	fflush(env.out);
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
		fputc('\n', env.out);
		if (env.timestamp)
			print_time(env.out);
		print_report(env.out, &delta, false);
		fflush(env.out);
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
		fprintf(env.out, "\nSummary since the start (%.1f s):\n",
			(double)delta.interval_ns / 1e9);
		print_report(env.out, &delta, true);
		fflush(env.out);
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

int run_record(void)
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

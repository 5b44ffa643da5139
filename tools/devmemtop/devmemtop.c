// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemtop: who is faulting device memory back to RAM right now, how much
 * migrates each way, which device is full. A full-screen view refreshed every
 * interval, plain-text or JSON frames in batch mode, live from the BPF
 * programs or replayed from a recording of devmemhist.
 */
#include "devmemtop.h"

const char *prog = "devmemtop";

static const char doc[] =
"Show device-private memory activity (HMM) per process or per device, like top.\n"
"\n"
"EXAMPLES:\n"
"    devmemtop                       # live view, 1 s refresh\n"
"    devmemtop -s toram              # who pulls most pages back to RAM\n"
"    devmemtop -G -s inuse           # devices, fullest first\n"
"    devmemtop -b -i 5 -n 12 > log   # one minute of plain-text frames\n"
"    devmemtop -j | jq .counters     # JSON frames for scripts\n"
"    devmemtop -b -c -- ./app        # frames while ./app runs, only its process\n"
"    devmemtop -R run.rec            # replay a recording at its own pace\n"
"    devmemtop -R run.rec -b -F      # all of a recording as text, at once\n"
"\v"
"-P and -G choose the table: processes or devices (in batch mode the only one\n"
"printed; without either, both). -D keeps only that device's row in the device\n"
"table; process rows count every device. In a replay -i groups the recorded\n"
"frames, one per SECS of recorded time (default: every recorded frame).\n"
"With -- COMMAND, devmemtop stops when COMMAND exits; COMMAND's output goes\n"
"where devmemtop's goes, so use -b or redirect it.\n"
"\n"
"Keys: v view  t thrashing  < > or s sort column  r reverse  p or space pause\n"
"      q quit  h help; a replay: n b step  ] [ ten frames  g G first, last\n"
"      + - faster, slower\n"
"\n"
"Devices are shown name first with how full they are (INUSE in bytes, USE%\n"
"and a bar). The screen marks full devices (yellow from 75%, red from 90%)\n"
"and thrashing (red); NO_COLOR set to anything, or --no-color, turns colour\n"
"off. Batch and JSON output never hold an escape code.\n"
"\n"
"See docs/devmemtop.md (man devmemtop) for the columns and the overhead.";

enum {
	OPT_VIEW = 0x200,
	OPT_NO_COLOR,
	OPT_DELAY,		/* --delay: the old long name of -i */
	OPT_ITERATIONS,		/* --iterations: the old long name of -n */
};

static const struct argp_option top_options[] = {
	{ "rows", 'r', "N", 0, "At most N rows per table", 0 },
	{ "sort", 's', "KEY", 0, "Sort key: pid faults thrash todev toram frees p50 p99 comm "
	  "(processes); name size inuse (how full) faults migr thrash frees range (devices); "
	  "figures sort descending, names ascending", 0 },
	{ "batch", 'b', NULL, 0, "Plain-text frames (also when stdout is not a terminal)", 0 },
	{ "replay", 'R', "FILE", 0, "Replay a recording of devmemhist record instead of live data", 0 },
	{ "fast", 'F', NULL, 0, "Replay as fast as possible, not at the recorded pace", 0 },
	{ "view", OPT_VIEW, "VIEW", 0,
	  "processes, devices (as -P or -G) or thrash (runs of thrashing pages)", 0 },
	{ "no-color", OPT_NO_COLOR, NULL, 0, "No colour on the screen (as NO_COLOR=1 does)", 0 },
	{ "delay", OPT_DELAY, "SECS", OPTION_HIDDEN, NULL, 0 },
	{ "iterations", OPT_ITERATIONS, "N", OPTION_HIDDEN, NULL, 0 },
	{ 0 },
};

volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static __u64 real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static struct top_opts opts;
static const char *sort_arg;

static void set_view(struct top_opts *o, enum top_view v)
{
	if (o->view_set && o->view != v)
		devmem_cli_usage_error(&o->cli, "-P (processes) and -G (devices) choose one table: "
				       "give one of them");
	o->view = v;
	o->view_set = true;
}

static void parse_sort(struct top_opts *o, const char *s)
{
	int p = top_key_parse(TOP_VIEW_PROCESSES, s), d = top_key_parse(TOP_VIEW_DEVICES, s);

	if (p < 0 && d < 0)
		devmem_cli_usage_error(&o->cli, "unknown sort key '%s': use one of pid faults thrash "
				       "todev toram frees p50 p99 comm name size inuse migr range", s);
	if (p >= 0)
		o->sort.key[TOP_VIEW_PROCESSES] = p;
	if (d >= 0)
		o->sort.key[TOP_VIEW_DEVICES] = d;
	/* a key of one view only: start in that view */
	if (!o->view_set && (p < 0 || d < 0))
		o->view = p >= 0 ? TOP_VIEW_PROCESSES : TOP_VIEW_DEVICES;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct top_opts *o = &opts;
	__u64 v;

	switch (key) {
	case 'r':
		if (!devmem_parse_u64(arg, 10, 100000, &v) || !v)
			devmem_cli_usage_error(&o->cli, "-r wants a number of rows from 1 (to replay a "
					       "recording, use -R FILE), not '%s'", arg);
		o->rows = (int)v;
		break;
	case 's':
		sort_arg = arg;
		break;
	case 'b':
		o->batch = true;
		break;
	case 'R':
		o->replay = arg;
		break;
	case 'F':
		o->fast = true;
		break;
	case OPT_VIEW:
		if (!strcmp(arg, "processes") || !strcmp(arg, "procs"))
			set_view(o, TOP_VIEW_PROCESSES);
		else if (!strcmp(arg, "devices"))
			set_view(o, TOP_VIEW_DEVICES);
		else if (!strcmp(arg, "thrash") || !strcmp(arg, "thrashing"))
			set_view(o, TOP_VIEW_THRASH);
		else
			devmem_cli_usage_error(&o->cli, "--view wants processes, devices or thrash, "
					       "not '%s'", arg);
		break;
	case OPT_NO_COLOR:
		o->color = false;
		break;
	case OPT_DELAY:
		devmem_cli_option(&o->cli, 'i', arg);
		break;
	case OPT_ITERATIONS:
		devmem_cli_option(&o->cli, 'n', arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void parse_args(int argc, char **argv, struct top_opts *o)
{
	static const struct argp argp = {
		top_options, parse_opt, "[INTERVAL [COUNT]] [-- COMMAND [ARG...]]\n-R FILE [-F]", doc,
		NULL, NULL, NULL,
	};
	struct devmem_cli *c = &o->cli;

	o->delay = 1.0;
	o->rows = -1;
	/* no-color.org: any NO_COLOR that is not empty */
	o->color = !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	top_sort_init(&o->sort);
	devmem_cli_init(c, prog, DEVMEM_CLI_PID | DEVMEM_CLI_DEVICE | DEVMEM_CLI_PER_PROCESS |
			DEVMEM_CLI_PER_DEVICE | DEVMEM_CLI_INTERVAL | DEVMEM_CLI_COUNT |
			DEVMEM_CLI_DURATION | DEVMEM_CLI_JSON | DEVMEM_CLI_FENTRY |
			DEVMEM_CLI_COMMAND | DEVMEM_CLI_POSITIONAL | DEVMEM_CLI_THRASH);
	devmem_cli_parse(c, &argp, argc, argv);
	if (c->per_process)
		set_view(o, TOP_VIEW_PROCESSES);
	if (c->per_device)
		set_view(o, TOP_VIEW_DEVICES);
	if (c->interval_set) {
		o->delay = c->interval_s;
		o->delay_set = true;
	}
	o->iterations = c->count;
	o->pid = c->pid;
	o->device = c->device.kind == DEVMEM_FILTER_ANY ? NULL : &c->device;
	o->json = c->json;
	if (o->json)
		o->batch = true;
	o->fentry = c->fentry;
	o->verbose = c->verbose;
	if (sort_arg)
		parse_sort(o, sort_arg);
	if (o->fast && !o->replay)
		devmem_cli_usage_error(c, "-F replays a recording as fast as possible; give the "
				       "recording with -R FILE");
	if (o->replay && o->fentry)
		devmem_cli_usage_error(c, "--fentry chooses how live data is traced; a replay (-R %s) "
				       "needs none", o->replay);
	if (o->replay && c->command)
		devmem_cli_usage_error(c, "a replay (-R %s) runs no command: leave out '--' and what "
				       "follows it", o->replay);
	if (o->replay && c->duration_s > 0)
		devmem_cli_usage_error(c, "-t limits a live run; a replay (-R %s) ends with its "
				       "recording (give -n to stop earlier)", o->replay);
	if (!isatty(STDOUT_FILENO))
		o->batch = true;
}

/* ---- the main loop ---- */

int make_frame(struct state *st, bool initial)
{
	int err;

	devmem_snapshot_free(&st->delta);
	if (initial) {
		err = devmem_snapshot_copy(&st->delta, &st->cum);
		if (!err)
			st->delta.interval_ns = 0;
	} else {
		err = devmem_snapshot_delta(&st->delta, &st->cum, &st->base);
	}
	if (err)
		return err;
	st->frame.initial = initial;
	st->frame.summary = false;
	st->frame.number = initial ? 0 : st->frames + 1;
	st->frame.realtime_ns = st->cum.ts_ns ? st->cum.ts_ns + st->realtime_offset : 0;
	err = top_frame_build(&st->frame, &st->delta, &st->cum, &st->filter);
	if (err)
		return err;
	if (!st->frame.no_device_match)
		st->device_matched = true;
	if (!initial) {
		st->frames++;
		devmem_snapshot_free(&st->base);
		err = devmem_snapshot_copy(&st->base, &st->cum);
	}
	return err;
}

int make_summary(struct state *st)
{
	struct devmem_snapshot *s = &st->cum;
	int err;

	devmem_snapshot_free(&st->delta);
	err = devmem_snapshot_copy(&st->delta, s);
	if (err)
		return err;
	st->delta.interval_ns = s->ts_ns > st->start_ns ? s->ts_ns - st->start_ns : 0;
	st->frame.summary = true;
	st->frame.initial = false;
	st->frame.number = st->frames;
	st->frame.elapsed_ns = st->delta.interval_ns;
	st->frame.realtime_ns = s->ts_ns ? s->ts_ns + st->realtime_offset : 0;
	return top_frame_build(&st->frame, &st->delta, s, &st->filter);
}

void nomem(struct ui *ui)
{
	ui_stop(ui);
	fprintf(stderr, "%s: %s\n", prog, devmem_strerror(DEVMEM_E_NOMEM));
	exit(devmem_exit_code(DEVMEM_E_NOMEM));
}

/* -D that names no device present when the live view starts: said, as the other tools do */
static int check_device(const struct state *st)
{
	char arg[DEVMEM_SANITIZED_SIZE(64)], known[DEVMEM_SANITIZED_SIZE(256)];

	if (!st->frame.no_device_match)
		return 0;
	devmem_sanitize(arg, sizeof(arg), st->frame.device_arg, sizeof(st->frame.device_arg), 0);
	devmem_sanitize(known, sizeof(known), st->frame.known_devices,
			sizeof(st->frame.known_devices), 0);
	fprintf(stderr, "%s: no device present is -D %s; the devices now are: %s. %s\n", prog, arg,
		known[0] ? known : "none", devmem_strerror(DEVMEM_E_NO_DEVICE));
	return devmem_exit_code(DEVMEM_E_NO_DEVICE);
}

/* the live view: a frame every interval until q, a signal, -n, -t or the end of COMMAND */
static int run_live(struct state *st, struct source *src, struct ui *ui, __u64 t_open,
		    bool *quit, bool *by_signal)
{
	__u64 deadline, next_due;
	enum wait_result w;
	int ret;

	/* the first screen at once: what is known before the first interval */
	ret = source_next(src, &st->cum);
	if (ret < 0)
		return -1;
	st->have_cum = true;
	if (make_frame(st, true))
		nomem(ui);
	ret = check_device(st);
	if (ret)
		return ret;
	if (!ui->o->batch)
		ui_start(ui);
	show(ui, &st->frame);
	st->first_ns = devmem_mono_ns();
	deadline = t_open + (__u64)(ui->o->delay * 1e9);
	for (;;) {
		w = wait_until(ui, deadline);
		if (w == W_REDRAW || w == W_REPLAY) {
			show(ui, &st->frame);
			continue;
		}
		if (w == W_QUIT || w == W_SIGNAL) {
			*quit = w == W_QUIT;
			*by_signal = w == W_SIGNAL;
			break;
		}
		ret = source_next(src, &st->cum);
		if (ret < 0)
			return -1;
		if (make_frame(st, false))
			nomem(ui);
		show(ui, &st->frame);
		next_due = deadline + (__u64)(ui->o->delay * 1e9);
		/* fell behind (a stopped terminal): do not catch up in a burst */
		deadline = next_due + ui->shift_ns < devmem_mono_ns() ?
			   devmem_mono_ns() - ui->shift_ns : next_due;
		if (ui->o->iterations && st->frames >= ui->o->iterations)
			break;
	}
	/* batch stopped by a signal: the partial interval is a frame too */
	if (*by_signal && ui->o->batch) {
		if (source_next(src, &st->cum) >= 0 && !make_frame(st, false))
			show(ui, &st->frame);
	}
	return 0;
}

int main(int argc, char **argv)
{
	__u64 t_main = devmem_mono_ns(), t_open = 0, t_first = 0;
	struct source src = { 0 };
	struct state st;
	struct ui ui;
	struct sigaction sa;
	struct devmem_child child = DEVMEM_CHILD_INIT;
	char replay_name[600];
	const char *base;
	bool by_signal = false, quit = false, summary;
	int ret, rc = DEVMEM_EXIT_OK;

	parse_args(argc, argv, &opts);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* the end of the -- COMMAND ends the run as a signal would */
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);

	memset(&st, 0, sizeof(st));
	memset(&ui, 0, sizeof(ui));
	st.filter.tgid = opts.pid;
	st.filter.device = opts.device;
	ui.o = &opts;
	ui.view = opts.view;
	ui.batch_views = opts.view_set ? 1U << opts.view : (1U << TOP_VIEW_COUNT) - 1;
	ui.text.delay_s = opts.delay;
	ui.text.rows = opts.rows;
	ui.text.source = "live";

	if (opts.replay) {
		const struct devmem_recording_info *info;

		src.path = opts.replay;
		ret = devmem_recording_open(opts.replay, &src.rec, src.err, sizeof(src.err));
		if (ret) {
			fprintf(stderr, "%s: %s\n", prog, src.err);
			return ret == -EINVAL ? DEVMEM_EXIT_BAD_INPUT : DEVMEM_EXIT_FAILURE;
		}
		info = devmem_recording_info(src.rec);
		st.start_ns = info->start_mono_ns;
		st.realtime_offset = info->start_realtime_ns - info->start_mono_ns;
		/* the file name only: the header line has no room for a path */
		base = strrchr(opts.replay, '/') ? strrchr(opts.replay, '/') + 1 : opts.replay;
		memcpy(replay_name, "replay ", 7);
		devmem_sanitize(replay_name + 7, sizeof(replay_name) - 7, base, strlen(base), 0);
		ui.text.source = replay_name;
		ui.replay = true;
		ui.text.speed = 1;
	} else {
		struct devmem_opts dopts;
		enum devmem_error err;

		/* forked first: with -c its PID is the filter */
		if (devmem_cli_start_command(&opts.cli, &child)) {
			fprintf(stderr, "%s: %s\n", prog, devmem_strerror(DEVMEM_E_CHILD));
			return devmem_exit_code(DEVMEM_E_CHILD);
		}
		opts.pid = st.filter.tgid = opts.cli.pid;
		dopts = (struct devmem_opts){
			.tgid = opts.pid,
			.force_fentry = opts.fentry,
			.hist_per_process = true,
			.verbose = opts.verbose,
		};
		devmem_opts_from_cli(&opts.cli, &dopts);
		err = devmem_session_open(&dopts, &src.sess);
		if (err != DEVMEM_OK) {
			devmem_child_abandon(&child);
			fprintf(stderr, "%s: %s\n", prog, devmem_strerror(err));
			return devmem_exit_code(err);
		}
		if (child.pid > 0) {
			int e = devmem_child_go(&child);

			if (e) {
				fprintf(stderr, "%s: %s: %s. %s\n", prog, opts.cli.command[0],
					strerror(-e), devmem_strerror(DEVMEM_E_CHILD));
				devmem_session_close(src.sess);
				return devmem_exit_code(DEVMEM_E_CHILD);
			}
		}
		ui.sess = src.sess;
		t_open = devmem_mono_ns();
		ui.end_ns = devmem_cli_deadline(&opts.cli, t_open);
		st.start_ns = t_open;
		st.realtime_offset = real_ns() - devmem_mono_ns();
	}
	devmem_snapshot_init(&st.start);
	st.start.ts_ns = st.start_ns;
	if (devmem_snapshot_copy(&st.base, &st.start))
		nomem(&ui);

	if (src.sess)
		ret = run_live(&st, &src, &ui, t_open, &quit, &by_signal);
	else
		ret = run_replay(&st, &src, &ui, &quit, &by_signal);
	t_first = st.first_ns;
	if (ret < 0)
		goto source_error;
	if (ret) {
		ui_stop(&ui);
		rc = ret;
		goto out;
	}
	ui_stop(&ui);
	summary = opts.batch || by_signal;
	if (summary && st.have_cum) {
		if (make_summary(&st))
			nomem(&ui);
		ui.text.ended = false;
		ui.o->batch = true;
		show(&ui, &st.frame);
	}
	if (src.rec && src.ended && devmem_recording_truncated(src.rec))
		fprintf(stderr, "%s: %s: the last frame is incomplete (the recorder was stopped while writing it); the frames before it were used.\n",
			prog, opts.replay);
	/* a replay whose -D matched no device in any frame: said, and its status */
	if (src.rec && opts.device && !st.device_matched && !quit && !by_signal) {
		char arg[DEVMEM_SANITIZED_SIZE(64)];

		devmem_sanitize(arg, sizeof(arg), opts.device->arg, strlen(opts.device->arg), 0);
		fprintf(stderr, "%s: no device of %s is -D %s: give the name, owner or range start of "
			"one of its devices (devmemtop -R %s -G lists them).\n", prog, opts.replay, arg,
			opts.replay);
		rc = devmem_exit_code(DEVMEM_E_NO_DEVICE);
	}
	if (opts.verbose && t_first)
		fprintf(stderr, "%s: first frame %.1f ms after start%s%.1f ms to open the BPF session)\n",
			prog, (double)(t_first - t_main) / 1e6, t_open ? " (" : "",
			t_open ? (double)(t_open - t_main) / 1e6 : 0.0);
	goto out;

source_error:
	ui_stop(&ui);
	fprintf(stderr, "%s: %s\n", prog, src.err);
	rc = src.rec ? DEVMEM_EXIT_BAD_INPUT : DEVMEM_EXIT_FAILURE;
out:
	top_frame_free(&st.frame);
	devmem_snapshot_free(&st.cum);
	devmem_snapshot_free(&st.base);
	devmem_snapshot_free(&st.delta);
	devmem_snapshot_free(&st.start);
	if (src.sess)
		devmem_session_close(src.sess);
	if (src.rec)
		devmem_recording_close(src.rec);
	if (child.pid > 0 && !devmem_child_reap(&child, prog, opts.cli.command[0])) {
		/* stopped before the command ended (q, -n, -t, a signal): it goes too */
		kill(child.pid, SIGTERM);
		waitpid(child.pid, NULL, 0);
	}
	return rc;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * devmemtop's parts: the command line and the live loop (devmemtop.c), the
 * replay of a recording (replay.c), the screen and its keys (ui.c).
 */
#ifndef DEVMEMTOP_H
#define DEVMEMTOP_H

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <curses.h>

#include "cli/child.h"
#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/parse.h"
#include "cli/sanitize.h"
#include "kernel/session.h"
#include "model/snapshot.h"
#include "render/top_screen.h"
#include "render/top_view.h"
#include "store/record.h"

extern const char *prog;

struct top_opts {
	struct devmem_cli cli;		/* the shared options */
	double delay;
	bool delay_set;
	unsigned long iterations;	/* 0: no limit */
	__u32 pid;
	const struct devmem_device_filter *device;
	int rows;			/* -1: all that fit */
	bool batch, json, fast, verbose, fentry;
	bool color;			/* colour on the screen: not NO_COLOR, not --no-color */
	const char *replay;
	bool view_set;
	enum top_view view;
	struct top_sort sort;
};

extern volatile sig_atomic_t stop_signal;

/* ---- data sources: the BPF session or a recording ---- */

struct source {
	struct devmem_session *sess;
	struct devmem_recording *rec;
	const char *path;
	bool ended;
	char err[512];
};

/* 1: next cumulative snapshot in cum; 0: no more (replay); <0: error in err */
int source_next(struct source *src, struct devmem_snapshot *cum);

/* ---- the screen ---- */

enum wait_result { W_TIMEOUT, W_REDRAW, W_QUIT, W_SIGNAL, W_REPLAY };

/* what a replay key asks for (W_REPLAY) */
enum replay_cmd {
	R_NONE = 0,
	R_STEP,				/* by .frames, forward (> 0) or back (< 0), and pause */
	R_FIRST,
	R_LAST,
	R_FASTER,
	R_SLOWER,
};

#define REPLAY_SPEED_MIN	0.0625
#define REPLAY_SPEED_MAX	64.0

struct ui {
	bool curses;
	bool help;
	bool paused;
	__u64 paused_at;		/* when the pause began */
	__u64 shift_ns;			/* total time spent paused: deadlines move */
	enum top_view view;
	struct top_opts *o;
	struct top_text_opts text;
	unsigned int batch_views;
	struct devmem_session *sess;	/* live: polled while waiting; NULL replaying */
	__u64 end_ns;			/* -t: CLOCK_MONOTONIC end of the run; 0: none */
	bool replay;			/* its keys work */
	enum replay_cmd cmd;		/* the last replay key, with W_REPLAY */
	long cmd_frames;
};

/* ---- frames from snapshots (devmemtop.c) ---- */

struct state {
	struct devmem_snapshot cum;	/* latest cumulative snapshot */
	struct devmem_snapshot base;	/* cumulative at the last frame shown */
	struct devmem_snapshot delta;
	struct devmem_snapshot start;	/* empty, at the start time */
	struct top_frame frame;
	struct top_filter filter;
	unsigned long frames;		/* data frames shown */
	__u64 start_ns;			/* CLOCK_MONOTONIC of the start of counting */
	__u64 realtime_offset;		/* realtime - monotonic, for the clock */
	bool have_cum;
	bool device_matched;		/* -D matched a device in some frame */
	const struct top_opts *opts;
	__u64 first_ns;			/* CLOCK_MONOTONIC when the first frame was shown */
};

/* the frame of the interval since the last one (initial: before the first); 0 or -ENOMEM */
int make_frame(struct state *st, bool initial);
/* the summary since the start; 0 or -ENOMEM */
int make_summary(struct state *st);
/* out of memory: the terminal restored, the sentence, the exit */
void nomem(struct ui *ui) __attribute__((noreturn));

/* ---- a recording (replay.c) ---- */

/*
 * Replay src->rec into frames until its end, q, a signal or -n; keys step,
 * seek and change the pace. *quit and *by_signal say how it ended. An exit
 * status (0, or the one of an error already said).
 */
int run_replay(struct state *st, struct source *src, struct ui *ui, bool *quit,
	       bool *by_signal);

void ui_start(struct ui *ui);
void ui_stop(struct ui *ui);
/* a frame, sorted, on the screen or as text/JSON */
void show(struct ui *ui, struct top_frame *f);
/*
 * Wait until deadline (CLOCK_MONOTONIC, moved on by the time spent paused;
 * UINT64_MAX: forever), reading keys meanwhile.
 */
enum wait_result wait_until(struct ui *ui, __u64 deadline);

#endif /* DEVMEMTOP_H */

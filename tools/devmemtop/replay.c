// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemtop -R: a recording shown frame by frame at its own pace (or -F as
 * fast as it reads), with keys to step, seek and change the pace. A frame
 * is the change between two cumulative snapshots, so going back reads the
 * recording again from its start up to the frame asked for: a recording is
 * read in order, never searched.
 */
#include "devmemtop.h"

struct pace {
	double speed;			/* 1: as recorded */
	__u64 wall0;			/* CLOCK_MONOTONIC when rec0 was shown */
	__u64 rec0;			/* recorded time shown at wall0 */
	__u64 shift0;			/* the UI's paused time then */
	__u64 shown;			/* recorded time of the frame on the screen */
};

/*
 * Read recorded snapshots into st->cum until one ends a frame (-i groups
 * them), or the recording ends with a group not yet shown. 1: st->cum ends
 * the next frame; 0: the end; < 0: an error in src->err.
 */
static int read_frame(struct state *st, struct source *src)
{
	const struct top_opts *o = st->opts;
	int ret;

	for (;;) {
		struct devmem_snapshot next;

		devmem_snapshot_init(&next);
		ret = source_next(src, &next);
		if (ret <= 0) {
			devmem_snapshot_free(&next);
			if (ret < 0)
				return ret;
			/* a delay that grouped frames: what is left is the last one */
			return st->have_cum && st->cum.ts_ns != st->base.ts_ns;
		}
		devmem_snapshot_free(&st->cum);
		st->cum = next;
		st->have_cum = true;
		if (!o->delay_set || st->cum.ts_ns - st->base.ts_ns >= (__u64)(o->delay * 1e9))
			return 1;
	}
}

/* the next frame, built: 1, 0 at the end, < 0 */
static int advance(struct state *st, struct source *src)
{
	int ret = read_frame(st, src);

	if (ret > 0 && make_frame(st, false))
		return -ENOMEM;
	return ret;
}

/* read the recording again from its start, no frame shown */
static int rewind_replay(struct state *st, struct source *src)
{
	devmem_recording_close(src->rec);
	src->rec = NULL;
	src->ended = false;
	if (devmem_recording_open(src->path, &src->rec, src->err, sizeof(src->err)))
		return -EIO;
	devmem_snapshot_free(&st->cum);
	devmem_snapshot_free(&st->base);
	st->have_cum = false;
	st->frames = 0;
	return devmem_snapshot_copy(&st->base, &st->start) ? -ENOMEM : 0;
}

/*
 * Frame number target (from 1; the last one where it is past the end),
 * those between not shown. pending: st->cum holds the next frame, read
 * but not built. 1, or 0 when the end came first, or < 0.
 */
static int seek(struct state *st, struct source *src, unsigned long target, bool pending)
{
	int ret = 1;

	if (target < 1)
		target = 1;
	if (target <= st->frames) {
		ret = rewind_replay(st, src);
		if (ret)
			return ret;
	} else if (pending) {
		if (make_frame(st, false))
			return -ENOMEM;
	}
	while (st->frames < target && (ret = advance(st, src)) > 0)
		;
	return ret < 0 ? ret : 1;
}

static void repace(struct pace *p, const struct ui *ui)
{
	p->wall0 = devmem_mono_ns();
	p->rec0 = p->shown;
	p->shift0 = ui->shift_ns;
}

/* when the frame recorded at ts is due, in wait_until()'s terms */
static __u64 due(const struct pace *p, __u64 ts)
{
	__u64 d = ts > p->rec0 ? (__u64)((double)(ts - p->rec0) / p->speed) : 0;

	return p->wall0 + d - p->shift0;
}

static void pause_here(struct ui *ui)
{
	if (!ui->paused) {
		ui->paused = true;
		ui->paused_at = devmem_mono_ns();
	}
}

static void show_frame(struct state *st, struct ui *ui, struct pace *p)
{
	if (!st->first_ns)
		st->first_ns = devmem_mono_ns();
	p->shown = st->cum.ts_ns;
	show(ui, &st->frame);
}

/* a replay key: 1 with the frame it asks for shown, or < 0 */
static int on_key(struct state *st, struct source *src, struct ui *ui, struct pace *p,
		  bool pending)
{
	long n = ui->cmd_frames;
	int ret;

	if (ui->cmd == R_FASTER || ui->cmd == R_SLOWER) {
		p->speed = ui->cmd == R_FASTER ? p->speed * 2 : p->speed / 2;
		if (p->speed > REPLAY_SPEED_MAX)
			p->speed = REPLAY_SPEED_MAX;
		if (p->speed < REPLAY_SPEED_MIN)
			p->speed = REPLAY_SPEED_MIN;
		ui->text.speed = p->speed;
		repace(p, ui);
		show(ui, &st->frame);
		return 1;
	}
	pause_here(ui);
	if (ui->cmd == R_FIRST)
		ret = seek(st, src, 1, pending);
	else if (ui->cmd == R_LAST)
		ret = seek(st, src, ~0UL, pending);
	else if (n < 0 && st->frames <= (unsigned long)-n)
		ret = seek(st, src, 1, pending);
	else
		ret = seek(st, src, (unsigned long)((long)st->frames + n), pending);
	if (ret < 0)
		return ret;
	ui->text.ended = false;
	show_frame(st, ui, p);
	repace(p, ui);
	return 1;
}

/* the end: the last frame held with its mark; 0 to leave (batch), 1 to hold */
static int at_end(struct state *st, struct source *src, struct ui *ui, struct pace *p)
{
	ui->text.ended = true;
	if (src->ended && devmem_recording_truncated(src->rec))
		snprintf(st->frame.note, sizeof(st->frame.note),
			 "the recording ends in an incomplete frame (the recorder was stopped "
			 "while writing); earlier frames are shown");
	if (!ui->curses)
		return 0;
	show_frame(st, ui, p);
	return 1;
}

int run_replay(struct state *st, struct source *src, struct ui *ui, bool *quit,
	       bool *by_signal)
{
	struct pace p = { .speed = 1 };
	enum wait_result w;
	bool pending;
	int ret;

	st->opts = ui->o;
	/* the first frame before the screen: a recording without one says so */
	ret = read_frame(st, src);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		fprintf(stderr, "%s: %s holds no frame (the recorder stopped before its first "
			"interval ended): %s\n", prog, src->path, devmem_strerror(DEVMEM_E_NO_DATA));
		return devmem_exit_code(DEVMEM_E_NO_DATA);
	}
	if (!ui->o->batch)
		ui_start(ui);
	/* the first frame is due one recorded interval after the recording's start */
	p.wall0 = devmem_mono_ns();
	p.rec0 = st->start_ns && st->start_ns <= st->cum.ts_ns ? st->start_ns : st->cum.ts_ns;
	p.shown = p.rec0;
	pending = true;
	for (;;) {
		if (!pending)
			w = wait_until(ui, UINT64_MAX);
		else
			w = wait_until(ui, ui->o->fast ? 0 : due(&p, st->cum.ts_ns));
		if (w == W_QUIT || w == W_SIGNAL) {
			*quit = w == W_QUIT;
			*by_signal = w == W_SIGNAL;
			return 0;
		}
		if (w == W_REDRAW) {
			if (st->frames)
				show(ui, &st->frame);
			continue;
		}
		if (w == W_REPLAY) {
			bool speed = ui->cmd == R_FASTER || ui->cmd == R_SLOWER;

			if (!speed && !pending && ui->cmd_frames > 0 && ui->cmd == R_STEP)
				continue;	/* nothing after the end */
			ret = on_key(st, src, ui, &p, pending);
			if (ret < 0)
				return -1;
			if (speed)
				continue;
			ret = read_frame(st, src);
			if (ret < 0)
				return -1;
			pending = ret > 0;
			if (!pending && !at_end(st, src, ui, &p))
				return 0;
			continue;
		}
		if (!pending)
			continue;
		/* the frame is due */
		if (make_frame(st, false))
			nomem(ui);
		show_frame(st, ui, &p);
		if (ui->o->iterations && st->frames >= ui->o->iterations)
			return 0;
		ret = read_frame(st, src);
		if (ret < 0)
			return -1;
		pending = ret > 0;
		if (!pending && !at_end(st, src, ui, &p))
			return 0;
	}
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop: where frames come from, the screen and its keys. */
#include "devmemtop.h"

/* ---- data sources: the BPF session or a recording ---- */

/* 1: next cumulative snapshot in cum; 0: no more (replay); <0: error in err */
int source_next(struct source *src, struct devmem_snapshot *cum)
{
	int ret;

	if (src->sess) {
		ret = devmem_session_snapshot(src->sess, cum);
		if (ret) {
			devmem_strerror_errno(DEVMEM_E_READ, ret, src->err, sizeof(src->err));
			return ret;
		}
		return 1;
	}
	if (src->ended)
		return 0;
	ret = devmem_recording_next(src->rec, cum, src->err, sizeof(src->err));
	if (ret == 0)
		src->ended = true;
	return ret;
}

/* ---- the screen ---- */

void ui_start(struct ui *ui)
{
	char err[256];

	/* our SIGINT/SIGTERM handlers are set first, so curses leaves them */
	if (top_screen_start(ui->o->color, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog, err);
		exit(DEVMEM_EXIT_FAILURE);
	}
	ui->curses = true;
}

void ui_stop(struct ui *ui)
{
	if (!ui->curses)
		return;
	top_screen_stop();
	ui->curses = false;
}

static void draw(struct ui *ui, const struct top_frame *f)
{
	struct top_screen_view v = {
		.view = ui->view, .help = ui->help, .paused = ui->paused, .rows = ui->o->rows,
		.replay = ui->replay, .sort = &ui->o->sort, .text = &ui->text,
	};

	top_screen_draw(f, &v);
}

void show(struct ui *ui, struct top_frame *f)
{
	top_sort_rows(f, &ui->o->sort);
	if (ui->curses) {
		draw(ui, f);
		return;
	}
	ui->text.paused = false;
	ui->text.width = 0;
	ui->text.rows = ui->o->rows;
	if (ui->o->json)
		top_frame_json(stdout, f, &ui->text);
	else
		top_frame_print(stdout, f, &ui->o->sort, ui->batch_views, &ui->text);
	fflush(stdout);
}

static void cycle_sort(struct ui *ui, int step)
{
	int n = ui->view == TOP_VIEW_PROCESSES ? TOP_PK_COUNT :
		ui->view == TOP_VIEW_DEVICES ? TOP_DK_COUNT : TOP_TK_COUNT;
	int *k = &ui->o->sort.key[ui->view];

	*k = (*k + step + n) % n;
	ui->o->sort.reverse[ui->view] = false;
}

/* a replay's keys: step, seek, pace */
static enum wait_result replay_key(struct ui *ui, int ch)
{
	static const struct { int ch; enum replay_cmd cmd; long frames; } keys[] = {
		{ 'n', R_STEP, 1 }, { 'b', R_STEP, -1 }, { ']', R_STEP, 10 }, { '[', R_STEP, -10 },
		{ KEY_NPAGE, R_STEP, 10 }, { KEY_PPAGE, R_STEP, -10 }, { 'g', R_FIRST, 0 },
		{ KEY_HOME, R_FIRST, 0 }, { 'G', R_LAST, 0 }, { KEY_END, R_LAST, 0 },
		{ '+', R_FASTER, 0 }, { '=', R_FASTER, 0 }, { '-', R_SLOWER, 0 },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].ch == ch) {
			ui->cmd = keys[i].cmd;
			ui->cmd_frames = keys[i].frames;
			return W_REPLAY;
		}
	return W_TIMEOUT;
}

/* one key; true if the screen needs a redraw */
static enum wait_result handle_key(struct ui *ui, int ch)
{
	if (ui->help && ch != KEY_RESIZE) {
		ui->help = false;
		return W_REDRAW;
	}
	if (ui->replay && replay_key(ui, ch) == W_REPLAY)
		return W_REPLAY;
	switch (ch) {
	case 'q':
	case 'Q':
		return W_QUIT;
	case 'v':
	case 'V':
	case '\t':
		ui->view = (ui->view + 1) % TOP_VIEW_COUNT;
		return W_REDRAW;
	case 't':
	case 'T':
		ui->view = TOP_VIEW_THRASH;
		return W_REDRAW;
	case '>':
	case '.':
	case 's':
	case 'S':
	case KEY_RIGHT:
		cycle_sort(ui, 1);
		return W_REDRAW;
	case '<':
	case ',':
	case KEY_LEFT:
		cycle_sort(ui, -1);
		return W_REDRAW;
	case 'r':
	case 'R':
		ui->o->sort.reverse[ui->view] = !ui->o->sort.reverse[ui->view];
		return W_REDRAW;
	case 'p':
	case 'P':
	case ' ':
		ui->paused = !ui->paused;
		if (ui->paused)
			ui->paused_at = devmem_mono_ns();
		else
			ui->shift_ns += devmem_mono_ns() - ui->paused_at;
		return W_REDRAW;
	case 'h':
	case 'H':
	case '?':
		ui->help = true;
		return W_REDRAW;
	case 12:	/* Ctrl-L */
		clearok(curscr, TRUE);
		return W_REDRAW;
	case KEY_RESIZE:
		return W_REDRAW;
	}
	return W_TIMEOUT;	/* ignored */
}

/*
 * Wait until deadline (CLOCK_MONOTONIC, moved on by the time spent paused;
 * UINT64_MAX: forever), reading keys meanwhile. A key that changes the
 * screen returns W_REDRAW at once.
 */
enum wait_result wait_until(struct ui *ui, __u64 deadline)
{
	for (;;) {
		__u64 now = devmem_mono_ns(), due;
		int timeout_ms, ch;
		bool redraw = false;

		if (stop_signal || (ui->end_ns && now >= ui->end_ns))
			return W_SIGNAL;
		if (ui->curses) {
			while ((ch = getch()) != ERR) {
				enum wait_result r = handle_key(ui, ch);

				if (r == W_QUIT || r == W_REPLAY)
					return r;
				if (r == W_REDRAW)
					redraw = true;
			}
			if (redraw)
				return W_REDRAW;
		}
		due = deadline == UINT64_MAX ? UINT64_MAX : deadline + ui->shift_ns;
		if (!ui->paused && now >= due)
			return W_TIMEOUT;
		if (ui->paused || due == UINT64_MAX || due - now > 3600000000000ULL)
			timeout_ms = 1000;
		else
			timeout_ms = (int)((due - now + 999999) / 1000000);
		if (ui->end_ns && (ui->end_ns - now) / 1000000 < (__u64)timeout_ms)
			timeout_ms = (int)((ui->end_ns - now + 999999) / 1000000);
		if (ui->curses || ui->sess) {
			struct pollfd pfd[2] = {
				{ .fd = ui->curses ? STDIN_FILENO : -1, .events = POLLIN },
				{ .fd = ui->sess ? devmem_session_fd(ui->sess) : -1, .events = POLLIN },
			};

			/* a signal (SIGWINCH too) ends the poll early; getch then sees it */
			if (poll(pfd, 2, timeout_ms) > 0 && ui->curses &&
			    (pfd[0].revents & (POLLHUP | POLLERR)))
				return W_QUIT;	/* the terminal went away */
			/* process exits go into the session's history as they come */
			if (ui->sess && (pfd[1].revents & POLLIN))
				devmem_session_poll(ui->sess, 0);
		} else {
			struct timespec ts = {
				.tv_sec = timeout_ms / 1000,
				.tv_nsec = (long)(timeout_ms % 1000) * 1000000L,
			};

			nanosleep(&ts, NULL);
		}
	}
}

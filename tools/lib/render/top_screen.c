// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop's full screen (top_screen.h): a frame drawn with curses. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>
#include "cli/sanitize.h"
#include "render/top_screen.h"

/* colour pairs of the marks (enum top_mark) */
static bool colors;

static short pair_of(enum top_mark m)
{
	return m == TOP_MARK_GOOD ? 1 : m == TOP_MARK_WARN ? 2 : m == TOP_MARK_ALERT ? 3 : 0;
}

int top_screen_start(bool color, char *err, size_t len)
{
	SCREEN *scr;

	setlocale(LC_ALL, "");
	setenv("ESCDELAY", "25", 0);
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		snprintf(err, len, "the terminal '%s' is unknown to curses; set TERM or use -b for "
			 "plain text.", getenv("TERM") ? getenv("TERM") : "");
		return -1;
	}
	set_term(scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	colors = color && has_colors() && start_color() == OK;
	if (colors) {
		use_default_colors();
		init_pair(1, COLOR_GREEN, -1);
		init_pair(2, COLOR_YELLOW, -1);
		init_pair(3, COLOR_RED, -1);
	}
	return 0;
}

/* colour cols columns from col of line y, clipped to the screen */
static void mark(int y, int col, int cols, enum top_mark m)
{
	if (!colors || m == TOP_MARK_NONE || col >= COLS || cols <= 0)
		return;
	if (col + cols > COLS)
		cols = COLS - col;
	mvchgat(y, col, cols, m == TOP_MARK_ALERT ? A_BOLD : A_NORMAL, pair_of(m), NULL);
}

/* a header figure that is not 0 where it should be: lost events, thrashing pages */
static void mark_header(int y, const char *line, size_t n, const char *label, __u64 value)
{
	char tmp[512];
	const char *at;

	if (!value || n >= sizeof(tmp))
		return;
	memcpy(tmp, line, n);
	tmp[n] = '\0';
	at = strstr(tmp, label);
	if (!at)
		return;
	tmp[at - tmp] = '\0';
	mark(y, (int)devmem_str_cols(tmp), (int)strlen(label) + (int)strcspn(at + strlen(label), " "),
	     TOP_MARK_ALERT);
}

void top_screen_stop(void)
{
	curs_set(1);
	endwin();
}

static const char *const help_lines[] = {
	"devmemtop keys",
	"",
	"  v, Tab        cycle through the process, device and thrashing views",
	"  t             the thrashing view: runs of pages bouncing to RAM",
	"  <, >          sort by the column left / right of the current one",
	"  s             sort by the next column",
	"  r             reverse the sort order",
	"  p, space      pause / resume (figures keep accumulating)",
	"  n, b          a replay: one frame forward / back (and pause)",
	"  ], [          a replay: ten frames forward / back",
	"  g, G          a replay: the first / the last frame",
	"  +, -          a replay: twice / half as fast",
	"  Ctrl-L        redraw the screen",
	"  h, ?          this help (any key returns)",
	"  q             quit",
	"",
	"Rates are per second over the last interval; INUSE is what is in use now",
	"(+N/-N: the change since the start when the start count is unknown), USE%",
	"and the bar how full the device is: yellow from 75%, red from 90%; THRASH",
	"in red: pages bouncing between the device and RAM. NO_COLOR or --no-color:",
	"no colour.",
};

static void draw_help(void)
{
	erase();
	for (size_t i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]) && (int)i < LINES; i++)
		mvaddnstr((int)i, 0, help_lines[i], COLS);
	refresh();
}

void top_screen_draw(const struct top_frame *f, const struct top_screen_view *ui)
{
	char *hdr = NULL, line[512];
	size_t hdr_len = 0;
	int y = 0, col, col_len, room;
	size_t n, i;
	FILE *m;

	if (ui->help) {
		draw_help();
		return;
	}
	erase();
	ui->text->paused = ui->paused;
	ui->text->width = COLS;
	m = open_memstream(&hdr, &hdr_len);
	if (m) {
		top_header_text(m, f, ui->sort, ui->view, ui->text);
		fclose(m);
		for (char *p = hdr, *nl; p && *p && y < LINES; p = nl + 1, y++) {
			nl = strchr(p, '\n');
			if (!nl)
				break;
			/* top_header_text() cut each line to COLS columns already */
			mvaddnstr(y, 0, p, (int)(nl - p));
			mark_header(y, p, (size_t)(nl - p), "Lost events: ",
				    f->summary ? f->lost_since_start : f->lost);
			mark_header(y, p, (size_t)(nl - p), "thrashing pages ", f->thrash_pages);
		}
		free(hdr);
	}
	y++;
	if (y < LINES) {
		top_title_text(line, sizeof(line), f, ui->view, ui->sort, &col, &col_len);
		attron(A_REVERSE);
		mvhline(y, 0, ' ', COLS);
		mvaddnstr(y, 0, line, (int)devmem_str_cut(line, (size_t)COLS));
		attroff(A_REVERSE);
		if (col >= 0 && col < COLS)
			mvchgat(y, col, col_len, A_REVERSE | A_BOLD, 0, NULL);
		y++;
	}
	n = top_row_count(f, ui->view);
	room = LINES - y - 1;	/* the last line holds the key help */
	if (ui->rows >= 0 && ui->rows < room)
		room = ui->rows;
	for (i = 0; i < n && (int)i < room; i++) {
		struct top_span spans[8];
		size_t ns;

		top_row_text(line, sizeof(line), f, ui->view, i);
		mvaddnstr(y, 0, line, (int)devmem_str_cut(line, (size_t)COLS));
		ns = top_row_marks(f, ui->view, i, spans, sizeof(spans) / sizeof(spans[0]));
		for (size_t k = 0; k < ns; k++)
			mark(y, spans[k].col, spans[k].cols, spans[k].mark);
		y++;
	}
	if (!n && y < LINES - 1) {
		top_empty_text(line, sizeof(line), f, ui->view);
		mvaddnstr(y, 0, line, (int)devmem_str_cut(line, (size_t)COLS));
	}
	if (LINES > 1) {
		attron(A_REVERSE);
		mvhline(LINES - 1, 0, ' ', COLS);
		snprintf(line, sizeof(line), " %s | v %s  < > s sort  r reverse  p pause%s  h help  q quit",
			 ui->view == TOP_VIEW_PROCESSES ? "processes" : ui->view == TOP_VIEW_DEVICES ?
			 "devices" : "thrashing", ui->view == TOP_VIEW_PROCESSES ? "devices" :
			 ui->view == TOP_VIEW_DEVICES ? "thrashing" : "processes",
			 ui->replay ? "  n b [ ] step  + - speed" : "");
		mvaddnstr(LINES - 1, 0, line, COLS);
		attroff(A_REVERSE);
	}
	refresh();
}

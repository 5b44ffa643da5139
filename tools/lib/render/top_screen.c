// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemtop's full screen (top_screen.h): a frame drawn with curses. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>
#include "cli/sanitize.h"
#include "render/top_screen.h"

int top_screen_start(char *err, size_t len)
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
	return 0;
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
	"  Ctrl-L        redraw the screen",
	"  h, ?          this help (any key returns)",
	"  q             quit",
	"",
	"Rates are per second over the last interval; INUSE is pages in use now",
	"(+N/-N: the change since the start when the start count is unknown).",
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
		top_row_text(line, sizeof(line), f, ui->view, i);
		mvaddnstr(y++, 0, line, (int)devmem_str_cut(line, (size_t)COLS));
	}
	if (!n && y < LINES - 1)
		mvaddnstr(y, 0, ui->view == TOP_VIEW_PROCESSES ?
			  "(no process used device memory in this interval)" :
			  ui->view == TOP_VIEW_DEVICES ? "(no device-private memory known)" :
			  f->thrash_on ? "(no page thrashes: more than K bounces to RAM within T)" :
			  "(thrashing detection is off: --no-thrash, or a recording without it)",
			  COLS);
	if (LINES > 1) {
		attron(A_REVERSE);
		mvhline(LINES - 1, 0, ' ', COLS);
		mvaddnstr(LINES - 1, 0, ui->view == TOP_VIEW_PROCESSES ?
			  " processes | v devices  < > s sort  r reverse  p pause  h help  q quit" :
			  ui->view == TOP_VIEW_DEVICES ?
			  " devices | v thrashing  < > s sort  r reverse  p pause  h help  q quit" :
			  " thrashing | v processes  < > s sort  r reverse  p pause  h help  q quit",
			  COLS);
		attroff(A_REVERSE);
	}
	refresh();
}

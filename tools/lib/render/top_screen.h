/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* devmemtop's full screen (top_screen.c): a frame drawn with curses. */
#ifndef DEVMEM_RENDER_TOP_SCREEN_H
#define DEVMEM_RENDER_TOP_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include "render/top_view.h"

/* what the screen shows of a frame */
struct top_screen_view {
	enum top_view view;
	bool help;			/* the key help instead of the frame */
	bool paused;
	int rows;			/* -r: at most this many rows; < 0: as many as fit */
	bool replay;			/* a recording: its keys in the key line */
	const struct top_sort *sort;
	struct top_text_opts *text;
};

/*
 * curses on the terminal, in colour where color and the terminal has it
 * (the caller has looked at NO_COLOR and --no-color); -1 with the reason
 * and remedy in err
 */
int top_screen_start(bool color, char *err, size_t len);
void top_screen_stop(void);
void top_screen_draw(const struct top_frame *f, const struct top_screen_view *v);

#endif /* DEVMEM_RENDER_TOP_SCREEN_H */

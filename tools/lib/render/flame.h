/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Stacks as folded lines (folded.c) and as an SVG flame graph (flame.c,
 * with the script of flame_script.c): flamegraph.pl's conventions, so the
 * pictures read as people know them: a root frame "all", siblings in
 * alphabetical order (two graphs compare), search and click-to-zoom.
 */
#ifndef DEVMEM_FLAME_H
#define DEVMEM_FLAME_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "model/snapshot.h"

/* one stack, outermost frame first, and how many faults it took */
struct devmem_stack {
	const char *const *frames;
	size_t depth;
	__u64 count;
};

/*
 * "outer;...;inner COUNT" a line; names filtered (spaces as \x20), ';' in a
 * name becomes ':'; identical lines merged, lines in byte order, stacks of
 * count 0 left out. 0, -ENOMEM or -EIO.
 */
int devmem_folded_write(FILE *out, const struct devmem_stack *st, size_t n);

/* a folded file read back */
struct devmem_folded {
	struct devmem_stack *st;
	size_t nr;
	char **bufs;		/* the text each stack's frames point into */
};

/* 0, or -EINVAL / -ENOMEM / -EIO with a sentence (the line) in err */
int devmem_folded_read(FILE *in, struct devmem_folded *f, char *err, size_t errlen);
void devmem_folded_free(struct devmem_folded *f);

/*
 * The flame graph: the stacks merged by name frame by frame under a root
 * "all", siblings in alphabetical order, every frame a <g class="frame">
 * with its name in data-name, a <title> with its count and share, its
 * <rect> and, where it fits, its <text>; the script searches (the Search
 * button, or ?s=REGEX / #s=REGEX in the URL) and zooms (a click).
 * unit names what a count counts ("faults"). 0, -ENOMEM or -EIO.
 */
int devmem_flame_svg(FILE *out, const struct devmem_stack *st, size_t n, const char *title,
		     const char *unit);

/* the script of the flame graph (flame_script.c), inside a CDATA section */
extern const char devmem_flame_script[];

/*
 * Write s's stacks as folded lines to folded and as an SVG flame graph to
 * flamegraph (either NULL: not written; "-": standard output). 0, or
 * -errno with one sentence in err.
 */
int devmem_stacks_write(const struct devmem_snapshot *s, const char *folded,
			const char *flamegraph, const char *title, char *err, size_t errlen);

#endif /* DEVMEM_FLAME_H */

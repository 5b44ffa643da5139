/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Stacks as folded lines and as an SVG flame graph (flame.c). */
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

/* "outer;...;inner COUNT" a line; names filtered, ';' in a name becomes ':' */
int devmem_folded_write(FILE *out, const struct devmem_stack *st, size_t n);
/* the flame graph, the stacks merged by name frame by frame; 0, -ENOMEM or -EIO */
int devmem_flame_svg(FILE *out, const struct devmem_stack *st, size_t n, const char *title);

/*
 * Write s's stacks as folded lines to folded and as an SVG flame graph to
 * flamegraph (either NULL: not written; "-": standard output). 0, or
 * -errno with one sentence in err.
 */
int devmem_stacks_write(const struct devmem_snapshot *s, const char *folded,
			const char *flamegraph, const char *title, char *err, size_t errlen);

#endif /* DEVMEM_FLAME_H */

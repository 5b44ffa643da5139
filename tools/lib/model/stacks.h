/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Fault stacks of a snapshot (stacks.c): names, copies, order, merge, delta.
 */
#ifndef DEVMEM_MODEL_STACKS_H
#define DEVMEM_MODEL_STACKS_H

#include "model/snapshot.h"

/* name i (0: innermost) of a stack; "" past its depth */
const char *devmem_stack_frame(const struct devmem_snap_stack *st, __u32 i);
/* the file of frame i ("" unknown or past its depth) */
const char *devmem_stack_file(const struct devmem_snap_stack *st, __u32 i);
/* set a stack's names from an array (innermost first); 0 or -ENOMEM */
int devmem_stack_set_names(struct devmem_snap_stack *st, const char *const *names, __u32 depth);
/* set its locations and files (depth of each, innermost first); 0 or -ENOMEM */
int devmem_stack_set_locs(struct devmem_snap_stack *st, const struct devmem_frame_loc *locs,
			  const char *const *files, __u32 depth);
/* the NUL-terminated strings of a packed list ("a\0b\0"), len bytes: the count, or -1 */
int devmem_strings_count(const char *p, size_t len);
/* what one stack owns */
void devmem_stack_release(struct devmem_snap_stack *st);
void devmem_stacks_free(struct devmem_snap_stack *st, size_t n);
/* a deep copy; NULL for n 0 or out of memory (check n) */
struct devmem_snap_stack *devmem_stacks_dup(const struct devmem_snap_stack *st, size_t n);
/* stacks of src replace those of dst with the same (tgid, start, id), the others join */
int devmem_stacks_merge(struct devmem_snapshot *dst, const struct devmem_snapshot *src);
/* qsort order of stacks: (tgid, start, stack id) */
int devmem_stack_cmp(const void *x, const void *y);
/* the stacks, most faults first; NULL (and *n 0) when none or out of memory */
const struct devmem_snap_stack **devmem_stacks_ranked(const struct devmem_snapshot *s, size_t *n);
/* for devmem_snapshot_delta(), as devmem_thrash_delta() for stacks */
void devmem_stacks_delta(struct devmem_snapshot *out, const struct devmem_snapshot *prev);

#endif /* DEVMEM_MODEL_STACKS_H */

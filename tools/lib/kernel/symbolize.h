/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Symbols of user-space addresses (symbolize.c, on elfutils' libdwfl). A
 * process's address space is known per (tgid, start time, layout: one per
 * exec) from the mappings the BPF side looked up while it lived (each with
 * its file and build-id), or from its /proc/PID/maps; the files are found
 * and kept open by build-id, so stacks read after the process exec'd or
 * exited, or after its file was deleted, still resolve. A file is looked
 * for where the mapping said (checked by build-id, or inode), then under
 * the debug directories by build-id (.build-id/xx/rest.debug, and the
 * file's .gnu_debuglink).
 */
#ifndef DEVMEM_SYMBOLIZE_H
#define DEVMEM_SYMBOLIZE_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <elfutils/libdwfl.h>
#include "devmem.h"
#include "model/snapshot.h"

struct devmem_symbolizer;

/*
 * debug_dirs: ':'-separated roots of .build-id trees and debuglink
 * directories; NULL: $DEVMEM_DEBUG_DIRS, else /usr/lib/debug.
 */
struct devmem_symbolizer *devmem_sym_new(const char *debug_dirs);
void devmem_sym_free(struct devmem_symbolizer *s);

/* a mapping the BPF side looked up (its file is opened and kept now); 0 or -ENOMEM */
int devmem_sym_add_map(struct devmem_symbolizer *s, const struct devmem_stack_map *m);
/* a process's address space from its /proc/PID/maps text; 0 or -ENOMEM */
int devmem_sym_add_maps(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout,
			FILE *maps);
/*
 * The same, read now from /proc/TGID/maps (once per layout); 0 or -errno,
 * -ESRCH for a process that has no maps left (exited, not yet reaped)
 */
int devmem_sym_capture(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout);
/* whether mappings of the layout are known, and whether one holds addr */
bool devmem_sym_known(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout);
bool devmem_sym_covers(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout,
		       __u64 addr);
/* drop the processes keep() says are forgotten */
void devmem_sym_forget(struct devmem_symbolizer *s,
		       bool (*keep)(void *ctx, __u32 tgid, __u64 start_ns), void *ctx);
/*
 * The layout's Dwfl (its modules at their addresses, for the unwinder),
 * and where the unwinder keeps its state with it; NULL if no mapping is
 * known.
 */
Dwfl *devmem_sym_dwfl(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout,
		      void ***unwind);
/*
 * The function an address is in ("main"), else its file and offset
 * ("libfoo.so+0x1234"), else the address ("0x7f..."); always buf.
 */
const char *devmem_sym_name(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns,
			    __u32 layout, __u64 addr, char *buf, size_t len);
/* where addr is: its file's build-id and path, the offset in it (path "" none) */
void devmem_sym_where(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout,
		      __u64 addr, struct devmem_frame_loc *loc, const char **path);
/*
 * The function at an offset of a file known by build-id (found in the
 * files seen, at path, or under the debug directories), as
 * devmem_sym_name() says it; NULL when no such file is found.
 */
const char *devmem_sym_name_at(struct devmem_symbolizer *s, const struct devmem_frame_loc *loc,
			       const char *path, char *buf, size_t len);

#endif /* DEVMEM_SYMBOLIZE_H */

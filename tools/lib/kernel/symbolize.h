/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Symbols of user-space addresses (symbolize.c, on elfutils' libdwfl): a
 * process is known by (tgid, start time) and its address space by the
 * /proc/PID/maps read while it lived, so stacks read after it exited still
 * resolve.
 */
#ifndef DEVMEM_SYMBOLIZE_H
#define DEVMEM_SYMBOLIZE_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <elfutils/libdwfl.h>

struct devmem_symbolizer;

struct devmem_symbolizer *devmem_sym_new(void);
void devmem_sym_free(struct devmem_symbolizer *s);
/* a process's address space from its /proc/PID/maps text; 0 or -ENOMEM */
int devmem_sym_add_maps(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, FILE *maps);
/*
 * The same, read now from /proc/TGID/maps (once per process); 0 or -errno,
 * -ESRCH for a process that has no maps left (exited, not yet reaped)
 */
int devmem_sym_capture(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns);
/* the same from the maps of process from, which shares its layout (its parent) */
int devmem_sym_capture_from(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 from);
/* drop the processes keep() says are forgotten */
void devmem_sym_forget(struct devmem_symbolizer *s,
		       bool (*keep)(void *ctx, __u32 tgid, __u64 start_ns), void *ctx);
/*
 * The process's Dwfl (its modules at their addresses, for the unwinder),
 * and where the unwinder keeps its state with it; NULL if its maps are
 * unknown.
 */
Dwfl *devmem_sym_dwfl(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, void ***unwind);
/*
 * The function an address is in ("main"), else its file and address
 * ("libfoo.so+0x1234"), else the address ("0x7f..."); always buf.
 */
const char *devmem_sym_name(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u64 addr,
			    char *buf, size_t len);

#endif /* DEVMEM_SYMBOLIZE_H */

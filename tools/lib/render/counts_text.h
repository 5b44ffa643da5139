/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Counters and folio counts as text (counts_text.c): the one printer of
 * each, for the reports of devmemstat and devmemhist. A value not
 * observed (DEVMEM_UNKNOWN, or a counter the mode cannot see) is "?".
 */
#ifndef DEVMEM_RENDER_COUNTS_TEXT_H
#define DEVMEM_RENDER_COUNTS_TEXT_H

#include <stddef.h>
#include <stdio.h>
#include "model/snapshot.h"

/* v in decimal, or "?" when unknown; returns buf */
const char *devmem_count_text(char *buf, size_t len, __u64 v);
/* every counter on a line of its own: indent, its name, its value */
void devmem_counters_text(FILE *out, enum devmem_mode mode, const struct devmem_counters *c,
			  const char *indent);
/* the counters with a known value other than 0 on one line; "no activity" if none */
void devmem_counters_line(FILE *out, enum devmem_mode mode, const struct devmem_counters *c,
			  const char *indent);
/*
 * One line: "folios by order: allocs 0:123 9:4, frees 0:120, to_device
 * none, to_ram 9:4" (order:folios, the last order standing for itself and
 * up); "folios by order: ?" when the source did not keep them.
 */
void devmem_folios_text(FILE *out, const struct devmem_folio_counts *f, const char *indent);

#endif /* DEVMEM_RENDER_COUNTS_TEXT_H */

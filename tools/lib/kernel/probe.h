/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the running kernel offers (probe.c): probed, never guessed from its version.
 */
#ifndef DEVMEM_KERNEL_PROBE_H
#define DEVMEM_KERNEL_PROBE_H

#include <stdbool.h>
#include "cli/errors.h"
#include "model/snapshot.h"

/* fallback target functions */
enum devmem_fn {
	DEVMEM_FN_MEMREMAP_PAGES = 0,
	DEVMEM_FN_MEMUNMAP_PAGES,
	DEVMEM_FN_FREE_FOLIO,		/* free_zone_device_folio */
	DEVMEM_FN_FREE_PAGE,		/* free_zone_device_page (v6.1 name) */
	DEVMEM_FN_PAGE_INIT,		/* zone_device_page_init */
	DEVMEM_FN_MIGRATE_VMA_PAGES,
	DEVMEM_FN_MIGRATE_DEVICE_PAGES,
	DEVMEM_FN_MIGRATE_VMA_SETUP,
	DEVMEM_FN_MIGRATE_VMA_FINALIZE,
	DEVMEM_FN_PERF_EVENT_EXIT_TASK,	/* late in do_exit: the exit flush */
	DEVMEM_FN_DO_SWAP_PAGE,		/* the fallback's end of a fault */
	DEVMEM_FN_FOLIO_INIT,		/* zone_device_folio_init (large device folios) */
	DEVMEM_FN_PAGE_INIT_ORDER,	/* zone_device_page_init(page, pgmap, order), v7.x */
	DEVMEM_FN_DO_HUGE_PMD,		/* do_huge_pmd_device_private: PMD faults, v7.x */
	DEVMEM_FN_FOLIO_MIGRATE_MAPPING,	/* a folio an eviction moves */
	DEVMEM_FN_MIGRATE_FOLIO_EXTRA,	/* ... on v6.1 */
	DEVMEM_FN_MIGRATE_FOLIO,	/* ... on v6.1 */
	DEVMEM_FN_COUNT,
};

/* which kernel series' tracepoints the kernel has */
enum devmem_tp_flavour {
	DEVMEM_TP_NONE = 0,
	DEVMEM_TP_V2 = 2,		/* the devmem system of series v2 */
	DEVMEM_TP_V3 = 3,		/* the zone_device system of series v3 */
};

struct devmem_features {
	bool btf;			/* /sys/kernel/btf/vmlinux readable */
	bool tracepoints;		/* the series' tracepoints exist */
	enum devmem_tp_flavour flavour;	/* ... of which version */
	bool tp_btf;			/* ... and a tp_btf program loads on them */
	bool tp_fault_busy;		/* zone_device_fault_busy exists (v7.x with v3) */
	bool pgmap_readable;		/* the pagemap of a page can be read (struct page known) */
	bool fentry;			/* fentry loads and attaches (memremap_pages) */
	bool fentry_refused;		/* ... the kernel said EPERM (lockdown, sandbox) */
	bool fn[DEVMEM_FN_COUNT];	/* function takes fentry and fexit programs */
};

const char *devmem_fn_name(enum devmem_fn fn);
struct btf;
/*
 * Fill f by probing the running kernel; never by its version. fn[] stays
 * false. Returns the kernel's BTF it loaded for devmem_probe_functions()
 * (NULL without one); the caller frees it with btf__free().
 */
struct btf *devmem_probe_features(struct devmem_features *f);
/* fn[] of the functions in fns (bit i: enum devmem_fn i), by trial attaches */
void devmem_probe_functions(struct devmem_features *f, const struct btf *btf,
			    unsigned int fns);
/*
 * Pure decision from probed features: tracepoints first (tp_btf, else
 * raw_tp), the fentry fallback second; force_fentry skips the tracepoints.
 */
enum devmem_error devmem_choose_mode(const struct devmem_features *f, bool force_fentry,
				     enum devmem_mode *mode);

#endif /* DEVMEM_KERNEL_PROBE_H */

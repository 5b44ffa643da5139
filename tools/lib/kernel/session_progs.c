// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Which programs a session loads: a table over the skeleton's programs,
 * each with the attachment modes it belongs to, the event family it
 * serves, the kernel function it needs on the fallback and the function
 * whose presence makes it unnecessary. A program renamed in bpf/ no
 * longer compiles here; one added there and missing here is caught by
 * test_session, which compares the table with the object.
 */
#include <stddef.h>
#include "kernel/probe.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "model/snapshot.h"

#define PROG(name)	offsetof(struct devmem_bpf, progs.name)
#define M_TP		(1U << DEVMEM_MODE_TP_BTF)
#define M_RAW		(1U << DEVMEM_MODE_RAW_TP)
#define M_FE		(1U << DEVMEM_MODE_FENTRY)
#define M_ALL		(M_TP | M_RAW | M_FE)
#define NO_FN		(-1)

/* a tracepoint program's series (enum devmem_tp_flavour), and optional ones */
#define P_V2		0x1		/* the devmem tracepoints of series v2 */
#define P_V3		0x2		/* the zone_device tracepoints of series v3 */
#define P_BUSY		0x4		/* zone_device_fault_busy, which v7.x alone has */

struct prog_choice {
	size_t prog;		/* offset of its struct bpf_program * in the skeleton */
	unsigned int modes;	/* bits (1 << enum devmem_mode) it loads in */
	unsigned int family;	/* DEVMEM_FAM_* it serves */
	int needs;		/* enum devmem_fn it attaches to, NO_FN: a tracepoint */
	int unless;		/* enum devmem_fn that, present, replaces it */
	unsigned int flags;	/* P_*: the tracepoints it needs */
};

#define TP(name, family, flags)						\
	{ PROG(tp_##name), M_TP, family, NO_FN, NO_FN, flags },		\
	{ PROG(raw_##name), M_RAW, family, NO_FN, NO_FN, flags }
#define FE(name, family, needs, unless)					\
	{ PROG(name), M_FE, family, needs, unless, 0 }

static const struct prog_choice choices[] = {
	/* run by user space at start, in every mode: ranges already there */
	{ PROG(probe_range), M_ALL, DEVMEM_FAM_PAGEMAPS, NO_FN, NO_FN, 0 },

	/* process exits, as late in do_exit() as a hook is found */
	{ PROG(fe_perf_event_exit_task), M_TP | M_FE, DEVMEM_FAM_PROCESSES,
	  DEVMEM_FN_PERF_EVENT_EXIT_TASK, NO_FN, 0 },
	{ PROG(tp_sched_process_exit), M_TP | M_FE, DEVMEM_FAM_PROCESSES,
	  NO_FN, DEVMEM_FN_PERF_EVENT_EXIT_TASK, 0 },
	{ PROG(tp_sched_process_free), M_TP | M_FE, DEVMEM_FAM_PROCESSES, NO_FN, NO_FN, 0 },
	{ PROG(raw_sched_process_exit), M_RAW, DEVMEM_FAM_PROCESSES, NO_FN, NO_FN, 0 },
	{ PROG(raw_sched_process_free), M_RAW, DEVMEM_FAM_PROCESSES, NO_FN, NO_FN, 0 },

	/* the zone_device tracepoints of series v3 */
	TP(pagemap_add, DEVMEM_FAM_PAGEMAPS, P_V3),
	TP(pagemap_remove, DEVMEM_FAM_PAGEMAPS, P_V3),
	TP(pagemap_remove_done, DEVMEM_FAM_PAGEMAPS, P_V3),
	TP(folio_alloc, DEVMEM_FAM_PAGES, P_V3),
	TP(folio_free, DEVMEM_FAM_PAGES, P_V3),
	TP(fault, DEVMEM_FAM_FAULTS, P_V3),
	TP(fault_done, DEVMEM_FAM_FAULTS, P_V3),
	TP(fault_busy, DEVMEM_FAM_FAULTS, P_V3 | P_BUSY),
	TP(migrate_start, DEVMEM_FAM_MIGRATIONS, P_V3),
	TP(migrate_folios, DEVMEM_FAM_MIGRATIONS, P_V3),
	TP(migrate_end, DEVMEM_FAM_MIGRATIONS, P_V3),

	/* the devmem tracepoints of series v2 */
	TP(v2_pagemap_add, DEVMEM_FAM_PAGEMAPS, P_V2),
	TP(v2_pagemap_remove, DEVMEM_FAM_PAGEMAPS, P_V2),
	TP(v2_pagemap_remove_done, DEVMEM_FAM_PAGEMAPS, P_V2),
	TP(v2_page_alloc, DEVMEM_FAM_PAGES, P_V2),
	TP(v2_page_free, DEVMEM_FAM_PAGES, P_V2),
	TP(v2_fault, DEVMEM_FAM_FAULTS, P_V2),
	TP(v2_fault_done, DEVMEM_FAM_FAULTS, P_V2),
	TP(v2_migrate, DEVMEM_FAM_MIGRATIONS, P_V2),

	/* the fallback: the core functions */
	FE(fx_memremap_pages, DEVMEM_FAM_PAGEMAPS, DEVMEM_FN_MEMREMAP_PAGES, NO_FN),
	FE(fe_memunmap_pages, DEVMEM_FAM_PAGEMAPS, DEVMEM_FN_MEMUNMAP_PAGES, NO_FN),
	FE(fx_memunmap_pages, DEVMEM_FAM_PAGEMAPS, DEVMEM_FN_MEMUNMAP_PAGES, NO_FN),
	FE(fe_free_zone_device_folio, DEVMEM_FAM_PAGES, DEVMEM_FN_FREE_FOLIO, NO_FN),
	FE(fe_free_zone_device_page, DEVMEM_FAM_PAGES, DEVMEM_FN_FREE_PAGE, NO_FN),
	/* where folios of an order are handed out, page_init may be its wrapper */
	FE(fe_zone_device_page_init, DEVMEM_FAM_PAGES, DEVMEM_FN_PAGE_INIT, DEVMEM_FN_FOLIO_INIT),
	FE(fe_zone_device_page_init_order, DEVMEM_FAM_PAGES, DEVMEM_FN_PAGE_INIT_ORDER,
	   DEVMEM_FN_FOLIO_INIT),
	FE(fe_zone_device_folio_init, DEVMEM_FAM_PAGES, DEVMEM_FN_FOLIO_INIT, NO_FN),
	FE(fx_migrate_vma_pages, DEVMEM_FAM_MIGRATIONS, DEVMEM_FN_MIGRATE_VMA_PAGES, NO_FN),
	/* an eviction, folio by folio: one of the three hooks is enough, any may be nested */
	FE(fe_migrate_device_pages, DEVMEM_FAM_MIGRATIONS, DEVMEM_FN_MIGRATE_DEVICE_PAGES, NO_FN),
	FE(fx_migrate_device_pages, DEVMEM_FAM_MIGRATIONS, DEVMEM_FN_MIGRATE_DEVICE_PAGES, NO_FN),
	FE(fx_folio_migrate_mapping, DEVMEM_FAM_MIGRATIONS, DEVMEM_FN_FOLIO_MIGRATE_MAPPING, NO_FN),
	FE(fx_migrate_folio_extra, DEVMEM_FAM_MIGRATIONS, DEVMEM_FN_MIGRATE_FOLIO_EXTRA, NO_FN),
	FE(fx_migrate_folio, DEVMEM_FAM_MIGRATIONS, DEVMEM_FN_MIGRATE_FOLIO, NO_FN),
	/* a fault starts at migrate_vma_setup(), ends at do_swap_page()'s return where it can */
	FE(fe_migrate_vma_setup, DEVMEM_FAM_FAULTS, DEVMEM_FN_MIGRATE_VMA_SETUP, NO_FN),
	FE(fx_migrate_vma_setup, DEVMEM_FAM_FAULTS, DEVMEM_FN_MIGRATE_VMA_SETUP,
	   DEVMEM_FN_DO_SWAP_PAGE),
	FE(fx_migrate_vma_finalize, DEVMEM_FAM_FAULTS, DEVMEM_FN_MIGRATE_VMA_FINALIZE,
	   DEVMEM_FN_DO_SWAP_PAGE),
	FE(fx_do_swap_page, DEVMEM_FAM_FAULTS, DEVMEM_FN_DO_SWAP_PAGE, NO_FN),
	/* ... and a PMD fault at do_huge_pmd_device_private()'s */
	FE(fx_do_huge_pmd_device_private, DEVMEM_FAM_FAULTS, DEVMEM_FN_DO_HUGE_PMD, NO_FN),
};

#define NR_CHOICES	(sizeof(choices) / sizeof(choices[0]))

static struct bpf_program *prog_of(const struct devmem_bpf *skel, const struct prog_choice *c)
{
	return *(struct bpf_program *const *)((const char *)skel + c->prog);
}

static bool chosen(const struct prog_choice *c, enum devmem_mode mode, unsigned int families)
{
	return (c->modes & (1U << mode)) && (c->family & families);
}

/* is a program's series the kernel's, its optional tracepoint there */
static bool series_ok(const struct prog_choice *c, const struct devmem_features *f)
{
	if ((c->flags & P_V3) && f->flavour != DEVMEM_TP_V3)
		return false;
	if ((c->flags & P_V2) && f->flavour != DEVMEM_TP_V2)
		return false;
	return !(c->flags & P_BUSY) || f->tp_fault_busy;
}

unsigned int devmem_session_families(unsigned int wanted)
{
	/* a fault's migrated pages come from the migration handlers */
	if (wanted & DEVMEM_FAM_FAULTS)
		wanted |= DEVMEM_FAM_MIGRATIONS;
	/* ranges are named, and filtered, by the pagemap programs */
	return wanted | DEVMEM_FAM_PAGEMAPS;
}

unsigned int devmem_families_of_events(__u32 mask)
{
	unsigned int f = 0;

	if (mask & (1U << DEVMEM_EV_PAGEMAP_ADD | 1U << DEVMEM_EV_PAGEMAP_REMOVE |
		    1U << DEVMEM_EV_PAGEMAP_REMOVE_DONE))
		f |= DEVMEM_FAM_PAGEMAPS;
	if (mask & (1U << DEVMEM_EV_FAULT | 1U << DEVMEM_EV_FAULT_DONE))
		f |= DEVMEM_FAM_FAULTS;
	if (mask & (1U << DEVMEM_EV_MIGRATE))
		f |= DEVMEM_FAM_MIGRATIONS;
	if (mask & (1U << DEVMEM_EV_PAGE_ALLOC | 1U << DEVMEM_EV_PAGE_FREE))
		f |= DEVMEM_FAM_PAGES;
	return f;
}

unsigned int devmem_session_fns(enum devmem_mode mode, unsigned int families)
{
	unsigned int fns = 0;

	for (size_t i = 0; i < NR_CHOICES; i++) {
		if (!chosen(&choices[i], mode, families))
			continue;
		if (choices[i].needs != NO_FN)
			fns |= 1U << choices[i].needs;
		if (choices[i].unless != NO_FN)
			fns |= 1U << choices[i].unless;
	}
	return fns;
}

void devmem_session_select(struct devmem_bpf *skel, enum devmem_mode mode,
			   unsigned int families, const struct devmem_features *f)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	for (size_t i = 0; i < NR_CHOICES; i++) {
		const struct prog_choice *c = &choices[i];
		bool on = chosen(c, mode, families) && series_ok(c, f);

		if (on && c->needs != NO_FN)
			on = f->fn[c->needs];
		if (on && c->unless != NO_FN)
			on = !f->fn[c->unless];
		bpf_program__set_autoload(prog_of(skel, c), on);
	}
}

size_t devmem_session_table_size(void)
{
	return NR_CHOICES;
}

size_t devmem_session_object_programs(const struct devmem_bpf *skel)
{
	struct bpf_program *p;
	size_t n = 0;

	bpf_object__for_each_program(p, skel->obj)
		n++;
	return n;
}

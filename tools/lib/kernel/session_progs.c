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

struct prog_choice {
	size_t prog;		/* offset of its struct bpf_program * in the skeleton */
	unsigned int modes;	/* bits (1 << enum devmem_mode) it loads in */
	unsigned int family;	/* DEVMEM_FAM_* it serves */
	int needs;		/* enum devmem_fn it attaches to, NO_FN: a tracepoint */
	int unless;		/* enum devmem_fn that, present, replaces it */
};

static const struct prog_choice choices[] = {
	/* run by user space at start, in every mode: ranges already there */
	{ PROG(probe_range), M_ALL, DEVMEM_FAM_PAGEMAPS, NO_FN, NO_FN },

	/* process exits, as late in do_exit() as a hook is found */
	{ PROG(fe_perf_event_exit_task), M_TP | M_FE, DEVMEM_FAM_PROCESSES,
	  DEVMEM_FN_PERF_EVENT_EXIT_TASK, NO_FN },
	{ PROG(tp_sched_process_exit), M_TP | M_FE, DEVMEM_FAM_PROCESSES,
	  NO_FN, DEVMEM_FN_PERF_EVENT_EXIT_TASK },
	{ PROG(tp_sched_process_free), M_TP | M_FE, DEVMEM_FAM_PROCESSES, NO_FN, NO_FN },
	{ PROG(raw_sched_process_exit), M_RAW, DEVMEM_FAM_PROCESSES, NO_FN, NO_FN },
	{ PROG(raw_sched_process_free), M_RAW, DEVMEM_FAM_PROCESSES, NO_FN, NO_FN },

	/* the devmem tracepoints */
	{ PROG(tp_pagemap_add), M_TP, DEVMEM_FAM_PAGEMAPS, NO_FN, NO_FN },
	{ PROG(raw_pagemap_add), M_RAW, DEVMEM_FAM_PAGEMAPS, NO_FN, NO_FN },
	{ PROG(tp_pagemap_remove), M_TP, DEVMEM_FAM_PAGEMAPS, NO_FN, NO_FN },
	{ PROG(raw_pagemap_remove), M_RAW, DEVMEM_FAM_PAGEMAPS, NO_FN, NO_FN },
	{ PROG(tp_pagemap_remove_done), M_TP, DEVMEM_FAM_PAGEMAPS, NO_FN, NO_FN },
	{ PROG(raw_pagemap_remove_done), M_RAW, DEVMEM_FAM_PAGEMAPS, NO_FN, NO_FN },
	{ PROG(tp_fault), M_TP, DEVMEM_FAM_FAULTS, NO_FN, NO_FN },
	{ PROG(raw_fault), M_RAW, DEVMEM_FAM_FAULTS, NO_FN, NO_FN },
	{ PROG(tp_fault_done), M_TP, DEVMEM_FAM_FAULTS, NO_FN, NO_FN },
	{ PROG(raw_fault_done), M_RAW, DEVMEM_FAM_FAULTS, NO_FN, NO_FN },
	{ PROG(tp_migrate), M_TP, DEVMEM_FAM_MIGRATIONS, NO_FN, NO_FN },
	{ PROG(raw_migrate), M_RAW, DEVMEM_FAM_MIGRATIONS, NO_FN, NO_FN },
	{ PROG(tp_page_alloc), M_TP, DEVMEM_FAM_PAGES, NO_FN, NO_FN },
	{ PROG(raw_page_alloc), M_RAW, DEVMEM_FAM_PAGES, NO_FN, NO_FN },
	{ PROG(tp_page_free), M_TP, DEVMEM_FAM_PAGES, NO_FN, NO_FN },
	{ PROG(raw_page_free), M_RAW, DEVMEM_FAM_PAGES, NO_FN, NO_FN },

	/* the fallback: the core functions */
	{ PROG(fx_memremap_pages), M_FE, DEVMEM_FAM_PAGEMAPS, DEVMEM_FN_MEMREMAP_PAGES, NO_FN },
	{ PROG(fe_memunmap_pages), M_FE, DEVMEM_FAM_PAGEMAPS, DEVMEM_FN_MEMUNMAP_PAGES, NO_FN },
	{ PROG(fx_memunmap_pages), M_FE, DEVMEM_FAM_PAGEMAPS, DEVMEM_FN_MEMUNMAP_PAGES, NO_FN },
	{ PROG(fe_free_zone_device_folio), M_FE, DEVMEM_FAM_PAGES, DEVMEM_FN_FREE_FOLIO, NO_FN },
	{ PROG(fe_free_zone_device_page), M_FE, DEVMEM_FAM_PAGES, DEVMEM_FN_FREE_PAGE, NO_FN },
	/* where folios of an order are handed out, page_init may be its wrapper */
	{ PROG(fe_zone_device_page_init), M_FE, DEVMEM_FAM_PAGES,
	  DEVMEM_FN_PAGE_INIT, DEVMEM_FN_FOLIO_INIT },
	{ PROG(fe_zone_device_folio_init), M_FE, DEVMEM_FAM_PAGES, DEVMEM_FN_FOLIO_INIT, NO_FN },
	{ PROG(fx_migrate_vma_pages), M_FE, DEVMEM_FAM_MIGRATIONS,
	  DEVMEM_FN_MIGRATE_VMA_PAGES, NO_FN },
	{ PROG(fx_migrate_device_pages), M_FE, DEVMEM_FAM_MIGRATIONS,
	  DEVMEM_FN_MIGRATE_DEVICE_PAGES, NO_FN },
	/* a fault starts at migrate_vma_setup(), ends at do_swap_page()'s return where it can */
	{ PROG(fe_migrate_vma_setup), M_FE, DEVMEM_FAM_FAULTS, DEVMEM_FN_MIGRATE_VMA_SETUP, NO_FN },
	{ PROG(fx_migrate_vma_setup), M_FE, DEVMEM_FAM_FAULTS,
	  DEVMEM_FN_MIGRATE_VMA_SETUP, DEVMEM_FN_DO_SWAP_PAGE },
	{ PROG(fx_migrate_vma_finalize), M_FE, DEVMEM_FAM_FAULTS,
	  DEVMEM_FN_MIGRATE_VMA_FINALIZE, DEVMEM_FN_DO_SWAP_PAGE },
	{ PROG(fx_do_swap_page), M_FE, DEVMEM_FAM_FAULTS, DEVMEM_FN_DO_SWAP_PAGE, NO_FN },
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
		bool on = chosen(c, mode, families);

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

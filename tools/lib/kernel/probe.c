// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* What the running kernel offers: probed, never guessed from its version. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cli/errors.h"
#include "kernel/probe.h"
#include "model/snapshot.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

static const char *const fn_names[DEVMEM_FN_COUNT] = {
	[DEVMEM_FN_MEMREMAP_PAGES] = "memremap_pages",
	[DEVMEM_FN_MEMUNMAP_PAGES] = "memunmap_pages",
	[DEVMEM_FN_FREE_FOLIO] = "free_zone_device_folio",
	[DEVMEM_FN_FREE_PAGE] = "free_zone_device_page",
	[DEVMEM_FN_PAGE_INIT] = "zone_device_page_init",
	[DEVMEM_FN_MIGRATE_VMA_PAGES] = "migrate_vma_pages",
	[DEVMEM_FN_MIGRATE_DEVICE_PAGES] = "migrate_device_pages",
	[DEVMEM_FN_MIGRATE_VMA_SETUP] = "migrate_vma_setup",
	[DEVMEM_FN_MIGRATE_VMA_FINALIZE] = "migrate_vma_finalize",
	[DEVMEM_FN_PERF_EVENT_EXIT_TASK] = "perf_event_exit_task",
	[DEVMEM_FN_DO_SWAP_PAGE] = "do_swap_page",
	[DEVMEM_FN_FOLIO_INIT] = "zone_device_folio_init",
	[DEVMEM_FN_PAGE_INIT_ORDER] = "zone_device_page_init",
	[DEVMEM_FN_DO_HUGE_PMD] = "do_huge_pmd_device_private",
	[DEVMEM_FN_FOLIO_MIGRATE_MAPPING] = "folio_migrate_mapping",
	[DEVMEM_FN_MIGRATE_FOLIO_EXTRA] = "migrate_folio_extra",
	[DEVMEM_FN_MIGRATE_FOLIO] = "migrate_folio",
};

const char *devmem_fn_name(enum devmem_fn fn)
{
	return (unsigned int)fn < DEVMEM_FN_COUNT ? fn_names[fn] : "?";
}

/* Load (and, for fentry, attach) "return 0" against a BTF id: 0 or -errno. */
static int tracing_prog_works(int btf_id, enum bpf_attach_type type, bool attach)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		.expected_attach_type = type,
		.attach_btf_id = btf_id,
	);
	int fd, link, err = 0;

	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &opts);
	if (fd < 0)
		return fd;
	if (attach) {
		link = bpf_link_create(fd, 0, type, NULL);
		if (link < 0)
			err = link;
		else
			close(link);
	}
	close(fd);
	return err;
}

static bool tracefs_has(const char *system)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s", system);
	if (access(path, F_OK) == 0)
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s", system);
	return access(path, F_OK) == 0;
}

/* does struct NAME of the kernel have a member FIELD */
static bool btf_has_member(const struct btf *btf, const char *name, const char *field)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m;

	if (!t)
		return false;
	m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);

		if (n && !strcmp(n, field))
			return true;
		/* anonymous unions and structs hold most of struct page */
		if ((!n || !*n) && m->type) {
			const struct btf_type *u = btf__type_by_id(btf, m->type);
			const struct btf_member *um;

			if (!u || !(btf_is_union(u) || btf_is_struct(u)))
				continue;
			um = btf_members(u);
			for (__u16 j = 0; j < btf_vlen(u); j++, um++) {
				const char *un = btf__name_by_offset(btf, um->name_off);
				const struct btf_type *w;
				const struct btf_member *wm;

				if (un && !strcmp(un, field))
					return true;
				if (un && *un)
					continue;
				w = btf__type_by_id(btf, um->type);
				if (!w || !(btf_is_union(w) || btf_is_struct(w)))
					continue;
				wm = btf_members(w);
				for (__u16 k = 0; k < btf_vlen(w); k++, wm++) {
					const char *wn = btf__name_by_offset(btf, wm->name_off);

					if (wn && !strcmp(wn, field))
						return true;
				}
			}
		}
	}
	return false;
}

/*
 * What the BPF programs read to find a page's pagemap: page->pgmap (up to
 * v6.14), or folio->pgmap with the head page from compound_head (to v7.2)
 * or compound_info (v7.3).
 */
static bool pgmap_readable(const struct btf *btf)
{
	if (btf_has_member(btf, "page", "pgmap"))
		return true;
	return btf_has_member(btf, "folio", "pgmap") &&
	       (btf_has_member(btf, "page", "compound_head") ||
		btf_has_member(btf, "page", "compound_info"));
}

/* the number of parameters of a kernel function, -1 if BTF does not have it */
static int fn_params(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;

	t = t ? btf__type_by_id(btf, t->type) : NULL;
	return t && btf_is_func_proto(t) ? btf_vlen(t) : -1;
}

struct btf *devmem_probe_features(struct devmem_features *f)
{
	struct btf *btf;
	int id;

	*f = (struct devmem_features){};
	f->btf = access(VMLINUX_BTF, R_OK) == 0;
	btf = f->btf ? btf__load_vmlinux_btf() : NULL;
	if (!btf || libbpf_get_error(btf)) {
		f->btf = false;
		f->flavour = tracefs_has("zone_device") ? DEVMEM_TP_V3 :
			     tracefs_has("devmem") ? DEVMEM_TP_V2 : DEVMEM_TP_NONE;
		f->tracepoints = f->flavour != DEVMEM_TP_NONE;
		return NULL;
	}
	f->pgmap_readable = pgmap_readable(btf);
	/* the v3 names first, then v2's: either series is followed */
	id = btf__find_by_name_kind(btf, "btf_trace_zone_device_fault", BTF_KIND_TYPEDEF);
	if (id > 0 || tracefs_has("zone_device")) {
		f->flavour = DEVMEM_TP_V3;
		f->tp_fault_busy = btf__find_by_name_kind(btf, "btf_trace_zone_device_fault_busy",
							  BTF_KIND_TYPEDEF) > 0;
	} else {
		id = btf__find_by_name_kind(btf, "btf_trace_devmem_fault", BTF_KIND_TYPEDEF);
		if (id > 0 || tracefs_has("devmem"))
			f->flavour = DEVMEM_TP_V2;
	}
	f->tracepoints = f->flavour != DEVMEM_TP_NONE;
	if (id > 0)
		f->tp_btf = !tracing_prog_works(id, BPF_TRACE_RAW_TP, false);
	id = btf__find_by_name_kind(btf, "memremap_pages", BTF_KIND_FUNC);
	if (id > 0) {
		int err = tracing_prog_works(id, BPF_TRACE_FENTRY, true);

		f->fentry = !err;
		f->fentry_refused = err == -EPERM;
	}
	return btf;
}

/*
 * A function in BTF may still not take a program (inlined at some call
 * sites, notrace, an old verifier): each target is proved by a trial load
 * and attach, at entry and at exit, as the programs use it. Only the
 * functions the chosen programs attach to are tried: every trial attach and detach
 * rewrites the function's first instruction while other CPUs may be
 * running it, and the fallback's functions are the ones a workload is in.
 */
void devmem_probe_functions(struct devmem_features *f, const struct btf *btf,
			    unsigned int fns)
{
	int id, i;

	if (!btf || !f->fentry)
		return;
	for (i = 0; i < DEVMEM_FN_COUNT; i++) {
		if (!(fns & (1U << i)))
			continue;
		/* zone_device_page_init() gained the pgmap and the order in v7.x */
		if ((i == DEVMEM_FN_PAGE_INIT && fn_params(btf, fn_names[i]) != 1) ||
		    (i == DEVMEM_FN_PAGE_INIT_ORDER && fn_params(btf, fn_names[i]) != 3))
			continue;
		id = btf__find_by_name_kind(btf, fn_names[i], BTF_KIND_FUNC);
		f->fn[i] = id > 0 && !tracing_prog_works(id, BPF_TRACE_FENTRY, true) &&
			   !tracing_prog_works(id, BPF_TRACE_FEXIT, true);
	}
}

enum devmem_error devmem_choose_mode(const struct devmem_features *f, bool force_fentry,
				     enum devmem_mode *mode)
{
	*mode = DEVMEM_MODE_NONE;
	if (!f->btf)
		return DEVMEM_E_NO_BTF;	/* CO-RE needs it in every mode */
	if (force_fentry) {
		if (!f->fentry)
			return f->fentry_refused ? DEVMEM_E_REFUSED : DEVMEM_E_NO_FENTRY;
		*mode = DEVMEM_MODE_FENTRY;
		return DEVMEM_OK;
	}
	if (f->tracepoints) {
		*mode = f->tp_btf ? DEVMEM_MODE_TP_BTF : DEVMEM_MODE_RAW_TP;
		return DEVMEM_OK;
	}
	if (f->fentry) {
		*mode = DEVMEM_MODE_FENTRY;
		return DEVMEM_OK;
	}
	/* the functions are there but the kernel refuses tracing programs */
	if (f->fentry_refused)
		return DEVMEM_E_REFUSED;
	return DEVMEM_E_NO_HOOKS;
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* What the running kernel offers: probed, never guessed from its version. */
#include <errno.h>
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

static bool tracefs_has_devmem(void)
{
	return access("/sys/kernel/tracing/events/devmem", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/events/devmem", F_OK) == 0;
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
		f->tracepoints = tracefs_has_devmem();
		return NULL;
	}
	id = btf__find_by_name_kind(btf, "btf_trace_devmem_fault", BTF_KIND_TYPEDEF);
	f->tracepoints = id > 0 || tracefs_has_devmem();
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

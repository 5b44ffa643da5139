// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The BPF session: the one part of the library that talks to BPF. It
 * chooses the attachment mode by probing, loads and attaches the programs
 * of the event families a tool asks for (session_progs.c), and reads the
 * kernel tables into snapshots (session_read.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/sanitize.h"
#include "kernel/acc.h"
#include "kernel/history.h"
#include "kernel/pagemaps.h"
#include "kernel/probe.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "kernel/symbolize.h"
#include "model/device_filter.h"
#include "model/snapshot.h"

static bool verbose;
/*
 * libbpf unloads the whole object when a load fails, so afterwards no map
 * fd tells whether the maps were made; its warning "map '%s': failed to
 * create" does, and tells a memlock problem from a refused program.
 */
static bool map_create_failed;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_WARN && strstr(fmt, "map '%s': failed to create"))
		map_create_failed = true;
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/*
 * DEVMEM_MAX_PROCS: live processes the per-process table holds (default
 * 4096); the -P histogram table follows it. Entries are allocated as
 * processes appear and freed at their exit, so memory follows the processes
 * alive, and a process beyond the table is counted as lost
 * (processes_map_full, histograms_map_full). 0: unset; -1: invalid.
 */
static long max_procs_from_env(void)
{
	const char *v = getenv("DEVMEM_MAX_PROCS");
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 1 || n > 1048576)
		return -1;
	return n;
}

static size_t round_pow2_pages(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), v = page;

	while (v < bytes && v < ((size_t)1 << 30))
		v <<= 1;
	return v;
}

static unsigned int page_shift(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned int shift = 0;

	while (page > 1) {
		page >>= 1;
		shift++;
	}
	return shift ? shift : 12;
}

static int fill_free_slots(struct devmem_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.free_slots);

	for (__u32 slot = 0; slot < DEVMEM_RANGE_IGNORED; slot++)
		if (bpf_map_update_elem(fd, NULL, &slot, 0))
			return -errno;
	return 0;
}

/* run the probe program for one physical address (see probe_range) */
static int probe_start(struct devmem_session *s, __u64 start)
{
	__u64 args[1] = { start };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(s->skel->progs.probe_range), &o))
		return -errno;
	return (int)o.retval;
}

static int probe_iomem(void *ctx, __u64 start, __u64 end, const char *name)
{
	/* device memory comes in sections; RAM and its parts are not it */
	if (end <= start || end - start + 1 < (2ULL << 20) || !strcmp(name, "System RAM"))
		return 0;
	probe_start(ctx, start);
	return 0;
}

/*
 * Ranges hotplugged before the tool started: every iomem resource that may
 * be one, and every range of the debugfs listing, is probed in the kernel,
 * which learns those that are device private or coherent (with their
 * owner), on kernels with and without the series.
 */
static void probe_ranges_at_start(struct devmem_session *s)
{
	FILE *f = fopen("/proc/iomem", "r");

	if (f) {
		devmem_iomem_each(f, probe_iomem, s);
		fclose(f);
	}
	for (size_t i = 0; i < s->discovered.nr_ranges; i++)
		if (!s->discovered.ranges[i].range_index)
			probe_start(s, s->discovered.ranges[i].r.start);
}

/*
 * Fault stacks: the mode and copy size, the ring (room for 512 samples,
 * or 1024 mappings), the kernel's walks and counts (fp), the leaf rules
 * (fp) and the processes' layouts. One entry each when off.
 */
static enum devmem_error size_stack_maps(struct devmem_session *s)
{
	const struct devmem_opts *opts = &s->opts;
	struct devmem_bpf *k = s->skel;
	__u32 bytes = DEVMEM_FP_STACK_BYTES;
	size_t ring;

	if (!opts->stacks || !(s->families & DEVMEM_FAM_FAULTS)) {
		bpf_map__set_max_entries(k->maps.stacks, 1);
		bpf_map__set_max_entries(k->maps.stack_counts, 1);
		bpf_map__set_max_entries(k->maps.leaf_rules, 1);
		bpf_map__set_max_entries(k->maps.stack_procs, 1);
		bpf_map__set_max_entries(k->maps.ustacks, round_pow2_pages(1));
		return DEVMEM_OK;
	}
	if (opts->stacks == DEVMEM_STACKS_DWARF)
		bytes = opts->stack_bytes ? opts->stack_bytes : DEVMEM_STACK_BYTES_DEFAULT;
	if (bytes < 64 || bytes > DEVMEM_STACK_BYTES_MAX)
		return DEVMEM_E_USAGE;
	bytes &= ~7U;
	k->rodata->fault_stacks = true;
	k->rodata->stack_mode = opts->stacks;
	k->rodata->stack_bytes = bytes;
	k->rodata->stack_maps_on = s->stack_maps_bpf;
	ring = 512 * (sizeof(struct devmem_ustack_sample) + bytes + 8);
	if (ring < 1024 * (sizeof(struct devmem_stack_map) + 8))
		ring = 1024 * (sizeof(struct devmem_stack_map) + 8);
	bpf_map__set_max_entries(k->maps.ustacks, round_pow2_pages(ring));
	if (opts->stacks == DEVMEM_STACKS_FP) {
		/* a walk that finds its bucket taken is sampled instead */
		bpf_map__set_max_entries(k->maps.stacks, 4096);
		bpf_map__set_max_entries(k->maps.stack_counts, 16384);
	} else {
		bpf_map__set_max_entries(k->maps.stacks, 1);
		bpf_map__set_max_entries(k->maps.stack_counts, 1);
		bpf_map__set_max_entries(k->maps.leaf_rules, 1);
	}
	if (!s->stacks)
		s->stacks = devmem_stack_acc_new();
	if (!s->sym)
		s->sym = devmem_sym_new(NULL);
	return s->stacks && s->sym ? DEVMEM_OK : DEVMEM_E_NOMEM;
}

/*
 * Every map sized for what this run uses; a map a run does not use
 * shrinks to one entry.
 */
static enum devmem_error size_maps(struct devmem_session *s, long max_procs)
{
	const struct devmem_opts *opts = &s->opts;
	enum devmem_error e;

	if (!(s->families & DEVMEM_FAM_PROCESSES))
		max_procs = 1;
	if (max_procs)
		bpf_map__set_max_entries(s->skel->maps.procs, max_procs);
	if (!(s->families & DEVMEM_FAM_PAGES))
		bpf_map__set_max_entries(s->skel->maps.page_alloc_ts, 1);
	if (!opts->hist_per_device)
		bpf_map__set_max_entries(s->skel->maps.range_hists, 1);
	bpf_map__set_max_entries(s->skel->maps.proc_hists,
				 opts->hist_per_process ? bpf_map__max_entries(s->skel->maps.procs) : 1);
	/* thrashing is seen at the end of faults */
	if (!opts->no_thrash && (s->families & DEVMEM_FAM_FAULTS)) {
		s->thrash_window_ns = opts->thrash_window_ns ? opts->thrash_window_ns :
				      DEVMEM_THRASH_WINDOW_DEFAULT;
		s->thrash_sets = opts->thrash_sets ? opts->thrash_sets : DEVMEM_THRASH_SETS;
		if (s->thrash_sets & (s->thrash_sets - 1))
			return DEVMEM_E_USAGE;
		s->thrash_k = opts->thrash_k ? opts->thrash_k : DEVMEM_THRASH_K_DEFAULT;
		s->skel->rodata->thrash_window_ns = s->thrash_window_ns;
		s->skel->rodata->thrash_mask = s->thrash_sets - 1;
		if (!s->thrash)
			s->thrash = devmem_thrash_acc_new(0, page_shift());
		if (!s->sets)
			s->sets = calloc(s->thrash_sets, sizeof(*s->sets));
		if (!s->thrash || !s->sets)
			return DEVMEM_E_NOMEM;
	}
	bpf_map__set_max_entries(s->skel->maps.thrash, s->thrash ? s->thrash_sets : 1);
	e = size_stack_maps(s);
	if (e)
		return e;
	if (!s->skel->rodata->stream_mask)
		bpf_map__set_max_entries(s->skel->maps.events, round_pow2_pages(1));
	else if (opts->ringbuf_bytes)
		bpf_map__set_max_entries(s->skel->maps.events,
					 round_pow2_pages(opts->ringbuf_bytes));
	return DEVMEM_OK;
}

/* open the skeleton, fix its settings and sizes, choose its programs, load it */
static enum devmem_error open_and_load(struct devmem_session *s, const struct devmem_features *f,
				       long max_procs, struct devmem_load_failure *lf)
{
	const struct devmem_opts *opts = &s->opts;
	enum devmem_error e;
	int err;

	if (opts->btf_path) {
		LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = opts->btf_path);

		s->skel = devmem_bpf__open_opts(&oo);
	} else {
		s->skel = devmem_bpf__open();
	}
	if (!s->skel)
		return errno == ENOMEM ? DEVMEM_E_NOMEM : DEVMEM_E_LOAD;
	s->skel->rodata->filter_tgid = opts->tgid;
	s->skel->rodata->filter_owner = opts->owner;
	s->skel->rodata->stream_mask = opts->on_event ? opts->stream_mask : 0;
	s->skel->rodata->hist_per_range = opts->hist_per_device;
	s->skel->rodata->hist_per_process = opts->hist_per_process;
	s->skel->rodata->page_shift = page_shift();
	s->skel->rodata->fault_result_unknown = s->mode == DEVMEM_MODE_FENTRY &&
						!f->fn[DEVMEM_FN_DO_SWAP_PAGE];
	s->skel->rodata->procs_on = s->families & DEVMEM_FAM_PROCESSES;
	e = size_maps(s, max_procs);
	if (e)
		return e;
	devmem_session_select(s->skel, s->mode, s->families, f);

	map_create_failed = false;
	err = devmem_bpf__load(s->skel);
	if (err) {
		lf->err = err;
		lf->maps_created = !map_create_failed;
		return devmem_classify_load_error(lf);
	}
	return DEVMEM_OK;
}

enum devmem_error devmem_session_open(const struct devmem_opts *opts,
				      struct devmem_session **out)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct devmem_load_failure lf = {};
	struct devmem_features f = {};
	struct devmem_session *s;
	struct btf *btf = NULL;
	enum devmem_error e = DEVMEM_OK;
	unsigned int families;
	long max_procs;
	int err;

	*out = NULL;
	verbose = opts->verbose;
	libbpf_set_print(print_libbpf);
	families = devmem_session_families(opts->families ? opts->families : DEVMEM_FAM_ALL);
	lf.have_privileges = devmem_have_privileges();
	if (!lf.have_privileges)
		return DEVMEM_E_PERM;
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return DEVMEM_E_NO_BTF;
	/* kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK */
	setrlimit(RLIMIT_MEMLOCK, &rl);

	s = calloc(1, sizeof(*s));
	if (!s)
		return DEVMEM_E_NOMEM;
	s->opts = *opts;
	s->families = families;
	s->verbose = opts->verbose;
	devmem_snapshot_init(&s->discovered);
	s->history = devmem_history_new();
	if (!s->history) {
		e = DEVMEM_E_NOMEM;
		goto fail;
	}
	if (opts->force_mode != DEVMEM_MODE_NONE) {
		s->mode = opts->force_mode;
		if (s->mode != DEVMEM_MODE_RAW_TP)
			btf = devmem_probe_features(&f);
		/* raw tracepoints without probing (host tests): the series asked for */
		if (s->mode == DEVMEM_MODE_RAW_TP && !f.flavour) {
			f.flavour = opts->force_flavour ? opts->force_flavour : DEVMEM_TP_V3;
			f.tp_fault_busy = true;
		}
	} else {
		btf = devmem_probe_features(&f);
		e = devmem_choose_mode(&f, opts->force_fentry, &s->mode);
	}
	/* one load of the kernel's BTF serves both probes; only the functions used are tried */
	if (!e && btf)
		devmem_probe_functions(&f, btf, devmem_session_fns(s->mode, families));
	btf__free(btf);
	if (e)
		goto fail;

	max_procs = max_procs_from_env();
	if (max_procs < 0) {
		e = DEVMEM_E_BAD_ENV;
		goto fail;
	}
	/* the mappings of stacks are looked up in the kernel where that loads */
	s->stack_maps_bpf = opts->stacks != DEVMEM_STACKS_OFF;
	e = open_and_load(s, &f, max_procs, &lf);
	if (e == DEVMEM_E_NOMEM || e == DEVMEM_E_USAGE || !s->stack_maps_bpf)
		goto loaded;
	if (e) {
		/* a missing feature costs only itself: /proc/PID/maps serve then */
		devmem_bpf__destroy(s->skel);
		s->skel = NULL;
		s->stack_maps_bpf = false;
		lf = (struct devmem_load_failure){ .have_privileges = true };
		e = open_and_load(s, &f, max_procs, &lf);
		if (!e && s->verbose)
			fprintf(stderr, "stacks: this kernel does not take the look-up of mappings "
				"in BPF: the processes' maps are read from /proc while they live\n");
	}
loaded:
	if (e)
		goto fail;
	if (fill_free_slots(s)) {
		e = DEVMEM_E_LOAD;
		goto fail;
	}
	if (!opts->no_attach) {
		err = devmem_bpf__attach(s->skel);
		if (err) {
			e = err == -ENOMEM ? DEVMEM_E_NOMEM : DEVMEM_E_ATTACH;
			goto fail;
		}
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.notices), devmem_session_notice, s, NULL);
	if (!s->rb || (s->skel->rodata->stream_mask &&
		       ring_buffer__add(s->rb, bpf_map__fd(s->skel->maps.events),
					devmem_session_event, s)) ||
	    (s->stacks && ring_buffer__add(s->rb, bpf_map__fd(s->skel->maps.ustacks),
					   devmem_session_ustack, s))) {
		e = DEVMEM_E_NOMEM;
		goto fail;
	}
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		e = DEVMEM_E_LOAD;
		goto fail;
	}
	s->buf_size = (size_t)s->ncpus * devmem_percpu_stride(sizeof(struct devmem_hist));
	s->buf = malloc(s->buf_size);
	s->zero = calloc(1, s->buf_size);
	if (!s->buf || !s->zero) {
		e = DEVMEM_E_NOMEM;
		goto fail;
	}
	/* after attaching: a range added from now on is traced, earlier ones probed */
	devmem_discover_ranges(NULL, &s->discovered);
	devmem_name_ranges(NULL, &s->discovered);
	if (f.btf && !f.pgmap_readable) {
		/* a page's pagemap cannot be read: every per-device figure is unknown */
		size_t n = strlen(s->discovered.note);

		snprintf(s->discovered.note + n, sizeof(s->discovered.note) - n,
			 "%sthis kernel's struct page has neither pgmap nor compound_head nor "
			 "compound_info: the device of an event is unknown", n ? "; " : "");
	}
	if (!opts->no_attach)
		probe_ranges_at_start(s);
	for (size_t i = 0; i < s->discovered.nr_ranges; i++)
		if (devmem_history_listed(s->history, &s->discovered.ranges[i])) {
			e = DEVMEM_E_NOMEM;
			goto fail;
		}
	s->last_sweep_ns = devmem_mono_ns();
	*out = s;
	return DEVMEM_OK;
fail:
	devmem_session_close(s);
	return e;
}

enum devmem_mode devmem_session_mode(const struct devmem_session *s)
{
	return s->mode;
}

void *devmem_session_skel(struct devmem_session *s)
{
	return s->skel;
}

int devmem_session_poll(struct devmem_session *s, int timeout_ms)
{
	/* a signal ends the wait early (-EINTR), which is what Ctrl-C wants */
	return ring_buffer__poll(s->rb, timeout_ms);
}

int devmem_session_fd(const struct devmem_session *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

void devmem_session_wait(struct devmem_session *s, __u64 deadline_ns,
			 const volatile sig_atomic_t *stop)
{
	for (;;) {
		__u64 now = devmem_mono_ns();
		__u64 left_ms;

		if (now >= deadline_ns || (stop && *stop))
			return;
		left_ms = (deadline_ns - now + 999999) / 1000000;
		if (devmem_session_poll(s, left_ms > 1000 ? 1000 : (int)left_ms) < 0 &&
		    errno != EINTR)
			return;
	}
}

int devmem_session_range_device(struct devmem_session *s, __u64 start, char *name, size_t len,
				char *range_name, size_t range_len)
{
	const struct devmem_snap_range *r = devmem_history_range_at(s->history, start);
	struct devmem_range v;
	FILE *iomem = NULL;
	int err;

	if (!r) {
		/* learnt by the kernel since the last read: take it from the table */
		if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.ranges), &start, &v))
			return -ENOENT;
		err = devmem_session_range_into_history(s, &v, &iomem);
		if (iomem)
			fclose(iomem);
		if (err)
			return err;
		r = devmem_history_range_at(s->history, start);
		if (!r)
			return -ENOENT;
	}
	snprintf(name, len, "%s", r->device);
	if (range_name)
		snprintf(range_name, range_len, "%s", r->name);
	return 0;
}

int devmem_session_snapshot(struct devmem_session *s, struct devmem_snapshot *snap)
{
	int err;

	devmem_snapshot_free(snap);
	snap->ts_ns = devmem_mono_ns();
	snap->mode = s->mode;
	memcpy(snap->note, s->discovered.note, sizeof(snap->note));

	/* notices first: an entry is deleted before its notice is sent */
	s->error = 0;
	ring_buffer__consume(s->rb);
	if (s->error)
		return s->error;
	devmem_session_read_totals(s, snap);
	err = devmem_session_read_tables(s, snap);
	if (err)
		return err;
	snap->page_size = 1U << page_shift();
	snap->recursion_misses = devmem_session_recursion_misses(s);
	devmem_snapshot_sort(snap);
	return 0;
}

int devmem_session_losses(struct devmem_session *s, __u64 lost[DEVMEM_LOST_KINDS],
			  __u64 *recursion_misses)
{
	struct devmem_snapshot snap;

	devmem_snapshot_init(&snap);
	devmem_session_read_totals(s, &snap);
	memcpy(lost, snap.lost, sizeof(snap.lost));
	*recursion_misses = devmem_session_recursion_misses(s);
	return 0;
}

size_t devmem_session_prog_stats(struct devmem_session *s, struct devmem_prog_stat *out,
				 size_t max)
{
	struct bpf_program *p;
	size_t n = 0;

	bpf_object__for_each_program(p, s->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (n >= max || fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(p));
		out[n].run_time_ns = info.run_time_ns;
		out[n].run_cnt = info.run_cnt;
		out[n].recursion_misses = info.recursion_misses;
		n++;
	}
	return n;
}

/* a process the history still has, or one alive now: its pages and stacks stay */
static bool still_known(void *ctx, __u32 tgid, __u64 start_ns)
{
	struct devmem_session *s = ctx;

	return devmem_history_has_proc(s->history, tgid, start_ns) || devmem_proc_start_ticks(tgid);
}

/* the leaf rules and look-ups of the processes forgotten */
static void forget_leaves(struct devmem_session *s)
{
	size_t i, j;

	for (i = j = 0; i < s->nr_leaves; i++)
		if (still_known(s, s->leaves[i].k.tgid, s->leaves[i].k.start_ns))
			s->leaves[j++] = s->leaves[i];
	s->nr_leaves = j;
	for (i = j = 0; i < s->nr_looks; i++)
		if (still_known(s, s->looks[i].tgid, s->looks[i].start_ns))
			s->looks[j++] = s->looks[i];
	s->nr_looks = j;
}

void devmem_session_forget_exited(struct devmem_session *s, __u64 exited_before_ns)
{
	devmem_history_forget_exited(s->history, exited_before_ns);
	if (s->thrash)
		devmem_thrash_acc_forget(s->thrash, still_known, s);
	if (s->stacks)
		devmem_stack_acc_forget(s->stacks, still_known, s);
	if (s->sym)
		devmem_sym_forget(s->sym, still_known, s);
	forget_leaves(s);
}

void devmem_session_close(struct devmem_session *s)
{
	if (!s)
		return;
	if (s->verbose && s->stacks) {
		__u64 sampled, counted;

		devmem_stack_acc_sources(s->stacks, &sampled, &counted);
		fprintf(stderr, "stacks: %llu faults sampled, %llu counted in the kernel\n",
			(unsigned long long)sampled, (unsigned long long)counted);
	}
	ring_buffer__free(s->rb);
	devmem_bpf__destroy(s->skel);
	devmem_snapshot_free(&s->discovered);
	devmem_history_free(s->history);
	devmem_thrash_acc_free(s->thrash);
	free(s->sets);
	devmem_stack_acc_free(s->stacks);
	devmem_sym_free(s->sym);
	free(s->leaves);
	free(s->looks);
	free(s->buf);
	free(s->zero);
	free(s);
}

void devmem_opts_from_cli(const struct devmem_cli *c, struct devmem_opts *o)
{
	o->no_thrash = c->no_thrash;
	o->thrash_k = c->thrash_k;
	o->thrash_window_ns = c->thrash_window_ns;
	/* --folded and --flamegraph want stacks: the default mode then */
	o->stacks = c->stacks ? c->stacks :
		    c->folded || c->flamegraph ? DEVMEM_STACKS_DWARF : DEVMEM_STACKS_OFF;
	o->stack_bytes = c->stack_bytes;
}

enum devmem_error devmem_session_filter_owner(const struct devmem_device_filter *f,
					      const struct devmem_opts *base, __u64 *owner,
					      char *msg, size_t len)
{
	struct devmem_opts o = {
		.families = DEVMEM_FAM_PAGEMAPS,
		.force_fentry = base->force_fentry,
		.force_mode = base->force_mode,
		.verbose = base->verbose,
		.no_thrash = true,
	};
	char arg[DEVMEM_SANITIZED_SIZE(64)], known[DEVMEM_SANITIZED_SIZE(512)];
	char names[512];
	struct devmem_snapshot snap;
	struct devmem_session *s;
	enum devmem_error e;
	int err;

	*owner = 0;
	msg[0] = '\0';
	if (f->kind == DEVMEM_FILTER_ANY)
		return DEVMEM_OK;
	if (f->kind == DEVMEM_FILTER_OWNER) {
		*owner = f->value;
		return DEVMEM_OK;
	}
	/* the devices present now: a short session of the pagemap programs */
	e = devmem_session_open(&o, &s);
	if (e)
		return e;
	devmem_snapshot_init(&snap);
	if (devmem_session_snapshot(s, &snap)) {
		e = DEVMEM_E_READ;
		goto out;
	}
	devmem_sanitize(arg, sizeof(arg), f->arg, strlen(f->arg), 0);
	err = devmem_filter_owner(f, &snap, owner);
	if (err == -EEXIST) {
		e = DEVMEM_E_NO_DEVICE;
		snprintf(msg, len, "-D %s names ranges of more than one device; give one device's "
			 "name or owner.", arg);
	} else if (err == -EINVAL) {
		e = DEVMEM_E_NO_DEVICE;
		snprintf(msg, len, "the owner of -D %s is not known on this kernel; give its owner "
			 "address (devmemranges -j shows it).", arg);
	} else if (err) {
		e = DEVMEM_E_NO_DEVICE;
		devmem_filter_known(&snap, names, sizeof(names));
		devmem_sanitize(known, sizeof(known), names, strlen(names), 0);
		snprintf(msg, len, "no device present is -D %s; the devices now are: %s.", arg,
			 known);
	}
out:
	devmem_snapshot_free(&snap);
	devmem_session_close(s);
	return e;
}

int devmem_opts_device_from_cli(const struct devmem_cli *c, struct devmem_opts *o)
{
	char msg[768];
	enum devmem_error e;

	o->force_fentry = o->force_fentry || c->fentry;
	o->verbose = o->verbose || c->verbose;
	e = devmem_session_filter_owner(&c->device, o, &o->owner, msg, sizeof(msg));
	if (e == DEVMEM_OK)
		return 0;
	fprintf(stderr, "%s: %s\n", c->tool, msg[0] ? msg : devmem_strerror(e));
	return devmem_exit_code(e);
}

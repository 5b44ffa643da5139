// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The BPF session: the one part of the library that talks to BPF. It
 * chooses the attachment mode by probing, loads and attaches the programs
 * of bpf/devmem.bpf.c, and reads all maps into a struct devmem_snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cli/errors.h"
#include "kernel/acc.h"
#include "kernel/history.h"
#include "kernel/pagemaps.h"
#include "kernel/probe.h"
#include "kernel/session.h"
#include "kernel/symbolize.h"
#include "model/snapshot.h"
#include "devmem.skel.h"

struct devmem_session {
	struct devmem_bpf *skel;
	struct ring_buffer *rb;			/* exits, and events when streaming */
	enum devmem_mode mode;
	struct devmem_opts opts;
	struct devmem_snapshot discovered;	/* the debugfs listing at start */
	struct devmem_history *history;
	int ncpus;
	void *buf;				/* per-CPU lookup buffer */
	size_t buf_size;
	void *zero;				/* zeroed per-CPU value, to clear a slot */
	__u64 last_sweep_ns;
	int error;				/* of a ring buffer callback */
	/* thrashing detection and stacks (include/devmem.h) */
	struct devmem_thrash_acc *thrash;	/* NULL: off */
	__u32 thrash_sets;
	__u32 thrash_k;
	__u64 thrash_window_ns;
	struct devmem_thrash_set *sets;		/* a read of the table */
	struct devmem_stack_acc *stacks;	/* NULL: off */
	struct devmem_symbolizer *sym;
};

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

/* which mode a program belongs to, from its section name */
static enum devmem_mode prog_mode(const struct bpf_program *p, const char **target)
{
	const char *sec = bpf_program__section_name(p), *slash = strchr(sec, '/');

	*target = slash ? slash + 1 : "";
	if (!strncmp(sec, "tp_btf/", 7))
		return DEVMEM_MODE_TP_BTF;
	if (!strncmp(sec, "raw_tp/", 7))
		return DEVMEM_MODE_RAW_TP;
	if (!strncmp(sec, "fentry/", 7) || !strncmp(sec, "fexit/", 6))
		return DEVMEM_MODE_FENTRY;
	return DEVMEM_MODE_NONE;
}

static bool fn_present(const struct devmem_features *f, const char *name)
{
	for (int i = 0; i < DEVMEM_FN_COUNT; i++)
		if (!strcmp(devmem_fn_name(i), name))
			return f->fn[i];
	return false;
}

/*
 * Programs every mode needs: the range probe, and process exits at the
 * latest exit hook that takes a program (fentry perf_event_exit_task, else
 * the sched_process_exit tracepoint), plus sched_process_free.
 */
static bool mode_independent(const struct bpf_program *p, enum devmem_mode mode,
			     const struct devmem_features *f, bool probed)
{
	const char *name = bpf_program__name(p);
	bool late_exit = mode != DEVMEM_MODE_RAW_TP && probed &&
			 f->fn[DEVMEM_FN_PERF_EVENT_EXIT_TASK];

	if (!strcmp(name, "probe_range"))
		return true;
	if (!strcmp(name, "fe_perf_event_exit_task"))
		return late_exit;
	if (!strcmp(name, "tp_sched_process_exit"))
		return mode != DEVMEM_MODE_RAW_TP && !late_exit;
	if (!strncmp(name, "tp_sched_", 9))
		return mode != DEVMEM_MODE_RAW_TP;
	if (!strncmp(name, "raw_sched_", 10))
		return mode == DEVMEM_MODE_RAW_TP;
	return false;
}

static void select_programs(struct devmem_bpf *skel, enum devmem_mode mode,
			    const struct devmem_features *f, bool probed)
{
	struct bpf_program *p;
	const char *target;

	bpf_object__for_each_program(p, skel->obj) {
		enum devmem_mode m = prog_mode(p, &target);
		bool on = m == mode;

		if (!strcmp(bpf_program__name(p), "probe_range") ||
		    !strcmp(bpf_program__name(p), "fe_perf_event_exit_task") ||
		    !strncmp(bpf_program__name(p), "tp_sched_", 9) ||
		    !strncmp(bpf_program__name(p), "raw_sched_", 10))
			on = mode_independent(p, mode, f, probed);
		/* the fallback takes only the functions this kernel has */
		else if (on && m == DEVMEM_MODE_FENTRY && probed)
			on = fn_present(f, target);
		/* a fault ends at do_swap_page()'s return where it can, else at finalize */
		if (on && m == DEVMEM_MODE_FENTRY &&
		    (!strcmp(target, "migrate_vma_finalize") ||
		     (!strcmp(target, "migrate_vma_setup") &&
		      !strncmp(bpf_program__section_name(p), "fexit/", 6))))
			on = !(probed && f->fn[DEVMEM_FN_DO_SWAP_PAGE]);
		/* where folios of an order are handed out, page_init may be its wrapper */
		if (on && m == DEVMEM_MODE_FENTRY && !strcmp(target, "zone_device_page_init"))
			on = !(probed && f->fn[DEVMEM_FN_FOLIO_INIT]);
		bpf_program__set_autoload(p, on);
	}
}

static int events_cb(void *ctx, void *data, size_t size)
{
	struct devmem_session *s = ctx;

	if (size < sizeof(struct devmem_event))
		return 0;
	return s->opts.on_event(s->opts.ctx, data);
}

static int range_into_history(struct devmem_session *s, const struct devmem_range *r,
			      FILE **iomem);

static int exits_cb(void *ctx, void *data, size_t size)
{
	struct devmem_session *s = ctx;
	const struct devmem_proc_exit *x = data;
	int err;

	if (size >= sizeof(struct devmem_range_exit) && x->type == DEVMEM_EXIT_RANGE) {
		FILE *iomem = NULL;

		/* a new range, named now while /proc/iomem has it */
		err = range_into_history(s, &((const struct devmem_range_exit *)data)->r, &iomem);
		if (iomem)
			fclose(iomem);
		if (err)
			s->error = err;
		return 0;
	}
	if (size >= sizeof(struct devmem_thrash_exit) && x->type == DEVMEM_EXIT_THRASH) {
		/* a bouncing page gave its way to another: its last figures */
		if (s->thrash &&
		    devmem_thrash_acc_way(s->thrash, &((const struct devmem_thrash_exit *)data)->p))
			s->error = -ENOMEM;
		return 0;
	}
	if (size >= sizeof(struct devmem_stack_proc_exit) && x->type == DEVMEM_EXIT_STACK_PROC) {
		const struct devmem_stack_proc_exit *sp = data;

		/*
		 * its address space now, while it lives; one gone already that was
		 * forked from a parent without exec has the parent's, else it is
		 * left unnamed
		 */
		if (s->sym) {
			int e = devmem_sym_capture(s->sym, sp->tgid, sp->start_ns);

			if ((e == -ENOENT || e == -ESRCH) && sp->parent)
				e = devmem_sym_capture_from(s->sym, sp->tgid, sp->start_ns,
							    sp->parent);
			if (verbose && e)
				fprintf(stderr,
					"stacks: process %u (parent %u) not symbolized: %s\n",
					sp->tgid, sp->parent, strerror(-e));
		}
		return 0;
	}
	if (size < offsetof(struct devmem_proc_exit, hists) || x->type != DEVMEM_EXIT_PROCESS)
		return 0;
	err = devmem_history_proc_exit(s->history, x->tgid, &x->v,
				       (x->flags & DEVMEM_EXIT_F_HISTS) && size >= sizeof(*x) ?
				       &x->hists : NULL, x->exit_ns);
	if (err)
		s->error = err;
	return 0;
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

enum devmem_error devmem_session_open(const struct devmem_opts *opts,
				      struct devmem_session **out)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct devmem_load_failure lf = {};
	struct devmem_features f = {};
	struct devmem_session *s;
	struct btf *btf = NULL;
	enum devmem_error e = DEVMEM_OK;
	bool probed = false;
	long max_procs;
	int err;

	*out = NULL;
	verbose = opts->verbose;
	libbpf_set_print(print_libbpf);
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
	devmem_snapshot_init(&s->discovered);
	s->history = devmem_history_new();
	if (!s->history) {
		e = DEVMEM_E_NOMEM;
		goto fail;
	}
	if (opts->force_mode != DEVMEM_MODE_NONE) {
		s->mode = opts->force_mode;
		if (s->mode != DEVMEM_MODE_RAW_TP) {
			btf = devmem_probe_features(&f);
			probed = true;
		}
	} else {
		btf = devmem_probe_features(&f);
		probed = true;
		e = devmem_choose_mode(&f, opts->force_fentry, &s->mode);
	}
	/* one load of the kernel's BTF serves both probes */
	if (!e && probed)
		devmem_probe_functions(&f, btf, s->mode);
	btf__free(btf);
	if (e)
		goto fail;

	max_procs = max_procs_from_env();
	if (max_procs < 0) {
		e = DEVMEM_E_BAD_ENV;
		goto fail;
	}
	s->skel = devmem_bpf__open();
	if (!s->skel) {
		e = errno == ENOMEM ? DEVMEM_E_NOMEM : DEVMEM_E_LOAD;
		goto fail;
	}
	s->skel->rodata->filter_tgid = opts->tgid;
	s->skel->rodata->filter_owner = opts->owner;
	s->skel->rodata->stream_mask = opts->on_event ? opts->stream_mask : 0;
	s->skel->rodata->hist_per_range = opts->hist_per_device;
	s->skel->rodata->hist_per_process = opts->hist_per_process;
	s->skel->rodata->page_shift = page_shift();
	s->skel->rodata->fault_result_unknown = s->mode == DEVMEM_MODE_FENTRY &&
						!(probed && f.fn[DEVMEM_FN_DO_SWAP_PAGE]);
	if (max_procs)
		bpf_map__set_max_entries(s->skel->maps.procs, max_procs);
	/* maps a run does not use shrink to nothing */
	if (!opts->hist_per_device)
		bpf_map__set_max_entries(s->skel->maps.range_hists, 1);
	bpf_map__set_max_entries(s->skel->maps.proc_hists,
				 opts->hist_per_process ? bpf_map__max_entries(s->skel->maps.procs) : 1);
	if (!opts->no_thrash) {
		s->thrash_window_ns = opts->thrash_window_ns ? opts->thrash_window_ns :
				      DEVMEM_THRASH_WINDOW_DEFAULT;
		s->thrash_sets = opts->thrash_sets ? opts->thrash_sets : DEVMEM_THRASH_SETS;
		if (s->thrash_sets & (s->thrash_sets - 1)) {
			e = DEVMEM_E_USAGE;
			goto fail;
		}
		s->thrash_k = opts->thrash_k ? opts->thrash_k : DEVMEM_THRASH_K_DEFAULT;
		s->skel->rodata->thrash_window_ns = s->thrash_window_ns;
		s->skel->rodata->thrash_mask = s->thrash_sets - 1;
		s->thrash = devmem_thrash_acc_new(0, page_shift());
		s->sets = calloc(s->thrash_sets, sizeof(*s->sets));
		if (!s->thrash || !s->sets) {
			e = DEVMEM_E_NOMEM;
			goto fail;
		}
	}
	bpf_map__set_max_entries(s->skel->maps.thrash, s->thrash ? s->thrash_sets : 1);
	if (opts->stacks) {
		s->skel->rodata->fault_stacks = true;
		if (opts->stack_entries)
			bpf_map__set_max_entries(s->skel->maps.stacks, opts->stack_entries);
		s->stacks = devmem_stack_acc_new();
		s->sym = devmem_sym_new();
		if (!s->stacks || !s->sym) {
			e = DEVMEM_E_NOMEM;
			goto fail;
		}
	} else {
		bpf_map__set_max_entries(s->skel->maps.stacks, 1);
		bpf_map__set_max_entries(s->skel->maps.stack_counts, 1);
		bpf_map__set_max_entries(s->skel->maps.stack_procs, 1);
	}
	if (!s->skel->rodata->stream_mask)
		bpf_map__set_max_entries(s->skel->maps.events, round_pow2_pages(1));
	else if (opts->ringbuf_bytes)
		bpf_map__set_max_entries(s->skel->maps.events,
					 round_pow2_pages(opts->ringbuf_bytes));
	select_programs(s->skel, s->mode, &f, probed);

	map_create_failed = false;
	err = devmem_bpf__load(s->skel);
	if (err) {
		lf.err = err;
		lf.maps_created = !map_create_failed;
		e = devmem_classify_load_error(&lf);
		goto fail;
	}
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
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.exits), exits_cb, s, NULL);
	if (!s->rb || (s->skel->rodata->stream_mask &&
		       ring_buffer__add(s->rb, bpf_map__fd(s->skel->maps.events), events_cb, s))) {
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

/* lookup a per-CPU value of at most buf_size bytes */
static int lookup_percpu(struct devmem_session *s, int fd, const void *key)
{
	return bpf_map_lookup_elem(fd, key, s->buf) ? -errno : 0;
}

/* /proc/PID/stat start time (clock ticks since boot) of tgid; 0 if gone */
static unsigned long long proc_start_ticks(__u32 tgid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%u/stat", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the comm field may hold spaces and parentheses: count from the last ')' */
	p = strrchr(buf, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

/* a process whose entry outlived it (nothing flushed it): true if gone */
static bool process_gone(__u32 tgid, const struct devmem_proc_value *v)
{
	long hz = sysconf(_SC_CLK_TCK);
	unsigned long long ticks = proc_start_ticks(tgid);

	if (!ticks)
		return access("/proc/self", F_OK) == 0;	/* no /proc: cannot tell */
	return hz > 0 && ticks != v->start_boot_ns / (1000000000ULL / (unsigned long long)hz);
}

#define SWEEP_NS	(30ULL * 1000000000ULL)
#define MAX_TAKEN	256

/*
 * The procs table: live entries into the history; entries marked exited
 * (their record did not fit the exits ring) and entries of processes that
 * are gone are taken out. Deletions wait until the walk is over.
 */
static int read_procs(struct devmem_session *s, __u64 now)
{
	int fd = bpf_map__fd(s->skel->maps.procs);
	int hfd = bpf_map__fd(s->skel->maps.proc_hists);
	bool sweep = now - s->last_sweep_ns >= SWEEP_NS;
	__u32 key, *prev = NULL, taken[MAX_TAKEN];
	struct devmem_proc_hists ph;
	struct devmem_proc_value v;
	size_t nr_taken = 0;
	int err = 0;

	if (sweep)
		s->last_sweep_ns = now;
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		bool hists;

		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if ((v.exit_ns || (sweep && process_gone(key, &v))) && nr_taken < MAX_TAKEN) {
			taken[nr_taken++] = key;
			continue;
		}
		hists = s->opts.hist_per_process && !bpf_map_lookup_elem(hfd, &key, &ph);
		err = devmem_history_proc_seen(s->history, key, &v, hists ? &ph : NULL);
		if (err)
			return err;
	}
	for (size_t i = 0; i < nr_taken; i++) {
		bool hists;

		if (bpf_map_lookup_and_delete_elem(fd, &taken[i], &v))
			continue;
		hists = s->opts.hist_per_process &&
			!bpf_map_lookup_and_delete_elem(hfd, &taken[i], &ph);
		err = devmem_history_proc_exit(s->history, taken[i], &v, hists ? &ph : NULL,
					       v.exit_ns ? v.exit_ns : now);
		if (err)
			return err;
	}
	return 0;
}

/* processes that found the table full, by name */
static int read_overflow(struct devmem_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.proc_overflow);
	struct devmem_proc_overflow v;
	__u32 key, *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		err = devmem_history_proc_overflow(s->history, key, &v);
		if (err)
			return err;
	}
	return 0;
}

/* counters (and -D histograms) of a range slot */
static int read_slot(struct devmem_session *s, __u32 slot, struct devmem_counters *c,
		     struct devmem_hist *h)
{
	int fd = bpf_map__fd(s->skel->maps.range_counters);

	memset(c, 0, sizeof(*c));
	if (!lookup_percpu(s, fd, &slot))
		devmem_sum_counters(c, s->buf, s->ncpus);
	if (!h)
		return 0;
	fd = bpf_map__fd(s->skel->maps.range_hists);
	for (__u32 k = 0; k < DEVMEM_HIST_KINDS; k++) {
		__u32 idx = slot * DEVMEM_HIST_KINDS + k;

		if (bpf_map_lookup_elem(fd, &idx, &h[k]))
			memset(&h[k], 0, sizeof(h[k]));
	}
	return 0;
}

/* a done range's slot starts clean for the next range */
static void free_slot(struct devmem_session *s, __u32 slot)
{
	int fd = bpf_map__fd(s->skel->maps.range_counters);
	struct devmem_hist zero = {};

	bpf_map_update_elem(fd, &slot, s->zero, BPF_ANY);
	if (s->opts.hist_per_device) {
		fd = bpf_map__fd(s->skel->maps.range_hists);
		for (__u32 k = 0; k < DEVMEM_HIST_KINDS; k++) {
			__u32 idx = slot * DEVMEM_HIST_KINDS + k;

			bpf_map_update_elem(fd, &idx, &zero, BPF_ANY);
		}
	}
	bpf_map_update_elem(bpf_map__fd(s->skel->maps.free_slots), NULL, &slot, 0);
}

static int range_into_history(struct devmem_session *s, const struct devmem_range *r,
			      FILE **iomem)
{
	struct devmem_hist h[DEVMEM_HIST_KINDS];
	struct devmem_counters c;
	char name[DEVMEM_NAME_LEN];
	const char *n = NULL;

	read_slot(s, r->slot, &c, s->opts.hist_per_device ? h : NULL);
	if (!r->removed_ns) {
		if (!*iomem)
			*iomem = fopen("/proc/iomem", "r");
		if (*iomem)
			n = devmem_iomem_name(*iomem, r->start, r->end, name, sizeof(name));
	}
	return devmem_history_range_seen(s->history, r, &c, s->opts.hist_per_device ? h : NULL, n);
}

/*
 * Live ranges into the history; done ones (moved aside at remove_done, or
 * left in place when the aside table was full) for the last time, after
 * which their slot is freed.
 */
static int read_ranges(struct devmem_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.ranges);
	int rfd = bpf_map__fd(s->skel->maps.ranges_retired);
	__u64 key, *prev = NULL, done[DEVMEM_RANGE_SLOTS];
	size_t nr_done = 0;
	struct devmem_range v;
	FILE *iomem = NULL;
	int err = 0;

	while (!err && !bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		err = range_into_history(s, &v, &iomem);
		if (!err && v.remove_done_ns && nr_done < DEVMEM_RANGE_SLOTS)
			done[nr_done++] = key;
	}
	for (size_t i = 0; !err && i < nr_done; i++) {
		if (bpf_map_lookup_and_delete_elem(fd, &done[i], &v))
			continue;
		if (!v.remove_done_ns) {	/* a new range took the start meanwhile */
			bpf_map_update_elem(fd, &done[i], &v, BPF_NOEXIST);
			continue;
		}
		err = range_into_history(s, &v, &iomem);
		free_slot(s, v.slot);
	}
	prev = NULL;
	nr_done = 0;
	while (!err && !bpf_map_get_next_key(rfd, prev, &key)) {
		prev = &key;
		if (nr_done < DEVMEM_RANGE_SLOTS)
			done[nr_done++] = key;
	}
	for (size_t i = 0; !err && i < nr_done; i++) {
		if (bpf_map_lookup_and_delete_elem(rfd, &done[i], &v))
			continue;
		err = range_into_history(s, &v, &iomem);
		free_slot(s, v.slot);
	}
	if (iomem)
		fclose(iomem);
	return err;
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
		err = range_into_history(s, &v, &iomem);
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

/* the thrash table: every way into the accumulator */
static int read_thrash(struct devmem_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.thrash);

	for (__u32 i = 0; i < s->thrash_sets; i++) {
		if (bpf_map_lookup_elem(fd, &i, &s->sets[i]))
			continue;
		for (int w = 0; w < DEVMEM_THRASH_WAYS; w++)
			if (devmem_thrash_acc_way(s->thrash, &s->sets[i].w[w]))
				return -ENOMEM;
	}
	return devmem_thrash_acc_commit(s->thrash);
}

#define MAX_STACK_DROPS	1024

/*
 * Stack counts into the accumulator, each new stack symbolized; the
 * entries of processes that exited are final and leave the kernel, with
 * the stacks no live process refers to, so the tables stay bounded.
 */
static int read_stacks(struct devmem_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.stack_counts);
	int sfd = bpf_map__fd(s->skel->maps.stacks);
	struct devmem_stack_key key, *prev = NULL, gone[MAX_STACK_DROPS];
	__s32 live_ids[MAX_STACK_DROPS];
	size_t nr_gone = 0, nr_live = 0;
	struct devmem_stack_value v;
	__u64 ips[DEVMEM_STACK_DEPTH];
	int err;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (!devmem_stack_acc_known(s->stacks, &key)) {
			memset(ips, 0, sizeof(ips));
			/* a stack taken before its process was announced: try its maps now */
			devmem_sym_capture(s->sym, key.tgid, key.start_ns);
			if (bpf_map_lookup_elem(sfd, &key.stackid, ips))
				memset(ips, 0, sizeof(ips));
			err = devmem_stack_acc_put(s->stacks, &key, &v, ips, DEVMEM_STACK_DEPTH,
						   s->sym);
		} else {
			err = devmem_stack_acc_put(s->stacks, &key, &v, NULL, 0, NULL);
		}
		if (err)
			return err;
		if (devmem_history_proc_exited(s->history, key.tgid, key.start_ns)) {
			if (nr_gone < MAX_STACK_DROPS)
				gone[nr_gone++] = key;
		} else if (nr_live < MAX_STACK_DROPS) {
			live_ids[nr_live++] = key.stackid;
		}
	}
	for (size_t i = 0; i < nr_gone; i++) {
		bool used = false;

		bpf_map_delete_elem(fd, &gone[i]);
		for (size_t j = 0; j < nr_live && !used; j++)
			used = live_ids[j] == gone[i].stackid;
		/* with more live entries than were looked at, keep the stack */
		if (!used && nr_live < MAX_STACK_DROPS)
			bpf_map_delete_elem(sfd, &gone[i].stackid);
	}
	return 0;
}

static __u64 recursion_misses(struct devmem_session *s)
{
	struct bpf_program *p;
	__u64 sum = 0;

	bpf_object__for_each_program(p, s->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

int devmem_session_snapshot(struct devmem_session *s, struct devmem_snapshot *snap)
{
	__u32 k, zero = 0;
	int err, fd;

	devmem_snapshot_free(snap);
	snap->ts_ns = devmem_mono_ns();
	snap->mode = s->mode;
	memcpy(snap->note, s->discovered.note, sizeof(snap->note));

	/* exit records first: an entry is deleted before its record is sent */
	s->error = 0;
	ring_buffer__consume(s->rb);
	if (s->error)
		return s->error;
	fd = bpf_map__fd(s->skel->maps.total_counters);
	if (!lookup_percpu(s, fd, &zero))
		devmem_sum_counters(&snap->total, s->buf, s->ncpus);
	fd = bpf_map__fd(s->skel->maps.hists);
	for (k = 0; k < DEVMEM_HIST_KINDS; k++)
		if (!lookup_percpu(s, fd, &k))
			devmem_sum_hist(&snap->hist[k], s->buf, s->ncpus);
	fd = bpf_map__fd(s->skel->maps.lost);
	for (k = 0; k < DEVMEM_LOST_KINDS; k++)
		if (!lookup_percpu(s, fd, &k))
			devmem_sum_u64(&snap->lost[k], s->buf, s->ncpus);

	err = read_procs(s, snap->ts_ns);
	if (!err && snap->lost[DEVMEM_LOST_PROCS_FULL])
		err = read_overflow(s);
	if (!err)
		err = read_ranges(s);
	if (!err)
		err = devmem_history_snapshot(s->history, snap);
	if (!err && s->thrash) {
		snap->thrash_on = true;
		snap->thrash_k = s->thrash_k;
		snap->thrash_window_ns = s->thrash_window_ns;
		err = read_thrash(s);
		if (!err)
			err = devmem_thrash_acc_snapshot(s->thrash, snap);
	}
	if (!err && s->stacks) {
		snap->stacks_on = true;
		err = read_stacks(s);
		if (!err)
			err = devmem_stack_acc_snapshot(s->stacks, snap);
	}
	if (err)
		return err;
	snap->page_size = 1U << page_shift();
	snap->recursion_misses = recursion_misses(s);
	devmem_snapshot_sort(snap);
	return 0;
}

/* a process the history still has, or one alive now: its pages and stacks stay */
static bool still_known(void *ctx, __u32 tgid, __u64 start_ns)
{
	struct devmem_session *s = ctx;

	return devmem_history_has_proc(s->history, tgid, start_ns) || proc_start_ticks(tgid);
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
}

void devmem_session_close(struct devmem_session *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	devmem_bpf__destroy(s->skel);
	devmem_snapshot_free(&s->discovered);
	devmem_history_free(s->history);
	devmem_thrash_acc_free(s->thrash);
	free(s->sets);
	devmem_stack_acc_free(s->stacks);
	devmem_sym_free(s->sym);
	free(s->buf);
	free(s->zero);
	free(s);
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The BPF session: the one part of the library that talks to BPF. It
 * chooses the attachment mode by probing, loads and attaches the programs
 * of bpf/devmem.bpf.c, and reads all maps into a struct devmem_snapshot.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "devmem.h"
#include "devmem.skel.h"

struct devmem_session {
	struct devmem_bpf *skel;
	struct ring_buffer *rb;
	enum devmem_mode mode;
	struct devmem_opts opts;
	struct devmem_snapshot discovered;	/* ranges present at start */
	int ncpus;
	void *buf;				/* per-CPU lookup buffer */
	size_t buf_size;
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

static void select_programs(struct devmem_bpf *skel, enum devmem_mode mode,
			    const struct devmem_features *f, bool probed)
{
	struct bpf_program *p;
	const char *target;

	bpf_object__for_each_program(p, skel->obj) {
		enum devmem_mode m = prog_mode(p, &target);
		bool on = m == mode;

		/* the fallback takes only the functions this kernel has */
		if (on && m == DEVMEM_MODE_FENTRY && probed)
			on = fn_present(f, target);
		bpf_program__set_autoload(p, on);
	}
}

static int ringbuf_cb(void *ctx, void *data, size_t size)
{
	struct devmem_session *s = ctx;

	if (size < sizeof(struct devmem_event))
		return 0;
	return s->opts.on_event(s->opts.ctx, data);
}

/*
 * DEVMEM_MAX_PROCS: processes the per-process counter table holds
 * (default 4096); a value small enough also shrinks the -P histogram table
 * to one entry per process and kind.
 * Processes beyond it are counted as lost (processes_map_full,
 * histograms_map_full); the benchmarks use a small table to show that.
 * 0: unset; -1: invalid.
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

enum devmem_error devmem_session_open(const struct devmem_opts *opts,
				      struct devmem_session **out)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct devmem_load_failure lf = {};
	struct devmem_features f = {};
	struct devmem_session *s;
	enum devmem_error e;
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
	if (opts->force_mode != DEVMEM_MODE_NONE) {
		s->mode = opts->force_mode;
		if (s->mode == DEVMEM_MODE_FENTRY) {
			devmem_probe_features(&f);
			probed = true;
		}
	} else {
		devmem_probe_features(&f);
		probed = true;
		e = devmem_choose_mode(&f, opts->force_fentry, &s->mode);
		if (e)
			goto fail;
	}

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
	s->skel->rodata->hist_per_device = opts->hist_per_device;
	s->skel->rodata->hist_per_process = opts->hist_per_process;
	/* maps a run does not use shrink to nothing */
	if (!opts->hist_per_device)
		bpf_map__set_max_entries(s->skel->maps.dev_hists, 1);
	if (!opts->hist_per_process)
		bpf_map__set_max_entries(s->skel->maps.proc_hists, 1);
	if (!s->skel->rodata->stream_mask)
		bpf_map__set_max_entries(s->skel->maps.events, round_pow2_pages(1));
	else if (opts->ringbuf_bytes)
		bpf_map__set_max_entries(s->skel->maps.events,
					 round_pow2_pages(opts->ringbuf_bytes));
	if (max_procs) {
		bpf_map__set_max_entries(s->skel->maps.proc_counters, max_procs);
		/* a smaller table shrinks the -P histograms with it, never grows them */
		if (opts->hist_per_process &&
		    (__u32)max_procs * DEVMEM_HIST_KINDS < bpf_map__max_entries(s->skel->maps.proc_hists))
			bpf_map__set_max_entries(s->skel->maps.proc_hists,
						 max_procs * DEVMEM_HIST_KINDS);
	}
	select_programs(s->skel, s->mode, &f, probed);

	map_create_failed = false;
	err = devmem_bpf__load(s->skel);
	if (err) {
		lf.err = err;
		lf.maps_created = !map_create_failed;
		e = devmem_classify_load_error(&lf);
		goto fail;
	}
	if (!opts->no_attach) {
		err = devmem_bpf__attach(s->skel);
		if (err) {
			e = err == -ENOMEM ? DEVMEM_E_NOMEM : DEVMEM_E_ATTACH;
			goto fail;
		}
	}
	if (s->skel->rodata->stream_mask) {
		s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), ringbuf_cb, s, NULL);
		if (!s->rb) {
			e = DEVMEM_E_NOMEM;
			goto fail;
		}
	}
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		e = DEVMEM_E_LOAD;
		goto fail;
	}
	s->buf_size = (size_t)s->ncpus * devmem_percpu_stride(sizeof(struct devmem_hist));
	s->buf = malloc(s->buf_size);
	if (!s->buf) {
		e = DEVMEM_E_NOMEM;
		goto fail;
	}
	/* after attaching: a range added from now on is traced, earlier ones listed */
	devmem_discover_ranges(NULL, &s->discovered);
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
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };

	if (s->rb)
		return ring_buffer__poll(s->rb, timeout_ms);
	/* a signal ends the wait early, which is what Ctrl-C wants */
	if (nanosleep(&ts, NULL))
		return -errno;
	return 0;
}

/* lookup a per-CPU value of at most buf_size bytes */
static int lookup_percpu(struct devmem_session *s, int fd, const void *key)
{
	return bpf_map_lookup_elem(fd, key, s->buf) ? -errno : 0;
}

static int read_devices(struct devmem_session *s, struct devmem_snapshot *snap)
{
	int fd = bpf_map__fd(s->skel->maps.dev_counters);
	__u64 key, *prev = NULL;
	struct devmem_device *d;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (lookup_percpu(s, fd, &key))
			continue;	/* never deleted; be safe anyway */
		d = devmem_snapshot_device(snap, key);
		if (!d)
			return -ENOMEM;
		devmem_sum_counters(&d->c, s->buf, s->ncpus);
	}
	return 0;
}

static int read_procs(struct devmem_session *s, struct devmem_snapshot *snap)
{
	int fd = bpf_map__fd(s->skel->maps.proc_counters);
	__u32 key, *prev = NULL;
	struct devmem_process *p;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (lookup_percpu(s, fd, &key))
			continue;
		p = devmem_snapshot_process(snap, key);
		if (!p)
			return -ENOMEM;
		devmem_sum_proc(p, s->buf, s->ncpus);
	}
	return 0;
}

static int read_keyed_hists(struct devmem_session *s, struct devmem_snapshot *snap,
			    struct bpf_map *map, bool per_device)
{
	int fd = bpf_map__fd(map);
	struct devmem_hist_key key, *prev = NULL;
	struct devmem_hist *h;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (key.kind >= DEVMEM_HIST_KINDS || lookup_percpu(s, fd, &key))
			continue;
		if (per_device) {
			struct devmem_device *d = devmem_snapshot_device(snap, key.id);

			if (!d)
				return -ENOMEM;
			d->has_hist = true;
			h = &d->hist[key.kind];
		} else {
			struct devmem_process *p = devmem_snapshot_process(snap, (__u32)key.id);

			if (!p)
				return -ENOMEM;
			p->has_hist = true;
			h = &p->hist[key.kind];
		}
		devmem_sum_hist(h, s->buf, s->ncpus);
	}
	return 0;
}

static int read_ranges(struct devmem_session *s, struct devmem_snapshot *snap)
{
	int fd = bpf_map__fd(s->skel->maps.ranges);
	struct devmem_snap_range *r;
	struct devmem_range v;
	__u64 key, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		r = devmem_snapshot_range(snap, key, v.start);
		if (!r)
			return -ENOMEM;
		r->r = v;
		r->id = v.start;
		r->sources |= DEVMEM_RANGE_TRACED;
	}
	return 0;
}

/* ranges listed at start: add them, or complete the traced entry */
static int merge_discovered(struct devmem_session *s, struct devmem_snapshot *snap)
{
	for (size_t i = 0; i < s->discovered.nr_ranges; i++) {
		const struct devmem_snap_range *d = &s->discovered.ranges[i];
		struct devmem_snap_range *r = devmem_snapshot_range(snap, 0, d->r.start);

		if (!r)
			return -ENOMEM;
		if (!(r->sources & DEVMEM_RANGE_TRACED)) {
			*r = *d;
			continue;
		}
		r->sources |= DEVMEM_RANGE_DISCOVERED;
		r->id = d->id;
		r->range_index = d->range_index;
		r->in_use_at_start = d->in_use_at_start;
		if (r->r.nid == ~0U)
			r->r.nid = d->r.nid;
		if (!r->name[0])
			memcpy(r->name, d->name, sizeof(r->name));
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
	struct timespec now;
	__u32 k, zero = 0;
	int err, fd;

	devmem_snapshot_free(snap);
	clock_gettime(CLOCK_MONOTONIC, &now);
	snap->ts_ns = (__u64)now.tv_sec * 1000000000ULL + (__u64)now.tv_nsec;
	snap->mode = s->mode;
	memcpy(snap->note, s->discovered.note, sizeof(snap->note));

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

	err = read_devices(s, snap);
	if (!err)
		err = read_procs(s, snap);
	if (!err && s->opts.hist_per_device)
		err = read_keyed_hists(s, snap, s->skel->maps.dev_hists, true);
	if (!err && s->opts.hist_per_process)
		err = read_keyed_hists(s, snap, s->skel->maps.proc_hists, false);
	if (!err)
		err = read_ranges(s, snap);
	if (!err)
		err = merge_discovered(s, snap);
	if (err)
		return err;
	devmem_name_ranges(NULL, snap);
	snap->recursion_misses = recursion_misses(s);
	devmem_snapshot_sort(snap);
	return 0;
}

void devmem_session_close(struct devmem_session *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	devmem_bpf__destroy(s->skel);
	devmem_snapshot_free(&s->discovered);
	free(s->buf);
	free(s);
}

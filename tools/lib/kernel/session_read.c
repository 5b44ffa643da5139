// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Reading the kernel tables into the history the session owns: processes
 * (and the /proc sweep of entries nothing flushed), ranges and their slots,
 * thrashing pages, stacks, the notices ring; the kernel keeps only what is
 * live or not read yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kernel/acc.h"
#include "kernel/history.h"
#include "kernel/pagemaps.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "kernel/symbolize.h"
#include "kernel/unwind.h"
#include "model/snapshot.h"

int devmem_session_event(void *ctx, void *data, size_t size)
{
	struct devmem_session *s = ctx;

	if (size < sizeof(struct devmem_event))
		return 0;
	return s->opts.on_event(s->opts.ctx, data);
}

int devmem_session_notice(void *ctx, void *data, size_t size)
{
	struct devmem_session *s = ctx;
	const struct devmem_proc_exit *x = data;
	int err;

	if (size >= sizeof(struct devmem_range_notice) && x->type == DEVMEM_NOTICE_RANGE) {
		FILE *iomem = NULL;

		/* a new range, named now while /proc/iomem has it */
		err = devmem_session_range_into_history(s, &((const struct devmem_range_notice *)data)->r, &iomem);
		if (iomem)
			fclose(iomem);
		if (err)
			s->error = err;
		return 0;
	}
	if (size >= sizeof(struct devmem_thrash_notice) && x->type == DEVMEM_NOTICE_THRASH_PAGE) {
		/* a bouncing page gave its way to another: its last figures */
		if (s->thrash &&
		    devmem_thrash_acc_way(s->thrash, &((const struct devmem_thrash_notice *)data)->p))
			s->error = -ENOMEM;
		return 0;
	}
	if (size >= sizeof(struct devmem_stack_proc_notice) && x->type == DEVMEM_NOTICE_STACK_PROC) {
		const struct devmem_stack_proc_notice *sp = data;

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
			if (s->verbose && e)
				fprintf(stderr,
					"stacks: process %u (parent %u) not symbolized: %s\n",
					sp->tgid, sp->parent, strerror(-e));
		}
		return 0;
	}
	if (size < offsetof(struct devmem_proc_exit, hists) || x->type != DEVMEM_NOTICE_PROCESS_EXIT)
		return 0;
	err = devmem_history_proc_exit(s->history, x->tgid, &x->v,
				       (x->flags & DEVMEM_PROC_EXIT_F_HISTS) && size >= sizeof(*x) ?
				       &x->hists : NULL, x->exit_ns);
	if (err)
		s->error = err;
	return 0;
}

/* lookup a per-CPU value of at most buf_size bytes */
static int lookup_percpu(struct devmem_session *s, int fd, const void *key)
{
	return bpf_map_lookup_elem(fd, key, s->buf) ? -errno : 0;
}

/* /proc/PID/stat start time (clock ticks since boot) of tgid; 0 if gone */
unsigned long long devmem_proc_start_ticks(__u32 tgid)
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
	unsigned long long ticks = devmem_proc_start_ticks(tgid);

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

/* counters, folios (and -D histograms) of a range slot */
static int read_slot(struct devmem_session *s, __u32 slot, struct devmem_counters *c,
		     struct devmem_folio_counts *folios, struct devmem_hist *h)
{
	int fd = bpf_map__fd(s->skel->maps.range_counters);

	memset(c, 0, sizeof(*c));
	if (!lookup_percpu(s, fd, &slot))
		devmem_sum_counters(c, s->buf, s->ncpus);
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.range_folios), &slot, folios))
		memset(folios, 0, sizeof(*folios));
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
	struct devmem_folio_counts no_folios = {};
	struct devmem_hist zero = {};

	bpf_map_update_elem(fd, &slot, s->zero, BPF_ANY);
	bpf_map_update_elem(bpf_map__fd(s->skel->maps.range_folios), &slot, &no_folios, BPF_ANY);
	if (s->opts.hist_per_device) {
		fd = bpf_map__fd(s->skel->maps.range_hists);
		for (__u32 k = 0; k < DEVMEM_HIST_KINDS; k++) {
			__u32 idx = slot * DEVMEM_HIST_KINDS + k;

			bpf_map_update_elem(fd, &idx, &zero, BPF_ANY);
		}
	}
	bpf_map_update_elem(bpf_map__fd(s->skel->maps.free_slots), NULL, &slot, 0);
}

int devmem_session_range_into_history(struct devmem_session *s, const struct devmem_range *r,
				      FILE **iomem)
{
	struct devmem_hist h[DEVMEM_HIST_KINDS];
	struct devmem_folio_counts folios;
	struct devmem_counters c;
	char name[DEVMEM_NAME_LEN];
	const char *n = NULL;

	read_slot(s, r->slot, &c, &folios, s->opts.hist_per_device ? h : NULL);
	if (!r->removed_ns) {
		if (!*iomem)
			*iomem = fopen("/proc/iomem", "r");
		if (*iomem)
			n = devmem_iomem_name(*iomem, r->start, r->end, name, sizeof(name));
	}
	return devmem_history_range_seen(s->history, r, &c, &folios,
					 s->opts.hist_per_device ? h : NULL, n);
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
		err = devmem_session_range_into_history(s, &v, &iomem);
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
		err = devmem_session_range_into_history(s, &v, &iomem);
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
		err = devmem_session_range_into_history(s, &v, &iomem);
		free_slot(s, v.slot);
	}
	if (iomem)
		fclose(iomem);
	return err;
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

/* a fault's stack_counts entry, once its end added the latency: taken out */
static bool latency_ended(void *ctx, const struct devmem_stack_key *k, __u64 *ns)
{
	struct devmem_session *s = ctx;
	int fd = bpf_map__fd(s->skel->maps.stack_counts);
	struct devmem_stack_value v;

	if (bpf_map_lookup_elem(fd, k, &v))
		return true;		/* gone: nothing more to add */
	if (!v.fault_ns)
		return false;		/* still in its fault */
	*ns = v.fault_ns;
	bpf_map_delete_elem(fd, k);
	return true;
}

#define SETTLE_EVERY	64

/*
 * A stack sample (ustack.bpf.h): its process's maps read now if they are
 * not yet (from the parent whose layout it has, if it is gone), unwound,
 * counted. The latencies of ended faults are collected every few samples.
 */
int devmem_session_ustack(void *ctx, void *data, size_t size)
{
	struct devmem_session *s = ctx;
	const struct devmem_ustack_sample *x = data;
	struct devmem_unwound u;
	void **state = NULL;
	Dwfl *dwfl;
	int e;

	if (size < sizeof(*x) || !s->stacks)
		return 0;
	e = devmem_sym_capture(s->sym, x->tgid, x->start_ns);
	if ((e == -ENOENT || e == -ESRCH) && x->parent)
		e = devmem_sym_capture_from(s->sym, x->tgid, x->start_ns, x->parent);
	dwfl = devmem_sym_dwfl(s->sym, x->tgid, x->start_ns, &state);
	if (s->opts.stacks == DEVMEM_STACKS_FP)
		devmem_unwind_fp(dwfl, x, size, &u);
	else
		devmem_unwind_dwarf(dwfl, state, x, size, &u);
	if (devmem_stack_acc_sample(s->stacks, x, &u, s->sym)) {
		s->error = -ENOMEM;
		return 0;
	}
	if (devmem_stack_acc_pending(s->stacks) >= SETTLE_EVERY)
		devmem_stack_acc_settle(s->stacks, latency_ended, s);
	return 0;
}

/*
 * The fault times of the stacks so far; entries of processes that exited
 * whose sample never came are taken out, so the table stays bounded.
 */
static int read_stacks(struct devmem_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.stack_counts);
	struct devmem_stack_key key, *prev = NULL, gone[1024];
	size_t nr_gone = 0;

	devmem_stack_acc_settle(s->stacks, latency_ended, s);
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (nr_gone < sizeof(gone) / sizeof(gone[0]) &&
		    devmem_history_proc_exited(s->history, key.tgid, key.start_ns))
			gone[nr_gone++] = key;
	}
	for (size_t i = 0; i < nr_gone; i++)
		bpf_map_delete_elem(fd, &gone[i]);
	return 0;
}

__u64 devmem_session_recursion_misses(struct devmem_session *s)
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

void devmem_session_read_totals(struct devmem_session *s, struct devmem_snapshot *snap)
{
	__u32 k, zero = 0;
	int fd;

	fd = bpf_map__fd(s->skel->maps.total_counters);
	if (!lookup_percpu(s, fd, &zero))
		devmem_sum_counters(&snap->total, s->buf, s->ncpus);
	fd = bpf_map__fd(s->skel->maps.total_folios);
	if (!lookup_percpu(s, fd, &zero))
		devmem_sum_folios(&snap->folios, s->buf, s->ncpus);
	fd = bpf_map__fd(s->skel->maps.hists);
	for (k = 0; k < DEVMEM_HIST_KINDS; k++)
		if (!lookup_percpu(s, fd, &k))
			devmem_sum_hist(&snap->hist[k], s->buf, s->ncpus);
	fd = bpf_map__fd(s->skel->maps.lost);
	for (k = 0; k < DEVMEM_LOST_KINDS; k++)
		if (!lookup_percpu(s, fd, &k))
			devmem_sum_u64(&snap->lost[k], s->buf, s->ncpus);
	fd = bpf_map__fd(s->skel->maps.tallies);
	for (k = 0; k < DEVMEM_TALLY_KINDS; k++)
		if (!lookup_percpu(s, fd, &k))
			devmem_sum_u64(&snap->tallies[k], s->buf, s->ncpus);
}

int devmem_session_read_tables(struct devmem_session *s, struct devmem_snapshot *snap)
{
	int err = 0;

	if (s->families & DEVMEM_FAM_PROCESSES) {
		err = read_procs(s, snap->ts_ns);
		if (!err && snap->lost[DEVMEM_LOST_PROCS_FULL])
			err = read_overflow(s);
	}
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
		devmem_stack_acc_losses(s->stacks, snap->lost);
	}
	return err;
}

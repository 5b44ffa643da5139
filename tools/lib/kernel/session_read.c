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
#include "cli/sanitize.h"
#include "kernel/acc.h"
#include "kernel/history.h"
#include "kernel/pagemaps.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "kernel/symbolize.h"
#include "kernel/unwind.h"
#include "model/array.h"
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

/* ---- stacks ---------------------------------------------------------------- */

static int leaf_key_cmp(const void *x, const void *y)
{
	const struct devmem_leaf_key *a = x, *b = y;
	int c = devmem_key_cmp(a->tgid, a->start_ns, a->ip, b->tgid, b->start_ns, b->ip);

	return c ? c : devmem_cmp_u64(a->layout, b->layout);
}

static struct devmem_leaf_entry *leaf_find(struct devmem_session *s,
					   const struct devmem_leaf_key *k)
{
	return devmem_array_find(k, s->leaves, s->nr_leaves, sizeof(*s->leaves), leaf_key_cmp);
}

/* fp: the rule of a leaf written to the BPF side (once), so its faults count there */
static void leaf_rule_put(struct devmem_session *s, const struct devmem_leaf_key *k,
			  const struct devmem_leaf_rule *r)
{
	struct devmem_leaf_entry *e = leaf_find(s, k), *g;

	if (!e) {
		g = devmem_array_grow(s->leaves, s->nr_leaves, sizeof(*g));
		if (!g) {
			s->error = -ENOMEM;
			return;
		}
		s->leaves = g;
		s->leaves[s->nr_leaves].k = *k;
		s->leaves[s->nr_leaves++].r = *r;
		qsort(s->leaves, s->nr_leaves, sizeof(*s->leaves), leaf_key_cmp);
		if (s->verbose)
			fprintf(stderr, "stacks: process %u: the leaf at 0x%llx %s\n", k->tgid,
				(unsigned long long)k->ip,
				r->kind == DEVMEM_LEAF_FRAMED ? "has its frame" :
				r->kind == DEVMEM_LEAF_FRAMELESS ? "has no frame: its caller is read" :
				"has no CFI: its walk is taken as it is");
	}
	/* again if the kernel's entry was evicted since: it asks by sampling */
	bpf_map_update_elem(bpf_map__fd(s->skel->maps.leaf_rules), k, r, BPF_ANY);
}

static struct devmem_look *look_find(struct devmem_session *s, __u32 tgid, __u64 start_ns,
				     __u32 layout)
{
	for (size_t i = 0; i < s->nr_looks; i++)
		if (s->looks[i].tgid == tgid && s->looks[i].start_ns == start_ns &&
		    s->looks[i].layout == layout)
			return &s->looks[i];
	return NULL;
}

/*
 * A stack reached an address outside every mapping known of its layout:
 * the BPF side is asked to look the mappings of the process's next stack
 * up (while the process lives), one look at a time, a few times at most.
 */
static void look_again(struct devmem_session *s, __u32 tgid, __u64 start_ns, __u32 layout)
{
	int fd = bpf_map__fd(s->skel->maps.stack_procs);
	struct devmem_look *l = look_find(s, tgid, start_ns, layout), *g;
	struct devmem_stack_proc p;

	if (!s->stack_maps_bpf || (l && (l->waiting || l->asked >= DEVMEM_MAPS_LOOKS_MAX)))
		return;
	if (!l) {
		g = realloc(s->looks, (s->nr_looks + 1) * sizeof(*g));
		if (!g)
			return;
		s->looks = g;
		l = &s->looks[s->nr_looks++];
		memset(l, 0, sizeof(*l));
		l->tgid = tgid;
		l->start_ns = start_ns;
		l->layout = layout;
	}
	l->asked++;
	if (bpf_map_lookup_elem(fd, &tgid, &p) || p.start_ns != start_ns || p.layout != layout)
		return;
	p.maps = DEVMEM_MAPS_AGAIN;
	if (!bpf_map_update_elem(fd, &tgid, &p, BPF_EXIST))
		l->waiting = true;
}

/* frames of u outside every mapping known: the mappings are asked for again */
static void check_covered(struct devmem_session *s, __u32 tgid, __u64 start_ns, __u32 layout,
			  const struct devmem_unwound *u)
{
	for (__u32 i = 0; i < u->depth; i++)
		if (!devmem_sym_covers(s->sym, tgid, start_ns, layout, i ? u->pc[i] - 1 : u->pc[i])) {
			look_again(s, tgid, start_ns, layout);
			return;
		}
}

/* a sample: unwound (dwarf) or its walk completed (fp, whose leaf rule is written), counted */
static void on_sample(struct devmem_session *s, const struct devmem_ustack_sample *x, size_t size)
{
	struct devmem_leaf_key lk = {
		.ip = x->regs[DEVMEM_UREG_IP], .start_ns = x->start_ns, .tgid = x->tgid,
		.layout = x->layout,
	};
	struct devmem_leaf_rule r;
	struct devmem_unwound u;
	void **state = NULL;
	Dwfl *dwfl;

	/* without the kernel's look-up (or when it failed), the maps of /proc while it lives */
	if (!devmem_sym_known(s->sym, x->tgid, x->start_ns, x->layout))
		devmem_sym_capture(s->sym, x->tgid, x->start_ns, x->layout);
	dwfl = devmem_sym_dwfl(s->sym, x->tgid, x->start_ns, x->layout, &state);
	if (s->opts.stacks == DEVMEM_STACKS_FP) {
		if (!devmem_unwind_fp(dwfl, x, size, &u, &r) && x->nr_ips && x->ips[0] == lk.ip)
			leaf_rule_put(s, &lk, &r);
	} else {
		devmem_unwind_dwarf(dwfl, state, x, size, &u);
	}
	if (dwfl)
		check_covered(s, x->tgid, x->start_ns, x->layout, &u);
	if (devmem_stack_acc_sample(s->stacks, x, &u, s->sym))
		s->error = -ENOMEM;
}

/* -v: a mapping the BPF side sent */
static void verbose_map(const struct devmem_stack_map *m)
{
	char id[2 * DEVMEM_BUILD_ID_MAX + 1] = "", name[DEVMEM_SANITIZED_SIZE(64)];
	const char *file = m->path;

	for (__u32 i = 0; i < m->build_id_len && i < DEVMEM_BUILD_ID_MAX; i++)
		snprintf(id + 2 * i, 3, "%02x", m->build_id[i]);
	/* the file's own name comes first */
	devmem_sanitize(name, sizeof(name), file, strnlen(file, sizeof(m->path)), 0);
	fprintf(stderr, "stacks: process %u layout %u: %llx-%llx at %llx of %s, build-id %s\n",
		m->tgid, m->layout, (unsigned long long)m->start, (unsigned long long)m->end,
		(unsigned long long)m->pgoff, name, id[0] ? id : "unknown");
}

/*
 * The ustacks ring (ustack.bpf.h): the mappings of a process's layout
 * (their files opened now, while it most likely lives), samples, and the
 * latencies of sampled faults.
 */
int devmem_session_ustack(void *ctx, void *data, size_t size)
{
	struct devmem_session *s = ctx;
	const struct devmem_ustack_latency *lat = data;
	const struct devmem_stack_maps_end *end = data;
	struct devmem_look *l;
	__u32 type;

	if (size < sizeof(type) || !s->stacks)
		return 0;
	memcpy(&type, data, sizeof(type));
	switch (type) {
	case DEVMEM_USTACK_SAMPLE:
		if (size >= sizeof(struct devmem_ustack_sample))
			on_sample(s, data, size);
		break;
	case DEVMEM_USTACK_MAP:
		if (size < sizeof(struct devmem_stack_map))
			break;
		if (devmem_sym_add_map(s->sym, data))
			s->error = -ENOMEM;
		if (s->verbose)
			verbose_map(data);
		break;
	case DEVMEM_USTACK_MAPS_END:
		if (size < sizeof(*end))
			break;
		l = look_find(s, end->tgid, end->start_ns, end->layout);
		if (l)
			l->waiting = false;
		if (s->verbose && end->err)
			fprintf(stderr, "stacks: the mappings of process %u were not all looked up "
				"(%s); looked up again later\n", end->tgid, strerror(-end->err));
		break;
	case DEVMEM_USTACK_LATENCY:
		if (size >= sizeof(*lat))
			devmem_stack_acc_latency(s->stacks, lat->tgid, lat->seq, lat->lat_ns);
		break;
	}
	return 0;
}

/* fp: the frames of a kernel entry, its walk from the stacks map and its leaf's caller */
static void entry_frames(struct devmem_session *s, const struct devmem_stack_key *k,
			 struct devmem_unwound *u)
{
	struct devmem_leaf_rule unchecked = { .kind = DEVMEM_LEAF_UNCHECKED };
	__u64 ips[DEVMEM_STACK_DEPTH] = {};
	struct devmem_leaf_key lk = { .start_ns = k->start_ns, .tgid = k->tgid, .layout = k->layout };
	struct devmem_leaf_entry *e;
	__u32 n = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.stacks), &k->stackid, ips)) {
		/* the walk was taken out meanwhile (another process's, gone) */
		memset(u, 0, sizeof(*u));
		u->loss = DEVMEM_LOST_STACK_DROP;
		return;
	}
	while (n < DEVMEM_STACK_DEPTH && ips[n])
		n++;
	lk.ip = ips[0];
	e = leaf_find(s, &lk);
	devmem_fp_frames(ips, n, e ? &e->r : &unchecked, k->caller, u);
}

#define MAX_GONE	1024

/*
 * fp: the kernel's stack_counts entries into the accumulator (each new one
 * with its frames); the entries of processes that exited are final and
 * leave the kernel, with the walks no entry refers to any more and their
 * leaf rules, so the tables stay bounded.
 */
static int read_stacks(struct devmem_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.stack_counts);
	int sfd = bpf_map__fd(s->skel->maps.stacks);
	int lfd = bpf_map__fd(s->skel->maps.leaf_rules);
	struct devmem_stack_key key, *prev = NULL, gone[MAX_GONE];
	struct devmem_stack_value v;
	struct devmem_unwound u;
	size_t nr_gone = 0, j;
	int err = 0;

	if (s->opts.stacks != DEVMEM_STACKS_FP)
		return 0;
	while (!err && !bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (devmem_stack_acc_has_key(s->stacks, &key)) {
			err = devmem_stack_acc_counted(s->stacks, &key, &v, NULL, s->sym);
		} else {
			entry_frames(s, &key, &u);
			if (u.depth)
				check_covered(s, key.tgid, key.start_ns, key.layout, &u);
			err = devmem_stack_acc_counted(s->stacks, &key, &v, &u, s->sym);
		}
		if (nr_gone < MAX_GONE &&
		    devmem_history_proc_exited(s->history, key.tgid, key.start_ns))
			gone[nr_gone++] = key;
	}
	for (size_t i = 0; i < nr_gone; i++) {
		/* what came since the walk above, then out */
		if (!bpf_map_lookup_and_delete_elem(fd, &gone[i], &v))
			devmem_stack_acc_counted(s->stacks, &gone[i], &v, NULL, s->sym);
		if (!devmem_stack_acc_key_gone(s->stacks, &gone[i]))
			bpf_map_delete_elem(sfd, &gone[i].stackid);
	}
	/* the leaf rules of the processes gone */
	for (size_t i = j = 0; i < s->nr_leaves; i++) {
		const struct devmem_leaf_entry *e = &s->leaves[i];
		bool out = false;

		for (size_t g = 0; g < nr_gone && !out; g++)
			out = gone[g].tgid == e->k.tgid && gone[g].start_ns == e->k.start_ns;
		if (out)
			bpf_map_delete_elem(lfd, &e->k);
		else
			s->leaves[j++] = *e;
	}
	s->nr_leaves = j;
	return err;
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

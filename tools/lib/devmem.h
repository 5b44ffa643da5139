/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libdevmem: the common library of the devmem tools.
 *
 *   probe.c     what the kernel offers (BTF, tracepoints, fentry), mode choice
 *   session.c   load and attach the BPF programs, read the maps (the only
 *               part that talks to BPF), stream events, lost-event counts
 *   snapshot.c  the snapshot model every view uses: plain C, no BPF
 *   array.c     the one array-growth helper
 *   hist.c      log2 histogram maths and printing
 *   pagemaps.c  ranges that existed before the tool started (debugfs file
 *               of the kernel series, names from /proc/iomem)
 *   report.c    text and JSON renderings of a snapshot
 *   json_out.c  the one JSON writer per shape (json_out.h)
 *   sanitize.c  the one filter of kernel and file strings shown (sanitize.h)
 *   inventory.c the range inventory devmemranges shows (inventory.h)
 *   record_format.c, recorder.c, record.c, rec_report.c
 *               recordings: the bytes, writing, reading, reports (record.h)
 *   errors.c    every error a user can meet: one sentence, one exit code
 *
 * Tools include this header as "lib/devmem.h" (tests by a relative path),
 * because include/devmem.h, the header shared with the BPF side, has the
 * same file name and comes first in the include path.
 */
#ifndef DEVMEM_LIB_H
#define DEVMEM_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <linux/types.h>
#include "../../include/devmem.h"

/* ---- arrays (array.c) ---------------------------------------------------- */

/*
 * Make room for element n of an array of n elements of elem bytes; returns
 * the (moved) array, or NULL (arr untouched) when out of memory. The
 * capacity is implicit, devmem_array_cap(n): 0 for an empty array, else
 * max(8, the smallest power of two >= n), so only a full array reallocates.
 * An array filled another way must have been allocated with that capacity.
 */
void *devmem_array_grow(void *arr, size_t n, size_t elem);
size_t devmem_array_cap(size_t n);
/* a zeroed array of n elements that devmem_array_grow() can grow; NULL for 0 */
void *devmem_array_alloc(size_t n, size_t elem);
/* -1, 0 or 1 as a < b, a == b, a > b */
int devmem_cmp_u64(__u64 a, __u64 b);
/* the order of the (tgid, start_ns, x) keys of processes, pages and stacks */
int devmem_key_cmp(__u32 ta, __u64 sa, __u64 xa, __u32 tb, __u64 sb, __u64 xb);
/* bsearch() of a sorted array that may be empty (arr NULL): the match or NULL */
void *devmem_array_find(const void *key, const void *arr, size_t n, size_t elem,
			int (*cmp)(const void *, const void *));

/* ---- clocks (snapshot.c) -------------------------------------------------- */

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns() and of snapshots */
__u64 devmem_mono_ns(void);
/* CLOCK_REALTIME - CLOCK_MONOTONIC in ns, to print monotonic stamps as times */
__s64 devmem_wall_offset_ns(void);

/* ---- errors and exit codes (errors.c) ---------------------------------- */

enum devmem_error {
	DEVMEM_OK = 0,
	DEVMEM_E_USAGE,		/* bad command line */
	DEVMEM_E_PERM,		/* not root / no CAP_BPF + CAP_PERFMON */
	DEVMEM_E_NO_BTF,	/* /sys/kernel/btf/vmlinux missing */
	DEVMEM_E_NO_HOOKS,	/* neither tracepoints nor fentry fallback */
	DEVMEM_E_NO_FENTRY,	/* --fentry asked, fallback unavailable */
	DEVMEM_E_MEMLOCK,	/* BPF map creation failed */
	DEVMEM_E_LOAD,		/* programs rejected */
	DEVMEM_E_ATTACH,
	DEVMEM_E_NOMEM,
	DEVMEM_E_CHILD,		/* the -- COMMAND could not be started */
	DEVMEM_E_BAD_INPUT,	/* malformed or hostile input file */
	DEVMEM_E_REFUSED,	/* EPERM although privileged: lockdown, LSM, container */
	DEVMEM_E_BAD_ENV,	/* DEVMEM_MAX_PROCS not a valid number */
	DEVMEM_E_COUNT,
};

/* Process exit codes, distinct per error; 1 is left for "other failure". */
#define DEVMEM_EXIT_OK		0
#define DEVMEM_EXIT_FAILURE	1
#define DEVMEM_EXIT_USAGE	2
#define DEVMEM_EXIT_PERM	3
#define DEVMEM_EXIT_NO_BTF	4
#define DEVMEM_EXIT_NO_HOOKS	5
#define DEVMEM_EXIT_NO_FENTRY	6
#define DEVMEM_EXIT_MEMLOCK	7
#define DEVMEM_EXIT_LOAD	8
#define DEVMEM_EXIT_ATTACH	9
#define DEVMEM_EXIT_NOMEM	10
#define DEVMEM_EXIT_CHILD	11
#define DEVMEM_EXIT_BAD_INPUT	12
#define DEVMEM_EXIT_REFUSED	13
#define DEVMEM_EXIT_BAD_ENV	14

/* One sentence: what is missing and what to do. Never NULL. */
const char *devmem_strerror(enum devmem_error err);
int devmem_exit_code(enum devmem_error err);

/* Where a load failed, for devmem_classify_load_error(). */
struct devmem_load_failure {
	int err;		/* negative errno from libbpf */
	bool have_privileges;	/* devmem_have_privileges() before the load */
	bool maps_created;	/* every map had an fd after the failed load */
};
enum devmem_error devmem_classify_load_error(const struct devmem_load_failure *f);
/* true if euid 0 or CAP_SYS_ADMIN, or both CAP_BPF and CAP_PERFMON */
bool devmem_have_privileges(void);

/* ---- probing and the attachment mode (probe.c) ------------------------- */

enum devmem_mode {
	DEVMEM_MODE_NONE = 0,
	DEVMEM_MODE_TP_BTF,	/* devmem tracepoints, BTF-typed programs */
	DEVMEM_MODE_RAW_TP,	/* devmem tracepoints, raw tracepoint programs */
	DEVMEM_MODE_FENTRY,	/* fentry/fexit on the core functions */
};

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
	DEVMEM_FN_COUNT,
};

struct devmem_features {
	bool btf;			/* /sys/kernel/btf/vmlinux readable */
	bool tracepoints;		/* devmem tracepoints exist */
	bool tp_btf;			/* ... and a tp_btf program loads on them */
	bool fentry;			/* fentry loads and attaches (memremap_pages) */
	bool fentry_refused;		/* ... the kernel said EPERM (lockdown, sandbox) */
	bool fn[DEVMEM_FN_COUNT];	/* function takes fentry and fexit programs */
};

const char *devmem_fn_name(enum devmem_fn fn);
const char *devmem_mode_name(enum devmem_mode mode);
struct btf;
/*
 * Fill f by probing the running kernel; never by its version. fn[] stays
 * false. Returns the kernel's BTF it loaded for devmem_probe_functions()
 * (NULL without one); the caller frees it with btf__free().
 */
struct btf *devmem_probe_features(struct devmem_features *f);
/* fn[] of the functions the programs of mode attach to, by trial attaches */
void devmem_probe_functions(struct devmem_features *f, const struct btf *btf,
			    enum devmem_mode mode);
/*
 * Pure decision from probed features: tracepoints first (tp_btf, else
 * raw_tp), the fentry fallback second; force_fentry skips the tracepoints.
 */
enum devmem_error devmem_choose_mode(const struct devmem_features *f, bool force_fentry,
				     enum devmem_mode *mode);

/* ---- histograms (hist.c) ------------------------------------------------ */

/*
 * Slot i holds [2^i, 2^(i+1) - 1], slot 0 holds 0 and 1, the last slot
 * everything from 2^(DEVMEM_HIST_SLOTS - 1) up (saturated, no upper bound).
 */
unsigned int devmem_hist_slot(__u64 v);
__u64 devmem_hist_slot_low(unsigned int slot);
__u64 devmem_hist_slot_high(unsigned int slot);	/* UINT64_MAX for the last */
void devmem_hist_add(struct devmem_hist *h, __u64 v);
void devmem_hist_merge(struct devmem_hist *dst, const struct devmem_hist *src);
__u64 devmem_hist_total(const struct devmem_hist *h);	/* sum of the slots */
/* first and last non-empty slot and the largest count; false when empty */
bool devmem_hist_extent(const struct devmem_hist *h, unsigned int *first, unsigned int *last,
			__u64 *max);

/*
 * Percentile p (0 < p <= 100). The rank p% of the samples falls into one
 * slot; the value is interpolated linearly within that slot's bounds
 * (uniform spread assumed), so it is exact to within the slot width, which
 * low/high report. In the saturated last slot no interpolation is possible:
 * value = low and saturated is set (read it as "at least"). Returns -1 and
 * sets empty for a histogram without samples.
 */
struct devmem_percentile {
	double value;
	__u64 low, high;
	bool saturated;
	bool empty;
};
int devmem_hist_percentile(const struct devmem_hist *h, double p, struct devmem_percentile *out);
/* percentiles the text and JSON reports show: 50, 90, 99 (json_out.c) */
extern const double devmem_rec_percentiles[3];
/* mean from sum/count; 0 when empty */
double devmem_hist_mean(const struct devmem_hist *h);
/* print_log2_hist style table: "unit : count distribution" */
void devmem_hist_print(FILE *out, const struct devmem_hist *h, const char *unit);
const char *devmem_hist_kind_name(enum devmem_hist_kind kind);	/* e.g. fault_latency */
const char *devmem_hist_kind_unit(enum devmem_hist_kind kind);	/* nsecs or pages */

/* ---- snapshot model (snapshot.c) ----------------------------------------- */

/*
 * The snapshot model is cumulative since the session (or recording)
 * started: every device, range and process ever seen, each with its
 * counters. Identities: a device by its name, a process by tgid and start
 * time, a range by gen (the order the BPF side learnt it in; 0 for a range
 * only listed at start).
 */

#define DEVMEM_NAME_LEN		64

/* a device is the set of ranges of one driver device, named after them */
struct devmem_device {
	char name[DEVMEM_NAME_LEN];	/* identity; unique in a snapshot */
	__u64 owner;			/* pgmap->owner of its live ranges; 0: unknown */
	__u32 nr_ranges;		/* ranges seen, live and removed */
	__u32 nr_live;			/* ranges not removed */
	__u64 nr_pages;			/* pages of its live ranges */
	struct devmem_counters c;	/* summed over its ranges */
	bool has_hist;
	struct devmem_hist hist[DEVMEM_HIST_KINDS];
};

struct devmem_process {
	__u32 tgid;
	char comm[DEVMEM_COMM_LEN];
	__u64 start_ns;			/* CLOCK_MONOTONIC; 0: unknown (format 1 recordings) */
	__u64 exit_ns;			/* CLOCK_MONOTONIC; 0: alive when last seen */
	__u64 lost_events;		/* its events not in c: the table was full */
	struct devmem_counters c;
	bool has_hist;
	struct devmem_hist hist[DEVMEM_HIST_KINDS];
};

#define DEVMEM_RANGE_TRACED	0x1	/* known to the BPF programs */
#define DEVMEM_RANGE_DISCOVERED	0x2	/* listed by the debugfs file at start */

struct devmem_snap_range {
	struct devmem_range r;		/* r.gen 0: only listed at start */
	__u64 id;			/* printed pgmap id: physical start */
	__u64 in_use_at_start;		/* from discovery, else DEVMEM_UNKNOWN */
	__u32 range_index;		/* index within its pagemap (discovery) */
	__u32 sources;			/* DEVMEM_RANGE_* */
	char name[DEVMEM_NAME_LEN];	/* iomem resource name, "" if unknown */
	char device[DEVMEM_NAME_LEN];	/* name of its device */
	struct devmem_counters c;	/* events of its pages since it was learnt */
	bool has_hist;
	struct devmem_hist hist[DEVMEM_HIST_KINDS];
};

/*
 * A page that bounced between the device and RAM twice or more (a bounce:
 * a CPU fault that migrated it back), with the figures since the session
 * started. It thrashes when window_max > K.
 */
struct devmem_thrash_entry {
	__u32 tgid;
	__u32 window_max;		/* most bounces within T (at most DEVMEM_THRASH_RING) */
	__u64 start_ns;			/* its process: (tgid, start_ns) */
	__u64 vaddr;			/* page address */
	__u64 range;			/* physical start of the pagemap of its last fault */
	__u64 bounces;
	__u64 faults;			/* faults on it, wasted ones too */
	__u64 fault_ns;			/* their summed latency */
	__u64 last_ns;			/* its last fault, CLOCK_MONOTONIC */
};

/* the user stack of CPU faults on device memory, symbolized */
struct devmem_snap_stack {
	__u32 tgid;
	__u32 depth;			/* frames in names */
	__u64 start_ns;
	__u64 id;			/* identity within the process (the kernel's stack id) */
	char comm[DEVMEM_COMM_LEN];
	__u64 faults;
	__u64 fault_ns;			/* summed latency of those that ended */
	char *names;			/* depth NUL-terminated names, innermost first */
	size_t names_len;
};

#define DEVMEM_THRASH_K_DEFAULT		3
#define DEVMEM_THRASH_WINDOW_DEFAULT	1000000000ULL	/* 1 s */

struct devmem_snapshot {
	__u64 ts_ns;			/* CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
	__u64 interval_ns;		/* time a delta covers; 0 for a snapshot */
	enum devmem_mode mode;
	struct devmem_counters total;
	struct devmem_hist hist[DEVMEM_HIST_KINDS];
	struct devmem_device *devices;
	size_t nr_devices;
	struct devmem_process *procs;
	size_t nr_procs;
	struct devmem_snap_range *ranges;
	size_t nr_ranges;
	__u64 lost[DEVMEM_LOST_KINDS];	/* from the BPF side */
	__u64 recursion_misses;		/* summed over the programs */
	char note[256];			/* e.g. why earlier ranges are unknown */
	/* thrashing detection (thrash.c): pages that bounced twice or more */
	bool thrash_on;
	__u32 thrash_k;			/* thrashing: more than K bounces ... */
	__u64 thrash_window_ns;		/* ... within T */
	__u32 page_size;		/* of the traced kernel; 0: unknown */
	struct devmem_thrash_entry *thrash;
	size_t nr_thrash;
	__u64 thrash_dropped;		/* pages not kept: the user-space table was full */
	/* fault stacks (stacks.c), with --stacks */
	bool stacks_on;
	struct devmem_snap_stack *stacks;
	size_t nr_stacks;
};

extern const char *const devmem_counter_names[DEVMEM_NR_COUNTERS];
extern const char *const devmem_lost_names[DEVMEM_LOST_KINDS];

static inline __u64 *devmem_counters_u64(struct devmem_counters *c)
{
	return (__u64 *)c;
}

static inline const __u64 *devmem_counters_cu64(const struct devmem_counters *c)
{
	return (const __u64 *)c;
}

void devmem_snapshot_init(struct devmem_snapshot *s);
void devmem_snapshot_free(struct devmem_snapshot *s);	/* and re-init */
/* find or add; NULL only on allocation failure */
struct devmem_device *devmem_snapshot_device(struct devmem_snapshot *s, const char *name);
struct devmem_process *devmem_snapshot_process(struct devmem_snapshot *s, __u32 tgid,
					       __u64 start_ns);
/*
 * A traced range by gen; gen 0 (a range only listed at start) matches by
 * physical start among ranges that are live or listed. Added if missing.
 */
struct devmem_snap_range *devmem_snapshot_range(struct devmem_snapshot *s, __u64 gen,
						__u64 start);
/* lookups that never add; NULL if missing (processes: a sorted snapshot) */
const struct devmem_device *devmem_snapshot_find_device(const struct devmem_snapshot *s,
							const char *name);
int devmem_snapshot_copy(struct devmem_snapshot *dst, const struct devmem_snapshot *src);
/*
 * Rebuild s->devices from s->ranges: each range counts in the device its
 * `device` field names (ranges without one are named by
 * devmem_range_device_name() first). Per-device histograms exist where
 * every range of the device has them.
 */
int devmem_snapshot_group_devices(struct devmem_snapshot *s);
/* the name a range's device takes when nothing else names it */
void devmem_range_device_name(const struct devmem_snap_range *r, char *buf, size_t len);

/*
 * Summing per-CPU map values: a per-CPU lookup returns ncpus values, each
 * padded to a multiple of 8 bytes (the stride).
 */
size_t devmem_percpu_stride(size_t value_size);
void devmem_sum_counters(struct devmem_counters *dst, const void *percpu, int ncpus);
void devmem_sum_hist(struct devmem_hist *dst, const void *percpu, int ncpus);
void devmem_sum_u64(__u64 *dst, const void *percpu, int ncpus);
void devmem_counters_add(struct devmem_counters *dst, const struct devmem_counters *src);

/*
 * out = cur - prev (counters, histograms, losses), matched by device name,
 * process (tgid, start) and range gen; ranges and notes are those of cur;
 * interval_ns = time between them. A value that went down (a table entry
 * restarted) is taken as restarted: the delta is the current value.
 */
int devmem_snapshot_delta(struct devmem_snapshot *out, const struct devmem_snapshot *cur,
			  const struct devmem_snapshot *prev);
/* dst += src: counters, histograms, losses; devices by owner, processes by tgid */
int devmem_snapshot_add(struct devmem_snapshot *dst, const struct devmem_snapshot *src);
/* losses (not the unmatched counters) + recursion misses */
__u64 devmem_snapshot_lost_total(const struct devmem_snapshot *s);
/*
 * Processes of src replace those of dst with the same identity, the others
 * join; src must be sorted (devmem_snapshot_sort), dst ends up sorted.
 */
int devmem_snapshot_merge_procs(struct devmem_snapshot *dst, const struct devmem_snapshot *src);
/* the order of processes: (tgid, start) */
int devmem_process_cmp(const void *x, const void *y);
/* sort devices by name, processes by (tgid, start), ranges by (physical start, gen) */
void devmem_snapshot_sort(struct devmem_snapshot *s);

/* ---- thrashing (thrash.c) ----------------------------------------------- */

/* consecutive thrashing pages of one process and pagemap */
struct devmem_thrash_run {
	__u32 tgid;
	__u32 window_max;		/* the most of its pages */
	__u64 start_ns;
	char comm[DEVMEM_COMM_LEN];
	__u64 vaddr;			/* first page */
	__u64 npages;
	__u64 bounces, faults, fault_ns;	/* summed over its pages */
	__u64 range;			/* physical start of its pagemap */
	char device[DEVMEM_NAME_LEN];	/* "" if unknown */
};

/* figures of the thrashing pages of one process or device */
struct devmem_thrash_sum {
	__u64 pages_bouncing;		/* bounced twice or more */
	__u64 pages_thrashing;		/* more than K bounces within T */
	__u64 bounces;			/* of the thrashing pages */
	__u64 fault_ns;			/* ... the time their faults took */
};

/* is this page thrashing at threshold k */
static inline bool devmem_thrash_is(const struct devmem_thrash_entry *e, __u32 k)
{
	return e->window_max > k;
}
/*
 * The runs of thrashing pages of s at threshold k, most bounces first
 * (ties: lower tgid, lower address); *out is malloc'ed. 0 or -ENOMEM.
 */
int devmem_thrash_runs(const struct devmem_snapshot *s, __u32 k, struct devmem_thrash_run **out,
		       size_t *n);
/* sums per process (tgid, start_ns) or, with device, per device name; k threshold */
void devmem_thrash_sum_process(const struct devmem_snapshot *s, __u32 k, __u32 tgid,
			       __u64 start_ns, struct devmem_thrash_sum *out);
void devmem_thrash_sum_device(const struct devmem_snapshot *s, __u32 k, const char *device,
			      struct devmem_thrash_sum *out);
void devmem_thrash_sum_all(const struct devmem_snapshot *s, __u32 k, struct devmem_thrash_sum *out);
/* the device name of a pagemap start, as the snapshot's ranges name it; "" if unknown */
const char *devmem_snapshot_range_device(const struct devmem_snapshot *s, __u64 range);
/* sort by (tgid, start_ns, vaddr), the order of devmem_thrash_cmp() */
int devmem_thrash_cmp(const void *x, const void *y);
void devmem_thrash_sort(struct devmem_thrash_entry *e, size_t n);
/*
 * Entries of src (sorted: devmem_thrash_sort) replace those of dst with the
 * same (tgid, start, vaddr), the others join; dst ends up sorted.
 */
int devmem_thrash_merge(struct devmem_snapshot *dst, const struct devmem_snapshot *src);

/* ---- fault stacks (stacks.c) --------------------------------------------- */

/* name i (0: innermost) of a stack; "" past its depth */
const char *devmem_stack_frame(const struct devmem_snap_stack *st, __u32 i);
/* set a stack's names from an array (innermost first); 0 or -ENOMEM */
int devmem_stack_set_names(struct devmem_snap_stack *st, const char *const *names, __u32 depth);
void devmem_stacks_free(struct devmem_snap_stack *st, size_t n);
/* a deep copy; NULL for n 0 or out of memory (check n) */
struct devmem_snap_stack *devmem_stacks_dup(const struct devmem_snap_stack *st, size_t n);
/* stacks of src replace those of dst with the same (tgid, start, id), the others join */
int devmem_stacks_merge(struct devmem_snapshot *dst, const struct devmem_snapshot *src);
/* qsort order of stacks: (tgid, start, stack id) */
int devmem_stack_cmp(const void *x, const void *y);
/*
 * Folded lines ("comm;outer;...;inner COUNT"), each process's stacks
 * under its command name, the same stack of two processes of one name
 * summed; by_time counts microseconds of fault time instead of faults.
 */
int devmem_stacks_folded(FILE *out, const struct devmem_snapshot *s, bool by_time);
/* the same as an SVG flame graph; 0, -ENOMEM or -EIO */
int devmem_stacks_flamegraph(FILE *out, const struct devmem_snapshot *s, const char *title);

/* ---- findings (findings.c) ---------------------------------------------- */

enum devmem_finding_kind {
	DEVMEM_FIND_THRASH = 1,		/* a run of thrashing pages */
	DEVMEM_FIND_WASTED,		/* a high share of wasted faults */
	DEVMEM_FIND_LATENCY,		/* fault latency p99 far above p50 */
	DEVMEM_FIND_FULL,		/* a device almost full */
	DEVMEM_FIND_LOST,		/* events were lost: figures are low */
};

struct devmem_finding {
	enum devmem_finding_kind kind;
	double score;			/* rank: higher first */
	char text[512];			/* one line, sanitized */
};

/*
 * What stands out in s, ranked, at most max findings; k the thrashing
 * threshold. Returns the number found (0: nothing stands out) or -ENOMEM.
 */
int devmem_findings(const struct devmem_snapshot *s, __u32 k, struct devmem_finding *out,
		    size_t max);
/* "Findings:" and one numbered line each, or "Findings: none" */
void devmem_findings_print(FILE *out, const struct devmem_snapshot *s, __u32 k);
/*
 * The THRASHING and FAULT STACKS sections (each when on) and the findings,
 * as text (diag_report.c); k the thrashing threshold, 0: the snapshot's.
 */
void devmem_diag_text(FILE *out, const struct devmem_snapshot *s, __u32 k);
/*
 * Write s's stacks as folded lines to folded and as an SVG flame graph to
 * flamegraph (either NULL: not written; "-": standard output). 0, or
 * -errno with one sentence in err.
 */
int devmem_stacks_write(const struct devmem_snapshot *s, const char *folded,
			const char *flamegraph, const char *title, char *err, size_t errlen);

/* ---- ranges present before the tool started (pagemaps.c) ---------------- */

#define DEVMEM_PAGEMAPS_PATH "/sys/kernel/debug/devmem/pagemaps"

struct devmem_pagemap_line {
	__u64 pgmap_id;
	__u32 range;
	__u64 start, end;
	__u64 nr_pages;
	__u32 nid;			/* ~0U if absent */
	__u32 type;			/* DEVMEM_TYPE_* */
	__u64 in_use;			/* DEVMEM_UNKNOWN if absent */
	char name[64];			/* "" for "-" */
};

/* 0, or -EINVAL for a malformed line (out is then undefined) */
int devmem_pagemaps_parse_line(const char *line, struct devmem_pagemap_line *out);
/* add every good line to s; returns the number of bad lines skipped, or -errno */
int devmem_pagemaps_parse(FILE *f, struct devmem_snapshot *s);
/* name of the /proc/iomem resource that is [start, end], else the smallest holding it; or NULL */
const char *devmem_iomem_name(FILE *iomem, __u64 start, __u64 end, char *buf, size_t len);
/*
 * Read the debugfs file (path NULL: the default) into s. When the file is
 * missing, s->note says why (debugfs not mounted, or a kernel without the
 * series) and that earlier ranges are unknown. Returns 0 or -errno.
 */
int devmem_discover_ranges(const char *path, struct devmem_snapshot *s);
/* call fn for every resource of an open /proc/iomem until it returns non-zero */
int devmem_iomem_each(FILE *iomem, int (*fn)(void *ctx, __u64 start, __u64 end,
					     const char *name), void *ctx);
/* fill empty range names from /proc/iomem (path NULL: /proc/iomem) */
void devmem_name_ranges(const char *iomem_path, struct devmem_snapshot *s);

/* ---- the BPF session (session.c) ------------------------------------------ */

typedef int (*devmem_event_fn)(void *ctx, const struct devmem_event *e);

struct devmem_opts {
	__u32 tgid;			/* only this process (0: all) */
	__u64 owner;			/* only this pgmap->owner (0: all) */
	bool force_fentry;		/* --fentry */
	enum devmem_mode force_mode;	/* NONE: probe; tests/benchmarks set one */
	bool no_attach;			/* load only (host tests) */
	bool hist_per_device;
	bool hist_per_process;
	bool verbose;			/* libbpf debug output on stderr */
	__u32 stream_mask;		/* DEVMEM_EV_* bits to stream; 0: none */
	devmem_event_fn on_event;
	void *ctx;
	size_t ringbuf_bytes;		/* 0: default (1 MiB) */
	bool no_thrash;			/* thrashing detection off */
	__u64 thrash_window_ns;		/* T; 0: DEVMEM_THRASH_WINDOW_DEFAULT */
	__u32 thrash_k;			/* K shown in snapshots; 0: DEVMEM_THRASH_K_DEFAULT */
	__u32 thrash_sets;		/* thrash map sets, a power of 2; 0: DEVMEM_THRASH_SETS */
	bool stacks;			/* the user stack of each fault */
	__u32 stack_entries;		/* stack map size; 0: 1024 */
};

struct devmem_session;

/* probe, check privileges, open, load, attach, discover earlier ranges */
enum devmem_error devmem_session_open(const struct devmem_opts *opts,
				      struct devmem_session **out);
enum devmem_mode devmem_session_mode(const struct devmem_session *s);
/*
 * Consume what the kernel sent (streamed events to on_event, process exits
 * into the history), waiting up to timeout_ms for it; returns the number of
 * records or -errno (-EINTR: a signal). Call it often enough that the exits
 * ring does not fill: devmem_session_wait() does.
 */
int devmem_session_poll(struct devmem_session *s, int timeout_ms);
/* poll until deadline_ns (CLOCK_MONOTONIC) or until *stop is set */
void devmem_session_wait(struct devmem_session *s, __u64 deadline_ns,
			 const volatile sig_atomic_t *stop);
/*
 * The device (and iomem name) of the range starting at a physical address,
 * as every snapshot names it; safe inside on_event. 0 or -ENOENT.
 */
int devmem_session_range_device(struct devmem_session *s, __u64 start, char *name, size_t len,
				char *range_name, size_t range_len);
/* an fd that is readable when there is something to poll (for poll(2) loops) */
int devmem_session_fd(const struct devmem_session *s);
/*
 * The session's cumulative snapshot (snap is reset first): the kernel
 * tables read into the history, every process, range and device since the
 * session started. 0 or -errno.
 */
int devmem_session_snapshot(struct devmem_session *s, struct devmem_snapshot *snap);
/*
 * Leave processes that exited before exited_before_ns out of later
 * snapshots and free them: a recorder that wrote them keeps its memory
 * bounded by the processes alive.
 */
void devmem_session_forget_exited(struct devmem_session *s, __u64 exited_before_ns);
void devmem_session_close(struct devmem_session *s);
/* for tests and benchmarks: the skeleton (struct devmem_bpf *) */
void *devmem_session_skel(struct devmem_session *s);

/* ---- renderings (report.c) ----------------------------------------------- */

#define DEVMEM_REPORT_HISTS	0x1	/* print the histogram tables too */

void devmem_report_text(FILE *out, const struct devmem_snapshot *s, unsigned int flags);
/* JSON document (jansson); 0 or -errno */
int devmem_report_json(FILE *out, const struct devmem_snapshot *s);

#endif /* DEVMEM_LIB_H */

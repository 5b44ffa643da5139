/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The snapshot model (snapshot.c): every device, range and process seen,
 * with their counters, histograms, thrashing pages and fault stacks. Live
 * sessions and recordings produce it; every view reads it. Plain C, no BPF.
 */
#ifndef DEVMEM_MODEL_SNAPSHOT_H
#define DEVMEM_MODEL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "devmem.h"

/* ---- clocks ---- */

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns() and of snapshots */
__u64 devmem_mono_ns(void);
/* CLOCK_REALTIME - CLOCK_MONOTONIC in ns, to print monotonic stamps as times */
__s64 devmem_wall_offset_ns(void);

/* how the figures were observed */
enum devmem_mode {
	DEVMEM_MODE_NONE = 0,
	DEVMEM_MODE_TP_BTF,	/* devmem tracepoints, BTF-typed programs */
	DEVMEM_MODE_RAW_TP,	/* devmem tracepoints, raw tracepoint programs */
	DEVMEM_MODE_FENTRY,	/* fentry/fexit on the core functions */
};
const char *devmem_mode_name(enum devmem_mode mode);

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
	struct devmem_folio_counts folios;	/* ... and its folios by order */
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
	struct devmem_folio_counts folios;	/* ... and of its folios, by order */
	bool has_hist;
	struct devmem_hist hist[DEVMEM_HIST_KINDS];
};

/*
 * A page that bounced between the device and RAM twice or more (a bounce:
 * a CPU fault that migrated it back), with the figures since the session
 * started. It thrashes when window_max > K. A large folio bounces as one:
 * one entry, weighing its pages (npages).
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
	__u64 npages;			/* pages one bounce of it moves: a large folio's (512
					 * for 2 MiB, followed at its first page), else 1;
					 * 0 reads as 1 (devmem_thrash_pages) */
};

/*
 * Where a frame is, so that it can be named later and elsewhere: its file
 * by build-id and its address in the file's own addresses (the ELF virtual
 * address, as addr2line -e FILE takes it), or, when the file's layout was
 * not known, its offset in the file (DEVMEM_LOC_FILE_OFFSET); a frame
 * outside every file has no build-id and its address as the offset.
 */
#define DEVMEM_LOC_FILE_OFFSET	0x1

struct devmem_frame_loc {
	__u64 offset;
	__u8 build_id[DEVMEM_BUILD_ID_MAX];
	__u8 build_id_len;		/* 0: none known */
	__u8 flags;			/* DEVMEM_LOC_* */
};

/* the user stack of CPU faults on device memory, symbolized */
struct devmem_snap_stack {
	__u32 tgid;
	__u32 depth;			/* frames in names */
	__u64 start_ns;
	__u64 id;			/* identity within the process (a hash of its frames) */
	char comm[DEVMEM_COMM_LEN];
	__u64 faults;
	__u64 fault_ns;			/* summed latency of those that ended */
	char *names;			/* depth NUL-terminated names, innermost first */
	size_t names_len;
	/* depth locations and files (NUL-terminated paths, "" none), innermost
	 * first; NULL when unknown (recordings from before they were kept) */
	struct devmem_frame_loc *locs;
	char *files;
	size_t files_len;
};

#define DEVMEM_THRASH_K_DEFAULT		3
#define DEVMEM_THRASH_WINDOW_DEFAULT	1000000000ULL	/* 1 s */

struct devmem_snapshot {
	__u64 ts_ns;			/* CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
	__u64 interval_ns;		/* time a delta covers; 0 for a snapshot */
	enum devmem_mode mode;
	struct devmem_counters total;
	struct devmem_folio_counts folios;	/* folios by order, in total */
	struct devmem_hist hist[DEVMEM_HIST_KINDS];
	struct devmem_device *devices;
	size_t nr_devices;
	struct devmem_process *procs;
	size_t nr_procs;
	struct devmem_snap_range *ranges;
	size_t nr_ranges;
	__u64 lost[DEVMEM_LOST_KINDS];	/* losses, from the BPF side */
	__u64 tallies[DEVMEM_TALLY_KINDS];	/* counted aside, not lost */
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
extern const char *const devmem_tally_names[DEVMEM_TALLY_KINDS];

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
void devmem_sum_folios(struct devmem_folio_counts *dst, const void *percpu, int ncpus);
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

/* ---- one name and one rule for each thing about a range ---- */

/* "private", "coherent" or "other" */
const char *devmem_range_type_name(__u32 type);
/* "live", "removing" (remove started, references still held) or "removed" */
const char *devmem_range_state_name(bool removed, bool remove_done);
/*
 * Pages of a range in use when the tool started: what the listing or the
 * probe saw, 0 for a range added while traced; else DEVMEM_UNKNOWN.
 */
__u64 devmem_range_in_use_at_start(const struct devmem_snap_range *r);
/*
 * Pages of a range in use: what its remove saw for a removed range, else
 * now: in use at start, plus the pages handed out since, less those given
 * back. DEVMEM_UNKNOWN where the start is not known.
 */
__u64 devmem_range_in_use(const struct devmem_snap_range *r);

#endif /* DEVMEM_MODEL_SNAPSHOT_H */

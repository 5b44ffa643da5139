/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The cumulative history a session owns (history.c): processes, ranges and
 * devices since the session started, fed from the kernel tables by
 * session.c and turned into snapshots for the views.
 */
#ifndef DEVMEM_HISTORY_H
#define DEVMEM_HISTORY_H

#include "model/snapshot.h"

struct devmem_history;

struct devmem_history *devmem_history_new(void);
void devmem_history_free(struct devmem_history *h);

/* a procs-table entry as read now (ph: its histograms, NULL without -P) */
int devmem_history_proc_seen(struct devmem_history *h, __u32 tgid,
			     const struct devmem_proc_value *v, const struct devmem_proc_hists *ph);
/* an exit record, or an entry taken out of the table: final figures */
int devmem_history_proc_exit(struct devmem_history *h, __u32 tgid,
			     const struct devmem_proc_value *v, const struct devmem_proc_hists *ph,
			     __u64 exit_ns);
/* an incarnation that is gone without a record: its last values are final */
void devmem_history_proc_gone(struct devmem_history *h, __u32 tgid, __u64 start_ns, __u64 seq,
			      __u64 exit_ns);
/* a process that found the table full, with its events not counted */
int devmem_history_proc_overflow(struct devmem_history *h, __u32 tgid,
				 const struct devmem_proc_overflow *o);
size_t devmem_history_nr_procs(const struct devmem_history *h);
/* is the process (tgid, start time) in the history */
bool devmem_history_has_proc(struct devmem_history *h, __u32 tgid, __u64 start_ns);
/* ... and has it exited, with no table entry left */
bool devmem_history_proc_exited(struct devmem_history *h, __u32 tgid, __u64 start_ns);
/*
 * Drop processes that exited before exited_before_ns (CLOCK_MONOTONIC) and
 * have no live entry: a recorder wrote them, and keeps memory bounded by
 * the processes alive, not by those that came and went.
 */
void devmem_history_forget_exited(struct devmem_history *h, __u64 exited_before_ns);

/*
 * A kernel range entry with the figures of its slot (hists: its
 * DEVMEM_HIST_KINDS histograms, NULL without -D); iomem_name names a range
 * seen for the first time.
 */
int devmem_history_range_seen(struct devmem_history *h, const struct devmem_range *r,
			      const struct devmem_counters *c,
			      const struct devmem_folio_counts *folios,
			      const struct devmem_hist *hists, const char *iomem_name);
/* the newest range starting at a physical address, or NULL */
const struct devmem_snap_range *devmem_history_range_at(const struct devmem_history *h,
							__u64 start);
/* a range of the debugfs listing at start */
int devmem_history_listed(struct devmem_history *h, const struct devmem_snap_range *l);

/* processes, ranges and devices of out, replaced by the history's */
int devmem_history_snapshot(struct devmem_history *h, struct devmem_snapshot *out);

#endif /* DEVMEM_HISTORY_H */

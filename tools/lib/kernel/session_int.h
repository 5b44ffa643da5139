/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Inside the BPF session: the state session.c, session_progs.c and
 * session_read.c share. Nothing outside kernel/ includes this but the
 * tests and benchmarks that drive the skeleton themselves.
 */
#ifndef DEVMEM_KERNEL_SESSION_INT_H
#define DEVMEM_KERNEL_SESSION_INT_H

#include <stdio.h>
#include "kernel/probe.h"
#include "kernel/session.h"
#include "model/snapshot.h"
#include "devmem.skel.h"

struct devmem_session {
	struct devmem_bpf *skel;
	struct ring_buffer *rb;			/* notices, and events when streaming */
	enum devmem_mode mode;
	unsigned int families;			/* DEVMEM_FAM_* loaded */
	struct devmem_opts opts;
	struct devmem_snapshot discovered;	/* the debugfs listing at start */
	struct devmem_history *history;
	int ncpus;
	void *buf;				/* per-CPU lookup buffer */
	size_t buf_size;
	void *zero;				/* zeroed per-CPU value, to clear a slot */
	__u64 last_sweep_ns;
	int error;				/* of a ring buffer callback */
	bool verbose;
	/* thrashing detection and stacks (include/devmem.h) */
	struct devmem_thrash_acc *thrash;	/* NULL: off */
	__u32 thrash_sets;
	__u32 thrash_k;
	__u64 thrash_window_ns;
	struct devmem_thrash_set *sets;		/* a read of the table */
	struct devmem_stack_acc *stacks;	/* NULL: off */
	struct devmem_symbolizer *sym;
	bool stack_maps_bpf;			/* the BPF side looks the mappings up */
	struct devmem_leaf_entry *leaves;	/* fp: the leaf rules written, sorted */
	size_t nr_leaves;
	struct devmem_look *looks;		/* layouts whose mappings were asked for again */
	size_t nr_looks;
};

/* fp: a leaf rule the session wrote to leaf_rules */
struct devmem_leaf_entry {
	struct devmem_leaf_key k;
	struct devmem_leaf_rule r;
};

/* a layout whose mappings the session asked the BPF side to look up again */
struct devmem_look {
	__u32 tgid, layout;
	__u64 start_ns;
	__u32 asked;			/* times */
	bool waiting;			/* until the look's end record */
};

/* ---- which programs (session_progs.c) ----------------------------------- */

/* the families a set of wanted ones needs loaded (faults need migrations) */
unsigned int devmem_session_families(unsigned int wanted);
/* bit i set: the programs of mode and families may attach to enum devmem_fn i */
unsigned int devmem_session_fns(enum devmem_mode mode, unsigned int families);
/* autoload the programs of mode and families that this kernel takes */
void devmem_session_select(struct devmem_bpf *skel, enum devmem_mode mode,
			   unsigned int families, const struct devmem_features *f);
/* how many programs the table names, and how many the object has */
size_t devmem_session_table_size(void);
size_t devmem_session_object_programs(const struct devmem_bpf *skel);

/* ---- reading the kernel tables (session_read.c) ------------------------- */

/* the totals, histograms, losses and tallies of the kernel into snap */
void devmem_session_read_totals(struct devmem_session *s, struct devmem_snapshot *snap);
/* processes, ranges, thrashing pages and stacks into the history; 0 or -errno */
int devmem_session_read_tables(struct devmem_session *s, struct devmem_snapshot *snap);
/* a kernel range entry into the history, named from /proc/iomem while it lives */
int devmem_session_range_into_history(struct devmem_session *s, const struct devmem_range *r,
				      FILE **iomem);
/* summed over the loaded programs: the kernel's recursion misses */
__u64 devmem_session_recursion_misses(struct devmem_session *s);
/* the start time of tgid in clock ticks since boot, 0 if it is gone */
unsigned long long devmem_proc_start_ticks(__u32 tgid);

/* ring buffer callbacks: notices, and streamed events */
int devmem_session_notice(void *ctx, void *data, size_t size);
int devmem_session_event(void *ctx, void *data, size_t size);
/* the ring of stack samples (--stacks) */
int devmem_session_ustack(void *ctx, void *data, size_t size);

#endif /* DEVMEM_KERNEL_SESSION_INT_H */

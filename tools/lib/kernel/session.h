/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The BPF session (session.c): the only part of the library that talks to BPF.
 */
#ifndef DEVMEM_KERNEL_SESSION_H
#define DEVMEM_KERNEL_SESSION_H

#include <signal.h>
#include "cli/cli.h"
#include "cli/errors.h"
#include "kernel/probe.h"
#include "model/device_filter.h"
#include "model/snapshot.h"

typedef int (*devmem_event_fn)(void *ctx, const struct devmem_event *e);

/*
 * The event families a tool asks for; the session loads and attaches the
 * programs of those only (and of pagemaps, which name every range). A
 * fault's migrated pages come from the migrations, which faults imply.
 */
enum devmem_family {
	DEVMEM_FAM_PAGEMAPS = 1 << 0,	/* pagemap add and remove: the range table */
	DEVMEM_FAM_PAGES = 1 << 1,	/* device pages handed out and freed */
	DEVMEM_FAM_FAULTS = 1 << 2,	/* CPU faults on device memory (thrashing, stacks) */
	DEVMEM_FAM_MIGRATIONS = 1 << 3,	/* migrations between RAM and devices */
	DEVMEM_FAM_PROCESSES = 1 << 4,	/* per-process counters, and process exits */
};
#define DEVMEM_FAM_ALL	0x1fU

/* the families that stream the events of a DEVMEM_EV_* mask */
unsigned int devmem_families_of_events(__u32 stream_mask);

struct devmem_opts {
	unsigned int families;		/* DEVMEM_FAM_* wanted; 0: all */
	__u32 tgid;			/* only this process (0: all) */
	__u64 owner;			/* only this pgmap->owner (0: all) */
	bool force_fentry;		/* --fentry */
	enum devmem_mode force_mode;	/* NONE: probe; tests/benchmarks set one */
	enum devmem_tp_flavour force_flavour;	/* with force_mode RAW_TP: the series (0: v3) */
	bool no_attach;			/* load only (host tests) */
	const char *btf_path;		/* tests: relocate against this BTF, not the kernel's */
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
	unsigned int stacks;		/* the user stack of each fault: DEVMEM_STACKS_* (0 off) */
	__u32 stack_bytes;		/* dwarf: user stack copied per fault; 0: 8 KiB */
};

struct devmem_session;

/*
 * The owner a tool that filters in the kernel passes as opts.owner for the
 * -D filter f (0: none): its value for an owner, else the owner of the
 * live device it names, found by a short session of the pagemap programs
 * with base's mode options. DEVMEM_E_NO_DEVICE with a sentence in msg
 * (the devices there are) when none matches.
 */
enum devmem_error devmem_session_filter_owner(const struct devmem_device_filter *f,
					      const struct devmem_opts *base, __u64 *owner,
					      char *msg, size_t len);

struct devmem_cli;
/*
 * -D of the command line into o->owner, for a tool that filters in the
 * kernel (devmem_session_filter_owner() with the mode options of c): 0, or
 * the exit code after saying why on stderr.
 */
int devmem_opts_device_from_cli(const struct devmem_cli *c, struct devmem_opts *o);
/* the diagnosis options of the shared command line (thrashing, stacks) into o */
void devmem_opts_from_cli(const struct devmem_cli *c, struct devmem_opts *o);

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
/* the losses and the kernel's recursion misses so far, without reading the tables */
int devmem_session_losses(struct devmem_session *s, __u64 lost[DEVMEM_LOST_KINDS],
			  __u64 *recursion_misses);

/* what the kernel counts of one loaded program (bpf_prog_info) */
struct devmem_prog_stat {
	char name[64];
	__u64 run_time_ns;		/* with kernel.bpf_stats_enabled */
	__u64 run_cnt;
	__u64 recursion_misses;
};

/* the statistics of the loaded programs, at most max; returns how many */
size_t devmem_session_prog_stats(struct devmem_session *s, struct devmem_prog_stat *out,
				 size_t max);
void devmem_session_close(struct devmem_session *s);
/* for tests and benchmarks: the skeleton (struct devmem_bpf *) */
void *devmem_session_skel(struct devmem_session *s);

#endif /* DEVMEM_KERNEL_SESSION_H */

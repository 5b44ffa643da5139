/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * devmemsnoop's event names and line formatting, kept apart from the tool
 * so that the host unit tests can check every line without BPF.
 */
#ifndef DEVMEM_SNOOP_FMT_H
#define DEVMEM_SNOOP_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include <linux/types.h>
#include "devmem.h"

/* Short name shown in the EVENT column ("alloc"), NULL for an unknown type. */
const char *snoop_event_name(__u32 type);
/* Name of the kernel tracepoint ("zone_device_folio_alloc"), NULL if unknown. */
const char *snoop_tracepoint_name(__u32 type);

/*
 * "fault,alloc" -> stream mask bits (1 << DEVMEM_EV_*). Each name may be the
 * short name, the tracepoint name with or without "devmem_", or "all".
 * Returns 0, or -EINVAL with the offending name copied into bad.
 */
int snoop_parse_events(const char *list, __u32 *mask, char *bad, size_t bad_len);

/* vm_fault_t as "ok" or "SIGBUS|MAJOR"; unknown bits as hex. */
const char *snoop_fault_result(__u64 ret, char *buf, size_t len);

struct snoop_fmt {
	__u64 start_ns;		/* CLOCK_MONOTONIC when tracing started */
	bool wall_clock;	/* -T: local time of day instead of seconds */
	__s64 wall_offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

/* What the tool knows about the device of an event (from its range). */
struct snoop_device {
	__u64 id;		/* pgmap id: physical start of range 0; 0 unknown */
	const char *name;	/* the device name; NULL or "" unknown */
	/* migrate: the devices of the source and destination pagemaps */
	const char *src_name;	/* NULL or "": unnamed (shown by its pgmap id) */
	const char *dst_name;
};

/*
 * migrate: "fault", "driver", "evict", "longterm_pin", "device_fault",
 * "prefetch", "remove"; "?" if unknown
 */
const char *snoop_reason_name(__u32 reason);
/* migrate: "to_device", "to_ram", "device_to_device" */
const char *snoop_dir_name(__u32 dir);

/* Column headers, one line with '\n'. */
void snoop_header(FILE *out, const struct snoop_fmt *f);
/*
 * One text line (with '\n') into buf; returns the length snprintf would.
 * An event of a large folio (or a fault on a PMD) ends in "order=N".
 */
int snoop_format_line(char *buf, size_t len, const struct snoop_fmt *f,
		      const struct devmem_event *e, const struct snoop_device *dev);
/* The same event as a JSON object (caller json_decref()s it), NULL on ENOMEM. */
json_t *snoop_event_json(const struct snoop_fmt *f, const struct devmem_event *e,
			 const struct snoop_device *dev);
/*
 * The lost-events record: {"event": "lost", final, lost_since_last_report,
 * "lost": {total, ringbuf_full, recursion_misses}} with the losses since
 * the start named as a snapshot names them. NULL on ENOMEM.
 */
json_t *snoop_lost_json(__u64 since_last_report, __u64 ringbuf_full, __u64 recursion_misses,
			bool final);

#endif /* DEVMEM_SNOOP_FMT_H */

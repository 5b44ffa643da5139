// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemsnoop's event names and its text and JSON lines. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include "cli/sanitize.h"
#include "model/snapshot.h"
#include "render/json_out.h"
#include "render/snoop_fmt.h"

static const struct {
	const char *name;	/* EVENT column */
	const char *tp;		/* tracepoint of the zone_device series (v3) */
	const char *tp_v2;	/* ... and of its v2, the devmem system */
} events[DEVMEM_EV_MAX] = {
	[DEVMEM_EV_PAGEMAP_ADD] = { "add", "zone_device_pagemap_add", "devmem_pagemap_add" },
	[DEVMEM_EV_PAGEMAP_REMOVE] = { "remove", "zone_device_pagemap_remove",
				       "devmem_pagemap_remove" },
	[DEVMEM_EV_PAGEMAP_REMOVE_DONE] = { "remove_done", "zone_device_pagemap_remove_done",
					    "devmem_pagemap_remove_done" },
	[DEVMEM_EV_FAULT] = { "fault", "zone_device_fault", "devmem_fault" },
	[DEVMEM_EV_FAULT_DONE] = { "fault_done", "zone_device_fault_done", "devmem_fault_done" },
	[DEVMEM_EV_MIGRATE] = { "migrate", "zone_device_migrate_folios", "devmem_migrate" },
	[DEVMEM_EV_PAGE_ALLOC] = { "alloc", "zone_device_folio_alloc", "devmem_page_alloc" },
	[DEVMEM_EV_PAGE_FREE] = { "free", "zone_device_folio_free", "devmem_page_free" },
};

const char *snoop_event_name(__u32 type)
{
	return type > 0 && type < DEVMEM_EV_MAX ? events[type].name : NULL;
}

const char *snoop_tracepoint_name(__u32 type)
{
	return type > 0 && type < DEVMEM_EV_MAX ? events[type].tp : NULL;
}

static bool name_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && !memcmp(s, name, len);
}

/* the column's name, either series' tracepoint name, with or without its system prefix */
static int event_by_name(const char *s, size_t len)
{
	for (int t = 1; t < DEVMEM_EV_MAX; t++)
		if (name_is(s, len, events[t].name) || name_is(s, len, events[t].tp) ||
		    name_is(s, len, events[t].tp + strlen("zone_device_")) ||
		    name_is(s, len, events[t].tp_v2) ||
		    name_is(s, len, events[t].tp_v2 + strlen("devmem_")))
			return t;
	return -1;
}

int snoop_parse_events(const char *list, __u32 *mask, char *bad, size_t bad_len)
{
	const char *p = list;
	__u32 m = 0;

	if (bad_len)
		bad[0] = '\0';
	if (!list || !*list)
		goto invalid;
	for (;;) {
		size_t len = strcspn(p, ",");
		int t;

		if (len == 3 && !memcmp(p, "all", 3)) {
			m |= DEVMEM_STREAM_ALL;
		} else {
			t = event_by_name(p, len);
			if (t < 0) {
				if (bad_len)
					snprintf(bad, bad_len, "%.*s", (int)len, p);
				return -EINVAL;
			}
			m |= 1U << t;
		}
		if (!p[len])
			break;
		p += len + 1;
	}
	*mask = m;
	return 0;
invalid:
	return -EINVAL;
}

static const struct {
	__u64 bit;
	const char *name;
} fault_bits[] = {
	{ 0x000001, "OOM" }, { 0x000002, "SIGBUS" }, { 0x000004, "MAJOR" },
	{ 0x000010, "HWPOISON" }, { 0x000020, "HWPOISON_LARGE" }, { 0x000040, "SIGSEGV" },
	{ 0x000100, "NOPAGE" }, { 0x000200, "LOCKED" }, { 0x000400, "RETRY" },
	{ 0x000800, "FALLBACK" }, { 0x001000, "DONE_COW" }, { 0x002000, "NEEDDSYNC" },
	{ 0x004000, "COMPLETED" },
};

const char *snoop_fault_result(__u64 ret, char *buf, size_t len)
{
	size_t used = 0;
	__u64 rest = ret;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!ret) {
		snprintf(buf, len, "ok");
		return buf;
	}
	for (size_t i = 0; i < sizeof(fault_bits) / sizeof(fault_bits[0]); i++) {
		if (!(ret & fault_bits[i].bit))
			continue;
		rest &= ~fault_bits[i].bit;
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s",
				 used ? "|" : "", fault_bits[i].name);
	}
	if (rest)
		used += snprintf(buf + used, used < len ? len - used : 0, "%s0x%" PRIx64,
				 used ? "|" : "", (uint64_t)rest);
	return buf;
}

static void format_time(char *buf, size_t len, const struct snoop_fmt *f, __u64 ts)
{
	if (f->wall_clock) {
		__s64 wall = (__s64)ts + f->wall_offset_ns;
		time_t sec = (time_t)(wall / 1000000000LL);
		struct tm tm;

		if (wall < 0 || !localtime_r(&sec, &tm)) {
			snprintf(buf, len, "?");
			return;
		}
		snprintf(buf, len, "%02d:%02d:%02d.%06lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (long long)(wall % 1000000000LL) / 1000);
		return;
	}
	/* events queued before the start stamp show as 0 rather than wrapping */
	ts = ts > f->start_ns ? ts - f->start_ns : 0;
	snprintf(buf, len, "%" PRIu64 ".%06" PRIu64, (uint64_t)(ts / 1000000000ULL),
		 (uint64_t)(ts % 1000000000ULL) / 1000);
}

const char *snoop_reason_name(__u32 reason)
{
	static const char *const names[] = {
		[DEVMEM_REASON_FAULT] = "fault",
		[DEVMEM_REASON_DRIVER] = "driver",
		[DEVMEM_REASON_EVICT] = "evict",
		[DEVMEM_REASON_PIN] = "longterm_pin",
		[DEVMEM_REASON_DEVICE_FAULT] = "device_fault",
		[DEVMEM_REASON_PREFETCH] = "prefetch",
		[DEVMEM_REASON_REMOVE] = "remove",
	};

	_Static_assert(sizeof(names) / sizeof(names[0]) == DEVMEM_REASONS,
		       "a name for every enum devmem_reason");

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "?";
}

const char *snoop_dir_name(__u32 dir)
{
	return dir == DEVMEM_TO_DEVICE ? "to_device" :
	       dir == DEVMEM_TO_RAM ? "to_ram" :
	       dir == DEVMEM_DEVICE_TO_DEVICE ? "device_to_device" : "?";
}

/*
 * One side of a migration: its device's name, its pgmap id if unnamed,
 * "ram" for system memory, "none" for a destination never allocated.
 */
static void side_name(char *buf, size_t len, __u64 id, const char *name, bool dst, __u32 dir)
{
	if (name && name[0])
		devmem_sanitize_field(buf, len, name, SIZE_MAX, DEVMEM_SANITIZE_SPACE, 16);
	else if (id)
		snprintf(buf, len, "0x%" PRIx64, (uint64_t)id);
	else
		snprintf(buf, len, "%s", dst && dir != DEVMEM_TO_RAM ? "none" : "ram");
}

void snoop_header(FILE *out, const struct snoop_fmt *f)
{
	fprintf(out, "%-15s %-3s %-7s %-16s %-16s %-11s %-18s %6s %-14s %s\n",
		f->wall_clock ? "TIME" : "TIME(s)", "CPU", "PID", "COMM", "DEVICE", "EVENT",
		"ADDR/PFN", "PAGES", "RESULT", "LAT(us)");
}

/* columns that depend on the event type */
struct cols {
	char addr[24];
	char pages[24];
	char result[48];
	char lat[24];
	char order[24];		/* after the columns: " order=N" of a large folio, else "" */
};

/* the events that carry a folio's or a mapping's order */
static bool has_order(__u32 type)
{
	return type == DEVMEM_EV_FAULT || type == DEVMEM_EV_FAULT_DONE ||
	       type == DEVMEM_EV_MIGRATE || type == DEVMEM_EV_PAGE_ALLOC ||
	       type == DEVMEM_EV_PAGE_FREE;
}

/* read, write, or "?" where the attachment mode cannot see it */
static const char *write_name(__u32 fault)
{
	return fault == DEVMEM_WRITE_UNKNOWN ? "?" : fault ? "write" : "read";
}

static json_t *write_json(__u32 fault)
{
	return fault == DEVMEM_WRITE_UNKNOWN ? json_null() : json_boolean(fault);
}

static void event_cols(struct cols *c, const struct devmem_event *e)
{
	bool has_lat = false;

	snprintf(c->addr, sizeof(c->addr), "-");
	snprintf(c->pages, sizeof(c->pages), "-");
	snprintf(c->result, sizeof(c->result), "-");
	c->order[0] = '\0';
	if (has_order(e->type) && e->order)
		snprintf(c->order, sizeof(c->order), " order=%u", e->order);
	switch (e->type) {
	case DEVMEM_EV_PAGEMAP_ADD:
	case DEVMEM_EV_PAGEMAP_REMOVE:
	case DEVMEM_EV_PAGEMAP_REMOVE_DONE:
		snprintf(c->addr, sizeof(c->addr), "0x%" PRIx64, (uint64_t)e->pgmap_start);
		snprintf(c->pages, sizeof(c->pages), "%" PRIu64, (uint64_t)e->npages);
		if (e->type == DEVMEM_EV_PAGEMAP_REMOVE) {
			if (e->in_use == DEVMEM_UNKNOWN)
				snprintf(c->result, sizeof(c->result), "in_use=?");
			else
				snprintf(c->result, sizeof(c->result), "in_use=%" PRIu64,
					 (uint64_t)e->in_use);
		}
		has_lat = e->type == DEVMEM_EV_PAGEMAP_REMOVE_DONE;
		break;
	case DEVMEM_EV_FAULT:
		snprintf(c->addr, sizeof(c->addr), "0x%" PRIx64, (uint64_t)e->address);
		snprintf(c->result, sizeof(c->result), "%s", write_name(e->write));
		break;
	case DEVMEM_EV_FAULT_DONE:
		snprintf(c->addr, sizeof(c->addr), "0x%" PRIx64, (uint64_t)e->address);
		snprintf(c->pages, sizeof(c->pages), "%" PRIu64, (uint64_t)e->migrated);
		if (e->vm_fault == DEVMEM_UNKNOWN)
			snprintf(c->result, sizeof(c->result), "?");	/* not seen */
		else
			snoop_fault_result(e->vm_fault, c->result, sizeof(c->result));
		has_lat = true;
		break;
	case DEVMEM_EV_MIGRATE:
		snprintf(c->addr, sizeof(c->addr), "0x%" PRIx64, (uint64_t)e->address);
		snprintf(c->pages, sizeof(c->pages), "%" PRIu64, (uint64_t)e->migrated);
		snprintf(c->result, sizeof(c->result), "%s,%s", snoop_dir_name(e->dir),
			 snoop_reason_name(e->reason));
		break;
	case DEVMEM_EV_PAGE_ALLOC:
	case DEVMEM_EV_PAGE_FREE:
		snprintf(c->addr, sizeof(c->addr), "0x%" PRIx64, (uint64_t)e->pfn);
		snprintf(c->pages, sizeof(c->pages), "%" PRIu64,
			 (uint64_t)(e->npages ? e->npages : 1));
		/* a page allocated before tracing started has no known lifetime */
		has_lat = e->type == DEVMEM_EV_PAGE_FREE && e->latency_ns;
		break;
	}
	if (has_lat)
		snprintf(c->lat, sizeof(c->lat), "%" PRIu64 ".%03" PRIu64,
			 (uint64_t)(e->latency_ns / 1000), (uint64_t)(e->latency_ns % 1000));
	else
		snprintf(c->lat, sizeof(c->lat), "-");
}

int snoop_format_line(char *buf, size_t len, const struct snoop_fmt *f,
		      const struct devmem_event *e, const struct snoop_device *dev)
{
	char when[32], comm[DEVMEM_SANITIZED_SIZE(DEVMEM_COMM_LEN)], device[DEVMEM_SANITIZED_SIZE(DEVMEM_NAME_LEN)];
	const char *name = snoop_event_name(e->type);
	struct cols c;

	format_time(when, sizeof(when), f, e->ts_ns);
	/* one word of 16 columns: scripts split the line at blanks */
	devmem_sanitize_field(comm, sizeof(comm), e->comm[0] ? e->comm : "?",
			      sizeof(e->comm), DEVMEM_SANITIZE_SPACE, 16);
	/* the device's name, as every tool names it; its range start if unnamed */
	if (dev && dev->name && dev->name[0])
		devmem_sanitize_field(device, sizeof(device), dev->name, SIZE_MAX,
				      DEVMEM_SANITIZE_SPACE, 16);
	else if (dev && dev->id)
		snprintf(device, sizeof(device), "0x%" PRIx64, (uint64_t)dev->id);
	else
		snprintf(device, sizeof(device), "-");
	event_cols(&c, e);
	if (e->type == DEVMEM_EV_MIGRATE) {
		char src[DEVMEM_SANITIZED_SIZE(DEVMEM_NAME_LEN)], dst[DEVMEM_SANITIZED_SIZE(DEVMEM_NAME_LEN)];

		/* both sides and the part, after the columns: a move names two devices */
		side_name(src, sizeof(src), e->src_pgmap, dev ? dev->src_name : NULL, false, e->dir);
		side_name(dst, sizeof(dst), e->dst_pgmap, dev ? dev->dst_name : NULL, true, e->dir);
		/* part: a window is one line per pair of pagemaps, counted at part=0 */
		return snprintf(buf, len, "%-15s %-3u %-7u %s %s %-11s %-18s %6s %-14s %s src=%s dst=%s part=%u%s\n",
				when, e->cpu, e->tgid, comm, device, name ? name : "?", c.addr,
				c.pages, c.result, c.lat, src, dst, e->part, c.order);
	}
	return snprintf(buf, len, "%-15s %-3u %-7u %s %s %-11s %-18s %6s %-14s %s%s\n",
			when, e->cpu, e->tgid, comm, device, name ? name : "?", c.addr,
			c.pages, c.result, c.lat, c.order);
}

static int set_hex(json_t *o, const char *key, __u64 v)
{
	return json_object_set_new(o, key, devmem_json_hex(v));
}

static int set_u64(json_t *o, const char *key, __u64 v)
{
	return json_object_set_new(o, key, json_integer((json_int_t)v));
}

json_t *snoop_event_json(const struct snoop_fmt *f, const struct devmem_event *e,
			 const struct snoop_device *dev)
{
	char when[32], res[64];
	const char *name = snoop_event_name(e->type);
	struct snoop_fmt rel = *f;
	json_t *o = json_object();
	int err = 0;

	if (!o)
		return NULL;
	rel.wall_clock = false;
	format_time(when, sizeof(when), &rel, e->ts_ns);
	err |= json_object_set_new(o, "time_s", json_real(
		e->ts_ns > f->start_ns ? (double)(e->ts_ns - f->start_ns) / 1e9 : 0.0));
	err |= set_u64(o, "ts_ns", e->ts_ns);
	if (f->wall_clock) {
		format_time(when, sizeof(when), f, e->ts_ns);
		err |= json_object_set_new(o, "time", json_string(when));
	}
	err |= set_u64(o, "cpu", e->cpu);
	/* the process as every JSON output names it, and the thread */
	err |= set_u64(o, "tgid", e->tgid);
	err |= set_u64(o, "tid", e->pid);
	err |= json_object_set_new(o, "comm", e->comm[0] ?
				   devmem_json_str(e->comm, sizeof(e->comm)) : json_string("?"));
	err |= json_object_set_new(o, "event", json_string(name ? name : "?"));
	if (dev && dev->name && dev->name[0])
		err |= json_object_set_new(o, "device", devmem_json_str(dev->name, SIZE_MAX));
	else
		err |= json_object_set_new(o, "device", json_null());
	if (dev && dev->id)
		err |= set_hex(o, "pgmap_id", dev->id);
	else
		err |= json_object_set_new(o, "pgmap_id", json_null());
	if (e->owner)
		err |= set_hex(o, "owner", e->owner);
	/* a page event's folio order; a fault's mapping (9: a PMD); a migration's folios */
	if (has_order(e->type))
		err |= set_u64(o, "order", e->order);
	switch (e->type) {
	case DEVMEM_EV_PAGEMAP_ADD:
	case DEVMEM_EV_PAGEMAP_REMOVE:
	case DEVMEM_EV_PAGEMAP_REMOVE_DONE:
		err |= set_hex(o, "start", e->pgmap_start);
		err |= set_hex(o, "end", e->range_end);
		err |= set_u64(o, "pages", e->npages);
		if (e->type == DEVMEM_EV_PAGEMAP_REMOVE)
			err |= json_object_set_new(o, "in_use", e->in_use == DEVMEM_UNKNOWN ?
						   json_null() : json_integer((json_int_t)e->in_use));
		if (e->type == DEVMEM_EV_PAGEMAP_REMOVE_DONE)
			err |= set_u64(o, "latency_ns", e->latency_ns);
		break;
	case DEVMEM_EV_FAULT:
		err |= set_hex(o, "address", e->address);
		err |= set_hex(o, "pfn", e->pfn);
		err |= json_object_set_new(o, "write", write_json(e->write));
		break;
	case DEVMEM_EV_FAULT_DONE:
		err |= set_hex(o, "address", e->address);
		err |= set_hex(o, "pfn", e->pfn);
		err |= set_u64(o, "pages", e->migrated);
		err |= json_object_set_new(o, "write", write_json(e->write));
		if (e->vm_fault == DEVMEM_UNKNOWN) {
			err |= json_object_set_new(o, "result", json_null());
			err |= json_object_set_new(o, "result_flags", json_null());
		} else {
			err |= set_u64(o, "result", e->vm_fault);
			err |= json_object_set_new(o, "result_flags", json_string(
				snoop_fault_result(e->vm_fault, res, sizeof(res))));
		}
		err |= set_u64(o, "latency_ns", e->latency_ns);
		break;
	case DEVMEM_EV_MIGRATE:
		err |= set_hex(o, "address", e->address);
		err |= set_u64(o, "pages", e->migrated);
		err |= set_u64(o, "npages", e->npages);
		err |= set_u64(o, "cpages", e->cpages);
		err |= json_object_set_new(o, "dir", json_string(snoop_dir_name(e->dir)));
		err |= json_object_set_new(o, "fault", json_boolean(e->fault_driven));
		err |= json_object_set_new(o, "reason", json_string(snoop_reason_name(e->reason)));
		err |= set_u64(o, "part", e->part);
		err |= e->src_pgmap ? set_hex(o, "src_pgmap", e->src_pgmap) :
				      json_object_set_new(o, "src_pgmap", json_null());
		err |= e->dst_pgmap ? set_hex(o, "dst_pgmap", e->dst_pgmap) :
				      json_object_set_new(o, "dst_pgmap", json_null());
		err |= json_object_set_new(o, "src_device", dev && dev->src_name && dev->src_name[0] ?
					   devmem_json_str(dev->src_name, SIZE_MAX) : json_null());
		err |= json_object_set_new(o, "dst_device", dev && dev->dst_name && dev->dst_name[0] ?
					   devmem_json_str(dev->dst_name, SIZE_MAX) : json_null());
		break;
	case DEVMEM_EV_PAGE_ALLOC:
	case DEVMEM_EV_PAGE_FREE:
		err |= set_hex(o, "pfn", e->pfn);
		err |= set_u64(o, "pages", e->npages ? e->npages : 1);
		if (e->type == DEVMEM_EV_PAGE_FREE)
			err |= json_object_set_new(o, "latency_ns", e->latency_ns ?
						   json_integer((json_int_t)e->latency_ns) :
						   json_null());
		break;
	}
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *snoop_lost_json(__u64 since_last_report, __u64 ringbuf_full, __u64 recursion_misses,
			bool final)
{
	/* "lost" as in a snapshot: the losses since the start, by kind */
	return json_pack("{s:s, s:b, s:I, s:{s:I, s:I, s:I}}", "event", "lost", "final", final,
			 "lost_since_last_report", (json_int_t)since_last_report, "lost",
			 "total", (json_int_t)(ringbuf_full + recursion_misses),
			 "ringbuf_full", (json_int_t)ringbuf_full,
			 "recursion_misses", (json_int_t)recursion_misses);
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A recording's bytes, read (docs/recording-format.md): one frame's
 * payload decoded into a snapshot, formats 1 to the current one (its
 * sections: record_sections.c). The decoder trusts nothing: every count
 * is checked against the bytes left before anything is allocated, and
 * every error names the file and the byte offset (record_format.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "model/array.h"
#include "model/counts.h"
#include "model/snapshot.h"
#include "store/record.h"
#include "store/record_format.h"

void rec_fail(char *err, size_t errlen, const char *name, __u64 off, const char *fmt, ...)
{
	int n = snprintf(err, errlen, "%s: offset %llu: ", name, (unsigned long long)off);
	va_list ap;

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
}

#define fail(name, err, errlen, offset, ...) rec_fail(err, errlen, name, offset, __VA_ARGS__)

void rec_get_str(struct rec_cur *c, char *dst, size_t field, size_t dstlen)
{
	const unsigned char *p = rec_take(c, field);
	size_t n = field < dstlen ? field : dstlen;

	memset(dst, 0, dstlen);
	if (!p)
		return;
	/* the bytes as recorded: every view filters them (sanitize.h) */
	memcpy(dst, p, n);
	dst[dstlen - 1] = '\0';
}

struct layout {
	__u32 nr_counters, nr_kinds, nr_slots, nr_lost;
};

/* a counter the file does not have (a recording older than it) is unknown */
static void get_counters(struct rec_cur *c, const struct layout *l, struct devmem_counters *out)
{
	for (__u32 i = l->nr_counters; i < DEVMEM_NR_COUNTERS; i++)
		devmem_counters_u64(out)[i] = DEVMEM_UNKNOWN;
	for (__u32 i = 0; i < l->nr_counters; i++) {
		__u64 v = rec_get_u64(c);

		if (i < DEVMEM_NR_COUNTERS)
			devmem_counters_u64(out)[i] = v;
	}
}

static void get_hists(struct rec_cur *c, const struct layout *l, struct devmem_hist *out)
{
	memset(out, 0, sizeof(*out) * DEVMEM_HIST_KINDS);
	for (__u32 k = 0; k < l->nr_kinds; k++) {
		struct devmem_hist h = { 0 };

		h.count = rec_get_u64(c);
		h.sum = rec_get_u64(c);
		for (__u32 i = 0; i < l->nr_slots; i++) {
			__u64 v = rec_get_u64(c);

			/* slots past ours lie above the open-ended last slot */
			h.slots[i < DEVMEM_HIST_SLOTS ? i : DEVMEM_HIST_SLOTS - 1] += v;
		}
		if (k < DEVMEM_HIST_KINDS)
			out[k] = h;
	}
}

static size_t hists_bytes(const struct layout *l)
{
	return (size_t)l->nr_kinds * (16 + 8 * (size_t)l->nr_slots);
}

/*
 * Before format 4 a frame's loss array held the losses, then the tallies
 * (counted aside, not lost): 8 losses in format 2, 13 in format 3. Format
 * 4 holds the losses alone; its tallies have a section of their own, so
 * either can grow.
 */
#define V2_NR_LOSSES	8
#define V3_NR_LOSSES	13

/* The counter of slot i (the losses, then the tallies), or NULL for one unknown here. */
static __u64 *loss_slot(struct devmem_snapshot *s, unsigned int i)
{
	if (i < DEVMEM_LOST_KINDS)
		return &s->lost[i];
	i -= DEVMEM_LOST_KINDS;
	return i < DEVMEM_TALLY_KINDS ? &s->tallies[i] : NULL;
}


/* format 1 loss counters, by index, as today's slots */
static const int v1_lost[] = {
	DEVMEM_LOST_RINGBUF, DEVMEM_LOST_RANGES_FULL,
	DEVMEM_LOST_RANGES_FULL,		/* devices_map_full: per-device counts lost */
	DEVMEM_LOST_PROCS_FULL, DEVMEM_LOST_HISTS_FULL, DEVMEM_LOST_ALLOC_TS_FULL,
	DEVMEM_LOST_FAULT_TS_FULL, DEVMEM_LOST_MIGRATE_TRUNC, TALLY_SLOT(DEVMEM_UNMATCHED_FREE),
	TALLY_SLOT(DEVMEM_UNMATCHED_FAULT_DONE), TALLY_SLOT(DEVMEM_UNMATCHED_REMOVE_DONE),
};

/*
 * Format 1 keyed devices by owner pointer: name each after a range of that
 * owner (its iomem name), else the pointer; alike names get #2, #3, ...
 */
static void name_v1_devices(struct devmem_snapshot *s)
{
	for (size_t i = 0; i < s->nr_devices; i++) {
		struct devmem_device *d = &s->devices[i];
		const char *name = NULL;
		unsigned int dup = 1;

		for (size_t j = 0; j < s->nr_ranges && !name; j++)
			if (s->ranges[j].r.owner == d->owner && s->ranges[j].name[0])
				name = s->ranges[j].name;
		if (name)
			snprintf(d->name, sizeof(d->name), "%s", name);
		else
			snprintf(d->name, sizeof(d->name), "0x%llx", (unsigned long long)d->owner);
		for (size_t j = 0; j < i; j++)
			if (!strncmp(s->devices[j].name, d->name, sizeof(d->name) - 8))
				dup++;
		if (dup > 1) {
			size_t n = strnlen(d->name, sizeof(d->name) - 8);

			snprintf(d->name + n, sizeof(d->name) - n, "#%u", dup);
		}
		for (size_t j = 0; j < s->nr_ranges; j++)
			if (s->ranges[j].r.owner == d->owner)
				snprintf(s->ranges[j].device, sizeof(s->ranges[j].device), "%s",
					 d->name);
	}
}

int rec_parse_payload(const char *name, unsigned int version, const unsigned char *p,
		      size_t len, __u64 base, struct devmem_snapshot *s, __u64 *seq_out,
		      bool *full, char *err, size_t errlen)
{
	struct rec_cur c = { .p = p, .left = len, .base = base };
	struct layout l;
	__u32 nr_dev, nr_proc, nr_range, note_len, mode, flags;
	__u64 seq, field_off;
	__u32 seen = 0;		/* the section tags met */
	size_t i, min, dev_min, proc_min, range_min;
	bool v2 = version >= 2;

	seq = rec_get_u64(&c);
	s->ts_ns = rec_get_u64(&c);
	rec_get_u64(&c);				/* realtime at write: informative */
	s->interval_ns = rec_get_u64(&c);
	field_off = c.base;
	mode = rec_get_u32(&c);
	flags = rec_get_u32(&c);
	l.nr_counters = rec_get_u32(&c);
	l.nr_kinds = rec_get_u32(&c);
	l.nr_slots = rec_get_u32(&c);
	l.nr_lost = rec_get_u32(&c);
	nr_dev = rec_get_u32(&c);
	nr_proc = rec_get_u32(&c);
	nr_range = rec_get_u32(&c);
	note_len = rec_get_u32(&c);
	if (c.bad)
		goto short_payload;
	if (mode > DEVMEM_MODE_FENTRY) {
		fail(name, err, errlen, field_off, "unknown attachment mode %u; the frame is "
		     "corrupted.", mode);
		return -EINVAL;
	}
	s->mode = (enum devmem_mode)mode;
	/* format 1 frames list every process; format 2 says so with a flag */
	*full = !v2 || (flags & REC_FRAME_FULL);
	if (l.nr_counters < 1 || l.nr_counters > MAX_COUNTERS || l.nr_kinds > MAX_KINDS ||
	    l.nr_slots < 1 || l.nr_slots > MAX_SLOTS || l.nr_lost > MAX_LOST) {
		fail(name, err, errlen, field_off + 8, "absurd layout (%u counters, %u histogram "
		     "kinds, %u slots, %u loss counters); the frame is corrupted.",
		     l.nr_counters, l.nr_kinds, l.nr_slots, l.nr_lost);
		return -EINVAL;
	}
	if (nr_dev > DEVMEM_REC_MAX_DEVICES || nr_proc > DEVMEM_REC_MAX_PROCS ||
	    nr_range > DEVMEM_REC_MAX_RANGES || note_len > NOTE_MAX) {
		fail(name, err, errlen, field_off + 24, "absurd counts (%u devices, %u processes, "
		     "%u ranges, note of %u bytes); the frame is corrupted.", nr_dev, nr_proc,
		     nr_range, note_len);
		return -EINVAL;
	}
	/* every element has a minimum size: check the whole before allocating */
	dev_min = (v2 ? NAME_LEN + 32 : 16) + 8 * (size_t)l.nr_counters;
	proc_min = (v2 ? 32 : 8) + DEVMEM_COMM_LEN + 8 * (size_t)l.nr_counters;
	range_min = 9 * 8 + 4 * 4 + 2 * 8 + 8 + NAME_LEN +
		    (v2 ? 16 + NAME_LEN + 8 * (size_t)l.nr_counters : 0);
	min = 8 + 8 * (size_t)l.nr_lost + 8 * (size_t)l.nr_counters + hists_bytes(&l) +
	      (size_t)nr_dev * dev_min + (size_t)nr_proc * proc_min +
	      (size_t)nr_range * range_min + note_len;
	if (min > c.left) {
		fail(name, err, errlen, field_off + 24, "the counts (%u devices, %u processes, "
		     "%u ranges) need at least %zu bytes but the frame has %zu left; the frame "
		     "is corrupted.", nr_dev, nr_proc, nr_range, min, c.left);
		return -EINVAL;
	}
	s->recursion_misses = rec_get_u64(&c);
	for (i = 0; i < l.nr_lost; i++) {
		__u64 v = rec_get_u64(&c), *slot = NULL;
		unsigned int losses = version == 2 ? V2_NR_LOSSES : V3_NR_LOSSES;

		if (!v2 && i < sizeof(v1_lost) / sizeof(v1_lost[0]))
			slot = loss_slot(s, v1_lost[i]);
		else if (version >= 4)
			slot = i < DEVMEM_LOST_KINDS ? &s->lost[i] : NULL;
		else if (v2)
			slot = loss_slot(s, i < losses ? i : TALLY_SLOT(i - losses));
		if (slot && !v2)
			*slot += v;	/* two format-1 counters are one today */
		else if (slot)
			*slot = v;
	}
	get_counters(&c, &l, &s->total);
	get_hists(&c, &l, s->hist);

	if (nr_dev && !(s->devices = devmem_array_alloc(nr_dev, sizeof(*s->devices))))
		goto oom;
	for (i = 0; i < nr_dev && !c.bad; i++) {
		struct devmem_device *d = &s->devices[i];
		__u32 has;

		if (v2) {
			rec_get_str(&c, d->name, NAME_LEN, sizeof(d->name));
			d->owner = rec_get_u64(&c);
			d->nr_ranges = rec_get_u32(&c);
			d->nr_live = rec_get_u32(&c);
			d->nr_pages = rec_get_u64(&c);
		} else {
			d->owner = rec_get_u64(&c);
		}
		field_off = c.base;
		has = rec_get_u32(&c);
		rec_get_u32(&c);
		if (has > 1) {
			fail(name, err, errlen, field_off, "device %zu has a bad histogram flag %u; "
			     "the frame is corrupted.", i, has);
			return -EINVAL;
		}
		d->has_hist = has;
		get_counters(&c, &l, &d->c);
		if (has)
			get_hists(&c, &l, d->hist);
		s->nr_devices = i + 1;
	}
	if (nr_proc && !(s->procs = devmem_array_alloc(nr_proc, sizeof(*s->procs))))
		goto oom;
	for (i = 0; i < nr_proc && !c.bad; i++) {
		struct devmem_process *pr = &s->procs[i];
		__u32 pflags;

		pr->tgid = rec_get_u32(&c);
		field_off = c.base;
		pflags = rec_get_u32(&c);
		if (pflags & ~(v2 ? REC_PROC_HIST | REC_PROC_EXITED : REC_PROC_HIST)) {
			fail(name, err, errlen, field_off, "process %zu has bad flags 0x%x; the "
			     "frame is corrupted.", i, pflags);
			return -EINVAL;
		}
		pr->has_hist = pflags & REC_PROC_HIST;
		if (v2) {
			pr->start_ns = rec_get_u64(&c);
			pr->exit_ns = rec_get_u64(&c);
			pr->lost_events = rec_get_u64(&c);
			if (!(pflags & REC_PROC_EXITED) != !pr->exit_ns) {
				fail(name, err, errlen, field_off, "process %zu: its exit flag and "
				     "exit time disagree; the frame is corrupted.", i);
				return -EINVAL;
			}
		}
		rec_get_str(&c, pr->comm, DEVMEM_COMM_LEN, sizeof(pr->comm));
		get_counters(&c, &l, &pr->c);
		if (pr->has_hist)
			get_hists(&c, &l, pr->hist);
		s->nr_procs = i + 1;
	}
	if (nr_range && !(s->ranges = devmem_array_alloc(nr_range, sizeof(*s->ranges))))
		goto oom;
	for (i = 0; i < nr_range && !c.bad; i++) {
		struct devmem_snap_range *g = &s->ranges[i];
		__u32 has;

		g->r.pgmap = rec_get_u64(&c);
		g->r.start = rec_get_u64(&c);
		g->r.end = rec_get_u64(&c);
		g->r.nr_pages = rec_get_u64(&c);
		g->r.owner = rec_get_u64(&c);
		g->r.added_ns = rec_get_u64(&c);
		g->r.removed_ns = rec_get_u64(&c);
		g->r.remove_done_ns = rec_get_u64(&c);
		g->r.in_use_at_remove = rec_get_u64(&c);
		g->r.nr_range = rec_get_u32(&c);
		g->r.type = rec_get_u32(&c);
		g->r.nid = rec_get_u32(&c);
		g->sources = rec_get_u32(&c);
		g->id = rec_get_u64(&c);
		g->in_use_at_start = rec_get_u64(&c);
		g->range_index = rec_get_u32(&c);
		field_off = c.base;
		has = rec_get_u32(&c);
		rec_get_str(&c, g->name, NAME_LEN, sizeof(g->name));
		if (!v2) {
			s->nr_ranges = i + 1;
			continue;
		}
		if (has > 1) {
			fail(name, err, errlen, field_off, "range %zu has a bad histogram flag %u; "
			     "the frame is corrupted.", i, has);
			return -EINVAL;
		}
		g->r.gen = rec_get_u64(&c);
		g->r.flags = rec_get_u32(&c);
		rec_get_u32(&c);
		rec_get_str(&c, g->device, NAME_LEN, sizeof(g->device));
		g->has_hist = has;
		get_counters(&c, &l, &g->c);
		if (has)
			get_hists(&c, &l, g->hist);
		s->nr_ranges = i + 1;
	}
	{
		const unsigned char *n = rec_take(&c, note_len);

		if (n) {
			memcpy(s->note, n, note_len);
			s->note[note_len] = '\0';
		}
	}
	if (c.bad)
		goto short_payload;
	/* unknown unless the folio section (format 4) gives them */
	devmem_folios_set_unknown(&s->folios);
	for (i = 0; i < s->nr_devices; i++)
		devmem_folios_set_unknown(&s->devices[i].folios);
	for (i = 0; i < s->nr_ranges; i++)
		devmem_folios_set_unknown(&s->ranges[i].folios);
	while (version >= 3 && c.left) {
		__u32 tag, slen;
		struct rec_cur sc;
		int ret;

		field_off = c.base;
		tag = rec_get_u32(&c);
		slen = rec_get_u32(&c);
		if (c.bad || slen > c.left) {
			fail(name, err, errlen, field_off, "a section of %u bytes overruns the frame; "
			     "the frame is corrupted.", slen);
			return -EINVAL;
		}
		sc = (struct rec_cur){ .p = c.p, .left = slen, .base = c.base };
		rec_take(&c, slen);
		ret = rec_get_section(name, version, tag, &sc, s, &seen, err, errlen);
		if (ret)
			return ret;
	}
	if (c.left) {
		fail(name, err, errlen, c.base, "%zu unexpected bytes after the snapshot; the frame "
		     "is corrupted.", c.left);
		return -EINVAL;
	}
	if (!v2)
		name_v1_devices(s);
	/* one entry per device, process: a duplicate would be counted twice */
	devmem_snapshot_sort(s);
	for (i = 1; i < s->nr_devices; i++)
		if (!strcmp(s->devices[i].name, s->devices[i - 1].name)) {
			fail(name, err, errlen, base, "device %s appears twice in one snapshot; "
			     "the frame is corrupted.", s->devices[i].name);
			return -EINVAL;
		}
	for (i = 1; i < s->nr_procs; i++)
		if (!devmem_process_cmp(&s->procs[i], &s->procs[i - 1])) {
			fail(name, err, errlen, base, "process %u appears twice in one snapshot; the "
			     "frame is corrupted.", s->procs[i].tgid);
			return -EINVAL;
		}
	*seq_out = seq;
	return 0;

short_payload:
	fail(name, err, errlen, c.bad_off, "the snapshot ends early (its fields overrun the "
	     "frame length); the frame is corrupted.");
	return -EINVAL;
oom:
	snprintf(err, errlen, "%s: out of memory while reading a snapshot.", name);
	return -ENOMEM;
}

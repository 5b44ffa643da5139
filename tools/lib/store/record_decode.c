// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A recording's bytes, read (docs/recording-format.md): one frame's
 * payload decoded into a snapshot, formats 1 to the current one. The
 * decoder trusts nothing: every count is checked against the bytes left
 * before anything is allocated, and every error names the file and the
 * byte offset (record_format.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "model/array.h"
#include "model/snapshot.h"
#include "model/stacks.h"
#include "model/thrash.h"
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

struct cur {
	const unsigned char *p;
	size_t left;
	__u64 base;		/* file offset of p */
	bool bad;
	__u64 bad_off;
};

static const unsigned char *take(struct cur *c, size_t n)
{
	const unsigned char *p;

	if (c->bad || n > c->left) {
		if (!c->bad) {
			c->bad = true;
			c->bad_off = c->base;
		}
		return NULL;
	}
	p = c->p;
	c->p += n;
	c->left -= n;
	c->base += n;
	return p;
}

static __u32 get_u32(struct cur *c)
{
	const unsigned char *p = take(c, 4);

	return p ? le32(p) : 0;
}

static __u64 get_u64(struct cur *c)
{
	const unsigned char *p = take(c, 8);

	return p ? le64(p) : 0;
}

static void get_str(struct cur *c, char *dst, size_t field, size_t dstlen)
{
	const unsigned char *p = take(c, field);
	size_t n = field < dstlen ? field : dstlen;

	memset(dst, 0, dstlen);
	if (!p)
		return;
	/* the bytes as recorded: every view filters them (sanitize.h) */
	memcpy(dst, p, n);
	dst[dstlen - 1] = '\0';
}

/*
 * Arrays of a parsed snapshot get the capacity devmem_array_grow() assumes,
 * so callers can still add entries.
 */
static void *calloc_cap(size_t n, size_t elem)
{
	return calloc(devmem_array_cap(n), elem);
}

struct layout {
	__u32 nr_counters, nr_kinds, nr_slots, nr_lost;
};

static void get_counters(struct cur *c, const struct layout *l, struct devmem_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (__u32 i = 0; i < l->nr_counters; i++) {
		__u64 v = get_u64(c);

		if (i < DEVMEM_NR_COUNTERS)
			devmem_counters_u64(out)[i] = v;
	}
}

static void get_hists(struct cur *c, const struct layout *l, struct devmem_hist *out)
{
	memset(out, 0, sizeof(*out) * DEVMEM_HIST_KINDS);
	for (__u32 k = 0; k < l->nr_kinds; k++) {
		struct devmem_hist h = { 0 };

		h.count = get_u64(c);
		h.sum = get_u64(c);
		for (__u32 i = 0; i < l->nr_slots; i++) {
			__u64 v = get_u64(c);

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

/* format 2 had 8 losses; the kinds after them (not losses) moved up in 3 */
#define V2_NR_LOSSES	8

/*
 * A frame's loss counters are slots: the losses, then the tallies (counted
 * aside, not lost). The counter of slot i, or NULL for one unknown here.
 */
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

#define THRASH_ENTRY_LEN	64U
#define STACK_MIN_LEN		(48U + DEVMEM_COMM_LEN + 4U)

static int get_thrash(const char *name, struct cur *c, struct devmem_snapshot *s, char *err,
		      size_t errlen)
{
	__u64 off = c->base + 24;
	__u32 n;

	s->thrash_on = true;
	s->thrash_window_ns = get_u64(c);
	s->thrash_k = get_u32(c);
	s->page_size = get_u32(c);
	s->thrash_dropped = get_u64(c);
	n = get_u32(c);
	get_u32(c);
	if (c->bad) {
		fail(name, err, errlen, c->bad_off, "the thrashing section ends early; the frame "
		     "is corrupted.");
		return -EINVAL;
	}
	if (s->thrash_k < 1 || s->thrash_k > DEVMEM_THRASH_K_MAX ||
	    (s->page_size & (s->page_size - 1)) || n > DEVMEM_REC_MAX_THRASH ||
	    (size_t)n * THRASH_ENTRY_LEN != c->left) {
		fail(name, err, errlen, off, "the thrashing section is malformed (K %u, page size "
		     "%u, %u pages in %zu bytes); the frame is corrupted.", s->thrash_k,
		     s->page_size, n, c->left);
		return -EINVAL;
	}
	if (n && !(s->thrash = calloc_cap(n, sizeof(*s->thrash)))) {
		snprintf(err, errlen, "%s: out of memory while reading a snapshot.", name);
		return -ENOMEM;
	}
	for (__u32 i = 0; i < n; i++) {
		struct devmem_thrash_entry *e = &s->thrash[i];

		e->tgid = get_u32(c);
		e->window_max = get_u32(c);
		e->start_ns = get_u64(c);
		e->vaddr = get_u64(c);
		e->range = get_u64(c);
		e->bounces = get_u64(c);
		e->faults = get_u64(c);
		e->fault_ns = get_u64(c);
		e->last_ns = get_u64(c);
	}
	s->nr_thrash = n;
	if (n)
		qsort(s->thrash, n, sizeof(*s->thrash), devmem_thrash_cmp);
	for (__u32 i = 1; i < n; i++)
		if (!devmem_thrash_cmp(&s->thrash[i - 1], &s->thrash[i])) {
			fail(name, err, errlen, off, "page 0x%llx of process %u appears twice in one "
			     "snapshot; the frame is corrupted.",
			     (unsigned long long)s->thrash[i].vaddr, s->thrash[i].tgid);
			return -EINVAL;
		}
	return 0;
}

static int get_stacks(const char *name, struct cur *c, struct devmem_snapshot *s, char *err,
		      size_t errlen)
{
	__u64 off = c->base;
	__u32 n;

	s->stacks_on = true;
	n = get_u32(c);
	get_u32(c);
	if (c->bad || n > DEVMEM_REC_MAX_STACKS || (size_t)n * STACK_MIN_LEN > c->left) {
		fail(name, err, errlen, off, "the stacks section is malformed (%u stacks in %zu "
		     "bytes); the frame is corrupted.", n, c->left);
		return -EINVAL;
	}
	if (n && !(s->stacks = calloc_cap(n, sizeof(*s->stacks)))) {
		snprintf(err, errlen, "%s: out of memory while reading a snapshot.", name);
		return -ENOMEM;
	}
	for (__u32 i = 0; i < n; i++) {
		struct devmem_snap_stack *st = &s->stacks[i];
		const unsigned char *names;
		__u32 len, nuls = 0;

		off = c->base;
		st->tgid = get_u32(c);
		st->depth = get_u32(c);
		st->start_ns = get_u64(c);
		st->id = get_u64(c);
		st->faults = get_u64(c);
		st->fault_ns = get_u64(c);
		get_str(c, st->comm, DEVMEM_COMM_LEN, sizeof(st->comm));
		len = get_u32(c);
		names = c->bad || len > REC_STACK_NAMES_MAX ? NULL : take(c, len);
		for (__u32 k = 0; names && k < len; k++)
			nuls += !names[k];
		if (!names || st->depth > DEVMEM_STACK_DEPTH || nuls != st->depth ||
		    (len && names[len - 1])) {
			s->nr_stacks = i;
			fail(name, err, errlen, off, "stack %u is malformed (%u frames, %u names in %u "
			     "bytes); the frame is corrupted.", i, st->depth, nuls, len);
			return -EINVAL;
		}
		if (len) {
			st->names = malloc(len);
			if (!st->names) {
				s->nr_stacks = i;
				snprintf(err, errlen, "%s: out of memory while reading a snapshot.",
					 name);
				return -ENOMEM;
			}
			memcpy(st->names, names, len);
			st->names_len = len;
		}
		s->nr_stacks = i + 1;
	}
	if (c->left) {
		fail(name, err, errlen, c->base, "%zu unexpected bytes after the stacks; the frame "
		     "is corrupted.", c->left);
		return -EINVAL;
	}
	if (n)
		qsort(s->stacks, n, sizeof(*s->stacks), devmem_stack_cmp);
	for (__u32 i = 1; i < n; i++)
		if (!devmem_stack_cmp(&s->stacks[i - 1], &s->stacks[i])) {
			fail(name, err, errlen, off, "stack %llu of process %u appears twice in one "
			     "snapshot; the frame is corrupted.", (unsigned long long)s->stacks[i].id,
			     s->stacks[i].tgid);
			return -EINVAL;
		}
	return 0;
}

int rec_parse_payload(const char *name, unsigned int version, const unsigned char *p,
		      size_t len, __u64 base, struct devmem_snapshot *s, __u64 *seq_out,
		      bool *full, char *err, size_t errlen)
{
	struct cur c = { .p = p, .left = len, .base = base };
	struct layout l;
	__u32 nr_dev, nr_proc, nr_range, note_len, mode, flags;
	__u64 seq, field_off;
	size_t i, min, dev_min, proc_min, range_min;
	bool v2 = version >= 2;

	seq = get_u64(&c);
	s->ts_ns = get_u64(&c);
	get_u64(&c);				/* realtime at write: informative */
	s->interval_ns = get_u64(&c);
	field_off = c.base;
	mode = get_u32(&c);
	flags = get_u32(&c);
	l.nr_counters = get_u32(&c);
	l.nr_kinds = get_u32(&c);
	l.nr_slots = get_u32(&c);
	l.nr_lost = get_u32(&c);
	nr_dev = get_u32(&c);
	nr_proc = get_u32(&c);
	nr_range = get_u32(&c);
	note_len = get_u32(&c);
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
	s->recursion_misses = get_u64(&c);
	for (i = 0; i < l.nr_lost; i++) {
		__u64 v = get_u64(&c), *slot = NULL;

		if (!v2 && i < sizeof(v1_lost) / sizeof(v1_lost[0]))
			slot = loss_slot(s, v1_lost[i]);
		else if (v2 && version == 2 && i >= V2_NR_LOSSES)
			slot = loss_slot(s, TALLY_SLOT(i - V2_NR_LOSSES));
		else if (v2 && (version > 2 || i < V2_NR_LOSSES))
			slot = loss_slot(s, i);
		if (slot && !v2)
			*slot += v;	/* two format-1 counters are one today */
		else if (slot)
			*slot = v;
	}
	get_counters(&c, &l, &s->total);
	get_hists(&c, &l, s->hist);

	if (nr_dev && !(s->devices = calloc_cap(nr_dev, sizeof(*s->devices))))
		goto oom;
	for (i = 0; i < nr_dev && !c.bad; i++) {
		struct devmem_device *d = &s->devices[i];
		__u32 has;

		if (v2) {
			get_str(&c, d->name, NAME_LEN, sizeof(d->name));
			d->owner = get_u64(&c);
			d->nr_ranges = get_u32(&c);
			d->nr_live = get_u32(&c);
			d->nr_pages = get_u64(&c);
		} else {
			d->owner = get_u64(&c);
		}
		field_off = c.base;
		has = get_u32(&c);
		get_u32(&c);
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
	if (nr_proc && !(s->procs = calloc_cap(nr_proc, sizeof(*s->procs))))
		goto oom;
	for (i = 0; i < nr_proc && !c.bad; i++) {
		struct devmem_process *pr = &s->procs[i];
		__u32 pflags;

		pr->tgid = get_u32(&c);
		field_off = c.base;
		pflags = get_u32(&c);
		if (pflags & ~(v2 ? REC_PROC_HIST | REC_PROC_EXITED : REC_PROC_HIST)) {
			fail(name, err, errlen, field_off, "process %zu has bad flags 0x%x; the "
			     "frame is corrupted.", i, pflags);
			return -EINVAL;
		}
		pr->has_hist = pflags & REC_PROC_HIST;
		if (v2) {
			pr->start_ns = get_u64(&c);
			pr->exit_ns = get_u64(&c);
			pr->lost_events = get_u64(&c);
			if (!(pflags & REC_PROC_EXITED) != !pr->exit_ns) {
				fail(name, err, errlen, field_off, "process %zu: its exit flag and "
				     "exit time disagree; the frame is corrupted.", i);
				return -EINVAL;
			}
		}
		get_str(&c, pr->comm, DEVMEM_COMM_LEN, sizeof(pr->comm));
		get_counters(&c, &l, &pr->c);
		if (pr->has_hist)
			get_hists(&c, &l, pr->hist);
		s->nr_procs = i + 1;
	}
	if (nr_range && !(s->ranges = calloc_cap(nr_range, sizeof(*s->ranges))))
		goto oom;
	for (i = 0; i < nr_range && !c.bad; i++) {
		struct devmem_snap_range *g = &s->ranges[i];
		__u32 has;

		g->r.pgmap = get_u64(&c);
		g->r.start = get_u64(&c);
		g->r.end = get_u64(&c);
		g->r.nr_pages = get_u64(&c);
		g->r.owner = get_u64(&c);
		g->r.added_ns = get_u64(&c);
		g->r.removed_ns = get_u64(&c);
		g->r.remove_done_ns = get_u64(&c);
		g->r.in_use_at_remove = get_u64(&c);
		g->r.nr_range = get_u32(&c);
		g->r.type = get_u32(&c);
		g->r.nid = get_u32(&c);
		g->sources = get_u32(&c);
		g->id = get_u64(&c);
		g->in_use_at_start = get_u64(&c);
		g->range_index = get_u32(&c);
		field_off = c.base;
		has = get_u32(&c);
		get_str(&c, g->name, NAME_LEN, sizeof(g->name));
		if (!v2) {
			s->nr_ranges = i + 1;
			continue;
		}
		if (has > 1) {
			fail(name, err, errlen, field_off, "range %zu has a bad histogram flag %u; "
			     "the frame is corrupted.", i, has);
			return -EINVAL;
		}
		g->r.gen = get_u64(&c);
		g->r.flags = get_u32(&c);
		get_u32(&c);
		get_str(&c, g->device, NAME_LEN, sizeof(g->device));
		g->has_hist = has;
		get_counters(&c, &l, &g->c);
		if (has)
			get_hists(&c, &l, g->hist);
		s->nr_ranges = i + 1;
	}
	{
		const unsigned char *n = take(&c, note_len);

		if (n) {
			memcpy(s->note, n, note_len);
			s->note[note_len] = '\0';
		}
	}
	if (c.bad)
		goto short_payload;
	while (version >= 3 && c.left) {
		__u32 tag, slen;
		struct cur sc;
		int ret;

		field_off = c.base;
		tag = get_u32(&c);
		slen = get_u32(&c);
		if (c.bad || slen > c.left) {
			fail(name, err, errlen, field_off, "a section of %u bytes overruns the frame; "
			     "the frame is corrupted.", slen);
			return -EINVAL;
		}
		sc = (struct cur){ .p = c.p, .left = slen, .base = c.base };
		take(&c, slen);
		if (tag == REC_SEC_THRASH)
			ret = get_thrash(name, &sc, s, err, errlen);
		else if (tag == REC_SEC_STACKS)
			ret = get_stacks(name, &sc, s, err, errlen);
		else
			continue;	/* a later version's section */
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

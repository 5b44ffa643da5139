// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A recording's bytes (docs/recording-format.md): the little-endian fields,
 * the checksum, and one frame's payload encoded from and decoded into a
 * snapshot. The decoder trusts nothing: every count is checked against the
 * bytes left before anything is allocated, and every error names the file
 * and the byte offset.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "record_format.h"

const char rec_file_magic[8] = { 'D', 'E', 'V', 'M', 'E', 'M', 'R', 'C' };

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

/* ---- little-endian encoding ---------------------------------------------- */

void rec_buf_put(struct rec_buf *b, const void *src, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

void rec_put_u32(struct rec_buf *b, __u32 v)
{
	unsigned char x[4];

	for (int i = 0; i < 4; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	rec_buf_put(b, x, 4);
}

void rec_put_u64(struct rec_buf *b, __u64 v)
{
	unsigned char x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	rec_buf_put(b, x, 8);
}

void rec_put_str(struct rec_buf *b, const char *s, size_t field)
{
	char tmp[256] = { 0 };
	size_t n = strnlen(s, field - 1);

	memcpy(tmp, s, n);
	rec_buf_put(b, tmp, field);
}

__u32 rec_crc(const void *p, size_t n)
{
	__u32 c = (__u32)crc32(0L, Z_NULL, 0);

	/* zlib takes uInt lengths; frames are capped far below that */
	return (__u32)crc32(c, p, (uInt)n);
}

/* ---- writing ------------------------------------------------------------- */

static void put_hist(struct rec_buf *b, const struct devmem_hist *h)
{
	rec_put_u64(b, h->count);
	rec_put_u64(b, h->sum);
	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++)
		rec_put_u64(b, h->slots[i]);
}

static void put_counters(struct rec_buf *b, const struct devmem_counters *c)
{
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		rec_put_u64(b, devmem_counters_cu64(c)[i]);
}

/* Encode one snapshot as a frame payload (format version 1). */
void rec_encode_payload(struct rec_buf *b, __u64 seq, __u64 realtime,
			   const struct devmem_snapshot *s)
{
	size_t note_len = strnlen(s->note, sizeof(s->note));
	size_t i;

	if (note_len > NOTE_MAX)
		note_len = NOTE_MAX;
	rec_put_u64(b, seq);
	rec_put_u64(b, s->ts_ns);
	rec_put_u64(b, realtime);
	rec_put_u64(b, s->interval_ns);
	rec_put_u32(b, (__u32)s->mode);
	rec_put_u32(b, 0);				/* flags */
	rec_put_u32(b, DEVMEM_NR_COUNTERS);
	rec_put_u32(b, DEVMEM_HIST_KINDS);
	rec_put_u32(b, DEVMEM_HIST_SLOTS);
	rec_put_u32(b, DEVMEM_LOST_KINDS);
	rec_put_u32(b, (__u32)s->nr_devices);
	rec_put_u32(b, (__u32)s->nr_procs);
	rec_put_u32(b, (__u32)s->nr_ranges);
	rec_put_u32(b, (__u32)note_len);
	rec_put_u64(b, s->recursion_misses);
	for (i = 0; i < DEVMEM_LOST_KINDS; i++)
		rec_put_u64(b, s->lost[i]);
	put_counters(b, &s->total);
	for (i = 0; i < DEVMEM_HIST_KINDS; i++)
		put_hist(b, &s->hist[i]);
	for (i = 0; i < s->nr_devices; i++) {
		const struct devmem_device *d = &s->devices[i];

		rec_put_u64(b, d->owner);
		rec_put_u32(b, d->has_hist);
		rec_put_u32(b, 0);
		put_counters(b, &d->c);
		if (d->has_hist)
			for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
				put_hist(b, &d->hist[k]);
	}
	for (i = 0; i < s->nr_procs; i++) {
		const struct devmem_process *p = &s->procs[i];

		rec_put_u32(b, p->tgid);
		rec_put_u32(b, p->has_hist);
		rec_put_str(b, p->comm, DEVMEM_COMM_LEN);
		put_counters(b, &p->c);
		if (p->has_hist)
			for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
				put_hist(b, &p->hist[k]);
	}
	for (i = 0; i < s->nr_ranges; i++) {
		const struct devmem_snap_range *r = &s->ranges[i];

		rec_put_u64(b, r->r.pgmap);
		rec_put_u64(b, r->r.start);
		rec_put_u64(b, r->r.end);
		rec_put_u64(b, r->r.nr_pages);
		rec_put_u64(b, r->r.owner);
		rec_put_u64(b, r->r.added_ns);
		rec_put_u64(b, r->r.removed_ns);
		rec_put_u64(b, r->r.remove_done_ns);
		rec_put_u64(b, r->r.in_use_at_remove);
		rec_put_u32(b, r->r.nr_range);
		rec_put_u32(b, r->r.type);
		rec_put_u32(b, r->r.nid);
		rec_put_u32(b, r->sources);
		rec_put_u64(b, r->id);
		rec_put_u64(b, r->in_use_at_start);
		rec_put_u32(b, r->range_index);
		rec_put_u32(b, 0);
		rec_put_str(b, r->name, NAME_LEN);
	}
	rec_buf_put(b, s->note, note_len);
}


/* A cursor over one payload; any overrun marks it bad at that offset. */
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
	memcpy(dst, p, n);
	dst[dstlen - 1] = '\0';
	for (char *s = dst; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

/*
 * Arrays of a parsed snapshot get the capacity snapshot.c's grow() assumes
 * (max(8, the next power of two)), so callers can still add entries.
 */
static void *calloc_cap(size_t n, size_t elem)
{
	size_t cap = 8;

	while (cap < n)
		cap *= 2;
	return calloc(cap, elem);
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

int rec_parse_payload(const char *name, const unsigned char *p, size_t len, __u64 base,
		      struct devmem_snapshot *s, __u64 *seq_out, char *err, size_t errlen)
{
	struct cur c = { .p = p, .left = len, .base = base };
	struct layout l;
	__u32 nr_dev, nr_proc, nr_range, note_len, mode;
	__u64 seq, field_off;
	size_t i, min;

	seq = get_u64(&c);
	s->ts_ns = get_u64(&c);
	get_u64(&c);				/* realtime at write: informative */
	s->interval_ns = get_u64(&c);
	field_off = c.base;
	mode = get_u32(&c);
	get_u32(&c);				/* flags */
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
	min = 8 + 8 * (size_t)l.nr_lost + 8 * (size_t)l.nr_counters + hists_bytes(&l) +
	      (size_t)nr_dev * (16 + 8 * (size_t)l.nr_counters) +
	      (size_t)nr_proc * (8 + DEVMEM_COMM_LEN + 8 * (size_t)l.nr_counters) +
	      (size_t)nr_range * (9 * 8 + 4 * 4 + 2 * 8 + 8 + NAME_LEN) + note_len;
	if (min > c.left) {
		fail(name, err, errlen, field_off + 24, "the counts (%u devices, %u processes, "
		     "%u ranges) need at least %zu bytes but the frame has %zu left; the frame "
		     "is corrupted.", nr_dev, nr_proc, nr_range, min, c.left);
		return -EINVAL;
	}
	s->recursion_misses = get_u64(&c);
	for (i = 0; i < l.nr_lost; i++) {
		__u64 v = get_u64(&c);

		if (i < DEVMEM_LOST_KINDS)
			s->lost[i] = v;
	}
	get_counters(&c, &l, &s->total);
	get_hists(&c, &l, s->hist);

	if (nr_dev && !(s->devices = calloc_cap(nr_dev, sizeof(*s->devices))))
		goto oom;
	for (i = 0; i < nr_dev && !c.bad; i++) {
		struct devmem_device *d = &s->devices[i];
		__u32 has;

		d->owner = get_u64(&c);
		snprintf(d->name, sizeof(d->name), "0x%llx", (unsigned long long)d->owner);
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
		__u32 has;

		pr->tgid = get_u32(&c);
		field_off = c.base;
		has = get_u32(&c);
		if (has > 1) {
			fail(name, err, errlen, field_off, "process %zu has a bad histogram flag %u; "
			     "the frame is corrupted.", i, has);
			return -EINVAL;
		}
		pr->has_hist = has;
		get_str(&c, pr->comm, DEVMEM_COMM_LEN, sizeof(pr->comm));
		get_counters(&c, &l, &pr->c);
		if (has)
			get_hists(&c, &l, pr->hist);
		s->nr_procs = i + 1;
	}
	if (nr_range && !(s->ranges = calloc_cap(nr_range, sizeof(*s->ranges))))
		goto oom;
	for (i = 0; i < nr_range && !c.bad; i++) {
		struct devmem_snap_range *g = &s->ranges[i];

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
		get_u32(&c);
		get_str(&c, g->name, NAME_LEN, sizeof(g->name));
		s->nr_ranges = i + 1;
	}
	{
		const unsigned char *n = take(&c, note_len);

		if (n) {
			memcpy(s->note, n, note_len);
			s->note[note_len] = '\0';
			for (char *x = s->note; *x; x++)
				if ((unsigned char)*x < 0x20 || (unsigned char)*x >= 0x7f)
					*x = '?';
		}
	}
	if (c.bad)
		goto short_payload;
	if (c.left) {
		fail(name, err, errlen, c.base, "%zu unexpected bytes after the snapshot; the frame "
		     "is corrupted.", c.left);
		return -EINVAL;
	}
	/* one entry per device, process: a duplicate would be counted twice */
	devmem_snapshot_sort(s);
	for (i = 1; i < s->nr_devices; i++)
		if (!strcmp(s->devices[i].name, s->devices[i - 1].name)) {
			fail(name, err, errlen, base, "device 0x%llx appears twice in one snapshot; "
			     "the frame is corrupted.", (unsigned long long)s->devices[i].owner);
			return -EINVAL;
		}
	for (i = 1; i < s->nr_procs; i++)
		if (s->procs[i].tgid == s->procs[i - 1].tgid) {
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

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A recording's bytes, written (docs/recording-format.md): the
 * little-endian fields and one frame's payload encoded from a snapshot,
 * with only the processes that changed since the frame before, then its
 * sections (record_sections.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "model/array.h"
#include "model/snapshot.h"
#include "store/record.h"
#include "store/record_format.h"

const char rec_file_magic[8] = { 'D', 'E', 'V', 'M', 'E', 'M', 'R', 'C' };

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

/* true if p is not in prev (sorted) with the same figures */
static bool proc_changed(const struct devmem_process *p, const struct devmem_snapshot *prev)
{
	const struct devmem_process *q;

	if (!prev)
		return true;
	q = devmem_array_find(p, prev->procs, prev->nr_procs, sizeof(*p), devmem_process_cmp);
	if (!q)
		return true;
	if (q->exit_ns != p->exit_ns || q->lost_events != p->lost_events ||
	    memcmp(&q->c, &p->c, sizeof(p->c)) || q->has_hist != p->has_hist)
		return true;
	return p->has_hist && memcmp(q->hist, p->hist, sizeof(p->hist));
}

static void put_hists(struct rec_buf *b, const struct devmem_hist *h)
{
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
		put_hist(b, &h[k]);
}

/* Encode one snapshot as a frame payload of the current format version. */
void rec_encode_payload(struct rec_buf *b, __u64 seq, __u64 realtime,
			const struct devmem_snapshot *s, const struct devmem_snapshot *prev)
{
	size_t note_len = strnlen(s->note, sizeof(s->note)), nr_procs = 0, i;

	if (note_len > NOTE_MAX)
		note_len = NOTE_MAX;
	for (i = 0; i < s->nr_procs; i++)
		nr_procs += proc_changed(&s->procs[i], prev);
	rec_put_u64(b, seq);
	rec_put_u64(b, s->ts_ns);
	rec_put_u64(b, realtime);
	rec_put_u64(b, s->interval_ns);
	rec_put_u32(b, (__u32)s->mode);
	rec_put_u32(b, prev ? 0 : REC_FRAME_FULL);
	rec_put_u32(b, DEVMEM_NR_COUNTERS);
	rec_put_u32(b, DEVMEM_HIST_KINDS);
	rec_put_u32(b, DEVMEM_HIST_SLOTS);
	rec_put_u32(b, DEVMEM_LOST_KINDS);	/* the tallies have a section */
	rec_put_u32(b, (__u32)s->nr_devices);
	rec_put_u32(b, (__u32)nr_procs);
	rec_put_u32(b, (__u32)s->nr_ranges);
	rec_put_u32(b, (__u32)note_len);
	rec_put_u64(b, s->recursion_misses);
	for (i = 0; i < DEVMEM_LOST_KINDS; i++)
		rec_put_u64(b, s->lost[i]);
	put_counters(b, &s->total);
	put_hists(b, s->hist);
	for (i = 0; i < s->nr_devices; i++) {
		const struct devmem_device *d = &s->devices[i];

		rec_put_str(b, d->name, NAME_LEN);
		rec_put_u64(b, d->owner);
		rec_put_u32(b, d->nr_ranges);
		rec_put_u32(b, d->nr_live);
		rec_put_u64(b, d->nr_pages);
		rec_put_u32(b, d->has_hist);
		rec_put_u32(b, 0);
		put_counters(b, &d->c);
		if (d->has_hist)
			put_hists(b, d->hist);
	}
	for (i = 0; i < s->nr_procs; i++) {
		const struct devmem_process *p = &s->procs[i];

		if (!proc_changed(p, prev))
			continue;
		rec_put_u32(b, p->tgid);
		rec_put_u32(b, (p->has_hist ? REC_PROC_HIST : 0) | (p->exit_ns ? REC_PROC_EXITED : 0));
		rec_put_u64(b, p->start_ns);
		rec_put_u64(b, p->exit_ns);
		rec_put_u64(b, p->lost_events);
		rec_put_str(b, p->comm, DEVMEM_COMM_LEN);
		put_counters(b, &p->c);
		if (p->has_hist)
			put_hists(b, p->hist);
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
		rec_put_u32(b, r->has_hist);
		rec_put_str(b, r->name, NAME_LEN);
		rec_put_u64(b, r->r.gen);
		rec_put_u32(b, r->r.flags);
		rec_put_u32(b, 0);
		rec_put_str(b, r->device, NAME_LEN);
		put_counters(b, &r->c);
		if (r->has_hist)
			put_hists(b, r->hist);
	}
	rec_buf_put(b, s->note, note_len);
	rec_put_sections(b, s, prev);
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The tagged sections of a frame's payload, after its note
 * (docs/recording-format.md), written and read: the folios by order, the
 * tallies, the thrash table, the fault stacks and where their frames are. The thrash
 * table and the stacks hold only what changed since the frame before (record_format.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/array.h"
#include "model/counts.h"
#include "model/snapshot.h"
#include "model/stacks.h"
#include "model/thrash.h"
#include "store/record.h"
#include "store/record_format.h"

#define fail(name, err, errlen, offset, ...) rec_fail(err, errlen, name, offset, __VA_ARGS__)

/* ---- written -------------------------------------------------------------- */

static bool thrash_changed(const struct devmem_thrash_entry *e, const struct devmem_snapshot *prev)
{
	const struct devmem_thrash_entry *q;

	if (!prev)
		return true;
	q = devmem_array_find(e, prev->thrash, prev->nr_thrash, sizeof(*e), devmem_thrash_cmp);
	return !q || memcmp(q, e, sizeof(*e));
}

/* the section's length field, filled in once its bytes are written */
static size_t section_begin(struct rec_buf *b, __u32 tag)
{
	size_t at;

	rec_put_u32(b, tag);
	at = b->len;
	rec_put_u32(b, 0);
	return at;
}

static void section_end(struct rec_buf *b, size_t at)
{
	if (!b->oom)
		set_le32(b->p + at, (__u32)(b->len - at - 4));
}

static void put_folio_counts(struct rec_buf *b, const struct devmem_folio_counts *f)
{
	for (unsigned int k = 0; k < DEVMEM_FOLIO_KINDS; k++)
		for (unsigned int i = 0; i < DEVMEM_ORDERS; i++)
			rec_put_u64(b, devmem_folios_of(f, k)[i]);
}

static void put_thrash(struct rec_buf *b, const struct devmem_snapshot *s,
		       const struct devmem_snapshot *prev)
{
	size_t at = section_begin(b, REC_SEC_THRASH), n = 0, i;

	for (i = 0; i < s->nr_thrash; i++)
		n += thrash_changed(&s->thrash[i], prev);
	rec_put_u64(b, s->thrash_window_ns);
	rec_put_u32(b, s->thrash_k);
	rec_put_u32(b, s->page_size);
	rec_put_u64(b, s->thrash_dropped);
	rec_put_u32(b, (__u32)n);
	rec_put_u32(b, 0);
	for (i = 0; i < s->nr_thrash; i++) {
		const struct devmem_thrash_entry *e = &s->thrash[i];

		if (!thrash_changed(e, prev))
			continue;
		rec_put_u32(b, e->tgid);
		rec_put_u32(b, e->window_max);
		rec_put_u64(b, e->start_ns);
		rec_put_u64(b, e->vaddr);
		rec_put_u64(b, e->range);
		rec_put_u64(b, e->bounces);
		rec_put_u64(b, e->faults);
		rec_put_u64(b, e->fault_ns);
		rec_put_u64(b, e->last_ns);
		rec_put_u64(b, e->npages);
	}
	section_end(b, at);
}

/* prev's stacks are sorted by (tgid, start, id), as every snapshot's are */
static const struct devmem_snap_stack *prev_stack(const struct devmem_snap_stack *st,
						  const struct devmem_snapshot *prev)
{
	return prev ? devmem_array_find(st, prev->stacks, prev->nr_stacks, sizeof(*st),
					devmem_stack_cmp) : NULL;
}

static bool stack_changed(const struct devmem_snap_stack *st, const struct devmem_snapshot *prev)
{
	const struct devmem_snap_stack *q = prev_stack(st, prev);

	return !q || q->faults != st->faults || q->fault_ns != st->fault_ns;
}

static void put_stacks(struct rec_buf *b, const struct devmem_snapshot *s,
		       const struct devmem_snapshot *prev)
{
	size_t at = section_begin(b, REC_SEC_STACKS), n = 0, i;

	for (i = 0; i < s->nr_stacks; i++)
		n += stack_changed(&s->stacks[i], prev);
	rec_put_u32(b, (__u32)n);
	rec_put_u32(b, 0);
	for (i = 0; i < s->nr_stacks; i++) {
		const struct devmem_snap_stack *st = &s->stacks[i];

		if (!stack_changed(st, prev))
			continue;
		rec_put_u32(b, st->tgid);
		rec_put_u32(b, st->depth);
		rec_put_u64(b, st->start_ns);
		rec_put_u64(b, st->id);
		rec_put_u64(b, st->faults);
		rec_put_u64(b, st->fault_ns);
		rec_put_str(b, st->comm, DEVMEM_COMM_LEN);
		rec_put_u32(b, (__u32)st->names_len);
		rec_buf_put(b, st->names, st->names_len);
	}
	section_end(b, at);
}

/* where the frames are, of the stacks put_stacks() wrote that know it */
static void put_stack_locs(struct rec_buf *b, const struct devmem_snapshot *s,
			   const struct devmem_snapshot *prev)
{
	size_t at = section_begin(b, REC_SEC_STACK_LOCS), n = 0, i;

	for (i = 0; i < s->nr_stacks; i++)
		n += s->stacks[i].locs && stack_changed(&s->stacks[i], prev);
	rec_put_u32(b, (__u32)n);
	rec_put_u32(b, 0);
	for (i = 0; i < s->nr_stacks; i++) {
		const struct devmem_snap_stack *st = &s->stacks[i];

		if (!st->locs || !stack_changed(st, prev))
			continue;
		rec_put_u32(b, st->tgid);
		rec_put_u32(b, st->depth);
		rec_put_u64(b, st->start_ns);
		rec_put_u64(b, st->id);
		for (__u32 d = 0; d < st->depth; d++) {
			const struct devmem_frame_loc *l = &st->locs[d];
			__u8 id[DEVMEM_BUILD_ID_MAX + 4] = { 0 };

			rec_put_u64(b, l->offset);
			id[0] = l->build_id_len <= DEVMEM_BUILD_ID_MAX ? l->build_id_len : 0;
			id[1] = l->flags;
			memcpy(id + 2, l->build_id, id[0]);
			rec_buf_put(b, id, REC_FRAME_LOC_LEN - 8);
		}
		rec_put_u32(b, (__u32)st->files_len);
		rec_buf_put(b, st->files, st->files_len);
	}
	section_end(b, at);
}

/* the total, then every device and range in the frame's order, each all its orders */
static void put_folios(struct rec_buf *b, const struct devmem_snapshot *s)
{
	size_t at = section_begin(b, REC_SEC_FOLIOS), i;

	rec_put_u32(b, DEVMEM_ORDERS);
	rec_put_u32(b, (__u32)(1 + s->nr_devices + s->nr_ranges));
	put_folio_counts(b, &s->folios);
	for (i = 0; i < s->nr_devices; i++)
		put_folio_counts(b, &s->devices[i].folios);
	for (i = 0; i < s->nr_ranges; i++)
		put_folio_counts(b, &s->ranges[i].folios);
	section_end(b, at);
}

static void put_tallies(struct rec_buf *b, const struct devmem_snapshot *s)
{
	size_t at = section_begin(b, REC_SEC_TALLIES);

	rec_put_u32(b, DEVMEM_TALLY_KINDS);
	rec_put_u32(b, 0);
	for (unsigned int i = 0; i < DEVMEM_TALLY_KINDS; i++)
		rec_put_u64(b, s->tallies[i]);
	section_end(b, at);
}

void rec_put_sections(struct rec_buf *b, const struct devmem_snapshot *s,
		      const struct devmem_snapshot *prev)
{
	put_folios(b, s);
	put_tallies(b, s);
	if (s->thrash_on)
		put_thrash(b, s, prev);
	if (s->stacks_on) {
		put_stacks(b, s, prev);
		put_stack_locs(b, s, prev);
	}
}

/* ---- read ----------------------------------------------------------------- */

/* a thrash entry's bytes: format 4 added npages */
#define THRASH_ENTRY_LEN(version)	((version) >= 4 ? 72U : 64U)
/* tgid, depth, start_ns, id, faults, fault_ns, comm, names_len */
#define STACK_MIN_LEN		(40U + DEVMEM_COMM_LEN + 4U)

static int get_thrash(const char *name, unsigned int version, struct rec_cur *c,
		      struct devmem_snapshot *s, char *err, size_t errlen)
{
	__u64 off = c->base + 24;
	__u32 n;

	s->thrash_on = true;
	s->thrash_window_ns = rec_get_u64(c);
	s->thrash_k = rec_get_u32(c);
	s->page_size = rec_get_u32(c);
	s->thrash_dropped = rec_get_u64(c);
	n = rec_get_u32(c);
	rec_get_u32(c);
	if (c->bad) {
		fail(name, err, errlen, c->bad_off, "the thrashing section ends early; the frame "
		     "is corrupted.");
		return -EINVAL;
	}
	if (s->thrash_k < 1 || s->thrash_k > DEVMEM_THRASH_K_MAX ||
	    (s->page_size & (s->page_size - 1)) || n > DEVMEM_REC_MAX_THRASH ||
	    (size_t)n * THRASH_ENTRY_LEN(version) != c->left) {
		fail(name, err, errlen, off, "the thrashing section is malformed (K %u, page size "
		     "%u, %u pages in %zu bytes); the frame is corrupted.", s->thrash_k,
		     s->page_size, n, c->left);
		return -EINVAL;
	}
	if (n && !(s->thrash = devmem_array_alloc(n, sizeof(*s->thrash)))) {
		snprintf(err, errlen, "%s: out of memory while reading a snapshot.", name);
		return -ENOMEM;
	}
	for (__u32 i = 0; i < n; i++) {
		struct devmem_thrash_entry *e = &s->thrash[i];

		e->tgid = rec_get_u32(c);
		e->window_max = rec_get_u32(c);
		e->start_ns = rec_get_u64(c);
		e->vaddr = rec_get_u64(c);
		e->range = rec_get_u64(c);
		e->bounces = rec_get_u64(c);
		e->faults = rec_get_u64(c);
		e->fault_ns = rec_get_u64(c);
		e->last_ns = rec_get_u64(c);
		/* before format 4 every entry was one page */
		e->npages = version >= 4 ? rec_get_u64(c) : 1;
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

static int get_stacks(const char *name, struct rec_cur *c, struct devmem_snapshot *s, char *err,
		      size_t errlen)
{
	__u64 off = c->base;
	__u32 n;

	s->stacks_on = true;
	n = rec_get_u32(c);
	rec_get_u32(c);
	if (c->bad || n > DEVMEM_REC_MAX_STACKS || (size_t)n * STACK_MIN_LEN > c->left) {
		fail(name, err, errlen, off, "the stacks section is malformed (%u stacks in %zu "
		     "bytes); the frame is corrupted.", n, c->left);
		return -EINVAL;
	}
	if (n && !(s->stacks = devmem_array_alloc(n, sizeof(*s->stacks)))) {
		snprintf(err, errlen, "%s: out of memory while reading a snapshot.", name);
		return -ENOMEM;
	}
	for (__u32 i = 0; i < n; i++) {
		struct devmem_snap_stack *st = &s->stacks[i];
		const unsigned char *names;
		__u32 len, nuls = 0;

		off = c->base;
		st->tgid = rec_get_u32(c);
		st->depth = rec_get_u32(c);
		st->start_ns = rec_get_u64(c);
		st->id = rec_get_u64(c);
		st->faults = rec_get_u64(c);
		st->fault_ns = rec_get_u64(c);
		rec_get_str(c, st->comm, DEVMEM_COMM_LEN, sizeof(st->comm));
		len = rec_get_u32(c);
		names = c->bad || len > REC_STACK_NAMES_MAX ? NULL : rec_take(c, len);
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

/*
 * Where the frames of the stacks of this frame's tag 2 are: each entry is
 * one of them (tag 2 comes first), at most once, with as many locations
 * as frames.
 */
static int get_stack_locs(const char *name, struct rec_cur *c, struct devmem_snapshot *s,
			  char *err, size_t errlen)
{
	__u64 off = c->base;
	__u32 n = rec_get_u32(c);

	rec_get_u32(c);
	if (c->bad || n > s->nr_stacks || (size_t)n * 28 > c->left) {
		fail(name, err, errlen, off, "the stack locations section is malformed (%u stacks "
		     "in %zu bytes, %zu stacks before it); the frame is corrupted.", n, c->left,
		     s->nr_stacks);
		return -EINVAL;
	}
	for (__u32 i = 0; i < n; i++) {
		struct devmem_snap_stack want, *st;
		const unsigned char *p, *files;
		__u32 depth, len;

		off = c->base;
		want.tgid = rec_get_u32(c);
		depth = rec_get_u32(c);
		want.start_ns = rec_get_u64(c);
		want.id = rec_get_u64(c);
		st = c->bad ? NULL : devmem_array_find(&want, s->stacks, s->nr_stacks,
							sizeof(*s->stacks), devmem_stack_cmp);
		p = st && depth == st->depth && !st->locs ?
		    rec_take(c, (size_t)depth * REC_FRAME_LOC_LEN) : NULL;
		len = p ? rec_get_u32(c) : 0;
		files = p && !c->bad && len <= REC_STACK_FILES_MAX ? rec_take(c, len) : NULL;
		if (!files || devmem_strings_count((const char *)files, len) != (int)depth) {
			fail(name, err, errlen, off, "the locations of stack %llu of process %u are "
			     "malformed (or of no stack of the frame, or twice); the frame is "
			     "corrupted.", (unsigned long long)want.id, want.tgid);
			return -EINVAL;
		}
		st->locs = depth ? calloc(depth, sizeof(*st->locs)) : NULL;
		st->files = len ? malloc(len) : NULL;
		if ((depth && !st->locs) || (len && !st->files)) {
			snprintf(err, errlen, "%s: out of memory while reading a snapshot.", name);
			return -ENOMEM;
		}
		for (__u32 d = 0; d < depth; d++, p += REC_FRAME_LOC_LEN) {
			struct devmem_frame_loc *l = &st->locs[d];

			l->offset = le64(p);
			if (p[8] > DEVMEM_BUILD_ID_MAX) {
				fail(name, err, errlen, off, "a build-id of stack %llu is %u bytes; "
				     "the frame is corrupted.", (unsigned long long)want.id, p[8]);
				return -EINVAL;
			}
			l->build_id_len = p[8];
			l->flags = p[9] & DEVMEM_LOC_FILE_OFFSET;
			memcpy(l->build_id, p + 10, l->build_id_len);
		}
		memcpy(st->files, files, len);
		st->files_len = len;
	}
	if (c->left) {
		fail(name, err, errlen, c->base, "%zu unexpected bytes after the stack locations; "
		     "the frame is corrupted.", c->left);
		return -EINVAL;
	}
	return 0;
}

/* one set of folio counts of nr_orders orders; orders past ours join our last bucket */
static void get_folio_counts(struct rec_cur *c, __u32 nr_orders, struct devmem_folio_counts *f)
{
	__u64 v[DEVMEM_FOLIO_KINDS][DEVMEM_ORDERS] = { { 0 } };

	for (unsigned int k = 0; k < DEVMEM_FOLIO_KINDS; k++)
		for (__u32 i = 0; i < nr_orders; i++) {
			__u64 *to = &v[k][i < DEVMEM_ORDERS ? i : DEVMEM_ORDERS - 1];

			*to = devmem_known_add(*to, rec_get_u64(c));
		}
	memcpy(f, v, sizeof(*f));
}

static int get_folios(const char *name, struct rec_cur *c, struct devmem_snapshot *s, char *err,
		      size_t errlen)
{
	__u64 off = c->base;
	__u32 orders, n;
	size_t i;

	orders = rec_get_u32(c);
	n = rec_get_u32(c);
	if (c->bad || orders < 1 || orders > REC_MAX_ORDERS ||
	    n != 1 + s->nr_devices + s->nr_ranges ||
	    (size_t)n * DEVMEM_FOLIO_KINDS * orders * 8 != c->left) {
		fail(name, err, errlen, off, "the folio section is malformed (%u orders, %u sets "
		     "for %zu devices and %zu ranges in %zu bytes); the frame is corrupted.", orders,
		     n, s->nr_devices, s->nr_ranges, c->left);
		return -EINVAL;
	}
	get_folio_counts(c, orders, &s->folios);
	for (i = 0; i < s->nr_devices; i++)
		get_folio_counts(c, orders, &s->devices[i].folios);
	for (i = 0; i < s->nr_ranges; i++)
		get_folio_counts(c, orders, &s->ranges[i].folios);
	return 0;
}

/* the tallies (format 4): more than ours are ignored, fewer leave the rest 0 */
static int get_tallies(const char *name, struct rec_cur *c, struct devmem_snapshot *s, char *err,
		       size_t errlen)
{
	__u64 off = c->base;
	__u32 n = rec_get_u32(c);

	rec_get_u32(c);
	if (c->bad || n > MAX_LOST || (size_t)n * 8 != c->left) {
		fail(name, err, errlen, off, "the tallies section is malformed (%u counts in %zu "
		     "bytes); the frame is corrupted.", n, c->left);
		return -EINVAL;
	}
	for (__u32 i = 0; i < n; i++) {
		__u64 v = rec_get_u64(c);

		if (i < DEVMEM_TALLY_KINDS)
			s->tallies[i] = v;
	}
	return 0;
}

int rec_get_section(const char *name, unsigned int version, __u32 tag, struct rec_cur *c,
		    struct devmem_snapshot *s, __u32 *seen, char *err, size_t errlen)
{
	if (tag < REC_SECTIONS) {
		if (*seen & (1U << tag)) {
			fail(name, err, errlen, c->base - 8, "a second section of tag %u; the frame "
			     "is corrupted.", tag);
			return -EINVAL;
		}
		*seen |= 1U << tag;
	}
	if (tag == REC_SEC_THRASH)
		return get_thrash(name, version, c, s, err, errlen);
	if (tag == REC_SEC_STACKS)
		return get_stacks(name, c, s, err, errlen);
	if (tag == REC_SEC_FOLIOS && version >= 4)
		return get_folios(name, c, s, err, errlen);
	if (tag == REC_SEC_TALLIES && version >= 4)
		return get_tallies(name, c, s, err, errlen);
	if (tag == REC_SEC_STACK_LOCS && version >= 4) {
		if (!(*seen & (1U << REC_SEC_STACKS))) {
			fail(name, err, errlen, c->base - 8, "stack locations before the stacks; "
			     "the frame is corrupted.");
			return -EINVAL;
		}
		return get_stack_locs(name, c, s, err, errlen);
	}
	return 0;	/* a later version's section */
}

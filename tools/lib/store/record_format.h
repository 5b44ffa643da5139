/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private to the recording files: the bytes of the formats
 * (docs/recording-format.md), shared by record_encode.c and record_decode.c
 * (one frame's payload), record_sections.c (its tagged sections),
 * recorder.c (writes) and record.c (reads). Tools use record.h.
 */
#ifndef DEVMEM_RECORD_FORMAT_H
#define DEVMEM_RECORD_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include "model/snapshot.h"

extern const char rec_file_magic[8];	/* "DEVMEMRC" */
#define FRAME_MAGIC		0x52464d44U	/* "DMFR" little-endian */
#define HEADER_LEN_V1		128U
#define HEADER_MAX		4096U
#define FRAME_HDR_LEN		16U
#define HOST_LEN		64U
#define NAME_LEN		64U
#define NOTE_MAX		255U
#define MAX_COUNTERS		64U
#define MAX_KINDS		16U
#define MAX_SLOTS		64U
#define MAX_LOST		64U
/* before format 4, a frame's loss counters: the losses, then the tallies (not lost) */
#define TALLY_SLOT(kind)	(DEVMEM_LOST_KINDS + (kind))

/* ---- little-endian encoding ---------------------------------------------- */

/* a growing output buffer; oom sticks once an allocation failed */
struct rec_buf {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

void rec_buf_put(struct rec_buf *b, const void *src, size_t n);
void rec_put_u32(struct rec_buf *b, __u32 v);
void rec_put_u64(struct rec_buf *b, __u64 v);
/* s in a field of exactly field bytes, NUL-padded (at most field - 1 of s) */
void rec_put_str(struct rec_buf *b, const char *s, size_t field);

static inline __u32 le32(const unsigned char *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

static inline __u64 le64(const unsigned char *p)
{
	return (__u64)le32(p) | (__u64)le32(p + 4) << 32;
}

static inline void set_le32(unsigned char *p, __u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* CRC-32 (zlib) of the header and of each frame */
__u32 rec_crc(const void *p, size_t n);

/* A cursor over bytes read; any overrun marks it bad at that offset. */
struct rec_cur {
	const unsigned char *p;
	size_t left;
	__u64 base;		/* file offset of p */
	bool bad;
	__u64 bad_off;
};

/* the next n bytes, or NULL (and the cursor bad) if fewer are left */
static inline const unsigned char *rec_take(struct rec_cur *c, size_t n)
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

static inline __u32 rec_get_u32(struct rec_cur *c)
{
	const unsigned char *p = rec_take(c, 4);

	return p ? le32(p) : 0;
}

static inline __u64 rec_get_u64(struct rec_cur *c)
{
	const unsigned char *p = rec_take(c, 8);

	return p ? le64(p) : 0;
}

/* a string field of field bytes into dst (dstlen), NUL-terminated */
void rec_get_str(struct rec_cur *c, char *dst, size_t field, size_t dstlen);

/* ---- one frame's payload -------------------------------------------------- */

#define REC_FRAME_FULL		0x1	/* frame flag: every live process is listed */
#define REC_PROC_HIST		0x1	/* process flags */
#define REC_PROC_EXITED		0x2
/* format 3 section tags, after the note; a reader skips tags it does not know */
#define REC_SEC_THRASH		1
#define REC_SEC_STACKS		2
#define REC_SEC_FOLIOS		3	/* format 4 */
#define REC_SEC_TALLIES		4	/* format 4 */
#define REC_SEC_STACK_LOCS	5	/* format 4: where the frames of the stacks of tag 2 are */
#define REC_SECTIONS		32	/* tags below this are checked for repeats */
#define REC_STACK_NAMES_MAX	(DEVMEM_STACK_DEPTH * 1024U)
#define REC_STACK_FILES_MAX	(DEVMEM_STACK_DEPTH * 4096U)
#define REC_FRAME_LOC_LEN	32U	/* u64 offset, u8 build_id_len, u8 flags, u8 id[20], 2 */
#define REC_MAX_ORDERS		64U

/*
 * Append one snapshot as a frame payload (current version) to b. With prev
 * (s's predecessor in this file, sorted) only processes that are new or
 * changed since are written; without, every process (a full frame).
 */
void rec_encode_payload(struct rec_buf *b, __u64 seq, __u64 realtime,
			const struct devmem_snapshot *s, const struct devmem_snapshot *prev);
/*
 * Parse one payload of the given format version (at file offset base) into
 * s, its frame number into seq and whether it lists every process into
 * full. 0, -EINVAL (the message names the file and offset) or -ENOMEM; the
 * caller checks the frame number and time against the frames before.
 */
int rec_parse_payload(const char *name, unsigned int version, const unsigned char *p,
		      size_t len, __u64 base, struct devmem_snapshot *s, __u64 *seq, bool *full,
		      char *err, size_t errlen);

/*
 * The tagged sections after the note (record_sections.c): the folios by
 * order and the tallies always (format 4), the thrash table and the stacks
 * when they are on, each of those two with only what changed since prev.
 */
void rec_put_sections(struct rec_buf *b, const struct devmem_snapshot *s,
		      const struct devmem_snapshot *prev);
/*
 * Read one section of a payload of the given version whose tag has been
 * read; c covers exactly its body; *seen has a bit for each tag met in
 * this frame (a known one twice is corruption). 0 (a tag unknown here is
 * skipped), -EINVAL with a message naming the file and offset, or -ENOMEM.
 */
int rec_get_section(const char *name, unsigned int version, __u32 tag, struct rec_cur *c,
		    struct devmem_snapshot *s, __u32 *seen, char *err, size_t errlen);

/* "NAME: offset OFF: " then the message, into err */
void rec_fail(char *err, size_t errlen, const char *name, __u64 off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif /* DEVMEM_RECORD_FORMAT_H */

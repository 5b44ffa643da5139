// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Reading recordings (docs/recording-format.md): open a file or a buffer,
 * check its header, and return its frames one snapshot at a time. The reader
 * trusts nothing: the frame checksums, lengths, numbers and times are checked
 * here, the payload by record_format.c, and every error names the file and
 * the byte offset.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "model/snapshot.h"
#include "model/stacks.h"
#include "model/thrash.h"
#include "store/record.h"
#include "store/record_format.h"

struct devmem_recording {
	char name[256];
	FILE *f;
	__u64 size;		/* of the file when opened */
	__u64 off;		/* of the next frame */
	__u64 frame_off;	/* of the frame last returned / the truncated one */
	struct devmem_recording_info info;
	__u64 session, first_seq, seq;
	bool have_seq;
	__u64 last_ts;
	bool truncated;
	bool failed;
	unsigned char *payload;
	size_t payload_cap;
	/* every process seen so far: a frame lists only those that changed */
	struct devmem_snapshot carry;
};

#define fail(r, err, errlen, offset, ...) rec_fail(err, errlen, (r)->name, offset, __VA_ARGS__)

/* read exactly n bytes at off; returns bytes read (short at end of file) */
static size_t read_at(struct devmem_recording *r, __u64 off, void *p, size_t n)
{
	if (fseeko(r->f, (off_t)off, SEEK_SET))
		return 0;
	return fread(p, 1, n, r->f);
}

static int open_common(struct devmem_recording *r, struct devmem_recording **out,
		       char *err, size_t errlen)
{
	unsigned char h[HEADER_MAX];
	__u32 version, hlen;
	size_t got;

	if (r->size == 0) {
		fail(r, err, errlen, 0, "the file is empty, not a recording; record one with "
		     "'devmemhist record -o FILE'.");
		return -EINVAL;
	}
	got = read_at(r, 0, h, r->size < 16 ? (size_t)r->size : 16);
	if (got < sizeof(rec_file_magic) || memcmp(h, rec_file_magic, sizeof(rec_file_magic))) {
		size_t n = got < sizeof(rec_file_magic) ? got : sizeof(rec_file_magic);

		if (got < sizeof(rec_file_magic) && !memcmp(h, rec_file_magic, n)) {
			fail(r, err, errlen, got, "the file ends inside the header (%llu bytes); "
			     "it was cut short before its first frame.",
			     (unsigned long long)r->size);
			return -EINVAL;
		}
		fail(r, err, errlen, 0, "not a devmem recording (bad magic); give a file "
		     "written by 'devmemhist record'.");
		return -EINVAL;
	}
	if (got < 16) {
		fail(r, err, errlen, got, "the file ends inside the header (%llu bytes); it was "
		     "cut short before its first frame.", (unsigned long long)r->size);
		return -EINVAL;
	}
	version = le32(h + 8);
	hlen = le32(h + 12);
	if (version < 1 || version > DEVMEM_RECORDING_VERSION) {
		fail(r, err, errlen, 8, "format version %u is not supported (this devmemhist "
		     "reads versions 1 to %u); read it with a devmemhist of the same release "
		     "as the recorder or a later one.", version, DEVMEM_RECORDING_VERSION);
		return -EINVAL;
	}
	if (hlen < HEADER_LEN_V1 || hlen > HEADER_MAX) {
		fail(r, err, errlen, 12, "header length %u is out of range (%u..%u); the file "
		     "is corrupted.", hlen, HEADER_LEN_V1, HEADER_MAX);
		return -EINVAL;
	}
	if (r->size < hlen) {
		fail(r, err, errlen, r->size, "the file ends inside the header (%llu of %u "
		     "bytes); it was cut short before its first frame.",
		     (unsigned long long)r->size, hlen);
		return -EINVAL;
	}
	if (read_at(r, 0, h, hlen) != hlen) {
		fail(r, err, errlen, 0, "cannot read the header: %s.", strerror(errno ?: EIO));
		return -EIO;
	}
	if (rec_crc(h, hlen - 4) != le32(h + hlen - 4)) {
		fail(r, err, errlen, hlen - 4, "header checksum mismatch; the file is "
		     "corrupted.");
		return -EINVAL;
	}
	r->info.version = version;
	r->session = le64(h + 16);
	r->info.start_realtime_ns = le64(h + 24);
	r->info.start_mono_ns = le64(h + 32);
	memcpy(r->info.host, h + 48, HOST_LEN);
	r->info.host[HOST_LEN - 1] = '\0';	/* as recorded: views filter it */
	r->first_seq = le64(h + 112);
	r->off = hlen;
	*out = r;
	return 0;
}

static void init_name(struct devmem_recording *r, const char *name)
{
	snprintf(r->name, sizeof(r->name), "%s", name);
}

int devmem_recording_open(const char *path, struct devmem_recording **out,
			  char *err, size_t errlen)
{
	struct devmem_recording *r;
	struct stat st;
	int ret;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "%s: out of memory.", path);
		return -ENOMEM;
	}
	init_name(r, path);
	r->f = fopen(path, "rb");
	if (!r->f) {
		ret = -errno;
		snprintf(err, errlen, "Cannot open the recording %s: %s.", path, strerror(-ret));
		free(r);
		return ret;
	}
	if (fstat(fileno(r->f), &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file; give a recording file.", path);
		devmem_recording_close(r);
		return -EINVAL;
	}
	r->size = (__u64)st.st_size;
	ret = open_common(r, out, err, errlen);
	if (ret)
		devmem_recording_close(r);
	return ret;
}

int devmem_recording_open_mem(const void *buf, size_t len, const char *name,
			      struct devmem_recording **out, char *err, size_t errlen)
{
	static const char empty[1];
	struct devmem_recording *r;
	int ret;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "%s: out of memory.", name);
		return -ENOMEM;
	}
	init_name(r, name);
	/* fmemopen wants a non-empty buffer; an empty file fails below anyway */
	r->f = fmemopen((void *)(len ? buf : empty), len ? len : 1, "rb");
	if (!r->f) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot read the buffer: %s.", name, strerror(-ret));
		free(r);
		return ret;
	}
	r->size = len;
	ret = open_common(r, out, err, errlen);
	if (ret)
		devmem_recording_close(r);
	return ret;
}

const struct devmem_recording_info *devmem_recording_info(const struct devmem_recording *r)
{
	return &r->info;
}

__u64 devmem_recording_session(const struct devmem_recording *r)
{
	return r->session;
}

__u64 devmem_recording_first_seq(const struct devmem_recording *r)
{
	return r->first_seq;
}

__u64 devmem_recording_seq(const struct devmem_recording *r)
{
	return r->seq;
}

__u64 devmem_recording_offset(const struct devmem_recording *r)
{
	return r->frame_off;
}

int devmem_recording_truncated(const struct devmem_recording *r)
{
	return r->truncated;
}

void devmem_recording_close(struct devmem_recording *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->payload);
	devmem_snapshot_free(&r->carry);
	free(r);
}

void devmem_recording_continue(struct devmem_recording *r, struct devmem_recording *before)
{
	devmem_snapshot_free(&r->carry);
	r->carry = before->carry;
	devmem_snapshot_init(&before->carry);
}
/* parse one payload into s and check it follows the frames before; 0 or -errno */
static int check_frame(struct devmem_recording *r, const unsigned char *p, size_t len,
		       __u64 base, struct devmem_snapshot *s, char *err, size_t errlen)
{
	__u64 seq;
	bool full;
	int ret;

	ret = rec_parse_payload(r->name, r->info.version, p, len, base, s, &seq, &full, err,
				errlen);
	if (ret)
		return ret;
	if (r->have_seq && seq != r->seq + 1) {
		fail(r, err, errlen, base, "frame number %llu follows frame %llu; the file is "
		     "corrupted or spliced.", (unsigned long long)seq,
		     (unsigned long long)r->seq);
		return -EINVAL;
	}
	if (!r->have_seq && seq != r->first_seq) {
		fail(r, err, errlen, base, "the first frame is number %llu but the header says "
		     "%llu; the file is corrupted.", (unsigned long long)seq,
		     (unsigned long long)r->first_seq);
		return -EINVAL;
	}
	if (s->ts_ns < r->info.start_mono_ns || (r->have_seq && s->ts_ns < r->last_ts)) {
		fail(r, err, errlen, base + 8, "the snapshot time goes backwards; the file is "
		     "corrupted.");
		return -EINVAL;
	}
	r->seq = seq;
	r->have_seq = true;
	r->last_ts = s->ts_ns;
	/* the frame's processes replace or join those carried; s gets them all */
	ret = devmem_snapshot_merge_procs(&r->carry, s);
	if (!ret) {
		free(s->procs);
		s->procs = NULL;
		s->nr_procs = 0;
		ret = devmem_snapshot_merge_procs(s, &r->carry);
	}
	/* pages and stacks are written when they change, like processes */
	if (!ret)
		ret = devmem_thrash_merge(&r->carry, s);
	if (!ret) {
		free(s->thrash);
		s->thrash = NULL;
		s->nr_thrash = 0;
		ret = devmem_thrash_merge(s, &r->carry);
	}
	if (!ret)
		ret = devmem_stacks_merge(&r->carry, s);
	if (!ret) {
		devmem_stacks_free(s->stacks, s->nr_stacks);
		s->stacks = NULL;
		s->nr_stacks = 0;
		ret = devmem_stacks_merge(s, &r->carry);
	}
	if (ret)
		snprintf(err, errlen, "%s: out of memory while reading a snapshot.", r->name);
	return ret;
}

/*
 * What to do with a file damaged at off: copy the frames before it into a
 * new file, and leave the evidence as it is. The name goes into the command
 * only where it needs no shell quoting.
 */
static const char *salvage(char *buf, size_t len, const char *name, __u64 off)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789._/+-,:@";
	const char *f = *name && !name[strspn(name, plain)] ? name : "FILE";

	snprintf(buf, len, "to use the frames before it, copy them with 'head -c %llu %s > %s.good' "
		 "and keep the file as it is", (unsigned long long)off, f, f);
	return buf;
}

int devmem_recording_next(struct devmem_recording *r, struct devmem_snapshot *s,
			  char *err, size_t errlen)
{
	unsigned char h[FRAME_HDR_LEN];
	char hint[1024];
	__u32 len, want;
	__u64 left;
	size_t got;
	int ret;

	devmem_snapshot_free(s);
	if (r->failed) {
		snprintf(err, errlen, "%s: reading stopped at an earlier error.", r->name);
		return -EINVAL;
	}
	if (r->truncated || r->off >= r->size)
		return 0;
	r->frame_off = r->off;
	left = r->size - r->off;
	want = left < FRAME_HDR_LEN ? (__u32)left : FRAME_HDR_LEN;
	got = read_at(r, r->off, h, want);
	if (got != want) {
		fail(r, err, errlen, r->off, "read error: %s.", strerror(errno ?: EIO));
		r->failed = true;
		return -EIO;
	}
	if (got < FRAME_HDR_LEN) {
		unsigned char m[4];

		set_le32(m, FRAME_MAGIC);
		if (memcmp(h, m, got < 4 ? got : 4)) {
			fail(r, err, errlen, r->off, "bad frame magic; the file is corrupted here "
			     "(%s).", salvage(hint, sizeof(hint), r->name, r->off));
			r->failed = true;
			return -EINVAL;
		}
		r->truncated = true;	/* killed while writing the frame header */
		return 0;
	}
	if (le32(h) != FRAME_MAGIC) {
		fail(r, err, errlen, r->off, "bad frame magic; the file is corrupted here (%s).",
		     salvage(hint, sizeof(hint), r->name, r->off));
		r->failed = true;
		return -EINVAL;
	}
	if (rec_crc(h, 12) != le32(h + 12)) {
		fail(r, err, errlen, r->off + 12, "frame header checksum mismatch; the file is "
		     "corrupted here (%s).", salvage(hint, sizeof(hint), r->name, r->off));
		r->failed = true;
		return -EINVAL;
	}
	len = le32(h + 4);
	if (len > DEVMEM_REC_MAX_FRAME || len < 64) {
		fail(r, err, errlen, r->off + 4, "frame length %u is out of range (64..%u); the "
		     "file is corrupted.", len, DEVMEM_REC_MAX_FRAME);
		r->failed = true;
		return -EINVAL;
	}
	if ((__u64)len > left - FRAME_HDR_LEN) {
		r->truncated = true;	/* killed while writing the payload */
		return 0;
	}
	if (len > r->payload_cap) {
		unsigned char *p = realloc(r->payload, len);

		if (!p) {
			snprintf(err, errlen, "%s: out of memory for a frame of %u bytes.",
				 r->name, len);
			r->failed = true;
			return -ENOMEM;
		}
		r->payload = p;
		r->payload_cap = len;
	}
	if (read_at(r, r->off + FRAME_HDR_LEN, r->payload, len) != len) {
		fail(r, err, errlen, r->off, "read error: %s.", strerror(errno ?: EIO));
		r->failed = true;
		return -EIO;
	}
	if (rec_crc(r->payload, len) != le32(h + 8)) {
		fail(r, err, errlen, r->off, "frame checksum mismatch; the file is corrupted "
		     "here (%s).", salvage(hint, sizeof(hint), r->name, r->off));
		r->failed = true;
		return -EINVAL;
	}
	ret = check_frame(r, r->payload, len, r->off + FRAME_HDR_LEN, s, err, errlen);
	if (ret) {
		devmem_snapshot_free(s);
		r->failed = true;
		return ret;
	}
	r->off += FRAME_HDR_LEN + len;
	return 1;
}


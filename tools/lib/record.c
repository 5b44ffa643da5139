// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Recording files (docs/recording-format.md): a versioned header, then
 * self-delimiting frames, each one snapshot with its own checksum, appended
 * with one write() and made durable before the next. The reader trusts
 * nothing: every count is checked against the bytes left before anything is
 * allocated, and every error names the file and the byte offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <zlib.h>
#include "record.h"

static const char file_magic[8] = { 'D', 'E', 'V', 'M', 'E', 'M', 'R', 'C' };
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

/* ---- little-endian encoding ---------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

static void buf_put(struct buf *b, const void *src, size_t n)
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

static void put_u32(struct buf *b, __u32 v)
{
	unsigned char x[4];

	for (int i = 0; i < 4; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	buf_put(b, x, 4);
}

static void put_u64(struct buf *b, __u64 v)
{
	unsigned char x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	buf_put(b, x, 8);
}

static void put_str(struct buf *b, const char *s, size_t field)
{
	char tmp[256] = { 0 };
	size_t n = strnlen(s, field - 1);

	memcpy(tmp, s, n);
	buf_put(b, tmp, field);
}

static __u32 le32(const unsigned char *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

static __u64 le64(const unsigned char *p)
{
	return (__u64)le32(p) | (__u64)le32(p + 4) << 32;
}

static void set_le32(unsigned char *p, __u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static __u32 crc(const void *p, size_t n)
{
	__u32 c = (__u32)crc32(0L, Z_NULL, 0);

	/* zlib takes uInt lengths; frames are capped far below that */
	return (__u32)crc32(c, p, (uInt)n);
}

/* ---- writing ------------------------------------------------------------- */

static void put_hist(struct buf *b, const struct devmem_hist *h)
{
	put_u64(b, h->count);
	put_u64(b, h->sum);
	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++)
		put_u64(b, h->slots[i]);
}

static void put_counters(struct buf *b, const struct devmem_counters *c)
{
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		put_u64(b, devmem_counters_cu64(c)[i]);
}

static __u64 realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* Encode one snapshot as a frame payload (format version 1). */
static void encode_payload(struct buf *b, __u64 seq, __u64 realtime,
			   const struct devmem_snapshot *s)
{
	size_t note_len = strnlen(s->note, sizeof(s->note));
	size_t i;

	if (note_len > NOTE_MAX)
		note_len = NOTE_MAX;
	put_u64(b, seq);
	put_u64(b, s->ts_ns);
	put_u64(b, realtime);
	put_u64(b, s->interval_ns);
	put_u32(b, (__u32)s->mode);
	put_u32(b, 0);				/* flags */
	put_u32(b, DEVMEM_NR_COUNTERS);
	put_u32(b, DEVMEM_HIST_KINDS);
	put_u32(b, DEVMEM_HIST_SLOTS);
	put_u32(b, DEVMEM_LOST_KINDS);
	put_u32(b, (__u32)s->nr_devices);
	put_u32(b, (__u32)s->nr_procs);
	put_u32(b, (__u32)s->nr_ranges);
	put_u32(b, (__u32)note_len);
	put_u64(b, s->recursion_misses);
	for (i = 0; i < DEVMEM_LOST_KINDS; i++)
		put_u64(b, s->lost[i]);
	put_counters(b, &s->total);
	for (i = 0; i < DEVMEM_HIST_KINDS; i++)
		put_hist(b, &s->hist[i]);
	for (i = 0; i < s->nr_devices; i++) {
		const struct devmem_device *d = &s->devices[i];

		put_u64(b, d->owner);
		put_u32(b, d->has_hist);
		put_u32(b, 0);
		put_counters(b, &d->c);
		if (d->has_hist)
			for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
				put_hist(b, &d->hist[k]);
	}
	for (i = 0; i < s->nr_procs; i++) {
		const struct devmem_process *p = &s->procs[i];

		put_u32(b, p->tgid);
		put_u32(b, p->has_hist);
		put_str(b, p->comm, DEVMEM_COMM_LEN);
		put_counters(b, &p->c);
		if (p->has_hist)
			for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
				put_hist(b, &p->hist[k]);
	}
	for (i = 0; i < s->nr_ranges; i++) {
		const struct devmem_snap_range *r = &s->ranges[i];

		put_u64(b, r->r.pgmap);
		put_u64(b, r->r.start);
		put_u64(b, r->r.end);
		put_u64(b, r->r.nr_pages);
		put_u64(b, r->r.owner);
		put_u64(b, r->r.added_ns);
		put_u64(b, r->r.removed_ns);
		put_u64(b, r->r.remove_done_ns);
		put_u64(b, r->r.in_use_at_remove);
		put_u32(b, r->r.nr_range);
		put_u32(b, r->r.type);
		put_u32(b, r->r.nid);
		put_u32(b, r->sources);
		put_u64(b, r->id);
		put_u64(b, r->in_use_at_start);
		put_u32(b, r->range_index);
		put_u32(b, 0);
		put_str(b, r->name, NAME_LEN);
	}
	buf_put(b, s->note, note_len);
}

struct devmem_recorder {
	char *path;
	int fd;
	struct devmem_record_opts opts;
	char host[HOST_LEN];
	__u64 session, start_realtime, start_mono;
	__u64 seq;		/* of the next frame */
	__u64 bytes;		/* size of the current file */
	unsigned int rotations;
	bool stopped;		/* cap reached without rotation */
};

static int fsync_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd, ret = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd))
			ret = -errno;
		close(fd);
	}
	free(dir);
	return ret;
}

/* write all of buf at the current end; on failure cut the file back */
static int append(struct devmem_recorder *r, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(r->fd, c + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int err = w < 0 ? -errno : -EIO;

			/* keep the file a valid prefix: drop the partial frame */
			if (ftruncate(r->fd, (off_t)r->bytes) == 0)
				lseek(r->fd, (off_t)r->bytes, SEEK_SET);
			return err;
		}
		done += (size_t)w;
	}
	if (fdatasync(r->fd))
		return -errno;
	r->bytes += n;
	return 0;
}

static int write_header(struct devmem_recorder *r)
{
	struct buf b = { 0 };
	int err;

	buf_put(&b, file_magic, sizeof(file_magic));
	put_u32(&b, DEVMEM_RECORDING_VERSION);
	put_u32(&b, HEADER_LEN_V1);
	put_u64(&b, r->session);
	put_u64(&b, r->start_realtime);
	put_u64(&b, r->start_mono);
	put_u64(&b, 0);				/* reserved */
	put_str(&b, r->host, HOST_LEN);
	put_u64(&b, r->seq);			/* first_seq */
	put_u32(&b, 0);				/* flags */
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	put_u32(&b, crc(b.p, b.len));
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	err = append(r, b.p, b.len);
	free(b.p);
	return err;
}

static int create_file(struct devmem_recorder *r, char *err, size_t errlen)
{
	int ret;

	r->fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (r->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "Cannot create the recording %s: %s; check the directory "
			 "exists and is writable.", r->path, strerror(-ret));
		return ret;
	}
	r->bytes = 0;
	ret = write_header(r);
	if (!ret)
		ret = fsync_dir(r->path);
	if (ret) {
		snprintf(err, errlen, "Cannot write the header of %s: %s; check the disk has "
			 "space.", r->path, strerror(-ret));
		close(r->fd);
		r->fd = -1;
	}
	return ret;
}

static char *numbered(const char *path, unsigned int i)
{
	char *s;

	if (asprintf(&s, "%s.%u", path, i) < 0)
		return NULL;
	return s;
}

/* path -> path.1 -> ... -> path.keep (the oldest is dropped) */
static int rotate_names(const char *path, unsigned int keep)
{
	for (unsigned int i = keep; i >= 1; i--) {
		char *from = i == 1 ? strdup(path) : numbered(path, i - 1);
		char *to = numbered(path, i);
		int ret = 0;

		if (!from || !to)
			ret = -ENOMEM;
		else if (rename(from, to) && errno != ENOENT)
			ret = -errno;
		free(from);
		free(to);
		if (ret)
			return ret;
	}
	return 0;
}

int devmem_recorder_open(const char *path, const struct devmem_record_opts *opts,
			 struct devmem_recorder **out, char *err, size_t errlen)
{
	struct devmem_recorder *r;
	struct utsname u;
	int ret;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path))) {
		free(r);
		snprintf(err, errlen, "Out of memory while opening %s.", path);
		return -ENOMEM;
	}
	r->fd = -1;
	if (opts)
		r->opts = *opts;
	r->opts.host = NULL;
	if (opts && opts->host)
		snprintf(r->host, sizeof(r->host), "%s", opts->host);
	else if (!uname(&u))
		memcpy(r->host, u.nodename, strnlen(u.nodename, sizeof(r->host) - 1));
	r->start_realtime = realtime_ns();
	r->start_mono = mono_ns();
	{
		/* identifies the parts of one recording across rotations */
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (fd < 0 || read(fd, &r->session, sizeof(r->session)) != sizeof(r->session))
			r->session = r->start_realtime ^ ((__u64)getpid() << 32);
		if (fd >= 0)
			close(fd);
	}
	if (r->opts.max_bytes && r->opts.max_bytes < HEADER_LEN_V1 + 4096) {
		snprintf(err, errlen, "The size cap of %llu bytes is too small for %s: give at "
			 "least %u bytes.", (unsigned long long)r->opts.max_bytes, path,
			 HEADER_LEN_V1 + 4096);
		devmem_recorder_close(r);
		return -EINVAL;
	}
	/* an earlier recording of the same name is kept as path.1 when rotating */
	if (r->opts.keep && access(path, F_OK) == 0) {
		ret = rotate_names(path, r->opts.keep);
		if (ret) {
			snprintf(err, errlen, "Cannot rotate the earlier recording %s: %s.", path,
				 strerror(-ret));
			devmem_recorder_close(r);
			return ret;
		}
	}
	ret = create_file(r, err, errlen);
	if (ret) {
		devmem_recorder_close(r);
		return ret;
	}
	*out = r;
	return 0;
}

int devmem_recorder_write(struct devmem_recorder *r, const struct devmem_snapshot *s,
			  char *err, size_t errlen)
{
	struct buf b = { 0 };
	unsigned char *frame;
	int ret;

	if (r->stopped || r->fd < 0) {
		snprintf(err, errlen, "The recording %s is closed (its size cap was reached).",
			 r->path);
		return DEVMEM_REC_CAP_REACHED;
	}
	/* frame header first, filled in once the payload is known */
	buf_put(&b, (unsigned char[FRAME_HDR_LEN]){ 0 }, FRAME_HDR_LEN);
	encode_payload(&b, r->seq, realtime_ns(), s);
	if (b.oom) {
		free(b.p);
		snprintf(err, errlen, "Out of memory while encoding a snapshot for %s.", r->path);
		return -ENOMEM;
	}
	if (b.len - FRAME_HDR_LEN > DEVMEM_REC_MAX_FRAME) {
		free(b.p);
		snprintf(err, errlen, "A snapshot is larger than the format's frame limit of %u "
			 "bytes; trace fewer processes (-p PID).", DEVMEM_REC_MAX_FRAME);
		return -E2BIG;
	}
	frame = b.p;
	set_le32(frame, FRAME_MAGIC);
	set_le32(frame + 4, (__u32)(b.len - FRAME_HDR_LEN));
	set_le32(frame + 8, crc(frame + FRAME_HDR_LEN, b.len - FRAME_HDR_LEN));
	set_le32(frame + 12, crc(frame, 12));

	if (r->opts.max_bytes && r->bytes + b.len > r->opts.max_bytes) {
		if (!r->opts.keep || HEADER_LEN_V1 + b.len > r->opts.max_bytes) {
			free(b.p);
			close(r->fd);
			r->fd = -1;
			r->stopped = true;
			snprintf(err, errlen, "The recording %s reached its size cap of %llu bytes and "
				 "was closed; raise the cap with -s or rotate with -k N.", r->path,
				 (unsigned long long)r->opts.max_bytes);
			return DEVMEM_REC_CAP_REACHED;
		}
		close(r->fd);
		r->fd = -1;
		ret = rotate_names(r->path, r->opts.keep);
		if (ret) {
			free(b.p);
			snprintf(err, errlen, "Cannot rotate the recording %s: %s.", r->path,
				 strerror(-ret));
			return ret;
		}
		r->rotations++;
		ret = create_file(r, err, errlen);
		if (ret) {
			free(b.p);
			return ret;
		}
	}
	ret = append(r, b.p, b.len);
	free(b.p);
	if (ret) {
		snprintf(err, errlen, "Cannot write a snapshot to %s: %s; the frames before it "
			 "are intact.", r->path, strerror(-ret));
		return ret;
	}
	r->seq++;
	return 0;
}

__u64 devmem_recorder_bytes(const struct devmem_recorder *r)
{
	return r->bytes;
}

unsigned int devmem_recorder_rotations(const struct devmem_recorder *r)
{
	return r->rotations;
}

void devmem_recorder_close(struct devmem_recorder *r)
{
	if (!r)
		return;
	if (r->fd >= 0) {
		fsync(r->fd);
		close(r->fd);
	}
	free(r->path);
	free(r);
}

/* ---- reading ------------------------------------------------------------- */

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
};

#define fail(r, err, errlen, offset, ...)                                            \
	do {                                                                        \
		int _n = snprintf(err, errlen, "%s: offset %llu: ", (r)->name,      \
				  (unsigned long long)(offset));                    \
		if (_n >= 0 && (size_t)_n < (errlen))                               \
			snprintf((err) + _n, (errlen) - (size_t)_n, __VA_ARGS__);   \
	} while (0)

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
	if (got < sizeof(file_magic) || memcmp(h, file_magic, sizeof(file_magic))) {
		size_t n = got < sizeof(file_magic) ? got : sizeof(file_magic);

		if (got < sizeof(file_magic) && !memcmp(h, file_magic, n)) {
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
	if (version != DEVMEM_RECORDING_VERSION) {
		fail(r, err, errlen, 8, "format version %u is not supported (this devmemhist "
		     "reads version %u); report it with a devmemhist of the same release as "
		     "the recorder.", version, DEVMEM_RECORDING_VERSION);
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
	if (crc(h, hlen - 4) != le32(h + hlen - 4)) {
		fail(r, err, errlen, hlen - 4, "header checksum mismatch; the file is "
		     "corrupted.");
		return -EINVAL;
	}
	r->info.version = version;
	r->session = le64(h + 16);
	r->info.start_realtime_ns = le64(h + 24);
	r->info.start_mono_ns = le64(h + 32);
	memcpy(r->info.host, h + 48, HOST_LEN);
	r->info.host[HOST_LEN - 1] = '\0';
	for (char *c = r->info.host; *c; c++)	/* printable only: it goes to terminals */
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
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
	free(r);
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

/* parse one payload into s; returns 0 or -EINVAL with the message set */
static int parse_payload(struct devmem_recording *r, const unsigned char *p, size_t len,
			 __u64 base, struct devmem_snapshot *s, char *err, size_t errlen)
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
		fail(r, err, errlen, field_off, "unknown attachment mode %u; the frame is "
		     "corrupted.", mode);
		return -EINVAL;
	}
	s->mode = (enum devmem_mode)mode;
	if (l.nr_counters < 1 || l.nr_counters > MAX_COUNTERS || l.nr_kinds > MAX_KINDS ||
	    l.nr_slots < 1 || l.nr_slots > MAX_SLOTS || l.nr_lost > MAX_LOST) {
		fail(r, err, errlen, field_off + 8, "absurd layout (%u counters, %u histogram "
		     "kinds, %u slots, %u loss counters); the frame is corrupted.",
		     l.nr_counters, l.nr_kinds, l.nr_slots, l.nr_lost);
		return -EINVAL;
	}
	if (nr_dev > DEVMEM_REC_MAX_DEVICES || nr_proc > DEVMEM_REC_MAX_PROCS ||
	    nr_range > DEVMEM_REC_MAX_RANGES || note_len > NOTE_MAX) {
		fail(r, err, errlen, field_off + 24, "absurd counts (%u devices, %u processes, "
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
		fail(r, err, errlen, field_off + 24, "the counts (%u devices, %u processes, "
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
			fail(r, err, errlen, field_off, "device %zu has a bad histogram flag %u; "
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
			fail(r, err, errlen, field_off, "process %zu has a bad histogram flag %u; "
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
		fail(r, err, errlen, c.base, "%zu unexpected bytes after the snapshot; the frame "
		     "is corrupted.", c.left);
		return -EINVAL;
	}
	/* one entry per device, process: a duplicate would be counted twice */
	devmem_snapshot_sort(s);
	for (i = 1; i < s->nr_devices; i++)
		if (!strcmp(s->devices[i].name, s->devices[i - 1].name)) {
			fail(r, err, errlen, base, "device 0x%llx appears twice in one snapshot; "
			     "the frame is corrupted.", (unsigned long long)s->devices[i].owner);
			return -EINVAL;
		}
	for (i = 1; i < s->nr_procs; i++)
		if (s->procs[i].tgid == s->procs[i - 1].tgid) {
			fail(r, err, errlen, base, "process %u appears twice in one snapshot; the "
			     "frame is corrupted.", s->procs[i].tgid);
			return -EINVAL;
		}
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
	return 0;

short_payload:
	fail(r, err, errlen, c.bad_off, "the snapshot ends early (its fields overrun the "
	     "frame length); the frame is corrupted.");
	return -EINVAL;
oom:
	snprintf(err, errlen, "%s: out of memory while reading a snapshot.", r->name);
	return -ENOMEM;
}

int devmem_recording_next(struct devmem_recording *r, struct devmem_snapshot *s,
			  char *err, size_t errlen)
{
	unsigned char h[FRAME_HDR_LEN];
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
			     "(cut it there with 'truncate -s %llu' to use the frames before).",
			     (unsigned long long)r->off);
			r->failed = true;
			return -EINVAL;
		}
		r->truncated = true;	/* killed while writing the frame header */
		return 0;
	}
	if (le32(h) != FRAME_MAGIC) {
		fail(r, err, errlen, r->off, "bad frame magic; the file is corrupted here (cut it "
		     "there with 'truncate -s %llu' to use the frames before).",
		     (unsigned long long)r->off);
		r->failed = true;
		return -EINVAL;
	}
	if (crc(h, 12) != le32(h + 12)) {
		fail(r, err, errlen, r->off + 12, "frame header checksum mismatch; the file is "
		     "corrupted here (cut it there with 'truncate -s %llu' to use the frames "
		     "before).", (unsigned long long)r->off);
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
	if (crc(r->payload, len) != le32(h + 8)) {
		fail(r, err, errlen, r->off, "frame checksum mismatch; the file is corrupted "
		     "here (cut it there with 'truncate -s %llu' to use the frames before).",
		     (unsigned long long)r->off);
		r->failed = true;
		return -EINVAL;
	}
	ret = parse_payload(r, r->payload, len, r->off + FRAME_HDR_LEN, s, err, errlen);
	if (ret) {
		devmem_snapshot_free(s);
		r->failed = true;
		return ret;
	}
	r->off += FRAME_HDR_LEN + len;
	return 1;
}

/* ---- merging -------------------------------------------------------------- */

static void hists_add(struct devmem_hist *dst, const struct devmem_hist *src)
{
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
		devmem_hist_merge(&dst[k], &src[k]);
}

int devmem_snapshot_add(struct devmem_snapshot *dst, const struct devmem_snapshot *src)
{
	size_t i;

	devmem_counters_add(&dst->total, &src->total);
	hists_add(dst->hist, src->hist);
	for (i = 0; i < DEVMEM_LOST_KINDS; i++)
		dst->lost[i] += src->lost[i];
	dst->recursion_misses += src->recursion_misses;
	dst->interval_ns += src->interval_ns;
	if (src->ts_ns > dst->ts_ns)
		dst->ts_ns = src->ts_ns;
	if (dst->mode == DEVMEM_MODE_NONE)
		dst->mode = src->mode;
	for (i = 0; i < src->nr_devices; i++) {
		const struct devmem_device *s = &src->devices[i];
		struct devmem_device *d = devmem_snapshot_device(dst, s->name);

		if (!d)
			return -ENOMEM;
		devmem_counters_add(&d->c, &s->c);
		if (s->has_hist) {
			d->has_hist = true;
			hists_add(d->hist, s->hist);
		}
	}
	for (i = 0; i < src->nr_procs; i++) {
		const struct devmem_process *s = &src->procs[i];
		struct devmem_process *p = devmem_snapshot_process(dst, s->tgid, s->start_ns);

		if (!p)
			return -ENOMEM;
		if (!p->comm[0])
			memcpy(p->comm, s->comm, sizeof(p->comm));
		devmem_counters_add(&p->c, &s->c);
		if (s->has_hist) {
			p->has_hist = true;
			hists_add(p->hist, s->hist);
		}
	}
	for (i = 0; i < src->nr_ranges; i++) {
		const struct devmem_snap_range *s = &src->ranges[i];
		struct devmem_snap_range *g = devmem_snapshot_range(dst, s->r.gen, s->r.start);

		if (!g)
			return -ENOMEM;
		*g = *s;
	}
	if (!dst->note[0])
		memcpy(dst->note, src->note, sizeof(dst->note));
	return 0;
}

/* ---- windows ---------------------------------------------------------------- */

static int parse_bound(const char *s, double *v, bool *absolute, char *err, size_t errlen)
{
	char *end;

	*absolute = false;
	if (*s == '@') {
		*absolute = true;
		errno = 0;
		*v = strtod(s + 1, &end);
		if (end == s + 1 || *end || errno || !isfinite(*v) || *v < 0)
			goto bad;
		return 0;
	}
	if (strchr(s, '-') && strchr(s, 'T')) {
		struct tm tm = { 0 };
		const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
		time_t t;

		if (!rest || (*rest && strcmp(rest, "Z")))
			goto bad;
		tm.tm_isdst = -1;
		t = *rest ? timegm(&tm) : mktime(&tm);
		if (t == (time_t)-1)
			goto bad;
		*absolute = true;
		*v = (double)t;
		return 0;
	}
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(*v) || *v < 0)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "Bad window bound '%s': give seconds since the recording started "
		 "(10.5), @EPOCH_SECONDS or YYYY-MM-DDTHH:MM:SS[Z].", s);
	return -EINVAL;
}

int devmem_window_parse(const char *arg, struct devmem_window *w, char *err, size_t errlen)
{
	char buf[128], *comma;
	bool abs_start = false, abs_end = false;

	memset(w, 0, sizeof(*w));
	if (strlen(arg) >= sizeof(buf) || !(comma = strchr(strcpy(buf, arg), ','))) {
		snprintf(err, errlen, "Bad window '%s': give START,END (either may be empty), "
			 "e.g. -w 10,60.", arg);
		return -EINVAL;
	}
	*comma = '\0';
	if (buf[0]) {
		if (parse_bound(buf, &w->start, &abs_start, err, errlen))
			return -EINVAL;
		w->has_start = true;
	}
	if (comma[1]) {
		if (parse_bound(comma + 1, &w->end, &abs_end, err, errlen))
			return -EINVAL;
		w->has_end = true;
	}
	if (w->has_start && w->has_end && abs_start != abs_end) {
		snprintf(err, errlen, "Bad window '%s': both bounds must be relative seconds or "
			 "both absolute times.", arg);
		return -EINVAL;
	}
	w->absolute = abs_start || abs_end;
	if (w->has_start && w->has_end && w->end < w->start) {
		snprintf(err, errlen, "Bad window '%s': the end is before the start.", arg);
		return -EINVAL;
	}
	return 0;
}

/* ---- report: read, group by recording, window, sum ----------------------- */

struct part {
	const char *path;
	__u64 session, first_seq;
	struct devmem_recording_info info;
};

static int cmp_part(const void *a, const void *b)
{
	const struct part *x = a, *y = b;

	if (x->session != y->session)
		return x->session < y->session ? -1 : 1;
	return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

/* seconds on the window's scale: relative to the recording or the epoch */
static double frame_time(const struct devmem_recording_info *i, __u64 ts, bool absolute)
{
	double rel = (double)(ts - i->start_mono_ns) / 1e9;

	return absolute ? (double)i->start_realtime_ns / 1e9 + rel : rel;
}

static int add_point(struct devmem_rec_stream *st, const struct devmem_snapshot *cur,
		     const struct devmem_snapshot *prev, const struct devmem_recording_info *info)
{
	struct devmem_rec_point *pt;
	struct devmem_snapshot d;
	int ret;

	if (!(st->nr_points & (st->nr_points + 1)) || st->nr_points == 0) {
		size_t cap = st->nr_points ? (st->nr_points + 1) * 2 : 16;
		void *p = realloc(st->points, cap * sizeof(*pt));

		if (!p)
			return -ENOMEM;
		st->points = p;
	}
	devmem_snapshot_init(&d);
	ret = devmem_snapshot_delta(&d, cur, prev);
	if (ret)
		return ret;
	pt = &st->points[st->nr_points++];
	memset(pt, 0, sizeof(*pt));
	pt->t = frame_time(info, cur->ts_ns, false);
	pt->dt = (double)d.interval_ns / 1e9;
	pt->c = d.total;
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
		pt->hist_count[k] = devmem_hist_total(&d.hist[k]);
	devmem_snapshot_free(&d);
	return 0;
}

static int load_stream(struct devmem_rec_report *rep, struct part *parts, size_t n,
		       const struct devmem_window *w, char *err, size_t errlen)
{
	struct devmem_rec_stream *st;
	struct devmem_snapshot base, last, prev, cur, delta;
	bool have_base = false, have_last = false, have_prev = false;
	const struct devmem_recording_info *info0 = &parts[0].info;
	double from = 0;
	int ret = 0;

	st = &rep->streams[rep->nr_streams++];
	memset(st, 0, sizeof(*st));
	snprintf(st->host, sizeof(st->host), "%s", info0->host);
	snprintf(st->first_path, sizeof(st->first_path), "%s", parts[0].path);
	st->session = parts[0].session;
	st->start_realtime_ns = info0->start_realtime_ns;
	st->nr_files = (unsigned int)n;
	devmem_snapshot_init(&base);
	devmem_snapshot_init(&last);
	devmem_snapshot_init(&prev);
	devmem_snapshot_init(&cur);
	devmem_snapshot_init(&delta);

	/* the recording starts from zero before frame 0 */
	if (parts[0].first_seq == 0 &&
	    (!w->has_start || w->start <= frame_time(info0, info0->start_mono_ns, w->absolute))) {
		have_base = have_prev = true;
		st->from_zero = true;
		from = 0;
		base.ts_ns = prev.ts_ns = info0->start_mono_ns;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		struct devmem_recording *r;

		if (i && parts[i].first_seq == parts[i - 1].first_seq) {
			snprintf(err, errlen, "%s and %s hold the same part of one recording: give "
				 "each file once.", parts[i - 1].path, parts[i].path);
			ret = -EINVAL;
			break;
		}
		if (parts[i].info.start_mono_ns != info0->start_mono_ns ||
		    parts[i].info.start_realtime_ns != info0->start_realtime_ns) {
			snprintf(err, errlen, "%s: offset 24: its start time differs from %s of the "
				 "same recording; the file is corrupted.", parts[i].path,
				 parts[0].path);
			ret = -EINVAL;
			break;
		}
		ret = devmem_recording_open(parts[i].path, &r, err, errlen);
		if (ret)
			break;
		while ((ret = devmem_recording_next(r, &cur, err, errlen)) == 1) {
			double t = frame_time(info0, cur.ts_ns, w->absolute);

			st->frames++;
			if (w->has_start && t <= w->start) {
				/* at or before the start: the newest one is the baseline */
				devmem_snapshot_free(&base);
				base = cur;
				devmem_snapshot_init(&cur);
				have_base = true;
				st->from_zero = false;
				from = frame_time(info0, base.ts_ns, false);
				have_prev = false;
				continue;
			}
			if (w->has_end && t > w->end)
				continue;	/* keep reading: the whole file is validated */
			if (!have_base) {
				base = cur;
				devmem_snapshot_init(&cur);
				have_base = true;
				from = frame_time(info0, base.ts_ns, false);
				st->frames_in_window++;
				continue;
			}
			st->frames_in_window++;
			ret = add_point(st, &cur, have_prev ? &prev : &base, info0);
			if (ret) {
				snprintf(err, errlen, "Out of memory while reading %s.", parts[i].path);
				break;
			}
			devmem_snapshot_free(&prev);
			ret = devmem_snapshot_copy(&prev, &cur);
			if (ret)
				break;
			have_prev = true;
			devmem_snapshot_free(&last);
			last = cur;
			devmem_snapshot_init(&cur);
			have_last = true;
		}
		if (devmem_recording_truncated(r))
			st->truncated = true;
		devmem_recording_close(r);
		if (ret > 0)
			ret = 0;
	}
	if (!ret && have_last) {
		ret = devmem_snapshot_delta(&delta, &last, &base);
		if (!ret)
			ret = devmem_snapshot_add(&rep->total, &delta);
		if (ret)
			snprintf(err, errlen, "Out of memory while summing the recordings.");
		st->from = from;
		st->to = frame_time(info0, last.ts_ns, false);
	} else if (!ret) {
		st->from = st->to = from;
	}
	devmem_snapshot_free(&base);
	devmem_snapshot_free(&last);
	devmem_snapshot_free(&prev);
	devmem_snapshot_free(&cur);
	devmem_snapshot_free(&delta);
	return ret;
}

int devmem_rec_report_load(struct devmem_rec_report *rep, const char *const *paths,
			   size_t nr_paths, const struct devmem_window *w,
			   char *err, size_t errlen)
{
	static const struct devmem_window all;
	struct part *parts;
	size_t i, start;
	int ret = 0;

	memset(rep, 0, sizeof(*rep));
	devmem_snapshot_init(&rep->total);
	if (!w)
		w = &all;
	rep->window = *w;
	if (!nr_paths) {
		snprintf(err, errlen, "No recording given: name one or more files written by "
			 "'devmemhist record'.");
		return -EINVAL;
	}
	parts = calloc(nr_paths, sizeof(*parts));
	rep->streams = calloc(nr_paths, sizeof(*rep->streams));
	if (!parts || !rep->streams) {
		free(parts);
		snprintf(err, errlen, "Out of memory.");
		return -ENOMEM;
	}
	/* headers first: they say which files are parts of one recording */
	for (i = 0; i < nr_paths && !ret; i++) {
		struct devmem_recording *r;

		ret = devmem_recording_open(paths[i], &r, err, errlen);
		if (ret)
			break;
		parts[i].path = paths[i];
		parts[i].session = devmem_recording_session(r);
		parts[i].first_seq = devmem_recording_first_seq(r);
		parts[i].info = *devmem_recording_info(r);
		devmem_recording_close(r);
	}
	if (!ret)
		qsort(parts, nr_paths, sizeof(*parts), cmp_part);
	for (start = 0, i = 1; !ret && i <= nr_paths; i++) {
		if (i < nr_paths && parts[i].session == parts[start].session)
			continue;
		ret = load_stream(rep, parts + start, i - start, w, err, errlen);
		start = i;
	}
	free(parts);
	if (!ret)
		devmem_snapshot_sort(&rep->total);
	return ret;
}

void devmem_rec_report_free(struct devmem_rec_report *rep)
{
	for (size_t i = 0; i < rep->nr_streams; i++)
		free(rep->streams[i].points);
	free(rep->streams);
	devmem_snapshot_free(&rep->total);
	memset(rep, 0, sizeof(*rep));
}

/* ---- JSON (jansson) -------------------------------------------------------- */
#include <jansson.h>

const double devmem_rec_percentiles[3] = { 50.0, 90.0, 99.0 };

static json_t *counters_json(const struct devmem_counters *c)
{
	json_t *o = json_object();

	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		json_object_set_new(o, devmem_counter_names[i],
				    json_integer((json_int_t)devmem_counters_cu64(c)[i]));
	return o;
}

static json_t *hist_json(const struct devmem_hist *h, enum devmem_hist_kind kind)
{
	json_t *o = json_object(), *b = json_array(), *p = json_object();

	json_object_set_new(o, "unit", json_string(devmem_hist_kind_unit(kind)));
	json_object_set_new(o, "count", json_integer((json_int_t)devmem_hist_total(h)));
	json_object_set_new(o, "sum", json_integer((json_int_t)h->sum));
	json_object_set_new(o, "mean", json_real(devmem_hist_mean(h)));
	for (unsigned int i = 0; i < 3; i++) {
		struct devmem_percentile pc;
		char key[16];

		snprintf(key, sizeof(key), "p%g", devmem_rec_percentiles[i]);
		if (devmem_hist_percentile(h, devmem_rec_percentiles[i], &pc))
			json_object_set_new(p, key, json_null());
		else
			json_object_set_new(p, key, json_pack("{s:f,s:I,s:I,s:b}", "value",
							      pc.value, "low", (json_int_t)pc.low,
							      "high", (json_int_t)pc.high,
							      "saturated", pc.saturated));
	}
	json_object_set_new(o, "percentiles", p);
	for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++) {
		json_t *e;

		if (!h->slots[i])
			continue;
		e = json_pack("{s:I,s:I}", "low", (json_int_t)devmem_hist_slot_low(i),
			      "count", (json_int_t)h->slots[i]);
		/* the last slot has no upper bound */
		json_object_set_new(e, "high", i == DEVMEM_HIST_SLOTS - 1 ? json_null() :
				    json_integer((json_int_t)devmem_hist_slot_high(i)));
		json_array_append_new(b, e);
	}
	json_object_set_new(o, "buckets", b);
	return o;
}

static json_t *hists_json(const struct devmem_hist *h)
{
	json_t *o = json_object();

	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
		json_object_set_new(o, devmem_hist_kind_name(k), hist_json(&h[k], k));
	return o;
}

int devmem_rec_report_json(FILE *out, const struct devmem_rec_report *rep, unsigned int flags)
{
	const struct devmem_snapshot *s = &rep->total;
	json_t *root = json_object(), *recs = json_array(), *lost = json_object(), *win;
	char hex[32];
	int ret;

	if (!root || !recs || !lost)
		return -ENOMEM;
	json_object_set_new(root, "format_version", json_integer(DEVMEM_RECORDING_VERSION));
	if (rep->window.has_start || rep->window.has_end) {
		win = json_object();
		json_object_set_new(win, "absolute", json_boolean(rep->window.absolute));
		json_object_set_new(win, "start", rep->window.has_start ?
				    json_real(rep->window.start) : json_null());
		json_object_set_new(win, "end", rep->window.has_end ?
				    json_real(rep->window.end) : json_null());
	} else {
		win = json_null();
	}
	json_object_set_new(root, "window", win);
	for (size_t i = 0; i < rep->nr_streams; i++) {
		const struct devmem_rec_stream *st = &rep->streams[i];

		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)st->session);
		json_array_append_new(recs, json_pack(
			"{s:s,s:s,s:s,s:I,s:I,s:I,s:f,s:f,s:b,s:b,s:f}",
			"host", st->host, "session", hex, "file", st->first_path,
			"files", (json_int_t)st->nr_files, "frames", (json_int_t)st->frames,
			"frames_in_window", (json_int_t)st->frames_in_window,
			"from", st->from, "to", st->to, "from_start", st->from_zero,
			"truncated", st->truncated,
			"start_realtime", (double)st->start_realtime_ns / 1e9));
	}
	json_object_set_new(root, "recordings", recs);
	json_object_set_new(root, "counters", counters_json(&s->total));
	for (unsigned int i = 0; i < DEVMEM_LOST_KINDS; i++)
		json_object_set_new(lost, devmem_lost_names[i], json_integer((json_int_t)s->lost[i]));
	json_object_set_new(lost, "recursion_misses", json_integer((json_int_t)s->recursion_misses));
	json_object_set_new(root, "lost", lost);
	json_object_set_new(root, "histograms", hists_json(s->hist));
	if (flags & DEVMEM_REC_JSON_DEVICES) {
		json_t *a = json_array();

		for (size_t i = 0; i < s->nr_devices; i++) {
			const struct devmem_device *d = &s->devices[i];
			json_t *o = json_object();

			snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)d->owner);
			json_object_set_new(o, "owner", json_string(hex));
			json_object_set_new(o, "counters", counters_json(&d->c));
			json_object_set_new(o, "histograms", d->has_hist ? hists_json(d->hist) :
					    json_null());
			json_array_append_new(a, o);
		}
		json_object_set_new(root, "devices", a);
	}
	if (flags & DEVMEM_REC_JSON_PROCESSES) {
		json_t *a = json_array();

		for (size_t i = 0; i < s->nr_procs; i++) {
			const struct devmem_process *p = &s->procs[i];
			json_t *o = json_object();

			json_object_set_new(o, "tgid", json_integer(p->tgid));
			json_object_set_new(o, "comm", json_string(p->comm));
			json_object_set_new(o, "counters", counters_json(&p->c));
			json_object_set_new(o, "histograms", p->has_hist ? hists_json(p->hist) :
					    json_null());
			json_array_append_new(a, o);
		}
		json_object_set_new(root, "processes", a);
	}
	ret = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
	return ret ? -EIO : 0;
}

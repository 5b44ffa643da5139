// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Writing recordings (docs/recording-format.md): a versioned header, then one
 * frame per snapshot, appended with one write() and made durable before the
 * next, so a crash loses at most the frame being written. At a size cap the
 * file is rotated (path -> path.1 -> ...) or the recording stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "model/snapshot.h"
#include "model/stacks.h"
#include "model/thrash.h"
#include "store/record.h"
#include "store/record_format.h"

static __u64 realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
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
	/* the processes of the last frame of this file: the next lists changes */
	struct devmem_snapshot last;
	bool have_last;
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
	struct rec_buf b = { 0 };
	int err;

	rec_buf_put(&b, rec_file_magic, sizeof(rec_file_magic));
	rec_put_u32(&b, DEVMEM_RECORDING_VERSION);
	rec_put_u32(&b, HEADER_LEN_V1);
	rec_put_u64(&b, r->session);
	rec_put_u64(&b, r->start_realtime);
	rec_put_u64(&b, r->start_mono);
	rec_put_u64(&b, 0);				/* reserved */
	rec_put_str(&b, r->host, HOST_LEN);
	rec_put_u64(&b, r->seq);			/* first_seq */
	rec_put_u32(&b, 0);				/* flags */
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	rec_put_u32(&b, rec_crc(b.p, b.len));
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
	r->start_mono = devmem_mono_ns();
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

/* a whole frame into b: header, then the payload; 0 or -ENOMEM / -E2BIG */
static int encode_frame(struct devmem_recorder *r, struct rec_buf *b,
			const struct devmem_snapshot *s, const struct devmem_snapshot *prev)
{
	unsigned char *frame;

	/* frame header first, filled in once the payload is known */
	rec_buf_put(b, (unsigned char[FRAME_HDR_LEN]){ 0 }, FRAME_HDR_LEN);
	rec_encode_payload(b, r->seq, realtime_ns(), s, prev);
	if (b->oom)
		return -ENOMEM;
	if (b->len - FRAME_HDR_LEN > DEVMEM_REC_MAX_FRAME)
		return -E2BIG;
	frame = b->p;
	set_le32(frame, FRAME_MAGIC);
	set_le32(frame + 4, (__u32)(b->len - FRAME_HDR_LEN));
	set_le32(frame + 8, rec_crc(frame + FRAME_HDR_LEN, b->len - FRAME_HDR_LEN));
	set_le32(frame + 12, rec_crc(frame, 12));
	return 0;
}

int devmem_recorder_write(struct devmem_recorder *r, const struct devmem_snapshot *s,
			  char *err, size_t errlen)
{
	struct rec_buf b = { 0 };
	int ret;

	if (r->stopped || r->fd < 0) {
		snprintf(err, errlen, "The recording %s is closed (its size cap was reached).",
			 r->path);
		return DEVMEM_REC_CAP_REACHED;
	}
	ret = encode_frame(r, &b, s, r->have_last ? &r->last : NULL);
	if (ret == -E2BIG) {
		free(b.p);
		snprintf(err, errlen, "A snapshot is larger than the format's frame limit of %u "
			 "bytes; trace fewer processes (-p PID).", DEVMEM_REC_MAX_FRAME);
		return -E2BIG;
	}
	if (ret) {
		free(b.p);
		snprintf(err, errlen, "Out of memory while encoding a snapshot for %s.", r->path);
		return -ENOMEM;
	}

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
		/* a new file starts with every process, so it can be read alone */
		free(b.p);
		b = (struct rec_buf){ 0 };
		ret = encode_frame(r, &b, s, NULL);
		if (ret) {
			free(b.p);
			snprintf(err, errlen, "Out of memory while encoding a snapshot for %s.",
				 r->path);
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
	/* what the next frame compares with */
	free(r->last.procs);
	r->last.procs = NULL;
	r->last.nr_procs = 0;
	free(r->last.thrash);
	r->last.thrash = NULL;
	r->last.nr_thrash = 0;
	devmem_stacks_free(r->last.stacks, r->last.nr_stacks);
	r->last.stacks = NULL;
	r->last.nr_stacks = 0;
	r->have_last = !devmem_snapshot_merge_procs(&r->last, s) &&
		       !devmem_thrash_merge(&r->last, s) && !devmem_stacks_merge(&r->last, s);
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
	devmem_snapshot_free(&r->last);
	free(r->path);
	free(r);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Recording files: periodic snapshots of the in-kernel aggregates, written by
 * `devmemhist record` and read back by every view (devmemhist report,
 * devmemtop -R) on any machine, without BPF. The format is documented in
 * docs/recording-format.md.
 *
 * Each frame holds a whole snapshot whose counters and histograms are
 * cumulative since the recorder started; views take deltas between frames.
 * A frame is appended and flushed in one piece with its own checksum, so a
 * crash or kill -9 loses at most the frame being written, never an earlier one.
 */
#ifndef DEVMEM_RECORD_H
#define DEVMEM_RECORD_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "model/snapshot.h"

struct devmem_record_opts {
	__u64 max_bytes;	/* cap of one file; 0: no cap */
	unsigned int keep;	/* rotated files kept (path.1 .. path.keep); 0: stop at the cap */
	const char *host;	/* host name stored in the header; NULL: uname */
};

struct devmem_recorder;

/* 0, or an error with a one-sentence message (file and cause) in err */
int devmem_recorder_open(const char *path, const struct devmem_record_opts *opts,
			 struct devmem_recorder **out, char *err, size_t errlen);
int devmem_recorder_write(struct devmem_recorder *r, const struct devmem_snapshot *s,
			  char *err, size_t errlen);
void devmem_recorder_close(struct devmem_recorder *r);

struct devmem_recording;

/* header fields of an open recording */
struct devmem_recording_info {
	unsigned int version;
	char host[64];			/* as recorded: filter it (sanitize.h) to show it */
	__u64 start_realtime_ns;	/* CLOCK_REALTIME at the recorder's start */
	__u64 start_mono_ns;		/* CLOCK_MONOTONIC at the same moment */
};

/*
 * Names, notes and the host come back with the bytes the recorder wrote
 * (the snapshot model keeps them as the kernel gave them); every view passes
 * them through sanitize.h's filter before showing them.
 *
 * Readers never trust the file: a truncated, corrupted, wrong-version or
 * hostile file gives -EINVAL (or -errno for I/O) and a message in err that
 * names the file and the byte offset. A truncated last frame (the recorder was
 * killed while writing) is reported through devmem_recording_truncated(), not
 * as an error: the frames before it are good.
 */
int devmem_recording_open(const char *path, struct devmem_recording **out,
			  char *err, size_t errlen);
const struct devmem_recording_info *devmem_recording_info(const struct devmem_recording *r);
/* 1: s holds the next frame; 0: end of file; <0: error (message in err) */
int devmem_recording_next(struct devmem_recording *r, struct devmem_snapshot *s,
			  char *err, size_t errlen);
/*
 * A file that continues another (the next part of a rotated recording,
 * read to its end): the processes seen in before carry on into r.
 */
void devmem_recording_continue(struct devmem_recording *r, struct devmem_recording *before);
/* true once next() has met an incomplete last frame */
int devmem_recording_truncated(const struct devmem_recording *r);
void devmem_recording_close(struct devmem_recording *r);

/* ---- extensions: memory input, report mode (merge, windows) -------------- */

/*
 * Current format version, the one written; readers take versions 1 to this.
 * Version 2 frames list only the processes that changed since the previous
 * frame of the file (the first frame of a file lists every live one), so
 * next() returns the frame with every process seen so far in this file.
 * Version 3 adds tagged sections after the note: the thrashing pages and
 * the fault stacks, each also only what changed since the previous frame.
 * Version 4 adds the folios by order (in total, per device and per range,
 * in every frame) and the pages a thrashing entry weighs, and keeps the
 * tallies in a section apart from the losses; in older recordings the
 * folio counts and the counters they lack are unknown.
 */
#define DEVMEM_RECORDING_VERSION	4
/* Limits every reader enforces before allocating anything. */
#define DEVMEM_REC_MAX_FRAME		(64U << 20)	/* payload bytes */
#define DEVMEM_REC_MAX_DEVICES		65536U
#define DEVMEM_REC_MAX_PROCS		(1U << 20)
#define DEVMEM_REC_MAX_RANGES		65536U
#define DEVMEM_REC_MAX_THRASH		(1U << 20)
#define DEVMEM_REC_MAX_STACKS		(1U << 20)

/* Error of devmem_recorder_write() when the cap is reached and keep is 0. */
#define DEVMEM_REC_CAP_REACHED		(-EFBIG)

/*
 * Same as devmem_recording_open() over a memory buffer (fuzzing, tests);
 * name is used in messages. The buffer must outlive the recording.
 */
int devmem_recording_open_mem(const void *buf, size_t len, const char *name,
			      struct devmem_recording **out, char *err, size_t errlen);
/* Recording identity and the sequence number of its first frame here. */
__u64 devmem_recording_session(const struct devmem_recording *r);
__u64 devmem_recording_first_seq(const struct devmem_recording *r);
/* sequence number of the frame last returned by next() */
__u64 devmem_recording_seq(const struct devmem_recording *r);
/* byte offset where the incomplete last frame starts (if truncated) */
__u64 devmem_recording_offset(const struct devmem_recording *r);
/* bytes written to the current file, and the current file index (rotations) */
__u64 devmem_recorder_bytes(const struct devmem_recorder *r);
unsigned int devmem_recorder_rotations(const struct devmem_recorder *r);

/*
 * A time window: seconds since each recording started, or (absolute)
 * seconds since the epoch. A missing bound is open.
 */
struct devmem_window {
	bool has_start, has_end;
	bool absolute;
	double start, end;
};

/*
 * "START,END", "START," or ",END": numbers are seconds since the recording
 * started; "@EPOCH" or "YYYY-MM-DDTHH:MM:SS[Z]" (local time without Z) are
 * absolute. Both bounds must be of one kind. 0 or -EINVAL (message in err).
 */
int devmem_window_parse(const char *arg, struct devmem_window *w, char *err, size_t errlen);

/* One interval of a recording inside the window: rates over time. */
struct devmem_rec_point {
	double t;				/* seconds since the recording started */
	double dt;				/* seconds the interval covers */
	struct devmem_counters c;		/* change over the interval */
	__u64 hist_count[DEVMEM_HIST_KINDS];	/* samples added */
};

/* One recording (one session, perhaps rotated over several files). */
struct devmem_rec_stream {
	char host[64];
	__u64 session;
	__u64 start_realtime_ns;
	unsigned int nr_files;
	char first_path[256];
	size_t frames;			/* good frames read */
	size_t frames_in_window;
	bool truncated;			/* a file ended in an incomplete frame */
	bool from_zero;			/* the delta starts at the recorder's start */
	double from, to;		/* seconds since start the delta covers */
	struct devmem_rec_point *points;
	size_t nr_points;
};

struct devmem_rec_report {
	struct devmem_snapshot total;	/* sum over streams of (last - first) in the window */
	struct devmem_rec_stream *streams;
	size_t nr_streams;
	struct devmem_window window;
};

/*
 * Read every file (rotated parts of one recording are joined by their
 * session id), take each recording's change within the window and sum them.
 * Any bad file is an error (message names the file and offset).
 */
int devmem_rec_report_load(struct devmem_rec_report *rep, const char *const *paths,
			   size_t nr_paths, const struct devmem_window *w,
			   char *err, size_t errlen);
void devmem_rec_report_free(struct devmem_rec_report *rep);
/*
 * The same, also handing every frame inside the window to on_frame, in
 * order, one recording after the other (st: its stream, info: the header
 * of its first file); a non-zero return stops the load and is returned.
 */
typedef int (*devmem_rec_frame_fn)(void *ctx, const struct devmem_rec_stream *st,
				   const struct devmem_recording_info *info,
				   const struct devmem_snapshot *frame, char *err, size_t errlen);
int devmem_rec_report_load_frames(struct devmem_rec_report *rep, const char *const *paths,
				  size_t nr_paths, const struct devmem_window *w,
				  devmem_rec_frame_fn on_frame, void *ctx, char *err, size_t errlen);

#define DEVMEM_REC_JSON_DEVICES		0x1
#define DEVMEM_REC_JSON_PROCESSES	0x2
/*
 * The history of recordings as OpenMetrics text (rec_openmetrics.c): one
 * sample set per frame in the window, stamped with the frame's wall-clock
 * time, each series labelled with its recording's host and session, ready
 * for `promtool tsdb create-blocks-from openmetrics`. 0, or -errno with a
 * one-sentence message in err.
 */
int devmem_rec_report_openmetrics(FILE *out, const char *const *paths, size_t nr_paths,
				  const struct devmem_window *w, char *err, size_t errlen);

#endif /* DEVMEM_RECORD_H */

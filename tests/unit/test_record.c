// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Recording files: round trip, every corrupt-file case, rotation and the
 * size cap, merging several recordings, time windows and the JSON report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <jansson.h>
#include <zlib.h>
#include "model/hist.h"
#include "model/snapshot.h"
#include "model/stacks.h"
#include "render/rec_json.h"
#include "store/record.h"
#include "clean_text.h"

#define HDR_LEN		128
#define FRAME_HDR	16
/* payload field offsets of format version 1 */
#define P_SEQ		0
#define P_TS		8
#define P_MODE		32
#define P_NR_COUNTERS	40
#define P_NR_SLOTS	48
#define P_NR_DEV	56
#define P_NR_PROC	60
#define P_NOTE_LEN	68

static char dir[] = "/tmp/test_record.XXXXXX";
static char err[512];

static char *tmp_path(const char *name)
{
	static char buf[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* a snapshot whose numbers all derive from k (the frame number) and scale */
static void make_snapshot(struct devmem_snapshot *s, __u64 ts, unsigned int k, __u64 scale)
{
	struct devmem_device *d;
	struct devmem_process *p;
	struct devmem_snap_range *r;

	devmem_snapshot_init(s);
	s->ts_ns = ts;
	s->mode = DEVMEM_MODE_TP_BTF;
	s->total.faults = 10 * k * scale;
	s->total.pages_to_device = 37 * k * scale;
	s->total.pages_to_ram = 30 * k * scale;
	s->total.allocs = 37 * k * scale;
	s->total.frees = 36 * k * scale;
	for (unsigned int i = 0; i < 10 * k * scale; i++)
		devmem_hist_add(&s->hist[DEVMEM_HIST_FAULT_LATENCY], 1000 + 997 * i);
	for (unsigned int i = 0; i < k * scale; i++)
		devmem_hist_add(&s->hist[DEVMEM_HIST_MIGRATE_PAGES], 37);
	devmem_hist_add(&s->hist[DEVMEM_HIST_PAGE_LIFETIME], 1ULL << 50);	/* saturated */
	s->lost[DEVMEM_LOST_RINGBUF] = k;
	s->recursion_misses = k;
	d = devmem_snapshot_device(s, "hmm_dmirror0");
	d->owner = 0xffff888001230000ULL;
	d->nr_ranges = d->nr_live = 1;
	d->nr_pages = 65536;
	d->c.faults = 6 * k * scale;
	d->has_hist = true;
	devmem_hist_add(&d->hist[DEVMEM_HIST_FAULT_LATENCY], 5000);
	d = devmem_snapshot_device(s, "hmm_dmirror1");
	d->owner = 0xffff888004560000ULL;
	d->c.faults = 4 * k * scale;
	p = devmem_snapshot_process(s, 1234, 777000);
	strcpy(p->comm, "workload");
	p->c.pages_to_ram = 30 * k * scale;
	p->has_hist = true;
	devmem_hist_add(&p->hist[DEVMEM_HIST_PAGE_LIFETIME], 123456);
	r = devmem_snapshot_range(s, 5, 0x100000000ULL);
	r->r.end = 0x10fffffffULL;
	r->r.nr_pages = 65536;
	r->r.type = DEVMEM_TYPE_PRIVATE;
	r->r.owner = 0xffff888001230000ULL;
	r->r.flags = DEVMEM_RANGE_F_PROBED;
	r->sources = DEVMEM_RANGE_TRACED;
	r->c.faults = 6 * k * scale;
	r->has_hist = true;
	devmem_hist_add(&r->hist[DEVMEM_HIST_FAULT_LATENCY], 5000);
	strcpy(r->name, "hmm_dmirror0");
	strcpy(r->device, "hmm_dmirror0");
	snprintf(s->note, sizeof(s->note), "frame %u", k);
}

/* record frames k = 1..n at ts = start + k seconds; returns the file's path */
static const char *record(const char *name, unsigned int n, __u64 scale,
			  const struct devmem_record_opts *opts)
{
	struct devmem_recorder *rec;
	struct devmem_snapshot s;
	const char *path = tmp_path(name);
	__u64 t0;

	assert_int_equal(devmem_recorder_open(path, opts, &rec, err, sizeof(err)), 0);
	t0 = now_ns();
	for (unsigned int k = 1; k <= n; k++) {
		make_snapshot(&s, t0 + k * 1000000000ULL, k, scale);
		assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
		devmem_snapshot_free(&s);
	}
	devmem_recorder_close(rec);
	return path;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	struct stat st;

	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	*len = (size_t)st.st_size;
	b = malloc(*len + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, *len, f), *len);
	fclose(f);
	return b;
}

static __u32 rd32(const unsigned char *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

static void wr32(unsigned char *p, __u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void wr64(unsigned char *p, __u64 v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* offset of frame i (0-based) */
static size_t frame_off(const unsigned char *b, size_t len, unsigned int i)
{
	size_t off = HDR_LEN;

	while (i--) {
		assert_true(off + FRAME_HDR <= len);
		off += FRAME_HDR + rd32(b + off + 4);
	}
	return off;
}

/* recompute both checksums of the frame at off, as a hostile writer would */
static void reseal(unsigned char *b, size_t off)
{
	__u32 len = rd32(b + off + 4);

	wr32(b + off + 8, (__u32)crc32(0, b + off + FRAME_HDR, len));
	wr32(b + off + 12, (__u32)crc32(0, b + off, 12));
}

/* open the buffer and read all frames; returns the first error or frames read */
static int read_all(const unsigned char *b, size_t len, int *truncated)
{
	struct devmem_recording *r;
	struct devmem_snapshot s;
	int ret, n = 0;

	err[0] = '\0';
	*truncated = 0;
	ret = devmem_recording_open_mem(b, len, "mem.rec", &r, err, sizeof(err));
	if (ret)
		return ret;
	devmem_snapshot_init(&s);
	while ((ret = devmem_recording_next(r, &s, err, sizeof(err))) == 1)
		n++;
	*truncated = devmem_recording_truncated(r);
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
	return ret < 0 ? ret : n;
}

/* the error names the file and this offset */
static void assert_error_at(int ret, size_t off)
{
	char want[64];

	assert_int_equal(ret, -EINVAL);
	snprintf(want, sizeof(want), "mem.rec: offset %zu: ", off);
	if (strncmp(err, want, strlen(want))) {
		print_error("error message '%s' does not start with '%s'\n", err, want);
		fail();
	}
}

/* ---- round trip ---------------------------------------------------------- */

static void test_round_trip(void **state)
{
	struct devmem_record_opts o = { .host = "host-a" };
	const char *path = record("rt.rec", 3, 1, &o);
	struct devmem_recording *r;
	struct devmem_snapshot s, want;
	unsigned int k = 0;

	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(devmem_recording_info(r)->version, DEVMEM_RECORDING_VERSION);
	assert_string_equal(devmem_recording_info(r)->host, "host-a");
	assert_true(devmem_recording_info(r)->start_realtime_ns > 0);
	devmem_snapshot_init(&s);
	while (devmem_recording_next(r, &s, err, sizeof(err)) == 1) {
		k++;
		make_snapshot(&want, s.ts_ns, k, 1);
		devmem_snapshot_sort(&want);
		assert_int_equal(s.mode, want.mode);
		assert_memory_equal(&s.total, &want.total, sizeof(s.total));
		assert_memory_equal(s.hist, want.hist, sizeof(s.hist));
		assert_memory_equal(s.lost, want.lost, sizeof(s.lost));
		assert_int_equal(s.recursion_misses, want.recursion_misses);
		assert_int_equal(s.nr_devices, 2);
		assert_int_equal(s.nr_procs, 1);
		assert_int_equal(s.nr_ranges, 1);
		for (size_t i = 0; i < 2; i++) {
			assert_string_equal(s.devices[i].name, want.devices[i].name);
			assert_int_equal(s.devices[i].owner, want.devices[i].owner);
			assert_int_equal(s.devices[i].nr_ranges, want.devices[i].nr_ranges);
			assert_int_equal(s.devices[i].nr_pages, want.devices[i].nr_pages);
			assert_int_equal(s.devices[i].has_hist, want.devices[i].has_hist);
			assert_memory_equal(&s.devices[i].c, &want.devices[i].c, sizeof(s.devices[i].c));
			assert_memory_equal(s.devices[i].hist, want.devices[i].hist,
					    sizeof(s.devices[i].hist));
		}
		assert_string_equal(s.procs[0].comm, "workload");
		assert_int_equal(s.procs[0].start_ns, 777000);
		assert_memory_equal(&s.procs[0].c, &want.procs[0].c, sizeof(s.procs[0].c));
		assert_memory_equal(s.procs[0].hist, want.procs[0].hist, sizeof(s.procs[0].hist));
		assert_memory_equal(&s.ranges[0], &want.ranges[0], sizeof(s.ranges[0]));
		assert_string_equal(s.note, want.note);
		/* the arrays can still grow */
		assert_non_null(devmem_snapshot_process(&s, 99, 1));
		devmem_snapshot_free(&want);
	}
	assert_int_equal(k, 3);
	assert_false(devmem_recording_truncated(r));
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
}

static void test_empty_snapshot_round_trip(void **state)
{
	struct devmem_recorder *rec;
	struct devmem_recording *r;
	struct devmem_snapshot s;
	const char *path = tmp_path("empty-snap.rec");

	devmem_snapshot_init(&s);
	assert_int_equal(devmem_recorder_open(path, NULL, &rec, err, sizeof(err)), 0);
	s.ts_ns = now_ns();
	assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
	devmem_recorder_close(rec);
	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(devmem_recording_next(r, &s, err, sizeof(err)), 1);
	assert_int_equal(s.nr_devices + s.nr_procs + s.nr_ranges, 0);
	assert_int_equal(devmem_recording_next(r, &s, err, sizeof(err)), 0);
	devmem_recording_close(r);
	devmem_snapshot_free(&s);
}

/* ---- corrupt files -------------------------------------------------------------- */

static unsigned char *three_frames(size_t *len)
{
	return slurp(record("three.rec", 3, 1, NULL), len);
}

static void test_zero_length_file(void **state)
{
	const char *path = tmp_path("zero.rec");
	struct devmem_recording *r;
	FILE *f = fopen(path, "w");
	int t;

	fclose(f);
	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "empty"));
	assert_error_at(read_all((const unsigned char *)"", 0, &t), 0);
}

static void test_missing_file(void **state)
{
	struct devmem_recording *r;

	assert_int_equal(devmem_recording_open(tmp_path("nope.rec"), &r, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "nope.rec"));
}

static void test_truncated_header(void **state)
{
	size_t len;
	unsigned char *b = three_frames(&len);
	int t;

	for (size_t cut = 1; cut < HDR_LEN; cut++) {
		int ret = read_all(b, cut, &t);

		assert_int_equal(ret, -EINVAL);
		assert_non_null(strstr(err, "mem.rec"));
		assert_non_null(strstr(err, cut < 8 ? "cut short" : "cut short"));
	}
	free(b);
}

static void test_bad_magic(void **state)
{
	size_t len;
	unsigned char *b = three_frames(&len);
	int t;

	b[0] = 'X';
	assert_error_at(read_all(b, len, &t), 0);
	assert_non_null(strstr(err, "bad magic"));
	/* something else entirely, e.g. a text file */
	assert_error_at(read_all((const unsigned char *)"hello, world\n", 13, &t), 0);
	free(b);
}

static void test_wrong_version(void **state)
{
	size_t len;
	unsigned char *b = three_frames(&len);
	int t;

	wr32(b + 8, DEVMEM_RECORDING_VERSION + 1);
	assert_error_at(read_all(b, len, &t), 8);
	assert_non_null(strstr(err, "is not supported"));
	wr32(b + 8, 0);
	assert_error_at(read_all(b, len, &t), 8);
	wr32(b + 8, 0xffffffff);
	assert_error_at(read_all(b, len, &t), 8);
	free(b);
}

static void test_bad_header(void **state)
{
	size_t len;
	unsigned char *b = three_frames(&len);
	int t;

	b[60] ^= 1;	/* in the host name */
	assert_error_at(read_all(b, len, &t), HDR_LEN - 4);
	assert_non_null(strstr(err, "header checksum"));
	b[60] ^= 1;
	wr32(b + 12, 0x7fffffff);	/* header length */
	assert_error_at(read_all(b, len, &t), 12);
	wr32(b + 12, 16);
	assert_error_at(read_all(b, len, &t), 12);
	free(b);
}

static void test_truncated_frame(void **state)
{
	size_t len, f2;
	unsigned char *b = three_frames(&len);
	int t;

	assert_int_equal(read_all(b, len, &t), 3);
	assert_false(t);
	f2 = frame_off(b, len, 2);
	/* every cut inside the last frame keeps the first two, reported as truncated */
	for (size_t cut = f2 + 1; cut < len; cut++) {
		assert_int_equal(read_all(b, cut, &t), 2);
		assert_true(t);
	}
	/* a cut exactly between frames is a clean end */
	assert_int_equal(read_all(b, f2, &t), 2);
	assert_false(t);
	assert_int_equal(read_all(b, HDR_LEN, &t), 0);
	assert_false(t);
	free(b);
}

static void test_bad_checksum_in_middle(void **state)
{
	char want[128];
	size_t len, f1;
	unsigned char *b = three_frames(&len);
	int t;

	f1 = frame_off(b, len, 1);
	b[f1 + FRAME_HDR + 100] ^= 0x40;
	assert_error_at(read_all(b, len, &t), f1);
	assert_non_null(strstr(err, "frame checksum mismatch"));
	/* the evidence is copied from, never cut in place */
	assert_null(strstr(err, "truncate"));
	snprintf(want, sizeof(want), "copy them with 'head -c %zu ", f1);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "keep the file as it is"));
	free(b);
}

static void test_bad_checksum_last_frame(void **state)
{
	size_t len, f2;
	unsigned char *b = three_frames(&len);
	int t;

	f2 = frame_off(b, len, 2);
	b[len - 1] ^= 0xff;
	assert_error_at(read_all(b, len, &t), f2);
	free(b);
}

static void test_bad_frame_magic(void **state)
{
	size_t len, f1;
	unsigned char *b = three_frames(&len);
	int t;

	f1 = frame_off(b, len, 1);
	b[f1] = 'Z';
	assert_error_at(read_all(b, len, &t), f1);
	assert_non_null(strstr(err, "bad frame magic"));
	/* garbage after the last frame: short but not a frame's beginning */
	b[f1] = 'D';
	{
		unsigned char *c = malloc(len + 3);

		memcpy(c, b, len);
		memcpy(c + len, "xyz", 3);
		assert_error_at(read_all(c, len + 3, &t), len);
		free(c);
	}
	free(b);
}

static void test_bad_frame_length(void **state)
{
	size_t len, f1;
	unsigned char *b = three_frames(&len);
	int t;

	f1 = frame_off(b, len, 1);
	/* a flipped length without resealing: the header check catches it */
	wr32(b + f1 + 4, rd32(b + f1 + 4) + 1000000);
	assert_error_at(read_all(b, len, &t), f1 + 12);
	/* absurd lengths with a valid header check */
	wr32(b + f1 + 4, 0xffffffff);
	wr32(b + f1 + 12, (__u32)crc32(0, b + f1, 12));
	assert_error_at(read_all(b, len, &t), f1 + 4);
	wr32(b + f1 + 4, 3);
	wr32(b + f1 + 12, (__u32)crc32(0, b + f1, 12));
	assert_error_at(read_all(b, len, &t), f1 + 4);
	free(b);
}

static void test_absurd_counts(void **state)
{
	size_t len, f1, p;
	unsigned char *b = three_frames(&len), *c = malloc(len);
	int t;

	f1 = frame_off(b, len, 1);
	p = f1 + FRAME_HDR;
	/* each: a count the remaining bytes cannot hold, checksums valid */
	const struct { size_t field; __u32 v; size_t at; } cases[] = {
		{ P_NR_DEV, 0xffffffff, P_NR_DEV },
		{ P_NR_DEV, 1000, P_NR_DEV },
		{ P_NR_PROC, 0x7fffffff, P_NR_DEV },
		{ P_NR_PROC, 50000, P_NR_DEV },
		{ P_NR_COUNTERS, 0, P_NR_COUNTERS },
		{ P_NR_COUNTERS, 1 << 30, P_NR_COUNTERS },
		{ P_NR_SLOTS, 100000, P_NR_COUNTERS },
		{ P_NOTE_LEN, 4096, P_NR_DEV },
		{ P_MODE, 77, P_MODE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(c, b, len);
		wr32(c + p + cases[i].field, cases[i].v);
		reseal(c, f1);
		assert_error_at(read_all(c, len, &t), p + cases[i].at);
	}
	/* fewer counters than written: the fields no longer line up, trailing bytes */
	memcpy(c, b, len);
	wr32(c + p + P_NR_COUNTERS, DEVMEM_NR_COUNTERS - 1);
	reseal(c, f1);
	assert_int_equal(read_all(c, len, &t), -EINVAL);
	assert_non_null(strstr(err, "mem.rec: offset"));
	free(c);
	free(b);
}

static void test_sequence_and_time(void **state)
{
	size_t len, f1, p;
	unsigned char *b = three_frames(&len);
	int t;

	f1 = frame_off(b, len, 1);
	p = f1 + FRAME_HDR;
	wr64(b + p + P_SEQ, 7);
	reseal(b, f1);
	assert_error_at(read_all(b, len, &t), p);
	assert_non_null(strstr(err, "frame number 7"));
	wr64(b + p + P_SEQ, 1);
	wr64(b + p + P_TS, 1);	/* before the recording started */
	reseal(b, f1);
	assert_error_at(read_all(b, len, &t), p + P_TS);
	free(b);
}

static void test_duplicate_entries(void **state)
{
	struct devmem_recorder *rec;
	struct devmem_snapshot s;
	const char *path = tmp_path("dup.rec");
	size_t len;
	unsigned char *b;
	int t;

	assert_int_equal(devmem_recorder_open(path, NULL, &rec, err, sizeof(err)), 0);
	make_snapshot(&s, now_ns(), 1, 1);
	/* the writer does not check: a second device with the first one's name */
	strcpy(s.devices[1].name, s.devices[0].name);
	assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
	devmem_snapshot_free(&s);
	devmem_recorder_close(rec);
	b = slurp(path, &len);
	assert_error_at(read_all(b, len, &t), HDR_LEN + FRAME_HDR);
	assert_non_null(strstr(err, "appears twice"));
	free(b);
}

/* every single-byte corruption of a frame is an error or the same data, never a crash */
static void test_every_byte_flip(void **state)
{
	size_t len, f1, f2;
	unsigned char *b = three_frames(&len);
	int t;

	f1 = frame_off(b, len, 1);
	f2 = frame_off(b, len, 2);
	for (size_t i = 0; i < f2; i++) {
		b[i] ^= 0x5a;
		int ret = read_all(b, len, &t);

		b[i] ^= 0x5a;
		assert_true(ret < 0);
		assert_non_null(strstr(err, "mem.rec"));
		if (i >= f1)
			assert_non_null(strstr(err, "offset"));
	}
	free(b);
}

/* ---- size cap and rotation ----------------------------------------------------- */

static void test_cap_stops(void **state)
{
	struct devmem_record_opts o = { .max_bytes = 20000 };
	struct devmem_recorder *rec;
	struct devmem_snapshot s;
	const char *path = tmp_path("cap.rec");
	size_t len;
	unsigned char *b;
	int ret, written = 0, t;
	__u64 t0;

	assert_int_equal(devmem_recorder_open(path, &o, &rec, err, sizeof(err)), 0);
	t0 = now_ns();
	for (unsigned int k = 1; k < 100; k++) {
		make_snapshot(&s, t0 + k, 1, 1);
		ret = devmem_recorder_write(rec, &s, err, sizeof(err));
		devmem_snapshot_free(&s);
		if (ret)
			break;
		written++;
	}
	assert_int_equal(ret, DEVMEM_REC_CAP_REACHED);
	assert_non_null(strstr(err, "size cap"));
	assert_true(written > 1);
	devmem_recorder_close(rec);
	b = slurp(path, &len);
	assert_true(len <= 20000);
	assert_int_equal(read_all(b, len, &t), written);
	free(b);
}

static void test_rotation(void **state)
{
	struct devmem_record_opts o = { .max_bytes = 20000, .keep = 2 };
	const char *path = tmp_path("rot.rec");
	const char *paths[3];
	struct devmem_recorder *rec;
	struct devmem_snapshot s;
	struct devmem_rec_report rep;
	struct stat st;
	__u64 t0;
	unsigned int n = 40;

	assert_int_equal(devmem_recorder_open(path, &o, &rec, err, sizeof(err)), 0);
	t0 = now_ns();
	for (unsigned int k = 1; k <= n; k++) {
		make_snapshot(&s, t0 + k * 1000000ULL, k, 1);
		assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
		devmem_snapshot_free(&s);
	}
	assert_true(devmem_recorder_rotations(rec) >= 2);
	devmem_recorder_close(rec);
	paths[0] = path;
	paths[1] = tmp_path("rot.rec.1");
	paths[2] = tmp_path("rot.rec.2");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(stat(paths[i], &st), 0);
		assert_true(st.st_size <= 20000);
	}
	assert_int_not_equal(stat(tmp_path("rot.rec.3"), &st), 0);
	/* the three parts are one recording: the window starts at the oldest kept frame */
	assert_int_equal(devmem_rec_report_load(&rep, paths, 3, NULL, err, sizeof(err)), 0);
	assert_int_equal(rep.nr_streams, 1);
	assert_int_equal(rep.streams[0].nr_files, 3);
	assert_false(rep.streams[0].from_zero);
	{
		/* first kept frame k0: total = last - first */
		size_t frames = rep.streams[0].frames;
		unsigned int k0 = n - (unsigned int)frames + 1;

		assert_int_equal(rep.total.total.faults, 10 * (n - k0));
		assert_int_equal(rep.total.total.pages_to_device, 37 * (n - k0));
		assert_int_equal(rep.total.hist[DEVMEM_HIST_FAULT_LATENCY].count, 10 * (n - k0));
		assert_int_equal(devmem_hist_total(&rep.total.hist[DEVMEM_HIST_FAULT_LATENCY]),
				 10 * (n - k0));
	}
	devmem_rec_report_free(&rep);
	/* the same part twice is refused */
	paths[1] = path;
	assert_int_equal(devmem_rec_report_load(&rep, paths, 2, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "give each file once"));
	devmem_rec_report_free(&rep);
}

/* ---- report: merge and windows --------------------------------------------------- */

static void test_merge_is_sum(void **state)
{
	struct devmem_record_opts oa = { .host = "a" }, ob = { .host = "b" };
	const char *pa = record("merge-a.rec", 4, 1, &oa);
	const char *pb = record("merge-b.rec", 6, 3, &ob);
	const char *both[2] = { pa, pb };
	struct devmem_rec_report ra, rb, rab;

	assert_int_equal(devmem_rec_report_load(&ra, &pa, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(devmem_rec_report_load(&rb, &pb, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(devmem_rec_report_load(&rab, both, 2, NULL, err, sizeof(err)), 0);
	/* a recording starts from zero: the whole file counts up to its last frame */
	assert_true(ra.streams[0].from_zero);
	assert_int_equal(ra.total.total.faults, 10 * 4);
	assert_int_equal(rb.total.total.faults, 10 * 6 * 3);
	assert_int_equal(rab.nr_streams, 2);
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		assert_int_equal(devmem_counters_cu64(&rab.total.total)[i],
				 devmem_counters_cu64(&ra.total.total)[i] +
				 devmem_counters_cu64(&rb.total.total)[i]);
	for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++) {
		for (unsigned int i = 0; i < DEVMEM_HIST_SLOTS; i++)
			assert_int_equal(rab.total.hist[k].slots[i],
					 ra.total.hist[k].slots[i] + rb.total.hist[k].slots[i]);
		assert_int_equal(rab.total.hist[k].count,
				 ra.total.hist[k].count + rb.total.hist[k].count);
	}
	for (size_t i = 0; i < DEVMEM_LOST_KINDS; i++)
		assert_int_equal(rab.total.lost[i], ra.total.lost[i] + rb.total.lost[i]);
	assert_int_equal(rab.total.nr_devices, 2);
	assert_int_equal(rab.total.devices[0].c.faults,
			 ra.total.devices[0].c.faults + rb.total.devices[0].c.faults);
	assert_int_equal(rab.total.nr_procs, 1);
	assert_int_equal(rab.total.procs[0].c.pages_to_ram, 30 * 4 + 30 * 6 * 3);
	/* rates over time: one point per interval */
	assert_int_equal(ra.streams[0].nr_points, 4);
	devmem_rec_report_free(&ra);
	devmem_rec_report_free(&rb);
	devmem_rec_report_free(&rab);
}

static void test_window(void **state)
{
	const char *p = record("win.rec", 6, 1, NULL);
	struct devmem_rec_report rep;
	struct devmem_window w;

	/* frames at about 1..6 s: baseline is frame 1, the end frame 3 */
	assert_int_equal(devmem_window_parse("1.5,3.5", &w, err, sizeof(err)), 0);
	assert_int_equal(devmem_rec_report_load(&rep, &p, 1, &w, err, sizeof(err)), 0);
	assert_int_equal(rep.total.total.faults, 10 * (3 - 1));
	assert_int_equal(rep.total.hist[DEVMEM_HIST_MIGRATE_PAGES].count, 3 - 1);
	assert_int_equal(rep.streams[0].frames, 6);
	assert_int_equal(rep.streams[0].frames_in_window, 2);
	assert_int_equal(rep.streams[0].nr_points, 2);
	devmem_rec_report_free(&rep);
	/* open end */
	assert_int_equal(devmem_window_parse("2.5,", &w, err, sizeof(err)), 0);
	assert_int_equal(devmem_rec_report_load(&rep, &p, 1, &w, err, sizeof(err)), 0);
	assert_int_equal(rep.total.total.faults, 10 * (6 - 2));
	devmem_rec_report_free(&rep);
	/* open start: from the recorder's start (zero) */
	assert_int_equal(devmem_window_parse(",4.5", &w, err, sizeof(err)), 0);
	assert_int_equal(devmem_rec_report_load(&rep, &p, 1, &w, err, sizeof(err)), 0);
	assert_int_equal(rep.total.total.faults, 10 * 4);
	devmem_rec_report_free(&rep);
	/* nothing inside */
	assert_int_equal(devmem_window_parse("100,200", &w, err, sizeof(err)), 0);
	assert_int_equal(devmem_rec_report_load(&rep, &p, 1, &w, err, sizeof(err)), 0);
	assert_int_equal(rep.total.total.faults, 0);
	assert_int_equal(rep.streams[0].frames_in_window, 0);
	devmem_rec_report_free(&rep);
	/* absolute: the whole recording lies after the epoch's first second */
	assert_int_equal(devmem_window_parse("@1,", &w, err, sizeof(err)), 0);
	assert_true(w.absolute);
	assert_int_equal(devmem_rec_report_load(&rep, &p, 1, &w, err, sizeof(err)), 0);
	assert_int_equal(rep.total.total.faults, 10 * 6);
	devmem_rec_report_free(&rep);
}

static void test_window_parse(void **state)
{
	struct devmem_window w;

	assert_int_equal(devmem_window_parse("10,60", &w, err, sizeof(err)), 0);
	assert_true(w.has_start && w.has_end && !w.absolute);
	assert_true(w.start == 10 && w.end == 60);
	assert_int_equal(devmem_window_parse("2026-11-25T10:00:00Z,2026-11-25T10:00:30Z", &w,
					     err, sizeof(err)), 0);
	assert_true(w.absolute && w.end - w.start == 30);
	assert_int_equal(devmem_window_parse("60", &w, err, sizeof(err)), -EINVAL);
	assert_int_equal(devmem_window_parse("60,10", &w, err, sizeof(err)), -EINVAL);
	assert_int_equal(devmem_window_parse("x,10", &w, err, sizeof(err)), -EINVAL);
	assert_int_equal(devmem_window_parse("-5,10", &w, err, sizeof(err)), -EINVAL);
	assert_int_equal(devmem_window_parse("@5,10", &w, err, sizeof(err)), -EINVAL);
	assert_int_equal(devmem_window_parse("nan,", &w, err, sizeof(err)), -EINVAL);
}

static void test_report_bad_file(void **state)
{
	const char *p[2] = { record("good.rec", 2, 1, NULL), tmp_path("bad.rec") };
	struct devmem_rec_report rep;
	FILE *f = fopen(p[1], "w");

	fputs("not a recording at all, just some text", f);
	fclose(f);
	assert_int_equal(devmem_rec_report_load(&rep, p, 2, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad.rec"));
	assert_non_null(strstr(err, "offset 0"));
	devmem_rec_report_free(&rep);
}

/* ---- JSON ------------------------------------------------------------------------ */

static void test_json(void **state)
{
	const char *pa = record("json-a.rec", 3, 1, NULL);
	const char *pb = record("json-b.rec", 2, 2, NULL);
	const char *both[2] = { pa, pb };
	struct devmem_rec_report rep;
	json_error_t jerr;
	json_t *root, *h, *b, *procs;
	FILE *f = tmpfile();
	__u64 sum = 0;

	assert_int_equal(devmem_rec_report_load(&rep, both, 2, NULL, err, sizeof(err)), 0);
	assert_int_equal(devmem_rec_report_json(f, &rep, DEVMEM_REC_JSON_DEVICES |
						DEVMEM_REC_JSON_PROCESSES), 0);
	rewind(f);
	root = json_loadf(f, 0, &jerr);
	if (!root) {
		print_error("JSON does not parse: %s at line %d\n", jerr.text, jerr.line);
		fail();
	}
	assert_int_equal(json_integer_value(json_object_get(root, "format_version")),
			 DEVMEM_RECORDING_VERSION);
	assert_int_equal(json_array_size(json_object_get(root, "recordings")), 2);
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(root, "counters"), devmem_counter_names[i])),
				 devmem_counters_cu64(&rep.total.total)[i]);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "counters"),
							     "faults")), 10 * 3 + 10 * 2 * 2);
	h = json_object_get(json_object_get(root, "histograms"), "fault_latency");
	assert_int_equal(json_integer_value(json_object_get(h, "count")),
			 devmem_hist_total(&rep.total.hist[DEVMEM_HIST_FAULT_LATENCY]));
	b = json_object_get(h, "buckets");
	for (size_t i = 0; i < json_array_size(b); i++) {
		json_t *e = json_array_get(b, i);
		unsigned int slot = devmem_hist_slot((__u64)json_integer_value(json_object_get(e, "low")));

		assert_int_equal(json_integer_value(json_object_get(e, "count")),
				 rep.total.hist[DEVMEM_HIST_FAULT_LATENCY].slots[slot]);
		sum += (__u64)json_integer_value(json_object_get(e, "count"));
	}
	assert_int_equal(sum, devmem_hist_total(&rep.total.hist[DEVMEM_HIST_FAULT_LATENCY]));
	assert_true(json_is_object(json_object_get(json_object_get(h, "percentiles"), "p99")));
	/* the saturated last slot has no upper bound */
	h = json_object_get(json_object_get(root, "histograms"), "page_lifetime");
	b = json_array_get(json_object_get(h, "buckets"), 0);
	assert_true(json_is_null(json_object_get(b, "high")));
	procs = json_object_get(root, "processes");
	assert_int_equal(json_array_size(procs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(procs, 0), "comm")),
			    "workload");
	assert_int_equal(json_array_size(json_object_get(root, "devices")), 2);
	json_decref(root);
	fclose(f);
	devmem_rec_report_free(&rep);
}

/*
 * A recording of format version 1, written by the recorder of that
 * release, is still read: three frames, frame k holding faults 10k and
 * allocs 37k in all, loss counters ringbuf k, devices_map_full 2k and
 * unmatched frees 5k (version 1 indexes), devices by owner 0xffffffffa0000000
 * (faults 6k) and 0xffffffffa0001000 (faults 4k) whose ranges at 0x100000000
 * and 0x200000000 are both named hmm_dmirror, process 1234 "workload" with
 * pages to RAM 30k, host v1-host, fentry mode.
 */
static void test_reads_format1(void **state)
{
	const char *path = DEVMEM_TEST_DATA "/format1-three-frames.rec";
	struct devmem_recording *r;
	struct devmem_snapshot s;
	unsigned int k = 0;

	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(devmem_recording_info(r)->version, 1);
	assert_string_equal(devmem_recording_info(r)->host, "v1-host");
	devmem_snapshot_init(&s);
	while (devmem_recording_next(r, &s, err, sizeof(err)) == 1) {
		k++;
		assert_int_equal(s.mode, DEVMEM_MODE_FENTRY);
		assert_int_equal(s.total.faults, 10 * k);
		assert_int_equal(s.total.allocs, 37 * k);
		assert_int_equal(s.lost[DEVMEM_LOST_RINGBUF], k);
		/* version 1's per-device table full: per-range counts lost now */
		assert_int_equal(s.lost[DEVMEM_LOST_RANGES_FULL], 2 * k);
		assert_int_equal(s.tallies[DEVMEM_UNMATCHED_FREE], 5 * k);
		assert_int_equal(devmem_snapshot_lost_total(&s), 3 * k);
		/* devices named after their ranges, alike names told apart */
		assert_int_equal(s.nr_devices, 2);
		assert_string_equal(s.devices[0].name, "hmm_dmirror");
		assert_int_equal(s.devices[0].c.faults, 6 * k);
		assert_string_equal(s.devices[1].name, "hmm_dmirror#2");
		assert_int_equal(s.devices[1].c.faults, 4 * k);
		assert_int_equal(s.nr_ranges, 2);
		assert_string_equal(s.ranges[0].device, "hmm_dmirror");
		assert_string_equal(s.ranges[1].device, "hmm_dmirror#2");
		assert_int_equal(s.nr_procs, 1);
		assert_int_equal(s.procs[0].tgid, 1234);
		assert_int_equal(s.procs[0].start_ns, 0);	/* version 1 does not know */
		assert_int_equal(s.procs[0].c.pages_to_ram, 30 * k);
	}
	assert_int_equal(k, 3);
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
}

/*
 * A recording of format version 2 is still read: three frames, frame k
 * holding faults 10k, ringbuf_full k, map_insert_failed_not_full 2k,
 * unmatched frees 5k and fault_done without start 7k (format 2 kept the
 * unmatched counts right after its 8 losses), process 1234 "workload"
 * started at 5000 with pages to RAM 30k, host v2-host.
 */
static void test_reads_format2(void **state)
{
	const char *path = DEVMEM_TEST_DATA "/format2-three-frames.rec";
	struct devmem_recording *r;
	struct devmem_snapshot s;
	unsigned int k = 0;

	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(devmem_recording_info(r)->version, 2);
	assert_string_equal(devmem_recording_info(r)->host, "v2-host");
	devmem_snapshot_init(&s);
	while (devmem_recording_next(r, &s, err, sizeof(err)) == 1) {
		k++;
		assert_int_equal(s.total.faults, 10 * k);
		assert_int_equal(s.lost[DEVMEM_LOST_RINGBUF], k);
		assert_int_equal(s.lost[DEVMEM_LOST_MAP_BUSY], 2 * k);
		/* the losses format 3 added are zero, not the old unmatched counts */
		for (int i = DEVMEM_LOST_THRASH_EVICTED; i < DEVMEM_LOST_KINDS; i++)
			assert_int_equal(s.lost[i], 0);
		assert_int_equal(s.tallies[DEVMEM_UNMATCHED_FREE], 5 * k);
		assert_int_equal(s.tallies[DEVMEM_UNMATCHED_FAULT_DONE], 7 * k);
		assert_int_equal(devmem_snapshot_lost_total(&s), 3 * k);
		assert_int_equal(s.nr_procs, 1);
		assert_int_equal(s.procs[0].tgid, 1234);
		assert_int_equal(s.procs[0].start_ns, 5000);
		assert_int_equal(s.procs[0].c.pages_to_ram, 30 * k);
		assert_false(s.thrash_on);
		assert_int_equal(s.nr_thrash, 0);
		assert_int_equal(s.nr_stacks, 0);
	}
	assert_int_equal(k, 3);
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
}

/*
 * Frame k of thrash_snapshot(): pages 1..4 of process 200, page p with
 * bounces p * k for p <= k (the others unchanged since frame p); one
 * stack per page whose faults grow the same way.
 */
static void thrash_snapshot(struct devmem_snapshot *s, __u64 ts, unsigned int k)
{
	devmem_snapshot_init(s);
	s->ts_ns = ts;
	s->thrash_on = true;
	s->thrash_k = 3;
	s->thrash_window_ns = 1000000000ULL;
	s->page_size = 4096;
	s->thrash_dropped = k;
	s->stacks_on = true;
	s->thrash = calloc(4, sizeof(*s->thrash));
	s->stacks = calloc(4, sizeof(*s->stacks));
	assert_non_null(s->thrash);
	assert_non_null(s->stacks);
	for (unsigned int p = 1; p <= 4; p++) {
		struct devmem_thrash_entry *e = &s->thrash[s->nr_thrash];
		struct devmem_snap_stack *st = &s->stacks[s->nr_stacks];
		unsigned int at = p <= k ? k : p;	/* the frame it last changed in */
		char name[32];
		const char *names[2] = { name, "main" };

		if (p > k)
			continue;
		e->tgid = 200;
		e->start_ns = 777;
		e->vaddr = 0x7f0000000000ULL + p * 4096;
		e->range = 0x100000000ULL;
		e->bounces = p * at;
		e->faults = p * at + 1;
		e->fault_ns = 1000 * p * at;
		e->window_max = p < 8 ? p : 8;
		e->last_ns = ts;
		s->nr_thrash++;
		st->tgid = 200;
		st->start_ns = 777;
		st->id = p;
		snprintf(st->comm, sizeof(st->comm), "bouncer");
		st->faults = 10 * p * at;
		st->fault_ns = 99 * p * at;
		snprintf(name, sizeof(name), "fault_site_%u", p);
		assert_int_equal(devmem_stack_set_names(st, names, 2), 0);
		s->nr_stacks++;
	}
}

/*
 * Format 3: the thrash table and the stacks are written when they change,
 * and a reader gets all of them in every frame, each with its latest figures.
 */
static void test_thrash_and_stacks_round_trip(void **state)
{
	const char *path = tmp_path("thrash.rec");
	struct devmem_recorder *rec;
	struct devmem_recording *r;
	struct devmem_snapshot s;
	size_t sizes[5];
	__u64 t0 = now_ns(), before = 0;

	assert_int_equal(devmem_recorder_open(path, NULL, &rec, err, sizeof(err)), 0);
	for (unsigned int k = 1; k <= 4; k++) {
		thrash_snapshot(&s, t0 + k * 1000000000ULL, k);
		assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
		sizes[k] = devmem_recorder_bytes(rec) - before;
		before = devmem_recorder_bytes(rec);
		devmem_snapshot_free(&s);
	}
	devmem_recorder_close(rec);
	/* every page changes in every frame here: frame k has k pages and stacks */
	assert_true(sizes[4] > sizes[3] && sizes[3] > sizes[2]);
	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(devmem_recording_info(r)->version, DEVMEM_RECORDING_VERSION);
	devmem_snapshot_init(&s);
	for (unsigned int k = 1; k <= 4; k++) {
		assert_int_equal(devmem_recording_next(r, &s, err, sizeof(err)), 1);
		assert_true(s.thrash_on);
		assert_int_equal(s.thrash_k, 3);
		assert_int_equal(s.thrash_window_ns, 1000000000ULL);
		assert_int_equal(s.page_size, 4096);
		assert_int_equal(s.thrash_dropped, k);
		assert_int_equal(s.nr_thrash, k);
		assert_int_equal(s.nr_stacks, k);
		for (unsigned int p = 1; p <= k; p++) {
			const struct devmem_thrash_entry *e = &s.thrash[p - 1];
			const struct devmem_snap_stack *st = &s.stacks[p - 1];
			char name[32];

			assert_int_equal(e->vaddr, 0x7f0000000000ULL + p * 4096);
			assert_int_equal(e->bounces, p * k);
			assert_int_equal(e->faults, p * k + 1);
			assert_int_equal(e->fault_ns, 1000 * p * k);
			assert_int_equal(e->window_max, p);
			assert_int_equal(st->id, p);
			assert_int_equal(st->faults, 10 * p * k);
			assert_int_equal(st->fault_ns, 99 * p * k);
			assert_string_equal(st->comm, "bouncer");
			assert_int_equal(st->depth, 2);
			snprintf(name, sizeof(name), "fault_site_%u", p);
			assert_string_equal(devmem_stack_frame(st, 0), name);
			assert_string_equal(devmem_stack_frame(st, 1), "main");
		}
	}
	assert_int_equal(devmem_recording_next(r, &s, err, sizeof(err)), 0);
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
}

/* an unchanged page or stack is not written again, and still read */
static void test_thrash_unchanged_not_rewritten(void **state)
{
	const char *path = tmp_path("thrash-same.rec");
	struct devmem_recorder *rec;
	struct devmem_recording *r;
	struct devmem_snapshot s;
	size_t sizes[4];
	__u64 t0 = now_ns(), before = 0;

	assert_int_equal(devmem_recorder_open(path, NULL, &rec, err, sizeof(err)), 0);
	for (unsigned int k = 1; k <= 3; k++) {
		/* frames 2 and 3 repeat frame 2's figures */
		thrash_snapshot(&s, t0 + k * 1000000000ULL, k < 2 ? k : 2);
		s.thrash_dropped = 0;
		assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
		sizes[k] = devmem_recorder_bytes(rec) - before;
		before = devmem_recorder_bytes(rec);
		devmem_snapshot_free(&s);
	}
	devmem_recorder_close(rec);
	assert_true(sizes[3] < sizes[2]);
	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), 0);
	devmem_snapshot_init(&s);
	for (unsigned int k = 1; k <= 3; k++) {
		assert_int_equal(devmem_recording_next(r, &s, err, sizeof(err)), 1);
		assert_int_equal(s.nr_thrash, k < 2 ? 1 : 2);
		assert_int_equal(s.nr_stacks, k < 2 ? 1 : 2);
		if (k >= 2) {
			assert_int_equal(s.thrash[1].bounces, 4);
			assert_int_equal(s.stacks[1].faults, 40);
			assert_string_equal(devmem_stack_frame(&s.stacks[1], 0), "fault_site_2");
		}
	}
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
}

/* frame k of changes(): processes 1..5; p changes in frame k if p % k == 0 */
static void changes_snapshot(struct devmem_snapshot *s, __u64 ts, unsigned int k)
{
	devmem_snapshot_init(s);
	s->ts_ns = ts;
	for (__u32 p = 1; p <= 5; p++) {
		struct devmem_process *pr = devmem_snapshot_process(s, 100 + p, p * 1000);
		unsigned int changes = 0;

		for (unsigned int j = 1; j <= k; j++)
			changes += p % j == 0;
		pr->c.allocs = changes;
		snprintf(pr->comm, sizeof(pr->comm), "p%u", p);
		/* process 5 exits in frame 2 and is gone from frame 3 on */
		if (p == 5 && k >= 2)
			pr->exit_ns = ts;
	}
	if (k >= 3)
		s->nr_procs = 4;	/* the recorder forgot process 5 */
	devmem_snapshot_sort(s);
}

/*
 * Format 2 writes only the processes that changed since the frame before
 * (the first frame of a file has all of them); a reader still gets every
 * process in every frame, with its latest figures, exited ones included.
 */
static void test_changed_processes_only(void **state)
{
	const char *path = tmp_path("changes.rec");
	struct devmem_recorder *rec;
	struct devmem_recording *r;
	struct devmem_snapshot s;
	size_t sizes[5];
	__u64 t0 = now_ns(), before = 0;

	assert_int_equal(devmem_recorder_open(path, NULL, &rec, err, sizeof(err)), 0);
	for (unsigned int k = 1; k <= 4; k++) {
		changes_snapshot(&s, t0 + k * 1000000000ULL, k);
		assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
		sizes[k] = devmem_recorder_bytes(rec) - before;
		before = devmem_recorder_bytes(rec);
		devmem_snapshot_free(&s);
	}
	devmem_recorder_close(rec);
	/*
	 * frame 1: all 5 processes (and the file header); 2: 2 and 4 changed, 5
	 * exited; 3: 3 changed (5 forgotten); 4: 4 changed
	 */
	{
		size_t per_proc = 48 + 8 * DEVMEM_NR_COUNTERS;

		assert_int_equal(sizes[1] - HDR_LEN - sizes[3], 4 * per_proc);
		assert_int_equal(sizes[2] - sizes[3], 2 * per_proc);
		assert_int_equal(sizes[4], sizes[3]);
	}
	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), 0);
	devmem_snapshot_init(&s);
	for (unsigned int k = 1; k <= 4; k++) {
		struct devmem_snapshot want;

		assert_int_equal(devmem_recording_next(r, &s, err, sizeof(err)), 1);
		changes_snapshot(&want, s.ts_ns, k);
		assert_int_equal(s.nr_procs, 5);
		for (size_t i = 0; i < want.nr_procs; i++) {
			assert_int_equal(s.procs[i].tgid, want.procs[i].tgid);
			assert_int_equal(s.procs[i].start_ns, want.procs[i].start_ns);
			assert_int_equal(s.procs[i].c.allocs, want.procs[i].c.allocs);
			assert_string_equal(s.procs[i].comm, want.procs[i].comm);
		}
		/* process 5 as it was last written: exited, one change */
		assert_int_equal(s.procs[4].tgid, 105);
		assert_int_equal(s.procs[4].c.allocs, 1);
		assert_int_equal(!!s.procs[4].exit_ns, k >= 2);
		devmem_snapshot_free(&want);
	}
	assert_int_equal(devmem_recording_next(r, &s, err, sizeof(err)), 0);
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
}

/* a rotated part read alone has every live process; joined, the exited ones too */
static void test_rotation_carries_processes(void **state)
{
	struct devmem_record_opts o = { .max_bytes = 8192, .keep = 3 };
	const char *path = tmp_path("carry.rec");
	const char *parts[2];
	struct devmem_recorder *rec;
	struct devmem_recording *r;
	struct devmem_rec_report rep;
	struct devmem_snapshot s;
	__u64 t0 = now_ns();
	unsigned int k;

	assert_int_equal(devmem_recorder_open(path, &o, &rec, err, sizeof(err)), 0);
	for (k = 1; devmem_recorder_rotations(rec) < 1; k++) {
		changes_snapshot(&s, t0 + k * 1000000000ULL, k < 3 ? k : 3);
		assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
		devmem_snapshot_free(&s);
	}
	devmem_recorder_close(rec);
	/* the new part alone: processes 1-4, none from before its first frame missing */
	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), 0);
	devmem_snapshot_init(&s);
	assert_int_equal(devmem_recording_next(r, &s, err, sizeof(err)), 1);
	assert_int_equal(s.nr_procs, 4);
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
	/* joined: the exited process 5 of the first part is in the report */
	parts[0] = tmp_path("carry.rec.1");
	parts[1] = path;
	assert_int_equal(devmem_rec_report_load(&rep, parts, 2, NULL, err, sizeof(err)), 0);
	assert_int_equal(rep.nr_streams, 1);
	assert_int_equal(rep.total.nr_procs, 5);
	assert_int_equal(rep.total.procs[4].tgid, 105);
	assert_true(rep.total.procs[4].exit_ns != 0);
	devmem_rec_report_free(&rep);
}

static char *slurp_stream(FILE *f, size_t *len)
{
	char *buf;
	long n;

	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/*
 * A recording whose host, process, range and note try to drive the terminal:
 * the file keeps the bytes, the JSON report filters them.
 */
static void test_hostile_names(void **state)
{
	static const char comm[] = "\x1b[2J\x1b]0;pwn\x07";
	struct devmem_record_opts o = { .host = "h\x1b]0;x\x07\x9b\xc2\x9b\xff" };
	const char *path = tmp_path("hostile.rec"), *paths[1] = { path };
	struct devmem_recorder *rec;
	struct devmem_recording *r;
	struct devmem_rec_report rep;
	struct devmem_snapshot s;
	size_t len;
	char *out;
	FILE *f;

	assert_int_equal(devmem_recorder_open(path, &o, &rec, err, sizeof(err)), 0);
	for (unsigned int k = 1; k <= 2; k++) {
		make_snapshot(&s, now_ns() + k * 1000000000ULL, k, 1);
		memcpy(s.procs[0].comm, comm, sizeof(comm) - 1);
		snprintf(s.ranges[0].name, sizeof(s.ranges[0].name), "gpu\x9b" "2J\xed\xa0\x80");
		snprintf(s.note, sizeof(s.note), "see \x1b[31mred\xe2\x82");
		assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
		devmem_snapshot_free(&s);
	}
	devmem_recorder_close(rec);

	/* the reader returns the bytes as written */
	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), 0);
	assert_string_equal(devmem_recording_info(r)->host, o.host);
	devmem_snapshot_init(&s);
	assert_int_equal(devmem_recording_next(r, &s, err, sizeof(err)), 1);
	assert_string_equal(s.procs[0].comm, comm);
	assert_string_equal(s.ranges[0].name, "gpu\x9b" "2J\xed\xa0\x80");
	assert_string_equal(s.note, "see \x1b[31mred\xe2\x82");
	devmem_snapshot_free(&s);
	devmem_recording_close(r);

	assert_int_equal(devmem_rec_report_load(&rep, paths, 1, NULL, err, sizeof(err)), 0);
	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(devmem_rec_report_json(f, &rep, DEVMEM_REC_JSON_DEVICES |
						DEVMEM_REC_JSON_PROCESSES), 0);
	out = slurp_stream(f, &len);
	fclose(f);
	assert_clean_text(out, len);
	assert_non_null(strstr(out, "\"comm\": \"\\\\x1b[2J\\\\x1b]0;pwn\\\\x07\""));
	assert_non_null(strstr(out, "\"host\": \"h\\\\x1b]0;x\\\\x07"
				    "\\\\x9b\\\\xc2\\\\x9b\\\\xff\""));
	free(out);
	/* the same bytes through devmem_report_text/json: test_snapshot.c */
	devmem_rec_report_free(&rep);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_snapshot_round_trip),
		cmocka_unit_test(test_zero_length_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_wrong_version),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_truncated_frame),
		cmocka_unit_test(test_bad_checksum_in_middle),
		cmocka_unit_test(test_bad_checksum_last_frame),
		cmocka_unit_test(test_bad_frame_magic),
		cmocka_unit_test(test_bad_frame_length),
		cmocka_unit_test(test_absurd_counts),
		cmocka_unit_test(test_sequence_and_time),
		cmocka_unit_test(test_duplicate_entries),
		cmocka_unit_test(test_every_byte_flip),
		cmocka_unit_test(test_cap_stops),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_merge_is_sum),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_window_parse),
		cmocka_unit_test(test_report_bad_file),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_reads_format2),
		cmocka_unit_test(test_thrash_and_stacks_round_trip),
		cmocka_unit_test(test_thrash_unchanged_not_rewritten),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_reads_format1),
		cmocka_unit_test(test_changed_processes_only),
		cmocka_unit_test(test_rotation_carries_processes),
	};

	return cmocka_run_group_tests_name("record", tests, setup, teardown);
}

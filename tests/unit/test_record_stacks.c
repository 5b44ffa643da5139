// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Recorded fault stacks with where their frames are (tag 5 of
 * docs/recording-format.md): build-ids, offsets and files survive the round
 * trip, carried with their stacks; a malformed section is refused; and
 * devmemhist report names the frames the recorder could not name from the
 * file it finds by build-id.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <gelf.h>
#include <jansson.h>
#include <zlib.h>
#include <elfutils/libdwelf.h>
#include "model/snapshot.h"
#include "model/stacks.h"
#include "store/record.h"

#ifndef DEVMEM_BUILD_DIR
#error "DEVMEM_BUILD_DIR: the Makefile passes the build directory"
#endif

static char dir[] = "/tmp/test_record_stacks.XXXXXX";
static char err[512];

static const __u8 test_id[DEVMEM_BUILD_ID_MAX] = {
	0xb1, 0xd0, 0x5e, 0xed, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* stack id of process 300 with names, locations and files of depth frames */
static void add_stack(struct devmem_snapshot *s, __u64 id, __u64 faults, const char *const *names,
		      const struct devmem_frame_loc *locs, const char *const *files, __u32 depth)
{
	struct devmem_snap_stack *st;

	s->stacks = realloc(s->stacks, (s->nr_stacks + 1) * sizeof(*s->stacks));
	assert_non_null(s->stacks);
	st = &s->stacks[s->nr_stacks++];
	memset(st, 0, sizeof(*st));
	st->tgid = 300;
	st->start_ns = 42;
	st->id = id;
	snprintf(st->comm, sizeof(st->comm), "gpuapp");
	st->faults = faults;
	st->fault_ns = faults * 1000;
	assert_int_equal(devmem_stack_set_names(st, names, depth), 0);
	if (locs)
		assert_int_equal(devmem_stack_set_locs(st, locs, files, depth), 0);
}

/*
 * Frame k: stack 1 with its three frames located (one in a file whose
 * layout was not known, one in no file), stack 2 without locations;
 * stack 1's faults change in frame 2 only.
 */
static void located_snapshot(struct devmem_snapshot *s, __u64 ts, unsigned int k)
{
	static const char *const names[] = { "memcpy", "libsites.so+0x1234", "0x7f00dead" };
	static const char *const files[] = { "/usr/lib/libc.so.6", "/opt/app/libsites.so", "" };
	static const char *const other[] = { "main" };
	struct devmem_frame_loc locs[3] = {
		{ .offset = 0x9abc0, .build_id_len = 20 },
		{ .offset = 0x1234, .build_id_len = 16, .flags = DEVMEM_LOC_FILE_OFFSET },
		{ .offset = 0x7f00dead },
	};

	memcpy(locs[0].build_id, test_id, 20);
	memcpy(locs[1].build_id, test_id + 4, 16);
	devmem_snapshot_init(s);
	s->ts_ns = ts;
	s->stacks_on = true;
	add_stack(s, 1, k >= 2 ? 20 : 10, names, locs, files, 3);
	add_stack(s, 2, k, other, NULL, NULL, 1);
}

static void check_located(const struct devmem_snapshot *s, unsigned int k)
{
	const struct devmem_snap_stack *a, *b;

	assert_int_equal(s->nr_stacks, 2);
	a = &s->stacks[0];
	b = &s->stacks[1];
	assert_int_equal(a->id, 1);
	assert_int_equal(a->faults, k >= 2 ? 20 : 10);
	assert_non_null(a->locs);
	assert_int_equal(a->depth, 3);
	assert_int_equal(a->locs[0].offset, 0x9abc0);
	assert_int_equal(a->locs[0].build_id_len, 20);
	assert_memory_equal(a->locs[0].build_id, test_id, 20);
	assert_int_equal(a->locs[0].flags, 0);
	assert_int_equal(a->locs[1].build_id_len, 16);
	assert_memory_equal(a->locs[1].build_id, test_id + 4, 16);
	assert_int_equal(a->locs[1].flags, DEVMEM_LOC_FILE_OFFSET);
	assert_int_equal(a->locs[2].build_id_len, 0);
	assert_int_equal(a->locs[2].offset, 0x7f00dead);
	assert_string_equal(devmem_stack_file(a, 0), "/usr/lib/libc.so.6");
	assert_string_equal(devmem_stack_file(a, 1), "/opt/app/libsites.so");
	assert_string_equal(devmem_stack_file(a, 2), "");
	assert_string_equal(devmem_stack_frame(a, 1), "libsites.so+0x1234");
	assert_int_equal(b->id, 2);
	assert_int_equal(b->faults, k);
	assert_null(b->locs);
	assert_string_equal(devmem_stack_file(b, 0), "");
}

static char *tmp_path(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void write_frames(const char *path, void (*make)(struct devmem_snapshot *, __u64,
							  unsigned int), unsigned int n)
{
	struct devmem_recorder *rec;
	struct devmem_snapshot s;
	__u64 t0 = now_ns();

	assert_int_equal(devmem_recorder_open(path, NULL, &rec, err, sizeof(err)), 0);
	for (unsigned int k = 1; k <= n; k++) {
		make(&s, t0 + k * 1000000000ULL, k);
		assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
		devmem_snapshot_free(&s);
	}
	devmem_recorder_close(rec);
}

/* the locations are read in every frame, also where their stack was carried */
static void test_locations_round_trip(void **state)
{
	const char *path = tmp_path("located.rec");
	struct devmem_recording *r;
	struct devmem_snapshot s;

	write_frames(path, located_snapshot, 3);
	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(devmem_recording_info(r)->version, DEVMEM_RECORDING_VERSION);
	devmem_snapshot_init(&s);
	for (unsigned int k = 1; k <= 3; k++) {
		if (devmem_recording_next(r, &s, err, sizeof(err)) != 1)
			fail_msg("frame %u: %s", k, err);
		check_located(&s, k);
	}
	assert_int_equal(devmem_recording_next(r, &s, err, sizeof(err)), 0);
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), n);
	fclose(f);
	*len = (size_t)n;
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

/* read every frame of a recording in memory: the first error, or 0 */
static int read_all(const unsigned char *b, size_t len)
{
	struct devmem_recording *r;
	struct devmem_snapshot s;
	int ret;

	err[0] = '\0';
	ret = devmem_recording_open_mem(b, len, "mem.rec", &r, err, sizeof(err));
	if (ret)
		return ret;
	devmem_snapshot_init(&s);
	while ((ret = devmem_recording_next(r, &s, err, sizeof(err))) == 1)
		;
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
	return ret;
}

/*
 * A hostile writer: the first frame's locations of stack 1 changed (its
 * depth, its build-id's length, its stack), the frame resealed; each is
 * refused with a sentence naming the offset.
 */
static void test_locations_malformed(void **state)
{
	const char *path = tmp_path("bad.rec");
	size_t len, at = 0;
	unsigned char *b, *copy;
	__u32 frame_len;

	write_frames(path, located_snapshot, 1);
	b = slurp(path, &len);
	assert_int_equal(read_all(b, len), 0);
	/* the first location's build-id: 10 bytes into a location, 24 after its entry's start */
	for (size_t i = 128; i + 20 <= len && !at; i++)
		if (!memcmp(b + i, test_id, 20) && b[i - 2] == 20)
			at = i - 10 - 24;
	assert_true(at > 128);
	frame_len = rd32(b + 128 + 4);
	for (int c = 0; c < 3; c++) {
		copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, b, len);
		if (c == 0)
			wr32(copy + at + 4, 4);			/* depth 4 of 3 */
		else if (c == 1)
			copy[at + 24 + 8] = 21;			/* a 21-byte build-id */
		else
			wr32(copy + at + 16, 77);		/* stack 77: not in the frame */
		wr32(copy + 128 + 8, (__u32)crc32(0, copy + 128 + 16, frame_len));
		wr32(copy + 128 + 12, (__u32)crc32(0, copy + 128, 12));
		assert_int_equal(read_all(copy, len), -EINVAL);
		assert_non_null(strstr(err, "offset"));
		assert_non_null(strstr(err, "corrupted"));
		free(copy);
	}
	free(b);
}

/* ---- devmemhist report names frames by build-id ---------------------------- */

__attribute__((noinline)) int devmem_test_recorded_site(int x)
{
	return x * 7 + 3;
}

/* the build-id of this test's file */
static __u32 own_build_id(__u8 *out)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	const void *id = NULL;
	Elf *elf;
	ssize_t n;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	n = elf ? dwelf_elf_gnu_build_id(elf, &id) : -1;
	if (n <= 0 || n > DEVMEM_BUILD_ID_MAX)
		fail_msg("this test's file has no build-id");
	else
		memcpy(out, id, (size_t)n);
	elf_end(elf);
	close(fd);
	return (__u32)n;
}

static char exe[4096];
static struct devmem_frame_loc site;

/* a stack the recorder could not name: this test's function, at its ELF address */
static void unnamed_snapshot(struct devmem_snapshot *s, __u64 ts, unsigned int k)
{
	const char *names[] = { "test_record_stacks+0x1234", "main" };
	const char *files[] = { exe, exe };
	struct devmem_frame_loc locs[2] = { site, site };

	locs[1].offset = 0;
	locs[1].build_id_len = 0;
	devmem_snapshot_init(s);
	s->ts_ns = ts;
	s->stacks_on = true;
	add_stack(s, 9, 5 * k, names, locs, files, 2);
}

static void test_report_names_by_build_id(void **state)
{
	const char *path = tmp_path("unnamed.rec");
	char cmd[1024], id[2 * DEVMEM_BUILD_ID_MAX + 1];
	json_t *doc, *st, *frames, *locs;
	json_error_t jerr;
	Dl_info dl;
	FILE *p;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	assert_true(dladdr((void *)(uintptr_t)&devmem_test_recorded_site, &dl));
	site.offset = (__u64)(uintptr_t)&devmem_test_recorded_site - (__u64)(uintptr_t)dl.dli_fbase;
	site.build_id_len = (__u8)own_build_id(site.build_id);
	for (__u32 i = 0; i < site.build_id_len; i++)
		snprintf(id + 2 * i, 3, "%02x", site.build_id[i]);
	write_frames(path, unnamed_snapshot, 2);
	snprintf(cmd, sizeof(cmd), "%s/devmemhist report -j %s", DEVMEM_BUILD_DIR, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	doc = json_loadf(p, 0, &jerr);
	assert_int_equal(pclose(p), 0);
	assert_non_null(doc);
	st = json_array_get(json_object_get(doc, "stacks"), 0);
	assert_non_null(st);
	assert_int_equal(json_integer_value(json_object_get(st, "faults")), 10);
	frames = json_object_get(st, "frames");
	locs = json_object_get(st, "locations");
	/* outermost first: main, as recorded (no build-id), then the site, named here */
	assert_string_equal(json_string_value(json_array_get(frames, 0)), "main");
	assert_string_equal(json_string_value(json_array_get(frames, 1)),
			    "devmem_test_recorded_site");
	assert_int_equal(json_array_size(locs), 2);
	assert_true(json_is_null(json_object_get(json_array_get(locs, 0), "build_id")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(locs, 1), "build_id")),
			    id);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(locs, 1), "offset")),
			 site.offset);
	assert_string_equal(json_string_value(json_object_get(json_array_get(locs, 1),
							      "offset_of")), "elf_address");
	assert_string_equal(json_string_value(json_object_get(json_array_get(locs, 1), "file")),
			    exe);
	json_decref(doc);
	assert_int_equal(devmem_test_recorded_site(1), 10);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locations_round_trip),
		cmocka_unit_test(test_locations_malformed),
		cmocka_unit_test(test_report_names_by_build_id),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

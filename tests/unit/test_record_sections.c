// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The sections of a recording's frames (tools/lib/store/record_sections.c)
 * as format 4 writes them: the folios by order in total, per device and per
 * range, the tallies apart from the losses, the pages of a thrashing entry;
 * a malformed or repeated section refused; and recordings of formats 1 to
 * 3, which have no folios, read with those unknown and their tallies in
 * place.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <zlib.h>
#include "model/counts.h"
#include "model/snapshot.h"
#include "model/thrash.h"
#include "render/rec_json.h"
#include "render/thrash_runs.h"
#include "store/record.h"

#define HDR_LEN		128
#define FRAME_HDR	16
#define IDX(field)	(offsetof(struct devmem_counters, field) / sizeof(__u64))

static char err[512];

static void folios(struct devmem_folio_counts *f, __u64 small, __u64 pmd)
{
	memset(f, 0, sizeof(*f));
	f->allocs[0] = small;
	f->allocs[9] = pmd;
	f->frees[0] = small - 1;
	f->frees[9] = pmd / 2;
	f->to_device[0] = small;
	f->to_device[9] = pmd;
	f->to_ram[9] = pmd / 2;
	f->to_ram[DEVMEM_ORDERS - 1] = 1;	/* 10 and up */
}

/* frame k: two devices of one range each, folios of orders 0 and 9, a 2 MiB bouncer */
static void frame(struct devmem_snapshot *s, __u64 ts, unsigned int k, enum devmem_mode mode)
{
	struct devmem_snap_range *r;
	struct devmem_process *p;

	devmem_snapshot_init(s);
	s->ts_ns = ts;
	s->mode = mode;
	for (unsigned int i = 0; i < 2; i++) {
		r = devmem_snapshot_range(s, 1 + i, 0x100000000ULL * (i + 1));
		r->r.end = r->r.start + 0xfffffff;
		r->r.nr_pages = 65536;
		r->r.type = DEVMEM_TYPE_PRIVATE;
		r->sources = DEVMEM_RANGE_TRACED;
		snprintf(r->device, sizeof(r->device), "gpu%u", i);
		folios(&r->folios, 10 * k + i, 2 * k + i);
		r->c.faults_pmd = k + i;
		r->c.pages_to_device = r->folios.to_device[0] + 512 * r->folios.to_device[9];
	}
	assert_int_equal(devmem_snapshot_group_devices(s), 0);
	folios(&s->folios, 20 * k + 1, 4 * k + 1);
	s->total.faults_pmd = 2 * k + 1;
	s->total.faults_busy = k;
	s->lost[0] = k;
	s->lost[DEVMEM_LOST_KINDS - 1] = 2 * k;
	s->tallies[0] = 3 * k;
	s->tallies[DEVMEM_TALLY_KINDS - 1] = 4 * k;
	p = devmem_snapshot_process(s, 300, 3000);
	strcpy(p->comm, "thp");
	p->c.faults_pmd = 2 * k + 1;
	s->thrash_on = true;
	s->thrash_k = 3;
	s->thrash_window_ns = 1000000000ULL;
	s->page_size = 4096;
	s->thrash = calloc(8, sizeof(*s->thrash));
	assert_non_null(s->thrash);
	for (unsigned int i = 0; i < 2; i++) {
		struct devmem_thrash_entry *e = &s->thrash[s->nr_thrash++];

		e->tgid = 300;
		e->start_ns = 3000;
		e->vaddr = 0x7f0000000000ULL + i * (2ULL << 20);
		e->range = 0x100000000ULL;
		e->bounces = e->faults = 4 + k;
		e->window_max = 5;
		e->last_ns = ts;
		e->npages = 512;
	}
	devmem_snapshot_sort(s);
}

static char path[] = "/tmp/test_record_sections.XXXXXX";

static const char *record(unsigned int n, enum devmem_mode mode)
{
	struct devmem_recorder *rec;
	struct devmem_snapshot s;
	__u64 t0 = devmem_mono_ns();

	assert_int_equal(devmem_recorder_open(path, &(struct devmem_record_opts){ .host = "h" },
					      &rec, err, sizeof(err)), 0);
	for (unsigned int k = 1; k <= n; k++) {
		frame(&s, t0 + k * 1000000000ULL, k, mode);
		assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
		devmem_snapshot_free(&s);
	}
	devmem_recorder_close(rec);
	return path;
}

static void test_folios_round_trip(void **state)
{
	struct devmem_recording *r;
	struct devmem_snapshot s, want;
	unsigned int k = 0;

	record(3, DEVMEM_MODE_TP_BTF);
	assert_int_equal(devmem_recording_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(devmem_recording_info(r)->version, 4);
	devmem_snapshot_init(&s);
	while (devmem_recording_next(r, &s, err, sizeof(err)) == 1) {
		k++;
		frame(&want, s.ts_ns, k, DEVMEM_MODE_TP_BTF);
		assert_memory_equal(&s.folios, &want.folios, sizeof(s.folios));
		assert_int_equal(s.folios.allocs[9], 4 * k + 1);
		assert_int_equal(s.folios.to_ram[DEVMEM_ORDERS - 1], 1);
		assert_int_equal(s.nr_devices, 2);
		assert_int_equal(s.nr_ranges, 2);
		for (size_t i = 0; i < 2; i++) {
			assert_string_equal(s.devices[i].name, want.devices[i].name);
			assert_memory_equal(&s.devices[i].folios, &want.devices[i].folios,
					    sizeof(s.folios));
			assert_memory_equal(&s.ranges[i].folios, &want.ranges[i].folios,
					    sizeof(s.folios));
		}
		assert_int_equal(s.devices[1].folios.allocs[9], 2 * k + 1);
		assert_int_equal(s.total.faults_pmd, 2 * k + 1);
		assert_int_equal(s.total.faults_busy, k);
		assert_memory_equal(s.lost, want.lost, sizeof(s.lost));
		assert_memory_equal(s.tallies, want.tallies, sizeof(s.tallies));
		assert_int_equal(s.tallies[DEVMEM_TALLY_KINDS - 1], 4 * k);
		/* a 2 MiB folio's entry keeps its weight */
		assert_int_equal(s.nr_thrash, 2);
		assert_int_equal(s.thrash[0].npages, 512);
		assert_int_equal(s.thrash[1].npages, 512);
		devmem_snapshot_free(&want);
	}
	assert_int_equal(k, 3);
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
}

/* the report over a recording: the folios of its window, runs of thrashing pages by weight */
static void test_folios_in_report(void **state)
{
	const char *p[1] = { record(3, DEVMEM_MODE_FENTRY) };
	struct devmem_rec_report rep;
	struct devmem_thrash_run *runs;
	json_t *root, *f;
	json_error_t jerr;
	FILE *out = tmpfile();
	size_t n;

	assert_int_equal(devmem_rec_report_load(&rep, p, 1, NULL, err, sizeof(err)), 0);
	/* from the recorder's start: frame 3 in all */
	assert_int_equal(rep.total.folios.allocs[0], 61);
	assert_int_equal(rep.total.folios.allocs[9], 13);
	assert_int_equal(rep.total.total.faults_pmd, 7);
	/* the fallback cannot see busy faults: unknown, not 3 or 0 */
	assert_true(devmem_counter_shown(rep.total.mode, &rep.total.total, IDX(faults_busy)) ==
		    DEVMEM_UNKNOWN);
	assert_int_equal(devmem_thrash_runs(&rep.total, 3, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].npages, 1024);
	free(runs);
	assert_int_equal(devmem_rec_report_json(out, &rep, DEVMEM_REC_JSON_DEVICES), 0);
	rewind(out);
	root = json_loadf(out, 0, &jerr);
	assert_non_null(root);
	f = json_object_get(root, "folios");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "allocs"), "0")), 61);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "allocs"), "9")), 13);
	assert_null(json_object_get(json_object_get(f, "allocs"), "1"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "to_ram"), "10")), 1);
	assert_true(json_is_null(json_object_get(json_object_get(root, "counters"), "faults_busy")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "counters"),
							     "faults_pmd")), 7);
	f = json_object_get(json_array_get(json_object_get(root, "devices"), 1), "folios");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "to_device"), "9")),
			 7);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "thrash"),
							     "pages_thrashing")), 1024);
	json_decref(root);
	fclose(out);
	devmem_rec_report_free(&rep);
}

/*
 * A process that exited before the window with nothing in it is left out
 * of the report, also when a counter of it is unknown (as in recordings
 * older than the counter).
 */
static void test_gone_before_window(void **state)
{
	const char *p[1] = { path };
	struct devmem_window w = { .has_start = true, .start = 1.5 };
	struct devmem_recorder *rec;
	struct devmem_rec_report rep;
	struct devmem_snapshot s;
	__u64 t0 = devmem_mono_ns();

	assert_int_equal(devmem_recorder_open(path, NULL, &rec, err, sizeof(err)), 0);
	for (unsigned int k = 1; k <= 3; k++) {
		struct devmem_process *gone;

		frame(&s, t0 + k * 1000000000ULL, k, DEVMEM_MODE_TP_BTF);
		gone = devmem_snapshot_process(&s, 400, 4000);
		strcpy(gone->comm, "gone");
		gone->exit_ns = t0 + 500000000ULL;
		gone->c.faults = 2;
		gone->c.faults_pmd = DEVMEM_UNKNOWN;
		devmem_snapshot_sort(&s);
		assert_int_equal(devmem_recorder_write(rec, &s, err, sizeof(err)), 0);
		devmem_snapshot_free(&s);
	}
	devmem_recorder_close(rec);
	assert_int_equal(devmem_rec_report_load(&rep, p, 1, &w, err, sizeof(err)), 0);
	assert_int_equal(rep.total.nr_procs, 1);
	assert_int_equal(rep.total.procs[0].tgid, 300);
	/* the window's folios: frame 3 less frame 1 */
	assert_int_equal(rep.total.folios.allocs[9], 8);
	devmem_rec_report_free(&rep);
}

static unsigned char *slurp(const char *name, size_t *len)
{
	FILE *f = fopen(name, "rb");
	unsigned char *b;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
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

/* the folio section of the first frame: tag 3, its length, 11 orders, 1 + 2 + 2 sets */
static size_t folio_section(const unsigned char *b, size_t len)
{
	const __u32 sets = 5, body = 8 + sets * DEVMEM_FOLIO_KINDS * DEVMEM_ORDERS * 8;
	size_t end = HDR_LEN + FRAME_HDR + rd32(b + HDR_LEN + 4);

	for (size_t off = HDR_LEN + FRAME_HDR; off + 16 <= end; off++)
		if (rd32(b + off) == 3 && rd32(b + off + 4) == body &&
		    rd32(b + off + 8) == DEVMEM_ORDERS && rd32(b + off + 12) == sets)
			return off;
	fail_msg("no folio section in the first frame");
	return 0;
}

static void reseal_first(unsigned char *b)
{
	size_t off = HDR_LEN;
	__u32 len = rd32(b + off + 4);

	wr32(b + off + 8, (__u32)crc32(0, b + off + FRAME_HDR, len));
	wr32(b + off + 12, (__u32)crc32(0, b + off, 12));
}

static int read_mem(const unsigned char *b, size_t len)
{
	struct devmem_recording *r;
	struct devmem_snapshot s;
	int ret, n = 0;

	ret = devmem_recording_open_mem(b, len, "mem.rec", &r, err, sizeof(err));
	if (ret)
		return ret;
	devmem_snapshot_init(&s);
	while ((ret = devmem_recording_next(r, &s, err, sizeof(err))) == 1)
		n++;
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
	return ret < 0 ? ret : n;
}

/* the section after the one at off */
static size_t next_section(const unsigned char *b, size_t off)
{
	return off + 8 + rd32(b + off + 4);
}

/* a folio section that does not match its frame, or a section twice, is corruption */
static void test_bad_folio_section(void **state)
{
	size_t len, at, tallies, thrash;
	unsigned char *b, *c;

	record(2, DEVMEM_MODE_TP_BTF);
	b = slurp(path, &len);
	c = malloc(len);
	assert_non_null(c);
	assert_int_equal(read_mem(b, len), 2);
	at = folio_section(b, len);
	/* sets for one device more than the frame has */
	memcpy(c, b, len);
	wr32(c + at + 12, 6);
	reseal_first(c);
	assert_int_equal(read_mem(c, len), -EINVAL);
	assert_non_null(strstr(err, "the folio section is malformed"));
	/* no orders at all */
	memcpy(c, b, len);
	wr32(c + at + 8, 0);
	reseal_first(c);
	assert_int_equal(read_mem(c, len), -EINVAL);
	/* the tallies, then the thrash table follow */
	tallies = next_section(b, at);
	thrash = next_section(b, tallies);
	assert_int_equal(rd32(b + tallies), 4);
	assert_int_equal(rd32(b + thrash), 1);
	/* a section of an unknown tag is skipped, not an error */
	memcpy(c, b, len);
	wr32(c + thrash, 77);
	reseal_first(c);
	assert_int_equal(read_mem(c, len), 2);
	/* the tallies twice */
	memcpy(c, b, len);
	wr32(c + thrash, 4);
	reseal_first(c);
	assert_int_equal(read_mem(c, len), -EINVAL);
	assert_non_null(strstr(err, "a second section of tag 4"));
	/* tallies whose count does not fill their section */
	memcpy(c, b, len);
	wr32(c + tallies + 8, DEVMEM_TALLY_KINDS + 1);
	reseal_first(c);
	assert_int_equal(read_mem(c, len), -EINVAL);
	assert_non_null(strstr(err, "the tallies section is malformed"));
	free(c);
	free(b);
}

/* formats 1 to 3 kept neither folio counts nor faults_pmd and faults_busy: unknown */
static void test_old_formats_unknown(void **state)
{
	static const char *const fixtures[] = {
		DEVMEM_TEST_DATA "/format1-three-frames.rec",
		DEVMEM_TEST_DATA "/format2-three-frames.rec",
		DEVMEM_TEST_DATA "/format3-three-frames.rec",
	};

	for (unsigned int v = 0; v < 3; v++) {
		struct devmem_recording *r;
		struct devmem_snapshot s;
		unsigned int k = 0;

		assert_int_equal(devmem_recording_open(fixtures[v], &r, err, sizeof(err)), 0);
		assert_int_equal(devmem_recording_info(r)->version, v + 1);
		devmem_snapshot_init(&s);
		while (devmem_recording_next(r, &s, err, sizeof(err)) == 1) {
			k++;
			assert_int_equal(s.total.faults, 10 * k);
			assert_false(devmem_folios_known(&s.folios));
			for (size_t i = 0; i < s.nr_devices; i++)
				assert_false(devmem_folios_known(&s.devices[i].folios));
			for (size_t i = 0; i < s.nr_ranges; i++)
				assert_false(devmem_folios_known(&s.ranges[i].folios));
			assert_true(s.total.faults_pmd == DEVMEM_UNKNOWN);
			assert_true(s.total.faults_busy == DEVMEM_UNKNOWN);
			for (size_t i = 0; i < s.nr_procs; i++)
				assert_true(s.procs[i].c.faults_pmd == DEVMEM_UNKNOWN);
		}
		assert_int_equal(k, 3);
		devmem_snapshot_free(&s);
		devmem_recording_close(r);
	}
}

/*
 * A recording of format version 3, written by the recorder of that
 * release (18 counters, 13 losses then 4 tallies): three frames of the
 * fallback, frame k holding faults 10k, pages to RAM 512k, allocs 513k,
 * ringbuf_full k, stack_counts_map_full 2k, unmatched frees 5k and
 * deferred exit records 3k; one range hmm_dmirror0 at 0x100000000 (faults
 * 10k); process 1234 "workload" started at 5000; one thrashing page at
 * 0x7f0000200000 with bounces 2k and window_max k + 1. Its thrashing
 * entries are one page each.
 */
static void test_reads_format3(void **state)
{
	const char *p[1] = { DEVMEM_TEST_DATA "/format3-three-frames.rec" };
	struct devmem_recording *r;
	struct devmem_rec_report rep;
	struct devmem_snapshot s;
	unsigned int k = 0;
	json_t *root;
	json_error_t jerr;
	FILE *out = tmpfile();

	assert_int_equal(devmem_recording_open(p[0], &r, err, sizeof(err)), 0);
	assert_string_equal(devmem_recording_info(r)->host, "v3-host");
	devmem_snapshot_init(&s);
	while (devmem_recording_next(r, &s, err, sizeof(err)) == 1) {
		k++;
		assert_int_equal(s.mode, DEVMEM_MODE_FENTRY);
		assert_int_equal(s.total.pages_to_ram, 512 * k);
		assert_int_equal(s.total.allocs, 513 * k);
		/* the tallies after format 3's 13 losses, whatever losses came since */
		assert_int_equal(s.lost[DEVMEM_LOST_RINGBUF], k);
		assert_int_equal(s.lost[DEVMEM_LOST_STACK_COUNTS_FULL], 2 * k);
		for (int i = DEVMEM_LOST_STACK_COUNTS_FULL + 1; i < DEVMEM_LOST_KINDS; i++)
			assert_int_equal(s.lost[i], 0);
		assert_int_equal(s.tallies[DEVMEM_UNMATCHED_FREE], 5 * k);
		assert_int_equal(s.tallies[DEVMEM_NOTICES_DEFERRED], 3 * k);
		assert_int_equal(devmem_snapshot_lost_total(&s), 3 * k);
		assert_int_equal(s.nr_ranges, 1);
		assert_int_equal(s.ranges[0].c.faults, 10 * k);
		assert_string_equal(s.devices[0].name, "hmm_dmirror0");
		assert_int_equal(s.nr_procs, 1);
		assert_int_equal(s.procs[0].start_ns, 5000);
		assert_true(s.thrash_on);
		assert_int_equal(s.nr_thrash, 1);
		assert_int_equal(s.thrash[0].bounces, 2 * k);
		assert_int_equal(s.thrash[0].window_max, k + 1);
		assert_int_equal(devmem_thrash_pages(&s.thrash[0]), 1);
	}
	assert_int_equal(k, 3);
	devmem_snapshot_free(&s);
	devmem_recording_close(r);

	/* its report: folios and the counters it lacks are null, the others counted */
	assert_int_equal(devmem_rec_report_load(&rep, p, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(devmem_rec_report_json(out, &rep, DEVMEM_REC_JSON_DEVICES), 0);
	rewind(out);
	root = json_loadf(out, 0, &jerr);
	assert_non_null(root);
	assert_true(json_is_null(json_object_get(root, "folios")));
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(root, "devices"), 0),
						 "folios")));
	assert_true(json_is_null(json_object_get(json_object_get(root, "counters"), "faults_pmd")));
	assert_true(json_is_null(json_object_get(json_object_get(root, "counters"), "faults_busy")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "counters"),
							     "pages_to_ram")), 3 * 512);
	/* its one page thrashes (4 bounces within T at last), weighing one page */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "thrash"),
							     "pages_thrashing")), 1);
	json_decref(root);
	fclose(out);
	devmem_rec_report_free(&rep);
}

static int setup(void **state)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	return unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folios_round_trip),
		cmocka_unit_test(test_folios_in_report),
		cmocka_unit_test(test_bad_folio_section),
		cmocka_unit_test(test_gone_before_window),
		cmocka_unit_test(test_old_formats_unknown),
		cmocka_unit_test(test_reads_format3),
	};

	return cmocka_run_group_tests_name("record_sections", tests, setup, teardown);
}

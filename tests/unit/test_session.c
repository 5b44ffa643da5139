// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The session on the running kernel, as far as the host allows: the raw_tp
 * programs load (verifier pass) through the session's program table, the
 * table names every program of the object, and a tool that asks for some
 * event families loads those only. Skips, saying why, without root or BPF.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli/errors.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "devmem.skel.h"

static struct devmem_session *sess;
static enum devmem_error open_err;

static int setup(void **state)
{
	struct devmem_opts o = {
		.force_mode = DEVMEM_MODE_RAW_TP,
		.no_attach = true,
		.hist_per_device = true,
		.hist_per_process = true,
		.stacks = true,		/* every optional path through the verifier */
		.verbose = getenv("DEVMEM_TEST_VERBOSE") != NULL,
	};

	open_err = devmem_session_open(&o, &sess);
	return 0;
}

static int teardown(void **state)
{
	devmem_session_close(sess);
	return 0;
}

static void skip_unless_loaded(void)
{
	if (sess)
		return;
	if (open_err == DEVMEM_E_PERM || open_err == DEVMEM_E_NO_BTF ||
	    open_err == DEVMEM_E_REFUSED) {
		print_message("skipped: %s\n", devmem_strerror(open_err));
		skip();
	}
	fail_msg("loading the raw_tp programs failed: %s (rerun with DEVMEM_TEST_VERBOSE=1)",
		 devmem_strerror(open_err));
}

static void test_only_raw_tp_loaded(void **state)
{
	struct devmem_bpf *skel;
	struct bpf_program *p;
	int loaded = 0;

	skip_unless_loaded();
	skel = devmem_session_skel(sess);
	bpf_object__for_each_program(p, skel->obj) {
		/* the v3 series' raw tracepoints, not v2's: the session chose v3 */
		bool raw = !strncmp(bpf_program__section_name(p), "raw_tp", 6) &&
			   strncmp(bpf_program__name(p), "raw_v2_", 7);

		assert_int_equal(bpf_program__autoload(p), raw);
		if (raw) {
			assert_true(bpf_program__fd(p) >= 0);
			loaded++;
		}
	}
	/* the zone_device tracepoints, process exit and free, and the range probe */
	assert_int_equal(loaded, 14);
}

/* every program of the object has its row in the session's table */
static void test_program_table_complete(void **state)
{
	skip_unless_loaded();
	assert_int_equal(devmem_session_table_size(),
			 devmem_session_object_programs(devmem_session_skel(sess)));
}

/* a tool that asks for pagemaps loads the pagemap programs and the range probe only */
static void test_families_pagemaps_only(void **state)
{
	struct devmem_opts o = {
		.force_mode = DEVMEM_MODE_RAW_TP,
		.no_attach = true,
		.families = DEVMEM_FAM_PAGEMAPS,
	};
	struct devmem_session *s = NULL;
	struct devmem_bpf *skel;
	struct bpf_program *p;
	int loaded = 0;

	skip_unless_loaded();
	assert_int_equal(devmem_session_open(&o, &s), DEVMEM_OK);
	skel = devmem_session_skel(s);
	bpf_object__for_each_program(p, skel->obj) {
		const char *n = bpf_program__name(p);
		bool want = !strcmp(n, "probe_range") || !strncmp(n, "raw_pagemap_", 12);

		assert_int_equal(bpf_program__autoload(p), want);
		loaded += bpf_program__fd(p) >= 0;
	}
	assert_int_equal(loaded, 4);
	assert_int_equal(bpf_map__max_entries(skel->maps.procs), 1);
	devmem_session_close(s);
}

/* the v2 series' programs load too, where a kernel has its devmem tracepoints */
static void test_v2_series_loads(void **state)
{
	struct devmem_opts o = {
		.force_mode = DEVMEM_MODE_RAW_TP,
		.force_flavour = DEVMEM_TP_V2,
		.no_attach = true,
	};
	struct devmem_session *s = NULL;
	struct bpf_program *p;
	int v2 = 0, v3 = 0;

	skip_unless_loaded();
	assert_int_equal(devmem_session_open(&o, &s), DEVMEM_OK);
	bpf_object__for_each_program(p, ((struct devmem_bpf *)devmem_session_skel(s))->obj) {
		const char *n = bpf_program__name(p);

		if (bpf_program__fd(p) < 0)
			continue;
		v2 += !strncmp(n, "raw_v2_", 7);
		v3 += !strncmp(n, "raw_", 4) && strncmp(n, "raw_v2_", 7) && strncmp(n, "raw_sched", 9);
	}
	assert_int_equal(v2, 8);
	assert_int_equal(v3, 0);
	devmem_session_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_raw_tp_loaded),
		cmocka_unit_test(test_program_table_complete),
		cmocka_unit_test(test_families_pagemaps_only),
		cmocka_unit_test(test_v2_series_loads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

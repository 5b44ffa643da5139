// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Error paths: conditions -> one-sentence messages and distinct exit codes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "cli/errors.h"
#include "kernel/probe.h"
#include "model/snapshot.h"

static void test_messages_are_sentences(void **state)
{
	for (int e = 0; e < DEVMEM_E_COUNT; e++) {
		const char *m = devmem_strerror(e);
		size_t n = strlen(m);

		assert_true(n > 8);
		assert_true(m[0] >= 'A' && m[0] <= 'Z');		/* starts a sentence */
		assert_true(m[n - 1] == '.');				/* ends one */
		assert_null(strstr(m, ". "));				/* only one */
		assert_null(strchr(m, '\n'));
	}
	assert_non_null(devmem_strerror(DEVMEM_E_COUNT));
	assert_non_null(devmem_strerror(-1));
}

static void test_exit_codes_distinct(void **state)
{
	int seen[256] = {};

	assert_int_equal(devmem_exit_code(DEVMEM_OK), 0);
	for (int e = 1; e < DEVMEM_E_COUNT; e++) {
		int c = devmem_exit_code(e);

		assert_true(c > 1 && c < 126);		/* not 1, not shell codes */
		if (seen[c])
			fail_msg("exit code %d used twice", c);
		seen[c] = 1;
	}
	assert_int_equal(devmem_exit_code(DEVMEM_E_COUNT), DEVMEM_EXIT_FAILURE);
	assert_int_equal(devmem_exit_code(DEVMEM_E_PERM), DEVMEM_EXIT_PERM);
	assert_int_equal(devmem_exit_code(DEVMEM_E_NO_BTF), DEVMEM_EXIT_NO_BTF);
	assert_int_equal(devmem_exit_code(DEVMEM_E_NO_HOOKS), DEVMEM_EXIT_NO_HOOKS);
	assert_int_equal(devmem_exit_code(DEVMEM_E_MEMLOCK), DEVMEM_EXIT_MEMLOCK);
}

static void test_remedies_named(void **state)
{
	assert_non_null(strstr(devmem_strerror(DEVMEM_E_PERM), "CAP_BPF"));
	assert_non_null(strstr(devmem_strerror(DEVMEM_E_PERM), "CAP_PERFMON"));
	assert_non_null(strstr(devmem_strerror(DEVMEM_E_NO_BTF), "/sys/kernel/btf/vmlinux"));
	assert_non_null(strstr(devmem_strerror(DEVMEM_E_NO_BTF), "CONFIG_DEBUG_INFO_BTF"));
	assert_non_null(strstr(devmem_strerror(DEVMEM_E_MEMLOCK), "ulimit -l"));
	assert_non_null(strstr(devmem_strerror(DEVMEM_E_NO_HOOKS), "tracepoints"));
	assert_non_null(strstr(devmem_strerror(DEVMEM_E_NO_HOOKS), "fentry"));
}

static enum devmem_error classify(int err, bool priv, bool maps)
{
	struct devmem_load_failure f = { .err = err, .have_privileges = priv,
					 .maps_created = maps };

	return devmem_classify_load_error(&f);
}

static void test_classify_load_errors(void **state)
{
	assert_int_equal(classify(-EPERM, false, false), DEVMEM_E_PERM);
	assert_int_equal(classify(-EACCES, false, true), DEVMEM_E_PERM);
	/* privileged but the maps could not be made: memlock (old kernels say EPERM) */
	assert_int_equal(classify(-EPERM, true, false), DEVMEM_E_MEMLOCK);
	assert_int_equal(classify(-ENOMEM, true, false), DEVMEM_E_MEMLOCK);
	/* privileged, maps made, programs refused: lockdown/LSM/container */
	assert_int_equal(classify(-EPERM, true, true), DEVMEM_E_REFUSED);
	/* verifier rejections */
	assert_int_equal(classify(-EACCES, true, true), DEVMEM_E_LOAD);
	assert_int_equal(classify(-EINVAL, true, true), DEVMEM_E_LOAD);
	assert_int_equal(classify(-ENOMEM, true, true), DEVMEM_E_NOMEM);
	/* positive errno is taken the same */
	assert_int_equal(classify(EPERM, false, false), DEVMEM_E_PERM);
}

static void test_choose_mode(void **state)
{
	struct devmem_features f = {};
	enum devmem_mode m;

	assert_int_equal(devmem_choose_mode(&f, false, &m), DEVMEM_E_NO_BTF);
	f.btf = true;
	assert_int_equal(devmem_choose_mode(&f, false, &m), DEVMEM_E_NO_HOOKS);
	assert_int_equal(m, DEVMEM_MODE_NONE);
	assert_int_equal(devmem_choose_mode(&f, true, &m), DEVMEM_E_NO_FENTRY);
	f.fentry_refused = true;	/* this host: functions there, EPERM on load */
	assert_int_equal(devmem_choose_mode(&f, false, &m), DEVMEM_E_REFUSED);
	f.fentry_refused = false;
	f.fentry = true;
	assert_int_equal(devmem_choose_mode(&f, false, &m), DEVMEM_OK);
	assert_int_equal(m, DEVMEM_MODE_FENTRY);
	f.tracepoints = true;
	assert_int_equal(devmem_choose_mode(&f, false, &m), DEVMEM_OK);
	assert_int_equal(m, DEVMEM_MODE_RAW_TP);	/* tracepoints, tp_btf refused */
	f.tp_btf = true;
	assert_int_equal(devmem_choose_mode(&f, false, &m), DEVMEM_OK);
	assert_int_equal(m, DEVMEM_MODE_TP_BTF);
	assert_int_equal(devmem_choose_mode(&f, true, &m), DEVMEM_OK);	/* --fentry */
	assert_int_equal(m, DEVMEM_MODE_FENTRY);
	f.fentry = false;
	assert_int_equal(devmem_choose_mode(&f, true, &m), DEVMEM_E_NO_FENTRY);
	assert_string_equal(devmem_mode_name(DEVMEM_MODE_TP_BTF), "tracepoints");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages_are_sentences),
		cmocka_unit_test(test_exit_codes_distinct),
		cmocka_unit_test(test_remedies_named),
		cmocka_unit_test(test_classify_load_errors),
		cmocka_unit_test(test_choose_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

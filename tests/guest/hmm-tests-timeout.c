// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel's own hmm-tests selftest (tools/testing/selftests/mm or vm),
 * compiled unchanged but with a per-test timeout of HMM_TESTS_TIMEOUT
 * seconds instead of the harness's 30: on 6.1 the exclusive-access tests
 * that fail there retry until the timeout ends them. Built by
 * tests/guest/build-hmm-tests.sh.
 */
#include "kselftest_harness.h"
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT HMM_TESTS_TIMEOUT
#include "hmm-tests.c"

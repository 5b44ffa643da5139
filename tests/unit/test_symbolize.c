// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* User-space symbols from a process's maps (tools/lib/kernel/symbolize.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "kernel/symbolize.h"

__attribute__((noinline)) int devmem_test_target(int x)
{
	return x * 3 + 1;
}

/* this test's own functions, from its live maps, and from kept ones */
static void test_own_functions(void **state)
{
	struct devmem_symbolizer *s = devmem_sym_new();
	char buf[128], *maps = NULL;
	size_t len = 0;
	__u64 addr = (__u64)(uintptr_t)&devmem_test_target;
	FILE *f, *kept;
	int c;

	assert_non_null(s);
	assert_int_equal(devmem_sym_capture(s, (__u32)getpid(), 1), 0);
	assert_string_equal(devmem_sym_name(s, getpid(), 1, addr, buf, sizeof(buf)),
			    "devmem_test_target");
	/* inside the function, not only at its start */
	assert_string_equal(devmem_sym_name(s, getpid(), 1, addr + 4, buf, sizeof(buf)),
			    "devmem_test_target");
	/* a function of a shared library (libc names it __getpid or getpid) */
	assert_non_null(strstr(devmem_sym_name(s, getpid(), 1, (__u64)(uintptr_t)&getpid, buf,
					       sizeof(buf)), "getpid"));
	/* nothing mapped there: the address */
	assert_string_equal(devmem_sym_name(s, getpid(), 1, 0x10, buf, sizeof(buf)), "0x10");
	/* an unknown process: the address */
	assert_string_equal(devmem_sym_name(s, 1, 7, addr, buf, sizeof(buf))[0] == '0' ? "ok" : buf,
			    "ok");
	/* maps kept as text serve a process that is gone */
	f = fopen("/proc/self/maps", "r");
	kept = open_memstream(&maps, &len);
	assert_non_null(f);
	assert_non_null(kept);
	while ((c = fgetc(f)) != EOF)
		fputc(c, kept);
	fclose(f);
	fclose(kept);
	f = fmemopen(maps, len, "r");
	assert_int_equal(devmem_sym_add_maps(s, 424242, 9, f), 0);
	fclose(f);
	assert_string_equal(devmem_sym_name(s, 424242, 9, addr, buf, sizeof(buf)),
			    "devmem_test_target");
	free(maps);
	assert_int_equal(devmem_test_target(1), 4);
	devmem_sym_free(s);
}

/* hostile maps lines are skipped, never crash */
static void test_bad_maps(void **state)
{
	static const char text[] =
		"zzzz\n"
		"1000-2000 r-xp 00000000 00:00 0 /nonexistent/file\n"
		"3000-2000 r-xp\n"
		"4000-5000 r-xp 0 0:0 0 relative/path\n";
	struct devmem_symbolizer *s = devmem_sym_new();
	char buf[64];
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	assert_int_equal(devmem_sym_add_maps(s, 5, 5, f), 0);
	fclose(f);
	assert_string_equal(devmem_sym_name(s, 5, 5, 0x1500, buf, sizeof(buf)), "0x1500");
	devmem_sym_free(s);
}

/*
 * A child forked without exec has its parent's layout: a child that is
 * gone is named from the parent's maps, kept under the child's identity;
 * a process with no /proc entry is -ENOENT.
 */
static void test_capture_from_parent(void **state)
{
	struct devmem_symbolizer *s = devmem_sym_new();
	__u64 addr = (__u64)(uintptr_t)&devmem_test_target;
	char buf[128];
	pid_t child;
	int status;

	assert_non_null(s);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(devmem_test_target(0) == 1 ? 0 : 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* reaped: nothing of it is left in /proc */
	assert_int_equal(devmem_sym_capture(s, (__u32)child, 3), -ENOENT);
	assert_int_equal(devmem_sym_capture_from(s, (__u32)child, 3, (__u32)getpid()), 0);
	assert_string_equal(devmem_sym_name(s, child, 3, addr, buf, sizeof(buf)),
			    "devmem_test_target");
	/* the parent itself is not captured by it */
	assert_string_equal(devmem_sym_name(s, getpid(), 3, addr, buf, sizeof(buf))[0] == '0' ?
			    "ok" : buf, "ok");
	assert_int_equal(devmem_sym_capture_from(s, 7, 7, 0x7ffffff0), -ENOENT);
	devmem_sym_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_functions),
		cmocka_unit_test(test_bad_maps),
		cmocka_unit_test(test_capture_from_parent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmem-check: the kernel config reader (plain and gzip), the config
 * search, the driver list, the verdict on the facts of the kernels the
 * suite boots and of this host, and the built tool on this host against
 * what the test reads for itself (uname, /proc/config.gz with zcat).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <zlib.h>
#include "cli/errors.h"
#include "kernel/host_facts.h"
#include "render/host_check.h"

#ifndef DEVMEM_BUILD_DIR
#error "DEVMEM_BUILD_DIR: the Makefile passes the build directory"
#endif

static char dir[] = "/tmp/test-host-check.XXXXXX";

static void write_file(const char *rel, const char *text, bool gz)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = strchr(path + strlen(dir) + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (gz) {
		gzFile f = gzopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(gzputs(f, text), (int)strlen(text));
		gzclose(f);
	} else {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
}

static const char *at(const char *rel)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void test_kconfig_read(void **state)
{
	static const char cfg[] =
		"# Automatically generated file; DO NOT EDIT.\n"
		"CONFIG_ZONE_DEVICE=y\n"
		"# CONFIG_DEVICE_PRIVATE is not set\n"
		"CONFIG_TEST_HMM=m\n"
		"CONFIG_DEVICE_PRIVATE_X=y\n"
		"CONFIG_LOCALVERSION=\"-x\"\n";
	char v[16];

	write_file("plain.config", cfg, false);
	write_file("config.gz", cfg, true);
	for (int gz = 0; gz < 2; gz++) {
		const char *p = at(gz ? "config.gz" : "plain.config");
		char path[512];

		snprintf(path, sizeof(path), "%s", p);
		assert_int_equal(devmem_kconfig_read(path, "CONFIG_ZONE_DEVICE", v, sizeof(v)),
				 DEVMEM_KCONFIG_YES);
		assert_string_equal(v, "y");
		/* "is not set", and a longer name that starts the same is another option */
		assert_int_equal(devmem_kconfig_read(path, "CONFIG_DEVICE_PRIVATE", v, sizeof(v)),
				 DEVMEM_KCONFIG_NO);
		assert_int_equal(devmem_kconfig_read(path, "CONFIG_TEST_HMM", v, sizeof(v)),
				 DEVMEM_KCONFIG_YES);
		assert_string_equal(v, "m");
		/* not in the file: not set */
		assert_int_equal(devmem_kconfig_read(path, "CONFIG_HMM_MIRROR", v, sizeof(v)),
				 DEVMEM_KCONFIG_NO);
	}
	assert_int_equal(devmem_kconfig_read(at("none"), "CONFIG_ZONE_DEVICE", v, sizeof(v)),
			 DEVMEM_KCONFIG_UNKNOWN);
}

static void test_kconfig_find(void **state)
{
	char root[512], path[600];

	snprintf(root, sizeof(root), "%s/root1", dir);
	assert_int_equal(devmem_kconfig_find(root, "6.12.0-x", path, sizeof(path)), -ENOENT);
	assert_string_equal(path, "");
	write_file("root1/lib/modules/6.12.0-x/build/.config", "CONFIG_DEVICE_PRIVATE=y\n", false);
	assert_int_equal(devmem_kconfig_find(root, "6.12.0-x", path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/lib/modules/6.12.0-x/build/.config"));
	/* /boot before the module tree, /proc/config.gz (the running kernel's own) first */
	write_file("root1/boot/config-6.12.0-x", "CONFIG_DEVICE_PRIVATE=y\n", false);
	assert_int_equal(devmem_kconfig_find(root, "6.12.0-x", path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/boot/config-6.12.0-x"));
	write_file("root1/proc/config.gz", "CONFIG_DEVICE_PRIVATE=y\n", true);
	assert_int_equal(devmem_kconfig_find(root, "6.12.0-x", path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/proc/config.gz"));
	/* another kernel's config is not this one's */
	assert_int_equal(devmem_kconfig_find(root, "6.1.0-y", path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/proc/config.gz"));
}

static void test_drivers(void **state)
{
	unsigned int loaded;
	bool from_modules;
	char sys[512];

	write_file("modules", "test_hmm 40960 0 - Live 0x0\n"
		   "nouveau_x 4096 0 - Live 0x0\n"
		   "nvidia_uvm 1900544 2 - Live 0x0 (POE)\n", false);
	write_file("sys/module/xe/parameters/x", "", false);
	snprintf(sys, sizeof(sys), "%s/sys/module", dir);
	assert_int_equal(devmem_drivers_loaded(at("modules"), sys, &loaded, &from_modules), 0);
	assert_true(from_modules);
	assert_int_equal(loaded, 1U << DEVMEM_DRV_TEST_HMM | 1U << DEVMEM_DRV_NVIDIA_UVM |
			 1U << DEVMEM_DRV_XE);
	/* a kernel without modules: built-in drivers only */
	assert_int_equal(devmem_drivers_loaded(at("nomodules"), sys, &loaded, &from_modules), 0);
	assert_false(from_modules);
	assert_int_equal(loaded, 1U << DEVMEM_DRV_XE);
	assert_int_equal(devmem_drivers_loaded(at("nomodules"), at("nosys"), &loaded,
					       &from_modules), -ENOENT);
	assert_string_equal(devmem_driver_name(DEVMEM_DRV_TESTDRV), "devmem_testdrv");
}

/* ---- the verdict ---------------------------------------------------------- */

static void base(struct devmem_host_facts *h)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->machine, "x86_64");
	strcpy(h->release, "6.12.118");
	h->btf = h->privileged = h->root = true;
	h->probed = true;
	h->feat.btf = true;
	h->drivers_known = h->drivers_from_modules = true;
}

/* the patched 6.12 guest: the devmem tracepoints, test_hmm's two ranges */
static void patched(struct devmem_host_facts *h)
{
	base(h);
	h->feat.tracepoints = h->feat.tp_btf = true;
	h->feat.flavour = DEVMEM_TP_V2;
	h->feat.fentry = true;
	h->feat.fn[DEVMEM_FN_MEMREMAP_PAGES] = h->feat.fn[DEVMEM_FN_FREE_FOLIO] = true;
	h->mode = DEVMEM_MODE_TP_BTF;
	h->session_tried = true;
	h->ranges_known = true;
	strcpy(h->ranges_from, "found in the kernel");
	h->nr_private = 2;
	h->private_bytes = 512ULL << 20;
	strcpy(h->devices, "hmm_dmirror0, hmm_dmirror1");
	h->drivers = 1U << DEVMEM_DRV_TEST_HMM;
}

static const struct devmem_check_line *line(const struct devmem_host_check *c,
					    const char *what)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->line[i].what, what))
			return &c->line[i];
	fail_msg("no line %s", what);
	return NULL;
}

static char *print(const struct devmem_host_check *c)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	devmem_host_check_print(f, c);
	fclose(f);
	return buf;
}

static void test_judge_guests(void **state)
{
	struct devmem_host_facts h;
	struct devmem_host_check c;
	const char *out;

	patched(&h);
	devmem_host_check_judge(&h, &c);
	assert_int_equal(c.exit_code, 0);
	for (size_t i = 0; i < c.n; i++)
		if (c.line[i].status == DEVMEM_CHECK_MISSING)
			fail_msg("%s is missing: %s", c.line[i].what, c.line[i].detail);
	/* no config in the guest: the ranges prove DEVICE_PRIVATE */
	assert_int_equal(line(&c, "DEVICE_PRIVATE")->status, DEVMEM_CHECK_OK);
	assert_non_null(strstr(line(&c, "DEVICE_PRIVATE")->detail, "range is present"));
	assert_non_null(strstr(line(&c, "tracepoints")->detail, "the devmem events"));
	assert_non_null(strstr(line(&c, "ranges")->detail, "2 device-private (512M)"));
	assert_non_null(strstr(line(&c, "ranges")->detail, "hmm_dmirror0, hmm_dmirror1"));
	assert_string_equal(line(&c, "drivers")->detail, "test_hmm");
	out = print(&c);
	assert_non_null(strstr(out, "This host can be observed"));
	assert_null(strstr(out, "What to do"));

	/* the unpatched kernels: no tracepoints, the fallback attaches */
	patched(&h);
	h.feat.tracepoints = h.feat.tp_btf = false;
	h.feat.flavour = DEVMEM_TP_NONE;
	h.mode = DEVMEM_MODE_FENTRY;
	strcpy(h.config_path, "/x/config");
	h.device_private = DEVMEM_KCONFIG_YES;
	devmem_host_check_judge(&h, &c);
	assert_int_equal(c.exit_code, 0);
	assert_int_equal(line(&c, "tracepoints")->status, DEVMEM_CHECK_ABSENT);
	assert_string_equal(line(&c, "fallback")->detail,
			    "fentry and fexit attach to memremap_pages, free_zone_device_folio");
	assert_string_equal(line(&c, "DEVICE_PRIVATE")->detail,
			    "CONFIG_DEVICE_PRIVATE=y in /x/config");
	assert_non_null(strstr(line(&c, "programs")->detail, "(fentry)"));

	/* test_hmm unloaded: nothing to observe, the remedy names the drivers */
	h.nr_private = 0;
	h.devices[0] = '\0';
	h.drivers = 0;
	devmem_host_check_judge(&h, &c);
	assert_int_equal(c.exit_code, DEVMEM_EXIT_NO_DEVMEM);
	assert_int_equal(line(&c, "ranges")->status, DEVMEM_CHECK_MISSING);
	assert_non_null(strstr(line(&c, "ranges")->remedy, "nouveau with CONFIG_DRM_NOUVEAU_SVM"));
	assert_non_null(strstr(line(&c, "ranges")->remedy, "CONFIG_HSA_AMD_SVM"));
	assert_non_null(strstr(line(&c, "ranges")->remedy, "NVIDIA's open kernel modules"));
	assert_int_equal(line(&c, "drivers")->status, DEVMEM_CHECK_ABSENT);
	/* a driver loaded that has added nothing yet */
	h.drivers = 1U << DEVMEM_DRV_NOUVEAU;
	devmem_host_check_judge(&h, &c);
	assert_int_equal(c.exit_code, DEVMEM_EXIT_NO_DEVMEM);
	assert_non_null(strstr(line(&c, "ranges")->remedy, "nouveau is loaded but"));
	out = print(&c);
	assert_non_null(strstr(out, "cannot be observed yet (exit status 17)"));
	assert_non_null(strstr(out, "\n- nouveau is loaded but"));
}

static void test_judge_this_host(void **state)
{
	struct devmem_host_facts h;
	struct devmem_host_check c;
	const char *out;

	/* BTF, no DEVICE_PRIVATE, no series, fentry refused with EPERM, no modules */
	base(&h);
	strcpy(h.config_path, "/proc/config.gz");
	h.device_private = DEVMEM_KCONFIG_NO;
	h.feat.fentry_refused = true;
	h.fn_in_btf[DEVMEM_FN_MEMREMAP_PAGES] = true;
	h.mode_err = DEVMEM_E_REFUSED;
	h.drivers_from_modules = false;
	devmem_host_check_judge(&h, &c);
	/* what stops the tools comes first, then that there is nothing to see */
	assert_int_equal(c.exit_code, DEVMEM_EXIT_REFUSED);
	assert_int_equal(line(&c, "DEVICE_PRIVATE")->status, DEVMEM_CHECK_MISSING);
	assert_string_equal(line(&c, "DEVICE_PRIVATE")->detail,
			    "CONFIG_DEVICE_PRIVATE is not set in /proc/config.gz");
	assert_non_null(strstr(line(&c, "DEVICE_PRIVATE")->remedy, "Debian's stock 6.1 and 6.12"));
	assert_int_equal(line(&c, "fallback")->status, DEVMEM_CHECK_MISSING);
	assert_string_equal(line(&c, "fallback")->remedy, devmem_strerror(DEVMEM_E_REFUSED));
	/* the ranges' absence is the config's: one remedy, not two */
	assert_int_equal(line(&c, "ranges")->status, DEVMEM_CHECK_MISSING);
	assert_string_equal(line(&c, "ranges")->remedy, "");
	assert_non_null(strstr(line(&c, "drivers")->detail, "no /proc/modules"));
	out = print(&c);
	assert_non_null(strstr(out, "exit status 13"));
	assert_int_equal(strstr(out, "- The running kernel") < strstr(out, "- The kernel refused"),
			 1);
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			fail_msg("a control byte 0x%02x in the output", *p);
	for (const char *p = out, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl - p > 79)
			fail_msg("a line of %d columns: %.*s", (int)(nl - p), (int)(nl - p), p);
	}
}

static void test_judge_each_missing_piece(void **state)
{
	struct devmem_host_facts h;
	struct devmem_host_check c;

	patched(&h);
	h.privileged = h.root = false;
	h.feat.tp_btf = h.feat.fentry = false;
	h.mode_err = DEVMEM_E_PERM;
	h.session_tried = false;
	h.ranges_known = false;
	strcpy(h.ranges_note, "finding them needs root");
	devmem_host_check_judge(&h, &c);
	assert_int_equal(c.exit_code, DEVMEM_EXIT_PERM);
	assert_int_equal(line(&c, "privileges")->status, DEVMEM_CHECK_MISSING);
	assert_int_equal(line(&c, "fallback")->status, DEVMEM_CHECK_UNKNOWN);
	assert_int_equal(line(&c, "ranges")->status, DEVMEM_CHECK_UNKNOWN);
	/* BTF still names the tracepoints for anyone */
	assert_int_equal(line(&c, "tracepoints")->status, DEVMEM_CHECK_OK);

	base(&h);
	h.btf = h.feat.btf = h.probed = false;
	h.mode_err = DEVMEM_E_NO_BTF;
	devmem_host_check_judge(&h, &c);
	assert_int_equal(c.exit_code, DEVMEM_EXIT_NO_BTF);
	assert_string_equal(line(&c, "BTF")->remedy, devmem_strerror(DEVMEM_E_NO_BTF));

	patched(&h);
	strcpy(h.machine, "aarch64");
	devmem_host_check_judge(&h, &c);
	assert_int_equal(c.exit_code, DEVMEM_EXIT_NO_HOOKS);
	assert_non_null(strstr(line(&c, "architecture")->remedy, "x86_64 only"));

	/* the probe is happy, the trial load is not: the tools' own code */
	patched(&h);
	h.session_err = DEVMEM_E_LOAD;
	devmem_host_check_judge(&h, &c);
	assert_int_equal(c.exit_code, DEVMEM_EXIT_LOAD);
	assert_string_equal(line(&c, "programs")->remedy, devmem_strerror(DEVMEM_E_LOAD));

	/* neither tracepoints nor fentry, no refusal */
	base(&h);
	h.device_private = DEVMEM_KCONFIG_YES;
	h.mode_err = DEVMEM_E_NO_HOOKS;
	devmem_host_check_judge(&h, &c);
	assert_int_equal(c.exit_code, DEVMEM_EXIT_NO_HOOKS);
	assert_non_null(strstr(line(&c, "fallback")->detail, "not in the kernel's BTF"));

	/* no config anywhere and nothing that proves it: unknown, and said in the remedy */
	patched(&h);
	h.nr_private = 0;
	h.drivers = 0;
	devmem_host_check_judge(&h, &c);
	assert_int_equal(line(&c, "DEVICE_PRIVATE")->status, DEVMEM_CHECK_UNKNOWN);
	assert_non_null(strstr(line(&c, "DEVICE_PRIVATE")->detail, "--config FILE"));
	assert_non_null(strstr(line(&c, "ranges")->remedy, "check that the kernel has "
			       "CONFIG_DEVICE_PRIVATE=y"));

	/* a device name from the kernel is shown, never obeyed */
	patched(&h);
	strcpy(h.devices, "gpu\x1b[2J");
	devmem_host_check_judge(&h, &c);
	assert_non_null(strstr(line(&c, "ranges")->detail, "gpu\\x1b[2J"));
}

/* ---- the tool on this host ------------------------------------------------- */

static int run(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	size_t got = 0, n;
	va_list ap;
	FILE *p;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (got < len - 1 && (n = fread(out + got, 1, len - 1 - got, p)) > 0)
		got += n;
	out[got] = 0;
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* the STATUS word of a line of the tool's output */
static const char *status_of(const char *out, const char *what)
{
	static char st[16];
	char want[32];
	const char *p;

	snprintf(want, sizeof(want), "\n%-15s ", what);
	p = strstr(out, want);
	if (!p || sscanf(p + strlen(want), "%15s", st) != 1)
		return "(no line)";
	return st;
}

static void test_tool_on_this_host(void **state)
{
	static char out[16384], facts[1024];
	struct utsname u;
	const char *dp;
	bool any_missing;
	int rc;

	rc = run(out, sizeof(out), "%s/devmem-check 2>&1", DEVMEM_BUILD_DIR);
	assert_int_equal(uname(&u), 0);
	assert_non_null(strstr(out, u.machine));
	assert_string_equal(status_of(out, "BTF"),
			    access("/sys/kernel/btf/vmlinux", R_OK) ? "missing" : "ok");
	assert_string_equal(status_of(out, "privileges"), geteuid() ? "missing" : "ok");
	/* DEVICE_PRIVATE as /proc/config.gz says it, read here with zcat */
	if (run(facts, sizeof(facts), "zcat /proc/config.gz 2>/dev/null | "
		"grep -E '^(# )?CONFIG_DEVICE_PRIVATE[= ]'") == 0) {
		dp = strstr(facts, "CONFIG_DEVICE_PRIVATE=y") ? "ok" : "missing";
		assert_string_equal(status_of(out, "DEVICE_PRIVATE"), dp);
		if (!strcmp(dp, "missing")) {
			assert_non_null(strstr(out, "CONFIG_DEVICE_PRIVATE is not set in "
					       "/proc/config.gz"));
			assert_non_null(strstr(out, "- The running kernel is built without "
					       "CONFIG_DEVICE_PRIVATE"));
		}
	}
	any_missing = strstr(out, " missing  ") != NULL;
	if (any_missing != (rc != 0))
		fail_msg("exit status %d, yet %s line is missing:\n%s", rc,
			 any_missing ? "a" : "no", out);
	if (rc) {
		char want[64];

		snprintf(want, sizeof(want), "cannot be observed yet (exit status %d)", rc);
		assert_non_null(strstr(out, want));
	}
	for (const char *p = out; *p; p++)
		if (*p == '\x1b')
			fail_msg("an escape byte in devmem-check's output");

	/* --config: another file's word, plain or gzip */
	write_file("dp-yes.config", "CONFIG_ZONE_DEVICE=y\nCONFIG_DEVICE_PRIVATE=y\n", true);
	run(out, sizeof(out), "%s/devmem-check --config %s 2>&1", DEVMEM_BUILD_DIR,
	    at("dp-yes.config"));
	assert_string_equal(status_of(out, "DEVICE_PRIVATE"), "ok");
	assert_non_null(strstr(out, "CONFIG_DEVICE_PRIVATE=y in"));
	rc = run(out, sizeof(out), "%s/devmem-check --config '' 2>&1", DEVMEM_BUILD_DIR);
	assert_int_equal(rc, DEVMEM_EXIT_USAGE);
	rc = run(out, sizeof(out), "%s/devmem-check extra 2>&1", DEVMEM_BUILD_DIR);
	assert_int_equal(rc, DEVMEM_EXIT_USAGE);
	assert_non_null(strstr(out, "devmem-check: unexpected argument 'extra'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kconfig_read),
		cmocka_unit_test(test_kconfig_find),
		cmocka_unit_test(test_drivers),
		cmocka_unit_test(test_judge_guests),
		cmocka_unit_test(test_judge_this_host),
		cmocka_unit_test(test_judge_each_missing_piece),
		cmocka_unit_test(test_tool_on_this_host),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

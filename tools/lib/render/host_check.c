// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmem-check's verdict: the facts of a host judged line by line (host_check.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli/errors.h"
#include "cli/sanitize.h"
#include "kernel/host_facts.h"
#include "kernel/probe.h"
#include "render/host_check.h"
#include "render/top_view.h"

#define WIDTH		79
#define DETAIL_COL	25

static const char *const status_names[] = {
	[DEVMEM_CHECK_OK] = "ok",
	[DEVMEM_CHECK_MISSING] = "missing",
	[DEVMEM_CHECK_UNKNOWN] = "unknown",
	[DEVMEM_CHECK_ABSENT] = "absent",
};

const char *devmem_check_status_name(enum devmem_check_status s)
{
	return (unsigned int)s <= DEVMEM_CHECK_ABSENT ? status_names[s] : "?";
}

static struct devmem_check_line *add(struct devmem_host_check *c, const char *what,
				     enum devmem_check_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static struct devmem_check_line *add(struct devmem_host_check *c, const char *what,
				     enum devmem_check_status st, const char *fmt, ...)
{
	struct devmem_check_line *l = &c->line[c->n < DEVMEM_CHECK_MAX_LINES ? c->n++ : c->n - 1];
	va_list ap;

	memset(l, 0, sizeof(*l));
	l->what = what;
	l->status = st;
	va_start(ap, fmt);
	vsnprintf(l->detail, sizeof(l->detail), fmt, ap);
	va_end(ap);
	return l;
}

static void missing(struct devmem_check_line *l, int exit_code, const char *remedy)
{
	l->status = DEVMEM_CHECK_MISSING;
	l->exit_code = exit_code;
	snprintf(l->remedy, sizeof(l->remedy), "%s", remedy ? remedy : "");
}

/* a name from the kernel, filtered for the terminal */
static const char *clean(char *buf, size_t len, const char *s, size_t n)
{
	devmem_sanitize(buf, len, s, n, 0);
	return buf;
}

static void judge_base(const struct devmem_host_facts *h, struct devmem_host_check *c)
{
	char m[DEVMEM_SANITIZED_SIZE(65)], r[DEVMEM_SANITIZED_SIZE(65)];
	struct devmem_check_line *l;

	clean(m, sizeof(m), h->machine, sizeof(h->machine));
	clean(r, sizeof(r), h->release, sizeof(h->release));
	l = add(c, "architecture", DEVMEM_CHECK_OK, "%s, Linux %s", m[0] ? m : "?", r);
	if (strcmp(h->machine, "x86_64"))
		missing(l, DEVMEM_EXIT_NO_HOOKS,
			"devmem-kit supports x86_64 only (its BPF programs compute struct page "
			"addresses from the x86-64 memory map): run it on an x86_64 host.");

	l = add(c, "BTF", DEVMEM_CHECK_OK, "/sys/kernel/btf/vmlinux");
	if (!h->btf) {
		snprintf(l->detail, sizeof(l->detail), "no /sys/kernel/btf/vmlinux: a kernel built "
			 "without CONFIG_DEBUG_INFO_BTF");
		missing(l, DEVMEM_EXIT_NO_BTF, devmem_strerror(DEVMEM_E_NO_BTF));
	}

	l = add(c, "privileges", DEVMEM_CHECK_OK, "%s", h->root ? "root" :
		"CAP_BPF with CAP_PERFMON (or CAP_SYS_ADMIN)");
	if (!h->privileged) {
		snprintf(l->detail, sizeof(l->detail), "neither root nor CAP_BPF with CAP_PERFMON: "
			 "no BPF program could be loaded to try the hooks");
		missing(l, DEVMEM_EXIT_PERM, devmem_strerror(DEVMEM_E_PERM));
	}
}

static bool test_driver_loaded(const struct devmem_host_facts *h)
{
	return h->drivers & (1U << DEVMEM_DRV_TEST_HMM | 1U << DEVMEM_DRV_TESTDRV);
}

static void judge_config(const struct devmem_host_facts *h, struct devmem_host_check *c)
{
	struct devmem_check_line *l;
	char r[DEVMEM_SANITIZED_SIZE(65)];

	clean(r, sizeof(r), h->release, sizeof(h->release));
	if (h->device_private == DEVMEM_KCONFIG_YES) {
		add(c, "DEVICE_PRIVATE", DEVMEM_CHECK_OK, "CONFIG_DEVICE_PRIVATE=y in %s",
		    h->config_path);
	} else if (h->device_private == DEVMEM_KCONFIG_NO) {
		l = add(c, "DEVICE_PRIVATE", DEVMEM_CHECK_MISSING, "CONFIG_DEVICE_PRIVATE is not set "
			"in %s", h->config_path);
		missing(l, DEVMEM_EXIT_NO_DEVMEM,
			"The running kernel is built without CONFIG_DEVICE_PRIVATE (Debian's stock "
			"6.1 and 6.12 images are), so no driver can hand out device-private memory: "
			"boot a kernel built with CONFIG_ZONE_DEVICE=y, CONFIG_DEVICE_PRIVATE=y and "
			"the SVM or HMM option of the GPU's driver (devmem-check(8) lists them).");
	} else if (h->nr_private) {
		add(c, "DEVICE_PRIVATE", DEVMEM_CHECK_OK, "a device-private range is present (no "
		    "kernel config was %s)", h->config_path[0] ? "readable" : "found");
	} else if (test_driver_loaded(h)) {
		add(c, "DEVICE_PRIVATE", DEVMEM_CHECK_OK, "%s is loaded, which needs it (no kernel "
		    "config was %s)", h->drivers & (1U << DEVMEM_DRV_TEST_HMM) ? "test_hmm" :
		    "devmem_testdrv", h->config_path[0] ? "readable" : "found");
	} else if (h->config_path[0]) {
		add(c, "DEVICE_PRIVATE", DEVMEM_CHECK_UNKNOWN, "%s cannot be read", h->config_path);
	} else {
		add(c, "DEVICE_PRIVATE", DEVMEM_CHECK_UNKNOWN, "no kernel config found "
		    "(/proc/config.gz, /boot/config-%s, /lib/modules/%s/config): give one with "
		    "--config FILE", r, r);
	}
}

static void judge_hooks(const struct devmem_host_facts *h, struct devmem_host_check *c)
{
	struct devmem_check_line *tp, *fb;
	const char *how = "";

	if (h->feat.tracepoints)
		how = h->feat.tp_btf ? ", tp_btf programs load on them" :
		      h->privileged ? ", as raw tracepoints (tp_btf is refused)" : "";
	if (!h->probed)
		tp = add(c, "tracepoints", DEVMEM_CHECK_UNKNOWN, "not looked for: the tools need BTF");
	else if (h->feat.flavour == DEVMEM_TP_V3)
		tp = add(c, "tracepoints", DEVMEM_CHECK_OK, "the zone_device events (kernel series "
			 "v3)%s", how);
	else if (h->feat.flavour == DEVMEM_TP_V2)
		tp = add(c, "tracepoints", DEVMEM_CHECK_OK, "the devmem events (kernel series v2)%s",
			 how);
	else
		tp = add(c, "tracepoints", DEVMEM_CHECK_ABSENT, "neither the zone_device nor the "
			 "devmem events: a kernel without the devmem patch series");

	if (!h->probed) {
		fb = add(c, "fallback", DEVMEM_CHECK_UNKNOWN, "not tried: the tools need BTF");
	} else if (!h->privileged) {
		fb = add(c, "fallback", DEVMEM_CHECK_UNKNOWN, "not tried: a trial load needs the "
			 "privileges");
	} else if (h->feat.fentry) {
		size_t pos, n = 0;

		fb = add(c, "fallback", DEVMEM_CHECK_OK, "fentry and fexit attach to");
		pos = strlen(fb->detail);
		for (int i = 0; i < DEVMEM_FN_COUNT; i++) {
			/* one name once: two entries may be one function of two signatures */
			if (!h->feat.fn[i] || strstr(fb->detail, devmem_fn_name(i)))
				continue;
			if (pos < sizeof(fb->detail))
				pos += (size_t)snprintf(fb->detail + pos, sizeof(fb->detail) - pos,
							"%s %s", n ? "," : "", devmem_fn_name(i));
			n++;
		}
		if (!n)
			snprintf(fb->detail, sizeof(fb->detail), "fentry attaches to memremap_pages");
	} else if (h->feat.fentry_refused) {
		fb = add(c, "fallback", DEVMEM_CHECK_ABSENT, "the kernel refuses fentry programs "
			 "(EPERM) although the tool is privileged: lockdown, a security module or a "
			 "container");
	} else if (h->fn_in_btf[DEVMEM_FN_MEMREMAP_PAGES]) {
		fb = add(c, "fallback", DEVMEM_CHECK_ABSENT, "memremap_pages takes no fentry "
			 "program: a kernel without BPF trampolines");
	} else {
		fb = add(c, "fallback", DEVMEM_CHECK_ABSENT, "memremap_pages is not in the kernel's "
			 "BTF: a kernel without CONFIG_ZONE_DEVICE");
	}

	/* neither hook: the tools would stop here with the same sentence */
	if (h->probed && h->privileged && h->mode_err != DEVMEM_OK) {
		tp->status = DEVMEM_CHECK_MISSING;
		missing(fb, devmem_exit_code(h->mode_err), devmem_strerror(h->mode_err));
	}
}

static void judge_programs(const struct devmem_host_facts *h, struct devmem_host_check *c)
{
	struct devmem_check_line *l;

	if (!h->session_tried) {
		add(c, "programs", DEVMEM_CHECK_UNKNOWN, "not loaded: %s", !h->privileged ?
		    "they need the privileges" : !h->btf ? "they need BTF" : "no hook to attach to");
		return;
	}
	if (h->session_err == DEVMEM_OK) {
		add(c, "programs", DEVMEM_CHECK_OK, "the tools' range programs load and attach "
		    "(%s)", devmem_mode_name(h->mode));
		return;
	}
	l = add(c, "programs", DEVMEM_CHECK_MISSING, "the tools' range programs do not load "
		"or attach (%s)", devmem_mode_name(h->mode));
	missing(l, devmem_exit_code(h->session_err), devmem_strerror(h->session_err));
}

static void loaded_list(const struct devmem_host_facts *h, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (int d = 0; d < DEVMEM_DRV_COUNT; d++)
		if ((h->drivers & (1U << d)) && pos < len)
			pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "",
						devmem_driver_name(d));
}

static void judge_memory(const struct devmem_host_facts *h, struct devmem_host_check *c)
{
	char devs[DEVMEM_SANITIZED_SIZE(sizeof(h->devices))], size[32], csize[32], drv[128];
	char note[DEVMEM_SANITIZED_SIZE(sizeof(h->ranges_note))], remedy[512];
	struct devmem_check_line *l;

	loaded_list(h, drv, sizeof(drv));
	if (h->ranges_known && (h->nr_private || h->nr_coherent)) {
		clean(devs, sizeof(devs), h->devices, sizeof(h->devices));
		top_fmt_bytes(size, sizeof(size), h->private_bytes);
		top_fmt_bytes(csize, sizeof(csize), h->coherent_bytes);
		l = add(c, "ranges", DEVMEM_CHECK_OK, "%zu device-private (%s)", h->nr_private, size);
		if (h->nr_coherent)
			snprintf(l->detail + strlen(l->detail), sizeof(l->detail) - strlen(l->detail),
				 " and %zu coherent (%s)", h->nr_coherent, csize);
		snprintf(l->detail + strlen(l->detail), sizeof(l->detail) - strlen(l->detail),
			 " of %s, %s", devs[0] ? devs : "?", h->ranges_from);
	} else if (h->device_private == DEVMEM_KCONFIG_NO) {
		add(c, "ranges", DEVMEM_CHECK_MISSING, "none: the kernel has no DEVICE_PRIVATE");
	} else if (h->ranges_known) {
		l = add(c, "ranges", DEVMEM_CHECK_MISSING, "none now, %s", h->ranges_from);
		if (drv[0])
			snprintf(remedy, sizeof(remedy), "%s is loaded but has added no device memory "
				 "yet (amdgpu adds it only with CONFIG_HSA_AMD_SVM, xe only with "
				 "CONFIG_DRM_XE_GPUSVM, and some only when a program first uses shared "
				 "virtual memory): run such a program, which the tools follow as it starts, "
				 "and devmem-check again%s", drv, h->device_private ==
				 DEVMEM_KCONFIG_UNKNOWN ? ", and check that the kernel has "
				 "CONFIG_DEVICE_PRIVATE=y." : ".");
		else
			snprintf(remedy, sizeof(remedy), "No driver has added device-private memory: "
				 "load one that does (nouveau with CONFIG_DRM_NOUVEAU_SVM, amdgpu with "
				 "CONFIG_HSA_AMD_SVM, xe with CONFIG_DRM_XE_GPUSVM, NVIDIA's open "
				 "kernel modules with HMM, or test_hmm to try the tools), then run devmem-check "
				 "again%s", h->device_private == DEVMEM_KCONFIG_UNKNOWN ?
				 ", and check that the kernel has CONFIG_DEVICE_PRIVATE=y." : ".");
		missing(l, DEVMEM_EXIT_NO_DEVMEM, remedy);
	} else {
		clean(note, sizeof(note), h->ranges_note, sizeof(h->ranges_note));
		add(c, "ranges", DEVMEM_CHECK_UNKNOWN, "%s", note[0] ? note : "cannot be listed here");
	}

	if (!h->drivers_known)
		add(c, "drivers", DEVMEM_CHECK_UNKNOWN, "/proc/modules and /sys/module cannot be read");
	else if (drv[0])
		add(c, "drivers", DEVMEM_CHECK_OK, "%s", drv);
	else
		add(c, "drivers", DEVMEM_CHECK_ABSENT, "none of nouveau, amdgpu, xe, nvidia_uvm, "
		    "test_hmm, devmem_testdrv%s", h->drivers_from_modules ? "" : " (no "
		    "/proc/modules: a kernel without modules; /sys/module searched)");
}

void devmem_host_check_judge(const struct devmem_host_facts *h, struct devmem_host_check *c)
{
	int later = 0;

	memset(c, 0, sizeof(*c));
	judge_base(h, c);
	judge_config(h, c);
	judge_hooks(h, c);
	judge_programs(h, c);
	judge_memory(h, c);
	/* what stops the tools first, then what leaves them nothing to see */
	for (size_t i = 0; i < c->n; i++) {
		int e = c->line[i].status == DEVMEM_CHECK_MISSING ? c->line[i].exit_code : 0;

		if (!e)
			continue;
		if (e == DEVMEM_EXIT_NO_DEVMEM) {
			later = later ?: e;
			continue;
		}
		c->exit_code = e;
		return;
	}
	c->exit_code = later;
	/* a missing line without its own code still fails the check */
	for (size_t i = 0; i < c->n && !c->exit_code; i++)
		if (c->line[i].status == DEVMEM_CHECK_MISSING)
			c->exit_code = DEVMEM_EXIT_NO_DEVMEM;
}

/* text from *col on, wrapped at WIDTH by words, continuation lines indented */
static void wrap(FILE *out, const char *text, int col, int indent)
{
	const char *p = text;

	while (*p) {
		size_t room = WIDTH > col ? (size_t)(WIDTH - col) : 1, n = strlen(p);

		if (n > room) {
			size_t cut = room;

			while (cut > 0 && p[cut] != ' ')
				cut--;
			n = cut ? cut : strcspn(p, " ");
		}
		fprintf(out, "%.*s\n", (int)n, p);
		p += n;
		while (*p == ' ')
			p++;
		if (*p)
			fprintf(out, "%*s", indent, "");
		col = indent;
	}
}

void devmem_host_check_print(FILE *out, const struct devmem_host_check *c)
{
	size_t nmissing = 0;

	fprintf(out, "%-15s %-8s %s\n", "CHECK", "STATUS", "DETAIL");
	for (size_t i = 0; i < c->n; i++) {
		const struct devmem_check_line *l = &c->line[i];

		fprintf(out, "%-15s %-8s ", l->what, devmem_check_status_name(l->status));
		wrap(out, l->detail, DETAIL_COL, DETAIL_COL);
		nmissing += l->remedy[0] != '\0';
	}
	fputc('\n', out);
	if (!c->exit_code) {
		fprintf(out, "This host can be observed: run devmemtop, or devmemranges for\n"
			"its device memory.\n");
		return;
	}
	fprintf(out, "This host cannot be observed yet (exit status %d). What to do:\n",
		c->exit_code);
	for (size_t i = 0; i < c->n; i++)
		if (c->line[i].remedy[0]) {
			fprintf(out, "- ");
			wrap(out, c->line[i].remedy, 2, 2);
		}
	if (!nmissing)
		fprintf(out, "- %s\n", devmem_strerror(DEVMEM_E_NO_DEVMEM));
}

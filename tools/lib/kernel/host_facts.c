// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What this host offers the devmem tools: read from the kernel config, the
 * module list and the pagemap listings, and probed with BPF as the tools
 * probe it (host_facts.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <zlib.h>
#include "cli/errors.h"
#include "kernel/host_facts.h"
#include "kernel/pagemaps.h"
#include "kernel/probe.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "model/snapshot.h"

enum devmem_kconfig devmem_kconfig_read(const char *path, const char *name, char *val,
					size_t len)
{
	/* gzopen() reads a plain file as it is, and a gzip file inflated */
	gzFile f = gzopen(path, "rb");
	size_t n = strlen(name);
	char line[512];
	enum devmem_kconfig found = DEVMEM_KCONFIG_NO;

	if (len)
		val[0] = '\0';
	if (!f)
		return DEVMEM_KCONFIG_UNKNOWN;
	while (gzgets(f, line, sizeof(line))) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strncmp(line, name, n) && line[n] == '=') {
			const char *v = line + n + 1;

			found = strcmp(v, "n") ? DEVMEM_KCONFIG_YES : DEVMEM_KCONFIG_NO;
			if (len)
				snprintf(val, len, "%s", v);
		} else if (!strncmp(line, "# ", 2) && !strncmp(line + 2, name, n) &&
			   !strcmp(line + 2 + n, " is not set")) {
			found = DEVMEM_KCONFIG_NO;
		}
	}
	if (!gzeof(f)) {
		int e;

		gzerror(f, &e);
		gzclose(f);
		errno = e == Z_ERRNO ? errno : EIO;
		return DEVMEM_KCONFIG_UNKNOWN;
	}
	gzclose(f);
	return found;
}

int devmem_kconfig_find(const char *root, const char *release, char *path, size_t len)
{
	static const char *const where[] = {
		"%s/proc/config.gz", "%s/boot/config-%s", "%s/lib/modules/%s/config",
		"%s/lib/modules/%s/build/.config",
	};

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(path, len, where[i], root ? root : "", release);
		if (access(path, R_OK) == 0)
			return 0;
	}
	path[0] = '\0';
	return -ENOENT;
}

static const char *const driver_names[DEVMEM_DRV_COUNT] = {
	[DEVMEM_DRV_NOUVEAU] = "nouveau",
	[DEVMEM_DRV_AMDGPU] = "amdgpu",
	[DEVMEM_DRV_XE] = "xe",
	[DEVMEM_DRV_NVIDIA_UVM] = "nvidia_uvm",
	[DEVMEM_DRV_TEST_HMM] = "test_hmm",
	[DEVMEM_DRV_TESTDRV] = "devmem_testdrv",
};

const char *devmem_driver_name(enum devmem_driver d)
{
	return (unsigned int)d < DEVMEM_DRV_COUNT ? driver_names[d] : "?";
}

int devmem_drivers_loaded(const char *proc_modules, const char *sys_module,
			  unsigned int *loaded, bool *from_modules)
{
	FILE *f = fopen(proc_modules, "r");
	char line[512], path[512];
	struct stat st;
	bool dir;

	*loaded = 0;
	*from_modules = f != NULL;
	if (f) {
		/* "name size refcount deps state address" */
		while (fgets(line, sizeof(line), f)) {
			size_t n = strcspn(line, " ");

			for (int d = 0; d < DEVMEM_DRV_COUNT; d++)
				if (strlen(driver_names[d]) == n && !strncmp(line, driver_names[d], n))
					*loaded |= 1U << d;
		}
		fclose(f);
	}
	/* built in: a directory of /sys/module (where it has parameters) */
	dir = stat(sys_module, &st) == 0 && S_ISDIR(st.st_mode);
	for (int d = 0; dir && d < DEVMEM_DRV_COUNT; d++) {
		snprintf(path, sizeof(path), "%s/%s", sys_module, driver_names[d]);
		if (access(path, F_OK) == 0)
			*loaded |= 1U << d;
	}
	return *from_modules || dir ? 0 : -ENOENT;
}

/* the live ranges of a snapshot into the facts */
static void count_ranges(struct devmem_host_facts *h, const struct devmem_snapshot *s)
{
	__u64 page = (__u64)sysconf(_SC_PAGESIZE);
	size_t used = 0;

	h->ranges_known = true;
	for (size_t i = 0; i < s->nr_ranges; i++) {
		const struct devmem_snap_range *r = &s->ranges[i];
		__u64 bytes = r->r.nr_pages && r->r.nr_pages != DEVMEM_UNKNOWN ?
			      r->r.nr_pages * page : r->r.end - r->r.start + 1;
		const char *name = r->device[0] ? r->device : r->name;
		size_t n = strnlen(name, sizeof(r->device));
		char want[DEVMEM_NAME_LEN + 2];

		if (r->r.remove_done_ns)
			continue;
		if (r->r.type == DEVMEM_TYPE_COHERENT) {
			h->nr_coherent++;
			h->coherent_bytes += bytes;
		} else {
			h->nr_private++;
			h->private_bytes += bytes;
		}
		/* each device once; the names as read, filtered when shown */
		snprintf(want, sizeof(want), "%.*s", (int)n, name);
		if (!n || strstr(h->devices, want))
			continue;
		if (used + n + 3 < sizeof(h->devices))
			used += (size_t)snprintf(h->devices + used, sizeof(h->devices) - used, "%s%s",
						 used ? ", " : "", want);
	}
}

/* without BPF: the debugfs listings of the kernel series, which need root too */
static void read_listings(struct devmem_host_facts *h)
{
	static const char *const paths[] = { DEVMEM_PAGEMAPS_V3_PATH, DEVMEM_PAGEMAPS_PATH };
	struct devmem_snapshot s;

	devmem_snapshot_init(&s);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (devmem_discover_ranges(paths[i], &s) == 0) {
			devmem_name_ranges(NULL, &s);
			devmem_snapshot_group_devices(&s);
			count_ranges(h, &s);
			snprintf(h->ranges_from, sizeof(h->ranges_from), "%s", paths[i]);
			devmem_snapshot_free(&s);
			return;
		}
		/* the last one's reason, or the first's if it says more than "missing" */
		if (i == 0 || !h->ranges_note[0])
			memcpy(h->ranges_note, s.note, sizeof(h->ranges_note) - 1);
		devmem_snapshot_free(&s);
	}
}

/* the trial session: the tools' own path from probe to attach, the range programs only */
static void try_session(struct devmem_host_facts *h, bool verbose)
{
	struct devmem_opts o = {
		.families = DEVMEM_FAM_PAGEMAPS,
		.no_thrash = true,
		.verbose = verbose,
	};
	struct devmem_session *s;
	struct devmem_snapshot snap;

	h->session_tried = true;
	h->session_err = devmem_session_open(&o, &s);
	if (h->session_err)
		return;
	devmem_snapshot_init(&snap);
	if (devmem_session_snapshot(s, &snap) == 0) {
		count_ranges(h, &snap);
		snprintf(h->ranges_from, sizeof(h->ranges_from),
			 "found in the kernel by the tools' probe of /proc/iomem");
	} else {
		h->session_err = DEVMEM_E_READ;
	}
	devmem_snapshot_free(&snap);
	devmem_session_close(s);
}

static void probe_kernel(struct devmem_host_facts *h)
{
	struct btf *btf = devmem_probe_features(&h->feat);

	h->probed = true;
	h->btf = h->feat.btf;
	h->fallback_fns = devmem_session_fns(DEVMEM_MODE_FENTRY, DEVMEM_FAM_ALL);
	if (btf) {
		for (int i = 0; i < DEVMEM_FN_COUNT; i++)
			h->fn_in_btf[i] = btf__find_by_name_kind(btf, devmem_fn_name(i),
								 BTF_KIND_FUNC) > 0;
		devmem_probe_functions(&h->feat, btf, h->fallback_fns);
		btf__free(btf);
	}
	h->mode_err = devmem_choose_mode(&h->feat, false, &h->mode);
}

void devmem_host_facts_gather(struct devmem_host_facts *h, const char *config_path,
			      bool verbose)
{
	struct utsname u;
	char val[16];

	memset(h, 0, sizeof(*h));
	if (uname(&u) == 0) {
		snprintf(h->machine, sizeof(h->machine), "%s", u.machine);
		snprintf(h->release, sizeof(h->release), "%s", u.release);
	}
	h->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	h->privileged = devmem_have_privileges();
	h->root = geteuid() == 0;

	if (config_path)
		snprintf(h->config_path, sizeof(h->config_path), "%s", config_path);
	else
		devmem_kconfig_find("", h->release, h->config_path, sizeof(h->config_path));
	if (h->config_path[0])
		h->device_private = devmem_kconfig_read(h->config_path, "CONFIG_DEVICE_PRIVATE",
							val, sizeof(val));

	h->drivers_known = devmem_drivers_loaded("/proc/modules", "/sys/module", &h->drivers,
						 &h->drivers_from_modules) == 0;

	/*
	 * BTF names the tracepoints and functions for anyone; a trial load
	 * without the privileges proves nothing, so its results are dropped.
	 */
	if (h->btf) {
		probe_kernel(h);
		if (!h->privileged) {
			h->feat.tp_btf = h->feat.fentry = h->feat.fentry_refused = false;
			memset(h->feat.fn, 0, sizeof(h->feat.fn));
			h->mode_err = DEVMEM_E_PERM;
		} else if (h->mode_err == DEVMEM_OK) {
			try_session(h, verbose);
		}
	}
	if (!h->ranges_known && h->privileged)
		read_listings(h);
	if (!h->ranges_known && !h->privileged)
		snprintf(h->ranges_note, sizeof(h->ranges_note),
			 "finding them needs root (BPF, or the debugfs listing)");
}

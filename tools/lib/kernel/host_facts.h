/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What this host offers the devmem tools (host_facts.c), gathered for
 * devmem-check: the kernel's configuration, its BTF, the hooks a trial
 * probe finds, the device-private ranges present and the drivers loaded.
 * Facts only; render/host_check.c judges them.
 */
#ifndef DEVMEM_KERNEL_HOST_FACTS_H
#define DEVMEM_KERNEL_HOST_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include "cli/errors.h"
#include "kernel/probe.h"
#include "model/snapshot.h"

/* what a kernel config says of an option */
enum devmem_kconfig {
	DEVMEM_KCONFIG_UNKNOWN = 0,	/* no config found or readable */
	DEVMEM_KCONFIG_YES,		/* =y (or =m) */
	DEVMEM_KCONFIG_NO,		/* "is not set", or not in the file */
};

/*
 * The value of option NAME (CONFIG_...) in a kernel config, plain or gzip
 * (/proc/config.gz): DEVMEM_KCONFIG_YES with the value in val, NO, or
 * UNKNOWN when the file cannot be read (errno set).
 */
enum devmem_kconfig devmem_kconfig_read(const char *path, const char *name, char *val,
					size_t len);
/*
 * The config of the running kernel RELEASE: the first readable of
 * /proc/config.gz, /boot/config-RELEASE, /lib/modules/RELEASE/config and
 * /lib/modules/RELEASE/build/.config (root "" or a directory standing for
 * / in tests). 0 with its path, or -ENOENT.
 */
int devmem_kconfig_find(const char *root, const char *release, char *path, size_t len);

/* drivers that hand out device-private (or coherent) memory */
enum devmem_driver {
	DEVMEM_DRV_NOUVEAU = 0,
	DEVMEM_DRV_AMDGPU,
	DEVMEM_DRV_XE,
	DEVMEM_DRV_NVIDIA_UVM,
	DEVMEM_DRV_TEST_HMM,
	DEVMEM_DRV_TESTDRV,		/* tests/driver/devmem_testdrv */
	DEVMEM_DRV_COUNT,
};

/* its module name, as /proc/modules spells it */
const char *devmem_driver_name(enum devmem_driver d);
/*
 * The drivers loaded (bit i: enum devmem_driver i): modules from
 * proc_modules, built-in ones from the directories of sys_module
 * (/proc/modules and /sys/module; other paths in tests). *from_modules
 * tells whether proc_modules could be read. 0 or -errno if neither can.
 */
int devmem_drivers_loaded(const char *proc_modules, const char *sys_module,
			  unsigned int *loaded, bool *from_modules);

struct devmem_host_facts {
	char machine[65];		/* uname -m, as the kernel gave it */
	char release[65];		/* uname -r, as the kernel gave it */
	bool btf;			/* /sys/kernel/btf/vmlinux readable */
	bool privileged;		/* root, or CAP_BPF and CAP_PERFMON */
	bool root;			/* ... by euid 0 */

	enum devmem_kconfig device_private;	/* CONFIG_DEVICE_PRIVATE */
	char config_path[256];		/* where it was read; "" if nowhere */

	/*
	 * The probe of the kernel (kernel/probe.c), with BTF; without the
	 * privileges only what BTF names (no trial load: mode_err PERM).
	 */
	bool probed;			/* feat is filled */
	struct devmem_features feat;
	bool fn_in_btf[DEVMEM_FN_COUNT];	/* the function is in the kernel's BTF */
	unsigned int fallback_fns;	/* bits of enum devmem_fn the fallback would use */
	enum devmem_error mode_err;	/* devmem_choose_mode() */
	enum devmem_mode mode;

	/* a trial session of the range programs, as the tools open it */
	bool session_tried;
	enum devmem_error session_err;

	/* device memory present now */
	bool ranges_known;
	char ranges_from[128];		/* how they were found */
	char ranges_note[256];		/* why they are unknown, as read */
	size_t nr_private, nr_coherent;	/* live ranges */
	__u64 private_bytes, coherent_bytes;
	char devices[256];		/* device names, ", " apart, as read */

	/* drivers */
	bool drivers_known;		/* /proc/modules or /sys/module readable */
	bool drivers_from_modules;	/* ... /proc/modules was */
	unsigned int drivers;		/* bit i: enum devmem_driver i loaded */
};

/*
 * Gather the facts of this host. config_path: the kernel config to read
 * (NULL: devmem_kconfig_find()). With BTF and the privileges the kernel is
 * probed as the tools probe it, and a trial session of the range programs
 * lists the ranges present; without, the debugfs listings are read.
 */
void devmem_host_facts_gather(struct devmem_host_facts *h, const char *config_path,
			      bool verbose);

#endif /* DEVMEM_KERNEL_HOST_FACTS_H */

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Every error a user can meet: one sentence with the remedy, one exit code. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "cli/errors.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const struct {
	const char *msg;
	int exit_code;
} errors[DEVMEM_E_COUNT] = {
	[DEVMEM_OK] = { "No error.", DEVMEM_EXIT_OK },
	[DEVMEM_E_USAGE] = {
		"The command line is not valid: run with --help to see the options.",
		DEVMEM_EXIT_USAGE },
	[DEVMEM_E_PERM] = {
		"Loading BPF programs needs root or the CAP_BPF and CAP_PERFMON capabilities: "
		"run the tool with sudo (or grant them with 'setcap cap_bpf,cap_perfmon+ep').",
		DEVMEM_EXIT_PERM },
	[DEVMEM_E_NO_BTF] = {
		"The kernel has no BTF type information (/sys/kernel/btf/vmlinux is missing): "
		"boot a kernel built with CONFIG_DEBUG_INFO_BTF=y.",
		DEVMEM_EXIT_NO_BTF },
	[DEVMEM_E_NO_HOOKS] = {
		"This kernel has neither the devmem tracepoints nor the functions the fentry "
		"fallback needs (memremap_pages and friends): boot a kernel with the devmem "
		"patch series, or one with CONFIG_ZONE_DEVICE, CONFIG_DEVICE_PRIVATE and BPF "
		"trampolines (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS).",
		DEVMEM_EXIT_NO_HOOKS },
	[DEVMEM_E_NO_FENTRY] = {
		"The fentry/fexit fallback asked for with --fentry cannot attach to "
		"memremap_pages on this kernel: drop --fentry to use the devmem tracepoints, or boot a kernel "
		"with BPF trampolines and CONFIG_DEVICE_PRIVATE.",
		DEVMEM_EXIT_NO_FENTRY },
	[DEVMEM_E_MEMLOCK] = {
		"Creating the BPF maps failed, usually because of the locked-memory limit: "
		"raise it with 'ulimit -l unlimited' (LimitMEMLOCK=infinity for a service) "
		"and try again.",
		DEVMEM_EXIT_MEMLOCK },
	[DEVMEM_E_LOAD] = {
		"The kernel rejected the BPF programs: run again with -v to see the verifier "
		"log, and report it together with 'uname -r'.",
		DEVMEM_EXIT_LOAD },
	[DEVMEM_E_ATTACH] = {
		"Attaching the BPF programs failed: run again with -v to see which hook "
		"failed, or try --fentry to use the fallback.",
		DEVMEM_EXIT_ATTACH },
	[DEVMEM_E_NOMEM] = {
		"Out of memory: free some memory (or lower the map sizes) and try again.",
		DEVMEM_EXIT_NOMEM },
	[DEVMEM_E_CHILD] = {
		"The command to trace could not be started: check its name and path.",
		DEVMEM_EXIT_CHILD },
	[DEVMEM_E_BAD_INPUT] = {
		"The input file is malformed: check that it is a file this tool wrote, "
		"and that it was not truncated.",
		DEVMEM_EXIT_BAD_INPUT },
	[DEVMEM_E_REFUSED] = {
		"The kernel refused the BPF programs although the tool has the privileges "
		"(kernel lockdown, a security module or a container forbids BPF tracing): "
		"run it on the host outside the container, or with lockdown off.",
		DEVMEM_EXIT_REFUSED },
	[DEVMEM_E_BAD_ENV] = {
		"DEVMEM_MAX_PROCS (the per-process table size) is not a number from 1 to "
		"1048576: fix or unset it.",
		DEVMEM_EXIT_BAD_ENV },
	[DEVMEM_E_NO_DEVICE] = {
		"No device present matches -D: give the name, owner or range start of a "
		"device devmemranges lists, or load its driver first.",
		DEVMEM_EXIT_NO_DEVICE },
	[DEVMEM_E_READ] = {
		"Reading the BPF maps failed: run again with -v for libbpf's messages, and "
		"report them together with 'uname -r'.",
		DEVMEM_EXIT_READ },
	[DEVMEM_E_NO_DEVMEM] = {
		"This host has no device-private memory to observe (a kernel without "
		"CONFIG_DEVICE_PRIVATE, or no driver has added any): boot a kernel with "
		"CONFIG_DEVICE_PRIVATE=y and load a driver that uses it (devmem-check says "
		"which piece is missing).",
		DEVMEM_EXIT_NO_DEVMEM },
	[DEVMEM_E_NO_DATA] = {
		"The input holds none of what was asked of it (a recording without fault "
		"stacks, or without a single frame): record again with the options that "
		"collect it, and for long enough to write a frame.",
		DEVMEM_EXIT_NO_DATA },
};

const char *devmem_strerror(enum devmem_error err)
{
	if ((unsigned int)err >= DEVMEM_E_COUNT)
		return "Unknown error: this is a bug in the tool, please report it.";
	return errors[err].msg;
}

int devmem_exit_code(enum devmem_error err)
{
	if ((unsigned int)err >= DEVMEM_E_COUNT)
		return DEVMEM_EXIT_FAILURE;
	return errors[err].exit_code;
}

enum devmem_error devmem_classify_load_error(const struct devmem_load_failure *f)
{
	int err = f->err < 0 ? -f->err : f->err;

	if (!f->have_privileges && (err == EPERM || err == EACCES))
		return DEVMEM_E_PERM;
	if (!f->maps_created) {
		/* pre-5.11 kernels charge maps to RLIMIT_MEMLOCK and say EPERM */
		if (err == EPERM || err == ENOMEM || err == E2BIG)
			return DEVMEM_E_MEMLOCK;
		if (err == EACCES)
			return DEVMEM_E_REFUSED;
	}
	if (err == ENOMEM)
		return DEVMEM_E_NOMEM;
	/* privileged, maps made, programs refused before verification */
	if (err == EPERM)
		return DEVMEM_E_REFUSED;
	/* the verifier says EACCES/EINVAL/E2BIG... */
	return DEVMEM_E_LOAD;
}

bool devmem_have_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	__u64 eff;

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data))
		return false;
	eff = data[0].effective | ((__u64)data[1].effective << 32);
	if (eff & (1ULL << CAP_SYS_ADMIN))
		return true;
	return (eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON));
}

const char *devmem_strerror_errno(enum devmem_error err, int errnum, char *buf, size_t len)
{
	const char *msg = devmem_strerror(err), *colon = strstr(msg, ": ");

	if (!errnum || !colon) {
		snprintf(buf, len, "%s", msg);
		return buf;
	}
	snprintf(buf, len, "%.*s (%s)%s", (int)(colon - msg), msg, strerror(errnum < 0 ? -errnum :
									      errnum), colon);
	return buf;
}

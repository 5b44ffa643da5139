/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Every error a user can meet (errors.c): one sentence, one exit code.
 */
#ifndef DEVMEM_CLI_ERRORS_H
#define DEVMEM_CLI_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

enum devmem_error {
	DEVMEM_OK = 0,
	DEVMEM_E_USAGE,		/* bad command line */
	DEVMEM_E_PERM,		/* not root / no CAP_BPF + CAP_PERFMON */
	DEVMEM_E_NO_BTF,	/* /sys/kernel/btf/vmlinux missing */
	DEVMEM_E_NO_HOOKS,	/* neither tracepoints nor fentry fallback */
	DEVMEM_E_NO_FENTRY,	/* --fentry asked, fallback unavailable */
	DEVMEM_E_MEMLOCK,	/* BPF map creation failed */
	DEVMEM_E_LOAD,		/* programs rejected */
	DEVMEM_E_ATTACH,
	DEVMEM_E_NOMEM,
	DEVMEM_E_CHILD,		/* the -- COMMAND could not be started */
	DEVMEM_E_BAD_INPUT,	/* malformed or hostile input file */
	DEVMEM_E_REFUSED,	/* EPERM although privileged: lockdown, LSM, container */
	DEVMEM_E_BAD_ENV,	/* DEVMEM_MAX_PROCS not a valid number */
	DEVMEM_E_NO_DEVICE,	/* -D names no device present */
	DEVMEM_E_READ,		/* reading the BPF maps failed */
	DEVMEM_E_NO_DEVMEM,	/* nothing to observe: no DEVICE_PRIVATE, no range */
	DEVMEM_E_NO_DATA,	/* a good input without what was asked of it */
	DEVMEM_E_COUNT,
};

/* Process exit codes, distinct per error; 1 is left for "other failure". */
#define DEVMEM_EXIT_OK		0
#define DEVMEM_EXIT_FAILURE	1
#define DEVMEM_EXIT_USAGE	2
#define DEVMEM_EXIT_PERM	3
#define DEVMEM_EXIT_NO_BTF	4
#define DEVMEM_EXIT_NO_HOOKS	5
#define DEVMEM_EXIT_NO_FENTRY	6
#define DEVMEM_EXIT_MEMLOCK	7
#define DEVMEM_EXIT_LOAD	8
#define DEVMEM_EXIT_ATTACH	9
#define DEVMEM_EXIT_NOMEM	10
#define DEVMEM_EXIT_CHILD	11
#define DEVMEM_EXIT_BAD_INPUT	12
#define DEVMEM_EXIT_REFUSED	13
#define DEVMEM_EXIT_BAD_ENV	14
#define DEVMEM_EXIT_NO_DEVICE	15
#define DEVMEM_EXIT_READ	16
#define DEVMEM_EXIT_NO_DEVMEM	17
#define DEVMEM_EXIT_NO_DATA	18

/* One sentence: what is missing and what to do. Never NULL. */
const char *devmem_strerror(enum devmem_error err);
/* the same sentence with what errnum says after its subject: "X (reason): remedy." */
const char *devmem_strerror_errno(enum devmem_error err, int errnum, char *buf, size_t len);
int devmem_exit_code(enum devmem_error err);

/* Where a load failed, for devmem_classify_load_error(). */
struct devmem_load_failure {
	int err;		/* negative errno from libbpf */
	bool have_privileges;	/* devmem_have_privileges() before the load */
	bool maps_created;	/* every map had an fd after the failed load */
};
enum devmem_error devmem_classify_load_error(const struct devmem_load_failure *f);
/* true if euid 0 or CAP_SYS_ADMIN, or both CAP_BPF and CAP_PERFMON */
bool devmem_have_privileges(void);

#endif /* DEVMEM_CLI_ERRORS_H */

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * devmem-check's verdict on a host (host_check.c): one line per piece the
 * tools need, judged from the facts of kernel/host_facts.h, each missing
 * piece with one sentence saying what to do, and the exit status.
 */
#ifndef DEVMEM_RENDER_HOST_CHECK_H
#define DEVMEM_RENDER_HOST_CHECK_H

#include <stdio.h>
#include "kernel/host_facts.h"

enum devmem_check_status {
	DEVMEM_CHECK_OK = 0,
	DEVMEM_CHECK_MISSING,		/* the tools need it: the exit status says so */
	DEVMEM_CHECK_UNKNOWN,		/* could not be told here */
	DEVMEM_CHECK_ABSENT,		/* not there, and not needed (another piece serves) */
};

struct devmem_check_line {
	const char *what;		/* "architecture", "BTF", ... */
	enum devmem_check_status status;
	char detail[512];		/* filtered: shown as it is */
	char remedy[512];		/* one sentence; "" when another line's covers it */
	int exit_code;			/* of a missing piece */
};

#define DEVMEM_CHECK_MAX_LINES	10

struct devmem_host_check {
	struct devmem_check_line line[DEVMEM_CHECK_MAX_LINES];
	size_t n;
	/*
	 * 0 when every piece is there; else the code of the first missing
	 * piece that stops the tools (architecture, BTF, privileges, hooks,
	 * programs), then of what leaves them nothing to observe (17).
	 */
	int exit_code;
};

void devmem_host_check_judge(const struct devmem_host_facts *h, struct devmem_host_check *c);
/* the lines, then the sentence of each missing piece, or the all-clear */
void devmem_host_check_print(FILE *out, const struct devmem_host_check *c);
const char *devmem_check_status_name(enum devmem_check_status s);

#endif /* DEVMEM_RENDER_HOST_CHECK_H */

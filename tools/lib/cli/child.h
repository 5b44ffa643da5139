/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * `tool -- COMMAND`: COMMAND is forked before the BPF programs are attached
 * (so its PID can be a filter) and held until they are, so that none of its
 * events is missed. If the tool gives up, COMMAND never runs.
 */
#ifndef DEVMEM_CHILD_H
#define DEVMEM_CHILD_H

#include <sys/types.h>

struct devmem_child {
	pid_t pid;	/* 0: none */
	int go_fd;	/* write end: one byte lets the child exec */
	int err_fd;	/* read end: the child's errno if its exec failed */
};

#define DEVMEM_CHILD_INIT { .pid = 0, .go_fd = -1, .err_fd = -1 }

/* fork COMMAND, held before exec; 0 or -errno */
int devmem_child_start(char **argv, struct devmem_child *c);
/* let it exec; 0 once exec succeeded, else -errno (the child has been reaped) */
int devmem_child_go(struct devmem_child *c);
/*
 * Without blocking: 1 if the child has ended (reaped; a failure or a signal
 * is reported on stderr as "TOOL: COMMAND exited with status N"), else 0.
 */
int devmem_child_reap(struct devmem_child *c, const char *tool, const char *cmd);
/* a child never let go exits without running COMMAND; reaped */
void devmem_child_abandon(struct devmem_child *c);

#endif /* DEVMEM_CHILD_H */

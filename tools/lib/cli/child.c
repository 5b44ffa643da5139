// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The COMMAND of `tool -- COMMAND`, held until tracing is on. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli/child.h"

int devmem_child_start(char **argv, struct devmem_child *c)
{
	int go[2], err[2];

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(err, O_CLOEXEC)) {
		int e = -errno;

		close(go[0]);
		close(go[1]);
		return e;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		int e = -errno;

		c->pid = 0;
		close(go[0]);
		close(go[1]);
		close(err[0]);
		close(err[1]);
		return e;
	}
	if (c->pid == 0) {
		ssize_t n;
		char b;
		int e;

		close(go[1]);
		close(err[0]);
		do {
			n = read(go[0], &b, 1);
		} while (n < 0 && errno == EINTR);
		if (n != 1)
			_exit(127);	/* the tool gave up */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(argv[0], argv);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	c->go_fd = go[1];
	c->err_fd = err[0];
	return 0;
}

int devmem_child_go(struct devmem_child *c)
{
	ssize_t n;
	int e = 0;

	if (write(c->go_fd, "g", 1) != 1) {
		e = errno;
		devmem_child_abandon(c);
		return -e;
	}
	close(c->go_fd);
	c->go_fd = -1;
	do {
		n = read(c->err_fd, &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close(c->err_fd);
	c->err_fd = -1;
	if (n == sizeof(e) && e) {
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
		return -e;
	}
	return 0;
}

int devmem_child_reap(struct devmem_child *c, const char *tool, const char *cmd)
{
	int status;

	if (c->pid <= 0)
		return 0;
	if (waitpid(c->pid, &status, WNOHANG) != c->pid)
		return 0;
	c->pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status))
		fprintf(stderr, "%s: %s exited with status %d\n", tool, cmd, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "%s: %s was killed by signal %d\n", tool, cmd, WTERMSIG(status));
	return 1;
}

void devmem_child_abandon(struct devmem_child *c)
{
	if (c->go_fd >= 0)
		close(c->go_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->go_fd = c->err_fd = -1;
	if (c->pid > 0)
		waitpid(c->pid, NULL, 0);
	c->pid = 0;
}

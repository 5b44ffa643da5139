// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The shared command line (tools/lib/cli/cli.c): the parser itself, and every
 * built tool against the vocabulary. Each tool's --help lists exactly the
 * shared options the table below says it takes, each with the one long
 * name, argument and text of the vocabulary; a bad value gets the same
 * sentence and exit status 2 from every tool; retired letters are usage
 * errors everywhere; --version prints "TOOL VERSION"; tools/README.md's
 * option table says the same as this one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "cli/cli.h"
#include "cli/errors.h"

#ifndef DEVMEM_BUILD_DIR
#error "DEVMEM_BUILD_DIR: the Makefile passes the build directory"
#endif
#ifndef DEVMEM_SOURCE_DIR
#error "DEVMEM_SOURCE_DIR: the Makefile passes the source directory"
#endif

/* ---- the parser ----------------------------------------------------------- */

#define ALL (DEVMEM_CLI_PID | DEVMEM_CLI_DEVICE | DEVMEM_CLI_PER_PROCESS | \
	     DEVMEM_CLI_PER_DEVICE | DEVMEM_CLI_INTERVAL | DEVMEM_CLI_COUNT | \
	     DEVMEM_CLI_DURATION | DEVMEM_CLI_JSON | DEVMEM_CLI_TIMESTAMP | DEVMEM_CLI_FENTRY | \
	     DEVMEM_CLI_COMMAND | DEVMEM_CLI_POSITIONAL)

static char *argv_buf[32];

static int make_argv(const char *first, va_list ap)
{
	int n = 0;

	argv_buf[n++] = (char *)"devmemtest";
	for (const char *a = first; a && n < 31; a = va_arg(ap, const char *))
		argv_buf[n++] = (char *)a;
	argv_buf[n] = NULL;
	return n;
}

static void parse(struct devmem_cli *c, unsigned int takes, const char *first, ...)
{
	va_list ap;
	int argc;

	va_start(ap, first);
	argc = make_argv(first, ap);
	va_end(ap);
	devmem_cli_init(c, "devmemtest", takes);
	devmem_cli_parse(c, NULL, argc, argv_buf);
}

/* parse in a child; its exit status, and its stderr in err */
static int parse_fails(char *err, size_t len, unsigned int takes, const char *first, ...)
{
	int fd[2], status;
	ssize_t n, got = 0;
	pid_t pid;
	va_list ap;
	int argc;

	va_start(ap, first);
	argc = make_argv(first, ap);
	va_end(ap);
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct devmem_cli c;

		dup2(fd[1], STDERR_FILENO);
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		devmem_cli_init(&c, "devmemtest", takes);
		devmem_cli_parse(&c, NULL, argc, argv_buf);
		_exit(0);
	}
	close(fd[1]);
	while (got < (ssize_t)len - 1 && (n = read(fd[0], err + got, len - 1 - (size_t)got)) > 0)
		got += n;
	err[got] = 0;
	close(fd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_parse_values(void **state)
{
	struct devmem_cli c;

	parse(&c, ALL, "-p", "42", "-P", "-G", "-i", "0.5", "-n", "3", "-t", "2.5", "-j", "-T",
	      "--fentry", "-v", NULL);
	assert_int_equal(c.pid, 42);
	assert_true(c.per_process && c.per_device && c.json && c.timestamp && c.fentry &&
		    c.verbose);
	assert_true(c.interval_set);
	assert_true(c.interval_s == 0.5);
	assert_int_equal(c.count, 3);
	assert_true(c.duration_s == 2.5);
	assert_null(c.command);
	assert_null(c.device.arg);

	parse(&c, ALL, "--pid=7", "--interval", "2", "--count=4", "--duration", "1", NULL);
	assert_int_equal(c.pid, 7);
	assert_true(c.interval_s == 2 && c.count == 4 && c.duration_s == 1);

	/* [INTERVAL [COUNT]] are -i and -n */
	parse(&c, ALL, "0.25", "8", NULL);
	assert_true(c.interval_set && c.interval_s == 0.25);
	assert_int_equal(c.count, 8);
	assert_int_equal(devmem_cli_deadline(&c, 100), 0);
	parse(&c, ALL, "-t", "2", NULL);
	assert_int_equal(devmem_cli_deadline(&c, 100), 100 + 2000000000ULL);
}

static void test_parse_device(void **state)
{
	struct devmem_snapshot none;
	struct devmem_cli c;
	__u64 owner = 1;

	devmem_snapshot_init(&none);
	parse(&c, ALL, "-D", "0xffff888100000000", NULL);
	assert_int_equal(c.device.kind, DEVMEM_FILTER_OWNER);
	assert_true(c.device.value == 0xffff888100000000ULL);
	assert_int_equal(devmem_filter_owner(&c.device, &none, &owner), 0);
	assert_true(owner == 0xffff888100000000ULL);
	/* hex with or without 0x, as every tool prints range starts */
	parse(&c, ALL, "-D", "43fff0000000", NULL);
	assert_int_equal(c.device.kind, DEVMEM_FILTER_START);
	assert_true(c.device.value == 0x43fff0000000ULL);
	parse(&c, ALL, "--device", "0x43FFF0000000", NULL);
	assert_int_equal(c.device.kind, DEVMEM_FILTER_START);
	assert_true(c.device.value == 0x43fff0000000ULL);
	parse(&c, ALL, "-D", "hmm_dmirror0", NULL);
	assert_int_equal(c.device.kind, DEVMEM_FILTER_NAME);
	assert_string_equal(c.device.arg, "hmm_dmirror0");
	parse(&c, ALL, NULL);
	assert_int_equal(c.device.kind, DEVMEM_FILTER_ANY);
	assert_int_equal(devmem_filter_owner(&c.device, &none, &owner), 0);
	assert_int_equal(owner, 0);
}

/* two devices whose ranges have one iomem name: -D takes the devices' own names */
static void test_device_by_its_name(void **state)
{
	struct devmem_snapshot s;
	struct devmem_snap_range *a, *b;
	struct devmem_cli c;
	__u64 owner = 0;

	devmem_snapshot_init(&s);
	a = devmem_snapshot_range(&s, 1, 0xfce0000000);
	a->r.owner = 0xa0;
	strcpy(a->name, "hmm_dmirror");
	strcpy(a->device, "hmm_dmirror");
	b = devmem_snapshot_range(&s, 2, 0xfcf0000000);
	b->r.owner = 0xb0;
	strcpy(b->name, "hmm_dmirror");
	strcpy(b->device, "hmm_dmirror#2");
	parse(&c, ALL, "-D", "hmm_dmirror#2", NULL);
	assert_int_equal(devmem_filter_owner(&c.device, &s, &owner), 0);
	assert_true(owner == 0xb0);
	/* the plain name is a device's name too, not both ranges' */
	parse(&c, ALL, "-D", "hmm_dmirror", NULL);
	assert_int_equal(devmem_filter_owner(&c.device, &s, &owner), 0);
	assert_true(owner == 0xa0);
	/* a range name that no device has still finds its device */
	strcpy(b->name, "dmirror-b");
	parse(&c, ALL, "-D", "dmirror-b", NULL);
	assert_int_equal(devmem_filter_owner(&c.device, &s, &owner), 0);
	assert_true(owner == 0xb0);
	parse(&c, ALL, "-D", "nothing", NULL);
	assert_int_equal(devmem_filter_owner(&c.device, &s, &owner), -ENOENT);
	devmem_snapshot_free(&s);
}

static void test_parse_command(void **state)
{
	struct devmem_cli c;

	parse(&c, ALL, "-j", "--", "sh", "-c", "-p 3 -d x", NULL);
	assert_true(c.json);
	assert_non_null(c.command);
	assert_string_equal(c.command[0], "sh");
	assert_string_equal(c.command[2], "-p 3 -d x");	/* the command's, not ours */
	assert_null(c.command[3]);
	assert_int_equal(c.pid, 0);
	parse(&c, ALL, "-c", "--", "true", NULL);
	assert_true(c.child_only);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *args[4];
		const char *says;
	} cases[] = {
		{ { "-p", "0" }, "-p wants a process ID, not '0'" },
		{ { "-p", "12x" }, "-p wants a process ID, not '12x'" },
		{ { "-i", "0" }, "the interval wants seconds from 0.01 to 86400, not '0'" },
		{ { "-i", "86401" }, "the interval wants seconds from 0.01 to 86400" },
		{ { "-n", "0" }, "the count wants a number of intervals from 1, not '0'" },
		{ { "-t", "soon" }, "-t wants a duration in seconds from 0.01, not 'soon'" },
		{ { "-D", "-P" }, "the breakdown per device is -G" },
		{ { "-D" }, "the breakdown per device is -G" },
		{ { "-D", "--", "true" }, "the breakdown per device is -G" },
		{ { "-d", "1" }, "-d is no longer an option: give the interval as -i SECS" },
		{ { "-c" }, "-c traces only the command given after --" },
		{ { "-c", "-p", "3", "--" }, "-- wants a command after it" },
		{ { "1", "2", "3" }, "unexpected argument '3': put a command to run after --" },
		{ { "--bogus" }, "unrecognized option" },
	};
	char err[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_fails(err, sizeof(err), ALL, cases[i].args[0], cases[i].args[1],
				     cases[i].args[2], cases[i].args[3], NULL);

		if (rc != DEVMEM_EXIT_USAGE || !strstr(err, cases[i].says))
			fail_msg("%s %s: status %d, said '%s', wanted '%s'", cases[i].args[0],
				 cases[i].args[1] ? cases[i].args[1] : "", rc, err, cases[i].says);
	}
	/* an option the tool does not take is refused, not ignored */
	assert_int_equal(parse_fails(err, sizeof(err), DEVMEM_CLI_JSON, "-p", "3", NULL),
			 DEVMEM_EXIT_USAGE);
	assert_int_equal(parse_fails(err, sizeof(err), DEVMEM_CLI_JSON, "--", "true", NULL),
			 DEVMEM_EXIT_USAGE);
	assert_non_null(strstr(err, "runs no command"));
	assert_int_equal(parse_fails(err, sizeof(err), ALL, "--version", NULL), 0);
	assert_string_equal(err, "devmemtest " DEVMEM_VERSION "\n");
}

/* ---- the tools against the vocabulary ---------------------------------------- */

#define NTOOLS 7
static const char *const tools[NTOOLS] = {
	"devmemtop", "devmemhist", "devmemsnoop", "devmemranges", "devmemstat",
	"devmem-exporter", "devmem-check",
};

/* which tool takes which shared option: the table of tools/README.md */
static const struct {
	int key;
	bool takes[NTOOLS];	/* top, hist (any mode), snoop, ranges, stat, exporter, check */
} table[] = {
	{ 'p', { 1, 1, 1, 0, 1, 1, 0 } },
	{ 'c', { 1, 1, 1, 0, 1, 0, 0 } },
	{ 'D', { 1, 1, 1, 1, 1, 1, 0 } },
	{ 'P', { 1, 1, 0, 0, 1, 1, 0 } },
	{ 'G', { 1, 1, 0, 0, 1, 0, 0 } },
	{ 'i', { 1, 1, 1, 0, 1, 1, 0 } },
	{ 'n', { 1, 1, 0, 0, 1, 0, 0 } },
	{ 't', { 1, 1, 1, 1, 1, 1, 0 } },
	{ 'j', { 1, 1, 1, 1, 1, 0, 0 } },
	{ 'T', { 0, 1, 1, 0, 1, 0, 0 } },
	{ 0x100, { 1, 1, 1, 1, 1, 1, 0 } },	/* --fentry */
	{ 'v', { 1, 1, 1, 1, 1, 1, 1 } },
	{ 'h', { 1, 1, 1, 1, 1, 1, 1 } },
	{ 0x101, { 1, 1, 1, 1, 1, 1, 1 } },	/* --usage */
	{ 'V', { 1, 1, 1, 1, 1, 1, 1 } },
	{ 0x102, { 1, 1, 0, 0, 1, 0, 0 } },	/* --thrash-k */
	{ 0x103, { 1, 1, 0, 0, 1, 0, 0 } },	/* --thrash-window */
	{ 0x104, { 1, 1, 0, 0, 1, 0, 0 } },	/* --no-thrash */
	{ 0x105, { 0, 1, 0, 0, 1, 0, 0 } },	/* --stacks */
	{ 0x106, { 0, 1, 0, 0, 1, 0, 0 } },	/* --folded */
	{ 0x107, { 0, 1, 0, 0, 1, 0, 0 } },	/* --flamegraph */
	{ 0x108, { 0, 1, 0, 0, 1, 0, 0 } },	/* --stack-size */
};

/* a shared option a tool describes in its own words (devmem_cli_doc) */
static const struct {
	const char *tool;
	int key;
	const char *doc;
} own_doc[] = {
	{ "devmem-exporter", 'i', "With --textfile: write it every SECS seconds" },
};

static const char *doc_in(const char *tool, const struct devmem_cli_word *w)
{
	for (size_t i = 0; i < sizeof(own_doc) / sizeof(own_doc[0]); i++)
		if (own_doc[i].key == w->key && !strcmp(own_doc[i].tool, tool))
			return own_doc[i].doc;
	return w->doc;
}

static const struct devmem_cli_word *word(int key)
{
	for (size_t i = 0; i < devmem_cli_vocabulary_len; i++)
		if (devmem_cli_vocabulary[i].key == key)
			return &devmem_cli_vocabulary[i];
	return NULL;
}

/* run a shell command; its output (stdout and stderr) in out, its status returned */
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

static char help[NTOOLS][3][16384];	/* devmemhist: live, record, report */

static int load_help(void **state)
{
	static const char *const hist_modes[3] = { "", "record ", "report " };

	for (int t = 0; t < NTOOLS; t++)
		for (int m = 0; m < (t == 1 ? 3 : 1); m++)
			if (run(help[t][m], sizeof(help[t][m]), "%s/%s %s--help 2>&1", DEVMEM_BUILD_DIR,
				tools[t], hist_modes[m]))
				return -1;
	return 0;
}

/* the help line of an option: "  -x, --name=ARG   Doc" or "      --name   Doc" */
static const char *help_line(const char *text, const struct devmem_cli_word *w, char *line,
			     size_t len)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "--%s", w->name);
	for (p = text; (p = strstr(p, want)); p++) {
		const char *bol = p, *eol;

		while (bol > text && bol[-1] != '\n')
			bol--;
		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		/* the long name starts the option column, not some help text */
		if (p - bol > 8 || (p[strlen(want)] != '=' && p[strlen(want)] != ' ' &&
				    p[strlen(want)] != '[' && p[strlen(want)] != '\n'))
			continue;
		snprintf(line, len, "%.*s", (int)(eol - bol), bol);
		return line;
	}
	return NULL;
}

static void test_help_follows_vocabulary(void **state)
{
	for (int t = 0; t < NTOOLS; t++) {
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
			const struct devmem_cli_word *w = word(table[i].key);
			char line[512], want[128], doc[40];
			bool found = false;

			assert_non_null(w);
			for (int m = 0; m < (t == 1 ? 3 : 1); m++) {
				if (!help_line(help[t][m], w, line, sizeof(line)))
					continue;
				found = true;
				/* the letter, the argument and the text of the vocabulary */
				const char *eq = !w->arg ? "" : devmem_cli_arg_optional(w) ? "[=" : "=";
				const char *close = w->arg && devmem_cli_arg_optional(w) ? "]" : "";

				if (w->key < 0x100)
					snprintf(want, sizeof(want), "-%c, --%s%s%s%s", w->key, w->name,
						 eq, w->arg ? w->arg : "", close);
				else
					snprintf(want, sizeof(want), "--%s%s%s%s", w->name, eq,
						 w->arg ? w->arg : "", close);
				snprintf(doc, sizeof(doc), "%.30s", doc_in(tools[t], w));
				if (!strstr(line, want) || !strstr(line, doc))
					fail_msg("%s: '%s' is not '%s ... %s'", tools[t], line, want, doc);
			}
			if (found != table[i].takes[t])
				fail_msg("%s: --%s is %s its --help, the table says the opposite", tools[t],
					 w->name, found ? "in" : "not in");
		}
	}
}

/* no tool's own option takes a letter or a long name of the vocabulary */
static void test_no_tool_option_shadows(void **state)
{
	for (int t = 0; t < NTOOLS; t++)
		for (int m = 0; m < (t == 1 ? 3 : 1); m++) {
			const char *own = help[t][m], *end = strstr(own, "Options every devmem tool shares");

			for (size_t i = 0; i < devmem_cli_vocabulary_len; i++) {
				const struct devmem_cli_word *w = &devmem_cli_vocabulary[i];
				char line[512];
				const char *l = help_line(own, w, line, sizeof(line));
				char letter[8];

				if (w->key == 'h' || w->key == 'V' || w->key == 0x101)
					continue;	/* listed after the groups */
				if (l && end && strstr(own, line) < end)
					fail_msg("%s: its own options list --%s", tools[t], w->name);
				snprintf(letter, sizeof(letter), "\n  -%c,", w->key);
				if (w->key < 0x100 && end) {
					const char *hit = strstr(own, letter);

					if (hit && hit < end)
						fail_msg("%s: its own options use -%c", tools[t], w->key);
				}
			}
		}
}

/* the same bad value, the same sentence, from every tool that takes the option */
static void test_same_errors_everywhere(void **state)
{
	static const struct {
		int key;
		const char *args;
	} bad[] = {
		{ 'p', "-p 0" }, { 'i', "-i 0" }, { 'n', "-n x" }, { 't', "-t x" },
		{ 'D', "-D -P" }, { 'c', "-c" },
	};
	char first[1024], out[1024];

	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		size_t i;
		int seen = 0;

		for (i = 0; table[i].key != bad[b].key; i++)
			;
		for (int t = 0; t < NTOOLS; t++) {
			if (!table[i].takes[t])
				continue;
			/* the message with the tool's name taken out, and the status */
			assert_int_equal(run(out, sizeof(out), "%s/%s %s 2>&1 >/dev/null | sed 's/%s/TOOL/g'; "
					     "%s/%s %s >/dev/null 2>&1; echo \"status $?\"", DEVMEM_BUILD_DIR,
					     tools[t], bad[b].args, tools[t], DEVMEM_BUILD_DIR, tools[t],
					     bad[b].args), 0);
			if (!strstr(out, "; see TOOL --help.\nstatus 2\n"))
				fail_msg("%s %s: '%s', wanted a usage error pointing to --help", tools[t],
					 bad[b].args, out);
			if (!seen++)
				snprintf(first, sizeof(first), "%s", out);
			else if (strcmp(first, out))
				fail_msg("%s %s says '%s', the first tool '%s'", tools[t], bad[b].args, out,
					 first);
		}
		assert_true(seen >= 2);
	}
}

static void test_retired_letters(void **state)
{
	static const struct {
		const char *tool, *args, *says;
	} cases[] = {
		{ "devmemtop", "-d 5", "-i SECS" },
		{ "devmemsnoop", "-d 5", "-t SECS" },
		{ "devmemranges", "-d 5", "-t SECS" },
		{ "devmemstat", "-d 5", "-t SECS" },
		{ "devmemhist", "-d 5", "-t SECS" },
		{ "devmem-exporter", "-d 5", "-i SECS" },
		{ "devmemstat", "-o 0xffff888100000000", "-D OWNER" },
		{ "devmemsnoop", "-b 4", "-B KB" },
		{ "devmemranges", "-w", "-W" },
		{ "devmemhist", "record -o x.rec -s 64M", "-S SIZE" },
		{ "devmemhist", "-D -T 5", "-G" },
		{ "devmemstat", "-j -D -- true", "-G" },
		{ "devmemhist", "report -D -j x.rec", "-G" },
	};
	char out[1024], cmd[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		snprintf(cmd, sizeof(cmd), "%s %s", cases[i].tool, cases[i].args);
		rc = run(out, sizeof(out), "cd /tmp && %s/%s 2>&1; echo \"status $?\"",
			 DEVMEM_BUILD_DIR, cmd);
		assert_int_equal(rc, 0);
		if (!strstr(out, "status 2") || !strstr(out, cases[i].says))
			fail_msg("%s: '%s', wanted status 2 and '%s'", cmd, out, cases[i].says);
	}
}

static void test_version_everywhere(void **state)
{
	char out[256], want[128];

	for (int t = 0; t < NTOOLS; t++) {
		snprintf(want, sizeof(want), "%s %s\n", tools[t], DEVMEM_VERSION);
		assert_int_equal(run(out, sizeof(out), "%s/%s --version", DEVMEM_BUILD_DIR, tools[t]), 0);
		assert_string_equal(out, want);
		assert_int_equal(run(out, sizeof(out), "%s/%s -V", DEVMEM_BUILD_DIR, tools[t]), 0);
		assert_string_equal(out, want);
	}
}

/* argp's own errors start with the tool's name, as the tools' do, not its path */
static void test_errors_start_with_the_name(void **state)
{
	char out[1024], want[128];

	for (int t = 0; t < NTOOLS; t++) {
		assert_int_equal(run(out, sizeof(out), "%s/%s --bogus 2>&1; echo \"status $?\"",
				     DEVMEM_BUILD_DIR, tools[t]), 0);
		snprintf(want, sizeof(want), "%s: unrecognized option '--bogus'\n", tools[t]);
		if (strncmp(out, want, strlen(want)) || !strstr(out, "status 2"))
			fail_msg("%s --bogus: '%s', wanted it to start with '%s'", tools[t], out, want);
	}
	assert_int_equal(run(out, sizeof(out), "%s/devmemhist report --bogus 2>&1",
			     DEVMEM_BUILD_DIR), DEVMEM_EXIT_USAGE);
	assert_int_equal(strncmp(out, "devmemhist report: unrecognized option", 38), 0);
}

/* the help texts fit 79 columns as written: argp does not have to break an example */
static void test_help_within_79_columns(void **state)
{
	static const char *const modes[] = { "", "record ", "report " };
	static char out[16384];

	for (int t = 0; t < NTOOLS; t++)
		for (int m = 0; m < (t == 1 ? 3 : 1); m++) {
			const char *p = out, *nl;

			assert_int_equal(run(out, sizeof(out), "ARGP_HELP_FMT=rmargin=400 %s/%s "
					     "%s--help", DEVMEM_BUILD_DIR, tools[t], modes[m]), 0);
			for (; (nl = strchr(p, '\n')); p = nl + 1) {
				int n = (int)(nl - p);

				/* argp's option list and its own lines wrap at the margin */
				if (n <= 79 || !strncmp(p, "  -", 3) || !strncmp(p, "      --", 8) ||
				    !strncmp(p, "Usage:", 6) || !strncmp(p, "  or:", 5) ||
				    !strncmp(p, "Mandatory", 9))
					continue;
				fail_msg("%s %s--help: a line of %d columns: %.*s", tools[t], modes[m],
					 n, n, p);
			}
		}
}

/* -D says the same in the three tools that filter in the kernel, and it works by name */
static void test_device_help_same(void **state)
{
	static const int kernel_filter[] = { 1, 4, 5 };	/* devmemhist, devmemstat, exporter */

	for (size_t i = 0; i < sizeof(kernel_filter) / sizeof(kernel_filter[0]); i++) {
		const char *h = help[kernel_filter[i]][0];

		if (!strstr(h, DEVMEM_CLI_DEVICE_IN_KERNEL))
			fail_msg("%s --help does not say what -D does as the others do",
				 tools[kernel_filter[i]]);
		if (strstr(h, "takes the device's owner address"))
			fail_msg("%s --help says -D takes only an owner", tools[kernel_filter[i]]);
	}
}

/* devmemhist given a file where an interval goes: the subcommand that reads it */
static void test_hist_file_hint(void **state)
{
	char out[1024];

	assert_int_equal(run(out, sizeof(out), "%s/devmemhist run.rec 2>&1", DEVMEM_BUILD_DIR),
			 DEVMEM_EXIT_USAGE);
	assert_non_null(strstr(out, "give 'devmemhist report run.rec'"));
	assert_non_null(strstr(out, "subcommands"));
	/* report refuses the window options with the reason, not as unknown */
	assert_int_equal(run(out, sizeof(out), "%s/devmemhist report --no-thrash x.rec 2>&1",
			     DEVMEM_BUILD_DIR), DEVMEM_EXIT_USAGE);
	assert_non_null(strstr(out, "set when recording"));
	/* -P and -G split the histogram picture; the rate picture is of the totals */
	assert_int_equal(run(out, sizeof(out), "%s/devmemhist report -P --svg x.svg --svg-rate "
			     "faults x.rec 2>&1", DEVMEM_BUILD_DIR), DEVMEM_EXIT_USAGE);
	assert_non_null(strstr(out, "split the histogram picture"));
}

/* a good recording without what was asked of it is not a corrupt one (12) */
static void test_no_data_is_not_corrupt(void **state)
{
	char out[1024];

	assert_int_equal(run(out, sizeof(out), "%s/devmemhist report --folded /dev/null %s/"
			     "format1-three-frames.rec 2>&1 >/dev/null", DEVMEM_BUILD_DIR, DEVMEM_TEST_DATA),
			 DEVMEM_EXIT_NO_DATA);
	assert_non_null(strstr(out, "no fault stacks"));
}

/* tools/README.md's option table: the same as the table above */
static void test_readme_table(void **state)
{
	char path[512], line[1024];
	int rows = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tools/README.md", DEVMEM_SOURCE_DIR);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *cell[16], *save = NULL, *s;
		int n = 0;
		int key = 0;

		if (strncmp(line, "| `-", 4))
			continue;
		for (s = strtok_r(line, "|", &save); s && n < 16; s = strtok_r(NULL, "|", &save))
			cell[n++] = s;
		if (n < 3 + NTOOLS)
			continue;
		/* "`-p PID`" or "`--fentry`" */
		if (cell[0][2] == '-' && cell[0][3] == '-') {
			for (size_t i = 0; i < devmem_cli_vocabulary_len; i++)
				if (!strncmp(cell[0] + 4, devmem_cli_vocabulary[i].name,
					     strlen(devmem_cli_vocabulary[i].name)) &&
				    strchr("` [", cell[0][4 + strlen(devmem_cli_vocabulary[i].name)]))
					key = devmem_cli_vocabulary[i].key;
		} else {
			key = cell[0][3];
		}
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
			static const char *const modes[3] = { "live", "record", "report" };

			if (table[i].key != key)
				continue;
			rows++;
			for (int t = 0; t < NTOOLS; t++) {
				bool yes = !strstr(cell[3 + t], " - ") && strspn(cell[3 + t], " ") !=
					   strlen(cell[3 + t]);

				if (yes != table[i].takes[t])
					fail_msg("tools/README.md: %s for %s says '%s'", cell[0], tools[t],
						 cell[3 + t]);
			}
			/* devmemhist's cell names its modes ("live, record"; "yes": all) */
			for (int m = 0; m < 3 && table[i].takes[1]; m++) {
				const struct devmem_cli_word *w = word(key);
				char l[512];
				bool says = strstr(cell[4], " yes ") || strstr(cell[4], modes[m]);
				bool has = w && help_line(help[1][m], w, l, sizeof(l));

				if (says != has)
					fail_msg("devmemhist %s: --%s is %s its --help, tools/README.md "
						 "says '%s'", modes[m], w ? w->name : "?", has ? "in" :
						 "not in", cell[4]);
			}
		}
	}
	fclose(f);
	assert_int_equal(rows, sizeof(table) / sizeof(table[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_parse_device),
		cmocka_unit_test(test_device_by_its_name),
		cmocka_unit_test(test_parse_command),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_help_follows_vocabulary),
		cmocka_unit_test(test_no_tool_option_shadows),
		cmocka_unit_test(test_same_errors_everywhere),
		cmocka_unit_test(test_retired_letters),
		cmocka_unit_test(test_version_everywhere),
		cmocka_unit_test(test_readme_table),
		cmocka_unit_test(test_errors_start_with_the_name),
		cmocka_unit_test(test_help_within_79_columns),
		cmocka_unit_test(test_device_help_same),
		cmocka_unit_test(test_hist_file_hint),
		cmocka_unit_test(test_no_data_is_not_corrupt),
	};

	return cmocka_run_group_tests(tests, load_help, NULL);
}

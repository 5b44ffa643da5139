// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The options every devmem tool shares, parsed by one argp parser (cli.h).
 * The vocabulary below is the one table of them: tools/README.md shows it,
 * tests/unit/test_cli.c checks every tool's --help against it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/child.h"
#include "cli/cli.h"
#include "cli/parse.h"
#include "cli/errors.h"

#ifndef DEVMEM_VERSION
#error "DEVMEM_VERSION comes from the VERSION file through the Makefile"
#endif

const char devmem_version[] = DEVMEM_VERSION;

enum {
	OPT_FENTRY = 0x100,
	OPT_USAGE,
	OPT_THRASH_K,
	OPT_THRASH_WINDOW,
	OPT_NO_THRASH,
	OPT_STACKS,
	OPT_FOLDED,
	OPT_FLAMEGRAPH,
	OPT_STACK_SIZE,
};

const struct devmem_cli_word devmem_cli_vocabulary[] = {
	{ DEVMEM_CLI_PID, 'p', "pid", "PID", "Only this process (filtered in the kernel)" },
	{ DEVMEM_CLI_COMMAND, 'c', "child-only", NULL,
	  "With -- COMMAND: only COMMAND's process (its PID is the -p filter)" },
	{ DEVMEM_CLI_DEVICE, 'D', "device", "DEV",
	  "Only this device: its owner (kernel address), the start of one of its ranges "
	  "(hex), or its name" },
	{ DEVMEM_CLI_PER_PROCESS, 'P', "per-process", NULL, "A breakdown per process" },
	{ DEVMEM_CLI_PER_DEVICE, 'G', "per-device", NULL, "A breakdown per device" },
	{ DEVMEM_CLI_INTERVAL, 'i', "interval", "SECS",
	  "Print every SECS seconds (0.01 to 86400)" },
	{ DEVMEM_CLI_COUNT, 'n', "count", "N", "Stop after N intervals" },
	{ DEVMEM_CLI_DURATION, 't', "duration", "SECS", "Stop after SECS seconds" },
	{ DEVMEM_CLI_JSON, 'j', "json", NULL, "JSON output" },
	{ DEVMEM_CLI_TIMESTAMP, 'T', "timestamp", NULL, "Show the time of day" },
	{ DEVMEM_CLI_FENTRY, OPT_FENTRY, "fentry", NULL,
	  "Use the fentry/fexit fallback even where the devmem tracepoints exist" },
	{ DEVMEM_CLI_THRASH_K, OPT_THRASH_K, "thrash-k", "K",
	  "A page thrashes when more than K faults within the window moved it back to RAM "
	  "(1 to 7, default 3)" },
	{ DEVMEM_CLI_THRASH_TABLE, OPT_THRASH_WINDOW, "thrash-window", "SECS",
	  "The window of thrashing (0.001 to 3600 seconds, default 1)" },
	{ DEVMEM_CLI_THRASH_TABLE, OPT_NO_THRASH, "no-thrash", NULL,
	  "No thrashing detection (no thrash table in the kernel, less work per fault)" },
	{ DEVMEM_CLI_STACKS, OPT_STACKS, "stacks", "MODE",
	  "Count faults per user stack: dwarf (the default: registers and the top of the stack "
	  "copied, unwound by CFI) or fp (the kernel's frame-pointer walk, cheaper)" },
	{ DEVMEM_CLI_STACKS, OPT_STACK_SIZE, "stack-size", "BYTES",
	  "Bytes of user stack --stacks=dwarf copies per fault (64 to 64K, default 8K)" },
	{ DEVMEM_CLI_FLAME, OPT_FOLDED, "folded", "FILE",
	  "Write the fault stacks as folded lines to FILE (- for standard output)" },
	{ DEVMEM_CLI_FLAME, OPT_FLAMEGRAPH, "flamegraph", "FILE",
	  "Draw the fault stacks as an SVG flame graph into FILE" },
	{ 0, 'v', "verbose", NULL, "libbpf's messages on stderr" },
	{ 0, 'h', "help", NULL, "Give this help list" },
	{ 0, OPT_USAGE, "usage", NULL, "Give a short usage message" },
	{ 0, 'V', "version", NULL, "Print the version" },
};
const size_t devmem_cli_vocabulary_len =
	sizeof(devmem_cli_vocabulary) / sizeof(devmem_cli_vocabulary[0]);

bool devmem_cli_arg_optional(const struct devmem_cli_word *w)
{
	return w->key == OPT_STACKS;
}

/*
 * Letters that meant something else before devmem-kit 2: a clear error, not
 * a silent change of meaning. tool NULL: in every tool that does not take
 * the letter.
 */
static const struct retired {
	int key;
	const char *tool;
	const char *msg;
} retired[] = {
	{ 'd', NULL, "-d is no longer an option: give the interval as -i SECS, or how long to "
		     "run as -t SECS" },
	{ 'o', "devmemstat", "-o is no longer the owner filter: give the device as -D OWNER" },
	{ 'b', "devmemsnoop", "-b is no longer the ring buffer size: give it as -B KB" },
	{ 'w', "devmemranges", "-w is no longer the watch mode: give -W (or -t SECS, or -- "
			       "COMMAND)" },
	{ 's', "devmemhist record", "-s is no longer the size cap of a recording: give it "
				    "as -S SIZE" },
	{ 'D', NULL, "-D is no longer the breakdown per device: give -G" },
};

/* the parse under way, for --version */
static struct devmem_cli *current;

void devmem_cli_usage_error(const struct devmem_cli *c, const char *fmt, ...)
{
	const char *tool = c && c->tool ? c->tool : "devmem";
	va_list ap;

	fprintf(stderr, "%s: ", tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see %s --help.\n", tool);
	exit(DEVMEM_EXIT_USAGE);
}

void devmem_cli_parse_device(struct devmem_device_filter *f, const char *arg)
{
	f->arg = arg;
	if (devmem_parse_hex(arg, &f->value))
		f->kind = f->value >= DEVMEM_KERNEL_ADDR_MIN ? DEVMEM_FILTER_OWNER :
							       DEVMEM_FILTER_START;
	else
		f->kind = DEVMEM_FILTER_NAME;
}

static void set_interval(struct devmem_cli *c, const char *arg)
{
	if (!devmem_parse_double(arg, DEVMEM_CLI_INTERVAL_MIN, DEVMEM_CLI_INTERVAL_MAX, &c->interval_s))
		devmem_cli_usage_error(c, "the interval wants seconds from 0.01 to 86400, not '%s'",
				       arg);
	c->interval_set = true;
}

static void set_count(struct devmem_cli *c, const char *arg)
{
	__u64 v;

	if (!devmem_parse_u64(arg, 10, 1ULL << 31, &v) || !v)
		devmem_cli_usage_error(c, "the count wants a number of intervals from 1, not '%s'",
				       arg);
	c->count = (unsigned long)v;
}

void devmem_cli_option(struct devmem_cli *c, int key, const char *arg)
{
	__u64 v;

	switch (key) {
	case 'p':
		if (!devmem_parse_u64(arg, 10, 0x7fffffff, &v) || !v)
			devmem_cli_usage_error(c, "-p wants a process ID, not '%s'", arg);
		c->pid = (__u32)v;
		break;
	case 'c':
		c->child_only = true;
		break;
	case 'D':
		/* -D was "per device" in devmemhist and devmemstat: say so, do not guess */
		if (!*arg || *arg == '-')
			devmem_cli_usage_error(c, "-D takes a device (its owner, a range start or its "
					       "name), not '%s'; the breakdown per device is -G", arg);
		devmem_cli_parse_device(&c->device, arg);
		break;
	case 'P':
		c->per_process = true;
		break;
	case 'G':
		c->per_device = true;
		break;
	case 'i':
		set_interval(c, arg);
		break;
	case 'n':
		set_count(c, arg);
		break;
	case 't':
		if (!devmem_parse_double(arg, 0.01, 2147483648.0, &c->duration_s))
			devmem_cli_usage_error(c, "-t wants a duration in seconds from 0.01, not '%s'",
					       arg);
		break;
	case 'j':
		c->json = true;
		break;
	case 'T':
		c->timestamp = true;
		break;
	case OPT_FENTRY:
		c->fentry = true;
		break;
	case OPT_THRASH_K:
		if (!devmem_parse_u64(arg, 10, DEVMEM_THRASH_K_MAX, &v) || !v)
			devmem_cli_usage_error(c, "--thrash-k wants a number of bounces from 1 to %d, "
					       "not '%s'", DEVMEM_THRASH_K_MAX, arg);
		c->thrash_k = (__u32)v;
		break;
	case OPT_THRASH_WINDOW: {
		double w;

		if (!devmem_parse_double(arg, 0.001, 3600.0, &w))
			devmem_cli_usage_error(c, "--thrash-window wants seconds from 0.001 to 3600, "
					       "not '%s'", arg);
		c->thrash_window_ns = (__u64)(w * 1e9 + 0.5);
		break;
	}
	case OPT_NO_THRASH:
		c->no_thrash = true;
		break;
	case OPT_STACKS:
		if (!arg || !strcmp(arg, "dwarf"))
			c->stacks = DEVMEM_STACKS_DWARF;
		else if (!strcmp(arg, "fp"))
			c->stacks = DEVMEM_STACKS_FP;
		else
			devmem_cli_usage_error(c, "--stacks takes dwarf or fp, not '%s'", arg);
		break;
	case OPT_STACK_SIZE:
		if (!devmem_parse_size(arg, &v) || v < 64 || v > DEVMEM_STACK_BYTES_MAX)
			devmem_cli_usage_error(c, "--stack-size wants bytes from 64 to 64K (a K suffix "
					       "works), not '%s'", arg);
		c->stack_bytes = (__u32)v;
		break;
	case OPT_FOLDED:
	case OPT_FLAMEGRAPH:
		if (!*arg)
			devmem_cli_usage_error(c, "--%s wants a file name", key == OPT_FOLDED ?
					       "folded" : "flamegraph");
		if (key == OPT_FOLDED)
			c->folded = arg;
		else
			c->flamegraph = arg;
		break;
	case 'v':
		c->verbose = true;
		break;
	default:
		devmem_cli_usage_error(c, "internal error: no shared option %d", key);
	}
}

static void print_version(FILE *out)
{
	const char *tool = current && current->tool ? current->tool : "devmem";
	size_t len = strcspn(tool, " ");

	/* "devmemhist record --version" is devmemhist's version */
	fprintf(out, "%.*s %s\n", (int)len, tool, devmem_version);
}

static error_t common_parser(int key, char *arg, struct argp_state *state)
{
	struct devmem_cli *c = state->input;

	switch (key) {
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return 0;
	case 'V':
		print_version(stdout);
		exit(DEVMEM_EXIT_OK);
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
		return 0;
	case ARGP_KEY_ARG:
		if (!(c->takes & DEVMEM_CLI_POSITIONAL) || c->positional >= 2)
			devmem_cli_usage_error(c, "unexpected argument '%s'%s", arg,
					       c->takes & DEVMEM_CLI_COMMAND ?
					       ": put a command to run after --" : "");
		if (c->positional++ == 0)
			set_interval(c, arg);
		else
			set_count(c, arg);
		return 0;
	case ARGP_KEY_INIT:
	case ARGP_KEY_NO_ARGS:
	case ARGP_KEY_END:
	case ARGP_KEY_SUCCESS:
	case ARGP_KEY_ERROR:
	case ARGP_KEY_FINI:
	case ARGP_KEY_ARGS:
		return ARGP_ERR_UNKNOWN;
	}
	/* a shared option this tool takes */
	for (const struct argp_option *o = c->options; o->key; o++)
		if (o->key == key && !(o->flags & OPTION_HIDDEN)) {
			devmem_cli_option(c, key, arg);
			return 0;
		}
	/* else one of the retired letters added as hidden options */
	if (key == 'd' && !(c->takes & DEVMEM_CLI_INTERVAL))
		devmem_cli_usage_error(c, "-d is no longer an option: give how long to run as -t SECS");
	for (size_t i = 0; i < sizeof(retired) / sizeof(retired[0]); i++)
		if (key == retired[i].key)
			devmem_cli_usage_error(c, "%s", retired[i].msg);
	return ARGP_ERR_UNKNOWN;
}

static error_t root_parser(int key, char *arg, struct argp_state *state)
{
	if (key == ARGP_KEY_INIT) {
		state->child_inputs[0] = NULL;
		state->child_inputs[1] = state->input;
	}
	return ARGP_ERR_UNKNOWN;
}

static bool tool_has_key(const struct argp *tool, int key)
{
	for (const struct argp_option *o = tool && tool->options ? tool->options : NULL;
	     o && (o->name || o->key || o->doc); o++)
		if (o->key == key)
			return true;
	return false;
}

static void add_option(struct devmem_cli *c, size_t *n, const struct argp_option *o)
{
	/* the last entry stays zero: the end of the list */
	if (*n + 1 >= sizeof(c->options) / sizeof(c->options[0]))
		devmem_cli_usage_error(c, "internal error: too many shared options");
	c->options[(*n)++] = *o;
}

void devmem_cli_init(struct devmem_cli *c, const char *tool, unsigned int takes)
{
	memset(c, 0, sizeof(*c));
	c->tool = tool;
	c->takes = takes;
}

void devmem_cli_doc(struct devmem_cli *c, int key, const char *doc)
{
	for (size_t i = 0; i < sizeof(c->docs) / sizeof(c->docs[0]); i++)
		if (!c->docs[i].key || c->docs[i].key == key) {
			c->docs[i].key = key;
			c->docs[i].doc = doc;
			return;
		}
	devmem_cli_usage_error(c, "internal error: too many help texts of shared options");
}

static const char *doc_of(const struct devmem_cli *c, const struct devmem_cli_word *w)
{
	for (size_t i = 0; i < sizeof(c->docs) / sizeof(c->docs[0]); i++)
		if (c->docs[i].key == w->key)
			return c->docs[i].doc;
	return w->doc;
}

void devmem_cli_parse(struct devmem_cli *c, const struct argp *tool, int argc, char **argv)
{
	struct argp tool_child = { 0 };
	struct argp_child children[3];
	struct argp root = { 0 };
	size_t n = 0;
	int i;

	current = c;
	argp_err_exit_status = DEVMEM_EXIT_USAGE;
	/* argp's and getopt's messages start with argv[0]: the tool's name, not its path */
	if (argc > 0)
		argv[0] = (char *)c->tool;

	/* everything after "--" is the command, not ours to parse */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			break;
	if (i < argc) {
		if (!(c->takes & DEVMEM_CLI_COMMAND))
			devmem_cli_usage_error(c, "this tool runs no command: leave out '--' and what "
					       "follows it");
		if (!strcmp(argv[i - 1], "-D") || !strcmp(argv[i - 1], "--device"))
			devmem_cli_usage_error(c, "-D takes a device (its owner, a range start or its "
					       "name); the breakdown per device is -G");
		if (i + 1 >= argc)
			devmem_cli_usage_error(c, "-- wants a command after it");
		c->command = &argv[i + 1];
		argc = i;
	} else if (argc > 1 && (!strcmp(argv[argc - 1], "-D") ||
				!strcmp(argv[argc - 1], "--device"))) {
		devmem_cli_usage_error(c, "-D takes a device (its owner, a range start or its name); "
				       "the breakdown per device is -G");
	}

	for (size_t w = 0; w < devmem_cli_vocabulary_len; w++) {
		const struct devmem_cli_word *v = &devmem_cli_vocabulary[w];
		struct argp_option o = { v->name, v->key, v->arg,
					 devmem_cli_arg_optional(v) ? OPTION_ARG_OPTIONAL : 0,
					 doc_of(c, v), 0 };

		if (v->flag && !(c->takes & v->flag))
			continue;
		/* -c chooses the process: only where -p can */
		if (v->key == 'c' && !(c->takes & DEVMEM_CLI_PID))
			continue;
		add_option(c, &n, &o);
	}
	c->common.options = c->options;	/* the shared options so far, for tool_has_key() */
	for (size_t r = 0; r < sizeof(retired) / sizeof(retired[0]); r++) {
		struct argp_option o = { NULL, retired[r].key, "X", OPTION_HIDDEN | OPTION_ARG_OPTIONAL,
					 NULL, 0 };

		if (tool_has_key(tool, retired[r].key) || tool_has_key(&c->common, retired[r].key) ||
		    (retired[r].tool && strcmp(retired[r].tool, c->tool)))
			continue;
		add_option(c, &n, &o);
	}
	c->common.options = c->options;
	c->common.parser = common_parser;

	if (!tool) {
		if (argp_parse(&c->common, argc, argv, ARGP_NO_HELP, NULL, c))
			exit(DEVMEM_EXIT_USAGE);
	} else {
		/* usage line and doc belong to the root; the child only parses */
		tool_child = *tool;
		tool_child.args_doc = NULL;
		tool_child.doc = NULL;
		children[0] = (struct argp_child){ &tool_child, 0, NULL, 0 };
		children[1] = (struct argp_child){ &c->common, 0,
						   "Options every devmem tool shares:", 0 };
		children[2] = (struct argp_child){ 0 };
		root.parser = root_parser;
		root.args_doc = tool->args_doc;
		root.doc = tool->doc;
		root.children = children;
		if (argp_parse(&root, argc, argv, ARGP_NO_HELP, NULL, c))
			exit(DEVMEM_EXIT_USAGE);
	}

	if (c->folded && c->flamegraph && !strcmp(c->folded, "-") && !strcmp(c->flamegraph, "-"))
		devmem_cli_usage_error(c, "--folded - and --flamegraph - would both write standard "
				       "output: give one of them a file");
	if (c->stack_bytes && c->stacks == DEVMEM_STACKS_FP)
		devmem_cli_usage_error(c, "--stack-size is what --stacks=dwarf copies; --stacks=fp "
				       "takes a few words: leave one of them out");
	if (c->child_only && !c->command)
		devmem_cli_usage_error(c, "-c traces only the command given after --: give one, or "
				       "leave -c out");
	if (c->child_only && c->pid)
		devmem_cli_usage_error(c, "-c and -p both choose the process to trace: give one "
				       "of them");
}

__u64 devmem_cli_deadline(const struct devmem_cli *c, __u64 start_ns)
{
	if (!(c->duration_s > 0))
		return 0;
	return start_ns + (__u64)(c->duration_s * 1e9);
}

int devmem_cli_start_command(struct devmem_cli *c, struct devmem_child *child)
{
	int err;

	if (!c->command)
		return 0;
	err = devmem_child_start(c->command, child);
	if (!err && c->child_only)
		c->pid = (__u32)child->pid;
	return err;
}

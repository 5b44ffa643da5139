/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The command line of the devmem tools (cli.c): one option vocabulary, one
 * argp parser for the options every tool shares, so that a letter means the
 * same thing in every tool and is checked the same way.
 *
 * A tool says which shared options it takes (DEVMEM_CLI_* bits), keeps its
 * own options in its own argp (options, parser, args_doc, doc), and calls
 *
 *	struct devmem_cli cli;
 *
 *	devmem_cli_init(&cli, "devmemfoo", DEVMEM_CLI_PID | DEVMEM_CLI_JSON | ...);
 *	devmem_cli_parse(&cli, &foo_argp, argc, argv);
 *
 * which parses both (the tool's parser sees its own keys and its own
 * positional arguments first), handles -h, --help, -V, --version and
 * `-- COMMAND`, and exits with DEVMEM_EXIT_USAGE and one sentence on any
 * error. Afterwards the shared values are in struct devmem_cli.
 */
#ifndef DEVMEM_CLI_H
#define DEVMEM_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <linux/types.h>
#include "cli/child.h"
#include "devmem.h"
#include "model/device_filter.h"

/* The shared options; -v, -h/--help and -V/--version every tool takes. */
#define DEVMEM_CLI_PID		0x0001	/* -p, --pid PID */
#define DEVMEM_CLI_DEVICE	0x0002	/* -D, --device DEV */
#define DEVMEM_CLI_PER_PROCESS	0x0004	/* -P, --per-process */
#define DEVMEM_CLI_PER_DEVICE	0x0008	/* -G, --per-device */
#define DEVMEM_CLI_INTERVAL	0x0010	/* -i, --interval SECS */
#define DEVMEM_CLI_COUNT	0x0020	/* -n, --count N */
#define DEVMEM_CLI_DURATION	0x0040	/* -t, --duration SECS */
#define DEVMEM_CLI_JSON		0x0080	/* -j, --json */
#define DEVMEM_CLI_TIMESTAMP	0x0100	/* -T, --timestamp */
#define DEVMEM_CLI_FENTRY	0x0200	/* --fentry */
#define DEVMEM_CLI_COMMAND	0x0400	/* -- COMMAND [ARG...], and -c, --child-only */
#define DEVMEM_CLI_POSITIONAL	0x0800	/* [INTERVAL [COUNT]] as -i and -n */
#define DEVMEM_CLI_THRASH_TABLE	0x1000	/* --thrash-window SECS, --no-thrash: the kernel's table */
#define DEVMEM_CLI_STACKS	0x2000	/* --stacks[=fp|dwarf], --stack-size BYTES */
#define DEVMEM_CLI_FLAME	0x4000	/* --folded FILE, --flamegraph FILE */
#define DEVMEM_CLI_THRASH_K	0x8000	/* --thrash-k K: what counts as thrashing */
#define DEVMEM_CLI_THRASH	(DEVMEM_CLI_THRASH_TABLE | DEVMEM_CLI_THRASH_K)


/*
 * What -D does in the tools that filter in the kernel (devmemstat,
 * devmemhist, devmem-exporter): one sentence for their --help, the same in
 * each.
 */
#define DEVMEM_CLI_DEVICE_IN_KERNEL						\
	"-D filters in the kernel, which knows a device by its owner: a name or a\n"	\
	"range start is looked up among the devices present when the tool starts\n"	\
	"(devmemranges lists them; the owner is the owner field of -j output)."

/* Interval bounds, seconds. */
#define DEVMEM_CLI_INTERVAL_MIN		0.01
#define DEVMEM_CLI_INTERVAL_MAX		86400.0

struct devmem_cli {
	const char *tool;		/* for messages: "devmemhist record" */
	unsigned int takes;		/* DEVMEM_CLI_* */

	__u32 pid;			/* -p; 0: every process */
	struct devmem_device_filter device;	/* -D */
	bool per_process;		/* -P */
	bool per_device;		/* -G */
	double interval_s;		/* -i or INTERVAL; 0 when not given */
	bool interval_set;
	unsigned long count;		/* -n or COUNT; 0: no limit */
	double duration_s;		/* -t; 0: no limit */
	bool json;			/* -j */
	bool timestamp;			/* -T */
	bool fentry;			/* --fentry */
	bool verbose;			/* -v */
	bool child_only;		/* -c */
	char **command;			/* after --; NULL: none */
	__u32 thrash_k;			/* --thrash-k; 0: DEVMEM_THRASH_K_DEFAULT */
	__u64 thrash_window_ns;		/* --thrash-window; 0: DEVMEM_THRASH_WINDOW_DEFAULT */
	bool no_thrash;			/* --no-thrash */
	unsigned int stacks;		/* --stacks: DEVMEM_STACKS_*; 0 not given */
	__u32 stack_bytes;		/* --stack-size; 0: DEVMEM_STACK_BYTES_DEFAULT */
	const char *folded;		/* --folded FILE; "-": stdout */
	const char *flamegraph;		/* --flamegraph FILE */

	/* a tool's own text for a shared option (devmem_cli_doc) */
	struct { int key; const char *doc; } docs[4];

	/* the parser's own */
	int positional;
	struct argp_option options[40];
	struct argp common;
};

/* Shared options of a tool: fills c with their defaults. */
void devmem_cli_init(struct devmem_cli *c, const char *tool, unsigned int takes);
/*
 * The help text of shared option key in this tool, where the tool gives it a
 * meaning of its own (the exporter's -i writes a file); before parsing.
 */
void devmem_cli_doc(struct devmem_cli *c, int key, const char *doc);
/* a -D value: an owner (a kernel address), a range start (hex) or a name */
void devmem_cli_parse_device(struct devmem_device_filter *f, const char *arg);
/*
 * Parse argv: the tool's argp (may be NULL for a tool without options of
 * its own) and the shared options. Exits on --help, --version and on any
 * usage error; returns only when the command line is good.
 */
void devmem_cli_parse(struct devmem_cli *c, const struct argp *tool, int argc, char **argv);
/*
 * Apply a shared option by its key, as if given on the command line: for a
 * tool's own long aliases (devmemtop --delay is -i). Exits on a bad value.
 */
void devmem_cli_option(struct devmem_cli *c, int key, const char *arg);

/* "TOOL: MESSAGE; see TOOL --help." on stderr and exit DEVMEM_EXIT_USAGE */
void devmem_cli_usage_error(const struct devmem_cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));


struct devmem_opts;

/* start + the -t duration in ns, CLOCK_MONOTONIC; 0 without -t */
__u64 devmem_cli_deadline(const struct devmem_cli *c, __u64 start_ns);
/*
 * Fork the -- COMMAND, held until devmem_child_go() (child.h); with -c its
 * pid becomes the -p filter. 0 (also without a command) or -errno.
 */
int devmem_cli_start_command(struct devmem_cli *c, struct devmem_child *child);

/* "devmem-kit VERSION" of the build (the VERSION file) */
extern const char devmem_version[];

/* The vocabulary, for the help test and the docs: one entry a shared option. */
struct devmem_cli_word {
	unsigned int flag;		/* DEVMEM_CLI_*; 0: every tool */
	int key;			/* short letter, or a key > 0xff for a long-only option */
	const char *name;		/* long name */
	const char *arg;		/* argument name, NULL if none */
	const char *doc;
};
extern const struct devmem_cli_word devmem_cli_vocabulary[];
extern const size_t devmem_cli_vocabulary_len;
/* true for a word whose argument may be left out (--stacks[=MODE]) */
bool devmem_cli_arg_optional(const struct devmem_cli_word *w);

#endif /* DEVMEM_CLI_H */

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemranges: inventory of the device-private and device-coherent memory
 * ranges (struct dev_pagemap) of the running kernel.
 *
 * Without -w it lists the live ranges, found at start by the session on
 * any kernel (the debugfs file of the kernel series alone where BPF cannot
 * be used). With -w (or -d, or -- COMMAND) it also follows hotplug until
 * Ctrl-C, then lists every range that was live at start or added since,
 * removed ones included, with when they were added and removed and how long
 * each remove waited for the last page reference to drop.
 *
 * The ranges are those of the session's history, each with the device
 * every tool names it by (tools/lib/render/inventory.c renders them).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <jansson.h>
#include "cli/child.h"
#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/sanitize.h"
#include "kernel/pagemaps.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "model/snapshot.h"
#include "render/inventory.h"

static const char doc[] =
"List the device-private and device-coherent memory ranges: physical range,\n"
"size, NUMA node, type, pages in use, device, and when each was added and\n"
"removed.\n"
"\n"
"EXAMPLES:\n"
"    devmemranges                            # live ranges now\n"
"    devmemranges -W                         # follow hotplug until Ctrl-C\n"
"    devmemranges -t 60                      # follow hotplug for a minute\n"
"    devmemranges -D hmm_dmirror0            # the ranges of one device\n"
"    devmemranges -j -- rmmod test_hmm       # what an unload removed, as JSON\n"
"\v"
"-W, -t SECS and -- COMMAND trace range hotplug (until Ctrl-C or SIGTERM, for\n"
"SECS, while COMMAND runs), then list the live ranges and those removed\n"
"meanwhile.\n"
"\n"
"Columns: START and END (physical, inclusive), SIZE, NODE (NUMA node, '?'\n"
"unknown), TYPE (private or coherent), IN_USE (device pages holding a\n"
"reference: now for a live range, at remove for a removed one), STATE (live;\n"
"removing: remove started, references still held; removed), DEVICE (the\n"
"device, named as every devmem tool names it), NAME (the /proc/iomem name of\n"
"the range), ADDED ('before' if it was there when the tool started),\n"
"REMOVED, WAIT(ms) (time the remove waited for outstanding references).\n"
"\n"
"Ranges present at start are found in the kernel from /proc/iomem, and from\n"
DEVMEM_PAGEMAPS_V3_PATH "\n"
"where the zone_device kernel series has it (" DEVMEM_PAGEMAPS_PATH "\n"
"on its v2)\n"
"(which also gives their pages in use); both need root.";

static const struct argp_option ranges_options[] = {
	{ "watch", 'W', NULL, 0, "Trace range hotplug until Ctrl-C (or SIGTERM), then list live "
	  "ranges and those removed meanwhile", 0 },
	{ 0 },
};

static struct devmem_cli cli;
static bool watch;

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	if (key != 'W')
		return ARGP_ERR_UNKNOWN;
	watch = true;
	return 0;
}

/* -D: the ranges of the device asked for (a range by its start or its pagemap's id) */
static void filter_device(struct devmem_inventory *inv, const struct devmem_device_filter *f)
{
	size_t kept = 0;

	for (size_t i = 0; i < inv->n; i++) {
		const struct devmem_inv_range *r = &inv->r[i];

		if (devmem_filter_range(f, r->device, r->name, r->owner, r->start) ||
		    devmem_filter_range(f, NULL, NULL, 0, r->id))
			inv->r[kept++] = *r;
	}
	inv->n = kept;
}

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

/* Read the debugfs listing with iomem names; 0 or -errno (note set). */
static int read_listing(struct devmem_snapshot *snap)
{
	int err;

	devmem_snapshot_free(snap);
	err = devmem_discover_ranges(NULL, snap);
	if (!err)
		devmem_name_ranges(NULL, snap);
	return err;
}

static int listing_error(const char *note, int err)
{
	enum devmem_error e = err == -EACCES || err == -EPERM ? DEVMEM_E_PERM : DEVMEM_E_NO_HOOKS;

	fprintf(stderr, "devmemranges: %s\n", note[0] ? note : devmem_strerror(e));
	if (e == DEVMEM_E_NO_HOOKS)
		fprintf(stderr, "devmemranges: use -W to list the ranges added or removed from "
			"now on.\n");
	return devmem_exit_code(e);
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		ranges_options, parse_opt, "[-- COMMAND [ARG...]]", doc, NULL, NULL, NULL,
	};
	struct devmem_opts opts = { 0 };
	struct devmem_child child = DEVMEM_CHILD_INIT;
	struct devmem_session *s = NULL;
	struct devmem_snapshot snap;
	struct devmem_inventory inv = { 0 };
	unsigned long page_size = (unsigned long)sysconf(_SC_PAGESIZE);
	bool json, nomem = false;
	enum devmem_error err;
	__u64 deadline = 0;
	__s64 wall_offset = devmem_wall_offset_ns();
	char note[256] = "";
	int rc = 0, e;

	devmem_cli_init(&cli, "devmemranges", DEVMEM_CLI_DEVICE | DEVMEM_CLI_DURATION |
			DEVMEM_CLI_JSON | DEVMEM_CLI_FENTRY | DEVMEM_CLI_COMMAND);
	devmem_cli_parse(&cli, &argp, argc, argv);
	json = cli.json;
	opts.families = DEVMEM_FAM_PAGEMAPS;
	opts.force_fentry = cli.fentry;
	opts.verbose = cli.verbose;
	if (cli.duration_s > 0 || cli.command)
		watch = true;

	devmem_snapshot_init(&snap);
	if (devmem_cli_start_command(&cli, &child)) {
		fprintf(stderr, "devmemranges: %s\n", devmem_strerror(DEVMEM_E_CHILD));
		return devmem_exit_code(DEVMEM_E_CHILD);
	}
	err = devmem_session_open(&opts, &s);
	if (err && !watch && err != DEVMEM_E_USAGE && err != DEVMEM_E_BAD_ENV &&
	    err != DEVMEM_E_NOMEM) {
		/* no BPF here: the debugfs file alone still lists the live ranges */
		e = read_listing(&snap);
		if (e) {
			rc = listing_error(snap.note, e);
			devmem_snapshot_free(&snap);
			return rc;
		}
		memcpy(note, snap.note, sizeof(note));
		if (devmem_snapshot_group_devices(&snap) || devmem_inv_from_snapshot(&inv, &snap))
			nomem = true;
		devmem_snapshot_free(&snap);
		goto print;
	}
	if (err) {
		devmem_child_abandon(&child);
		fprintf(stderr, "devmemranges: %s\n", devmem_strerror(err));
		return devmem_exit_code(err);
	}
	if (watch) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		deadline = devmem_cli_deadline(&cli, devmem_mono_ns());
		if (child.pid > 0) {
			e = devmem_child_go(&child);
			if (e) {
				fprintf(stderr, "devmemranges: %s: %s. %s\n", cli.command[0],
					strerror(-e), devmem_strerror(DEVMEM_E_CHILD));
				devmem_session_close(s);
				return devmem_exit_code(DEVMEM_E_CHILD);
			}
		} else if (isatty(STDERR_FILENO)) {
			fprintf(stderr, "Tracing device memory hotplug... Hit Ctrl-C to end.\n");
		}
		while (!exiting) {
			devmem_session_wait(s, devmem_mono_ns() + 200000000ULL, &exiting);
			if (devmem_child_reap(&child, "devmemranges", cli.command ? cli.command[0] : ""))
				break;
			if (deadline && devmem_mono_ns() >= deadline)
				break;
		}
		if (child.pid > 0) {
			kill(child.pid, SIGTERM);
			waitpid(child.pid, NULL, 0);
		}
	}
	err = devmem_session_snapshot(s, &snap);
	if (err) {
		char msg[256];

		fprintf(stderr, "devmemranges: %s\n",
			devmem_strerror_errno(DEVMEM_E_READ, err, msg, sizeof(msg)));
		devmem_session_close(s);
		devmem_snapshot_free(&snap);
		return devmem_exit_code(DEVMEM_E_READ);
	}
	memcpy(note, snap.note, sizeof(note));
	if (devmem_inv_from_snapshot(&inv, &snap))
		nomem = true;
	devmem_snapshot_free(&snap);
	devmem_session_close(s);
	/* pages in use of the live ranges, now, where the listing has them */
	if (!read_listing(&snap))
		devmem_inv_refresh(&inv, &snap);
	devmem_snapshot_free(&snap);

print:
	filter_device(&inv, &cli.device);
	devmem_inv_sort(&inv);
	if (nomem) {
		fprintf(stderr, "devmemranges: %s\n", devmem_strerror(DEVMEM_E_NOMEM));
		rc = devmem_exit_code(DEVMEM_E_NOMEM);
	}
	if (json) {
		json_t *doc = devmem_inv_json(&inv, wall_offset, page_size, note);

		if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) || fputc('\n', stdout) == EOF) {
			fprintf(stderr, "devmemranges: writing the JSON output failed.\n");
			rc = DEVMEM_EXIT_FAILURE;
		}
		json_decref(doc);
	} else {
		devmem_inv_print_text(stdout, &inv, wall_offset, page_size);
		if (note[0]) {
			char clean[DEVMEM_SANITIZED_SIZE(sizeof(note))];

			devmem_sanitize(clean, sizeof(clean), note, sizeof(note), 0);
			printf("note: %s\n", clean);
		}
	}
	if (inv.lost)
		fprintf(stderr, "devmemranges: lost %" PRIu64 " events: ranges may be missing from "
			"the list.\n", (uint64_t)inv.lost);
	if (fflush(stdout)) {
		fprintf(stderr, "devmemranges: writing the output failed: %s.\n", strerror(errno));
		rc = DEVMEM_EXIT_FAILURE;
	}
	devmem_inv_free(&inv);
	return rc;
}

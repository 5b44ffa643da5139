// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemranges: inventory of the device-private and device-coherent memory
 * ranges (struct dev_pagemap) of the running kernel.
 *
 * Without -w it lists the live ranges from the debugfs file of the kernel
 * series (no BPF needed). With -w (or -d, or -- COMMAND) it also follows
 * hotplug through the devmem tracepoints until Ctrl-C, then lists every
 * range that was live at start or added since, removed ones included, with
 * when they were added and removed and how long each remove waited for the
 * last page reference to drop.
 *
 * The inventory itself (tools/lib/inventory.c) is kept from the streamed
 * add/remove events; this file is the command around it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <jansson.h>
#include "lib/devmem.h"
#include "lib/child.h"
#include "lib/inventory.h"
#include "lib/sanitize.h"

static const char usage_text[] =
"Usage: devmemranges [-j] [-w] [-d SECONDS] [--fentry] [-v] [-- COMMAND [ARG...]]\n"
"\n"
"List the device-private and device-coherent memory ranges: physical range,\n"
"size, NUMA node, type, pages in use, owner, and when each was added and\n"
"removed.\n"
"\n"
"  -j, --json            one JSON document instead of a table\n"
"  -w, --watch           trace range hotplug until Ctrl-C (or SIGTERM), then\n"
"                        list live ranges and those removed meanwhile\n"
"  -d, --duration SECS   watch for SECS seconds\n"
"  -- COMMAND            watch while COMMAND runs (e.g. -- modprobe -r drv)\n"
"      --fentry          use the fentry fallback even where tracepoints exist\n"
"  -v, --verbose         libbpf debug output\n"
"  -h, --help            this help\n"
"\n"
"Columns: START and END (physical, inclusive), SIZE, NODE (NUMA node, '?'\n"
"unknown), TYPE (private or coherent), IN_USE (device pages holding a\n"
"reference: now for a live range, at remove for a removed one), STATE (live;\n"
"removing: remove started, references still held; removed), OWNER (the\n"
"/proc/iomem name of the range, else the driver's owner pointer), ADDED\n"
"('before' if it was there when the tool started), REMOVED, WAIT(ms) (time\n"
"the remove waited for outstanding references).\n"
"\n"
"Ranges present at start come from " DEVMEM_PAGEMAPS_PATH "\n"
"(root only); without the devmem kernel series only ranges added while\n"
"watching are known.\n"
"\n"
"Examples:\n"
"  devmemranges                            # live ranges now\n"
"  devmemranges -w                         # follow hotplug until Ctrl-C\n"
"  devmemranges -j -- rmmod test_hmm       # what an unload removed, as JSON\n";

enum {
	OPT_FENTRY = 256,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "watch", no_argument, NULL, 'w' },
	{ "duration", required_argument, NULL, 'd' },
	{ "fentry", no_argument, NULL, OPT_FENTRY },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

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

struct watch {
	struct devmem_inventory inv;
	bool nomem;
};

static int on_event(void *ctx, const struct devmem_event *e)
{
	struct watch *w = ctx;
	struct devmem_snapshot now;

	if (devmem_inv_event(&w->inv, e)) {
		w->nomem = true;
		return 0;
	}
	/* type, node and name of a new range come from the listing */
	if (e->type == DEVMEM_EV_PAGEMAP_ADD) {
		devmem_snapshot_init(&now);
		if (!read_listing(&now))
			devmem_inv_refresh(&w->inv, &now);
		devmem_snapshot_free(&now);
	}
	return 0;
}

static int listing_error(const char *note, int err)
{
	enum devmem_error e = err == -EACCES || err == -EPERM ? DEVMEM_E_PERM : DEVMEM_E_NO_HOOKS;

	fprintf(stderr, "devmemranges: %s\n", note[0] ? note : devmem_strerror(e));
	if (e == DEVMEM_E_NO_HOOKS)
		fprintf(stderr, "devmemranges: use -w to list the ranges added or removed from "
			"now on.\n");
	return devmem_exit_code(e);
}

int main(int argc, char **argv)
{
	struct devmem_opts opts = {
		.stream_mask = (1U << DEVMEM_EV_PAGEMAP_ADD) | (1U << DEVMEM_EV_PAGEMAP_REMOVE) |
			       (1U << DEVMEM_EV_PAGEMAP_REMOVE_DONE),
		.ringbuf_bytes = 64 * 1024,
	};
	struct devmem_child child = DEVMEM_CHILD_INIT;
	struct devmem_session *s = NULL;
	struct devmem_snapshot snap;
	struct watch w = { 0 };
	unsigned long long duration_s = 0;
	unsigned long page_size = (unsigned long)sysconf(_SC_PAGESIZE);
	bool json = false, watch = false;
	enum devmem_error err;
	__u64 deadline = 0;
	__s64 wall_offset = devmem_wall_offset_ns();
	char note[256] = "", *end;
	int opt, rc = 0, e;

	while ((opt = getopt_long(argc, argv, "+jwd:vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'w':
			watch = true;
			break;
		case 'd':
			errno = 0;
			duration_s = strtoull(optarg, &end, 10);
			if (errno || *end || !duration_s || *optarg == '-' || duration_s > (1ULL << 31)) {
				fprintf(stderr, "devmemranges: -d wants a number of seconds, not "
					"'%s'.\n%s\n", optarg, devmem_strerror(DEVMEM_E_USAGE));
				return devmem_exit_code(DEVMEM_E_USAGE);
			}
			watch = true;
			break;
		case OPT_FENTRY:
			opts.force_fentry = true;
			break;
		case 'v':
			opts.verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return devmem_exit_code(DEVMEM_E_USAGE);
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--")) {
		fprintf(stderr, "devmemranges: unexpected argument '%s'; put a command to watch "
			"after --.\n%s\n", argv[optind], devmem_strerror(DEVMEM_E_USAGE));
		return devmem_exit_code(DEVMEM_E_USAGE);
	}
	if (optind < argc)
		watch = true;

	devmem_snapshot_init(&snap);
	if (!watch) {
		/* a listing needs no BPF: the debugfs file has it all */
		e = read_listing(&snap);
		if (e) {
			rc = listing_error(snap.note, e);
			devmem_snapshot_free(&snap);
			return rc;
		}
		memcpy(note, snap.note, sizeof(note));
		devmem_snapshot_sort(&snap);
		for (size_t i = 0; i < snap.nr_ranges; i++)
			if (devmem_inv_add_discovered(&w.inv, &snap.ranges[i]))
				w.nomem = true;
		devmem_snapshot_free(&snap);
		goto print;
	}

	if (optind < argc && devmem_child_start(argv + optind, &child)) {
		fprintf(stderr, "devmemranges: %s\n", devmem_strerror(DEVMEM_E_CHILD));
		return devmem_exit_code(DEVMEM_E_CHILD);
	}
	opts.on_event = on_event;
	opts.ctx = &w;
	err = devmem_session_open(&opts, &s);
	if (err) {
		devmem_child_abandon(&child);
		fprintf(stderr, "devmemranges: %s\n", devmem_strerror(err));
		return devmem_exit_code(err);
	}
	/* the session read the start listing after attaching */
	w.inv.discovered_ns = devmem_mono_ns();
	if (!devmem_session_snapshot(s, &snap)) {
		memcpy(note, snap.note, sizeof(note));
		for (size_t i = 0; i < snap.nr_ranges; i++)
			if ((snap.ranges[i].sources & DEVMEM_RANGE_DISCOVERED) &&
			    devmem_inv_add_discovered(&w.inv, &snap.ranges[i]))
				w.nomem = true;
	}
	devmem_snapshot_free(&snap);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (duration_s)
		deadline = devmem_mono_ns() + duration_s * 1000000000ULL;
	if (child.pid > 0) {
		e = devmem_child_go(&child);
		if (e) {
			fprintf(stderr, "devmemranges: %s: %s. %s\n", argv[optind], strerror(-e),
				devmem_strerror(DEVMEM_E_CHILD));
			devmem_session_close(s);
			return devmem_exit_code(DEVMEM_E_CHILD);
		}
	} else if (isatty(STDERR_FILENO)) {
		fprintf(stderr, "Tracing device memory hotplug... Hit Ctrl-C to end.\n");
	}
	while (!exiting) {
		int n = devmem_session_poll(s, 200);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "devmemranges: reading the ring buffer failed: %s.\n",
				strerror(-n));
			rc = DEVMEM_EXIT_FAILURE;
			break;
		}
		if (devmem_child_reap(&child, "devmemranges", argv[optind]))
			break;
		if (deadline && devmem_mono_ns() >= deadline)
			break;
	}
	for (int i = 0; i < 16; i++)
		if (devmem_session_poll(s, 0) <= 0)
			break;
	if (!devmem_session_snapshot(s, &snap))
		w.inv.lost = snap.lost[DEVMEM_LOST_RINGBUF] + snap.recursion_misses;
	devmem_snapshot_free(&snap);
	if (child.pid > 0) {
		kill(child.pid, SIGTERM);
		waitpid(child.pid, NULL, 0);
	}
	devmem_session_close(s);
	/* pages in use of the live ranges: now */
	if (!read_listing(&snap))
		devmem_inv_refresh(&w.inv, &snap);
	devmem_snapshot_free(&snap);

print:
	devmem_inv_sort(&w.inv);
	if (w.nomem) {
		fprintf(stderr, "devmemranges: %s\n", devmem_strerror(DEVMEM_E_NOMEM));
		rc = devmem_exit_code(DEVMEM_E_NOMEM);
	}
	if (json) {
		json_t *doc = devmem_inv_json(&w.inv, wall_offset, page_size, note);

		if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) || fputc('\n', stdout) == EOF) {
			fprintf(stderr, "devmemranges: writing the JSON output failed.\n");
			rc = DEVMEM_EXIT_FAILURE;
		}
		json_decref(doc);
	} else {
		devmem_inv_print_text(stdout, &w.inv, wall_offset, page_size);
		if (note[0]) {
			char clean[DEVMEM_SANITIZED_SIZE(sizeof(note))];

			devmem_sanitize(clean, sizeof(clean), note, sizeof(note), 0);
			printf("note: %s\n", clean);
		}
	}
	if (w.inv.lost)
		fprintf(stderr, "devmemranges: lost %" PRIu64 " hotplug events: ranges may be "
			"missing from the list.\n", (uint64_t)w.inv.lost);
	if (fflush(stdout)) {
		fprintf(stderr, "devmemranges: writing the output failed: %s.\n", strerror(errno));
		rc = DEVMEM_EXIT_FAILURE;
	}
	devmem_inv_free(&w.inv);
	return rc;
}

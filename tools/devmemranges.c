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
 * The inventory is kept from the streamed add/remove events rather than
 * from the BPF ranges map, because a pagemap removed and added again may
 * reuse the same struct address (and the same physical range), which would
 * overwrite its history in a map keyed by that address.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <jansson.h>
#include "lib/devmem.h"
#include "lib/child.h"
#include "lib/json_out.h"
#include "lib/sanitize.h"

/* ---- the inventory ------------------------------------------------------- */

struct inv_range {
	__u64 pgmap;		/* struct dev_pagemap pointer, 0 unknown */
	__u64 owner;		/* pgmap->owner, 0 unknown */
	__u64 id;		/* pgmap id: physical start of range 0 */
	__u64 start, end;	/* physical, inclusive */
	__u64 nr_pages;
	__u32 nid;		/* ~0U unknown */
	__u32 type;		/* DEVMEM_TYPE_*, 0 unknown */
	__u64 in_use;		/* DEVMEM_UNKNOWN unknown */
	char name[64];		/* /proc/iomem name, "" unknown */
	bool before;		/* present when the tool started */
	bool removed;		/* remove started */
	bool done;		/* remove finished */
	__u64 added_ns, removed_ns, done_ns;	/* CLOCK_MONOTONIC, 0 unknown */
	__u64 wait_ns;
	unsigned int seq;	/* order of arrival, for stable sorting */
};

struct inventory {
	struct inv_range *r;
	size_t n;
	unsigned int seq;
	__u64 discovered_ns;	/* when the start listing was read */
	__u64 lost;
};

static struct inv_range *inv_new(struct inventory *inv)
{
	struct inv_range *r = realloc(inv->r, (inv->n + 1) * sizeof(*r));

	if (!r)
		return NULL;
	inv->r = r;
	r = &inv->r[inv->n++];
	memset(r, 0, sizeof(*r));
	r->nid = ~0U;
	r->in_use = DEVMEM_UNKNOWN;
	r->seq = inv->seq++;
	return r;
}

/* a range listed when the tool started */
static int inv_add_discovered(struct inventory *inv, const struct devmem_snap_range *d)
{
	struct inv_range *r = inv_new(inv);

	if (!r)
		return -ENOMEM;
	r->pgmap = d->r.pgmap;
	r->owner = d->r.owner;
	r->id = d->id ? d->id : d->r.start;
	r->start = d->r.start;
	r->end = d->r.end;
	r->nr_pages = d->r.nr_pages;
	r->nid = d->r.nid;
	r->type = d->r.type;
	r->in_use = d->in_use_at_start;
	memcpy(r->name, d->name, sizeof(r->name));
	r->name[sizeof(r->name) - 1] = '\0';
	r->before = true;
	return 0;
}

/* the live (not removed) range at this pagemap address, or at this start */
static struct inv_range *inv_live(struct inventory *inv, __u64 pgmap, __u64 start)
{
	for (size_t i = 0; i < inv->n; i++)
		if (!inv->r[i].removed && pgmap && inv->r[i].pgmap == pgmap)
			return &inv->r[i];
	for (size_t i = 0; i < inv->n; i++)
		if (!inv->r[i].removed && inv->r[i].start == start &&
		    (!pgmap || !inv->r[i].pgmap))
			return &inv->r[i];
	return NULL;
}

static void fill_from_event(struct inv_range *r, const struct devmem_event *e)
{
	if (e->pgmap)
		r->pgmap = e->pgmap;
	if (e->owner)
		r->owner = e->owner;
	r->id = r->start = e->address;
	r->end = e->pfn;
	if (e->npages)
		r->nr_pages = e->npages;
}

/* Apply one pagemap event; other events are ignored. 0 or -ENOMEM. */
static int inv_event(struct inventory *inv, const struct devmem_event *e)
{
	struct inv_range *r;

	switch (e->type) {
	case DEVMEM_EV_PAGEMAP_ADD:
		r = inv_live(inv, e->pgmap, e->address);
		if (r && r->pgmap == e->pgmap && r->added_ns)
			return 0;	/* the same add twice */
		/* added after attaching but before the start listing was read */
		if (r && r->before && (!r->pgmap || r->pgmap == e->pgmap) &&
		    e->ts_ns <= inv->discovered_ns) {
			r->before = false;
		} else {
			r = inv_new(inv);
			if (!r)
				return -ENOMEM;
			r->in_use = 0;
		}
		fill_from_event(r, e);
		r->added_ns = e->ts_ns;
		return 0;
	case DEVMEM_EV_PAGEMAP_REMOVE:
		r = inv_live(inv, e->pgmap, e->address);
		if (!r) {
			/* there before the tool started, but not listed then */
			r = inv_new(inv);
			if (!r)
				return -ENOMEM;
			r->before = true;
		}
		fill_from_event(r, e);
		r->removed = true;
		r->removed_ns = e->ts_ns;
		if (e->result != DEVMEM_UNKNOWN)
			r->in_use = e->result;
		return 0;
	case DEVMEM_EV_PAGEMAP_REMOVE_DONE:
		for (size_t i = inv->n; i-- > 0;) {
			r = &inv->r[i];
			if (!r->removed || r->done)
				continue;
			if (e->pgmap ? r->pgmap == e->pgmap : r->start == e->address) {
				r->done = true;
				r->done_ns = e->ts_ns;
				r->wait_ns = e->latency_ns ? e->latency_ns :
					     e->ts_ns - r->removed_ns;
				return 0;
			}
		}
		return 0;
	default:
		return 0;
	}
}

/* Live ranges take type, node, name and pages in use from a fresh listing. */
static void inv_refresh(struct inventory *inv, const struct devmem_snapshot *now)
{
	for (size_t i = 0; i < inv->n; i++) {
		struct inv_range *r = &inv->r[i];

		for (size_t j = 0; j < now->nr_ranges; j++) {
			const struct devmem_snap_range *d = &now->ranges[j];

			if (d->r.start != r->start)
				continue;
			if (!r->type)
				r->type = d->r.type;
			if (r->nid == ~0U)
				r->nid = d->r.nid;
			if (!r->name[0]) {
				memcpy(r->name, d->name, sizeof(r->name));
				r->name[sizeof(r->name) - 1] = '\0';
			}
			if (!r->nr_pages)
				r->nr_pages = d->r.nr_pages;
			if (!r->removed)
				r->in_use = d->in_use_at_start;
		}
	}
}

static int inv_cmp(const void *a, const void *b)
{
	const struct inv_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void inv_sort(struct inventory *inv)
{
	if (inv->n)
		qsort(inv->r, inv->n, sizeof(*inv->r), inv_cmp);
}

static const char *type_name(__u32 type)
{
	return type == DEVMEM_TYPE_PRIVATE ? "private" :
	       type == DEVMEM_TYPE_COHERENT ? "coherent" : "?";
}

static const char *state_name(const struct inv_range *r)
{
	return !r->removed ? "live" : r->done ? "removed" : "removing";
}

static void format_size(char *buf, size_t len, __u64 bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	unsigned int u = 0;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >= 1024 && !(bytes % 1024)) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 "%s", (uint64_t)bytes, units[u]);
}

/* local time of day of a CLOCK_MONOTONIC stamp */
static void format_when(char *buf, size_t len, __u64 ns, __s64 wall_offset)
{
	__s64 wall = (__s64)ns + wall_offset;
	time_t sec = (time_t)(wall / 1000000000LL);
	struct tm tm;

	if (!ns || wall < 0 || !localtime_r(&sec, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%02d:%02d:%02d.%03lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(wall % 1000000000LL) / 1000000);
}

static void inv_print_text(FILE *out, const struct inventory *inv, __s64 wall_offset,
			   unsigned long page_size)
{
	fprintf(out, "%-18s %-18s %8s %4s %-8s %7s %-8s %-18s %-12s %-12s %s\n", "START", "END",
		"SIZE", "NODE", "TYPE", "IN_USE", "STATE", "OWNER", "ADDED", "REMOVED",
		"WAIT(ms)");
	for (size_t i = 0; i < inv->n; i++) {
		const struct inv_range *r = &inv->r[i];
		char start[24], end[24], size[24], nid[12], in_use[24];
		char owner[DEVMEM_SANITIZED_SIZE(sizeof(r->name))];
		char added[24], removed[24], wait[32];

		snprintf(start, sizeof(start), "0x%" PRIx64, (uint64_t)r->start);
		snprintf(end, sizeof(end), "0x%" PRIx64, (uint64_t)r->end);
		format_size(size, sizeof(size), r->nr_pages * page_size);
		if (r->nid == ~0U)
			snprintf(nid, sizeof(nid), "?");
		else
			snprintf(nid, sizeof(nid), "%u", r->nid);
		if (r->in_use == DEVMEM_UNKNOWN)
			snprintf(in_use, sizeof(in_use), "?");
		else
			snprintf(in_use, sizeof(in_use), "%" PRIu64, (uint64_t)r->in_use);
		if (r->name[0])	/* 18 columns, more if need be, at most 40 */
			devmem_sanitize_cols(owner, sizeof(owner), r->name, sizeof(r->name), 0, 40);
		else if (r->owner)
			snprintf(owner, sizeof(owner), "0x%" PRIx64, (uint64_t)r->owner);
		else
			snprintf(owner, sizeof(owner), "-");
		if (r->before)
			snprintf(added, sizeof(added), "before");
		else
			format_when(added, sizeof(added), r->added_ns, wall_offset);
		if (r->removed)
			format_when(removed, sizeof(removed), r->removed_ns, wall_offset);
		else
			snprintf(removed, sizeof(removed), "-");
		if (r->done)
			snprintf(wait, sizeof(wait), "%" PRIu64 ".%03" PRIu64,
				 (uint64_t)(r->wait_ns / 1000000), (uint64_t)(r->wait_ns / 1000 % 1000));
		else
			snprintf(wait, sizeof(wait), "-");
		devmem_pad_cols(owner, sizeof(owner), 18);
		fprintf(out, "%-18s %-18s %8s %4s %-8s %7s %-8s %s %-12s %-12s %s\n", start, end,
			size, nid, type_name(r->type), in_use, state_name(r), owner, added, removed,
			wait);
	}
}

static json_t *when_json(__u64 ns, __s64 wall_offset)
{
	char buf[24];

	if (!ns)
		return json_null();
	format_when(buf, sizeof(buf), ns, wall_offset);
	return json_string(buf);
}

static json_t *inv_json(const struct inventory *inv, __s64 wall_offset, unsigned long page_size,
			const char *note)
{
	json_t *doc = json_object(), *arr = json_array();
	int err = !doc || !arr;

	for (size_t i = 0; !err && i < inv->n; i++) {
		const struct inv_range *r = &inv->r[i];
		json_t *o = json_object();

		err |= !o;
		if (err)
			break;
		err |= json_object_set_new(o, "id", devmem_json_hex(r->id));
		err |= json_object_set_new(o, "start", devmem_json_hex(r->start));
		err |= json_object_set_new(o, "end", devmem_json_hex(r->end));
		err |= json_object_set_new(o, "pages", json_integer((json_int_t)r->nr_pages));
		err |= json_object_set_new(o, "bytes",
					   json_integer((json_int_t)(r->nr_pages * page_size)));
		err |= json_object_set_new(o, "nid", r->nid == ~0U ? json_null() :
					   json_integer(r->nid));
		err |= json_object_set_new(o, "type", json_string(type_name(r->type)));
		err |= json_object_set_new(o, "in_use", r->in_use == DEVMEM_UNKNOWN ? json_null() :
					   json_integer((json_int_t)r->in_use));
		err |= json_object_set_new(o, "state", json_string(state_name(r)));
		err |= json_object_set_new(o, "name", r->name[0] ?
					   devmem_json_str(r->name, sizeof(r->name)) : json_null());
		err |= json_object_set_new(o, "owner", r->owner ? devmem_json_hex(r->owner) :
					   json_null());
		err |= json_object_set_new(o, "before_start", json_boolean(r->before));
		err |= json_object_set_new(o, "added", r->before ? json_null() :
					   when_json(r->added_ns, wall_offset));
		err |= json_object_set_new(o, "added_ns", r->before || !r->added_ns ? json_null() :
					   json_integer((json_int_t)r->added_ns));
		err |= json_object_set_new(o, "removed", r->removed ?
					   when_json(r->removed_ns, wall_offset) : json_null());
		err |= json_object_set_new(o, "removed_ns", r->removed ?
					   json_integer((json_int_t)r->removed_ns) : json_null());
		err |= json_object_set_new(o, "remove_wait_ns", r->done ?
					   json_integer((json_int_t)r->wait_ns) : json_null());
		err |= json_array_append_new(arr, o);
	}
	if (!err) {
		err |= json_object_set_new(doc, "ranges", arr);
		arr = NULL;
		err |= json_object_set_new(doc, "lost", json_integer((json_int_t)inv->lost));
		err |= json_object_set_new(doc, "note", note && note[0] ?
					   devmem_json_str(note, SIZE_MAX) : json_null());
	}
	json_decref(arr);
	if (err) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* ---- the command ---------------------------------------------------------- */

#ifndef DEVMEMRANGES_NO_MAIN

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
	struct inventory inv;
	bool nomem;
};

static int on_event(void *ctx, const struct devmem_event *e)
{
	struct watch *w = ctx;
	struct devmem_snapshot now;

	if (inv_event(&w->inv, e)) {
		w->nomem = true;
		return 0;
	}
	/* type, node and name of a new range come from the listing */
	if (e->type == DEVMEM_EV_PAGEMAP_ADD) {
		devmem_snapshot_init(&now);
		if (!read_listing(&now))
			inv_refresh(&w->inv, &now);
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
			if (inv_add_discovered(&w.inv, &snap.ranges[i]))
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
			    inv_add_discovered(&w.inv, &snap.ranges[i]))
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
		inv_refresh(&w.inv, &snap);
	devmem_snapshot_free(&snap);

print:
	inv_sort(&w.inv);
	if (w.nomem) {
		fprintf(stderr, "devmemranges: %s\n", devmem_strerror(DEVMEM_E_NOMEM));
		rc = devmem_exit_code(DEVMEM_E_NOMEM);
	}
	if (json) {
		json_t *doc = inv_json(&w.inv, wall_offset, page_size, note);

		if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) || fputc('\n', stdout) == EOF) {
			fprintf(stderr, "devmemranges: writing the JSON output failed.\n");
			rc = DEVMEM_EXIT_FAILURE;
		}
		json_decref(doc);
	} else {
		inv_print_text(stdout, &w.inv, wall_offset, page_size);
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
	free(w.inv.r);
	return rc;
}

#endif /* DEVMEMRANGES_NO_MAIN */

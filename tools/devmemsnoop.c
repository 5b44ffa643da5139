// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmemsnoop: one line per HMM device-private memory event.
 *
 * Events come through the BPF ring buffer. When it is full the BPF side
 * drops the record and counts it (the kernel never waits for this tool);
 * the drops, and handlers the kernel skipped (recursion misses), are
 * reported every --lost-interval seconds while they grow and in a final
 * "lost N events" line on exit, also when N is 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <jansson.h>
#include "cli/child.h"
#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/parse.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "model/snapshot.h"
#include "render/snoop_fmt.h"

static const char doc[] =
"Print one line per HMM device-private memory event: range hotplug (add,\n"
"remove, remove_done), CPU faults on device pages (fault, fault_done),\n"
"migrations (migrate) and device pages handed out and freed (alloc, free).\n"
"\n"
"EXAMPLES:\n"
"    devmemsnoop                         # every event, until Ctrl-C\n"
"    devmemsnoop -e fault_done -p 1234   # fault completions of process 1234\n"
"    devmemsnoop -D hmm_dmirror0 -j      # JSON lines for one test_hmm device\n"
"    devmemsnoop -e alloc,free -- ./app  # page traffic while ./app runs\n"
"    devmemsnoop -t 10 -T > events.txt   # ten seconds, with times of day\n"
"\v"
"Columns: TIME(s) since start (or TIME with -T), CPU, PID (process id), COMM,\n"
"DEVICE (the device's name, else the physical start of its range, '-' if\n"
"unknown), EVENT, ADDR/PFN (physical start for add/remove, virtual address\n"
"for faults and migrations, pfn for alloc/free), PAGES (range size, pages\n"
"migrated, or 1), RESULT (in_use=N at remove, read/write, fault result,\n"
"migration direction), LAT(us) (remove wait, fault latency, page lifetime).\n"
"\n"
"-D with an owner filters in the kernel; a range start or a name filters\n"
"here, by the range an event falls in. -i is how often lost events are\n"
"reported while they grow (default 1 s; --lost-interval 0: only the final\n"
"count). With -- COMMAND, events of every process are shown unless -c or -p\n"
"is given, and devmemsnoop stops when COMMAND exits.";

enum {
	OPT_LOST_INTERVAL = 0x200,
};

static const struct argp_option snoop_options[] = {
	{ "events", 'e', "LIST", 0, "Only these events, comma separated: add, remove, remove_done, "
	  "fault, fault_done, migrate, alloc, free (tracepoint names such as zone_device_folio_alloc "
	  "work too)", 0 },
	{ "ringbuf-kb", 'B', "KB", 0, "Ring buffer size in KiB (default 1024); a small one makes "
	  "losses easy to provoke", 0 },
	{ "lost-interval", OPT_LOST_INTERVAL, "SECS", 0,
	  "As -i, and 0: no reports but the final count", 0 },
	{ 0 },
};

struct snoop {
	struct snoop_fmt fmt;
	bool json;
	__u32 pid;
	/* -D of a device not there at start: its ranges matched here when they come */
	const struct devmem_device_filter *late;
	struct devmem_session *sess;	/* names the device of each event */
	__u64 shown;
	__u64 unresolved;	/* skipped by -D because the device was unknown */
	bool out_error;
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static bool is_pagemap_event(__u32 type)
{
	return type == DEVMEM_EV_PAGEMAP_ADD || type == DEVMEM_EV_PAGEMAP_REMOVE ||
	       type == DEVMEM_EV_PAGEMAP_REMOVE_DONE;
}

static int handle_event(void *ctx, const struct devmem_event *e)
{
	struct snoop *sn = ctx;
	struct snoop_device dev = { 0 };
	char line[320], name[DEVMEM_NAME_LEN], range_name[DEVMEM_NAME_LEN];
	char src_name[DEVMEM_NAME_LEN], dst_name[DEVMEM_NAME_LEN];
	/* a pagemap-carrying event names its range by its physical start */
	bool known = e->pgmap_start && !devmem_session_range_device(sn->sess, e->pgmap_start, name,
							       sizeof(name), range_name,
							       sizeof(range_name));

	/* range events are not per process in BPF; -p applies to them here */
	if (sn->pid && is_pagemap_event(e->type) && e->tgid != sn->pid)
		return 0;
	if (sn->late) {
		if (!known) {
			sn->unresolved++;
			return 0;
		}
		if (!devmem_filter_range(sn->late, name, range_name, e->owner, e->pgmap_start))
			return 0;
	}
	if (known) {
		dev.id = e->pgmap_start;
		dev.name = name;
	}
	/* a migration names the device of each side (0: system memory) */
	if (e->type == DEVMEM_EV_MIGRATE) {
		if (e->src_pgmap && !devmem_session_range_device(sn->sess, e->src_pgmap, src_name,
								  sizeof(src_name), NULL, 0))
			dev.src_name = src_name;
		if (e->dst_pgmap && !devmem_session_range_device(sn->sess, e->dst_pgmap, dst_name,
								  sizeof(dst_name), NULL, 0))
			dev.dst_name = dst_name;
	}
	sn->shown++;
	if (sn->json) {
		json_t *o = snoop_event_json(&sn->fmt, e, &dev);

		if (!o || json_dumpf(o, stdout, JSON_COMPACT) || fputc('\n', stdout) == EOF)
			sn->out_error = true;
		json_decref(o);
	} else {
		snoop_format_line(line, sizeof(line), &sn->fmt, e, &dev);
		if (fputs(line, stdout) == EOF)
			sn->out_error = true;
	}
	return 0;
}

struct losses {
	__u64 ringbuf;
	__u64 recursion;
};

static int read_losses(struct devmem_session *s, struct losses *l)
{
	__u64 lost[DEVMEM_LOST_KINDS];
	int err = devmem_session_losses(s, lost, &l->recursion);

	if (!err)
		l->ringbuf = lost[DEVMEM_LOST_RINGBUF];
	return err;
}

static void report_losses(struct snoop *sn, const struct losses *now, const struct losses *prev,
			  bool final)
{
	__u64 total = now->ringbuf + now->recursion;
	__u64 delta = total - (prev->ringbuf + prev->recursion);

	if (sn->json) {
		json_t *o = snoop_lost_json(delta, now->ringbuf, now->recursion, final);

		if (o) {
			json_dumpf(o, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(o);
		}
	}
	fflush(stdout);
	if (final)
		fprintf(stderr, "lost %" PRIu64 " events (ring buffer full: %" PRIu64
			", handler skipped by the kernel: %" PRIu64 ")\n",
			(uint64_t)total, (uint64_t)now->ringbuf, (uint64_t)now->recursion);
	else
		fprintf(stderr, "devmemsnoop: lost %" PRIu64 " events in the last interval "
			"(%" PRIu64 " since start); use a larger -B or fewer -e events\n",
			(uint64_t)delta, (uint64_t)total);
}

static struct devmem_cli cli;
static struct devmem_opts opts = { .stream_mask = DEVMEM_STREAM_ALL };
static double lost_interval_s = 1;

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	char bad[64];
	__u64 v;

	switch (key) {
	case 'e':
		if (snoop_parse_events(arg, &opts.stream_mask, bad, sizeof(bad)))
			devmem_cli_usage_error(&cli, "unknown event '%s' in -e: the events are add, "
					       "remove, remove_done, fault, fault_done, migrate, "
					       "alloc and free", bad[0] ? bad : arg);
		break;
	case 'B':
		if (!devmem_parse_u64(arg, 0, 1ULL << 20, &v) || !v)
			devmem_cli_usage_error(&cli, "-B wants a size in KiB from 1 to 1048576, not "
					       "'%s'", arg);
		opts.ringbuf_bytes = v * 1024;
		break;
	case OPT_LOST_INTERVAL:
		if (!devmem_parse_double(arg, 0, DEVMEM_CLI_INTERVAL_MAX, &lost_interval_s))
			devmem_cli_usage_error(&cli, "--lost-interval wants seconds from 0 to 86400, "
					       "not '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		snoop_options, parse_opt, "[-- COMMAND [ARG...]]", doc, NULL, NULL, NULL,
	};
	struct snoop sn = { 0 };
	struct devmem_session *s = NULL;
	struct devmem_snapshot snap;
	struct losses lost = { 0 }, reported = { 0 };
	struct devmem_child child = DEVMEM_CHILD_INIT;
	__u64 deadline = 0, next_report, lost_every_ns;
	enum devmem_error err;
	int rc = 0;

	devmem_cli_init(&cli, "devmemsnoop", DEVMEM_CLI_PID | DEVMEM_CLI_DEVICE |
			DEVMEM_CLI_INTERVAL | DEVMEM_CLI_DURATION | DEVMEM_CLI_JSON |
			DEVMEM_CLI_TIMESTAMP | DEVMEM_CLI_FENTRY | DEVMEM_CLI_COMMAND);
	devmem_cli_parse(&cli, &argp, argc, argv);
	if (cli.interval_set)
		lost_interval_s = cli.interval_s;
	sn.json = cli.json;
	sn.fmt.wall_clock = cli.timestamp;
	opts.force_fentry = cli.fentry;
	opts.verbose = cli.verbose;
	/* a device there now is filtered in the kernel by its owner; one not there yet here */
	if (cli.device.kind != DEVMEM_FILTER_ANY) {
		char msg[768];

		err = devmem_session_filter_owner(&cli.device, &opts, &opts.owner, msg, sizeof(msg));
		if (err == DEVMEM_E_NO_DEVICE && cli.device.kind != DEVMEM_FILTER_OWNER) {
			sn.late = &cli.device;
			fprintf(stderr, "devmemsnoop: no device is -D %s yet; events of ranges that "
				"match it from now on are shown.\n", cli.device.arg);
		} else if (err) {
			fprintf(stderr, "devmemsnoop: %s\n", msg[0] ? msg : devmem_strerror(err));
			return devmem_exit_code(err);
		}
	}

	opts.on_event = handle_event;
	opts.ctx = &sn;

	/* forked first: with -c its PID is the filter */
	if (devmem_cli_start_command(&cli, &child)) {
		fprintf(stderr, "devmemsnoop: %s\n", devmem_strerror(DEVMEM_E_CHILD));
		return devmem_exit_code(DEVMEM_E_CHILD);
	}
	opts.tgid = sn.pid = cli.pid;
	/* the programs of the events asked for, and no per-process tables */
	opts.families = devmem_families_of_events(opts.stream_mask);

	err = devmem_session_open(&opts, &s);
	if (err) {
		devmem_child_abandon(&child);
		fprintf(stderr, "devmemsnoop: %s\n", devmem_strerror(err));
		return devmem_exit_code(err);
	}

	sn.sess = s;
	/* before anything the session reads (it may deliver events) */
	sn.fmt.wall_offset_ns = devmem_wall_offset_ns();
	sn.fmt.start_ns = devmem_mono_ns();
	if (!sn.json) {
		snoop_header(stdout, &sn.fmt);
		fflush(stdout);
	}
	/* the devices known at start: does -D name one of them? */
	devmem_snapshot_init(&snap);
	if (!devmem_session_snapshot(s, &snap)) {
		lost.ringbuf = snap.lost[DEVMEM_LOST_RINGBUF];
		lost.recursion = snap.recursion_misses;
		reported = lost;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (isatty(STDERR_FILENO) && child.pid <= 0)
		fprintf(stderr, "Tracing device-private memory events (%s)... Hit Ctrl-C to end.\n",
			devmem_mode_name(devmem_session_mode(s)));
	deadline = devmem_cli_deadline(&cli, sn.fmt.start_ns);
	lost_every_ns = (__u64)(lost_interval_s * 1e9);
	next_report = sn.fmt.start_ns + lost_every_ns;

	if (child.pid > 0) {
		int e = devmem_child_go(&child);

		if (e) {
			fprintf(stderr, "devmemsnoop: %s: %s. %s\n", cli.command[0], strerror(-e),
				devmem_strerror(DEVMEM_E_CHILD));
			devmem_session_close(s);
			return devmem_exit_code(DEVMEM_E_CHILD);
		}
	}

	while (!exiting && !sn.out_error) {
		int n = devmem_session_poll(s, 100);
		__u64 now;

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "devmemsnoop: reading the ring buffer failed: %s.\n",
				strerror(-n));
			rc = DEVMEM_EXIT_FAILURE;
			break;
		}
		if (devmem_child_reap(&child, "devmemsnoop", cli.command ? cli.command[0] : ""))
			break;
		now = devmem_mono_ns();
		if (deadline && now >= deadline)
			break;
		if (lost_every_ns && now >= next_report) {
			next_report = now + lost_every_ns;
			if (!read_losses(s, &lost) &&
			    lost.ringbuf + lost.recursion != reported.ringbuf + reported.recursion) {
				report_losses(&sn, &lost, &reported, false);
				reported = lost;
			}
			fflush(stdout);
		}
	}
	/* what is already in the ring buffer is still shown */
	for (int i = 0; i < 64 && !sn.out_error; i++)
		if (devmem_session_poll(s, 0) <= 0)
			break;
	if (read_losses(s, &lost))
		fprintf(stderr, "devmemsnoop: reading the lost-event counters failed; the count "
			"below is the last one read.\n");
	report_losses(&sn, &lost, &reported, true);
	if (sn.unresolved)
		fprintf(stderr, "devmemsnoop: %" PRIu64 " events of ranges not known yet were not "
			"shown by -D; give the device as its owner to filter in the kernel.\n",
			(uint64_t)sn.unresolved);
	if (sn.out_error) {
		fprintf(stderr, "devmemsnoop: writing the output failed: %s.\n", strerror(errno));
		rc = DEVMEM_EXIT_FAILURE;
	}
	if (child.pid > 0) {
		/* stopped by a signal or -d: the command goes too */
		kill(child.pid, SIGTERM);
		waitpid(child.pid, NULL, 0);
	}
	devmem_snapshot_free(&snap);
	devmem_session_close(s);
	return rc;
}

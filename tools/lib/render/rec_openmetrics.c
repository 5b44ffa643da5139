// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Recordings as OpenMetrics text with timestamps, for backfilling
 * Prometheus (`promtool tsdb create-blocks-from openmetrics`): every frame
 * in the window is one sample set, stamped with its wall-clock time (the
 * recorder's start plus the frame's monotonic offset). Counters are
 * cumulative since the recorder started, so within a recording they never
 * go down; the series of each recording carry its host and session as
 * labels, so that two recordings never make one series go back in time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "model/snapshot.h"
#include "render/openmetrics.h"
#include "store/record.h"

/* the history is held in memory until the end: a bound, and the remedy */
#define MAX_HISTORY_BYTES	(512UL << 20)

struct export {
	struct devmem_om_history *h;
	__u64 session;		/* of the frame added last */
	__u64 last_ms;
	bool any;
};

static int on_frame(void *ctx, const struct devmem_rec_stream *st,
		    const struct devmem_recording_info *info, const struct devmem_snapshot *frame,
		    char *err, size_t errlen)
{
	struct export *x = ctx;
	char session[24];
	struct devmem_om_label labels[2] = {
		{ "host", st->host }, { "session", session },
	};
	/* bytes beside pages where the recording says its page size */
	struct devmem_om_opts o = {
		.format = DEVMEM_OM_OPENMETRICS, .labels = labels, .nr_labels = 2,
		.page_size = frame->page_size,
	};
	__s64 rel = (__s64)(frame->ts_ns - info->start_mono_ns);
	__u64 ns = info->start_realtime_ns + (__u64)rel, ms = ns / 1000000ULL;
	bool same = x->any && x->session == st->session;
	int ret;

	snprintf(session, sizeof(session), "%016" PRIx64, (uint64_t)st->session);
	if (same && ms < x->last_ms) {
		snprintf(err, errlen, "%s: a frame's time goes back %.3f s; the recording is "
			 "corrupted.", st->first_path, (double)(x->last_ms - ms) / 1e3);
		return -EINVAL;
	}
	/* two frames within one millisecond (the last one at Ctrl-C): the later one counts */
	ret = devmem_om_history_add(x->h, frame, &o, ms, same && ms == x->last_ms);
	if (ret) {
		snprintf(err, errlen, "Out of memory while exporting %s as OpenMetrics: export "
			 "part of it with -w START,END.", st->first_path);
		return ret;
	}
	if (devmem_om_history_bytes(x->h) > MAX_HISTORY_BYTES) {
		snprintf(err, errlen, "The OpenMetrics text of %s exceeds %lu MiB in memory: export "
			 "it in parts with -w START,END.", st->first_path, MAX_HISTORY_BYTES >> 20);
		return -EFBIG;
	}
	x->any = true;
	x->session = st->session;
	x->last_ms = ms;
	return 0;
}

int devmem_rec_report_openmetrics(FILE *out, const char *const *paths, size_t nr_paths,
				  const struct devmem_window *w, char *err, size_t errlen)
{
	struct export x = { .h = devmem_om_history_new() };
	struct devmem_rec_report rep;
	int ret;

	if (!x.h) {
		snprintf(err, errlen, "Out of memory.");
		return -ENOMEM;
	}
	ret = devmem_rec_report_load_frames(&rep, paths, nr_paths, w, on_frame, &x, err, errlen);
	devmem_rec_report_free(&rep);
	if (!ret && devmem_om_history_write(x.h, out)) {
		snprintf(err, errlen, "Writing the OpenMetrics text failed: %s; check the disk has "
			 "space.", strerror(errno));
		ret = -EIO;
	}
	devmem_om_history_free(x.h);
	return ret;
}

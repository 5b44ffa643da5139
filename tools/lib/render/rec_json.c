// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A report over recordings as one JSON document (rec_json.h). */
#include <errno.h>
#include <stdio.h>
#include <jansson.h>
#include "render/json_out.h"
#include "render/rec_json.h"
#include "store/record.h"

int devmem_rec_report_json(FILE *out, const struct devmem_rec_report *rep, unsigned int flags)
{
	json_t *root, *recs, *win;
	char hex[32];

	root = devmem_json_snapshot(&rep->total,
				    (flags & DEVMEM_REC_JSON_DEVICES ? 0 : DEVMEM_JSON_NO_DEVICES) |
				    (flags & DEVMEM_REC_JSON_PROCESSES ? 0 : DEVMEM_JSON_NO_PROCESSES));
	recs = json_array();
	if (!root || !recs) {
		json_decref(root);
		json_decref(recs);
		return -ENOMEM;
	}
	json_object_set_new(root, "format_version", json_integer(DEVMEM_RECORDING_VERSION));
	if (rep->window.has_start || rep->window.has_end) {
		win = json_object();
		json_object_set_new(win, "absolute", json_boolean(rep->window.absolute));
		json_object_set_new(win, "start", rep->window.has_start ?
				    json_real(rep->window.start) : json_null());
		json_object_set_new(win, "end", rep->window.has_end ?
				    json_real(rep->window.end) : json_null());
	} else {
		win = json_null();
	}
	json_object_set_new(root, "window", win);
	for (size_t i = 0; i < rep->nr_streams; i++) {
		const struct devmem_rec_stream *st = &rep->streams[i];

		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)st->session);
		json_array_append_new(recs, json_pack(
			"{s:o,s:s,s:o,s:I,s:I,s:I,s:f,s:f,s:b,s:b,s:f}",
			"host", devmem_json_str(st->host, sizeof(st->host)), "session", hex,
			"file", devmem_json_str(st->first_path, sizeof(st->first_path)),
			"files", (json_int_t)st->nr_files, "frames", (json_int_t)st->frames,
			"frames_in_window", (json_int_t)st->frames_in_window,
			"from", st->from, "to", st->to, "from_start", st->from_zero,
			"truncated", st->truncated,
			"start_realtime", (double)st->start_realtime_ns / 1e9));
	}
	json_object_set_new(root, "recordings", recs);
	return devmem_json_dump(out, root);
}

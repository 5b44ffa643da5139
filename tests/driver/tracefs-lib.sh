# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# tracefs helpers of the guest checks of the zone_device events (the kernel
# series v3, kernel-patch/*/EVENTS.txt): recording with tracefs only (no BPF,
# no kprobes) and counting the recorded events. Sourced after tests/lib.sh.
#
#   zd_have_events            the kernel has events/zone_device (else 1)
#   zd_trace_start            empty the buffer, enable every zone_device event
#   zd_trace_save FILE        stop, keep the buffer in FILE, check nothing was lost
#   zd_nev FILE EVENT [COND]  EVENT lines of FILE whose fields meet the awk COND
#                             (f["key"] is a key=value field, pid the task's pid)
#   zd_sum FILE EVENT KEY [COND]  the sum of KEY over those lines
#   zd_pairs FILE [COND]      pair zone_device_migrate_start and _end by task
#                             and source array (COND on the start); prints
#                             "starts empty ends orphans open nested sum_end_pages
#                             folio_pages mismatched median_us max_us"

zd_tr=/sys/kernel/tracing
zd_ev=$zd_tr/events/zone_device

zd_have_events() { [ -d "$zd_ev" ]; }

zd_trace_start() {
	echo 0 >"$zd_tr/tracing_on"
	echo 0 >"$zd_tr/events/enable"
	echo >"$zd_tr/trace"
	echo "${ZD_BUFFER_KB:-32768}" >"$zd_tr/buffer_size_kb"
	echo 1 >"$zd_ev/enable"
	echo 1 >"$zd_tr/tracing_on"
}

zd_trace_save() {
	local lost
	echo 0 >"$zd_tr/tracing_on"
	echo 0 >"$zd_ev/enable"
	cat "$zd_tr/trace" >"$1"
	# "# entries-in-buffer/entries-written: 570/570   #P:2"
	lost=$(awk '/^# entries-in-buffer/ { split($3, a, "/"); print a[2] - a[1]; exit }' "$1")
	[ "${lost:-0}" -eq 0 ] || not_ok "the trace buffer lost $lost events; raise ZD_BUFFER_KB"
}

# The awk prologue: parse() fills f[] with the key=value fields of a line,
# pid with its task's pid and ts with its timestamp in microseconds.
zd_awk='function parse(   i, kv, s) {
	delete f
	for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) f[kv[1]] = kv[2]
	pid = ""; ts = 0
	if (match($0, /-[0-9]+ +\[[0-9]+\]/)) { s = substr($0, RSTART + 1); sub(/ .*/, "", s); pid = s }
	if (match($0, /[0-9]+\.[0-9]+: /)) { s = substr($0, RSTART, RLENGTH - 2); ts = s * 1e6 }
}
'

zd_nev() {
	awk -v e="$2:" "$zd_awk"'$0 ~ (" " e " ") { parse(); if ('"${3:-1}"') n++ } END { print n + 0 }' "$1"
}

zd_sum() {
	awk -v e="$2:" -v k="$3" "$zd_awk"'$0 ~ (" " e " ") { parse(); if ('"${4:-1}"') s += f[k] } END { print s + 0 }' "$1"
}

zd_pairs() {
	local lat
	lat=$(mktemp)
	awk -v latfile="$lat" "$zd_awk"'
	/ zone_device_migrate_start: / {
		parse(); key = pid "/" f["src"]
		if (!('"${2:-1}"')) { other[key] = 1; delete open[key]; next }
		delete other[key]
		starts++
		if (key in open) nested++
		if (f["nr_pages"] == 0) { empty++; delete open[key]; next }
		open[key] = ts; folios[key] = 0
		next
	}
	/ zone_device_migrate_folios: / {
		parse(); key = pid "/" f["src"]
		if (key in open) folios[key] += f["nr_pages"]
		next
	}
	/ zone_device_migrate_end: / {
		parse(); key = pid "/" f["src"]
		if (key in other) { delete other[key]; next }
		if (!(key in open)) { orphans++; next }
		ends++; endpages += f["nr_pages"]; fpages += folios[key]
		if (folios[key] != f["nr_pages"]) mismatched++
		printf "%.0f\n", ts - open[key] > latfile
		delete open[key]
	}
	END {
		for (k in open) left++
		printf "%d %d %d %d %d %d %d %d %d", starts, empty, ends, orphans, left, nested,
			endpages, fpages, mismatched
	}' "$1"
	sort -n "$lat" | awk '{ v[NR] = $1 } END { printf " %d %d\n", NR ? v[int((NR + 1) / 2)] : 0, NR ? v[NR] : 0 }'
	rm -f "$lat"
}

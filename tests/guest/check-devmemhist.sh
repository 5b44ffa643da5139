#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of devmemhist's recordings on the patched kernel:
#   1. record during the deterministic workload, stop with SIGINT, report:
#      counts and histogram totals equal the workload's "expect" lines
#      (totals and per process);
#   2. a second recording of another workload; both merged = the sum;
#   3. SIGKILL the recorder after the workload: the file reports exactly;
#   4. SIGKILL it in the middle of the workload: the file still reports,
#      never more than the workload did; a torn last frame is reported as
#      truncated and the frames before it are used.
# Reports run without BPF (they only read files), as on another machine.
#
#   tests/guest/run.sh -- tests/guest/check-devmemhist.sh
#
# TAP lines through tests/lib.sh; exits non-zero on any failure.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

hist=${DEVMEM_HIST:-$top/build/devmemhist}
workload=${DEVMEM_WORKLOAD:-$(command -v devmem-workload || echo "$top/build/tests/devmem-workload")}
work=$(mktemp -d /tmp/check-devmemhist.XXXXXX)
keep=${DEVMEM_RESULTS:+$DEVMEM_RESULTS/devmemhist}
interval=0.2
rec_pid=

note() { echo "# $*"; }
cleanup() {
	[ -n "$rec_pid" ] && kill -KILL "$rec_pid" 2>/dev/null
	if [ -n "$keep" ]; then
		mkdir -p "$keep" && cp -r "$work"/. "$keep"/ 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

[ -x "$hist" ] || bail "devmemhist not found at $hist; build it with make"
[ -x "$workload" ] || bail "devmem-workload not found; build it with tests/workload/build.sh KERNEL_DIR build/tests"
[ -c /dev/hmm_dmirror0 ] || bail "/dev/hmm_dmirror0 is missing; load test_hmm (insmod test_hmm.ko) first"

# ---- helpers ------------------------------------------------------------------

# start_recorder FILE [ARGS...]: record in the background, wait for frame 0
start_recorder() {
	local file=$1 size
	shift
	"$hist" record -f -o "$file" "$@" "$interval" >"$file.out" 2>"$file.err" &
	rec_pid=$!
	# header (128 bytes) + frame 0: the programs are attached
	for _ in $(seq 1 600); do
		size=$(stat -c %s "$file" 2>/dev/null || echo 0)
		[ "$size" -gt 200 ] && return 0
		kill -0 "$rec_pid" 2>/dev/null || break
		sleep 0.2
	done
	note "recorder output: $(tr '\n' ' ' <"$file.err")"
	return 1
}

# stop_recorder SIGNAL: signal it and wait; its exit status is in $stop_rc
# (not printed: a command substitution's subshell cannot wait for it)
stop_recorder() {
	kill -"$1" "$rec_pid" 2>/dev/null
	wait "$rec_pid"
	stop_rc=$?
	rec_pid=
}

# wait_frames FILE N: until FILE holds N more frames than now (by its size growth)
wait_frames() {
	local file=$1 n=$2 s0 s tries=200
	s0=$(stat -c %s "$file")
	while [ $tries -gt 0 ]; do
		tries=$((tries - 1))
		sleep "$interval"
		s=$(stat -c %s "$file")
		[ "$s" -gt "$s0" ] && { n=$((n - 1)); s0=$s; }
		[ "$n" -le 0 ] && return 0
	done
	return 1
}

# expect OUT KEY: a total from the workload's single-key "expect KEY=V" lines
expect() { awk -v k="$2" '$1 == "expect" && NF == 2 { split($2, kv, "="); if (kv[1] == k) print kv[2] }' "$1"; }
# expect_pid OUT PID KEY
expect_pid() {
	awk -v p="pid=$2" -v k="$3" '$1 == "expect" && $2 == p {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}
# pids OUT: the workload's processes
pids() { awk '$1 == "expect" && $2 ~ /^pid=/ { sub(/^pid=/, "", $2); print $2 }' "$1"; }

# counter REPORT NAME: from the "Counters:" block of the text report
counter() {
	awk -v k="$2" '/^Counters:/ { c = 1; next } c && NF == 0 { c = 0 }
		c && $1 == k { print $2; found = 1 } END { if (!found) print "missing" }' "$1"
}
# hist_count REPORT KIND: samples of a global histogram ("kind (unit): N samples")
hist_count() {
	awk -v k="$2" '$1 == k && $3 ~ /^[0-9]+$/ && $4 ~ /^samples/ { print $3; exit }' "$1"
}
# proc_counter REPORT PID NAME: from "process PID (comm):" and its counter line
proc_counter() {
	awk -v p="$2" -v k="$3" '
		$1 == "process" && $2 == p { getline; n = split($0, a, ", ");
			for (i = 1; i <= n; i++) { split(a[i], kv, " "); if (kv[1] == k) v = kv[2] } }
		END { print v + 0 }' "$1"
}

# compare_totals NAME REPORT WORKLOAD_OUT...: totals against the sum of the expects
compare_totals() {
	local name=$1 rep=$2 key exp got
	shift 2
	for key in allocs frees pages_to_device pages_to_ram migrate_calls_to_device; do
		local ekey=$key
		[ $key = migrate_calls_to_device ] && ekey=migrate_to_device_calls
		exp=0
		for o in "$@"; do exp=$((exp + $(expect "$o" $ekey))); done
		got=$(counter "$rep" $key)
		check "$name: $key" "$exp" "$got"
	done
	exp=0
	for o in "$@"; do exp=$((exp + $(expect "$o" faults))); done
	got=$(counter "$rep" faults)
	if [ "$got" != missing ] && [ "$got" -ge "$exp" ]; then
		ok "$name: faults $got >= $exp pages touched (a racing fault may retry)"
	else
		not_ok "$name: faults $got < $exp pages touched"
	fi
	# every histogram sample is one counted event
	check "$name: fault_latency samples = faults" "$(counter "$rep" faults)" \
		"$(hist_count "$rep" fault_latency)"
	check "$name: migrate_pages samples = migrate calls" \
		"$(($(counter "$rep" migrate_calls_to_device) + $(counter "$rep" migrate_calls_to_ram)))" \
		"$(hist_count "$rep" migrate_pages)"
	check "$name: page_lifetime samples = frees" "$(counter "$rep" frees)" \
		"$(hist_count "$rep" page_lifetime)"
	if grep -q '^Lost events: none' "$rep"; then
		ok "$name: no events lost"
	else
		not_ok "$name: events were lost: $(grep -E '^Lost' "$rep")"
	fi
}

# ---- 1. record, SIGINT, report -------------------------------------------------

if ! start_recorder "$work/a.rec" -P; then
	bail "the recorder did not write its first snapshot: $(tail -n 1 "$work/a.rec.err")"
fi
ok "recorder started and wrote its first snapshot"
"$workload" >"$work/a.workload" 2>"$work/a.workload.err" ||
	bail "devmem-workload failed: $(tail -n 1 "$work/a.workload.err")"
wait_frames "$work/a.rec" 1
stop_recorder INT
check "recorder exits cleanly on SIGINT" 0 "$stop_rc"
if "$hist" report -P "$work/a.rec" >"$work/a.report" 2>"$work/a.report.err"; then
	ok "report of the recording"
else
	bail "report failed: $(cat "$work/a.report.err")"
fi
sed 's/^/#   /' "$work/a.report" | head -n 40
compare_totals "recording" "$work/a.report" "$work/a.workload"
for pid in $(pids "$work/a.workload"); do
	for key in allocs frees pages_to_device pages_to_ram; do
		check "recording: process $pid $key" "$(expect_pid "$work/a.workload" "$pid" $key)" \
			"$(proc_counter "$work/a.report" "$pid" $key)"
	done
done
# the same numbers as JSON (jansson) and an SVG for people
if "$hist" report -j "$work/a.rec" >"$work/a.json" 2>/dev/null &&
	grep -q "\"allocs\": $(counter "$work/a.report" allocs)," "$work/a.json"; then
	ok "JSON report agrees with the text report"
else
	not_ok "JSON report does not agree with the text report"
fi
if "$hist" report --svg "$work/a.svg" "$work/a.rec" >/dev/null 2>&1 &&
	[ "$(grep -c '<rect class="bucket"' "$work/a.svg")" -gt 0 ]; then
	ok "SVG of the fault latency histogram has buckets"
else
	not_ok "SVG of the fault latency histogram is missing or empty"
fi

# ---- 2. a second recording; merged = the sum ---------------------------------------

if start_recorder "$work/b.rec"; then
	"$workload" -p 2 -r 2 -n 10 >"$work/b.workload" 2>"$work/b.workload.err" ||
		bail "devmem-workload (second run) failed: $(tail -n 1 "$work/b.workload.err")"
	stop_recorder TERM
	check "second recorder exits cleanly on SIGTERM" 0 "$stop_rc"
	"$hist" report "$work/a.rec" "$work/b.rec" >"$work/ab.report" 2>"$work/ab.report.err" ||
		not_ok "merged report failed: $(cat "$work/ab.report.err")"
	compare_totals "merged" "$work/ab.report" "$work/a.workload" "$work/b.workload"
else
	not_ok "second recorder did not start: $(tail -n 1 "$work/b.rec.err")"
fi

# ---- 3. SIGKILL after the workload: the file is good up to the last frame ------------

if start_recorder "$work/c.rec"; then
	"$workload" >"$work/c.workload" 2>"$work/c.workload.err" ||
		bail "devmem-workload (third run) failed: $(tail -n 1 "$work/c.workload.err")"
	wait_frames "$work/c.rec" 3
	stop_recorder KILL
	if "$hist" report "$work/c.rec" >"$work/c.report" 2>"$work/c.report.err"; then
		ok "report of a recording killed with SIGKILL"
		compare_totals "killed after" "$work/c.report" "$work/c.workload"
	else
		not_ok "report of a recording killed with SIGKILL failed: $(cat "$work/c.report.err")"
	fi
	# a torn last frame, as if killed inside write(): the frames before count
	size=$(stat -c %s "$work/c.rec")
	head -c $((size - 9)) "$work/c.rec" >"$work/c-torn.rec"
	if "$hist" report "$work/c-torn.rec" >"$work/c-torn.report" 2>"$work/c-torn.err" &&
		grep -q 'incomplete snapshot' "$work/c-torn.err"; then
		ok "a torn last frame is reported as such, not as an error"
		compare_totals "torn last frame" "$work/c-torn.report" "$work/c.workload"
	else
		not_ok "a torn last frame: $(cat "$work/c-torn.err")"
	fi
else
	not_ok "third recorder did not start: $(tail -n 1 "$work/c.rec.err")"
fi

# ---- 4. SIGKILL in the middle of the workload --------------------------------------

if start_recorder "$work/d.rec"; then
	"$workload" -r 8 >"$work/d.workload" 2>"$work/d.workload.err" &
	wl=$!
	wait_frames "$work/d.rec" 3
	stop_recorder KILL
	wait $wl || not_ok "devmem-workload (fourth run) failed: $(tail -n 1 "$work/d.workload.err")"
	if "$hist" report "$work/d.rec" >"$work/d.report" 2>"$work/d.report.err"; then
		ok "report of a recording killed in the middle of the workload"
		for key in allocs frees pages_to_device pages_to_ram; do
			exp=$(expect "$work/d.workload" $key)
			got=$(counter "$work/d.report" $key)
			if [ "$got" != missing ] && [ "$got" -le "${exp:-0}" ]; then
				ok "killed mid-run: $key $got <= $exp (what happened before the kill)"
			else
				not_ok "killed mid-run: $key $got > $exp or missing"
			fi
		done
	else
		not_ok "report of a recording killed mid-run failed: $(cat "$work/d.report.err")"
	fi
else
	not_ok "fourth recorder did not start: $(tail -n 1 "$work/d.rec.err")"
fi

tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of devmem-exporter with Debian's real Prometheus on the guest's
# loopback (the binaries are the host's, seen through the shared root):
#   1. the exporter serves, Prometheus scrapes it every second; a workload
#      on both devices, then rmmod/insmod of test_hmm and the workload again:
#      after a scrape, Prometheus's API has the exact per-device counts of
#      the workloads' expect lines (removed ranges' counts stay in the
#      device totals), the histogram _count equals the faults, and
#      histogram_quantile(0.5) falls in the bucket of the exporter's p50;
#   2. promtool check metrics on the live text; OpenMetrics on request;
#   3. bad requests get their status codes (400, 404, 405, 408, 431, 505);
#   4. 20 scrapes at once: each gets 200 or a clean 503, the counts stay;
#   5. VmRSS before and after 1,000 scrapes;
#   6. per-process series: at most --max-processes, the cap and the dropped
#      exported, the series of exited processes gone;
#   7. the recording made meanwhile: devmemhist report --openmetrics,
#      promtool tsdb create-blocks-from openmetrics, and the exact counts
#      read back with promtool tsdb dump;
#   8. the textfile mode writes devmem.prom that promtool accepts.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-exporter.sh
#
# TAP lines through tests/lib.sh; exits non-zero on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
kdir=${DEVMEM_KERNEL_DIR:?DEVMEM_KERNEL_DIR is not set; run this through tests/guest/run.sh}
res=${DEVMEM_RESULTS:-/tmp}/exporter
work=$(mktemp -d /tmp/check-exporter.XXXXXX)
mkdir -p "$res"
client="/usr/bin/python3 $here/exporter-client.py"
port=19477
pport=19490
t_start=$(date +%s.%N)
exp_pid= prom_pid= rec_pid= tf_pid=
stats_before=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)

note() { echo "# $*"; }
t_lap=$t_start
# lap WHAT: how long the part just done took, and since the start
lap() {
	local now
	now=$(date +%s.%N)
	note "$(awk -v a="$t_lap" -v b="$now" -v s="$t_start" 'BEGIN { printf "%.1f s (at %.1f s)", b - a, b - s }'): $*"
	t_lap=$now
}
cleanup() {
	for p in $exp_pid $prom_pid $rec_pid $tf_pid ${CL_PID:-}; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	echo "$stats_before" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
	grep -q '^test_hmm ' /proc/modules || insmod "$kdir/test_hmm.ko" 2>/dev/null
	cp -r "$work"/*.txt "$work"/*.wl "$work"/*.log "$work"/*.om "$res"/ 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

for t in devmem-exporter devmemhist devmem-workload prometheus promtool; do
	command -v $t >/dev/null || bail "$t is not in PATH; build with make and install Debian's prometheus"
done
[ -x /usr/bin/python3 ] || bail "/usr/bin/python3 is needed for the HTTP clients"
[ -c /dev/hmm_dmirror0 ] || bail "/dev/hmm_dmirror0 is missing; load test_hmm first"

# exp FILE KEY: a workload expectation ("dev.0.pages_to_ram"), 0 if absent
exp() { workload_expectations "$1" | awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }'; }
# one client process answers the queries and raw requests (an interpreter start costs
# seconds in a TCG guest): call CMD ARG...: its answer line
coproc CL { $client serve 2>&1; }
call() {
	local IFS=$'\t'
	echo "$*" >&"${CL[1]}"
	IFS= read -r answer <&"${CL[0]}" || answer="error: the client died"
	echo "$answer"
}
# q EXPR: the value of a one-series Prometheus query ("none" if it has none)
q() { call value $pport "$1"; }
# wait_scrape: until Prometheus holds a good scrape taken after this moment
wait_scrape() {
	local t0 ts
	t0=$(date +%s.%N)
	for _ in $(seq 1 100); do
		# the sample's own time: timestamp() of a plain selector (of an
		# expression, and value[0] of any query, it is the time of evaluation)
		ts=$(q 'timestamp(up{job="devmem"})')
		[ "$(q 'up{job="devmem"}')" = 1 ] && [ "$ts" != none ] && awk -v a="$ts" -v b="$t0" 'BEGIN { exit !(a > b) }' && return 0
		sleep 0.3
	done
	return 1
}
wait_devices() {
	for _ in $(seq 1 100); do
		[ -c /dev/hmm_dmirror0 ] && [ -c /dev/hmm_dmirror1 ] && return 0
		sleep 0.1
	done
	return 1
}
# scrape [ACCEPT]: the exporter's text now
scrape() { curl -sf -H "Accept: ${1:-text/plain}" "http://127.0.0.1:$port/metrics"; }

# ---- set-up: loopback, the exporter, Prometheus, a recorder ----------------------------

note "loopback at the start: $(ip -o link show lo | grep -o '<[^>]*>')"
if ! ip -o link show lo | grep -q 'state UNKNOWN\|UP'; then
	ip link set lo up || bail "cannot bring the loopback interface up"
fi
ip link set lo up 2>/dev/null
check "loopback is up" 1 "$(ip -o addr show lo | grep -c 'inet 127.0.0.1')"
echo 1 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null

devmem-exporter -l 127.0.0.1:$port -P --max-processes 4 --max-connections 4 --timeout 2 \
	>"$work/exporter.log" 2>&1 &
exp_pid=$!
for _ in $(seq 1 300); do
	curl -sf "http://127.0.0.1:$port/" >/dev/null && break
	kill -0 $exp_pid 2>/dev/null || bail "devmem-exporter exited: $(cat "$work/exporter.log")"
	sleep 0.1
done
curl -sf "http://127.0.0.1:$port/" >"$work/index.txt" || bail "the exporter does not answer"
ok "devmem-exporter serves on 127.0.0.1:$port ($(head -c 60 "$work/exporter.log"))"

mkdir -p "$work/prom-data"
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: devmem
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom-data" \
	--web.listen-address=127.0.0.1:$pport --log.level=warn >"$work/prometheus.log" 2>&1 &
prom_pid=$!
devmemhist record -G -o "$work/run.rec" 0.5 2>"$work/recorder.log" &
rec_pid=$!
for _ in $(seq 1 300); do
	grep -q '^Recording to' "$work/recorder.log" 2>/dev/null &&
		curl -sf "http://127.0.0.1:$pport/-/ready" >/dev/null && break
	kill -0 $prom_pid 2>/dev/null || bail "prometheus exited: $(tail -n 3 "$work/prometheus.log")"
	kill -0 $rec_pid 2>/dev/null || bail "the recorder exited: $(cat "$work/recorder.log")"
	sleep 0.2
done
wait_scrape || bail "Prometheus did not scrape the exporter: $(tail -n 3 "$work/prometheus.log")"
ok "Prometheus scrapes the exporter every second; a recorder runs"
lap "set-up"

# ---- 1. workloads, a module reload, exact counts through Prometheus ----------------------

wl="devmem-workload -p 4 -r 2 -n 9 -d alt --no-last"
$wl >"$work/a.wl" 2>&1 || bail "the workload failed: $(tail -n 2 "$work/a.wl")"
wait_scrape || bail "no scrape after the workload"
note "first scrape after the workload: taken at $(q 'timestamp(up{job="devmem"})'), queried at $(date +%s.%N)"
# the tools' names of test_hmm's devices 0 and 1 (tests/lib.sh)
devname=("$(hmm_device_name 0)" "$(hmm_device_name 1)")
note "test_hmm's devices as the tools name them: ${devname[*]}"
for d in 0 1; do
	dev=${devname[$d]:-hmm_dmirror$d}
	check "Prometheus: $dev (device $d) pages to device" "$(exp "$work/a.wl" dev.$d.pages_to_device)" \
		"$(q "devmem_device_pages_migrated_total{device=\"$dev\",direction=\"to_device\"}")"
	check "Prometheus: $dev (device $d) pages to RAM" "$(exp "$work/a.wl" dev.$d.pages_to_ram)" \
		"$(q "devmem_device_pages_migrated_total{device=\"$dev\",direction=\"to_ram\"}")"
done
rmmod test_hmm && insmod "$kdir/test_hmm.ko" && wait_devices || bail "reloading test_hmm failed"
$wl >"$work/b.wl" 2>&1 || bail "the second workload failed: $(tail -n 2 "$work/b.wl")"
kill -INT $rec_pid
wait $rec_pid
check "the recorder stops cleanly" 0 $?
rec_pid=
wait_scrape || bail "no scrape after the second workload"
for d in 0 1; do
	dev=${devname[$d]:-hmm_dmirror$d}
	for k in pages_to_device:pages_migrated_total:direction=\"to_device\" \
		pages_to_ram:pages_migrated_total:direction=\"to_ram\" \
		migrate_to_device_calls:migrate_calls_total:direction=\"to_device\" \
		allocs:page_allocs_total: frees:page_frees_total:; do
		key=${k%%:*} rest=${k#*:} name=${rest%%:*} lab=${rest#*:}
		want=$(($(exp "$work/a.wl" dev.$d.$key) + $(exp "$work/b.wl" dev.$d.$key)))
		check "Prometheus, both workloads and a reload: $dev $key" "$want" \
			"$(q "devmem_device_$name{device=\"$dev\"${lab:+,$lab}}")"
	done
	# a fault that found its page gone retries (wasted): those that moved one are exact
	want=$(($(exp "$work/a.wl" dev.$d.faults) + $(exp "$work/b.wl" dev.$d.faults)))
	check "Prometheus: $dev faults that migrated a page" "$want" \
		"$(q "devmem_device_faults_total{device=\"$dev\"} - devmem_device_faults_wasted_total{device=\"$dev\"}")"
	check "Prometheus: $dev fault latency _count = its faults" \
		"$(q "devmem_device_faults_total{device=\"$dev\"}")" \
		"$(q "devmem_device_fault_latency_seconds_count{device=\"$dev\"}")"
	check "Prometheus: $dev was removed once and has one live range" "1 1" \
		"$(q "devmem_device_pagemap_removes_total{device=\"$dev\"}") $(q "devmem_device_live_ranges{device=\"$dev\"}")"
done
# for a failure above: the series Prometheus holds and what the exporter says now
note "series in Prometheus: pages_migrated $(call count $pport devmem_device_pages_migrated_total), page_allocs $(call count $pport devmem_device_page_allocs_total) (want 4 and 2)"
scrape >"$work/after-reload.txt"
check "Prometheus: fault latency _count = faults" "$(q devmem_faults_total)" \
	"$(q devmem_fault_latency_seconds_count)"
check "Prometheus: the +Inf bucket = _count" "$(q devmem_fault_latency_seconds_count)" \
	"$(q 'devmem_fault_latency_seconds_bucket{le="+Inf"}')"
check "Prometheus: no event lost" 0 "$(q 'sum(devmem_lost_events_total)')"
# p50: Prometheus interpolates inside the bucket that the project's percentile
# rule (tools/lib/model/hist.c: the first bucket whose cumulative count reaches the
# rank) picks from the same counts, the exporter's. The recorder is another
# session: each times a fault with the other's handlers inside it, so its
# latencies are a little longer and its p50 may sit one bucket up; it is noted.
devmemhist report -j "$work/run.rec" >"$work/report.json" 2>"$work/report.err" ||
	not_ok "devmemhist report failed: $(cat "$work/report.err")"
p50=$(q 'histogram_quantile(0.5, devmem_fault_latency_seconds_bucket)')
scrape >"$work/final.txt"
# (every series has a host label, le is not the first)
bounds=$(awk 'index($0, "devmem_fault_latency_seconds_bucket{") == 1 && match($0, /le="[^"]*"/) {
		v = substr($0, RSTART + 4, RLENGTH - 5)
		if (v == "+Inf") next
		n++; le[n] = v; c[n] = $NF }
	END {
		if (!n) exit 1
		rank = 0.5 * c[n]; prev = 0; lo = 0
		for (i = 1; i <= n; i++) {
			hi = le[i] * 1e9
			if (c[i] - prev > 0 && c[i] >= rank) { printf "%.0f %.0f\n", lo, hi; exit }
			prev = c[i]; lo = hi + 1
		}
		exit 1
	}' "$work/final.txt")
read -r lo hi <<<"$bounds"
if [ -n "$bounds" ] && awk -v v="$p50" -v lo="$lo" -v hi="$hi" 'BEGIN { v *= 1e9; exit !(v >= lo - 1 - 1e-6 && v <= hi + 1e-6) }'; then
	ok "histogram_quantile(0.5) = ${p50} s lies in the exporter's p50 bucket [$lo, $hi] ns by the project's rule"
else
	not_ok "histogram_quantile(0.5) = ${p50} s is outside the exporter's p50 bucket [${lo:-?}, ${hi:-?}] ns"
fi
note "the recorder's p50: $(/usr/bin/python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["histograms"]["fault_latency"]["percentiles"]["p50"]; print(p["value"], "ns in", [p["low"], p["high"]])' "$work/report.json" 2>&1)"
check "the exporter's own cost: BPF statistics on" 1 "$(q devmem_exporter_bpf_stats_enabled)"
if awk -v v="$(q 'sum(devmem_exporter_bpf_runs_total)')" 'BEGIN { exit !(v > 0) }'; then
	ok "the exporter's BPF programs ran ($(q 'sum(devmem_exporter_bpf_runs_total)') runs, $(q 'sum(devmem_exporter_bpf_run_seconds_total)') s)"
else
	not_ok "devmem_exporter_bpf_runs_total is not above 0"
fi
# the example dashboard's queries: Prometheus takes every one, the faults panel has data
dash=$here/../../docs/grafana-devmem-dashboard.json
n=0 bad_q=0
while IFS= read -r expr; do
	n=$((n + 1))
	out=$(call count $pport "$expr")
	case $out in error*) bad_q=$((bad_q + 1)); note "refused: $expr: $out" ;; esac
done < <(/usr/bin/python3 -c 'import json,sys
for p in json.load(open(sys.argv[1]))["panels"]:
    for t in p["targets"]:
        print(t["expr"].replace("$instance", ".*").replace("$__rate_interval", "1m"))' "$dash")
check "the Grafana dashboard's $n queries run" 0 "$bad_q"
check "the dashboard's faults panel has both devices" 2 \
	"$(call count $pport 'sum by (device) (rate(devmem_device_faults_total{device=~"hmm_dmirror.*"}[1m]))')"
# Prometheus has done its part: its CPU is better spent on the rest
kill $prom_pid
wait $prom_pid 2>/dev/null
prom_pid=
lap "workloads, reload and the Prometheus checks"

# ---- 2. the text itself --------------------------------------------------------------------

scrape >"$work/metrics.txt" || not_ok "a plain scrape failed"
if promtool check metrics <"$work/metrics.txt" >"$work/lint.txt" 2>&1; then
	check "promtool check metrics on the live text: no complaint" "" "$(cat "$work/lint.txt")"
else
	not_ok "promtool check metrics: $(head -n 5 "$work/lint.txt" | tr '\n' ' ')"
fi
read -r code ctype _ _ last <<<"$(call raw $port 'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n\r\n')"
check "OpenMetrics on request: 200, its content type, # EOF last" \
	"200 application/openmetrics-text;version=1.0.0;charset=utf-8 #_EOF" "$code $ctype $last"
read -r code ctype clen blen _ <<<"$(call raw $port 'HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n')"
if [ "$code" = 200 ] && [ "$blen" = 0 ] && [ "$clen" -gt 1000 ]; then
	ok "HEAD /metrics: 200, Content-Length $clen, no body"
else
	not_ok "HEAD /metrics: $code, Content-Length $clen, body $blen bytes"
fi

lap "promtool check metrics, OpenMetrics, HEAD"

# ---- 3. bad requests ------------------------------------------------------------------------

bad() {
	local want=$1 what=$2 got
	shift 2
	got=$(call raw $port "$@")
	got=${got%% *}
	check "$what: $want" "$want" "$got"
}
bad 400 "garbage" 'GARBAGE\r\n\r\n'
bad 400 "no Host in HTTP/1.1" 'GET /metrics HTTP/1.1\r\n\r\n'
bad 404 "unknown path" 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n'
bad 405 "POST" 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'
bad 505 "HTTP/2.0" 'GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n'
bad 431 "9 KiB of headers" "GET /metrics HTTP/1.1\\r\\nHost: x\\r\\nX-Big: $(head -c 9216 /dev/zero | tr '\0' a)\\r\\n\\r\\n"
t0=$(date +%s.%N)
bad 408 "a request that stalls (--timeout 2)" 'GET /metrics HTTP/1.1\r\nHost: x\r\n' --stall
t1=$(date +%s.%N)
bad 200 "the exporter still serves" 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'
t2=$(date +%s.%N)
note "the stalled request took $(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.1f s, a plain one %.1f s", b - a, c - b }')"
lap "bad requests"

# ---- 4. a burst of concurrent scrapes --------------------------------------------------------

before=$(scrape | grep -E '^devmem_(faults|page_allocs)_total ' | tr '\n' ' ')
$client burst $port 20 >"$work/burst.txt"
b200=$(awk '$1 == 200 { print $2 }' "$work/burst.txt")
b503=$(awk '$1 == 503 { print $2 }' "$work/burst.txt")
bbad=$(awk '$1 == "bad" { print $2 }' "$work/burst.txt")
check "20 scrapes at once: every one 200 or a clean 503 ($b200 x 200, $b503 x 503)" 0 "$bbad"
if [ "$b200" -ge 1 ]; then ok "the burst: $b200 complete scrapes"; else not_ok "the burst: no scrape got 200"; fi
check "the counts stay exact after the burst" "$before" \
	"$(scrape | grep -E '^devmem_(faults|page_allocs)_total ' | tr '\n' ' ')"
lap "the burst"

# ---- 5. memory over 1,000 scrapes --------------------------------------------------------------

$client loop $port 50 >/dev/null	# warm up the allocator
rss0=$(awk '/^VmRSS:/ { print $2 }' /proc/$exp_pid/status)
cpu0=$(scrape | awk '$1 == "process_cpu_seconds_total" { print $2 }')
t0=$(date +%s.%N)
good=$($client loop $port 1000)
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
rss1=$(awk '/^VmRSS:/ { print $2 }' /proc/$exp_pid/status)
cpu1=$(scrape | awk '$1 == "process_cpu_seconds_total" { print $2 }')
note "the exporter's CPU time per scrape: $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.1f ms", (b - a) }') (process_cpu_seconds_total over the 1,000)"
check "1,000 scrapes answered (in $secs s)" 1000 "$good"
if [ $((rss1 - rss0)) -le 256 ]; then
	ok "VmRSS flat over 1,000 scrapes: $rss0 KiB before, $rss1 KiB after (bound +256 KiB)"
else
	not_ok "VmRSS grew over 1,000 scrapes: $rss0 KiB before, $rss1 KiB after"
fi
lap "1,000 scrapes"

# ---- 6. per-process series --------------------------------------------------------------------

# 8 processes alive together until the slowest is done (none closes its device before)
$client watch $port "$work/watch.stop" >"$work/watch.txt" &
watch_pid=$!
for _ in $(seq 1 300); do
	[ -s "$work/watch.txt" ] && break
	sleep 0.1
done
devmem-workload -p 8 -r 40 -n 4 --no-last >"$work/p.wl" 2>&1 ||
	not_ok "the per-process workload failed: $(tail -n 2 "$work/p.wl")"
touch "$work/watch.stop"
wait $watch_pid
sed -i 1d "$work/watch.txt"	# the scrape before the workload
# SERIES ALIVE DROPPED LIMIT per scrape
read -r scrapes seen max_series consistent dropped_seen <<<"$(awk '
	{ n++; if ($1 > 0) seen++; if ($1 > max) max = $1; if ($3 > 0) dropped = 1
	  want = $2 < $4 ? $2 : $4; if ($1 != want || $3 != $2 - want) bad++ }
	END { print n + 0, seen + 0, max + 0, bad ? 0 : 1, dropped + 0 }' "$work/watch.txt")"
if [ "$seen" -gt 0 ]; then
	ok "per-process series while the workload ran ($seen of $scrapes scrapes)"
else
	not_ok "no scrape saw a process series ($scrapes scrapes)"
fi
check "at most --max-processes 4 series, exported = min(alive, 4), dropped = the rest" "1 1" \
	"$((max_series <= 4)) $consistent"
check "the limit is exported" 4 "$(scrape | awk '$1 ~ /^devmem_exporter_processes_limit([{]|$)/ { print $NF }')"
check "a scrape with more alive than the limit reported the dropped" 1 "$dropped_seen"
check "after the workload: the exited processes' series are gone" 0 \
	"$(scrape | grep -c '^devmem_process_faults_total{')"
lap "per-process series"

# ---- 7. the recording into Prometheus blocks ---------------------------------------------------

devmemhist report --openmetrics "$work/run.rec" >"$work/run.om" 2>"$work/om.err" ||
	not_ok "devmemhist report --openmetrics failed: $(cat "$work/om.err")"
if promtool tsdb create-blocks-from openmetrics "$work/run.om" "$work/blocks" >"$work/blocks.log" 2>&1; then
	ok "promtool tsdb create-blocks-from openmetrics accepts the recording ($(grep -c . "$work/run.om") lines)"
else
	not_ok "promtool refused the export: $(tail -n 3 "$work/blocks.log")"
fi
mkdir -p "$work/blocks/wal"
promtool tsdb dump "$work/blocks" >"$work/dump.txt" 2>"$work/dump.err" ||
	not_ok "promtool tsdb dump failed: $(tail -n 2 "$work/dump.err")"
# newest NAME DEVICE [LABEL]: the latest value of a series in the dump
newest() {
	awk -v n="{__name__=\"$1\"" -v d="device=\"$2\"" -v l="${3:-}" 'index($0, n) == 1 && index($0, d) &&
		(l == "" || index($0, l)) { if ($NF > t) { t = $NF; v = $(NF - 1) } } END { print v }' "$work/dump.txt"
}
for d in 0 1; do
	dev=${devname[$d]:-hmm_dmirror$d}
	for k in pages_to_device:devmem_device_pages_migrated_total:direction=\"to_device\" \
		pages_to_ram:devmem_device_pages_migrated_total:direction=\"to_ram\" \
		allocs:devmem_device_page_allocs_total: frees:devmem_device_page_frees_total:; do
		key=${k%%:*} rest=${k#*:} name=${rest%%:*} lab=${rest#*:}
		want=$(($(exp "$work/a.wl" dev.$d.$key) + $(exp "$work/b.wl" dev.$d.$key)))
		check "backfilled blocks: $dev $key" "$want" "$(newest "$name" "$dev" "$lab")"
	done
done

lap "the recording into blocks"

# ---- 8. the textfile mode --------------------------------------------------------------------

devmem-exporter --textfile /usr >/dev/null 2>"$work/ro.err"
rc=$?
if [ $rc = 1 ] && [ "$(wc -l <"$work/ro.err")" = 1 ] && grep -q 'cannot write into /usr' "$work/ro.err"; then
	ok "textfile: a read-only directory is one sentence and exit 1: $(cat "$work/ro.err")"
else
	not_ok "textfile: a read-only directory: exit $rc, said: $(cat "$work/ro.err")"
fi
mkdir -p "$work/textfile"
devmem-exporter --textfile "$work/textfile" -i 0.5 >"$work/textfile.log" 2>&1 &
tf_pid=$!
for _ in $(seq 1 300); do
	[ -s "$work/textfile/devmem.prom" ] && break
	kill -0 $tf_pid 2>/dev/null || break
	sleep 0.1
done
sleep 1	# a rewrite or two over the first file
if promtool check metrics <"$work/textfile/devmem.prom" >"$work/tf-lint.txt" 2>&1 &&
	grep -qE '^devmem_faults_total[{ ]' "$work/textfile/devmem.prom"; then
	check "textfile: devmem.prom passes promtool" "" "$(cat "$work/tf-lint.txt")"
else
	not_ok "textfile: $(cat "$work/textfile.log" "$work/tf-lint.txt" | head -n 3 | tr '\n' ' ')"
fi
kill $tf_pid
wait $tf_pid
check "textfile: exits cleanly on SIGTERM" 0 $?
tf_pid=
check "textfile: only devmem.prom is left (no temporary file), no process_* metrics" "devmem.prom 0" \
	"$(ls -A "$work/textfile" | tr '\n' ' ' | sed 's/ $//') $(grep -c '^process_' "$work/textfile/devmem.prom")"

kill $exp_pid
wait $exp_pid
check "the exporter exits cleanly on SIGTERM" 0 $?
exp_pid=
lap "the textfile mode"
note "check-exporter.sh took $(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
tap_done

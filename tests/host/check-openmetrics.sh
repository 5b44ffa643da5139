#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The metrics text on the host, without BPF:
#   1. promtool check metrics on the Prometheus text the exporter serves
#      (the library's rendering of a snapshot with every part: devices with
#      hostile names, ranges, histograms, folios by order, processes, the
#      exporter's own cost);
#   2. a recording with known content (tests/tui/make-recording.c) through
#      devmemhist report --openmetrics, promtool tsdb create-blocks-from
#      openmetrics and promtool tsdb dump: the counts read back from the
#      blocks equal those of devmemhist report -j; counters never go down;
#   3. devmem-exporter's errors a user can meet before anything loads (bad
#      address, a taken port, a textfile directory that is not one, bad
#      option values, options of the other mode): one sentence, non-zero exit;
#   4. the Grafana dashboard: its host variable and every panel's query on the
#      metrics the exporter writes (promtool check rules), and on a backfilled
#      recording served by Debian's Prometheus: the host variable finds it, the
#      fullness and thrashing panels have data.
#
#   tests/host/check-openmetrics.sh      (after make; OUT=dir for another build dir)
#
# TAP lines through tests/lib.sh; exit status non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=../lib.sh
. tests/lib.sh
out=${OUT:-build}
work=$(mktemp -d /tmp/check-openmetrics.XXXXXX)
holder=
server=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

command -v promtool >/dev/null || bail "promtool is missing; install the Debian package prometheus (make deps)"
[ -x "$out/tests/test_openmetrics" ] || bail "$out/tests/test_openmetrics is missing; run make unit"
[ -x "$out/devmemhist" ] && [ -x "$out/devmem-exporter" ] || bail "the tools are missing; run make"

# ---- 1. promtool check metrics ---------------------------------------------------

"$out/tests/test_openmetrics" --write-examples "$work" ||
	bail "writing the example metrics failed"
if promtool check metrics <"$work/example.prom" >"$work/lint.out" 2>&1; then
	check "promtool check metrics: no complaint" "" "$(cat "$work/lint.out")"
else
	not_ok "promtool check metrics complains: $(head -n 5 "$work/lint.out" | tr '\n' ' ')"
fi
# the families of thrashing, bytes beside pages, the host label: promtool has read them
for fam in devmem_thrashing_pages devmem_bouncing_pages devmem_thrashing_bounces \
	devmem_device_thrashing_pages devmem_process_thrashing_pages devmem_thrash_k \
	devmem_thrash_window_seconds devmem_range_in_use_bytes devmem_device_in_use_bytes \
	devmem_device_size_bytes; do
	grep -q "^# TYPE $fam gauge$" "$work/example.prom" && grep -q "^$fam{host=\"gpu-host-1\"" "$work/example.prom" &&
		ok "promtool-checked gauge $fam, with the host label" ||
		not_ok "no gauge $fam with the host label in the example"
done
check "every sample has the host label" 0 \
	"$(grep -v '^#' "$work/example.prom" | grep -vc '{host="gpu-host-1"')"
check "histogram buckets cut to what occurs (fault latency: 1 us to 68.7 s)" "27" \
	"$(grep -c '^devmem_fault_latency_seconds_bucket{host="gpu-host-1",le="[0-9]' "$work/example.prom")"

# ---- 2. a recording into Prometheus blocks ------------------------------------------

${CC:-gcc} -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Iinclude -Itools/lib \
	tests/tui/make-recording.c -o "$work/make-recording" \
	"$out/lib/libdevmem.a" -lbpf -lelf -lz -ljansson -lm 2>"$work/cc.log" ||
	bail "building tests/tui/make-recording.c failed: $(head -n 3 "$work/cc.log")"
"$work/make-recording" "$work/a.rec" 12 100 || bail "make-recording failed"
"$out/devmemhist" report --openmetrics "$work/a.rec" >"$work/a.om" 2>"$work/om.err" ||
	bail "devmemhist report --openmetrics failed: $(cat "$work/om.err")"
check "the export ends in # EOF" "# EOF" "$(tail -n 1 "$work/a.om")"
check "one devmem_faults_total point per frame" 12 "$(grep -c '^devmem_faults_total{' "$work/a.om")"
if promtool tsdb create-blocks-from openmetrics "$work/a.om" "$work/tsdb" >"$work/blocks.out" 2>&1; then
	ok "promtool tsdb create-blocks-from openmetrics accepts the export"
else
	bail "promtool tsdb create-blocks-from openmetrics refused it: $(tail -n 3 "$work/blocks.out")"
fi
mkdir -p "$work/tsdb/wal"	# promtool 2.42's dump wants one
promtool tsdb dump "$work/tsdb" >"$work/dump" 2>"$work/dump.err" ||
	bail "promtool tsdb dump failed: $(tail -n 2 "$work/dump.err")"
"$out/devmemhist" report -G -j "$work/a.rec" >"$work/a.json" || bail "devmemhist report -j failed"
# last NAME [LABEL=VALUE]: the value of the newest sample of a series in the dump
last() {
	awk -v n="{__name__=\"$1\"" -v l="${2:-}" 'index($0, n) == 1 && (l == "" || index($0, l)) {
		v = $(NF - 1); t = $NF; if (t > best) { best = t; val = v } } END { print val }' "$work/dump"
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$work/a.json"; }
for c in faults pages_to_device pages_to_ram allocs frees; do
	case $c in
	pages_to_device) name=devmem_pages_migrated_total lab='direction="to_device"' ;;
	pages_to_ram) name=devmem_pages_migrated_total lab='direction="to_ram"' ;;
	allocs) name=devmem_page_allocs_total lab= ;;
	frees) name=devmem_page_frees_total lab= ;;
	*) name=devmem_${c}_total lab= ;;
	esac
	check "blocks: $name${lab:+{$lab\}} = the report's $c" "$(json "d['counters']['$c']")" "$(last "$name" "$lab")"
done
for dev in $(json "' '.join(x['name'].replace(' ', '_') for x in d['devices'])"); do
	d=${dev//_/ }
	check "blocks: devmem_device_faults_total{device=\"$d\"}" \
		"$(json "[x for x in d['devices'] if x['name'] == '$d'][0]['counters']['faults']")" \
		"$(last devmem_device_faults_total "device=\"$d\"")"
done
# folios by order (the recording's are all of order 0)
check "blocks: devmem_folios_allocated_total{order=\"0\"} = the report's folios" \
	"$(json "d['folios']['allocs']['0']")" "$(last devmem_folios_allocated_total 'order="0"')"
check "blocks: devmem_folios_migrated_total{direction=\"to_ram\"} = the report's folios" \
	"$(json "d['folios']['to_ram']['0']")" "$(last devmem_folios_migrated_total 'direction="to_ram"')"
check "no folio series of an order without folios" 0 \
	"$(grep -c '^devmem_\(device_\)\?folios_[a-z]*_total{[^}]*order="[1-9]' "$work/a.om")"
check "blocks: fault latency _count = the report's samples" \
	"$(json "d['histograms']['fault_latency']['count']")" "$(last devmem_fault_latency_seconds_count)"
check "blocks: the +Inf bucket = _count" "$(last devmem_fault_latency_seconds_count)" \
	"$(last devmem_fault_latency_seconds_bucket 'le="+Inf"')"
# bytes beside pages where the recording has its page size (kept with thrashing
# detection on), and no guess where it has not
check "a recording without its page size: no bytes gauge" 0 "$(grep -c '_in_use_bytes{' "$work/a.om")"
"$work/make-recording" "$work/t.rec" 3 100 thrash || bail "make-recording thrash failed"
"$out/devmemhist" report --openmetrics "$work/t.rec" >"$work/t.om" 2>"$work/om.err" ||
	bail "devmemhist report --openmetrics failed: $(cat "$work/om.err")"
pages=$(grep '^devmem_device_in_use_pages{.*device="older"' "$work/t.om" | tail -n 1 | awk '{ print $2 }')
check "a recording with its page size: a device's bytes in use = its pages (${pages:-none}) x 4096" \
	"$((${pages:-0} * 4096))" \
	"$(grep '^devmem_device_in_use_bytes{.*device="older"' "$work/t.om" | tail -n 1 | awk '{ print $2 }')"
[ -n "$pages" ] && [ "$pages" != 0 ] || not_ok "the recording's device older has no pages in use"
check "... and its thrashing gauges, 0 pages" 0 \
	"$(grep '^devmem_thrashing_pages{' "$work/t.om" | tail -n 1 | awk '{ print $2 }')"
# counters and buckets never go down within a series
down=$(awk '{ key = $0; sub(/\} .*/, "}", key); v = $(NF - 1)
	if (key ~ /_total"|_bucket"|_count"|_sum"/ && (key in prev) && v + 0 < prev[key] + 0) n++
	prev[key] = v } END { print n + 0 }' "$work/dump")
check "blocks: no counter goes down" 0 "$down"
# a window exports part of it; a bad file is one sentence and exit 12
"$out/devmemhist" report --openmetrics -w 0.55, "$work/a.rec" >"$work/w.om" 2>/dev/null
"$out/devmemhist" report -j -w 0.55, "$work/a.rec" >"$work/w.json" 2>/dev/null
check "a window: the points of its frames" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["recordings"][0]["frames_in_window"])' "$work/w.json")" \
	"$(grep -c '^devmem_faults_total{' "$work/w.om")"
printf 'not a recording at all' >"$work/bad.rec"
"$out/devmemhist" report --openmetrics "$work/bad.rec" >/dev/null 2>"$work/bad.err"
rc=$?
check "a bad file: exit status 12" 12 "$rc"
check "a bad file: one line of error" 1 "$(wc -l <"$work/bad.err")"

# ---- 4. the Grafana dashboard ------------------------------------------------------

dash=docs/grafana-devmem-dashboard.json
# expr LIST: every panel's query, one a line, with the dashboard's variables filled in
python3 - "$dash" >"$work/exprs" <<'PY' || bail "$dash is not a dashboard python3 can read"
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["panels"]:
    for t in p.get("targets", []):
        print(t["expr"])
PY
var=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["templating"]["list"][0]; print(v["name"], v["definition"])' "$dash")
check "dashboard: its variable is the host, from a series live and backfilled data both have" \
	"host label_values(devmem_attach_mode_info, host)" "$var"
check "dashboard: every query picks the host" 0 "$(grep -vc 'host=~"$host"' "$work/exprs")"
for title in "Device fullness" "Top processes" "Thrashing pages by device"; do
	python3 -c 'import json,sys; sys.exit(0 if any(p["title"] == sys.argv[2] for p in json.load(open(sys.argv[1]))["panels"]) else 1)' \
		"$dash" "$title" && ok "dashboard: a panel '$title'" || not_ok "dashboard: no panel '$title'"
done
# every metric a query names is one the exporter writes
names=$(grep -oE 'devmem_[a-z_]+' "$work/exprs" | sort -u)
unknown=$(for n in $names; do grep -q "^$n[{ ]" "$work/example.prom" || echo "$n"; done | tr '\n' ' ')
check "dashboard: every metric it queries is exported ($(echo $names | wc -w) names)" "" "$unknown"
# the queries are PromQL: promtool checks them as recording rules
{
	echo "groups:"
	echo "  - name: dashboard"
	echo "    rules:"
	n=0
	sed -e 's/\$host/.*/g' -e 's/\$__rate_interval/5m/g' "$work/exprs" | while IFS= read -r e; do
		n=$((n + 1))
		printf '      - record: dashboard:q%d\n        expr: %s\n' "$n" "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$e")"
	done
} >"$work/rules.yml"
if promtool check rules "$work/rules.yml" >"$work/rules.out" 2>&1; then
	ok "promtool check rules: every query of the dashboard parses ($(grep -c record: "$work/rules.yml"))"
else
	not_ok "promtool check rules: $(grep -v '^$' "$work/rules.out" | head -n 3 | tr '\n' ' ')"
fi
# a backfilled recording (with its page size, thrashing on) served by Prometheus
"$out/devmemhist" report --openmetrics "$work/t.rec" >"$work/t2.om" &&
	promtool tsdb create-blocks-from openmetrics "$work/t2.om" "$work/served" >/dev/null 2>&1 ||
	bail "backfilling the thrash recording failed"
if command -v prometheus >/dev/null; then
	pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf 'global:\n  scrape_interval: 1h\n' >"$work/prometheus.yml"
	prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/served" \
		--web.listen-address="127.0.0.1:$pport" >"$work/prometheus.log" 2>&1 &
	server=$!
	for _ in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$pport/-/ready" >/dev/null 2>&1 && break
		sleep 0.1
	done
	api() { curl -s "http://127.0.0.1:$pport/api/v1/$1" "${@:2}"; }
	check "backfilled: the host variable finds the recording's host" '["testhost"]' \
		"$(api 'label/host/values?match[]=devmem_attach_mode_info' | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["data"]))')"
	at=$(grep '^devmem_faults_total{' "$work/t2.om" | tail -n 1 | awk '{ print $NF }')
	i=0
	while IFS= read -r e; do
		i=$((i + 1))
		q=$(sed -e 's/\$host/testhost/g' -e 's/\$__rate_interval/1m/g' <<<"$e")
		api query --data-urlencode "query=$q" --data-urlencode "time=$at" >"$work/q$i.json"
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["status"] != "success")' "$work/q$i.json" ||
			not_ok "backfilled: query $i fails: $(head -c 200 "$work/q$i.json")"
	done <"$work/exprs"
	series() { # QUERY: how many series it gives at the recording's last frame
		api query --data-urlencode "query=$1" --data-urlencode "time=$at" |
			python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["result"]))'
	}
	full=$(grep -F 'devmem_device_in_use_bytes' "$work/exprs" | grep -F ' / ' | head -n 1 | sed 's/\$host/testhost/g')
	check "backfilled: the fullness panel has each of the three devices" 3 "$(series "$full")"
	check "backfilled: older is 75% full there" 0.75 \
		"$(api query --data-urlencode "query=$full" --data-urlencode "time=$at" |
		   python3 -c 'import json,sys; print([r["value"][1] for r in json.load(sys.stdin)["data"]["result"] if r["metric"]["device"] == "older"][0])')"
	check "backfilled: the thrashing panel has the devices" 3 \
		"$(series 'sum by (device) (devmem_device_thrashing_pages{host=~"testhost"})')"
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
	server=
else
	skip "the dashboard on backfilled data" "prometheus is not installed (make deps)"
fi

# ---- 3. errors before anything loads -------------------------------------------------

exporter_error() {
	local what=$1 want_rc=$2 want=$3 rc
	shift 3
	"$out/devmem-exporter" "$@" >"$work/e.out" 2>"$work/e.err"
	rc=$?
	if [ "$rc" = "$want_rc" ] && [ "$(wc -l <"$work/e.err")" = 1 ] && grep -q -e "$want" "$work/e.err"; then
		ok "$what: exit $rc, $(cat "$work/e.err")"
	else
		not_ok "$what: exit $rc (want $want_rc), said: $(cat "$work/e.err")"
	fi
}
exporter_error "bad address" 2 "bad address" -l nonsense
exporter_error "port out of range" 2 "port from 1 to 65535" -l 127.0.0.1:70000
exporter_error "IPv6 without brackets" 2 "bad address" -l ::1:19477
exporter_error "an address this machine lacks" 1 "no interface of this machine" -l 192.0.2.1:19477
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(60)' "$port" &
holder=$!
for _ in $(seq 1 50); do
	python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null && break
	sleep 0.1
done
exporter_error "a taken port" 1 "another program has that port" -l "127.0.0.1:$port"
kill "$holder" 2>/dev/null
holder=
: >"$work/file"
exporter_error "textfile: not a directory" 1 "is not a directory" --textfile "$work/file"
exporter_error "textfile: missing" 1 "is not a directory" --textfile "$work/missing"
exporter_error "bad option value" 2 "^devmem-exporter: --max-processes wants a whole number from 1 to 100000, not '0'; see devmem-exporter --help.$" --max-processes 0
exporter_error "a shared option's bad value" 2 "the interval wants seconds from 0.01 to 86400" --textfile "$work" -i 0
exporter_error "-i without --textfile" 2 "give --textfile DIR too, or leave -i out" -i 5
exporter_error "an HTTP option with --textfile" 2 "-l is for serving HTTP" --textfile "$work" -l 127.0.0.1:19477
# -D takes a name as in every tool: resolved to a device at start, never a usage error
# (on a host without device-private memory the session itself says what is missing)
"$out/devmem-exporter" -D hmm_dmirror0 >"$work/e.out" 2>"$work/e.err"
rc=$?
if [ "$rc" != 2 ] && [ "$rc" != 0 ] && [ "$(wc -l <"$work/e.err")" = 1 ] && ! grep -q -- "--help" "$work/e.err"; then
	ok "-D by name is not a usage error: exit $rc, $(cat "$work/e.err")"
else
	not_ok "-D by name: exit $rc, said: $(cat "$work/e.err")"
fi
exporter_error "a command after --" 2 "runs no command" -- true

tap_done

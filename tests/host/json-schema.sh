#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Every JSON shape the tools print against its schema in docs/schema/, on the
# host, without BPF: devmemhist report -j and devmemtop -R -j over a made-up
# recording (tests/tui/make-recording.c), and devmemstat's, devmemtop's,
# devmemsnoop's and devmemranges' writers on made-up snapshots and events
# (tests/host/render-json.c). Then documents that break the shapes, to show
# the schemas can fail. Validation: Debian's python3-jsonschema.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/lib.sh
out=${OUT:-build}
work=$(mktemp -d /tmp/devmem-json.XXXXXX)
trap 'rm -rf "$work"' EXIT
v=tests/validate-json.py

[ -r "$out/lib/libdevmem.a" ] || bail "$out/lib/libdevmem.a is missing; run make first"
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null ||
	bail "python3-jsonschema is not installed; run 'make deps' (the test packages)"
cc_flags=(-std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Itools/lib)
libs=("$out/lib/libdevmem.a" -lbpf -lelf -lz -ljansson -lm)
for p in tests/host/render-json.c tests/tui/make-recording.c; do
	n=$(basename "$p" .c)
	${CC:-gcc} "${cc_flags[@]}" "$p" -o "$work/$n" "${libs[@]}" 2>"$work/$n.cc" ||
		bail "building $p failed: $(head -n 3 "$work/$n.cc")"
done

# valid SCHEMA FILE DESCRIPTION [MIN]: one TAP line
valid() {
	local msg
	if msg=$("$v" --min "${4:-1}" "$1" "$2" 2>&1); then ok "$3: $msg"; else not_ok "$3: $msg"; fi
}
# invalid SCHEMA FILE DESCRIPTION: the schema must refuse it
invalid() {
	local msg
	if msg=$("$v" "$1" "$2" 2>&1); then not_ok "$3: accepted ($msg)"; else ok "$3: refused"; fi
}

"$work/make-recording" "$work/run.rec" 5 200 || bail "writing the test recording failed"
for args in "" "-P" "-G"; do
	# shellcheck disable=SC2086
	"$out/devmemhist" report -j $args "$work/run.rec" >"$work/report$args.json" 2>"$work/report.err"
	check "devmemhist report -j $args: exit status" 0 "$?"
	valid snapshot.schema.json "$work/report$args.json" "devmemhist report -j $args"
done
"$out/devmemtop" -R "$work/run.rec" -j -F >"$work/top.json" 2>"$work/top.err"
check "devmemtop -R -j: exit status" 0 "$?"
valid top-frame.schema.json "$work/top.json" "devmemtop -R -j (5 frames and a summary)" 6
"$out/devmemtop" -R "$work/run.rec" -j -F -G -D gpu1-private >"$work/top-dev.json" 2>/dev/null
valid top-frame.schema.json "$work/top-dev.json" "devmemtop -R -j -G -D" 6

for m in stat top snoop ranges; do
	"$work/render-json" $m >"$work/render-$m.json" || not_ok "render-json $m failed"
done
valid snapshot.schema.json "$work/render-stat.json" "devmemstat -j's writer: a snapshot, a delta, the fallback without folio counts" 3
valid top-frame.schema.json "$work/render-top.json" "devmemtop -j's writer: initial, frame, summary" 3
valid snoop-event.schema.json "$work/render-snoop.json" "devmemsnoop -j's writer: every event type, every migration reason and the lost records" 25
valid ranges.schema.json "$work/render-ranges.json" "devmemranges -j's writer: live, removing and removed ranges"

# --- the schemas refuse what breaks the shapes ---------------------------------
# mutate IN OUT PYTHON: OUT holds each document of IN changed by PYTHON (on d)
mutate() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import json, sys
text, out, code = open(sys.argv[1]).read(), open(sys.argv[2], "w"), sys.argv[3]
dec, pos = json.JSONDecoder(), 0
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    d, pos = dec.raw_decode(text, pos)
    exec(code)
    out.write(json.dumps(d) + "\n")
PY
}
mutate "$work/report.json" "$work/m1.json" 'del d["counters"]["faults"]'
invalid snapshot.schema.json "$work/m1.json" "a snapshot without a counter"
mutate "$work/report.json" "$work/m2.json" 'd["histograms"]["fault_latency"]["buckets"].append({"low": 1, "count": 1})'
invalid snapshot.schema.json "$work/m2.json" "a histogram bucket without high"
mutate "$work/render-stat.json" "$work/m3.json" 'd["processes"][0]["comm"] = "\x1b[2J"'
invalid snapshot.schema.json "$work/m3.json" "a process name with a raw escape sequence"
mutate "$work/render-stat.json" "$work/m9.json" 'd["folios"] and d["folios"]["allocs"].update({"11": 1})'
invalid snapshot.schema.json "$work/m9.json" "folios of an order past the last bucket"
mutate "$work/render-stat.json" "$work/m10.json" 'd["devices"][0]["folios"] and d["devices"][0]["folios"].pop("to_ram")'
invalid snapshot.schema.json "$work/m10.json" "a device's folios without to_ram"
mutate "$work/render-snoop.json" "$work/m11.json" 'd.get("event") == "alloc" and d.pop("order")'
invalid snoop-event.schema.json "$work/m11.json" "a devmemsnoop alloc without its order"
mutate "$work/render-top.json" "$work/m4.json" 'd["devices"][0]["size"] = 1'
invalid top-frame.schema.json "$work/m4.json" "a devmemtop device with an unknown key"
mutate "$work/render-top.json" "$work/m5.json" 'd["lost"] = 0'
invalid top-frame.schema.json "$work/m5.json" "a devmemtop frame whose lost is a number"
mutate "$work/render-snoop.json" "$work/m6.json" 'd.get("event") != "lost" and d.update(pid=d.pop("tgid"))'
invalid snoop-event.schema.json "$work/m6.json" "a devmemsnoop event that says pid, not tgid"
mutate "$work/render-ranges.json" "$work/m7.json" 'd["ranges"][0]["id"] = d["ranges"][0].pop("pgmap_id")'
invalid ranges.schema.json "$work/m7.json" "a devmemranges range that says id, not pgmap_id"
mutate "$work/render-ranges.json" "$work/m8.json" 'd["ranges"][0]["removed"] = None'
invalid ranges.schema.json "$work/m8.json" "a devmemranges range whose removed is not a boolean"
tap_done

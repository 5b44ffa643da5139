#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of the tool family's output on the patched kernel:
#   1. every tool once around the workload (tests/workload/devmem-workload),
#      each JSON output validated against its schema in docs/schema/:
#      devmemstat -j, devmemtop -j, devmemsnoop -j, devmemhist report -j,
#      devmemranges -j;
#   2. hostile names: the workload runs through a symlink whose name holds
#      ESC [2J, an OSC title sequence and an 8-bit CSI (0x9b), so that is
#      the name of every process it starts; no text output of any tool
#      (devmemstat, devmemstat -P, devmemtop -b, devmemsnoop, devmemhist
#      report -P of a recording, devmemranges) holds a byte below 0x20 but
#      newline and tab, nor DEL, nor a C1 control, and the name is shown in
#      its escaped form (\x1b[2J...);
#   3. the shared options behave the same in every tool here too: --version
#      and a retired letter.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-json-schema.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"
work=$(mktemp -d /tmp/check-json-schema.XXXXXX)
keep=${DEVMEM_RESULTS:-$work}/json-schema
mkdir -p "$keep"
trap 'cp -r "$work"/. "$keep"/ 2>/dev/null; rm -rf "$work"' EXIT

for t in devmemstat devmemtop devmemsnoop devmemhist devmemranges; do
	command -v $t >/dev/null || bail "$t is not in PATH; build it with make"
done
wl=$(command -v devmem-workload) || bail "devmem-workload is not in PATH; build it with tests/guest/build.sh"
[ -c /dev/hmm_dmirror0 ] || bail "/dev/hmm_dmirror0 is missing; load test_hmm first"
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null ||
	bail "python3-jsonschema is not installed on the host; run 'make deps'"
v=$top/tests/validate-json.py

# The hostile name: a symlink to the workload; a process takes the file name
# it was executed by (its first 15 bytes) as its comm.
esc=$'\x1b'
hostile="${esc}[2J${esc}]0;x"$'\x07\x9b'
link=$work/$hostile
ln -s "$wl" "$link" || bail "could not make the symlink with the hostile name"
# escaped as every tool shows it: the start is enough in a cut column
shown='\x1b[2J\x1b]0;x'
# run_wl: the command that runs the workload through the symlink (sh is dash:
# the name goes through the environment, not through quoting)
export DEVMEM_HOSTILE_LINK=$link DEVMEM_WL_OUT=$work/wl.out
run_wl() { echo 'exec "$DEVMEM_HOSTILE_LINK" -p 2 -r 2 -n 4 >>"$DEVMEM_WL_OUT" 2>&1'; }

# valid SCHEMA FILE DESCRIPTION [MIN]
valid() {
	local msg
	if msg=$("$v" --min "${4:-1}" --skip-prefix expect --skip-prefix workload "$1" "$2" 2>&1); then
		ok "$3: $msg"
	else
		not_ok "$3: $msg"
	fi
}
# clean FILE DESCRIPTION: no control byte in a text output; the hostile name escaped
clean() {
	local why
	why=$(/usr/bin/python3 - "$1" "${3:-}" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
want = sys.argv[2]
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    print(f"not UTF-8 at byte {e.start} (0x{data[e.start]:02x}): a raw 8-bit control or a cut character")
    sys.exit()
m = re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
if m:
    at = m.start()
    print(f"control character U+{ord(m.group()):04X} at offset {at}: {text[max(0, at - 20):at + 10]!r}")
elif want and want not in text:
    print(f"the hostile name is not shown escaped ({want!r} missing)")
elif not text.strip():
    print("no output")
else:
    print("clean")
PY
)
	check "$2" clean "$why"
}

# --- devmemstat ----------------------------------------------------------------
devmemstat -j -P -G -- sh -c "$(run_wl)" >"$work/stat.json" 2>"$work/stat.err"
check "devmemstat -j -P -G -- workload: exit status" 0 "$?"
valid snapshot.schema.json "$work/stat.json" "devmemstat -j"
check "devmemstat -j: the hostile process is named escaped" yes "$(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("yes" if any(p["comm"].startswith(sys.argv[2]) for p in d["processes"]) else "no")' "$work/stat.json" "$shown")"
devmemstat -i 1 -n 2 -j >"$work/stat-intervals.json" 2>/dev/null &
spid=$!
sh -c "$(run_wl)"
wait $spid
valid snapshot.schema.json "$work/stat-intervals.json" "devmemstat -i 1 -n 2 -j: every interval" 2
devmemstat -- sh -c "$(run_wl)" >"$work/stat.txt" 2>&1
clean "$work/stat.txt" "devmemstat text"
devmemstat -P -- sh -c "$(run_wl)" >"$work/stat-P.txt" 2>&1
clean "$work/stat-P.txt" "devmemstat -P text: no control byte, the name escaped" "$shown"

# --- devmemtop -------------------------------------------------------------------
devmemtop -j -i 0.5 -- sh -c "$(run_wl)" >"$work/top.json" 2>"$work/top.err"
check "devmemtop -j -- workload: exit status" 0 "$?"
valid top-frame.schema.json "$work/top.json" "devmemtop -j (initial, frames, summary)" 3
devmemtop -b -i 0.5 -- sh -c "$(run_wl)" >"$work/top.txt" 2>&1
check "devmemtop -b -- workload: exit status" 0 "$?"
clean "$work/top.txt" "devmemtop -b: no control byte, the name escaped" "$shown"

# --- devmemsnoop -----------------------------------------------------------------
devmemsnoop -j --lost-interval 0 -- sh -c "$(run_wl)" >"$work/snoop.json" 2>"$work/snoop.err"
check "devmemsnoop -j -- workload: exit status" 0 "$?"
valid snoop-event.schema.json "$work/snoop.json" "devmemsnoop -j (events and the final lost record)" 10
devmemsnoop -- sh -c "$(run_wl)" >"$work/snoop.txt" 2>&1
clean "$work/snoop.txt" "devmemsnoop text: no control byte, the name escaped" "$shown"

# --- devmemhist ------------------------------------------------------------------
devmemhist record -f -o "$work/run.rec" -P 0.5 -- sh -c "$(run_wl)" >"$work/rec.out" 2>&1
check "devmemhist record -P -- workload: exit status" 0 "$?"
devmemhist report -j -P "$work/run.rec" >"$work/report.json" 2>"$work/report.err"
valid snapshot.schema.json "$work/report.json" "devmemhist report -j -P"
devmemhist report -j -G "$work/run.rec" >"$work/report-G.json" 2>>"$work/report.err"
valid snapshot.schema.json "$work/report-G.json" "devmemhist report -j -G"
devmemhist report -P "$work/run.rec" >"$work/report.txt" 2>&1
clean "$work/report.txt" "devmemhist report -P text: no control byte, the name escaped" "$shown"
devmemhist -P 0.5 -- sh -c "$(run_wl)" >"$work/hist.txt" 2>&1
check "devmemhist -P -- workload: exit status" 0 "$?"
clean "$work/hist.txt" "devmemhist -P live text: no control byte, the name escaped" "$shown"

# --- devmemranges ----------------------------------------------------------------
devmemranges -j >"$work/ranges.json" 2>"$work/ranges.err"
check "devmemranges -j: exit status" 0 "$?"
valid ranges.schema.json "$work/ranges.json" "devmemranges -j"
devmemranges -j -- sh -c "$(run_wl)" >"$work/ranges-wl.json" 2>>"$work/ranges.err"
valid ranges.schema.json "$work/ranges-wl.json" "devmemranges -j -- workload"
devmemranges >"$work/ranges.txt" 2>&1
clean "$work/ranges.txt" "devmemranges text"

# --- the shared options, in each tool ----------------------------------------------
ver=$(sed -n '/^[0-9]/{p;q}' "$top/VERSION")
for t in devmemstat devmemtop devmemsnoop devmemhist devmemranges; do
	check "$t --version" "$t $ver" "$($t --version 2>&1)"
	$t -d 1 >/dev/null 2>"$work/d.err"
	rc=$?
	check "$t -d (a retired letter): usage exit status, and the new letters named" "2 yes" \
		"$rc $(grep -q -- '-t SECS' "$work/d.err" && echo yes || echo no)"
done
tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of devmemsnoop against the deterministic workload:
#   1. every event of a workload run, compared with its "expect" lines:
#      allocs, frees, migrations and pages per direction exactly, in total
#      and per process; faults at least the pages brought back; every event
#      in a workload process and on a test_hmm range; nothing lost.
#   2. JSON lines carry the same events.
#   3. filters: -e, -D (range start and name), -p.
#   4. flood: a 4 KiB ring buffer loses events, and the lost count makes up
#      exactly the difference (shown + lost = caused); the final
#      "lost N events" line is always there.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-devmemsnoop.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
work=$(mktemp -d /tmp/check-devmemsnoop.XXXXXX)
keep=${DEVMEM_RESULTS:-$work}/devmemsnoop
mkdir -p "$keep"
trap 'cp -r "$work"/. "$keep"/ 2>/dev/null; rm -rf "$work"' EXIT

snoop=$(command -v devmemsnoop) || bail "devmemsnoop is not in PATH; build it with make"
wl=$(command -v devmem-workload) || bail "devmem-workload is not in PATH; build it with tests/workload/build.sh"
[ -c /dev/hmm_dmirror0 ] || bail "/dev/hmm_dmirror0 is missing; load test_hmm first"

# expect FILE KEY: a total the workload printed as "expect KEY=VALUE".
expect() { sed -n "s/^expect $2=\\([0-9]*\\)\$/\\1/p" "$1" | head -1; }
# expect_pid FILE PID KEY: the per-process figure.
expect_pid() {
	awk -v p="pid=$2" -v k="$3" '$1 == "expect" && $2 == p {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}
workload_pids() { awk '$1 == "expect" && $2 ~ /^pid=/ { sub(/^pid=/, "", $2); print $2 }' "$1" | sort -n; }
# Text lines: $3 PID, $5 DEVICE, $6 EVENT, $8 PAGES, $9 RESULT. Header skipped.
# A migration's RESULT is DIR,REASON and its line ends with src= dst= part=:
# a window is one line per pair of pagemaps, counted at part=0.
nev() { awk -v e="$2" -v p="${3:-}" 'NR > 1 && $6 == e && (p == "" || $3 == p) { n++ } END { print n + 0 }' "$1"; }
pages() {
	awk -v d="$2" -v p="${3:-}" 'NR > 1 && $6 == "migrate" && $9 ~ ("^" d) && (p == "" || $3 == p) { s += $8 }
		END { print s + 0 }' "$1"
}
# migrations FILE DIR[,REASON] [PID]: windows, of any reason if only DIR is given
migrations() {
	awk -v r="$2" -v p="${3:-}" 'NR > 1 && $6 == "migrate" && ($9 == r || index($9, r ",") == 1) &&
		$NF == "part=0" && (p == "" || $3 == p) { n++ }
		END { print n + 0 }' "$1"
}
# final_lost FILE: N of the closing "lost N events" line, "none" if missing.
final_lost() { sed -n 's/^lost \([0-9]*\) events.*/\1/p' "$1" | tail -1 | grep . || echo none; }
ringbuf_lost() { sed -n 's/^lost [0-9]* events (ring buffer full: \([0-9]*\),.*/\1/p' "$1" | tail -1; }
skipped_lost() { sed -n 's/^lost [0-9]* events (.*handler skipped by the kernel: \([0-9]*\)).*/\1/p' "$1" | tail -1; }
hex() { printf '0x%x' "$((16#${1#0x}))"; }
dmirror_starts() {
	awk -F' : ' '$2 ~ /^hmm_dmirror[0-9]*$/ { gsub(/ /, "", $1); split($1, r, "-"); print r[1] }' /proc/iomem |
		while read -r s; do hex "$s"; echo; done | sort
}

starts=$(dmirror_starts)
[ -n "$starts" ] || bail "/proc/iomem lists no hmm_dmirror range"

# --- 1. every event of the default workload --------------------------------------
out=$work/all.txt
"$snoop" --lost-interval 0 -- sh -c "exec '$wl' >'$work/all.wl' 2>'$work/all.wl.err'" >"$out" 2>"$work/all.err"
rc=$?
check "devmemsnoop -- devmem-workload: exit status" 0 "$rc"
[ -s "$work/all.wl.err" ] && echo "# workload stderr: $(head -3 "$work/all.wl.err")"
grep -q '^expect allocs=' "$work/all.wl" || bail "the workload printed no expectations: $(tail -2 "$work/all.wl.err")"
check "header line" "TIME(s)" "$(head -1 "$out" | awk '{ print $1 }')"
check "closing line reports the lost events" 0 "$(final_lost "$work/all.err")"
check "allocs" "$(expect "$work/all.wl" allocs)" "$(nev "$out" alloc)"
check "frees" "$(expect "$work/all.wl" frees)" "$(nev "$out" free)"
check "migrations to the device" "$(expect "$work/all.wl" migrate_to_device_calls)" "$(migrations "$out" to_device)"
check "pages to the device" "$(expect "$work/all.wl" pages_to_device)" "$(pages "$out" to_device)"
check "pages to RAM" "$(expect "$work/all.wl" pages_to_ram)" "$(pages "$out" to_ram)"
faults=$(nev "$out" fault)
check "fault_done lines match fault lines" "$faults" "$(nev "$out" fault_done)"
check "fault-driven migrations match fault lines" "$faults" "$(migrations "$out" to_ram,fault)"
# Closing a device file evicts its pages (migrate_device_range()): such
# to_ram migrations are not fault-driven, and here they find nothing to move.
check "pages moved to RAM other than by a fault" 0 \
	"$(awk 'NR > 1 && $6 == "migrate" && $9 ~ /^to_ram,/ && $9 != "to_ram,fault" { s += $8 } END { print s + 0 }' "$out")"
if [ "$faults" -ge "$(expect "$work/all.wl" pages_to_ram)" ]; then
	ok "faults cover every page brought back ($faults >= $(expect "$work/all.wl" pages_to_ram))"
else
	not_ok "faults ($faults) fewer than pages brought back ($(expect "$work/all.wl" pages_to_ram))"
fi
echo "# fault calls $faults, of which moved nothing: $(awk 'NR > 1 && $6 == "fault_done" && $8 == 0' "$out" | wc -l)"
check "fault results are all ok" 0 "$(awk 'NR > 1 && $6 == "fault_done" && $9 != "ok"' "$out" | wc -l)"
check "no range event during the workload" 0 "$(($(nev "$out" add) + $(nev "$out" remove) + $(nev "$out" remove_done)))"
check "PIDs of the events are the workload's processes" "$(workload_pids "$work/all.wl" | tr '\n' ' ')" \
	"$(awk 'NR > 1 { print $3 }' "$out" | sort -nu | tr '\n' ' ')"
for p in $(workload_pids "$work/all.wl"); do
	got="$(nev "$out" alloc "$p") $(nev "$out" free "$p") $(migrations "$out" to_device "$p") $(pages "$out" to_device "$p") $(pages "$out" to_ram "$p")"
	exp="$(expect_pid "$work/all.wl" "$p" allocs) $(expect_pid "$work/all.wl" "$p" frees) $(expect_pid "$work/all.wl" "$p" migrate_to_device_calls) $(expect_pid "$work/all.wl" "$p" pages_to_device) $(expect_pid "$work/all.wl" "$p" pages_to_ram)"
	check "pid $p: allocs frees migrations-to-device pages-to-device pages-to-RAM" "$exp" "$got"
done
# An eviction that moved nothing has no device page to name its device by.
check "every event names a test_hmm device" 0 \
	"$(awk 'NR > 1 && !($6 == "migrate" && $8 == 0) { print $5 }' "$out" | sort -u | grep -cvxE 'hmm_dmirror[0-9]*(#[0-9]+)?')"

# --- 2. JSON lines ------------------------------------------------------------
jout=$work/json.txt
"$snoop" -j --lost-interval 0 -- sh -c "exec '$wl' -p 1 -r 1 -n 5 >'$work/json.wl'" >"$jout" 2>"$work/json.err"
check "devmemsnoop -j: exit status" 0 "$?"
if command -v python3 >/dev/null; then
	summary=$(python3 - "$jout" <<'PY'
import json, sys
ev = {}
pages = {"to_device": 0, "to_ram": 0}
bad = final = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line or line.startswith("expect") or line.startswith("workload"):
        continue
    try:
        o = json.loads(line)
    except ValueError:
        bad += 1
        continue
    e = o.get("event")
    if e == "lost":
        final += bool(o.get("final"))
        continue
    ev[e] = ev.get(e, 0) + 1
    if e == "migrate":
        pages[o["dir"]] += o["pages"]
print(bad, final, ev.get("alloc", 0), ev.get("free", 0), pages["to_device"], pages["to_ram"])
PY
)
	# -p 1 -r 1 -n 5 with the last range: 10 allocs and frees, 10 pages in, 5 back
	check "JSON: bad lines, final lost record, allocs, frees, pages to device, pages to RAM" \
		"0 1 10 10 10 5" "$summary"
	fields=$(python3 - "$jout" <<'PY'
import json, sys
evs = []
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if isinstance(o, dict) and o.get("event") not in (None, "lost"):
        evs.append(o)
h = lambda v: int(v, 16)
allocs = {h(o["pfn"]) for o in evs if o["event"] == "alloc"}
ranges = [(h(o["address"]), h(o["address"]) + 4096 * o["npages"]) for o in evs
          if o["event"] == "migrate" and o["dir"] == "to_device"]
faults = [o for o in evs if o["event"] == "fault"]
dones = [o for o in evs if o["event"] == "fault_done"]
why = []
if len(faults) != 5 or len(dones) != 5:
    why.append(f"{len(faults)} faults, {len(dones)} fault_done")
for f in faults:
    a = h(f["address"])
    if not a or a % 4096:
        why.append(f"fault address {f['address']} not a page")
    if not any(lo <= a < hi for lo, hi in ranges):
        why.append(f"fault address {f['address']} outside the migrated ranges")
    if h(f["pfn"]) not in allocs:
        why.append(f"fault pfn {f['pfn']} was never allocated")
    if f["write"] is not False:
        why.append("a read fault says write")
if len({f["address"] for f in faults}) != len(faults):
    why.append("fault addresses repeat")
for f, d in zip(faults, dones):
    if (f["tid"], f["address"]) != (d["tid"], d["address"]):
        why.append(f"fault_done at {d['address']} does not match fault at {f['address']}")
print("; ".join(why[:3]) or "consistent")
PY
)
	check "JSON: fault addresses, pfns and write flags match the migrated pages, fault_done the fault" \
		consistent "$fields"
else
	skip "JSON lines parse" "python3 is not installed"
fi

# --- 3. filters -----------------------------------------------------------------
fout=$work/events.txt
"$snoop" -e migrate,fault_done --lost-interval 0 -- sh -c "exec '$wl' -p 1 -r 1 -n 5 >'$work/events.wl'" >"$fout" 2>"$work/events.err"
check "-e migrate,fault_done: only those events" "fault_done migrate" \
	"$(awk 'NR > 1 && $6 != "" && $1 != "expect" && $1 != "workload" { print $6 }' "$fout" | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "-e migrate,fault_done: pages to RAM" 5 "$(pages "$fout" to_ram)"

first=$(echo "$starts" | head -1)
dout=$work/device.txt
"$snoop" -D "$first" -e alloc --lost-interval 0 -- sh -c "exec '$wl' -p 2 -r 1 -n 5 -d alt >'$work/device.wl'" >"$dout" 2>"$work/device.err"
n=$(nev "$dout" alloc)
d0=$(awk '$1 == "expect" && $2 == "dev=0" { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "allocs") print kv[2] } }' "$work/device.wl")
d1=$(awk '$1 == "expect" && $2 == "dev=1" { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "allocs") print kv[2] } }' "$work/device.wl")
if [ -n "$d0" ] && { [ "$n" = "$d0" ] || [ "$n" = "$d1" ]; }; then
	ok "-D $first: allocs of one device only ($n; devices had $d0 and $d1)"
else
	not_ok "-D $first: $n allocs, expected those of one device ($d0 or $d1)"
fi
check "-D $first: every line on that range's device" 1 "$(awk 'NR > 1 { print $5 }' "$dout" | sort -u | grep -cxE 'hmm_dmirror[0-9]*(#[0-9]+)?')"
nout=$work/name.txt
# -D by name: the tools' name for /dev/hmm_dmirror1's device (tests/lib.sh)
name1=$(hmm_device_name 1)
if [ -n "$name1" ]; then
	"$snoop" -D "$name1" -e alloc --lost-interval 0 -- sh -c "exec '$wl' -p 2 -r 1 -n 5 -d alt >/dev/null" >"$nout" 2>"$work/name.err"
	check "-D $name1 (/dev/hmm_dmirror1's device by name): allocs of device 1 only" "$d1" "$(nev "$nout" alloc)"
else
	not_ok "-D NAME: no device of the tools at /dev/hmm_dmirror1's range (see the kernel log's 'added new' lines)"
fi

# -p: trace one process of a running workload, found through /proc
"$wl" -p 2 -r 100000 -n 4 >/dev/null 2>&1 &
wpid=$!
kids=
for _ in $(seq 100); do
	kids=$(awk -v pp="$wpid" '$4 == pp { print $1 }' /proc/[0-9]*/stat 2>/dev/null | sort -n)
	[ "$(echo "$kids" | grep -c .)" -ge 2 ] && break
	sleep 0.1
done
target=$(echo "$kids" | head -1)
if [ -n "$target" ]; then
	"$snoop" -p "$target" -t 3 --lost-interval 0 >"$work/pid.txt" 2>"$work/pid.err"
	check "-p $target: every line from that process" 0 "$(awk -v p="$target" 'NR > 1 && $3 != p' "$work/pid.txt" | wc -l)"
	if [ "$(nev "$work/pid.txt" alloc)" -gt 0 ]; then
		ok "-p $target: its events are shown ($(($(wc -l <"$work/pid.txt") - 1)) lines)"
	else
		not_ok "-p $target: no alloc line in 3 s of a running workload"
	fi
else
	not_ok "-p: could not find the workload's processes in /proc"
fi
kill $kids "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null

# --- 4. flood: losses counted, not hidden -------------------------------------
flood=$work/flood.txt
"$snoop" -B 4 -e alloc,free -i 1 -- sh -c "exec '$wl' >'$work/flood.wl'" >"$flood" 2>"$work/flood.err"
check "flood: exit status" 0 "$?"
caused=$(($(expect "$work/flood.wl" allocs) + $(expect "$work/flood.wl" frees)))
shown=$(($(nev "$flood" alloc) + $(nev "$flood" free)))
lost=$(final_lost "$work/flood.err")
rb=$(ringbuf_lost "$work/flood.err")
sk=$(skipped_lost "$work/flood.err")
echo "# flood (4 KiB ring buffer): caused $caused, shown $shown, lost $lost (ring buffer full $rb, handler skipped $sk); periodic reports: $(grep -c 'in the last interval' "$work/flood.err")"
if [ "$lost" != none ] && [ "$lost" -gt 0 ]; then
	ok "flood: the small ring buffer lost events and said so ($lost)"
else
	not_ok "flood: no loss reported with a 4 KiB ring buffer (lost: $lost)"
fi
check "flood: shown + lost in the ring buffer = events caused" "$caused" "$((shown + ${rb:-0}))"
check "flood: shown lines are complete (no torn line)" 0 \
	"$(awk 'NR > 1 && $1 != "expect" && $1 != "workload" && NF != 10' "$flood" | wc -l)"

# --- usage errors --------------------------------------------------------------
"$snoop" -e nonsense >/dev/null 2>&1
check "unknown event: usage exit code" 2 "$?"
"$snoop" -b 4 >/dev/null 2>&1
check "-b (the old ring buffer letter): usage exit code" 2 "$?"

tap_done

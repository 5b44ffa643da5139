#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of the always-on state model.
#
#  1. A recorder with a small per-process table (DEVMEM_MAX_PROCS=16) runs
#     through 2,000 short-lived processes in batches of 16, never more alive
#     at once than the table holds: its report lists every one of them with
#     exact counts, the totals are exact and nothing is lost.
#  2. Then 24 processes alive at once against 16 slots: the totals stay
#     exact, the 8 without a slot are listed by name with their uncounted
#     events, and those add up to the loss counter.
#  3. With test_hmm loaded before the tools start, every tool shows exactly
#     its two devices, each with its own range and exact counts, for a
#     workload on both devices; a recording across rmmod/insmod of test_hmm
#     still has exactly those two devices, with the counts of both
#     workloads, and four ranges (two removed). Device N of test_hmm is
#     known by where its range is (its chunk is the Nth that test_hmm adds
#     at load, and says so in the kernel log); the tools name a device by
#     its /proc/iomem name, made unique (test_hmm names both ranges alike
#     on the zone_device series), so the expected name of device N is the
#     one the tools gave the range at that address.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-always-on.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
kdir=${DEVMEM_KERNEL_DIR:?DEVMEM_KERNEL_DIR is not set; run this through tests/guest/run.sh}
res=${DEVMEM_RESULTS:-/tmp}/always-on
mkdir -p "$res"
command -v python3 >/dev/null || bail "python3 is needed to read the JSON output"
[ -c /dev/hmm_dmirror0 ] || bail "/dev/hmm_dmirror0 is missing; load test_hmm first"
mode_args=${DEVMEM_CHECK_MODE_ARGS:-}

# tap_from CMD...: relay the "ok - ..." / "not ok - ..." lines of a checker
tap_from() {
	local line
	while read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done < <("$@")
}

# record NAME RECORDER-ARGS -- COMMAND: a recording around COMMAND, ended by SIGINT
record() {
	local name=$1 pid i
	shift
	local args=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	rm -f "$res/$name.rec"
	# shellcheck disable=SC2086
	devmemhist record $mode_args -o "$res/$name.rec" "${args[@]}" 2>"$res/$name.rec.err" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		grep -q '^Recording to' "$res/$name.rec.err" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	"$@"
	kill -INT $pid
	wait $pid
}

# --- 1. 2,000 short-lived processes through a 16-slot table -----------------
export DEVMEM_MAX_PROCS=16
record batches -P 0.5 -- sh -c "devmem-workload -p 16 -b 125 -r 1 -n 2 --no-last >$res/batches.wl 2>$res/batches.wl.err"
check "batches: recorder exit status" 0 "$?"
devmemhist report -P -j "$res/batches.rec" >"$res/batches.json" 2>"$res/batches.err"
check "batches: report exit status" 0 "$?"
devmemhist report -P "$res/batches.rec" >"$res/batches.txt" 2>&1

tap_from python3 - "$res/batches.json" "$res/batches.wl" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))
exp, per_pid = {}, {}
for line in open(sys.argv[2]):
    f = line.split()
    if f and f[0] == "expect":
        kv = dict(x.split("=", 1) for x in f[1:])
        if "pid" in kv:
            per_pid[int(kv["pid"])] = kv
        elif "dev" not in kv:
            exp.update(kv)
def check(desc, want, got):
    print(("ok - " if want == got else "not ok - ") + f"batches: {desc} (expected {want}, got {got})")
check("the workload ran 2000 processes", 2000, len(per_pid))
t = rep["counters"]
for k in ("allocs", "frees", "pages_to_device", "pages_to_ram"):
    check(f"total {k}", int(exp[k]), t[k])
procs = {p["tgid"]: p for p in rep["processes"]}
missing = [pid for pid in per_pid if pid not in procs]
check("every process is in the report", 0, len(missing))
bad = []
for pid, kv in per_pid.items():
    p = procs.get(pid)
    if p is None:
        continue
    c = p["counters"]
    for k in ("allocs", "frees", "pages_to_device", "pages_to_ram"):
        if c[k] != int(kv[k]):
            bad.append((pid, k, int(kv[k]), c[k]))
check("every process has its exact counts", [], bad[:5])
exited = sum(1 for pid in per_pid if procs.get(pid, {}).get("exited"))
check("every process is reported as exited", 2000, exited)
check("nothing lost", {}, {k: v for k, v in rep["lost"].items() if v})
check("no process found the table full", 0, rep["lost"]["processes_map_full"])
EOF
check "batches: the text report lists the processes" 2000 \
	"$(grep -cE '^process [0-9]+ \(devmem-workload\), exited:' "$res/batches.txt")"

# --- 2. more live processes than the table holds -----------------------------
record over -P 0.5 -- sh -c "devmem-workload -p 24 -r 1 -n 2 --no-last >$res/over.wl 2>$res/over.wl.err"
devmemhist report -P -j "$res/over.rec" >"$res/over.json" 2>"$res/over.err"
check "overflow: report exit status" 0 "$?"
devmemhist report -P "$res/over.rec" >"$res/over.txt" 2>&1
tap_from python3 - "$res/over.json" "$res/over.wl" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))
exp, per_pid = {}, {}
for line in open(sys.argv[2]):
    f = line.split()
    if f and f[0] == "expect":
        kv = dict(x.split("=", 1) for x in f[1:])
        if "pid" in kv:
            per_pid[int(kv["pid"])] = kv
        elif "dev" not in kv:
            exp.update(kv)
def check(desc, want, got):
    print(("ok - " if want == got else "not ok - ") + f"overflow: {desc} (expected {want}, got {got})")
t = rep["counters"]
for k in ("allocs", "frees", "pages_to_ram"):
    check(f"total {k} exact", int(exp[k]), t[k])
procs = {p["tgid"]: p for p in rep["processes"]}
over = [p for p in rep["processes"] if p["lost_events"]]
check("8 processes found no slot", 8, len(over))
check("they are named", ["devmem-workload"] * len(over), [p["comm"] for p in over])
check("their uncounted events add up to processes_map_full",
      rep["lost"]["processes_map_full"], sum(p["lost_events"] for p in over))
exact = [pid for pid, kv in per_pid.items()
         if pid in procs and not procs[pid]["lost_events"]
         and procs[pid]["counters"]["allocs"] == int(kv["allocs"])]
check("the 16 with a slot have exact counts", 16, len(exact))
EOF
check "overflow: the text report names the loss" yes \
	"$(grep -q 'processes_map_full' "$res/over.txt" && echo yes || echo no)"
check "overflow: the text report names the 8 processes without a slot" 8 \
	"$(grep -cE '^process [0-9]+ \(devmem-workload\), exited, [0-9]+ events not counted' "$res/over.txt")"
unset DEVMEM_MAX_PROCS

# --- 3. two devices, named once, in every tool ---------------------------------
# devices_of FILE KIND: "name:pages_to_device:pages_to_ram" per device, sorted
cat >"$res/devices.py" <<'EOF'
import json, sys
path, kind = sys.argv[1], sys.argv[2]
def c(d, k):
    return d["counters"][k] if "counters" in d else d[k]
if kind == "frames":
    # devmemtop -j: one frame per line; sum the per-device deltas
    sums = {}
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        fr = json.loads(line)
        if fr.get("type") != "frame":
            continue	# the summary repeats what the frames add up to
        for d in fr.get("devices", []):
            s = sums.setdefault(d["name"], [0, 0])
            s[0] += c(d, "pages_to_device")
            s[1] += c(d, "pages_to_ram")
    rows = [f"{n}:{a}:{b}" for n, (a, b) in sums.items()]
else:
    doc = json.load(open(path))
    rows = [f'{d["name"]}:{c(d, "pages_to_device")}:{c(d, "pages_to_ram")}' for d in doc["devices"]]
print(" ".join(sorted(rows)))
EOF
# want WORKLOAD-OUTPUT...: the same line from the workloads' dev=N expectations
# want_devices NAMES-JSON WORKLOAD-OUTPUT...: "name:todev:toram" per device,
# name being what NAMES-JSON (the tools' JSON with ranges) calls the range
# of that device
want_devices() {
	python3 - "$(hmm_device_starts | tr '\n' ' ')" "$@" <<'EOF'
import json, sys
starts = [int(x, 16) << 12 for x in sys.argv[1].split()]
doc = json.load(open(sys.argv[2]))
names = {}
for r in doc["ranges"]:
    names.setdefault(int(r["start"], 16), r["device"])
sums = {}
for path in sys.argv[3:]:
    for line in open(path):
        f = line.split()
        if not f or f[0] != "expect":
            continue
        kv = dict(x.split("=", 1) for x in f[1:])
        if "dev" in kv and "pid" not in kv:
            dev = int(kv["dev"])
            name = names.get(starts[dev], f"(no range at {starts[dev]:#x})") \
                if dev < len(starts) else f"(device {dev}: no start in the kernel log)"
            s = sums.setdefault(name, [0, 0])
            s[0] += int(kv["pages_to_device"])
            s[1] += int(kv["pages_to_ram"])
print(" ".join(sorted(f"{n}:{a}:{b}" for n, (a, b) in sums.items())))
EOF
}
wl_alt="devmem-workload -p 4 -r 2 -n 9 -d alt --no-last"

# shellcheck disable=SC2086
devmemstat $mode_args -j -G -- sh -c "$wl_alt >$res/stat.wl" >"$res/stat.json" 2>"$res/stat.err"
check "devmemstat: two named devices with exact counts" "$(want_devices "$res/stat.json" "$res/stat.wl")" \
	"$(python3 "$res/devices.py" "$res/stat.json" doc)"
tap_from python3 - "$res/stat.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
hmm = [r for r in doc["ranges"] if (r["name"] or "").startswith("hmm_dmirror")]
print(("ok - " if len(hmm) == 2 else "not ok - ") + f"devmemstat: two test_hmm ranges ({len(hmm)})")
# a device of its own per range, named after the range's /proc/iomem name
good = len({r["device"] for r in hmm}) == len(hmm) and \
    all(r["device"] == r["name"] or r["device"].startswith(r["name"] + "#") for r in hmm)
print(("ok - " if good else "not ok - ") + "devmemstat: each range belongs to its own device ("
      + ", ".join(f'{r["start"]}: {r["device"]}' for r in hmm) + ")")
for d in doc["devices"]:
    rs = [r for r in doc["ranges"] if r["device"] == d["name"]]
    s = sum(r["counters"]["pages_to_device"] for r in rs)
    print(("ok - " if s == d["counters"]["pages_to_device"] else "not ok - ") +
          f'devmemstat: {d["name"]}: its ranges add up to its counts ({s}, {d["counters"]["pages_to_device"]})')
EOF
devmemstat $mode_args -- sh -c "$wl_alt >/dev/null" >"$res/stat.txt" 2>&1
# the names of the JSON report, sorted
hmm_names=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(sorted(x["name"] for x in d["devices"] if x["name"].startswith("hmm"))))' "$res/stat.json")
check "devmemstat text: the devices by name" "$hmm_names" \
	"$(awk '/^DEVICES/ { on = 1; next } on && /^$/ { on = 0 } on && $1 ~ /^hmm/ { print $1 }' "$res/stat.txt" | sort | paste -sd' ')"

# devmemtop: JSON frames from start to SIGINT, summed per device
# (a top.json left by an earlier run would end the wait below at once)
rm -f "$res/top.json"
# shellcheck disable=SC2086
devmemtop $mode_args -b -j -i 1 >"$res/top.json" 2>"$res/top.err" &
tpid=$!
for ((i = 0; i < 600; i++)); do
	[ -s "$res/top.json" ] && break
	sleep 0.1
done
sh -c "$wl_alt >$res/top.wl"
sleep 2
kill -INT $tpid
wait $tpid
check "devmemtop -j: two named devices with exact counts" "$(want_devices "$res/stat.json" "$res/top.wl")" \
	"$(python3 "$res/devices.py" "$res/top.json" frames)"

# devmemranges: the two ranges, each named and owned by its device
devmemranges -j >"$res/ranges.json" 2>"$res/ranges.err"
check "devmemranges: the two devices" "$hmm_names" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(sorted(r["device"] for r in d["ranges"] if (r.get("device") or "").startswith("hmm"))))' "$res/ranges.json")"

# a recording across rmmod/insmod: still two devices, both workloads counted
record reload -G 0.5 -- sh -c "$wl_alt >$res/reload1.wl; rmmod test_hmm && insmod $kdir/test_hmm.ko && $wl_alt >$res/reload2.wl"
grep -q '^test_hmm ' /proc/modules || insmod "$kdir/test_hmm.ko"
devmemhist report -G -j "$res/reload.rec" >"$res/reload.json" 2>"$res/reload.err"
check "reload: report exit status" 0 "$?"
check "reload: two named devices with both workloads' counts" \
	"$(want_devices "$res/reload.json" "$res/reload1.wl" "$res/reload2.wl")" \
	"$(python3 "$res/devices.py" "$res/reload.json" doc)"
check "reload: four ranges, two of them removed" "4 2" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=[x for x in d["ranges"] if (x["name"] or "").startswith("hmm")]; print(len(r), sum(1 for x in r if x["removed"]))' "$res/reload.json")"
tap_done

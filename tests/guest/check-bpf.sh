#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of the BPF core: devmemstat around the deterministic workload,
# once on the devmem tracepoints and once on the forced fentry/fexit
# fallback. Totals, per-process and per-device counters must equal what the
# workload did, histogram totals must match the counters, nothing may be lost,
# and both attachment modes must agree.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
res=${DEVMEM_RESULTS:-/tmp}

# run NAME MODE-ARGS -- WORKLOAD-ARGS: devmemstat JSON in $res/NAME.json,
# the workload's output in $res/NAME.wl
run() {
	local name=$1 margs=$2
	shift 3
	devmemstat -j -P -G $margs -- sh -c "devmem-workload $* >$res/$name.wl 2>&1" \
		>"$res/$name.json" 2>"$res/$name.err"
}

# compare NAME EXPECTED-MODE: TAP lines for one run
compare() {
	python3 - "$res/$1.json" "$res/$1.wl" "$2" "$1" <<'EOF'
import json, sys
snap_path, wl_path, want_mode, name = sys.argv[1:5]
n = 0
failed = 0
def check(desc, expected, actual):
    global n, failed
    n += 1
    if expected == actual:
        print(f"ok - {name}: {desc} ({actual})")
    else:
        failed += 1
        print(f"not ok - {name}: {desc} (expected {expected}, got {actual})")
try:
    snap = json.load(open(snap_path))
except Exception as e:
    print(f"not ok - {name}: devmemstat printed no JSON ({e})")
    sys.exit(1)
expect, per_pid, per_dev = {}, {}, {}
for line in open(wl_path):
    f = line.split()
    if not f or f[0] != "expect":
        continue
    kv = dict(x.split("=", 1) for x in f[1:])
    if "pid" in kv:
        per_pid[int(kv["pid"])] = kv
    elif "dev" in kv:
        per_dev[int(kv["dev"])] = kv
    else:
        expect.update(kv)
if not expect:
    print(f"not ok - {name}: the workload printed no expectations")
    sys.exit(1)
t = snap["counters"]
check("attachment mode", want_mode, snap["mode"])
check("allocs", int(expect["allocs"]), t["allocs"])
check("frees", int(expect["frees"]), t["frees"])
check("pages to device", int(expect["pages_to_device"]), t["pages_to_device"])
check("migrate calls to device", int(expect["migrate_to_device_calls"]), t["migrate_calls_to_device"])
check("pages to RAM", int(expect["pages_to_ram"]), t["pages_to_ram"])
check("pages moved by faults", int(expect["pages_to_ram"]), t["fault_pages"])
check("faults that moved a page", int(expect["pages_to_ram"]), t["faults"] - t["faults_wasted"])
check("fault errors", 0, t["fault_errors"])
check("lost events", 0, snap["lost"]["total"] if isinstance(snap["lost"], dict) else snap["lost"])
h = snap["histograms"]
check("fault latency histogram total = faults", t["faults"], h["fault_latency"]["count"])
check("pages-per-migration histogram total = migrate calls",
      t["migrate_calls_to_device"] + t["migrate_calls_to_ram"], h["migrate_pages"]["count"])
check("pages-per-migration histogram sum = pages migrated",
      t["pages_to_device"] + t["pages_to_ram"], h["migrate_pages"]["sum"])
check("page lifetime histogram total = frees", t["frees"], h["page_lifetime"]["count"])
procs = {p["tgid"]: p for p in snap["processes"]}
for pid, kv in sorted(per_pid.items()):
    p = procs.get(pid)
    if p is None:
        check(f"pid {pid} present", True, False)
        continue
    for key, field in (("pages_to_device", "pages_to_device"), ("pages_to_ram", "pages_to_ram"),
                       ("allocs", "allocs")):
        check(f"pid {pid} {key}", int(kv[key]), p["counters"][field] if "counters" in p else p[field])
# Devices are keyed by owner pointers; match the workload's device totals
# as a multiset of (pages to device, pages to RAM).
want = sorted((int(kv["pages_to_device"]), int(kv["pages_to_ram"])) for kv in per_dev.values())
def dc(d, k):
    return d["counters"][k] if "counters" in d else d[k]
got = sorted((dc(d, "pages_to_device"), dc(d, "pages_to_ram")) for d in snap["devices"]
             if dc(d, "pages_to_device") or dc(d, "pages_to_ram"))
check("per-device pages to device and to RAM", want, got)
sys.exit(1 if failed else 0)
EOF
}

# a kernel without the devmem tracepoints has the fallback only
if have_series_events; then
	modes=(tracepoints fentry)
	margs=("" "--fentry")
else
	modes=(fentry)
	margs=("")
fi
for i in "${!modes[@]}"; do
	m=${modes[$i]}
	for w in "default:" "alt:-p 4 -r 3 -n 20 -d alt"; do
		wname=${w%%:*}
		name=$m-$wname
		run "$name" "${margs[$i]}" -- ${w#*:}
		rc=$?
		if [ $rc -ne 0 ]; then
			not_ok "$name: devmemstat exited with $rc: $(head -c 300 "$res/$name.err")"
			continue
		fi
		while read -r line; do
			case $line in
			"ok - "*) ok "${line#ok - }" ;;
			"not ok - "*) not_ok "${line#not ok - }" ;;
			esac
		done < <(compare "$name" "$m")
	done
done

# Both attachment modes must give the same figures for the same workload.
for w in default alt; do
	[ ${#modes[@]} = 2 ] || break
	same=$(python3 - "$res/tracepoints-$w.json" "$res/fentry-$w.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
keys = ("allocs", "frees", "pages_to_device", "pages_to_ram", "migrate_calls_to_device", "fault_pages")
diff = [k for k in keys if a["counters"][k] != b["counters"][k]]
diff += [f"hist:{k}" for k in ("migrate_pages", "page_lifetime")
         if a["histograms"][k]["count"] != b["histograms"][k]["count"]]
print(",".join(diff) or "same")
EOF
)
	check "$w workload: tracepoints and fentry fallback agree" same "$same"
done

# A full per-process table: DEVMEM_MAX_PROCS=2 against the 3 processes of
# the default workload. The totals stay exact, every process that got a row
# has exact counts, the rest are missing, and the loss is counted and shown.
DEVMEM_MAX_PROCS=2 devmemstat -j -P -- sh -c "devmem-workload >$res/full.wl 2>&1" \
	>"$res/full.json" 2>"$res/full.err"
rc=$?
check "DEVMEM_MAX_PROCS=2: devmemstat exit status" 0 "$rc"
full=$(python3 - "$res/full.json" "$res/full.wl" <<'EOF'
import json, sys
try:
    snap = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(0)
exp, per_pid = {}, {}
for line in open(sys.argv[2]):
    f = line.split()
    if f and f[0] == "expect":
        kv = dict(x.split("=", 1) for x in f[1:])
        if "pid" in kv:
            per_pid[int(kv["pid"])] = kv
        elif "dev" not in kv:
            exp.update(kv)
t = snap["counters"]
# with -P a process also gets a row from its histograms alone (all counters
# zero); only rows with counters are rows of the counter table
procs = {p["tgid"]: p["counters"] if "counters" in p else p for p in snap["processes"]}
procs = {k: v for k, v in procs.items() if v["allocs"] or v["frees"] or v["faults"]}
listed = [pid for pid in per_pid if pid in procs]
bad = [pid for pid in listed if procs[pid]["allocs"] != int(per_pid[pid]["allocs"])]
print("totals", "exact" if (t["allocs"], t["frees"], t["pages_to_ram"]) ==
      (int(exp["allocs"]), int(exp["frees"]), int(exp["pages_to_ram"])) else "wrong")
print("rows", len(procs))
print("missing", len(per_pid) - len(listed))
print("listed_exact", "yes" if not bad else "no:" + ",".join(map(str, bad)))
print("lost", snap["lost"].get("processes_map_full", 0))
print("hlost", snap["lost"].get("histograms_map_full", 0))
EOF
)
field() { echo "$full" | awk -v k="$1" '$1 == k { print $2 }'; }
atleast() { [ -n "$1" ] && [ "$1" -ge "$2" ] 2>/dev/null && echo yes || echo "no (${1:-none})"; }
check "full table: totals still exact" exact "$(field totals)"
rows=$(field rows)
check "full table: at most 2 process rows" yes \
	"$([ -n "$rows" ] && [ "$rows" -le 2 ] && echo yes || echo "no (${rows:-none})")"
check "full table: some workload process has no row" yes "$(atleast "$(field missing)" 1)"
check "full table: listed processes have exact allocs" yes "$(field listed_exact)"
check "full table: the loss is counted (processes_map_full > 0)" yes "$(atleast "$(field lost)" 1)"
# 2 processes x 4 kinds: the third process's -P histograms do not fit either
check "full table: the -P histograms shrank with it (histograms_map_full > 0)" yes \
	"$(atleast "$(field hlost)" 1)"
DEVMEM_MAX_PROCS=2 devmemstat -- devmem-workload -p 3 -r 1 -n 4 >"$res/full.txt" 2>&1
check "full table: the text report names the loss" yes \
	"$(grep -q 'processes_map_full' "$res/full.txt" && echo yes || echo no)"
DEVMEM_MAX_PROCS=abc devmemstat >"$res/badenv.out" 2>&1
rc=$?
check "DEVMEM_MAX_PROCS=abc: exit status 14" 14 "$rc"
check "DEVMEM_MAX_PROCS=abc: one sentence naming the variable" 1 \
	"$(grep -c 'DEVMEM_MAX_PROCS .*fix or unset it' "$res/badenv.out")"
tap_done

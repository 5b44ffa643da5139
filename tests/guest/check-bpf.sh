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
	devmemstat -j -P -D $margs -- sh -c "devmem-workload $* >$res/$name.wl 2>&1" \
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
t = snap["totals"]
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

modes=(tracepoints fentry)
margs=("" "--fentry")
for i in 0 1; do
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
	same=$(python3 - "$res/tracepoints-$w.json" "$res/fentry-$w.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
keys = ("allocs", "frees", "pages_to_device", "pages_to_ram", "migrate_calls_to_device", "fault_pages")
diff = [k for k in keys if a["totals"][k] != b["totals"][k]]
diff += [f"hist:{k}" for k in ("migrate_pages", "page_lifetime")
         if a["histograms"][k]["count"] != b["histograms"][k]["count"]]
print(",".join(diff) or "same")
EOF
)
	check "$w workload: tracepoints and fentry fallback agree" same "$same"
done
tap_done

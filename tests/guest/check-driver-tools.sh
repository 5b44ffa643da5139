#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test: what the tools count for the project's test driver
# (tests/driver), whose workload does what test_hmm does not: a
# migrate_to_ram() that returns early when it collected nothing (wasted
# faults), a device with two pagemaps and a pagemap with two ranges
# (windows spanning both), migrations to the device whose allocations
# fail, and a remove while the driver holds pages, released later by a
# kernel worker. devmemstat -j -P -G around it must give every count of
# the workload's expect lines exactly, in total, per process and per
# device, and the held remove its pages in use and a wait within 10% of the
# hold time. Once per attachment mode: the tracepoints where the kernel has
# them (DEVMEM_CHECK_MODES, default "auto fentry" on a kernel with the
# devmem tracepoints, "auto" elsewhere), the fentry fallback always.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-driver-tools.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"
kdir=${DEVMEM_KERNEL_DIR:-}
module=${DEVMEM_DRIVER_MODULE:-$top/build/driver/$(basename "${kdir:-none}")/devmem_testdrv.ko}
workload=${DEVMEM_DRV_WORKLOAD:-$(command -v devmem-drv-workload || echo "$top/build/tests/devmem-drv-workload")}
res=${DEVMEM_RESULTS:-/tmp}/driver-tools
mkdir -p "$res"
[ -r "$module" ] || bail "$module is missing; build it with tests/driver/build.sh KERNEL_DIR"
[ -x "$workload" ] || bail "devmem-drv-workload not found; build it with tests/driver/build.sh KERNEL_DIR"
command -v python3 >/dev/null || bail "python3 is needed to read the JSON output"
grep -qw '^devmem_testdrv' /proc/modules || insmod "$module" || bail "insmod $module failed"
for ((n = 0; n < 50; n++)); do [ -c /dev/devmem_testdrv ] && break; sleep 0.1; done
[ -c /dev/devmem_testdrv ] || bail "/dev/devmem_testdrv did not appear"

if have_series_events; then
	modes=${DEVMEM_CHECK_MODES:-auto fentry}
else
	modes=${DEVMEM_CHECK_MODES:-auto}
fi

for mode in $modes; do
	margs=
	[ "$mode" = fentry ] && margs=--fentry
	name=$mode
	devmemstat -j -P -G $margs -- sh -c "exec '$workload' -T 3000 >'$res/$name.wl' 2>'$res/$name.wl.err'" \
		>"$res/$name.json" 2>"$res/$name.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$name: devmemstat exited with $rc: $(head -c 300 "$res/$name.err")"
		continue
	fi
	while read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done < <(python3 - "$res/$name.json" "$res/$name.wl" "$name" <<'EOF'
import json, sys
snap_path, wl_path, name = sys.argv[1:4]
import os
def check(desc, want, got):
    print(("ok - " if want == got else "not ok - ") + f"{name}: {desc} (expected {want}, got {got})")
doc = json.load(open(snap_path))
exp, per_pid, per_dev, per_pm = {}, {}, {}, []
for line in open(wl_path):
    f = line.split()
    if not f or f[0] != "expect":
        continue
    kv = dict(x.split("=", 1) for x in f[1:])
    if "range" in kv:
        continue
    if "pagemap" in kv:
        per_pm.append(kv)
    elif "pid" in kv:
        per_pid[int(kv["pid"])] = kv
    elif "dev" in kv:
        per_dev[int(kv["dev"])] = kv
    else:
        exp.update(kv)
if "allocs" not in exp:
    print(f"not ok - {name}: the workload printed no expectations")
    sys.exit(0)
# the tools' counter for each workload figure
keys = [("allocs", "allocs"), ("frees", "frees"), ("pages_to_device", "pages_to_device"),
        ("pages_to_ram", "pages_to_ram"), ("fault_calls", "faults"),
        ("faults_wasted", "faults_wasted")]
t = doc["counters"]
for wk, tk in keys:
    check(f"total {tk}", int(exp[wk]), t[tk])
# A migration is a call: the zone_device tracepoints (v3) report every one
# from its migrate_vma_setup(), those that collected nothing too; the
# fallback and v2's devmem_migrate see those that reach migrate_vma_pages().
# The workload's processes make them all; the remove of a pagemap with pages
# in use evicts them in the process that removes it, on the device path
# (migrate_device_range() or migrate_device_pfns(), at least one call),
# which the workload does not count as its migrations.
v3 = os.path.isdir("/sys/kernel/tracing/events/zone_device") and doc["mode"] != "fentry"
calls_key = "migrate_vma_setup_calls" if v3 else "migrate_vma_pages_calls"
def calls(c):
    return c["migrate_calls_to_device"] + c["migrate_calls_to_ram"]
pid_calls = {}
for line in open(wl_path):
    f = line.split()
    if f and f[0] == "expect" and f[1].startswith("pid=") and f"{calls_key}=" in line:
        kv = dict(x.split("=", 1) for x in f[1:])
        pid_calls[int(kv["pid"])] = int(kv[calls_key])
migrating = {pid for pid, n in pid_calls.items() if n}
wl_calls = sum(calls(p["counters"]) for p in doc["processes"] if p["tgid"] in migrating)
check(f"the migrating processes' migrate calls (to the device and to RAM) = {calls_key}",
      int(exp[calls_key]), wl_calls)
evicting = [int(kv["in_use_at_remove"]) for kv in per_pm if int(kv["in_use_at_remove"])]
surplus = calls(t) - wl_calls
check(f"the removes with pages in use evict them: one call each at least, one a page at most "
      f"({len(evicting)} to {sum(evicting)})", True, len(evicting) <= surplus <= sum(evicting))
check("pages collected for the device, failed allocations included",
      int(exp["pages_collected_to_device"]) + int(exp["pages_to_ram"]) > 0, t["pages_collected"] > 0)
check("nothing lost", {}, {k: v for k, v in doc["lost"].items() if v})
# the driver's wasted faults return before migrate_vma_pages(), having collected nothing
check("wasted faults that collected nothing (faults_uncollected)", int(exp["faults_wasted"]),
      t["faults_uncollected"])
check("wasted faults that collected pages but moved none (faults_unmigrated)", 0,
      t["faults_unmigrated"])
check("fault latency samples = faults", int(exp["fault_calls"]), doc["histograms"]["fault_latency"]["count"])
procs = {p["tgid"]: p for p in doc["processes"]}
for pid, kv in sorted(per_pid.items()):
    p = procs.get(pid)
    if p is None:
        check(f"pid {pid} listed", True, False)
        continue
    got = [p["counters"][tk] for _, tk in keys]
    # the main process's held pages are freed by a kernel worker, not by it
    want = [int(kv[wk]) for wk, _ in keys]
    check(f"pid {pid}: allocs frees to_device to_ram faults wasted", want, got)
# devices: the driver names its regions devmem_td<id>; match by their figures
want = sorted(tuple(int(kv[wk]) for wk, _ in keys) for kv in per_dev.values())
devs = [d for d in doc["devices"] if (d["name"] or "").startswith("devmem_td")]
got = sorted(tuple(d["counters"][tk] for _, tk in keys) for d in devs)
check("two devices named devmem_td*, each with its exact figures", want, got)
# pagemaps: each a range of the snapshot (its ranges summed), by its figures
pms = [r for r in doc["ranges"] if r["device"] in {d["name"] for d in devs}]
check("three pagemaps of the driver", len(per_pm), len(pms))
check("pagemaps: allocs and frees each",
      sorted((int(kv["allocs"]), int(kv["frees"])) for kv in per_pm),
      sorted((r["counters"]["allocs"], r["counters"]["frees"]) for r in pms))
check("every pagemap removed", len(per_pm), sum(1 for r in pms if r["removed"]))
held = [kv for kv in per_pm if int(kv["hold_ms"])]
for kv in held:
    hold = int(kv["hold_ms"]) * 1e6
    cand = [r for r in pms if r["in_use_at_remove"] == int(kv["in_use_at_remove"])
            and r["remove_done_ns"] and r["removed_ns"]]
    check(f"the held pagemap: {kv['in_use_at_remove']} pages in use at remove", True, len(cand) >= 1)
    if cand:
        wait = cand[0]["remove_done_ns"] - cand[0]["removed_ns"]
        print(("ok - " if abs(wait - hold) <= 0.1 * hold else "not ok - ") +
              f"{name}: the remove waited {wait / 1e6:.1f} ms for a {hold / 1e6:.0f} ms hold (within 10%)")
wh = doc["histograms"]["remove_wait"]
check("remove wait samples = pagemaps removed", len(per_pm), wh["count"])
EOF
)
done
tap_done

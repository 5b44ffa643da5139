#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test: no BPF program of the tools runs long at any device size.
# The test driver adds a sparse device of DEVMEM_BIG_GIB GiB (64 by
# default: boot the guest with DEVMEM_MEM=4G for its struct pages), puts
# DEVMEM_BIG_PAGES pages of one mapping on it and removes it while they are
# mapped: the driver evicts them all, with one migrate_device_range() over
# every pfn of the device (--whole), as test_hmm and nouveau do. devmemstat
# traces it (the mode the kernel gives; DEVMEM_CHECK_MODE_ARGS=--fentry
# forces the fallback) while progtime times every run of every program it
# loaded. Every program's longest run must be at most DEVMEM_MAX_RUN_US
# (50 us) in this guest, and the figures exact: the pages evicted, the
# pages in use at the remove.
#
# Boot the guest with DEVMEM_ICOUNT=0 (tests/guest/run.sh): its clock then
# counts instructions, 1 ns each, stricter than any CPU that runs the
# tools. Timed by the host's clock instead, a run also holds what TCG spends
# translating code it runs for the first time (a program's first run, and
# the remove's programs run once: 0.3 to 10 ms measured) and the time the
# host gave the vCPU thread to other work (milliseconds on a loaded host).
#
#   DEVMEM_ICOUNT=0 DEVMEM_MEM=4G tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-bounded.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"
res=${DEVMEM_RESULTS:-/tmp}/bounded${DEVMEM_CHECK_MODE_ARGS:+-fentry}
mkdir -p "$res"
m=${DEVMEM_CHECK_MODE_ARGS:-}
gib=${DEVMEM_BIG_GIB:-64}
pages=${DEVMEM_BIG_PAGES:-4096}
max_us=${DEVMEM_MAX_RUN_US:-50}
kdir=${DEVMEM_KERNEL_DIR:-}
module=${DEVMEM_DRIVER_MODULE:-$top/build/driver/$(basename "${kdir:-none}")/devmem_testdrv.ko}
progtime=$top/build/tests/progtime

[ -x "$progtime" ] || bail "$progtime is missing; tests/guest/build.sh builds it"
command -v python3 >/dev/null || bail "python3 is needed to read the JSON output"
grep -qw '^devmem_testdrv' /proc/modules || insmod "$module" || bail "insmod $module failed"
for ((n = 0; n < 50; n++)); do [ -c /dev/devmem_testdrv ] && break; sleep 0.1; done
[ -c /dev/devmem_testdrv ] || bail "/dev/devmem_testdrv did not appear"
mem_kib=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)
[ "$mem_kib" -ge $((gib * 1024 * 1024 / 64 + 524288)) ] ||
	bail "a $gib GiB device needs $((gib / 64)) GiB for its struct pages; the guest has $((mem_kib / 1024)) MiB: boot it with DEVMEM_MEM=4G"

# wait_for FILE PATTERN: until FILE has a line matching PATTERN (120 s at most)
wait_for() {
	for ((i = 0; i < 1200; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

rm -f "$res/ready" "$res/times"
# shellcheck disable=SC2086
devmemstat $m -j -G >"$res/stat.json" 2>"$res/stat.err" &
stat_pid=$!
"$progtime" "$res/ready" "$res/times" 2>"$res/progtime.err" &
pt_pid=$!
for ((i = 0; i < 1200; i++)); do [ -e "$res/ready" ] && break; sleep 0.1; done
[ -e "$res/ready" ] || not_ok "progtime did not attach: $(head -c 300 "$res/progtime.err")"
devmem-drv-workload --big "$pages" --big-gib "$gib" --whole >"$res/big.wl" 2>&1
check "the driver's workload on a $gib GiB device" 0 "$?"
sleep 1
kill -INT "$pt_pid"
wait "$pt_pid"
kill -INT "$stat_pid"
wait "$stat_pid"
check "devmemstat exit status" 0 "$?"

# python's "ok - ..." lines as TAP lines of this script
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

tap_from python3 - "$res" "$max_us" <<'EOF'
import json, os, sys
res, max_us = sys.argv[1], float(sys.argv[2])
def check(desc, ok, detail):
    print(("ok - " if ok else "not ok - ") + f"{desc} ({detail})")
want = {}
for line in open(os.path.join(res, "big.wl")):
    f = line.split()
    if f and f[0] == "expect":
        want.update(dict(x.split("=", 1) for x in f[1:]))
times = []
for line in open(os.path.join(res, "times")):
    name, how, runs, mx, mean = line.split()
    if int(runs):
        times.append((name, how, int(runs), None if mx == "-" else int(mx), int(mean)))
check("programs ran during the remove", len(times) > 0, f"{len(times)} programs")
for name, how, runs, mx, mean in sorted(times):
    if how == "traced":
        check(f"{name}: longest of {runs} runs at most {max_us:g} us", mx <= max_us * 1000,
              f"{mx / 1000:.1f} us, mean {mean / 1000:.1f} us")
    else:
        # a kernel where tracing programs cannot be traced: the mean, exact for one run
        check(f"{name}: mean of {runs} runs at most {max_us:g} us (this kernel times no single run)",
              mean <= max_us * 1000, f"{mean / 1000:.1f} us")
snap = json.load(open(os.path.join(res, "stat.json")))
evicted = int(want["evicted"])
dev = [d for d in snap["devices"] if d["counters"]["pages_to_ram"]]
got = sum(d["counters"]["pages_to_ram"] for d in dev)
check("pages evicted, exact", got == evicted, f"expected {evicted}, got {got}")
check("pages to the device, exact", snap["counters"]["pages_to_device"] == int(want["big_pages"]),
      f"expected {want['big_pages']}, got {snap['counters']['pages_to_device']}")
big = [x for x in snap["ranges"] if x["pages"] == int(want["big_range_pages"])]
check("the big device's range was seen", len(big) == 1, f"{len(big)} ranges of {want['big_range_pages']} pages")
if big:
    iu = big[0].get("in_use_at_remove")
    check("pages in use at the remove, exact", iu == int(want["in_use_after_evict"]),
          f"expected {want['in_use_after_evict']}, got {iu}")
EOF
tap_done

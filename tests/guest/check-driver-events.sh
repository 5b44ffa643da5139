#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of the devmem events of the second version of the series with
# the project's test driver and tracefs only (no BPF, no kprobes), in the
# shapes test_hmm cannot make:
#   - migrations to the device whose destination allocations fail: to_device,
#     no destination pagemap, the pages collected and not migrated;
#   - windows interleaved over a device's two pagemaps: one event per pagemap,
#     both named, both the device's;
#   - the reason of a migration: a CPU fault, the driver's own request, an
#     eviction by a remove;
#   - a memremap_pages() that fails (a range beyond the hotpluggable physical
#     space), with one and with two ranges: one add event with the error and
#     no remove, where the first version reported a remove without an add.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-driver-events.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"
kdir=${DEVMEM_KERNEL_DIR:-}
res=${DEVMEM_RESULTS:-/tmp}/driver-events
mkdir -p "$res"
module=${DEVMEM_DRIVER_MODULE:-$top/build/driver/$(basename "${kdir:-none}")/devmem_testdrv.ko}
workload=${DEVMEM_DRV_WORKLOAD:-$(command -v devmem-drv-workload || echo "$top/build/tests/devmem-drv-workload")}
tr=/sys/kernel/tracing
ev=$tr/events/devmem

[ -d "$ev" ] || { not_ok "tracefs has no devmem events (is this the patched kernel?)"; tap_done; exit; }
[ -r "$module" ] || bail "$module is missing; build it with tests/driver/build.sh KERNEL_DIR"
[ -x "$workload" ] || bail "devmem-drv-workload not found; build it with tests/driver/build.sh KERNEL_DIR"

grep -qw '^devmem_testdrv' /proc/modules && rmmod devmem_testdrv 2>/dev/null
insmod "$module" || bail "insmod $module failed"
n=0
while [ ! -c /dev/devmem_testdrv ]; do
	n=$((n + 1))
	[ $n -gt 50 ] && bail "/dev/devmem_testdrv did not appear in 5 s"
	sleep 0.1
done

trace_start() {
	echo 0 >"$tr/tracing_on"
	echo 0 >"$tr/events/enable"
	echo >"$tr/trace"
	echo 16384 >"$tr/buffer_size_kb"
	echo 1 >"$ev/enable"
	echo 1 >"$tr/tracing_on"
}
# trace_save FILE: stop tracing, keep the events, check nothing was overrun.
trace_save() {
	local lost
	echo 0 >"$tr/tracing_on"
	echo 0 >"$ev/enable"
	cat "$tr/trace" >"$1"
	lost=$(awk '/^# entries-in-buffer/ { split($3, a, "/"); print a[2] - a[1] }' "$1")
	[ "${lost:-0}" -eq 0 ] || not_ok "the trace buffer lost $lost events; raise buffer_size_kb"
}
# The awk prologue: f[] holds the key=value fields of a line, pid its task.
fields='function parse() {
	delete f
	for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) f[kv[1]] = kv[2]
	pid = ""; if (match($0, /-[0-9]+ +\[/)) pid = substr($0, RSTART + 1, RLENGTH - 1); sub(/ +\[$/, "", pid)
}
'
# nev FILE EVENT [AWK-CONDITION], sumev FILE EVENT FIELD [AWK-CONDITION]
nev() { awk -v e="$2:" "$fields"'$0 ~ (" " e " ") { parse(); if ('"${3:-1}"') n++ } END { print n + 0 }' "$1"; }
sumev() { awk -v e="$2:" -v k="$3" "$fields"'$0 ~ (" " e " ") { parse(); if ('"${4:-1}"') s += f[k] } END { print s + 0 }' "$1"; }
# expect FILE KEY: KEY of the workload's total "expect" line (not a process's,
# a pagemap's or a range's).
expect() {
	awk -v k="$2" '/^expect / && !/ pid=| dev=| pagemap=| range=/ {
		for (i = 2; i <= NF; i++) if (split($i, kv, "=") == 2 && kv[1] == k) { print kv[2]; exit }
	}' "$1"
}

# --- 1. the default workload ----------------------------------------------------
trace_start
"$workload" >"$res/workload.out" 2>&1
wrc=$?
t=$res/trace-workload.txt
trace_save "$t"
check "workload exit status" 0 "$wrc"
wl=$res/workload.out
mig=devmem_migrate

# Failed destination allocations: to_device, no destination pagemap, collected, not moved.
check "failed allocations: to_device parts without a destination page, pages collected" \
	"$(expect "$wl" alloc_failures)" \
	"$(sumev "$t" $mig cpages 'f["dir"] == "to_device" && f["dst_pgmap"] == "0x0"')"
check "failed allocations: none of those pages counted as migrated" 0 \
	"$(sumev "$t" $mig migrated 'f["dst_pgmap"] == "0x0" && f["dir"] == "to_device"')"
check "failed allocations: no to_ram event without a pagemap on either side" 0 \
	"$(nev "$t" $mig 'f["dir"] == "to_ram" && f["src_pgmap"] == "0x0"')"
check "the whole-window failure (every allocation failing) is to_device with migrated=0" 1 \
	"$(awk "$fields"'/ devmem_migrate: / { parse(); if (f["dir"] == "to_device" && f["part"] == 0 && f["dst_pgmap"] == "0x0" && f["migrated"] == 0 && f["cpages"] > 0 && f["cpages"] == f["npages"]) n++ } END { print (n > 0) }' "$t")"

# Pages and windows.
check "pages migrated to the device" "$(expect "$wl" pages_to_device)" \
	"$(sumev "$t" $mig migrated 'f["dir"] == "to_device"')"
check "pages collected for the device (cpages over the parts)" "$(expect "$wl" pages_collected_to_device)" \
	"$(sumev "$t" $mig cpages 'f["dir"] == "to_device"')"
check "pages migrated back to RAM" "$(expect "$wl" pages_to_ram)" \
	"$(sumev "$t" $mig migrated 'f["dir"] == "to_ram"')"
check "migrate_vma_pages() windows (part 0, fault or driver)" "$(expect "$wl" migrate_vma_pages_calls)" \
	"$(nev "$t" $mig 'f["part"] == 0 && (f["reason"] == "fault" || f["reason"] == "driver")')"

# Windows over two pagemaps: every part named, both the device's.
awk "$fields"'
/ devmem_pagemap_add: / { parse(); owner[f["pgmap"]] = f["owner"] }
/ devmem_migrate: / {
	parse()
	if (f["dir"] != "to_device" || f["dst_pgmap"] == "0x0") next
	if (f["part"] == 0 || !(pid in win)) { flush(pid); win[pid] = 1 }
	names[pid] = names[pid] " " f["dst_pgmap"]; own[pid] = f["owner"]
}
function flush(p,   n, a, i, d, bad) {
	if (!(p in names)) return
	n = split(names[p], a, " "); d = 0; bad = 0
	delete seen
	for (i = 1; i <= n; i++) {
		if (!(a[i] in seen)) { seen[a[i]] = 1; d++ }
		if (owner[a[i]] != own[p]) bad = 1
	}
	if (d >= 2) spanning++
	if (d >= 2 && bad) foreign++
	delete names[p]
}
END { for (p in names) flush(p); print spanning + 0, foreign + 0 }' "$t" >"$res/spanning.txt"
read -r spanning foreign <"$res/spanning.txt"
if [ "${spanning:-0}" -ge 1 ] && [ "$spanning" -le "$(expect "$wl" windows_spanning_ranges)" ]; then
	ok "windows over two pagemaps name both ($spanning windows, at most $(expect "$wl" windows_spanning_ranges) span ranges)"
else
	not_ok "windows over two pagemaps name both: $spanning windows (want 1 to $(expect "$wl" windows_spanning_ranges))"
fi
check "the two pagemaps of such a window are the migrating device's (same owner)" 0 "${foreign:-1}"

# Reasons: a CPU fault, the driver's request.
check "devmem_fault events: every migrate_to_ram() call" "$(expect "$wl" fault_calls)" "$(nev "$t" devmem_fault)"
check "devmem_fault_done events: every migrate_to_ram() return" "$(expect "$wl" fault_calls)" "$(nev "$t" devmem_fault_done)"
check "reason=fault windows: the faults that did not return early" \
	"$(($(expect "$wl" fault_calls) - $(expect "$wl" faults_wasted)))" \
	"$(nev "$t" $mig 'f["part"] == 0 && f["reason"] == "fault"')"
check "reason=fault windows are all to_ram" 0 "$(nev "$t" $mig 'f["reason"] == "fault" && f["dir"] != "to_ram"')"
check "reason=driver: every to_device window" \
	"$(nev "$t" $mig 'f["part"] == 0 && f["dir"] == "to_device"')" \
	"$(nev "$t" $mig 'f["part"] == 0 && f["dir"] == "to_device" && f["reason"] == "driver"')"
n=$(nev "$t" $mig 'f["part"] == 0 && f["dir"] == "to_ram" && f["reason"] == "driver"')
if [ "$n" -ge 1 ]; then ok "reason=driver: the MIGRATE_TO_RAM ioctl's windows ($n)"; else not_ok "no to_ram window with reason=driver"; fi
check "fault flags are symbolic and never empty" 0 "$(nev "$t" devmem_fault 'f["flags"] == "" || f["flags"] ~ /^0x/')"
check "fault results print a value (0 or flags)" 0 "$(nev "$t" devmem_fault_done '!("ret" in f) || f["ret"] == ""')"
check "page events: every page event covers 2^order pages, order 0 here" 0 \
	"$(nev "$t" devmem_page_alloc 'f["order"] != 0')"

# --- 2. an eviction by a remove --------------------------------------------------
trace_start
"$workload" --evict 8 >"$res/evict.out" 2>&1
wrc=$?
t=$res/trace-evict.txt
trace_save "$t"
check "evict workload exit status" 0 "$wrc"
check "the driver evicted every page" 8 "$(expect "$res/evict.out" driver_evicted)"
check "reason=evict windows (one per page)" 8 "$(nev "$t" $mig 'f["reason"] == "evict"')"
check "reason=evict: pages migrated to RAM" 8 "$(sumev "$t" $mig migrated 'f["reason"] == "evict" && f["dir"] == "to_ram"')"
pg=$(awk "$fields"'/ devmem_pagemap_add: / { parse(); print f["pgmap"]; exit }' "$t")
check "reason=evict: the source is the removed pagemap, the destination RAM" 8 \
	"$(nev "$t" $mig "f[\"reason\"] == \"evict\" && f[\"src_pgmap\"] == \"$pg\" && f[\"dst_pgmap\"] == \"0x0\"")"
check "the evicting remove: remove and remove_done" "1 1" \
	"$(nev "$t" devmem_pagemap_remove) $(nev "$t" devmem_pagemap_remove_done)"

# --- 3. memremap_pages() failures ------------------------------------------------
for nr in 1 2; do
	trace_start
	"$workload" --bogus-add $nr >"$res/bogus-$nr.out" 2>&1
	wrc=$?
	t=$res/trace-bogus-$nr.txt
	trace_save "$t"
	check "bogus add of $nr range(s): the ioctl fails with EINVAL" "0 22" "$wrc $(expect "$res/bogus-$nr.out" bogus_add_errno)"
	check "bogus add of $nr range(s): one devmem_pagemap_add with error=-22" 1 \
		"$(nev "$t" devmem_pagemap_add "f[\"error\"] == -22 && f[\"nr_range\"] == $nr")"
	check "bogus add of $nr range(s): no successful add, no remove, no remove_done" "0 0 0" \
		"$(nev "$t" devmem_pagemap_add 'f["error"] == 0') $(nev "$t" devmem_pagemap_remove) $(nev "$t" devmem_pagemap_remove_done)"
done
check "no pagemap of the test driver is left in debugfs" 0 \
	"$(grep -c 'devmem_testdrv' /sys/kernel/debug/devmem/pagemaps 2>/dev/null)"

rmmod devmem_testdrv || not_ok "rmmod devmem_testdrv"
tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of the zone_device events (kernel series v3) with the project's
# test driver and tracefs only (no BPF, no kprobes), in the shapes test_hmm
# cannot make, every count against what devmem-drv-workload did:
#   - folios handed out and freed, per pagemap of two devices, one of them
#     with a pagemap of two ranges;
#   - migrations to the device whose destination allocations fail: collected
#     at the start, not migrated at the end;
#   - windows interleaved over a device's two pagemaps: the folio events name
#     both pagemaps, exactly for the windows the workload made span them;
#   - every migration's start and end paired one to one, with the latency;
#   - the reason of every migration the driver makes (device_fault, prefetch,
#     evict, unknown) and of its faults (cpu_fault, which the driver leaves
#     to the kernel), per process;
#   - faults whose migrate_to_ram() returns early: a start that collected
#     nothing and no end;
#   - a remove with pages still held: in_use at the remove, and the wait
#     until remove_done at least as long as the pages were held;
#   - a remove with pages still mapped: the eviction (zone_device_pool's, or
#     the driver's own with --whole) moves every one of them, with its reason
#     (remove or evict);
#   - a memremap_pages() that fails, with one and with two ranges: one add
#     event with the error and no remove.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-driver-events.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"
. "$top/tests/driver/tracefs-lib.sh"
kdir=${DEVMEM_KERNEL_DIR:-}
res=${DEVMEM_RESULTS:-/tmp}/driver-events
mkdir -p "$res"
module=${DEVMEM_DRIVER_MODULE:-$top/build/driver/$(basename "${kdir:-none}")/devmem_testdrv.ko}
workload=${DEVMEM_DRV_WORKLOAD:-$(command -v devmem-drv-workload || echo "$top/build/tests/devmem-drv-workload")}

zd_have_events || bail "tracefs has no zone_device events (is this a kernel with the series v3?)"
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

# expect FILE KEY: KEY of the workload's total "expect" line (not a process's,
# a pagemap's or a range's).
expect() {
	awk -v k="$2" '/^expect / && !/ pid=| dev=| pagemap=| range=/ {
		for (i = 2; i <= NF; i++) if (split($i, kv, "=") == 2 && kv[1] == k) { print kv[2]; exit }
	}' "$1"
}
# The worker processes, from the workload's per-process lines.
workers() { awk '/^expect pid=[0-9]+ dev=/ { split($2, a, "="); print a[2] }' "$1" | sort -u | tr '\n' ' '; }

# --- 1. the default workload ---------------------------------------------------
zd_trace_start
"$workload" -T 1000 >"$res/workload.out" 2>&1
wrc=$?
t=$res/trace-workload.txt
zd_trace_save "$t"
wl=$res/workload.out
check "workload exit status" 0 "$wrc"
grep -v '^expect' "$wl" | sed 's/^/# /'
w=" $(workers "$wl")"
inw="index(\"$w\", \" \" pid \" \") > 0"

check "folios handed out: every page the workload had allocated" "$(expect "$wl" allocs)" \
	"$(awk "$zd_awk"'/ zone_device_folio_alloc: / { parse(); n += 2 ^ f["order"] } END { print n + 0 }' "$t")"
check "folios freed: every page the workload freed" "$(expect "$wl" frees)" \
	"$(awk "$zd_awk"'/ zone_device_folio_free: / { parse(); n += 2 ^ f["order"] } END { print n + 0 }' "$t")"
check "the test driver hands out order-0 folios only" 0 "$(zd_nev "$t" zone_device_folio_alloc 'f["order"] != 0')"
check "pagemaps added (memremap_pages()), all of them successfully" "$(expect "$wl" pagemaps_added) 0" \
	"$(zd_nev "$t" zone_device_pagemap_add) $(zd_nev "$t" zone_device_pagemap_add 'f["error"] != 0')"
check "pagemaps removed, each followed by its remove_done" \
	"$(expect "$wl" pagemaps_removed) $(expect "$wl" pagemaps_removed)" \
	"$(zd_nev "$t" zone_device_pagemap_remove) $(zd_nev "$t" zone_device_pagemap_remove_done)"

# Migrations to the device: collected at the start, failed allocations not migrated.
sys='f["flags"] ~ /SYSTEM/'
check "migrations to the device: one start per window" "$(expect "$wl" migrate_to_device_calls)" \
	"$(zd_nev "$t" zone_device_migrate_start "$sys")"
check "pages collected for the device (start events)" "$(expect "$wl" pages_collected_to_device)" \
	"$(zd_sum "$t" zone_device_migrate_start nr_pages "$sys")"
check "pages migrated to the device (end events)" "$(expect "$wl" pages_to_device)" \
	"$(zd_sum "$t" zone_device_migrate_end nr_pages "$sys")"
check "failed allocations: collected minus migrated" "$(expect "$wl" alloc_failures)" \
	"$(($(zd_sum "$t" zone_device_migrate_start nr_pages "$sys") - $(zd_sum "$t" zone_device_migrate_end nr_pages "$sys")))"
check "the window whose every allocation failed: its end migrated nothing" 1 \
	"$(awk "$zd_awk"'/ zone_device_migrate_end: / { parse(); if (f["flags"] ~ /SYSTEM/ && f["nr_pages"] == 0 && f["npages"] > 0) n++ } END { print (n > 0) }' "$t")"
check "pages moved to a device pagemap (folio events)" "$(expect "$wl" pages_to_device)" \
	"$(zd_sum "$t" zone_device_migrate_folios nr_pages 'f["src_pgmap"] == "0x0" && f["dst_pgmap"] != "0x0"')"
check "pages moved back to system memory (folio events)" "$(expect "$wl" pages_to_ram)" \
	"$(zd_sum "$t" zone_device_migrate_folios nr_pages 'f["src_pgmap"] != "0x0" && f["dst_pgmap"] == "0x0"')"

# Starts and ends, one to one.
read -r starts empty ends orphans open nested endpages fpages mismatched med max <<<"$(zd_pairs "$t" "$inw")"
echo "# the workers' migrations: $starts starts ($empty collected nothing), $ends ends; latency median $med us, max $max us"
check "the workers' migrate_vma_setup() calls: one start each" "$(expect "$wl" migrate_vma_setup_calls)" "$starts"
check "the workers' migrations that collected pages: one end each" "$(expect "$wl" migrate_vma_finalize_calls)" "$ends"
check "no end without its start, none left open, none nested" "0 0 0" "$orphans $open $nested"
check "the folio events of each migration add up to its end" "0 $endpages" "$mismatched $fpages"

# Windows over two pagemaps of device 0: the folio events name both.
spanning=$(awk "$zd_awk"'
	/ zone_device_migrate_folios: / {
		parse(); k = pid "/" f["src"]
		p = f["src_pgmap"] != "0x0" ? f["src_pgmap"] : f["dst_pgmap"]
		if (index(pms[k] " ", " " p " ") == 0) { pms[k] = pms[k] " " p; npm[k]++ }
		next
	}
	/ zone_device_migrate_end: / { parse(); k = pid "/" f["src"]; if (npm[k] >= 2) n++; delete npm[k]; delete pms[k] }
	END { print n + 0 }' "$t")
devspan=$(awk '/^expect dev=0 / { for (i = 2; i <= NF; i++) if ($i ~ /^windows_spanning_ranges=/) { split($i, kv, "="); print kv[2] } }' "$wl")
check "windows over device 0's two pagemaps name both (device 1's two ranges are one pagemap)" "$devspan" "$spanning"

# Reasons, per worker and in total.
for r in unknown cpu_fault device_fault prefetch evict; do
	got=$(awk "$zd_awk"'/ zone_device_migrate_(start|end): / { parse(); if (!('"$inw"') || f["reason"] != "'$r'") next
		if ($0 ~ /_start:/) s++; else { e++; p += f["nr_pages"] } } END { print s + 0, e + 0, p + 0 }' "$t")
	check "reason $r: starts, ends and pages migrated" \
		"$(expect "$wl" starts_$r) $(expect "$wl" ends_$r) $(expect "$wl" pages_$r)" "$got"
done
check "the workers' migrations have no other reason" 0 \
	"$(zd_nev "$t" zone_device_migrate_start "$inw"' && (f["reason"] == "remove" || f["reason"] == "longterm_pin")')"
for p in $w; do
	got=$(awk "$zd_awk"'/ zone_device_migrate_start: / { parse(); if (pid == '"$p"' && f["reason"] == "device_fault") n++ } END { print n + 0 }' "$t")
	want=$(awk -v p="$p" '$1 == "expect" && $2 == "pid=" p && / migrate_reasons=/ { for (i = 3; i <= NF; i++) if ($i ~ /^starts_device_fault=/) { split($i, kv, "="); print kv[2] } }' "$wl")
	check "worker $p: its device_fault migrations" "$want" "$got"
done

# Faults: every migrate_to_ram() call, the early returns, nothing busy.
check "zone_device_fault: every migrate_to_ram() call" "$(expect "$wl" fault_calls)" "$(zd_nev "$t" zone_device_fault)"
check "zone_device_fault_done: every return" "$(expect "$wl" fault_calls)" "$(zd_nev "$t" zone_device_fault_done)"
check "faults whose migrate_vma_setup() collected nothing (the driver returned early)" \
	"$(expect "$wl" faults_wasted)" "$(zd_nev "$t" zone_device_migrate_start 'f["reason"] == "cpu_fault" && f["nr_pages"] == 0')"
check "no fault found its page locked (zone_device_fault_busy)" 0 "$(zd_nev "$t" zone_device_fault_busy)"
check "fault flags are printed by name" 0 "$(zd_nev "$t" zone_device_fault 'f["flags"] ~ /0x/ || f["flags"] == ""')"

# The remove of pagemap 1 with pages held, released -T ms after it began.
in_use=$(expect "$wl" in_use_at_remove)
hold=$(expect "$wl" hold_ms)
check "one remove found pages in use: the pages the workload held" "$in_use" \
	"$(zd_sum "$t" zone_device_pagemap_remove in_use)"
waited=$(awk "$zd_awk"'/ zone_device_pagemap_remove(_done)?: / { parse()
	if ($0 ~ /_done:/) { if (f["pgmap"] in t0) print int((ts - t0[f["pgmap"]]) / 1000) } else if (f["in_use"] > 0) t0[f["pgmap"]] = ts }' "$t")
# The release is due -T ms after the driver began the remove, and the remove
# event comes a little later (after an RCU grace period, and the pool's
# eviction pass): 90% of the hold is the bound.
if [ -n "$waited" ] && [ "$waited" -ge $((hold * 9 / 10)) ]; then
	ok "the remove with pages held waited for them: $waited ms from remove to remove_done, held $hold ms"
else
	not_ok "the remove with pages held: ${waited:-no} ms from remove to remove_done, held $hold ms"
fi

# --- 2. removes of pagemaps that processes still map --------------------------
for mode in pool whole; do
	zd_trace_start
	args="--evict 40"
	[ $mode = whole ] && args="$args --whole"
	"$workload" $args >"$res/evict-$mode.out" 2>&1
	wrc=$?
	t=$res/trace-evict-$mode.txt
	zd_trace_save "$t"
	eo=$res/evict-$mode.out
	check "evict ($mode): workload exit status" 0 "$wrc"
	reason=$(expect "$eo" evict_reason)
	[ -n "$reason" ] || reason=$(sed -n 's/^expect .* evict_reason=\([a-z]*\) .*/\1/p' "$eo")
	check "evict ($mode): the driver says the remove evicted every page" "40 40" \
		"$(expect "$eo" evicted) $(expect "$eo" driver_evicted)"
	check "evict ($mode): pages migrated to RAM with reason $reason" 40 \
		"$(zd_sum "$t" zone_device_migrate_end nr_pages "f[\"reason\"] == \"$reason\"")"
	check "evict ($mode): their source is the removed pagemap, their destination RAM" 40 \
		"$(zd_sum "$t" zone_device_migrate_folios nr_pages 'f["src_pgmap"] != "0x0" && f["dst_pgmap"] == "0x0"')"
	check "evict ($mode): nothing in use any more at the remove event (after the kill)" "0 0" \
		"$(expect "$eo" in_use_after_evict) $(zd_sum "$t" zone_device_pagemap_remove in_use)"
	check "evict ($mode): remove and remove_done" "1 1" \
		"$(zd_nev "$t" zone_device_pagemap_remove) $(zd_nev "$t" zone_device_pagemap_remove_done)"
	check "evict ($mode): no CPU fault, the data came back with the eviction" 0 "$(zd_nev "$t" zone_device_fault)"
	read -r starts empty ends orphans open nested endpages fpages mismatched med max <<<"$(zd_pairs "$t")"
	check "evict ($mode): every start with pages has its end" "0 0 0 $((starts - empty))" "$orphans $open $nested $ends"
done

# --- 3. memremap_pages() failures ---------------------------------------------
for nr in 1 2; do
	zd_trace_start
	"$workload" --bogus-add $nr >"$res/bogus-$nr.out" 2>&1
	wrc=$?
	t=$res/trace-bogus-$nr.txt
	zd_trace_save "$t"
	check "bogus add of $nr range(s): the ioctl fails with EINVAL" "0 22" "$wrc $(expect "$res/bogus-$nr.out" bogus_add_errno)"
	check "bogus add of $nr range(s): one zone_device_pagemap_add with error=-22" 1 \
		"$(zd_nev "$t" zone_device_pagemap_add "f[\"error\"] == -22 && f[\"nr_range\"] == $nr")"
	check "bogus add of $nr range(s): no successful add, no remove, no remove_done" "0 0 0" \
		"$(zd_nev "$t" zone_device_pagemap_add 'f["error"] == 0') $(zd_nev "$t" zone_device_pagemap_remove) $(zd_nev "$t" zone_device_pagemap_remove_done)"
done
check "no pagemap of the test driver is left in debugfs" 0 \
	"$(grep -c 'devmem_td' /sys/kernel/debug/zone_device/pagemaps 2>/dev/null)"

rmmod devmem_testdrv || not_ok "rmmod devmem_testdrv"
tap_done

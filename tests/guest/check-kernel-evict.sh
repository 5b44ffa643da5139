#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of the eviction at remove of the kernel series v3
# (zone_device_pool_remove()) with the project's test driver and tracefs only:
# a device of 64 GiB of device private memory (the test driver's
# DEVMEM_TD_SPARSE pagemap) with thousands of pages mapped by a process when
# its pagemap is removed. The remove must evict every one of them and finish
# without waiting for the process: nothing in use when memunmap_pages()
# begins, remove_done at once, the data intact, no fault afterwards. Then the
# same with the driver's own eviction, one migrate_device_range() over the
# whole 64 GiB range (DEVMEM_TD_EVICT_WHOLE), for the BPF checks of big
# windows.
#
#   DEVMEM_MEM=4G tests/guest/run.sh -k KERNEL_DIR -t 1800 -- tests/guest/check-kernel-evict.sh
#
# Environment: ZD_BIG_PAGES (default 4096) pages in use at the remove,
# ZD_BIG_GIB (default 64) the size of the device.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"
. "$top/tests/driver/tracefs-lib.sh"
kdir=${DEVMEM_KERNEL_DIR:-}
res=${DEVMEM_RESULTS:-/tmp}/kernel-evict
mkdir -p "$res"
module=${DEVMEM_DRIVER_MODULE:-$top/build/driver/$(basename "${kdir:-none}")/devmem_testdrv.ko}
workload=${DEVMEM_DRV_WORKLOAD:-$(command -v devmem-drv-workload || echo "$top/build/tests/devmem-drv-workload")}
pages=${ZD_BIG_PAGES:-4096}
gib=${ZD_BIG_GIB:-64}

zd_have_events || bail "tracefs has no zone_device events (is this a kernel with the series v3?)"
grep -qw zone_device_pool_add /proc/kallsyms || bail "the kernel has no zone_device_pool_add()"
[ -r "$module" ] || bail "$module is missing; build it with tests/driver/build.sh KERNEL_DIR"
mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
need_kb=$((gib * 1024 * 1024 / 64 + 512 * 1024))
[ "$mem_kb" -ge "$need_kb" ] ||
	bail "the guest has $((mem_kb / 1024)) MiB; a $gib GiB device needs about $((need_kb / 1024)) MiB: run with DEVMEM_MEM=4G"

grep -qw '^devmem_testdrv' /proc/modules && rmmod devmem_testdrv 2>/dev/null
insmod "$module" || bail "insmod $module failed"
n=0
while [ ! -c /dev/devmem_testdrv ]; do
	n=$((n + 1))
	[ $n -gt 50 ] && bail "/dev/devmem_testdrv did not appear in 5 s"
	sleep 0.1
done

expect() { awk -v k="$2" '$1 == "expect" { for (i = 2; i <= NF; i++) if (split($i, kv, "=") == 2 && kv[1] == k) { print kv[2]; exit } }' "$1"; }
range_pages=$((gib * 262144))

for mode in pool whole; do
	args="--big $pages --big-gib $gib"
	[ $mode = whole ] && args="$args --whole"
	zd_trace_start
	"$workload" $args >"$res/$mode.out" 2>&1
	rc=$?
	t=$res/trace-$mode.txt
	zd_trace_save "$t"
	o=$res/$mode.out
	sed 's/^/# /' "$o"
	check "$mode: devmem-drv-workload $args: exit status (data intact after the eviction)" 0 "$rc"
	reason=$([ $mode = pool ] && echo remove || echo evict)
	check "$mode: the pagemap added is $gib GiB, added with the pool" "1 1" \
		"$(zd_nev "$t" zone_device_pagemap_add "f[\"nr_pages\"] == $range_pages && f[\"error\"] == 0") $(expect "$o" helper)"
	check "$mode: every page in use was evicted (the driver's count)" "$pages $pages" \
		"$(expect "$o" evicted) $(expect "$o" driver_evicted)"
	check "$mode: pages migrated back by the remove, reason $reason (end events)" "$pages" \
		"$(zd_sum "$t" zone_device_migrate_end nr_pages "f[\"reason\"] == \"$reason\"")"
	check "$mode: their folio events: from the device pagemap to system memory" "$pages" \
		"$(zd_sum "$t" zone_device_migrate_folios nr_pages 'f["src_pgmap"] != "0x0" && f["dst_pgmap"] == "0x0"')"
	if [ $mode = whole ]; then
		check "whole: one eviction window over the whole range" "1 $range_pages" \
			"$(zd_nev "$t" zone_device_migrate_start 'f["reason"] == "evict"') $(zd_sum "$t" zone_device_migrate_start npages 'f["reason"] == "evict"')"
	else
		check "pool: the eviction windows hold the pages in use only (512 at most each)" \
			"$(((pages + 511) / 512)) $pages" \
			"$(zd_nev "$t" zone_device_migrate_start 'f["reason"] == "remove" && f["nr_pages"] > 0') $(zd_sum "$t" zone_device_migrate_start npages 'f["reason"] == "remove" && f["nr_pages"] > 0')"
	fi
	check "$mode: nothing in use any more at the remove event (after the kill)" "0 0" \
		"$(expect "$o" in_use_after_evict) $(zd_sum "$t" zone_device_pagemap_remove in_use)"
	waited=$(awk "$zd_awk"'/ zone_device_pagemap_remove(_done)?: / { parse()
		if ($0 ~ /_done:/) { if (f["pgmap"] in t0) print int((ts - t0[f["pgmap"]]) / 1000) } else t0[f["pgmap"]] = ts }' "$t")
	if [ -n "$waited" ] && [ "$waited" -lt 1000 ]; then
		ok "$mode: the remove did not wait for the process: $waited ms from remove to remove_done"
	else
		not_ok "$mode: from remove to remove_done: ${waited:-no remove_done} ms"
	fi
	check "$mode: no CPU fault: the process found its data in RAM" 0 "$(zd_nev "$t" zone_device_fault)"
	check "$mode: every page handed out was freed" \
		"$(zd_nev "$t" zone_device_folio_alloc)" "$(zd_nev "$t" zone_device_folio_free)"
	read -r starts empty ends orphans open nested endpages fpages mismatched med max <<<"$(zd_pairs "$t")"
	echo "# $mode: $starts starts, $ends ends; latency median $med us, max $max us"
	check "$mode: every start with pages has its end" "$((starts - empty)) 0 0 0" "$ends $orphans $open $nested"
done

rmmod devmem_testdrv || not_ok "rmmod devmem_testdrv"
tap_done

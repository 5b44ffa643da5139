#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of the zone_device events of large device private folios (the
# kernel series v3 on 7.3) with test_hmm and tracefs only: hmm-thp migrates
# THP-sized ranges to the device and back, by a CPU fault on the device
# private PMD (do_huge_pmd_device_private()) and by test_hmm's
# HMM_DMIRROR_MIGRATE_TO_SYS, and says which of them were THPs on each side.
# Checked against that: folios allocated and freed by order, migrations
# started and ended with their pages counted as pages (512 for a compound
# entry, not 1), the folio events by order, the PMD faults (order 9), every
# start paired with its end.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-kernel-thp.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"
. "$top/tests/driver/tracefs-lib.sh"
res=${DEVMEM_RESULTS:-/tmp}/kernel-thp
mkdir -p "$res"
thp=${DEVMEM_HMM_THP:-$(command -v hmm-thp || echo "$top/build/tests/hmm-thp")}

zd_have_events || bail "tracefs has no zone_device events (is this a kernel with the series v3?)"
[ -x "$thp" ] || bail "hmm-thp not found; build it with tests/driver/build.sh KERNEL_DIR"
[ -e /dev/hmm_dmirror0 ] || bail "/dev/hmm_dmirror0 is missing; load test_hmm.ko"
[ -d "$zd_ev/zone_device_folio_split" ] || bail "no zone_device_folio_split: a kernel without large device private folios"
echo "# THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"

# expect FILE KEY
expect() { awk -v k="$2" '$1 == "expect" { for (i = 2; i <= NF; i++) if (split($i, kv, "=") == 2 && kv[1] == k) { print kv[2]; exit } }' "$1"; }

for mode in fault sys; do
	zd_trace_start
	if [ $mode = sys ]; then "$thp" -r 4 -s >"$res/$mode.out" 2>&1; else "$thp" -r 4 >"$res/$mode.out" 2>&1; fi
	rc=$?
	t=$res/trace-$mode.txt
	zd_trace_save "$t"
	o=$res/$mode.out
	sed 's/^/# /' "$o"
	check "$mode: hmm-thp exit status" 0 "$rc"
	rounds=$(expect "$o" thp_rounds)
	src_thp=$(expect "$o" source_thp)
	if [ "${src_thp:-0}" -ge 1 ]; then
		ok "$mode: $src_thp of $rounds ranges were THPs when they were migrated"
	else
		not_ok "$mode: no range was a THP (THP disabled?); nothing of a large folio was tested"
	fi

	check "$mode: device folios of order 9 handed out, one per THP" "$(expect "$o" device_folios_order9)" \
		"$(zd_nev "$t" zone_device_folio_alloc 'f["pgmap"] != "0x0" && f["order"] == 9')"
	check "$mode: device folios of order 0 handed out" "$(expect "$o" device_folios_order0)" \
		"$(zd_nev "$t" zone_device_folio_alloc 'f["order"] == 0')"
	check "$mode: device folios freed, by order 9 and 0" \
		"$(expect "$o" device_folios_order9) $(expect "$o" device_folios_order0)" \
		"$(zd_nev "$t" zone_device_folio_free 'f["order"] == 9') $(zd_nev "$t" zone_device_folio_free 'f["order"] == 0')"

	to='f["flags"] ~ /SYSTEM/'
	check "$mode: migrations to the device: one per range, reason prefetch, COMPOUND asked" "$rounds" \
		"$(zd_nev "$t" zone_device_migrate_start "$to"' && f["reason"] == "prefetch" && f["flags"] ~ /COMPOUND/')"
	check "$mode: each collected 512 pages, a compound entry counted as 512" "$rounds" \
		"$(zd_nev "$t" zone_device_migrate_start "$to"' && f["nr_pages"] == 512')"
	check "$mode: pages migrated to the device (end events)" "$(expect "$o" pages_to_device)" \
		"$(zd_sum "$t" zone_device_migrate_end nr_pages "$to")"
	check "$mode: folio events to the device: order-9 folios, order-0 pages" \
		"$(expect "$o" device_folios_order9) $(expect "$o" device_folios_order0)" \
		"$(zd_sum "$t" zone_device_migrate_folios nr_folios 'f["src_pgmap"] == "0x0" && f["order"] == 9') $(zd_sum "$t" zone_device_migrate_folios nr_pages 'f["src_pgmap"] == "0x0" && f["order"] == 0')"
	check "$mode: folio events back to RAM: order-9 folios, order-0 pages" \
		"$(expect "$o" ram_folios_order9) $(expect "$o" ram_folios_order0)" \
		"$(zd_sum "$t" zone_device_migrate_folios nr_folios 'f["dst_pgmap"] == "0x0" && f["order"] == 9') $(zd_sum "$t" zone_device_migrate_folios nr_pages 'f["dst_pgmap"] == "0x0" && f["order"] == 0')"
	check "$mode: pages migrated back to RAM (folio events)" "$(expect "$o" pages_to_ram)" \
		"$(zd_sum "$t" zone_device_migrate_folios nr_pages 'f["dst_pgmap"] == "0x0"')"

	if [ $mode = fault ]; then
		check "fault: one PMD fault (order 9) per THP on the device, and its done" \
			"$(expect "$o" pmd_faults) $(expect "$o" pmd_faults)" \
			"$(zd_nev "$t" zone_device_fault 'f["order"] == 9') $(zd_nev "$t" zone_device_fault_done 'f["order"] == 9')"
		check "fault: no PTE fault on a THP-backed range" \
			"$(( ($(expect "$o" source_thp) == $rounds) ? 0 : $(zd_nev "$t" zone_device_fault 'f["order"] == 0') ))" \
			"$(zd_nev "$t" zone_device_fault 'f["order"] == 0')"
		check "fault: PMD fault flags have no stray hex" 0 "$(zd_nev "$t" zone_device_fault 'f["flags"] ~ /0x/')"
		check "fault: the migrations of PMD faults: reason cpu_fault, 512 pages each" "$(expect "$o" pmd_faults)" \
			"$(zd_nev "$t" zone_device_migrate_end 'f["reason"] == "cpu_fault" && f["nr_pages"] == 512')"
	else
		check "sys: migrations back to RAM: one per range, reason prefetch" "$rounds" \
			"$(zd_nev "$t" zone_device_migrate_end 'f["flags"] ~ /DEVICE_PRIVATE/ && f["reason"] == "prefetch"')"
		check "sys: no CPU fault at all" 0 "$(zd_nev "$t" zone_device_fault)"
	fi
	check "$mode: no device folio was split (every 2 MiB folio moved whole)" \
		"$(( $(expect "$o" source_thp) == $(expect "$o" back_thp) ? 0 : -1 ))" \
		"$(( $(expect "$o" source_thp) == $(expect "$o" back_thp) ? $(zd_nev "$t" zone_device_folio_split) : -1 ))"
	read -r starts empty ends orphans open nested endpages fpages mismatched med max <<<"$(zd_pairs "$t")"
	echo "# $mode: $starts starts, $ends ends; latency median $med us, max $max us"
	check "$mode: every start with pages has its end; none orphaned, open or nested" \
		"$((starts - empty)) 0 0 0" "$ends $orphans $open $nested"
	check "$mode: the folio events of each migration add up to its end" "0 $endpages" "$mismatched $fpages"
done
tap_done

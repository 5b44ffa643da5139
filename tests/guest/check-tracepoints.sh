#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of the zone_device tracepoints (kernel series v3,
# kernel-patch/*/EVENTS.txt) with test_hmm and tracefs only (no BPF): reload
# test_hmm, run the deterministic workload, unload, and compare every event
# count with what the workload says it did: pagemaps added and removed (and
# the debugfs listing), folios handed out and freed, migrations to the device
# and back with their start and end paired one to one and their latency, the
# reasons test_hmm gives (prefetch for its ioctls, cpu_fault for its faults),
# and the CPU faults.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-tracepoints.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../driver/tracefs-lib.sh"
kdir=${DEVMEM_KERNEL_DIR:?DEVMEM_KERNEL_DIR is not set; run this through tests/guest/run.sh}
res=${DEVMEM_RESULTS:-/tmp}/tracepoints
mkdir -p "$res"
pagemaps=/sys/kernel/debug/zone_device/pagemaps

zd_have_events || bail "tracefs has no zone_device events (is this a kernel with the series v3?)"

# An awk function normalising hex numbers (0x00ABC, abc) for comparisons.
hexfn='function hex(h) { h = tolower(h); sub(/^0x/, "", h); sub(/^0+/, "", h); return h == "" ? "0" : h }
'
# expect KEY: a figure the workload printed as "expect KEY=VALUE".
expect() { sed -n "s/^expect $1=\\([0-9]*\\)\$/\\1/p" "$res/workload.out" | head -1; }

rmmod test_hmm 2>/dev/null

# 1. Hotplug: insmod adds one device-private chunk per private device.
zd_trace_start
insmod "$kdir/test_hmm.ko" || bail "insmod test_hmm.ko failed"
t=$res/trace-insmod.txt
zd_trace_save "$t"
check "insmod: zone_device_pagemap_add events" 2 "$(zd_nev "$t" zone_device_pagemap_add)"
check "insmod: both are device private, succeeded, 256 MiB, one range" 2 \
	"$(zd_nev "$t" zone_device_pagemap_add 'f["type"] == "private" && f["error"] == 0 && f["nr_pages"] == 65536 && f["nr_range"] == 1')"
check "insmod: no folio is handed out by an add" 0 "$(zd_nev "$t" zone_device_folio_alloc)"
added=$(awk "$hexfn"'/ zone_device_pagemap_add: / { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	print hex(f["start"]) "-" hex(f["end"]) }' "$t" | sort)
iomem=$(awk -F' : ' "$hexfn"'$2 ~ /^hmm_dmirror[0-9]*$/ { gsub(/ /, "", $1); split($1, r, "-"); print hex(r[1]) "-" hex(r[2]) }' /proc/iomem | sort)
check "insmod: the added ranges are those of /proc/iomem" "$iomem" "$added"
if [ -r "$pagemaps" ]; then
	cp "$pagemaps" "$res/pagemaps-insmod.txt"
	listed=$(awk "$hexfn"'{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		print hex(f["start"]) "-" hex(f["end"]) }' "$pagemaps" | sort)
	check "debugfs zone_device/pagemaps lists the added ranges" "$added" "$listed"
	check "debugfs: the owners are those of the add events" \
		"$(awk '/ zone_device_pagemap_add: / { for (i = 1; i <= NF; i++) if ($i ~ /^owner=/) print $i }' "$t" | sort)" \
		"$(grep -o 'owner=[^ ]*' "$pagemaps" | sort)"
	check "debugfs: every line has name=hmm_dmirror and type=private" 2 \
		"$(grep -c 'type=private .*name=hmm_dmirror$' "$pagemaps")"
else
	not_ok "debugfs has no zone_device/pagemaps"
fi

# 2. The workload: faults, migrations both ways, allocs and frees.
zd_trace_start
devmem-workload >"$res/workload.out" 2>&1
wrc=$?
t=$res/trace-workload.txt
zd_trace_save "$t"
cat "$res/workload.out"
check "workload exit status" 0 "$wrc"
check "zone_device_folio_alloc: pages handed out (2^order each)" "$(expect allocs)" \
	"$(awk "$zd_awk"'/ zone_device_folio_alloc: / { parse(); n += 2 ^ f["order"] } END { print n + 0 }' "$t")"
check "zone_device_folio_free: pages freed" "$(expect frees)" \
	"$(awk "$zd_awk"'/ zone_device_folio_free: / { parse(); n += 2 ^ f["order"] } END { print n + 0 }' "$t")"
check "migrations to the device (flags with SYSTEM): one start per migrate_vma_setup()" \
	"$(expect migrate_to_device_calls)" "$(zd_nev "$t" zone_device_migrate_start 'f["flags"] ~ /SYSTEM/')"
check "every migration to the device says prefetch, as test_hmm's ioctl sets it" \
	"$(expect migrate_to_device_calls)" \
	"$(zd_nev "$t" zone_device_migrate_start 'f["flags"] ~ /SYSTEM/ && f["reason"] == "prefetch"')"
check "pages moved from system memory to a device pagemap (folio events)" "$(expect pages_to_device)" \
	"$(zd_sum "$t" zone_device_migrate_folios nr_pages 'f["src_pgmap"] == "0x0" && f["dst_pgmap"] != "0x0"')"
check "pages moved from a device pagemap to system memory (folio events)" "$(expect pages_to_ram)" \
	"$(zd_sum "$t" zone_device_migrate_folios nr_pages 'f["src_pgmap"] != "0x0" && f["dst_pgmap"] == "0x0"')"
check "no move between two device pagemaps" 0 \
	"$(zd_nev "$t" zone_device_migrate_folios 'f["src_pgmap"] != "0x0" && f["dst_pgmap"] != "0x0"')"
check "pages the CPU faults brought back (end events, reason cpu_fault)" "$(expect pages_to_ram)" \
	"$(zd_sum "$t" zone_device_migrate_end nr_pages 'f["reason"] == "cpu_fault"')"
check "no eviction moved a page (no file closed while another had pages on the device)" 0 \
	"$(zd_sum "$t" zone_device_migrate_end nr_pages 'f["reason"] == "evict"')"
check "every migration has a reason test_hmm gives (prefetch, cpu_fault) or evict" 0 \
	"$(zd_nev "$t" zone_device_migrate_start '!(f["reason"] == "prefetch" || f["reason"] == "cpu_fault" || f["reason"] == "evict")')"

faults=$(zd_nev "$t" zone_device_fault)
check "zone_device_fault_done: one per zone_device_fault" "$faults" "$(zd_nev "$t" zone_device_fault_done)"
if [ "$faults" -ge "$(expect pages_to_ram)" ]; then
	ok "zone_device_fault: at least one per page brought back ($faults >= $(expect pages_to_ram))"
else
	not_ok "zone_device_fault: $faults, fewer than the $(expect pages_to_ram) pages brought back"
fi
check "every fault starts a migration with reason cpu_fault" "$faults" \
	"$(zd_nev "$t" zone_device_migrate_start 'f["reason"] == "cpu_fault"')"
check "the workload's faults are PTE faults (order 0)" 0 "$(zd_nev "$t" zone_device_fault 'f["order"] != 0')"
check "fault flags are printed by name (no stray 0x800 for ORIG_PTE_VALID)" 0 \
	"$(zd_nev "$t" zone_device_fault 'f["flags"] ~ /0x/ || f["flags"] == ""')"
check "every PTE fault has ORIG_PTE_VALID, printed" "$faults" \
	"$(zd_nev "$t" zone_device_fault 'f["flags"] ~ /ORIG_PTE_VALID/')"
check "zone_device_fault_done results: no error" 0 \
	"$(zd_nev "$t" zone_device_fault_done '!("ret" in f) || f["ret"] ~ /SIGBUS|SIGSEGV|OOM|HWPOISON/')"

read -r starts empty ends orphans open nested endpages fpages mismatched med max <<<"$(zd_pairs "$t")"
echo "# migrations: $starts starts ($empty collected nothing), $ends ends; latency median ${med} us, max ${max} us"
check "every start that collected pages has its end, same task and source array" "$((starts - empty))" "$ends"
check "no end without its start, none left open, none nested" "0 0 0" "$orphans $open $nested"
check "the folio events of each migration add up to its end's pages" "0 $endpages" "$mismatched $fpages"
check "pages migrated over the ends: to the device and back" \
	"$(($(expect pages_to_device) + $(expect pages_to_ram)))" "$endpages"

# 3. Remove: rmmod removes both chunks; remove_done follows remove.
zd_trace_start
rmmod test_hmm || not_ok "rmmod test_hmm"
t=$res/trace-rmmod.txt
zd_trace_save "$t"
check "rmmod: zone_device_pagemap_remove and _remove_done events" "2 2" \
	"$(zd_nev "$t" zone_device_pagemap_remove) $(zd_nev "$t" zone_device_pagemap_remove_done)"
check "rmmod: no page in use at either remove" 2 "$(zd_nev "$t" zone_device_pagemap_remove 'f["in_use"] == 0')"
order=$(awk "$zd_awk"'/ zone_device_pagemap_remove(_done)?: / {
		parse()
		if ($0 ~ /remove_done:/) { if (!(f["pgmap"] in open)) bad++; else delete open[f["pgmap"]] }
		else open[f["pgmap"]] = 1
	}
	END { for (k in open) bad++; print bad + 0 }' "$t")
check "rmmod: every remove is followed by the remove_done of its pagemap" 0 "$order"
removed=$(awk "$hexfn"'/ zone_device_pagemap_remove: / { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	print hex(f["start"]) "-" hex(f["end"]) }' "$t" | sort)
check "rmmod: the removed ranges are the added ones" "$added" "$removed"
check "rmmod: /proc/iomem no longer lists hmm_dmirror" 0 "$(grep -c hmm_dmirror /proc/iomem)"
check "rmmod: nothing in use, so nothing migrated or freed by the remove" "0 0" \
	"$(zd_nev "$t" zone_device_migrate_start) $(zd_nev "$t" zone_device_folio_free)"
[ -r "$pagemaps" ] && check "debugfs zone_device/pagemaps is empty after rmmod" 0 "$(wc -l <"$pagemaps")"

insmod "$kdir/test_hmm.ko" || not_ok "insmod test_hmm.ko again"
tap_done

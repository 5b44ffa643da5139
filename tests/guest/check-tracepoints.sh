#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of the devmem tracepoints with tracefs only (no BPF): reload
# test_hmm, run the deterministic workload, unload, and compare every event
# count with what the workload says it did; the hotplugged ranges must match
# /proc/iomem and the debugfs listing, and every remove must be followed by
# its remove_done.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
kdir=${DEVMEM_KERNEL_DIR:?DEVMEM_KERNEL_DIR is not set; run this through tests/guest/run.sh}
res=${DEVMEM_RESULTS:-/tmp}
tr=/sys/kernel/tracing
ev=$tr/events/devmem
pagemaps=/sys/kernel/debug/devmem/pagemaps

if [ ! -d "$ev" ]; then
	not_ok "tracefs has no devmem events (is this the patched kernel?)"
	tap_done
	exit
fi

trace_reset() {
	echo 0 >"$tr/tracing_on"
	echo 0 >"$ev/enable"
	echo >"$tr/trace"
}
trace_start() {
	echo 16384 >"$tr/buffer_size_kb"
	echo 1 >"$ev/enable"
	echo 1 >"$tr/tracing_on"
}
# trace_save FILE: stop tracing, keep the events, check nothing was overrun.
trace_save() {
	echo 0 >"$tr/tracing_on"
	cat "$tr/trace" >"$1"
	local lost
	# "# entries-in-buffer/entries-written: 570/570   #P:2"
	lost=$(awk '/^# entries-in-buffer/ { split($3, a, "/"); print a[2] - a[1] }' "$1")
	[ "${lost:-0}" -eq 0 ] || not_ok "the trace buffer lost $lost events; raise buffer_size_kb"
}
# nev FILE EVENT [AWK-CONDITION]: number of EVENT lines, optionally filtered on
# key=value fields (e.g. 'f["dir"] == "to_ram"').
nev() {
	awk -v e="$2:" "
	\$0 ~ (\" \" e \" \") {
		delete f
		for (i = 1; i <= NF; i++) if (split(\$i, kv, \"=\") == 2) f[kv[1]] = kv[2]
		if (${3:-1}) n++
	}
	END { print n + 0 }" "$1"
}
# sumev FILE EVENT FIELD [AWK-CONDITION]: sum of FIELD over EVENT lines.
sumev() {
	awk -v e="$2:" -v k="$3" "
	\$0 ~ (\" \" e \" \") {
		delete f
		for (i = 1; i <= NF; i++) if (split(\$i, kv, \"=\") == 2) f[kv[1]] = kv[2]
		if (${4:-1}) s += f[k]
	}
	END { print s + 0 }" "$1"
}
# An awk function normalising hex numbers (0x00ABC, abc) for comparisons.
hexfn='function hex(h) { h = tolower(h); sub(/^0x/, "", h); sub(/^0+/, "", h); return h == "" ? "0" : h }
'
# expect KEY: a figure the workload printed as "expect KEY=VALUE".
expect() { sed -n "s/^expect $1=\\([0-9]*\\)\$/\\1/p" "$res/workload.out" | head -1; }

rmmod test_hmm 2>/dev/null
trace_reset

# 1. Hotplug: insmod adds one device-private chunk per private device.
trace_start
insmod "$kdir/test_hmm.ko" || { not_ok "insmod test_hmm.ko"; tap_done; exit; }
trace_save "$res/trace-insmod.txt"
check "insmod: devmem_pagemap_add events" 2 "$(nev "$res/trace-insmod.txt" devmem_pagemap_add)"
check "insmod: all added pagemaps are device-private" 2 \
	"$(nev "$res/trace-insmod.txt" devmem_pagemap_add 'f["type"] == "private"')"
check "insmod: both adds succeeded (error=0)" 2 \
	"$(nev "$res/trace-insmod.txt" devmem_pagemap_add 'f["error"] == 0')"
check "insmod: each range is 256 MiB (65536 pages)" 2 \
	"$(nev "$res/trace-insmod.txt" devmem_pagemap_add 'f["nr_pages"] == 65536')"
# Every added range is in /proc/iomem as hmm_dmirror with the same bounds.
added=$(awk "$hexfn"'/ devmem_pagemap_add: / { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	print hex(f["start"]) "-" hex(f["end"]) }' "$res/trace-insmod.txt" | sort)
iomem=$(awk -F' : ' "$hexfn"'$2 ~ /^hmm_dmirror[0-9]*$/ { gsub(/ /, "", $1); split($1, r, "-"); print hex(r[1]) "-" hex(r[2]) }' /proc/iomem | sort)
check "insmod: added ranges match /proc/iomem" "$iomem" "$added"
if [ -r "$pagemaps" ]; then
	cp "$pagemaps" "$res/pagemaps-insmod.txt"
	listed=$(awk "$hexfn"'{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		print hex(f["start"]) "-" hex(f["end"]) }' "$pagemaps" | sort)
	check "debugfs pagemaps lists the same ranges" "$added" "$listed"
	check "debugfs pagemaps: no page in use after insmod" 0 \
		"$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "in_use") s += kv[2] } } END { print s + 0 }' "$pagemaps")"
else
	not_ok "debugfs has no devmem/pagemaps"
fi

# 2. The workload: faults, migrations both ways, allocs and frees.
trace_reset
trace_start
devmem-workload >"$res/workload.out" 2>&1
wrc=$?
trace_save "$res/trace-workload.txt"
cat "$res/workload.out"
check "workload exit status" 0 "$wrc"
t=$res/trace-workload.txt
check "devmem_page_alloc events" "$(expect allocs)" "$(nev "$t" devmem_page_alloc)"
check "devmem_page_free events" "$(expect frees)" "$(nev "$t" devmem_page_free)"
check "devmem_migrate to_device calls" "$(expect migrate_to_device_calls)" \
	"$(nev "$t" devmem_migrate 'f["dir"] == "to_device" && f["part"] == 0')"
check "devmem_migrate to_device pages migrated" "$(expect pages_to_device)" \
	"$(sumev "$t" devmem_migrate migrated 'f["dir"] == "to_device"')"
check "devmem_migrate to_ram pages migrated" "$(expect pages_to_ram)" \
	"$(sumev "$t" devmem_migrate migrated 'f["dir"] == "to_ram"')"
# Closing a device file evicts its pages with migrate_device_range(): those
# to_ram migrations are not fault-driven, and here they find nothing to move.
check "every page brought back to RAM was moved by a CPU fault" "$(expect pages_to_ram)" \
	"$(sumev "$t" devmem_migrate migrated 'f["dir"] == "to_ram" && f["reason"] == "fault"')"
faults=$(nev "$t" devmem_fault)
check "devmem_fault_done events match devmem_fault" "$faults" "$(nev "$t" devmem_fault_done)"
# A fault that collected nothing is retried, so faults >= pages brought back.
if [ "$faults" -ge "$(expect pages_to_ram)" ]; then
	ok "devmem_fault events cover every page brought back ($faults >= $(expect pages_to_ram))"
else
	not_ok "devmem_fault events ($faults) fewer than pages brought back ($(expect pages_to_ram))"
fi
check "fault-driven to_ram migrations equal devmem_fault events" "$faults" \
	"$(nev "$t" devmem_migrate 'f["dir"] == "to_ram" && f["reason"] == "fault" && f["part"] == 0')"
check "every devmem_migrate of a fault has reason=fault, every other one driver or evict" 0 \
	"$(nev "$t" devmem_migrate '!(f["reason"] == "fault" || f["reason"] == "driver" || f["reason"] == "evict")')"
check "test_hmm's own migrations to the device have reason=driver" \
	"$(nev "$t" devmem_migrate 'f["dir"] == "to_device"')" \
	"$(nev "$t" devmem_migrate 'f["dir"] == "to_device" && f["reason"] == "driver"')"
check "closing a device file evicts with reason=evict (migrate_device_range())" 0 \
	"$(nev "$t" devmem_migrate 'f["reason"] == "evict" && f["dir"] != "to_ram"')"
check "every devmem_fault_done prints a result" 0 "$(nev "$t" devmem_fault_done '!("ret" in f) || f["ret"] == ""')"
check "devmem_fault_done results are all successes" 0 \
	"$(nev "$t" devmem_fault_done 'f["ret"] ~ /SIGBUS|SIGSEGV|OOM|HWPOISON|ERROR/')"

# 3. Remove: rmmod evicts and removes both chunks; remove_done follows remove.
trace_reset
trace_start
rmmod test_hmm || not_ok "rmmod test_hmm"
trace_save "$res/trace-rmmod.txt"
t=$res/trace-rmmod.txt
check "rmmod: devmem_pagemap_remove events" 2 "$(nev "$t" devmem_pagemap_remove)"
check "rmmod: devmem_pagemap_remove_done events" 2 "$(nev "$t" devmem_pagemap_remove_done)"
order=$(awk '/ devmem_pagemap_remove(_done)?: / {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if ($0 ~ /remove_done:/) { if (!(f["pgmap"] in open)) bad++; else delete open[f["pgmap"]] }
		else open[f["pgmap"]] = 1
	}
	END { for (k in open) bad++; print bad + 0 }' "$t")
check "rmmod: every remove is followed by remove_done of the same pagemap" 0 "$order"
removed=$(awk "$hexfn"'/ devmem_pagemap_remove: / { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	print hex(f["start"]) "-" hex(f["end"]) }' "$t" | sort)
check "rmmod: removed ranges are the added ones" "$added" "$removed"
check "rmmod: /proc/iomem no longer lists hmm_dmirror" 0 "$(grep -c hmm_dmirror /proc/iomem)"
check "rmmod: no page allocated or freed by the remove itself" 0 \
	"$(($(nev "$t" devmem_page_alloc) + $(nev "$t" devmem_page_free)))"
[ -r "$pagemaps" ] && check "debugfs pagemaps is empty after rmmod" 0 "$(wc -l <"$pagemaps")"

trace_reset
insmod "$kdir/test_hmm.ko" || not_ok "insmod test_hmm.ko again"
tap_done

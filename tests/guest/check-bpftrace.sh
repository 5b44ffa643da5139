#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of tools/bpftrace: every script and every one-liner listed in
# tools/bpftrace/README.md runs under the installed bpftrace against the
# deterministic workload (or an rmmod/insmod of test_hmm for the hotplug
# ones), and its output is checked: map values, histogram totals, lines
# printed, against the workload's "expect" lines and /proc/iomem.
#
# Programs run four at a time against one workload run, to keep bpftrace's
# start-up (compiling each program) from dominating the time under TCG.
# The output readers and the batch runner are in bpftrace-lib.sh, shared
# with check-bpftrace-kfunc.sh (the *-kfunc.bt scripts and the README's
# "Stock kernels (kfunc)" one-liners).
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-bpftrace.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"
kdir=${DEVMEM_KERNEL_DIR:?DEVMEM_KERNEL_DIR is not set; run this through tests/guest/run.sh}
bt=$top/tools/bpftrace
work=$(mktemp -d /tmp/check-bpftrace.XXXXXX)
keep=${DEVMEM_RESULTS:-$work}/bpftrace
mkdir -p "$keep"
wl=$(command -v devmem-workload)
. "$here/bpftrace-lib.sh"
cleanup() {
	bt_cleanup
	cp -r "$work"/. "$keep"/ 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

command -v bpftrace >/dev/null || bail "bpftrace is not installed (apt-get install bpftrace)"
[ -n "$wl" ] || bail "devmem-workload is not in PATH; build it with tests/workload/build.sh"
[ -d /sys/kernel/tracing/events/zone_device ] || bail "the kernel has no zone_device tracepoints; boot the patched kernel (series v3)"
echo "# $(bpftrace --version)"

# ---- the programs -------------------------------------------------------------------
# the tracepoint ones; the *-kfunc.bt scripts are check-bpftrace-kfunc.sh's
declare -a wl_progs=() hp_progs=()
add() {	# NAME script|oneliner SOURCE wl|hotplug
	add_prog "$1" "$2" "$3"
	if [ "$4" = wl ]; then wl_progs+=("$1"); else hp_progs+=("$1"); fi
}
for s in faultlat migrate pagelife; do add "$s" script "$bt/devmem-$s.bt" wl; done
for s in removewait hotplug; do add "$s" script "$bt/devmem-$s.bt" hotplug; done
nscripts=$(ls "$bt"/*.bt | grep -vc -- '-kfunc\.bt$')
[ "$nscripts" = 5 ] || not_ok "tools/bpftrace has $nscripts tracepoint scripts; this test checks 5: add a check for the new one"

mapfile -t oneliners < <(readme_oneliners "$bt/README.md" One-liners)
check "one-liners listed in tools/bpftrace/README.md" 12 "${#oneliners[@]}"
for i in "${!oneliners[@]}"; do
	n=$((i + 1))
	case $n in 9|10) d=hotplug ;; *) d=wl ;; esac
	add "ol$n" oneliner "${oneliners[$i]}" "$d"
done

run_all() {	# DRIVER NAME...: in groups of four
	local d=$1
	shift
	while [ $# -gt 0 ]; do
		run_batch "$d" "${@:1:4}"
		shift $(($# < 4 ? $# : 4))
	done
}
run_all wl "${wl_progs[@]}"
run_all hotplug "${hp_progs[@]}"

# ---- checks ---------------------------------------------------------------------------
# The workload runs with its defaults: base pages only, so a folio is a page
# (order 0), one fault brings one page back, and its migration ioctls are
# test_hmm's only migrations to the device (reason prefetch).
W=devmem-workload
for n in "${wl_progs[@]}" "${hp_progs[@]}"; do
	o=$work/$n.out
	w=${drvout[$n]:-/dev/null}
	label="$n"
	[ "${kind[$n]}" = script ] && label="devmem-$n.bt" || label="one-liner ${n#ol}"
	check "$label: exit status after SIGINT" 0 "$(cat "$work/$n.status" 2>/dev/null || echo none)"
	case $n in
	faultlat)
		atleast "$label: @faults[$W] covers the workload's faults" "$(expect "$w" faults)" "$(mapval "$o" "@faults[$W]")"
		check "$label: histogram total = @faults" "$(mapval "$o" "@faults[$W]")" "$(histtotal "$o" "@usecs[$W]")"
		check "$label: @pmd_faults[$W] (base pages only)" 0 "$(mapval "$o" "@pmd_faults[$W]")"
		check "$label: @errors[$W]" 0 "$(mapval "$o" "@errors[$W]")"
		;;
	migrate)
		check "$label: @calls[to_device]" "$(expect "$w" migrate_to_device_calls)" "$(mapval "$o" "@calls[to_device]")"
		check "$label: @pages[to_device]" "$(expect "$w" pages_to_device)" "$(mapval "$o" "@pages[to_device]")"
		check "$label: @pages[to_ram]" "$(expect "$w" pages_to_ram)" "$(mapval "$o" "@pages[to_ram]")"
		check "$label: @collected[to_device]" "$(expect "$w" pages_to_device)" "$(mapval "$o" "@collected[to_device]")"
		check "$label: @pages_by_comm[$W, to_device]" "$(expect "$w" pages_to_device)" "$(mapval "$o" "@pages_by_comm[$W, to_device]")"
		check "$label: @pages_per_call[to_device] histogram total" "$(expect "$w" migrate_to_device_calls)" "$(histtotal "$o" "@pages_per_call[to_device]")"
		check "$label: @pages_per_call[to_ram] total = @calls[to_ram]" "$(mapval "$o" "@calls[to_ram]")" "$(histtotal "$o" "@pages_per_call[to_ram]")"
		check "$label: @folios[to_device, 0]" "$(expect "$w" pages_to_device)" "$(mapval "$o" "@folios[to_device, 0]")"
		check "$label: @folios[to_ram, 0]" "$(expect "$w" pages_to_ram)" "$(mapval "$o" "@folios[to_ram, 0]")"
		check "$label: @empty[to_device]" 0 "$(mapval "$o" "@empty[to_device]")"
		# each fault that brought its page back is one to_ram call that moved it
		check "$label: @calls[to_ram] - @empty[to_ram] = the workload's faults" "$(expect "$w" faults)" \
			"$(($(mapval "$o" "@calls[to_ram]") - $(mapval "$o" "@empty[to_ram]")))"
		atleast "$label: @collected[to_ram] covers the pages brought back" "$(expect "$w" pages_to_ram)" "$(mapval "$o" "@collected[to_ram]")"
		# to_ram calls also count evictions when a device file closes
		atleast "$label: fault calls cover the workload's faults" "$(expect "$w" faults)" "$(mapval "$o" "@fault_calls[$W]")"
		check "$label: @reasons[prefetch] = the migration ioctls' calls" "$(expect "$w" migrate_to_device_calls)" "$(mapval "$o" "@reasons[prefetch]")"
		atleast "$label: @reasons[cpu_fault] covers the workload's faults" "$(expect "$w" faults)" "$(mapval "$o" "@reasons[cpu_fault]")"
		check "$label: calls by reason = calls by direction" \
			"$(($(mapval "$o" "@calls[to_device]") + $(mapval "$o" "@calls[to_ram]")))" "$(mapsum "$o" "@reasons[")"
		;;
	pagelife)
		check "$label: @allocs" "$(expect "$w" allocs)" "$(mapval "$o" "@allocs")"
		check "$label: @frees" "$(expect "$w" frees)" "$(mapval "$o" "@frees")"
		check "$label: lifetime histogram total" "$(expect "$w" frees)" "$(histtotal "$o" "@lifetime_usecs")"
		check "$label: @unmatched" 0 "$(mapval "$o" "@unmatched")"
		check "$label: @alloc_folios[0]" "$(expect "$w" allocs)" "$(mapval "$o" "@alloc_folios[0]")"
		check "$label: @free_folios[0]" "$(expect "$w" frees)" "$(mapval "$o" "@free_folios[0]")"
		;;
	removewait)
		before=$(sed -n 's/^before //p' "$w")
		check "$label: one line per removed range" "$(echo $before | wc -w)" "$(grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2} ' "$o")"
		check "$label: removed starts are the ranges before" \
			"$(for r in $before; do echo "${r%-*}"; done | sort | tr '\n' ' ')" \
			"$(awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] / { print $4 }' "$o" | while read -r s; do hex "$s"; echo; done | sort | tr '\n' ' ')"
		check "$label: no page in use at remove" 0 "$(awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] / && $6 != 0' "$o" | wc -l)"
		check "$label: wait histogram total" "$(echo $before | wc -w)" "$(histtotal "$o" "@wait_usecs")"
		;;
	hotplug)
		before=$(sed -n 's/^before //p' "$w")
		after=$(sed -n 's/^after //p' "$w")
		lines() { awk -v e="$1" '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] / && $2 == e { print $5 "-" $6 }' "$o" |
			while IFS=- read -r a b; do echo "$(hex "$a")-$(hex "$b")"; done | sort | tr '\n' ' '; }
		check "$label: remove lines = ranges before" "$before" "$(lines remove)"
		check "$label: remove_done lines = ranges before" "$before" "$(lines remove_done)"
		check "$label: add lines = ranges after (/proc/iomem)" "$after" "$(lines add)"
		check "$label: every line private with 65536 pages" 0 \
			"$(awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] / && ($9 != "private" || $7 != 65536)' "$o" | wc -l)"
		check "$label: ERROR 0 on every line (no add failed)" 0 \
			"$(awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] / && $11 != "0"' "$o" | wc -l)"
		;;
	ol1)
		tp=tracepoint:zone_device:zone_device
		check "$label: folio_alloc count (folios of one page)" "$(expect "$w" allocs)" "$(mapval "$o" "@[${tp}_folio_alloc]")"
		check "$label: folio_free count" "$(expect "$w" frees)" "$(mapval "$o" "@[${tp}_folio_free]")"
		check "$label: fault and fault_done counts agree" "$(mapval "$o" "@[${tp}_fault]")" \
			"$(mapval "$o" "@[${tp}_fault_done]")"
		atleast "$label: fault count covers the workload's faults" "$(expect "$w" faults)" "$(mapval "$o" "@[${tp}_fault]")"
		atleast "$label: migrate_start count covers the ioctls' calls and the faults" \
			"$(($(expect "$w" migrate_to_device_calls) + $(expect "$w" faults)))" "$(mapval "$o" "@[${tp}_migrate_start]")"
		;;
	ol2)
		atleast "$label: faults" "$(expect "$w" pages_to_ram)" "$(awk '/^@\[/ { s += $NF } END { print s + 0 }' "$o")"
		check "$label: PIDs are the workload's" "$(workload_pids "$w")" \
			"$(sed -n 's/^@\[[^,]*, \([0-9]*\)\]: [0-9]*$/\1/p' "$o" | sort -n | tr '\n' ' ')"
		;;
	ol3)
		check "$label: @pages[to_device]" "$(expect "$w" pages_to_device)" "$(mapval "$o" "@pages[to_device]")"
		check "$label: @pages[to_ram]" "$(expect "$w" pages_to_ram)" "$(mapval "$o" "@pages[to_ram]")"
		;;
	ol4)
		check "$label: @[moved]" "$(expect "$w" faults)" "$(mapval "$o" "@[moved]")"
		echo "# $label: wasted fault migrations: $(mapval "$o" "@[wasted]")"
		;;
	ol5)
		check "$label: @allocs[$W]" "$(expect "$w" allocs)" "$(mapval "$o" "@allocs[$W]")"
		check "$label: @frees[$W]" "$(expect "$w" frees)" "$(mapval "$o" "@frees[$W]")"
		;;
	ol6)
		check "$label: last @live is 0" 0 "$(awk '$1 == "@live:" { v = $2 } END { print v }' "$o")"
		atleast "$label: printed every second" 2 "$(grep -c '^@live:' "$o")"
		;;
	ol7)
		atleast "$label: histogram total covers the workload's faults" "$(expect "$w" faults)" "$(histtotal "$o" "@usecs")"
		;;
	ol8)
		check "$label: @pages_per_call[to_device] total" "$(expect "$w" migrate_to_device_calls)" "$(histtotal "$o" "@pages_per_call[to_device]")"
		;;
	ol9)
		after=$(sed -n 's/^after //p' "$w")
		before=$(sed -n 's/^before //p' "$w")
		ranges_of() { awk -v p="tracepoint:zone_device:$1" '$1 == p { print $2 }' "$o" |
			while IFS=- read -r a b; do echo "$(hex "$a")-$(hex "$b")"; done | sort | tr '\n' ' '; }
		check "$label: remove lines" "$before" "$(ranges_of zone_device_pagemap_remove)"
		check "$label: add lines" "$after" "$(ranges_of zone_device_pagemap_add)"
		check "$label: every line error=0" 0 "$(grep -c '^tracepoint:.* error=[^0]' "$o")"
		;;
	ol10)
		check "$label: wait histogram total" "$(sed -n 's/^before //p' "$w" | wc -w)" "$(histtotal "$o" "@wait_us")"
		;;
	ol11)
		atleast "$label: faults" "$(expect "$w" pages_to_ram)" "$(awk '/^@faults_by_device\[/ { s += $NF } END { print s + 0 }' "$o")"
		starts=$(sed -n 's/^ranges //p' "$w")
		bad=0
		for k in $(sed -n 's/^@faults_by_device\[\([0-9]*\)\]: .*/\1/p' "$o"); do
			case " $starts" in *" $(printf '0x%x' "$k")-"*) ;; *) bad=$((bad + 1)) ;; esac
		done
		check "$label: keys are test_hmm range starts" 0 "$bad"
		;;
	ol12)
		# reasons: 1 cpu_fault, 3 prefetch (test_hmm's migration ioctls)
		check "$label: @usecs[3] total = the migration ioctls' calls" "$(expect "$w" migrate_to_device_calls)" "$(histtotal "$o" "@usecs[3]")"
		atleast "$label: @usecs[1] total covers the workload's faults" "$(expect "$w" faults)" "$(histtotal "$o" "@usecs[1]")"
		;;
	*)
		not_ok "$label: no check for this program; add one to tests/guest/check-bpftrace.sh"
		;;
	esac
done
tap_done

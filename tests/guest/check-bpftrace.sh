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
declare -a pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	grep -q '^test_hmm ' /proc/modules || insmod "$kdir/test_hmm.ko"
	cp -r "$work"/. "$keep"/ 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

command -v bpftrace >/dev/null || bail "bpftrace is not installed (apt-get install bpftrace)"
wl=$(command -v devmem-workload) || bail "devmem-workload is not in PATH; build it with tests/workload/build.sh"
[ -d /sys/kernel/tracing/events/devmem ] || bail "the kernel has no devmem tracepoints; boot the patched kernel"
echo "# $(bpftrace --version)"

# ---- output readers ---------------------------------------------------------------
# mapval FILE '@name[key]': the value of a printed map entry (last one), 0 if absent
mapval() { awk -v k="$2:" 'index($0, k) == 1 { v = $NF } END { print v + 0 }' "$1"; }
# histtotal FILE '@name[key]': the sum of the histogram's rows
histtotal() {
	awk -v name="$2" '{ l = $0; sub(/[ \t]+$/, "", l) } l == name ":" { on = 1; next }
		on && /^\[/ { sub(/^\[[^])]*[])] */, ""); s += $1; next }
		{ on = 0 } END { print s + 0 }' "$1"
}
expect() { sed -n "s/^expect $2=\\([0-9]*\\)\$/\\1/p" "$1" | head -1; }
workload_pids() { awk '$1 == "expect" && $2 ~ /^pid=/ { sub(/^pid=/, "", $2); print $2 }' "$1" | sort -n | tr '\n' ' '; }
hex() { printf '0x%x' "$((16#${1#0x}))"; }
iomem_ranges() {
	awk -F' : ' '$2 ~ /^hmm_dmirror[0-9]*$/ { gsub(/ /, "", $1); print $1 }' /proc/iomem |
		while IFS=- read -r a b; do echo "$(hex "$a")-$(hex "$b")"; done | sort | tr '\n' ' '
}
atleast() {
	if [ "$3" -ge "$2" ] 2>/dev/null; then ok "$1 ($3 >= $2)"; else not_ok "$1 (expected at least $2, got $3)"; fi
}

# ---- the programs -------------------------------------------------------------------
# name -> how to run it, which driver, and its check function
declare -A src kind driver drvout
declare -a wl_progs=() hp_progs=()
add_prog() {	# NAME script|oneliner SOURCE wl|hotplug
	src[$1]=$3
	kind[$1]=$2
	driver[$1]=$4
	if [ "$4" = wl ]; then wl_progs+=("$1"); else hp_progs+=("$1"); fi
}
for s in faultlat migrate pagelife; do add_prog "$s" script "$bt/devmem-$s.bt" wl; done
for s in removewait hotplug; do add_prog "$s" script "$bt/devmem-$s.bt" hotplug; done
[ "$(ls "$bt"/*.bt | wc -l)" = 5 ] || not_ok "tools/bpftrace has $(ls "$bt"/*.bt | wc -l) scripts; this test checks 5: add a check for the new one"

mapfile -t oneliners < <(sed -n "s/^bpftrace -e '\\(.*\\)'\$/\\1/p" "$bt/README.md")
check "one-liners listed in tools/bpftrace/README.md" 11 "${#oneliners[@]}"
for i in "${!oneliners[@]}"; do
	n=$((i + 1))
	case $n in 9|10) d=hotplug ;; *) d=wl ;; esac
	add_prog "ol$n" oneliner "${oneliners[$i]}" "$d"
done

cat >"$work/reload.sh" <<SH
#!/bin/sh
rmmod test_hmm || exit 1
insmod '$kdir/test_hmm.ko'
SH
chmod +x "$work/reload.sh"

# run_batch DRIVER NAME...: start the programs, wait until all are attached,
# drive them once, stop them with SIGINT (they print their maps), collect.
batch=0
run_batch() {
	local d=$1 n i t started
	shift
	local names=("$@")
	batch=$((batch + 1))
	pids=()
	for n in "${names[@]}"; do
		if [ "${kind[$n]}" = script ]; then
			bpftrace "${src[$n]}" >"$work/$n.out" 2>"$work/$n.err" &
		else
			# BEGIN runs once every probe is attached: it marks readiness
			bpftrace -e "BEGIN { printf(\"Tracing\\n\"); } ${src[$n]}" >"$work/$n.out" 2>"$work/$n.err" &
		fi
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		n=${names[$i]}
		started=0
		for t in $(seq 600); do
			# "Attaching" comes before the probes are attached, BEGIN's
			# "Tracing" line after
			if grep -qs '^Tracing' "$work/$n.out"; then started=1; break; fi
			kill -0 "${pids[$i]}" 2>/dev/null || break
			sleep 0.5
		done
		[ $started = 1 ] || echo "# $n did not attach: $(grep -v RLIMIT "$work/$n.err" | head -3)"
	done
	sleep 1
	if [ "$d" = wl ]; then
		"$wl" >"$work/batch$batch.drv" 2>&1
		echo "ranges $(iomem_ranges)" >>"$work/batch$batch.drv"
	else
		echo "before $(iomem_ranges)" >"$work/batch$batch.drv"
		"$work/reload.sh" >>"$work/batch$batch.drv" 2>&1
		echo "after $(iomem_ranges)" >>"$work/batch$batch.drv"
	fi
	echo "# batch $batch ($d, status $?): $*"
	sleep 1.5	# one interval:s:1 print after the workload
	for i in "${!pids[@]}"; do kill -INT "${pids[$i]}" 2>/dev/null; done
	for i in "${!pids[@]}"; do
		n=${names[$i]}
		# bpftrace under TCG can take a while to detach and print its maps,
		# and bpftrace 0.17 now and then misses a SIGINT: it is sent again
		# every 30 s.
		for t in $(seq 360); do
			kill -0 "${pids[$i]}" 2>/dev/null || break
			case $t in
			60|120|180|240)
				echo "# $n still running $((t / 2)) s after SIGINT; sending it again"
				kill -INT "${pids[$i]}" 2>/dev/null ;;
			esac
			sleep 0.5
		done
		kill -KILL "${pids[$i]}" 2>/dev/null
		wait "${pids[$i]}"
		echo $? >"$work/$n.status"
		drvout[$n]=$work/batch$batch.drv
	done
	pids=()
}
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
W=devmem-workload
for n in "${wl_progs[@]}" "${hp_progs[@]}"; do
	o=$work/$n.out
	w=${drvout[$n]:-/dev/null}
	label="$n"
	[ "${kind[$n]}" = script ] && label="devmem-$n.bt" || label="one-liner ${n#ol}"
	check "$label: exit status after SIGINT" 0 "$(cat "$work/$n.status" 2>/dev/null || echo none)"
	case $n in
	faultlat)
		atleast "$label: @faults[$W] covers the pages brought back" "$(expect "$w" pages_to_ram)" "$(mapval "$o" "@faults[$W]")"
		check "$label: histogram total = @faults" "$(mapval "$o" "@faults[$W]")" "$(histtotal "$o" "@usecs[$W]")"
		;;
	migrate)
		check "$label: @calls[to_device]" "$(expect "$w" migrate_to_device_calls)" "$(mapval "$o" "@calls[to_device]")"
		check "$label: @pages[to_device]" "$(expect "$w" pages_to_device)" "$(mapval "$o" "@pages[to_device]")"
		check "$label: @pages[to_ram]" "$(expect "$w" pages_to_ram)" "$(mapval "$o" "@pages[to_ram]")"
		check "$label: @collected[to_device]" "$(expect "$w" pages_to_device)" "$(mapval "$o" "@collected[to_device]")"
		check "$label: @pages_by_comm[$W, to_device]" "$(expect "$w" pages_to_device)" "$(mapval "$o" "@pages_by_comm[$W, to_device]")"
		check "$label: @pages_per_call[to_device] histogram total" "$(expect "$w" migrate_to_device_calls)" "$(histtotal "$o" "@pages_per_call[to_device]")"
		check "$label: @pages_per_call[to_ram] total = @calls[to_ram]" "$(mapval "$o" "@calls[to_ram]")" "$(histtotal "$o" "@pages_per_call[to_ram]")"
		# to_ram calls also count evictions when a device file closes
		atleast "$label: fault calls cover the pages brought back" "$(expect "$w" pages_to_ram)" "$(mapval "$o" "@fault_calls[$W]")"
		;;
	pagelife)
		check "$label: @allocs" "$(expect "$w" allocs)" "$(mapval "$o" "@allocs")"
		check "$label: @frees" "$(expect "$w" frees)" "$(mapval "$o" "@frees")"
		check "$label: lifetime histogram total" "$(expect "$w" frees)" "$(histtotal "$o" "@lifetime_usecs")"
		check "$label: @unmatched" 0 "$(mapval "$o" "@unmatched")"
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
		;;
	ol1)
		check "$label: page_alloc count" "$(expect "$w" allocs)" "$(mapval "$o" "@[tracepoint:devmem:devmem_page_alloc]")"
		check "$label: page_free count" "$(expect "$w" frees)" "$(mapval "$o" "@[tracepoint:devmem:devmem_page_free]")"
		check "$label: fault and fault_done counts agree" "$(mapval "$o" "@[tracepoint:devmem:devmem_fault]")" \
			"$(mapval "$o" "@[tracepoint:devmem:devmem_fault_done]")"
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
		check "$label: @[moved]" "$(expect "$w" pages_to_ram)" "$(mapval "$o" "@[moved]")"
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
		atleast "$label: histogram total covers the pages brought back" "$(expect "$w" pages_to_ram)" "$(histtotal "$o" "@usecs")"
		;;
	ol8)
		check "$label: @pages_per_call[to_device] total" "$(expect "$w" migrate_to_device_calls)" "$(histtotal "$o" "@pages_per_call[to_device]")"
		;;
	ol9)
		after=$(sed -n 's/^after //p' "$w")
		before=$(sed -n 's/^before //p' "$w")
		ranges_of() { awk -v p="tracepoint:devmem:$1" '$1 == p { print $2 }' "$o" |
			while IFS=- read -r a b; do echo "$(hex "$a")-$(hex "$b")"; done | sort | tr '\n' ' '; }
		check "$label: remove lines" "$before" "$(ranges_of devmem_pagemap_remove)"
		check "$label: add lines" "$after" "$(ranges_of devmem_pagemap_add)"
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
	*)
		not_ok "$label: no check for this program; add one to tests/guest/check-bpftrace.sh"
		;;
	esac
done
tap_done

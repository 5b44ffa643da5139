#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of the bpftrace scripts and one-liners for stock kernels: every
# tools/bpftrace/*-kfunc.bt script and every one-liner of the README's
# "Stock kernels (kfunc)" section runs under the installed bpftrace against
# the deterministic workload and then an rmmod/insmod of test_hmm, and its
# map values, histogram totals and lines are checked against the workload's
# "expect" lines and /proc/iomem, exactly. On a kernel with the zone_device
# tracepoints (the patched one, series v3) the tracepoint scripts run beside
# them and both must agree. Where a huge page moves to the device as one folio (the
# workload's own probe, devmem-workload --thp-probe, run before tracing),
# the workload is a mixed run of huge and base pages on both devices, and
# pages, folios by order and PMD faults are checked too: a huge page is 512
# pages everywhere a page count is shown.
#
# What each program probes is looked up the way bpftrace decides it, while
# the programs start: a kfunc probe needs a function with BTF that ftrace
# can trace (not inlined, not notrace), which is what `bpftrace -l
# 'kfunc:*'` lists; a kprobe wildcard needs a match in
# available_filter_functions. A program whose functions this kernel does
# not offer is a TAP skip that names them; one that should run and does not
# is a failure.
#
# Time: bpftrace 0.17 takes seconds of CPU to start each program under
# TCG, so all programs start at once and see the same single run of each
# driver, the workload and then the reload. Measured (the guest boot
# aside): about 30 s on 6.12 and on 6.1 with the 2-core host otherwise
# idle, 75 to 140 s with one to three other guests running on it. One run
# is also what makes the counts comparable: the programs that count the
# same faults must agree exactly. The reload's evictions (test_hmm migrates
# each of its chunks back, empty by then) only add migrate_device_pages()
# calls that moved nothing, and the workload adds or removes no range.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-bpftrace-kfunc.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"
kdir=${DEVMEM_KERNEL_DIR:?DEVMEM_KERNEL_DIR is not set; run this through tests/guest/run.sh}
bt=$top/tools/bpftrace
work=$(mktemp -d /tmp/check-bpftrace-kfunc.XXXXXX)
keep=${DEVMEM_RESULTS:-$work}/bpftrace-kfunc
mkdir -p "$keep"
wl=$(command -v devmem-workload)
. "$here/bpftrace-lib.sh"
probe_pid=
cleanup() {
	[ -z "$probe_pid" ] || kill "$probe_pid" 2>/dev/null
	bt_cleanup
	cp -r "$work"/. "$keep"/ 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
t0=$(date +%s)

command -v bpftrace >/dev/null || bail "bpftrace is not installed (apt-get install bpftrace)"
[ -n "$wl" ] || bail "devmem-workload is not in PATH; build it with tests/workload/build.sh"
[ -r /sys/kernel/btf/vmlinux ] || bail "the kernel has no BTF (/sys/kernel/btf/vmlinux): kfunc probes need it"
aff=/sys/kernel/tracing/available_filter_functions
[ -r $aff ] || bail "$aff is not readable: bpftrace needs tracefs for kfunc and kprobe probes"
tracepoints=no
[ -d /sys/kernel/tracing/events/zone_device ] && tracepoints=yes
# device-private PMDs: a function the PMD fault probes attach to where it exists
pmd_fn=no
grep -qE '^do_huge_pmd_device_private( |$)' $aff && pmd_fn=yes
# huge pages, where they move to the device as one folio
wl_args=
thp_msg=$("$wl" --thp-probe 2>&1)
thp_rc=$?
case $thp_rc in
0) wl_args="-p 2 -r 2 -n 10 --thp 1 -d alt" ;;
4) ;;
*) not_ok "devmem-workload --thp-probe failed with status $thp_rc: $(tail -n 1 <<<"$thp_msg")" ;;
esac
echo "# huge pages as one folio: $([ -n "$wl_args" ] && echo yes || echo no) ($thp_msg); do_huge_pmd_device_private: $pmd_fn; workload: devmem-workload $wl_args"
check "devmem-workload --thp-probe finds large device folios exactly where the kernel has do_huge_pmd_device_private()" \
	"$pmd_fn" "$([ -n "$wl_args" ] && echo yes || echo no)"

# What bpftrace offers here, in the background while the programs compile:
# its version, and the functions a kfunc probe can attach to.
{ bpftrace --version; bpftrace -l 'kfunc:*'; } >"$work/kfuncs" 2>"$work/kfuncs.err" &
probe_pid=$!

# ---- the programs -------------------------------------------------------------------
# NAME script|oneliner SOURCE: NEEDS are the kfunc:FUNCTION and kprobe:GLOB
# words of its text (kretfunc: counted as kfunc:)
declare -a progs=()
declare -A needs
probes_of() {
	local t=$1 r=
	while [[ $t =~ (kfunc|kretfunc|kprobe):([A-Za-z0-9_*]+)(.*) ]]; do
		case " $r " in *" ${BASH_REMATCH[1]/kretfunc/kfunc}:${BASH_REMATCH[2]} "*) ;;
		*) r="$r ${BASH_REMATCH[1]/kretfunc/kfunc}:${BASH_REMATCH[2]}" ;; esac
		t=${BASH_REMATCH[3]}
	done
	echo "${r# }"
}
add() {
	add_prog "$1" "$2" "$3"
	# a script's probes are the lines that start with one
	if [ "$2" = script ]; then needs[$1]=$(probes_of "$(grep -E '^(kfunc|kretfunc|kprobe):' "$3")"); else needs[$1]=$(probes_of "$3"); fi
	progs+=("$1")
}
for s in faultlat migrate pagelife removewait hotplug; do add "$s" script "$bt/devmem-$s-kfunc.bt"; done
kscripts=("$bt"/*-kfunc.bt)
check "kfunc scripts in tools/bpftrace (this test checks 5)" 5 "${#kscripts[@]}"

mapfile -t ols < <(readme_oneliners "$bt/README.md" "Stock kernels (kfunc)")
check "one-liners in the README's \"Stock kernels (kfunc)\" section (this test checks 7)" 7 "${#ols[@]}"
for i in "${!ols[@]}"; do add "k$((i + 1))" oneliner "${ols[$i]}"; done

# On the patched kernel, the tracepoint scripts beside their counterparts.
if [ $tracepoints = yes ]; then
	for s in faultlat migrate pagelife removewait hotplug; do add "tp-$s" script "$bt/devmem-$s.bt"; done
fi

label() { case $1 in k*) echo "one-liner $1" ;; tp-*) echo "devmem-${1#tp-}.bt" ;; *) echo "devmem-$1-kfunc.bt" ;; esac; }

run_batch "wl hotplug" "${progs[@]}"

# ---- what this kernel offers --------------------------------------------------------
wait "$probe_pid"
probe_rc=$?
probe_pid=
ver=
read -r ver <"$work/kfuncs"
echo "# $ver on $(uname -r); zone_device tracepoints: $tracepoints"
check "bpftrace -l 'kfunc:*' lists functions" yes \
	"$([ $probe_rc = 0 ] && [ "$(wc -l <"$work/kfuncs")" -gt 1 ] && echo yes || echo "no (status $probe_rc: $(head -c 200 "$work/kfuncs.err"))")"
# the needed functions bpftrace lists, and those ftrace can trace
declare -A want
for n in "${progs[@]}"; do
	for nd in ${needs[$n]}; do
		case $nd in kfunc:*) want[${nd#kfunc:}]=1 ;; esac
	done
done
all=$(IFS='|'; echo "${!want[*]}")
listed=" $(grep -oE "^kfunc:([^:]*:)?($all)\$" "$work/kfuncs" | sed 's/.*://' | tr '\n' ' ')"
aff_fns=" $(grep -oE "^(${all}|free_zone_device_[A-Za-z0-9_]*)( |\$)" $aff | tr -d ' ' | sort -u | tr '\n' ' ')"
# missing NAME: set $m to the needs of NAME this kernel does not offer, with why
missing() {
	local nd fn f found
	m=
	for nd in ${needs[$1]}; do
		fn=${nd#*:}
		case $nd in
		kfunc:*)
			case $listed in *" $fn "*) continue ;; esac
			case $aff_fns in
			*" $fn "*) m="$m; $fn has no BTF, or more arguments than bpftrace takes" ;;
			*) m="$m; $fn is not traceable (not in available_filter_functions: missing, inlined or notrace)" ;;
			esac ;;
		kprobe:*)
			found=0
			for f in $aff_fns; do
				# shellcheck disable=SC2254
				case $f in $fn) found=1 ;; esac
			done
			[ $found = 1 ] || m="$m; no function matches $fn in available_filter_functions" ;;
		esac
	done
	m=${m#; }
}
declare -A ran
for n in "${progs[@]}"; do
	missing "$n"
	if [ -n "$m" ]; then
		skip "$(label "$n")" "this kernel lacks what it probes: $m"
	else
		ran[$n]=1
		st=none
		read -r st 2>/dev/null <"$work/$n.status"
		check "$(label "$n"): exit status after SIGINT" 0 "$st"
	fi
done
ran() { [ -n "${ran[$1]:-}" ]; }
# Where the page-free wildcard matches, it must match one function: two
# would count every free twice.
free_fns=()
for f in $aff_fns; do case $f in free_zone_device_*) free_fns+=("$f") ;; esac; done
echo "# free_zone_device_* is: ${free_fns[*]:-nothing}"
[ ${#free_fns[@]} = 0 ] || check "kprobe:free_zone_device_* matches one function (${free_fns[*]})" 1 "${#free_fns[@]}"
bt_load "$work"/*.out

# ---- checks ---------------------------------------------------------------------------
W=devmem-workload
w=${drvout[${progs[0]}]:-/dev/null}
out() { echo "$work/$1.out"; }
P=$(expect "$w" pages_to_ram)
D=$(expect "$w" pages_to_device)
C=$(expect "$w" migrate_to_device_calls)
# FM: faults that brought something back, one each (a PMD fault 512 pages)
FM=$(expect "$w" faults)
# by folio order: base pages (0) and huge pages (9); without --thp all base
horder=9
ex() { local v; v=$(expect "$w" "$1"); echo "${v:-$2}"; }
PMD=$(ex pmd_faults 0)
A0=$(ex allocs_order0 "$(expect "$w" allocs)") A9=$(ex allocs_order$horder 0)
R0=$(ex frees_order0 "$(expect "$w" frees)") R9=$(ex frees_order$horder 0)
TD0=$(ex folios_to_device_order0 "$D") TD9=$(ex folios_to_device_order$horder 0)
TR0=$(ex folios_to_ram_order0 "$P") TR9=$(ex folios_to_ram_order$horder 0)
SPLITS=$(ex splits 0)
echo "# expected: $D pages to the device ($TD0 base, $TD9 huge), $P back ($TR0 base, $TR9 huge) by $FM faults ($PMD PMD), folios allocated $A0 + $A9 huge, freed $R0 + $R9 huge, $SPLITS split"

# Faults. test_hmm migrates the faulting page only, or the faulting huge
# page, so the faults that moved something are the workload's faults; the
# others were wasted. F, the number of faults the other programs must agree
# with, is devmem-faultlat-kfunc.bt's, or where it cannot run the
# fault-driven migrations devmem-migrate-kfunc.bt counted (one per fault
# with test_hmm).
F=
if ran faultlat; then
	o=$(out faultlat)
	L=$(label faultlat)
	F=$(mapval "$o" "@faults[$W]")
	wasted=$(mapval "$o" "@wasted[$W]")
	echo "# $F faults, $wasted wasted, $P pages brought back"
	check "$L: @faults - @wasted = the workload's faults" "$FM" "$((F - wasted))"
	check "$L: @pmd_faults[$W] (PMD faults, each a huge page back)" "$PMD" "$(mapval "$o" "@pmd_faults[$W]")"
	check "$L: histogram total = @faults" "$F" "$(histtotal "$o" "@usecs[$W]")"
	check "$L: @errors" 0 "$(mapval "$o" "@errors[$W]")"
fi

if ran migrate; then
	o=$(out migrate)
	L=$(label migrate)
	check "$L: @calls[to_device]" "$C" "$(mapval "$o" "@calls[to_device]")"
	check "$L: @pages[to_device]" "$D" "$(mapval "$o" "@pages[to_device]")"
	check "$L: @pages[to_ram]" "$P" "$(mapval "$o" "@pages[to_ram]")"
	check "$L: @collected[to_device] (entries: a huge page is one)" "$((TD0 + TD9))" "$(mapval "$o" "@collected[to_device]")"
	check "$L: @folios[to_device, 0]" "$TD0" "$(mapval "$o" "@folios[to_device, 0]")"
	check "$L: @folios[to_device, $horder]" "$TD9" "$(mapval "$o" "@folios[to_device, $horder]")"
	check "$L: @folios[to_ram, 0]" "$TR0" "$(mapval "$o" "@folios[to_ram, 0]")"
	check "$L: @folios[to_ram, $horder]" "$TR9" "$(mapval "$o" "@folios[to_ram, $horder]")"
	check "$L: @pages_by_comm[$W, to_device]" "$D" "$(mapval "$o" "@pages_by_comm[$W, to_device]")"
	check "$L: @pages_by_comm[$W, to_ram]" "$P" "$(mapval "$o" "@pages_by_comm[$W, to_ram]")"
	check "$L: @pages_per_call[to_device] histogram total" "$C" "$(histtotal "$o" "@pages_per_call[to_device]")"
	check "$L: @pages_per_call[to_ram] total = @calls[to_ram]" "$(mapval "$o" "@calls[to_ram]")" "$(histtotal "$o" "@pages_per_call[to_ram]")"
	check "$L: @calls[to_ram] - @empty[to_ram] = the workload's faults" "$FM" \
		"$(($(mapval "$o" "@calls[to_ram]") - $(mapval "$o" "@empty[to_ram]")))"
	check "$L: @truncated[to_device]" 0 "$(mapval "$o" "@truncated[to_device]")"
	# Evictions (empty here: when a workload process closes its device
	# file, and at the rmmod) are the to_ram calls no fault started; the
	# longer than 512 entries of them are truncated (unpatched test_hmm
	# evicts a whole 256 MiB chunk per call, its helpers may not), never a
	# fault's.
	ev=$(($(mapval "$o" "@calls[to_ram]") - $(mapval "$o" "@fault_calls[$W]")))
	tr=$(mapval "$o" "@truncated[to_ram]")
	echo "# $L: $ev evictions, $tr of them longer than 512 entries"
	check "$L: @truncated[to_ram] within the evictions" yes "$([ "$tr" -le "$ev" ] && echo yes || echo "no ($tr > $ev)")"
	if [ -n "$F" ]; then
		check "$L: @fault_calls[$W] = faults of devmem-faultlat-kfunc.bt" "$F" "$(mapval "$o" "@fault_calls[$W]")"
	else
		F=$(mapval "$o" "@fault_calls[$W]")
		check "$L: @fault_calls[$W] = the workload's faults (one migration each)" "$FM" "$F"
	fi
fi
[ -n "$F" ] || F=$FM

if ran k1; then
	o=$(out k1)
	check "one-liner k1: faults, as the scripts count them" "$F" "$(mapsum "$o" "@faults[")"
	check "one-liner k1: PIDs are the workload's" "$(workload_pids "$w")" \
		"$(sed -n 's/^@faults\[[^,]*, \([0-9]*\)\]: [0-9]*$/\1/p' "$o" | sort -n | tr '\n' ' ')"
fi
ran k2 && check "one-liner k2: histogram total = faults" "$F" "$(histtotal "$(out k2)" "@usecs")"
if ran k3; then
	o=$(out k3)
	check "one-liner k3: @pages[to_device]" "$D" "$(mapval "$o" "@pages[to_device]")"
	check "one-liner k3: @pages[to_ram]" "$P" "$(mapval "$o" "@pages[to_ram]")"
fi
if ran k4; then
	o=$(out k4)
	# one stack per distinct path, each with its count
	check "one-liner k4: the stacks count the calls to the device" "$C" \
		"$(awk '/^@stacks\[$/ { on = 1 } on && /^\]: [0-9]+$/ { s += $2; on = 0 } END { print s + 0 }' "$o")"
	check "one-liner k4: the stacks go through test_hmm's dmirror_migrate_to_device()" yes \
		"$(grep -q 'dmirror_migrate_to_device' "$o" && echo yes || echo no)"
fi
if ran k7; then
	o=$(out k7)
	check "one-liner k7: faults by device = faults" "$F" "$(mapsum "$o" "@faults_by_device[")"
	starts=$(sed -n 's/^ranges //p' "$w")
	bad=0
	for k in $(sed -n 's/^@faults_by_device\[\([0-9]*\)\]: .*/\1/p' "$o"); do
		case " $starts" in *" $(printf '0x%x' "$k")-"*) ;; *) bad=$((bad + 1)) ;; esac
	done
	check "one-liner k7: keys are test_hmm range starts" 0 "$bad"
	check "one-liner k7: some key" yes "$(grep -q '^@faults_by_device\[' "$o" && echo yes || echo no)"
fi

if [ $tracepoints = yes ]; then
	if ran faultlat; then
		for k in "@faults[$W]" "@pmd_faults[$W]"; do
			check "devmem-faultlat.bt and devmem-faultlat-kfunc.bt: $k" \
				"$(mapval "$(out faultlat)" "$k")" "$(mapval "$(out tp-faultlat)" "$k")"
		done
	fi
	if ran migrate; then
		for k in "@calls[to_device]" "@calls[to_ram]" "@pages[to_device]" "@pages[to_ram]" \
			"@folios[to_device, 0]" "@folios[to_device, $horder]" "@folios[to_ram, 0]" \
			"@folios[to_ram, $horder]" "@empty[to_ram]" "@fault_calls[$W]"; do
			check "devmem-migrate.bt and devmem-migrate-kfunc.bt: $k" \
				"$(mapval "$(out migrate)" "$k")" "$(mapval "$(out tp-migrate)" "$k")"
		done
		# the tracepoints count collected pages, the kfunc script src
		# entries (a huge page is one): the same without huge pages
		if [ "$TD9$TR9" = 00 ]; then
			for k in "@collected[to_device]" "@collected[to_ram]"; do
				check "devmem-migrate.bt and devmem-migrate-kfunc.bt: $k" \
					"$(mapval "$(out migrate)" "$k")" "$(mapval "$(out tp-migrate)" "$k")"
			done
		else
			check "devmem-migrate.bt: @collected[to_device] (pages)" "$D" "$(mapval "$(out tp-migrate)" "@collected[to_device]")"
		fi
	fi
fi

# Device pages.
if ran pagelife; then
	o=$(out pagelife)
	L=$(label pagelife)
	check "$L: @allocs (pages)" "$(expect "$w" allocs)" "$(mapval "$o" "@allocs")"
	check "$L: @frees (pages)" "$(expect "$w" frees)" "$(mapval "$o" "@frees")"
	check "$L: @alloc_folios[0]" "$A0" "$(mapval "$o" "@alloc_folios[0]")"
	check "$L: @alloc_folios[$horder]" "$A9" "$(mapval "$o" "@alloc_folios[$horder]")"
	check "$L: @free_folios[0]" "$R0" "$(mapval "$o" "@free_folios[0]")"
	check "$L: @free_folios[$horder]" "$R9" "$(mapval "$o" "@free_folios[$horder]")"
	# the pieces of a split folio but its first do not pair with its allocation
	pieces=$((SPLITS * 511))
	check "$L: lifetime histogram total (folios freed whole or first pieces)" "$((R0 + R9 - pieces))" "$(histtotal "$o" "@lifetime_usecs")"
	check "$L: @unmatched (pieces of split folios)" "$pieces" "$(mapval "$o" "@unmatched")"
	if [ $tracepoints = yes ]; then
		for k in @allocs @frees "@alloc_folios[0]" "@alloc_folios[$horder]" "@free_folios[0]" \
			"@free_folios[$horder]" "@unmatched"; do
			check "devmem-pagelife.bt and devmem-pagelife-kfunc.bt: $k" \
				"$(mapval "$o" "$k")" "$(mapval "$(out tp-pagelife)" "$k")"
		done
	fi
fi
if ran k5; then
	o=$(out k5)
	check "one-liner k5: @allocs[$W]" "$(expect "$w" allocs)" "$(mapval "$o" "@allocs[$W]")"
	check "one-liner k5: @frees[$W]" "$(expect "$w" frees)" "$(mapval "$o" "@frees[$W]")"
fi

# Ranges: what /proc/iomem listed before the rmmod and after the insmod.
# These few lines are read in the shell: a process costs a good part of a
# second under TCG.
# sortw WORD...: the words sorted, on one line (as iomem_ranges writes them)
sortw() {
	local -a a=("$@")
	local i j t
	for ((i = 1; i < ${#a[@]}; i++)); do
		t=${a[i]}
		for ((j = i - 1; j >= 0; j--)); do
			[[ ${a[j]} > $t ]] || break
			a[j + 1]=${a[j]}
		done
		a[j + 1]=$t
	done
	[ ${#a[@]} = 0 ] || printf '%s ' "${a[@]}"
}
# hexw VAR NUMBER: VAR = NUMBER (hex, with or without 0x) as 0x%x
hexw() { printf -v "$1" '0x%x' "$((16#${2#0x}))"; }
before='' after='' wl_before='' wl_after=''
while IFS= read -r l; do
	case $l in
	"before "*) before=${l#before } ;;
	"after "*) after=${l#after } ;;
	"wl_before "*) wl_before=${l#wl_before } ;;
	"ranges "*) wl_after=${l#ranges } ;;
	esac
done <"$w"
read -ra before_r <<<"$before"
read -ra after_r <<<"$after"
# the ranges test_hmm hotplugged while the workload ran (a chunk of huge
# pages, or one more when a device ran short): add lines too
added_r=()
for r in $wl_after; do
	case " $wl_before " in *" $r "*) ;; *) added_r+=("$r") ;; esac
done
echo "# ranges added while the workload ran: ${added_r[*]:-none}"
before=$(sortw "${before_r[@]}")
after=$(sortw "${after_r[@]}")
added_after=$(sortw "${after_r[@]}" "${added_r[@]}")
nbefore=${#before_r[@]}
before_starts=() before_pages=()
for r in "${before_r[@]}"; do
	before_starts+=("${r%-*}")
	before_pages+=($(( (${r#*-} - ${r%-*} + 1) / 4096 )))
done
is_time() { [[ $1 =~ ^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$ ]]; }
if ran removewait; then
	o=$(out removewait)
	L=$(label removewait)
	starts=() pages=()
	while read -r tm _ _ st pg _; do
		is_time "$tm" || continue
		hexw st "$st"
		starts+=("$st")
		pages+=("$pg")
	done <"$o"
	check "$L: one line per removed range" "$nbefore" "${#starts[@]}"
	check "$L: removed starts are the ranges before" "$(sortw "${before_starts[@]}")" "$(sortw "${starts[@]}")"
	check "$L: PAGES are the ranges' sizes" "$(sortw "${before_pages[@]}")" "$(sortw "${pages[@]}")"
	check "$L: wait histogram total" "$nbefore" "$(histtotal "$o" "@wait_usecs")"
	if [ $tracepoints = yes ]; then
		tp_starts=()
		while read -r tm _ _ st _; do
			is_time "$tm" || continue
			hexw st "$st"
			tp_starts+=("$st")
		done <"$(out tp-removewait)"
		check "devmem-removewait.bt and devmem-removewait-kfunc.bt: removed starts" \
			"$(sortw "${tp_starts[@]}")" "$(sortw "${starts[@]}")"
	fi
fi
if ran hotplug; then
	o=$(out hotplug)
	L=$(label hotplug)
	online=$(cat /sys/devices/system/node/online 2>/dev/null || echo 0)
	nodes=" "
	for r in ${online//,/ }; do
		for ((i = ${r%-*}; i <= ${r#*-}; i++)); do nodes="$nodes$i "; done
	done
	declare -A ev_ranges=()
	bad=0 badnode=0 evs=()
	while read -r tm ev _ _ a b pg nd ty; do
		is_time "$tm" || continue
		hexw a "$a"
		hexw b "$b"
		ev_ranges[$ev]="${ev_ranges[$ev]:-} $a-$b"
		[ "$ty" = private ] && [ "$pg" = $(((b - a + 1) / 4096)) ] || bad=$((bad + 1))
		# the node the driver asked for: an online one, or -1 (none;
		# the patched test_hmm asks for its device's, which has none)
		if [ "$ev" = add ]; then
			case "$nodes-1 " in *" $nd "*) ;; *) badnode=$((badnode + 1)) ;; esac
		fi
		evs+=("$ev,$a,$b,$pg,$ty")
	done <"$o"
	for ev in remove remove_done add; do
		read -ra got <<<"${ev_ranges[$ev]:-}"
		case $ev in
		add) want_r=$added_after; what="ranges added by the workload and after the reload (/proc/iomem)" ;;
		*) want_r=$before; what="ranges before" ;;
		esac
		check "$L: $ev lines = $what" "$want_r" "$(sortw "${got[@]}")"
	done
	check "$L: every line private, PAGES its range's size" 0 "$bad"
	check "$L: add lines name an online node ($online) or -1" 0 "$badnode"
	if [ $tracepoints = yes ]; then
		tp_evs=()
		while read -r tm ev _ _ a b pg _ ty _; do
			is_time "$tm" || continue
			hexw a "$a"
			hexw b "$b"
			tp_evs+=("$ev,$a,$b,$pg,$ty")
		done <"$(out tp-hotplug)"
		check "devmem-hotplug.bt and devmem-hotplug-kfunc.bt: the same events and ranges" \
			"$(sortw "${tp_evs[@]}")" "$(sortw "${evs[@]}")"
	fi
fi
if ran k6; then
	declare -A k6_ranges=()
	while read -r ev r; do
		case $ev in add|remove) ;; *) continue ;; esac
		hexw a "${r%-*}"
		hexw b "${r#*-}"
		k6_ranges[$ev]="${k6_ranges[$ev]:-} $a-$b"
	done <"$(out k6)"
	read -ra got <<<"${k6_ranges[remove]:-}"
	check "one-liner k6: remove lines" "$before" "$(sortw "${got[@]}")"
	read -ra got <<<"${k6_ranges[add]:-}"
	check "one-liner k6: add lines (the workload's and the reload's)" "$added_after" "$(sortw "${got[@]}")"
fi

echo "# check-bpftrace-kfunc.sh: $(($(date +%s) - t0)) s"
tap_done

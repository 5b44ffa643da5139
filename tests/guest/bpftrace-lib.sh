# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Shared part of the guest tests of tools/bpftrace (check-bpftrace.sh, on the
# zone_device tracepoints, and check-bpftrace-kfunc.sh, on kfunc probes): reading
# bpftrace's printed maps, and running programs a few at a time against one
# run of a driver (the workload, or an rmmod/insmod of test_hmm).
#
# The sourcing test sets $work (a scratch directory), $kdir (the kernel dir,
# for test_hmm.ko) and $wl (devmem-workload) first, optionally $wl_args
# (its arguments, split into words), and calls bt_cleanup from its EXIT
# trap.

# ---- output readers ---------------------------------------------------------------
# bt_load FILE...: read the printed maps of FILEs once, so that mapval and
# histtotal on them need no process of their own (each one costs a good
# part of a second under TCG). Both read a file not loaded with awk.
declare -A bt_loaded bt_val bt_hist
bt_load() {
	local f t k v
	for f in "$@"; do bt_loaded[$f]=1; done
	while IFS=$'\t' read -r t f k v; do
		if [ "$t" = v ]; then bt_val[$f$'\t'$k]=$v; else bt_hist[$f$'\t'$k]=$v; fi
	done < <(awk '
		FNR == 1 { on = 0 }
		{ l = $0; sub(/[ \t]+$/, "", l) }
		l ~ /^@.*:$/ { on = 1; name = substr(l, 1, length(l) - 1); seen[FILENAME "\t" name] = 1; next }
		on && /^\[/ { r = $0; sub(/^\[[^])]*[])] */, "", r); h[FILENAME "\t" name] += r; next }
		{ on = 0 }
		/^@.*: -?[0-9]+$/ { i = match(l, /: -?[0-9]+$/); print "v\t" FILENAME "\t" substr(l, 1, i - 1) "\t" $NF }
		END { for (k in seen) print "h\t" k "\t" h[k] + 0 }' "$@")
}
# mapval FILE '@name[key]': the value of a printed map entry (last one), 0 if absent
mapval() {
	if [ -n "${bt_loaded[$1]:-}" ]; then echo "${bt_val[$1$'\t'$2]:-0}"; return; fi
	awk -v k="$2:" 'index($0, k) == 1 { v = $NF } END { print v + 0 }' "$1"
}
# histtotal FILE '@name[key]': the sum of the histogram's rows
histtotal() {
	if [ -n "${bt_loaded[$1]:-}" ]; then echo "${bt_hist[$1$'\t'$2]:-0}"; return; fi
	awk -v name="$2" '{ l = $0; sub(/[ \t]+$/, "", l) } l == name ":" { on = 1; next }
		on && /^\[/ { sub(/^\[[^])]*[])] */, ""); s += $1; next }
		{ on = 0 } END { print s + 0 }' "$1"
}
# mapsum FILE '@name[': the sum of every entry of a map with keys
mapsum() { awk -v k="$2" 'index($0, k) == 1 { s += $NF } END { print s + 0 }' "$1"; }
# expect FILE KEY: the value of a workload's "expect KEY=VALUE" line (the first)
expect() {
	local l
	while read -r l; do
		case $l in "expect $2="*) l=${l#"expect $2="}; case $l in ''|*[!0-9]*) ;; *) echo "$l"; return ;; esac ;; esac
	done <"$1"
}
workload_pids() { awk '$1 == "expect" && $2 ~ /^pid=/ { sub(/^pid=/, "", $2); print $2 }' "$1" | sort -n | tr '\n' ' '; }
hex() { printf '0x%x' "$((16#${1#0x}))"; }
# normranges: the words of stdin, hex numbers or START-END ranges of them
# (with or without 0x), written 0x%x, sorted, on one line
normranges() {
	awk '{ for (i = 1; i <= NF; i++) { n = split($i, p, "-"); o = ""
		for (j = 1; j <= n; j++) { h = tolower(p[j]); sub(/^0x/, "", h); sub(/^0+/, "", h)
			o = o (j > 1 ? "-" : "") "0x" (h == "" ? "0" : h) }
		print o } }' | sort | tr '\n' ' '
}
iomem_ranges() {
	awk -F' : ' '$2 ~ /^hmm_dmirror[0-9]*$/ { gsub(/ /, "", $1); print $1 }' /proc/iomem | normranges
}
atleast() {
	if [ "$3" -ge "$2" ] 2>/dev/null; then ok "$1 ($3 >= $2)"; else not_ok "$1 (expected at least $2, got $3)"; fi
}
# readme_oneliners README SECTION: the one-liners of one "## SECTION" of a README
readme_oneliners() {
	sed -n "/^## $2\$/,/^## /p" "$1" | sed -n "s/^bpftrace -e '\\(.*\\)'\$/\\1/p"
}

# ---- the programs -------------------------------------------------------------------
# name -> how to run it, and the drivers' output it saw
declare -A src kind drvout
declare -a pids=()
add_prog() {	# NAME script|oneliner SOURCE
	src[$1]=$3
	kind[$1]=$2
}

bt_cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	grep -q '^test_hmm ' /proc/modules || insmod "$kdir/test_hmm.ko"
}

# reload_hmm: the hotplug driver, an rmmod and insmod of test_hmm
reload_hmm() {
	rmmod test_hmm || return 1
	insmod "$kdir/test_hmm.ko"
}

# bt_sleep SECONDS: sleep without starting a process, which costs a good
# part of a second of CPU under TCG while the programs compile: a read that
# times out on a FIFO no one writes to
bt_sleep_fd=
bt_sleep() {
	if [ -z "$bt_sleep_fd" ] && mkfifo "$work/.sleep" 2>/dev/null; then
		exec {bt_sleep_fd}<>"$work/.sleep"
		rm -f "$work/.sleep"
	fi
	if [ -n "$bt_sleep_fd" ]; then read -r -t "$1" -u "$bt_sleep_fd" _; else sleep "$1"; fi
}

# has_tracing FILE: FILE has a line that starts with "Tracing" (no process)
has_tracing() {
	local l
	while IFS= read -r l; do
		[[ $l == Tracing* ]] && return 0
	done <"$1"
	return 1
} 2>/dev/null

# nfds PID: how many files PID has open (a glob, no process)
nfds() {
	local -a f=("/proc/$1/fd/"*)
	[ -e "${f[0]}" ] && echo ${#f[@]} || echo 0
}

# in_epoll_wait PID: its main thread is blocked in epoll_wait/epoll_pwait(2)
in_epoll_wait() {
	local nr rest
	read -r nr rest 2>/dev/null <"/proc/$1/syscall" || return 1
	case $nr in 232|281|441) return 0 ;; esac
	return 1
}

# run_batch DRIVERS NAME...: start the programs, wait until all are attached,
# drive them once (DRIVERS: wl, the workload with $wl_args; hotplug, reload_hmm; or
# "wl hotplug", one after the other), stop them with SIGINT (they print
# their maps), collect. Output in $work/NAME.out, exit status in
# $work/NAME.status, the drivers' output in drvout[NAME]: "wl_before
# RANGES" (/proc/iomem before the workload), the workload's, then "ranges
# RANGES" (after it: it may add ranges, test_hmm hotplugs a chunk when it
# needs one); "before RANGES" and "after RANGES" around the reload.
batch=0
run_batch() {
	local d=$1 n i t started t0 t1 t2
	shift
	local names=("$@")
	batch=$((batch + 1))
	pids=()
	t0=$(date +%s)
	for n in "${names[@]}"; do
		if [ "${kind[$n]}" = script ]; then
			bpftrace "${src[$n]}" >"$work/$n.out" 2>"$work/$n.err" &
		else
			# BEGIN runs once every probe is attached: it marks
			# readiness; after the program, whose C definitions
			# (a struct) must come first
			bpftrace -e "${src[$n]} BEGIN { printf(\"Tracing\\n\"); }" >"$work/$n.out" 2>"$work/$n.err" &
		fi
		pids+=($!)
	done
	local cpu='' tck pst
	local -a attached_fds=()
	tck=$(getconf CLK_TCK)
	for i in "${!pids[@]}"; do
		n=${names[$i]}
		started=0
		for t in $(seq 600); do
			# "Attaching" comes before the probes are attached, BEGIN's
			# "Tracing" line after
			if has_tracing "$work/$n.out"; then started=1; break; fi
			kill -0 "${pids[$i]}" 2>/dev/null || break
			bt_sleep 0.5
		done
		if [ $started = 1 ]; then
			# its files while its probes are attached (see the stop below)
			attached_fds[$i]=$(nfds "${pids[$i]}")
			# CPU it took to compile and attach, with its children, in
			# tenths of seconds: utime, stime, cutime and cstime
			read -ra pst 2>/dev/null <"/proc/${pids[$i]}/stat"
			t=$(( (${pst[13]:-0} + ${pst[14]:-0} + ${pst[15]:-0} + ${pst[16]:-0}) * 10 / tck ))
			cpu="$cpu $n=$((t / 10)).$((t % 10))"
		else
			echo "# $n did not attach: $(grep -v RLIMIT "$work/$n.err" | head -3)"
		fi
	done
	t1=$(date +%s)
	echo "# batch $((batch)): CPU seconds to attach:$cpu"
	bt_sleep 1
	: >"$work/batch$batch.drv"
	local dv st=
	for dv in $d; do
		case $dv in
		wl)
			echo "wl_before $(iomem_ranges)" >>"$work/batch$batch.drv"
			# shellcheck disable=SC2086
			"$wl" ${wl_args:-} >>"$work/batch$batch.drv" 2>&1
			st="$st $dv:$?"
			echo "ranges $(iomem_ranges)" >>"$work/batch$batch.drv" ;;
		hotplug)
			echo "before $(iomem_ranges)" >>"$work/batch$batch.drv"
			reload_hmm >>"$work/batch$batch.drv" 2>&1
			st="$st $dv:$?"
			echo "after $(iomem_ranges)" >>"$work/batch$batch.drv" ;;
		*) echo "run_batch: unknown driver '$dv'" >&2; st="$st $dv:unknown" ;;
		esac
	done
	echo "# batch $batch (status$st): $*"
	# one interval:s:1 print after the drivers, for the programs that have one
	for n in "${names[@]}"; do
		if [ "${kind[$n]}" = script ]; then grep -q 'interval:' "${src[$n]}"; else [[ ${src[$n]} == *interval:* ]]; fi &&
			{ bt_sleep 1.5; break; }
	done
	t2=$(date +%s)
	for i in "${!pids[@]}"; do kill -INT "${pids[$i]}" 2>/dev/null; done
	# bpftrace 0.17 leaves its event loop only when a signal interrupts the
	# epoll_wait() it blocks in, 100 ms at a time: a SIGINT that lands while
	# it runs in user space sets its flag, which that loop never reads. So
	# SIGINT is sent again to a program that still blocks in epoll_wait with
	# its probes attached (as many files open as when it attached). Once out
	# of the loop it detaches its probes, drains its buffers in one more
	# epoll_wait and restores the default action of SIGINT before it prints
	# its maps: a SIGINT then would kill it, and the files it closed tell
	# that it has left the loop. (A program woken by a signal shows as
	# running, not in epoll_wait.)
	local -a resent=()
	local alive
	for t in $(seq 360); do
		bt_sleep 0.5
		alive=0
		for i in "${!pids[@]}"; do
			kill -0 "${pids[$i]}" 2>/dev/null || continue
			alive=1
			if in_epoll_wait "${pids[$i]}" && [ "$(nfds "${pids[$i]}")" = "${attached_fds[$i]:-}" ]; then
				kill -INT "${pids[$i]}" 2>/dev/null
				resent[$i]=$((${resent[$i]:-0} + 1))
			fi
		done
		[ $alive = 1 ] || break
	done
	for i in "${!pids[@]}"; do
		n=${names[$i]}
		[ -z "${resent[$i]:-}" ] || echo "# $n: SIGINT sent again ${resent[$i]} times (it was still in its event loop)"
		kill -KILL "${pids[$i]}" 2>/dev/null
		wait "${pids[$i]}"
		echo $? >"$work/$n.status"
		drvout[$n]=$work/batch$batch.drv
	done
	echo "# batch $batch: attached in $((t1 - t0)) s, driven in $((t2 - t1)) s, stopped in $(($(date +%s) - t2)) s"
	pids=()
}

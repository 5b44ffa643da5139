#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The guest half of the benchmarks (tests/bench/run.sh boots it once per
# kernel with tests/guest/run.sh):
#
#   tests/bench/guest.sh patched    everything that needs the devmem tracepoints
#   tests/bench/guest.sh vanilla    the baseline on the unpatched kernel
#
# Raw results go to $DEVMEM_RESULTS/bench.raw as lines "KEY VALUE..." that
# run.sh turns into the table; progress goes to stdout. Sizes come from the
# environment (run.sh passes them):
#   DEVMEM_BENCH_CYCLES    interleaved cycles of the overhead configurations
#   DEVMEM_BENCH_SAMPLES   workload runs per tool launch
#   DEVMEM_BENCH_ROUNDS    rounds per workload run
#   DEVMEM_BENCH_PAGES     pages per round
#   DEVMEM_BENCH_STARTS    launches per tool for the start-up times
#   DEVMEM_BENCH_STATS_CYCLES  interleaved cycles of the bpf_stats runs

set -u
kind=${1:-patched}
res=${DEVMEM_RESULTS:-/tmp}
raw=$res/bench.raw
here=$(cd "$(dirname "$0")" && pwd)
cycles=${DEVMEM_BENCH_CYCLES:-3}
samples=${DEVMEM_BENCH_SAMPLES:-2}
rounds=${DEVMEM_BENCH_ROUNDS:-40}
pages=${DEVMEM_BENCH_PAGES:-64}
starts=${DEVMEM_BENCH_STARTS:-2}
stats_cycles=${DEVMEM_BENCH_STATS_CYCLES:-3}
bt=$here/devmemhist-equiv.bt
work=/tmp/bench
mkdir -p "$work"
: >"$raw"
# bpftrace sizes every map by this; 16384 keys hold the workload's live pages
export BPFTRACE_MAP_KEYS_MAX=16384

emit() { echo "$*" >>"$raw"; }
say() { echo "bench: $*"; }
now_ns() { date +%s%N; }
# ms_since T0 [DECIMALS]: milliseconds from now_ns value T0 to now
ms_since() { awk -v a="$1" -v b="$(now_ns)" -v d="${2:-1}" 'BEGIN { printf "%." d "f", (b - a) / 1e6 }'; }

# hmm_runs: the upstream selftest twice, nothing attached
hmm_runs() {
	local i t0
	for i in 1 2; do
		t0=$(now_ns); hmm-tests >"$work/hmm.out" 2>&1
		emit "hmmtests $(ms_since "$t0") $(grep -c '^ok' "$work/hmm.out")"
	done
}

sysctl -qw kernel.bpf_stats_enabled=0 2>/dev/null

# run_workload ARGS...: run the workload, print its wall time in ms (float)
run_workload() {
	local t0
	t0=$(now_ns)
	devmem-workload "$@" >"$work/workload.out" 2>&1 || { echo fail; return 1; }
	ms_since "$t0" 3
}

# count the bpf_link file descriptors of PID
links_of() {
	local n=0 f
	for f in /proc/"$1"/fd/*; do
		case $(readlink "$f" 2>/dev/null) in
		*bpf_link*|*bpf-link*) n=$((n + 1)) ;;
		esac
	done
	echo $n
}

# tool_cmd CONFIG: the command line of a configuration
tool_cmd() {
	case $1 in
	hist) echo "devmemhist record -f -o $work/rec 1" ;;
	hist_fentry) echo "devmemhist record --fentry -f -o $work/rec 1" ;;
	top) echo "devmemtop -b -v" ;;
	snoop) echo "devmemsnoop" ;;
	stat) echo "devmemstat" ;;
	bpftrace) echo "bpftrace $bt" ;;
	esac
}

# ready marker of a configuration in its log (start-up runs keep stdout)
tool_marker() {
	case $1 in
	hist|hist_fentry) echo "Recording to" ;;
	top) echo "first frame" ;;
	snoop) echo "TIME" ;;
	stat) echo "Tracing device-private" ;;
	bpftrace) echo "devmemhist-equiv: tracing" ;;
	esac
}

TOOL_PID=
# start_tool CONFIG STDOUT: start it in the background, wait until it is
# attached; sets TOOL_PID and START_MS (ms it took); status 1 if it failed
start_tool() {
	local cfg=$1 out=$2 t0 i=0
	rm -f "$work/rec"* "$work/tool.err"
	t0=$(now_ns)
	# shellcheck disable=SC2046
	$(tool_cmd "$cfg") >"$out" 2>"$work/tool.err" </dev/null &
	TOOL_PID=$!
	while :; do
		if ! kill -0 "$TOOL_PID" 2>/dev/null; then
			return 1
		fi
		case $cfg in
		bpftrace)
			grep -q "$(tool_marker "$cfg")" "$out" 2>/dev/null && break ;;
		top)
			# its first frame comes after the refresh delay: attached
			# is when its programs are linked
			[ "$(links_of "$TOOL_PID")" -gt 0 ] && break ;;
		*)
			if [ "$out" = /dev/null ]; then
				[ "$(links_of "$TOOL_PID")" -gt 0 ] && break
			else
				grep -q "$(tool_marker "$cfg")" "$out" "$work/tool.err" 2>/dev/null && break
			fi ;;
		esac
		i=$((i + 1))
		[ $i -gt 3000 ] && return 1
		sleep 0.01
	done
	START_MS=$(ms_since "$t0")
}

stop_tool() {
	[ -n "$TOOL_PID" ] || return 0
	kill -INT "$TOOL_PID" 2>/dev/null
	local i=0
	while kill -0 "$TOOL_PID" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -KILL "$TOOL_PID" 2>/dev/null
	wait "$TOOL_PID" 2>/dev/null
	TOOL_PID=
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status 2>/dev/null; }
map_bytes() {
	bpftool map show --json 2>/dev/null |
		jq '[.[] | .bytes_memlock // 0 | tonumber] | add // 0' 2>/dev/null
}
map_count() { bpftool map show --json 2>/dev/null | jq 'length' 2>/dev/null; }

wl=(-p 1 -r "$rounds" -n "$pages" --no-last)
emit "kernel $kind $(uname -r)"
emit "workload ${wl[*]}"

if [ "$kind" = vanilla ]; then
	say "vanilla: workload, nothing attached"
	devmem-workload -p 1 -r 2 -n 8 >/dev/null 2>&1	# warm-up
	for ((c = 0; c < cycles * samples; c++)); do
		ms=$(run_workload "${wl[@]}")
		emit "ovh none $ms"
	done
	say "vanilla: hmm-tests"
	hmm_runs
	exit 0
fi

# ---- 1. overhead, interleaved ---------------------------------------------
configs=(none hist hist_fentry top snoop bpftrace)
devmem-workload -p 1 -r 2 -n 8 >/dev/null 2>&1	# warm-up
for ((c = 1; c <= cycles; c++)); do
	for cfg in "${configs[@]}"; do
		say "overhead cycle $c/$cycles: $cfg"
		if [ "$cfg" != none ]; then
			out=/dev/null
			[ "$cfg" = bpftrace ] && out=$work/bt.out
			start_tool "$cfg" "$out" || { emit "fail $cfg start: $(head -c 300 "$work/tool.err" | tr '\n' ' ')"; stop_tool; continue; }
			emit "attach $cfg $START_MS"
			sleep 0.5
		fi
		for ((s = 0; s < samples; s++)); do
			ms=$(run_workload "${wl[@]}")
			emit "ovh $cfg $ms"
		done
		if [ "$cfg" != none ]; then
			emit "rss $cfg $(rss_kb "$TOOL_PID")"
			if [ "$c" = 1 ]; then
				emit "maps $cfg $(map_count) $(map_bytes)"
			fi
			stop_tool
		fi
	done
done

# ---- 2. hmm-tests on the patched kernel, nothing attached -----------------
say "hmm-tests"
hmm_runs

# ---- 3. per-event handler cost from the kernel's run-time statistics ------
# interleaved cycles, summed: one run alone varies by half under TCG
for ((c = 1; c <= stats_cycles; c++)); do
	for cfg in hist hist_fentry bpftrace; do
		say "handler cost: $cfg, cycle $c/$stats_cycles"
		out=/dev/null
		[ "$cfg" = bpftrace ] && out=$work/bt.out
		sysctl -qw kernel.bpf_stats_enabled=1
		start_tool "$cfg" "$out" || { emit "fail $cfg stats start"; stop_tool; sysctl -qw kernel.bpf_stats_enabled=0; continue; }
		sleep 0.5
		emit "statswl $cfg $(run_workload "${wl[@]}")"
		bpftool prog show --json 2>/dev/null |
			jq -r --arg cfg "$cfg" '.[] | select((.run_cnt // 0) > 0) |
				"stats \($cfg) \(.name // "?") \(.run_cnt) \(.run_time_ns) \(.recursion_misses // 0)"' \
				>>"$raw"
		stop_tool
		sysctl -qw kernel.bpf_stats_enabled=0
	done
done

# ---- 4. streaming: devmemsnoop against event rate and ring buffer size ----
for spec in "1 64 1024" "4 64 1024" "8 256 1024" "8 256 64" "8 256 4"; do
	set -- $spec
	p=$1 n=$2 kb=$3
	say "snoop: -p $p -n $n, -b $kb"
	devmemsnoop -B "$kb" -i 1 >"$work/snoop.out" 2>"$work/snoop.err" </dev/null &
	TOOL_PID=$!
	i=0
	while [ "$(links_of "$TOOL_PID")" -eq 0 ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
	sleep 0.3
	ms=$(run_workload -p "$p" -r 10 -n "$n" --no-last)
	sleep 1.5
	stop_tool
	lines=$(($(wc -l <"$work/snoop.out") - 1))
	lost=$(sed -n 's/^lost \([0-9]*\) events.*/\1/p' "$work/snoop.err" | tail -n 1)
	emit "snoop $p $n $kb $ms $lines ${lost:-?}"
	msg=$(grep -m1 'in the last interval' "$work/snoop.err")
	[ -n "$msg" ] && emit "snoopmsg $kb $msg"
	emit "snoopfinal $kb $(grep '^lost' "$work/snoop.err" | tail -n 1)"
done

# ---- 5. start-up: launch to attached, output kept -------------------------
for cfg in hist hist_fentry top snoop stat bpftrace; do
	for ((i = 0; i < starts; i++)); do
		say "start-up: $cfg $((i + 1))/$starts"
		start_tool "$cfg" "$work/start.out" || { emit "fail $cfg startup"; stop_tool; continue; }
		if [ "$cfg" = top ]; then
			# devmemtop -v prints its own timing at exit
			sleep 1.5
			stop_tool
			own=$(sed -n 's/.*(\([0-9.]*\) ms to open the BPF session).*/\1/p' "$work/tool.err")
			emit "startup $cfg ${own:-$START_MS}"
		else
			stop_tool
			emit "startup $cfg $START_MS"
		fi
	done
done

# ---- 6. scale: number of faulting processes --------------------------------
# one workload: separate ones would evict each other's pages (test_hmm
# evicts the whole device when any process closes its mirror file)
scale_run() {
	local t0
	t0=$(now_ns)
	devmem-workload -p "$1" -r 4 -n 16 --no-last >/dev/null 2>&1
	ms_since "$t0"
}
devmem-workload -p 8 -r 1 -n 16 --no-last >/dev/null 2>&1	# warm-up
for procs in 1 8 64 256; do
	for rep in 1 2; do
		for cfg in none hist; do
			say "scale: $procs processes, $cfg, $rep/2"
			if [ "$cfg" != none ]; then
				start_tool "$cfg" /dev/null || { emit "fail scale $cfg"; stop_tool; continue; }
				sleep 0.3
			fi
			emit "scale $procs $cfg $(scale_run "$procs")"
			[ "$cfg" != none ] && stop_tool
		done
	done
done

# ---- 7. a full map: 256 processes against a 64-entry process table --------
say "map full: 256 processes, DEVMEM_MAX_PROCS=64"
DEVMEM_MAX_PROCS=64 devmemstat -j -P -- sh -c "devmem-workload -p 256 -r 2 -n 8 --no-last >$work/mf.1 2>&1" \
	>"$work/mf.json" 2>"$work/mf.err"
mfrc=$?
want=$(cat "$work/mf.1" 2>/dev/null | awk '$1 == "expect" && $2 ~ /^allocs=/ { sub(/allocs=/, "", $2); s += $2 } END { print s + 0 }')
if [ $mfrc = 0 ]; then
	emit "mapfull 256 64 $(jq -r --arg want "$want" '[([.processes[] | select(.allocs > 0 or .faults > 0)] | length),
		.lost.processes_map_full, .lost.total, ($want | tonumber), .totals.allocs] | map(tostring) | join(" ")' "$work/mf.json")"
else
	emit "fail map-full run: devmemstat exit $mfrc: $(head -c 200 "$work/mf.err" | tr '\n' ' ')"
fi

say done
exit 0

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The guest half of the state-model benchmark (tests/bench/run.sh boots it
# with 2 and with 8 vCPUs): each tool with its default options, in this
# tree ("after") and in the baseline tree ("before", BASELINE_DIR/build),
# around a workload of 64 live processes; the kernel map memory the tool
# holds once they are done (bytes_memlock of the maps its process holds),
# and, with cost=1, the kernel's per-program run time of devmemhist record.
#
#   tests/bench/state.sh BASELINE_DIR [cost]
#
# Raw lines "mem SET TOOL CPUS MAPS BYTES" and "pcost SET PROG RUNS NS" go
# to $DEVMEM_RESULTS/state.raw.
set -u
base=${1:?usage: tests/bench/state.sh BASELINE_DIR [cost]}
cost=${2:-}
res=${DEVMEM_RESULTS:-/tmp}
raw=$res/state.raw
work=/tmp/bench-state
mkdir -p "$work"
: >"$raw"
cpus=$(nproc)
emit() { echo "$*" >>"$raw"; }
say() { echo "bench-state: $*"; }

# the bpf maps held by process PID: count and bytes (memlock of each map fd;
# a map held through two fds counts once, by map_id)
maps_of() {
	local f id m n=0 b=0 seen=" "

	for f in /proc/"$1"/fdinfo/*; do
		id=$(sed -n 's/^map_id:[[:space:]]*//p' "$f" 2>/dev/null)
		[ -n "$id" ] || continue
		case $seen in *" $id "*) continue ;; esac
		seen="$seen$id "
		m=$(sed -n 's/^memlock:[[:space:]]*//p' "$f" 2>/dev/null)
		n=$((n + 1))
		b=$((b + ${m:-0}))
	done
	echo "$n $b"
}

tool_cmd() {	# BIN TOOL SET: the command line (the baseline has the 1.x option letters)
	local bin=$1 i=-i w=-W
	[ "$3" = before ] && i=-d w=-w
	case $2 in
	record) echo "$bin/devmemhist record -f -o $work/rec 1" ;;
	top) echo "$bin/devmemtop -b $i 1" ;;
	snoop) echo "$bin/devmemsnoop" ;;
	stat) echo "$bin/devmemstat" ;;
	ranges) echo "$bin/devmemranges $w" ;;
	esac
}

run_tool() {	# SET TOOL
	local set=$1 tool=$2 bin pid i got
	bin=$PWD/build
	[ "$set" = before ] && bin=$base/build
	# shellcheck disable=SC2046
	$(tool_cmd "$bin" "$tool" "$set") >/dev/null 2>"$work/$set-$tool.err" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		got=$(maps_of $pid)
		[ -n "$got" ] && [ "${got%% *}" -gt 2 ] 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.5
	devmem-workload -p 64 -r 1 -n 4 --no-last >/dev/null 2>&1
	sleep 0.5
	emit "mem $set $tool $cpus $(maps_of $pid)"
	kill -INT $pid 2>/dev/null
	wait $pid 2>/dev/null
	sleep 0.3
}

for tool in record top snoop stat ranges; do
	for set in before after; do
		say "map memory: $set $tool ($cpus vCPUs)"
		run_tool "$set" "$tool"
	done
done

# ---- per-event run time: devmemhist record, before and after, interleaved ----
if [ -n "$cost" ]; then
	sysctl -qw kernel.bpf_stats_enabled=1
	for cycle in 1 2 3; do
		for set in before after; do
			bin=$PWD/build
			[ "$set" = before ] && bin=$base/build
			say "run time: $set, cycle $cycle"
			"$bin/devmemhist" record -f -o "$work/rec" 1 >/dev/null 2>&1 &
			pid=$!
			for ((i = 0; i < 600; i++)); do
				got=$(maps_of $pid)
				[ -n "$got" ] && [ "${got%% *}" -gt 2 ] 2>/dev/null && break
				sleep 0.1
			done
			sleep 0.5
			devmem-workload -p 1 -r 20 -n 64 --no-last >/dev/null 2>&1
			# the programs the tool holds: fdinfo has their ids, bpftool their stats
			ids=$(cat /proc/$pid/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u)
			for id in $ids; do
				bpftool prog show id "$id" --json 2>/dev/null |
					jq -r --arg set "$set" 'select((.run_cnt // 0) > 0) |
						"pcost \($set) \(.name // "?") \(.run_cnt) \(.run_time_ns)"' >>"$raw"
			done
			kill -INT $pid 2>/dev/null
			wait $pid 2>/dev/null
		done
	done
	sysctl -qw kernel.bpf_stats_enabled=0
fi
say done
exit 0

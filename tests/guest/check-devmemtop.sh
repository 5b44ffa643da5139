#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test: `devmemtop -b -d 1` runs around the deterministic workload
# (devmem-workload) and, stopped with SIGINT, prints a final summary whose
# per-process, per-device and total figures must equal the workload's
# "expect" lines exactly:
#   pages to device, pages to RAM, allocs, frees     exact
#   faults                                           FAULTS - WASTED = pages
#                                                    touched, FAULTS >= them
# (a racing migrate_to_ram can collect nothing and the fault is retried: such
# a wasted fault is counted apart). A device row is matched to the workload's
# dev=N line by its figures, since owners are kernel pointers. Where python3
# is there, a second instance in JSON mode checks that the frames add up to
# the summary. Start-up to first frame is measured and reported.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-devmemtop.sh
#
# TAP lines through tests/lib.sh; exits non-zero on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"

workload=${DEVMEM_WORKLOAD:-$(command -v devmem-workload)}
tool=${DEVMEMTOP:-$(command -v devmemtop || echo "$top/${OUT:-build}/devmemtop")}
work=$(mktemp -d /tmp/check-devmemtop.XXXXXX)
top_pids=()
cleanup() {
	local p
	for p in "${top_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT


[ -n "$workload" ] && [ -x "$workload" ] ||
	bail "devmem-workload not found in PATH; build it with tests/workload/build.sh KERNEL_DIR build/tests"
[ -x "$tool" ] || bail "devmemtop not found ($tool); run make on the host first"
[ -c /dev/hmm_dmirror0 ] || bail "/dev/hmm_dmirror0 is missing; load test_hmm (insmod test_hmm.ko) first"
python=
for p in /usr/bin/python3 python3; do
	command -v "$p" >/dev/null 2>&1 && "$p" -c 'import json' 2>/dev/null && { python=$p; break; }
done

# start_top OUTFILE ARGS...: start devmemtop in the background, wait for its
# first frame; sets top_pid and startup_ms, returns non-zero if it died.
start_top() {
	local outf=$1 t0 end
	shift
	t0=$(date +%s%N)
	"$tool" "$@" >"$outf" 2>"$outf.err" &
	top_pid=$!
	top_pids+=("$top_pid")
	end=$((t0 + 120 * 1000000000))
	while [ "$(date +%s%N)" -lt $end ]; do
		if [ -s "$outf" ] && head -c 200 "$outf" | grep -qE '^(devmemtop - |\{)'; then
			startup_ms=$((($(date +%s%N) - t0) / 1000000))
			return 0
		fi
		kill -0 "$top_pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

stop_top() { # PID: SIGINT, then its exit status
	kill -INT "$1" 2>/dev/null
	wait "$1"
}

# The summary of a text run as "key value" lines in the same keys:
#   process rows  PID FAULTS WASTED THRASH TODEV TORAM ALLOCS FREES P50 P99 COMMAND
#   device rows   DEVICE SIZE INUSE USE% BAR FAULTS WASTED THRASH TODEV TORAM ALLOCS FREES RANGE
#   total line    Total: faults F (wasted W)  pages to device D  to RAM R  allocs A  frees X
measured() {
	awk '
		/summary over/ { s = 1; next }
		!s { next }
		/^Total:/ {
			print "faults", $3; w = $5; sub(/\)/, "", w); print "wasted", w
			print "pages_to_device", $9; print "pages_to_ram", $12
			print "allocs", $14; print "frees", $16
			next
		}
		/^ +PID / { t = "p"; next }
		/^DEVICE / { t = "d"; next }
		NF == 0 { t = ""; next }
		t == "p" && $1 ~ /^[0-9]+$/ {
			p = "pid." $1 "."
			print p "faults", $2; print p "wasted", $3; print p "pages_to_device", $5
			print p "pages_to_ram", $6; print p "allocs", $7; print p "frees", $8
		}
		t == "d" && NF >= 13 {
			# only devices with activity: "todev toram allocs frees faults-wasted"
			if ($9 + $10 + $11 + $12 + $6 > 0) print "devrow", $9 "/" $10 "/" $11 "/" $12 "/" ($6 - $7)
		}' "$1"
}

get() { awk -v k="$1" '$1 == k { print $2; f = 1; exit } END { if (!f) print 0 }' "$2"; }

run_case() {
	local name=$1 dir=$work/$1 rc pid key exp got
	shift
	mkdir -p "$dir"
	echo "# case $name: devmem-workload $*"
	if ! start_top "$dir/top.txt" -b -i 1 -v; then
		not_ok "$name: devmemtop did not print a first frame: $(head -n 2 "$dir/top.txt.err")"
		return
	fi
	local text_pid=$top_pid
	ok "$name: devmemtop started, first frame after $startup_ms ms"
	echo "# $name: start-up to first frame (live, BPF load and attach, guest under $(
		grep -qw hypervisor /proc/cpuinfo && echo a hypervisor || echo bare metal)): $startup_ms ms"
	local json_pid=
	if [ -n "$python" ] && start_top "$dir/top.json" -j -i 1; then
		json_pid=$top_pid
	fi
	"$workload" "$@" >"$dir/wl.out" 2>"$dir/wl.err"
	rc=$?
	sed 's/^/#   /' "$dir/wl.out"
	sleep 1.2	# one more frame after the workload, as a person would see it
	stop_top "$text_pid"
	check "$name: devmemtop exits with status 0 on SIGINT" 0 $?
	[ -n "$json_pid" ] && stop_top "$json_pid"
	top_pids=()
	if [ $rc != 0 ]; then
		not_ok "$name: devmem-workload failed with status $rc: $(tail -n 1 "$dir/wl.err")"
		return
	fi
	grep -q 'summary over' "$dir/top.txt" && ok "$name: SIGINT printed the final summary" ||
		{ not_ok "$name: no summary after SIGINT: $(tail -n 2 "$dir/top.txt.err")"; return; }
	if grep -qP '\x1b' "$dir/top.txt"; then
		not_ok "$name: batch output contains escape codes"
	else
		ok "$name: batch output has no escape codes"
	fi
	grep -q 'first frame' "$dir/top.txt.err" && echo "# $name: devmemtop's own measure: $(grep -o 'first frame.*' "$dir/top.txt.err")"

	workload_expectations "$dir/wl.out" >"$dir/expect"
	measured "$dir/top.txt" >"$dir/measured"

	# per process and in total
	while read -r key exp; do
		case $key in
		dev.*) continue ;;	# per device: matched below
		*pages_to_device | *pages_to_ram | *allocs | *frees) ;;
		*faults)
			local wk=${key%faults}wasted f w
			f=$(get "$key" "$dir/measured")
			w=$(get "$wk" "$dir/measured")
			if [ $((f - w)) = "$exp" ] && [ "$f" -ge "$exp" ]; then
				ok "$name: $key: $f faults, $w wasted: $((f - w)) = $exp pages touched"
			else
				not_ok "$name: $key: $f faults, $w wasted; workload touched $exp pages"
			fi
			continue ;;
		*) continue ;;
		esac
		check "$name: $key" "$exp" "$(get "$key" "$dir/measured")"
	done <"$dir/expect"

	# every process row belongs to the workload
	local pids others
	pids=$(awk -F. '$1 == "pid" { print $2 }' "$dir/expect" | sort -u | tr '\n' ' ')
	others=$(awk -F'[. ]' '$1 == "pid" { print $2 }' "$dir/measured" | sort -u |
		while read -r p; do case " $pids" in *" $p "*) ;; *) echo "$p" ;; esac; done | tr '\n' ' ')
	check "$name: no device-memory activity outside the workload's processes" "" "${others% }"

	# per device: the multiset of active device rows equals the dev=N lines
	local want have
	want=$(awk '$1 ~ /^dev\.[0-9]+\./ { split($1, k, "."); v[k[2], k[3]] = $2; d[k[2]] = 1 }
		END { for (i in d) print v[i, "pages_to_device"] "/" v[i, "pages_to_ram"] "/" \
			v[i, "allocs"] "/" v[i, "frees"] "/" v[i, "faults"] }' "$dir/expect" | sort | tr '\n' ' ')
	have=$(awk '$1 == "devrow" { print $2 }' "$dir/measured" | sort | tr '\n' ' ')
	check "$name: device rows (todev/toram/allocs/frees/faults-wasted)" "${want% }" "${have% }"

	# JSON frames, summed, equal the JSON summary and the workload
	if [ -n "$json_pid" ] && [ -s "$dir/top.json" ]; then
		if "$python" - "$dir/top.json" "$dir/expect" <<'EOF'; then
import json, sys
frames = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
data = [f for f in frames if f["type"] == "frame"]
summ = [f for f in frames if f["type"] == "summary"]
assert len(summ) == 1, "no summary"
keys = ("faults", "faults_wasted", "pages_to_device", "pages_to_ram", "allocs", "frees")
tot = {k: 0 for k in keys}
per = {}
for f in data:
    for k in keys:
        tot[k] += f["counters"][k]
    for p in f["processes"]:
        for k in keys:
            per[(p["tgid"], k)] = per.get((p["tgid"], k), 0) + p["counters"][k]
for k in keys:
    assert tot[k] == summ[0]["counters"][k], (k, tot[k], summ[0]["counters"][k])
for p in summ[0]["processes"]:
    for k in keys:
        assert per.get((p["tgid"], k), 0) == p["counters"][k], (p["tgid"], k)
exp = dict(l.split() for l in open(sys.argv[2]))
for k in ("pages_to_device", "pages_to_ram", "allocs", "frees"):
    assert tot[k] == int(exp[k]), (k, tot[k], exp[k])
EOF
			ok "$name: JSON frames summed equal the summary and the workload"
		else
			not_ok "$name: JSON frames do not add up (see above)"
		fi
	fi
}

run_case default
run_case alt -p 2 -r 3 -n 10 -d alt
run_case batches -p 2 -r 2 -n 100 -d 1 -w --no-last
tap_done

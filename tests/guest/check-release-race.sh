#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test: device-page evictions racing with allocations while every
# zone_device tracepoint has a BPF program attached.
#
# test_hmm evicts all pages of its device when any process closes its mirror
# file (dmirror_fops_release -> migrate_device_range). Four workloads at once
# make those evictions run while the other processes allocate device pages
# and fault them back. An eviction can take a page as soon as
# zone_device_page_init() has given it a reference; before the series'
# test_hmm fix (its first patch) test_hmm set the page's driver data only
# after that, so an eviction could copy from a device private page and the
# kernel oopsed (the guest run fails on that), the more likely the slower
# zone_device_page_init() is. The figures must balance too:
# every device page handed out during a run was given back by its end, and
# every fault was seen to its end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
res=${DEVMEM_RESULTS:-/tmp}
reps=${DEVMEM_RACE_REPS:-3}

# A slow second program on zone_device_folio_alloc widens whatever window the
# tracepoint sits in, so a bad placement shows on every run, not by chance.
bpftrace -e 'tracepoint:zone_device:zone_device_folio_alloc { $i = 0; while ($i < 3000) { $i++; } }
	BEGIN { printf("slow handler attached\n"); }' >"$res/slow.out" 2>&1 &
slow=$!
for ((i = 0; i < 600; i++)); do
	grep -q 'slow handler attached' "$res/slow.out" 2>/dev/null && break
	kill -0 "$slow" 2>/dev/null || break
	sleep 0.1
done
check "a slow bpftrace handler is attached to zone_device_folio_alloc" yes \
	"$(grep -q 'slow handler attached' "$res/slow.out" && echo yes || echo "no: $(head -c 200 "$res/slow.out")")"

for ((rep = 1; rep <= reps; rep++)); do
	devmemstat -j -- sh -c 'for k in 1 2 3 4; do
		devmem-workload -p 64 -r 2 -n 8 --no-last >/dev/null 2>&1 & done; wait' \
		>"$res/race.$rep.json" 2>"$res/race.$rep.err"
	rc=$?
	check "run $rep: devmemstat exit status" 0 "$rc"
	# Two CPUs claiming one way of the thrash table at once is retried
	# (thrash_way_claim_raced counts a page given up after three), and the
	# set index spreads the processes' pages: every loss must be 0.
	got=$(jq -r '[.counters.allocs, .counters.frees, .counters.faults,
		.histograms.fault_latency.count, .lost.total,
		(.lost.thrash_way_claim_raced // 0)] | map(tostring) | join(" ")' \
		"$res/race.$rep.json" 2>/dev/null)
	read -r allocs frees faults fdone lost thrash_raced <<<"${got:-x x x x x x}"
	echo "# run $rep: thrash way claims given up: $thrash_raced"
	echo "# run $rep: losses: $(jq -c '.lost | with_entries(select(.value != 0))' "$res/race.$rep.json" 2>/dev/null)"
	check "run $rep: device pages were handed out" yes \
		"$([ "$allocs" -gt 0 ] 2>/dev/null && echo yes || echo "no ($allocs)")"
	check "run $rep: every page handed out was given back (frees = allocs $allocs)" "$allocs" "$frees"
	check "run $rep: every fault was seen to its end (fault_done = faults $faults)" "$faults" "$fdone"
	check "run $rep: nothing lost" 0 "$lost"
done
kill -INT "$slow" 2>/dev/null
for ((i = 0; i < 100; i++)); do kill -0 "$slow" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$slow" 2>/dev/null
wait "$slow" 2>/dev/null
check "the kernel logged no oops, BUG or WARNING" 0 \
	"$(dmesg | grep -c -E 'Oops|BUG:|WARNING:|unable to handle')"
tap_done

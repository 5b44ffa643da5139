#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The demo, inside the guest: test_hmm's two device-private chunks are the
# device memory; three processes migrate pages to it and fault them back.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/build
res=${DEVMEM_RESULTS:-/tmp}
step() { printf '\n### %s\n$ %s\n' "$1" "$2"; }

step "Device-private ranges present before any tool started" "devmemranges"
"$bin/devmemranges"

step "Live view, batch mode, one frame a second, while the workload runs" \
	"devmemtop -b -i 1 -- ... (workload: 3 processes x 4 rounds)"
"$bin/devmemtop" -b -i 1 -r 10 >"$res/top.txt" 2>&1 &
top_pid=$!
sleep 3
devmem-workload >"$res/workload.txt"
sleep 2
kill -INT "$top_pid"
wait "$top_pid"
cat "$res/top.txt"
echo
grep '^expect [a-z_]*=' "$res/workload.txt"

step "Histograms recorded to a file during the workload, then reported" \
	"devmemhist record -o rec.dmr 1 & devmem-workload; devmemhist report rec.dmr"
"$bin/devmemhist" record -o "$res/rec.dmr" 1 >/dev/null 2>&1 &
rec_pid=$!
sleep 3
devmem-workload -p 2 -r 3 -d alt >/dev/null
sleep 2
kill -INT "$rec_pid"
wait "$rec_pid"
"$bin/devmemhist" report "$res/rec.dmr"

step "One line per event (migrations and faults of one small run)" \
	"devmemsnoop -e migrate,fault_done -- devmem-workload -p 1 -r 1 -n 4"
"$bin/devmemsnoop" -e migrate,fault_done -- devmem-workload -p 1 -r 1 -n 4 --no-last 2>&1 | grep -v '^expect'

step "Counters and histogram percentiles of a run, as devmemstat prints them" \
	"devmemstat -- devmem-workload"
"$bin/devmemstat" -- sh -c 'devmem-workload >/dev/null'

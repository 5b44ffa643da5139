#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The guest suite on the patched kernel, run inside the guest by
# tests/guest/run.sh: each test prints TAP lines and its own closing count.
#
#   tests/guest/suite.sh [1|2|bounded]
#
# make test boots two guests of the patched kernel, part 1 and part 2
# (each its own test_hmm); without an argument, one guest runs both. Part
# 1, then part 2, run beside the other kernels' guests, which run one after
# another (tests/run-all.sh); the two lanes are about as long. Part 2 holds the checks of the 6.12 fentry fallback
# that no other 6.12 kernel runs: the kfunc bpftrace scripts, and every
# tool forced onto the fallback (check-tools.sh with --fentry; check-bpf.sh,
# check-diagnosis.sh and check-driver-tools.sh run both modes themselves).
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
part1="hmm-tests.sh check-workload.sh check-tracepoints.sh check-bpf.sh check-always-on.sh
	check-release-race.sh check-devmemtop.sh check-devmemhist.sh check-devmemsnoop.sh
	check-devmemranges.sh check-host.sh check-driver.sh check-driver-tools.sh check-driver-events.sh
	check-diagnosis.sh check-stacks.sh check-json-schema.sh check-exporter.sh check-bpftrace.sh"
part2="check-bpftrace-kfunc.sh check-tools.sh:--fentry"
# the longest run of every program on a 64 GiB device, on the tracepoints
# where the kernel has them and on the fallback: a guest of its own with
# DEVMEM_ICOUNT=0 and DEVMEM_MEM=4G (check-bounded.sh says why)
if [ -d /sys/kernel/tracing/events/zone_device ] || [ -d /sys/kernel/tracing/events/devmem ]; then
	bounded="check-bounded.sh check-bounded.sh:--fentry"
else
	bounded="check-bounded.sh"
fi
case ${1:-all} in
1) checks=$part1 ;;
2) checks=$part2 ;;
bounded) checks=$bounded ;;
all) checks="$part1 $part2" ;;
*) echo "usage: tests/guest/suite.sh [1|2|bounded]" >&2; exit 2 ;;
esac
# NAME:ARGS runs NAME with DEVMEM_CHECK_MODE_ARGS=ARGS (the tools' mode)
for t in $checks; do
	echo "# --- $t"
	start=$(date +%s)
	case $t in
	*:*) DEVMEM_CHECK_MODE_ARGS=${t#*:} "$here/${t%%:*}" || rc=1 ;;
	*) "$here/$t" || rc=1 ;;
	esac
	echo "# --- $t took $(($(date +%s) - start)) s"
done
exit $rc

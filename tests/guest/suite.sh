#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The guest suite on the patched kernel, run inside the guest by
# tests/guest/run.sh: each test prints TAP lines and its own closing count.
#
#   tests/guest/suite.sh [1|2]
#
# make test boots two guests of the patched kernel side by side, part 1 and
# part 2 (each its own test_hmm); without an argument, one guest runs both.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
part1="hmm-tests.sh check-workload.sh check-tracepoints.sh check-bpf.sh check-always-on.sh
	check-release-race.sh check-devmemtop.sh check-devmemhist.sh check-devmemsnoop.sh
	check-devmemranges.sh check-driver.sh check-driver-tools.sh check-driver-events.sh
	check-diagnosis.sh check-json-schema.sh check-exporter.sh"
part2="check-bpftrace.sh"
case ${1:-all} in
1) checks=$part1 ;;
2) checks=$part2 ;;
all) checks="$part1 $part2" ;;
*) echo "usage: tests/guest/suite.sh [1|2]" >&2; exit 2 ;;
esac
for t in $checks; do
	echo "# --- $t"
	start=$(date +%s)
	"$here/$t" || rc=1
	echo "# --- $t took $(($(date +%s) - start)) s"
done
exit $rc

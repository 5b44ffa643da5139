#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The guest suite on the patched kernel, run inside the guest by
# tests/guest/run.sh: each test prints TAP lines and its own closing count.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for t in hmm-tests.sh check-workload.sh check-tracepoints.sh check-bpf.sh check-always-on.sh check-release-race.sh \
	check-devmemtop.sh check-devmemhist.sh check-devmemsnoop.sh check-devmemranges.sh \
	check-bpftrace.sh check-driver.sh check-driver-tools.sh check-driver-events.sh check-diagnosis.sh \
	check-exporter.sh check-json-schema.sh; do
	echo "# --- $t"
	start=$(date +%s)
	"$here/$t" || rc=1
	echo "# --- $t took $(($(date +%s) - start)) s"
done
exit $rc

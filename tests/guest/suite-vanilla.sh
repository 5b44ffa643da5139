#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The guest suite on the unpatched 6.12 kernel (scripts/kernel.sh vanilla),
# run inside the guest by tests/guest/run.sh: hmm-tests against its
# baseline, and the test driver proved with kprobes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
echo "# --- hmm-tests.sh"
"$here/hmm-tests.sh" || rc=1
echo "# --- check-driver.sh"
"$here/check-driver.sh" || rc=1
# the fallback, exact, for the BPF core, every tool and the test driver
for t in check-bpf.sh check-tools.sh check-driver-tools.sh check-diagnosis.sh; do
	echo "# --- $t"
	"$here/$t" || rc=1
done
echo "# --- check-bpftrace-kfunc.sh"; "$here/check-bpftrace-kfunc.sh" || rc=1
exit $rc

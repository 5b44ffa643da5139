#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The guest suite on the 6.1 kernel (scripts/kernel.sh stock61), run inside
# the guest by tests/guest/run.sh: hmm-tests against the 6.1 baseline, and
# the test driver proved with kprobes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
# The exclusive-access tests that fail on 6.1 retry until the harness's
# timeout; the build of tests/guest/build-hmm-tests.sh ends them after 5 s
# instead of 30.
short=$here/../../build/hmm-tests/$(basename "${DEVMEM_KERNEL_DIR:-none}")/hmm-tests
if [ -x "$short" ]; then
	export DEVMEM_HMM_TESTS=$short
else
	echo "# $short is missing (tests/guest/build-hmm-tests.sh builds it); running the kernel dir's hmm-tests, with 30 s timeouts"
fi
echo "# --- hmm-tests.sh"
"$here/hmm-tests.sh" --baseline "$here/hmm-tests-6.1.baseline" || rc=1
echo "# --- check-driver.sh"
"$here/check-driver.sh" || rc=1
# the fallback, exact, for the BPF core, every tool, the test driver and the
# fault stacks; devmem-check on what 6.1 has
for t in check-bpf.sh check-tools.sh check-driver-tools.sh check-diagnosis.sh check-stacks.sh \
	check-host.sh; do
	echo "# --- $t"
	"$here/$t" || rc=1
done
echo "# --- check-bpftrace-kfunc.sh"; "$here/check-bpftrace-kfunc.sh" || rc=1
exit $rc

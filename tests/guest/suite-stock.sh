#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The guest suite on Debian's stock kernel (no test_hmm, no DEVICE_PRIVATE),
# run inside the guest by tests/guest/run.sh: the tools load on the
# fallback and say there is nothing to observe (check-stock.sh), and
# devmem-check says why and exits 17 (check-host.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for t in check-stock.sh check-host.sh; do
	echo "# --- $t"
	"$here/$t" || rc=1
done
exit $rc

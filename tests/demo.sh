#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make demo`: boot the patched kernel in a guest with test_hmm as the device
# and show the tools on the deterministic workload (tests/guest/demo.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kdir=$(scripts/kernel.sh patched)
tests/guest/build.sh "$kdir" >/dev/null
exec tests/guest/run.sh -k "$kdir" -t 1200 -o build/demo -- tests/guest/demo.sh

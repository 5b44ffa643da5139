#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Build the programs the guest tests run, against the given kernel's source:
# the workload, the test driver with its workload, and progtime.
#   tests/guest/build.sh KERNEL_DIR
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=${1:?usage: tests/guest/build.sh KERNEL_DIR}
mkdir -p "$top/build/tests"
"$top/tests/workload/build.sh" "$kdir" "$top/build/tests"
"$top/tests/driver/build.sh" "$kdir" >/dev/null
"$top/tests/guest/progtime/build.sh" "$top/build/tests"

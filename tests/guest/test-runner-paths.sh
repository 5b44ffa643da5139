#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Host test of tests/guest/run.sh with the repo under /tmp (where a CI
# clone may live) and the results directory inside it, as make test puts
# it (build/test-logs/...): the guest's tmpfs on /tmp and the repo's
# read-only bind must not hide the writable results share. One boot, of a
# clone of the committed tree (what CI runs).
#
#   tests/guest/test-runner-paths.sh KERNEL_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
kdir=${1:?usage: test-runner-paths.sh KERNEL_DIR}
tmp=$(mktemp -d /tmp/devmem-paths.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

git clone -q "$top" "$tmp/repo" 2>"$tmp/clone.err" ||
	bail "cannot clone the repo to $tmp: $(head -c 200 "$tmp/clone.err")"
res=$tmp/repo/build/test-logs/paths
mkdir -p "$res"
"$tmp/repo/tests/guest/run.sh" -k "$kdir" -t 300 -o "$res" --no-hmm -- \
	sh -c 'echo written >"$DEVMEM_RESULTS/probe"; exit 3' >"$tmp/run.out" 2>&1
rc=$?
check "repo and results under /tmp: the command's status comes back" 3 "$rc"
check "repo and results under /tmp: the command wrote to the results share" written \
	"$(cat "$res/probe" 2>/dev/null || echo "nothing ($(tail -n 1 "$tmp/run.out"))")"
tap_done

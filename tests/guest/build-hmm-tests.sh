#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Build the kernel's hmm-tests selftest with a shorter per-test timeout
# (tests/guest/hmm-tests-timeout.c) against a kernel from scripts/kernel.sh,
# into build/hmm-tests/<kernel dir name>/hmm-tests, and print its path.
#   tests/guest/build-hmm-tests.sh KERNEL_DIR [SECONDS]   (default 5)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kdir=${1:?usage: tests/guest/build-hmm-tests.sh KERNEL_DIR [SECONDS]}
timeout_s=${2:-5}
src=$(cat "$kdir/source" 2>/dev/null) ||
	{ echo "build-hmm-tests.sh: $kdir/source is missing; pass a kernel dir printed by scripts/kernel.sh." >&2; exit 1; }
sel=$src/tools/testing/selftests/mm
[ -d "$sel" ] || sel=$src/tools/testing/selftests/vm
[ -r "$sel/hmm-tests.c" ] ||
	{ echo "build-hmm-tests.sh: $sel/hmm-tests.c is missing; rebuild the kernel with scripts/kernel.sh." >&2; exit 1; }
out=$top/build/hmm-tests/$(basename "$kdir")
mkdir -p "$out"
# the helper sources as the selftests' Makefile names them (vm_util.c;
# since 7.x also hugepage_settings.c)
helpers=$(sed -n 's/^\$(TEST_GEN_FILES): *//p' "$sel/Makefile" | head -n 1)
[ -n "$helpers" ] || helpers=vm_util.c
# shellcheck disable=SC2046
gcc -O2 -DHMM_TESTS_TIMEOUT="$timeout_s" -isystem "$kdir/headers/include" -I"$src/tools/testing/selftests" \
	-I"$src" -I"$sel" -o "$out/hmm-tests" "$here/hmm-tests-timeout.c" \
	$(for h in $helpers; do echo "$sel/$h"; done) -lpthread \
	>"$out/build.log" 2>&1 ||
	{ cat "$out/build.log" >&2; echo "build-hmm-tests.sh: building hmm-tests against $kdir failed (log above)." >&2; exit 1; }
echo "$out/hmm-tests"

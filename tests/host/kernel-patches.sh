#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Host checks of the kernel series: checkpatch.pl --strict on every patch,
# and no warning in the files the series touches when they are compiled with
# W=1, except the ones the unpatched tree already has
# (tests/host/kernel-warnings.allow).
#   tests/host/kernel-patches.sh KERNEL_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"
kdir=${1:?usage: tests/host/kernel-patches.sh KERNEL_DIR}
src=$(readlink -f "$(cat "$kdir/source")")
obj=$(dirname "$src")/obj
allow=$here/kernel-warnings.allow

# the series the kernel was built with (scripts/kernel.sh writes it to info)
series=$top/$(sed -n 's/^series=//p' "$kdir/info")
[ -f "$series" ] || { echo "kernel-patches.sh: $kdir/info names no series; use a patched kernel." >&2; exit 2; }
pdir=$(dirname "$series")
mapfile -t patches < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$series")
# checkpatch looks the commit of a Fixes: tag up with git; the source
# package has no history, so every id would be "unknown" there. The ids are
# checked against the kernel history when a patch gains one, instead.
cpopts=(--strict --quiet)
[ -e "$src/.git" ] || cpopts+=(--ignore UNKNOWN_COMMIT_ID)
for p in "${patches[@]}"; do
	if out=$(cd "$src" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl "${cpopts[@]}" "$pdir/$p" 2>&1) && [ -z "$out" ]; then
		ok "checkpatch --strict: $p"
	else
		not_ok "checkpatch --strict: $p"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
done

# The C files the series changes, compiled again with W=1.
objs=$(sed -n 's|^+++ b/\(.*\)\.c$|\1.o|p' "${patches[@]/#/$pdir/}" | sort -u)
# Remove them first: an object already built with W=1 would not be rebuilt,
# and its warnings would not show.
for o in $objs; do rm -f "$obj/$o"; done
w1log=$(mktemp)
trap 'rm -f "$w1log"' EXIT
make -s -C "$src" O="$obj" W=1 $objs >"$w1log" 2>&1
rc=$?
check "W=1 build of $(echo $objs | tr '\n' ' ')" 0 "$rc"
new=$(grep -E ': warning:' "$w1log" | sed -e "s|^$src/||" -e 's/:[0-9]*:[0-9]*:/:/' |
	grep -vxF -f <(grep -v '^#' "$allow") || true)
if [ -z "$new" ]; then
	ok "no new W=1 warnings in the files the series touches"
else
	not_ok "new W=1 warnings in the files the series touches"
	printf '%s\n' "$new" | sed 's/^/#   /'
fi
tap_done

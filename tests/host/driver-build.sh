#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Host checks of the test driver (tests/driver/): checkpatch.pl --strict on
# its sources, and for each kernel dir given a W=1 out-of-tree build
# without a warning, that uses zone_device_pool exactly where the kernel's
# <linux/zone_device_pool.h> declares it, and memremap_pages() directly
# everywhere (multi-range pagemaps).
#   tests/host/driver-build.sh KERNEL_DIR...
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"
[ $# -gt 0 ] || { echo "usage: tests/host/driver-build.sh KERNEL_DIR..." >&2; exit 2; }

src=$(readlink -f "$(cat "$1/source")")
for f in devmem_testdrv.c devmem_testdrv.h; do
	if out=$(cd "$src" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict --quiet --no-tree -f "$top/tests/driver/$f" 2>&1) &&
		[ -z "$out" ]; then
		ok "checkpatch --strict: tests/driver/$f"
	else
		not_ok "checkpatch --strict: tests/driver/$f"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
done

for kdir in "$@"; do
	name=$(sed -n 's/^variant=//p' "$kdir/info") ver=$(sed -n 's/^kernel_version=//p' "$kdir/info")
	if ! ko=$("$top/tests/driver/build.sh" "$kdir" 2>"$top/build/driver-build.err"); then
		not_ok "the test driver builds against $name ($ver): $(tail -n 3 "$top/build/driver-build.err" | tr '\n' ' ')"
		continue
	fi
	ok "the test driver builds against $name ($ver) with W=1"
	warn=$(grep -E 'warning:' "$(dirname "$ko")/build.log")
	if [ -z "$warn" ]; then
		ok "no warnings building the test driver against $name"
	else
		not_ok "warnings building the test driver against $name"
		printf '%s\n' "$warn" | sed 's/^/#   /'
	fi
	check "the module's vermagic names $ver" "$ver" "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)"
	if grep -qs zone_device_pool_add "$kdir/build/include/linux/zone_device_pool.h"; then want=yes; else want=no; fi
	got=$(nm "$ko" | grep -qE ' U zone_device_pool_add$' && echo yes || echo no)
	check "the test driver uses zone_device_pool_add() on $name exactly if the kernel has it" "$want" "$got"
	check "the test driver calls memremap_pages() on $name" yes \
		"$(nm "$ko" | grep -qE ' U memremap_pages$' && echo yes || echo no)"
done
tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Build the test driver against a kernel from scripts/kernel.sh, and the
# program that drives it.
#
#   tests/driver/build.sh KERNEL_DIR [OUTDIR]
#
# The module is built out of tree with W=1 through KERNEL_DIR/build into
# OUTDIR/<kernel dir name>/devmem_testdrv.ko (OUTDIR defaults to
# build/driver), and its compiler output is kept next to it as build.log.
# devmem-drv-workload, and hmm-thp (test_hmm's THP migrations, built with
# the kernel's lib/test_hmm_uapi.h), go to build/tests (static where the
# toolchain can). Prints the module's path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
me=build.sh

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: tests/driver/build.sh KERNEL_DIR [OUTDIR]" >&2
	exit 2
fi
kdir=$(cd "$1" 2>/dev/null && pwd) || { echo "$me: kernel dir '$1' does not exist." >&2; exit 1; }
out=${2:-$top/build/driver}
if [ ! -f "$kdir/build/Makefile" ] || [ ! -f "$kdir/build/Module.symvers" ]; then
	echo "$me: $kdir/build is not a tree for out-of-tree modules; rebuild the kernel with the current scripts/kernel.sh." >&2
	exit 1
fi

mdir=$out/$(basename "$kdir")
mkdir -p "$mdir"
mdir=$(cd "$mdir" && pwd)
# Kbuild writes its objects next to the sources: build from a copy.
for f in Kbuild devmem_testdrv.c devmem_testdrv.h; do
	cmp -s "$here/$f" "$mdir/$f" || cp "$here/$f" "$mdir/$f"
done
# Compiled again every time, so build.log always has the compiler's say.
rm -f "$mdir/devmem_testdrv.o" "$mdir/devmem_testdrv.ko"
if ! make -C "$kdir/build" M="$mdir" W=1 modules >"$mdir/build.log" 2>&1; then
	cat "$mdir/build.log" >&2
	echo "$me: building the test driver against $kdir failed (log above)." >&2
	exit 1
fi

mkdir -p "$top/build/tests"
cc=${CC:-gcc}
cflags="-O2 -g -Wall -Wextra -Werror -I$here"
w=$top/build/tests/devmem-drv-workload
# shellcheck disable=SC2086
if ! $cc $cflags -static -o "$w.tmp" "$here/devmem-drv-workload.c" 2>/dev/null; then
	# shellcheck disable=SC2086
	$cc $cflags -o "$w.tmp" "$here/devmem-drv-workload.c"
fi
mv "$w.tmp" "$w"

src=$(cat "$kdir/source" 2>/dev/null || true)
inc=
[ -d "$kdir/headers/include" ] && inc="-isystem $kdir/headers/include"
if [ -n "$src" ] && [ -r "$src/lib/test_hmm_uapi.h" ]; then
	w=$top/build/tests/hmm-thp
	# shellcheck disable=SC2086
	if ! $cc $cflags $inc -I"$src" -static -o "$w.tmp" "$here/hmm-thp.c" 2>/dev/null; then
		# shellcheck disable=SC2086
		$cc $cflags $inc -I"$src" -o "$w.tmp" "$here/hmm-thp.c"
	fi
	mv "$w.tmp" "$w"
fi
echo "$mdir/devmem_testdrv.ko"

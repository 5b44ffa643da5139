#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Build the devmem workloads against a kernel from scripts/kernel.sh.
#
#   tests/workload/build.sh KERNEL_DIR OUTDIR
#
# devmem-workload (devmem-workload.c), and devmem-stacks with its shared
# library libdevmem-sites.so, built -O2 -fomit-frame-pointer (faults in
# libc's memcpy), and again -O1 -fno-omit-frame-pointer as devmem-stacks-fp
# with libdevmem-sites-fp.so (faults in a frameless leaf of the library).
#
# KERNEL_DIR holds 'source' (the path of the kernel tree, for
# lib/test_hmm_uapi.h) and headers/ (headers_install). The binary is linked
# statically when the toolchain can, so it runs from the guest's read-only
# 9p root without depending on the host's libraries; otherwise dynamically.
# It keeps its frame pointers and its symbol table, for user stack walks.
# The devmem-stacks programs are linked dynamically (their library is the
# point) and find it next to them (rpath $ORIGIN).
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 KERNEL_DIR OUTDIR" >&2
	exit 2
fi
kdir=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -r "$kdir/source" ]; then
	echo "build.sh: $kdir/source is missing; pass a kernel directory printed by scripts/kernel.sh." >&2
	exit 1
fi
src=$(cat "$kdir/source")
if [ ! -r "$src/lib/test_hmm_uapi.h" ]; then
	echo "build.sh: $src/lib/test_hmm_uapi.h is missing; the kernel source tree named in $kdir/source is gone, rebuild it with scripts/kernel.sh." >&2
	exit 1
fi
inc=
[ -d "$kdir/headers/include" ] && inc="-isystem $kdir/headers/include"

mkdir -p "$out"
cc=${CC:-gcc}
cflags="-O2 -g -Wall -Wextra -Werror $inc -I$src"
# Frame pointers in every function, leaves included, and no sibling calls:
# bpf_get_stackid(BPF_F_USER_STACK) walks the user stack by frame pointer,
# and the --sites checks want main -> ... -> fault_site_a/b in it.
fp="-fno-omit-frame-pointer -fno-optimize-sibling-calls"
if echo 'int main(void) { return 0; }' |
	$cc -mno-omit-leaf-frame-pointer -x c -o /dev/null - 2>/dev/null; then
	fp="$fp -mno-omit-leaf-frame-pointer"
fi
cflags="$cflags $fp"
# shellcheck disable=SC2086
if $cc $cflags -static -o "$out/devmem-workload.tmp" "$here/devmem-workload.c" 2>"$out/devmem-workload.static.log"; then
	link=static
else
	# shellcheck disable=SC2086
	$cc $cflags -o "$out/devmem-workload.tmp" "$here/devmem-workload.c"
	link=dynamic
fi
rm -f "$out/devmem-workload.static.log"
mv "$out/devmem-workload.tmp" "$out/devmem-workload"
echo "build.sh: built $out/devmem-workload ($link)" >&2

# devmem-stacks: no sibling calls, so every caller stays on the stack; the
# library's memcpy() is a real call into libc.
base="-g -Wall -Wextra -Werror $inc -I$src -I$here -fno-optimize-sibling-calls"
# build_stacks SUFFIX FLAGS...: libdevmem-sitesSUFFIX.so and devmem-stacksSUFFIX
build_stacks() {
	sfx=$1
	shift
	# shellcheck disable=SC2086
	$cc $base "$@" -fPIC -shared -Wl,-soname,libdevmem-sites$sfx.so \
		-o "$out/libdevmem-sites$sfx.so.tmp" "$here/devmem-sites.c"
	mv "$out/libdevmem-sites$sfx.so.tmp" "$out/libdevmem-sites$sfx.so"
	# shellcheck disable=SC2086
	$cc $base "$@" -o "$out/devmem-stacks$sfx.tmp" "$here/devmem-stacks.c" \
		-L"$out" -ldevmem-sites$sfx -Wl,-rpath,'$ORIGIN'
	mv "$out/devmem-stacks$sfx.tmp" "$out/devmem-stacks$sfx"
	echo "build.sh: built $out/devmem-stacks$sfx and libdevmem-sites$sfx.so ($*)" >&2
}
build_stacks "" -O2 -fomit-frame-pointer -fno-builtin-memcpy
build_stacks -fp -O1 -fno-omit-frame-pointer -DDEVMEM_SITES_OWN_LEAF

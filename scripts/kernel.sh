#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Build the test guest kernel from Debian's linux-source-6.12, with or without
# the project's patch series, into a cache outside the clone.
#
#   scripts/kernel.sh [patched|vanilla]      build if needed, print the output dir
#   scripts/kernel.sh --key [patched|vanilla] print the cache key only
#
# The output directory $DEVMEM_CACHE/kernels/<variant>-<key> holds bzImage,
# vmlinux.btf, test_hmm.ko, headers/, hmm-tests, config and build.log; <key> is
# a hash of the source version, the patches, the Kconfig fragment and this
# script, so a warm cache rebuilds nothing. All variants share one source and
# object tree that is updated in place (only files whose content changed are
# rewritten), so switching variants or changing a patch rebuilds only what
# depends on the changed files.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${DEVMEM_CACHE:-/var/cache/devmem-kit}
tarball=${DEVMEM_LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
jobs=${DEVMEM_JOBS:-$(($(nproc) + 1))}
fragment=$top/kernel-patch/devmem.config

keyonly=0
if [ "${1:-}" = "--key" ]; then
	keyonly=1
	shift
fi
variant=${1:-patched}
case $variant in
patched|vanilla) ;;
*) echo "kernel.sh: unknown variant '$variant'; use 'patched' or 'vanilla'." >&2; exit 2 ;;
esac

if [ ! -r "$tarball" ]; then
	echo "kernel.sh: $tarball is missing; run 'make deps' (it installs linux-source-6.12)." >&2
	exit 1
fi

patches=()
if [ "$variant" = patched ] && [ -f "$top/kernel-patch/series" ]; then
	while read -r p; do
		p=${p%%#*}
		p=${p//[[:space:]]/}
		[ -n "$p" ] && patches+=("$top/kernel-patch/$p")
	done <"$top/kernel-patch/series"
fi

# The key: tarball identity, patches, fragment, this script.
key=$({
	stat -c '%n %s %Y' "$tarball"
	for p in "${patches[@]}"; do sha256sum <"$p"; done
	sha256sum <"$fragment"
	sha256sum <"$0"
} | sha256sum | cut -c1-16)
if [ $keyonly = 1 ]; then
	echo "$key"
	exit 0
fi

out=$cache/kernels/$variant-$key
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9
[ -f "$out/.done" ] && { echo "$out"; exit 0; }

log() { echo "kernel.sh: $*" >&2; }
t0=$(date +%s)

# Pristine source, unpacked once per tarball.
tbid=$(stat -c '%s-%Y' "$tarball")
pristine=$cache/src/$tbid
if [ ! -f "$pristine/.done" ]; then
	log "unpacking $tarball"
	rm -rf "$pristine"
	mkdir -p "$pristine"
	tar -xf "$tarball" -C "$pristine" --strip-components=1
	touch "$pristine/.done"
fi
kver=$(make -s -C "$pristine" kernelversion 2>/dev/null)

# Stage the patched source next to the pristine one (hard links; patch(1)
# replaces the files it changes, so the pristine tree is never written).
work=$cache/work/tree
stage=$work/stage
rm -rf "$stage"
mkdir -p "$work"
cp -al "$pristine" "$stage"
rm -f "$stage/.done"
for p in "${patches[@]}"; do
	log "applying $(basename "$p")"
	if ! patch -s -p1 -d "$stage" --no-backup-if-mismatch <"$p"; then
		echo "kernel.sh: $(basename "$p") does not apply to linux $kver; rebase the series in kernel-patch/." >&2
		exit 1
	fi
done

# Update the build source in place: only files whose content changed are
# rewritten (and get a new mtime), so make rebuilds only what they affect.
mkdir -p "$work/src" "$work/obj"
rsync -rl --checksum --delete "$stage/" "$work/src/"
rm -rf "$stage"

kmake() { make -C "$work/src" O="$work/obj" -j"$jobs" "$@"; }
{
	kmake -s tinyconfig
	"$work/src/scripts/kconfig/merge_config.sh" -m -O "$work/obj" "$work/obj/.config" "$fragment" >/dev/null
	kmake -s olddefconfig
} >"$work/config.log" 2>&1 || { cat "$work/config.log" >&2; echo "kernel.sh: configuring the kernel failed (log above)." >&2; exit 1; }
# Every option of the fragment must have survived olddefconfig.
while read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	grep -qx -- "$line" "$work/obj/.config" || {
		echo "kernel.sh: $line from kernel-patch/devmem.config was dropped by Kconfig (a dependency is missing); fix the fragment." >&2
		exit 1
	}
done <"$fragment"

log "building linux $kver ($variant, ${#patches[@]} patches) with -j$jobs; the log is $work/build.log"
if ! kmake bzImage modules >"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log" >&2
	echo "kernel.sh: the kernel build failed; the whole log is $work/build.log." >&2
	exit 1
fi

tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
kmake -s headers_install INSTALL_HDR_PATH="$tmp/headers" >/dev/null
cp "$work/obj/arch/x86/boot/bzImage" "$work/obj/.config" "$tmp/"
mv "$tmp/.config" "$tmp/config"
cp "$work/obj/lib/test_hmm.ko" "$tmp/"
objcopy -O binary --only-section=.BTF "$work/obj/vmlinux" "$tmp/vmlinux.btf"
cp "$work/build.log" "$tmp/build.log"
grep -E ': warning:' "$work/build.log" >"$tmp/warnings.txt" || true

# The upstream hmm-tests selftest, built against this kernel's headers.
sel=$work/src/tools/testing/selftests/mm
gcc -O2 -isystem "$tmp/headers/include" -I"$work/src/tools/testing/selftests" -I"$work/src" -I"$sel" \
	-o "$tmp/hmm-tests" "$sel/hmm-tests.c" "$sel/vm_util.c" -lpthread >"$tmp/hmm-tests.log" 2>&1 ||
	{ cat "$tmp/hmm-tests.log" >&2; echo "kernel.sh: building hmm-tests failed (log above)." >&2; exit 1; }

{
	echo "kernel_version=$kver"
	echo "variant=$variant"
	echo "key=$key"
	echo "patches=${#patches[@]}"
	echo "build_seconds=$(($(date +%s) - t0))"
} >"$tmp/info"
echo "$work/src" >"$tmp/source"
touch "$tmp/.done"
rm -rf "$out"
mv "$tmp" "$out"
log "done in $(($(date +%s) - t0)) s: $out"
echo "$out"

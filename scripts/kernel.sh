#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Build a test guest kernel from Debian's kernel source packages into a cache
# outside the clone.
#
#   scripts/kernel.sh [VARIANT]         build if needed, print the output dir
#   scripts/kernel.sh --key [VARIANT]   print the cache key only
#
# VARIANT is one of
#   patched   linux-source-6.12 with kernel-patch/6.12/series applied (the default)
#   vanilla   linux-source-6.12 as Debian ships it
#   stock61   linux-source-6.1 as Debian ships it, with the 6.1 additions of
#             kernel-patch/devmem-6.1.config
#   linux73   linux-source-7.3 (Debian's trixie-backports, fetched by
#             scripts/linux-source.sh) as Debian ships it
#   patched73 linux-source-7.3 with kernel-patch/7.3/series applied; it
#             shares linux73's object tree, so it is built incrementally on it
# All are configured from tinyconfig plus kernel-patch/devmem.config.
#
# The output directory $DEVMEM_CACHE/kernels/<variant>-<key> holds bzImage,
# vmlinux.btf, test_hmm.ko, headers/, hmm-tests, config, build.log, info
# (kernel_version, variant, key, ...), source (the path of the source tree
# it was built from) and build/, a tree for out-of-tree modules of exactly
# this kernel:  make -C <output dir>/build M=<module dir>.  build/ holds its
# own copy of what such a build needs, so it keeps working whatever is
# built later. <key> is a hash of the source tarball's identity, the
# patches, the Kconfig fragments and this script, so a warm cache rebuilds
# nothing.
#
# Each variant has its own source and object tree per source package
# ($DEVMEM_CACHE/work/<package>-<variant>), updated in place (only files
# whose content changed are rewritten), so a changed patch rebuilds only
# what depends on it, and building one variant never costs another a
# rebuild.
#
# Environment: DEVMEM_CACHE, DEVMEM_JOBS, DEVMEM_LINUX_TARBALL (6.12 source),
# DEVMEM_LINUX61_TARBALL (6.1 source), DEVMEM_LINUX73_TARBALL (7.3 source,
# instead of fetching it).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${DEVMEM_CACHE:-/var/cache/devmem-kit}
jobs=${DEVMEM_JOBS:-$(($(nproc) + 1))}

keyonly=0
if [ "${1:-}" = "--key" ]; then
	keyonly=1
	shift
fi
variant=${1:-patched}
fragments=("$top/kernel-patch/devmem.config")
series=
tree=$variant
case $variant in
patched|vanilla)
	tarball=${DEVMEM_LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
	package=linux-source-6.12
	[ "$variant" = patched ] && series=$top/kernel-patch/6.12/series ;;
stock61)
	tarball=${DEVMEM_LINUX61_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
	package=linux-source-6.1
	fragments+=("$top/kernel-patch/devmem-6.1.config") ;;
linux73|patched73)
	package=linux-source-7.3
	tarball=${DEVMEM_LINUX73_TARBALL:-}
	if [ -z "$tarball" ]; then
		tarball=$("$top/scripts/linux-source.sh" "$package" trixie-backports) || exit 1
	fi
	tree=linux73
	[ "$variant" = patched73 ] && series=$top/kernel-patch/7.3/series ;;
*) echo "kernel.sh: unknown variant '$variant'; use 'patched', 'vanilla', 'stock61', 'linux73' or 'patched73'." >&2; exit 2 ;;
esac

if [ ! -r "$tarball" ]; then
	echo "kernel.sh: $tarball is missing; run 'make deps' (it installs $package)." >&2
	exit 1
fi

patches=()
if [ -n "$series" ] && [ -f "$series" ]; then
	while read -r p; do
		p=${p%%#*}
		p=${p//[[:space:]]/}
		[ -n "$p" ] && patches+=("$(dirname "$series")/$p")
	done <"$series"
fi

# The key: tarball identity, patches, fragments, this script.
key=$({
	stat -c '%n %s %Y' "$tarball"
	for p in "${patches[@]}"; do sha256sum <"$p"; done
	for f in "${fragments[@]}"; do sha256sum <"$f"; done
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
work=$cache/work/$package-$tree
stage=$work/stage
rm -rf "$stage"
mkdir -p "$work"
cp -al "$pristine" "$stage"
rm -f "$stage/.done"
for p in "${patches[@]}"; do
	log "applying $(basename "$p")"
	if ! patch -s -p1 -d "$stage" --no-backup-if-mismatch <"$p"; then
		echo "kernel.sh: $(basename "$p") does not apply to linux $kver; rebase the series in $(dirname "$series")/." >&2
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
	"$work/src/scripts/kconfig/merge_config.sh" -m -O "$work/obj" "$work/obj/.config" "${fragments[@]}" >/dev/null
	kmake -s olddefconfig
} >"$work/config.log" 2>&1 || { cat "$work/config.log" >&2; echo "kernel.sh: configuring the kernel failed (log above)." >&2; exit 1; }
# Every option of the fragments must have survived olddefconfig.
for f in "${fragments[@]}"; do
	while read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		grep -qx -- "$line" "$work/obj/.config" || {
			echo "kernel.sh: $line from kernel-patch/$(basename "$f") was dropped by Kconfig on linux $kver (a dependency is missing); fix the fragment." >&2
			exit 1
		}
	done <"$f"
done

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
# (tools/testing/selftests/vm before 6.3).
sel=$work/src/tools/testing/selftests/mm
[ -d "$sel" ] || sel=$work/src/tools/testing/selftests/vm
# its helper sources as the selftests' Makefile names them (vm_util.c; since 7.x
# also hugepage_settings.c)
helpers=$(sed -n 's/^\$(TEST_GEN_FILES): *//p' "$sel/Makefile" | head -n 1)
[ -n "$helpers" ] || helpers=vm_util.c
gcc -O2 -isystem "$tmp/headers/include" -I"$work/src/tools/testing/selftests" -I"$work/src" -I"$sel" \
	-o "$tmp/hmm-tests" "$sel/hmm-tests.c" $(for h in $helpers; do echo "$sel/$h"; done) -lpthread \
	>"$tmp/hmm-tests.log" 2>&1 ||
	{ cat "$tmp/hmm-tests.log" >&2; echo "kernel.sh: building hmm-tests failed (log above)." >&2; exit 1; }

# A tree for out-of-tree modules of this kernel, as Kbuild wants it for
# `make -C DIR M=...`: the sources it reads (hard links: the work tree only
# ever replaces a file, never rewrites it) and copies of the configuration,
# generated headers, Module.symvers and host programs.
log "writing the out-of-tree module tree $out/build"
kit=$tmp/build
mkdir -p "$kit"
(
	cd "$work/src"
	echo Makefile
	find arch/x86 -maxdepth 1 -name 'Makefile*'
	find arch/x86 -name generated -prune -o -name include -type d -print |
		while read -r d; do find "$d" \( -type f -o -type l \) -print; done
	find include \( -name config -o -name generated \) -prune -o \( -type f -o -type l \) -print
	find scripts \( -name dtc -o -name kconfig -o -name package \) -prune -o \( -type f -o -type l \) -print
) | (cd "$work/src" && cpio -pdlm --quiet "$kit")
(
	cd "$work/obj"
	for f in .config Module.symvers include/config/auto.conf include/config/kernel.release \
		tools/objtool/objtool tools/bpf/resolve_btfids/resolve_btfids; do
		if [ -e "$f" ]; then echo "$f"; fi
	done
	find include/generated arch/x86/include/generated -type f
	find scripts -type f \( -perm -u+x -o -name module.lds \) ! -name '*.o' ! -name '*.cmd'
) | (cd "$work/obj" && cpio -pdm --quiet "$kit")
# Base BTF for the modules' BTF: vmlinux with only its .BTF section.
objcopy --only-section=.BTF "$work/obj/vmlinux" "$kit/vmlinux"

{
	echo "kernel_version=$kver"
	echo "variant=$variant"
	echo "key=$key"
	echo "patches=${#patches[@]}"
	echo "series=${series#"$top"/}"
	echo "package=$package"
	echo "tree=$work"
	echo "build_seconds=$(($(date +%s) - t0))"
} >"$tmp/info"
echo "$work/src" >"$tmp/source"
touch "$tmp/.done"
rm -rf "$out"
mv "$tmp" "$out"
log "done in $(($(date +%s) - t0)) s: $out"
echo "$out"

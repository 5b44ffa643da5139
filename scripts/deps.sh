#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Install the Debian packages of the named sets of scripts/packages.txt
# (build, test, guest; none named: all) that are missing.
#
#   scripts/deps.sh [--check] [SET...]
#
# --check only says what is missing (exit 1 if anything is).
# DEVMEM_NO_DEPS=1 installs nothing and checks nothing (another distribution,
# or a machine managed otherwise): the Makefile then checks the libraries by
# their pkg-config names and the commands by theirs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list=$here/packages.txt
check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
sets=("$@")
known=$(sed -n 's/^\[\([a-z]*\)\]$/\1/p' "$list")
for s in "${sets[@]}"; do
	grep -qx "$s" <<<"$known" ||
		{ echo "deps: unknown package set '$s'; the sets are: $(echo $known)." >&2; exit 2; }
done
[ ${#sets[@]} -gt 0 ] || mapfile -t sets <<<"$known"
[ "${DEVMEM_NO_DEPS:-0}" = 1 ] && exit 0
if ! command -v dpkg-query >/dev/null; then
	echo "deps: this is not a Debian system (no dpkg-query): install the packages of scripts/packages.txt (${sets[*]}) under your distribution's names and run make with DEVMEM_NO_DEPS=1." >&2
	exit 1
fi
# the packages of the sets asked for, comments and blank lines left out
mapfile -t pkgs < <(awk -v want=" ${sets[*]} " '
	/^\[[a-z]+\]$/ { set = substr($0, 2, length($0) - 2); next }
	{ sub(/#.*/, ""); gsub(/[ \t]/, "") }
	$0 != "" && index(want, " " set " ") { print }' "$list")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ $check = 1 ]; then
	echo "deps: missing Debian packages (${sets[*]}): ${missing[*]}"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}; run 'sudo scripts/deps.sh ${sets[*]}' (or install them with apt-get) and try again." >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || { echo "deps: 'apt-get update' failed; check the machine's Debian package sources and try again." >&2; exit 1; }
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	{ echo "deps: 'apt-get install ${missing[*]}' failed; run it by hand to see why, then try again." >&2; exit 1; }

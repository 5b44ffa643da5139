#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Fetch a Debian linux-source package from a suite the machine's own apt
# sources do not carry (trixie-backports for linux-source-7.3), without
# touching the machine's apt configuration, and print the path of its
# source tarball.
#
#   scripts/linux-source.sh PACKAGE SUITE
#
# A private apt configuration lives under $DEVMEM_CACHE/apt/SUITE: a sources
# list for SUITE on the Debian mirror that the machine's own sources name,
# signed by Debian's archive keyring, and its own lists and package cache.
# The tarball is kept under $DEVMEM_CACHE/debs/PACKAGE_VERSION/, so the
# version Debian publishes is what keys the kernel cache. When the suite
# cannot be reached, the newest version already fetched is used.
set -euo pipefail

pkg=${1:?usage: linux-source.sh PACKAGE SUITE}
suite=${2:?usage: linux-source.sh PACKAGE SUITE}
cache=${DEVMEM_CACHE:-/var/cache/devmem-kit}
me=linux-source.sh

# The machine's Debian mirror: the first URI of its sources that serves
# Debian itself (not the security archive), in either sources format.
mirror=$(
	{
		cat /etc/apt/sources.list 2>/dev/null || true
		cat /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true
	} | awk '
		/^deb[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\//) { print $i; break } }
		/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' |
		grep -E '/debian/?$' | grep -v security | head -n 1
)
mirror=${mirror:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

apt=$cache/apt/$suite
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
echo "deb [signed-by=$keyring] $mirror $suite main" >"$apt/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
	-o APT::Architecture=amd64 -o APT::Sandbox::User=root -qq)

# the newest version already fetched, if any
cached() {
	local d
	d=$(find "$cache/debs" -maxdepth 1 -name "${pkg}_*" -type d 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -f "$d/.done" ] && echo "$d"
}

if ! apt-get "${opts[@]}" update >"$apt/update.log" 2>&1; then
	if d=$(cached); then
		echo "$me: $mirror $suite cannot be reached; using the $pkg fetched before (${d##*/})." >&2
		echo "$d/${pkg}.tar.xz"
		exit 0
	fi
	echo "$me: cannot read $suite from $mirror (log: $apt/update.log); check the network or the machine's apt mirror and try again." >&2
	exit 1
fi

version=$(apt-cache "${opts[@]}" show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1 || true)
if [ -z "$version" ]; then
	others=$(apt-cache "${opts[@]}" pkgnames linux-source-7 2>/dev/null | sort -V | tr '\n' ' ' || true)
	if d=$(cached); then
		echo "$me: $suite no longer has $pkg (it has: ${others:-none}); using the copy fetched before (${d##*/})." >&2
		echo "$d/${pkg}.tar.xz"
		exit 0
	fi
	echo "$me: Debian's $suite no longer publishes $pkg; it has ${others:-no linux-source package}: port the series to that version and point scripts/kernel.sh at it." >&2
	exit 1
fi

dir=$cache/debs/${pkg}_$version
if [ ! -f "$dir/.done" ]; then
	echo "$me: fetching $pkg $version from $mirror $suite" >&2
	rm -rf "$dir"
	mkdir -p "$dir/deb"
	(cd "$dir/deb" && apt-get "${opts[@]}" download "$pkg=$version") >"$dir/download.log" 2>&1 ||
		{ echo "$me: downloading $pkg $version failed (log: $dir/download.log); try again." >&2; exit 1; }
	dpkg-deb --fsys-tarfile "$dir"/deb/*.deb | tar -x -C "$dir" --wildcards --no-anchored "${pkg}.tar.xz"
	mv "$dir/usr/src/${pkg}.tar.xz" "$dir/"
	rm -rf "$dir/usr" "$dir/deb"
	echo "$version" >"$dir/version"
	touch "$dir/.done"
fi
echo "$dir/${pkg}.tar.xz"

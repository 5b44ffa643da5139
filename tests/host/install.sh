#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make install DESTDIR=$(mktemp -d)` and the tree it leaves: every tool runs
# --version from there, every man page is there and lints clean, the
# bpftrace scripts and the JSON schemas are there; then `make uninstall`
# takes it all away again. PREFIX is /usr, to show it is honoured.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/lib.sh
dest=$(mktemp -d /tmp/devmem-install.XXXXXX)
trap 'rm -rf "$dest" "$dest.r.json"' EXIT
prefix=/usr
tools="devmemtop devmemhist devmemsnoop devmemranges devmemstat devmem-exporter devmem-check"
ver=$(sed -n '/^[0-9]/{p;q}' VERSION)

make -s install DESTDIR="$dest" PREFIX=$prefix >"$dest.log" 2>&1
rc=$?
check "make install DESTDIR=... PREFIX=$prefix: exit status" 0 "$rc"
[ $rc = 0 ] || { sed 's/^/# /' "$dest.log" | tail -n 20; rm -f "$dest.log"; tap_done; exit; }
rm -f "$dest.log"
root=$dest$prefix

check "nothing outside PREFIX" "$prefix" "$(cd "$dest" && find . -mindepth 1 -maxdepth 1 | sed 's|^\.||')"
for t in $tools; do
	if [ -x "$root/sbin/$t" ]; then
		check "$t --version from the installed tree" "$t $ver" "$("$root/sbin/$t" --version 2>&1)"
	else
		not_ok "$t is not installed as $prefix/sbin/$t"
	fi
	page=$root/share/man/man8/$t.8
	if [ -r "$page" ]; then
		check "man8/$t.8: installed with the version" 1 "$(grep -c "^\.TH .*devmem-kit $ver" "$page")"
		if command -v mandoc >/dev/null; then
			check "man8/$t.8 lints clean (mandoc -T lint)" "" "$(mandoc -T lint -W warning "$page" 2>&1 | head -n 3)"
		else
			check "man8/$t.8 formats without warnings (man --warnings)" "" \
				"$(man --warnings -l "$page" 2>&1 >/dev/null | head -n 3)"
		fi
	else
		not_ok "man8/$t.8 is not installed"
	fi
done
for f in tools/bpftrace/*.bt; do
	b=$(basename "$f")
	if [ -x "$root/share/devmem-kit/bpftrace/$b" ] && cmp -s "$f" "$root/share/devmem-kit/bpftrace/$b"; then
		ok "bpftrace script $b installed, executable"
	else
		not_ok "bpftrace script $b is not installed as share/devmem-kit/bpftrace/$b"
	fi
done
for f in docs/schema/*.json; do
	b=$(basename "$f")
	cmp -s "$f" "$root/share/devmem-kit/schema/$b" && ok "schema $b installed" ||
		not_ok "schema $b is not installed as share/devmem-kit/schema/$b"
done
# the installed schemas are usable where they are
if "$root/sbin/devmemhist" report -j tests/unit/data/format1-three-frames.rec >"$dest.r.json" 2>/dev/null &&
	msg=$(tests/validate-json.py --schema-dir "$root/share/devmem-kit/schema" snapshot.schema.json "$dest.r.json" 2>&1); then
	ok "the installed schemas validate the installed devmemhist's report ($msg)"
else
	not_ok "the installed schemas or devmemhist do not work from the installed tree: ${msg:-devmemhist failed}"
fi
check "the tools' README is in the docs" yes "$([ -r "$root/share/doc/devmem-kit/tools.md" ] && echo yes || echo no)"

make -s uninstall DESTDIR="$dest" PREFIX=$prefix >/dev/null 2>&1
check "make uninstall: exit status" 0 "$?"
check "make uninstall leaves no file" "" "$(find "$dest" -type f | sed "s|^$dest||" | head -n 5 | tr '\n' ' ')"
tap_done

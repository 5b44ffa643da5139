#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make install DESTDIR=$(mktemp -d)` and the tree it leaves: every tool runs
# --version from there, every man page is there and lints clean, the
# bpftrace scripts, the JSON schemas, the docs (docs/prometheus.md among
# them) and the Grafana dashboard are there; then `make uninstall`
# takes it all away again. PREFIX is /usr, to show it is honoured.
# Building off Debian: DEVMEM_NO_DEPS=1 runs no Debian package step, a
# missing library is named by its pkg-config name, and scripts/deps.sh on a
# system without dpkg says what to do.
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
for f in README.md devmemtop.md recording-format.md benchmarks.md prometheus.md; do
	cmp -s "$( [ $f = README.md ] && echo README.md || echo docs/$f)" "$root/share/doc/devmem-kit/$f" &&
		ok "doc $f installed" || not_ok "doc $f is not installed as share/doc/devmem-kit/$f"
done
cmp -s docs/grafana-devmem-dashboard.json "$root/share/devmem-kit/grafana/grafana-devmem-dashboard.json" &&
	ok "the Grafana dashboard installed in share/devmem-kit/grafana/" ||
	not_ok "the Grafana dashboard is not installed as share/devmem-kit/grafana/grafana-devmem-dashboard.json"

make -s uninstall DESTDIR="$dest" PREFIX=$prefix >/dev/null 2>&1
check "make uninstall: exit status" 0 "$?"
check "make uninstall leaves no file" "" "$(find "$dest" -type f | sed "s|^$dest||" | head -n 5 | tr '\n' ' ')"

# --- building off Debian ------------------------------------------------------------
nd=$dest.nodeps
mkdir -p "$nd/bin"
# dpkg-query and apt-get that leave a mark: DEVMEM_NO_DEPS=1 must call neither
for c in dpkg-query apt-get; do
	printf '#!/bin/sh\necho %s >>%s/called\nexit 1\n' "$c" "$nd" >"$nd/bin/$c"
	chmod +x "$nd/bin/$c"
done
PATH=$nd/bin:$PATH make -s OUT="$nd/out" DEVMEM_NO_DEPS=1 "$nd/out/.deps-build" >"$nd/log" 2>&1
rc=$?
called=$(cat "$nd/called" 2>/dev/null | tr '\n' ' ')
check "DEVMEM_NO_DEPS=1: the build set checks out without a package step" "0 none" \
	"$rc ${called:-none}"
PKG_CONFIG_LIBDIR=$nd/none PKG_CONFIG_PATH= make -s OUT="$nd/out2" DEVMEM_NO_DEPS=1 \
	"$nd/out2/.deps-build" >"$nd/log" 2>&1
rc=$?
if [ $rc != 0 ] && grep -q "^devmem-kit: the library 'libbpf' (its pkg-config name) is missing: .*libbpf.pc (on Debian libbpf-dev)" "$nd/log"; then
	ok "a missing library is named by its pkg-config name, with what to do"
else
	not_ok "a missing library: status $rc, '$(head -n 2 "$nd/log")'"
fi
make -s OUT="$nd/out3" DEVMEM_NO_DEPS=1 CLANG=clang-none "$nd/out3/.deps-build" >"$nd/log" 2>&1
rc=$?
[ $rc != 0 ] && grep -q "^devmem-kit: the command 'clang-none' is missing" "$nd/log" &&
	ok "a missing command is named" || not_ok "a missing command: status $rc, '$(head -n 2 "$nd/log")'"
# a system without dpkg: only what deps.sh itself runs
mkdir -p "$nd/nodpkg"
for c in bash sed awk grep dirname cat id; do ln -sf "$(command -v $c)" "$nd/nodpkg/$c"; done
PATH=$nd/nodpkg scripts/deps.sh build >"$nd/log" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "not a Debian system (no dpkg-query).*DEVMEM_NO_DEPS=1" "$nd/log" &&
	ok "deps.sh without dpkg: exit 1 and DEVMEM_NO_DEPS=1 named" ||
	not_ok "deps.sh without dpkg: status $rc, '$(cat "$nd/log")'"
PATH=$nd/nodpkg DEVMEM_NO_DEPS=1 scripts/deps.sh build >"$nd/log" 2>&1
check "deps.sh with DEVMEM_NO_DEPS=1: nothing to do, status 0" 0 "$?"
rm -rf "$nd"
tap_done

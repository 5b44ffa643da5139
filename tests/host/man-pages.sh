#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The man pages in docs/man/ against the tools: every option a tool's --help
# lists (devmemhist: its three modes) is in the page's OPTIONS, and every
# option there is in --help; each page lints clean (mandoc -T lint, else
# groff through man --warnings).
#
#   tests/host/man-pages.sh [BINDIR [MANDIR]]   (default build/ and docs/man/)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/lib.sh
bin=${1:-${OUT:-build}}
man=${2:-docs/man}

# help_opts TOOL [MODE]: "-x" and "--long" of the options --help lists, sorted
help_opts() {
	"$bin/$1" ${2:+"$2"} --help | sed -nE 's/^ +(-([^ ,]), )?--([a-z][a-z-]*).*/\2 \3/p' |
		while read -r a b; do
			if [ -n "$b" ]; then printf '%s\n' "-$a" "--$b"; else printf '%s\n' "--$a"; fi
		done
}
# man_opts PAGE: the same from the OPTIONS section (the line after each .TP)
man_opts() {
	awk '/^\.SH /{ on = ($2 == "OPTIONS") } on && prev == ".TP" { print } { prev = $0 }' "$1" |
		sed 's/\\-/-/g' | grep -oE '(^|[ "])--?[A-Za-z][A-Za-z-]*' | sed 's/^[ "]//'
}
# lint PAGE: empty when clean, else the warnings
lint() {
	if command -v mandoc >/dev/null; then
		mandoc -T lint -W warning "$1" 2>&1
	else
		LC_ALL=C.UTF-8 MANROFFSEQ='' man --warnings -E UTF-8 -l "$1" 2>&1 >/dev/null
	fi
}

for t in devmemtop devmemhist devmemsnoop devmemranges devmemstat devmem-exporter; do
	page=$man/$t.8
	[ -r "$page" ] || { not_ok "$t: no man page $page"; continue; }
	[ -x "$bin/$t" ] || { not_ok "$t: not built ($bin/$t); run make"; continue; }
	if [ $t = devmemhist ]; then
		h=$( { help_opts $t; help_opts $t record; help_opts $t report; } | sort -u)
	else
		h=$(help_opts $t | sort -u)
	fi
	m=$(man_opts "$page" | sort -u)
	[ -n "$h" ] || not_ok "$t: --help lists no option"
	missing=$(comm -23 <(echo "$h") <(echo "$m") | tr '\n' ' ')
	extra=$(comm -13 <(echo "$h") <(echo "$m") | tr '\n' ' ')
	check "$t: options in --help missing from $page" "" "$missing"
	check "$t: options in $page that --help does not list" "" "$extra"
	check "$t: $page lints clean" "" "$(lint "$page" | head -n 3 | tr '\n' ' ')"
done
tap_done

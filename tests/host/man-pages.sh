#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The man pages in docs/man/ against the tools: every option a tool's --help
# lists (devmemhist: its three modes) is in the page's OPTIONS, and every
# option there is in --help; the EXIT STATUS list of each page is the set of
# exit codes the tool's code can return (by the names of tools/lib/cli/errors.h
# it and the library functions it calls use); each page lints clean (mandoc
# -T lint, else groff through man --warnings).
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

errh=tools/lib/cli/errors.h
# fn_codes FILE FUNC: the error and exit names in the definition of FUNC in FILE
fn_codes() {
	awk -v f="$2" '$0 ~ "^[a-z].*[ *]" f "\\(" { on = 1 } on { print } on && /^}/ { exit }' "$1" |
		grep -oE 'DEVMEM_(E|EXIT)_[A-Z_]+|DEVMEM_OK'
}
# number NAME: the exit status errors.h gives it (DEVMEM_E_X exits DEVMEM_EXIT_X)
number() {
	case $1 in
	DEVMEM_OK) echo 0 ;;
	DEVMEM_E_COUNT) ;;
	DEVMEM_E_*) number "DEVMEM_EXIT_${1#DEVMEM_E_}" ;;
	*) awk -v n="$1" '$1 == "#define" && $2 == n { print $3 }' "$errh" ;;
	esac
}
# code_exits TOOL: the exit codes its code can return, sorted, one a line
code_exits() {
	local src
	src=$(ls "tools/$1.c" tools/"$1"/*.c 2>/dev/null)
	{
		echo DEVMEM_OK
		echo DEVMEM_EXIT_USAGE	# the shared parser's
		grep -ohE 'DEVMEM_(E|EXIT)_[A-Z_]+' $src
		if grep -qE 'devmem_session_open|devmem_host_facts_gather' $src; then
			fn_codes tools/lib/kernel/session.c devmem_session_open
			fn_codes tools/lib/kernel/session.c size_maps
			fn_codes tools/lib/kernel/probe.c devmem_choose_mode
			fn_codes tools/lib/cli/errors.c devmem_classify_load_error
		fi
		grep -qE 'devmem_opts_device_from_cli|devmem_session_filter_owner' $src &&
			fn_codes tools/lib/kernel/session.c devmem_session_filter_owner
		if grep -q devmem_host_facts_gather $src; then
			grep -ohE 'DEVMEM_(E|EXIT)_[A-Z_]+' tools/lib/kernel/host_facts.c \
				tools/lib/render/host_check.c
		fi
	} | sort -u | while read -r n; do number "$n"; done | sort -nu
}
# man_exits PAGE: the codes of its EXIT STATUS list (".TP" then ".B N")
man_exits() {
	awk '/^\.SH /{ on = ($2 == "EXIT") } on && prev == ".TP" && $1 == ".B" { print $2 } { prev = $0 }' "$1" |
		sort -nu
}

for t in devmemtop devmemhist devmemsnoop devmemranges devmemstat devmem-exporter devmem-check; do
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
	check "$t: exit codes of $page are those its code returns" \
		"$(code_exits $t | tr '\n' ' ')" "$(man_exits "$page" | tr '\n' ' ')"
	check "$t: $page lints clean" "" "$(lint "$page" | head -n 3 | tr '\n' ' ')"
done
tap_done

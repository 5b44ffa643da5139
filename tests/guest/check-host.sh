#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of devmem-check on the kernel booted: with test_hmm loaded every
# piece is there and it exits 0, each line saying what this kernel has (the
# tracepoints of the series on the patched kernels, the fentry fallback on
# the others, test_hmm's ranges as /proc/iomem lists them); without test_hmm
# there is nothing to observe (exit 17, the remedy names the drivers);
# without root it stops at the privileges (exit 3). On Debian's stock
# kernel (no test_hmm, no DEVICE_PRIVATE) it must say so and exit 17.
# test_hmm is left loaded as it was found.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-host.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
kdir=${DEVMEM_KERNEL_DIR:?DEVMEM_KERNEL_DIR is not set; run this through tests/guest/run.sh}
work=$(mktemp -d /tmp/check-host.XXXXXX)
keep=${DEVMEM_RESULTS:-$work}/check-host
mkdir -p "$keep"
# the project's test driver, left loaded by an earlier check, is a second
# driver with device memory: unloaded here, so test_hmm is the only one
if grep -q '^devmem_testdrv ' /proc/modules 2>/dev/null; then
	rmmod devmem_testdrv && echo "# devmem_testdrv unloaded (an earlier check left it loaded)" ||
		echo "# devmem_testdrv is loaded and would not unload"
fi
hmm_at_start=$(grep -c '^test_hmm ' /proc/modules 2>/dev/null)
reload_hmm() {
	[ "$hmm_at_start" = 1 ] || return 0
	grep -q '^test_hmm ' /proc/modules || insmod "${DEVMEM_HMM_MODULE:-$kdir/test_hmm.ko}"
}
trap 'reload_hmm; cp -r "$work"/. "$keep"/ 2>/dev/null; rm -rf "$work"' EXIT

check_tool=$(command -v devmem-check) || bail "devmem-check is not in PATH; build it with make"
variant=$(sed -n 's/^variant=//p' "$kdir/info" 2>/dev/null)
echo "# kernel $(uname -r), variant ${variant:-unknown}, test_hmm loaded: $hmm_at_start"

# status LINE FILE: the STATUS word of a line of devmem-check's output
# (a continuation line, indented, may begin with the same word)
status() { awk -v w="$1" '/^[^ ]/ && $1 == w { print $2; exit }' "$2"; }
# detail LINE FILE: its DETAIL, continuation lines joined
detail() {
	awk -v w="$1" '
		on && /^                         / { sub(/^ +/, ""); d = d " " $0; next }
		on { exit }
		/^[^ ]/ && $1 == w { on = 1; d = substr($0, 26) }
		END { print d }' "$2"
}
plain_and_narrow() { # FILE: no escape byte, no line over 79 columns
	if grep -qP '\x1b' "$1"; then
		not_ok "$1: an escape byte in the output"
	elif awk 'length($0) > 79 { bad = 1 } END { exit !bad }' "$1"; then
		not_ok "$1: a line over 79 columns: $(awk 'length($0) > 79' "$1" | head -n 1)"
	else
		ok "$(basename "$1"): plain text within 79 columns"
	fi
}
hmm_ranges() { awk -F' : ' '$2 ~ /^hmm_dmirror[0-9]*$/' /proc/iomem | wc -l; }

if [ "$hmm_at_start" != 1 ]; then
	# Debian's stock kernel, or a guest booted without test_hmm
	"$check_tool" >"$work/stock.txt" 2>&1
	rc=$?
	sed 's/^/#   /' "$work/stock.txt"
	check "no device memory: exit status 17" 17 "$rc"
	check "architecture" ok "$(status architecture "$work/stock.txt")"
	check "BTF" ok "$(status BTF "$work/stock.txt")"
	check "fallback: fentry attaches" ok "$(status fallback "$work/stock.txt")"
	check "programs: the trial load attaches (fentry)" "ok fentry" \
		"$(status programs "$work/stock.txt") $(detail programs "$work/stock.txt" | grep -o fentry)"
	dp=$(status DEVICE_PRIVATE "$work/stock.txt")
	case $dp in
	missing|unknown) ok "DEVICE_PRIVATE: $dp ($(detail DEVICE_PRIVATE "$work/stock.txt"))" ;;
	*) not_ok "DEVICE_PRIVATE says $dp on a kernel without it" ;;
	esac
	check "ranges: none" missing "$(status ranges "$work/stock.txt")"
	plain_and_narrow "$work/stock.txt"
	tap_done
	exit
fi

# --- 1. every piece there ----------------------------------------------------------
"$check_tool" >"$work/all.txt" 2>&1
rc=$?
sed 's/^/#   /' "$work/all.txt"
check "test_hmm loaded: exit status 0" 0 "$rc"
grep -q '^This host can be observed' "$work/all.txt" && ok "it says the host can be observed" ||
	not_ok "no all-clear line"
check "architecture" ok "$(status architecture "$work/all.txt")"
check "BTF" ok "$(status BTF "$work/all.txt")"
check "privileges: root" "ok root" "$(status privileges "$work/all.txt") $(detail privileges "$work/all.txt")"
check "DEVICE_PRIVATE: proved without a config" ok "$(status DEVICE_PRIVATE "$work/all.txt")"
# a kernel with the series has its tracepoints; the others use the fallback
patches=$(sed -n 's/^patches=//p' "$kdir/info" 2>/dev/null)
tpd=$(detail tracepoints "$work/all.txt")
tpw=$(awk '{ print ($1 == "the") ? $2 : ($1 == "neither" ? "none" : $1) }' <<<"$tpd")
if [ "${patches:-0}" -gt 0 ]; then
	case "$(status tracepoints "$work/all.txt") $tpw" in
	"ok devmem"|"ok zone_device") ok "tracepoints of the series ($tpd)" ;;
	*) not_ok "tracepoints: a kernel with $patches patches, yet: $tpd" ;;
	esac
	modes="tracepoints raw_tracepoints"
else
	check "tracepoints: none on a kernel without the series" "absent none" \
		"$(status tracepoints "$work/all.txt") $tpw"
	modes=fentry
fi
check "fallback: fentry and fexit attach" ok "$(status fallback "$work/all.txt")"
fb=$(detail fallback "$work/all.txt")
for fn in memremap_pages memunmap_pages migrate_vma_pages; do
	grep -qw "$fn" <<<"$fb" && ok "fallback lists $fn" || not_ok "fallback does not list $fn: $fb"
done
mode=$(detail programs "$work/all.txt" | grep -oE '\((tracepoints|raw_tracepoints|fentry)\)' | tr -d '()')
if [ "$(status programs "$work/all.txt")" = ok ] && grep -qw -- "${mode:-none}" <<<"$modes"; then
	ok "programs: the trial load attaches ($mode)"
else
	not_ok "programs: '$(detail programs "$work/all.txt")', wanted ok with one of: $modes"
fi
n=$(hmm_ranges)
rd=$(detail ranges "$work/all.txt")
check "ranges: test_hmm's, as many as /proc/iomem lists" "ok $n device-private" \
	"$(status ranges "$work/all.txt") $(grep -oE '^[0-9]+ device-private' <<<"$rd")"
grep -q 'hmm_dmirror' <<<"$rd" && ok "ranges name the devices ($rd)" || not_ok "ranges: no device named: $rd"
check "drivers: test_hmm" "ok test_hmm" "$(status drivers "$work/all.txt") $(detail drivers "$work/all.txt")"
plain_and_narrow "$work/all.txt"

# --- 2. the kernel's own config -----------------------------------------------------
if [ -r "$kdir/config" ]; then
	"$check_tool" --config "$kdir/config" >"$work/config.txt" 2>&1
	check "--config KDIR/config: exit status 0" 0 "$?"
	check "--config: read there" "ok CONFIG_DEVICE_PRIVATE=y in $kdir/config" \
		"$(status DEVICE_PRIVATE "$work/config.txt") $(detail DEVICE_PRIVATE "$work/config.txt")"
else
	skip "--config KDIR/config" "$kdir has no config"
fi

# --- 3. without test_hmm: nothing to observe ----------------------------------------
if rmmod test_hmm 2>"$work/rmmod.err"; then
	"$check_tool" >"$work/none.txt" 2>&1
	rc=$?
	reload_hmm
	sed 's/^/#   /' "$work/none.txt"
	check "test_hmm unloaded: exit status 17" 17 "$rc"
	check "ranges: missing" missing "$(status ranges "$work/none.txt")"
	check "drivers: absent" absent "$(status drivers "$work/none.txt")"
	grep -q '^- No driver has added device-private memory' "$work/none.txt" &&
		ok "the remedy says to load a driver" || not_ok "no remedy for the missing device memory"
	# the remedy's lines joined: it wraps at 79 columns
	tr '\n' ' ' <"$work/none.txt" | tr -s ' ' | grep -q 'nouveau with CONFIG_DRM_NOUVEAU_SVM' &&
		ok "the remedy names the drivers and their options" || not_ok "the remedy names no driver"
	check "the programs still attach" ok "$(status programs "$work/none.txt")"
else
	not_ok "rmmod test_hmm failed: $(cat "$work/rmmod.err")"
fi
check "test_hmm is loaded again" 1 "$(grep -c '^test_hmm ' /proc/modules)"

# --- 4. without root ----------------------------------------------------------------
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$check_tool" >"$work/user.txt" 2>&1
	rc=$?
	if [ $rc = 126 ] || [ $rc = 127 ]; then
		skip "devmem-check without root" "user 65534 cannot run $check_tool"
	else
		check "without root: exit status 3" 3 "$rc"
		check "privileges: missing" missing "$(status privileges "$work/user.txt")"
		check "fallback: not tried" unknown "$(status fallback "$work/user.txt")"
		grep -q "^- Loading BPF programs needs root" "$work/user.txt" &&
			ok "the remedy says how to get the privileges" || not_ok "no remedy for the privileges"
	fi
else
	skip "devmem-check without root" "setpriv is not installed"
fi

# --- usage --------------------------------------------------------------------------
"$check_tool" --config >/dev/null 2>&1
check "--config without a file: usage exit code" 2 "$?"
tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make test`: unit tests on the host, then the guest suite on the patched
# 6.12 kernel (the one make demo boots; the fentry fallback of 6.12 is
# exercised there with --fentry), shorter ones on Debian's 6.1 source and
# on Linux 7.3 (all built or taken from the cache: three full kernel builds
# on a cold machine; the 7.3 one with kernel-patch/7.3/series, patched73,
# where the series has patches, built incrementally on the unpatched 7.3
# tree), and Debian's stock kernel. Every test prints a TAP line; the
# closing line counts them all, and the exit status is non-zero on any failure.
# DEVMEM_GUEST=0 leaves the guests out (make unit), DEVMEM_HOST=0 the host
# tests (make guest-test). The 6.1, 7.3 and stock kernels' guests and a
# second guest of the patched kernel (part 2 of its suite) run one after
# another beside part 1 of the patched kernel's suite;
# DEVMEM_GUEST_PARALLEL=0 runs them after it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. tests/run-verdict.sh
out=${OUT:-build}
log=$out/test-logs
rm -rf "$log"
mkdir -p "$log"

pass=0 fail=0 skipped=0
t0=$(date +%s)

# count FILE: add a TAP stream's results to the totals.
count() {
	local lines
	lines=$(grep -E '^(ok|not ok) [0-9]+' "$1")
	[ -n "$lines" ] || return 0
	pass=$((pass + $(grep -E '^ok' <<<"$lines" | grep -cvE '# (SKIP|skip|TODO)')))
	fail=$((fail + $(grep -E '^not ok' <<<"$lines" | grep -cvE '# (SKIP|skip|TODO)')))
	skipped=$((skipped + $(grep -cE '# (SKIP|skip|TODO)' <<<"$lines")))
}
# failed DESCRIPTION: a step that could not run at all counts as one failure.
failed() { echo "not ok - $*"; fail=$((fail + 1)); }
section() { printf '\n=== %s\n' "$*"; }

# host_tap NAME COMMAND...: a host-side TAP script, counted like the rest.
host_tap() {
	local name=$1
	shift
	section "$name"
	"$@" >"$log/$name.tap" 2>&1
	local rc=$?
	cat "$log/$name.tap"
	count "$log/$name.tap"
	local why
	why=$(run_verdict "$rc" "$log/$name.tap") || failed "$name $why"
}

if [ "${DEVMEM_HOST:-1}" = 0 ]; then
	section "host tests"
	echo "host tests skipped (DEVMEM_HOST=0)"
	set --
fi
[ $# -gt 0 ] && section "unit tests (host)"
for u in "$@"; do
	name=$(basename "$u")
	CMOCKA_MESSAGE_OUTPUT=TAP "$u" >"$log/$name.tap" 2>&1
	rc=$?
	sed "s/^/[$name] /" "$log/$name.tap"
	count "$log/$name.tap"
	[ $rc -eq 0 ] || grep -q '^not ok' "$log/$name.tap" || failed "$name exited with status $rc"
done
if [ "${DEVMEM_HOST:-1}" != 0 ]; then
	host_tap sanitizers-and-fuzzing tests/fuzz/run.sh
	host_tap terminal-ui tests/tui/run.sh
	host_tap openmetrics tests/host/check-openmetrics.sh
	host_tap json-schema tests/host/json-schema.sh
	host_tap man-pages tests/host/man-pages.sh
	host_tap flame-browser tests/host/flame-browser.sh
	host_tap install tests/host/install.sh
	host_tap devmem-check-host tests/host/devmem-check.sh
	host_tap guest-log-scanner tests/guest/test-scan-log.sh
fi

# guest_run TITLE NAME RUN.SH-ARGS...: one guest boot, its TAP lines counted;
# a guest that fails without a failing test line (panic, timeout) is a failure.
guest_run() {
	local title=$1 name=$2
	shift 2
	section "$title"
	tests/guest/run.sh -o "$log/$name" "$@"
	local rc=$? why
	count "$log/$name/output"
	why=$(run_verdict "$rc" "$log/$name/output") ||
		failed "the guest run $why; its console log is $log/$name/console.log"
}

# guest_report TITLE NAME: the output of a guest run made in the background
# (tests/guest/run.sh -o $log/NAME, its stdout and stderr in $log/NAME.out,
# its status in $log/NAME.rc), counted like guest_run's.
guest_report() {
	local title=$1 name=$2 rc why
	section "$title"
	cat "$log/$name.out"
	rc=$(cat "$log/$name.rc" 2>/dev/null || echo 125)
	count "$log/$name/output"
	why=$(run_verdict "$rc" "$log/$name/output") ||
		failed "the guest run $why; its console log is $log/$name/console.log"
}

# the other kernels' guests, one after another: beside the patched suite
# (DEVMEM_GUEST_PARALLEL=1, the default), or after it
other_guests() {
	local vdir v suite
	for vdir in "${kdirs[@]:1}"; do
		v=$(sed -n 's/^variant=//p' "$vdir/info")
		case $v in
		stock61) suite=tests/guest/suite-6.1.sh ;;
		linux73|patched73) suite=tests/guest/suite-7.3.sh ;;
		*) echo "run-all.sh: no guest suite for the $v kernel." >"$log/$v.out"; echo 2 >"$log/$v.rc"; continue ;;
		esac
		tests/guest/run.sh -o "$log/$v" -k "$vdir" -t 1200 -- "$suite" >"$log/$v.out" 2>&1
		echo $? >"$log/$v.rc"
	done
	if [ -n "$stock" ]; then
		tests/guest/run.sh -o "$log/stock" --kernel-image "$stock" --initrd "$initrd" --no-hmm \
			-k "$kdir" -t 900 -- tests/guest/suite-stock.sh >"$log/stock.out" 2>&1
		echo $? >"$log/stock.rc"
	fi
	# the longest single run of every program while a 64 GiB device is
	# removed and evicted, timed in instructions (-icount, 1 ns each: the
	# host's load and TCG's translation of new code do not count); 4 GiB for
	# the device's struct pages; one vCPU (6.1 does not bring up a second
	# one under -icount)
	DEVMEM_ICOUNT=0 DEVMEM_SMP=1 DEVMEM_MEM=4G tests/guest/run.sh -o "$log/bounded" -k "$kdir" -t 900 \
		-- tests/guest/suite.sh bounded >"$log/bounded.out" 2>&1
	echo $? >"$log/bounded.rc"
	# ... and 6.1's fallback
	if [ -n "$k61" ]; then
		DEVMEM_ICOUNT=0 DEVMEM_SMP=1 DEVMEM_MEM=4G tests/guest/run.sh -o "$log/bounded61" -k "$k61" -t 900 \
			-- tests/guest/suite.sh bounded >"$log/bounded61.out" 2>&1
		echo $? >"$log/bounded61.rc"
	fi
}

# an interrupted run takes the background guests with it
trap 'trap - INT TERM; kill 0' INT TERM

section "guest kernel"
if [ "${DEVMEM_GUEST:-1}" = 0 ]; then
	echo "guest suite skipped (DEVMEM_GUEST=0)"
elif kdir=$(scripts/kernel.sh patched); then
	echo "kernel: $kdir ($(grep -E 'kernel_version|patches' "$kdir/info" | tr '\n' ' '))"
	host_tap kernel-series tests/host/kernel-patches.sh "$kdir"
	host_tap guest-runner-paths tests/guest/test-runner-paths.sh "$kdir"
	if tests/guest/build.sh "$kdir" >"$log/guest-build.log" 2>&1; then
		# Debian's 6.1 source, and Linux 7.3: unpatched (linux73), or
		# with kernel-patch/7.3/series once it names patches (patched73,
		# which shares linux73's object tree: built incrementally on it;
		# the fallback of 7.3 is then exercised by --fentry there, as on
		# 6.12); each booted with test_hmm.
		v73=linux73
		sed 's/#.*//' kernel-patch/7.3/series 2>/dev/null | grep -q '[^[:space:]]' && v73=patched73
		kdirs=("$kdir")
		k61=
		for v in stock61 $v73; do
			if vdir=$(scripts/kernel.sh "$v" 2>"$log/kernel-$v.log"); then
				kdirs+=("$vdir")
				if [ "$v" = stock61 ]; then
					k61=$vdir
					# the exclusive-access tests that fail on 6.1 retry
					# until the harness's timeout: a shorter one
					tests/guest/build-hmm-tests.sh "$vdir" >/dev/null ||
						failed "building hmm-tests with short timeouts for $v failed"
				fi
			else
				tail -n 5 "$log/kernel-$v.log"
				failed "building the $v guest kernel failed; its log is $log/kernel-$v.log"
			fi
		done
		# The test driver against 6.12 and 6.1. TOOLS ON 7.3: add the 7.3
		# kernel dir here once tests/driver is ported to 7.3's
		# dev_pagemap_ops (folio_free).
		drvdirs=()
		for vdir in "${kdirs[@]}"; do
			case $(sed -n 's/^variant=//p' "$vdir/info") in
			linux73|patched73) ;;
			*) drvdirs+=("$vdir") ;;
			esac
		done
		host_tap test-driver-build tests/host/driver-build.sh "${drvdirs[@]}"
		# Debian's stock kernel: BTF, no devmem tracepoints, no DEVICE_PRIVATE.
		stock=$(ls /boot/vmlinuz-6.1.* 2>/dev/null | sort -V | tail -n 1)
		initrd=
		if [ -z "$stock" ] || ! initrd=$(scripts/stock-initramfs.sh "${stock#/boot/vmlinuz-}"); then
			stock=
			failed "Debian's 6.1 kernel is not installed; run 'make deps' (linux-image-amd64)"
		fi
		others=
		if [ "${DEVMEM_GUEST_PARALLEL:-1}" != 0 ]; then
			other_guests &
			others=$!
		fi
		guest_run "guest suite (patched kernel, part 1)" guest -k "$kdir" -t 2400 -- tests/guest/suite.sh 1
		# the second part of the patched kernel's suite, in a guest of its own
		# after part 1 (the other kernels' lane is the longer one)
		tests/guest/run.sh -o "$log/guest-2" -k "$kdir" -t 1800 -- tests/guest/suite.sh 2 \
			>"$log/guest-2.out" 2>&1
		echo $? >"$log/guest-2.rc"
		if [ -n "$others" ]; then
			wait "$others"
		else
			other_guests
		fi
		for vdir in "${kdirs[@]:1}"; do
			v=$(sed -n 's/^variant=//p' "$vdir/info")
			guest_report "guest suite ($v kernel, linux $(sed -n 's/^kernel_version=//p' "$vdir/info"))" "$v"
		done
		[ -n "$stock" ] && guest_report "guest: Debian stock kernel $(basename "$stock")" stock
		guest_report "guest: the longest run of every program on a 64 GiB device (patched kernel)" bounded
		[ -n "$k61" ] &&
			guest_report "guest: the longest run of every program on a 64 GiB device (6.1)" bounded61
		guest_report "guest suite (patched kernel, part 2)" guest-2
	else
		cat "$log/guest-build.log"
		failed "building the guest test programs failed"
	fi
else
	failed "building the guest kernel failed"
fi

section "summary"
echo "time: $(($(date +%s) - t0)) s; logs in $log"
echo "$pass passed, $fail failed, $skipped skipped"
[ $fail -eq 0 ]

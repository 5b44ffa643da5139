#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test: run the upstream hmm-tests selftest and compare it with the
# baseline of the unpatched kernel (tests/guest/hmm-tests.baseline): every test
# that passed there must pass here. Known baseline failures are reported as
# TODO, so they neither fail the run nor hide a new failure.
#   hmm-tests.sh [--baseline FILE]            check against the baseline
#   hmm-tests.sh [--baseline FILE] --record   print a new baseline (run on
#                                             the unpatched kernel)
# FILE defaults to tests/guest/hmm-tests.baseline (unpatched 6.12); the 6.1
# kernel has its own, tests/guest/hmm-tests-6.1.baseline, and 7.3
# tests/guest/hmm-tests-7.3.baseline. DEVMEM_HMM_TESTS names another build
# of hmm-tests to run (tests/guest/build-hmm-tests.sh); DEVMEM_HMM_TESTS_SKIP
# names tests (their last name part, space-separated) not to run, each
# reported as a skip that says so.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
kdir=${DEVMEM_KERNEL_DIR:?DEVMEM_KERNEL_DIR is not set; run this through tests/guest/run.sh}
baseline=$here/hmm-tests.baseline
if [ "${1:-}" = "--baseline" ]; then
	baseline=${2:?--baseline wants a file}
	shift 2
fi
[ "${1:-}" = "--record" ] || [ -r "$baseline" ] ||
	{ echo "hmm-tests.sh: the baseline $baseline is missing; record one with --record on the unpatched kernel." >&2; exit 1; }
out=${DEVMEM_RESULTS:-/tmp}/hmm-tests.out

[ -e /dev/hmm_dmirror0 ] || { echo "hmm-tests.sh: /dev/hmm_dmirror0 is missing; load test_hmm.ko first." >&2; exit 1; }
# hmm-tests forks one process per test; it needs a writable cwd for nothing, but
# runs from /tmp to be safe on the read-only root.
skip_args=()
for t in ${DEVMEM_HMM_TESTS_SKIP:-}; do skip_args+=(-T "$t"); done
(cd /tmp && "${DEVMEM_HMM_TESTS:-$kdir/hmm-tests}" "${skip_args[@]}") >"$out" 2>&1
# "ok 3 hmm.hmm_device_private.open_close" / "not ok 7 name" /
# "ok 21 name # SKIP reason"
# Before 6.2 the harness leaves the name out of a skipped test's line
# ("ok 9 # SKIP reason"): it is the one of the last "#  RUN name ..." line.
results=$(awk '/^#  RUN / { run = $3 }
/^(ok|not ok) [0-9]+ / {
	name = ($1 == "not") ? $4 : $3
	if (name == "#") name = run
	print (($1 == "not") ? "FAIL" : /# SKIP/ ? "SKIP" : "PASS"), name
}' "$out")

if [ "${1:-}" = "--record" ]; then
	echo "$results"
	exit 0
fi

if [ -z "$results" ]; then
	not_ok "hmm-tests printed no results (see $out)"
	tap_done
	exit
fi
while read -r state name; do
	base=$(awk -v n="$name" '$2 == n { print $1 }' "$baseline")
	case $state/$base in
	PASS/*) ok "hmm-tests $name" ;;
	SKIP/PASS) not_ok "hmm-tests $name skipped, passed on the baseline" ;;
	SKIP/*) skip "hmm-tests $name" "skipped on the baseline too" ;;
	FAIL/PASS) not_ok "hmm-tests $name fails, passed on the baseline" ;;
	FAIL/FAIL) echo "not ok $((tap_n + 1)) - hmm-tests $name # TODO fails on the unpatched kernel too"
		tap_n=$((tap_n + 1)); tap_skip=$((tap_skip + 1)) ;;
	FAIL/*) not_ok "hmm-tests $name fails and is not in the baseline" ;;
	esac
done <<<"$results"
# A test of the baseline that no longer ran at all is a regression too,
# unless it was left out on purpose.
while read -r base name; do
	[ "$base" = PASS ] || continue
	grep -q " $name\$" <<<"$results" && continue
	case " ${DEVMEM_HMM_TESTS_SKIP:-} " in
	*" ${name##*.} "*) skip "hmm-tests $name" "not run here (DEVMEM_HMM_TESTS_SKIP)" ;;
	*) not_ok "hmm-tests $name passed on the baseline but did not run" ;;
	esac
done <"$baseline"
tap_done

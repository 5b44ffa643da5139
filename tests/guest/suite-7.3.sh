#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The guest suite on Linux 7.3 (scripts/kernel.sh linux73, and patched73
# once kernel-patch/7.3/series has patches), run inside the guest by
# tests/guest/run.sh: hmm-tests against the 7.3 baseline (its THP cases
# included), the workload's exact counts with kprobes (huge pages as one
# folio, PMD faults, folio splits; the fault stacks workload), and the
# kfunc bpftrace scripts on a mixed run of huge and base pages.
#
# Linux 7.3.4 here jumps to a bad ftrace trampoline (an Oops at the first
# hit) when an ftrace-based kprobe is armed after the last one was disarmed
# (reproduced with one tracefs kprobe on migrate_vma_setup: enable,
# disable, enable again; a bpftrace kprobe, then a tracefs one, the same).
# So one kprobe, on a function nothing here calls, stays armed from the
# first check to the last: a bpftrace program, which a check's writing 0 to
# events/enable (check-workload.sh, check-driver.sh) does not disarm.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
keeper_pid=
keeper_out=${DEVMEM_RESULTS:-/tmp}/kprobe-keeper.out
bpftrace -e 'kprobe:sys_ni_syscall { @calls = count(); } BEGIN { printf("Tracing\n"); }' \
	>"$keeper_out" 2>&1 &
keeper_pid=$!
for _ in $(seq 240); do
	grep -q '^Tracing' "$keeper_out" 2>/dev/null && break
	kill -0 "$keeper_pid" 2>/dev/null || break
	sleep 0.5
done
if grep -q '^Tracing' "$keeper_out" 2>/dev/null; then
	echo "# a kprobe on sys_ni_syscall is held armed for the whole suite (bpftrace, PID $keeper_pid)"
else
	echo "# could not hold a kprobe armed ($(head -c 200 "$keeper_out")); checks that arm kprobes after others were disarmed may crash this kernel"
fi

# hmm-tests: the kernel dir's own build. No test fails on 7.3 (the
# exclusive-access ones that retry until the timeout on 6.1 pass), so the
# short-timeout build of tests/guest/build-hmm-tests.sh is not needed, and
# would end slow passing ones under TCG. benchmark_thp_migration, a
# benchmark (256 MiB migrated ten times each way, about a minute under
# TCG), is left out: it times, and asserts nothing the THP cases do not.
export DEVMEM_HMM_TESTS_SKIP=benchmark_thp_migration

# The BPF tools on 7.3: the fallback (and patched73's tracepoints), exact.
tool_checks="check-bpf.sh check-tools.sh check-tools-thp check-diagnosis.sh check-stacks.sh
	check-host.sh"

for t in hmm-tests check-workload.sh $tool_checks check-bpftrace-kfunc.sh; do
	echo "# --- $t"
	start=$(date +%s)
	case $t in
	hmm-tests) "$here/hmm-tests.sh" --baseline "$here/hmm-tests-7.3.baseline" || rc=1 ;;
	# every tool on huge and base pages of both devices: pages and folios by order
	check-tools-thp)
		DEVMEM_CHECK_WORKLOAD="devmem-workload -p 2 -r 2 -n 20 --thp 2 -d alt --no-last" \
			"$here/check-tools.sh" || rc=1 ;;
	*) "$here/$t" || rc=1 ;;
	esac
	echo "# --- $t took $(($(date +%s) - start)) s"
done
# the last check is done: nothing arms a kprobe after this one goes
[ -z "$keeper_pid" ] || { kill -KILL "$keeper_pid" 2>/dev/null; wait "$keeper_pid" 2>/dev/null; }
exit $rc

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Host test of run.sh's console-log scanner and argument checks, on canned
# logs (no guest needed): every kind of kernel problem fails the run, a clean
# boot passes, and a command that merely prints such words does not; and
# make test's verdict on a step's exit status beside its TAP lines.
#
#   tests/guest/test-scan-log.sh [--guest KERNEL_DIR]
#
# With --guest it also boots KERNEL_DIR three times (about 40 s under TCG) to
# prove for real that a failing command, a kernel panic (PID 1 exits, through
# the init's DEVMEM_GUEST_INIT_EXIT hook) and the timeout fail the run.
#
# Prints "ok N - ..." / "not ok N - ..." and "N passed, N failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
run=$here/run.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
n=0
ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

boot='Linux version 6.12.57 (root@host) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP
Command line: console=ttyS0 root=/dev/root rootfstype=9p ro panic=-1
9pnet: Installing 9P2000 support
VFS: Mounted root (9p filesystem) readonly on device 0:21.
devtmpfs: mounted
Run /work/main/tests/guest/init.sh as init process
hmm_dmirror: added new 256 MB chunk (total 1 chunks, 256 MB) PFNs [0x7fff0000 0x80000000)
HMM test module loaded. This is only for testing HMM.'

# expect_scan NAME WANT(pass|fail) LOG_TEXT [COMMAND_OUTPUT_TEXT]
expect_scan() {
	local name=$1 want=$2 log=$tmp/$n.log out=$tmp/$n.out got msg
	printf '%s\r\n' "$boot" >"$log"
	printf '%s\r\n' "$3" >>"$log"
	printf 'reboot: Restarting system\r\n' >>"$log"
	printf '%s\n' "${4:-}" >"$out"
	if msg=$("$run" --scan-log "$log" "$out" 2>&1); then got=pass; else got=fail; fi
	if [ "$got" = "$want" ]; then
		ok "$name${msg:+ ($msg)}"
	else
		notok "$name: scanner said $got, expected $want${msg:+ ($msg)}"
	fi
}

expect_scan "clean boot passes" pass "devmem-guest: command exited with status 0"
expect_scan "kernel panic fails" fail "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100"
expect_scan "Oops fails" fail "Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI
CPU: 1 UID: 0 PID: 77 Comm: devmem-workload Not tainted 6.12.57 #1"
expect_scan "BUG: fails" fail "BUG: kernel NULL pointer dereference, address: 0000000000000008"
expect_scan "BUG with timestamp fails" fail "[   12.345678] BUG: sleeping function called from invalid context at mm/memory.c:6400"
expect_scan "kernel BUG at fails" fail "kernel BUG at mm/memremap.c:512!"
expect_scan "WARNING: CPU fails" fail "------------[ cut here ]------------
WARNING: CPU: 0 PID: 81 at mm/migrate_device.c:727 migrate_vma_pages+0x1a/0x30
Modules linked in: test_hmm"
expect_scan "lockdep circular locking fails" fail "======================================================
WARNING: possible circular locking dependency detected
6.12.57 #1 Not tainted
------------------------------------------------------"
expect_scan "lockdep inconsistent lock state fails" fail "================================
WARNING: inconsistent lock state
--------------------------------"
expect_scan "lockdep recursive locking fails" fail "============================================
WARNING: possible recursive locking detected"
expect_scan "hung task fails" fail "INFO: task devmem-workload:93 blocked for more than 120 seconds.
      Not tainted 6.12.57 #1"
expect_scan "general protection fault fails" fail "Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP"
expect_scan "WARNING printed by the command passes" pass "WARNING: the test found nothing to do" \
	"WARNING: the test found nothing to do"
expect_scan "BUG: printed by the command passes" pass "note: BUG: reports are what this test looks for" \
	"note: BUG: reports are what this test looks for"
expect_scan "kernel WARNING beside command output fails" fail "WARNING: the test found nothing to do
WARNING: CPU: 1 PID: 90 at lib/test_hmm.c:700 dmirror_migrate_alloc_and_copy+0x2c/0x200" \
	"WARNING: the test found nothing to do"
expect_scan "words inside other words pass" pass "Oopsie-daisy DEBUG: nothing
the WARNINGS: section is empty"

# Argument checks that need no guest.
if "$run" -k /nonexistent -- true >/dev/null 2>&1; then
	notok "a missing kernel dir fails"
else
	ok "a missing kernel dir fails"
fi
"$run" -t 10 >/dev/null 2>&1
[ $? = 2 ] && ok "no command is a usage error (status 2)" || notok "no command is a usage error (status 2)"
"$run" -t abc -- true >/dev/null 2>&1
[ $? = 2 ] && ok "a bad timeout is a usage error (status 2)" || notok "a bad timeout is a usage error (status 2)"

# make test's verdict on a step's status beside its TAP lines (tests/run-verdict.sh)
. "$here/../run-verdict.sh"
todo_only="ok 1 - hmm-tests open_close
not ok 2 - hmm-tests anon_write_huge # TODO fails on the unpatched kernel too
ok 3 - -D hmm_dmirror1: allocs of device 1 only (12)"
real_fail="$todo_only
not ok 4 - a count that did not match"
printf '%s\n' "$todo_only" >"$tmp/todo.tap"
printf '%s\n' "$real_fail" >"$tmp/fail.tap"
# expect_verdict NAME RC FILE WANT(pass|fail)
expect_verdict() {
	local why got=pass
	why=$(run_verdict "$2" "$3") || got=fail
	if [ "$got" = "$4" ]; then
		ok "verdict: $1 (${why:-counted by its lines})"
	else
		notok "verdict: $1: expected $4, got $got (${why:-no reason})"
	fi
}
expect_verdict "a guest that died (125) after passing checks and TODO lines fails" 125 "$tmp/todo.tap" fail
expect_verdict "a guest that timed out (124) fails even with a counted failure" 124 "$tmp/fail.tap" fail
expect_verdict "status 1 with TODO lines only fails" 1 "$tmp/todo.tap" fail
expect_verdict "status 1 explained by a counted not ok is not counted twice" 1 "$tmp/fail.tap" pass
expect_verdict "status 0 passes" 0 "$tmp/todo.tap" pass

if [ "${1:-}" = --guest ]; then
	kdir=${2:?--guest wants a kernel dir}
	# expect_guest NAME WANT_STATUS RUN_SH_ARGS...
	expect_guest() {
		local name=$1 want=$2 got msg
		shift 2
		msg=$("$run" -k "$kdir" "$@" 2>&1 >/dev/null </dev/null)
		got=$?
		msg=$(tail -n 1 <<<"$msg")
		if [ "$got" = "$want" ]; then
			ok "$name (status $got: $msg)"
		else
			notok "$name: run.sh exited with $got, expected $want ($msg)"
		fi
	}
	expect_guest "guest: a command exiting 1 makes run.sh exit 1" 1 --no-hmm -t 120 -- sh -c 'exit 1'
	DEVMEM_GUEST_INIT_EXIT=1 expect_guest "guest: a kernel panic makes run.sh exit 125" 125 --no-hmm -t 120 -- true
	expect_guest "guest: the timeout kills the guest and run.sh exits 124" 124 --no-hmm -t 12 -- sleep 600
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

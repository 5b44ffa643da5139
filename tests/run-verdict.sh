# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Sourced by tests/run-all.sh (and its host test, tests/guest/test-scan-log.sh):
# whether a step's exit status says more than its TAP lines do.

# has_failure FILE: FILE has a "not ok N" line that counts as a failure (not
# a TODO or a SKIP: the hmm-tests baseline failures are TODO lines)
has_failure() {
	grep -E '^not ok [0-9]+' "$1" 2>/dev/null | grep -qvE '# (SKIP|skip|TODO)'
}

# run_verdict RC FILE: prints why the step counts as one more failure and
# returns 1, or returns 0. A guest whose kernel reported a problem, that
# died or timed out (tests/guest/run.sh's 125 and 124) always fails: the
# checks it did not reach have no line, and those it passed say nothing of
# it. Another non-zero status fails unless a counted "not ok" explains it.
run_verdict() {
	local rc=$1 file=$2
	case $rc in
	0) return 0 ;;
	124) echo "timed out (status 124)" ;;
	125) echo "the kernel reported a problem or the guest died (status 125)" ;;
	*)
		has_failure "$file" && return 0
		echo "exited with status $rc"
		;;
	esac
	return 1
}

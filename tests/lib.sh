# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Shared shell helpers of the test scripts: TAP lines and their counts.

tap_n=0
tap_pass=0
tap_fail=0
tap_skip=0

# ok DESCRIPTION / not_ok DESCRIPTION / skip DESCRIPTION REASON
ok() { tap_n=$((tap_n + 1)); tap_pass=$((tap_pass + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n - $*"; }
skip() { tap_n=$((tap_n + 1)); tap_skip=$((tap_skip + 1)); echo "ok $tap_n - $1 # SKIP $2"; }

# check DESCRIPTION EXPECTED ACTUAL: exact comparison, both values shown.
check() {
	if [ "$2" = "$3" ]; then
		ok "$1 ($3)"
	else
		not_ok "$1 (expected $2, got $3)"
	fi
}

# The closing line CI reads, and the exit status.
tap_done() {
	echo "$tap_pass passed, $tap_fail failed, $tap_skip skipped"
	[ "$tap_fail" -eq 0 ]
}

# bail MESSAGE: a failing check that stops the test here.
bail() {
	not_ok "$*"
	tap_done
	exit 1
}

# workload_expectations FILE: devmem-workload's "expect" lines as "key value"
# lines: totals as <key>, per process as pid.<pid>.<key>, per device as
# dev.<d>.<key>.
workload_expectations() {
	awk '
		$1 != "expect" { next }
		{
			prefix = ""
			for (i = 2; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == "pid") prefix = "pid." kv[2] "."
				else if (kv[1] == "dev" && prefix == "") prefix = "dev." kv[2] "."
			}
			for (i = 2; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] != "pid" && kv[1] != "dev") print prefix kv[1], kv[2]
			}
		}' "$1" | sort -u
}

# have_series_events: the kernel has the tracepoints of the kernel series
# (the zone_device system of v3, or v2's devmem)
have_series_events() {
	[ -d /sys/kernel/tracing/events/zone_device ] || [ -d /sys/kernel/tracing/events/devmem ]
}

# hmm_device_starts: the first pfn (hex) of each test_hmm device's range,
# device 0 first: test_hmm adds one chunk per device at load and logs where
# ("added new ... PFNs [first last)")
hmm_device_starts() {
	dmesg | sed -n 's/.*added new .* PFNs \[\(0x[0-9a-f]*\) .*/\1/p' | tail -n 2
}

# hmm_device_name N: the tools' name for test_hmm's device N (/dev/hmm_dmirrorN),
# or nothing: the name devmemranges -j gives the range where that device's
# chunk is. On the zone_device series both ranges are hmm_dmirror in
# /proc/iomem, and the tools call one of them hmm_dmirror#2.
hmm_device_name() {
	local start
	start=$(hmm_device_starts | sed -n "$(($1 + 1))p")
	[ -n "$start" ] || return 1
	devmemranges -j 2>/dev/null | python3 -c 'import json, sys
want = int(sys.argv[1], 16) << 12
print(next((r["device"] for r in json.load(sys.stdin)["ranges"] if int(r["start"], 16) == want), ""))' "$start"
}

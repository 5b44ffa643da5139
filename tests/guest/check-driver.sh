#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test: the project's test driver (tests/driver/devmem_testdrv.ko)
# driven by devmem-drv-workload, its "expect" lines proved with kprobe
# events in tracefs, no BPF involved. The probes record
#   memremap_pages / memunmap_pages (+ return)   pagemaps added and removed,
#                                                the time a remove waited
#   zone_device_page_init                        a device page handed out
#   free_zone_device_folio (free_zone_device_page before 6.2)  one freed
#   migrate_vma_setup / _pages / _finalize (+ return)  each call, with its
#                          flags (1 to the device, 2 to RAM), cpages, and
#                          whether it serves a CPU fault (fault_page)
#   devmem_testdrv:devmem_td_migrate_to_ram       the driver's migrate_to_ram()
# and every event carries its pid and the page's pgmap, so the figures are
# checked in total, per process, per device, per pagemap and per range (the
# ranges of one pagemap told apart by where their struct pages lie: ranges
# are at least a memory section, 128 MiB, apart, so their struct pages are
# megabytes apart, while the pages the workload uses in one range lie within
# a few hundred KiB). A fault is wasted when its migrate_vma_setup() is not followed by
# a migrate_vma_finalize(): the driver returned early. The pages in use at a
# remove are the pages of that pagemap freed while memunmap_pages() waited.
# That wait is the hold time plus what memunmap_pages() does after the last
# reference went (an RCU grace period, the memory unplug): tens of ms under
# TCG, more on a loaded host; the hold times here keep it within 10%.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-driver.sh
#
# Environment: DEVMEM_DRIVER_MODULE (default build/driver/<kernel dir
# name>/devmem_testdrv.ko, from tests/driver/build.sh), DEVMEM_DRV_WORKLOAD.
# Prints TAP lines (tests/lib.sh) and their count; exits non-zero on any
# failure.
set -u

T=/sys/kernel/tracing
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
note() { echo "# $*"; }
kdir=${DEVMEM_KERNEL_DIR:-}
module=${DEVMEM_DRIVER_MODULE:-$top/build/driver/$(basename "${kdir:-none}")/devmem_testdrv.ko}
workload=${DEVMEM_DRV_WORKLOAD:-$(command -v devmem-drv-workload || echo "$top/build/tests/devmem-drv-workload")}
work=$(mktemp -d /tmp/check-driver.XXXXXX)
group=devmem_drv
clock=

# check-driver.sh --analyze DIR: only the analysis, of a run kept in DIR
# (the results directory's check-driver/<case>), for instance on the host.
offline=
if [ "${1:-}" = --analyze ]; then
	offline=${2:?--analyze wants a directory}
fi
[ -n "$offline" ] || [ -r "$module" ] || bail "$module is missing; build it with tests/driver/build.sh KERNEL_DIR"
[ -n "$offline" ] || [ -x "$workload" ] || bail "devmem-drv-workload not found; build it with tests/driver/build.sh KERNEL_DIR"
[ -n "$offline" ] || [ -w "$T/kprobe_events" ] || bail "$T/kprobe_events is not writable; run as root in the guest with tracefs mounted (tests/guest/run.sh)"
[ -n "$offline" ] || note "kernel $(uname -r), module $module"

if [ -z "$offline" ]; then
grep -qw '^devmem_testdrv' /proc/modules && rmmod devmem_testdrv 2>/dev/null
insmod "$module" 2>"$work/insmod.err" || bail "insmod $module failed: $(cat "$work/insmod.err")"
n=0
while [ ! -c /dev/devmem_testdrv ]; do
	n=$((n + 1))
	[ $n -gt 50 ] && bail "devmem_testdrv is loaded but /dev/devmem_testdrv did not appear in 5 s"
	sleep 0.1
done
ok "devmem_testdrv loaded ($(dmesg | grep -o 'devmem_testdrv: ready ([^)]*)' | tail -n 1))"

# --- probes -------------------------------------------------------------------
echo 0 >"$T/tracing_on"
echo 0 >"$T/events/enable" 2>/dev/null
echo >"$T/trace"
echo 16384 >"$T/buffer_size_kb"
clock=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$T/trace_clock")
echo mono >"$T/trace_clock" 2>/dev/null || echo global >"$T/trace_clock"
add_probe() { echo "$1" >>"$T/kprobe_events" 2>>"$work/probe.err"; }
free_fn=free_zone_device_folio
grep -qw free_zone_device_folio /proc/kallsyms || free_fn=free_zone_device_page
# struct migrate_vma: cpages at 24, flags at 64, fault_page at 72 (x86-64,
# the same in 6.1 and 6.12); struct page: pgmap at 8.
mv='flags=+64(%di):u64 fault=+72(%di):x64'
for p in "p:$group/d_remap memremap_pages pgmap=%di:x64" \
	"p:$group/d_unmap memunmap_pages pgmap=%di:x64" \
	"r:$group/d_unmap_ret memunmap_pages" \
	"p:$group/d_alloc zone_device_page_init page=%di:x64 pgmap=+8(%di):x64" \
	"p:$group/d_free $free_fn page=%di:x64 pgmap=+8(%di):x64" \
	"p:$group/d_setup migrate_vma_setup $mv" \
	"p:$group/d_pages migrate_vma_pages $mv cpages=+24(%di):u64" \
	"p:$group/d_final migrate_vma_finalize $mv" \
	"r:$group/d_final_ret migrate_vma_finalize" \
	"p:$group/d_fault devmem_testdrv:devmem_td_migrate_to_ram"; do
	add_probe "$p" || bail "cannot add kprobe event '$p': $(tail -n 1 "$work/probe.err")"
done
note "page frees probed at $free_fn"
echo 1 >"$T/events/$group/enable" || bail "cannot enable the $group kprobe events"
fi

cleanup() {
	echo 0 >"$T/tracing_on"
	echo 0 >"$T/events/$group/enable" 2>/dev/null
	for e in d_remap d_unmap d_unmap_ret d_alloc d_free d_setup d_pages d_final d_final_ret d_fault; do
		echo "-:$group/$e" >>"$T/kprobe_events" 2>/dev/null
	done
	rmmod devmem_testdrv 2>/dev/null
	[ -n "$clock" ] && echo "$clock" >"$T/trace_clock"
	rm -rf "$work"
}
trap cleanup EXIT

profile() { awk '$1 ~ /^d_/ { print $1, $2, $3 }' "$T/kprobe_profile"; }

# expectations FILE: the expect lines as "<scope>key value"; scopes are
# pid.<pid>., dev.<d>., pagemap.<k>., range.<k>. or none (totals).
expectations() {
	awk '
		$1 != "expect" { next }
		{
			split($2, kv, "=")
			prefix = ""
			first = 2
			if (kv[1] == "pid" || kv[1] == "dev" || kv[1] == "pagemap" || kv[1] == "range") {
				prefix = kv[1] "." kv[2] "."
				first = 3
			}
			for (i = first; i <= NF; i++) {
				split($i, kv, "=")
				print prefix kv[1], kv[2]
			}
		}' "$1" | sort -u
}

# --- one case -----------------------------------------------------------------
run_case() {
	local name=$1
	shift
	local dir=$work/$name
	mkdir -p "$dir"
	echo >"$T/trace"
	profile >"$dir/profile.before"
	echo 1 >"$T/tracing_on"
	"$workload" "$@" >"$dir/out" 2>"$dir/err"
	local rc=$?
	echo 0 >"$T/tracing_on"
	profile >"$dir/profile.after"
	cat "$T/trace" >"$dir/trace"
	cat "$T"/per_cpu/cpu*/stats >"$dir/stats"

	note "case $name: devmem-drv-workload $*"
	grep -v '^expect' "$dir/out" | sed 's/^/#   /'
	if [ $rc != 0 ]; then
		not_ok "$name: devmem-drv-workload exited with status $rc: $(tail -n 3 "$dir/err" | tr '\n' ' ')"
		grep -q '^expect' "$dir/out" || return
	else
		ok "$name: devmem-drv-workload ran, and the driver's results matched its model"
	fi

	# Single-range pagemaps go through zone_device_pool_add() where the kernel has it.
	local want_helper=0 helpers
	grep -qw zone_device_pool_add /proc/kallsyms && want_helper=1
	helpers=$(awk '$1 == "pagemap" { split($5, h, "="); split($4, r, "="); print $2 ":" (r[2] == 1 ? h[2] : "multi") }' "$dir/out" | tr '\n' ' ')
	check "$name: single-range pagemaps added with zone_device_pool_add() exactly where the kernel has it" \
		"0:$want_helper 1:$want_helper 2:multi " "$helpers"

	local overrun missed
	overrun=$(awk '/^overrun:/ { s += $2 } END { print s + 0 }' "$dir/stats")
	missed=$(awk 'NR == FNR { m[$1] = $3; next } { d += $3 - m[$1] } END { print d + 0 }' \
		"$dir/profile.before" "$dir/profile.after")
	if [ "$overrun" = 0 ] && [ "$missed" = 0 ]; then
		ok "$name: no trace events lost (ring buffer overrun 0, kprobe misses 0)"
	else
		not_ok "$name: trace events were lost (ring buffer overrun $overrun, kprobe misses $missed); counts below are unreliable"
	fi

	analyze "$name" "$dir"
}

# analyze NAME DIR: DIR holds the workload's output (out) and the trace.
analyze() {
	local name=$1 dir=$2
	expectations "$dir/out" >"$dir/expect"
	# The workload's layout (pagemap -> device, ranges) and its processes.
	awk '$1 == "expect" && $2 ~ /^pagemap=/ {
		split($2, a, "="); split($3, d, "="); split($4, r, "=")
		print "pagemap", a[2], d[2], r[2]
	}
	$1 == "expect" && $2 ~ /^pid=/ {
		split($2, a, "="); dev = "-"
		if ($3 ~ /^dev=/) { split($3, d, "="); dev = d[2] }
		print "pid", a[2], dev
	}' "$dir/out" >"$dir/layout"

	# The struct page addresses of each pagemap, in clusters 1 MiB apart or
	# more: one cluster per range. Addresses as "<high hex digits> <low 40
	# bits in decimal>", exact in awk's doubles.
	awk '
		$0 ~ / d_(alloc|free): / {
			pg = ""; pm = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^page=/) pg = tolower(substr($i, 6))
				else if ($i ~ /^pgmap=/) pm = substr($i, 7)
			}
			sub(/^0x/, "", pg)
			n = length(pg); hi = substr(pg, 1, n - 10); lo = substr(pg, n - 9)
			v = 0
			for (i = 1; i <= length(lo); i++) v = v * 16 + index("0123456789abcdef", substr(lo, i, 1)) - 1
			printf "%s %s %.0f\n", pm, hi, v
		}' "$dir/trace" | sort -u | sort -k1,1 -k2,2 -k3,3n |
		awk '{ if ($1 != pm || $2 != hi || $3 - last > 1048576) cl++; pm = $1; hi = $2; last = $3; print $1, $2, $3, cl }' \
		>"$dir/clusters"

	# What the kernel saw, in the same keys.
	awk -v layout="$dir/layout" -v clusters="$dir/clusters" '
		function cluster(h,   n, hi, lo, v, i) {
			h = tolower(h); sub(/^0x/, "", h)
			n = length(h); hi = substr(h, 1, n - 10); lo = substr(h, n - 9)
			v = 0
			for (i = 1; i <= length(lo); i++) v = v * 16 + index("0123456789abcdef", substr(lo, i, 1)) - 1
			return cl[hi, sprintf("%.0f", v)]
		}
		function bump(key, n,   d) {
			c[key] += n
			if (pid in wpid) {
				c["pid." pid "." key] += n
				if (wdev[pid] != "-") c["dev." wdev[pid] "." key] += n
			}
		}
		# Page events: scopes by the page (its pagemap, range and device),
		# and by the process that ran them.
		function page_event(key,   k, rk, b) {
			c[key]++
			if (pid in wpid) c["pid." pid "." key]++
			if (!(pgmap in pmk)) { c["unknown_pagemap_events"]++; return }
			k = pmk[pgmap]
			c["pagemap." k "." key]++
			c["dev." pmdev[k] "." key]++
			b = cluster(page)
			if (!((k, b) in rng)) {
				if (nr_seen[k] >= pmranges[k]) { c["unknown_range_events"]++; return }
				rng[k, b] = pmfirst[k] + nr_seen[k]++
			}
			rk = rng[k, b]
			c["range." rk "." key]++
			return rk
		}
		BEGIN {
			while ((getline l < clusters) > 0) { split(l, q, " "); cl[q[2], q[3]] = q[4] }
			first = 0
			while ((getline l < layout) > 0) {
				split(l, f, " ")
				if (f[1] == "pagemap") {
					pmdev[f[2]] = f[3]; pmranges[f[2]] = f[4]
					pmfirst[f[2]] = first; first += f[4]
				} else if (f[1] == "pid") {
					wpid[f[2]] = 1; wdev[f[2]] = f[3]
				}
			}
			npm = 0
		}
		/^#/ { next }
		{
			if (!match($0, /-[0-9]+ +\[[0-9]+\]/)) next
			pid = substr($0, RSTART + 1, RLENGTH); sub(/ .*/, "", pid)
			ev = ""; ts = ""
			for (i = 1; i <= NF; i++)
				if ($i ~ /^d_[a-z_]+:$/) { ev = substr($i, 1, length($i) - 1); ts = $(i - 1); break }
			if (ev == "") next
			sub(/:$/, "", ts); ts += 0
			flags = 0; fault = 0; cpages = 0; pgmap = ""; page = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^flags=/) flags = substr($i, 7) + 0
				else if ($i ~ /^fault=/) fault = (substr($i, 7) != "0x0" && substr($i, 7) != "0")
				else if ($i ~ /^cpages=/) cpages = substr($i, 8) + 0
				else if ($i ~ /^pgmap=/) pgmap = substr($i, 7)
				else if ($i ~ /^page=/) page = substr($i, 6)
			}
			if (ev == "d_remap") {
				pmk[pgmap] = npm++
				c["pagemaps_added"]++
			} else if (ev == "d_unmap") {
				c["pagemaps_removed"]++
				unmap_pgmap[pid] = pgmap; unmap_ts[pid] = ts
				removing[pgmap] = 0; live_remove[pgmap] = 1
			} else if (ev == "d_unmap_ret") {
				p = unmap_pgmap[pid]
				if (p in pmk) {
					k = pmk[p]
					ms = (ts - unmap_ts[pid]) * 1000
					c["pagemap." k ".in_use_at_remove"] += removing[p]
					c["in_use_at_remove"] += removing[p]
					if (removing[p] > 0) {
						c["pagemap." k ".hold_ms"] = sprintf("%.0f", ms)
						c["hold_ms"] = sprintf("%.0f", ms)
					} else {
						c["pagemap." k ".hold_ms"] = 0
					}
					printf "remove_ms %d %.1f\n", k, ms > "/dev/stderr"
				}
				delete live_remove[p]
			} else if (ev == "d_alloc") {
				rk = page_event("allocs")
				if (win_open[pid]) { win_pages[pid]++; win_rng[pid, rk] = 1 }
			} else if (ev == "d_free") {
				rk = page_event("frees")
				if (!(pid in wpid)) c["frees_deferred"]++
				if (pgmap in live_remove) removing[pgmap]++
				if (fin_open[pid]) fin_rng[pid, rk] = 1
			} else if (ev == "d_setup") {
				bump("migrate_vma_setup_calls", 1)
				if (flags == 2 && fault) { bump("fault_setups", 1); pending_fault[pid]++ }
				if (flags == 1) { win_open[pid] = 1; win_pages[pid] = 0 }
			} else if (ev == "d_pages") {
				bump("migrate_vma_pages_calls", 1)
				if (flags == 1) {
					bump("migrate_to_device_calls", 1)
					bump("pages_collected_to_device", cpages)
					bump("pages_to_device", win_pages[pid])
					n = 0
					for (key in win_rng) { split(key, kk, SUBSEP); if (kk[1] == pid) { n++; delete win_rng[key] } }
					if (n > 1) bump("windows_spanning_ranges", 1)
					win_open[pid] = 0
				} else if (flags == 2) {
					bump("migrate_to_ram_calls", 1)
					bump("pages_to_ram", cpages)
				}
			} else if (ev == "d_final") {
				bump("migrate_vma_finalize_calls", 1)
				if (flags == 2 && fault) bump("faults", 1)
				if (flags == 2 && !fault) fin_open[pid] = 1
			} else if (ev == "d_final_ret") {
				if (fin_open[pid]) {
					n = 0
					for (key in fin_rng) { split(key, kk, SUBSEP); if (kk[1] == pid) { n++; delete fin_rng[key] } }
					if (n > 1) bump("windows_spanning_ranges", 1)
					fin_open[pid] = 0
				}
			} else if (ev == "d_fault") {
				bump("fault_calls", 1)
			}
		}
		END {
			# Wasted faults: setups for a fault that never reached finalize.
			for (k in c) if (k ~ /(^|\.)fault_setups$/) {
				w = k; sub(/fault_setups$/, "faults", w)
				x = k; sub(/fault_setups$/, "faults_wasted", x)
				c[x] = c[k] - c[w]
			}
			for (k in c) if (k ~ /(^|\.)pages_collected_to_device$/) {
				a = k; sub(/pages_collected_to_device$/, "pages_to_device", a)
				af = k; sub(/pages_collected_to_device$/, "alloc_failures", af)
				c[af] = c[k] - c[a]
			}
			for (k in c) print k, c[k]
		}
	' "$dir/trace" 2>"$dir/removes" | sort >"$dir/measured"

	# Compare in one pass: "ok|..." and "not_ok|..." lines, counted below.
	awk -v name="$name" -v out="$dir/out" '
		FNR == 1 { file++ }
		file == 1 { want[$1] = $2; order[++n] = $1; next }
		file == 2 { got[$1] = $2; next }
		function g(k) { return (k in got) ? got[k] : 0 }
		function res(cond, text) { print (cond ? "ok|" : "not_ok|") name ": " text }
		END {
			for (i = 1; i <= n; i++) {
				k = order[i]; e = want[k]
				if (k ~ /^(pagemap\.[0-9]+\.(dev|ranges)|range\.[0-9]+\.pagemap|pid\.[0-9]+\.dev)$/) continue
				# Per reason: counted from the zone_device events by
				# tests/guest/check-driver-events.sh, not by these probes.
				if (k ~ /(^|\.)(migrate_reasons|(starts|ends|pages)_(unknown|cpu_fault|device_fault|prefetch|evict|remove|longterm_pin))$/) continue
				if (k ~ /(^|\.)hold_ms$/) {
					if (e == 0) { res(g(k) == 0, k " (no page was held at this remove) (" g(k) ")"); continue }
					d = g(k) - e; if (d < 0) d = -d
					res(d <= e / 10, k ": memunmap_pages() waited " g(k) " ms, " (d <= e / 10 ? "" : "not ") "within 10% of the " e " ms the pages were held")
					continue
				}
				if (g(k) == e) res(1, k " = " e)
				else res(0, k ": kernel saw " g(k) ", workload expects " e)
			}
			res(g("fault_setups") == g("fault_calls"), "the driver'\''s migrate_to_ram() calls (" g("fault_calls") ") equal the fault setups seen by migrate_vma_setup() (" g("fault_setups") ")")
			u = g("unknown_pagemap_events") + g("unknown_range_events")
			res(u == 0, "every page event belongs to a range the workload added (" u " do not)")
			# The driver'\''s own counters against the model, in total and per device.
			while ((getline l < out) > 0) {
				if (l !~ /^driver /) continue
				nf = split(l, f, " ")
				scope = ""
				for (j = 2; j <= nf; j++) {
					split(f[j], kv, "=")
					if (kv[1] == "dev") { scope = "dev." kv[2] "."; continue }
					if (kv[1] == "in_use") { if (scope == "") res(kv[2] == 0, "nothing is left in use on the devices (" kv[2] ")"); continue }
					if ((scope kv[1]) in want)
						res(kv[2] == want[scope kv[1]], "the driver counts " scope kv[1] " " kv[2] ", the workload expects " want[scope kv[1]])
				}
			}
		}
	' "$dir/expect" "$dir/measured" >"$dir/results"
	local verdict text
	while IFS='|' read -r verdict text; do
		if [ "$verdict" = ok ]; then ok "$text"; else not_ok "$text"; fi
	done <"$dir/results"
	# Kept with the run's results for a look afterwards.
	if [ -n "${DEVMEM_RESULTS:-}" ] && mkdir -p "$DEVMEM_RESULTS/check-driver/$name" 2>/dev/null; then
		cp "$dir"/{out,err,trace,expect,measured,results,removes} "$DEVMEM_RESULTS/check-driver/$name/" 2>/dev/null
	fi
	note "$name: removes (pagemap, ms): $(tr '\n' ' ' <"$dir/removes")"
}

if [ -n "$offline" ]; then
	trap 'rm -rf "$work"' EXIT
	cp "$offline"/out "$offline"/trace "$work/"
	analyze "$(basename "$offline")" "$work"
	tap_done
	exit
fi
run_case default -T 3000
run_case wide -p 4 -r 2 -n 70 -w 64 -f 0xffffffff00000000 -W 0x5 -c 1 -H 3 -T 3000 --no-fail-all

rmmod devmem_testdrv 2>"$work/rmmod.err"
check "devmem_testdrv unloads" 0 "$?"
trap - EXIT
echo 0 >"$T/events/$group/enable" 2>/dev/null
for e in d_remap d_unmap d_unmap_ret d_alloc d_free d_setup d_pages d_final d_final_ret d_fault; do
	echo "-:$group/$e" >>"$T/kprobe_events" 2>/dev/null
done
[ -n "$clock" ] && echo "$clock" >"$T/trace_clock"
rm -rf "$work"
tap_done

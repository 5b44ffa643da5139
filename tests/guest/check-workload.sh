#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test: the kernel's own count of device-private events matches the
# "expect" lines of devmem-workload, with no BPF involved. Kprobe events in
# tracefs record
#   zone_device_page_init     a device page handed out      (allocs)
#   free_zone_device_folio    a device page freed           (frees)
#   migrate_vma_pages         a migration; flags 1 = to the device, 2 = to RAM,
#                             cpages = pages collected and unmapped for it
#   migrate_vma_setup         flags 2 = a migrate_to_ram call (fault calls)
# and every event carries the pid of the process it ran in, so the per-process
# and per-device figures are checked too.
#
# Exact invariants: allocs, frees, pages and migrations to the device, pages
# migrated to RAM and migrations to RAM that moved a page. Fault calls can
# exceed pages migrated to RAM (a racing migrate_to_ram collects nothing and
# the fault is retried), so only "at least" is checked and the surplus is
# reported.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-workload.sh
#
# Prints "ok N - ..." / "not ok N - ..." lines (tests/lib.sh) and their count;
# exits non-zero on any failure.

set -u

T=/sys/kernel/tracing
workload=${DEVMEM_WORKLOAD:-$(command -v devmem-workload)}
work=$(mktemp -d /tmp/check-workload.XXXXXX)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
note() { echo "# $*"; }
finish() {
	tap_done
	exit
}
bail() {
	not_ok "$*"
	finish
}

[ -n "$workload" ] && [ -x "$workload" ] ||
	bail "devmem-workload not found in PATH; build it with tests/workload/build.sh KERNEL_DIR build/tests"
[ -w "$T/kprobe_events" ] || bail "$T/kprobe_events is not writable; run as root in the guest with tracefs mounted (tests/guest/run.sh)"
[ -c /dev/hmm_dmirror0 ] || bail "/dev/hmm_dmirror0 is missing; load test_hmm (insmod test_hmm.ko) first"

# --- probes -----------------------------------------------------------------
echo 0 >"$T/tracing_on"
echo 0 >"$T/events/enable" 2>/dev/null
echo >"$T/trace"
echo 8192 >"$T/buffer_size_kb"
group=devmem_chk
add_probe() {
	echo "$1" >>"$T/kprobe_events" 2>>"$work/probe.err"
}
for p in "p:$group/chk_alloc zone_device_page_init" \
	"p:$group/chk_free free_zone_device_folio"; do
	add_probe "$p" || bail "cannot add kprobe event '$p': $(tail -n 1 "$work/probe.err")"
done
# Field names through BTF where the kernel supports it, else the fixed x86-64
# offsets of struct migrate_vma (cpages at 24, flags at 64).
if add_probe "p:$group/chk_mig migrate_vma_pages flags=migrate->flags:u64 cpages=migrate->cpages:u64"; then
	note "migrate_vma_pages probe uses BTF field names"
else
	add_probe "p:$group/chk_mig migrate_vma_pages flags=+64(%di):u64 cpages=+24(%di):u64" ||
		bail "cannot add a kprobe event on migrate_vma_pages: $(tail -n 1 "$work/probe.err")"
	note "migrate_vma_pages probe uses raw struct offsets"
fi
# In this workload only test_hmm's migrate_to_ram sets up a migration out
# of device-private memory (flags 2), so those setups count fault calls.
add_probe "p:$group/chk_setup migrate_vma_setup flags=args->flags:u64" ||
	add_probe "p:$group/chk_setup migrate_vma_setup flags=+64(%di):u64" ||
	bail "cannot add a kprobe event on migrate_vma_setup: $(tail -n 1 "$work/probe.err")"
# test_hmm's ioctl handler, where the kernel lets module text be probed.
have_ioctl_probe=0
if add_probe "p:$group/chk_todev dmirror_migrate_to_device" 2>/dev/null; then
	have_ioctl_probe=1
else
	note "no kprobe on test_hmm's dmirror_migrate_to_device here; ioctls_to_device is not checked"
fi
echo 1 >"$T/events/$group/enable" || bail "cannot enable the $group kprobe events"

cleanup() {
	echo 0 >"$T/tracing_on"
	echo 0 >"$T/events/$group/enable" 2>/dev/null
	for e in chk_alloc chk_free chk_setup chk_mig chk_todev; do
		echo "-:$group/$e" >>"$T/kprobe_events" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

# Hits and misses per probe from kprobe_profile, as "event hits misses".
profile() { awk '$1 ~ /^chk_/ { print $1, $2, $3 }' "$T/kprobe_profile"; }

# --- one case -----------------------------------------------------------------
# run_case NAME WORKLOAD_ARGS...
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

	note "case $name: devmem-workload $*"
	sed 's/^/#   /' "$dir/out"
	if [ $rc != 0 ]; then
		not_ok "$name: devmem-workload exited with status $rc: $(tail -n 1 "$dir/err")"
		return
	fi
	ok "$name: devmem-workload ran"

	local overrun
	overrun=$(awk '/^overrun:/ { s += $2 } END { print s + 0 }' "$dir/stats")
	local missed
	missed=$(awk 'NR == FNR { m[$1] = $3; next } { d += $3 - m[$1] } END { print d + 0 }' \
		"$dir/profile.before" "$dir/profile.after")
	if [ "$overrun" = 0 ] && [ "$missed" = 0 ]; then
		ok "$name: no trace events lost (ring buffer overrun 0, kprobe misses 0)"
	else
		not_ok "$name: trace events were lost (ring buffer overrun $overrun, kprobe misses $missed); counts below are unreliable"
	fi

	# Expected figures as "key value", and map.<pid> <device> for each process.
	{
		workload_expectations "$dir/out"
		awk '$1 == "expect" && $2 ~ /^pid=/ { split($2, p, "="); split($3, d, "="); print "map." p[2], d[2] }' "$dir/out"
	} | sort -u >"$dir/expect"

	# What the kernel saw, in the same keys.
	awk -v mapfile="$dir/expect" '
		BEGIN {
			while ((getline l < mapfile) > 0) {
				split(l, f, " ")
				if (f[1] ~ /^map\./) { sub(/^map\./, "", f[1]); dev[f[1]] = f[2] }
			}
		}
		/^#/ { next }
		{
			if (!match($0, /-[0-9]+ +\[[0-9]+\]/)) next
			pid = substr($0, RSTART + 1, RLENGTH)
			sub(/ .*/, "", pid)
			ev = ""
			for (i = 1; i <= NF; i++) if ($i ~ /^chk_[a-z]+:$/) { ev = $i; break }
			if (ev == "") next
			flags = 0; cpages = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^flags=/) { v = substr($i, 7); flags = v + 0 }
				if ($i ~ /^cpages=/) { v = substr($i, 8); cpages = v + 0 }
			}
			keys[1] = ""; nk = 1
			if (pid in dev) { keys[2] = "pid." pid "."; keys[3] = "dev." dev[pid] "."; nk = 3 }
			for (k = 1; k <= nk; k++) {
				p = keys[k]
				if (ev == "chk_alloc:") c[p "allocs"]++
				else if (ev == "chk_free:") c[p "frees"]++
				else if (ev == "chk_setup:" && flags == 2) c[p "faults"]++
				else if (ev == "chk_todev:") c[p "ioctls_to_device"]++
				else if (ev == "chk_mig:" && flags == 1) {
					c[p "migrate_to_device_calls"]++
					c[p "pages_to_device"] += cpages
				} else if (ev == "chk_mig:" && flags == 2) {
					c[p "migrate_to_ram_calls"]++
					c[p "pages_to_ram"] += cpages
					if (cpages > 0) c[p "migrate_to_ram_calls_moving"]++
					else c[p "migrate_to_ram_calls_empty"]++
				} else if (ev == "chk_mig:") c[p "migrate_other"]++
			}
			if (!(pid in dev) && ev != "chk_todev:") c["other_pid_events"]++
		}
		END { for (k in c) print k, c[k] }
	' "$dir/trace" | sort >"$dir/measured"

	get() { awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "$2"; }

	# Exact: every expected key except faults (checked as a minimum) and
	# ioctls_to_device (checked only where the probe exists).
	local key exp got prefix
	local -a keys
	mapfile -t keys <<<"$(awk '$1 !~ /^map\./ { print $1 }' "$dir/expect")"
	for key in "${keys[@]}"; do
		exp=$(get "$key" "$dir/expect")
		got=$(get "$key" "$dir/measured")
		case $key in
		unmapped_on_device|*.unmapped_on_device|releases)
			continue ;;
		ioctls_to_device|*.ioctls_to_device)
			[ $have_ioctl_probe = 1 ] || continue ;;
		faults|*.faults)
			if [ "$got" -ge "$exp" ]; then
				ok "$name: $key: $got fault calls >= $exp pages touched"
			else
				not_ok "$name: $key: $got fault calls < $exp pages touched"
			fi
			continue ;;
		esac
		if [ "$got" = "$exp" ]; then
			ok "$name: $key = $exp"
		else
			not_ok "$name: $key: kernel saw $got, workload expects $exp"
		fi
	done

	# Invariants that hold whatever the workload says.
	for prefix in "" $(awk '$1 ~ /^(pid|dev)\.[0-9]+\.allocs$/ { sub(/allocs$/, "", $1); print $1 }' "$dir/expect"); do
		local moving toram
		moving=$(get "${prefix}migrate_to_ram_calls_moving" "$dir/measured")
		toram=$(get "${prefix}pages_to_ram" "$dir/measured")
		if [ "$moving" = "$toram" ]; then
			ok "$name: ${prefix}each fault migration that moved something moved one page ($moving)"
		else
			not_ok "$name: ${prefix}fault migrations moving pages $moving, pages moved $toram (a fault moved more than one page)"
		fi
	done
	local other
	other=$(get other_pid_events "$dir/measured")
	if [ "$other" = 0 ]; then
		ok "$name: every device-private event ran in a workload process"
	else
		not_ok "$name: $other device-private events ran outside the workload's processes"
	fi
	note "$name: fault calls $(get faults "$dir/measured"), migrations to RAM $(get migrate_to_ram_calls "$dir/measured") of which moved nothing $(get migrate_to_ram_calls_empty "$dir/measured"), pages to RAM $(get pages_to_ram "$dir/measured")"
}

run_case default
run_case alt -p 2 -r 3 -n 10 -d alt
run_case batches -p 2 -r 2 -n 100 -d 1 -w --no-last

# a modifier without what it modifies: one sentence naming it, status 2
for args in "--same-va" "--sites-child" "--sites 1:1 --sites-stop"; do
	# shellcheck disable=SC2086
	msg=$("$workload" $args 2>&1 >/dev/null)
	rc=$?
	opt=${args##* }
	if [ $rc = 2 ] && [ "$(grep -c . <<<"$msg")" = 1 ] && grep -q -- "$opt" <<<"$msg"; then
		ok "devmem-workload $args: refused ($msg)"
	else
		not_ok "devmem-workload $args: status $rc, '$msg'"
	fi
done
finish

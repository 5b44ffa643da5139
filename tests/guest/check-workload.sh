#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test: the kernel's own count of device-private events matches the
# "expect" lines of devmem-workload, with no BPF involved. Kprobe events in
# tracefs record
#   zone_device_page_init     a device folio handed out     (allocs), with its
#                             order where the function takes one (7.x)
#   free_zone_device_folio    a device folio freed          (frees), with its
#                             order read from the folio (PG_head from BTF)
#   migrate_vma_pages         a migration; flags 1 = to the device, 2 = to RAM,
#                             cpages = entries collected and unmapped for it,
#                             and whether its first src/dst entry is a huge
#                             page (MIGRATE_PFN_COMPOUND): a huge page is one
#                             entry and 512 pages
#   migrate_vma_setup         flags 2 = a migrate_to_ram call (fault calls),
#                             10 = one for a huge page mapped by a PMD
#   do_huge_pmd_device_private (return, where the kernel has it) PMD faults
# and every event carries the pid of the process it ran in, so the per-process
# and per-device figures are checked too. Page counts are pages, and folios
# are also counted by order (allocs_order0, allocs_order9, ...).
#
# Exact invariants: allocs, frees, pages and migrations to the device, pages
# migrated to RAM, folios by order, and migrations to RAM that moved a page
# or a huge page. Fault calls can exceed pages migrated to RAM (a racing
# migrate_to_ram collects nothing and the fault is retried), so only "at
# least" is checked for them and the surplus is reported; the faults that
# moved something are exact.
#
# Huge pages (--thp) run where the workload's own probe finds that one
# moves to the device as one folio: a mixed run of huge and base pages on
# both devices, and one whose huge page mappings are split before the
# touch. devmem-stacks' faults are checked per site with uprobes and
# against the leaf with ftrace's user stacks (see stacks_case below).
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
# first_probe DEFINITION...: add the first that the kernel takes; 1 if none
first_probe() {
	local d
	for d in "$@"; do add_probe "$d" 2>/dev/null && { echo "$d"; return 0; }; done
	return 1
}
aff=$T/available_filter_functions
has_fn() { grep -qE "^$1( |\$)" "$aff"; }
# a huge page (one PMD) in base pages, for compound migration entries
hpage=0
[ -r /sys/kernel/mm/transparent_hugepage/hpage_pmd_size ] &&
	hpage=$(($(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size) / $(getconf PAGESIZE)))
horder=0
while [ $((1 << horder)) -lt "$hpage" ]; do horder=$((horder + 1)); done

# A device folio handed out: with its order where zone_device_page_init()
# takes one (named through BTF); where it takes none (BTF names work, the
# parameter is missing) each call is one page; where the kernel cannot
# name arguments, the order is unknown and the page counts are not checked.
if add_probe "p:$group/chk_alloc zone_device_page_init order=order:u32" 2>/dev/null; then
	alloc_order=arg
elif add_probe "p:$group/chk_alloc zone_device_page_init pg=page:x64" 2>/dev/null; then
	alloc_order=none
else
	add_probe "p:$group/chk_alloc zone_device_page_init" ||
		bail "cannot add a kprobe event on zone_device_page_init: $(tail -n 1 "$work/probe.err")"
	alloc_order=unknown
fi
note "zone_device_page_init: order $alloc_order"
# A device folio freed: its order is read from the folio (PG_head in its
# flags, the order in the low byte of the second page's flags), PG_head's
# bit taken from the kernel's BTF. free_zone_device_page() (before 6.2)
# frees one page.
pg_head=$(bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null |
	sed -n "s/^[[:space:]]*'PG_head' val=\([0-9]*\)\$/\1/p" | head -n 1)
free_order=unknown
if has_fn free_zone_device_folio; then
	if [ -n "$pg_head" ] && first_probe \
		"p:$group/chk_free free_zone_device_folio head=folio->flags.f:b1@$pg_head/64 ord=folio->_flags_1:b8@0/64" \
		"p:$group/chk_free free_zone_device_folio head=folio->flags:b1@$pg_head/64 ord=folio->_flags_1:b8@0/64" >/dev/null; then
		free_order=folio
	else
		add_probe "p:$group/chk_free free_zone_device_folio" ||
			bail "cannot add a kprobe event on free_zone_device_folio: $(tail -n 1 "$work/probe.err")"
	fi
elif has_fn free_zone_device_page; then
	add_probe "p:$group/chk_free free_zone_device_page" ||
		bail "cannot add a kprobe event on free_zone_device_page: $(tail -n 1 "$work/probe.err")"
	free_order=none
else
	bail "neither free_zone_device_folio nor free_zone_device_page can be probed here"
fi
note "device folio frees: order ${free_order} (PG_head bit ${pg_head:-unknown})"
# A migration: flags 1 = to the device, 2 = to RAM; cpages = entries collected;
# scomp/dcomp = MIGRATE_PFN_COMPOUND (bit 4) on the first src/dst entry: a
# huge page moved as one entry. The workload never puts a huge page and
# base pages in one call, so a call whose first entry is compound moved a
# huge page and cpages - 1 base pages. Field names through BTF where the
# kernel supports it, else the fixed x86-64 offsets of struct migrate_vma
# (dst 8, src 16, cpages 24, flags 64).
mig=$(first_probe \
	"p:$group/chk_mig migrate_vma_pages flags=migrate->flags:u64 cpages=migrate->cpages:u64 scomp=+0(migrate->src):b1@4/64 dcomp=+0(migrate->dst):b1@4/64" \
	"p:$group/chk_mig migrate_vma_pages flags=migrate->flags:u64 cpages=migrate->cpages:u64 scomp=+0(+16(%di)):b1@4/64 dcomp=+0(+8(%di)):b1@4/64" \
	"p:$group/chk_mig migrate_vma_pages flags=+64(%di):u64 cpages=+24(%di):u64 scomp=+0(+16(%di)):b1@4/64 dcomp=+0(+8(%di)):b1@4/64") ||
	bail "cannot add a kprobe event on migrate_vma_pages: $(tail -n 1 "$work/probe.err")"
case $mig in *"migrate->src"*) note "migrate_vma_pages probe uses BTF field names" ;;
*"migrate->flags"*) note "migrate_vma_pages probe uses BTF field names, raw offsets for src and dst" ;;
*) note "migrate_vma_pages probe uses raw struct offsets" ;; esac
# In this workload only test_hmm's migrate_to_ram sets up a migration out
# of device-private memory (flags 2), so those setups count fault calls;
# it asks for a compound window (MIGRATE_VMA_SELECT_COMPOUND, 8) only for a
# fault on a huge page the device maps by one PMD.
add_probe "p:$group/chk_setup migrate_vma_setup flags=args->flags:u64" 2>/dev/null ||
	add_probe "p:$group/chk_setup migrate_vma_setup flags=+64(%di):u64" ||
	bail "cannot add a kprobe event on migrate_vma_setup: $(tail -n 1 "$work/probe.err")"
# A CPU fault on a device-private PMD, where the kernel has them: each
# return that is not VM_FAULT_RETRY (1024; the first pass under the
# per-VMA lock) called the driver.
have_pmd_probe=0
if has_fn do_huge_pmd_device_private; then
	add_probe "r:$group/chk_pmdret do_huge_pmd_device_private ret=\$retval:u32" ||
		bail "cannot add a kretprobe event on do_huge_pmd_device_private: $(tail -n 1 "$work/probe.err")"
	have_pmd_probe=1
else
	note "no do_huge_pmd_device_private() here: no device-private PMD faults to count"
fi
# test_hmm's ioctl handler, and the op that splits one of its folios
# (called once with tail 0 when a split ends), where the kernel lets module
# text be probed.
have_ioctl_probe=0
if add_probe "p:$group/chk_todev dmirror_migrate_to_device" 2>/dev/null; then
	have_ioctl_probe=1
else
	note "no kprobe on test_hmm's dmirror_migrate_to_device here; ioctls_to_device is not checked"
fi
have_split_probe=0
if add_probe "p:$group/chk_split dmirror_devmem_folio_split tail=\$arg2:u64" 2>/dev/null; then
	have_split_probe=1
else
	note "no kprobe on test_hmm's dmirror_devmem_folio_split here (no folio splits, or module text not probed); splits are not checked"
fi
echo 1 >"$T/events/$group/enable" || bail "cannot enable the $group kprobe events"

cleanup() {
	echo 0 >"$T/tracing_on"
	echo 0 >"$T/events/$group/enable" 2>/dev/null
	for e in chk_alloc chk_free chk_setup chk_mig chk_todev chk_pmdret chk_split; do
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
	awk -v mapfile="$dir/expect" -v hpage="$hpage" -v horder="$horder" \
		-v alloc_order="$alloc_order" -v free_order="$free_order" '
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
			delete a
			for (i = 1; i <= NF; i++)
				if ($i ~ /^[a-z]+=/) { k = $i; sub(/=.*/, "", k); v = $i; sub(/^[a-z]+=/, "", v); a[k] = v + 0 }
			keys[1] = ""; nk = 1
			if (pid in dev) { keys[2] = "pid." pid "."; keys[3] = "dev." dev[pid] "."; nk = 3 }
			# a migration: its pages, and folios by size (see the probe)
			if (ev == "chk_mig:") {
				huge = a["scomp"] && a["dcomp"]
				pages = a["scomp"] ? hpage + a["cpages"] - 1 : a["cpages"]
				base = huge ? a["cpages"] - 1 : pages
			}
			for (kk = 1; kk <= nk; kk++) {
				p = keys[kk]
				if (ev == "chk_alloc:") {
					o = alloc_order == "arg" ? a["order"] : 0
					c[p "allocs_calls"]++
					c[p "allocs"] += 2 ^ o
					c[p "allocs_order" o]++
				} else if (ev == "chk_free:") {
					o = (free_order == "folio" && a["head"]) ? a["ord"] : 0
					c[p "frees_calls"]++
					c[p "frees"] += 2 ^ o
					c[p "frees_order" o]++
				} else if (ev == "chk_setup:" && a["flags"] == 2) {
					c[p "faults"]++; c[p "small_faults"]++
				} else if (ev == "chk_setup:" && a["flags"] == 10) {
					c[p "faults"]++; c[p "pmd_faults"]++
				} else if (ev == "chk_pmdret:" && a["ret"] != 1024) {
					c[p "pmd_fault_returns"]++
				} else if (ev == "chk_split:" && a["tail"] == 0) {
					c[p "splits"]++
				} else if (ev == "chk_todev:") c[p "ioctls_to_device"]++
				else if (ev == "chk_mig:" && a["flags"] % 2 == 1) {
					c[p "migrate_to_device_calls"]++
					c[p "pages_to_device"] += pages
					c[p "folios_to_device_order0"] += base
					c[p "folios_to_device_order" horder] += huge
				} else if (ev == "chk_mig:" && int(a["flags"] / 2) % 2 == 1) {
					c[p "migrate_to_ram_calls"]++
					c[p "pages_to_ram"] += pages
					c[p "folios_to_ram_order0"] += base
					c[p "folios_to_ram_order" horder] += huge
					if (pages == 0) c[p "migrate_to_ram_calls_empty"]++
					else if (a["scomp"]) c[p "migrate_to_ram_calls_moving_huge"]++
					else c[p "migrate_to_ram_calls_moving"]++
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
		splits|*.splits)
			[ $have_split_probe = 1 ] || { note "$name: $key = $exp not checked (no probe)"; continue; } ;;
		allocs|*.allocs|allocs_order*|*.allocs_order*)
			[ "$alloc_order" != unknown ] || { note "$name: $key = $exp not checked (allocation order unknown)"; continue; } ;;
		frees|*.frees|frees_order*|*.frees_order*)
			[ "$free_order" != unknown ] || { note "$name: $key = $exp not checked (freed folio order unknown)"; continue; } ;;
		faults|*.faults|pmd_faults|*.pmd_faults|small_faults|*.small_faults)
			if [ "$got" -ge "$exp" ]; then
				ok "$name: $key: $got fault calls >= $exp expected"
			else
				not_ok "$name: $key: $got fault calls < $exp expected"
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
		local moving huge toram pmd small
		moving=$(get "${prefix}migrate_to_ram_calls_moving" "$dir/measured")
		huge=$(get "${prefix}migrate_to_ram_calls_moving_huge" "$dir/measured")
		toram=$(get "${prefix}pages_to_ram" "$dir/measured")
		if [ $((moving + huge * hpage)) = "$toram" ]; then
			ok "$name: ${prefix}each fault migration that moved something moved one page or one huge page ($moving + $huge x $hpage)"
		else
			not_ok "$name: ${prefix}fault migrations moving pages $moving + huge $huge x $hpage, pages moved $toram"
		fi
		# the faults that moved something: exact
		pmd=$(get "${prefix}pmd_faults" "$dir/expect")
		small=$(get "${prefix}small_faults" "$dir/expect")
		if grep -q "^${prefix}pmd_faults " "$dir/expect"; then
			check "$name: ${prefix}PMD faults that moved a huge page" "$pmd" "$huge"
			check "$name: ${prefix}small faults that moved a page" "$small" "$moving"
			[ $have_pmd_probe = 0 ] ||
				check "$name: ${prefix}do_huge_pmd_device_private() returns that called the driver" \
					"$pmd" "$(get "${prefix}pmd_fault_returns" "$dir/measured")"
		fi
	done
	local other
	other=$(get other_pid_events "$dir/measured")
	if [ "$other" = 0 ]; then
		ok "$name: every device-private event ran in a workload process"
	else
		not_ok "$name: $other device-private events ran outside the workload's processes"
	fi
	note "$name: fault calls $(get faults "$dir/measured") (PMD $(get pmd_faults "$dir/measured")), migrations to RAM $(get migrate_to_ram_calls "$dir/measured") of which moved nothing $(get migrate_to_ram_calls_empty "$dir/measured"), pages to RAM $(get pages_to_ram "$dir/measured"); folio allocs $(get allocs_calls "$dir/measured"), frees $(get frees_calls "$dir/measured")"
}

run_case default
run_case alt -p 2 -r 3 -n 10 -d alt
run_case batches -p 2 -r 2 -n 100 -d 1 -w --no-last

# Huge pages: where one arrives on the device as one large folio (the
# workload's own probe, run untraced), a mixed run of huge and base pages
# on both devices, and one whose huge page mappings are split before the
# touch. Where none does, the workload must refuse in one sentence, and
# this kernel must have no device-private PMD faults either.
if [ "$hpage" -lt 2 ]; then
	skip "huge page cases" "this kernel has no transparent huge pages"
else
	msg=$("$workload" --thp-probe 2>&1)
	rc=$?
	note "devmem-workload --thp-probe: status $rc: $msg"
	case $rc in
	0)
		run_case thp-mixed -p 2 -r 2 -n 20 --thp 2 -d alt
		run_case thp-split -p 1 -r 1 -n 0 --thp 1 --thp-split -w --no-last ;;
	4)
		if [ "$(grep -c . <<<"$msg")" = 1 ] && grep -q -- --thp <<<"$msg"; then
			ok "devmem-workload --thp refused in one sentence where no huge page moves as one folio"
		else
			not_ok "devmem-workload --thp-probe: status 4 without one sentence naming --thp: '$msg'"
		fi
		if [ $have_pmd_probe = 1 ]; then
			not_ok "this kernel has do_huge_pmd_device_private(), yet test_hmm moved no huge page as one folio"
		else
			skip "huge page cases" "no large device-private folios here (no do_huge_pmd_device_private())"
		fi ;;
	*) not_ok "devmem-workload --thp-probe failed with status $rc: $(tail -n 1 <<<"$msg")" ;;
	esac
fi

# --- fault stacks (devmem-stacks) ---------------------------------------------
# The faults of devmem-stacks happen inside one leaf (libc's memcpy(), or
# the library's own frameless leaf in the -fp build) called from
# site_copy_a() or site_copy_b() of its library. Uprobes on the entry and
# return of each site bound the faults it made (one thread), and the first
# entry of the user stack ftrace records with each fault (userstacktrace)
# is the faulting instruction, which must be in the leaf: in the mapping
# that holds it, and for the library's own leaf within its symbol's size.
# hex2num in awk: user addresses are below 2^53, exact as numbers
hexawk='function hex(s,  n, i, c) { s = tolower(s); sub(/^0x/, "", s); n = 0
	for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); if (!c) break; n = n * 16 + c - 1 }
	return n }'
ugroup=devmem_chku
# stacks_case NAME PROGRAM ARGS...
stacks_case() {
	local name=$1 prog=$2
	shift 2
	local dir=$work/$name bin
	mkdir -p "$dir"
	bin=$(command -v "$prog") || { not_ok "$name: $prog is not in PATH; build it with tests/workload/build.sh"; return; }
	# where its sites are: a plain run, untraced
	if ! "$bin" >"$dir/where" 2>"$dir/where.err"; then
		not_ok "$name: $prog exited with status $?: $(tail -n 1 "$dir/where.err")"
		return
	fi
	local obj offa offb leaf leafobj leafaddr leafsize=0
	obj=$(sed -n 's/.* sites_object=\([^ ]*\) .*/\1/p' "$dir/where")
	offa=$(sed -n 's/.* site_copy_a_offset=\(0x[0-9a-f]*\).*/\1/p' "$dir/where")
	offb=$(sed -n 's/.* site_copy_b_offset=\(0x[0-9a-f]*\).*/\1/p' "$dir/where")
	leaf=$(sed -n 's/^expect pid=[0-9]* leaf=\([^ ]*\) .*/\1/p' "$dir/where")
	leafobj=$(sed -n 's/.* leaf_object=\(.*\)$/\1/p' "$dir/where")
	if [ -z "$obj" ] || [ -z "$offa" ] || [ -z "$offb" ] || [ -z "$leaf" ]; then
		not_ok "$name: $prog did not say where its sites are"
		return
	fi
	# the library's own leaf: its size from the symbol table
	[ "$leafobj" = "$obj" ] &&
		leafsize=$(nm -S --defined-only "$obj" | awk -v l="$leaf" '$4 == l { print "0x" $2 }')
	local u=$T/uprobe_events e
	for e in "p:$ugroup/in_a $obj:$offa" "r:$ugroup/out_a $obj:$offa" \
		"p:$ugroup/in_b $obj:$offb" "r:$ugroup/out_b $obj:$offb"; do
		echo "$e" >>"$u" 2>>"$work/probe.err" ||
			{ not_ok "$name: cannot add uprobe '$e': $(tail -n 1 "$work/probe.err")"; stacks_cleanup; return; }
	done
	echo 1 >"$T/events/$ugroup/enable"
	echo 1 >"$T/events/sched/sched_process_exec/enable" 2>/dev/null
	echo 1 >"$T/events/sched/sched_process_exit/enable" 2>/dev/null
	echo 1 >"$T/options/userstacktrace"
	echo >"$T/trace"
	echo 1 >"$T/tracing_on"
	"$bin" "$@" >"$dir/out" 2>"$dir/err"
	local rc=$?
	echo 0 >"$T/tracing_on"
	cat "$T/trace" >"$dir/trace"
	stacks_cleanup
	note "case $name: $prog $*"
	sed 's/^/#   /' "$dir/out"
	[ $rc = 0 ] || { not_ok "$name: $prog exited with status $rc: $(tail -n 1 "$dir/err")"; return; }
	ok "$name: $prog ran"
	local pid map
	pid=$(sed -n 's/^expect pid=\([0-9]*\) dev=.*/\1/p' "$dir/out" | head -n 1)
	map=$(sed -n 's/.* leaf_map=\(0x[0-9a-f]*-0x[0-9a-f]*\) .*/\1/p' "$dir/out")
	leafaddr=$(sed -n 's/.* leaf_addr=\(0x[0-9a-f]*\) .*/\1/p' "$dir/out")
	# per fault (migrate_vma_setup of a fault, flags 2) of the workload's
	# PID: the site it ran in and where its user stack starts
	awk -v pid="$pid" -v map="$map" -v laddr="$leafaddr" -v lsize="$leafsize" "$hexawk"'
		BEGIN { split(map, m, "-"); lo = hex(m[1]); hi = hex(m[2])
			if (hex(lsize) > 0) { lo = hex(laddr); hi = lo + hex(lsize) } }
		/^#/ { next }
		match($0, /-[0-9]+ +\[[0-9]+\]/) {
			p = substr($0, RSTART + 1, RLENGTH); sub(/ .*/, "", p)
			want_ip = 0
			if (p != pid) next
			if ($0 ~ / in_a: /) site = "a"
			else if ($0 ~ / in_b: /) site = "b"
			else if ($0 ~ / out_[ab]: /) site = ""
			else if ($0 ~ / sched_process_exec: /) { if (faults) execs++ }
			else if ($0 ~ / chk_setup: / && $0 ~ /flags=2( |$)/) {
				faults++; c[site == "" ? "outside" : site]++; want_ip = 1; pending = 1
			}
			next
		}
		pending && /=>/ {
			pending = 0
			for (i = 1; i <= NF; i++) if ($i ~ /^<?(0x)?[0-9a-f]+>?$/) { v = $i; gsub(/[<>]/, "", v); break }
			ip = hex(v)
			if (ip >= lo && ip < hi) inleaf++; else { outleaf++; if (!bad) bad = v }
		}
		END { printf "faults %d\na %d\nb %d\noutside %d\ninleaf %d\noutleaf %d\nexecs %d\nfirst_bad %s\n",
			faults, c["a"], c["b"], c["outside"], inleaf, outleaf, execs, bad == "" ? "none" : bad }
	' "$dir/trace" >"$dir/measured"
	get() { awk -v k="$1" '$1 == k { print $2 }' "$dir/measured"; }
	local ea eb
	ea=$(sed -n 's/.* site_copy_a=\([0-9]*\) .*/\1/p' "$dir/out")
	eb=$(sed -n 's/.* site_copy_b=\([0-9]*\)$/\1/p' "$dir/out")
	check "$name: faults of PID $pid" "$((ea + eb))" "$(get faults)"
	check "$name: faults inside site_copy_a()" "$ea" "$(get a)"
	check "$name: faults inside site_copy_b()" "$eb" "$(get b)"
	check "$name: faults outside both sites" 0 "$(get outside)"
	check "$name: faults whose user IP is in $leaf ($([ "$leafsize" = 0 ] && echo "its mapping $map" || echo "$leafaddr + $leafsize"))" \
		"$((ea + eb))" "$(get inleaf)"
	[ "$(get outleaf)" = 0 ] || note "$name: first user IP outside the leaf: $(get first_bad)"
	case " $* " in
	*" --exec "*) check "$name: the PID exec'd once after its faults" 1 "$(get execs)" ;;
	esac
}
stacks_cleanup() {
	echo 0 >"$T/options/userstacktrace"
	echo 0 >"$T/events/sched/sched_process_exec/enable" 2>/dev/null
	echo 0 >"$T/events/sched/sched_process_exit/enable" 2>/dev/null
	local e
	for e in in_a out_a in_b out_b; do
		echo 0 >"$T/events/$ugroup/$e/enable" 2>/dev/null
		echo "-:$ugroup/$e" >>"$T/uprobe_events" 2>/dev/null
	done
}
if [ -w "$T/uprobe_events" ]; then
	stacks_case stacks devmem-stacks -s 5:7
	stacks_case stacks-exec devmem-stacks -s 3:4 --exec /bin/true
	stacks_case stacks-exit devmem-stacks -s 4:3 -d 1 --exit-at-once
	stacks_case stacks-fp devmem-stacks-fp -s 6:2
else
	skip "fault stacks cases" "$T/uprobe_events is not writable (no CONFIG_UPROBE_EVENTS)"
fi

# a modifier without what it modifies: one sentence naming it, status 2
for args in "--same-va" "--sites-child" "--sites 1:1 --sites-stop" "--thp-split" "-n 0"; do
	# shellcheck disable=SC2086
	msg=$("$workload" $args 2>&1 >/dev/null)
	rc=$?
	opt=${args%% [0-9]*}
	opt=${opt##* }
	if [ $rc = 2 ] && [ "$(grep -c . <<<"$msg")" = 1 ] && grep -q -- "$opt" <<<"$msg"; then
		ok "devmem-workload $args: refused ($msg)"
	else
		not_ok "devmem-workload $args: status $rc, '$msg'"
	fi
done
finish

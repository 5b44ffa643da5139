#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# devmem-kit benchmarks (`make bench`): one guest run on the patched kernel,
# one on the unpatched kernel, the native handler cost on the host; prints
# one table and writes it to build/bench.txt (raw figures next to it in
# build/bench/).
#
#   tests/bench/run.sh [--quick] [--only SECTION]
#
# --only listing runs section 10 alone (the debugfs listing, before and
# after) and prints just its table, to build/bench-listing.txt.
#
# Environment:
#   DEVMEM_BENCH_PATCHED DIR  patched kernel dir (default: scripts/kernel.sh patched)
#   DEVMEM_BENCH_VANILLA DIR  unpatched kernel dir (default: the cached
#                             vanilla build of `scripts/kernel.sh --key vanilla`,
#                             else the newest cached vanilla build; never built here)
#   DEVMEM_BENCH_CYCLES, _SAMPLES, _ROUNDS, _PAGES, _STARTS: sizes (guest.sh)
#   DEVMEM_BENCH_LISTING_BEFORE DIR  the kernel of section 10's "before"
#                             (default: the cached build of the first version
#                             of the series, at DEVMEM_BENCH_LISTING_V1_REV;
#                             never built here)
#   DEVMEM_BENCH_LISTING_ROUNDS N  guest boots per kernel, alternating (default 1)
#   DEVMEM_BENCH_LISTING_READS N   reads of the listing per size (default 20)
#   DEVMEM_BENCH_LISTING_REMOVES N removes per size, idle and busy (default 5)
#
# The guests run under qemu TCG on most machines: absolute times are
# inflated several times, so the table gives ratios against "nothing
# attached" measured in the same guest, interleaved with the others.

set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
out=$top/build/bench
table=$top/build/bench.txt
mkdir -p "$out"

only=
while [ $# -gt 0 ]; do
	case $1 in
	--quick)
		export DEVMEM_BENCH_CYCLES=${DEVMEM_BENCH_CYCLES:-2} DEVMEM_BENCH_SAMPLES=${DEVMEM_BENCH_SAMPLES:-1}
		export DEVMEM_BENCH_ROUNDS=${DEVMEM_BENCH_ROUNDS:-20} DEVMEM_BENCH_STARTS=${DEVMEM_BENCH_STARTS:-1}
		export DEVMEM_BENCH_LISTING_READS=${DEVMEM_BENCH_LISTING_READS:-5} ;;
	--only)
		only=${2:-}
		[ "$only" = listing ] || { echo "run.sh: --only takes a section name: listing (the debugfs listing, section 10)." >&2; exit 2; }
		shift ;;
	*) echo "run.sh: unknown argument '$1'; use [--quick] [--only listing]." >&2; exit 2 ;;
	esac
	shift
done
export DEVMEM_BENCH_CYCLES=${DEVMEM_BENCH_CYCLES:-3} DEVMEM_BENCH_SAMPLES=${DEVMEM_BENCH_SAMPLES:-2}
export DEVMEM_BENCH_ROUNDS=${DEVMEM_BENCH_ROUNDS:-40} DEVMEM_BENCH_PAGES=${DEVMEM_BENCH_PAGES:-64}
export DEVMEM_BENCH_STARTS=${DEVMEM_BENCH_STARTS:-2}

t_start=$(date +%s)
say() { echo "bench: $*" >&2; }

# ---- kernels -----------------------------------------------------------------
kp=${DEVMEM_BENCH_PATCHED:-}
if [ -z "$kp" ]; then
	kp=$(scripts/kernel.sh patched) || { say "the patched kernel is not available"; exit 1; }
fi
kv=${DEVMEM_BENCH_VANILLA:-}
kv_note=
if [ -z "$kv" ]; then
	cache=${DEVMEM_CACHE:-/var/cache/devmem-kit}
	key=$(scripts/kernel.sh --key vanilla 2>/dev/null)
	if [ -n "$key" ] && [ -e "$cache/kernels/vanilla-$key/.done" ]; then
		kv=$cache/kernels/vanilla-$key
	else
		kv=$(ls -td "$cache"/kernels/vanilla-*/.done 2>/dev/null | head -n 1)
		kv=${kv%/.done}
		[ -n "$kv" ] && kv_note=" (not the current config's build)"
	fi
fi

# ---- 10. the debugfs listing, before and after ---------------------------------
# "before" is the first version of the series, whose listing walked every
# struct page of a range for in_use while holding a live reference on its
# pagemap; "after" is this series (per-range counters). The same test driver
# and helper run on both, one guest at a time, alternating.
listing_v1_rev=${DEVMEM_BENCH_LISTING_V1_REV:-5a0d136}
listing_raw=$out/listing.raw
listing_before() {	# the cached kernel of the series at $listing_v1_rev
	local t key
	if [ -n "${DEVMEM_BENCH_LISTING_BEFORE:-}" ]; then
		echo "$DEVMEM_BENCH_LISTING_BEFORE"
		return
	fi
	t=$(mktemp -d)
	git archive "$listing_v1_rev" scripts/kernel.sh kernel-patch | tar -x -C "$t" &&
		key=$("$t/scripts/kernel.sh" --key patched 2>/dev/null)
	rm -rf "$t"
	[ -n "${key:-}" ] && [ -e "${DEVMEM_CACHE:-/var/cache/devmem-kit}/kernels/patched-$key/.done" ] &&
		echo "${DEVMEM_CACHE:-/var/cache/devmem-kit}/kernels/patched-$key"
}
run_listing() {
	local kb=$1 ka=$2 round tag kdir ko
	: >"$listing_raw"
	if ! ${CC:-gcc} -O2 -g -Wall -Wextra -Werror -std=gnu11 -Itests/driver tests/bench/listing.c \
		-o "$out/listing" 2>"$out/listing-build.log"; then
		echo "fail build-helper" >>"$listing_raw"
		return
	fi
	for round in $(seq "${DEVMEM_BENCH_LISTING_ROUNDS:-1}"); do
		for tag in before after; do
			kdir=$ka
			[ $tag = before ] && kdir=$kb
			[ -n "$kdir" ] || continue
			if ! ko=$(tests/driver/build.sh "$kdir" "$out/driver" 2>>"$out/listing-build.log"); then
				echo "fail $tag build-driver" >>"$listing_raw"
				continue
			fi
			say "guest (listing, $tag, round $round): $kdir"
			rm -rf "$out/guest-listing-$tag"
			mkdir -p "$out/guest-listing-$tag"
			if ! tests/guest/run.sh -k "$kdir" -t 1200 --no-hmm -o "$out/guest-listing-$tag" -- \
				bash tests/bench/listing.sh "$tag" "$ko" "$out/listing" \
				>"$out/guest-listing-$tag.log" 2>&1; then
				say "the listing guest ($tag) failed; see $out/guest-listing-$tag.log"
				echo "fail $tag guest" >>"$listing_raw"
			fi
			cat "$out/guest-listing-$tag/listing.raw" >>"$listing_raw" 2>/dev/null
		done
	done
}
listing_table() {	# BEFORE_KDIR AFTER_KDIR
	awk -v R="$listing_raw" -v kb="${1:-none}" -v ka="$2" -v rev="$listing_v1_rev" '
function sortv(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function med(k,   n, a, i) { n = split(L[k], a, " "); if (!n) return ""; for (i = 1; i <= n; i++) a[i] += 0; sortv(a, n); return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function mx(k,   n, a, i, m) { n = split(L[k], a, " "); m = ""; for (i = 1; i <= n; i++) if (m == "" || a[i] + 0 > m) m = a[i] + 0; return m }
function add(k, v) { L[k] = (k in L) ? L[k] " " v : v }
function ms(x) { return x == "" ? "-" : sprintf("%.2f", x / 1000) }
function mm(k) { return k in L ? sprintf("%.0f (%.0f)", med(k) / 1000, mx(k) / 1000) : "-" }
BEGIN {
	while ((getline l < R) > 0) {
		split(l, f, " ")
		if (f[1] == "fail") { fails = fails " " substr(l, 6); continue }
		if (f[2] == "fail") { fails = fails " " f[1] ":" f[3]; continue }
		if (!(f[3] in seen)) { seen[f[3]] = 1; np++; sz[np] = f[3] + 0 }
		if (f[2] == "read") add(f[1] ":read:" f[3], f[4])
		else if (f[2] == "remove") add(f[1] ":" f[4] ":" f[3], f[5])
	}
	sortv(sz, np)
	print "10. The debugfs listing (/sys/kernel/debug/zone_device/pagemaps), before and after, side by side in this run"
	printf "   before: %s (the first version of the series, at %s)\n", kb, rev
	printf "   after:  %s\n", ka
	print "   one device private pagemap of N struct pages; ms, TCG guest: read = one whole read(2) loop of the"
	print "   file (median over the reads); rm = memunmap_pages() as the driver times it, median (max) of the"
	print "   removes, with nothing reading the file (idle) and while another process reads it in a loop (busy)"
	printf "   %9s %5s %9s %9s %8s %12s %12s %12s %12s\n", "pages", "GiB", "read bef", "read aft", "bef/aft",
		"rm idle bef", "rm idle aft", "rm busy bef", "rm busy aft"
	for (i = 1; i <= np; i++) {
		p = sz[i]; rb = med("before:read:" p); ra = med("after:read:" p)
		printf "   %9d %5.2f %9s %9s %8s %12s %12s %12s %12s\n", p, p * 4096 / 2^30, ms(rb), ms(ra),
			(rb != "" && ra > 0) ? sprintf("%.0fx", rb / ra) : "-",
			mm("before:idle:" p), mm("after:idle:" p), mm("before:busy:" p), mm("after:busy:" p)
	}
	if (!np) print "   not measured (no guest produced figures; see build/bench/guest-listing-*.log)"
	if (kb == "none") print "   before: no cached kernel of the first version; build it from a checkout of " rev " with scripts/kernel.sh patched"
	if (fails != "") print "   failed:" fails
}'
}
if [ "$only" = listing ]; then
	lb=$(listing_before)
	run_listing "$lb" "$kp"
	listing_table "$lb" "$kp" | tee "$top/build/bench-listing.txt"
	say "table written to $top/build/bench-listing.txt"
	exit 0
fi

# ---- host: native handler cost -------------------------------------------------
say "host: building and running tests/bench/handler-cost"
host_raw=$out/host.raw
: >"$host_raw"
if ${CC:-gcc} -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE \
	-Iinclude -Itools/lib -Ibuild/bpf tests/bench/handler-cost.c -o "$out/handler-cost" \
	build/lib/libdevmem.a -lbpf -ldw -lelf -lz -lncursesw -ljansson -lm 2>"$out/handler-cost.log"; then
	"$out/handler-cost" 200000 >"$host_raw" 2>>"$out/handler-cost.log"
	echo "host_rc $?" >>"$host_raw"
else
	echo "host_rc build" >>"$host_raw"
fi

# ---- the baseline: the tree before the always-on state model -------------------
# Built from git so "before" and "after" are measured side by side, in one run.
baseline_rev=${DEVMEM_BENCH_BASELINE:-fc6e8db}
base=$out/baseline
say "baseline: building $baseline_rev in $base"
rm -rf "$base"
mkdir -p "$base"
if git archive "$baseline_rev" | tar -x -C "$base" && make -C "$base" -s >"$out/baseline.log" 2>&1 &&
   ${CC:-gcc} -O2 -g -Wall -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE \
	-I"$base/include" -I"$base/tools/lib" -I"$base/build/bpf" "$base/tests/bench/handler-cost.c" \
	-o "$out/handler-cost-before" "$base/build/lib/libdevmem.a" -lbpf -lelf -lz -lncursesw \
	-ljansson -lm >>"$out/baseline.log" 2>&1; then
	baseline_ok=1
else
	baseline_ok=0
	say "the baseline $baseline_rev did not build; see $out/baseline.log"
fi
# native cost, before and after interleaved, the best of three passes each
state_raw=$out/state-host.raw
: >"$state_raw"
if [ $baseline_ok = 1 ] && [ -x "$out/handler-cost" ]; then
	for pass in 1 2 3; do
		for set in before after; do
			bin=$out/handler-cost
			[ $set = before ] && bin=$out/handler-cost-before
			say "host: handler cost, $set, pass $pass"
			"$bin" 100000 2>/dev/null | awk -v s=$set '$1 == "cost" { print "hcost", s, $2, $4 }' \
				>>"$state_raw"
		done
	done
fi

# per-event cost of the diagnosis options, interleaved, best of three passes
diag_raw=$out/diag-host.raw
: >"$diag_raw"
if [ -x "$out/handler-cost" ]; then
	for pass in 1 2 3; do
		for cfg in nothrash thrash stacks; do
			say "host: handler cost, $cfg, pass $pass"
			"$out/handler-cost" 100000 $cfg 2>/dev/null |
				awk -v c=$cfg '$1 == "cost" { print c, $2, $4 }' >>"$diag_raw"
		done
	done
fi

# what a fault stack costs: the handler natively (ns per fault) and the unwinding (us per stack)
stack_raw=$out/stack-cost.raw
: >"$stack_raw"
say "host: building and running tests/bench/stack-cost"
if ${CC:-gcc} -O2 -g -std=gnu11 -D_GNU_SOURCE -DDEVMEM_VERSION='"bench"' -Iinclude -Itools/lib \
	-Ibuild/bpf tests/bench/stack-cost.c -o "$out/stack-cost" build/lib/libdevmem.a -lbpf -ldw \
	-lelf -lz -lncursesw -ljansson -lm 2>"$out/stack-cost.log"; then
	for pass in 1 2 3; do
		"$out/stack-cost" 4096 2>>"$out/stack-cost.log" >>"$stack_raw"
	done
fi

# ---- guests --------------------------------------------------------------------
run_guest() {	# KIND KDIR TIMEOUT
	local kind=$1 kdir=$2 rc
	say "guest ($kind): $kdir"
	rm -rf "$out/guest-$kind"
	mkdir -p "$out/guest-$kind"
	tests/guest/run.sh -k "$kdir" -t "$3" -o "$out/guest-$kind" -- \
		bash tests/bench/guest.sh "$kind" >"$out/guest-$kind.log" 2>&1
	rc=$?
	echo "$rc" >"$out/guest-$kind.rc"
	[ $rc = 0 ] || say "guest ($kind) ended with status $rc; see $out/guest-$kind.log"
}
run_guest patched "$kp" 1200
if [ -n "$kv" ]; then
	run_guest vanilla "$kv" 400
fi
# kernel map memory per tool with 2 and 8 vCPUs, before and after
for smp in 2 8; do
	if [ $baseline_ok = 0 ]; then
		break
	fi
	say "guest (patched, $smp vCPUs): map memory before and after"
	rm -rf "$out/guest-state-$smp"
	mkdir -p "$out/guest-state-$smp"
	DEVMEM_SMP=$smp tests/guest/run.sh -k "$kp" -t 1200 -o "$out/guest-state-$smp" -- \
		bash tests/bench/state.sh "$base" "$([ $smp = 2 ] && echo cost)" \
		>"$out/guest-state-$smp.log" 2>&1 || say "the $smp-vCPU guest failed; see $out/guest-state-$smp.log"
done
lb=$(listing_before)
run_listing "$lb" "$kp"
t_end=$(date +%s)

# ---- table -----------------------------------------------------------------------
P=$out/guest-patched/bench.raw
V=$out/guest-vanilla/bench.raw
[ -r "$P" ] || P=/dev/null
[ -n "$kv" ] && [ -r "$V" ] || V=/dev/null

S2=$out/guest-state-2/state.raw
S8=$out/guest-state-8/state.raw
[ -r "$S2" ] || S2=/dev/null
[ -r "$S8" ] || S8=/dev/null
awk -v P="$P" -v V="$V" -v H="$host_raw" -v kp="$kp" -v kv="${kv:-none}" -v kvnote="$kv_note" \
    -v S2="$S2" -v S8="$S8" -v SH="$state_raw" -v brev="$baseline_rev" \
    -v secs=$((t_end - t_start)) -v prc="$(cat "$out/guest-patched.rc" 2>/dev/null)" \
    -v vrc="$(cat "$out/guest-vanilla.rc" 2>/dev/null)" '
function sortv(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
# stats over list "k": sets M (median), LO, HI, N
function stats(k,   n, i, a, s) {
	n = split(L[k], a, " "); N = n
	if (n == 0) { M = LO = HI = ""; return 0 }
	for (i = 1; i <= n; i++) a[i] += 0
	sortv(a, n); LO = a[1]; HI = a[n]
	M = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	return n
}
function add(k, v) { L[k] = (k in L) ? L[k] " " v : v }
function pct(x, b) { return sprintf("%+.1f%%", (x / b - 1) * 100) }
BEGIN {
	while ((getline l < P) > 0) {
		split(l, f, " ")
		if (f[1] == "ovh") add("p:" f[2], f[3])
		else if (f[1] == "attach") add("attach:" f[2], f[3])
		else if (f[1] == "rss") add("rss:" f[2], f[3])
		else if (f[1] == "maps") { mapn[f[2]] = f[3]; mapb[f[2]] = f[4] }
		else if (f[1] == "hmmtests") { add("hp", f[2]); hok_p = f[3] }
		else if (f[1] == "stats") { cnt[f[2] SUBSEP f[3]] += f[4]; tns[f[2] SUBSEP f[3]] += f[5]; miss[f[2] SUBSEP f[3]] += f[6]; if (!((f[2], f[3]) in seen)) { seen[f[2], f[3]] = 1; progs[f[2]] = progs[f[2]] " " f[3] } }
		else if (f[1] == "snoop") { ns++; sn[ns] = l }
		else if (f[1] == "snoopmsg") { if (!smsg) { sub(/^snoopmsg [0-9]+ /, "", l); smsg = l } }
		else if (f[1] == "snoopfinal") { k = f[2]; sub(/^snoopfinal [0-9]+ /, "", l); sfinal[k] = l }
		else if (f[1] == "startup") add("start:" f[2], f[3])
		else if (f[1] == "scale") add("scale:" f[2] ":" f[3], f[4])
		else if (f[1] == "fail") fails = fails "\n  failed: " substr(l, 6)
		else if (f[1] == "workload") { wlp = substr(l, 10) }
		else if (f[1] == "statswl") { swl[f[2]] += f[3]; swn[f[2]]++ }
		else if (f[1] == "mapfull") { mf = 1; mfp = f[2]; mft = f[3]; mfrows = f[4]; mflost = f[5]; mftot = f[6]; mfwant = f[7]; mfgot = f[8] }
	}
	while ((getline l < V) > 0) {
		split(l, f, " ")
		if (f[1] == "ovh") add("v:none", f[2] == "none" ? f[3] : f[3])
		else if (f[1] == "hmmtests") { add("hv", f[2]); hok_v = f[3] }
	}
	while ((getline l < H) > 0) {
		split(l, f, " ")
		if (f[1] == "cost") { nh++; hn[nh] = f[2]; hraw[nh] = f[3]; hnet[nh] = f[4]; hruns = f[5] }
		else if (f[1] == "floor") { nfl++; fln[nfl] = f[2]; flraw[nfl] = f[3]; flnet[nfl] = f[4] }
		else if (f[1] == "pagemaps") { if (!(f[2] in pmseen)) { pmseen[f[2]] = 1; npm++; pmd[npm] = f[2] } pm[f[2], f[3]] = f[4] }
		else if (f[1] == "check") hcheck = substr(l, 7)
		else if (f[1] == "host_rc") hrc = f[2]
	}
	rounds = 0; if (match(wlp, /-r [0-9]+/)) rounds = substr(wlp, RSTART + 3, RLENGTH - 3) + 0
	printf "devmem-kit benchmarks (%s s wall; TCG guests: absolute times inflated, read the ratios)\n", secs
	printf "patched kernel:   %s%s\n", kp, prc == "0" ? "" : "  [guest status " prc "]"
	printf "unpatched kernel: %s%s%s\n", kv, kvnote, (vrc == "0" || kv == "none") ? "" : "  [guest status " vrc "]"
	printf "workload: devmem-workload %s (ms/round = run time / rounds; median min max over all runs)\n\n", wlp

	print "1. Overhead on the fault-heavy workload, configurations interleaved (A B C ... A B C ...)"
	printf "   %-34s %6s %9s %9s %9s %9s\n", "configuration", "runs", "median", "min", "max", "vs none"
	name["none"] = "nothing attached"; name["hist"] = "devmemhist record (tracepoints)"
	name["hist_fentry"] = "devmemhist record --fentry"; name["top"] = "devmemtop -b"
	name["snoop"] = "devmemsnoop > /dev/null"; name["bpftrace"] = "bpftrace devmemhist-equiv.bt"
	nc = split("none hist hist_fentry top snoop bpftrace", cfgs, " ")
	base = 0
	if (stats("p:none")) base = M
	for (i = 1; i <= nc; i++) {
		c = cfgs[i]
		if (!stats("p:" c) || !rounds) { printf "   %-34s not measured (the tool did not start or the guest failed; see build/bench/guest-patched.log)\n", name[c]; continue }
		med[c] = M
		printf "   %-34s %6d %9.3f %9.3f %9.3f %9s\n", name[c], N, M / rounds, LO / rounds, HI / rounds, base ? pct(M, base) : "-"
	}
	if (base && ("hist" in med) && ("bpftrace" in med)) {
		oh = med["hist"] / base - 1; ob = med["bpftrace"] / base - 1
		stats("p:none"); band = HI / LO - 1
		printf "   noise: nothing-attached runs spread %.1f%% (max/min) in this guest\n", band * 100
		# a wall-clock verdict only where the difference stands out of the noise
		if (band > 0.02) printf "   wall-clock verdict on the targets: none possible (recorder %+.1f%%, bpftrace %+.1f%%, noise %.1f%%)\n", oh * 100, ob * 100, band * 100
		else printf "   target: recorder <= 1%%: %s (%+.1f%%); recorder <= 1/3 of bpftrace: %s (%+.1f%% vs %+.1f%%)\n",
			oh <= 0.01 ? "met" : "missed", oh * 100, (ob > 0 && oh <= ob / 3) ? "met" : "missed", oh * 100, ob * 100
	}
	# the same question without the wall-clock noise: time spent inside the
	# handlers (kernel BPF statistics, section 3) over the workload run time
	print "   time inside the handlers (bpf_stats run_time_ns over the workload wall time, summed over interleaved runs):"
	nt = split("hist hist_fentry bpftrace", tl, " ")
	for (t = 1; t <= nt; t++) {
		c = tl[t]; tot = 0; np = split(progs[c], pl, " ")
		for (q = 1; q <= np; q++) tot += tns[c SUBSEP pl[q]]
		if (np && swl[c] > 0) { share[c] = tot / (swl[c] * 1e6); printf "   %-34s %9.2f ms of %9.1f ms  %6.2f%%  (%d runs)\n", name[c], tot / 1e6, swl[c], share[c] * 100, swn[c] }
		else printf "   %-34s not measured\n", name[c]
	}
	if (("hist" in share) && ("bpftrace" in share) && share["bpftrace"] > 0)
		printf "   target: recorder <= 1%%: %s (%.2f%%); <= 1/3 of bpftrace: %s (%.2f of bpftrace'"'"'s in-handler time)\n",
			share["hist"] <= 0.01 ? "met" : "missed", share["hist"] * 100,
			share["hist"] <= share["bpftrace"] / 3 ? "met" : "missed", share["hist"] / share["bpftrace"]
	print "   (bpftrace 0.17 attaches tracepoint programs, whose per-event record fill is not in its run time;"
	print "   the devmem programs are tp_btf and have none, so the ratio favours bpftrace)"

	print "\n2. Patch with tracepoints disabled vs unpatched kernel (nothing attached)"
	printf "   %-34s %12s %12s %9s\n", "measure", "unpatched", "patched", "patched vs"
	if (stats("v:none") && base && rounds) {
		vb = M; vspread = HI / LO - 1; stats("p:none"); pspread = HI / LO - 1
		printf "   %-34s %12.3f %12.3f %9s\n", "workload ms/round (median)", vb / rounds, base / rounds, pct(base, vb)
		d = base / vb - 1; band = vspread > pspread ? vspread : pspread
		printf "   noise band (max/min of the nothing-attached runs): unpatched %.1f%%, patched %.1f%%: the difference is %s\n",
			vspread * 100, pspread * 100, (d < 0 ? -d : d) <= band ? "within noise" : "outside the noise band"
	}
	else printf "   %-34s not measured (%s)\n", "workload ms/round", kv == "none" ? "no unpatched kernel in the cache: scripts/kernel.sh vanilla" : "the unpatched guest failed"
	hv = stats("hv") ? M : 0; hp = stats("hp") ? M : 0
	if (hv && hp) printf "   %-34s %12.0f %12.0f %9s   (ok lines: %s / %s)\n", "hmm-tests run ms (median of 2)", hv, hp, pct(hp, hv), hok_v, hok_p
	else printf "   %-34s not measured (a guest failed)\n", "hmm-tests run"

	print "\n3. Per-event handler cost"
	print "   in the guest (TCG), kernel.bpf_stats_enabled=1, interleaved workload runs summed, run_time_ns / run_cnt:"
	printf "   %-12s %-28s %9s %10s %9s\n", "tool", "program", "run_cnt", "ns/event", "rec.miss"
	nt = split("hist hist_fentry bpftrace", tl, " ")
	for (t = 1; t <= nt; t++) {
		np = split(progs[tl[t]], pl, " ")
		if (!np) { printf "   %-12s not measured (no program ran)\n", tl[t]; continue }
		for (q = 1; q <= np; q++) { k = tl[t] SUBSEP pl[q]; printf "   %-12s %-28s %9d %10.0f %9d\n", tl[t], pl[q], cnt[k], tns[k] / cnt[k], miss[k] }
	}
	print "   natively on the host, BPF_PROG_TEST_RUN of the raw_tp variants (default maps; arguments point at"
	print "   fake kernel objects laid out from the host BTF, so each handler takes its full path):"
	if (nh) {
		printf "   %-41s %10s %10s   (%d runs each; target ~50 ns)\n", "program", "ns/event", "net", hruns
		for (q = 1; q <= nh; q++) printf "   %-41s %10.1f %10.1f\n", hn[q], hraw[q], hnet[q]
		print "   net = minus the empty program (the run-time statistics cost itself)"
		if (hcheck) printf "   handlers saw: %s (unmatched must be 0)\n", hcheck
		print "   what one helper call costs on this host (a program making just that call):"
		for (q = 1; q <= nfl; q++) if (fln[q] != "empty") printf "   %-41s %10.1f %10.1f\n", fln[q], flraw[q], flnet[q]
		if (npm) {
			print "   cost vs number of pagemaps (each of its own device; rounds cycle through them), net ns:"
			printf "   %-9s", "pagemaps"; for (q = 1; q <= nh; q++) printf " %15s", hn[q]; printf "\n"
			for (i = 1; i <= npm; i++) { printf "   %-9s", pmd[i]; for (q = 1; q <= nh; q++) printf " %15.1f", pm[pmd[i], hn[q]]; printf "\n" }
		}
	} else printf "   not measured (handler-cost exit %s: no BPF on this host, see build/bench/handler-cost.log)\n", hrc

	print "\n4. Per-event streaming (devmemsnoop, output to a tmpfs file, workload -r 10)"
	printf "   %-5s %-6s %6s %9s %9s %12s %9s\n", "procs", "pages", "-B KB", "run ms", "events", "offered/s", "lost"
	for (q = 1; q <= ns; q++) {
		split(sn[q], f, " ")
		offered = 0
		if (f[5] + 0 > 0) offered = (f[6] + (f[7] ~ /^[0-9]+$/ ? f[7] : 0)) / f[5] * 1000
		printf "   %-5s %-6s %6s %9.0f %9d %12.0f %9s\n", f[2], f[3], f[4], f[5], f[6], offered, f[7]
		if (f[7] == 0 && f[4] + 0 > 0) { r = (f[6] / f[5] * 1000); if (r > keep) keep = r }
	}
	if (!ns) print "   not measured (the guest failed before this step)"
	else {
		printf "   highest rate kept up with (no loss): %.0f events/s; the workload cannot drive more in this guest\n", keep
		if (smsg) printf "   while losing it says: %s\n", smsg
		for (k in sfinal) if (sfinal[k] ~ /lost [1-9]/) { printf "   at exit (-B %s): %s\n", k, sfinal[k]; break }
	}

	print "\n5. Start-up: launch to attached (ms; median min max)"
	nt = split("hist hist_fentry top snoop stat bpftrace", tl, " ")
	sname["hist"] = "devmemhist record"; sname["hist_fentry"] = "devmemhist record --fentry"; sname["top"] = "devmemtop (its -v timing)"
	sname["snoop"] = "devmemsnoop (header printed)"; sname["stat"] = "devmemstat"; sname["bpftrace"] = "bpftrace devmemhist-equiv.bt"
	for (t = 1; t <= nt; t++) {
		if (stats("start:" tl[t])) { s[tl[t]] = M; printf "   %-34s %8.0f %8.0f %8.0f\n", sname[tl[t]], M, LO, HI }
		else printf "   %-34s not measured\n", sname[tl[t]]
	}
	if (("hist" in s) && ("bpftrace" in s) && s["hist"] > 0) printf "   bpftrace / devmemhist record: %.1fx\n", s["bpftrace"] / s["hist"]

	print "\n6. Scale: faulting processes of one workload (each: 4 rounds x 16 pages)"
	printf "   %-6s %14s %14s %9s\n", "procs", "none ms", "hist ms", "vs none"
	nsc = split("1 8 64 256", scl, " ")
	for (q = 1; q <= nsc; q++) {
		a = stats("scale:" scl[q] ":none") ? M : 0; b = stats("scale:" scl[q] ":hist") ? M : 0
		if (a && b) printf "   %-6s %14.0f %14.0f %9s\n", scl[q], a, b, pct(b, a)
		else printf "   %-6s not measured (the guest did not get there)\n", scl[q]
	}

	print "\n7. A full map: 256 faulting processes against DEVMEM_MAX_PROCS=64 (devmemstat -j -P)"
	if (mf) {
		printf "   process rows %s (table %s); events counted as processes_map_full: %s (lost total shown: %s)\n", mfrows, mft, mflost, mftot
		printf "   totals unaffected: allocs counted %s, the workloads made %s: %s\n", mfgot, mfwant, (mfgot == mfwant) ? "exact" : "DIFFERENT"
	} else print "   not measured (the guest did not get there)"

	print "\n8. Memory while attached (after the workload)"
	printf "   %-34s %10s %6s %14s\n", "tool", "VmRSS KiB", "maps", "map memlock KiB"
	for (i = 2; i <= nc; i++) {
		c = cfgs[i]
		if (stats("rss:" c)) printf "   %-34s %10.0f %6s %14s\n", name[c], M, (c in mapn) ? mapn[c] : "?", (c in mapb) ? sprintf("%.0f", mapb[c] / 1024) : "?"
		else printf "   %-34s not measured\n", name[c]
	}

	print "\n9. The always-on state model, before (" brev ") and after, side by side in this run"
	for (q = 2; q <= 8; q += 6) {
		F = q == 2 ? S2 : S8
		while ((getline l < F) > 0) {
			split(l, f, " ")
			if (f[1] == "mem") { memb[f[2], f[3], q] = f[6]; memn[f[2], f[3], q] = f[5] }
			else if (f[1] == "pcost") { pc[f[2], f[3]] += f[5]; pn[f[2], f[3]] += f[4]; if (!((f[3]) in pseen)) { pseen[f[3]] = 1; npl++; pl[npl] = f[3] } }
		}
	}
	while ((getline l < SH) > 0) {
		split(l, f, " ")
		if (f[1] == "hcost") { k = f[2] SUBSEP f[3]; if (!(k in hc) || f[4] < hc[k]) hc[k] = f[4]; if (!((f[3]) in hseen)) { hseen[f[3]] = 1; nhl++; hl[nhl] = f[3] } }
	}
	print "   kernel map memory per tool, default options, after 64 processes of a workload (KiB):"
	printf "   %-22s %10s %10s %10s %10s %14s\n", "tool", "before@2", "before@8", "after@2", "after@8", "after per CPU"
	ntl = split("record top snoop stat ranges", tls, " ")
	tname["record"] = "devmemhist record"; tname["top"] = "devmemtop -b"; tname["snoop"] = "devmemsnoop"
	tname["stat"] = "devmemstat"; tname["ranges"] = "devmemranges -w"
	for (t = 1; t <= ntl; t++) {
		x = tls[t]
		if (!(("after", x, 2) in memb)) { printf "   %-22s not measured\n", tname[x]; continue }
		printf "   %-22s %10.0f %10.0f %10.0f %10.0f %12.1f K\n", tname[x], memb["before", x, 2] / 1024,
			memb["before", x, 8] / 1024, memb["after", x, 2] / 1024, memb["after", x, 8] / 1024,
			(memb["after", x, 8] - memb["after", x, 2]) / 6 / 1024
	}
	print "   natively on the host, BPF_PROG_TEST_RUN of the raw_tp handlers, net ns, best of 3 interleaved passes:"
	printf "   %-22s %10s %10s\n", "program", "before", "after"
	for (q = 1; q <= nhl; q++) printf "   %-22s %10.1f %10.1f\n", hl[q], hc["before", hl[q]], hc["after", hl[q]]
	if (!nhl) print "   not measured"
	print "   in the guest (2 vCPUs, TCG): devmemhist record, bpf_stats over 3 interleaved runs, ns/event:"
	printf "   %-28s %10s %10s\n", "program", "before", "after"
	for (q = 1; q <= npl; q++) printf "   %-28s %10s %10s\n", pl[q],
		pn["before", pl[q]] ? sprintf("%.0f", pc["before", pl[q]] / pn["before", pl[q]]) : "-",
		pn["after", pl[q]] ? sprintf("%.0f", pc["after", pl[q]] / pn["after", pl[q]]) : "-"
	if (!npl) print "   not measured"
	if (fails) printf "\nproblems:%s\n", fails
}' | tee "$table"
# the diagnosis options' cost per event (thrashing is on by default)
awk '{ k = $1 SUBSEP $2; if (!(k in b) || $3 < b[k]) b[k] = $3
       if (!($2 in seen)) { seen[$2] = 1; n++; prog[n] = $2 } }
     END {
	print "\n   diagnosis options, natively on the host, BPF_PROG_TEST_RUN, net ns per event, best of 3:"
	printf "   %-22s %12s %12s %16s\n", "program", "--no-thrash", "default", "--stacks"
	for (i = 1; i <= n; i++)
		printf "   %-22s %12.1f %12.1f %16.1f\n", prog[i], b["nothrash", prog[i]],
			b["thrash", prog[i]], b["stacks", prog[i]]
	if (!n) print "   not measured (no BPF on this host)"
	print "   (--stacks walks the calling user stack: the cost grows with its depth)"
     }' "$diag_raw" | tee -a "$table"
# the cost of a fault stack, best of three: the handler and the unwinding of its sample
awk '$1 == "stackcost" {
		k = $2; if (!(k in h) || $3 < h[k]) h[k] = $3; if (!(k in u) || $4 < u[k]) u[k] = $4
	}
	END {
		print ""
		print " fault stacks (host, native, raw_fault sampling this process; best of 3)"
		printf "   %-8s %16s %20s\n", "mode", "handler ns/fault", "unwind us/stack"
		n = split("off fp dwarf", m, " ")
		for (i = 1; i <= n; i++)
			if (m[i] in h)
				printf "   %-8s %16.1f %20.2f\n", m[i], h[m[i]], u[m[i]]
		if (!("off" in h)) print "   not measured (no BPF on this host)"
		print "   (the copy: dwarf - off, 8 KiB of stack; fp: the kernel walk and 128 bytes)"
	}' "$stack_raw" | tee -a "$table"
# section 10, the debugfs listing
echo | tee -a "$table"
listing_table "$lb" "$kp" | tee -a "$table"
say "table written to $table"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of the diagnosis: thrashing detection and fault stacks, exact
# against the workload's expect lines, once per attachment mode (the devmem
# tracepoints and the forced fentry fallback where the kernel has the
# tracepoints, the fallback alone elsewhere).
#
#  - thrashing: two processes each bounce 8 pages 7 times (--bounce 8:7)
#    and 4 other pages once (--calm 4), no rounds. With --thrash-k 3 the
#    thrashing pages are exactly the bounced ones, their runs cover exactly
#    their addresses and their bounces sum to 8 x 7 per process; the calm
#    pages are not even bouncing. With --thrash-k 7 (7 bounces are not more
#    than 7) nothing thrashes. A thrash finding names the workload.
#  - forked: 16 processes bounce 4 pages 4 times each (--bounce 4:4) and 1
#    page once, all at once, at the same virtual addresses in every process
#    (--same-va, as processes forked after mapping them have them): the
#    kernel's set index spreads their 64 pages over the sets, so no bounce
#    is lost to an eviction or a raced claim and the figures are as exact
#    (on the patched kernel: the index is the same code on every kernel).
#  - stacks: devmemstat -c --no-thrash --folded --flamegraph around
#    --sites 5:7: the stacks ending in fault_site_a hold 5 faults, those in
#    fault_site_b 7, in the folded lines, the JSON and the SVG alike, with
#    sites_range their caller and main above it; no stack was lost;
#    "thrash" is null.
#  - childstacks: the same sites faulted by a child forked for them that
#    exits at once (--sites-child), with devmemstat stopped (SIGSTOP) until
#    the child is gone, so it cannot read the child's maps: the stacks are
#    named from the parent's maps (same layout, the kernel says; the parent
#    stops itself meanwhile, --sites-stop), every count as exact.
#  - devmemhist record --stacks around both workloads at once, and its
#    report -j, report -j --thrash-k 7 and report --folded --flamegraph:
#    the same figures from the recording.
# K is applied in user space to the kernel's ring of bounce times, so the
# --thrash-k 7 run and the recording are made in the first mode only.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-diagnosis.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
res=${DEVMEM_RESULTS:-/tmp}/diagnosis
mkdir -p "$res"
rm -f "$res/verifier.log"
command -v python3 >/dev/null || bail "python3 is needed to read the JSON output"
[ -c /dev/hmm_dmirror0 ] || bail "/dev/hmm_dmirror0 is missing; load test_hmm first"
command -v devmem-workload >/dev/null || bail "devmem-workload is not on PATH; build it with tests/guest/build.sh KERNEL_DIR"

# TCG is slow: a window far longer than the whole workload
window=60
bounce="-p 2 -r 0 --no-last --bounce 8:7 --calm 4"
# children with rounds keep the first process alive after its faults, for
# the tools to read its maps (a process gone by then is left unsymbolized)
sites="-p 2 -r 2 -n 8 --no-last --sites 5:7"
both="-p 2 -r 0 --no-last --bounce 8:7 --calm 4 --sites 5:7"
forked="-p 16 -r 0 --no-last --bounce 4:4 --calm 1 --same-va"
childsites="-p 1 -r 1 -n 2 --no-last --sites 5:7 --sites-child --sites-stop"

if have_series_events; then
	modes=(tracepoints fentry)
	margs=("" "--fentry")
else
	modes=(fentry)
	margs=("")
fi

tap_from() {
	local line
	while read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done < <("$@")
}

# failed NAME RC TOOL-ARGS: a run that failed, with the verifier's log if it refused
failed() {
	local name=$1 rc=$2
	# shellcheck disable=SC2086
	[ "$rc" -eq 8 ] && [ ! -e "$res/verifier.log" ] && devmemstat $m -v -t 0.1 >/dev/null 2>"$res/verifier.log"
	not_ok "$name: exited with $rc: $(head -c 300 "$res/$name.err") $(head -c 300 "$res/$name.wl.err")"
	[ -e "$res/verifier.log" ] && echo "# verifier: $(grep -m1 -E 'failed to load|Unreleased|invalid' "$res/verifier.log")"
}

# run_stat NAME DEVMEMSTAT-ARGS WORKLOAD-ARGS: devmemstat's JSON in
# $res/NAME.json, the workload's output in $res/NAME.wl; exec keeps the
# workload at the command's PID, for -c
run_stat() {
	local name=$1 a=$2 w=$3 rc
	# shellcheck disable=SC2086
	devmemstat $m $a -j -- sh -c "exec devmem-workload $w >$res/$name.wl 2>$res/$name.wl.err" \
		>"$res/$name.json" 2>"$res/$name.err"
	rc=$?
	runs="$runs $name"
	[ $rc -eq 0 ] || failed "$name" $rc "$a"
}

# run_paused NAME DEVMEMSTAT-ARGS WORKLOAD-ARGS: devmemstat -j around the
# workload, stopped by its command (kill -STOP $PPID: the tool is attached
# by then) until the workload's --sites child has exited; the workload then
# stops itself (--sites-stop: alive, its maps readable) while the tool
# catches up, and is continued 3 s later
run_paused() {
	local name=$1 a=$2 w=$3 pid wpid i rc
	rm -f "$res/$name.wl.err"
	# shellcheck disable=SC2086
	devmemstat $m $a -j -- sh -c "kill -STOP \$PPID; exec devmem-workload $w >$res/$name.wl 2>$res/$name.wl.err" \
		>"$res/$name.json" 2>"$res/$name.err" &
	pid=$!
	wpid=
	for ((i = 0; i < 900; i++)); do
		wpid=$(sed -n 's/.*sites child [0-9]* of \([0-9]*\) exited.*/\1/p' "$res/$name.wl.err" 2>/dev/null)
		[ -n "$wpid" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	kill -CONT $pid
	sleep 3
	# continued once it has stopped itself (its state T)
	if [ -n "$wpid" ]; then
		for ((i = 0; i < 100; i++)); do
			[ "$(awk '{ print $3 }' "/proc/$wpid/stat" 2>/dev/null)" = T ] && break
			sleep 0.1
		done
		kill -CONT "$wpid"
	fi
	wait $pid
	rc=$?
	runs="$runs $name"
	[ $rc -eq 0 ] || failed "$name" $rc "$a"
}

# run_hist NAME: devmemhist record --stacks around $both, then its reports:
# NAME.json (K = 3), NAME-k7.json, NAME.folded and NAME.svg
run_hist() {
	local name=$1 a="--stacks --thrash-window $window" rc
	rm -f "$res/$name.rec" "$res/$name.folded" "$res/$name.svg"
	# shellcheck disable=SC2086
	devmemhist record $m $a -o "$res/$name.rec" -- \
		sh -c "exec devmem-workload $both >$res/$name.wl 2>$res/$name.wl.err" \
		>"$res/$name.out" 2>"$res/$name.err"
	rc=$?
	runs="$runs $name"
	if [ $rc -ne 0 ]; then
		failed "$name" $rc "$a"
		return
	fi
	devmemhist report -j "$res/$name.rec" >"$res/$name.json" 2>>"$res/$name.err" &&
		devmemhist report -j --thrash-k 7 "$res/$name.rec" >"$res/$name-k7.json" 2>>"$res/$name.err" &&
		devmemhist report --folded "$res/$name.folded" --flamegraph "$res/$name.svg" \
			"$res/$name.rec" >/dev/null 2>>"$res/$name.err"
	rc=$?
	[ $rc -eq 0 ] || not_ok "$name: devmemhist report exited with $rc: $(head -c 300 "$res/$name.err")"
}

for i in "${!modes[@]}"; do
	mode=${modes[$i]}
	m=${margs[$i]}
	t0=$(date +%s%N)
	runs=
	run_stat "$mode-k3" "--thrash-k 3 --thrash-window $window" "$bounce"
	[ "$i" = 0 ] && run_stat "$mode-k7" "--thrash-k 7 --thrash-window $window" "$bounce"
	[ "$mode" = tracepoints ] && run_stat "$mode-forked" "--thrash-k 3 --thrash-window $window" "$forked"
	rm -f "$res/$mode-stacks.folded" "$res/$mode-stacks.svg"
	run_stat "$mode-stacks" "-c --no-thrash --folded $res/$mode-stacks.folded --flamegraph $res/$mode-stacks.svg" \
		"$sites"
	rm -f "$res/$mode-childstacks.folded" "$res/$mode-childstacks.svg"
	run_paused "$mode-childstacks" \
		"--no-thrash --folded $res/$mode-childstacks.folded --flamegraph $res/$mode-childstacks.svg" \
		"$childsites"
	[ "$i" = 0 ] && run_hist "$mode-hist"
	tap_from python3 - "$res" "$mode" "$window" "$runs" <<'EOF'
import json, re, sys
import xml.etree.ElementTree as ET
res, mode, window, runs = sys.argv[1:5]
runs = runs.split()

def check(desc, want, got):
    if want == got and len(repr(want)) > 160:
        # a long list that matched: its length says enough
        print(f"ok - {mode}: {desc} ({len(want)} items as expected)")
        return
    print(("ok - " if want == got else "not ok - ") + f"{mode}: {desc} (expected {want}, got {got})")

def expectations(name):
    """the workload's expect lines: totals, and per pid"""
    tot, pid = {}, {}
    for line in open(f"{res}/{name}.wl"):
        f = line.split()
        if not f or f[0] != "expect":
            continue
        kv = dict(x.split("=", 1) for x in f[1:])
        if "pid" in kv:
            pid.setdefault(int(kv.pop("pid")), {}).update(kv)
        elif "dev" not in kv:
            tot.update(kv)
    return tot, pid

def load(name, json_name=None):
    """the tool's JSON"""
    try:
        return json.load(open(f"{res}/{json_name or name}.json"))
    except Exception as e:
        print(f"not ok - {mode}: {json_name or name}: no JSON ({e})")
        return None

def counters(name, doc, want):
    c = doc["counters"]
    check(f"{name}: attachment mode", mode, doc["mode"])
    check(f"{name}: faults, pages to RAM, wasted, uncollected, unmigrated",
          [int(want["faults"]), int(want["pages_to_ram"]), 0, 0, 0],
          [c["faults"], c["pages_to_ram"], c["faults_wasted"], c["faults_uncollected"],
           c["faults_unmigrated"]])
    check(f"{name}: nothing lost", {}, {k: v for k, v in doc["lost"].items() if v})

def thrashing(name, doc, tot, per):
    """K = 3: exactly the bounced pages thrash"""
    th = doc["thrash"]
    check(f"{name}: thrash is an object", True, isinstance(th, dict))
    th = th or {}
    bounced, calm, times, ps = set(), set(), set(), None
    for tgid, kv in per.items():
        if "bounce_start" in kv:
            ps = int(kv["page_size"])
            a = int(kv["bounce_start"], 16)
            bounced |= {(tgid, a + j * ps) for j in range(int(kv["bounce_pages"]))}
            times.add(int(kv["bounce_times"]))
        if "calm_start" in kv:
            a = int(kv["calm_start"], 16)
            calm |= {(tgid, a + j * ps) for j in range(int(kv["calm_pages"]))}
    B = times.pop() if len(times) == 1 else None
    check(f"{name}: the expect lines give the bounced and the calm pages",
          [int(tot["bounce_pages"]), int(tot["calm_pages"])], [len(bounced), len(calm)])
    check(f"{name}: k, window_ns, page_size", [3, int(window) * 10**9, ps],
          [th.get("k"), th.get("window_ns"), th.get("page_size")])
    check(f"{name}: pages_thrashing = the bounced pages", len(bounced), th.get("pages_thrashing"))
    check(f"{name}: pages_bouncing = the bounced pages (no calm page)", len(bounced),
          th.get("pages_bouncing"))
    check(f"{name}: bounces = bounced pages x B", int(tot["bounce_faults"]), th.get("bounces"))
    check(f"{name}: no page left the table unfollowed", 0, th.get("not_kept"))
    runs = th.get("runs") or []
    covered = []
    for r in runs:
        covered += [(r["tgid"], r["address"] + j * th["page_size"]) for j in range(r["pages"])]
    check(f"{name}: the runs cover each bounced page once", sorted(bounced), sorted(covered))
    check(f"{name}: no calm page in a run", [], sorted(calm & set(covered)))
    check(f"{name}: bounces summed over the runs = N x B per process", int(tot["bounce_faults"]),
          sum(r["bounces"] for r in runs))
    check(f"{name}: faults summed over the runs = their bounces", int(tot["bounce_faults"]),
          sum(r["faults"] for r in runs))
    check(f"{name}: every run's window_max = B", [B] * len(runs), [r["window_max"] for r in runs])
    # the device that took the bounces, by the tools' name for it (hmm_dmirror or hmm_dmirror#2 on the
    # tracepoints; the fallback tells the devices apart by owner only)
    faulted = [d["name"] for d in doc.get("devices", []) if d["counters"]["faults"]]
    by_start = {int(r["start"], 16) if isinstance(r["start"], str) else r["start"]: r["device"]
                for r in doc["ranges"]}
    names = sorted({by_start.get(r["range_start"]) for r in runs})
    if "devices" in doc:
        check(f"{name}: one device took the faults", 1, len(faulted))
        names = faulted[:1]
    check(f"{name}: every run is the workload's, in a range of the device that took the faults",
          [("devmem-workload", names[:1], names[:1])] * len(runs),
          [(r["comm"], [r["device"]], [by_start.get(r["range_start"])]) for r in runs])
    f = [x["text"] for x in doc["findings"] if x["kind"] == "thrash"]
    check(f"{name}: a thrash finding names devmem-workload", True,
          any("devmem-workload" in t for t in f))

def calm(name, doc, tot):
    """K = 7: 7 bounces are not more than 7"""
    th = doc["thrash"] or {}
    check(f"{name}: k", 7, th.get("k"))
    check(f"{name}: nothing thrashes: pages, bounces, runs", [0, 0, []],
          [th.get("pages_thrashing"), th.get("bounces"), th.get("runs")])
    check(f"{name}: pages_bouncing = the bounced pages", int(tot["bounce_pages"]),
          th.get("pages_bouncing"))
    check(f"{name}: no thrash finding", [],
          [x["text"] for x in doc["findings"] if x["kind"] == "thrash"])

def stacks(name, doc, tot, per, faults):
    """the faults of fault_site_a and fault_site_b, by stack"""
    want = {s: int(tot[s]) for s in ("fault_site_a", "fault_site_b")}
    lost = doc["lost"]
    check(f"{name}: stack_map_collision, stack_not_taken, stack_counts_map_full", [0, 0, 0],
          [lost["stack_map_collision"], lost["stack_not_taken"], lost["stack_counts_map_full"]])
    folded = []
    try:
        for line in open(f"{res}/{name}.folded"):
            stack, n = line.rstrip("\n").rsplit(" ", 1)
            folded.append((stack.split(";"), int(n)))
    except Exception as e:
        print(f"not ok - {mode}: {name}: the folded file is unreadable ({e})")
    for s, n in want.items():
        check(f"{name}: folded lines with {s} sum to {n}", n,
              sum(c for fr, c in folded if s in fr))
    check(f"{name}: folded lines in all = the faults", faults, sum(c for _, c in folded))
    st = doc["stacks"] or []
    check(f"{name}: stacks is a list", True, isinstance(doc["stacks"], list))
    for s, n in want.items():
        mine = [x for x in st if x["frames"] and x["frames"][-1] == s]
        check(f"{name}: JSON stacks ending in {s} sum to {n}", n, sum(x["faults"] for x in mine))
        check(f"{name}: sites_range calls {s}, main above it, in each of its stacks", True,
              bool(mine) and all(x["frames"][-2:] == ["sites_range", s] and
                                 "main" in x["frames"][:-2] for x in mine))
        check(f"{name}: the stacks of {s} are the first process's",
              sorted(p for p, kv in per.items() if s in kv), sorted({x["tgid"] for x in mine}))
    check(f"{name}: JSON stacks in all = the faults", faults, sum(x["faults"] for x in st))
    try:
        root = ET.parse(f"{res}/{name}.svg").getroot()
        titles = [e.text or "" for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "title"]
        print(f"ok - {mode}: {name}: the SVG is well-formed XML")
    except Exception as e:
        print(f"not ok - {mode}: {name}: the SVG is not well-formed XML ({e})")
        titles = []
    for s, n in want.items():
        got = sum(int(m.group(1)) for t in titles
                  for m in [re.match(re.escape(s) + r" \((\d+) faults", t)] if m)
        check(f"{name}: SVG frames named {s} hold {n} faults", n, got)

for name in runs:
    try:
        tot, per = expectations(name)
    except OSError as e:
        print(f"not ok - {mode}: {name}: the workload's output is unreadable ({e})")
        continue
    if "faults" not in tot:
        print(f"not ok - {mode}: {name}: the workload printed no expectations")
        continue
    doc = load(name)
    if not doc:
        continue
    kind = name[len(mode) + 1:]
    if kind in ("k3", "forked"):
        counters(name, doc, tot)
        if kind == "forked":
            check(f"{name}: --same-va: every process bounced the same addresses", 1,
                  len({kv.get("bounce_start") for kv in per.values()}))
        thrashing(name, doc, tot, per)
        check(f"{name}: stacks off", None, doc["stacks"])
    elif kind == "k7":
        counters(name, doc, tot)
        calm(name, doc, tot)
    elif kind == "stacks":
        # -c: the first process's figures only
        first = [kv for kv in per.values() if "fault_site_a" in kv]
        mine = {k: v for kv in first for k, v in kv.items()}
        counters(name, doc, mine)
        check(f"{name}: --no-thrash: thrash is null", None, doc["thrash"])
        stacks(name, doc, tot, per, int(mine["faults"]))
    elif kind == "childstacks":
        counters(name, doc, tot)
        check(f"{name}: --no-thrash: thrash is null", None, doc["thrash"])
        stacks(name, doc, tot, per, int(tot["faults"]))
    elif kind == "hist":
        counters(name, doc, tot)
        thrashing(name, doc, tot, per)
        stacks(name, doc, tot, per, int(tot["faults"]))
        doc7 = load(name, f"{name}-k7")
        if doc7:
            calm(f"{name}-k7", doc7, tot)
EOF
	echo "# $mode: $((($(date +%s%N) - t0) / 1000000)) ms"
done
tap_done

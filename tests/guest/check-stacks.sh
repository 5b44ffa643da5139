#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of fault stacks where the programs are (issue 24), exact
# against devmem-stacks' expect lines, once per attachment mode (the devmem
# tracepoints and the forced fentry fallback where the kernel has the
# tracepoints, the fallback alone elsewhere):
#
#  - dwarf: devmem-stacks, built -O2 -fomit-frame-pointer, faults inside
#    libc's memcpy() from site_copy_a and site_copy_b of its own shared
#    library, called from main through copy_sites. With --stacks=dwarf the
#    folded lines holding site_copy_a sum to exactly its faults (N1), those
#    holding site_copy_b to N2, each ends in
#    main;copy_sites;site_copy_X;<memcpy>, <memcpy> being libc's memcpy or
#    the implementation its IFUNC chose (__memmove_avx_unaligned_erms...:
#    libc's own names need libc6-dbg), and no stack was lost or cut short.
#  - fp: devmem-stacks-fp, built -O1 -fno-omit-frame-pointer, faults in
#    sites_copy_leaf, a leaf gcc gives no frame: with --stacks=fp the
#    stacks end in main;copy_sites;site_copy_X;sites_copy_leaf, the caller
#    the frame-pointer walk skips taken from the leaf's CFI.
#  - exec and exit: devmem-stacks --exec (its PID lives on with another
#    program's maps) and --exit-at-once (gone before a tool could read its
#    maps), in dwarf mode: their stacks still name site_copy_a and
#    site_copy_b, as exactly.
#  - --folded -: standard output carries only folded lines (the report
#    goes to standard error), the same lines as a file.
#  - the SVG: well-formed, a root frame "all" holding every fault,
#    site_copy_a's frames holding N1.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-stacks.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
res=${DEVMEM_RESULTS:-/tmp}/stacks
mkdir -p "$res"
command -v python3 >/dev/null || bail "python3 is needed to read the outputs"
[ -c /dev/hmm_dmirror0 ] || bail "/dev/hmm_dmirror0 is missing; load test_hmm first"
for p in devmem-stacks devmem-stacks-fp devmemstat; do
	command -v $p >/dev/null || bail "$p is not on PATH; build it with tests/guest/build.sh KERNEL_DIR"
done

if [ -d /sys/kernel/tracing/events/devmem ] || [ -d /sys/kernel/tracing/events/zone_device ]; then
	modes=(tracepoints fentry)
	margs=("" "--fentry")
else
	modes=(fentry)
	margs=("")
fi
sites="-s 5:7"

# run NAME STACKS-ARG WORKLOAD [ARGS...]: devmemstat -c around the workload;
# NAME.json (the report), NAME.folded, NAME.svg, NAME.wl (its expect lines)
run() {
	local name=$1 st=$2 rc
	shift 2
	rm -f "$res/$name".*
	# shellcheck disable=SC2086
	devmemstat $m -c --no-thrash "$st" -j --folded "$res/$name.folded" \
		--flamegraph "$res/$name.svg" -- sh -c "exec $* >$res/$name.wl 2>$res/$name.wl.err" \
		>"$res/$name.json" 2>"$res/$name.err"
	rc=$?
	runs="$runs $name"
	[ $rc -eq 0 ] || not_ok "$name: devmemstat exited with $rc: $(head -c 300 "$res/$name.err")"
}

for i in "${!modes[@]}"; do
	mode=${modes[$i]}
	m=${margs[$i]}
	runs=
	run "$mode-dwarf" --stacks=dwarf devmem-stacks $sites
	run "$mode-fp" --stacks=fp devmem-stacks-fp $sites
	run "$mode-exec" --stacks=dwarf devmem-stacks $sites --exec sleep 1
	run "$mode-exit" --stacks=dwarf devmem-stacks $sites --exit-at-once
	# --folded -: standard output is the folded lines alone
	# shellcheck disable=SC2086
	devmemstat $m -c --no-thrash --folded - -- sh -c "exec devmem-stacks $sites >$res/$mode-stdout.wl" \
		>"$res/$mode-stdout.folded" 2>"$res/$mode-stdout.err" ||
		not_ok "$mode-stdout: devmemstat --folded - failed: $(head -c 300 "$res/$mode-stdout.err")"
	while read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done < <(python3 - "$res" "$mode" "$runs" <<'EOF'
import json, re, sys
import xml.etree.ElementTree as ET
res, mode, runs = sys.argv[1], sys.argv[2], sys.argv[3].split()
MEMCPY = re.compile(r"^(memcpy|memmove|__mem(cpy|move)_[A-Za-z0-9_]+)(@.*)?$")

def check(desc, want, got):
    print(("ok - " if want == got else "not ok - ") + f"{mode}: {desc} (expected {want}, got {got})")

def expect(name):
    kv = {}
    for line in open(f"{res}/{name}.wl"):
        f = line.split()
        if f and f[0] == "expect":
            kv.update(x.split("=", 1) for x in f[1:])
    return kv

def folded(path):
    lines = []
    for line in open(path):
        stack, n = line.rstrip("\n").rsplit(" ", 1)
        lines.append((stack.split(";"), int(n)))
    return lines

def leaf_ok(name, want):
    return MEMCPY.match(name) is not None if want == "memcpy" else name == want

for name in runs:
    try:
        kv = expect(name)
        doc = json.load(open(f"{res}/{name}.json"))
        lines = folded(f"{res}/{name}.folded")
    except Exception as e:
        print(f"not ok - {mode}: {name}: an output is unreadable ({e})")
        continue
    leaf = kv.get("leaf", "?")
    lost = {k: v for k, v in doc["lost"].items() if k.startswith("stack") and v}
    check(f"{name}: no stack lost or cut short", {}, lost)
    check(f"{name}: faults counted", int(kv["faults"]), doc["counters"]["faults"])
    check(f"{name}: folded lines in all = the faults", int(kv["faults"]), sum(n for _, n in lines))
    for site in ("site_copy_a", "site_copy_b"):
        mine = [(fr, n) for fr, n in lines if site in fr]
        check(f"{name}: folded lines with {site} sum to its faults", int(kv[site]),
              sum(n for _, n in mine))
        tails = sorted({";".join(fr[-4:-1]) for fr, _ in mine})
        check(f"{name}: {site}'s stacks end in main;copy_sites;{site};leaf", [f"main;copy_sites;{site}"],
              tails)
        leaves = sorted({fr[-1] for fr, _ in mine})
        check(f"{name}: the leaf under {site} is {leaf}", True,
              bool(leaves) and all(leaf_ok(x, leaf) for x in leaves))
        if leaves and not all(leaf_ok(x, leaf) for x in leaves):
            print(f"# {name}: leaves {leaves}")
        check(f"{name}: {site}'s stacks are the workload's", ["devmem-stacks" if "fp" not in name
                                                             else "devmem-stacks-f"],
              sorted({fr[0] for fr, _ in mine}))
    try:
        root = ET.parse(f"{res}/{name}.svg").getroot()
        titles = [e.text or "" for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "title"]
        print(f"ok - {mode}: {name}: the SVG is well-formed XML")
    except Exception as e:
        print(f"not ok - {mode}: {name}: the SVG is not well-formed XML ({e})")
        titles = []
    check(f"{name}: the SVG's root frame holds every fault", True,
          any(t.startswith(f"all ({kv['faults']} faults") for t in titles))
    got = sum(int(mm.group(1)) for t in titles for mm in [re.match(r"site_copy_a \((\d+) faults", t)] if mm)
    check(f"{name}: the SVG's site_copy_a frames hold its faults", int(kv["site_copy_a"]), got)

# --folded -: only folded lines on standard output, the same as a file would hold
try:
    text = open(f"{res}/{mode}-stdout.folded").read().splitlines()
    kv = expect(f"{mode}-stdout")
    check("--folded -: every line of standard output is a folded stack", True,
          bool(text) and all(re.match(r"^\S+ \d+$", l) for l in text))
    check("--folded -: they sum to the faults", int(kv["faults"]),
          sum(int(l.rsplit(" ", 1)[1]) for l in text))
    check("--folded -: in byte order, merged", sorted(set(l.rsplit(" ", 1)[0] for l in text)),
          [l.rsplit(" ", 1)[0] for l in text])
except Exception as e:
    print(f"not ok - {mode}: --folded -: unreadable ({e})")
EOF
)
done
tap_done

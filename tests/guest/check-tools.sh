#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test: every tool around the same workload on both test_hmm
# devices, in whatever mode the kernel gives (the fentry fallback on a
# kernel without the devmem tracepoints; DEVMEM_CHECK_MODE_ARGS=--fentry
# forces it): devmemstat, devmemtop -j, devmemhist record + report,
# devmemsnoop -j and devmemranges must each give the workload's exact
# counts in total, per process and per device, and name the same two
# devices. DEVMEM_CHECK_WORKLOAD sets the workload: with --thp (large
# folios, on kernels that migrate them) page counts still count pages, a
# 2 MiB folio 512 of them, and the folios by order, the PMD faults and
# devmemsnoop's orders must equal the workload's too.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-tools.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
res=${DEVMEM_RESULTS:-/tmp}/tools
mkdir -p "$res"
command -v python3 >/dev/null || bail "python3 is needed to read the JSON output"
[ -c /dev/hmm_dmirror0 ] || bail "/dev/hmm_dmirror0 is missing; load test_hmm first"
m=${DEVMEM_CHECK_MODE_ARGS:-}
wl=${DEVMEM_CHECK_WORKLOAD:-devmem-workload -p 4 -r 2 -n 9 -d alt --no-last}

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

# wait_for FILE PATTERN: until FILE has a line matching PATTERN (60 s at most)
wait_for() {
	for ((i = 0; i < 600; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# shellcheck disable=SC2086
devmemstat $m -j -- sh -c "$wl >$res/stat.wl" >"$res/stat.json" 2>"$res/stat.err"
check "devmemstat exit status" 0 "$?"

# shellcheck disable=SC2086
devmemtop $m -b -j -i 1 >"$res/top.json" 2>"$res/top.err" &
pid=$!
wait_for "$res/top.json" '^{' || not_ok "devmemtop printed no frame: $(head -c 200 "$res/top.err")"
sh -c "$wl >$res/top.wl"
sleep 1.5
kill -INT $pid
wait $pid

rm -f "$res/rec"
# shellcheck disable=SC2086
devmemhist record $m -f -o "$res/rec" -G 0.5 2>"$res/rec.err" &
pid=$!
wait_for "$res/rec.err" '^Recording to' || not_ok "devmemhist record did not start: $(head -c 200 "$res/rec.err")"
sh -c "$wl >$res/rec.wl"
kill -INT $pid
wait $pid
devmemhist report -G -j "$res/rec" >"$res/rec-d.json" 2>&1
devmemhist report -P -j "$res/rec" >"$res/rec-p.json" 2>&1

# shellcheck disable=SC2086
devmemsnoop $m -j -e alloc,free,migrate --lost-interval 0 -- sh -c "$wl >$res/snoop.wl" \
	>"$res/snoop.json" 2>"$res/snoop.err"
check "devmemsnoop exit status" 0 "$?"

devmemranges $m -j >"$res/ranges.json" 2>"$res/ranges.err"
check "devmemranges exit status" 0 "$?"

tap_from python3 - "$res" <<'EOF'
import json, os, sys
res = sys.argv[1]
K = ("allocs", "frees", "pages_to_device", "pages_to_ram")
def check(desc, want, got):
    print(("ok - " if want == got else "not ok - ") + f"{desc} (expected {want}, got {got})")
TOT = {}
def expect(name):
    tot, pid, dev = {}, {}, {}
    for line in open(os.path.join(res, name + ".wl")):
        f = line.split()
        if not f or f[0] != "expect":
            continue
        kv = dict(x.split("=", 1) for x in f[1:])
        if "pid" in kv:
            pid[int(kv["pid"])] = tuple(int(kv[k]) for k in K)
        elif "dev" in kv:
            dev[int(kv["dev"])] = tuple(int(kv[k]) for k in K)
        else:
            tot.update(kv)
    TOT[name] = tot
    return tuple(int(tot[k]) for k in K), pid, sorted(dev.values())
# the folios by order and the PMD faults the workload caused, where it made large folios
def folio_want(name):
    tot = TOT[name]
    if "allocs_order0" not in tot:
        return None
    want = {}
    for kind, key in (("allocs", "allocs_order"), ("frees", "frees_order"),
                      ("to_device", "folios_to_device_order"), ("to_ram", "folios_to_ram_order")):
        want[kind] = {o[len(key):]: int(v) for o, v in tot.items()
                      if o.startswith(key) and o[len(key):].isdigit() and int(v)}
    return want, int(tot["pmd_faults"])
def folio_check(tool, doc, name):
    w = folio_want(name)
    if w is None:
        return
    want, pmd = w
    got = {k: {o: v for o, v in (doc.get("folios") or {}).get(k, {}).items() if v}
           for k in want}
    check(f"{tool}: folios by order", want, got)
    check(f"{tool}: PMD faults", pmd, doc["counters"].get("faults_pmd"))
def c4(c):
    return tuple(c[k] for k in K)
def snapshot_like(tool, doc, name, procs=True):
    tot, pid, dev = expect(name)
    check(f"{tool}: totals", tot, c4(doc["counters"]))
    if procs:
        got = {p["tgid"]: c4(p["counters"]) for p in doc["processes"]}
        check(f"{tool}: every process exact", pid, {k: got.get(k) for k in pid})
    devs = [d for d in doc.get("devices", []) if d["name"].startswith("hmm_dmirror")]
    if "devices" in doc:
        check(f"{tool}: per device", dev, sorted(c4(d["counters"]) for d in devs))
    return sorted(d["name"] for d in devs)
names = {}
stat = json.load(open(os.path.join(res, "stat.json")))
names["devmemstat"] = snapshot_like("devmemstat", stat, "stat")
folio_check("devmemstat", stat, "stat")
# devmemtop: the per-interval frames add up (the summary repeats them)
tot = [0] * 4; pid = {}; dev = {}
for line in open(os.path.join(res, "top.json")):
    if not line.startswith("{"):
        continue
    fr = json.loads(line)
    if fr.get("type") != "frame":
        continue
    tot = [a + b for a, b in zip(tot, c4(fr["counters"]))]
    for p in fr["processes"]:
        pid[p["tgid"]] = tuple(a + b for a, b in zip(pid.get(p["tgid"], (0,) * 4), c4(p["counters"])))
    for d in fr["devices"]:
        dev[d["name"]] = tuple(a + b for a, b in zip(dev.get(d["name"], (0,) * 4), c4(d["counters"])))
et, ep, ed = expect("top")
check("devmemtop -j: totals", et, tuple(tot))
check("devmemtop -j: every process exact", ep, {k: pid.get(k) for k in ep})
check("devmemtop -j: per device", ed, sorted(v for k, v in dev.items() if k.startswith("hmm_dmirror")))
names["devmemtop"] = sorted(k for k in dev if k.startswith("hmm_dmirror"))
recd = json.load(open(os.path.join(res, "rec-d.json")))
names["devmemhist report -G"] = snapshot_like("devmemhist report -G", recd, "rec", procs=False)
folio_check("devmemhist report", recd, "rec")
snapshot_like("devmemhist report -P", json.load(open(os.path.join(res, "rec-p.json"))), "rec")
# devmemsnoop: events counted per process and per device, page events by their folio's order
tot = [0] * 4; pid = {}; dev = {}; snoop_folios = {}
for line in open(os.path.join(res, "snoop.json")):
    if not line.startswith("{"):
        continue
    e = json.loads(line)
    if e["event"] not in ("alloc", "free", "migrate"):
        continue
    v = [0] * 4
    if e["event"] in ("alloc", "free"):
        key = "allocs" if e["event"] == "alloc" else "frees"
        snoop_folios.setdefault(key, {})
        o = str(e.get("order", 0))
        snoop_folios[key][o] = snoop_folios[key].get(o, 0) + 1
    if e["event"] == "alloc":
        v[0] = e["pages"]
    elif e["event"] == "free":
        v[1] = e["pages"]
    elif e["dir"] == "to_device":
        v[2] = e["pages"]
    else:
        v[3] = e["pages"]
    tot = [a + b for a, b in zip(tot, v)]
    pid[e["tgid"]] = [a + b for a, b in zip(pid.get(e["tgid"], [0] * 4), v)]
    if e["device"]:
        dev[e["device"]] = [a + b for a, b in zip(dev.get(e["device"], [0] * 4), v)]
et, ep, ed = expect("snoop")
check("devmemsnoop -j: totals", et, tuple(tot))
check("devmemsnoop -j: every process exact", ep, {k: tuple(pid[k]) if k in pid else None for k in ep})
check("devmemsnoop -j: per device", ed, sorted(tuple(v) for k, v in dev.items() if k.startswith("hmm_dmirror")))
names["devmemsnoop"] = sorted(k for k in dev if k.startswith("hmm_dmirror"))
w = folio_want("snoop")
if w is not None:
    check("devmemsnoop -j: allocs and frees by folio order",
          {k: w[0][k] for k in ("allocs", "frees")},
          {k: snoop_folios.get(k, {}) for k in ("allocs", "frees")})
r = json.load(open(os.path.join(res, "ranges.json")))
# a device may have hotplugged more than one range (test_hmm adds a chunk at a time)
names["devmemranges"] = sorted({x["device"] for x in r["ranges"] if (x["device"] or "").startswith("hmm_dmirror")})
ref = names["devmemstat"]
print(("ok - " if len(ref) == 2 else "not ok - ") + f"two test_hmm devices, named {ref}")
for tool, n in names.items():
    check(f"{tool} names the devices as devmemstat does", ref, n)
EOF
tap_done

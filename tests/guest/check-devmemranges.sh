#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test of devmemranges: the live listing matches /proc/iomem (ranges
# test_hmm added before the tool started included), and watching an
# rmmod/insmod of test_hmm lists the removed ranges with their remove times
# and the new ones with their add times. test_hmm is left loaded.
#
#   tests/guest/run.sh -k KERNEL_DIR -- tests/guest/check-devmemranges.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
kdir=${DEVMEM_KERNEL_DIR:?DEVMEM_KERNEL_DIR is not set; run this through tests/guest/run.sh}
work=$(mktemp -d /tmp/check-devmemranges.XXXXXX)
keep=${DEVMEM_RESULTS:-$work}/devmemranges
mkdir -p "$keep"
reload_hmm() {
	grep -q '^test_hmm ' /proc/modules || insmod "$kdir/test_hmm.ko"
}
trap 'reload_hmm; cp -r "$work"/. "$keep"/ 2>/dev/null; rm -rf "$work"' EXIT

ranges=$(command -v devmemranges) || bail "devmemranges is not in PATH; build it with make"
command -v python3 >/dev/null || bail "python3 is needed to read the JSON output"
reload_hmm

hex() { printf '0x%x' "$((16#${1#0x}))"; }
# test_hmm's ranges in /proc/iomem as "0xstart-0xend", sorted
iomem_ranges() {
	awk -F' : ' '$2 ~ /^hmm_dmirror[0-9]*$/ { gsub(/ /, "", $1); print $1 }' /proc/iomem |
		while IFS=- read -r a b; do echo "$(hex "$a")-$(hex "$b")"; done | sort
}
# jsel FILE PYTHON-CONDITION: "start-end" of the JSON ranges matching it, sorted
jsel() {
	python3 - "$1" "$2" <<'PY' | sort
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["ranges"]:
    if eval(sys.argv[2], {}, {"r": r}):
        print("%s-%s" % (r["start"], r["end"]))
PY
}
jget() { python3 -c 'import json, sys; print(eval(sys.argv[2], {}, {"d": json.load(open(sys.argv[1]))}))' "$1" "$2"; }

before=$(iomem_ranges)
[ -n "$before" ] || bail "/proc/iomem lists no hmm_dmirror range; test_hmm did not load"
echo "# hmm_dmirror in /proc/iomem: $(echo $before)"

# --- 1. live listing: ranges added before the tool started ----------------------
"$ranges" >"$work/live.txt" 2>"$work/live.err"
check "devmemranges: exit status" 0 "$?"
check "text: header" "START" "$(head -1 "$work/live.txt" | awk '{ print $1 }')"
check "text: the ranges of /proc/iomem" "$(echo $before)" \
	"$(awk 'NR > 1 && $1 ~ /^0x/ && $8 ~ /^hmm_dmirror[0-9]*(#[0-9]+)?$/ { print $1 "-" $2 }' "$work/live.txt" | sort | tr '\n' ' ' | sed 's/ $//')"
check "text: listed as added before the start" "$(echo "$before" | wc -l)" \
	"$(awk 'NR > 1 && $8 ~ /^hmm_dmirror[0-9]*(#[0-9]+)?$/ && $10 == "before" && $7 == "live"' "$work/live.txt" | wc -l)"
"$ranges" -j >"$work/live.json" 2>"$work/live.json.err"
check "devmemranges -j: exit status" 0 "$?"
check "JSON: the ranges of /proc/iomem" "$before" "$(jsel "$work/live.json" 'r["name"].startswith("hmm_dmirror")')"
# pages in use: 0 where the listing gives them (v2 of the series); the v3
# listing has no in_use field, and without BPF they are unknown (null)
if grep -qs 'in_use=' /sys/kernel/debug/zone_device/pagemaps /sys/kernel/debug/devmem/pagemaps; then
	in_use_cond='r["in_use"] == 0'
else
	in_use_cond='r["in_use"] is None'
fi
check "JSON: all private, 65536 pages, node known, in use as the listing says ($in_use_cond), live, before start" "$before" \
	"$(jsel "$work/live.json" 'r["type"] == "private" and r["pages"] == 65536 and r["nid"] is not None and '"$in_use_cond"' and r["state"] == "live" and r["before_start"]')"
check "JSON: no range that /proc/iomem lacks" "$(echo "$before" | wc -l)" "$(jget "$work/live.json" 'len(d["ranges"])')"

# --- 2. watching rmmod and insmod -------------------------------------------------
cat >"$work/reload.sh" <<SH
#!/bin/sh
rmmod test_hmm || exit 1
insmod '$kdir/test_hmm.ko'
SH
chmod +x "$work/reload.sh"
"$ranges" -j -- "$work/reload.sh" >"$work/watch.json" 2>"$work/watch.err"
check "devmemranges -j -- rmmod+insmod: exit status" 0 "$?"
after=$(iomem_ranges)
echo "# hmm_dmirror after insmod: $(echo $after)"
check "watch: removed ranges are those listed before" "$before" \
	"$(jsel "$work/watch.json" 'r["state"] == "removed" and r["before_start"] and r["removed"] and r["removed_time"] is not None and r["remove_wait_ns"] is not None')"
check "watch: removed ranges had no page in use" "$before" \
	"$(jsel "$work/watch.json" 'r["state"] == "removed" and r["in_use"] == 0')"
check "watch: live ranges are the new /proc/iomem ones" "$after" \
	"$(jsel "$work/watch.json" 'r["state"] == "live"')"
check "watch: new ranges have an add time, not 'before'" "$after" \
	"$(jsel "$work/watch.json" 'r["state"] == "live" and not r["before_start"] and r["added_time"] is not None and not r["removed"]')"
check "watch: new ranges are private, 65536 pages, named hmm_dmirror" "$after" \
	"$(jsel "$work/watch.json" 'r["state"] == "live" and r["type"] == "private" and r["pages"] == 65536 and r["name"].startswith("hmm_dmirror")')"
check "watch: four ranges in all" 4 "$(jget "$work/watch.json" 'len(d["ranges"])')"
check "watch: no lost event" 0 "$(jget "$work/watch.json" 'd["lost"]["total"]')"
check "watch: remove happened after the start and before the add" True \
	"$(jget "$work/watch.json" 'max(r["removed_ns"] for r in d["ranges"] if r["removed_ns"]) < min(r["added_ns"] for r in d["ranges"] if r["added_ns"])')"

# text form of the same, and a listing with pages in use
"$ranges" -- "$work/reload.sh" >"$work/watch.txt" 2>"$work/watch.txt.err"
check "text watch: removed and live lines" "2 2" \
	"$(awk 'NR > 1 && $7 == "removed"' "$work/watch.txt" | wc -l) $(awk 'NR > 1 && $7 == "live" && $10 != "before"' "$work/watch.txt" | wc -l)"

# --- 3. pages in use while a process holds device memory -----------------------
if command -v devmem-workload >/dev/null; then
	devmem-workload -p 1 -r 1 -n 5 >/dev/null 2>&1
	"$ranges" -j >"$work/after-workload.json"
	check "after a workload: no page left in use" 0 \
		"$(jget "$work/after-workload.json" 'sum(r["in_use"] or 0 for r in d["ranges"])')"
fi

# --- usage -------------------------------------------------------------------------
"$ranges" -t 0 >/dev/null 2>&1
check "-t 0: usage exit code" 2 "$?"
"$ranges" -w >/dev/null 2>&1
check "-w (the old watch letter): usage exit code" 2 "$?"
"$ranges" -W -t 1 >"$work/quiet.txt" 2>&1
check "-W -t 1 with no hotplug: the live ranges only" "$(iomem_ranges | wc -l)" \
	"$(awk 'NR > 1 && $7 == "live" && $10 == "before"' "$work/quiet.txt" | wc -l)"

reload_hmm
check "test_hmm is loaded at the end" 1 "$(grep -c '^test_hmm ' /proc/modules)"
tap_done

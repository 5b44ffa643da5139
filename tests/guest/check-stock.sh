#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest test on Debian's stock kernel (BTF yes, devmem tracepoints no,
# DEVICE_PRIVATE no): the tools must choose the fentry/fexit fallback by
# probing, load, relocate and attach, and run; where a fallback function is
# missing they must say so.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"
res=${DEVMEM_RESULTS:-/tmp}
bin=$top/build

echo "# kernel $(uname -r)"
check "the kernel has BTF" yes "$([ -r /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
check "the kernel has no zone_device (or devmem) tracepoints" no \
	"$(have_series_events && echo yes || echo no)"

"$bin/devmemstat" -j -v -- true >"$res/stock.json" 2>"$res/stock.err"
rc=$?
check "devmemstat loads, attaches and exits 0" 0 "$rc"
[ $rc -eq 0 ] || sed 's/^/#   /' "$res/stock.err" | tail -n 20
mode=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["mode"])' "$res/stock.json" 2>/dev/null)
check "devmemstat chose the fentry fallback by probing" fentry "$mode"
# (null: a figure this mode cannot observe, faults_busy on the fallback)
check "no event was counted (no device-private memory here)" 0 \
	"$(python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))["counters"]; print(sum(v for v in t.values() if v is not None))' "$res/stock.json" 2>/dev/null)"

# The 6.1 kernel has the old name of the page-free function: the fallback
# program for it, and not the folio one, must be among the programs loaded
# while devmemstat runs.
"$bin/devmemstat" -- sh -c "bpftool prog show >'$res/progs.txt'" >/dev/null 2>&1
if grep -qw 'name fe_free_zone_device_page' "$res/progs.txt" &&
	! grep -qw 'name fe_free_zone_device_folio' "$res/progs.txt"; then
	ok "the fallback loaded its page-free program (free_zone_device_page, the 6.1 name)"
else
	not_ok "no page-free program among the loaded ones: $(grep -o 'name [a-z_]*' "$res/progs.txt" | tr '\n' ' ')"
fi

"$bin/devmemsnoop" -- true >"$res/snoop.txt" 2>"$res/snoop.err"
check "devmemsnoop runs on the fallback" 0 "$?"
"$bin/devmemhist" 1 1 >"$res/hist.txt" 2>"$res/hist.err"
check "devmemhist live mode runs on the fallback" 0 "$?"
tap_done

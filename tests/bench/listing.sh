#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Guest half of the debugfs listing benchmark (tests/bench/run.sh, section
# 10): loads the test driver MODULE and runs tests/bench/listing (LISTING)
# for pagemaps of growing size, writing its raw lines, each prefixed with
# TAG, to $DEVMEM_RESULTS/listing.raw.
#
#   tests/bench/listing.sh TAG MODULE LISTING [READS]
set -uo pipefail
tag=${1:?tag}
module=${2:?module}
helper=${3:?listing helper}
reads=${4:-${DEVMEM_BENCH_LISTING_READS:-20}}
res=${DEVMEM_RESULTS:-/tmp}
raw=$res/listing.raw
: >"$raw"

insmod "$module" || { echo "listing.sh: insmod $module failed; build the module for this kernel with tests/driver/build.sh." >&2; exit 1; }
n=0
while [ ! -c /dev/devmem_testdrv ]; do
	n=$((n + 1))
	[ $n -gt 50 ] && { echo "listing.sh: /dev/devmem_testdrv did not appear after insmod; see the guest console log for what the driver said." >&2; exit 1; }
	sleep 0.1
done
[ -r /sys/kernel/debug/zone_device/pagemaps ] || { echo "listing.sh: this kernel has no /sys/kernel/debug/zone_device/pagemaps; boot a kernel with the zone_device series (scripts/kernel.sh patched)." >&2; exit 1; }

# 128 MiB to 4 GiB of device private memory in one pagemap (struct pages
# for all of it; the guest has 2 GiB of RAM, 64 MiB of them for the largest).
for pages in 32768 131072 524288 1048576; do
	"$helper" "$pages" "$reads" "${DEVMEM_BENCH_LISTING_REMOVES:-5}" | sed "s/^/$tag /" >>"$raw" ||
		echo "$tag fail $pages" >>"$raw"
done
rmmod devmem_testdrv
echo "listing.sh: done, $(wc -l <"$raw") lines"

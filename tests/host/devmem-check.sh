#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# devmem-check on the host that runs make test: each line says what this
# host has, checked against what the host itself says (its kernel config,
# its tracefs, /proc/iomem, /proc/modules), and a host without
# CONFIG_DEVICE_PRIVATE (Debian's stock images, and this one) must say so,
# with its remedy, and exit non-zero with a status of the man page. The
# guests check the hosts that can be observed (tests/guest/check-host.sh).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/lib.sh
out=$(mktemp /tmp/devmem-check.XXXXXX)
trap 'rm -f "$out"' EXIT

# status LINE: the STATUS word of a row (continuation lines are indented)
status() { awk -v w="$1" '/^[^ ]/ && $1 == w { print $2; exit }' "$out"; }

build/devmem-check >"$out" 2>&1
rc=$?
sed 's/^/#   /' "$out"
if [ "$(id -u)" != 0 ]; then
	check "without root: exit status 3" 3 "$rc"
	tap_done
	exit
fi

# what the kernel's own config says of DEVICE_PRIVATE
config=
for f in /proc/config.gz "/boot/config-$(uname -r)"; do
	[ -r "$f" ] && { config=$f; break; }
done
if [ -z "$config" ]; then
	want=unknown
elif { [ "${config%.gz}" != "$config" ] && zcat "$config" || cat "$config"; } 2>/dev/null |
	grep -q '^CONFIG_DEVICE_PRIVATE=y'; then
	want=ok
else
	want=missing
fi
check "DEVICE_PRIVATE as ${config:-no config} says" "$want" "$(status DEVICE_PRIVATE)"
check "architecture" ok "$(status architecture)"
check "BTF" "$([ -r /sys/kernel/btf/vmlinux ] && echo ok || echo missing)" "$(status BTF)"
check "privileges: root" ok "$(status privileges)"
tp=missing
have_series_events && tp=ok
check "tracepoints as tracefs lists them" "$tp" "$(status tracepoints)"
if [ "$want" = missing ]; then
	check "ranges: none without DEVICE_PRIVATE" missing "$(status ranges)"
	grep -q '^- The running kernel is built without CONFIG_DEVICE_PRIVATE' "$out" &&
		ok "the remedy says to boot a kernel with CONFIG_DEVICE_PRIVATE" ||
		not_ok "no remedy for the missing CONFIG_DEVICE_PRIVATE"
	# the exit statuses devmem-check(8) documents for a host that cannot be observed
	case $rc in
	0) not_ok "exit status 0 on a host without DEVICE_PRIVATE" ;;
	*) if grep -qE "^\.B $rc\$" docs/man/devmem-check.8; then
		ok "exit status $rc, documented in devmem-check(8)"
	   else
		not_ok "exit status $rc is not in devmem-check(8)"
	   fi ;;
	esac
fi
if grep -qP '\x1b' "$out"; then
	not_ok "an escape byte in the output"
elif awk 'length($0) > 79 { bad = 1 } END { exit !bad }' "$out"; then
	not_ok "a line over 79 columns: $(awk 'length($0) > 79' "$out" | head -n 1)"
else
	ok "plain text within 79 columns"
fi
tap_done

#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=dash
#
# Init (PID 1) of the test guest started by tests/guest/run.sh. It runs under
# busybox-static, whose applets need no dynamic loading over 9p (fast boot);
# the command itself runs under the host's /bin/sh with the host's tools.
#
# The root file system is the host's / over 9p, read-only. run.sh passes the
# host path of the per-run results directory as the only argument; it is a
# second, writable 9p export (mount tag "results") mounted here at the same
# path, and holds:
#   env     (from run.sh) sourced first: DEVMEM_* variables
#   cmd     (from run.sh) the command, a shell script run with sh
#   output  the command's stdout and stderr (also echoed to the console)
#   status  the command's exit status
#   uptime-start, uptime-end, dmesg, guest-error (if set-up failed)
# Then the guest powers off; PID 1 must never exit (that is a panic).

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
res=$1
share=/run/devmem-results	# where the results share is mounted first
bb=/bin/busybox

say() { echo "devmem-guest: $*" >/dev/console; }

mounted() { grep -q " $1 " /proc/mounts 2>/dev/null; }

power_off() {
	sync
	# Without ACPI (tinyconfig) power-off only halts; a reboot ends qemu
	# because run.sh starts it with -no-reboot.
	if mounted /sys && [ -d /sys/firmware/acpi ]; then
		$bb poweroff -f
	else
		$bb reboot -f
	fi
	while :; do $bb sleep 60; done
}

# Set-up failure: leave a reason for run.sh and stop.
die() {
	say "$*"
	if mounted "$share"; then
		echo "$*" >"$share/guest-error"
	elif [ -d "$res" ]; then
		echo "$*" >"$res/guest-error"
	fi
	power_off
}

# Applets are found through /proc/self/exe, so proc comes first, by path.
$bb mount -t proc proc /proc
mount -t sysfs sysfs /sys
mounted /dev || mount -t devtmpfs devtmpfs /dev
# The host's / stays visible at /mnt: a repo or kernel dir under the host's
# /tmp or /run is bound back in place once the tmpfs hides it (below).
hostroot=
mount -o bind / /mnt 2>/dev/null && hostroot=/mnt
for d in /tmp /run; do
	mount -t tmpfs -o mode=1777 tmpfs "$d" || die "cannot mount tmpfs on $d"
done
mkdir -p /dev/shm /dev/pts
# devtmpfs lacks these; bash process substitution needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mounted /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
echo devmem-guest >/proc/sys/kernel/hostname

[ -n "$res" ] || die "no results directory was passed to init; start the guest with tests/guest/run.sh."
# The share is mounted aside first and bound at its host path once the
# repo is in place: a results directory inside a repo under /tmp (a clone's
# build/test-logs) would otherwise be hidden by the repo's read-only bind,
# and a 9p share can be mounted only once.
mkdir -p "$share"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none results "$share" ||
	die "cannot mount the results share"

[ -r "$share/env" ] || die "the results share has no env file; start the guest with tests/guest/run.sh."
# shellcheck disable=SC1091
. "$share/env"
export HOME=/tmp
for p in "$DEVMEM_REPO" "$DEVMEM_KERNEL_DIR" "${DEVMEM_HMM_MODULE%/*}"; do
	case $p in
	/tmp/*|/run/*)
		[ -n "$hostroot" ] || die "$p is under /tmp or /run, and the host's root could not be bound at /mnt."
		mountpoint -q "$p" 2>/dev/null && continue
		mkdir -p "$p" && mount -o bind "$hostroot$p" "$p" || die "cannot bind $p from the host" ;;
	esac
done
# Under /tmp or /run the directory may only exist in the tmpfs.
mkdir -p "$res" 2>/dev/null
mount -o bind "$share" "$res" || die "cannot bind the results share on $res"
ulimit -l unlimited 2>/dev/null
ulimit -c 0

if [ "${DEVMEM_GUEST_HMM:-1}" = 1 ]; then
	insmod "$DEVMEM_HMM_MODULE" >"$res/insmod.log" 2>&1 ||
		die "insmod $DEVMEM_HMM_MODULE failed: $(cat "$res/insmod.log")"
	n=0
	while [ ! -c /dev/hmm_dmirror0 ] || [ ! -c /dev/hmm_dmirror1 ]; do
		n=$((n + 1))
		[ $n -gt 100 ] && die "test_hmm is loaded but /dev/hmm_dmirror0 and /dev/hmm_dmirror1 did not appear in 10 s."
		sleep 0.1
	done
fi

# Test hook for run.sh's own tests: PID 1 exits, the kernel panics.
[ "${DEVMEM_GUEST_INIT_EXIT:-0}" = 1 ] && exit 1

cd "$DEVMEM_REPO" || die "cannot cd to $DEVMEM_REPO"
say "running $(cat "$res/cmd" | tail -n 1)"
cat /proc/uptime >"$res/uptime-start"
{ /bin/sh "$res/cmd"; echo $? >"$res/status.tmp"; } </dev/null 2>&1 | tee "$res/output"
cat /proc/uptime >"$res/uptime-end"
dmesg >"$res/dmesg" 2>/dev/null || $bb dmesg >"$res/dmesg" 2>/dev/null
if [ -f "$res/status.tmp" ]; then
	mv "$res/status.tmp" "$res/status"
	say "command exited with status $(cat "$res/status")"
fi
power_off

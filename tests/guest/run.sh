#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Run one command inside a qemu guest booted with a test kernel.
#
#   tests/guest/run.sh [-k KERNEL_DIR] [-t TIMEOUT_S] [-o RESULTS_DIR] [-v]
#                      [--no-hmm] [--kernel-image IMAGE] [--modules-from DIR]
#                      [--initrd FILE] [--append ARGS] -- COMMAND [ARGS...]
#   tests/guest/run.sh --scan-log CONSOLE_LOG [COMMAND_OUTPUT]
#
# The guest's root is the host's / over 9p, read-only, so it sees this repo,
# the kernel cache and every installed tool at their host paths. A fresh
# results directory (or -o DIR) is the only writable host path; the guest
# mounts it at the same path and the command finds it in $DEVMEM_RESULTS.
# The guest init (tests/guest/init.sh) mounts proc, sysfs, devtmpfs, tracefs,
# debugfs and tmpfs (/tmp, /run), loads test_hmm.ko (unless --no-hmm), cd's
# into the repo and runs COMMAND with PATH including build/tests, build/tools
# and the kernel dir. For a pipeline, pass it as: -- sh -c 'a | b'.
#
#   -k DIR            kernel dir from scripts/kernel.sh (bzImage, test_hmm.ko);
#                     default $DEVMEM_KERNEL_DIR, else `scripts/kernel.sh patched`
#   -t SECONDS        kill the guest after this long (default 600)
#   -o DIR            results directory (default: a new /tmp/devmem-guest.XXXXXX)
#   -v                stream the whole console while the guest runs
#   --no-hmm          do not load test_hmm
#   --kernel-image F  boot F instead of KERNEL_DIR/bzImage
#   --modules-from D  take test_hmm.ko from D instead of KERNEL_DIR
#   --initrd F        pass an initramfs (for kernels without built-in 9p)
#   --append ARGS     extra kernel command line
#
# Environment: DEVMEM_SMP=N vCPUs (default 2); DEVMEM_MEM=SIZE guest RAM as qemu's -m
# takes it (default 2G; a device private range needs 1/64 of its size for its
# struct pages, 1G for 64 GiB); DEVMEM_ACCEL=tcg|kvm|auto (default auto: KVM only if a probe
# boot under KVM prints its marker within 20 s; the verdict is cached for this
# host boot); DEVMEM_ICOUNT=SHIFT runs TCG with -icount (guest time is
# 2^SHIFT ns per instruction executed, whatever the host does); and every
# DEVMEM_* variable is passed into the guest.
#
# Output: COMMAND's stdout+stderr on stdout (streamed live with -v), the
# results directory and timings on stderr. Exit status: COMMAND's status; 124
# if the timeout expired; 125 if the kernel reported a problem (panic, Oops,
# BUG, WARNING, lockdep, hung task) or the guest died before COMMAND ended;
# 2 for usage errors. On failure one sentence names the console log.

set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
me=run.sh

die_usage() {
	echo "$me: $*" >&2
	echo "usage: tests/guest/run.sh [-k KERNEL_DIR] [-t TIMEOUT_S] [-o DIR] [-v] [--no-hmm] [--kernel-image F] [--modules-from D] [--initrd F] [--append ARGS] -- COMMAND [ARGS...]" >&2
	exit 2
}

# Kernel problems worth failing a run for, as extended regexps on console
# lines. Line-anchored ones only match kernel lines, not a test's own output.
kernel_problems=(
	'Kernel panic - not syncing'
	'(^|[] ])Oops: '
	'(^|[] ])BUG: '
	'kernel BUG at '
	'^(\[ *[0-9.]+\] )?WARNING: '
	'WARNING: CPU: [0-9]+ PID: [0-9]+'
	'possible circular locking'
	'possible recursive locking'
	'inconsistent lock state'
	'possible irq lock inversion'
	'suspicious RCU usage'
	'DEBUG_LOCKS_WARN_ON'
	'INFO: task .* blocked for more than'
	'general protection fault'
	'Unable to handle kernel'
)

# scan_log LOG [OUTPUT]: print the first kernel problem in LOG as
# "<what>: <line>" and return 1, or return 0. Lines that are also lines of
# the command's OUTPUT are the command's own words, not the kernel's.
scan_log() {
	local log=$1 output=${2:-/dev/null} pat
	pat=$(IFS='|'; echo "${kernel_problems[*]}")
	[ -r "$output" ] || output=/dev/null
	awk -v pat="$pat" -v output="$output" '
		BEGIN { while ((getline l < output) > 0) { sub(/\r+$/, "", l); said[l] = 1 } }
		{ sub(/\r+$/, "") }
		$0 ~ pat && !($0 in said) { print; found = 1; exit }
		END { exit found ? 1 : 0 }
	' "$log"
}

if [ "${1:-}" = --scan-log ]; then
	[ $# -ge 2 ] || die_usage "--scan-log wants a console log file."
	[ -r "$2" ] || { echo "$me: cannot read $2." >&2; exit 2; }
	if line=$(scan_log "$2" "${3:-}"); then
		exit 0
	fi
	echo "$me: the kernel reported a problem in $2: $line"
	exit 1
fi

kdir=${DEVMEM_KERNEL_DIR:-}
timeout_s=600
outdir=
verbose=0
hmm=1
image=
moddir=
initrd=
append=
while [ $# -gt 0 ]; do
	case $1 in
	-k) [ $# -ge 2 ] || die_usage "-k wants a kernel dir."; kdir=$2; shift 2 ;;
	-t) [ $# -ge 2 ] || die_usage "-t wants seconds."; timeout_s=$2; shift 2 ;;
	-o) [ $# -ge 2 ] || die_usage "-o wants a directory."; outdir=$2; shift 2 ;;
	-v) verbose=1; shift ;;
	--no-hmm) hmm=0; shift ;;
	--kernel-image) [ $# -ge 2 ] || die_usage "--kernel-image wants a file."; image=$2; shift 2 ;;
	--modules-from) [ $# -ge 2 ] || die_usage "--modules-from wants a directory."; moddir=$2; shift 2 ;;
	--initrd) [ $# -ge 2 ] || die_usage "--initrd wants a file."; initrd=$2; shift 2 ;;
	--append) [ $# -ge 2 ] || die_usage "--append wants kernel arguments."; append=$2; shift 2 ;;
	-h|--help) sed -n '4,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	--) shift; break ;;
	*) die_usage "unknown option '$1'; put the command after --." ;;
	esac
done
[ $# -gt 0 ] || die_usage "no command given; put it after --."
case $timeout_s in
''|*[!0-9]*|0) die_usage "-t wants a positive number of seconds, not '$timeout_s'." ;;
esac

if [ -z "$kdir" ]; then
	kdir=$("$top/scripts/kernel.sh" patched) ||
		{ echo "$me: building the patched kernel failed; pass a kernel dir with -k or DEVMEM_KERNEL_DIR." >&2; exit 1; }
fi
kdir=$(cd "$kdir" 2>/dev/null && pwd) || { echo "$me: kernel dir '$kdir' does not exist." >&2; exit 1; }
image=${image:-$kdir/bzImage}
moddir=${moddir:-$kdir}
[ -r "$image" ] || { echo "$me: $image is missing; build the kernel with scripts/kernel.sh." >&2; exit 1; }
if [ $hmm = 1 ] && [ ! -r "$moddir/test_hmm.ko" ]; then
	echo "$me: $moddir/test_hmm.ko is missing; pass --modules-from DIR or --no-hmm." >&2
	exit 1
fi
if [ -n "$initrd" ] && [ ! -r "$initrd" ]; then
	echo "$me: initrd $initrd is missing." >&2
	exit 1
fi
if [ -n "$outdir" ]; then
	mkdir -p "$outdir" || exit 1
	res=$(cd "$outdir" && pwd)
	rm -f "$res"/{env,cmd,output,status,status.tmp,guest-error,console.log,dmesg,uptime-start,uptime-end,insmod.log,qemu.log}
else
	res=$(mktemp -d "${TMPDIR:-/tmp}/devmem-guest.XXXXXX") || exit 1
fi
case $res in
*[[:space:]]*) echo "$me: the results directory '$res' contains white space; pass -o with a plain path." >&2; exit 1 ;;
esac
chmod 0777 "$res"
log=$res/console.log

# Single-quote a word for the guest's sh.
shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

{
	echo "# written by tests/guest/run.sh"
	for name in $(compgen -e); do
		case $name in
		DEVMEM_KERNEL_DIR|DEVMEM_REPO|DEVMEM_RESULTS|DEVMEM_HMM_MODULE|DEVMEM_GUEST_HMM) ;;
		DEVMEM_*) echo "export $name=$(shq "${!name}")" ;;
		esac
	done
	echo "export DEVMEM_KERNEL_DIR=$(shq "$kdir")"
	echo "export DEVMEM_REPO=$(shq "$top")"
	echo "export DEVMEM_RESULTS=$(shq "$res")"
	echo "export DEVMEM_HMM_MODULE=$(shq "$moddir/test_hmm.ko")"
	echo "export DEVMEM_GUEST_HMM=$hmm"
	echo "export DEVMEM_IN_GUEST=1"
	echo "export PATH=$(shq "$top/build/tests:$top/build/tools:$top/build/bin:$top/build:$top/tools/bpftrace:$kdir:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")"
} >"$res/env"
{
	echo "# written by tests/guest/run.sh"
	printf 'exec'
	for a in "$@"; do printf ' %s' "$(shq "$a")"; done
	echo
} >"$res/cmd"

# The 9p tag of the root share: the kernel mounts it by the name given as
# root=/dev/root, but before 6.5 it strips "/dev/" from that name first
# (init/do_mounts.c), so those kernels look for the tag "root". The version
# is the one the kernel dir's info file names; an initramfs (--initrd)
# mounts /dev/root itself.
root_tag=/dev/root
if [ -z "$initrd" ] && [ "$image" = "$kdir/bzImage" ]; then
	kver=$(sed -n 's/^kernel_version=//p' "$kdir/info" 2>/dev/null)
	case $kver in
	[0-9]*.[0-9]*)
		kmaj=${kver%%.*} kmin=${kver#*.}
		kmin=${kmin%%.*}
		if [ "$kmaj" -lt 6 ] || { [ "$kmaj" -eq 6 ] && [ "$kmin" -lt 5 ]; }; then
			root_tag=root
		fi ;;
	*) echo "$me: $kdir/info names no kernel_version; assuming a kernel of 6.5 or later (9p root tag /dev/root)." >&2 ;;
	esac
fi

# KVM is used only if a probe boot proves it works; nested KVM can hang.
qemu=${DEVMEM_QEMU:-qemu-system-x86_64}
root_share=(-fsdev "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap"
	-device "virtio-9p-pci,fsdev=root,mount_tag=$root_tag")
root_args="console=ttyS0 root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose ro panic=-1 tsc=reliable printk.time=1"
probe_kvm() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	local out
	out=$(timeout -k 2 20 "$qemu" -accel kvm -cpu host -m 256M -smp 1 -nodefaults \
		-kernel "$image" ${initrd:+-initrd "$initrd"} "${root_share[@]}" \
		-append "$root_args init=/bin/busybox -- echo DEVMEM_KVM_PROBE_OK" \
		-serial stdio -display none -monitor none -no-reboot </dev/null 2>&1)
	grep -q DEVMEM_KVM_PROBE_OK <<<"$out"
}
accel=${DEVMEM_ACCEL:-auto}
case $accel in
tcg|kvm) ;;
auto)
	cache_dir=${DEVMEM_CACHE:-/var/cache/devmem-kit}
	[ -w "$cache_dir" ] || cache_dir=${TMPDIR:-/tmp}
	stamp="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $(stat -c %Y "$(command -v "$qemu")" 2>/dev/null)"
	verdict_file=$cache_dir/accel-verdict
	accel=
	if [ -r "$verdict_file" ]; then
		read -r v s <"$verdict_file"
		[ "$s" = "$stamp" ] && accel=$v
	fi
	if [ -z "$accel" ]; then
		if probe_kvm; then accel=kvm; else accel=tcg; fi
		echo "$accel $stamp" >"$verdict_file.$$" && mv "$verdict_file.$$" "$verdict_file"
		echo "$me: KVM probe: using $accel (cached in $verdict_file for this host boot)" >&2
	fi
	;;
*) die_usage "DEVMEM_ACCEL must be tcg, kvm or auto, not '$accel'." ;;
esac
icount=${DEVMEM_ICOUNT:-}
if [ -n "$icount" ]; then
	case $icount in
	[0-9]|10) ;;
	*) die_usage "DEVMEM_ICOUNT must be a shift from 0 to 10 (2^SHIFT ns of guest time per instruction), not '$icount'." ;;
	esac
	# guest time counts instructions: neither the host's load nor TCG's
	# translation of new code shows in the guest's clock (one vCPU thread)
	accel=tcg
	accel_args=(-accel tcg -icount "shift=$icount,sleep=off" -cpu max)
elif [ "$accel" = kvm ]; then
	accel_args=(-accel kvm -cpu host)
else
	accel_args=(-accel "tcg,thread=multi" -cpu max)
fi

qemu_args=("${accel_args[@]}" -m "${DEVMEM_MEM:-2G}" -smp "${DEVMEM_SMP:-2}" -nodefaults -nographic -no-reboot
	-kernel "$image" ${initrd:+-initrd "$initrd"}
	"${root_share[@]}"
	-fsdev "local,id=results,path=$res,security_model=none"
	-device "virtio-9p-pci,fsdev=results,mount_tag=results"
	-append "$root_args init=$top/tests/guest/init.sh $append -- $res"
	-serial "file:$log" -monitor none)

t0=$(date +%s.%N)
: >"$log"
timeout -k 5 "$timeout_s" "$qemu" "${qemu_args[@]}" </dev/null >"$res/qemu.log" 2>&1 &
qpid=$!
tail_pid=
if [ $verbose = 1 ]; then
	tail -n +1 -F "$log" 2>/dev/null &
	tail_pid=$!
fi
trap 'kill $qpid $tail_pid 2>/dev/null; echo "$me: interrupted; qemu was stopped; console log: $log" >&2; exit 130' INT TERM
wait $qpid
qrc=$?
trap - INT TERM
if [ -n "$tail_pid" ]; then
	sleep 0.2
	kill "$tail_pid" 2>/dev/null
	wait "$tail_pid" 2>/dev/null
fi
t1=$(date +%s.%N)

[ $verbose = 1 ] || { [ -r "$res/output" ] && cat "$res/output"; }

boot=
[ -r "$res/uptime-start" ] && boot=$(cut -d' ' -f1 "$res/uptime-start")
total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
{
	echo "accel=$accel"
	echo "boot_to_command_s=${boot:-unknown}"
	echo "total_s=$total"
	echo "qemu_exit=$qrc"
} >"$res/run-info"
echo "$me: $accel guest, command started ${boot:-?} s after boot, whole run ${total} s; results in $res" >&2

if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "$me: the guest did not finish within $timeout_s s and qemu was killed; console log: $log" >&2
	exit 124
fi
if [ -r "$res/guest-error" ]; then
	echo "$me: the guest could not run the command: $(head -n 1 "$res/guest-error"); console log: $log" >&2
	exit 125
fi
for f in "$log" "$res/dmesg"; do
	[ -r "$f" ] || continue
	if line=$(scan_log "$f" "$res/output"); then
		continue
	fi
	echo "$me: the kernel reported a problem ('$(tr -d '\r' <<<"$line" | cut -c1-160)'); console log: $log" >&2
	exit 125
done
if [ $qrc != 0 ]; then
	echo "$me: qemu failed with status $qrc ($(tail -n 1 "$res/qemu.log")); console log: $log" >&2
	exit 125
fi
if [ ! -r "$res/status" ]; then
	echo "$me: the guest died before the command finished (no exit status was written); console log: $log" >&2
	exit 125
fi
status=$(cat "$res/status")
if [ "$status" != 0 ]; then
	echo "$me: the command exited with status $status; console log: $log" >&2
fi
exit "$status"

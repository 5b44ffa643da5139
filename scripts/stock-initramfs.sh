#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# A small busybox initramfs that lets Debian's stock kernel (linux-image-amd64)
# boot the test guest: it loads the virtio and 9p modules of that kernel, mounts
# the host's root over 9p and switch_roots into the init named by "init=PATH"
# on the kernel command line, with the arguments the kernel gave /init.
#   scripts/stock-initramfs.sh [KERNEL_RELEASE]   prints the initramfs path
set -euo pipefail
cache=${DEVMEM_CACHE:-/var/cache/devmem-kit}
krel=${1:-$(ls /lib/modules | grep -E '^6\.1\.' | sort -V | tail -n 1)}
if [ -z "$krel" ] || [ ! -e "/boot/vmlinuz-$krel" ]; then
	echo "stock-initramfs.sh: no Debian 6.1 kernel in /boot; run 'make deps' (it installs linux-image-amd64)." >&2
	exit 1
fi
mods="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p"
out=$cache/stock/$krel
key=$(cat "$0" "/boot/vmlinuz-$krel" /bin/busybox | sha256sum | cut -c1-16)
if [ -f "$out/initramfs-$key.cpio.gz" ]; then
	echo "$out/initramfs-$key.cpio.gz"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,modules}
cp /bin/busybox "$tmp/bin/busybox"
for m in $mods; do
	f=$(find "/lib/modules/$krel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -n 1)
	[ -n "$f" ] || { echo "stock-initramfs.sh: module $m of $krel is missing." >&2; exit 1; }
	case $f in
	*.xz) xz -dc "$f" >"$tmp/modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$tmp/modules/$m.ko" ;;
	*) cp "$f" "$tmp/modules/$m.ko" ;;
	esac
done
cat >"$tmp/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
for m in $mods; do insmod /modules/\$m.ko || echo "initramfs: insmod \$m failed"; done
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000 /dev/root /newroot ||
	{ echo "initramfs: cannot mount the 9p root"; poweroff -f; }
init=\$(sed -n 's/.* init=\([^ ]*\).*/\1/p' /proc/cmdline)
umount /proc /dev
exec switch_root /newroot "\${init:-/sbin/init}" "\$@"
INIT
chmod +x "$tmp/init"
mkdir -p "$out"
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs-$key.cpio.gz.tmp"
mv "$out/initramfs-$key.cpio.gz.tmp" "$out/initramfs-$key.cpio.gz"
echo "$out/initramfs-$key.cpio.gz"

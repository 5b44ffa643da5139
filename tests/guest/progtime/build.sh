#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Build progtime (the longest run of each devmem program) into OUT_DIR.
#   tests/guest/progtime/build.sh OUT_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
out=${1:?usage: build.sh OUT_DIR}
mkdir -p "$out"
clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$top/bpf" -I/usr/include/"$(uname -m)"-linux-gnu \
	-c "$here/progtime.bpf.c" -o "$out/progtime.bpf.o"
gcc -O2 -Wall -Wextra -Wno-unused-parameter -Werror -o "$out/progtime" "$here/progtime.c" -lbpf -lelf -lz

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The flame graph in a real browser: devmemhist flame draws a folded file,
# headless Chromium (Debian's chromium) loads the SVG with ?s=memcpy, the
# search of the SVG's own script paints the memcpy frame, and the
# screenshot shows it: the highlight's colour where memcpy's frame is, as
# wide as its share of the faults, and nowhere in a screenshot without the
# search. Skipped, saying why, without chromium.
#
#   tests/host/flame-browser.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
out=${OUT:-$top/build}
tool=$out/devmemhist
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
	skip "flame graph in a browser" "chromium is not installed (apt-get install chromium, the [test] set of scripts/packages.txt)"
	tap_done
	exit 0
fi
command -v python3 >/dev/null || bail "python3 is needed to read the screenshots"
[ -x "$tool" ] || bail "$tool is missing; run make first"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# memcpy takes 30 of 47 faults; its siblings sort after it (copy < copy_other < zero)
printf 'app;main;zero;memset 12\napp;main;copy;memcpy 30\napp;main;copy_other 5\n' >"$work/f.txt"
if "$tool" flame "$work/f.txt" -o "$work/f.svg" --title "browser check" 2>"$work/err"; then
	ok "devmemhist flame drew the folded file"
else
	bail "devmemhist flame failed: $(head -c 300 "$work/err")"
fi

# shot NAME URL-SUFFIX: a screenshot of the SVG in a fresh profile
shot() {
	mkdir -p "$work/profile-$1"
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --no-first-run --disable-component-update \
		--disable-sync --user-data-dir="$work/profile-$1" --window-size=1220,200 \
		--screenshot="$work/$1.png" "file://$work/f.svg$2" >"$work/$1.log" 2>&1
}
shot plain "" || not_ok "chromium took no screenshot of the SVG: $(tail -c 300 "$work/plain.log")"
shot search "?s=memcpy" || not_ok "chromium took no screenshot of the search: $(tail -c 300 "$work/search.log")"

# the checks of the screenshots, as TAP lines of this script
while read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	*) echo "# $line" ;;
	esac
done < <(python3 - "$work" <<'EOF'
import struct, sys, zlib
work = sys.argv[1]

def pixels(path):
    """an 8-bit RGB or RGBA PNG as rows of (r, g, b)"""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"PNG depth {depth} colour {colour}"
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev, i = zlib.decompress(idat), [], bytearray(w * bpp), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + w * bpp])
        i += 1 + w * bpp
        for x in range(len(line)):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, len(line), bpp)])
        prev = line
    return rows

def ok(cond, desc):
    print(("ok - " if cond else "not ok - ") + desc)

HL = (230, 0, 230)
try:
    plain, search = pixels(f"{work}/plain.png"), pixels(f"{work}/search.png")
except Exception as e:
    print(f"not ok - the screenshots are readable PNGs ({e})")
    sys.exit(0)
def highlighted(rows):
    return [(x, y) for y, r in enumerate(rows) for x, p in enumerate(r)
            if abs(p[0] - HL[0]) < 8 and p[1] < 8 and abs(p[2] - HL[2]) < 8]
hp, hs = highlighted(plain), highlighted(search)
ok(not hp, f"no frame has the highlight's colour before a search ({len(hp)} pixels)")
ok(bool(hs), f"after ?s=memcpy some frame has the highlight's colour ({len(hs)} pixels)")
if hs:
    xs = sorted({x for x, _ in hs})
    width = xs[-1] - xs[0] + 1
    # the frames span 1200 px from x = 10; memcpy is 30/47 of them, from the left (sorted first)
    want = 1200 * 30 / 47
    ok(abs(width - want) < 12, f"the highlight is memcpy's frame: {width} px wide, {want:.0f} expected")
    ok(abs(xs[0] - 10) <= 2, f"the highlight starts at the left edge, where copy;memcpy sorts ({xs[0]} px)")
    rows = sorted({y for _, y in hs})
    ok(rows[-1] - rows[0] + 1 <= 20, f"the highlight is one row of frames ({rows[-1] - rows[0] + 1} px high)")
EOF
)
tap_done

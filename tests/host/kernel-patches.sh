#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Host checks of the kernel series: checkpatch.pl --strict on every patch,
# no warning in the files the series touches when they are compiled with
# W=1, except the ones the unpatched tree already has
# (tests/host/kernel-warnings.allow), and, for the zone_device events of the
# series v3, that with the events off zone_device_page_init() and
# free_zone_device_folio() run no code of the series: mm/memremap.c is
# compiled as it is and with the series reversed, with the kernel's own
# command line, and the instructions reachable from each function's entry
# when every zone_device static key is off (the key's check is followed to
# its off side only; with CONFIG_JUMP_LABEL it is a NOP) must call nothing
# and touch no symbol that the unpatched function does not.
#   tests/host/kernel-patches.sh KERNEL_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"
kdir=${1:?usage: tests/host/kernel-patches.sh KERNEL_DIR}
src=$(readlink -f "$(cat "$kdir/source")")
obj=$(dirname "$src")/obj
allow=$here/kernel-warnings.allow

# the series the kernel was built with (scripts/kernel.sh writes it to info)
series=$top/$(sed -n 's/^series=//p' "$kdir/info")
[ -f "$series" ] || { echo "kernel-patches.sh: $kdir/info names no series; use a patched kernel." >&2; exit 2; }
pdir=$(dirname "$series")
mapfile -t patches < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$series")
# checkpatch looks the commit of a Fixes: tag up with git; the source
# package has no history, so every id would be "unknown" there. The ids are
# checked against the kernel history when a patch gains one, instead.
cpopts=(--strict --quiet)
[ -e "$src/.git" ] || cpopts+=(--ignore UNKNOWN_COMMIT_ID)
for p in "${patches[@]}"; do
	if out=$(cd "$src" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl "${cpopts[@]}" "$pdir/$p" 2>&1) && [ -z "$out" ]; then
		ok "checkpatch --strict: $p"
	else
		not_ok "checkpatch --strict: $p"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
done

# The C files the series changes, compiled again with W=1.
objs=$(sed -n 's|^+++ b/\(.*\)\.c$|\1.o|p' "${patches[@]/#/$pdir/}" | sort -u)
# Remove them first: an object already built with W=1 would not be rebuilt,
# and its warnings would not show.
for o in $objs; do rm -f "$obj/$o"; done
w1log=$(mktemp)
trap 'rm -f "$w1log"' EXIT
make -s -C "$src" O="$obj" W=1 $objs >"$w1log" 2>&1
rc=$?
check "W=1 build of $(echo $objs | tr '\n' ' ')" 0 "$rc"
# A frame size is compared as "N bytes": the series may move a function's
# frame by a field (struct migrate_vma's reason is on test_hmm's stack) without
# adding a warning; a warning more than the unpatched tree has still counts.
norm() { sed -e 's/frame size of [0-9]* bytes/frame size of N bytes/' | awk '{ print $0 " #" ++n[$0] }' | sort; }
new=$(comm -23 <(grep -E ': warning:' "$w1log" | sed -e "s|^$src/||" -e 's/:[0-9]*:[0-9]*:/:/' | norm) \
	<(grep -v '^#' "$allow" | norm) | sed 's/ #[0-9]*$//' || true)
if [ -z "$new" ]; then
	ok "no new W=1 warnings in the files the series touches"
else
	not_ok "new W=1 warnings in the files the series touches"
	printf '%s\n' "$new" | sed 's/^/#   /'
fi

# --- the off path of zone_device_page_init() and free_zone_device_folio() ---
offpath_awk='# The instructions of FN that run while the zone_device events are off, one a
# line, normalized: objdump -dr output on stdin.
function hexv(h,   v, i, c) { h = tolower(h); sub(/^0x/, "", h); v = 0
	for (i = 1; i <= length(h); i++) { c = index("0123456789abcdef", substr(h, i, 1)); if (!c) break; v = v * 16 + c - 1 }
	return v }
BEGIN { infn = 0; n = 0 }
$0 ~ "^[0-9a-f]+ <" fn ">:$" { infn = 1; next }
infn && /^[0-9a-f]+ <.*>:$/ { infn = 0 }
infn && /^$/ { next }
infn && /^[ \t]+[0-9a-f]+:[ \t]/ {
	line = $0
	if (match(line, /R_X86_64_[A-Z0-9_]+\t/)) {	# relocation line
		sym = substr(line, RSTART + RLENGTH); sub(/[-+]0x[0-9a-f]+$/, "", sym)
		split(line, a, ":"); gsub(/[ \t]/, "", a[1]); roff = hexv(a[1])
		for (k = n; k >= 1 && addr[k] > roff; k--) ;
		if (k >= 1) rel[k] = rel[k] " " sym
		next
	}
	split(line, a, "\t")
	n++; sub(/^ +/, "", a[1]); sub(/:$/, "", a[1]); addr[n] = hexv(a[1]); idx[addr[n]] = n
	text = a[2]; for (j = 3; j in a; j++) text = text " " a[j]
	sub(/ +#.*$/, "", text); gsub(/ +/, " ", text); sub(/ $/, "", text)
	ins[n] = text; split(text, w, " "); mn[n] = w[1]
	tgt[n] = ""
	if (mn[n] ~ /^j/ && match(text, / [0-9a-f]+ </)) tgt[n] = hexv(substr(text, RSTART + 1, RLENGTH - 3))
}
END {
	# The static key checks of the events: a load of __tracepoint_zone_device_*,
	# its test and the branch; while off, only the branch'\''s off side runs.
	for (i = 1; i <= n; i++) {
		if (rel[i] !~ /__tracepoint_zone_device_/) continue
		series[i] = 1
		for (j = i + 1; j <= n && j <= i + 2; j++) {
			series[j] = 1
			if (mn[j] ~ /^j/) { off[j] = (mn[j] ~ /^j(le|be|e|s|z)$/) ? "target" : "fall"; break }
		}
	}
	head = 1; q[1] = 1; seen[1] = 1; nq = 1
	while (head <= nq) {
		i = q[head++]
		m = mn[i]; s1 = ""; s2 = ""
		if (m ~ /^(ret|ud2|jmp)/ && m !~ /^jmp/) { }
		else if (m == "jmp") { if (tgt[i] != "" && (tgt[i] in idx)) s1 = idx[tgt[i]] }
		else if (m ~ /^j/) {
			t = (tgt[i] != "" && (tgt[i] in idx)) ? idx[tgt[i]] : ""
			if (i in off) { if (off[i] == "target") s1 = t; else s1 = i + 1 }
			else { s1 = i + 1; s2 = t }
		} else if (m !~ /^(ret|ud2)/) s1 = i + 1
		if (s1 != "" && s1 <= n && !(s1 in seen)) { seen[s1] = 1; q[++nq] = s1 }
		if (s2 != "" && s2 <= n && !(s2 in seen)) { seen[s2] = 1; q[++nq] = s2 }
	}
	ni = 0; nc = 0; nk = 0
	for (i = 1; i <= n; i++) {
		if (!(i in seen)) continue
		if (i in series) { if (rel[i] ~ /__tracepoint_zone_device_/) nk++; continue }
		if (mn[i] ~ /^nop/ || ins[i] == "xchg %ax,%ax") continue
		ni++
		if (mn[i] ~ /^call/ || (mn[i] == "jmp" && rel[i] != "")) nc++
		ns = split(rel[i], rs, " ")
		for (k = 1; k <= ns; k++) syms[rs[k]] = 1
	}
	print "insns", ni; print "calls", nc; print "keys", nk
	for (s in syms) print "sym", s
}
'
fast_path() {
	local cmdf=$obj/mm/.memremap.o.cmd tmp base p fn ot
	if [ ! -r "$cmdf" ] || ! grep -qs trace_zone_device_folio_alloc "$src/mm/memremap.c"; then
		skip "the off path of zone_device_page_init() and free_zone_device_folio()" \
			"no zone_device events in $src/mm/memremap.c, or no object of it in $obj"
		return
	fi
	tmp=$(mktemp -d)
	mkdir -p "$tmp/unpatched/mm"
	cp "$src/mm/memremap.c" "$src/mm/internal.h" "$tmp/unpatched/mm/"
	# The series reversed, last patch first, on copies of the two files
	# (the hunks of other files find nothing to apply to).
	for ((i = ${#patches[@]} - 1; i >= 0; i--)); do
		(cd "$tmp/unpatched" && patch -R -p1 -s -f --no-backup-if-mismatch -r "$tmp/rej" <"$pdir/${patches[$i]}" >/dev/null 2>&1)
	done
	if grep -qsE "trace_zone_device|trace/events/zone_device" "$tmp/unpatched/mm/memremap.c"; then
		not_ok "the series does not reverse on mm/memremap.c; the off path was not compared"
		rm -rf "$tmp"
		return
	fi
	base=$(sed -n 's/^savedcmd_mm\/memremap.o := //p' "$cmdf")
	base=${base%% -c -o *}
	base=${base//-Wp,-MMD,mm\/.memremap.o.d/}
	if ! (cd "$obj" && eval "$base -c -o $tmp/unpatched.o $tmp/unpatched/mm/memremap.c" &&
		eval "$base -c -o $tmp/patched.o $src/mm/memremap.c") >"$tmp/cc.log" 2>&1; then
		not_ok "compiling mm/memremap.c with and without the series failed: $(tail -n 2 "$tmp/cc.log" | tr '\n' ' ')"
		rm -rf "$tmp"
		return
	fi
	# objtool turns the jump label sites into the NOPs the kernel runs.
	for ot in "$tmp/unpatched.o" "$tmp/patched.o"; do
		[ -x "$obj/tools/objtool/objtool" ] && "$obj/tools/objtool/objtool" --hacks=jump_label "$ot" >/dev/null 2>&1
		objdump -dr --no-show-raw-insn "$ot" >"$ot.dis"
	done
	for fn in zone_device_page_init free_zone_device_folio; do
		awk -v fn=$fn "$offpath_awk" "$tmp/unpatched.o.dis" | sort >"$tmp/$fn.unpatched"
		awk -v fn=$fn "$offpath_awk" "$tmp/patched.o.dis" | sort >"$tmp/$fn.patched"
		local u_calls p_calls keys new u_n p_n
		u_calls=$(awk '$1 == "calls" { print $2 }' "$tmp/$fn.unpatched")
		p_calls=$(awk '$1 == "calls" { print $2 }' "$tmp/$fn.patched")
		keys=$(awk '$1 == "keys" { print $2 }' "$tmp/$fn.patched")
		u_n=$(awk '$1 == "insns" { print $2 }' "$tmp/$fn.unpatched")
		p_n=$(awk '$1 == "insns" { print $2 }' "$tmp/$fn.patched")
		new=$(comm -13 <(grep '^sym ' "$tmp/$fn.unpatched") <(grep '^sym ' "$tmp/$fn.patched") | cut -d' ' -f2 | tr '\n' ' ')
		if [ "${keys:-0}" -ge 1 ] && [ "$u_calls" = "$p_calls" ] && [ -z "$new" ]; then
			ok "$fn(), events off: the unpatched calls ($u_calls) and symbols, and $keys zone_device key check(s); $u_n instructions unpatched, $p_n patched (register saves, no counter, no lookup)"
		else
			not_ok "$fn(), events off: key checks ${keys:-0} (want 1 or more), calls $u_calls unpatched and $p_calls patched, symbols only the patched one touches: ${new:-none}"
		fi
	done
	rm -rf "$tmp"
}
fast_path
tap_done

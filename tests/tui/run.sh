#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# devmemtop on the host, without BPF: a recording with known content (written
# by make-recording.c through the recorder API) is replayed
#   - in batch mode: exact figures, no escape codes, JSON frames that add up,
#     pace, SIGTERM, bad input and usage errors;
#   - in the full-screen view inside tmux, used as a person would: keys are
#     sent with `tmux send-keys`, the screen is read with `tmux capture-pane`
#     and asserted (sort changes the row order, v shows devices, resize, pause,
#     q and Ctrl-C restore the terminal). Start-up to first frame is measured.
#
#   tests/tui/run.sh            (after make; OUT=dir for another build dir)
#
# TAP lines through tests/lib.sh; exit status non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=../lib.sh
. tests/lib.sh
out=${OUT:-build}
tool=$top/$out/devmemtop
work=$(mktemp -d /tmp/devmemtop-tui.XXXXXX)
sock=devmemtop-test-$$
S=tui

tm() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
	tm kill-server 2>/dev/null && sleep 0.2
	rm -rf "$work"
}
trap cleanup EXIT


[ -x "$tool" ] || bail "$out/devmemtop is missing; run make first"
[ -r "$out/lib/libdevmem.a" ] || bail "$out/lib/libdevmem.a is missing; run make first"
${CC:-gcc} -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Iinclude -Itools/lib \
	tests/tui/make-recording.c -o "$work/make-recording" \
	"$out/lib/libdevmem.a" -lbpf -lelf -lz -ljansson -lm 2>"$work/cc.log" ||
	bail "building tests/tui/make-recording.c failed: $(head -n 3 "$work/cc.log")"

N=5
"$work/make-recording" "$work/fast.rec" $N 200 || bail "writing the test recording failed"
"$work/make-recording" "$work/slow.rec" 40 1000 || bail "writing the slow test recording failed"

# ---------------------------------------------------------------- batch mode
"$tool" -R "$work/fast.rec" -b -F >"$work/batch.txt" 2>"$work/batch.err"
check "batch replay exits 0" 0 $?
if grep -qP '\x1b' "$work/batch.txt"; then
	not_ok "batch output contains escape codes (a hostile comm must be defused)"
else
	ok "batch output has no escape codes"
fi
check "batch output has one frame per recorded frame" $N "$(grep -c ' frame [0-9]* (' "$work/batch.txt")"
check "batch output ends with a summary frame" 1 "$(grep -c 'summary over' "$work/batch.txt")"

# summary rows: "PID FAULTS WASTED TODEV TORAM ALLOCS FREES P50 P99 COMMAND"
summary_field() { # PID COLUMN
	awk -v pid="$1" -v col="$2" '/summary over/ { s = 1 } s && $1 == pid { print $col; exit }' \
		"$work/batch.txt"
}
check "summary: bravo's faults are 30 x $N" $((30 * N)) "$(summary_field 1002 2)"
check "summary: alpha's pages to device are 100 x $N" $((100 * N)) "$(summary_field 1001 5)"
check "summary: charlie's pages to RAM are 20 x $N" $((20 * N)) "$(summary_field 1003 6)"
check "summary: bravo's frees are 50 x $N" $((50 * N)) "$(summary_field 1002 8)"
# devices, the name first and the range last:
# "DEVICE SIZE INUSE USE% BAR FAULTS WASTED THRASH TODEV TORAM ALLOCS FREES RANGE"
dev_field() { # RANGE COLUMN
	awk -v r="$1" -v col="$2" '/summary over/ { s = 1 } s && $NF == r { print $col; exit }' \
		"$work/batch.txt"
}
check "summary: the device table starts with the name, then how full it is" \
	"DEVICE SIZE INUSE USE% FAULTS" \
	"$(awk '/summary over/ { s = 1 } s && $1 == "DEVICE" { sub(/^\*/, "", $5); print $1, $2, $3, $4, $5; exit }' "$work/batch.txt")"
# gpu0: 7 pages in use at start + (120 - 55) x N allocated = 332 pages of 4 KiB
check "summary: gpu0 in use in bytes, as SIZE (7 at start + allocs - frees pages)" "gpu0\x20private 256M 1.3M 1%" \
	"$(dev_field 100000000-10fffffff 1) $(dev_field 100000000-10fffffff 2) $(dev_field 100000000-10fffffff 3) $(dev_field 100000000-10fffffff 4)"
check "summary: gpu1 faults = charlie + evil" $((21 * N)) "$(dev_field 200000000-21fffffff 6)"
check "summary: a device with its start count: 3 pages of 4 in use, 75%, its bar" "12K 75% [########..]" \
	"$(dev_field 300000000-300003fff 3) $(dev_field 300000000-300003fff 4) $(dev_field 300000000-300003fff 5)"
grep -qF 'evil\x1b[31m' "$work/batch.txt" && ok "a comm with an escape byte is shown as \\x1b" ||
	not_ok "the hostile comm is not shown defused"

"$tool" -R "$work/fast.rec" -F >"$work/pipe.txt" 2>&1 </dev/null
if [ $? = 0 ] && grep -q 'summary over' "$work/pipe.txt" && ! grep -qP '\x1b' "$work/pipe.txt"; then
	ok "stdout not a terminal: batch mode by itself, no escape codes"
else
	not_ok "stdout not a terminal: expected plain batch frames ($(head -c 200 "$work/pipe.txt"))"
fi

"$tool" -R "$work/fast.rec" -b -F -r 1 --view devices >"$work/rows.txt"
check "-r 1 --view devices: one device row per frame, no process table" "$((N + 1)) 0" \
	"$(grep -cE ' [0-9a-f]+-[0-9a-f]+$' "$work/rows.txt") $(grep -c COMMAND "$work/rows.txt")"

"$tool" -R "$work/fast.rec" -b -F -p 1003 -D gpu1-private >"$work/filter.txt"
check "-p and -D filters: only charlie and gpu1 in the summary" "1003 gpu1-private" \
	"$(awk '/summary over/ { s = 1 } s && /^ +[0-9]+ / { p = $1 } s && / [0-9a-f]+-[0-9a-f]+$/ { d = $1 } END { print p, d }' "$work/filter.txt")"
# the header follows -p: charlie's 20 faults a frame, not everyone's 61
check "-p: the header's totals are the process's" "Total: faults $((20 * N))" \
	"$(awk '/summary over/ { s = 1 } s && /^Total:/ { print $1, $2, $3; exit }' "$work/filter.txt")"
check "-p: each frame's rate too (20 faults in 0.2 s)" "Per second: faults 100" \
	"$(grep '^Per second:' "$work/filter.txt" | sed -n 2p | awk '{ print $1, $2, $3, $4 }')"
"$tool" -R "$work/fast.rec" -b -F -D nosuch >"$work/nodev.txt" 2>"$work/nodev.err"
rc=$?
if [ $rc = 15 ] && grep -q '^(no device matches -D nosuch; the devices are: gpu0\\x20private' "$work/nodev.txt" ||
	{ [ $rc = 15 ] && grep -q 'no device matches -D nosuch; the devices are: ' "$work/nodev.txt"; }; then
	ok "-D of an unknown device: the table says so, exit 15 ($(head -n 1 "$work/nodev.err"))"
else
	not_ok "-D of an unknown device: status $rc, table '$(grep -m1 'no device' "$work/nodev.txt")', '$(cat "$work/nodev.err")'"
fi
"$work/make-recording" "$work/empty.rec" 0 || bail "writing a recording without frames failed"
"$tool" -R "$work/empty.rec" -b >"$work/empty.out" 2>"$work/empty.err"
rc=$?
if [ $rc = 18 ] && grep -q 'holds no frame' "$work/empty.err" && [ ! -s "$work/empty.out" ]; then
	ok "a recording without frames: said, exit 18 ($(cat "$work/empty.err"))"
else
	not_ok "a recording without frames: status $rc, '$(cat "$work/empty.err")'"
fi

if command -v python3 >/dev/null; then
	"$tool" -R "$work/fast.rec" -j -F >"$work/frames.json"
	if python3 - "$work/frames.json" $N <<'EOF'; then
import json, sys
frames = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
data = [f for f in frames if f["type"] == "frame"]
summary = [f for f in frames if f["type"] == "summary"]
assert len(data) == n and len(summary) == 1, (len(data), len(summary))
summed = {}
for f in data:
    for p in f["processes"]:
        for k, v in p["counters"].items():
            summed[(p["tgid"], k)] = summed.get((p["tgid"], k), 0) + v
for p in summary[0]["processes"]:
    for k, v in p["counters"].items():
        assert summed.get((p["tgid"], k), 0) == v, (p["tgid"], k, summed.get((p["tgid"], k)), v)
want = {1001: 10, 1002: 30, 1003: 20, 1004: 1}
for p in summary[0]["processes"]:
    assert p["counters"]["faults"] == want[p["tgid"]] * n
dsum = {}
for f in data:
    for d in f["devices"]:
        dsum[d["start"]] = dsum.get(d["start"], 0) + d["counters"]["pages_to_device"]
for d in summary[0]["devices"]:
    assert dsum.get(d["start"], 0) == d["counters"]["pages_to_device"]
    if d["pages_in_use"] is not None:
        assert d["bytes_in_use"] == d["pages_in_use"] * 4096, d
        assert abs(d["fullness"] - d["bytes_in_use"] / d["size_bytes"]) < 1e-9, d
older = [d for d in summary[0]["devices"] if d["name"] == "older"][0]
assert older["pages_in_use"] == 3 and older["fullness"] == 0.75, older
EOF
		ok "JSON frames: per-process and per-device counts add up to the summary exactly"
	else
		not_ok "JSON frames do not add up to the summary (see above)"
	fi
else
	skip "JSON frames add up" "python3 is not installed"
fi

t0=$(date +%s%N)
"$tool" -R "$work/fast.rec" -b >/dev/null
t1=$(date +%s%N)
"$tool" -R "$work/fast.rec" -b -F >/dev/null
t2=$(date +%s%N)
paced=$(((t1 - t0) / 1000000)) fast=$(((t2 - t1) / 1000000))
if [ $paced -ge 700 ] && [ $fast -lt 700 ]; then
	ok "replay keeps the recorded pace ($paced ms for 1 s recorded) and -F does not ($fast ms)"
else
	not_ok "replay pace: $paced ms paced (want >= 700), $fast ms with -F (want < 700)"
fi

"$tool" -R "$work/slow.rec" -b >"$work/term.txt" 2>&1 &
pid=$!
sleep 1.5
kill -TERM $pid
t0=$(date +%s%N)
wait $pid
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ $rc = 0 ] && grep -q 'summary over' "$work/term.txt" && [ $ms -lt 1500 ]; then
	ok "SIGTERM in batch mode: exit 0 within $ms ms with a final summary frame"
else
	not_ok "SIGTERM in batch mode: status $rc after $ms ms, summary $(grep -c 'summary over' "$work/term.txt")"
fi

head -c 100 /dev/urandom >"$work/bad.rec"
"$tool" -R "$work/bad.rec" -b >"$work/bad.out" 2>"$work/bad.err"
rc=$?
if [ $rc = 12 ] && [ "$(wc -l <"$work/bad.err")" = 1 ] && [ ! -s "$work/bad.out" ]; then
	ok "a corrupt recording: exit 12 and one sentence ($(cat "$work/bad.err"))"
else
	not_ok "a corrupt recording: status $rc, message '$(cat "$work/bad.err")'"
fi
# devmemhist -m over the same recording: bounds in milliseconds stay apart, in order,
# and percentiles read from buckets say they are estimates
"$top/$out/devmemhist" report -m "$work/fast.rec" >"$work/hist-ms.txt" 2>&1
rows=$(sed -n '/^fault_latency (msecs)/,/^$/p' "$work/hist-ms.txt" | awk '$2 == "->" { print $1, $3 }')
if [ -n "$rows" ] && awk '$1 == $2 { bad = 1 } NR > 1 && $1 + 0 <= last { bad = 1 } { last = $1 + 0 }
	END { exit bad }' <<<"$rows"; then
	ok "devmemhist report -m: $(wc -l <<<"$rows") buckets, each low below its high, lows ascending"
else
	not_ok "devmemhist report -m: bounds collide or are out of order: $(echo $rows)"
fi
grep -qE '^fault_latency \(msecs\): [0-9]+ samples, mean [0-9.]+, p50 ~[0-9.]+, p90 ~[0-9.]+, p99 ~' \
	"$work/hist-ms.txt" && ok "devmemhist report -m: percentiles marked as estimates (~)" ||
	not_ok "devmemhist report -m: $(grep -m1 '^fault_latency' "$work/hist-ms.txt")"

# damage in the middle: the advice copies the frames before it, never cuts the evidence
cp "$work/fast.rec" "$work/mid.rec"
size=$(stat -c %s "$work/mid.rec")
printf '\377' | dd of="$work/mid.rec" bs=1 seek=$((size / 2)) conv=notrunc status=none
cp "$work/mid.rec" "$work/mid.orig"
(cd "$work" && "$tool" -R mid.rec -b -F >/dev/null 2>mid.err)
rc=$?
hint=$(grep -o "head -c [0-9]* mid.rec > mid.rec.good" "$work/mid.err")
if [ $rc = 12 ] && [ -n "$hint" ] && ! grep -q truncate "$work/mid.err"; then
	(cd "$work" && sh -c "$hint")
	"$tool" -R "$work/mid.rec.good" -b -F >"$work/good.out" 2>"$work/good.err"
	if [ $? = 0 ] && cmp -s "$work/mid.rec" "$work/mid.orig" &&
		[ "$(grep -c ' frame [0-9]* (' "$work/good.out")" -ge 1 ]; then
		ok "damage in the middle: the advice ($hint) keeps the frames before, the file untouched"
	else
		not_ok "the advice '$hint' did not give a readable copy: $(head -n 2 "$work/good.err")"
	fi
else
	not_ok "damage in the middle: status $rc, '$(cat "$work/mid.err")'"
fi
head -c 300 "$work/fast.rec" >"$work/cut.rec"
"$tool" -R "$work/cut.rec" -b -F >"$work/cut.out" 2>"$work/cut.err"
rc=$?
if [ $rc = 0 ] || [ $rc = 12 ] || [ $rc = 18 ]; then
	ok "a truncated recording: status $rc, no crash ($(head -n 1 "$work/cut.err"))"
else
	not_ok "a truncated recording: status $rc"
fi
"$tool" -s nosuch >/dev/null 2>"$work/usage.err"
check "unknown sort key: usage error status" 2 $?
"$tool" -R /nonexistent/x.rec -b >/dev/null 2>"$work/noent.err"
rc=$?
[ $rc != 0 ] && grep -q 'nonexistent' "$work/noent.err" &&
	ok "a missing recording: status $rc, names the file" ||
	not_ok "a missing recording: status $rc, '$(cat "$work/noent.err")'"

# the README's first screen: what to run, and samples the tools print as they are
first=$(sed -n 1,40p README.md)
for word in x86_64 CONFIG_DEVICE_PRIVATE devmem-check devmemtop 'devmemhist report' \
	DEVMEM_NO_DEPS nouveau amdgpu xe NVIDIA test_hmm; do
	grep -qF -- "$word" <<<"$first" || not_ok "README: the first screen does not name $word"
done
"$work/make-recording" "$work/readme.rec" 10 1000 || bail "writing the README's recording failed"
{ "$tool" -R "$work/readme.rec" -b -F -n 3 | awk '/ frame 3 /{ f = 1 } /summary over/{ f = 0 } f' |
	sed -n '/PID/,/^$/p; /^DEVICE/,/^$/p'
	"$top/$out/devmemhist" report "$work/readme.rec" | sed -n '/^fault_latency/,/^$/p'; } |
	grep -v '^$' >"$work/readme.lines"
missing=$(while IFS= read -r line; do
		grep -qxF -- "    $line" README.md || echo "$line"
	done <"$work/readme.lines")
check "README: its devmemtop and devmemhist samples are what the tools print ($(wc -l <"$work/readme.lines") lines)" \
	"" "$missing"
[ "$(wc -l <"$work/readme.lines")" -ge 20 ] || not_ok "README: the samples' lines were not found in the tools' output"

# ---------------------------------------------------------------- tmux
if ! command -v tmux >/dev/null; then
	skip "full-screen view in tmux" "tmux is not installed (make deps)"
	tap_done
	exit
fi

cols=100 lines=30
tm new-session -d -s $S -x $cols -y $lines "env -i PATH=$PATH HOME=$work HISTFILE=/dev/null TERM=screen bash --norc --noprofile" ||
	bail "tmux could not start a session"
tm set-option -t $S status off >/dev/null
screen() { tm capture-pane -p -t $S; }
# wait_for REGEX [SECONDS]: poll the screen until it shows REGEX
wait_for() {
	local end=$(($(date +%s%N) + ${2:-5} * 1000000000))
	while [ "$(date +%s%N)" -lt $end ]; do
		screen | grep -qE -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
# the PIDs of the table rows, top to bottom
row_pids() { screen | awk '$1 ~ /^100[0-9]$/ { printf "%s ", $1 }' | sed 's/ $//'; }
alt_screen() { tm display -p -t $S '#{alternate_on}'; }

tm send-keys -t $S "PS1='PROMPT\$ '; cd $work" Enter
wait_for '^PROMPT\$' || bail "the shell in tmux did not start"
tm send-keys -t $S "clear" Enter
sleep 0.2

# start-up to first frame: from the Enter to the header on the screen
t0=$(date +%s%N)
tm send-keys -t $S "$tool -R $work/fast.rec -F -v; echo MARK-\$?" Enter
if wait_for '^devmemtop - .*frame' 5; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	ok "first frame on the screen $ms ms after the command was entered"
	echo "# start-up to first frame (replay, tmux, wall clock incl. tmux polling): $ms ms"
else
	bail "devmemtop did not draw its screen: $(screen | head -n 5)"
fi
wait_for '\[end\]' 5 && ok "replay -F reaches the end of the recording and holds the screen" ||
	not_ok "the replay did not show [end]"
check "the view uses the alternate screen" 1 "$(alt_screen)"
check "default order: faults descending" "1002 1003 1001 1004" "$(row_pids)"
screen | grep -q '\*FAULT/s' && ok "the sort column is marked in the title" ||
	not_ok "no sort mark in the title: $(screen | grep PID)"

tm send-keys -t $S '>'
wait_for '\*THRASH' 2
# no thrashing in this recording: every row ties, in PID order
check "'>' sorts by the next column (THRASH)" "1001 1002 1003 1004" "$(row_pids)"
tm send-keys -t $S '>'
wait_for '\*TODEV/s' 2
check "'>' again: pages to device" "1001 1003 1002 1004" "$(row_pids)"
tm send-keys -t $S 'r'
wait_for 'sort: todev asc' 2
check "'r' reverses the order" "1004 1002 1003 1001" "$(row_pids)"
tm send-keys -t $S '<' '<'
wait_for '\*FAULT/s' 2
check "'<' twice goes back to faults, descending again" "1002 1003 1001 1004" "$(row_pids)"

tm send-keys -t $S 'v'
if wait_for '^DEVICE +SIZE +INUSE +USE%' 2; then
	ok "'v' shows the devices, the name first"
else
	not_ok "'v' did not show the device table: $(screen | sed -n 5,8p)"
fi
check "device rows: gpu0, gpu1 and the range of an unknown device" "3" \
	"$(screen | grep -cE '^(gpu0\\x20private|gpu1-private|older) ')"
check "gpu0: size, in use in bytes, USE%, bar" "256M 1.3M 1% [..........]" \
	"$(screen | awk '$1 == "gpu0\\x20private" { print $2, $3, $4, $5 }')"
check "older: 75% full" "12K 75% [########..]" "$(screen | awk '$1 == "older" { print $3, $4, $5 }')"
# colour where it carries meaning: a bar green with room, yellow from 75%
ansi() { tm capture-pane -p -e -t $S; }
if ansi | grep '^.*gpu0' | grep -q $'\e\\[32m\\[\\.\\.\\.'; then
	ok "a device with room: its bar in green"
else
	not_ok "gpu0's bar is not green: $(ansi | grep gpu0 | cat -v | head -c 300)"
fi
if ansi | grep 'older' | grep -q $'\e\\[33m75%' && ansi | grep 'older' | grep -q $'\e\\[33m\\[####'; then
	ok "a device 75% full: USE% and bar in yellow"
else
	not_ok "older's fullness is not yellow: $(ansi | grep older | cat -v | head -c 300)"
fi
tm send-keys -t $S 's'
wait_for '\*MIGR/s' 2 && ok "'s' moves the device sort to the next column (MIGR/s)" ||
	not_ok "'s' did not change the device sort: $(screen | grep DEVICE)"
tm send-keys -t $S '<' '<'
wait_for '\*USE%' 2
check "USE% sorts by how full a device is" "older gpu0\\x20private gpu1-private" \
	"$(screen | awk '$1 ~ /^(gpu0|gpu1|older)/ { printf "%s ", $1 }' | sed 's/ $//')"
tm send-keys -t $S '>' '>'

tm resize-window -t $S -x 60 -y 16
sleep 0.5
if screen | awk 'length($0) > 60 { bad = 1 } END { exit bad }' &&
	[ "$(screen | sed -n 16p | cut -c1-9)" = " devices " ]; then
	ok "resizing to 60x16: lines fit and the key line moves to the new last line"
else
	not_ok "after a resize to 60x16 the screen is wrong: $(screen | tail -n 2)"
fi
tm resize-window -t $S -x $cols -y $lines
sleep 0.3
tm send-keys -t $S 'h'
wait_for 'devmemtop keys' 2 && ok "'h' shows the key help" || not_ok "'h' shows no help"
tm send-keys -t $S 'x'
wait_for '^DEVICE' 2 && ok "any key leaves the help" || not_ok "the help did not go away"
tm send-keys -t $S 't'
wait_for 'thrashing detection is off' 2 &&
	ok "'t' shows the thrashing view, which says that a recording without it has none" ||
	not_ok "'t' did not show the thrashing view: $(screen | sed -n 5,8p)"
screen | grep -qE '^ +PID +PAGES +\*BOUNCES' && ok "the thrashing view is sorted by bounces" ||
	not_ok "the thrashing view's title is wrong: $(screen | grep PAGES)"
tm send-keys -t $S 'v'
wait_for '^ +PID .*COMMAND' 2 && ok "'v' goes from the thrashing view back to the processes" ||
	not_ok "'v' did not cycle back to the processes: $(screen | sed -n 5,6p)"
tm send-keys -t $S 'v'
wait_for '^DEVICE' 2 || not_ok "'v' did not return to the devices"

tm send-keys -t $S 'q'
if wait_for '^MARK-0' 3; then
	ok "'q' quits with status 0"
else
	not_ok "'q' did not end devmemtop: $(screen | tail -n 3)"
fi
check "after q the alternate screen is left" 0 "$(alt_screen)"
screen | grep -qE 'first frame [0-9.]+ ms after start' &&
	echo "# devmemtop's own measure: $(screen | grep -oE 'first frame [0-9.]+ ms after start')"
tm send-keys -t $S "echo END-\$((6*7)); stty -a >$work/stty.txt" Enter
wait_for '^END-42' 2 && ok "the shell prompt works after q (marker echoed)" ||
	not_ok "the shell does not answer after q: $(screen | tail -n 3)"
sleep 0.2
check "terminal modes restored (echo, icanon)" "echo icanon" \
	"$(tr ' ;' '\n\n' <"$work/stty.txt" | grep -xE -- '-?(echo|icanon)' | sort | tr '\n' ' ' | sed 's/ $//')"

# pause at the recorded pace: the frame number stops, then goes on
tm send-keys -t $S "clear; $tool -R $work/slow.rec; echo MARK2-\$?" Enter
wait_for ' frame 2 ' 6 || not_ok "the paced replay did not reach frame 2"
tm send-keys -t $S 'p'
wait_for '\[paused\]' 2
f1=$(screen | grep -oE ' frame [0-9]+ ' | head -n 1)
sleep 2.2
f2=$(screen | grep -oE ' frame [0-9]+ ' | head -n 1)
check "'p' pauses: the frame stays" "$f1" "$f2"
tm send-keys -t $S ' '
sleep 2.2
f3=$(screen | grep -oE ' frame [0-9]+ ' | head -n 1)
[ -n "$f3" ] && [ "$f3" != "$f2" ] && ok "space resumes ($f2-> $f3)" || not_ok "space did not resume ($f2 -> $f3)"

# replay keys: step, seek, first and last frame, the pace
fnum() { screen | grep -oE ' frame [0-9]+ ' | head -n 1 | tr -dc 0-9; }
# wait_frame N: until the header shows frame N
wait_frame() { wait_for " frame $1 " 3; }
f=$(fnum)
tm send-keys -t $S 'n'
wait_frame $((f + 1))
check "'n' steps one frame forward and pauses" "$((f + 1)) paused" \
	"$(fnum) $(screen | grep -q '\[paused\]' && echo paused)"
tm send-keys -t $S 'b'
wait_frame "$f"
check "'b' steps one frame back" "$f" "$(fnum)"
tm send-keys -t $S ']'
wait_frame $((f + 10))
check "']' seeks ten frames forward" $((f + 10)) "$(fnum)"
tm send-keys -t $S '['
wait_frame "$f"
check "'[' seeks ten frames back" "$f" "$(fnum)"
tm send-keys -t $S 'G'
wait_frame 40
check "'G': the last frame, marked as the end" "40 end" "$(fnum) $(screen | grep -q '\[end\]' && echo end)"
tm send-keys -t $S 'g'
wait_frame 1
check "'g': back to the first frame" 1 "$(fnum)"
tm send-keys -t $S '+'
wait_for '  2x' 2 && ok "'+' doubles the pace (2x in the header)" || not_ok "'+': $(screen | head -n 1)"
tm send-keys -t $S '-' '-'
wait_for '  0.5x' 2 && ok "'-' halves it (0.5x)" || not_ok "'-': $(screen | head -n 1)"
tm send-keys -t $S '+' ' '
sleep 2.2
f4=$(fnum)
[ "${f4:-0}" -ge 2 ] && [ "${f4:-0}" -le 4 ] && ok "space resumes from there at the recorded pace (frame $f4)" ||
	not_ok "after resuming from frame 1: frame $f4 after 2.2 s"

# Ctrl-C: terminal restored and the final summary printed
tm send-keys -t $S C-c
if wait_for '^MARK2-0' 3; then
	ok "Ctrl-C ends the view with status 0"
else
	not_ok "Ctrl-C did not end devmemtop: $(screen | tail -n 3)"
fi
check "after Ctrl-C the alternate screen is left" 0 "$(alt_screen)"
screen | grep -q 'summary over' && ok "Ctrl-C prints the final summary" ||
	not_ok "no summary after Ctrl-C"
if screen | grep -qP '\x1b'; then not_ok "escape bytes left on the screen"; fi

# SIGTERM from outside: same
tm send-keys -t $S "clear; sh -c 'echo \$\$ >$work/top.pid; exec $tool -R $work/slow.rec'; echo MARK3-\$?" Enter
wait_for 'devmemtop - ' 5
toppid=$(cat "$work/top.pid" 2>/dev/null)
if [ -n "$toppid" ]; then
	kill -TERM "$toppid"
	wait_for '^MARK3-0' 3 && [ "$(alt_screen)" = 0 ] &&
		ok "SIGTERM ends the view, status 0, terminal restored" ||
		not_ok "SIGTERM: $(screen | tail -n 3)"
else
	not_ok "could not read devmemtop's pid for the SIGTERM test"
fi

# NO_COLOR (any value but empty) and --no-color: no colour, the same screen
for how in "NO_COLOR=1 $tool" "$tool --no-color"; do
	tm send-keys -t $S "clear; $how -R $work/fast.rec -F -G; echo MARK4-\$?" Enter
	wait_for '\[end\]' 5 || not_ok "$how: the replay did not reach its end"
	if tm capture-pane -p -e -t $S | grep -q $'\e\\[3[123]m'; then
		not_ok "$how: colour on the screen"
	else
		screen | grep -q '^older .*75%' && ok "$how: the device table without colour" ||
			not_ok "$how: no device table: $(screen | sed -n 5,7p)"
	fi
	tm send-keys -t $S 'q'
	wait_for '^MARK4-0' 3 || not_ok "$how: q did not end it"
done

tap_done

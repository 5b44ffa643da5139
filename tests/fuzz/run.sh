#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The recording parser under the sanitizers, for `make test`:
#   1. the record, record sections, svg and sanitize unit tests built with clang
#      -fsanitize=address,undefined
#   2. the libFuzzer target over devmem_recording_open_mem/next, for a bounded
#      time, from a seed corpus written by the recorder API
# Builds into build/fuzz/ and prints TAP lines; exits non-zero on a failure.
#
#   tests/fuzz/run.sh [-t SECONDS]     (default 30; DEVMEM_FUZZ_SECONDS too)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/lib.sh

seconds=${DEVMEM_FUZZ_SECONDS:-30}
if [ "${1:-}" = -t ]; then
	seconds=${2:?-t wants seconds}
fi
case $seconds in
''|*[!0-9]*|0) echo "run.sh: -t wants a positive number of seconds, not '$seconds'." >&2; exit 2 ;;
esac
out=${OUT:-build}/fuzz
case $out in /*) ;; *) out=$top/$out ;; esac
mkdir -p "$out"
CLANG=${CLANG:-clang}
# the rooms a recording goes through: its bytes, the model, the renderings
LIBSRC=$(echo tools/lib/store/*.c tools/lib/model/*.c tools/lib/cli/sanitize.c tools/lib/cli/parse.c \
	tools/lib/render/json_out.c tools/lib/render/rec_json.c tools/lib/render/svg.c tools/lib/render/rec_svg.c \
	tools/lib/render/flame.c \
	tools/lib/render/findings.c tools/lib/render/diag_report.c tools/lib/render/thrash_runs.c \
	tools/lib/render/counts_text.c tools/lib/render/flame_script.c tools/lib/render/folded.c)
CFLAGS="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all -std=gnu11 -D_GNU_SOURCE
	-Iinclude -Itools/lib -Wall -Wno-unused-parameter -DDEVMEM_TEST_DATA=\"$PWD/tests/unit/data\""
LIBS="-ljansson -lz -lm"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# --- 1. unit tests with ASan+UBSan ---------------------------------------------
for t in test_record test_record_sections test_svg test_sanitize; do
	# shellcheck disable=SC2086
	if ! $CLANG $CFLAGS -fsanitize=address,undefined -Itests/unit tests/unit/$t.c $LIBSRC \
		-o "$out/$t-asan" $LIBS -lcmocka >"$out/$t-asan.build.log" 2>&1; then
		sed 's/^/# /' "$out/$t-asan.build.log"
		not_ok "$t built with ASan+UBSan (build failed)"
		continue
	fi
	if CMOCKA_MESSAGE_OUTPUT=stdout "$out/$t-asan" >"$out/$t-asan.log" 2>&1; then
		ok "$t under ASan+UBSan ($(grep -c '^\[       OK' "$out/$t-asan.log") tests)"
	else
		tail -n 30 "$out/$t-asan.log" | sed 's/^/# /'
		not_ok "$t under ASan+UBSan (see $out/$t-asan.log)"
	fi
done

# --- 2. fuzzing ------------------------------------------------------------------
# shellcheck disable=SC2086
if ! $CLANG $CFLAGS -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_recording.c $LIBSRC \
	-o "$out/fuzz_recording" $LIBS >"$out/fuzz.build.log" 2>&1; then
	sed 's/^/# /' "$out/fuzz.build.log"
	not_ok "fuzz recording parser (build failed; needs clang and libclang-rt-dev)"
	tap_done
	exit
fi
# shellcheck disable=SC2086
if ! $CLANG $CFLAGS tests/fuzz/make_seeds.c $LIBSRC -o "$out/make_seeds" $LIBS \
	>"$out/seeds.build.log" 2>&1; then
	sed 's/^/# /' "$out/seeds.build.log"
	not_ok "fuzz recording parser (seed generator failed to build)"
	tap_done
	exit
fi
seeds=$out/seeds
corpus=$out/corpus
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus"
"$out/make_seeds" "$seeds" || { not_ok "fuzz recording parser (seeds not written)"; tap_done; exit; }
# fixtures of known-bad files are good seeds too
[ -d tests/unit/data ] && cp tests/unit/data/*.rec "$seeds/" 2>/dev/null
log=$out/fuzz.log
(cd "$out" && ./fuzz_recording -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
	-timeout=10 -print_final_stats=1 -artifact_prefix="$out/" corpus seeds) >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ $rc = 0 ]; then
	ok "fuzz recording parser (${runs:-?} runs in ${seconds} s, corpus $(find "$corpus" -type f | wc -l) inputs)"
else
	grep -E 'ERROR|SUMMARY|artifact|==[0-9]+==' "$log" | head -n 20 | sed 's/^/# /'
	not_ok "fuzz recording parser (status $rc after ${runs:-?} runs; crash input in $out/, log $log)"
fi
tap_done

#!/bin/bash
# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
# fuzz.sh: builds the libFuzzer targets in build-fuzz/ and runs each in turn.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]    e.g. scripts/fuzz.sh 600 http ws
#
# SECONDS per target (default 60); with FUZZ_RUNS=N in the environment a
# target also stops after N executions, whichever comes first. Targets default to every tests/fuzz/*_fuzz.c.
# Each run starts from the seed corpus in tests/fuzz/corpus/<t>/ and keeps what
# it finds in build-fuzz/corpus/<t>/ (not in the repo); crashes, leaks and
# inputs slower than 1 s are written to build-fuzz/artifacts/ and make the
# script exit non-zero. One process at a time, at nice 19: the machine is
# shared. A summary line per target (executions, result) goes to stdout and to
# build-fuzz/fuzz-summary.txt.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_EACH=${1:-60}
shift || true
BUILD=$ROOT/build-fuzz
CC=${CC:-clang}

if [ ! -f "$BUILD/Makefile" ]; then
    [ -x "$ROOT/configure" ] || (cd "$ROOT" && ./autogen.sh) || exit 1
    mkdir -p "$BUILD"
    (cd "$BUILD" && "$ROOT/configure" --enable-fuzzing CC="$CC" >/dev/null) ||
        exit 1
fi

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in "$ROOT"/tests/fuzz/*_fuzz.c; do
        t=$(basename "$f" _fuzz.c)
        targets+=("$t")
    done
fi

progs=()
for t in "${targets[@]}"; do progs+=("tests/fuzz/${t}_fuzz"); done
make -C "$BUILD" -j2 "${progs[@]}" >/dev/null || exit 1

mkdir -p "$BUILD/artifacts"
summary=$BUILD/fuzz-summary.txt
fail=0
for t in "${targets[@]}"; do
    corpus=$BUILD/corpus/$t
    mkdir -p "$corpus"
    log=$BUILD/fuzz-$t.log
    dict=()
    runs_arg=()
    [ -n "${FUZZ_RUNS:-}" ] && runs_arg=(-runs="$FUZZ_RUNS")
    [ -f "$ROOT/tests/fuzz/$t.dict" ] && dict=(-dict="$ROOT/tests/fuzz/$t.dict")
    start=$(date +%s)
    nice -n 19 "$BUILD/tests/fuzz/${t}_fuzz" "${dict[@]}" "${runs_arg[@]}" \
        -max_total_time="$SECONDS_EACH" -timeout=1 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/${t}-" \
        "$corpus" "$ROOT/tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    runs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}')
    result=ok
    if [ "$rc" -ne 0 ]; then
        result="FAILED (exit $rc; see $log and $BUILD/artifacts/)"
        fail=1
    fi
    line="$(date -u +%FT%TZ) $t: ${runs:-?} executions in $(($(date +%s) - start)) s: $result"
    echo "$line" | tee -a "$summary"
done
exit $fail

#!/bin/bash
# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
# msglog-bench.sh: broadcast fan-out with the message log off and on, in one
# run; prints the server's CPU seconds (event-loop thread and whole process).
#
#   bench/msglog-bench.sh [BUILD_DIR]     (default build/, an -O2 build)
#
# Environment: N (1000) clients and K (500) broadcasts for the fan-out
# case, SMALL_N (10) and SMALL_K (20000) for the small fan-out case, ROUNDS
# (2: off/on alternate so drift hits both), LAZY_US (20000: the client's
# lazy reading, as the shared bench README advises), EIOCLIENT (a built
# eioclient; else it is compiled from $BENCH_SRC, default
# /work/shared/bench/eioclient.c, into /tmp). Not a test: it takes ~30 s of two cores; run it when the box
# is quiet, and compare the two columns of one run only.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
BENCH_SRC=${BENCH_SRC:-/work/shared/bench/eioclient.c}
if [ -z "${EIOCLIENT:-}" ]; then
    EIOCLIENT=/tmp/eioclient-msglog
    if [ ! -x "$EIOCLIENT" ] || [ "$BENCH_SRC" -nt "$EIOCLIENT" ]; then
        cc -O2 -Wall -o "$EIOCLIENT" "$BENCH_SRC"
    fi
fi
# The loop's own cost per row, alone (no sockets, no load generator).
make -s -C "$BUILD" libsocketiod.a
cc -O2 -I"$ROOT/sidecar" -o /tmp/msglog-rowcost "$ROOT/bench/msglog_rowcost.c" \
    "$BUILD/libsocketiod.a" $(pkg-config --libs sqlite3 libcjson libevent_core) -lpthread
/tmp/msglog-rowcost 100000
echo
export EIOCLIENT SOCKETIOD="$BUILD/socketiod"
exec /usr/bin/python3 "$ROOT/bench/msglog_bench.py"

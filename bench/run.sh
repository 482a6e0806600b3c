#!/bin/bash
# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
# run.sh: the benchmark: socketiod beside Node socket.io and python-socketio
# (and a calibration server) on this machine; writes docs/benchmark.{json,md}.
#
#   bash bench/run.sh              N = 1k, 5k, 19k; about 12-15 minutes
#   QUICK=1 bash bench/run.sh      N = 1k, 5k; about 5 minutes
#   PHASES=twonode bash bench/run.sh   the two-node phase alone
#   PHASES=workers bash bench/run.sh   the workers phase alone (issue 18), ~3 min
#
# Environment: SERVERS (socketiod,node,python,ceiling), NS (comma list,
# overrides QUICK), PHASES (single,twonode,workers: each server alone over
# NS; two nodes of socketiod and of Node through Redis; socketiod --workers
# N, issue 18), TWONODE_NS (1000: clients
# per node, comma list), TWONODE_BCASTS (200 per completion measurement),
# TWONODE_FANOUT (500 per fan-out measurement), WORKERS (2: the workers
# phase's socketiod --workers N, on a Redis of its own), WORKERS_N (39000
# WebSocket clients), WORKERS_REF_N (19000: one process's, the reference;
# 0: none), WORKERS_SECONDS (8: its fan-out's length), WORKERS_REPEATS
# (3: fan-out measurements, the median reported), WORKERS_INTERLEAVE (1:
# the reference and the workers up at once, fan-outs alternating), POLL_N (2000
# long-polling clients; 0: no polling part), POLL_BCASTS (20),
# POLL_INTERVAL (500 ms),
# OUT (docs/benchmark: the .json and .md written),
# SOCKETIOD (a built daemon to measure instead of building build-bench/),
# CEILING_SRC (/work/shared/bench/ceiling-server.c; its rows are skipped
# when it is missing), PHASE_SECONDS (5), NOTE (a line for the report),
# RECOVERY (SECONDS: adds a socketiod-recovery row, the daemon with
# --recovery SECONDS, measured in the same run as socketiod: memory per
# idle connection and fan-out per CPU-second with recovery on vs off).
# Installs what it needs first (see bench/README.md), as root or with sudo.
# Run it on a quiet machine: the servers and the load generator share the
# cores, and CPU-second figures are the ones to compare.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
say() { printf 'bench: %s\n' "$*" >&2; }

# Debian packages: the daemon's build, the peers and Redis.
APT_PACKAGES=(
    build-essential autoconf automake libtool pkg-config
    libevent-dev libcjson-dev libsqlite3-dev libssl-dev libfcgi-dev
    redis-server                                       # the peers' out-of-band path
    python3-socketio python3-engineio python3-redis    # python-socketio and its RedisManager
    python3-gevent python3-gevent-websocket            # python-socketio's async_mode='gevent'
    ca-certificates                                    # npm over https
)
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
missing=()
for p in "${APT_PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
        missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node socket.io, its Redis adapter and emitter, pinned by bench/package-lock.json.
if [ ! -f bench/node_modules/.package-lock.json ] ||
    [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
    say "npm ci in bench/"
    (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi

# The daemon: an optimised build of its own (no sanitizers), unless given.
BUILD=$ROOT/build-bench
mkdir -p "$BUILD/bench"
if [ -z "${SOCKETIOD:-}" ]; then
    [ -x configure ] && [ -f Makefile.in ] || ./autogen.sh
    if [ ! -f "$BUILD/Makefile" ]; then
        say "configure in build-bench/"
        (cd "$BUILD" && ../configure -q CFLAGS="-O2 -g")
    fi
    say "make socketiod in build-bench/"
    make -C "$BUILD" -s -j2 socketiod
    SOCKETIOD=$BUILD/socketiod
fi

# The bench's own C programs: not part of the daemon's build (they are
# instruments, built only here, and need nothing but libc).
cc -O2 -Wall -Wextra -o "$BUILD/bench/loadgen" bench/loadgen.c bench/genlib.c
cc -O2 -Wall -Wextra -o "$BUILD/bench/rpcemit" bench/rpcemit.c bench/genlib.c
cc -O2 -Wall -Wextra -o "$BUILD/bench/pollgen" bench/pollgen.c bench/genlib.c
ceiling_args=()
CEILING_SRC=${CEILING_SRC:-/work/shared/bench/ceiling-server.c}
if [ -f "$CEILING_SRC" ]; then
    cc -O2 -w -o "$BUILD/bench/ceiling-server" "$CEILING_SRC" \
        $(pkg-config --cflags --libs libevent) -lcrypto
    ceiling_args=(--ceiling "$BUILD/bench/ceiling-server")
else
    say "no $CEILING_SRC: the calibration rows are skipped"
fi

# One process holds at most ~19,930 sockets here; the loadgen and each
# server get all of the hard limit.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt 20000 ] && [[ ",${NS:-}," == *19000* || -z "${NS:-}${QUICK:-}" || ",${PHASES:-workers}," == *,workers,* ]]; then
    say "fd limit $(ulimit -n) is below 20000: N=19000 (and 39,000 over two workers) will fail"
fi

if [ -n "${NS:-}" ]; then
    ns=$NS
elif [ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ]; then
    ns=1000,5000
else
    ns=1000,5000,19000
fi
OUT=${OUT:-$ROOT/docs/benchmark}
# The driver stops every process it started when it ends or gets SIGTERM;
# this trap sends it that on any way out of here (^C, a kill, an error), and
# waits for it to have done so.
driver=
stop_driver() {
    if [ -n "$driver" ]; then
        kill -TERM "$driver" 2>/dev/null || true
        wait "$driver" 2>/dev/null || true
    fi
}
trap stop_driver EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
/usr/bin/python3 bench/driver.py \
    --servers "${SERVERS:-socketiod${RECOVERY:+,socketiod-recovery},node,python,ceiling}" \
    --ns "$ns" --recovery "${RECOVERY:-0}" \
    --phases "${PHASES:-single,twonode,workers}" \
    --twonode-ns "${TWONODE_NS:-1000}" \
    --twonode-bcasts "${TWONODE_BCASTS:-200}" \
    --twonode-fanout "${TWONODE_FANOUT:-500}" \
    --workers "${WORKERS:-2}" --workers-n "${WORKERS_N:-39000}" \
    --workers-ref-n "${WORKERS_REF_N:-19000}" \
    --workers-seconds "${WORKERS_SECONDS:-8}" \
    --workers-repeats "${WORKERS_REPEATS:-3}" \
    --workers-interleave "${WORKERS_INTERLEAVE:-1}" --poll-n "${POLL_N:-2000}" \
    --poll-bcasts "${POLL_BCASTS:-20}" \
    --poll-interval "${POLL_INTERVAL:-500}" --pollgen "$BUILD/bench/pollgen" \
    --socketiod "$SOCKETIOD" --loadgen "$BUILD/bench/loadgen" \
    --rpcemit "$BUILD/bench/rpcemit" "${ceiling_args[@]}" \
    --phase-seconds "${PHASE_SECONDS:-5}" --note "${NOTE:-}" \
    --out "$OUT.json" &
driver=$!
wait "$driver"
driver=
/usr/bin/python3 bench/report.py "$OUT.json" >"$OUT.md"
say "wrote $OUT.json and $OUT.md"
cat "$OUT.md"

#!/bin/bash
# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
# soak.sh: the soak (not part of CI): churning clients, relayed and RPC broadcasts, exactly-once, flat RSS and fds.
#
#   scripts/soak.sh [DURATION_S [CLIENTS]]      default 3600 s, 10000 clients
#
# Builds the daemon (-O2, build-soak/; SOAK_ASAN=1: the ASan/UBSan build in
# build-asan/) and bench/soak-client.c, starts `socketiod --relay` with the
# message log on, runs the soak client (its own RPC broadcaster inside) and
# samples the daemon every SOAK_SAMPLE seconds into samples.csv. At the end
# it checks (each failure is printed and makes the exit status 1):
#   - the client's violations are 0 (the rules are in bench/soak-client.c
#     and docs/soak.md);
#   - delivered messages per second, averaged over the load, >= SOAK_MIN_RATE;
#   - RSS (not under ASan: its quarantine grows by design) and fd count
#     flat after warm-up (SOAK_WARMUP s, default a quarter
#     of the run, at most 300 s): every later sample <= (1 + SOAK_FLAT_PCT %)
#     x the warm-up value, and the mean of the last quarter of the later
#     samples <= (1 + SOAK_FLAT_PCT/2 %) x the mean of their first quarter;
#   - once the clients are gone the daemon is back to its idle state: 0
#     connections, sockets and channels, and the fd count it had before any
#     client came;
#   - SIGTERM ends the daemon with status 0 within 30 s;
#   - SOAK_ASAN=1: no AddressSanitizer, LeakSanitizer or UBSan report.
#
# Environment (defaults): SOAK_CLIENTS (10000), SOAK_DURATION (3600),
# SOAK_CHANNELS (100), SOAK_EMIT_RATE (160 client events/s),
# SOAK_RPC_RATE (100 RPC emits/s), SOAK_LIFE_MIN/SOAK_LIFE_MAX (30/300 s),
# SOAK_ABRUPT (0.1: share of clients that leave by just closing TCP),
# SOAK_RAMP (500 connects/s), SOAK_PAYLOAD (64 bytes of padding per
# message), SOAK_MIN_RATE (20000), SOAK_FLAT_PCT (10), SOAK_WARMUP,
# SOAK_SAMPLE (10), SOAK_MSGLOG (1: log on, 0: off), SOAK_OUT (the results
# directory; default build-soak/soak-<UTC time>), SOAK_NICE (0),
# SOAK_DAEMON_ARGS (more daemon flags).
set -euo pipefail

# Everything is in main() so that bash has read the whole script before it
# runs: an hour-long run is not derailed by someone editing this file.
main() {
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${1:-${SOAK_DURATION:-3600}}
CLIENTS=${2:-${SOAK_CLIENTS:-10000}}
CHANNELS=${SOAK_CHANNELS:-100}
EMIT_RATE=${SOAK_EMIT_RATE:-160}
RPC_RATE=${SOAK_RPC_RATE:-100}
MIN_RATE=${SOAK_MIN_RATE:-20000}
FLAT_PCT=${SOAK_FLAT_PCT:-10}
SAMPLE=${SOAK_SAMPLE:-10}
WARMUP=${SOAK_WARMUP:-$((DURATION / 4 < 300 ? DURATION / 4 : 300))}
ASAN=${SOAK_ASAN:-0}
MSGLOG=${SOAK_MSGLOG:-1}
NICE=${SOAK_NICE:-0}

if [ "$ASAN" = 1 ]; then
    BUILD=$ROOT/build-asan
    CONF=(--enable-asan)
else
    BUILD=$ROOT/build-soak
    CONF=()
fi
OUT=${SOAK_OUT:-$ROOT/build-soak/soak-$(date -u +%Y%m%dT%H%M%SZ)$([ "$ASAN" = 1 ] && echo -asan || true)}
mkdir -p "$OUT"
cd "$ROOT"

# ---- build ----
command -v jq >/dev/null || { echo "soak: installing jq" >&2; apt-get install -y -qq jq >/dev/null; }
[ -x configure ] || ./autogen.sh
mkdir -p "$BUILD"
[ -f "$BUILD/Makefile" ] || (cd "$BUILD" && ../configure "${CONF[@]}" >/dev/null)
make -s -C "$BUILD" -j2 socketiod socketioctl
mkdir -p "$ROOT/build-soak"
CLIENT=$ROOT/build-soak/soak-client
if [ ! -x "$CLIENT" ] || [ bench/soak-client.c -nt "$CLIENT" ]; then
    cc -O2 -Wall -Wextra -o "$CLIENT" bench/soak-client.c
fi

# Both processes hold one descriptor per client and then some.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((CLIENTS + 1000)) ]; then
    echo "soak: need $((CLIENTS + 1000)) descriptors, have $(ulimit -n)" >&2
    exit 1
fi

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RPC=$OUT/rpc.sock
DAEMON_ARGS=(--listen "127.0.0.1:$PORT" --rpc "$RPC" --relay
             --max-connections $((CLIENTS + 2000)))
if [ "$MSGLOG" = 1 ]; then
    # Retention bounds the database so that disk use, like memory, is flat.
    DAEMON_ARGS+=(--message-log "$OUT/messages.sqlite3"
                  --message-log-format '%(REMOTE_ADDR)s %(MESSAGE)s'
                  --message-log-max-rows 200000)
fi
# Extra daemon flags, e.g. to watch a check fail: "--max-event-rate 1".
read -r -a extra <<<"${SOAK_DAEMON_ARGS:-}"
DAEMON_ARGS+=("${extra[@]}")
export ASAN_OPTIONS=detect_leaks=1:log_path=$OUT/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$OUT/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}

DPID=
SPID=
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null || true
    [ -n "$DPID" ] && kill "$DPID" 2>/dev/null || true
}
trap cleanup EXIT

nice -n "$NICE" "$BUILD/socketiod" "${DAEMON_ARGS[@]}" >"$OUT/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do
    [ -S "$RPC" ] && break
    sleep 0.1
done
[ -S "$RPC" ] || { echo "soak: the daemon did not start; see $OUT/daemon.log" >&2; exit 1; }

stats() { "$BUILD/socketioctl" -s "$RPC" --json stats 2>/dev/null || echo '{}'; }
fdcount() { ls "/proc/$DPID/fd" | wc -l; }
rsskb() { awk '/^VmRSS:/ {print $2}' "/proc/$DPID/status"; }
cpusec() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$DPID/stat"; }
sample() { # t,rss_kb,fds,cpu_s,connections,sockets,channels,messages_out,log_dropped,heap_kb,heap_free_kb,load1
    local s
    s=$(stats)
    echo "$1,$(rsskb),$(fdcount),$(cpusec),$(jq -r '[.connections, .sockets, .channels, .messages_out, .messages_log_dropped, (if .heap_in_use then (.heap_in_use / 1024 | floor) else null end), (if .heap_free then (.heap_free / 1024 | floor) else null end)] | map(. // "") | join(",")' <<<"$s"),$(cut -d' ' -f1 /proc/loadavg)"
}
# The message log's writer opens its files just after start-up, and its
# commit eventfd comes with the first emit (once per daemon): the idle
# baseline is taken after both.
stats >/dev/null
"$BUILD/socketioctl" -s "$RPC" emit warmup --channel soak-none >/dev/null
sleep 1
FDS_IDLE=$(fdcount)
echo "t_s,rss_kb,fds,cpu_s,connections,sockets,channels,messages_out,log_dropped,heap_kb,heap_free_kb,load1" >"$OUT/samples.csv"
(
    t0=$(date +%s)
    while kill -0 "$DPID" 2>/dev/null; do
        sample $(($(date +%s) - t0)) >>"$OUT/samples.csv" || true
        sleep "$SAMPLE"
    done
) &
SPID=$!

echo "soak: $CLIENTS clients, $DURATION s, daemon $BUILD/socketiod (pid $DPID) on port $PORT, results in $OUT"
set +e
nice -n "$NICE" "$CLIENT" --port "$PORT" --rpc "$RPC" --clients "$CLIENTS" \
    --channels "$CHANNELS" --duration "$DURATION" --emit-rate "$EMIT_RATE" \
    --rpc-rate "$RPC_RATE" --life-min "${SOAK_LIFE_MIN:-30}" \
    --life-max "${SOAK_LIFE_MAX:-300}" --abrupt "${SOAK_ABRUPT:-0.1}" \
    --ramp "${SOAK_RAMP:-500}" --payload "${SOAK_PAYLOAD:-64}" \
    --out "$OUT/client.txt" 2>"$OUT/client.err" | tee "$OUT/client.log"
CLIENT_RC=${PIPESTATUS[0]}
set -e
kill "$SPID" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
SPID=

# The daemon notices the last closes within a moment.
sleep 3
FDS_AFTER=$(fdcount)
RSS_AFTER=$(rsskb)
IDLE_STATS=$(stats)
CPU=$(cpusec)

kill -TERM "$DPID"
TERM_RC=timeout
for _ in $(seq 300); do
    if ! kill -0 "$DPID" 2>/dev/null; then
        set +e
        wait "$DPID"
        TERM_RC=$?
        set -e
        break
    fi
    sleep 0.1
done
DPID=

/usr/bin/python3 - "$OUT" "$CLIENT_RC" "$MIN_RATE" "$FLAT_PCT" "$WARMUP" \
    "$FDS_IDLE" "$FDS_AFTER" "$RSS_AFTER" "$CPU" "$TERM_RC" "$ASAN" \
    "$IDLE_STATS" <<'EOF'
import csv, glob, json, os, re, sys

(out, client_rc, min_rate, flat_pct, warmup, fds_idle, fds_after, rss_after,
 cpu, term_rc, asan, idle_stats) = sys.argv[1:]
min_rate, flat_pct, warmup = float(min_rate), float(flat_pct), float(warmup)
fails = []
res = {}
try:
    for line in open(os.path.join(out, "client.txt")):
        k, _, v = line.strip().partition("=")
        res[k] = v
except OSError:
    fails.append("the soak client wrote no results (exit %s)" % client_rc)
viol = int(res.get("violations", "-1"))
if viol != 0:
    fails.append("violations: %s (see client.err)" % viol)
if client_rc not in ("0", "1"):
    fails.append("soak client exit status %s" % client_rc)
rate = float(res.get("delivered_per_s", 0))
if rate < min_rate:
    fails.append("delivered %.0f msgs/s < %.0f" % (rate, min_rate))

rows = [r for r in csv.DictReader(open(os.path.join(out, "samples.csv")))
        if r["rss_kb"] and r["fds"]]
def flat(name, check=True):
    after = [r for r in rows if float(r["t_s"]) >= warmup]
    # the load ends at the client's duration; the drain is not steady state
    dur = float(res.get("duration_s", 0))
    after = [r for r in after if float(r["t_s"]) <= dur]
    if len(after) < 4:
        fails.append("%s: only %d samples after warm-up" % (name, len(after)))
        return {}
    v = [float(r[name]) for r in after]
    q = max(1, len(v) // 4)
    first, last = sum(v[:q]) / q, sum(v[-q:]) / q
    d = {"warm": v[0], "end": v[-1], "max": max(v), "min": min(v),
         "first_q": first, "last_q": last}
    if not check:
        return d
    if max(v) > v[0] * (1 + flat_pct / 100):
        fails.append("%s: max %.0f > warm-up %.0f + %g %%" %
                     (name, max(v), v[0], flat_pct))
    if last > first * (1 + flat_pct / 200):
        fails.append("%s: last-quarter mean %.0f > first-quarter mean %.0f "
                     "+ %g %%" % (name, last, first, flat_pct / 2))
    return d
# ASan's quarantine and shadow memory grow by design (to 256 MB of freed
# blocks held back), so the ASan run reports RSS but judges only the fds.
rss, fds = flat("rss_kb", asan != "1"), flat("fds")
# What the allocator has handed out (the stats RPC's heap_in_use): flat
# while RSS grows means freed memory the allocator keeps, not growth.
heap = (flat("heap_kb", asan != "1")
        if rows and rows[0].get("heap_kb") and asan != "1" else {})

try:
    idle = json.loads(idle_stats)
except ValueError:
    idle = {}
for k in ("connections", "sockets", "channels"):
    if idle.get(k) != 0:
        fails.append("after the clients left: %s = %s" % (k, idle.get(k)))
if fds_after != fds_idle:
    fails.append("fds after the clients left: %s, before they came: %s" %
                 (fds_after, fds_idle))
if term_rc != "0":
    fails.append("SIGTERM: daemon exit %s" % term_rc)
if idle.get("messages_log_errors"):
    fails.append("message log errors: %s" % idle["messages_log_errors"])
reports = []
for f in glob.glob(os.path.join(out, "asan*")) + glob.glob(os.path.join(out, "ubsan*")):
    reports.append(f)
log = open(os.path.join(out, "daemon.log"), errors="replace").read()
if re.search(r"ERROR: (Address|Leak)Sanitizer|runtime error:", log) or reports:
    fails.append("sanitizer reports: %s" % (reports or "in daemon.log"))

summary = ("soak: %s duration=%ss clients=%s connects=%s leaves=%s "
           "delivered=%s msgs/s=%s acks=%s rpc_ok=%s required=%s "
           "violations=%s rss_kb(warm/end/max)=%s/%s/%s "
           "heap_kb(warm/end/max)=%s/%s/%s "
           "fds(warm/end/max)=%s/%s/%s fds_idle(before/after)=%s/%s "
           "daemon_cpu_s=%s log_rows=%s log_dropped=%s sigterm=%s%s" % (
               "PASS" if not fails else "FAIL", res.get("duration_s"),
               res.get("clients"), res.get("connects"), res.get("leaves"),
               res.get("delivered"), res.get("delivered_per_s"),
               res.get("acks"), res.get("rpc_ok"), res.get("required"),
               res.get("violations"),
               *["%.0f" % rss.get(k, 0) for k in ("warm", "end", "max")],
               *["%.0f" % heap.get(k, 0) for k in ("warm", "end", "max")],
               *["%.0f" % fds.get(k, 0) for k in ("warm", "end", "max")],
               fds_idle, fds_after, cpu, idle.get("messages_logged"),
               idle.get("messages_log_dropped"), term_rc,
               " asan=%s" % ("clean" if not reports and "Sanitizer" not in log
                             else "REPORTS") if asan == "1" else ""))
with open(os.path.join(out, "summary.txt"), "w") as f:
    f.write(summary + "\n")
    for x in fails:
        f.write("FAIL: " + x + "\n")
    json.dump({"rss_kb": rss, "heap_kb": heap, "fds": fds,
               "idle_stats": idle}, f)
    f.write("\n")
for x in fails:
    print("soak: FAIL: " + x)
print(summary)
sys.exit(1 if fails else 0)
EOF
}

main "$@"

# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""py-emit: python-socketio's out-of-band emit path: another process emits
through socketio.RedisManager(write_only=True), redis-server carries it, the
server's RedisManager delivers it (bench/py-server.py with REDIS_URL).

    REDIS_URL=redis://... /usr/bin/python3 py-emit.py COUNT INTERVAL_MS FIRST_SEQ [SECONDS]

Emits COUNT ("tick", seq, t_us) to everyone, INTERVAL_MS apart (0: back to
back), stops after SECONDS or on SIGTERM; prints {"sent","secs"}.
"""

import json
import os
import signal
import sys
import time

import socketio


def main():
    count, interval_ms, first = (int(a) for a in sys.argv[1:4])
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    mgr = socketio.RedisManager(os.environ["REDIS_URL"], write_only=True)
    t0 = time.monotonic()
    sent = 0
    while not stop and sent < count and \
            (seconds <= 0 or time.monotonic() - t0 < seconds):
        mgr.emit("tick", (first + sent, time.monotonic_ns() // 1000),
                 namespace="/")
        sent += 1
        if interval_ms > 0:
            time.sleep(interval_ms / 1000.0)
    print(json.dumps({"sent": sent, "secs": time.monotonic() - t0}),
          flush=True)


if __name__ == "__main__":
    main()

# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""A large fan-out through the send threads (--send-threads, conn.c): 400
socket.io-client 4.x sockets get every broadcast exactly once and in order,
whether the broadcasts come one per RPC request or pipelined many to a read,
with the threads and without them; `stats` shows which path wrote."""

import json
import socket

import pytest

from e2e_lib import wait_until

N = 400
SERIAL = 10
PIPELINED = 40


def emit_all(path, first, count, pipelined):
    """Emits ("seq", k) to everyone for k in first..first+count-1 over one
    control connection: all lines in one write, or each after the last
    answer. Returns the answers."""
    lines = [json.dumps({"id": k, "method": "emit",
                         "params": {"event": "seq", "args": [k]}}) + "\n"
             for k in range(first, first + count)]
    answers = []
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        f = s.makefile("rb")
        if pipelined:
            s.sendall("".join(lines).encode())
        for line in lines:
            if not pipelined:
                s.sendall(line.encode())
            answers.append(json.loads(f.readline()))
    return answers


@pytest.mark.timeout(120)
@pytest.mark.parametrize("threads", [2, 0])
def test_broadcast_to_400_sockets_arrives_once_and_in_order(daemon, node,
                                                            threads):
    d = daemon("--send-threads", str(threads), "--send-threads-min", "100")
    n = node("v4")
    ready = n.connect_many("f", N, d.url, concurrency=50)
    assert ready["connected"] == N and ready["failed"] == 0, ready
    rpc = d.rpc()
    before = rpc.call("stats")
    assert before["sockets"] == N
    assert before["send_threads"] == threads

    answers = emit_all(d.rpc_path, 1, SERIAL, pipelined=False)
    answers += emit_all(d.rpc_path, SERIAL + 1, PIPELINED, pipelined=True)
    assert [a["result"]["recipients"] for a in answers] == \
        [N] * (SERIAL + PIPELINED), answers[:3]

    def counts():
        req, mark = n.send("counts", prefix="f", event="seq")
        return n.wait_for(lambda e: e["ev"] == "counts" and
                          e.get("req") == req, since=mark)

    total = SERIAL + PIPELINED
    wait_until(lambda: all(v == total for v in counts()["counts"].values()),
               timeout=30, interval=0.2,
               what="%d broadcasts at each of %d sockets" % (total, N))
    last = counts()
    assert len(last["counts"]) == N
    assert set(last["counts"].values()) == {total}  # none twice
    assert set(last["disorder"].values()) == {0}

    after = rpc.call("stats")
    spread = after["socket_writes_spread"] - before["socket_writes_spread"]
    writes = after["socket_writes"] - before["socket_writes"]
    if threads:
        # Every broadcast past the first 100 sockets of a callback goes
        # out across the threads.
        assert spread >= SERIAL * (N - 100), (spread, writes)
    else:
        assert spread == 0
    # Pipelined broadcasts share writes: far fewer than one per delivery.
    assert writes < SERIAL * N + PIPELINED * N // 4, writes

"""1,000 concurrent socket.io-client 4.x sockets in one channel: one RPC
broadcast reaches every one of them exactly once."""

import time

import pytest

from e2e_lib import channel_members, wait_until

N = 1000


@pytest.mark.timeout(150)
def test_thousand_clients_one_broadcast(daemon, node):
    d = daemon()
    rpc = d.rpc()
    n = node("v4")
    ready = n.connect_many("m", N, d.url, timeout=90, channel="crowd",
                           concurrency=100)
    assert ready["failed"] == 0, ready
    assert ready["connected"] == N and ready["subscribed"] == N, ready
    assert channel_members(rpc, "crowd") == N
    assert rpc.call("stats")["sockets"] == N

    t0 = time.monotonic()
    r = rpc.call("emit", event="news", args=[{"n": 1}], channel="crowd")
    assert r["recipients"] == N

    def counts(event):
        req, mark = n.send("counts", prefix="m", event=event)
        return n.wait_for(lambda e: e["ev"] == "counts" and
                          e.get("req") == req, since=mark)["counts"]

    wait_until(lambda: all(v >= 1 for v in counts("news").values()),
               timeout=20, interval=0.2, what="every socket to get the news")
    elapsed = time.monotonic() - t0
    assert elapsed < 10, "the broadcast took %.1f s" % elapsed

    # A second broadcast marks the end: what arrived before it is final.
    assert rpc.call("emit", event="end", channel="crowd")["recipients"] == N
    wait_until(lambda: all(v >= 1 for v in counts("end").values()),
               timeout=20, interval=0.2, what="the end marker")
    news = counts("news")
    assert len(news) == N
    dup = {k: v for k, v in news.items() if v != 1}
    assert not dup, "delivered more than once: %r" % list(dup.items())[:10]
    d.assert_alive()

# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""SIGTERM drains: the daemon stops accepting, closes WebSockets with 1001
(going away), ends held long-polls with an Engine.IO CLOSE packet so that
clients reconnect, and exits 0 promptly. That the official clients then come
back by themselves is tests/e2e/test_reconnect.py's restart case."""

import json
import signal
import socket
import threading
import time

import pytest
import requests

from e2e_lib import SANITIZER_MARKS, Daemon
from test_ws_conformance import Ws, frame


@pytest.fixture
def d(tmp_path):
    """A daemon this test stops itself (the shared fixture would call its
    exit a crash)."""
    d = Daemon(tmp_path, [])
    d.start()
    yield d
    d.kill()
    err = d.stderr()
    assert not any(m in err for m in SANITIZER_MARKS), err


def test_sigterm_drains_websockets_and_polls(d):
    ws = [Ws(d) for _ in range(3)]
    for w in ws:
        w.send(frame(1, "40"))
        w.expect_connect_reply()
    # Two polling sessions (v4 and v3), each with a GET held by the server.
    polls = {}
    for eio in (4, 3):
        r = requests.get(d.url + "/socket.io/?EIO=%d&transport=polling" % eio,
                         timeout=5)
        body = r.text if eio == 4 else r.text.split(":", 1)[1]
        polls[eio] = json.loads(body[1:])["sid"]
        if eio == 3:  # Socket.IO v2 servers connect "/" by themselves
            r = requests.get(d.url + "/socket.io/?EIO=3&transport=polling"
                             "&sid=" + polls[eio], timeout=5)
            assert r.text == "2:40", r.text
    answers = {}

    def hold(eio, sid):
        r = requests.get(d.url + "/socket.io/?EIO=%d&transport=polling&sid=%s"
                         % (eio, sid), timeout=10)
        answers[eio] = (r.status_code, r.text)

    threads = [threading.Thread(target=hold, args=(e, s))
               for e, s in polls.items()]
    for t in threads:
        t.start()
    time.sleep(0.3)  # both GETs are held now

    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    for w in ws:
        w.expect_close(1001)
    for t in threads:
        t.join(5)
    assert answers[4] == (200, "1"), answers
    assert answers[3] == (200, "1:1"), answers
    # No longer accepting.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(d.addr, timeout=1).close()
    rc = d.proc.wait(5)
    assert rc == 0
    assert time.monotonic() - t0 < 3.0
    for w in ws:
        w.close()

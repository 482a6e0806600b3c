"""Bad input from the network: each is refused the way Node's engine.io
refuses it, only the offending connection suffers, and afterwards the
daemon runs and a client connected before still gets a broadcast."""

import base64
import json
import os
import socket
import struct
import time

import pytest
import requests

from e2e_lib import RawWs, assert_still_serving, session_sids, wait_until


def response_complete(data):
    """True when data holds a whole HTTP response (head + body)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            return len(body) >= int(value.strip())
        if name == b"transfer-encoding" and b"chunked" in value.lower():
            return body.endswith(b"0\r\n\r\n")
    return False


def read_until_closed(sock, timeout=5.0, stop_at_response=False):
    """What the peer sends until it closes (or, with stop_at_response,
    until a whole response is in); returns (data, closed)."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline:
        if stop_at_response and response_complete(data):
            return data, False
        try:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def raw_http(d, request, timeout=5.0, stop_at_response=False):
    s = socket.create_connection(d.addr, timeout=timeout)
    try:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_until_closed(s, timeout, stop_at_response)
    finally:
        s.close()


def status_of(response):
    line = response.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    assert len(parts) >= 2 and parts[0].startswith(b"HTTP/1."), \
        "not an HTTP response: %r" % response[:200]
    return int(parts[1])


def body_json(response):
    head, _, body = response.partition(b"\r\n\r\n")
    return json.loads(body)


@pytest.mark.parametrize("junk", [
    b"GARBAGE\r\n\r\n",
    b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"
    b"Host: x\r\nThis line has no colon\r\n\r\n",
    b"GET /socket.io/\x00\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 +
    b"\r\n\r\n",  # a TLS ClientHello sent to the plain port
], ids=["garbage", "header-without-colon", "control-chars", "tls-hello"])
def test_malformed_http_gets_400_and_close(daemon, junk):
    d = daemon()
    watcher = RawWs(d)
    data, closed = raw_http(d, junk)
    assert data == b"" or status_of(data) == 400, data[:300]
    assert closed, "the daemon kept a connection open after a bad request"
    assert_still_serving(d, watcher)


def test_oversized_request_head(daemon):
    d = daemon()
    watcher = RawWs(d)
    req = (b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n" +
           b"".join(b"X-Filler-%d: %s\r\n" % (i, b"y" * 1000)
                    for i in range(200)) + b"\r\n")
    data, closed = raw_http(d, req)
    assert closed
    if data:
        assert status_of(data) in (400, 413, 431), data[:200]
    assert_still_serving(d, watcher)


@pytest.mark.parametrize("eio", [4, 3])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_sid(daemon, eio, method):
    d = daemon()
    watcher = RawWs(d)
    url = d.url + "/socket.io/?EIO=%d&transport=polling&sid=nope" % eio
    if method == "GET":
        r = requests.get(url, timeout=5)
    else:
        r = requests.post(url, data=b"1:6" if eio == 3 else b"6",
                          headers={"Content-Type": "text/plain"}, timeout=5)
    assert r.status_code == 400
    assert r.json() == {"code": 1, "message": "Session ID unknown"}
    assert_still_serving(d, watcher)


@pytest.mark.parametrize("eio", ["2", "5", "x", ""])
def test_unsupported_protocol_version(daemon, eio):
    d = daemon()
    watcher = RawWs(d)
    r = requests.get(d.url + "/socket.io/?EIO=%s&transport=polling" % eio,
                     timeout=5)
    assert r.status_code == 400
    assert r.json() == {"code": 5, "message": "Unsupported protocol version"}
    assert_still_serving(d, watcher)


@pytest.mark.parametrize("transport", ["flashsocket", "", "websocket2"])
def test_unknown_transport(daemon, transport):
    d = daemon()
    watcher = RawWs(d)
    r = requests.get(
        d.url + "/socket.io/?EIO=4&transport=%s" % transport, timeout=5)
    assert r.status_code == 400
    assert r.json() == {"code": 0, "message": "Transport unknown"}
    assert_still_serving(d, watcher)


def ws_handshake(d, eio=4):
    s = socket.create_connection(d.addr, timeout=5)
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET /socket.io/?EIO=%d&transport=websocket HTTP/1.1\r\n"
              b"Host: 127.0.0.1\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
              b"Sec-WebSocket-Version: 13\r\n\r\n" % (eio, key))
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        assert chunk, "closed during the WebSocket handshake"
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return s, rest


def parse_frames(data):
    """Server frames (unmasked) in data: [(opcode, payload)]."""
    frames = []
    while len(data) >= 2:
        op = data[0] & 0x0F
        n = data[1] & 0x7F
        i = 2
        if n == 126:
            if len(data) < 4:
                break
            n = struct.unpack(">H", data[2:4])[0]
            i = 4
        elif n == 127:
            if len(data) < 10:
                break
            n = struct.unpack(">Q", data[2:10])[0]
            i = 10
        if len(data) < i + n:
            break
        frames.append((op, data[i:i + n]))
        data = data[i + n:]
    return frames


def masked_frame(opcode, payload, fin=True):
    mask = os.urandom(4)
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def expect_ws_close(s, rest, codes):
    data, closed = read_until_closed(s, 5)
    frames = parse_frames(rest + data)
    closes = [p for op, p in frames if op == 0x8]
    assert closes or closed, "no close frame and the connection stays open"
    if closes:
        assert len(closes[0]) >= 2, "close frame without a code"
        code = struct.unpack(">H", closes[0][:2])[0]
        assert code in codes, "close code %d, expected one of %s" % (
            code, codes)
    assert closed, "the TCP connection stays open after the close frame"


def with_rsv1(frame):
    return bytes([frame[0] | 0x40]) + frame[1:]


@pytest.mark.parametrize("frame", [
    bytes([0x81, 0x02]) + b"40",                    # unmasked text frame
    with_rsv1(masked_frame(0x1, b"40")),            # RSV1 without extension
    masked_frame(0x3, b"40"),                       # reserved opcode
    masked_frame(0x9, b"x" * 126),                  # control frame > 125
    masked_frame(0x9, b"ping", fin=False),          # fragmented control
], ids=["unmasked", "rsv-bits", "reserved-opcode", "long-ping",
        "fragmented-ping"])
def test_bad_websocket_frame_closes_1002(daemon, frame):
    d = daemon()
    watcher = RawWs(d)
    s, rest = ws_handshake(d)
    try:
        s.sendall(frame)
        expect_ws_close(s, rest, (1002,))
    finally:
        s.close()
    assert_still_serving(d, watcher)


def test_invalid_utf8_text_frame_closes_1007(daemon):
    d = daemon()
    watcher = RawWs(d)
    s, rest = ws_handshake(d)
    try:
        s.sendall(masked_frame(0x1, b"4\xff\xfe"))
        expect_ws_close(s, rest, (1007,))
    finally:
        s.close()
    assert_still_serving(d, watcher)


@pytest.mark.parametrize("packet", [
    "9",                       # no such Socket.IO packet type
    '2["unterminated',         # EVENT with broken JSON
    '2{"not":"an array"}',     # EVENT whose data is not an array
    "21-[\"x\"]",              # attachments on a plain EVENT
], ids=["bad-type", "bad-json", "not-array", "attachments-on-event"])
def test_invalid_socketio_packet_disconnects_that_client(daemon, packet):
    import websocket
    d = daemon()
    rpc = d.rpc()
    watcher = RawWs(d)
    bad = RawWs(d)
    bad.ws.send("4" + packet)
    with pytest.raises((ConnectionError, websocket.WebSocketException,
                        OSError)):
        # the daemon closes it: a close frame, an Engine.IO close, or EOF
        for _ in range(20):
            bad.recv_packet(timeout=5)
    wait_until(lambda: bad.sid not in session_sids(rpc), timeout=5,
               what="the bad client's socket to go")
    bad.close()
    assert watcher.sid in session_sids(rpc)
    assert_still_serving(d, watcher, rpc)


def polling_handshake(d, eio=4):
    r = requests.get(d.url + "/socket.io/?EIO=%d&transport=polling" % eio,
                     timeout=5)
    assert r.status_code == 200
    text = r.text
    if eio == 3:
        text = text.split(":", 1)[1]
    assert text.startswith("0")
    return json.loads(text[1:].split("\x1e")[0])


def test_oversized_polling_post(daemon):
    d = daemon("--max-http-buffer-size", "1000")
    watcher = RawWs(d)
    open_ = polling_handshake(d)
    assert open_["maxPayload"] == 1000
    sid = open_["sid"]
    body = b"4" + b"x" * 5000
    req = (b"POST /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
           b"Host: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\n"
           b"Content-Length: %d\r\n\r\n" % (sid.encode(), len(body)) + body)
    data, closed = raw_http(d, req, stop_at_response=True)
    assert data == b"" or status_of(data) == 413, data[:300]
    assert data or closed
    # a POST within the limit on a new session still works
    ok = polling_handshake(d)
    r = requests.post(
        d.url + "/socket.io/?EIO=4&transport=polling&sid=" + ok["sid"],
        data=b"40", headers={"Content-Type": "text/plain"}, timeout=5)
    assert r.status_code == 200
    assert_still_serving(d, watcher)


def test_oversized_websocket_message(daemon):
    import websocket
    d = daemon("--max-http-buffer-size", "1000")
    watcher = RawWs(d)
    big = RawWs(d)
    big.ws.send("42" + json.dumps(["big", "y" * 5000]))
    with pytest.raises((ConnectionError, websocket.WebSocketException,
                        OSError)):
        for _ in range(20):
            big.recv_packet(timeout=5)
    big.close()
    assert_still_serving(d, watcher)


def test_request_body_cut_short(daemon):
    d = daemon()
    watcher = RawWs(d)
    open_ = polling_handshake(d)
    s = socket.create_connection(d.addr, timeout=5)
    s.sendall(b"POST /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
              b"Host: x\r\nContent-Length: 100\r\n\r\n40" %
              open_["sid"].encode())
    s.close()  # the client goes away mid-body
    assert_still_serving(d, watcher)


def test_slowloris_does_not_block_others(daemon):
    d = daemon()
    watcher = RawWs(d)
    socks = []
    try:
        for _ in range(20):
            s = socket.create_connection(d.addr, timeout=5)
            s.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"
                      b"Host: x\r\n")  # never finishes the head
            socks.append(s)
        assert_still_serving(d, watcher)
        r = requests.get(d.url + "/socket.io/?EIO=4&transport=polling",
                         timeout=5)
        assert r.status_code == 200
    finally:
        for s in socks:
            s.close()

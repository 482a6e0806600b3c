# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""RFC 6455 conformance over raw sockets: an Engine.IO v4 WebSocket opened by
hand, then frames built byte by byte (so they can be malformed), each case
asserting the exact close code or echo the RFC requires. In the spirit of the
Autobahn testsuite's sections 1-7 and 9 (framing, pings, reserved bits,
opcodes, fragmentation, UTF-8, close handling, limits).

The daemon's answers used as echoes: a PING gets a PONG with the same payload
(5.5.2/5.5.3); the Socket.IO CONNECT "40" (optionally with an auth object) is
answered with a text frame "40{...}", which shows that a fragmented message
was reassembled and delivered."""

import base64
import json
import os
import socket
import struct
import time

import pytest

# ---------------------------------------------------------------------------
# a raw client


def frame(opcode, payload=b"", fin=True, rsv=0, mask=True, key=b"\x37\xfa\x21\x3d",
          length=None):
    """A client frame. `length` forces the length field (7/16/64-bit form
    chosen from it), for lying or oversized heads."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    head = bytes([b0])
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + masked


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


class Ws:
    """A raw Engine.IO v4 WebSocket: handshake done, the OPEN packet read."""

    def __init__(self, d, timeout=5.0):
        self.sock = socket.create_connection(d.addr, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            "Host: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
            % (d.host, d.port, key)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            assert chunk, "closed during the handshake"
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101 "), head
        op, fin, payload = self.recv_frame()
        assert (op, fin) == (1, True), (op, fin)
        assert payload.startswith(b"0{"), payload
        self.open = json.loads(payload[1:])

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may already have failed the connection

    def _need(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise AssertionError("timed out waiting for a frame")
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise EOFError("closed by the server")
            self.buf += chunk

    def recv_frame(self, timeout=5.0):
        """(opcode, fin, payload) of the next server frame, which must be
        unmasked and have no reserved bits."""
        deadline = time.monotonic() + timeout
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        assert b0 & 0x70 == 0, "server set RSV bits"
        assert b1 & 0x80 == 0, "server frames must not be masked"
        n, pos = b1 & 0x7F, 2
        if n == 126:
            self._need(4, deadline)
            n, pos = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, deadline)
            n, pos = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(pos + n, deadline)
        payload = self.buf[pos:pos + n]
        self.buf = self.buf[pos + n:]
        return b0 & 0x0F, bool(b0 & 0x80), payload

    def expect_close(self, code, timeout=5.0):
        """Reads (skipping data frames) up to the server's close frame and
        asserts its code (None: an empty close payload); then the server
        must close the TCP connection."""
        deadline = time.monotonic() + timeout
        while True:
            op, fin, payload = self.recv_frame(deadline - time.monotonic())
            if op == 8:
                break
            assert op in (1, 2, 9, 10), "unexpected opcode %d" % op
        if code is None:
            assert payload == b"", payload
        else:
            assert len(payload) >= 2, "close without a code: %r" % payload
            got = struct.unpack("!H", payload[:2])[0]
            assert got == code, "close code %d, expected %d (reason %r)" % (
                got, code, payload[2:])
            payload[2:].decode("utf-8")  # a reason must be UTF-8
        self.expect_eof(deadline - time.monotonic())
        return payload

    def expect_eof(self, timeout=5.0):
        deadline = time.monotonic() + max(timeout, 0.5)
        while True:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise AssertionError("server did not close the TCP connection")
            except ConnectionResetError:
                return
            if not chunk:
                return

    def expect_frame(self, opcode, payload=None, timeout=5.0):
        op, fin, got = self.recv_frame(timeout)
        assert fin, "server fragmented a frame"
        assert op == opcode, "opcode %d (%r), expected %d" % (op, got[:80],
                                                               opcode)
        if payload is not None:
            assert got == payload, "%r != %r" % (got[:80], payload[:80])
        return got

    def expect_connect_reply(self):
        got = self.expect_frame(1)
        assert got.startswith(b"40{"), got
        assert "sid" in json.loads(got[2:])

    def expect_silence(self, seconds=0.3):
        self.sock.settimeout(seconds)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return
        assert False, "unexpected bytes from the server: %r" % chunk[:80]

    def close(self):
        self.sock.close()


@pytest.fixture
def ws(daemon):
    d = daemon()
    opened = []

    def make():
        w = Ws(d)
        opened.append(w)
        return w

    make.daemon = d
    yield make
    for w in opened:
        w.close()
    d.assert_alive()


# ---------------------------------------------------------------------------
# 1. framing and the opening

def test_open_packet_is_one_unmasked_text_frame(ws):
    w = ws()
    assert w.open["upgrades"] == [] and w.open["sid"]


def test_text_message_split_across_tcp_writes(ws):
    w = ws()
    data = frame(1, "40")
    for i in range(len(data)):
        w.send(data[i:i + 1])
        time.sleep(0.005)
    w.expect_connect_reply()


def test_two_frames_in_one_write(ws):
    w = ws()
    w.send(frame(9, b"a") + frame(9, b"b"))
    w.expect_frame(10, b"a")
    w.expect_frame(10, b"b")


def test_16bit_length_message(ws):
    w = ws()
    auth = json.dumps({"pad": "x" * 300}).encode()
    w.send(frame(1, b"40" + auth))
    w.expect_connect_reply()


def test_64bit_length_with_top_bit_set_is_1002(ws):
    w = ws()
    w.send(b"\x81\xff" + b"\x80" + b"\x00" * 7 + b"\x00\x00\x00\x00")
    w.expect_close(1002)


# ---------------------------------------------------------------------------
# 2. pings and pongs

@pytest.mark.parametrize("payload", [b"", b"hello", bytes(range(125)),
                                     b"\xff\xfe\x00\x80"],
                         ids=["empty", "text", "125-bytes", "binary"])
def test_ping_is_answered_with_pong_echo(ws, payload):
    w = ws()
    w.send(frame(9, payload))
    w.expect_frame(10, payload)


def test_ping_split_byte_by_byte(ws):
    w = ws()
    data = frame(9, b"slow")
    for i in range(len(data)):
        w.send(data[i:i + 1])
        time.sleep(0.005)
    w.expect_frame(10, b"slow")


def test_unsolicited_pong_is_ignored(ws):
    w = ws()
    w.send(frame(10, b"unasked"))
    w.send(frame(1, "40"))
    w.expect_connect_reply()


def test_ping_over_125_bytes_is_1002(ws):
    w = ws()
    w.send(frame(9, b"x" * 126))
    w.expect_close(1002)


def test_fragmented_ping_is_1002(ws):
    w = ws()
    w.send(frame(9, b"a", fin=False))
    w.expect_close(1002)


def test_ten_pings_ten_pongs_in_order(ws):
    w = ws()
    w.send(b"".join(frame(9, b"p%d" % i) for i in range(10)))
    for i in range(10):
        w.expect_frame(10, b"p%d" % i)


# ---------------------------------------------------------------------------
# 3. reserved bits, 4. opcodes, masking

@pytest.mark.parametrize("rsv", [1, 2, 4, 7])
def test_reserved_bits_on_text_are_1002(ws, rsv):
    w = ws()
    w.send(frame(1, "40", rsv=rsv))
    w.expect_close(1002)


def test_reserved_bit_on_ping_is_1002(ws):
    w = ws()
    w.send(frame(9, b"x", rsv=4))
    w.expect_close(1002)


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_reserved_opcode_is_1002(ws, opcode):
    w = ws()
    w.send(frame(opcode, b"x"))
    w.expect_close(1002)


def test_reserved_opcode_after_a_good_message_is_1002(ws):
    w = ws()
    w.send(frame(1, "40") + frame(5, b""))
    w.expect_connect_reply()
    w.expect_close(1002)


def test_unmasked_text_frame_is_1002(ws):
    w = ws()
    w.send(frame(1, "40", mask=False))
    w.expect_close(1002)


def test_unmasked_ping_is_1002(ws):
    w = ws()
    w.send(frame(9, b"x", mask=False))
    w.expect_close(1002)


def test_zero_mask_key_is_fine(ws):
    w = ws()
    w.send(frame(1, "40", key=b"\x00\x00\x00\x00"))
    w.expect_connect_reply()


# ---------------------------------------------------------------------------
# 5. fragmentation

def test_fragmented_text_is_reassembled(ws):
    w = ws()
    w.send(frame(1, "4", fin=False) + frame(0, "0"))
    w.expect_connect_reply()


def test_fragments_one_byte_each(ws):
    w = ws()
    msg = b'40{"token":"abcdef"}'
    data = frame(1, msg[:1], fin=False)
    for i in range(1, len(msg) - 1):
        data += frame(0, msg[i:i + 1], fin=False)
    data += frame(0, msg[-1:])
    w.send(data)
    w.expect_connect_reply()


def test_empty_fragments(ws):
    w = ws()
    w.send(frame(1, b"", fin=False) + frame(0, b"4", fin=False) +
           frame(0, b"", fin=False) + frame(0, b"0") )
    w.expect_connect_reply()


def test_ping_between_fragments_is_answered_first(ws):
    w = ws()
    w.send(frame(1, "4", fin=False) + frame(9, b"mid") + frame(0, "0"))
    w.expect_frame(10, b"mid")
    w.expect_connect_reply()


def test_pings_between_every_fragment(ws):
    w = ws()
    msg = b'40{"a":1}'
    data = frame(1, msg[:1], fin=False)
    for i in range(1, len(msg)):
        data += frame(9, b"%d" % i)
        data += frame(0, msg[i:i + 1], fin=(i == len(msg) - 1))
    w.send(data)
    for i in range(1, len(msg)):
        w.expect_frame(10, b"%d" % i)
    w.expect_connect_reply()


def test_pong_between_fragments_is_ignored(ws):
    w = ws()
    w.send(frame(1, "4", fin=False) + frame(10, b"x") + frame(0, "0"))
    w.expect_connect_reply()


def test_fragments_split_across_tcp_writes(ws):
    w = ws()
    data = frame(1, "4", fin=False) + frame(9, b"z") + frame(0, "0")
    for i in range(0, len(data), 3):
        w.send(data[i:i + 3])
        time.sleep(0.005)
    w.expect_frame(10, b"z")
    w.expect_connect_reply()


def test_close_between_fragments_is_echoed(ws):
    w = ws()
    w.send(frame(1, "4", fin=False) + frame(8, close_payload(1000)))
    w.expect_close(1000)


def test_continuation_without_start_is_1002(ws):
    w = ws()
    w.send(frame(0, "40"))
    w.expect_close(1002)


def test_unfinished_continuation_without_start_is_1002(ws):
    w = ws()
    w.send(frame(0, "4", fin=False))
    w.expect_close(1002)


def test_new_text_inside_fragmented_text_is_1002(ws):
    w = ws()
    w.send(frame(1, "4", fin=False) + frame(1, "40"))
    w.expect_close(1002)


def test_new_binary_inside_fragmented_text_is_1002(ws):
    w = ws()
    w.send(frame(1, "4", fin=False) + frame(2, b"\x01", fin=False))
    w.expect_close(1002)


def test_continuation_after_finished_message_is_1002(ws):
    w = ws()
    w.send(frame(1, "4", fin=False) + frame(0, "0") + frame(0, "x"))
    w.expect_connect_reply()
    w.expect_close(1002)


# ---------------------------------------------------------------------------
# 6. UTF-8

@pytest.mark.parametrize("bad", [
    b"\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
    b"\x80", b"\xce",
], ids=["ff", "overlong-2", "overlong-3", "surrogate", "above-10ffff",
        "lone-continuation", "truncated"])
def test_invalid_utf8_text_is_1007(ws, bad):
    w = ws()
    w.send(frame(1, b"40" + bad))
    w.expect_close(1007)


def test_valid_utf8_split_across_fragments(ws):
    w = ws()
    msg = '40{"name":"\u03ba\u1f79\u03c3\u03bc\u03b5 \U0001f600"}'.encode()
    cut = msg.index(b"\xf0") + 2  # inside the 4-byte character
    w.send(frame(1, msg[:cut], fin=False) + frame(0, msg[cut:]))
    w.expect_connect_reply()


def test_invalid_utf8_fails_fast_in_first_fragment(ws):
    w = ws()
    # The rest of the message never comes: the first fragment is enough.
    w.send(frame(1, b"40\xed\xa0\x80", fin=False))
    w.expect_close(1007)


def test_invalid_utf8_in_later_fragment_is_1007(ws):
    w = ws()
    w.send(frame(1, b"40", fin=False) + frame(0, b"\xc0\xaf", fin=False))
    w.expect_close(1007)


def test_message_ending_inside_a_character_is_1007(ws):
    w = ws()
    w.send(frame(1, b"40\xe2\x82", fin=False) + frame(0, b""))
    w.expect_close(1007)


def test_binary_frames_are_not_utf8_checked(ws):
    w = ws()
    # Not an Engine.IO packet the session accepts before CONNECT, but no
    # 1007: whatever follows is the engine's business, not RFC 6455's.
    w.send(frame(2, b"\xff\xfe"))
    w.send(frame(9, b"still"))
    while True:
        op, fin, payload = w.recv_frame()
        if op == 10:
            assert payload == b"still"
            return
        if op == 8:
            assert struct.unpack("!H", payload[:2])[0] != 1007
            return
        assert op == 1, op  # e.g. a Socket.IO error packet


# ---------------------------------------------------------------------------
# 7. close handling

def test_empty_close_is_answered_and_tcp_closed(ws):
    w = ws()
    w.send(frame(8, b""))
    # 7.1.5: no status code; the answer is an empty close or 1000.
    op, fin, payload = w.recv_frame()
    assert op == 8 and payload in (b"", b"\x03\xe8"), payload
    w.expect_eof()


def test_close_1000_with_reason_is_echoed(ws):
    w = ws()
    w.send(frame(8, close_payload(1000, b"bye")))
    w.expect_close(1000)


def test_close_with_123_byte_reason_is_echoed(ws):
    w = ws()
    w.send(frame(8, close_payload(1000, b"r" * 123)))
    w.expect_close(1000)


def test_close_with_utf8_reason_is_echoed(ws):
    w = ws()
    w.send(frame(8, close_payload(1001, "\u03ba\u1f79\u03c3\u03bc\u03b5".encode())))
    w.expect_close(1001)


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1008, 1009,
                                  1010, 1011, 3000, 3999, 4000, 4999])
def test_valid_close_code_is_echoed(ws, code):
    w = ws()
    w.send(frame(8, close_payload(code)))
    w.expect_close(code)


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 1100,
                                  2000, 2999, 5000, 65535])
def test_invalid_close_code_is_1002(ws, code):
    w = ws()
    w.send(frame(8, close_payload(code)))
    w.expect_close(1002)


def test_close_with_one_byte_payload_is_1002(ws):
    w = ws()
    w.send(frame(8, b"\x03"))
    w.expect_close(1002)


def test_close_over_125_bytes_is_1002(ws):
    w = ws()
    w.send(frame(8, close_payload(1000, b"r" * 124)))
    w.expect_close(1002)


@pytest.mark.parametrize("bad", [b"\xff", b"\xed\xa0\x80", b"\xce"],
                         ids=["ff", "surrogate", "truncated"])
def test_invalid_utf8_close_reason_is_1007(ws, bad):
    w = ws()
    w.send(frame(8, close_payload(1000, b"ok" + bad)))
    w.expect_close(1007)


def test_fragmented_close_is_1002(ws):
    w = ws()
    w.send(frame(8, close_payload(1000), fin=False))
    w.expect_close(1002)


def test_frames_after_close_are_ignored(ws):
    w = ws()
    w.send(frame(8, close_payload(1000)) + frame(9, b"late") + frame(1, "40"))
    # Only the close echo, no pong and no CONNECT reply.
    op, fin, payload = w.recv_frame()
    assert op == 8 and payload[:2] == b"\x03\xe8", (op, payload)
    w.expect_eof()


def test_server_keeps_serving_after_protocol_errors(ws):
    bad = [frame(3, b""), frame(1, b"\xff"), frame(8, b"\x03")]
    for data in bad:
        w = ws()
        w.send(data)
        w.expect_close({3: 1002, 1: 1007, 8: 1002}[data[0] & 0x0F])
    w = ws()
    w.send(frame(1, "40"))
    w.expect_connect_reply()


# ---------------------------------------------------------------------------
# 9. limits: maxHttpBufferSize for frames and messages

@pytest.fixture
def small_ws(daemon):
    d = daemon("--max-http-buffer-size", "1000")
    opened = []

    def make():
        w = Ws(d)
        opened.append(w)
        return w

    yield make
    for w in opened:
        w.close()
    d.assert_alive()


def test_frame_at_limit_is_accepted(small_ws):
    w = small_ws()
    auth = b'{"p":"' + b"x" * (1000 - 2 - 8) + b'"}'
    msg = b"40" + auth
    assert len(msg) == 1000
    w.send(frame(1, msg))
    w.expect_connect_reply()


def test_frame_over_limit_is_1009(small_ws):
    w = small_ws()
    w.send(frame(1, b"40" + b"x" * 1000))
    w.expect_close(1009)


def test_frame_head_announcing_huge_length_is_1009(small_ws):
    w = small_ws()
    # Only the head: the server must not wait for (or buffer) 2^40 bytes.
    w.send(frame(2, b"", length=1 << 40)[:14])
    w.expect_close(1009)


def test_fragmented_message_over_limit_is_1009(small_ws):
    w = small_ws()
    w.send(frame(1, b"4" * 600, fin=False) + frame(0, b"0" * 600))
    w.expect_close(1009)

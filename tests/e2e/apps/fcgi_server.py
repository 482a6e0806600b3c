# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""fcgi_server: a small FastCGI responder over the standard library that
serves upstream_app.application and, unlike uwsgi, honours FCGI_KEEP_CONN
(the connection stays open for the next request), so the tests can see
socketiod reuse FastCGI connections.

    python3 fcgi_server.py PORT
"""
import io
import socket
import struct
import sys
import threading

import upstream_app

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT = 1, 2, 3, 4, 5, 6
KEEP_CONN = 1


def read_exact(f, n):
    data = f.read(n)
    if len(data) != n:
        raise EOFError
    return data


def records(f):
    while True:
        head = read_exact(f, 8)
        version, kind, rid, clen, pad, _ = struct.unpack(">BBHHBB", head)
        if version != 1:
            raise ValueError("bad version")
        content = read_exact(f, clen)
        read_exact(f, pad)
        yield kind, rid, content


def params(data):
    out, p = {}, 0
    while p < len(data):
        lens = []
        for _ in range(2):
            n = data[p]
            if n >> 7:
                n = struct.unpack(">I", data[p:p + 4])[0] & 0x7fffffff
                p += 4
            else:
                p += 1
            lens.append(n)
        name = data[p:p + lens[0]].decode("latin-1")
        p += lens[0]
        out[name] = data[p:p + lens[1]].decode("latin-1")
        p += lens[1]
    return out


def record(kind, rid, content=b""):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", 1, kind, rid, len(content), pad, 0) + \
        content + b"\0" * pad


def serve(conn):
    f = conn.makefile("rb")
    keep, env, body = False, b"", b""
    try:
        for kind, rid, content in records(f):
            if kind == BEGIN:
                keep = bool(content[2] & KEEP_CONN)
                env, body = b"", b""
            elif kind == PARAMS:
                env += content
            elif kind == STDIN and content:
                body += content
            elif kind == STDIN:
                environ = params(env)
                environ["wsgi.input"] = io.BytesIO(body)
                got = {}

                def start_response(status, headers):
                    got["status"], got["headers"] = status, headers
                data = b"".join(upstream_app.application(environ,
                                                         start_response))
                head = "Status: %s\r\n" % got["status"] + "".join(
                    "%s: %s\r\n" % h for h in got["headers"]) + "\r\n"
                out = head.encode() + data
                conn.sendall(record(STDOUT, rid, out) + record(STDOUT, rid) +
                             record(END, rid, b"\0" * 8))
                if not keep:
                    break
    except (EOFError, OSError, ValueError):
        pass
    finally:
        conn.close()


def main(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(64)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main(int(sys.argv[1]))

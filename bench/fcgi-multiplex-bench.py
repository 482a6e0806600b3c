# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""fcgi-multiplex-bench: N sessions long-polling as multiplexed requests on
ONE FastCGI connection; one RPC broadcast answers them all. Not a test.

    /usr/bin/python3 bench/fcgi-multiplex-bench.py 5000   (after a build)
"""
import sys, time, os, json, socket, subprocess, tempfile
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'e2e'))
from bridge_lib import *
N = int(sys.argv[1])
RPC = os.path.join(tempfile.mkdtemp(prefix='siod-bench-'), 'rpc.sock')  # a private directory
p = subprocess.Popen([os.path.join(ROOT, 'build', 'socketiod'), '--fcgi', '127.0.0.1:19411', '--listen', '127.0.0.1:19410', '--rpc', RPC, '--ping-interval', '600000'], stderr=subprocess.DEVNULL)
time.sleep(0.5)
try:
    def rss():
        return int([l for l in open('/proc/%d/status' % p.pid) if l.startswith('VmRSS')][0].split()[1])
    r0 = rss()
    fc = FcgiConn(("127.0.0.1", 19411))
    t = time.monotonic()
    for i in range(N):
        fc.request(i + 1, "GET", "/socket.io/?EIO=4&transport=polling")
    sids = [eio_open(fc.response(i + 1).parsed()[2])["sid"] for i in range(N)]
    for i, sid in enumerate(sids):
        fc.request(20000 + i, "GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid)
        fc.request(40000 + i, "POST", "/socket.io/?EIO=4&transport=polling&sid=" + sid, body=b"40")
    for i in range(N):
        fc.response(20000 + i); fc.response(40000 + i)
    t1 = time.monotonic()
    for i, sid in enumerate(sids):
        fc.responses[20000 + i] = Response()
        fc.request(20000 + i, "GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid)
    time.sleep(1)
    r1 = rss()
    s = socket.socket(socket.AF_UNIX); s.connect(RPC)
    t2 = time.monotonic()
    s.sendall(b'{"id":1,"method":"emit","params":{"event":"x","args":[1]}}\n')
    print(s.recv(1000))
    for i in range(N):
        assert fc.response(20000 + i).parsed()[2] == b'42["x",1]'
    t3 = time.monotonic()
    print("N=%d setup %.2fs (handshake+connect), %d polls held on ONE FastCGI connection, broadcast to all answered in %.0f ms; RSS %d KB -> %d KB (%.2f KB/held poll+session)" % (N, t1 - t, N, (t3 - t2) * 1000, r0, r1, (r1 - r0) / N))
finally:
    p.terminate(); p.wait()

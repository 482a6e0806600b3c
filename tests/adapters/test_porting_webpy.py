"""Porting webpy-socketio: its README's app module runs as written with
``run(app)`` in place of SocketIOServer (issue 15, item 9).

From the README:

    from webpy_socketio import *
    urls += socketio_urls
    app = web.application(urls, globals())
    SOCKETIO_HOST = ""
    SOCKETIO_PORT = 8000

and, in a Mako template, the client scripts.
"""
import os
import socket
import subprocess
import sys
import urllib.request

import pytest

from e2e_lib import PyHandle, daemon_command, free_port, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

MAIN_APP = '''
import sys
import web
from webpy_socketio import *

urls = ("/", "index")
urls += socketio_urls


class index:
    def GET(self):
        return socketio_scripts()


@on_message
def echo(request, socket, context, message):
    socket.send(message)


app = web.application(urls, globals())

SOCKETIO_HOST = ""
SOCKETIO_PORT = int(sys.argv[2])

if __name__ == "__main__":
    run(app, "127.0.0.1", int(sys.argv[1]))
'''


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_module_level_socketio_port_is_honoured(tmp_path):
    web_port, sio_port = free_port(), free_port()
    (tmp_path / "main_app.py").write_text(MAIN_APP)
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "adapters"),
               SOCKETIOD=daemon_command()[0], PYTHONUNBUFFERED="1",
               SOCKETIOD_RPC=str(tmp_path / "rpc.sock"))
    for k in ("SOCKETIO_PORT", "SOCKETIO_HOST", "SOCKETIOD_UPSTREAM_SECRET"):
        env.pop(k, None)
    out = tmp_path / "app.out"
    p = subprocess.Popen([sys.executable, str(tmp_path / "main_app.py"),
                          str(web_port), str(sio_port)], cwd=str(tmp_path),
                         env=env, stdout=open(out, "wb"),
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: p.poll() is None and accepts(web_port) and
                   accepts(sio_port), timeout=30,
                   what="the app and socketiod on SOCKETIO_PORT (%s)"
                   % out.read_text(errors="replace"))
        page = urllib.request.urlopen(
            "http://127.0.0.1:%d/" % web_port, timeout=10).read().decode()
        assert "//127.0.0.1:%d/socket.io/socket.io.js" % sio_port in page
        c = PyHandle()
        try:
            c.connect("http://127.0.0.1:%d" % sio_port)
            c.emit("message", "hi")
            assert c.wait_event("message") == ["hi"]
        finally:
            c.close()
    finally:
        os.killpg(p.pid, 15)
        p.wait(15)


def test_mako_template_with_the_one_import_line():
    """porting.md's Mako line: the import, then ${socketio_scripts()}."""
    mako = pytest.importorskip("mako.template")
    t = mako.Template(
        "<%! from webpy_socketio import socketio_scripts %>"
        "<head>${socketio_scripts('example.org')}</head>")
    html = t.render()
    assert "//example.org:9000/socket.io/socket.io.js" in html

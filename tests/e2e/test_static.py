"""The client bundle at <path>socket.io.js."""

import os

import requests

FAKE_BUNDLE = b"""/* test bundle */
(function (root) {
  root.io = function () {};
  root.io.Socket = function () {};
  root.io.Socket.prototype.subscribe = function (channel, ack) {};
})(this);
"""


def test_client_js_is_served(daemon, tmp_path):
    bundle = os.environ.get("SOCKETIOD_CLIENT_JS")
    if not bundle:
        bundle = tmp_path / "socket.io.js"
        bundle.write_bytes(FAKE_BUNDLE)
    with open(bundle, "rb") as f:
        body = f.read()
    d = daemon(client_js=str(bundle))
    r = requests.get(d.url + "/socket.io/socket.io.js", timeout=5)
    assert r.status_code == 200
    ctype = r.headers.get("Content-Type", "")
    assert "javascript" in ctype, ctype
    assert r.content == body
    assert b"subscribe" in r.content
    # served again on the same keep-alive connection, and Engine.IO still
    # answers beside it
    with requests.Session() as s:
        assert s.get(d.url + "/socket.io/socket.io.js",
                     timeout=5).content == body
        h = s.get(d.url + "/socket.io/?EIO=4&transport=polling", timeout=5)
        assert h.status_code == 200 and h.text.startswith("0{")


def test_unknown_path_is_404(daemon):
    d = daemon()
    r = requests.get(d.url + "/no/such/thing", timeout=5)
    assert r.status_code == 404

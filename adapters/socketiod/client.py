# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The client snippet pages include: socketiod's socket.io.js (socket.io-client
4 with ``socket.subscribe()``) plus the compatibility of the old projects:
django-socketio's / webpy-socketio's ``new io.Socket(); socket.connect()``
and django-realtime's ``io.connect(null)``, both reaching the daemon."""
import html
import json

SNIPPET = """<script src="%(src)s"></script>
<script>
(function () {
    var url = %(url)s;
    if (url.indexOf("//") === 0) url = window.location.protocol + url;
    var Socket = io.Socket;
    var Compat = function (host, options) {
        options = options || {};
        var target = url;
        if (host) target = (host.indexOf("//") < 0 ? window.location.protocol + "//" : "") +
            host + ":" + (options.port || %(port)d);
        var opts = {autoConnect: false, withCredentials: true};
        for (var k in options) if (k !== "port") opts[k] = options[k];
        return io(target, opts);
    };
    Compat.prototype = Socket.prototype;
    for (var name in Socket) Compat[name] = Socket[name];
    io.Socket = Compat;
    var connect = io.connect;
    io.connect = function (target, options) {
        if (target && typeof target === "object") { options = target; target = null; }
        options = options || {};
        if (options.withCredentials === undefined) options.withCredentials = true;
        return connect.call(this, target || url, options);
    };
    io.SOCKETIO_URL = url;
})();
</script>
"""


def scripts_html(url, port):
    """The snippet for a daemon at ``url`` (e.g. ``//example.org:9000``;
    a URL starting with ``//`` takes the page's scheme)."""
    url = url.rstrip("/")
    return SNIPPET % {"src": html.escape(url + "/socket.io/socket.io.js"),
                      "url": json.dumps(url).replace("<", "\\u003c"),
                      "port": int(port)}

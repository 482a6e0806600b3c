"""Fixtures and time limits of the end-to-end suite (helpers: e2e_lib.py).

Each test starts its own socketiod on a free loopback port with a private
control socket, drives it with the official clients (socket.io-client 4.x and
2.x through tests/e2e/node/client.js, and the python-socketio client) and
with raw sockets, and checks what a user would see.

Environment:
  SOCKETIOD               the daemon to run (default build/socketiod, then
                          ./socketiod); may be a command line ("node x.js")
  SOCKETIOD_CLIENT_JS     passed as --client-js when set
  SOCKETIOD_NODE_MODULES  node_modules with socket.io-client (4.x) and
                          socket.io-client-v2 (default tests/node_modules)
  SOCKETIOD_EXT           the socketiod client extension for the node driver
                          (default sidecar/client/socketiod-ext.js)
  SOCKETIOD_E2E_TIMEOUT   default per-test time limit in seconds (60)

Run with:  /usr/bin/python3 -m pytest tests/e2e
"""
import os

import pytest

from e2e_lib import (Daemon, NodeClient, NodeHandle, PyHandle, free_port,
                     time_limit)

DEFAULT_TIMEOUT = int(os.environ.get("SOCKETIOD_E2E_TIMEOUT", "60"))
SETUP_TIMEOUT = 40
TEARDOWN_TIMEOUT = 40

# ---------------------------------------------------------------------------
# per-test time limits (pytest-timeout is not available)

def pytest_configure(config):
    config.addinivalue_line(
        "markers", "timeout(seconds): time limit of the test's call phase")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    with time_limit(SETUP_TIMEOUT, "setup of " + item.nodeid):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    m = item.get_closest_marker("timeout")
    seconds = int(m.args[0]) if m else DEFAULT_TIMEOUT
    with time_limit(seconds, item.nodeid):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    with time_limit(TEARDOWN_TIMEOUT, "teardown of " + item.nodeid):
        yield


# ---------------------------------------------------------------------------
# fixtures

@pytest.fixture
def daemon(tmp_path):
    """Factory: daemon(*extra_args, client_js=None) -> a started Daemon.

    Every daemon is stopped at teardown; the test fails when one crashed,
    exited non-zero, did not stop on SIGTERM or printed a sanitizer
    report."""
    made = []

    def start(*args, client_js=None, name=None):
        d = Daemon(tmp_path, args, name=name or "socketiod%d" % len(made),
                   client_js=client_js)
        made.append(d)
        d.start()
        return d

    yield start
    problems = []
    for d in made:
        problems += d.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def front(daemon):
    """A daemon with a FastCGI and an SCGI front on free ports."""
    fport, sport = free_port(), free_port()
    d = daemon("--fcgi", "127.0.0.1:%d" % fport,
               "--scgi", "127.0.0.1:%d" % sport, "--ping-interval", "60000")
    d.fcgi = ("127.0.0.1", fport)
    d.scgi = ("127.0.0.1", sport)
    return d


@pytest.fixture
def node(tmp_path):
    """node(flavour) -> the test's NodeClient for "v4" or "v2" (one process
    per flavour per test, closed at teardown)."""
    procs = {}

    def get(flavour):
        if flavour not in procs:
            procs[flavour] = NodeClient(flavour, tmp_path)
        return procs[flavour]

    yield get
    for p in procs.values():
        p.close()


@pytest.fixture
def clients(node, tmp_path):
    """clients(kind, daemon, namespace="/", mode="websocket", auth=None,
    ack_reply=None) -> a connected Handle of a "v4", "v2" or "py" client."""
    made = []
    counter = [0]

    def connect(kind, d, namespace="/", mode="websocket", auth=None,
                ack_reply=None, **kw):
        counter[0] += 1
        if kind == "py":
            h = PyHandle(tmp_path)
        else:
            h = NodeHandle(node(kind), "%s-%d" % (kind, counter[0]))
        made.append(h)
        return h.connect(d.url, namespace=namespace, mode=mode, auth=auth,
                         ack_reply=ack_reply, **kw)

    yield connect
    for h in made:
        if isinstance(h, PyHandle):
            h.close()

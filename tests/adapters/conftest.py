"""Fixtures of the adapter tests: the real daemon (tests/e2e's Daemon), a
real Django served in-process by Django's own threaded WSGI server, and
the official clients (tests/e2e/node/client.js, python-socketio).

Environment: as tests/e2e (SOCKETIOD, SOCKETIOD_CLIENT_JS, ...).
Run with:  /usr/bin/python3 -m pytest tests/adapters
"""
import os
import sys
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO / "adapters"), str(HERE), str(REPO / "tests" / "e2e")]

from e2e_lib import (Daemon, NodeClient, NodeHandle, PyHandle,  # noqa: E402
                     free_port, time_limit)

SECRET = "adapter-tests-secret"
os.environ["SOCKETIOD_UPSTREAM_SECRET"] = SECRET
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djproject.settings")
# In-process Django answers upstream requests from its server threads.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")

CALL_TIMEOUT = 60
PHASE_TIMEOUT = 60


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    with time_limit(PHASE_TIMEOUT, "setup of " + item.nodeid):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    with time_limit(CALL_TIMEOUT, item.nodeid):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    with time_limit(PHASE_TIMEOUT, "teardown of " + item.nodeid):
        yield


# ---------------------------------------------------------------------------
# Django, once per session

class DjangoServer:
    """The test project served by Django's ThreadedWSGIServer (what
    runserver uses: HTTP/1.1, keep-alive)."""

    def __init__(self, tmpdir):
        os.environ["ADAPTER_TEST_DB"] = str(tmpdir / "db.sqlite3")
        import django
        django.setup()
        from django.core.management import call_command
        call_command("migrate", verbosity=0, interactive=False)
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.servers.basehttp import (ThreadedWSGIServer,
                                                  WSGIRequestHandler)

        class Quiet(WSGIRequestHandler):
            def log_message(self, *a):
                pass
        self.port = free_port()
        self.httpd = ThreadedWSGIServer(("127.0.0.1", self.port), Quiet,
                                        allow_reuse_address=True)
        self.httpd.daemon_threads = True
        self.httpd.set_app(WSGIHandler())
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def url(self, path=""):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def django_server(tmp_path_factory):
    srv = DjangoServer(tmp_path_factory.mktemp("django"))
    yield srv
    srv.close()


@pytest.fixture
def calls():
    """The testapp's record of handler calls, emptied for each test."""
    from djproject.testapp import events
    del events.CALLS[:]
    return events.CALLS


@pytest.fixture
def daemon(tmp_path, django_server):
    """daemon(path="/socketio/events", *args) -> a started socketiod whose
    --upstream is the in-process Django; SOCKETIOD_RPC points at it."""
    from django.conf import settings
    made = []

    def start(path="/socketio/events", *args):
        d = Daemon(tmp_path, ["--upstream", django_server.url(path)]
                   + list(args), name="socketiod%d" % len(made))
        made.append(d)
        d.start()
        settings.SOCKETIOD_RPC = d.rpc_path
        return d

    yield start
    problems = []
    for d in made:
        problems += d.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def node(tmp_path):
    procs = {}

    def get(flavour="v4"):
        if flavour not in procs:
            procs[flavour] = NodeClient(flavour, tmp_path)
        return procs[flavour]

    yield get
    for p in procs.values():
        p.close()


@pytest.fixture
def clients(node, tmp_path):
    """clients(kind, daemon, **connect options) -> a connected handle of a
    "v4", "v2" or "py" client (extra_opts go to io())."""
    made = []
    n = [0]

    def connect(kind, d, **kw):
        n[0] += 1
        h = PyHandle(tmp_path) if kind == "py" else \
            NodeHandle(node(kind), "%s-%d" % (kind, n[0]))
        made.append(h)
        return h.connect(d.url, **kw)

    yield connect
    for h in made:
        if isinstance(h, PyHandle):
            h.close()

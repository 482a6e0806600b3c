"""Porting: the development runners (issue 15, item 8).

django-socketio's README: ``python manage.py runserver_socketio
host:port``; django-realtime's: ``python manage.py rungevent
[interface:port]`` ("Interface and port part is optional, it defaults to
localhost and 8000 ... enter ``0`` as interface, like this: ``python
manage.py rungevent 0:8000``"), the address of the site's pages.
"""
import os
import signal
import socket
import subprocess
import sys

import pytest

from e2e_lib import Daemon, PyHandle, daemon_command, free_port, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def children(pid):
    out = []
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/children" % (pid, task)) as f:
            out += [int(x) for x in f.read().split()]
    return out


@pytest.fixture
def manage(tmp_path):
    """manage(*argv, env_extra) -> a manage.py of the test project run in
    its own process group (killed at teardown)."""
    import shutil
    shutil.copytree(os.path.join(HERE, "djproject"), tmp_path / "djproject",
                    ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    procs = []

    def run(*argv, env_extra=None):
        env = dict(os.environ)
        env.update({
            "PYTHONPATH": os.path.join(REPO, "adapters"),
            "SOCKETIOD": daemon_command()[0],
            "DJANGO_SOCKETIOD_RPC": str(tmp_path / "rpc.sock"),
            "ADAPTER_TEST_DB": str(tmp_path / "db.sqlite3"),
            "DJANGO_SETTINGS_MODULE": "djproject.settings",
            "PYTHONUNBUFFERED": "1",
        })
        for k in ("RUN_MAIN", "SOCKETIOD_UPSTREAM_SECRET"):
            env.pop(k, None)
        env.update(env_extra or {})
        out = tmp_path / ("run%d.out" % len(procs))
        p = subprocess.Popen([sys.executable,
                              str(tmp_path / "djproject" / "manage.py")]
                             + list(argv), cwd=str(tmp_path), env=env,
                             stdout=open(out, "wb"), stderr=subprocess.STDOUT,
                             start_new_session=True)
        p.out = lambda: out.read_text(errors="replace")
        procs.append(p)
        return p

    run.dir = tmp_path
    yield run
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(5)


def test_collision_on_the_control_socket_stops_with_a_message(manage):
    other = Daemon(manage.dir, [], name="other")
    other.rpc_path = str(manage.dir / "rpc.sock")
    other.start()
    try:
        p = manage("runserver_socketio", "127.0.0.1:%d" % free_port(),
                   "--django", "127.0.0.1:%d" % free_port(), "--noreload")
        assert p.wait(30) != 0
        assert "another socketiod already answers on the control socket" \
            in p.out(), p.out()
        other.assert_alive()
        r = other.rpc()
        assert r.call("stats") is not None
    finally:
        assert not other.stop()
    # nothing of ours left behind: no secret file
    assert not [f for f in os.listdir(manage.dir)
                if f.startswith("socketiod-secret-")]


def test_noreload_with_the_port_taken_leaves_no_daemon(manage):
    sio = free_port()
    taken = socket.socket()
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        p = manage("runserver_socketio", "127.0.0.1:%d" % sio, "--django",
                   "127.0.0.1:%d" % taken.getsockname()[1], "--noreload")
        p.wait(40)
        assert "socketiod on http://127.0.0.1:%d/" % sio in p.out(), p.out()
        # the runner is gone; its daemon must be too
        wait_until(lambda: not accepts(sio), timeout=10,
                   what="the daemon to end with its runner")
    finally:
        taken.close()


def test_rungevent_address_is_the_django_one(manage):
    dj, sio = free_port(), free_port()
    p = manage("rungevent", "0:%d" % dj, "--noreload",
               env_extra={"ADAPTER_SOCKETIO_PORT": str(sio)})
    wait_until(lambda: accepts(dj) and accepts(sio), timeout=40,
               what="the dev server on 0:%d and socketiod on %d" % (dj, sio))
    c = PyHandle()
    try:
        # the connect went to realtime's endpoint on the dev server, which
        # allowed it
        c.connect("http://127.0.0.1:%d" % sio)
        assert c.sid
    finally:
        c.close()
    os.kill(p.pid, signal.SIGTERM)
    p.wait(15)


def test_runner_names_its_binary_and_restarts_a_dead_daemon(manage):
    dj, sio = free_port(), free_port()
    p = manage("runserver_socketio", "127.0.0.1:%d" % sio, "--django",
               "127.0.0.1:%d" % dj, "--noreload")
    wait_until(lambda: accepts(dj) and accepts(sio), timeout=40,
               what="the runner")
    binary = daemon_command()[0]
    version = subprocess.run([binary, "--version"], capture_output=True,
                             text=True).stdout.split("\n")[0].strip()
    assert "%s, %s" % (version, binary) in p.out(), p.out()
    daemons = [c for c in children(p.pid)
               if os.readlink("/proc/%d/exe" % c) == os.path.realpath(binary)]
    assert len(daemons) == 1, daemons
    os.kill(daemons[0], signal.SIGKILL)
    wait_until(lambda: "starting it again" in p.out(), timeout=15,
               what="the runner to notice")
    wait_until(lambda: accepts(sio), timeout=15, what="the new daemon")
    c = PyHandle()
    try:
        c.connect("http://127.0.0.1:%d" % sio)
        assert c.emit("whoami", ack=True) == [None, None]
    finally:
        c.close()
    assert p.poll() is None
    os.kill(p.pid, signal.SIGTERM)
    p.wait(15)
    wait_until(lambda: not accepts(sio), timeout=10, what="the daemon gone")

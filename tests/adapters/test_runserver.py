"""manage.py runserver_socketio: starts socketiod wired to the project and
the dev server, reloads the app while sockets stay connected, and stops
everything on SIGTERM or Ctrl-C."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from e2e_lib import PyHandle, daemon_command, free_port, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture
def project(tmp_path):
    """A copy of the test project (so a test may edit it)."""
    shutil.copytree(os.path.join(HERE, "djproject"), tmp_path / "djproject",
                    ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    return tmp_path


@pytest.fixture
def runner(project):
    procs = []

    def start(*args, command="runserver_socketio", env_extra=None):
        sio_port, dj_port = free_port(), free_port()
        env = dict(os.environ)
        env.update({
            "PYTHONPATH": os.path.join(REPO, "adapters"),
            "SOCKETIOD": daemon_command()[0],
            "DJANGO_SOCKETIOD_RPC": str(project / "rpc.sock"),
            "ADAPTER_TEST_DB": str(project / "db.sqlite3"),
            "DJANGO_SETTINGS_MODULE": "djproject.settings",
            "PYTHONUNBUFFERED": "1",
        })
        env.pop("RUN_MAIN", None)
        env.update(env_extra or {})
        out = open(project / ("%s.out" % command), "wb")
        where = (["127.0.0.1:%d" % dj_port, "--socketio",
                  "127.0.0.1:%d" % sio_port] if command == "rungevent" else
                 ["127.0.0.1:%d" % sio_port, "--django",
                  "127.0.0.1:%d" % dj_port])
        p = subprocess.Popen(
            [sys.executable, str(project / "djproject" / "manage.py"),
             command] + where + list(args),
            cwd=str(project), env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        p.out_path = project / ("%s.out" % command)
        procs.append(p)

        def up():
            if p.poll() is not None:
                raise RuntimeError("the runner exited:\n" + p.out_path.read_text(
                    errors="replace"))
            return accepts(sio_port) and accepts(dj_port)
        try:
            wait_until(up, timeout=30, what="socketiod and the dev server")
        except AssertionError:
            raise AssertionError(p.out_path.read_text(errors="replace"))
        return p, sio_port, dj_port

    yield start
    for p in procs:
        if group_alive(p.pid):
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(5)


def stop_and_check(p, sig, ports):
    os.kill(p.pid, sig)
    try:
        p.wait(15)
    except subprocess.TimeoutExpired:
        raise AssertionError("runserver_socketio did not exit on %s:\n%s"
                             % (sig, p.out_path.read_text(errors="replace")))
    wait_until(lambda: not group_alive(p.pid), timeout=10,
               what="every process of the runner to exit")
    for port in ports:
        assert not accepts(port)


def test_runserver_socketio_reloads_and_stops_on_sigterm(runner, project):
    p, sio_port, dj_port = runner()
    c = PyHandle()
    try:
        c.connect("http://127.0.0.1:%d" % sio_port)
        assert c.emit("whoami", ack=True) == [None, None]
        # edit a handler: the dev server reloads, the socket stays
        ev = project / "djproject" / "testapp" / "events.py"
        src = ev.read_text().replace(
            'request.COOKIES.get("flavour"))', '"reloaded")')
        assert '"reloaded"' in src
        time.sleep(1.1)  # a new mtime for the stat reloader
        ev.write_text(src)
        wait_until(lambda: c.emit("whoami", ack=True) == [None, "reloaded"],
                   timeout=30, interval=0.5, what="the reloaded handler")
        sid = c.sid
        assert c.sid == sid and c.sio.connected
    finally:
        c.close()
    out = p.out_path.read_text(errors="replace")
    assert "socketiod on http://127.0.0.1:%d/" % sio_port in out
    stop_and_check(p, signal.SIGTERM, [sio_port, dj_port])
    assert not os.path.exists(project / "rpc.sock")


def test_rungevent_noreload_message_log_stops_on_ctrl_c(runner, project):
    """rungevent, without reload, passing SOCKETIO_MESSAGE_LOG_FORMAT on."""
    p, sio_port, dj_port = runner("--noreload", command="rungevent",
                                  env_extra={"ADAPTER_LOG_FORMAT":
                                             "%(REMOTE_ADDR)s %(MESSAGE)s"})
    from socketiod import RpcClient
    rpc = RpcClient(str(project / "rpc.sock"))
    c = PyHandle()
    try:
        c.connect("http://127.0.0.1:%d" % sio_port)
        c.emit("message", "logged")
        stats = wait_until(lambda: (lambda s: s["messages_logged"] >= 1
                                    and s)(rpc.stats()), what="a log row")
        assert stats["message_log"].startswith(str(project))
    finally:
        c.close()
        rpc.close()
    stop_and_check(p, signal.SIGINT, [sio_port, dj_port])

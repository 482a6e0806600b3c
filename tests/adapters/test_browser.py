"""Headless Chromium (playwright-core) on the example chat apps: two
pages join a room, talk, see each other's messages, the join and leave
notices and an out-of-band system message. Each app starts with its one
README command. Screenshots are kept in tests/artifacts/ (or
$SOCKETIOD_ARTIFACTS)."""
import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from e2e_lib import daemon_command, free_port, node_modules_dir, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CHROMIUM = os.environ.get("SOCKETIOD_CHROMIUM", "/usr/bin/chromium")


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def artifacts():
    d = os.environ.get("SOCKETIOD_ARTIFACTS",
                       os.path.join(REPO, "tests", "artifacts"))
    os.makedirs(d, exist_ok=True)
    return d


def need_browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("no %s (apt-get install chromium)" % CHROMIUM)
    if not os.path.isdir(os.path.join(node_modules_dir(), "playwright-core")):
        pytest.skip("no playwright-core in tests/node_modules (npm ci)")


def run_app(tmp_path, argv, env_extra, ports):
    env = dict(os.environ)
    env.update(env_extra)
    env.update({"SOCKETIOD": daemon_command()[0], "PYTHONUNBUFFERED": "1"})
    for k in ("RUN_MAIN", "DJANGO_SETTINGS_MODULE", "DJANGO_SOCKETIOD_RPC",
              "SOCKETIOD_UPSTREAM_SECRET"):
        env.pop(k, None)
    out = open(tmp_path / "app.out", "wb")
    p = subprocess.Popen([sys.executable] + argv, cwd=str(tmp_path), env=env,
                         stdout=out, stderr=subprocess.STDOUT,
                         start_new_session=True)

    def up():
        if p.poll() is not None:
            raise RuntimeError((tmp_path / "app.out").read_text())
        return all(accepts(x) for x in ports)
    wait_until(up, timeout=40, what="the example app")
    return p


def stop_app(p):
    try:
        os.kill(p.pid, signal.SIGTERM)
        p.wait(15)
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def drive(app, base, tmp_path):
    env = dict(os.environ, NODE_PATH=node_modules_dir())
    cfg = {"base": base, "app": app, "shots": artifacts(),
           "chromium": CHROMIUM}
    r = subprocess.run(["node", os.path.join(HERE, "browser", "chat.js"),
                        json.dumps(cfg)], env=env, capture_output=True,
                       timeout=90)
    lines = r.stdout.decode(errors="replace").strip().splitlines()
    res = json.loads(lines[-1]) if lines else {"ok": False}
    assert r.returncode == 0 and res["ok"], "browser: %s\nstderr: %s\napp:\n%s" % (
        json.dumps(res, indent=1), r.stderr.decode(errors="replace")[-3000:],
        (tmp_path / "app.out").read_text(errors="replace")[-3000:])
    for shot in res["shots"]:
        assert os.path.getsize(shot) > 1000
    return res


def test_example_django_chat_in_chromium(tmp_path):
    need_browser()
    sio, web = free_port(), free_port()
    p = run_app(tmp_path, [os.path.join(REPO, "adapters", "example_django",
                                        "run.py"),
                           "127.0.0.1:%d" % sio, "--django",
                           "127.0.0.1:%d" % web],
                {"EXAMPLE_DB": str(tmp_path / "db.sqlite3"),
                 "SOCKETIOD_RPC": str(tmp_path / "rpc.sock"),
                 "SOCKETIO_PORT": str(sio)}, [sio, web])
    try:
        res = drive("django", "http://127.0.0.1:%d" % web, tmp_path)
        assert "ann: joins" in res["messages"]
    finally:
        stop_app(p)


def test_example_webpy_chat_in_chromium(tmp_path):
    need_browser()
    sio, web = free_port(), free_port()
    p = run_app(tmp_path, [os.path.join(REPO, "adapters", "example_webpy",
                                        "main_app.py"), str(web)],
                {"EXAMPLE_DB": str(tmp_path / "chat.sqlite3"),
                 "SOCKETIOD_RPC": str(tmp_path / "rpc.sock"),
                 "SOCKETIO_PORT": str(sio)}, [sio, web])
    try:
        res = drive("webpy", "http://127.0.0.1:%d" % web, tmp_path)
        assert "alice: joins" in res["messages"]
    finally:
        stop_app(p)

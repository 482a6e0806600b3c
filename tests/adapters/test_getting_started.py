"""docs/getting-started.md, followed word for word: each test builds the
page's app in a temporary directory from the page's own code blocks (the
files it shows, the commands it runs; only the ports 8000, 8080 and 9000
become free ones), starts it as the page says, and checks what a user
would: the page carries the client script from socketiod, a client with
the page's Origin connects, subscribes, is welcomed, posts a note that
every subscriber gets with its ack, receives the server's broadcast from
another process, a page of another origin is refused, and the page's own
check.py prints what the page says it prints.

`socketiod` and `python3` are put on PATH as the page assumes (the daemon
from $SOCKETIOD with the build's client script, Debian's Python)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from e2e_lib import daemon_command, free_port, node_modules_dir, wait_until
from test_porting_browser import CHROMIUM, Browser

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "getting-started.md"

socketio = pytest.importorskip("socketio")


def section(title):
    """The text of the page's section `## <title>...` up to the next."""
    text = DOC.read_text()
    m = re.search(r"^## %s.*?$(.*?)(?=^## |\Z)" % re.escape(title), text,
                  re.M | re.S)
    assert m, "getting-started.md has no section %r" % title
    return m.group(1)


def blocks(text):
    """(language, body) of each fenced code block."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, re.M | re.S)


class Page:
    """Builds and runs one section of the page in `root`."""

    def __init__(self, root, ports):
        self.root = Path(root)
        self.cwd = self.root
        self.ports = ports
        self.procs = []
        bindir = self.root / "bin"
        bindir.mkdir()
        (bindir / "python3").symlink_to("/usr/bin/python3")
        client_js = os.environ.get("SOCKETIOD_CLIENT_JS") or str(
            Path(daemon_command()[0]).with_name("socket.io.js"))
        wrapper = bindir / "socketiod"
        # An installed daemon finds its client script; one from the build
        # tree is given it, as the page says.
        wrapper.write_text('#!/bin/sh\nexec %s --client-js %s "$@"\n' % (
            " ".join(daemon_command()), client_js))
        wrapper.chmod(0o755)
        env = dict(os.environ)
        for k in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE",
                  "SOCKETIOD", "SOCKETIOD_UPSTREAM_SECRET", "SOCKETIOD_RPC",
                  "RUN_MAIN", "PYTHONPATH"):
            env.pop(k, None)
        env["PATH"] = str(bindir) + os.pathsep + env["PATH"]
        env["PYTHONPATH"] = str(REPO / "adapters")  # the page's export
        env["PYTHONUNBUFFERED"] = "1"
        self.env = env

    def subst(self, text):
        for old, new in self.ports.items():
            text = re.sub(r"\b%d\b" % old, str(new), text)
        return text

    def write(self, lang, body):
        """A file block: its first line names the file (and whether the
        block goes at the end of an existing one)."""
        first, _, rest = body.partition("\n")
        if lang == "python":
            m = re.fullmatch(r"# (\S+?)(: add at the end)?", first)
        elif lang == "html":
            m = re.fullmatch(r"<!-- (\S+) -->()", first)
        else:
            m = None
        if m is None:
            return False
        path = self.cwd / m.group(1)
        path.parent.mkdir(parents=True, exist_ok=True)
        content = body if lang == "python" else rest
        if m.group(2):
            with open(path, "a") as f:
                f.write("\n" + content)
        else:
            path.write_text(content)
        return True

    def run(self, script, timeout=120):
        """Runs a command block to its end in the current directory, and
        follows its `cd`."""
        res = subprocess.run(
            ["bash", "-ec", script + '\necho "PWD=$PWD"'],
            cwd=str(self.cwd), env=self.env, capture_output=True, text=True,
            timeout=timeout)
        assert res.returncode == 0, "%s\n%s%s" % (script, res.stdout,
                                                   res.stderr)
        self.cwd = Path(res.stdout.splitlines()[-1][len("PWD="):])
        return res

    def start(self, script, name):
        out = open(self.root / (name + ".out"), "wb")
        p = subprocess.Popen(["bash", "-ec", script], cwd=str(self.cwd),
                             env=self.env, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True)
        p.out_path = self.root / (name + ".out")
        self.procs.append(p)
        return p

    def output(self):
        return "\n".join(p.out_path.read_text(errors="replace")[-4000:]
                         for p in self.procs)

    def stop(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)
            # the session's other processes (the dev server's reloader
            # child, the daemon) go with it
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.killpg(p.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                os.killpg(p.pid, signal.SIGKILL)


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False


class Client:
    """python-socketio, sending the Origin a browser on the page would."""

    def __init__(self, port, origin):
        self.got = []
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("message", self.got.append)
        self.sio.connect("http://127.0.0.1:%d" % port,
                         headers={"Origin": origin}, wait_timeout=10)

    def wait_for(self, message, timeout=15):
        wait_until(lambda: message in self.got, timeout=timeout,
                   what="%r at the client (got %r)" % (message, self.got))


def has_note(text):
    return ("Array.from(document.querySelectorAll('#notes li'))"
            ".some(function (l) { return l.textContent === %s; })" %
            json.dumps(text))


def browser_check(origin):
    """Two tabs of headless Chromium on the page, when there is one: each
    is welcomed, a note posted in one shows in both."""
    if not os.path.exists(CHROMIUM) or not os.path.isdir(
            os.path.join(node_modules_dir(), "playwright-core")):
        print("no headless Chromium here: the page's script not run")
        return
    b = Browser()
    try:
        for tab in ("one", "two"):
            b.open(tab, origin + "/")
            b.wait(tab, has_note("welcome to the board"), timeout=20)
        b.eval("one", "document.getElementById('text').value = "
                      "'posted from the page'; "
                      "document.querySelector('#form button').click(); true")
        for tab in ("one", "two"):
            b.wait(tab, has_note("posted from the page"), timeout=20)
    finally:
        b.close()


def check_board(page, web_port, sio_port, oob):
    """What the user checks, with the app up."""
    origin = "http://127.0.0.1:%d" % web_port
    # The page loads socket.io-client from socketiod.
    with urllib.request.urlopen(origin + "/", timeout=20) as r:
        html = r.read().decode()
    src = '<script src="//127.0.0.1:%d/socket.io/socket.io.js">' % sio_port
    assert src in html, html
    with urllib.request.urlopen(
            "http://127.0.0.1:%d/socket.io/socket.io.js" % sio_port,
            timeout=20) as r:
        assert b"subscribe" in r.read()
    browser_check(origin)
    # Two visitors of the page.
    a, b = Client(sio_port, origin), Client(sio_port, origin)
    try:
        for c in (a, b):
            assert list(c.sio.call("subscribe", "board", timeout=20)) == [
                None, "board"]
            c.wait_for({"text": "welcome to the board"})
        assert a.sio.call("note", "first note", timeout=20) == "posted"
        for c in (a, b):
            c.wait_for({"text": "first note"})
        # The server's own message, from another process.
        page.run(oob)
        for c in (a, b):
            c.wait_for({"text": "hello from the server"})
    finally:
        a.sio.disconnect()
        b.sio.disconnect()
    # A page of another site is refused: --origins is what lets ours in.
    evil = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        evil.connect("http://127.0.0.1:%d" % sio_port,
                     headers={"Origin": "http://evil.example"},
                     transports=["polling"], wait_timeout=10)
    # The page's check.py prints what the page says.
    check = [b for lang, b in blocks(section("3.")) if lang == "python"][0]
    assert page.write("python", page.subst(check))
    res = subprocess.run(["python3", "check.py"], cwd=str(page.cwd),
                         env=page.env, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "posted", res.stdout
    got = eval(lines[1])  # the printed list, as the page shows it
    assert {"text": "welcome to the board"} in got
    assert {"text": "hello from python"} in got


def build(page, text):
    """Writes the section's files and runs its set-up commands; returns
    its run commands and its out-of-band command, in page order."""
    runs, oob = [], []
    for lang, body in blocks(text):
        body = page.subst(body)
        if page.write(lang, body):
            continue
        if lang != "sh":
            continue
        if "broadcast_channel" in body:
            oob.append(body)
        elif "runserver" in body or "app.py" in body and "mkdir" not in body:
            runs.append(body)
        else:
            page.run(body)
    return runs, oob


@pytest.fixture
def ports():
    return {9000: free_port(), 8000: free_port(), 8080: free_port()}


@pytest.mark.skipif(shutil.which("django-admin") is None and
                    not os.path.exists("/usr/bin/django-admin"),
                    reason="no Django")
@pytest.mark.parametrize("how", ["runserver_socketio", "by hand"])
def test_django(tmp_path, ports, how):
    page = Page(tmp_path, ports)
    try:
        runs, oob = build(page, section("1. Django"))
        assert len(runs) == 2 and len(oob) == 1, runs
        run = runs[0] if how == "runserver_socketio" else runs[1]
        assert ("runserver_socketio" in run) == (how == "runserver_socketio")
        p = page.start(run, "run")

        def up():
            assert p.poll() is None, "exited:\n" + page.output()
            return accepts(ports[9000]) and accepts(ports[8000])
        wait_until(up, timeout=60, what="socketiod and Django")
        check_board(page, ports[8000], ports[9000], oob[0])
    except BaseException:
        print(page.output())
        raise
    finally:
        page.stop()
    # Nothing of it is left running.
    assert not accepts(ports[9000]) and not accepts(ports[8000])


def test_webpy(tmp_path, ports):
    pytest.importorskip("web")
    page = Page(tmp_path, ports)
    try:
        runs, oob = build(page, section("2. web.py"))
        assert len(runs) == 1 and len(oob) == 1, runs
        p = page.start(runs[0], "run")

        def up():
            assert p.poll() is None, "exited:\n" + page.output()
            return accepts(ports[9000]) and accepts(ports[8080])
        wait_until(up, timeout=60, what="socketiod and the web.py app")
        check_board(page, ports[8080], ports[9000], oob[0])
    except BaseException:
        print(page.output())
        raise
    finally:
        page.stop()
    assert not accepts(ports[9000]) and not accepts(ports[8080])

"""What a new user tripped over (issue 16, item 5), one test each: the
`stats` RPC's `uptime` is whole seconds as docs/rpc.md shows it;
`socketioctl log --json` prints integers as digits, never 1.7e+15;
`socketioctl --json` prints its errors as JSON too; the docs name no file
that is not in the tree; the unit's Documentation= points at what an
install provides; scripts/demo.sh listens on 127.0.0.1, as README.md
says."""
import json
import re
import socket
import sqlite3
import subprocess

import pytest

from e2e_lib import REPO, daemon_command, free_port, wait_until
from test_msglog import socketioctl


def rpc_line(path, req):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    s.sendall(json.dumps(req).encode() + b"\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        assert chunk, "the daemon closed the control socket"
        data += chunk
    s.close()
    return data.decode()


def test_stats_uptime_is_whole_seconds_as_documented(daemon):
    d = daemon()
    line = rpc_line(d.rpc_path, {"id": 1, "method": "stats"})
    m = re.search(r'"uptime":([^,}]*)', line)
    assert m and re.fullmatch(r"\d+", m.group(1)), line
    assert isinstance(json.loads(line)["result"]["uptime"], int)
    # Every example of docs/rpc.md shows the same type.
    doc = (REPO / "docs" / "rpc.md").read_text()
    shown = re.findall(r'"uptime":\s*([^,}\s]+)', doc)
    assert shown, "docs/rpc.md shows no uptime"
    assert all(re.fullmatch(r"\d+", v) for v in shown), shown
    assert "whole seconds" in doc


MESSAGES_COLUMNS = ("id INTEGER PRIMARY KEY, time_us INTEGER, direction TEXT,"
                    " kind TEXT, via TEXT, sid TEXT, namespace TEXT,"
                    " channel TEXT, event TEXT, ack_id INTEGER, payload TEXT,"
                    " attachments TEXT, recipients INTEGER, to_sid TEXT,"
                    " except_sid TEXT, remote_addr TEXT, line TEXT")


def test_log_json_prints_integers_as_digits(tmp_path):
    # A time_us whose 15 leading digits say it all (it ends in 0) was
    # printed by cJSON's "%1.15g" as 1.76477000012345e+15.
    db = tmp_path / "log.sqlite3"
    con = sqlite3.connect(str(db))
    con.execute("CREATE TABLE messages (%s)" % MESSAGES_COLUMNS)
    times = [1764770000123450, 1764770000123451, 1780000000000000]
    for n, t in enumerate(times, 1):
        con.execute("INSERT INTO messages (id, time_us, direction, kind, via,"
                    " sid, namespace, event, payload, recipients) VALUES"
                    " (?, ?, 'in', 'event', 'websocket', 's', '/', 'e',"
                    " '[1]', 12345678901234560)", (n, t))
    con.commit()
    con.close()
    res = subprocess.run([socketioctl(), "log", "--db", str(db), "--json"],
                         capture_output=True, text=True, timeout=20)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) == 3
    for line, t in zip(lines, times):
        assert '"time_us":%d,' % t in line, line
        assert '"recipients":12345678901234560,' in line, line
        assert "e+" not in line, line
        assert json.loads(line)["time_us"] == t


def ctl(*args, env=None):
    res = subprocess.run([socketioctl()] + list(args), capture_output=True,
                         text=True, timeout=20, env=env)
    return res.returncode, res.stdout, res.stderr


def json_error(stderr):
    lines = stderr.splitlines()
    assert len(lines) == 1, "not one line of JSON: %r" % stderr
    return json.loads(lines[0])["error"]


def test_json_errors_are_json(daemon, tmp_path):
    d = daemon()
    # The daemon's own error: its code and message.
    rc, out, err = ctl("-s", d.rpc_path, "--json", "session", "nope")
    assert rc == 1 and out == ""
    assert json_error(err) == {"code": -32001, "message": "no such session"}
    # --json after the command as well.
    rc, out, err = ctl("-s", d.rpc_path, "session", "nope", "--json")
    assert rc == 1 and json_error(err)["code"] == -32001
    # No daemon there: exit 2, no code (nothing answered).
    rc, out, err = ctl("-s", str(tmp_path / "none.sock"), "--json", "stats")
    e = json_error(err)
    assert rc == 2 and "code" not in e and "cannot connect" in e["message"]
    # Command line mistakes, getopt's among them.
    for args in (["emit"], ["nosuch"], ["sessions", "--bogus"],
                 ["emit", "x", "--timeout", "soon"]):
        rc, out, err = ctl("-s", d.rpc_path, "--json", *args)
        assert rc == 1, args
        assert json_error(err)["message"], args
    # The log command, which reads the database itself.
    for args in (["log", "--db", str(tmp_path / "missing.db")],
                 ["log", "--limit", "x"], ["log", "--bogus"]):
        rc, out, err = ctl("-s", d.rpc_path, "--json", *args)
        assert rc == 1, args
        assert json_error(err)["message"].startswith("log: "), args
    rc, out, err = ctl("-s", d.rpc_path, "--json", "log")
    assert rc == 2 and "no message log" in json_error(err)["message"]
    # Without --json: text, as before.
    rc, out, err = ctl("-s", d.rpc_path, "session", "nope")
    assert rc == 1 and err.startswith("socketioctl: no such session")


def test_docs_name_only_files_in_the_tree():
    """A reader cannot open a file the tree does not have (DESIGN.md and
    ANCHORS.md were named; they live outside the project)."""
    files = [REPO / "README.md", REPO / "HACKING.md"]
    files += sorted((REPO / "docs").glob("*.md"))
    files += sorted(p for p in (REPO / "etc").rglob("*") if p.is_file())
    missing = []
    for f in files:
        text = f.read_text()
        for m in re.finditer(r"(?<![\w/.-])((?:[\w.-]+/)*[\w-]+\.md)\b",
                             text):
            name = m.group(1)
            if not any(p.exists() for p in (REPO / name, f.parent / name,
                                             REPO / "docs" / name)):
                missing.append("%s: %s" % (f.relative_to(REPO), name))
        for m in re.finditer(r"\]\(([^)#\s]+)", text):
            target = m.group(1)
            if "://" not in target and not (f.parent / target).exists():
                missing.append("%s: link %s" % (f.relative_to(REPO), target))
        if "/work/" in text:
            missing.append("%s: a path of the developers' machine" %
                           f.relative_to(REPO))
    assert not missing, missing


def test_unit_documentation_points_at_installed_docs():
    """Documentation= of the unit names what `make install` provides:
    man pages it builds, files it puts in $(docdir)."""
    unit = (REPO / "etc" / "systemd" / "socketiod.service").read_text()
    docs = re.search(r"^Documentation=(.*)$", unit, re.M).group(1).split()
    makefile = (REPO / "Makefile.am").read_text().replace("\\\n", " ")
    installed_docs = re.search(r"^dist_doc_DATA\s*=(.*)$", makefile, re.M)
    man_pages = re.search(r"^man_MANS\s*=(.*)$", makefile, re.M)
    if installed_docs is None and man_pages is None:
        # The install rules (man pages, docs in $(docdir)) are issue 16
        # item 2, on another branch; this test runs once they are merged.
        pytest.skip("make install installs no docs nor man pages yet")
    assert docs
    for uri in docs:
        if uri.startswith("man:"):
            page = re.fullmatch(r"man:([\w.-]+)\((\d)\)", uri)
            assert page, uri
            assert man_pages and "%s.%s" % page.groups() in \
                man_pages.group(1).split(), "%s is not built" % uri
        elif uri.startswith("file:/usr/local/share/doc/socketiod/"):
            # make install rewrites /usr/local/share/doc/socketiod to
            # $(docdir); the file must be one it installs.
            name = uri.rsplit("/", 1)[1]
            assert installed_docs and any(
                w.rsplit("/", 1)[-1] == name
                for w in installed_docs.group(1).split()), \
                "%s is not installed" % uri
        else:
            assert uri.startswith("https://"), uri


def demo_command():
    """The socketiod command line scripts/demo.sh ends with."""
    text = (REPO / "scripts" / "demo.sh").read_text()
    m = re.search(r'^exec "\$bindir/socketiod" (.*)$', text, re.M)
    assert m, "demo.sh does not end by starting socketiod"
    return m.group(1)


def test_demo_listens_on_loopback_as_readme_says(daemon, tmp_path):
    args = demo_command()
    readme = (REPO / "README.md").read_text()
    assert "http://127.0.0.1:9000/" in readme
    port = free_port()
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "index.html").write_text("<p>demo</p>")
    # The very arguments of the script, its variables filled in.
    argv = [a.strip('"') for a in args.split()]
    argv = [a.replace("$PORT", str(port)).replace("$pkgdatadir/demo",
                                                   str(demo)) for a in argv]
    # The demo's own control socket path, not the daemon's default (a
    # runner beside it takes that); here one in the test's directory.
    i = argv.index("--rpc")
    assert argv[i + 1] == "$rpc", argv
    del argv[i:i + 2]
    i = argv.index("--listen")
    assert argv[i + 1] == "127.0.0.1:%d" % port, argv
    exe = daemon_command()
    p = subprocess.Popen(exe + argv + ["--rpc", str(tmp_path / "demo.sock")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: _listening(port), what="the demo's port")
        # Bound to loopback only: not on the wildcard address.
        listeners = _tcp_listeners(port)
        assert listeners == {"127.0.0.1"}, listeners
    finally:
        p.terminate()
        p.wait(15)


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False


def _tcp_listeners(port):
    """Local addresses of the TCP sockets listening on `port`."""
    out = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            next(f)
            for line in f:
                fields = line.split()
                addr, hexport = fields[1].split(":")
                if int(hexport, 16) != port or fields[3] != "0A":
                    continue
                if len(addr) == 8:
                    out.add(socket.inet_ntop(socket.AF_INET,
                                             bytes.fromhex(addr)[::-1]))
                else:
                    raw = bytes.fromhex(addr)
                    out.add(socket.inet_ntop(socket.AF_INET6, b"".join(
                        raw[i:i + 4][::-1] for i in range(0, 16, 4))))
    return out

# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Who may use the control socket: the file gets --rpc-mode and --rpc-group
(and never exists with looser permissions), and each peer is checked with
SO_PEERCRED against root, the daemon's own uid and --rpc-allow-uid /
--rpc-allow-gid. The other-user cases need root (to switch users in a child
process) and are skipped otherwise."""

import grp
import json
import os
import shutil
import socket
import stat
import tempfile

import pytest

from e2e_lib import Daemon, DaemonError

UID, GID = 54321, 54322  # an unprivileged identity that exists nowhere

needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="switching users needs root")


@pytest.fixture
def daemon(tmp_path):
    """Like conftest's, but the control socket lives in a directory anyone
    may traverse, so that the file mode and SO_PEERCRED decide."""
    made = []
    open_dir = tempfile.mkdtemp(prefix="siod-rpc-")
    os.chmod(open_dir, 0o755)

    def start(*args):
        d = Daemon(tmp_path, args, name="socketiod%d" % len(made))
        d.rpc_path = os.path.join(open_dir, "s%d.sock" % len(made))
        made.append(d)
        d.start()
        return d

    yield start
    problems = []
    for d in made:
        if d.proc is not None:
            problems += d.stop()
    shutil.rmtree(open_dir, ignore_errors=True)
    assert not problems, problems


def call_as(path, uid=None, gid=None):
    """Runs one `stats` call over the control socket in a child process
    (as uid/gid when given). Returns "ok", "closed" or "error: ..."."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            if gid is not None:
                os.setgroups([])
                os.setgid(gid)
            if uid is not None:
                os.setuid(uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(path)
            s.sendall(b'{"id":1,"method":"stats","params":{}}\n')
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            out = "ok" if data and "result" in json.loads(data) else "closed"
        except (ConnectionResetError, BrokenPipeError):
            out = "closed"
        except Exception as e:  # noqa: BLE001 - reported to the parent
            out = "error: %r" % e
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        out += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return out.decode()


def test_socket_mode_and_group(daemon):
    g = grp.getgrgid(os.getegid()).gr_name
    d = daemon("--rpc-mode", "0640", "--rpc-group", g)
    st = os.stat(d.rpc_path)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert st.st_gid == os.getegid()


@needs_root
def test_rpc_group_by_name(daemon):
    d = daemon("--rpc-group", "nogroup")
    st = os.stat(d.rpc_path)
    assert st.st_gid == grp.getgrnam("nogroup").gr_gid
    assert stat.S_IMODE(st.st_mode) == 0o660


def test_unknown_group_is_refused_at_start(tmp_path):
    d = Daemon(tmp_path, ["--rpc-group", "no-such-group-here"])
    with pytest.raises(DaemonError) as e:
        d.start()
    assert "unknown group" in str(e.value)
    # (Daemon reports the exit status in the error and forgets the process)
    assert "exited with status" in str(e.value) and \
        "exited with status 0 " not in str(e.value)


def test_own_uid_is_allowed(daemon):
    d = daemon()
    assert call_as(d.rpc_path) == "ok"


@needs_root
def test_other_uid_is_refused_by_default(daemon):
    d = daemon("--rpc-mode", "0666")  # the file lets anyone connect
    assert call_as(d.rpc_path, UID, GID) == "closed"
    st = d.rpc().call("stats")
    assert st["rpc_refused"] == 1
    assert "refused a client with uid %d" % UID in d.stderr()


@needs_root
def test_allow_uid(daemon):
    d = daemon("--rpc-mode", "0666", "--rpc-allow-uid", "%d,nobody" % UID)
    assert call_as(d.rpc_path, UID, GID) == "ok"
    assert call_as(d.rpc_path, UID + 1, GID) == "closed"


@needs_root
def test_allow_gid(daemon):
    d = daemon("--rpc-mode", "0666", "--rpc-allow-gid", str(GID))
    assert call_as(d.rpc_path, UID, GID) == "ok"
    assert call_as(d.rpc_path, UID, GID + 1) == "closed"
    assert d.rpc().call("stats")["rpc_refused"] == 1


@needs_root
def test_file_mode_still_applies(daemon):
    d = daemon("--rpc-allow-uid", str(UID))  # allowed, but mode 0660 root:root
    out = call_as(d.rpc_path, UID, GID)
    assert "PermissionError" in out, out

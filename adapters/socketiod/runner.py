# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Starting socketiod as a child process wired to an application (what
``runserver_socketio``, ``rungevent`` and the web.py runner do), and
stopping it with the parent.

    d = DaemonProcess(listen="127.0.0.1:9000", rpc=default_path(),
                      upstream="http://127.0.0.1:8000/socketio/events",
                      secret="s3cret",
                      origins=page_origins("127.0.0.1", 8000))
    d.start(); ...; d.stop()

socketiod lets in a browser's request only from its own site (Origin
host:port = the socket's) unless ``--origins`` names more: pages served by
the app on another port are another origin, so the runners pass theirs.
"""
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from .exceptions import ConfigError

HERE = Path(__file__).resolve().parent


def find_binary(explicit=None):
    """The socketiod executable: ``explicit``, $SOCKETIOD, ``socketiod`` on
    PATH, or a build/ of the source tree this package sits in."""
    for cand in (explicit, os.environ.get("SOCKETIOD"),
                 shutil.which("socketiod"),
                 HERE.parents[1] / "build" / "socketiod"):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return str(cand)
    raise ConfigError("socketiod not found: install it, put it on PATH, or "
                      "set SOCKETIOD (or the SOCKETIOD_BINARY setting)")


def find_client_js(binary, explicit=None):
    """socket.io.js for --client-js: ``explicit``, $SOCKETIOD_CLIENT_JS, or
    one next to the binary (a build tree); None lets the daemon use its
    installed default."""
    for cand in (explicit, os.environ.get("SOCKETIOD_CLIENT_JS"),
                 Path(binary).parent / "socket.io.js"):
        if cand and Path(cand).is_file():
            return str(cand)
    return None


def split_addrport(addrport, default_host="127.0.0.1", default_port=9000):
    """"host:port", "port" or "" -> (host, port)."""
    if not addrport:
        return default_host, int(default_port)
    if ":" in addrport and not addrport.endswith("]"):
        host, _, port = addrport.rpartition(":")
        return host.strip("[]") or default_host, int(port)
    if addrport.isdigit():
        return default_host, int(addrport)
    return addrport, int(default_port)


PR_SET_PDEATHSIG = 1
RESTARTS = 3            # restarts of a daemon that died, within
RESTART_WINDOW = 60.0   # this many seconds, before the runner gives up


try:  # looked up here: the child after fork only calls it
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def _die_with(parent):
    """preexec_fn: the child gets SIGTERM when its parent dies, however
    the parent ends (os._exit, SIGKILL, a crash): no orphan daemon.
    (Linux ties it to the thread that started the child: start() runs in
    the main thread or in the watcher, which lives as long as it.)"""
    def pre():
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # it died before prctl
            os._exit(1)
    return pre


def _answers(path):
    """True when something accepts on the Unix socket ``path``."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(1.0)
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def page_origins(host, port):
    """The Origins of pages the app serves on host:port, for --origins: the
    loopback names when it listens on loopback or every address (a
    development server), else that host."""
    if host in ("", "0.0.0.0", "::", "127.0.0.1", "localhost", "::1",
                "[::1]"):
        names = LOOPBACK_NAMES
    else:
        names = ("[%s]" % host if ":" in host else host,)
    return ",".join("http://%s:%d" % (n, int(port)) for n in names)


class DaemonProcess:
    """One socketiod child process."""

    def __init__(self, listen, rpc, upstream=None, secret=None,
                 binary=None, client_js=None, message_log_format=None,
                 extra_args=(), verbose=0, logger=None, stderr=None,
                 origins=None):
        self.binary = find_binary(binary)
        self.client_js = find_client_js(self.binary, client_js)
        self.listen = listen
        self.rpc = rpc
        self.upstream = upstream
        self.secret = secret
        self.message_log_format = message_log_format
        self.extra_args = list(extra_args)
        self.origins = origins
        self.verbose = verbose
        self.log = logger or logging.getLogger("socketiod.runner")
        self.stderr = stderr
        self.proc = None
        self._secret_file = None
        self._stopping = False
        self._watcher = None

    def version(self):
        """``socketiod --version`` of the binary (e.g. "socketiod 0.1.0")."""
        try:
            out = subprocess.run([self.binary, "--version"],
                                 capture_output=True, text=True, timeout=10)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError):
            return "socketiod (version unknown)"

    def describe(self):
        """What runs: "socketiod 0.1.0, /usr/local/bin/socketiod"."""
        return "%s, %s" % (self.version(), self.binary)

    def command(self):
        cmd = [self.binary, "--listen", self.listen, "--rpc", self.rpc]
        if self.client_js:
            cmd += ["--client-js", self.client_js]
        if self.upstream:
            cmd += ["--upstream", self.upstream]
        if self.origins:
            cmd += ["--origins", self.origins]
        if self.secret:
            fd, path = tempfile.mkstemp(prefix="socketiod-secret-")
            with os.fdopen(fd, "w") as f:
                f.write(self.secret)
            self._secret_file = path
            cmd += ["--upstream-secret", path]
        # None (Python) or unset: the daemon logs nothing.
        fmt = self.message_log_format
        cmd += ["--message-log-format", fmt if fmt else "None"]
        if self.verbose:
            cmd.append("-" + "v" * self.verbose)
        return cmd + self.extra_args

    def start(self, timeout=10.0):
        """Starts the daemon and waits until its control socket accepts.
        Raises ConfigError when another process already answers on the
        control socket (its answers would be taken for this daemon's)."""
        if _answers(self.rpc):
            raise ConfigError(
                "another socketiod already answers on the control socket %s "
                "(scripts/demo.sh, another runner?): stop it, or give this "
                "project its own path (the SOCKETIOD_RPC setting)" % self.rpc)
        cmd = self.command()
        self.log.info("starting %s", " ".join(cmd))
        self._stopping = False
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stderr=self.stderr,
                                     preexec_fn=_die_with(os.getpid()))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._cleanup()
                raise ConfigError("socketiod exited with status %s at start"
                                  % self.proc.returncode)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.rpc)
                self._cleanup()   # the daemon has read its secret
                return self
            except OSError:
                time.sleep(0.05)
            finally:
                s.close()
        self.stop()
        raise ConfigError("socketiod did not open %s in %.0f s"
                          % (self.rpc, timeout))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def watch(self, gone):
        """Watches the daemon from a thread: when it dies while it should
        run, says why and starts it again; after RESTARTS deaths within
        RESTART_WINDOW seconds calls ``gone(reason)`` instead."""
        def run():
            deaths = []
            while True:
                proc = self.proc
                rc = proc.wait()
                if self._stopping:
                    return
                why = ("killed by signal %d" % -rc if rc < 0
                       else "exited with status %d" % rc)
                now = time.monotonic()
                deaths = [t for t in deaths if now - t < RESTART_WINDOW]
                deaths.append(now)
                if len(deaths) > RESTARTS:
                    gone("socketiod %s, %d times in %.0f s: giving up"
                         % (why, len(deaths), RESTART_WINDOW))
                    return
                self.log.error("socketiod %s; starting it again", why)
                try:
                    self.start()
                except ConfigError as e:
                    if not self._stopping:
                        gone("socketiod %s and cannot start again: %s"
                             % (why, e))
                    return
        self._watcher = threading.Thread(target=run, daemon=True,
                                         name="socketiod-watch")
        self._watcher.start()

    def stop(self, timeout=10.0):
        """SIGTERM, wait, SIGKILL if needed; returns the exit status."""
        self._stopping = True
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            rc = self.proc.returncode
            self.log.info("socketiod stopped (status %s)", rc)
        self._cleanup()
        return rc

    def _cleanup(self):
        if self._secret_file:
            try:
                os.unlink(self._secret_file)
            except OSError:
                pass
            self._secret_file = None

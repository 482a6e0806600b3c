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
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
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
        """Starts the daemon and waits until its control socket accepts."""
        cmd = self.command()
        self.log.info("starting %s", " ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stderr=self.stderr)
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

    def stop(self, timeout=10.0):
        """SIGTERM, wait, SIGKILL if needed; returns the exit status."""
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

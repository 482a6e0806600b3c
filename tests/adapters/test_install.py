"""adapters/ installs with pip from the source tree (Debian's setuptools,
no network), and the installed packages import on their own."""
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


def test_pip_install_from_the_source_tree(tmp_path):
    if subprocess.run([sys.executable, "-m", "pip", "--version"],
                      capture_output=True).returncode != 0:
        pytest.skip("no pip for %s (apt-get install python3-pip)"
                    % sys.executable)
    src = tmp_path / "src"   # a copy: the build leaves files behind
    shutil.copytree(os.path.join(REPO, "adapters"), src,
                    ignore=shutil.ignore_patterns("__pycache__", "build",
                                                  "*.egg-info", "example_*"))
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                        "--no-deps", "--no-build-isolation", "--no-index",
                        "--target", str(target), str(src)],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    for f in ("django_socketio/management/commands/runserver_socketio.py",
              "realtime/management/commands/rungevent.py",
              "realtime/templatetags/socketio.py",
              "webpy_socketio/socketio_app.py", "socketiod/testing.py"):
        assert (target / f).is_file(), f
    env = dict(os.environ, PYTHONPATH=str(target))
    r = subprocess.run([sys.executable, "-c",
                        "import socketiod, django_socketio, realtime, "
                        "webpy_socketio, socketiod.testing; "
                        "print(socketiod.__file__)"],
                       capture_output=True, env=env, cwd=str(tmp_path),
                       timeout=60)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert r.stdout.decode().startswith(str(target))

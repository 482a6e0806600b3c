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


def test_pip_path_of_porting_md_on_debian_12(tmp_path):
    """docs/porting.md's pip path works on Debian 12, where pip into the
    system Python is refused (PEP 668): a venv that sees Debian's
    packages, the adapters installed into it with the venv's pip."""
    doc = open(os.path.join(REPO, "docs", "porting.md")).read()
    venv = tmp_path / "venv"
    make = "/usr/bin/python3 -m venv --system-site-packages /srv/myapp/venv"
    inst = ("/srv/myapp/venv/bin/pip install --no-deps --no-build-isolation "
            "./adapters")
    assert make in doc and inst in doc
    r = subprocess.run(make.replace("/srv/myapp/venv", str(venv)).split(),
                       capture_output=True, timeout=120)
    if r.returncode != 0 and b"ensurepip" in r.stderr:
        pytest.skip("no python3-venv (apt-get install python3-venv)")
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    src = tmp_path / "src" / "adapters"
    shutil.copytree(os.path.join(REPO, "adapters"), src,
                    ignore=shutil.ignore_patterns("__pycache__", "build",
                                                  "*.egg-info", "example_*"))
    # --no-index: the same install, and proof it needs no network.
    cmd = inst.replace("/srv/myapp/venv", str(venv)).split() + ["--no-index"]
    r = subprocess.run(cmd, capture_output=True, cwd=str(src.parent),
                       timeout=180)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run([str(venv / "bin" / "python"), "-c",
                        "import socketiod, django_socketio, realtime, "
                        "webpy_socketio, django, web; "
                        "print(socketiod.__file__)"],
                       capture_output=True, env=env, cwd=str(tmp_path),
                       timeout=60)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert r.stdout.decode().startswith(str(venv))

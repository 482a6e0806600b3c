# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""test_install_paths: scripts/test-install.sh as one test: the tarball built
and installed offline, make distcheck, the Debian packages built, linted,
installed with dpkg -i, run from their config and removed.

It installs packages system-wide, so it runs only where that is wanted:
in CI (CI=true, as root) or with SOCKETIOD_TEST_INSTALL=1; elsewhere it is
skipped and says why."""

import os
import subprocess
from pathlib import Path

import pytest

SRCDIR = Path(os.environ.get("SOCKETIOD_SRCDIR") or
              Path(__file__).resolve().parent.parent)


def test_install_paths():
    wanted = os.environ.get("SOCKETIOD_TEST_INSTALL") == "1" or \
        os.environ.get("CI") == "true"
    if not wanted:
        pytest.skip("installs packages system-wide: runs in CI, or with "
                    "SOCKETIOD_TEST_INSTALL=1")
    if os.geteuid() != 0:
        pytest.skip("needs root (dpkg -i, apt-get remove)")
    res = subprocess.run(["bash", str(SRCDIR / "scripts" / "test-install.sh")],
                         cwd=SRCDIR, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=1200)
    assert res.returncode == 0, res.stdout[-6000:]

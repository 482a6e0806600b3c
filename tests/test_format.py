# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""test_format: every C source and header the repository tracks is formatted
as `clang-format -i` (.clang-format, HACKING.md) leaves it, so formatting
never drifts again. On a failure, run the clang-format command it prints."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SRCDIR = Path(os.environ.get("SOCKETIOD_SRCDIR") or
              Path(__file__).resolve().parent.parent)


def c_sources():
    out = subprocess.run(["git", "ls-files", "*.c", "*.h"], cwd=SRCDIR,
                         capture_output=True, text=True, check=True)
    return [f for f in out.stdout.split() if f]


def test_c_sources_are_clang_formatted():
    if shutil.which("clang-format") is None:
        pytest.fail("clang-format is not installed (scripts/setup.sh "
                    "installs it)", pytrace=False)
    files = c_sources()
    assert len(files) > 50, files  # the listing itself worked
    r = subprocess.run(["clang-format", "--dry-run", "--Werror"] + files,
                       cwd=SRCDIR, capture_output=True, text=True)
    bad = sorted({line.split(":")[0] for line in r.stderr.splitlines()
                  if "clang-format-violations" in line})
    assert r.returncode == 0 and not bad, (
        "not clang-formatted: %s\nfix: clang-format -i %s\n%s" % (
            ", ".join(bad), " ".join(bad), r.stderr[-2000:]))

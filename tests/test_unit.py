# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""test_unit: runs each C unit test program (tests/unit/*_test) as one pytest test.

Build directories come from SOCKETIOD_UNIT_BUILDS (os.pathsep-separated; set by
scripts/test.sh to the plain and the ASan build), else SOCKETIOD_BUILD, else
<repo>/build. The programs are the union of what the build holds and what
Makefile.am lists, so a listed test that was not built fails instead of
vanishing. Each program must exit 0 and print t.h's closing line
"N passed, 0 failed" with N > 0; on failure its output is shown.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

SRCDIR = Path(__file__).resolve().parent.parent
TIMEOUT = int(os.environ.get("SOCKETIOD_UNIT_TIMEOUT", "120"))  # ASan is slow
CLOSING = re.compile(r"^(\d+) passed, (\d+) failed\b", re.M)


def build_dirs():
    spec = os.environ.get("SOCKETIOD_UNIT_BUILDS") or os.environ.get(
        "SOCKETIOD_BUILD") or str(SRCDIR / "build")
    return [Path(d).resolve() for d in spec.split(os.pathsep) if d]


def listed_programs():
    """Unit test names that Makefile.am mentions (tests/unit/<stem>_test)."""
    try:
        text = (SRCDIR / "Makefile.am").read_text()
    except OSError:
        return set()
    return set(re.findall(r"\btests/unit/(\w+_test)\b", text))


def cases():
    listed = listed_programs()
    for build in build_dirs():
        unit = build / "tests" / "unit"
        built = {p.name for p in unit.glob("*_test")
                 if p.is_file() and os.access(p, os.X_OK)}
        names = sorted(built | listed)
        if not names:  # nothing at all: one failing test rather than none
            names = ["(none)"]
        for name in names:
            yield pytest.param(build, name, id=f"{build.name}/{name}")


@pytest.mark.parametrize("build,name", list(cases()))
def test_unit_program(build, name):
    prog = build / "tests" / "unit" / name
    assert name != "(none)", f"no unit test programs in {build}/tests/unit"
    assert prog.is_file(), (f"{prog} was not built: run `make check-programs` "
                            f"in {build} (scripts/setup.sh does)")
    env = dict(os.environ, srcdir=str(SRCDIR))  # as automake's `make check`
    try:
        res = subprocess.run([str(prog)], cwd=build, env=env, timeout=TIMEOUT,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             errors="replace")
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        pytest.fail(f"{prog} timed out after {TIMEOUT}s; output:\n{out}",
                    pytrace=False)
    out = res.stdout
    if res.returncode != 0:
        how = (f"was killed by signal {-res.returncode}" if res.returncode < 0
               else f"exited {res.returncode}")
        pytest.fail(f"{prog} {how}; output:\n{out}", pytrace=False)
    m = CLOSING.findall(out)
    if not m:
        pytest.fail(f"{prog} printed no 'N passed, N failed' line; "
                    f"output:\n{out}", pytrace=False)
    passed, failed = map(int, m[-1])
    if failed or not passed:
        pytest.fail(f"{prog}: {passed} passed, {failed} failed; "
                    f"output:\n{out}", pytrace=False)

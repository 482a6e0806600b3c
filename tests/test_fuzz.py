# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""test_fuzz: builds the libFuzzer targets (tests/fuzz/*_fuzz.c) in build-fuzz/
(configure --enable-fuzzing CC=clang) and runs each briefly as a regression.

Each target runs from its seed corpus (tests/fuzz/corpus/<t>/) and dictionary
for SOCKETIOD_FUZZ_SECONDS (default 2) with -timeout=1; any crash, sanitizer
report, leak or slow input fails the test with the fuzzer's output. New
corpus entries go to a temporary directory, never into the repo. The longer
runs are scripts/fuzz.sh's (results in docs/fuzzing.md).
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SRCDIR = Path(os.environ.get("SOCKETIOD_SRCDIR") or
              Path(__file__).resolve().parent.parent)
BUILD = Path(os.environ.get("SOCKETIOD_FUZZ_BUILD") or SRCDIR / "build-fuzz")
SECONDS = int(os.environ.get("SOCKETIOD_FUZZ_SECONDS", "2"))
TARGETS = sorted(p.name[:-len("_fuzz.c")]
                 for p in (SRCDIR / "tests" / "fuzz").glob("*_fuzz.c"))


@pytest.fixture(scope="module")
def fuzz_build():
    if shutil.which("clang") is None:
        pytest.fail("clang is not installed (scripts/setup.sh installs it)",
                    pytrace=False)
    if not (BUILD / "Makefile").exists():
        if not (SRCDIR / "configure").exists():
            subprocess.run(["./autogen.sh"], cwd=SRCDIR, check=True)
        BUILD.mkdir(exist_ok=True)
        subprocess.run([str(SRCDIR / "configure"), "--enable-fuzzing",
                        "CC=clang"], cwd=BUILD, check=True,
                       stdout=subprocess.DEVNULL)
    res = subprocess.run(
        ["make", "-j2"] + ["tests/fuzz/%s_fuzz" % t for t in TARGETS],
        cwd=BUILD, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    if res.returncode != 0:
        pytest.fail("building the fuzzers failed:\n" + res.stdout[-4000:],
                    pytrace=False)
    return BUILD


def test_every_target_has_dict_and_corpus():
    assert TARGETS, "no tests/fuzz/*_fuzz.c"
    for t in TARGETS:
        assert (SRCDIR / "tests" / "fuzz" / (t + ".dict")).is_file(), t
        seeds = SRCDIR / "tests" / "fuzz" / "corpus" / t
        assert seeds.is_dir() and any(seeds.iterdir()), t


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target(fuzz_build, target, tmp_path):
    prog = fuzz_build / "tests" / "fuzz" / (target + "_fuzz")
    seeds = SRCDIR / "tests" / "fuzz" / "corpus" / target
    found = tmp_path / "corpus"
    found.mkdir()
    cmd = [str(prog), "-dict=%s" % (SRCDIR / "tests" / "fuzz" /
                                     (target + ".dict")),
           "-max_total_time=%d" % SECONDS, "-timeout=1",
           "-rss_limit_mb=2048", "-print_final_stats=1",
           "-artifact_prefix=%s/" % tmp_path, str(found), str(seeds)]
    env = dict(os.environ,
               ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, errors="replace", env=env,
                         timeout=SECONDS + 60)
    out = res.stdout
    bad = [m for m in ("ERROR: AddressSanitizer", "runtime error:",
                       "ERROR: LeakSanitizer", "ERROR: libFuzzer",
                       "deadly signal", "Assertion")
           if m in out]
    if res.returncode != 0 or bad:
        artifacts = [p.name for p in tmp_path.iterdir()
                     if p.name.startswith(("crash-", "leak-", "timeout-",
                                           "slow-unit-", "oom-"))]
        pytest.fail("%s exited %d %s; artifacts %s; output tail:\n%s" % (
            target, res.returncode, bad, artifacts, out[-6000:]),
            pytrace=False)
    assert "Done" in out or "DONE" in out, out[-2000:]

#!/bin/bash
# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
# test.sh: sets up, builds build/ and build-asan/, and runs every test in one pytest.
#
#   scripts/test.sh [PYTEST-ARGS...]     e.g. scripts/test.sh -k ws -x
#
# The C unit test programs run from both builds (tests/test_unit.py); the
# end-to-end tests run against the ASan/UBSan daemon. pytest's summary line
# is the last line printed; "no tests collected" (exit 5) is a failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash scripts/setup.sh --asan

ASAN_BUILD=$ROOT/build-asan
export SOCKETIOD_SRCDIR=$ROOT
export SOCKETIOD_BUILD=$ASAN_BUILD
export SOCKETIOD_UNIT_BUILDS=$ROOT/build:$ASAN_BUILD
export SOCKETIOD=$ASAN_BUILD/socketiod
export SOCKETIOCTL=$ASAN_BUILD/socketioctl
export SOCKETIOD_SIZES=$ASAN_BUILD/sizes
export SOCKETIOD_CLIENT_JS=$ASAN_BUILD/socket.io.js
export SOCKETIOD_NODE_MODULES=$ROOT/tests/node_modules
export NODE_PATH=$SOCKETIOD_NODE_MODULES${NODE_PATH:+:$NODE_PATH}
# Any leak, memory error or undefined behaviour fails the daemon, and so the
# test that ran it.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
export PYTHONDONTWRITEBYTECODE=1

# Debian's pytest and Python libraries exist only for /usr/bin/python3 (a
# pyenv python3 may come first on PATH).
PY=/usr/bin/python3
paths=(tests/test_format.py tests/test_layers.py tests/test_sizes.py tests/test_unit.py tests/test_fuzz.py tests/test_bench_smoke.py tests/test_install_paths.py)
for d in tests/e2e tests/adapters; do
    [ -d "$d" ] && paths+=("$d")
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# Time limits are tests/e2e/conftest.py's own (SIGALRM per phase); keep
# pytest-timeout, if some other package installed it, from fighting over
# the same timer. --durations: the slowest tests, to keep the suite short.
"$PY" -m pytest --rootdir="$ROOT" -p no:cacheprovider -p no:timeout -ra \
    --durations=20 \
    "${paths[@]}" "$@" 2>&1 |
    tee "$log"
rc=${PIPESTATUS[0]}
set -e

if [ "$rc" -eq 5 ]; then
    echo "test.sh: pytest collected no tests: that is a failure" >&2
    grep -E '^=+ .* =+$' "$log" | tail -n 1 # the summary line, last again
    exit 1
fi
exit "$rc"

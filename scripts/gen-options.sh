#!/bin/bash
# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
# gen-options.sh: rewrites the option reference in docs/configuration.md
# from the options table (sidecar/options.c), as the built daemon prints it.
# tests/e2e/test_options_table.py fails while the committed copy differs.
#
#   scripts/gen-options.sh [SOCKETIOD]     (default: build/socketiod)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-$ROOT/build/socketiod}
DOC=$ROOT/docs/configuration.md

gen=$(mktemp)
trap 'rm -f "$gen"' EXIT
"$BIN" --print-options=md > "$gen"
awk -v gen="$gen" '
    /^<!-- options: begin/ { print; while ((getline l < gen) > 0) print l; skip = 1; next }
    /^<!-- options: end -->/ { skip = 0 }
    !skip { print }
' "$DOC" > "$DOC.tmp"
mv -f "$DOC.tmp" "$DOC"

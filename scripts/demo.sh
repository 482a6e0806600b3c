#!/bin/bash
# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
# demo.sh: sets up, builds, installs to /usr/local and runs the demo chat.
#
#   sudo scripts/demo.sh [PORT]        (default 9000; Ctrl-C stops it)
#
# socketiod serves the demo page at / (--static) and the client bundle at
# /socket.io/socket.io.js; --relay re-emits each client event to the
# sender's channels, so two tabs can chat with no app server behind.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PORT=${1:-9000}
PREFIX=/usr/local

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi

bash scripts/setup.sh
$SUDO make -C build -s install

# The configured prefix decides where things went: ask the Makefile.
read -r bindir pkgdatadir < <(make -C build -s --no-print-directory \
    -f Makefile -f - demo-print-dirs <<'EOF'
demo-print-dirs:
	@echo '$(bindir)' '$(pkgdatadir)'
EOF
)
case $pkgdatadir in "$PREFIX"/*) ;; *)
    echo "demo.sh: note: build/ is configured for $pkgdatadir, not $PREFIX" >&2 ;;
esac

echo
echo "socketiod demo: open http://127.0.0.1:$PORT/ in two browser tabs (Ctrl-C stops)"
echo
# Loopback only, as README.md says: --relay lets any client that reaches
# the port talk to every other one, which is a demo, not a service.
# A control socket of the demo's own, so that a development runner
# (runserver_socketio, web.py's run) started beside it, which takes the
# default path, never finds the demo's daemon there instead of its own.
if [ "$(id -u)" -eq 0 ]; then
    rpc=/run/socketiod/demo.sock
elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then
    rpc=$XDG_RUNTIME_DIR/socketiod/demo.sock
else
    rpc=/tmp/socketiod-$(id -u)/demo.sock
fi
echo "socketiod demo: control socket $rpc (socketioctl -s $rpc stats)"
exec "$bindir/socketiod" --listen "127.0.0.1:$PORT" --static "$pkgdatadir/demo" --relay --rpc "$rpc"

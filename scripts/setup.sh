#!/bin/bash
# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
# setup.sh: installs what socketiod needs on Debian 12 and builds it; idempotent.
#
#   scripts/setup.sh            packages, tests/node_modules, build/ (plain)
#   scripts/setup.sh --asan     ... and build-asan/ (--enable-asan) too
#   scripts/setup.sh --no-build packages and node_modules only
#
# Fast when everything is present: apt-get runs only for missing packages,
# npm only when tests/node_modules is missing or older than the lock file,
# autogen/configure only when their outputs are missing (after that, make's
# own rebuild rules follow configure.ac and Makefile.am).
# Run as root, via sudo, or as a user who may sudo (asked only when a
# package is missing). Under sudo, files made in the work tree are handed
# back to the tree's owner.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

want_build=1 want_asan=0
for arg in "$@"; do
    case $arg in
    --asan) want_asan=1 ;;
    --no-build) want_build=0 ;;
    -h | --help) sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

say() { printf 'setup: %s\n' "$*" >&2; }

# Debian packages, each for one reason (see README.md, "Dependencies").
APT_PACKAGES=(
    build-essential autoconf automake libtool pkg-config # toolchain, autotools
    clang clang-format                       # --enable-fuzzing (libFuzzer); .clang-format
    libevent-dev libcjson-dev libsqlite3-dev libssl-dev libfcgi-dev # libraries
    libhiredis-dev                           # --redis: Redis connections (docs/scale-out.md)
    libcrypt-dev                             # --admin-ui: bcrypt (docs/admin-ui.md)
    redis-server python3-redis               # the Redis of the scale-out tests, python-socketio's RedisManager
    libsystemd-dev                           # sd_notify: Type=notify, the watchdog (optional)
    libfcgi-bin socat                        # cgi-fcgi and socat: test peers
    iproute2                                 # ss: the listen backlog test
    uwsgi uwsgi-plugin-python3               # FastCGI/SCGI upstream app in the tests
    nginx apache2 libapache2-mod-fcgid libapache2-mod-wsgi-py3 # web servers in front (bridge tests)
    python3-pytest                           # the test runner
    python3-socketio python3-engineio python3-requests python3-websocket # Python client
    python3-django python3-webpy python3-setuptools python3-pip python3-venv # the adapters (adapters/), pip install of them into a venv
    python3-mako                             # the web.py Mako template test (webpy-socketio's README)
    python3-prometheus-client                # parses /metrics in the admin test
    debhelper dh-python python3-all lintian  # the Debian packages (debian/, scripts/test-install.sh)
    chromium                                 # the browser test of the example apps (playwright-core)
    ca-certificates                          # npm over https
)

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
    installed "$p" || missing+=("$p")
done
# Node: keep whatever node is there (e.g. nodesource's nodejs, which ships
# npm and conflicts with Debian's npm package); install Debian's only when
# there is none.
if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
elif ! command -v npm >/dev/null 2>&1; then
    missing+=(npm) # Debian's nodejs without its npm
fi

if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Hands files that this run made as root back to the work tree's owner, so a
# later run without sudo can still write build/ and node_modules.
fix_owner() {
    local owner
    owner=$(stat -c %u:%g "$ROOT")
    if [ "$(id -u)" -eq 0 ] && [ "$owner" != 0:0 ]; then
        chown -R --from=0:0 "$owner" "$ROOT" 2>/dev/null || true
    fi
}
trap fix_owner EXIT

# tests/node_modules: socket.io-client 4.x (also the served bundle) and 2.x.
# The stamp npm writes (node_modules/.package-lock.json) tells whether the
# tree matches the committed lock file.
npm_quiet=(--no-audit --no-fund --loglevel=error)
if [ ! -d tests/node_modules ] ||
    [ ! -f tests/node_modules/.package-lock.json ] ||
    [ tests/package.json -nt tests/node_modules/.package-lock.json ] ||
    { [ -f tests/package-lock.json ] &&
        [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; }; then
    if [ -f tests/package-lock.json ]; then
        say "npm ci in tests/"
        (cd tests && npm ci "${npm_quiet[@]}")
    else
        say "npm install in tests/"
        (cd tests && npm install "${npm_quiet[@]}")
    fi
fi

[ "$want_build" -eq 1 ] || exit 0

if [ ! -x configure ] || [ ! -f Makefile.in ]; then
    say "autogen.sh"
    ./autogen.sh
fi

# build_in DIR CONFIGURE-ARGS...: out-of-tree configure (once) and make.
build_in() {
    local dir=$1
    shift
    mkdir -p "$dir"
    if [ ! -f "$dir/config.status" ] || [ ! -f "$dir/Makefile" ]; then
        say "configure in $dir/ $*"
        (cd "$dir" && ../configure -q "$@")
    fi
    say "make in $dir/"
    make -C "$dir" -s -j2
    # The unit test programs are check_PROGRAMS; build them without running
    # them here (scripts/test.sh runs them through pytest).
    make -C "$dir" -s -j2 check-programs
}

build_in build
if [ "$want_asan" -eq 1 ]; then
    build_in build-asan --enable-asan
fi

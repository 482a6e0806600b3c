#!/bin/bash
# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
# test-install.sh: the install paths, as a new user and an operator take them.
#
#   scripts/test-install.sh [--no-distcheck] [--no-deb]
#
#   1. a git checkout without tests/node_modules: configure stops and says how
#      to get the client bundle;
#   2. make dist; the tarball builds and installs with ./configure && make &&
#      make install with no node, no npm and no network (a network namespace
#      of its own, node and npm off PATH);
#   3. make distcheck;
#   4. the Debian packages: dpkg-buildpackage -us -uc -b from the tarball
#      (offline too), lintian without errors, dpkg -i on this machine, the
#      installed daemon run from /etc/socketiod/socketiod.conf as its user,
#      socketioctl and the adapters used as installed, then apt-get remove
#      leaves no socketiod running, and apt-get purge cleans up.
#
# Step 4 installs packages system-wide: it needs root and is meant for CI
# (.ci/run) or a throw-away machine. Nothing here runs in scripts/test.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

want_distcheck=1 want_deb=1
for arg in "$@"; do
    case $arg in
    --no-distcheck) want_distcheck=0 ;;
    --no-deb) want_deb=0 ;;
    -h | --help) sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test-install.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

say() { printf 'test-install: %s\n' "$*" >&2; }
fail() { printf 'test-install: FAIL: %s\n' "$*" >&2; exit 1; }
t0=$SECONDS

WORK=$(mktemp -d /tmp/siod-install.XXXXXX)
daemon_pid=
cleanup() {
    [ -z "$daemon_pid" ] || kill "$daemon_pid" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# offline CMD...: CMD as a build machine without node, npm or network sees
# it: as root, in mount and network namespaces of its own, where node and
# npm are hidden under /dev/null and the only interface is a loopback that
# is down. Without root, only PATH is filtered (steps 1-3 still run).
NO_NODE='for n in node nodejs npm npx corepack; do
    p=$(command -v "$n") && mount --bind /dev/null "$(readlink -f "$p")"
done
! command -v node && ! command -v npm && exec "$@"
echo "test-install: node or npm still found" >&2; exit 1'
if [ "$(id -u)" -eq 0 ] && unshare --mount --net true 2>/dev/null; then
    offline() { unshare --mount --net -- sh -c "$NO_NODE" sh "$@"; }
else
    say "not root: node and npm are only taken off PATH, the network stays"
    OFFLINE_PATH=
    for d in ${PATH//:/ }; do
        [ -x "$d/node" ] || [ -x "$d/npm" ] || OFFLINE_PATH+=${OFFLINE_PATH:+:}$d
    done
    offline() { env PATH="$OFFLINE_PATH" "$@"; }
fi
offline sh -c '! command -v node && ! command -v npm' >/dev/null ||
    fail "node or npm still found offline"

# 1. A git checkout with no client bundle.
say "configure in a git checkout without tests/node_modules"
mkdir "$WORK/checkout"
git ls-files -z | grep -zv '^tests/node_modules' |
    tar --null -T - -cf - | tar -xf - -C "$WORK/checkout"
(cd "$WORK/checkout" && ./autogen.sh >/dev/null 2>&1) || fail "autogen.sh"
if (cd "$WORK/checkout" && ./configure >"$WORK/conf.out" 2>&1); then
    fail "configure passed without a client bundle"
fi
grep -q 'scripts/setup.sh' "$WORK/conf.out" && grep -q 'make dist' "$WORK/conf.out" ||
    fail "configure's error does not say how to get the bundle: $(tail -5 "$WORK/conf.out")"

# 2. The tarball, offline.
bash scripts/setup.sh >/dev/null
say "make dist"
nice make -C build -s dist >/dev/null
version=$(sed -n 's/^AC_INIT(\[socketiod\], \[\([^]]*\)\].*/\1/p' configure.ac)
tarball=$ROOT/build/socketiod-$version.tar.gz
[ -f "$tarball" ] || fail "no $tarball"
mv "$tarball" "$WORK/"
tarball=$WORK/socketiod-$version.tar.gz
for f in socket.io.js adapters/setup.py adapters/example_django/manage.py \
    adapters/example_webpy/main_app.py etc/socketiod.conf \
    etc/systemd/socketiod.service etc/nginx/socketiod-fastcgi.conf \
    docs/deployment.md man/socketiod.8.in debian/rules; do
    tar -tzf "$tarball" "socketiod-$version/$f" >/dev/null 2>&1 ||
        fail "the tarball lacks $f"
done
if tar -tzf "$tarball" | grep -E 'node_modules|__pycache__|\.egg-info|\.o$|/tests/unit/[a-z0-9]+_test$'; then
    fail "the tarball carries build leftovers"
fi

say "tarball: ./configure && make && make install, offline"
tar -xzf "$tarball" -C "$WORK"
src=$WORK/socketiod-$version
(cd "$src" && offline ./configure -q --prefix=/usr/local >/dev/null &&
    offline nice make -s -j2 >/dev/null &&
    offline make -s install DESTDIR="$WORK/root" >/dev/null) ||
    fail "the tarball did not build and install offline"
for f in bin/socketiod bin/socketioctl share/man/man8/socketiod.8 \
    share/man/man1/socketioctl.1 share/man/man5/socketiod.conf.5 \
    etc/socketiod/socketiod.conf lib/systemd/system/socketiod.service \
    share/socketiod/socket.io.js share/socketiod/demo/index.html \
    share/doc/socketiod/deployment.md; do
    [ -s "$WORK/root/usr/local/$f" ] || fail "make install did not install $f"
done
grep -q '^ExecStart=/usr/local/bin/socketiod --config /usr/local/etc/socketiod/socketiod.conf$' \
    "$WORK/root/usr/local/lib/systemd/system/socketiod.service" ||
    fail "the installed unit does not start the daemon from the installed config"
grep -qF 'max\-connections' "$WORK/root/usr/local/share/man/man8/socketiod.8" ||
    fail "socketiod(8) lacks the generated options"
cmp -s "$src/socket.io.js" "$WORK/root/usr/local/share/socketiod/socket.io.js" ||
    fail "the installed socket.io.js is not the shipped one"
rm -rf "$src" "$WORK/root"

# 3. distcheck (a VPATH build from a read-only tree, make check, install,
# uninstall leaving nothing, a tarball again).
if [ "$want_distcheck" -eq 1 ]; then
    say "make distcheck"
    nice make -C build -s distcheck >"$WORK/distcheck.log" 2>&1 ||
        { tail -30 "$WORK/distcheck.log" >&2; fail "make distcheck"; }
    rm -f "$ROOT/build/socketiod-$version.tar.gz"
fi

[ "$want_deb" -eq 1 ] || { say "ok ($((SECONDS - t0)) s)"; exit 0; }
[ "$(id -u)" -eq 0 ] || fail "the Debian package test installs packages: run it as root"

# 4. The Debian packages.
say "dpkg-buildpackage -us -uc -b from the tarball, offline"
tar -xzf "$tarball" -C "$WORK"
(cd "$src" && offline env DEB_BUILD_OPTIONS="nocheck parallel=2" \
    nice dpkg-buildpackage -us -uc -b >"$WORK/deb.log" 2>&1) ||
    { tail -40 "$WORK/deb.log" >&2; fail "dpkg-buildpackage"; }
arch=$(dpkg --print-architecture)
deb=$WORK/socketiod_${version}_$arch.deb
pydeb=$WORK/python3-socketiod_${version}_all.deb
[ -f "$deb" ] && [ -f "$pydeb" ] || fail "the packages were not built"
ls -l "$deb" "$pydeb" >&2

say "lintian"
lintian --fail-on error "$WORK/socketiod_${version}_$arch.changes" >"$WORK/lintian.out" 2>&1 ||
    { cat "$WORK/lintian.out" >&2; fail "lintian reports errors"; }
sed 's/^/  /' "$WORK/lintian.out" >&2

say "dpkg -i"
export DEBIAN_FRONTEND=noninteractive
if dpkg-query -W socketiod python3-socketiod >/dev/null 2>&1; then
    apt-get purge -y -qq socketiod python3-socketiod >/dev/null
fi
dpkg -i "$deb" "$pydeb" >"$WORK/dpkg.log" 2>&1 ||
    { cat "$WORK/dpkg.log" >&2; fail "dpkg -i"; }
dpkg-query -W -f='  ${Package} ${Version}: Installed-Size ${Installed-Size} KiB\n' \
    socketiod python3-socketiod >&2
getent passwd socketiod >/dev/null || fail "no system user socketiod"
[ -f /etc/socketiod/socketiod.conf ] || fail "no /etc/socketiod/socketiod.conf"
[ -f /lib/systemd/system/socketiod.service ] || fail "no unit"
[ "$(stat -c %U:%G:%a /run/socketiod)" = socketiod:www-data:750 ] ||
    fail "/run/socketiod is $(stat -c %U:%G:%a /run/socketiod 2>&1)"
man -w socketiod socketioctl socketiod.conf >/dev/null || fail "man pages"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify /lib/systemd/system/socketiod.service ||
        fail "systemd-analyze verify socketiod.service"
fi

say "the installed daemon from the installed config"
for port in 9000 9001; do
    if ss -Hltn "sport = :$port" | grep -q .; then
        fail "port $port (the packaged config's) is taken on this machine"
    fi
done
# As the unit runs it: User=socketiod, Group=www-data, UMask=0007.
setpriv --reuid=socketiod --regid=www-data --clear-groups \
    sh -c 'umask 0007 && exec /usr/bin/socketiod --config /etc/socketiod/socketiod.conf' \
    </dev/null >"$WORK/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do
    [ -S /run/socketiod/socketiod.sock ] && break
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$WORK/daemon.log" >&2; fail "the daemon died"; }
    sleep 0.1
done
[ -S /run/socketiod/socketiod.sock ] || fail "no control socket"
/usr/bin/python3 - <<'EOF' || fail "the installed daemon does not serve"
import json, urllib.request
base = "http://127.0.0.1:9000/socket.io/"
js = urllib.request.urlopen(base + "socket.io.js", timeout=10).read()
assert js == open("/usr/share/socketiod/socket.io.js", "rb").read()
hs = urllib.request.urlopen(base + "?EIO=4&transport=polling", timeout=10).read()
assert hs.startswith(b"0") and "sid" in json.loads(hs[1:]), hs
EOF
# The web server's user reaches the control socket, with the installed CLI
# and the installed adapters (run from / so the source tree is not on the path).
out=$(cd / && setpriv --reuid=www-data --regid=www-data --init-groups \
    /usr/bin/socketioctl -s /run/socketiod/socketiod.sock --json stats) ||
    fail "socketioctl stats as www-data"
case $out in *connections*) ;; *) fail "socketioctl stats: $out" ;; esac
(cd / && setpriv --reuid=www-data --regid=www-data --init-groups /usr/bin/python3 -c '
import socketiod, django_socketio, realtime, webpy_socketio
from socketiod.rpc import RpcClient
assert socketiod.__file__.startswith("/usr/lib/python3/dist-packages/"), socketiod.__file__
print(RpcClient("/run/socketiod/socketiod.sock").stats()["connections"])
' >/dev/null) || fail "the installed adapters"

say "apt-get remove"
apt-get remove -y -qq socketiod python3-socketiod >"$WORK/remove.log" 2>&1 ||
    { cat "$WORK/remove.log" >&2; fail "apt-get remove"; }
for _ in $(seq 50); do
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$daemon_pid" 2>/dev/null; then
    fail "the daemon still runs after apt-get remove"
fi
wait "$daemon_pid" 2>/dev/null || true
daemon_pid=
if pgrep -u socketiod -x socketiod >/dev/null; then
    fail "a socketiod runs after apt-get remove"
fi
[ ! -e /usr/bin/socketiod ] || fail "/usr/bin/socketiod left behind"
apt-get purge -y -qq socketiod python3-socketiod >/dev/null 2>&1
[ ! -e /etc/socketiod/socketiod.conf ] || fail "purge left the config"

say "ok ($((SECONDS - t0)) s)"

# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
# client.mk: the served client bundle and the demo page (included by Makefile.am).
#
# socket.io.js = the official socket.io-client 4.x browser bundle (from npm,
# installed into tests/node_modules by scripts/setup.sh, never committed)
# followed by our extension (socket.subscribe/unsubscribe). The daemon serves
# it at <path>socket.io.js; --client-js defaults to $(pkgdatadir)/socket.io.js.
# The bundle's sourceMappingURL line is dropped: the map is not served, and
# a browser would otherwise log a failed fetch for it.

SIOD_CLIENT_BUNDLE = $(srcdir)/tests/node_modules/socket.io-client/dist/socket.io.min.js
SIOD_CLIENT_EXT = $(srcdir)/sidecar/client/socketiod-ext.js

# dist_: make dist ships the built socket.io.js, so the tarball builds and
# installs with no node, npm or network (configure picks the shipped one
# when tests/node_modules is absent, and says how to get it when both are).
dist_pkgdata_DATA += socket.io.js
siod_demodir = $(pkgdatadir)/demo
dist_siod_demo_DATA = sidecar/demo/index.html

if SIOD_CLIENT_FROM_NPM
# Only the generated copy is cleaned: a shipped one belongs to the tarball.
CLEANFILES += socket.io.js socket.io.js.tmp

socket.io.js: $(SIOD_CLIENT_BUNDLE) $(SIOD_CLIENT_EXT)
	$(AM_V_GEN){ sed -e '/^\/\/. sourceMappingURL=/d' $(SIOD_CLIENT_BUNDLE) && \
	  echo && cat $(SIOD_CLIENT_EXT); } > $@.tmp && mv -f $@.tmp $@

# Only reached when the bundle went missing after configure: say how to get it.
$(SIOD_CLIENT_BUNDLE):
	@echo "error: $@ is missing;" >&2; \
	echo "  run scripts/setup.sh (it installs socket.io-client from npm into tests/node_modules)" >&2; \
	exit 1
endif

# Builds the unit test programs without running them: scripts/test.sh runs
# them through pytest (tests/test_unit.py), one pytest test per program.
check-programs: $(check_PROGRAMS)
.PHONY: check-programs

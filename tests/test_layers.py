# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The layering rule of HACKING.md, checked: every file of sidecar/ is in
HACKING.md's layer table once, and includes only headers of its own layer
or of layers below it (CONVENTIONS: rules that test themselves)."""
import os
import re

ROOT = os.environ.get("SOCKETIOD_SRCDIR",
                      os.path.dirname(os.path.dirname(
                          os.path.abspath(__file__))))
SIDECAR = os.path.join(ROOT, "sidecar")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)


def layer_table():
    """{stem: layer number} from the rows `| N name | a, b, c |`."""
    with open(os.path.join(ROOT, "HACKING.md")) as f:
        text = f.read()
    layers = {}
    for m in re.finditer(r"^\s*\|\s*(\d+)\s[^|]*\|([^|]+)\|\s*$", text, re.M):
        for stem in m.group(2).split(","):
            stem = stem.strip()
            assert stem not in layers, "%s is in the table twice" % stem
            layers[stem] = int(m.group(1))
    assert layers, "no layer table in HACKING.md"
    return layers


def sources():
    for name in sorted(os.listdir(SIDECAR)):
        if name.endswith((".c", ".h")):
            yield name, name.rsplit(".", 1)[0]


def test_every_file_has_a_layer():
    layers = layer_table()
    stems = {stem for _, stem in sources()}
    assert sorted(stems - set(layers)) == [], "files missing from the table"
    assert sorted(set(layers) - stems) == [], "the table names no such file"


def upward(name, text, layers):
    """The includes of file `name` (its text) that go up a layer."""
    stem = name.rsplit(".", 1)[0]
    return ["%s (layer %d) includes %s.h (layer %d)" %
            (name, layers[stem], inc, layers[inc])
            for inc in INCLUDE.findall(text)
            if inc in layers and layers[inc] > layers.get(stem, 0)]


def test_no_include_goes_up():
    layers = layer_table()
    up = []
    for name, _ in sources():
        with open(os.path.join(SIDECAR, name)) as f:
            up += upward(name, f.read(), layers)
    assert up == []


def test_the_check_sees_an_upward_include():
    # A check that matches nothing passes whatever the tree does.
    layers = layer_table()
    assert upward("buf.c", '#include "buf.h"\n#include "rpc.h"\n',
                  layers) == ["buf.c (layer 1) includes rpc.h (layer 9)"]
    assert upward("hub.c", '#include  "sock.h"\n', layers) == []

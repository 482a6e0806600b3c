# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The memory goal, read from `sizes`: what one idle WebSocket
connection with one socket allocates stays within 1 KB of user space."""
import os
import re
import subprocess

ROOT = os.environ.get("SOCKETIOD_SRCDIR",
                      os.path.dirname(os.path.dirname(
                          os.path.abspath(__file__))))
SIZES = os.environ.get("SOCKETIOD_SIZES", os.path.join(ROOT, "build", "sizes"))
GOAL = 1024


def malloc_chunk(n):
    """What glibc's malloc takes for n bytes on 64-bit: n plus its 8-byte
    header, rounded up to 16, at least 32."""
    return max(32, (n + 8 + 15) // 16 * 16)


def test_an_idle_connection_fits_the_memory_goal():
    out = subprocess.run([SIZES], check=True, capture_output=True,
                         text=True).stdout
    sizes = {m.group(1).strip(): int(m.group(2))
             for m in re.finditer(r"^(\S[^\d]*?)\s+(\d+)$", out, re.M)}
    # One allocation each (the struct event lives inside struct conn).
    parts = ["struct conn", "struct engine_session", "struct sock_client",
             "struct sock", "hub socket record"]
    assert set(parts) <= set(sizes), out
    total = sum(malloc_chunk(sizes[p]) for p in parts)
    assert total <= GOAL, "%d bytes per idle connection:\n%s" % (total, out)

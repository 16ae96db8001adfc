"""How Zhiliang starts Debian's chromium, for browser tests and README screenshots."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("ZHILIANG_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying hosts that a closed
# government network (and this CI machine) refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

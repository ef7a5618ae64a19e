"""Where the role's patched nmap is, for the benchmarks that put it beside stock nmap."""

from __future__ import annotations

import os
from typing import Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLACES = (
    os.path.join(ROOT, "build", "nmap-role", "prefix", "bin", "nmap"),  # make nmap-role
    "/opt/fastprobe/nmap/bin/nmap",  # the role's default prefix
)


def patched_nmap(given: Optional[str] = None) -> Optional[str]:
    for path in ([given] if given else []) + list(PLACES):
        if os.access(path, os.X_OK):
            return path
    if given:
        raise SystemExit(f"--patched-nmap {given}: not an executable file")
    return None


NOT_BUILT = "patched nmap: not built (run `make nmap-role`, or give --patched-nmap PATH)"

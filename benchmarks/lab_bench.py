"""The whole lab: stock nmap -sV against fastprobe on the same ports, in one run.

    .venv/bin/python benchmarks/lab_bench.py

Starts the lab (tests/lab; needs root and scripts/install-lab-packages), runs stock
nmap on every TCP port (one nmap per address, all in parallel, as a user would) and
fastprobe (fast profile) on the same ports, then prints both wall times, the ratio,
and every port where the service names, products or versions differ.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from fastprobe.engine.scan import Scanner  # noqa: E402
from tests.fidelity.capture import parse_xml, run_nmap  # noqa: E402
from tests.lab import Lab  # noqa: E402


def main() -> int:
    with Lab() as lab, tempfile.TemporaryDirectory() as tmp:
        lab.start_all()
        by_host: dict[str, list[int]] = {}
        names = {}
        for s in lab.services:
            if s.protocol == "tcp":
                by_host.setdefault(s.host, []).append(s.port)
                names[(s.host, s.port)] = s.name
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(by_host)) as pool:
            runs = list(pool.map(lambda h: (h, run_nmap(h, by_host[h], Path(tmp))), by_host))
        nmap_wall = time.monotonic() - start
        theirs = {}
        for host, (_trace, xml_path, _secs) in runs:
            for port, v in parse_xml(xml_path)[1].items():
                theirs[(host, port)] = v

        async def ours() -> dict:
            return {(r.address, r.port): r async for r in Scanner().scan(endpoints=lab.endpoints())}

        start = time.monotonic()
        mine = asyncio.run(ours())
        our_wall = time.monotonic() - start
    named = agree_name = agree_version = 0
    notes = []
    for key, v in sorted(theirs.items()):
        r = mine.get(key)
        if v.method != "probed" or r is None:
            continue
        named += 1
        if (r.service, r.tunnel) == (v.service, v.tunnel):
            agree_name += 1
        else:
            notes.append(
                f"{names[key]}: name ours {r.service}/{r.tunnel}, nmap {v.service}/{v.tunnel}"
            )
        if (r.product, r.version) == (v.product, v.version):
            agree_version += 1
        else:
            notes.append(
                f"{names[key]}: ours {r.product} {r.version}, nmap {v.product} {v.version}"
            )
    print(f"lab: {len(names)} TCP ports on {len(by_host)} addresses; nmap names {named}")
    print(
        f"stock nmap -sV: {nmap_wall:.1f} s; fastprobe: {our_wall:.1f} s; "
        f"ratio {nmap_wall / our_wall:.0f}x"
    )
    print(
        f"same service name on {agree_name}/{named}; same product and version on "
        f"{agree_version}/{named} ({100 * agree_version / max(named, 1):.1f}%)"
    )
    for n in notes:
        print("  " + n)
    return 0


if __name__ == "__main__":
    sys.exit(main())

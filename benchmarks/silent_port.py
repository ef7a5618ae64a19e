"""One silent port (accepts, never speaks): stock nmap -sV, the role's patched nmap
and fastprobe, in one run.

    .venv/bin/python benchmarks/silent_port.py [--skip-nmap] [--patched-nmap PATH]

nmap walks every probe and waits for each (~160 s on nmap 7.93); the patched nmap
(roles/nmap: 300 ms a probe) still walks them one after another; fastprobe's fast
profile sends them at once with short waits. All must call the port unknown.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.patched import NOT_BUILT, patched_nmap  # noqa: E402
from fastprobe.engine.ports import Ports  # noqa: E402
from fastprobe.engine.scan import Scanner  # noqa: E402


def nmap_verdict(port: int, nmap: str = "nmap") -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.xml")
        start = time.monotonic()
        subprocess.run(
            [nmap, "-sV", "-sT", "-Pn", "-n", "-p", str(port), "127.0.0.1", "-oX", out],
            check=True, capture_output=True,
        )  # fmt: skip
        took = time.monotonic() - start
        svc = ET.parse(out).getroot().find(".//port/service")
        method = svc.get("method") if svc is not None else None
        return took, "unknown" if method != "probed" else str(svc.get("name"))


async def fastprobe_verdict(port: int, runs: int) -> tuple[list[float], str]:
    scanner = Scanner()
    times, verdict = [], ""
    for _ in range(runs):
        start = time.monotonic()
        records = [r async for r in scanner.scan(["127.0.0.1"], Ports((port,), ()))]
        times.append(time.monotonic() - start)
        verdict = records[0].method or "" if records else "closed"
    return times, verdict


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--skip-nmap", action="store_true", help="fastprobe only")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--patched-nmap", metavar="PATH", help="the role's nmap (default: found)")
    args = ap.parse_args()
    patched = patched_nmap(args.patched_nmap)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(256)  # the kernel accepts; nobody ever speaks
        port = silent.getsockname()[1]
        times, ours = asyncio.run(fastprobe_verdict(port, args.runs))
        best = min(times)
        print(
            f"fastprobe (fast profile): {best:.3f} s best, {sorted(times)[len(times) // 2]:.3f} s"
            f" median of {len(times)}, verdict {ours}"
        )
        if patched:
            fixed, verdict = nmap_verdict(port, patched)
            print(f"patched nmap -sV ({patched}): {fixed:.1f} s, verdict {verdict}")
            print(f"ratio patched nmap / fastprobe: {fixed / best:.0f}x")
        else:
            print(NOT_BUILT)
        if not args.skip_nmap:
            took, theirs = nmap_verdict(port)
            print(f"stock nmap -sV: {took:.1f} s, verdict {theirs}")
            print(f"ratio stock nmap / fastprobe: {took / best:.0f}x")
            if patched:
                print(f"ratio stock nmap / patched nmap: {took / fixed:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The whole lab: stock nmap -sV, the role's patched nmap and fastprobe on the same
ports, each without and with the rule pack (rules/*.probes), in one run.

    .venv/bin/python benchmarks/lab_bench.py [--patched-nmap PATH]

Starts the lab (tests/lab; needs root and scripts/install-lab-packages), runs stock
nmap on every TCP port (one nmap per address, all in parallel, as a user would), then
the patched nmap the same way (roles/nmap; `make nmap-role` builds it) with nmap's
file and with the file `fastprobe rules assemble` writes (nmap's and the pack, no
Exclude), then fastprobe (fast profile) with nmap's rules alone (and its Exclude) and
with its defaults (the pack, nmap's Exclude replaced). Prints wall times, ports left
unidentified, the ratios, and every port where fastprobe with nmap's rules differs
from stock nmap in service name, product or version.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.patched import NOT_BUILT, patched_nmap  # noqa: E402
from fastprobe.engine.scan import Scanner  # noqa: E402
from fastprobe.rules.assemble import assemble, read_source  # noqa: E402
from fastprobe.rules.ruleset import (  # noqa: E402
    RuleSet,
    default_overlays,
    find_nmap_probes,
    load_rules,
)
from tests.fidelity.capture import parse_xml, run_nmap  # noqa: E402
from tests.lab import Lab  # noqa: E402


def nmap_lab(
    nmap: str, by_host: dict[str, list[int]], tmp: str, tag: str, extra: tuple[str, ...] = ()
) -> tuple[dict, float]:
    """One nmap per address, all at once; verdicts by (address, port) and the wall time."""

    def one(host: str) -> tuple[str, tuple]:
        return host, run_nmap(host, by_host[host], Path(tmp), nmap, tag, extra)

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(by_host)) as pool:
        runs = list(pool.map(one, by_host))
    wall = time.monotonic() - start
    verdicts = {}
    for host, (_trace, xml_path, _secs) in runs:
        for port, v in parse_xml(xml_path)[1].items():
            verdicts[(host, port)] = v
    return verdicts, wall


def compare(label: str, theirs: dict, mine: dict, names: dict) -> None:
    """How often ``mine`` names what stock nmap named, and where it does not."""
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
                f"{names[key]}: name {label} {r.service}/{r.tunnel}, nmap {v.service}/{v.tunnel}"
            )
        if (r.product, r.version) == (v.product, v.version):
            agree_version += 1
        else:
            notes.append(
                f"{names[key]}: {label} {r.product} {r.version}, nmap {v.product} {v.version}"
            )
    print(
        f"{label}: same service name as stock nmap on {agree_name}/{named}; same product and "
        f"version on {agree_version}/{named} ({100 * agree_version / max(named, 1):.1f}%)"
    )
    for n in notes:
        print("  " + n)


def fastprobe_lab(lab: Lab, rules: RuleSet) -> tuple[dict, float]:
    async def scan() -> dict:
        scanner = Scanner(rules=rules)
        return {(r.address, r.port): r async for r in scanner.scan(endpoints=lab.endpoints())}

    start = time.monotonic()
    records = asyncio.run(scan())
    return records, time.monotonic() - start


def unidentified(results: dict) -> list:
    """Ports a run left without a service name of its rules: nmap's port-table guesses
    and excluded ports, fastprobe's unknown, excluded and tcpwrapped."""
    out = []
    for key, v in results.items():
        method = getattr(v, "method", None)
        if method in ("table", "unknown", "excluded", None) or v.service == "tcpwrapped":
            out.append(key)
    return sorted(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--patched-nmap", metavar="PATH", help="the role's nmap (default: found)")
    patched = patched_nmap(ap.parse_args().patched_nmap)
    with Lab() as lab, tempfile.TemporaryDirectory() as tmp:
        lab.start_all()
        by_host: dict[str, list[int]] = {}
        names = {}
        for s in lab.services:
            if s.protocol == "tcp":
                by_host.setdefault(s.host, []).append(s.port)
                names[(s.host, s.port)] = s.name
        packed_file = Path(tmp, "nmap-service-probes")
        base = find_nmap_probes() or "nmap-service-probes"
        overlays = [read_source(p) for p in default_overlays()]
        packed = assemble(read_source(base), overlays, exclude="drop")
        packed_file.write_text(packed.text, encoding="latin-1")
        theirs, nmap_wall = nmap_lab("nmap", by_host, tmp, "stock")
        fixed, fixed_wall = nmap_lab(patched, by_host, tmp, "patched") if patched else ({}, 0.0)
        packed, packed_wall = (
            nmap_lab(patched, by_host, tmp, "packed", ("--versiondb", str(packed_file)))
            if patched
            else ({}, 0.0)
        )
        mine, our_wall = fastprobe_lab(lab, load_rules(overlays=[], exclude="keep"))
        pack, pack_wall = fastprobe_lab(lab, load_rules(exclude="replace"))
    named = sum(1 for v in theirs.values() if v.method == "probed")
    print(f"lab: {len(names)} TCP ports on {len(by_host)} addresses; stock nmap names {named}")
    print(f"stock nmap -sV: {nmap_wall:.1f} s; fastprobe: {our_wall:.1f} s")
    print(f"ratio stock nmap / fastprobe: {nmap_wall / our_wall:.0f}x")
    if patched:
        print(f"patched nmap -sV: {fixed_wall:.1f} s")
        print(f"ratio stock / patched: {nmap_wall / fixed_wall:.1f}x; "
              f"patched / fastprobe: {fixed_wall / our_wall:.1f}x")  # fmt: skip
    else:
        print(NOT_BUILT)
    compare("fastprobe", theirs, mine, names)
    if patched:
        compare("patched nmap", theirs, fixed, names)
    print(f"\nthe rule pack ({len(default_overlays())} files in rules/), {len(names)} ports:")
    print("| run | wall time | ports not identified | sum of per-port times |")
    print("| --- | --- | --- | --- |")
    rows = [("stock nmap -sV", nmap_wall, theirs, None)]
    if patched:
        rows += [("patched nmap", fixed_wall, fixed, None),
                 ("patched nmap + pack", packed_wall, packed, None)]  # fmt: skip
    rows += [("fastprobe, nmap's rules", our_wall, mine, mine),
             ("fastprobe + pack (default)", pack_wall, pack, pack)]  # fmt: skip
    for label, wall, results, records in rows:
        per_port = (f"{sum(r.elapsed_ms for r in records.values()) / 1000:.1f} s"
                    if records else "")  # fmt: skip
        print(f"| {label} | {wall:.1f} s | {len(unidentified(results))} | {per_port} |")
    for label, results in (("fastprobe, nmap's rules", mine), ("fastprobe + pack", pack)):
        print(f"{label}: not identified: " + ", ".join(names[k] for k in unidentified(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

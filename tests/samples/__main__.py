"""``python -m tests.samples``: record the pack's samples and write them into rules/.

Starts the lab servers the recordings need (loopback only), sends each recording's
probe (or puts the server in the state the recording needs), runs stock nmap on the
same ports for its verdict, builds the samples written from documentation, and
rewrites the ``#@example`` lines of ``rules/*.probes``. Prints the table of stock
nmap's verdicts beside the pack's (docs/rules.md keeps a copy).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from fastprobe.rules.matcher import Matcher
from fastprobe.rules.ruleset import find_nmap_probes, load_rules
from tests.fidelity.capture import Verdict, exchange, parse_xml, run_nmap
from tests.lab import Lab, install_signal_handlers, package_field, package_version

from .documented import DOCUMENTED
from .model import Expect, Recording
from .recorded import RECORDED
from .write import PlacementError, Sample, place

ROOT = Path(__file__).resolve().parents[2]


def describe(v: Optional[Verdict]) -> str:
    """A verdict as nmap's VERSION column reads, with the service first."""
    if v is None or not v.service:
        return "no verdict"
    if v.method == "table":
        return f"{v.service}? (port table only: not identified)"
    words = [v.service, v.product or "", v.version or ""]
    if v.extrainfo:
        words.append(f"({v.extrainfo})")
    return " ".join(w for w in words if w)


def by_rules(nmap_rules: Matcher, probe: str, reply: bytes, protocol: str = "TCP") -> str:
    """nmap's verdict on one reply, from nmap's own rules (the matcher reproduces them)."""
    verdict = nmap_rules.match(probe, reply, protocol).verdict
    if verdict is None:
        return "no match (unknown)"
    v = Verdict(0, "tcp", "open", verdict.service, verdict.product, verdict.version,
                verdict.extrainfo, method="probed")  # fmt: skip
    return describe(v) + (" (soft)" if verdict.soft else "") + " [nmap's rules]"


def versions(package: str) -> dict[str, str]:
    full = package_version(package) or ""
    upstream, dash, revision = full.split(":", 1)[-1].rpartition("-")
    values = {"full": full, "upstream": upstream or revision, "revision": revision if dash else ""}
    for item in (package_field(package, "Built-Using") or "").split(","):
        name, _sep, rest = item.strip().partition(" ")
        if name.startswith("golang-1"):
            values["go"] = rest.strip("(= )").rsplit("-", 1)[0]
    return values


def resolve(expect: Expect, values: dict[str, str]) -> Expect:
    def fill(v: object) -> object:
        if isinstance(v, str):
            return v.format(**values) or None
        if isinstance(v, tuple):
            return tuple(x.format(**values) for x in v)
        return v

    return Expect(**{k: fill(v) for k, v in expect.__dict__.items()})


def record(lab: Lab, recs: list[Recording], nmap_rules: Matcher, workdir: Path) -> list[Sample]:
    rules = nmap_rules.rules
    stock: dict[str, set[int]] = defaultdict(set)
    for rec in recs:
        if rec.capture is None:
            svc = lab.service(f"{rec.server}-{rec.endpoint}")
            stock[svc.host].add(svc.port)

    def nmap_host(host: str) -> tuple[str, dict[int, Verdict]]:
        xml = run_nmap(host, sorted(stock[host]), workdir)[1]
        return host, parse_xml(xml)[1]

    def capture(rec: Recording) -> bytes:
        svc = lab.service(f"{rec.server}-{rec.endpoint}")
        probe = rules.get(rec.probe)
        if probe is None:
            raise SystemExit(f"{rec.name}: nmap has no probe {rec.probe}")
        if rec.capture is not None:
            reply = rec.capture(svc.host, svc.port, probe.payload)
        else:
            reply = exchange(svc.host, svc.port, probe.payload, use_tls=False)
        if not reply:
            raise SystemExit(f"{rec.name}: no reply from {svc.host}:{svc.port}")
        return reply

    with ThreadPoolExecutor(max_workers=max(1, len(stock))) as pool:
        running = pool.map(nmap_host, sorted(stock))  # stock nmap while the probes go
        replies = [capture(rec) for rec in recs]
        verdicts = dict(running)
    samples = []
    for rec, reply in zip(recs, replies):
        svc = lab.service(f"{rec.server}-{rec.endpoint}")
        if rec.capture is not None:
            nmap = by_rules(nmap_rules, rec.probe, reply)
        else:
            nmap = "stock nmap -sV: " + describe(verdicts[svc.host].get(svc.port))
        values = versions(svc.package)
        how = f", {rec.how}" if rec.how else ""
        source = f"recorded from {svc.package} {values['full']} (tests/lab {rec.server}{how})"
        expect = resolve(rec.expect, values)
        samples.append(Sample(rec.name, rec.probe, reply, expect, source, nmap))
    return samples


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.samples", description=__doc__)
    parser.add_argument("--rules-dir", type=Path, default=ROOT / "rules")
    args = parser.parse_args(argv)
    base = find_nmap_probes()
    if base is None:
        print("nmap's probe file was not found (install nmap)", file=sys.stderr)
        return 2
    nmap_rules = Matcher(load_rules(base, [], cache=False))
    install_signal_handlers()
    with tempfile.TemporaryDirectory(prefix="fastprobe-samples-") as tmp, Lab() as lab:
        lab.start_all(sorted({r.server for r in RECORDED}), strict=True)
        samples = record(lab, list(RECORDED), nmap_rules, Path(tmp))
    for built in DOCUMENTED:
        samples.append(Sample(built.name, built.probe, built.reply, built.expect, built.source,
                              by_rules(nmap_rules, built.probe, built.reply, built.protocol),
                              built.protocol))  # fmt: skip
    try:
        texts = place(samples, args.rules_dir)
    except PlacementError as exc:
        print(f"not written:\n{exc}", file=sys.stderr)
        return 1
    for path, text in texts.items():
        path.write_text(text, encoding="latin-1")
    print("| sample | probe | stock nmap 7.93 | fastprobe with the pack |")
    print("| --- | --- | --- | --- |")
    for s in samples:
        e = s.expect
        ours = " ".join(x for x in (e.service, e.product, e.version) if x)
        if e.extrainfo:
            ours += f" ({e.extrainfo})"
        print(f"| {s.name} | {s.probe} | {s.nmap} | {ours} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Matching speed: the prefilter index against a plain loop over every rule, and the
time from nothing to ready-to-match on nmap's whole file.

    .venv/bin/python benchmarks/match_bench.py [--corpus FILE] [--repeat N]

Every reply of the corpus is matched both ways and the verdicts must be identical;
the figures are the median over replies of the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "plugins", "module_utils"))

from fastprobe.rules.matcher import Matcher  # noqa: E402
from fastprobe.rules.ruleset import find_nmap_probes, load_rules  # noqa: E402

READY = """
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, {path!r})
from fastprobe.rules.matcher import Matcher
from fastprobe.rules.ruleset import load_rules
rules = load_rules({probes!r}, [])
t1 = time.perf_counter()
m = Matcher(rules)
m.match("NULL", b"SSH-2.0-OpenSSH_9.2p1\\r\\n")
m.match("GetRequest", b"HTTP/1.1 200 OK\\r\\nServer: nginx\\r\\n\\r\\n")
t2 = time.perf_counter()
for p in rules.probes:
    m.index(p)
t3 = time.perf_counter()
print(t1 - t0, t2 - t0, t3 - t0)
"""


def ready_times(probes: str, cache_dir: str) -> tuple[float, float, float]:
    env = dict(os.environ, FASTPROBE_CACHE_DIR=cache_dir)
    code = READY.format(path=os.path.join(ROOT, "plugins", "module_utils"), probes=probes)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    load, first, full = (float(x) for x in out.split())
    return load, first, full


def best(matcher: Matcher, probe: str, reply: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        matcher.match(probe, reply)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=os.path.join(ROOT, "benchmarks", "corpus", "replies.jsonl"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    probes = find_nmap_probes()
    if not probes:
        print("nmap's probe file is missing: run `make setup`", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as cache:
        cold = ready_times(probes, cache)
        warm = ready_times(probes, cache)
    print(f"probe file: {probes}")
    print("ready to match (import + load + first NULL and GetRequest match):")
    print(
        f"  cold (no cache) : load {cold[0]:.3f} s, first matches done {cold[1]:.3f} s,"
        f" all probe indexes {cold[2]:.3f} s"
    )
    print(
        f"  warm (cached)   : load {warm[0]:.3f} s, first matches done {warm[1]:.3f} s,"
        f" all probe indexes {warm[2]:.3f} s"
    )

    with open(args.corpus) as fh:
        corpus = [json.loads(line) for line in fh]
    rules = load_rules(probes, [])
    indexed = Matcher(rules)
    unguarded = Matcher(rules, timeout=None)
    plain = Matcher(rules, use_index=False, timeout=None)
    for r in rules.rules():  # compile everything first: we time matching, not compiling
        r.regex  # noqa: B018
    for p in rules.probes:
        indexed.index(p)
        unguarded.index(p)

    t_index, t_unguarded, t_plain = [], [], []
    named = 0
    for row in corpus:
        probe, reply = row["probe"], bytes.fromhex(row["reply_hex"])
        a = indexed.match(probe, reply).verdict
        b = plain.match(probe, reply).verdict
        if a != b:
            print(f"MISMATCH on {row['id']}: index {a} vs plain {b}", file=sys.stderr)
            return 1
        named += a is not None
        t_index.append(best(indexed, probe, reply, args.repeat))
        t_unguarded.append(best(unguarded, probe, reply, args.repeat))
        t_plain.append(best(plain, probe, reply, max(1, args.repeat // 2)))
    med = {
        k: statistics.median(v) * 1e6
        for k, v in (("index", t_index), ("unguarded", t_unguarded), ("plain", t_plain))
    }
    print(
        f"corpus: {len(corpus)} replies, {named} named, verdicts identical with and without index"
    )
    print(
        f"median per reply: plain loop {med['plain']:.0f} us, index {med['unguarded']:.0f} us"
        f" (with regex time bound {med['index']:.0f} us)"
    )
    print(
        f"speed-up: {med['plain'] / med['unguarded']:.1f}x"
        f" ({med['plain'] / med['index']:.1f}x with the time bound)"
    )
    print(f"total over the corpus: plain {sum(t_plain):.3f} s, index {sum(t_index):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Check any nmap-service-probes file against the installed nmap, rule by rule.

    .venv/bin/python benchmarks/probe_file_fidelity.py PATH [--every N]

Parses PATH (every rule kept, every pattern compiled), then generates a reply from
the patterns of: every rule using $P/$SUBST/$I, every rule with an atomic group or
a possessive quantifier, and every Nth rule; serves them on loopback ports and
compares the installed nmap's verdict with ours. Use it on a newer upstream file
(kept outside this repository) to see that its shape is read as nmap reads it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "plugins", "module_utils")]

from fastprobe.rules.parser import parse_file  # noqa: E402
from fastprobe.rules.ruleset import RuleSet  # noqa: E402
from tests.test_nmap_differential import _compare, _generated, _uses_helper  # noqa: E402

POSSESSIVE = ("*+", "++", "?+", "}+")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path")
    ap.add_argument("--every", type=int, default=25, help="sample every Nth rule (default 25)")
    args = ap.parse_args()
    start = time.perf_counter()
    pf = parse_file(args.path)
    rules = pf.rules()
    RuleSet([], base=pf)  # fallbacks resolve
    failed = [r.location for r in rules if r.regex is None]
    print(
        f"{args.path}: {len(pf.probes)} probes, {sum(not r.soft for r in rules)} match, "
        f"{sum(r.soft for r in rules)} softmatch, {len(pf.issues)} issues, "
        f"{len(failed)} patterns failed to compile ({time.perf_counter() - start:.1f} s)"
    )
    with open(args.path, encoding="latin-1") as fh:
        lines = fh.read().split("\n")
    sets = {
        "helper lines ($P/$SUBST/$I)": [r for r in rules if _uses_helper(r)],
        "atomic groups / possessive": [
            r for r in rules if "(?>" in r.pattern or any(q in r.pattern for q in POSSESSIVE)
        ],
        f"every {args.every}th rule": rules[:: args.every],
    }
    total = 0
    for name, subset in sets.items():
        chosen, replies = _generated(subset, lines, seed=len(name))
        problems = _compare(chosen, replies)
        total += len(problems)
        print(f"{name}: {len(subset)} rules, {len(replies)} replies, {len(problems)} disagreements")
        for p in problems[:10]:
            print("  " + p.replace("\n", "\n  "))
    return 1 if total or failed else 0


if __name__ == "__main__":
    sys.exit(main())

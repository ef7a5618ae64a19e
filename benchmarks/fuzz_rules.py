"""Fuzz the rules layer with a million mutated lines of nmap's real probe file.

    .venv/bin/python benchmarks/fuzz_rules.py [--lines 1000000] [--seed 1] [--jobs 2]

Each line is a line of the installed nmap-service-probes (or of the project's
overlays) with one to three random edits (tests/support/fuzzlines.py, shared with
tests/test_fuzz.py). It must be refused with a ProbeFileError naming its line, or
accepted; an accepted rule must compile, run on a few replies under the regex guard,
fill its templates, pass lint and a pickle round trip. Prints the counts and, per
kind of crash, how many and one line that caused it; exits 1 on any crash.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time
from multiprocessing import get_context

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "plugins", "module_utils")]

from fastprobe.rules.ruleset import find_nmap_probes  # noqa: E402
from tests.support.fuzzlines import Tally, read_seeds, report, run  # noqa: E402

CHUNK = 20000  # lines per progress report (and per task with --jobs)


def _task(job: tuple[list[str], int, int]) -> Tally:
    seeds, count, seed = job
    return run(seeds, count, seed)


def merge(into: Tally, part: Tally) -> None:
    for name in ("lines", "accepted", "refused", "rules", "replies", "matched"):
        setattr(into, name, getattr(into, name) + getattr(part, name))
    into.crashes.update(part.crashes)
    for key, crash in part.samples.items():
        into.samples.setdefault(key, crash)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000, help="mutated lines (default 1M)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--nmap-probes", help="nmap's probe file (default: the installed one)")
    args = ap.parse_args()
    path = args.nmap_probes or find_nmap_probes()
    if not path:
        ap.error("nmap's probe file was not found: install nmap or give --nmap-probes")
    seeds = read_seeds([path, *sorted(glob.glob(os.path.join(ROOT, "rules", "*.probes")))])
    print(f"{len(seeds)} seed lines from {path} and rules/*.probes", flush=True)
    # chunk k mutates with seed (args.seed, k): the same run whatever --jobs is
    jobs = []
    for k, start in enumerate(range(0, args.lines, CHUNK)):
        jobs.append((seeds, min(CHUNK, args.lines - start), args.seed * 1_000_003 + k))
    total = Tally()
    began = time.perf_counter()
    with get_context("fork").Pool(max(1, args.jobs)) as pool:
        for k, part in enumerate(pool.imap(_task, jobs)):
            for key in part.crashes.keys() - total.crashes.keys():  # new kinds, as found
                crash = part.samples[key]
                print(f"  crash {key} (chunk seed {jobs[k][2]}): {crash.line[:200]!r}")
            merge(total, part)
            rate = total.lines / (time.perf_counter() - began)
            print(
                f"  {total.lines:>9} lines, {total.crash_count} crashes, {rate:,.0f} lines/s",
                flush=True,
            )
    elapsed = time.perf_counter() - began
    print(report(total))
    print(f"{elapsed:.0f} s ({args.jobs} job(s), seed {args.seed})")
    return 1 if total.crash_count else 0


if __name__ == "__main__":
    sys.exit(main())

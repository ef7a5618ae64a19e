"""Scale: 10,000 emulated services on 127.0.0.0/8, fast profile — wall time, peak RSS.

    .venv/bin/python benchmarks/scale.py [--count 10000]

The services replay replies recorded from real servers (benchmarks/emulator.py, in
its own process); fastprobe scans them with ``--from`` (the emulator's endpoint list)
in another process, whose peak RSS is read from getrusage. Each verdict is checked
against the one nmap gave for the recorded reply.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--count", type=int, default=10000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        endpoints = os.path.join(tmp, "endpoints.jsonl")
        out = os.path.join(tmp, "out.jsonl")
        emulator = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "benchmarks", "emulator.py"), str(args.count),
             endpoints],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert emulator.stdout is not None
            line = emulator.stdout.readline()  # bounded: the emulator prints or dies
            if line.strip() != "ready":
                print("emulator failed to start", file=sys.stderr)
                return 1
            start = time.monotonic()
            scan = subprocess.run(
                [sys.executable, "-m", "fastprobe.cli", "scan", "--from", endpoints, "-q",
                 "-oJ", out],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=1800,
            )  # fmt: skip
            wall = time.monotonic() - start
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        finally:
            if emulator.stdin:
                emulator.stdin.close()
            try:
                emulator.wait(30)
            except subprocess.TimeoutExpired:
                emulator.kill()
                emulator.wait(10)
        if scan.returncode != 0:
            print(scan.stderr, file=sys.stderr)
            return 1
        with open(endpoints) as fh:
            expected = {(e["ip"], e["port"]): e for e in map(json.loads, fh)}
        with open(out) as fh:
            got = {(r["address"], r["port"]): r for r in map(json.loads, fh)}
    same = sum(
        1
        for key, e in expected.items()
        if key in got
        and (got[key]["service"], got[key]["product"], got[key]["version"])
        == (e["expect"], e["product"], e["version"])
    )
    print(f"{args.count} emulated services: wall {wall:.1f} s, peak RSS {peak_mb:.0f} MB")
    errors = [r for r in got.values() if r["state"] == "error"]
    for r in errors[:5]:
        print(f"error record: {r['address']}:{r['port']}: {r.get('error')}")
    share = 100 * same / len(expected)
    print(f"records {len(got)}, verdicts as nmap gave them: {same} ({share:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

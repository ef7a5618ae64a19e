"""Replies that make a pattern of nmap's file backtrack: what they cost a scan.

    .venv/bin/python benchmarks/hostile_replies.py [--hostile 40] [--normal 20]
        [--growing | --just-under [SIZE] | --benign] [--size N] [--max-host-conns N]
        [--fastprobe PATH]

Starts on 127.0.0.1 ``--hostile`` servers whose banner makes one of the NULL probe's
patterns run out of time (found by experiment against the installed probe file at
start; each server's bytes differ, as distinct hosts' would) beside ``--normal``
SSH- and HTTP-like servers, runs ``fastprobe scan 127.0.0.1 -p ... -oJ FILE`` (the
real command) and reports its wall and CPU time (the child's rusage), peak RSS, and
how many records carry ``timeouts``. ``--growing`` follows each hostile banner with
4 KiB more in 64-byte pieces 20 ms apart: the reply is matched again as it grows,
and each time it is new bytes. ``--just-under`` shrinks the banner until the pattern
finishes just under the regex timeout: no timeout, the same cost on every probe.
``--benign`` is the control: banners of the same size that make nothing backtrack.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from fastprobe.rules.guard import DEFAULT_TIMEOUT  # noqa: E402
from fastprobe.rules.ruleset import RuleSet, load_rules  # noqa: E402
from tests.support.hostile import HostileServers, Spec, backtracking_reply, run_measured  # noqa: E402

SSH = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
HTTP = (
    b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
    b"Content-Length: 2\r\nConnection: close\r\n\r\nok"
)


def just_under(rules: RuleSet, start: int) -> int:
    """The largest banner size (from ``start`` down) on which the backtracking pattern
    finishes in under 60% of the default regex timeout (best of 3 runs)."""
    _reply, location = backtracking_reply(rules, size=start)
    rule = next(r for r in rules.null.rules if r.location == location)
    run = rule.regex.match if rule.translation.anchored else rule.regex.search
    for size in range(start, 1000, -250):
        data, _ = backtracking_reply(rules, size=size)
        took = []
        for _ in range(3):
            began = time.perf_counter()
            run(data)
            took.append(time.perf_counter() - began)
        if min(took) < 0.6 * DEFAULT_TIMEOUT:
            return size
    raise LookupError("no size finishes under the timeout")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--hostile", type=int, default=40, help="servers with a hostile banner")
    ap.add_argument("--normal", type=int, default=20, help="SSH- and HTTP-like servers")
    ap.add_argument("--size", type=int, default=12000, help="bytes of each hostile banner")
    ap.add_argument("--growing", action="store_true", help="hostile banners sent in pieces")
    ap.add_argument(
        "--just-under",
        nargs="?",
        type=int,
        const=0,
        metavar="SIZE",
        help="banners that cost just under the timeout (found, or SIZE bytes to compare runs)",
    )
    ap.add_argument(
        "--benign",
        action="store_true",
        help="the control: banners of the same size that make nothing backtrack",
    )
    ap.add_argument("--max-host-conns", type=int, help="passed to the command")
    ap.add_argument(
        "--spread",
        action="store_true",
        help="each server on an address of its own (127.0.77.N), as on a network of hosts, "
        "scanned with --from (the open ports known)",
    )
    ap.add_argument(
        "--fastprobe",
        default=os.path.join(ROOT, ".venv", "bin", "fastprobe"),
        help="the command to run (default: the project's)",
    )
    args = ap.parse_args()

    rules = load_rules()  # what `fastprobe scan` loads: nmap's file and the pack
    size = args.size
    if args.just_under is not None:
        backtracking_reply(rules, size=args.size)  # the pattern, found at full size
        size = args.just_under or just_under(rules, args.size)
    specs = []
    rule = ""
    for n in range(args.hostile):
        reply, rule = backtracking_reply(rules, size=size, variant=n)
        if args.benign:
            reply, rule = b"x" * len(reply), "nothing"
        if args.growing:
            spec = Spec("banner", reply + b"1" * 4096, 0.02, piece=64, head=len(reply), hold=30)
        else:
            spec = Spec("banner", reply, hold=30)
        specs.append(spec)
    for n in range(args.normal):
        specs.append(Spec("banner", SSH, hold=30) if n % 2 else Spec("http", HTTP, hold=30))
    if args.spread:
        specs = [s._replace(address=f"127.0.77.{n + 1}") for n, s in enumerate(specs)]
    what = "runs just under the timeout" if args.just_under is not None else "times out"
    print(f"hostile banner: {len(reply)} bytes, {what}: {rule}")

    with HostileServers(specs) as servers, tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.jsonl")
        ports = ",".join(map(str, servers.ports))
        cmd = [args.fastprobe, "scan", "127.0.0.1", "-p", ports, "-oJ", out, "-q"]
        if args.spread:  # naabu's JSON lines: exactly these endpoints, no discovery
            found = os.path.join(tmp, "found.jsonl")
            with open(found, "w", encoding="utf-8") as fh:
                for spec, port in zip(specs, servers.ports):
                    fh.write(json.dumps({"ip": spec.address, "port": port}) + "\n")
            cmd = [args.fastprobe, "scan", "--from", found, "-oJ", out, "-q"]
        if args.max_host_conns:
            cmd += ["--max-host-conns", str(args.max_host_conns)]
        run = run_measured(cmd, timeout=600)
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            return 1
        with open(out, encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh if line.strip()]
    hostile = set(servers.ports[: args.hostile])  # ports differ, wherever they listen
    named = sum(1 for r in records if r["port"] not in hostile and r.get("method") == "matched")
    with_timeouts = sum(1 for r in records if r.get("timeouts"))
    print(f"records: {len(records)} ({named}/{args.normal} normal servers named)")
    print(f"records with timeouts: {with_timeouts}/{args.hostile} hostile")
    print(f"wall {run.wall:.2f} s, CPU {run.cpu:.2f} s, peak RSS {run.maxrss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

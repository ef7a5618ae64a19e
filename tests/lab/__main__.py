"""``python -m tests.lab``: start the lab, list its services, keep it up for a while."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time

from . import Lab, install_signal_handlers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lab", description=__doc__)
    parser.add_argument("names", nargs="*", help="servers to start (default: all)")
    parser.add_argument("--list", action="store_true", help="list known servers and exit")
    parser.add_argument(
        "--hold", type=float, default=0.0, metavar="SECONDS",
        help="keep the servers up this long (at most 3600 s; Ctrl-C stops earlier)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print services as JSON")
    args = parser.parse_args(argv)
    if args.list:
        for name in Lab.names():
            reason = Lab.unavailable(name)
            print(f"{name:16} {'ok' if reason is None else 'unavailable: ' + reason}")
        return 0
    install_signal_handlers()
    t0 = time.monotonic()
    with Lab() as lab:
        lab.start_all(args.names or None)
        elapsed = time.monotonic() - t0
        if args.json:
            rows = [svc.__dict__ for svc in lab.services]
            print(json.dumps({"services": rows, "skipped": lab.skipped}, indent=2))
        else:
            for svc in lab.services:
                tls = " tls" if svc.tls else ""
                print(f"{svc.name:28} {svc.host}:{svc.port}/{svc.protocol}{tls}")
            for name, reason in sorted(lab.skipped.items()):
                print(f"skipped {name}: {reason.splitlines()[0] if reason else ''}")
        print(f"{len(lab.servers)} servers up in {elapsed:.1f}s", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(min(max(args.hold, 0.0), 3600.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Scan the services of every host of a Nornir inventory, keep them in host data, check
expectations, and write them back to the hosts file for review in Git.

    python docs/examples/nornir_scan.py inventory/    # hosts.yaml, groups.yaml, defaults.yaml

Run `make lab` in another terminal and point hosts.yaml at its 127.0.0.x addresses to
try it on real servers (docs/nornir.md has a ready inventory).
"""

from __future__ import annotations

import sys
from pathlib import Path

from nornir import InitNornir

from nornir_fastprobe.plugins.functions import write_back
from nornir_fastprobe.plugins.processors import ScanProgress
from nornir_fastprobe.plugins.tasks import service_scan


def main(inventory_dir: str, ports: str = "21,22,25,80,443,3306,5432,6379") -> int:
    d = Path(inventory_dir)
    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": 20}},
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(d / "hosts.yaml"),
                "group_file": str(d / "groups.yaml"),
                "defaults_file": str(d / "defaults.yaml"),
            },
        },
        logging={"enabled": False},
    )
    results = nr.with_processors([ScanProgress()]).run(task=service_scan, ports=ports, enrich=True)
    for name, multi in sorted(results.items()):
        result = multi[0]
        if result.failed:
            print(f"{name}: {result.msg or result.result}")
        elif result.changed:
            print(result.diff, end="")
    changed = write_back(nr, str(d / "hosts.yaml"))
    print(
        f"hosts.yaml: {len(changed)} hosts updated"
        + (f" ({', '.join(changed)})" if changed else "")
    )
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

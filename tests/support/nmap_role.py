"""The nmap role run on this machine with ansible-playbook -c local, into build/nmap-role:
one build shared by the role's tests, `make nmap-role` and the benchmarks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.support.ansible_run import ROOT, collections_path, run_playbook, write_inventory

WORK = ROOT / "build" / "nmap-role"
PREFIX = WORK / "prefix"
NMAP = PREFIX / "bin" / "nmap"
PROBES = PREFIX / "share" / "fastprobe" / "nmap-service-probes"


def play(rules: Sequence[Path] = (), **extra: object) -> subprocess.CompletedProcess:
    """playbooks/nmap.yml on this machine, with the role's variables in ``extra``."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = write_inventory(WORK / "inventory.json", {"all": {"hosts": {"here": local}}})
    extra_vars = {
        "fastprobe_scanners": "here",
        "fastprobe_nmap_prefix": str(PREFIX),
        "fastprobe_nmap_build_dir": str(WORK / "build"),
        "fastprobe_nmap_rules": [str(r) for r in rules],
        **extra,
    }
    return run_playbook(
        ROOT / "playbooks" / "nmap.yml",
        inventory,
        collections_path(ROOT / "build"),
        extra_vars=extra_vars,
        timeout=1500,
    )

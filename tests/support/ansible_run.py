"""Running the collection with the real ansible-playbook: a collections path that holds
this checkout, inventories of lab servers, and the play recap read back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def collections_path(build: Path) -> Path:
    """``build/collections``, where ansible_collections/fastprobe/scanner is this
    checkout (a symlink: what is tested is the working tree)."""
    link = build / "collections" / "ansible_collections" / "fastprobe" / "scanner"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink() or link.resolve() != ROOT:
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(ROOT, target_is_directory=True)
    return build / "collections"


def lab_inventory(servers: dict[str, str], scanners: list[str], group: str = "demo") -> dict:
    """An inventory: ``scanners`` as local-connection aliases of this machine, and one
    host per lab server (name -> address) in ``group``."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    return {
        "all": {
            "children": {
                "scanners": {"hosts": {name: dict(local) for name in scanners}},
                group: {"hosts": {n: {"ansible_host": a} for n, a in sorted(servers.items())}},
            }
        }
    }


def write_inventory(path: Path, inventory: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(inventory, indent=2) + "\n")  # JSON is YAML
    return path


def ansible_env(collections: Path, extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        ANSIBLE_LOCAL_TEMP=str(collections.parent / "tmp"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    env.update(extra or {})
    return env


def adhoc(tmp: Path, module: str, args: dict, *extra: str) -> tuple[str, dict]:
    """``ansible localhost -m MODULE -a JSON`` (this virtualenv's interpreter, the
    checkout as the collection): the status word and the result."""
    inventory = tmp / "hosts.ini"
    python = BIN / "python"
    inventory.write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={python}\n"
    )
    cmd = [str(BIN / "ansible"), "localhost", "-i", str(inventory), "-m", module]
    run = subprocess.run(
        [*cmd, "-a", json.dumps(args), *extra],
        env=ansible_env(collections_path(tmp), {"ANSIBLE_STDOUT_CALLBACK": "minimal"}),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp,
    )
    head, _sep, body = run.stdout.partition(" => ")
    assert body, run.stdout + run.stderr
    return head.split("|")[-1].strip(), json.loads(body)


def run_playbook(
    playbook: Path,
    inventory: Path,
    collections: Path,
    extra_vars: Optional[dict[str, Any]] = None,
    args: tuple[str, ...] = (),
    env: Optional[dict[str, str]] = None,
    timeout: float = 600,
    cwd: Optional[Path] = None,
) -> subprocess.CompletedProcess:
    cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(playbook), *args]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    return subprocess.run(
        cmd,
        env=ansible_env(collections, env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


_RECAP = re.compile(r"^(\S+)\s*:\s*((?:\w+=\d+\s*)+)$")


def recap(output: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP counts per host."""
    out: dict[str, dict[str, int]] = {}
    in_recap = False
    for line in output.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        m = _RECAP.match(line.strip()) if in_recap else None
        if m:
            out[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return out

"""The command line as a user runs it: the console script's module, in this interpreter."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path
from typing import Optional, Union

ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    *args: str,
    cwd: Union[str, Path] = ROOT,
    timeout: float = 120,
    file_size: int = 0,
) -> subprocess.CompletedProcess:
    """``fastprobe ARGS``: text output, no exception on a failing status; ``file_size``
    caps what the process may write to a file (RLIMIT_FSIZE: a full disk, in effect)."""

    def limit() -> None:
        if file_size:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    preexec: Optional[object] = limit if file_size else None
    return subprocess.run(
        [sys.executable, "-m", "fastprobe.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=timeout, check=False,
        preexec_fn=preexec,  # type: ignore[arg-type]
    )  # fmt: skip


def simple_nornir(host_file: Union[str, Path], workers: int = 0):  # type: ignore[no-untyped-def]
    """InitNornir on one SimpleInventory hosts file: threaded with ``workers``, else serial."""
    from nornir import InitNornir

    runner = (
        {"plugin": "threaded", "options": {"num_workers": workers}}
        if workers
        else {"plugin": "serial"}
    )
    return InitNornir(
        runner=runner,
        inventory={"plugin": "SimpleInventory", "options": {"host_file": str(host_file)}},
        logging={"enabled": False},
    )

"""A `rich` progress display on stderr for interactive scans: targets and ports done,
services identified and unknown, rate and ETA. Off when stderr is not a terminal."""

from __future__ import annotations

import ipaddress
import sys
import time
from collections.abc import Iterable
from typing import Any, Optional

from fastprobe.engine.targets import read_list


def count_targets(specs: Iterable[str], input_files: Iterable[str] = ()) -> int:
    """How many addresses the specifications stand for, without walking them."""
    total = 0
    for spec in [*specs, *(w for f in input_files for w in read_list(f))]:
        if "/" in spec:
            try:
                total += ipaddress.ip_network(spec, strict=False).num_addresses
                continue
            except ValueError:
                pass
        parts = spec.split(".")
        if len(parts) == 4 and any(c in spec for c in "-,*"):
            size = 1
            for part in parts:
                if part == "*":
                    size *= 256
                    continue
                for item in part.split(","):
                    lo, _dash, hi = item.partition("-")
                    size_part = (int(hi) - int(lo) + 1) if hi and lo.isdigit() else 1
                    size *= max(1, size_part)
            total += size
        else:
            total += 1
    return total


class ScanProgress:
    """Context manager; ``update(record)`` after each record. A no-op when disabled."""

    def __init__(self, total: Optional[int], enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total
        self.identified = self.unknown = self.done = 0
        self._start = 0.0
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ScanProgress:
        if not self.enabled:
            return self
        try:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
        except ImportError:  # the CLI extra is not installed: scan without it
            self.enabled = False
            return self
        self._progress = Progress(
            TextColumn("[bold]scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("ports · [green]{task.fields[identified]} identified"),
            TextColumn("· [yellow]{task.fields[unknown]} unknown"),
            TextColumn("· {task.fields[rate]:.0f} ports/s ·"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.__enter__()
        self._task = self._progress.add_task(
            "scan", total=self.total, identified=0, unknown=0, rate=0.0
        )
        self._start = time.monotonic()
        return self

    def record(self, record: Any) -> None:
        """A record came out: count what it says."""
        if record.method in ("matched", "softmatched"):
            self.identified += 1
        elif record.method == "unknown":
            self.unknown += 1

    def port_done(self) -> None:
        """A port finished (reported or not)."""
        self.done += 1
        if self._progress is not None:
            rate = self.done / max(time.monotonic() - self._start, 1e-6)
            self._progress.update(
                self._task, completed=self.done, identified=self.identified,
                unknown=self.unknown, rate=rate,
            )  # fmt: skip

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

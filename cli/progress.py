"""A `rich` progress display on stderr for interactive scans: targets and ports done,
services identified and unknown, rate and ETA. Off when stderr is not a terminal."""

from __future__ import annotations

import sys
import time
from typing import Any, Optional


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

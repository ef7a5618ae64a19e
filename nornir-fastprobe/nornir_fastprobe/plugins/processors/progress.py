"""A processor that shows a service scan's progress with rich, and a summary table."""

from __future__ import annotations

import threading
from typing import Any, Optional

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fastprobe.facts import label


class ScanProgress:
    """Hosts done, services found and unknown ones while ``service_scan`` runs; then a
    table of every host's open services. Safe with the threaded runner."""

    def __init__(self, console: Optional[Console] = None, table: bool = True) -> None:
        self.console = console or Console(stderr=True)
        self.table = table
        self._lock = threading.Lock()
        self._progress: Optional[Progress] = None
        self._bar: Any = None
        self.hosts_done = self.services = self.unknown = self.failed = 0
        self.rows: list[tuple[str, ...]] = []

    def task_started(self, task: Task) -> None:
        total = len(task.nornir.inventory.hosts) if task.nornir else None
        self._progress = Progress(
            TextColumn("[bold]service scan"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[found]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self._bar = self._progress.add_task("scan", total=total, found="")
        self._progress.start()

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        records = result[0].result if result and isinstance(result[0].result, list) else []
        with self._lock:
            self.hosts_done += 1
            self.failed += bool(result.failed)
            for r in records:
                if r.get("state") != "open":
                    continue
                self.services += 1
                self.unknown += not r.get("service")
                self.rows.append(_row(host.name, r))
            if self._progress is not None:
                self._progress.update(self._bar, advance=1, found=self._found())

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self.table:
            table = Table(title=f"service scan: {self._found()}")
            for column in ("host", "address", "port", "service", "product", "version"):
                table.add_column(column)
            for row in sorted(self.rows, key=lambda r: (r[0], int(r[2].split("/")[0]))):
                table.add_row(*row)
            self.console.print(table)

    def _found(self) -> str:
        failed = f", {self.failed} hosts failed" if self.failed else ""
        return f"{self.services} services, {self.unknown} unknown{failed}"

    def task_instance_started(self, task: Task, host: Host) -> None:
        pass

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        pass

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        pass


def _row(host: str, r: dict) -> tuple[str, ...]:
    return (
        host,
        str(r.get("address", "")),
        f"{r.get('port')}/{r.get('protocol')}",
        label(r),
        r.get("product") or "",
        r.get("version") or "",
    )

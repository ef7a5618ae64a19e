"""Limits a scan keeps to: new connections per second, and open file descriptors."""

from __future__ import annotations

import asyncio
import time
from typing import Optional

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

FD_RESERVE = 64  # descriptors kept for everything that is not a probe connection


class Pacer:
    """At most ``rate`` new connections (or datagrams) per second, across the scan."""

    def __init__(self, rate: Optional[float]) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock: Optional[asyncio.Lock] = None  # made in the loop that uses it

    async def wait(self) -> None:
        if not self.interval:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            self._next = max(now, self._next) + self.interval


def fit_descriptors(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE toward ``wanted`` connections where allowed, and
    return how many connections the limit leaves room for (never more than wanted)."""
    if resource is None:
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - FD_RESERVE))

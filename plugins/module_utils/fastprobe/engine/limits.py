"""Limits a scan keeps to: new connections per second, and open file descriptors."""

from __future__ import annotations

import asyncio
import collections
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


class HostGate:
    """Connections to one address, taken before the global cap (a fixed order: no
    deadlock). The cap shrinks to what the host was holding when it turns a connection
    away (ngircd's per-client limit, a full listen backlog) — the probes it refused are
    re-sent, and would only be refused again at the old width — and grows back one at a
    time while connections are accepted."""

    def __init__(self, limit: int, global_gate: asyncio.Semaphore) -> None:
        self.limit = self.ceiling = limit
        self._credit = 0  # connections accepted since the cap last moved
        self.glob = global_gate
        self.active = 0  # slots taken
        self.established = 0  # connections the host accepted that are open now
        self.users = 0  # ports of this address being scanned (the scan drops idle gates)
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def __aenter__(self) -> None:
        if self.active < self.limit:
            self.active += 1
        else:
            fut = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut  # woken by _leave, which handed its slot over
            except BaseException:
                if fut.done() and not fut.cancelled():
                    self._leave()  # handed a slot but leaving: pass it on
                else:
                    self._waiters.remove(fut)
                raise
        try:
            await self.glob.acquire()
        except BaseException:
            self._leave()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self.glob.release()
        self._leave()

    def opened(self) -> None:
        """The host accepted a connection: after as many in a row as the cap allows,
        try one more at once (TCP's additive increase), up to the configured cap."""
        self.established += 1
        if self.limit >= self.ceiling:
            return
        self._credit += 1
        if self._credit >= self.limit:
            self._credit = 0
            self.limit += 1
            while self.active < self.limit and self._hand_over():
                self.active += 1

    def closed(self) -> None:
        self.established -= 1

    def refused(self) -> None:
        """The host turned a connection away: keep to what it was accepting."""
        self.limit = max(1, min(self.limit, self.established))
        self._credit = 0

    def _leave(self) -> None:
        # the slot goes to the longest waiter, unless the cap has shrunk below it
        if not (self.active <= self.limit and self._hand_over()):
            self.active -= 1

    def _hand_over(self) -> bool:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return True
        return False


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

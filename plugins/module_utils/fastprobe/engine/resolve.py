"""Targets to addresses for the scan: names looked up a few at a time ahead of the scan,
each lookup bounded, and every address checked against the exclusions *after* the
lookup, so a host given by another name (or ``0x7f.0.0.1``) is still excluded."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from typing import NamedTuple, Optional

from .targets import LOOKUP_TIMEOUT, Target, TargetError, TargetPlan, lookup

LOOKAHEAD = 32  # names looked up ahead of the one the scan waits for


class Resolved(NamedTuple):
    target: Target
    address: Optional[str]  # None: unresolved or excluded
    error: Optional[str] = None  # why there is no address to scan
    excluded: bool = False


async def _lookup(name: str, timeout: float) -> list[str]:
    loop = asyncio.get_running_loop()
    return await asyncio.wait_for(loop.run_in_executor(None, lookup, name), timeout)


async def resolve(
    plan: TargetPlan, timeout: float = LOOKUP_TIMEOUT, names_only: bool = False
) -> AsyncIterator[Resolved]:
    """Every target of ``plan`` (or only its names) in order, with the address to scan
    (a name's first, as nmap takes), or why there is none."""
    pending: collections.deque[tuple[Target, Optional[asyncio.Future[list[str]]]]]
    pending = collections.deque()
    targets = plan.targets(names_only)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < LOOKAHEAD:
                target = next(targets, None)
                if target is None:
                    exhausted = True
                    break
                future = None
                if target.address is None and plan.excluded_name(str(target.name)):
                    pass  # excluded as given: not looked up
                elif target.address is None:
                    future = asyncio.ensure_future(_lookup(str(target.name), timeout))
                pending.append((target, future))
            if not pending:
                return
            target, future = pending.popleft()
            if future is None:
                if target.address is None:
                    yield Resolved(target, None, f"{target.name} is excluded", True)
                else:
                    yield Resolved(target, target.address)
                continue
            try:
                address = (await future)[0]
            except asyncio.TimeoutError:
                yield Resolved(target, None, f"{target.name}: lookup timed out after {timeout:g} s")
                continue
            except (OSError, UnicodeError, TargetError, IndexError) as exc:
                why = getattr(exc, "strerror", None) or exc or "no address"
                yield Resolved(target, None, f"{target.name}: {why}")
                continue
            if plan.allowed(address):
                yield Resolved(target._replace(address=address), address)
            else:
                yield Resolved(target, None, f"{target.name}: {address} is excluded", True)
    finally:
        for _target, future in pending:
            if future is not None:
                future.cancel()

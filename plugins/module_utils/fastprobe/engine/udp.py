"""UDP service detection: the probe file's UDP payloads, sent at once, read in nmap's order.

Each probe goes out from its own connected socket, so an ICMP port-unreachable comes
back as a refusal for that port. A reply makes the port open (and is matched against
the probe's rules and its fallbacks' — UDP has no NULL fallback); a refusal makes it
closed; silence leaves it ``open|filtered``, as nmap says.
"""

from __future__ import annotations

import asyncio
import time
from typing import NamedTuple, Optional

from ..rules.matcher import Matcher, RegexBudget, Verdict
from ..rules.model import Probe
from .detect import eligible
from .limits import Pacer
from .options import DEFAULTS
from .probing import cancel_pending
from .timing import Timing


class UdpResult(NamedTuple):
    probe: Probe
    verdict: Optional[Verdict]
    reply: bytes
    refused: bool


class UdpOutcome(NamedTuple):
    state: str  # open, closed, open|filtered
    verdict: Optional[Verdict]
    method: Optional[str]  # matched, softmatched, unknown (open ports)
    probe: Optional[str]
    replies: dict[str, bytes]
    timeouts: tuple[str, ...] = ()  # rules (file:line) that ran out of time on the replies


class _Collect(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.data: asyncio.Queue[Optional[bytes]] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.data.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        if isinstance(exc, ConnectionRefusedError):
            self.data.put_nowait(None)


async def send_udp(
    matcher: Matcher,
    probe: Probe,
    host: str,
    port: int,
    wait: float,
    max_reply: int,
    budget: Optional[RegexBudget] = None,
) -> UdpResult:
    """One datagram probe; replies are matched as they arrive until the wait ends
    (``budget``: the port's regex budget)."""
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(_Collect, remote_addr=(host, port))
    buf = b""
    soft: Optional[Verdict] = None
    try:
        transport.sendto(probe.payload)
        deadline = time.monotonic() + wait
        while len(buf) < max_reply:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                data = await asyncio.wait_for(proto.data.get(), remaining)
            except asyncio.TimeoutError:
                break
            if data is None:
                return UdpResult(probe, None, buf, not buf)
            buf += data[: max_reply - len(buf)]
            v = matcher.match(probe, buf, "UDP", budget).verdict
            if v is not None and not v.soft:
                return UdpResult(probe, v, buf, False)
            if v is not None and soft is None:
                soft = v
    finally:
        transport.close()
    return UdpResult(probe, soft, buf, False)


class UdpDetector:
    def __init__(
        self, matcher: Matcher, timing: Timing, intensity: int = DEFAULTS["intensity"]
    ) -> None:
        self.matcher = matcher
        self.timing = timing
        self.intensity = intensity
        self.probes = [p for p in matcher.rules.probes if p.protocol == "UDP"]
        self.services = {p.key: p.services() for p in self.probes}
        self.pacer = Pacer(None)

    def _eligible(self, probe: Probe, listed: bool, soft: Optional[str]) -> bool:
        return eligible(probe, listed, soft, self.intensity, self.services)

    async def detect(self, host: str, port: int, gate) -> UdpOutcome:  # type: ignore[no-untyped-def]
        order = [p for p in self.probes if port in p.ports]
        order += [p for p in self.probes if port not in p.ports]
        listed = {p.key for p in order if port in p.ports}
        wait = self.timing.probe_wait(0.0, None)
        tasks: dict[tuple[str, str], asyncio.Task[UdpResult]] = {}
        budget = self.matcher.budget()

        async def send(p: Probe) -> UdpResult:
            async with gate:
                await self.pacer.wait()
                return await send_udp(
                    self.matcher, p, host, port, wait, self.timing.max_reply, budget
                )

        def launch(soft_service: Optional[str]) -> None:
            for p in order:
                if p.key not in tasks and self._eligible(p, p.key in listed, soft_service):
                    tasks[p.key] = asyncio.ensure_future(send(p))

        launch(None)
        soft: Optional[Verdict] = None
        soft_probe: Optional[str] = None
        replies: dict[str, bytes] = {}
        refused = answered = False
        try:
            for probe in order:
                if not self._eligible(probe, probe.key in listed, soft.service if soft else None):
                    continue
                launch(soft.service if soft else None)
                r = await tasks[probe.key]
                refused = refused or r.refused
                if r.reply:
                    answered = True
                    replies[probe.name] = r.reply
                if r.verdict is not None and not r.verdict.soft:
                    return UdpOutcome(
                        "open", r.verdict, "matched", probe.name, replies, budget.timeouts()
                    )
                if r.verdict is not None and soft is None:
                    soft, soft_probe = r.verdict, probe.name
        finally:
            await cancel_pending(tasks.values())
        timeouts = budget.timeouts()
        if soft is not None:
            return UdpOutcome("open", soft, "softmatched", soft_probe, replies, timeouts)
        if answered:
            return UdpOutcome("open", None, "unknown", None, replies, timeouts)
        if refused:
            return UdpOutcome("closed", None, None, None, replies, timeouts)
        return UdpOutcome("open|filtered", None, None, None, replies, timeouts)

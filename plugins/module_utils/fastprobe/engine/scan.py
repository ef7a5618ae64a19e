"""The one scan API every adapter uses: targets and ports in, records out as they come.

Targets are read lazily and at most ``max_conns`` ports are in flight, so memory
is bounded by the window, not by the size of the target space.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Container, Iterable
from typing import Optional, Union

from ..rules.escapes import escape
from ..rules.matcher import Matcher
from ..rules.ruleset import RuleSet, load_rules
from .detect import Detector
from .limits import HostGate, Pacer, fit_descriptors
from .options import DEFAULTS
from .ports import Ports
from .probing import ProbeResult, client_tls_context, close, open_connection
from .records import ServiceRecord
from .resolve import Resolved, resolve
from .targets import Target, TargetPlan, normal_address
from .timing import PROFILES, Timing
from .udp import UdpDetector

NO_PORTS = Ports((), ())


class Scanner:
    def __init__(
        self,
        rules: Optional[RuleSet] = None,
        *,
        profile: str = "fast",
        timing: Optional[Timing] = None,
        intensity: int = DEFAULTS["intensity"],
        max_conns: int = DEFAULTS["max_conns"],
        max_host_conns: int = DEFAULTS["max_host_conns"],
        regex_timeout: float = DEFAULTS["regex_timeout"],
        report_closed: bool = False,
        rate: Optional[float] = None,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
        if max_conns < 1 or max_host_conns < 1:
            raise ValueError("max_conns and max_host_conns must be at least 1")
        self.rules = rules if rules is not None else load_rules()
        self.timing = timing or PROFILES[profile]
        self.matcher = Matcher(self.rules, timeout=regex_timeout)
        self.detector = Detector(self.matcher, self.timing, intensity, client_tls_context())
        self.udp = UdpDetector(self.matcher, self.timing, intensity)
        self.max_conns = fit_descriptors(max_conns)  # capped if the fd limit is lower
        self.pacer = Pacer(rate)
        self.detector.pacer = self.pacer
        self.udp.pacer = self.pacer
        self.max_host_conns = max_host_conns
        self.report_closed = report_closed

    async def scan(
        self,
        targets: Union[TargetPlan, Iterable[str]] = (),
        ports: Ports = NO_PORTS,
        *,
        skip: Container[tuple[str, int, str]] = (),
        on_port_done: Optional[Callable[[], None]] = None,
        endpoints: Optional[Iterable[tuple[str, int, str]]] = None,
        on_excluded: Optional[Callable[[str], None]] = None,
    ) -> AsyncIterator[ServiceRecord]:
        """Records for every target and port, in the order they finish; ``on_excluded``
        hears of each name left out because its address is excluded; ``skip`` holds
        (address, port, protocol) already done (``--resume``); ``endpoints`` — open
        (address, port, protocol) found by another tool — replaces ``ports``, and only
        those of the targets' addresses are probed (all of them when ``targets`` is
        empty). An error while producing work (an unreadable -iL file) is raised after
        the records of the work already started."""
        plan = targets if isinstance(targets, TargetPlan) else TargetPlan(targets)
        known_open = endpoints is not None
        global_gate = asyncio.Semaphore(self.max_conns)
        window = asyncio.Semaphore(self.max_conns)
        gates: dict[str, HostGate] = {}
        out: asyncio.Queue[Optional[ServiceRecord]] = asyncio.Queue()
        running: set[asyncio.Task[None]] = set()

        async def one(address: str, target: Target, port: int, proto: str) -> None:
            gate = gates[address]
            try:
                try:
                    record = await self._port(address, target, port, proto, gate, known_open)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a bug or an odd peer must not lose the port
                    record = ServiceRecord(
                        address, port, proto, "error", target=target.name,
                        error=f"{type(exc).__name__}: {exc}",
                    )  # fmt: skip
                if record is not None:
                    await out.put(record)
            finally:
                if on_port_done is not None:
                    on_port_done()
                gate.users -= 1
                if gate.users == 0:
                    del gates[address]
                window.release()

        async def start(address: str, target: Target, port: int, proto: str) -> None:
            if (address, port, proto) in skip:
                return
            await window.acquire()
            gate = gates.get(address)
            if gate is None:
                gate = gates[address] = HostGate(self.max_host_conns, global_gate)
            gate.users += 1
            task = asyncio.ensure_future(one(address, target, port, proto))
            running.add(task)
            task.add_done_callback(running.discard)

        async def produce() -> None:
            try:
                if endpoints is not None:
                    await produce_endpoints(list(endpoints))
                else:
                    async for item in resolve(plan):
                        if item.address is None:
                            if not item.excluded:
                                await out.put(_unresolved(item))
                            elif on_excluded is not None:
                                on_excluded(str(item.error))
                            continue
                        for port, proto in ports.pairs():
                            await start(item.address, item.target, port, proto)
                await asyncio.gather(*list(running))
            finally:
                out.put_nowait(None)  # the consumer never waits on a producer that failed

        async def produce_endpoints(found: list[tuple[str, int, str]]) -> None:
            wanted: Optional[dict[str, Target]] = None
            if plan.items:
                wanted = {}
                async for item in resolve(plan):
                    if item.address is not None:
                        wanted.setdefault(normal_address(item.address), item.target)
            for address, port, proto in found:
                if wanted is not None:
                    target = wanted.get(normal_address(address))
                    if target is None:
                        continue
                else:
                    target = Target(address)
                if plan.allowed(address):
                    await start(address, target, port, proto)

        producer = asyncio.ensure_future(produce())
        try:
            while True:
                record = await out.get()
                if record is None:
                    break
                yield record
            await producer  # raises what stopped it
        finally:
            if not producer.done():
                producer.cancel()
            for task in list(running):
                task.cancel()
            await asyncio.gather(producer, *list(running), return_exceptions=True)

    async def _port(
        self,
        address: str,
        target: Target,
        port: int,
        proto: str,
        gate: HostGate,
        known_open: bool = False,
    ) -> Optional[ServiceRecord]:
        """``known_open``: another tool found the port open, so any other state is news
        worth a record even when closed ports are not reported."""
        start = time.monotonic()
        name = target.name
        if proto == "udp":
            return await self._udp_port(address, port, name, gate, start)
        null = late = None
        budget = self.matcher.budget()  # the regex time this port's replies may cost
        async with gate:
            await self.pacer.wait()
            state = "filtered"
            hung_up = False
            for _attempt in range(2):  # a lost SYN on a busy path gets one more chance
                began = time.monotonic()
                try:
                    reader, writer, rtt = await open_connection(
                        address, port, self.timing.connect_timeout
                    )
                except ConnectionRefusedError:
                    state = "closed"
                    break
                except (ConnectionResetError, ConnectionAbortedError):
                    # the handshake completed and the peer reset before asyncio saw it:
                    # open, and the NULL probe's connection closed with nothing said
                    # (nmap: tcpwrapped); only a refused SYN is closed
                    state, hung_up, rtt = "open", True, time.monotonic() - began
                    break
                except (asyncio.TimeoutError, OSError):
                    continue
                state = "open"
                break
            if state == "open":
                # the discovery connection is the NULL probe's: one connect per port saved
                if self.detector.null is None or self.rules.excluded(port, proto):
                    if not hung_up:
                        await close(writer)
                elif hung_up:
                    null = ProbeResult(self.detector.null, None, b"", True, rtt)
                else:
                    null = await self.detector.probe(
                        self.detector.null,
                        address,
                        port,
                        self.timing.null_wait(rtt),
                        streams=(reader, writer),
                        keep_open=True,
                        budget=budget,
                    )
                    if not (null.reply or null.closed or null.error):
                        listen = self._listen(null, address, port, reader, writer, budget)
                        late = asyncio.ensure_future(listen)
        if state != "open":
            if not (self.report_closed or known_open):
                return None
            return ServiceRecord(address, port, proto, state, target=name, elapsed_ms=_ms(start))
        if self.rules.excluded(port, proto):
            # nmap's Exclude: the port is reported open, with no version detection
            return ServiceRecord(
                address, port, proto, "open", method="excluded", target=name,
                elapsed_ms=_ms(start),
            )  # fmt: skip
        det = await self.detector.detect(address, port, rtt, gate, null, late, budget)
        return _record(
            address,
            port,
            proto,
            "open",
            det.verdict,
            det.method,
            det.tunnel,
            det.probe,
            det.replies,
            name,
            start,
            det.error,
            det.tls,
            det.timeouts,
        )

    async def _listen(  # type: ignore[no-untyped-def]
        self, null, address: str, port: int, reader, writer, budget=None
    ) -> ProbeResult:
        """The discovery connection, silent through the NULL wait, listens on while the
        walk runs (up to nmap's NULL wait in the thorough profile, the probe ceiling in
        the fast one): a banner that comes late is what nmap's NULL probe would see."""
        detector = self.detector
        wait = detector.null_wait_s if self.timing.slow_lane else self.timing.probe_ceiling
        result = await detector.probe(
            detector.null,
            address,
            port,
            max(0.0, wait - null.elapsed),
            streams=(reader, writer),
            budget=budget,
        )
        return result._replace(elapsed=result.elapsed + null.elapsed)

    async def _udp_port(
        self, address: str, port: int, name: Optional[str], gate: HostGate, start: float
    ) -> Optional[ServiceRecord]:
        if self.rules.excluded(port, "udp"):
            return ServiceRecord(
                address, port, "udp", "open|filtered", method="excluded", target=name,
                elapsed_ms=_ms(start),
            )  # fmt: skip
        out = await self.udp.detect(address, port, gate)
        if out.state == "closed" and not self.report_closed:
            return None
        return _record(
            address,
            port,
            "udp",
            out.state,
            out.verdict,
            out.method,
            None,
            out.probe,
            out.replies,
            name,
            start,
            timeouts=out.timeouts,
        )


def _record(  # type: ignore[no-untyped-def]
    address,
    port,
    proto,
    state,
    v,
    method,
    tunnel,
    probe,
    replies,
    name,
    start,
    error=None,
    tls=None,
    timeouts=(),
) -> ServiceRecord:
    return ServiceRecord(
        address=address,
        port=port,
        protocol=proto,
        state=state,
        service=(v.service if v else ("tcpwrapped" if method == "tcpwrapped" else None)),
        product=v.product if v else None,
        version=v.version if v else None,
        extrainfo=v.extrainfo if v else None,
        hostname=v.hostname if v else None,
        ostype=v.ostype if v else None,
        devicetype=v.devicetype if v else None,
        cpe=v.cpe if v else (),
        tunnel=tunnel or (v.tunnel if v else None),
        method=method,
        probe=probe,
        rule=v.rule if v else None,
        elapsed_ms=_ms(start),
        target=name,
        replies={k: escape(b) for k, b in replies.items()}
        if method == "unknown" and replies
        else None,
        error=error,
        tls=tls,
        timeouts=tuple(timeouts) or None,
    )


def _unresolved(item: Resolved) -> ServiceRecord:
    return ServiceRecord(
        address="", port=0, protocol="tcp", state="unresolved", target=item.target.name,
        error=item.error,
    )  # fmt: skip


def _ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)

"""Service detection on one open TCP port: nmap's verdict, at the cost of the longest
wait instead of the sum of all waits.

nmap sends probes one after another (``ServiceNFO::nextProbe``): NULL first, then
the probes that list the port, then the rest up to the intensity's rarity; after a
soft match only probes that can name that service. Here the NULL probe goes first
too, then every probe nmap might send goes out at once, each on its own connection
(bounded per host). The results are then read in nmap's order, replaying its walk:
the first probe that hard-matches wins, and a probe nmap would not have sent (it
was ruled out by a soft match met earlier in the walk) is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from typing import NamedTuple, Optional

from ..rules.matcher import Matcher, RegexBudget, Verdict
from ..rules.model import Probe
from .limits import HostGate, Pacer
from .options import DEFAULTS
from .probing import (
    CONNECT_FAILED,
    ProbeResult,
    cancel_pending,
    close,
    open_connection,
    run_probe,
    tls_facts,
)
from .timing import Timing

DEFAULT_TCPWRAPPEDMS = 2000  # nmap's DEFAULT_TCPWRAPPEDMS
DEFAULT_SERVICEWAITMS = 5000  # nmap's DEFAULT_SERVICEWAITMS


class Detection(NamedTuple):
    verdict: Optional[Verdict]  # hard match, or soft match, or None
    method: str  # matched, softmatched, tcpwrapped, unknown
    tunnel: Optional[str]
    replies: dict[str, bytes]  # unmatched replies by probe, for unknown services
    probe: Optional[str] = None  # the probe whose reply decided
    error: Optional[str] = None
    tls: Optional[dict] = None  # certificate facts of the TLS tunnel
    all_closed: bool = False  # unknown, and every probe after NULL was closed unanswered
    timeouts: tuple[str, ...] = ()  # rules (file:line) that ran out of time on the replies


class Detector:
    """Detection settings shared by every port of a scan."""

    def __init__(
        self,
        matcher: Matcher,
        timing: Timing,
        intensity: int = DEFAULTS["intensity"],
        tls: Optional[ssl.SSLContext] = None,
    ) -> None:
        if not 0 <= intensity <= 9:
            raise ValueError("version intensity must be between 0 and 9")
        self.matcher = matcher
        self.timing = timing
        self.intensity = intensity
        self.tls = tls
        rules = matcher.rules
        self.null = rules.null
        # nmap's NULL wait and tcpwrapped window, from the probe file or nmap's defaults
        null = self.null
        self.null_wait_s = ((null.totalwaitms if null else None) or DEFAULT_SERVICEWAITMS) / 1000
        self.wrapped_s = ((null.tcpwrappedms if null else None) or DEFAULT_TCPWRAPPEDMS) / 1000
        self.tcp_probes = [p for p in rules.probes if p.protocol == "TCP" and not p.is_null]
        self.services = {p.key: p.services() for p in self.tcp_probes}
        self.pacer = Pacer(None)

    async def detect(
        self,
        host: str,
        port: int,
        rtt: float,
        gate: HostGate,
        null: Optional[ProbeResult] = None,
        late: Optional[asyncio.Future[ProbeResult]] = None,
        budget: Optional[RegexBudget] = None,
    ) -> Detection:
        """``null``: the NULL probe's result when the discovery connection served as it;
        ``late``: that connection, silent so far, still listening (its result's elapsed
        counts from the connect); ``budget``: the port's regex budget, if those used one
        (the Detection's ``timeouts`` are its rules)."""
        budget = self.matcher.budget() if budget is None else budget
        found = await self._detect(host, port, rtt, gate, null, late, budget)
        return found._replace(timeouts=budget.timeouts())

    async def _detect(  # type: ignore[no-untyped-def]
        self, host: str, port: int, rtt: float, gate: HostGate, null, late, budget: RegexBudget
    ) -> Detection:
        slow = late
        if slow is None and self.timing.slow_lane and self.null is not None:
            # the slow lane: one NULL connection held for nmap's own wait, alongside the
            # walk, for banners that come late (SMTP greet-pause, reverse DNS lookups)
            slow = asyncio.ensure_future(
                self._send(self.null, host, port, gate, self.null_wait_s, None, budget=budget)
            )
        try:
            first = await self._walk(host, port, rtt, gate, None, null, budget)
            if slow is not None and not first.error and first.probe != "NULL":
                if self.timing.slow_lane:
                    first = await self._slow_lane(slow, first)
                elif slow.done() and not slow.cancelled() and slow.exception() is None:
                    # the fast profile waits for nothing more, but what the NULL
                    # connection heard while the walk ran is what nmap's NULL would hear
                    first = self._late_null(slow.result(), first)
        finally:
            if slow is not None:
                await cancel_pending([slow])
        v = first.verdict
        if (
            v is not None
            and first.method == "matched"
            and v.service in ("ssl", "dtls")
            and self.tls is not None
        ):
            # nmap's scanThroughTunnel: start again through TLS
            inner = await self._walk(host, port, rtt, gate, "ssl", None, budget)
            if inner.error is None:
                return inner._replace(tunnel="ssl", tls=await self._certificate(host, port, gate))
        return first

    def _late_null(self, late: ProbeResult, first: Detection) -> Detection:
        """NULL comes first in nmap's order: a banner that hard-matches decides, and a
        close with nothing said within ``tcpwrappedms`` is tcpwrapped (or later, when
        every probe was closed unanswered too)."""
        if late.hard:
            return Detection(late.verdict, "matched", None, first.replies, "NULL")
        unanswered = late.closed and not late.reply  # a reset too, as in nmap
        if unanswered and (late.elapsed < self.wrapped_s or first.all_closed):
            return Detection(None, "tcpwrapped", None, first.replies)
        return first

    async def _slow_lane(self, slow: asyncio.Future[ProbeResult], first: Detection) -> Detection:
        """What nmap's NULL wait would add to the walk's verdict: a late banner that
        hard-matches, or a close with nothing said — within ``tcpwrappedms`` (monit resets
        an idle connection after 0.5 s) nmap calls that tcpwrapped whatever later probes
        say, and later too if every probe was closed unanswered. After a later probe's
        hard match only ``tcpwrappedms`` is waited for."""
        if first.method == "matched":
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(slow), self.wrapped_s)
            if not slow.done():
                return first
        return self._late_null(await slow, first)

    async def probe(  # type: ignore[no-untyped-def]
        self,
        probe: Probe,
        host: str,
        port: int,
        wait: float,
        tls=None,
        on_open=None,
        streams=None,
        keep_open: bool = False,
        budget: Optional[RegexBudget] = None,
    ) -> ProbeResult:
        """One probe with this scan's timing (``streams``: an already open connection;
        ``budget``: the port's regex budget)."""
        timing = self.timing
        return await run_probe(
            self.matcher,
            probe,
            host,
            port,
            wait=wait,
            connect_timeout=timing.connect_timeout,
            grace=timing.grace,
            max_reply=timing.max_reply,
            coalesce=timing.coalesce,
            tls=tls,
            on_open=on_open,
            streams=streams,
            keep_open=keep_open,
            budget=budget,
        )

    async def _send(  # type: ignore[no-untyped-def]
        self,
        probe: Probe,
        host: str,
        port: int,
        gate: HostGate,
        wait: float,
        tls,
        settled=None,
        budget: Optional[RegexBudget] = None,
    ) -> ProbeResult:
        """One probe through the host's gate; ``settled`` is called once its connection
        is open or has failed."""
        opened = False

        def on_open() -> None:
            nonlocal opened
            opened = True
            gate.opened()
            if settled is not None:
                settled()

        async with gate:
            await self.pacer.wait()
            try:
                result = await self.probe(probe, host, port, wait, tls, on_open, budget=budget)
            finally:
                if opened:
                    gate.closed()
                elif settled is not None:
                    settled()
            if _turned_away(result):
                gate.refused()
            return result

    async def _certificate(self, host: str, port: int, gate: HostGate) -> Optional[dict]:
        """The tunnel's certificate facts, from one more handshake."""
        async with gate:
            await self.pacer.wait()
            try:
                _reader, writer, _rtt = await open_connection(
                    host, port, self.timing.connect_timeout, self.tls
                )
            except (OSError, asyncio.TimeoutError, ssl.SSLError):
                return None
            try:
                return tls_facts(writer)
            finally:
                await close(writer)

    def _eligible(self, probe: Probe, listed: bool, soft: Optional[str]) -> bool:
        return eligible(probe, listed, soft, self.intensity, self.services)

    async def _walk(
        self,
        host: str,
        port: int,
        rtt: float,
        gate: HostGate,
        tunnel: Optional[str],
        null: Optional[ProbeResult] = None,
        regex: Optional[RegexBudget] = None,
    ) -> Detection:
        """One walk (in the clear, or through ``tunnel``); ``regex``: the port's regex
        budget (``budget`` below is the first wave's count of probes)."""
        timing = self.timing
        tls = self.tls if tunnel == "ssl" else None
        replies: dict[str, bytes] = {}
        soft: Optional[Verdict] = None
        soft_probe: Optional[str] = None
        wrapped = False  # the NULL probe's connection closed with nothing said

        if self.null is not None:
            for _attempt in range(3):  # a NULL turned away is tried again (see resend)
                if null is not None and not _turned_away(null):
                    break
                null = await self._send(
                    self.null, host, port, gate, timing.null_wait(rtt), tls, budget=regex
                )
            if null.error and null.error.startswith(CONNECT_FAILED):
                return Detection(None, "unknown", tunnel, replies, None, null.error)
            if null.hard:
                return Detection(null.verdict, "matched", tunnel, replies, "NULL")
            if tunnel is None and null.closed and not null.reply and null.elapsed < self.wrapped_s:
                return Detection(None, "tcpwrapped", tunnel, replies)
            if null.reply:
                replies["NULL"] = null.reply
            soft = null.verdict
            soft_probe = "NULL"
            wrapped = null.closed and not null.reply

        listed_ports = (lambda p: port in p.sslports) if tunnel else (lambda p: port in p.ports)
        order = [p for p in self.tcp_probes if listed_ports(p)]
        order += [p for p in self.tcp_probes if not listed_ports(p)]
        listed = {p.key for p in order if listed_ports(p)}
        tasks: dict[tuple[str, str], asyncio.Task[ProbeResult]] = {}

        # The first few probes in nmap's order go out at once; the rest follow after a
        # short stagger unless a verdict came first. Known services usually answer the
        # first ones (the port-listed probes), so they cost a handful of connections;
        # silent ports pay the stagger once, not once per probe.
        budget = timing.first_wave  # probes that may still start before the stagger
        escalated = False  # the stagger has passed: every eligible probe may start
        closing = False  # the walk is over: nothing starts any more
        soft_now: Optional[str] = soft.service if soft else None
        wave_launched = wave_settled = 0
        wave_on_wire = asyncio.Event()

        def one_settled() -> None:
            nonlocal wave_settled
            wave_settled += 1
            if wave_settled >= wave_launched:
                wave_on_wire.set()

        async def send(probe: Probe, wait: float, wave_one: bool = False) -> ProbeResult:
            settled = one_settled if wave_one else None
            return await self._send(probe, host, port, gate, wait, tls, settled, regex)

        async def resend(probe: Probe, wait: float) -> ProbeResult:
            # the second look: a probe turned away again goes back through the gate,
            # which has shrunk once more
            for _attempt in range(3):
                result = await send(probe, wait)
                if not _turned_away(result):
                    break
            return result

        def launch(from_index: int) -> None:
            nonlocal budget, wave_launched
            if closing:
                return
            for p in order[from_index:]:
                if p.key not in tasks and self._eligible(p, p.key in listed, soft_now):
                    if budget <= 0:
                        return
                    budget -= 1
                    wait = timing.probe_wait(rtt, p.totalwaitms)
                    if not escalated:
                        wave_launched += 1
                    tasks[p.key] = asyncio.ensure_future(send(p, wait, not escalated))

        async def escalate() -> None:
            nonlocal escalated, budget
            # the stagger counts from when the first wave is on the wire: on a busy scan
            # host, waiting for a free connection is not the service being slow
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wave_on_wire.wait(), timing.probe_ceiling)
            await asyncio.sleep(timing.stagger + rtt * timing.rtt_factor)
            escalated = True
            budget = len(order)
            launch(0)

        async def speculative(i: int, probe: Probe, soft_service: Optional[str]) -> ProbeResult:
            nonlocal soft_now, budget
            soft_now = soft_service
            if probe.key not in tasks:  # the walk needs it now: no waiting for the stagger
                budget = max(budget, 1)
            launch(i)
            return await tasks[probe.key]

        escalation = asyncio.ensure_future(escalate())
        try:
            first = await self._replay(
                order, listed, soft, soft_probe, replies, speculative, tunnel, wrapped
            )
        finally:
            closing = True  # no probe starts after this, whatever a late wakeup does
            await cancel_pending([escalation, *tasks.values()])
        done = {
            k: t.result()
            for k, t in tasks.items()
            if t.done() and not t.cancelled() and t.exception() is None
        }
        # Before trusting a hard match from probe d, look at the probes nmap would have
        # tried before it. One the host turned away, or closed at once, may have met a
        # limit on connections per client (ngircd, sshd's MaxStartups, vsftpd's
        # max_per_ip); one that got no reply in our short wait may have answered in
        # nmap's longer one. Walk again with those re-sent: the turned-away and the
        # silent at once (the host's gate has shrunk to what it accepts), the closed one
        # at a time as the walk reaches them, as nmap sends them.
        later_match = first.method == "matched"
        decided_at = next((i for i, p in enumerate(order) if p.name == first.probe), len(order))
        suspects = {}
        for p in order[:decided_at]:
            why = _suspect(done[p.key], later_match) if p.key in done else None
            if why:
                suspects[p.key] = why
        closed = [p for p in order[:decided_at] if suspects.get(p.key) == "closed"]
        rerun: dict[tuple[str, str], asyncio.Future[ProbeResult]] = {}
        if closed:
            # a service that answers everything with one message and a close (prosody's
            # stream error) is not refusing: if the first such probe, sent again alone,
            # gets the same, so would the others
            sample = closed[0]
            once = asyncio.ensure_future(resend(sample, timing.probe_wait(rtt, sample.totalwaitms)))
            again = await once
            before = done[sample.key]
            if (again.reply, again.closed, again.hard) == (before.reply, before.closed, False):
                for p in closed:
                    del suspects[p.key]
            else:
                rerun[sample.key] = once
        if not suspects:
            return first
        patient = self._patience(rtt, done[order[decided_at].key] if later_match else None)
        for p in order[:decided_at]:
            why = suspects.get(p.key)
            if why in ("turned-away", "impatient"):
                wait = timing.probe_wait(rtt, p.totalwaitms)
                if why == "impatient":
                    wait = min(patient, (p.totalwaitms or DEFAULT_SERVICEWAITMS) / 1000)
                rerun[p.key] = asyncio.ensure_future(resend(p, wait))
        budget_ends = time.monotonic() + timing.second_look

        async def again(i: int, probe: Probe, soft_service: Optional[str]) -> ProbeResult:
            key = probe.key
            if key not in rerun and (key not in done or key in suspects):
                if key in done and time.monotonic() > budget_ends:
                    return done[key]  # the second look has had its time: keep what we saw
                wait = timing.probe_wait(rtt, probe.totalwaitms)
                rerun[key] = asyncio.ensure_future(resend(probe, wait))
            if key not in rerun:
                return done[key]
            if key not in done:
                return await rerun[key]
            try:
                remaining = max(0.0, budget_ends - time.monotonic())
                return await asyncio.wait_for(asyncio.shield(rerun[key]), remaining)
            except asyncio.TimeoutError:
                return done[key]

        try:
            return await self._replay(
                order, listed, soft, soft_probe, dict(replies), again, tunnel, wrapped
            )
        finally:
            await cancel_pending(rerun.values())

    def _patience(self, rtt: float, decisive: Optional[ProbeResult]) -> float:
        """How long a re-sent silent probe waits: a few times as long as the service took
        to begin its decisive reply, at least twice the usual wait, at most the ceiling."""
        timing = self.timing
        ceiling = max(timing.probe_ceiling, timing.probe_wait(rtt, None))
        if timing.patience is None or decisive is None or decisive.latency is None:
            return ceiling
        floor = 2 * timing.probe_wait(rtt, None)
        return min(ceiling, max(floor, timing.patience * decisive.latency))

    async def _replay(  # type: ignore[no-untyped-def]
        self, order, listed, soft, soft_probe, replies, get, tunnel, wrapped
    ) -> Detection:
        """nmap's walk over the probes, with each probe's result from ``get``. ``wrapped``:
        the NULL probe's connection was closed with nothing said; if every probe's is,
        nmap calls the port tcpwrapped at the end (its ``tcpwrap_possible``)."""
        all_closed = True
        for i, probe in enumerate(order):
            if not self._eligible(probe, probe.key in listed, soft.service if soft else None):
                continue
            result = await get(i, probe, soft.service if soft else None)
            if result.hard:
                return Detection(result.verdict, "matched", tunnel, replies, probe.name)
            all_closed = all_closed and result.closed and not result.reply
            if result.reply:
                replies[probe.name] = result.reply
            if result.verdict is not None and soft is None:
                soft, soft_probe = result.verdict, probe.name
        if soft is not None:
            return Detection(soft, "softmatched", tunnel, replies, soft_probe)
        if wrapped and all_closed and tunnel is None:
            return Detection(None, "tcpwrapped", tunnel, replies)
        return Detection(None, "unknown", tunnel, replies, all_closed=all_closed)


def eligible(
    probe: Probe, listed: bool, soft: Optional[str], intensity: int, services: dict
) -> bool:
    """Would nmap send ``probe`` (``ServiceNFO::nextProbe``)? Port-listed probes always,
    others up to the intensity; after a soft match only probes that can name that
    service, whatever their rarity."""
    if soft is None:
        return listed or probe.effective_rarity <= intensity
    return intensity >= 9 or soft in services[probe.key]


def _turned_away(result: ProbeResult) -> bool:
    """The connection failed before the probe was sent (connect or TLS handshake) on a
    port known to be open: the host is refusing, not answering."""
    return result.error is not None and not result.closed and not result.reply


def _suspect(result: ProbeResult, later_match: bool) -> Optional[str]:
    """Why a result may not be what nmap would have seen (see ``_walk``), or None."""
    if result.hard:
        return None
    if _turned_away(result):
        return "turned-away"
    if result.closed and result.elapsed < 1.0:
        return "closed"  # maybe a refusal that looks like an answer
    if later_match and not result.reply and not result.closed:
        return "impatient"
    return None


def elapsed_ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)

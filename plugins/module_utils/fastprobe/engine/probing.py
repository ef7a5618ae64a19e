"""One probe on one connection: connect, send, read, match each time data arrives.

This is nmap's read loop (``servicescan_read_handler``) for a single probe: the
reply so far is matched after every chunk; a hard match ends the probe at once,
a soft match or no match keeps reading until the wait runs out or the peer closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import ssl
import struct
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple, Optional

from ..rules.matcher import Matcher, RegexBudget, Verdict
from ..rules.model import Probe
from .x509 import CertError, cert_facts

CONNECT_FAILED = "connect-failed"
# the peer hung up on an open connection: nmap's "jerk hung up on us" (ECONNRESET,
# ECONNABORTED) — a close with nothing said, not a failure to connect
HUNG_UP = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
_TCP_INFO = getattr(socket, "TCP_INFO", None)  # Linux
_TCPI_RTT_OFFSET = 68  # after 8 one-byte fields and 15 u32s (linux/tcp.h)


class ProbeResult(NamedTuple):
    probe: Probe
    verdict: Optional[Verdict]  # the hard match, or the first soft match
    reply: bytes
    closed: bool  # the peer closed the connection
    elapsed: float  # seconds from connect to the end of this probe
    error: Optional[str] = None  # CONNECT_FAILED, or a socket/TLS error text
    aborted: tuple[str, ...] = ()  # rules whose regex ran out of time
    latency: Optional[float] = None  # seconds from sending to the reply's first byte

    @property
    def hard(self) -> bool:
        return self.verdict is not None and not self.verdict.soft


def client_tls_context() -> ssl.SSLContext:
    """TLS for probing: accept any certificate and old protocol versions, like nmap."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pass
    return ctx


async def open_connection(
    host: str, port: int, timeout: float, tls: Optional[ssl.SSLContext] = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, float]:
    """Connect (and handshake); returns the streams and the round-trip time in seconds:
    the kernel's measure where it has one, since the clock around the connect also
    counts the time this busy event loop took to notice it."""
    start = time.monotonic()
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=tls, server_hostname=None if tls is None else ""),
        timeout,
    )
    elapsed = time.monotonic() - start
    kernel = _kernel_rtt(writer.get_extra_info("socket"))
    return reader, writer, elapsed if kernel is None else min(elapsed, kernel)


def _kernel_rtt(sock: Optional[socket.socket]) -> Optional[float]:
    """The smoothed RTT from Linux's ``struct tcp_info`` (``tcpi_rtt``, microseconds)."""
    if sock is None or _TCP_INFO is None:
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO, 104)
    except OSError:
        return None
    if len(info) < _TCPI_RTT_OFFSET + 4:
        return None
    (rtt_us,) = struct.unpack_from("I", info, _TCPI_RTT_OFFSET)
    return rtt_us / 1e6 if rtt_us else None


async def close(writer: asyncio.StreamWriter) -> None:
    if writer.get_extra_info("ssl_object") is not None:
        # a prober has nothing to say in a TLS shutdown, and a peer that never answers
        # close_notify would hold the socket for seconds
        writer.transport.abort()
        return
    writer.close()
    with contextlib.suppress(asyncio.TimeoutError, OSError, ssl.SSLError):
        await asyncio.wait_for(writer.wait_closed(), 1.0)


async def run_probe(
    matcher: Matcher,
    probe: Probe,
    host: str,
    port: int,
    *,
    wait: float,
    connect_timeout: float,
    grace: float,
    max_reply: int,
    coalesce: float = 0.01,
    tls: Optional[ssl.SSLContext] = None,
    streams: Optional[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = None,
    on_open: Optional[Callable[[], None]] = None,
    keep_open: bool = False,
    budget: Optional[RegexBudget] = None,
) -> ProbeResult:
    """Send ``probe`` on a fresh connection (or on ``streams``, a connection just opened
    to discover the port) and read its reply, matching as it comes. ``keep_open``: a
    connection that stayed silent and open is left open (to listen on later).
    ``budget``: the port's regex budget (see ``RegexBudget``)."""
    start = time.monotonic()
    if streams is not None:
        reader, writer = streams
    else:
        try:
            reader, writer, _rtt = await open_connection(host, port, connect_timeout, tls)
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            if tls is None and isinstance(exc, HUNG_UP):
                # the handshake completed and the peer reset before asyncio saw it: the
                # same as a reset on the first read (a TLS handshake cut short is not:
                # that is the host turning the connection away)
                return ProbeResult(probe, None, b"", True, time.monotonic() - start)
            return ProbeResult(probe, None, b"", False, time.monotonic() - start, _describe(exc))
    if on_open is not None:
        on_open()
    buf = b""
    latency: Optional[float] = None
    soft: Optional[Verdict] = None
    closed = False
    aborted: list[str] = []
    error: Optional[str] = None
    try:
        if probe.payload:
            writer.write(probe.payload)
            await writer.drain()
        sent = time.monotonic()
        deadline = sent + wait
        # a peer that trickles bytes may stretch the wait, but never past twice its length
        limit = deadline + wait
        while len(buf) < max_reply:
            remaining = min(deadline, limit) - time.monotonic()
            if remaining <= 0:
                break
            chunk = await _read(reader, max_reply - len(buf), remaining)
            if chunk is None:
                break
            if not chunk:
                closed = True
                break
            if latency is None:
                latency = time.monotonic() - sent
            buf += chunk
            # a reply written in pieces arrives in a burst: take the burst whole, as
            # nmap's slower read loop usually does, before matching it
            while len(buf) < max_reply and time.monotonic() < limit:
                more = await _read(reader, max_reply - len(buf), coalesce)
                if more is None:
                    break
                if not more:
                    closed = True
                    break
                buf += more
            result = matcher.match(probe, buf, budget=budget)
            aborted.extend(result.aborted)
            v = result.verdict
            if v is not None and not v.soft:
                return ProbeResult(
                    probe, v, buf, False, time.monotonic() - start, None, tuple(aborted), latency
                )
            if v is not None and soft is None:
                soft = v
            if closed:
                break
            deadline = max(deadline, time.monotonic() + grace)
    except HUNG_UP:
        closed = True  # a reset is a close with nothing more said, as in nmap
    except (OSError, ssl.SSLError) as exc:
        closed = True
        error = _describe(exc)
    finally:
        if not (keep_open and not buf and not closed and error is None):
            await close(writer)
    elapsed = time.monotonic() - start
    return ProbeResult(probe, soft, buf, closed, elapsed, error, tuple(aborted), latency)


async def _read(reader: asyncio.StreamReader, n: int, timeout: float) -> Optional[bytes]:
    """Up to ``n`` bytes; ``b""`` when the peer closed, None when ``timeout`` passed."""
    try:
        return await asyncio.wait_for(reader.read(n), timeout)
    except asyncio.TimeoutError:
        return None


def tls_facts(writer: asyncio.StreamWriter) -> Optional[dict]:
    """Certificate facts and protocol version of a TLS connection."""
    obj = writer.get_extra_info("ssl_object")
    if obj is None:
        return None
    der = obj.getpeercert(binary_form=True)
    if not der:
        return {"tls_version": obj.version()}
    try:
        return cert_facts(der, obj.version())
    except CertError:
        return {"tls_version": obj.version(), "certificate": "unreadable"}


async def cancel_pending(tasks: Iterable[asyncio.Task]) -> None:  # type: ignore[type-arg]
    """Cancel the probes a verdict no longer needs, and let them close their sockets."""
    pending = [t for t in tasks if not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return CONNECT_FAILED + ": timed out"
    if isinstance(exc, ConnectionRefusedError):
        return CONNECT_FAILED + ": refused"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return CONNECT_FAILED + ": unreachable"
    if isinstance(exc, ssl.SSLError):
        return f"tls: {exc.reason or exc}"
    return f"{CONNECT_FAILED}: {exc}"

"""Hostile loopback servers, for the robustness tests and the hostile-replies benchmark.

The servers run in a child process (``python -m tests.support.hostile``) that the
caller stops by its handle: a flood or a trickle never competes with the test or
the scan for a GIL, and nothing outlives the ``with`` block. Every server binds
127.0.0.1 (port 0); every connection and the process itself end within bounded time.

Kinds (``Spec.kind``):

* ``flood``       writes ``payload`` (64 KiB of ``A`` by default) as fast as it can,
                  up to ``FLOOD_BYTES`` per connection
* ``trickle``     one byte every ``interval`` seconds
* ``reset``       accepts and resets at once (SO_LINGER 0), nothing said
* ``close``       accepts and closes at once (FIN), nothing said
* ``never-read``  accepts, never reads, never writes
* ``tls-garbage`` answers a TLS ClientHello with random bytes (seeded), else silent
* ``banner``      sends ``payload`` on accept; if ``piece`` is set, its first ``head``
                  bytes at once and the rest in pieces of ``piece`` bytes every
                  ``interval`` seconds (a growing reply)
* ``http``        answers a request with ``payload``
* ``udp``         answers any datagram with ``payload`` (default: the largest
                  datagram loopback carries, ``UDP_MAX`` bytes)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, NamedTuple, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLOOD_BYTES = 200 * 1024 * 1024
UDP_MAX = 65507  # 65535 - IPv4 header (20) - UDP header (8)


class Spec(NamedTuple):
    kind: str
    payload: bytes = b""
    interval: float = 1.0  # trickle: seconds per byte; banner: seconds per piece
    piece: int = 0  # banner: send the payload in pieces of this many bytes
    head: int = 0  # banner: ... after its first ``head`` bytes, sent at once
    hold: float = 60.0  # a connection is closed after this long at the latest
    address: str = "127.0.0.1"  # a loopback address of its own stands for another host


class HostileServers:
    """``with HostileServers([Spec("reset"), ...]) as s: s.ports`` — one port per spec."""

    def __init__(self, specs: Sequence[Spec], lifetime: float = 300.0) -> None:
        self.specs = list(specs)
        self.lifetime = lifetime
        self.ports: list[int] = []
        self.proc: Optional[subprocess.Popen] = None

    def __enter__(self) -> HostileServers:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.hostile", str(self.lifetime)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        line = [{**s._asdict(), "payload": s.payload.hex()} for s in self.specs]
        self.proc.stdin.write(json.dumps(line).encode() + b"\n")
        self.proc.stdin.flush()
        ready = select.select([self.proc.stdout], [], [], 30)[0]
        answer = self.proc.stdout.readline() if ready else b""
        if not answer:
            self.__exit__()
            raise RuntimeError("hostile servers did not start")
        self.ports = json.loads(answer)
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is None:
            return
        proc.kill()  # our own child, by its handle
        proc.wait(10)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()
        self.proc = None


def backtracking_reply(rules: Any, size: int = 12000, variant: int = 0) -> tuple[bytes, str]:
    """A banner that makes one of the NULL probe's patterns (of ``rules``, a RuleSet)
    run out of time and that no rule matches (so every probe nmap might send is sent,
    and each reply's fallback chain reaches that pattern), and the rule's file:line —
    found by experiment at run time, so no line of nmap's file is kept here.
    ``variant`` changes the bytes, not the effect (distinct servers send distinct
    replies, as distinct hosts would). The pattern is searched for once per rule set,
    at the first ``size`` asked for; later sizes reuse it."""
    known = _RECIPES.get(id(rules))
    if known is None or known[0] is not rules:
        known = _RECIPES[id(rules)] = (rules, _recipe(rules, size))
    prefix, unit, tail, location = known[1]
    filler = unit * ((size - variant - len(prefix) - len(tail)) // len(unit))
    return prefix + filler + tail, location


_RECIPES: dict[int, tuple[Any, tuple[bytes, bytes, bytes, str]]] = {}  # rule set kept alive


def _recipe(rules: Any, size: int) -> tuple[bytes, bytes, bytes, str]:
    from fastprobe.rules.guard import Guard
    from fastprobe.rules.matcher import Matcher

    guard, matcher = Guard(0.05), Matcher(rules)
    null = rules.null
    for rule in null.rules:
        tr = rule.translation
        # the literals the prefilter wants, after a long run: a pattern that scans for
        # them from every split of the run backtracks over all of it
        tail = b" ".join(lit for lit in tr.literals if lit not in tr.prefix) + b" \x01"
        for unit in (b"a", b"1", b"a.", b"a-", b" ", b":"):
            data = tr.prefix + unit * ((size - len(tr.prefix) - len(tail)) // len(unit)) + tail
            if not guard.first_match([rule], data).aborted:
                continue
            result = matcher.match(null, data)
            if rule.location in result.aborted and result.verdict is None:
                return tr.prefix, unit, tail, rule.location
    raise LookupError("no pattern of the NULL probe backtracks on the replies tried")


class Measured(NamedTuple):
    returncode: int
    stdout: str
    stderr: str
    wall: float  # seconds
    cpu: float  # user + system seconds of the child (and the children it waited for)
    maxrss_mb: float  # the child's peak resident set


def run_measured(cmd: Sequence[str], timeout: float) -> Measured:
    """Run ``cmd`` and measure that child alone: CPU time from ``wait4``, peak RSS from
    its ``VmHWM`` (``ru_maxrss`` would count the caller's size too, since Linux carries
    the pre-exec memory of a forked child into it). Killed (by its handle) after
    ``timeout`` seconds."""
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    out: dict[str, bytes] = {}
    peak = [0.0]
    done = threading.Event()

    def collect(name: str, stream: Any) -> None:
        out[name] = stream.read()

    def watch() -> None:
        while not done.wait(0.02):
            hwm = _vm_hwm_mb(proc.pid)
            if hwm is not None:
                peak[0] = max(peak[0], hwm)

    threads = [
        threading.Thread(target=collect, args=(n, s), daemon=True)
        for n, s in (("stdout", proc.stdout), ("stderr", proc.stderr))
    ]
    threads.append(threading.Thread(target=watch, daemon=True))
    for t in threads:
        t.start()
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        # once stdout is closed the child is exiting: its last VmHWM is read before
        # wait4 reaps it (a zombie has no memory to report)
        threads[0].join(timeout + 10)
        hwm = _vm_hwm_mb(proc.pid)
        peak[0] = max(peak[0], hwm or 0.0)
        _pid, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
        done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    for t in threads:
        t.join(10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    return Measured(
        proc.returncode,
        out.get("stdout", b"").decode(errors="replace"),
        out.get("stderr", b"").decode(errors="replace"),
        wall,
        usage.ru_utime + usage.ru_stime,
        peak[0] or usage.ru_maxrss / 1024,  # ru_maxrss (KiB) where /proc is missing
    )


def _vm_hwm_mb(pid: int) -> Optional[float]:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


# ---- the child process --------------------------------------------------------------


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _drain_reads(reader: asyncio.StreamReader, hold: float) -> None:
    """Read and discard until the client closes or ``hold`` passes."""
    loop = asyncio.get_running_loop()
    end = loop.time() + hold
    while loop.time() < end:
        data = await asyncio.wait_for(reader.read(65536), end - loop.time())
        if not data:
            return


def _handler(spec: Spec, seed: int):  # type: ignore[no-untyped-def]
    payload = spec.payload

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            kind = spec.kind
            if kind == "reset":
                _reset(writer)
                return
            if kind == "close":
                return
            if kind == "never-read":
                await asyncio.sleep(spec.hold)
            elif kind == "flood":
                chunk = payload or b"A" * 65536
                sent = 0
                while sent < FLOOD_BYTES:
                    writer.write(chunk)
                    await asyncio.wait_for(writer.drain(), spec.hold)
                    sent += len(chunk)
            elif kind == "trickle":
                for _ in range(int(spec.hold / spec.interval)):
                    writer.write(b".")
                    await writer.drain()
                    await asyncio.sleep(spec.interval)
            elif kind == "tls-garbage":
                rng = random.Random(seed)
                data = await asyncio.wait_for(reader.read(65536), spec.hold)
                # a ClientHello: handshake record (0x16), version 3.x, type 1
                if data[:2] == b"\x16\x03" and data[5:6] == b"\x01":
                    writer.write(bytes(rng.randrange(256) for _ in range(4096)))
                    await writer.drain()
                await _drain_reads(reader, spec.hold)
            elif kind == "banner":
                step = spec.piece or len(payload)
                cuts = [0, *range(spec.head or step, len(payload), step), len(payload)]
                for n, (a, b) in enumerate(zip(cuts, cuts[1:])):
                    if n:
                        await asyncio.sleep(spec.interval)
                    writer.write(payload[a:b])
                    await writer.drain()
                await _drain_reads(reader, spec.hold)
            elif kind == "http":
                await asyncio.wait_for(reader.read(65536), spec.hold)
                writer.write(payload)
                await writer.drain()
            else:
                raise ValueError(f"unknown kind {kind!r}")
        except (asyncio.TimeoutError, OSError):
            pass
        finally:
            if spec.kind == "flood":
                writer.transport.abort()  # no flush of the buffered flood
            elif spec.kind != "reset":
                writer.close()  # FIN (a reset if the client's probe is still unread)

    return handle


class _Answer(asyncio.DatagramProtocol):
    def __init__(self, payload: bytes) -> None:
        self.payload = payload or b"Z" * UDP_MAX
        self.transport: Optional[asyncio.DatagramTransport] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self.transport is not None:
            self.transport.sendto(self.payload, addr)


async def _serve(specs: list[Spec], lifetime: float) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    servers: list[Any] = []
    ports = []
    for n, spec in enumerate(specs):
        if spec.kind == "udp":
            transport, _ = await loop.create_datagram_endpoint(
                lambda spec=spec: _Answer(spec.payload), local_addr=(spec.address, 0)
            )
            servers.append(transport)
            ports.append(transport.get_extra_info("sockname")[1])
        else:
            srv = await asyncio.start_server(_handler(spec, n), spec.address, 0, backlog=1024)
            servers.append(srv)
            ports.append(srv.sockets[0].getsockname()[1])
    sys.stdout.write(json.dumps(ports) + "\n")
    sys.stdout.flush()

    def wait_for_eof() -> None:  # the parent closed our stdin, or died
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait_for_eof, daemon=True).start()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), lifetime)
    for srv in servers:
        srv.close()


def main(argv: list[str]) -> None:
    lifetime = float(argv[0]) if argv else 300.0
    raw = json.loads(sys.stdin.buffer.readline())
    specs = [Spec(**{**s, "payload": bytes.fromhex(s["payload"])}) for s in raw]
    asyncio.run(_serve(specs, lifetime))
    os._exit(0)  # connections still held end with the process


if __name__ == "__main__":
    main(sys.argv[1:])

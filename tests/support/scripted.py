"""Loopback servers that follow a script: a banner, replies chosen by what the client
sends, delays, closing at once, TLS. For engine tests that need exact behaviour."""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading
from typing import NamedTuple, Optional


def finish_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the connections still held, let them close, then close the loop."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


class Script(NamedTuple):
    banner: bytes = b""
    banner_delay: float = 0.0
    replies: tuple[tuple[bytes, float, bytes], ...] = ()  # (request prefix, delay, reply)
    close_at_once: bool = False
    reset_on_data: bool = False  # answer any request with a TCP reset
    stream: Optional[tuple[bytes, float]] = None  # (chunk, interval): send it forever
    tls: Optional[ssl.SSLContext] = None
    hold: float = 10.0  # keep connections open at most this long
    # a per-client limit like ngircd's: beyond this many connections at once, say so
    # in plain text and close (before any TLS handshake, which then fails)
    max_conns: Optional[int] = None
    starttls: Optional[ssl.SSLContext] = None  # TLS after the limit check (needs max_conns)
    idle_reset: Optional[float] = None  # reset a connection silent this long (like monit)


class ScriptedServers:
    def __init__(self, scripts: list[Script]) -> None:
        self.scripts = scripts
        self.ports: list[int] = []
        self.requests: list[list[bytes]] = [[] for _ in scripts]
        self.open_now = [0] * len(scripts)
        self.most_at_once = [0] * len(scripts)  # connections held at once, at the peak
        self.refused = [0] * len(scripts)  # connections turned away by max_conns
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: Optional[asyncio.Event] = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ScriptedServers:
        self._thread.start()
        if not self._ready.wait(20):
            raise RuntimeError("scripted servers did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            finish_loop(self._loop)

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        servers = []
        for n, script in enumerate(self.scripts):
            srv = await asyncio.start_server(
                self._handler(n, script), "127.0.0.1", 0, ssl=script.tls
            )
            servers.append(srv)
            self.ports.append(srv.sockets[0].getsockname()[1])
        self._ready.set()
        await self._stop.wait()
        for srv in servers:
            srv.close()

    def _handler(self, n: int, script: Script):  # type: ignore[no-untyped-def]
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.open_now[n] += 1
            self.most_at_once[n] = max(self.most_at_once[n], self.open_now[n])
            try:
                if script.close_at_once:
                    return
                if script.max_conns is not None and self.open_now[n] > script.max_conns:
                    self.refused[n] += 1
                    writer.write(b"ERROR :Too many connections from your address\r\n")
                    await writer.drain()
                    return
                if script.starttls is not None:
                    await writer.start_tls(script.starttls)
                if script.banner:
                    await asyncio.sleep(script.banner_delay)
                    writer.write(script.banner)
                    await writer.drain()
                if script.stream is not None:
                    chunk, interval = script.stream
                    loop = asyncio.get_running_loop()
                    stop = loop.time() + script.hold
                    while loop.time() < stop:
                        writer.write(chunk)
                        await writer.drain()
                        await asyncio.sleep(interval)
                    return
                try:
                    data = await asyncio.wait_for(
                        reader.read(4096), script.idle_reset or script.hold
                    )
                except asyncio.TimeoutError:
                    if script.idle_reset is None:
                        raise
                    _reset(writer)
                    return
                self.requests[n].append(data)
                if script.reset_on_data:
                    _reset(writer)
                    return
                for prefix, delay, reply in script.replies:
                    if data.startswith(prefix):
                        await asyncio.sleep(delay)
                        writer.write(reply)
                        await writer.drain()
                        break
                await asyncio.wait_for(reader.read(), script.hold)
            except (asyncio.TimeoutError, ConnectionError, ssl.SSLError):
                pass
            finally:
                self.open_now[n] -= 1
                writer.close()

        return handle


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class ThreadedTlsServer:
    """A TLS server on a loopback port, one thread per connection, replying ``reply`` to
    any request. Unlike asyncio's, OpenSSL sends its alerts before closing, as real
    servers do."""

    def __init__(self, context: ssl.SSLContext, reply: bytes) -> None:
        import socket

        self.context = context
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> ThreadedTlsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn) -> None:  # type: ignore[no-untyped-def]
        conn.settimeout(5)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                if tls.recv(4096):
                    tls.sendall(self.reply)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

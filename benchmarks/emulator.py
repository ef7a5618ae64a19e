"""Emulated services on 127.0.0.0/8: each replays a reply recorded from a real server.

    python benchmarks/emulator.py COUNT ENDPOINTS_FILE

Service i replays capture ``i % len(captures)`` of ``tests/data/fidelity/captures.json``
(a banner on connect for NULL-probe captures, else the reply once the probe that
elicited it arrives) on its own 127.x.y.z address and the capture's port. The
endpoints are written as naabu-style JSON lines (for ``fastprobe scan --from``) with
the verdict nmap gave; "ready" is printed when all listen. Runs until stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from fastprobe.rules.ruleset import find_nmap_probes, load_probe_file  # noqa: E402

CAPTURES = os.path.join(ROOT, "tests", "data", "fidelity", "captures.json")


def address(i: int) -> str:
    return f"127.{1 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


async def serve(count: int, out_path: str) -> None:
    with open(CAPTURES) as fh:
        captures = [c for c in json.load(fh) if not c.get("sent_over_tls")]
    probes = {p.name: p.payload for p in load_probe_file(find_nmap_probes() or "").probes}

    def handler(cap: dict):  # type: ignore[no-untyped-def]
        reply = bytes.fromhex(cap["reply_hex"])
        payload = probes.get(cap["probe"], b"")

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                if cap["probe"] == "NULL":
                    writer.write(reply)
                    await writer.drain()
                else:
                    data = await asyncio.wait_for(reader.read(4096), 10)
                    if payload and data.startswith(payload[:16]):
                        writer.write(reply)
                        await writer.drain()
                await asyncio.wait_for(reader.read(), 10)
            except (asyncio.TimeoutError, ConnectionError):
                pass
            finally:
                writer.close()

        return handle

    servers = []
    with open(out_path, "w") as out:
        for i in range(count):
            cap = captures[i % len(captures)]
            host, port = address(i), cap["port"]
            servers.append(await asyncio.start_server(handler(cap), host, port, backlog=64))
            row = {
                "ip": host,
                "port": port,
                "protocol": "tcp",
                "expect": cap["nmap"]["service"],
                "product": cap["nmap"]["product"],
                "version": cap["nmap"]["version"],
            }
            out.write(json.dumps(row) + "\n")
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes stdin


def main() -> int:
    count, out_path = int(sys.argv[1]), sys.argv[2]
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = count * 3 + 1024
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(serve(count, out_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())

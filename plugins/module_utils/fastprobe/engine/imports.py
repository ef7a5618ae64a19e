"""Open ports found by other tools (``--from FILE``), so a scan goes straight to service
detection: masscan ``-oJ``/``-oL``/``-oX``, nmap ``-oX``/``-oG``, naabu JSON lines.
The format is recognised from the content."""

from __future__ import annotations

import ipaddress
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

Endpoint = tuple[str, int, str]  # (address, port, "tcp"|"udp")


class ImportFileError(ValueError):
    """A file that is none of the formats, or a line that cannot be read (names it)."""


_GREP_HOST = re.compile(r"^Host: (\S+) .*?Ports: (.*)$")
_GREP_PORT = re.compile(r"(\d+)/open/(tcp|udp)/")
_MASSCAN_LIST = re.compile(r"^open (tcp|udp) (\d+) (\S+)")


def read_endpoints(path: str) -> list[Endpoint]:
    """Every open (address, port, protocol) in the file, in file order, without repeats."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError as exc:
        raise ImportFileError(f"--from {path}: {exc.strerror or exc}") from None
    head = text.lstrip()[:200]
    if head.startswith("<"):
        found = _xml(text, path)
    elif head.startswith("["):
        found = _masscan_json(text, path)
    elif head.startswith("{"):
        found = _json_lines(text, path)
    elif "Ports:" in text or text.startswith("# Nmap"):
        found = _grepable(text)
    elif _MASSCAN_LIST.search(text) or text.startswith("#masscan"):
        found = _masscan_list(text)
    else:
        raise ImportFileError(f"--from {path}: not masscan, nmap or naabu output")
    out = list(dict.fromkeys(found))
    for address, port, _proto in out:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise ImportFileError(f"--from {path}: bad address {address!r}") from None
        if not 0 < port <= 65535:
            raise ImportFileError(f"--from {path}: bad port {port} for {address}")
    return out


def _xml(text: str, path: str) -> Iterator[Endpoint]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ImportFileError(f"--from {path}: XML error: {exc}") from None
    for host in root.iter("host"):
        addr = next(
            (a.get("addr") for a in host.iter("address") if a.get("addrtype") in ("ipv4", "ipv6")),
            None,
        )
        if not addr:
            continue
        for port in host.iter("port"):
            state = port.find("state")
            if state is not None and state.get("state") == "open":
                yield addr, int(port.get("portid", "0")), port.get("protocol", "tcp")


def _masscan_json(text: str, path: str) -> Iterator[Endpoint]:
    # masscan writes a trailing comma before "]" in some versions
    cleaned = re.sub(r",\s*\]\s*$", "]", text.strip())
    try:
        rows = json.loads(cleaned)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"--from {path}: JSON error at line {exc.lineno}: {exc.msg}"
        ) from None
    for row in rows:
        for p in row.get("ports", []):
            if p.get("status", "open") == "open":
                yield row["ip"], int(p["port"]), p.get("proto", "tcp")


def _json_lines(text: str, path: str) -> Iterator[Endpoint]:
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip().rstrip(",")
        if not line or line in ("[", "]"):
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise ImportFileError(f"--from {path}:{number}: not a JSON object") from None
        if "ports" in row:  # masscan -oJ written one host a line
            for p in row["ports"]:
                if p.get("status", "open") == "open":
                    yield row["ip"], int(p["port"]), p.get("proto", "tcp")
        elif "port" in row:  # naabu
            yield row.get("ip") or row["host"], int(row["port"]), row.get("protocol", "tcp")


def _grepable(text: str) -> Iterator[Endpoint]:
    for line in text.splitlines():
        m = _GREP_HOST.match(line)
        if m:
            for pm in _GREP_PORT.finditer(m.group(2)):
                yield m.group(1), int(pm.group(1)), pm.group(2)


def _masscan_list(text: str) -> Iterator[Endpoint]:
    for line in text.splitlines():
        m = _MASSCAN_LIST.match(line)
        if m:
            yield m.group(3), int(m.group(2)), m.group(1)

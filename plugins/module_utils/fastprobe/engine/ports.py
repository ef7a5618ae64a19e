"""Port lists in nmap's syntax: ``22,80,1000-2000``, ``-`` for all, ``T:``/``U:`` prefixes."""

from __future__ import annotations

import functools
import os
import re
from typing import NamedTuple, Optional

from ..rules.model import PortRanges

NMAP_SERVICES_PATHS = (
    "/usr/share/nmap/nmap-services",
    "/usr/local/share/nmap/nmap-services",
    "/opt/homebrew/share/nmap/nmap-services",
)
_ITEM = re.compile(r"(?:([TUS]):)?(\d*)(-?)(\d*)", re.ASCII)


class PortSpecError(ValueError):
    """A port list that cannot be read; the message names the bad item."""


class Ports(NamedTuple):
    tcp: tuple[int, ...]
    udp: tuple[int, ...]

    def pairs(self) -> list[tuple[int, str]]:
        """(port, protocol) in scan order: TCP first, then UDP."""
        return [(p, "tcp") for p in self.tcp] + [(p, "udp") for p in self.udp]

    def __len__(self) -> int:  # type: ignore[override]
        return len(self.tcp) + len(self.udp)

    def ranges(self) -> dict[str, PortRanges]:
        """The ports of each protocol as merged ranges."""
        return {
            proto: PortRanges(tuple((n, n) for n in numbers))
            for proto, numbers in (("tcp", self.tcp), ("udp", self.udp))
        }

    def spec(self) -> str:
        """In nmap's syntax, protocols prefixed: ``T:22,80-82,U:53``."""
        return ",".join(
            f"{proto[0].upper()}:{ranges}" for proto, ranges in self.ranges().items() if ranges
        )


def parse_ports(spec: str, default_protocol: str = "tcp") -> Ports:
    """Read ``spec``; items before any ``T:``/``U:`` prefix use ``default_protocol``."""
    tcp: dict[int, None] = {}
    udp: dict[int, None] = {}
    target = tcp if default_protocol == "tcp" else udp
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            raise PortSpecError(f"empty item in port list {spec!r}")
        m = _ITEM.fullmatch(item)
        if not m or not (m.group(2) or m.group(3) or m.group(4)):
            raise PortSpecError(f"bad port item {item!r} (want e.g. 22,80,1000-2000,U:53)")
        if m.group(1) == "T":
            target = tcp
        elif m.group(1) == "U":
            target = udp
        elif m.group(1) == "S":
            raise PortSpecError(f"SCTP ports are not supported: {item!r}")
        lo = int(m.group(2)) if m.group(2) else (1 if m.group(3) else None)
        hi = int(m.group(4)) if m.group(4) else (65535 if m.group(3) else lo)
        if lo is None or hi is None or not 0 <= lo <= hi <= 65535:
            raise PortSpecError(f"bad port range {item!r} (ports are 0-65535, low-high)")
        for port in range(lo, hi + 1):
            target[port] = None
    return Ports(tuple(tcp), tuple(udp))


@functools.lru_cache(maxsize=2)
def _services(path: Optional[str]) -> tuple[tuple[str, int, str, float], ...]:
    """nmap-services as (name, port, protocol, frequency) rows."""
    path = path or next((p for p in NMAP_SERVICES_PATHS if os.path.isfile(p)), None)
    if path is None:
        return ()
    rows = []
    with open(path, encoding="latin-1") as fh:
        for line in fh:
            parts = line.split("#", 1)[0].split()
            if len(parts) < 3 or "/" not in parts[1]:
                continue
            port, proto = parts[1].split("/", 1)
            try:
                rows.append((parts[0], int(port), proto, float(parts[2])))
            except ValueError:
                continue
    return tuple(rows)


def top_ports(count: int, protocol: str = "tcp", path: Optional[str] = None) -> tuple[int, ...]:
    """The ``count`` most frequently open ports by nmap's ``nmap-services`` statistics."""
    rows = [r for r in _services(path) if r[2] == protocol]
    if not rows:
        raise PortSpecError("--top-ports needs nmap's nmap-services file (install nmap)")
    rows.sort(key=lambda r: (-r[3], r[1]))
    return tuple(sorted(r[1] for r in rows[:count]))


def service_names(path: Optional[str] = None) -> dict[tuple[int, str], str]:
    """nmap's name for a (port, protocol), as its XML gives for unidentified ports."""
    names: dict[tuple[int, str], str] = {}
    for name, port, proto, _freq in _services(path):
        names.setdefault((port, proto), name)
    return names

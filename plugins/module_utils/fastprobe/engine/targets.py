"""Target specifications, streamed: addresses, CIDRs, nmap ranges, host names, files.

Nothing is expanded whole into memory: a /8 is walked address by address.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple, Optional, Union

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

_OCTET_RANGE = re.compile(r"(\*|\d{1,3}(?:-\d{1,3})?(?:,\d{1,3}(?:-\d{1,3})?)*)", re.ASCII)
_HOSTNAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})", re.ASCII)


class TargetError(ValueError):
    """A target that cannot be read; the message names it."""


class Target(NamedTuple):
    """One thing to scan: an address, or a name still to be resolved (address None)."""

    address: Optional[str]
    name: Optional[str] = None  # the host name as given, when there was one
    spec: str = ""  # the specification it came from


def _octets(part: str, spec: str) -> list[int]:
    if part == "*":
        return list(range(256))
    values: list[int] = []
    for item in part.split(","):
        lo_s, _dash, hi_s = item.partition("-")
        lo, hi = int(lo_s), int(hi_s or lo_s)
        if not 0 <= lo <= hi <= 255:
            raise TargetError(f"bad octet range {item!r} in {spec!r}")
        values.extend(range(lo, hi + 1))
    return values


def _octet_ranges(spec: str) -> Optional[list[list[int]]]:
    """The four octet lists of an nmap range such as ``10.0.0-1.1,5``, or None."""
    parts = spec.split(".")
    if (
        len(parts) == 4
        and all(_OCTET_RANGE.fullmatch(p) for p in parts)
        and not all(p.isdigit() for p in parts)
    ):
        return [_octets(p, spec) for p in parts]
    return None


def count(spec: str) -> int:
    """How many targets ``expand(spec)`` yields, without walking them (for progress)."""
    spec = spec.strip()
    if "/" in spec:
        try:
            return ipaddress.ip_network(spec, strict=False).num_addresses
        except ValueError:
            raise TargetError(f"bad network {spec!r}") from None
    lists = _octet_ranges(spec)
    if lists is not None:
        return len(lists[0]) * len(lists[1]) * len(lists[2]) * len(lists[3])
    return 1


def expand(spec: str) -> Iterator[Target]:
    """The targets one specification stands for, lazily."""
    spec = spec.strip()
    if not spec:
        raise TargetError("empty target")
    if "/" in spec:
        try:
            net = ipaddress.ip_network(spec, strict=False)
        except ValueError:
            raise TargetError(f"bad network {spec!r}") from None
        for addr in net:  # like nmap: network and broadcast addresses included
            yield Target(str(addr), None, spec)
        return
    try:
        yield Target(str(ipaddress.ip_address(spec)), None, spec)
        return
    except ValueError:
        pass
    lists = _octet_ranges(spec)
    if lists is not None:
        for a in lists[0]:
            for b in lists[1]:
                for c in lists[2]:
                    for d in lists[3]:
                        yield Target(f"{a}.{b}.{c}.{d}", None, spec)
        return
    if _HOSTNAME.fullmatch(spec) and not spec.replace(".", "").isdigit():
        yield Target(None, spec, spec)
        return
    raise TargetError(f"not an address, network, range or host name: {spec!r}")


def read_list(path: str) -> Iterator[str]:
    """Target specifications from a file (``-iL``): white space separated, ``#`` comments."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                yield from line.split("#", 1)[0].split()
    except OSError as exc:
        raise TargetError(f"-iL {path}: {exc.strerror or exc}") from None


class Exclusions:
    """Addresses and names not to scan (``--exclude``, ``--exclude-file``)."""

    def __init__(self, specs: Iterable[str] = ()) -> None:
        self.networks: list[Network] = []
        self.ranges: list[tuple[list[int], ...]] = []
        self.names: set[str] = set()
        for spec in specs:
            self.add(spec)

    def add(self, spec: str) -> None:
        spec = spec.strip()
        if "/" in spec:
            try:
                self.networks.append(ipaddress.ip_network(spec, strict=False))
            except ValueError:
                raise TargetError(f"bad network {spec!r} in exclusions") from None
            return
        try:
            self.networks.append(ipaddress.ip_network(spec))
            return
        except ValueError:
            pass
        parts = spec.split(".")
        if len(parts) == 4 and all(_OCTET_RANGE.fullmatch(p) for p in parts):
            self.ranges.append(tuple(_octets(p, spec) for p in parts))
            return
        if _HOSTNAME.fullmatch(spec):
            self.names.add(spec.lower())
            return
        raise TargetError(f"bad exclusion {spec!r}")

    def __contains__(self, target: object) -> bool:
        if not isinstance(target, Target):
            return False
        if target.name and target.name.lower() in self.names:
            return True
        if target.address is None:
            return False
        addr = ipaddress.ip_address(target.address)
        if any(addr in net for net in self.networks):
            return True
        if addr.version == 4 and self.ranges:
            octets = [int(x) for x in target.address.split(".")]
            return any(all(o in r for o, r in zip(octets, rng)) for rng in self.ranges)
        return False


def iter_targets(
    specs: Iterable[str] = (),
    input_files: Iterable[str] = (),
    exclude: Optional[Exclusions] = None,
) -> Iterator[Target]:
    """Every target of ``specs`` and the ``-iL`` files, minus exclusions, in order."""
    exclude = exclude or Exclusions()

    def all_specs() -> Iterator[str]:
        yield from specs
        for path in input_files:
            yield from read_list(path)

    for spec in all_specs():
        for target in expand(spec):
            if target not in exclude:
                yield target

"""Target specifications, streamed: addresses, CIDRs, nmap ranges, host names, files.

Every specification is checked before the first packet (``TargetPlan``), so a typo
fails the whole scan with the item named instead of surfacing half-way through it.
Nothing is expanded whole into memory: a /8 is walked address by address.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import re
import socket
from collections.abc import Iterable, Iterator
from typing import NamedTuple, Optional, Union

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

_OCTET_RANGE = re.compile(r"(\*|\d{1,3}(?:-\d{1,3})?(?:,\d{1,3}(?:-\d{1,3})?)*)", re.ASCII)
_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)", re.ASCII)
_DIGITS_AND_DOTS = re.compile(r"[0-9.]+", re.ASCII)
LOOKUP_TIMEOUT = 10.0  # seconds one name lookup may take (the resolver's own retries included)


class TargetError(ValueError):
    """A target that cannot be read; the message names it. ``option``: where it was
    given (``targets``, ``input_files``)."""

    option = "targets"


class Target(NamedTuple):
    """One thing to scan: an address, or a name still to be resolved (address None)."""

    address: Optional[str]
    name: Optional[str] = None  # the host name as given, when there was one
    spec: str = ""  # the specification it came from


class _Spec(NamedTuple):
    kind: str  # address, network, range, name
    value: object  # the address, network, octet lists or name
    count: int


def _octets(part: str, spec: str) -> list[int]:
    if part == "*":
        return list(range(256))
    values: list[int] = []
    for item in part.split(","):
        lo_s, _dash, hi_s = item.partition("-")
        lo, hi = int(lo_s), int(hi_s or lo_s)
        if not 0 <= lo <= hi <= 255:
            raise TargetError(f"{spec!r}: bad octet range {item!r} (0-255, low to high)")
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


def ascii_name(name: str) -> str:
    """The name as DNS carries it (IDNA for non-ASCII names); TargetError when it cannot
    be a host name: empty labels, labels over 63 characters, names over 253."""
    try:
        text = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        raise TargetError(f"{name!r}: not a valid host name") from None
    labels = text[:-1].split(".") if text.endswith(".") else text.split(".")
    if len(text) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise TargetError(
            f"{name!r}: not an address, network, range or host name "
            "(labels of 1-63 letters, digits, '-' or '_'; 253 characters at most)"
        )
    return text


def _parse(spec: str) -> _Spec:
    text = spec.strip()
    if not text:
        raise TargetError("empty target")
    if any(c.isspace() for c in text):
        raise TargetError(f"{spec!r}: holds white space (give one target per item)")
    if text.startswith("[") and text.endswith("]"):  # a URL-style IPv6 literal
        try:
            return _Spec("address", str(ipaddress.IPv6Address(text[1:-1])), 1)
        except ValueError:
            raise TargetError(f"{spec!r}: not an IPv6 address in brackets") from None
    if "/" in text:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise TargetError(f"{spec!r}: bad network ({exc})") from None
        return _Spec("network", net, net.num_addresses)
    try:
        return _Spec("address", str(ipaddress.ip_address(text)), 1)
    except ValueError:
        pass
    lists = _octet_ranges(text)
    if lists is not None:
        return _Spec("range", lists, len(lists[0]) * len(lists[1]) * len(lists[2]) * len(lists[3]))
    if _DIGITS_AND_DOTS.fullmatch(text):
        raise TargetError(f"{spec!r}: not an IPv4 address (four numbers 0-255)")
    if ":" in text:
        raise TargetError(f"{spec!r}: not an IPv6 address")
    ascii_name(text)
    return _Spec("name", text, 1)


def count(spec: str) -> int:
    """How many targets ``expand(spec)`` yields, without walking them; TargetError for a
    specification that cannot be read."""
    return _parse(spec).count


def expand(spec: str) -> Iterator[Target]:
    """The targets one specification stands for, lazily."""
    parsed = _parse(spec)
    spec = spec.strip()
    if parsed.kind == "address":
        yield Target(str(parsed.value), None, spec)
    elif parsed.kind == "network":
        for addr in parsed.value:  # type: ignore[attr-defined]
            yield Target(str(addr), None, spec)  # like nmap: network and broadcast included
    elif parsed.kind == "range":
        lists = parsed.value
        for a in lists[0]:  # type: ignore[index]
            for b in lists[1]:  # type: ignore[index]
                for c in lists[2]:  # type: ignore[index]
                    for d in lists[3]:  # type: ignore[index]
                        yield Target(f"{a}.{b}.{c}.{d}", None, spec)
    else:
        yield Target(None, str(parsed.value), spec)


def read_list(path: str, option: str = "-iL") -> Iterator[tuple[str, str]]:
    """Target specifications from a file, white space separated, ``#`` comments; each
    with where it was read (``FILE:LINE``). TargetError names the file."""
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if "\x00" in line:
                    raise TargetError(f"{option} {path}:{number}: not a text file (NUL byte)")
                for word in line.split("#", 1)[0].split():
                    yield word, f"{path}:{number}"
    except UnicodeDecodeError:
        raise TargetError(f"{option} {path}: not a text file (UTF-8)") from None
    except OSError as exc:
        raise TargetError(f"{option} {path}: {exc.strerror or exc}") from None


def name_key(name: str) -> str:
    """A host name as names compare: case and a trailing dot do not count."""
    return name.lower().rstrip(".")


def normal_address(address: str) -> str:
    """An address as addresses compare (``0::1`` is ``::1``); anything else as it is."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def lookup(name: str) -> list[str]:
    """Every address of ``name``, in the resolver's order; OSError when it has none."""
    infos = socket.getaddrinfo(ascii_name(name), None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(i[4][0]).split("%", 1)[0] for i in infos))


class Exclusions:
    """Addresses never to scan (``--exclude``, ``--exclude-file``). Names are resolved
    (``resolve_names``) and their addresses excluded, so the same host given as another
    name or address is excluded too."""

    def __init__(self, specs: Iterable[str] = ()) -> None:
        self.networks: list[Network] = []
        self.ranges: list[tuple[list[int], ...]] = []
        self.names: set[str] = set()
        self.addresses: set[str] = set()  # of the names, once resolved
        self._range_specs: list[str] = []
        self.resolved = False  # names looked up (resolve_names)
        for spec in specs:
            self.add(spec)

    def add(self, spec: str) -> None:
        try:
            parsed = _parse(spec)
        except TargetError as exc:
            raise TargetError(f"bad exclusion: {exc}") from None
        if parsed.kind == "address":
            self.networks.append(ipaddress.ip_network(str(parsed.value)))
        elif parsed.kind == "network":
            self.networks.append(parsed.value)  # type: ignore[arg-type]
        elif parsed.kind == "range":
            self.ranges.append(tuple(parsed.value))  # type: ignore[arg-type]
            self._range_specs.append(spec.strip())
        else:
            self.names.add(name_key(str(parsed.value)))

    def resolve_names(self, timeout: float = LOOKUP_TIMEOUT) -> None:
        """Look every excluded name up, at once, each bounded by ``timeout``. A name that
        cannot be resolved is an error: scanning on would risk the host it stands for."""
        names = sorted(self.names)
        if not names:
            return
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(names)))
        try:
            futures = {name: pool.submit(lookup, name) for name in names}
            for name, future in futures.items():
                try:
                    self.addresses.update(future.result(timeout=timeout))
                except concurrent.futures.TimeoutError:
                    raise TargetError(f"{name!r}: lookup timed out after {timeout:g} s") from None
                except (OSError, UnicodeError) as exc:
                    why = getattr(exc, "strerror", None) or exc
                    raise TargetError(f"{name!r}: cannot be resolved ({why})") from None
        finally:
            pool.shutdown(wait=False)
        self.resolved = True

    def specs(self) -> list[str]:
        """The exclusions as nmap's ``--exclude`` reads them: names as their addresses
        once resolved (nmap 7.93 given a name there with -sV stalls for ~30 s)."""
        names = [] if self.resolved else sorted(self.names)
        return [
            *(str(n) for n in self.networks),
            *self._range_specs,
            *sorted(self.addresses),
            *names,
        ]

    def excludes(self, address: str) -> bool:
        addr = ipaddress.ip_address(address.split("%", 1)[0])
        if str(addr) in self.addresses or any(addr in net for net in self.networks):
            return True
        if addr.version == 4 and self.ranges:
            octets = [int(x) for x in str(addr).split(".")]
            return any(all(o in r for o, r in zip(octets, rng)) for rng in self.ranges)
        return False


class TargetPlan:
    """The targets of one scan, every specification checked up front (the ``-iL`` files
    read once to check them, then again as the scan walks them), with the exclusions.
    ``count``: the addresses the specifications stand for, before exclusions."""

    def __init__(
        self,
        specs: Iterable[str] = (),
        input_files: Iterable[str] = (),
        exclude: Optional[Exclusions] = None,
    ) -> None:
        self.specs = [str(s) for s in specs]
        self.input_files = list(input_files)
        self.exclude = exclude or Exclusions()
        self.count = 0
        self.items = 0
        for spec, where in self.all_specs():
            try:
                self.count += count(spec)
            except TargetError as exc:
                error = TargetError(f"{where}{exc}")
                error.option = "input_files" if where else "targets"
                raise error from None
            self.items += 1

    def all_specs(self) -> Iterator[tuple[str, str]]:
        """Each specification with where it was read ("" or "-iL FILE:LINE: ")."""
        for spec in self.specs:
            yield spec, ""
        for path in self.input_files:
            try:
                for spec, where in read_list(path):
                    yield spec, f"-iL {where}: "
            except TargetError as exc:
                exc.option = "input_files"
                raise

    def targets(self, names_only: bool = False) -> Iterator[Target]:
        """Every target in order (or only the names, networks not walked); addresses
        already excluded are left out, names are checked once resolved (``allowed``)."""
        for spec, _where in self.all_specs():
            if names_only and _parse(spec).kind != "name":
                continue
            for target in expand(spec):
                if target.address is None or not self.exclude.excludes(target.address):
                    yield target

    def allowed(self, address: str) -> bool:
        return not self.exclude.excludes(address)

    def excluded_name(self, name: str) -> bool:
        return name_key(name) in self.exclude.names

"""nmap's probe file and the overlays merged into the one file nmap itself reads.

nmap has no overlays: it reads one file and, for a probe named twice, only ever uses
the first. So the merged rule set is written out probe by probe, in the order and
with the directives the engine uses, each ``Probe`` and ``match`` line copied
verbatim from the file it came from. nmap then tries the same rules in the same
order as fastprobe does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, NamedTuple, Optional

from ..version import __version__
from .cache import cached_text
from .model import Exclusion, Probe, ProbeFile
from .parser import parse_text
from .ruleset import RuleSet, display_path

NPSL = "https://nmap.org/npsl/"
MARK = "# Assembled by fastprobe"  # first line of every assembled file


class Source(NamedTuple):
    """One probe file's name (used in messages and the origin comments) and text."""

    name: str
    text: str


def read_source(path: str, name: Optional[str] = None) -> Source:
    """A probe file byte for byte, as nmap reads it (latin-1: one character a byte),
    named by ``name`` or its path as messages show it. OSError when it cannot be read."""
    with open(path, encoding="latin-1") as fh:
        return Source(display_path(path) if name is None else name, fh.read())


class Assembled(NamedTuple):
    text: str
    probes: int
    rules: int
    excluded: str  # the Exclude line written, "" for none
    origins: dict[int, str]  # line of the assembled file -> "file:line" it was copied from


def assemble(
    base: Optional[Source],
    overlays: Sequence[Source],
    *,
    exclude: str = "drop",
    totalwaitms: Optional[int] = None,
    tcpwrappedms: Optional[int] = None,
) -> Assembled:
    """Merge ``base`` (nmap's file) and ``overlays``; ``exclude`` as in :class:`RuleSet`,
    but dropped by default: a file assembled for nmap is meant to probe every port.
    ``totalwaitms``/``tcpwrappedms`` replace every probe's value when given. A bad file
    raises ProbeFileError naming its file and line."""
    for name, value in (("totalwaitms", totalwaitms), ("tcpwrappedms", tcpwrappedms)):
        if value is not None and not 100 <= value <= 300000:
            raise ValueError(f"{name} must be 100 to 300000 milliseconds (nmap's bounds)")
    lines: dict[str, list[str]] = {}
    parsed = []
    for source in ([base] if base else []) + list(overlays):
        if source.name in lines:
            raise ValueError(f"{source.name}: given twice")
        lines[source.name] = [line.rstrip("\r") for line in source.text.split("\n")]
        # parsed (so a rule that cannot run is refused here too), or the cached parse
        parsed.append(cached_text(source.text, source.name, False, _parser(source)))
    base_file, overlay_files = (parsed[0], parsed[1:]) if base else (None, parsed)
    rules = RuleSet(overlay_files, exclude=exclude, base=base_file)

    names = [s.name for s in overlays]
    out = [
        f"{MARK} {__version__}; do not edit, assemble again instead.",
        f"# Base: {base.name if base else '(none)'}"
        + (f" (nmap's probe file; Nmap Public Source License, {NPSL})" if base else ""),
        f"# Overlays, tried before the base's rules in this order: {', '.join(names) or '(none)'}",
        f"# Exclude: {exclude}"
        + (f"; totalwaitms {totalwaitms}" if totalwaitms else "")
        + (f"; tcpwrappedms {tcpwrappedms}" if tcpwrappedms else ""),
    ]
    excluded = exclude_line(rules.excludes)
    if excluded:
        out.append(excluded)
    origins: dict[int, str] = {}

    def copy(file: str, line: int) -> None:
        out.append(lines[file][line - 1])
        origins[len(out)] = f"{file}:{line}"

    count = 0
    for probe in rules.probes:
        out.append("")
        out.append(f"# {probe.protocol} {probe.name} from {probe.file}:{probe.line}")
        copy(probe.file, probe.line)
        out.extend(_directives(probe, totalwaitms, tcpwrappedms))
        for rule in probe.rules:
            for ex in rule.examples:
                copy(ex.file, ex.line)
            copy(rule.file, rule.line)
            count += 1
    return Assembled("\n".join(out) + "\n", len(rules.probes), count, excluded, origins)


def _parser(source: Source) -> Callable[[], ProbeFile]:
    return lambda: parse_text(source.text, source.name)


def _directives(probe: Probe, totalwaitms: Optional[int], tcpwrappedms: Optional[int]) -> list:
    out = []
    if probe.rarity is not None:
        out.append(f"rarity {probe.rarity}")
    if probe.ports:
        out.append(f"ports {probe.ports}")
    if probe.sslports:
        out.append(f"sslports {probe.sslports}")
    wait = totalwaitms or probe.totalwaitms
    if wait is not None:
        out.append(f"totalwaitms {wait}")
    # nmap reads tcpwrappedms on NULL only
    wrapped = (tcpwrappedms if probe.is_null else None) or probe.tcpwrappedms
    if wrapped is not None:
        out.append(f"tcpwrappedms {wrapped}")
    if probe.fallbacks:
        out.append(f"fallback {','.join(probe.fallbacks)}")
    return out


def exclude_line(excludes: Sequence[Exclusion]) -> str:
    """One ``Exclude`` line for all those in force (nmap allows one per file)."""
    tcp = udp = None
    for e in excludes:
        tcp = e.tcp if tcp is None else tcp | e.tcp
        udp = e.udp if udp is None else udp | e.udp
    items = []
    if tcp:
        items.append(f"T:{tcp}")
    if udp:
        items.append(f"U:{udp}")
    return f"Exclude {','.join(items)}" if items else ""


def is_assembled(path: str) -> bool:
    """True for a file this module wrote: it holds nmap's rules already, so it is checked
    alone rather than against nmap's file."""
    try:
        with open(path, "rb") as fh:
            return fh.readline().startswith(MARK.encode())
    except OSError:
        return False

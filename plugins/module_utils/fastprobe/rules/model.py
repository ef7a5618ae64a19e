"""The rules as data: probes, their match lines, port lists and findings about them."""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple, Optional

from .pcre import Translation, compile_translation
from .templates import FIELD_NAMES, Segment, parse


class Issue(NamedTuple):
    """A finding about a probe file, always tied to a file and a line."""

    file: str
    line: int
    severity: str  # "error" or "warning"
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message} [{self.code}]"


class ProbeFileError(Exception):
    """A probe file that cannot be used; the message names the file and the line."""

    def __init__(self, file: str, line: int, message: str, code: str = "syntax") -> None:
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")
        self.file = file
        self.line = line
        self.message = message
        self.code = code

    def issue(self) -> Issue:
        return Issue(self.file, self.line, "error", self.code, self.message)


class PortRanges:
    """A port list as sorted, merged ranges (probe files may list 1-65535)."""

    __slots__ = ("_his", "_los", "ranges")

    def __init__(self, ranges: tuple[tuple[int, int], ...] = ()) -> None:
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(ranges):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
            else:
                merged.append((lo, hi))
        self.ranges = tuple(merged)
        self._los = [r[0] for r in merged]
        self._his = [r[1] for r in merged]

    def __contains__(self, port: object) -> bool:
        if not isinstance(port, int):
            return False
        k = bisect_right(self._los, port) - 1
        return k >= 0 and port <= self._his[k]

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def __or__(self, other: PortRanges) -> PortRanges:
        return PortRanges(self.ranges + other.ranges)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PortRanges) and self.ranges == other.ranges

    def __hash__(self) -> int:
        return hash(self.ranges)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (PortRanges, (self.ranges,))

    def __str__(self) -> str:
        return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.ranges)

    def __repr__(self) -> str:
        return f"PortRanges({self!s})"


class Exclusion(NamedTuple):
    """An ``Exclude`` directive: ports version detection must skip, per protocol."""

    tcp: PortRanges
    udp: PortRanges
    file: str
    line: int

    def excludes(self, port: int, protocol: str) -> bool:
        return port in (self.tcp if protocol.upper() == "TCP" else self.udp)


class Example(NamedTuple):
    """A recorded reply kept next to a rule (``#@example`` comment), with what it must give."""

    file: str
    line: int
    attrs: dict[str, str]


class Rule:
    """One ``match`` or ``softmatch`` line.

    The parser compiles every pattern (refusing one Python cannot compile) and hands the
    compiled regex over, so the check is not paid twice. A pickled rule (the parse cache)
    leaves it out: loading 12,000 compiled patterns would compile them all again, while
    most are never a candidate; after a cache hit each compiles on first use.
    """

    __slots__ = (
        "_regex",
        "_segments",
        "cpes",
        "examples",
        "fields",
        "file",
        "line",
        "opts",
        "pattern",
        "service",
        "soft",
        "translation",
    )

    def __init__(
        self,
        service: str,
        soft: bool,
        pattern: str,
        opts: str,
        fields: dict[str, str],
        cpes: tuple[str, ...],
        file: str,
        line: int,
        translation: Translation,
        examples: tuple[Example, ...] = (),
        regex: Optional[re.Pattern[bytes]] = None,
    ) -> None:
        self.service = service
        self.soft = soft
        self.pattern = pattern  # as written between the delimiters (latin-1 text)
        self.opts = opts  # "i", "s", "is" …
        self.fields = fields  # template text by letter: p v i h o d
        self.cpes = cpes  # "cpe:/a:vendor:product:$1" …, in file order
        self.file = file
        self.line = line
        self.translation = translation
        self.examples = examples
        self._regex = regex
        self._segments: Optional[dict[str, tuple[list[Segment], Optional[str]]]] = None

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # without the compiled regex (see the class docstring)
        return (
            Rule,
            (
                self.service,
                self.soft,
                self.pattern,
                self.opts,
                self.fields,
                self.cpes,
                self.file,
                self.line,
                self.translation,
                self.examples,
            ),
        )

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def regex(self) -> re.Pattern[bytes]:
        """The compiled pattern: the parser's, or compiled on first use after a cache hit
        (compiling all of nmap's costs ~1.3 s; the parser checked that it compiles)."""
        if self._regex is None:
            self._regex = compile_translation(self.translation)
        return self._regex

    def segments(self) -> dict[str, tuple[list[Segment], Optional[str]]]:
        """Parsed templates by key (``p`` … ``d``, ``cpe0`` …): segments and any error."""
        if self._segments is None:
            segs = {k: parse(v) for k, v in self.fields.items()}
            for n, cpe in enumerate(self.cpes):
                segs[f"cpe{n}"] = parse(cpe)
            self._segments = segs
        return self._segments

    def template_errors(self) -> list[str]:
        out = []
        for key, (_segments, err) in self.segments().items():
            if err:
                name = FIELD_NAMES.get(key, "cpe")
                out.append(f"{name} template: {err}")
        return out

    def __repr__(self) -> str:
        kind = "softmatch" if self.soft else "match"
        return f"<Rule {kind} {self.service} {self.location}>"


class Probe:
    """One ``Probe`` with its directives and rules, in file order."""

    __slots__ = (
        "fallbacks",
        "file",
        "line",
        "name",
        "no_payload",
        "payload",
        "ports",
        "protocol",
        "rarity",
        "rules",
        "sslports",
        "tcpwrappedms",
        "totalwaitms",
    )

    def __init__(
        self,
        protocol: str,
        name: str,
        payload: bytes,
        file: str,
        line: int,
        no_payload: bool = False,
    ) -> None:
        self.protocol = protocol  # "TCP" or "UDP"
        self.name = name
        self.payload = payload
        self.no_payload = no_payload
        self.file = file
        self.line = line
        self.ports = PortRanges()
        self.sslports = PortRanges()
        self.rarity: Optional[int] = None  # None: not given (nmap uses 5)
        self.fallbacks: tuple[str, ...] = ()
        self.totalwaitms: Optional[int] = None  # None: not given (nmap uses 5000)
        self.tcpwrappedms: Optional[int] = None  # None: not given (nmap uses 2000)
        self.rules: list[Rule] = []

    def __reduce__(self):  # type: ignore[no-untyped-def]
        state = {k: getattr(self, k) for k in self.__slots__}
        return (_restore_probe, (state,))

    @property
    def key(self) -> tuple[str, str]:
        return (self.protocol, self.name)

    @property
    def is_null(self) -> bool:
        return self.name == "NULL" and self.protocol == "TCP"

    @property
    def effective_rarity(self) -> int:
        return 5 if self.rarity is None else self.rarity

    def services(self) -> set[str]:
        """Services this probe's own rules can name (nmap's ``serviceIsPossible``)."""
        return {r.service for r in self.rules}

    def copy(self) -> Probe:
        new = _restore_probe({k: getattr(self, k) for k in self.__slots__})
        new.rules = list(self.rules)
        return new

    def __repr__(self) -> str:
        return (
            f"<Probe {self.protocol} {self.name} {self.file}:{self.line} rules={len(self.rules)}>"
        )


def _restore_probe(state: dict) -> Probe:
    p = Probe.__new__(Probe)
    for k, v in state.items():
        setattr(p, k, v)
    return p


class ProbeFile(NamedTuple):
    """One parsed file: its probes in order, its Exclude, and what lenient parsing skipped."""

    path: str
    probes: list[Probe]
    exclude: Optional[Exclusion]
    issues: list[Issue]

    def probe(self, name: str, protocol: str = "TCP") -> Optional[Probe]:
        for p in self.probes:
            if p.name == name and p.protocol == protocol:
                return p
        return None

    def rules(self) -> list[Rule]:
        return [r for p in self.probes for r in p.rules]

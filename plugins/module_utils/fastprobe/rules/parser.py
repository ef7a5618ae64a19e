"""Parse ``nmap-service-probes`` files, accepting and rejecting what nmap does.

The grammar follows ``parse_nmap_service_probe_file`` and ``ServiceProbeMatch::
InitMatch`` in nmap's ``service_scan.cc``. Every error names the file and line. In
lenient mode a bad line is skipped and reported as an issue instead of stopping.

A rule is kept only if it can run: its pattern is compiled here (the compiled regex
stays with the rule), so one that nmap's PCRE takes but Python's ``re`` cannot (a
variable-length lookbehind) is refused at load, not found by a scan. Numbers have
bounds (nmap's own where it has them), so none reaches ``int()`` unbounded.
"""

from __future__ import annotations

import re
from typing import Optional

from .escapes import EscapeError, unescape
from .model import Example, Exclusion, Issue, PortRanges, Probe, ProbeFile, ProbeFileError, Rule
from .pcre import PatternError, compile_translation, translate
from .templates import TemplateError, check_limits

MAX_LINE = 8191  # nmap reads lines with an 8192-byte buffer
MAX_FALLBACKS = 20
MAX_PORT = 65535
RARITY = (1, 9)
WAIT_MS = (100, 300000)  # totalwaitms and tcpwrappedms, as nmap bounds them
EXAMPLE_TAG = "#@example "
# nmap 7.93 reads a probe file line into 2048 bytes (fgets): a longer line, comment or
# not, is split and the rest fails as an unknown directive (later nmap reads 8191)
NMAP_LINE_LIMIT = 2046

_SPACE = " \t\n\v\f\r"
_MODE = re.compile(r"[ \t\n\v\f\r]*([A-Za-z:]*)", re.ASCII)
_FLAGS = re.compile(r"[A-Za-z]*", re.ASCII)
_PROBE_NAME = re.compile(r"[A-Za-z0-9]", re.ASCII)


def parse_file(path: str, *, lenient: bool = False, display: Optional[str] = None) -> ProbeFile:
    """Parse one probe file. ``display`` is the name used in messages (default: the path)."""
    name = display or path
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise ProbeFileError(name, 0, "no such file", "io") from None
    except IsADirectoryError:
        raise ProbeFileError(name, 0, "is a directory, not a probe file", "io") from None
    except OSError as exc:
        raise ProbeFileError(name, 0, f"cannot read: {exc.strerror or exc}", "io") from None
    return parse_text(data.decode("latin-1"), name, lenient=lenient)


def parse_text(text: str, name: str = "<string>", *, lenient: bool = False) -> ProbeFile:
    parser = _Parser(name, lenient)
    parser.feed(text)
    return parser.finish()


class _Parser:
    def __init__(self, name: str, lenient: bool) -> None:
        self.name = name
        self.lenient = lenient
        self.probes: list[Probe] = []
        self.seen: dict[tuple[str, str], int] = {}
        self.exclude: Optional[Exclusion] = None
        self.issues: list[Issue] = []
        self.current: Optional[Probe] = None
        self.nonblank = 0
        self.examples: list[Example] = []

    def error(self, line: int, message: str, code: str = "syntax") -> ProbeFileError:
        return ProbeFileError(self.name, line, message, code)

    def feed(self, text: str) -> None:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for lineno, raw in enumerate(lines, 1):
            if len(raw) > NMAP_LINE_LIMIT:
                limit = f"nmap 7.93 reads lines of at most {NMAP_LINE_LIMIT} characters"
                self.warn(lineno, f"{limit}; this one ({len(raw)}) breaks its parse of the file")
            if raw == "" or raw[0] == "#":
                if raw.startswith(EXAMPLE_TAG):
                    self.example(raw.rstrip("\r"), lineno)
                continue
            line = raw[:-1] if raw.endswith("\r") else raw
            try:
                self.line(line, lineno, len(raw) + 1)
            except ProbeFileError as exc:
                if not self.lenient:
                    raise
                self.issues.append(exc.issue())

    def line(self, line: str, lineno: int, length: int) -> None:
        if length > MAX_LINE:
            raise self.error(lineno, f"line is too long for nmap ({length} > {MAX_LINE} bytes)")
        if not line.strip(_SPACE):
            raise self.error(lineno, "line holds only white space (nmap rejects it)")
        self.nonblank += 1
        head, _space, rest = line.partition(" ")
        if head in ("match", "softmatch"):
            if self.current is None:
                raise self.error(lineno, f"'{head}' before any Probe line")
            examples, self.examples = tuple(self.examples), []
            rule = self.rule(line, lineno)
            rule.examples = examples
            self.current.rules.append(rule)
        elif head == "Probe":
            self.probe(rest, lineno)
        elif self.current is None and head == "Exclude":
            if self.exclude is not None:
                raise self.error(lineno, "only one Exclude directive is allowed")
            tcp, udp = parse_exclude(rest, self.error, lineno)
            self.exclude = Exclusion(tcp, udp, self.name, lineno)
        elif self.current is None:
            if self.nonblank == 1 and "\0" in line:
                raise self.error(lineno, "binary data: not a probe file", "not-probe-file")
            what = "not a probe file: " if self.nonblank == 1 else ""
            raise self.error(
                lineno,
                f"{what}expected a Probe or Exclude line, found {_show(line)}",
                "not-probe-file",
            )
        else:
            self.directive(self.current, head, rest, lineno)

    def example(self, line: str, lineno: int) -> None:
        try:
            attrs = parse_attributes(line[len(EXAMPLE_TAG) :])
        except ValueError as exc:
            issue = Issue(self.name, lineno, "error", "example", f"bad example line: {exc}")
            if not self.lenient:
                raise ProbeFileError(self.name, lineno, issue.message, "example") from None
            self.issues.append(issue)
            return
        self.examples.append(Example(self.name, lineno, attrs))

    def finish(self) -> ProbeFile:
        for ex in self.examples:
            self.issues.append(
                Issue(self.name, ex.line, "warning", "example", "example not followed by a rule")
            )
        return ProbeFile(self.name, self.probes, self.exclude, self.issues)

    # -- Probe lines -------------------------------------------------------------

    def probe(self, rest: str, lineno: int) -> None:
        proto, _space, rest = rest.partition(" ")
        if proto not in ("TCP", "UDP"):
            raise self.error(lineno, f"invalid protocol {proto!r} (TCP or UDP)")
        if not _PROBE_NAME.match(rest):
            raise self.error(lineno, "bad probe name (must start with a letter or digit)")
        name, sep, rest = rest.partition(" ")
        if not sep:
            raise self.error(lineno, "nothing after the probe name")
        if not rest.startswith("q") or len(rest) < 2:
            raise self.error(lineno, "probe string must begin with 'q'")
        delim = rest[1]
        end = rest.find(delim, 2)
        if end < 0:
            raise self.error(lineno, f"no ending delimiter {delim!r} for the probe string")
        try:
            payload = unescape(rest[2:end])
        except EscapeError as exc:
            raise self.error(lineno, f"bad probe string: {exc}") from None
        flags = rest[end + 1 :].split()
        no_payload = any(f.startswith("no-payload") for f in flags)
        key = (proto, name)
        if key in self.seen:
            raise self.error(
                lineno, f"probe {proto} {name} is already defined on line {self.seen[key]}"
            )
        if name == "NULL" and proto == "TCP" and payload:
            raise self.error(lineno, "the NULL probe must have an empty probe string")
        self.seen[key] = lineno
        self.current = Probe(proto, name, payload, self.name, lineno, no_payload)
        self.probes.append(self.current)

    def directive(self, probe: Probe, head: str, rest: str, lineno: int) -> None:
        if head == "ports":
            probe.ports = probe.ports | parse_ports(rest, self.error, lineno)
        elif head == "sslports":
            probe.sslports = probe.sslports | parse_ports(rest, self.error, lineno)
        elif head == "rarity":
            value = _atoi(rest, RARITY[1])
            if not RARITY[0] <= value <= RARITY[1]:
                raise self.error(lineno, f"rarity {_show(rest)} is not between 1 and 9")
            probe.rarity = value
        elif head == "fallback":
            names = tuple(n for n in re.split(r"[,\r\n\t ]+", rest) if n)
            if not names:
                raise self.error(lineno, "fallback names no probe")
            if len(names) >= MAX_FALLBACKS - 2:
                raise self.error(lineno, f"more than {MAX_FALLBACKS - 3} fallbacks")
            probe.fallbacks = names
        elif head in ("totalwaitms", "tcpwrappedms"):
            value = _atoi(rest, WAIT_MS[1])
            if not WAIT_MS[0] <= value <= WAIT_MS[1]:
                raise self.error(
                    lineno, f"bad {head} value {_show(rest)}: must be 100 to 300000 milliseconds"
                )
            setattr(probe, head, value)
        elif head == "Exclude":
            raise self.error(lineno, "the Exclude directive must precede all Probes")
        else:
            raise self.error(lineno, f"unknown directive {_show(head)}")

    # -- match lines -------------------------------------------------------------

    def rule(self, line: str, lineno: int) -> Rule:
        soft = line.startswith("softmatch ")
        rest = line[10:] if soft else line[6:]
        rest = rest.lstrip(_SPACE)
        sp = rest.find(" ")
        if sp <= 0:
            raise self.error(lineno, "could not find the service name")
        service = rest[:sp]
        pos = sp
        tmpl = self.template(rest, pos, lineno)
        if tmpl is None:
            raise self.error(lineno, "missing the m/.../ pattern")
        mode, pattern, opts, pos = tmpl
        if mode != "m":
            raise self.error(lineno, "the pattern must begin with 'm'")
        for o in opts:
            if o not in "is":
                raise self.error(lineno, f"illegal regexp option {o!r} (only i and s)")
        try:
            tr = translate(pattern, ignorecase="i" in opts, dotall="s" in opts)
            # the one compile check: after it, no scan meets a pattern that cannot run
            regex = compile_translation(tr)
        except PatternError as exc:
            at = "" if exc.offset is None else f" at offset {exc.offset}"
            raise self.error(lineno, f"bad pattern{at}: {exc}", "pattern") from None
        fields: dict[str, str] = {}
        cpes: list[str] = []
        while True:
            tmpl = self.template(rest, pos, lineno)
            if tmpl is None:
                break
            mode, text, _flags, pos = tmpl
            if mode == "cpe":
                cpes.append(text)
            elif mode in ("p", "v", "i", "h", "o", "d"):
                fields[mode] = text  # a repeated field replaces the earlier one, as in nmap
            else:
                raise self.error(lineno, f"unknown template specifier {mode!r}")
        for text in (*fields.values(), *cpes):
            try:
                check_limits(text)
            except TemplateError as exc:
                raise self.error(lineno, f"bad template {_show(text)}: {exc}", "template") from None
        return Rule(
            service, soft, pattern, opts, fields, tuple(cpes), self.name, lineno, tr, regex=regex
        )

    def template(self, s: str, pos: int, lineno: int) -> Optional[tuple[str, str, str, int]]:
        """nmap's ``next_template``: (mode, text, flags, next position) or None at the end.

        The grammar is nmap 7.9x's (any delimiter, also after ``cpe:``); what newer
        nmap rejects is reported as a warning.
        """
        m = _MODE.match(s, pos)
        if m is None:  # the pattern matches the empty string: never taken
            return None
        mode = m.group(1)
        q = m.end()
        if q >= len(s) and not mode:
            return None
        if q >= len(s) or s[q] in _SPACE:
            raise self.error(lineno, f"bare word {_show(s[m.start(1) : q + 1])}")
        delim = s[q]
        end = s.find(delim, q + 1)
        if end < 0:
            raise self.error(lineno, f"missing end delimiter {delim!r}")
        text = s[q + 1 : end]
        f = _FLAGS.match(s, end + 1)
        if f is None:  # as above
            return None
        if mode == "cpe:":
            if delim != "/":
                self.warn(lineno, "nmap 7.94+ rejects a cpe template whose delimiter is not '/'")
            mode, text = "cpe", "cpe:/" + text
        if f.end() < len(s) and s[f.end()] not in _SPACE:
            self.warn(
                lineno,
                f"nmap 7.94+ rejects {_show(s[m.start(1) : f.end() + 1])}: "
                "no space after the flags",
            )
        return mode, text, f.group(), f.end()

    def warn(self, lineno: int, message: str) -> None:
        self.issues.append(Issue(self.name, lineno, "warning", "nmap-compat", message))


_ATTR = re.compile(r'\s*([A-Za-z][\w-]*)=(?:"((?:[^"\\]|\\.)*)"|(\S*))', re.ASCII)


def parse_attributes(text: str) -> dict[str, str]:
    """``key=value key="quoted \\"value\\""`` as in example lines; quoted values keep
    their C escapes (a reply is unescaped later, other values here)."""
    attrs: dict[str, str] = {}
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _ATTR.match(text, pos)
        if not m:
            raise ValueError(f"expected key=value at {_show(text[pos:])}")
        key, quoted, bare = m.group(1), m.group(2), m.group(3)
        if key in attrs:
            raise ValueError(f"{key} given twice")
        attrs[key] = quoted if quoted is not None else bare
        pos = m.end()
    return attrs


def parse_ports(text: str, error, lineno: int) -> PortRanges:  # type: ignore[no-untyped-def]
    """A ``ports``/``sslports`` list: ``21-25,53,80``."""
    ranges = []
    for item in text.split(","):
        item = item.strip(_SPACE)
        m = re.fullmatch(r"(\d+)(?:[ \t]*-[ \t]*(\d+))?", item, re.ASCII)
        if not m:
            raise error(lineno, f"bad port list {_show(text)}: expected e.g. 21-25,53,80")
        lo = _port(m.group(1))
        hi = _port(m.group(2)) if m.group(2) else lo
        if hi > MAX_PORT or lo > hi:
            raise error(lineno, f"ports must be between 0 and {MAX_PORT}, ranges low-high")
        ranges.append((lo, hi))
    return PortRanges(tuple(ranges))


def parse_exclude(text: str, error, lineno: int) -> tuple[PortRanges, PortRanges]:  # type: ignore[no-untyped-def]
    """An ``Exclude`` list as nmap's ``getpts`` reads it: ``T:9100-9107,U:53,1-10``."""
    tcp: list[tuple[int, int]] = []
    udp: list[tuple[int, int]] = []
    target = (tcp, udp)  # items before any T:/U: prefix apply to both
    for item in text.split(","):
        item = item.strip(_SPACE)
        if not item:
            raise error(lineno, "empty item in Exclude list")
        m = re.fullmatch(r"(?:([TUSP]):)?(\d*)(-?)(\d*)", item, re.ASCII)
        if not m or (not m.group(2) and not m.group(4) and not m.group(3)):
            raise error(lineno, f"bad Exclude item {_show(item)}")
        if m.group(1):
            target = {"T": (tcp,), "U": (udp,)}.get(m.group(1), ())
        lo = _port(m.group(2)) if m.group(2) else (0 if m.group(3) else None)
        hi = _port(m.group(4)) if m.group(4) else (MAX_PORT if m.group(3) else lo)
        if lo is None or hi is None or hi > MAX_PORT or lo > hi:
            raise error(lineno, f"bad port range {_show(item)} in Exclude")
        for lst in target:
            lst.append((lo, hi))
    return PortRanges(tuple(tcp)), PortRanges(tuple(udp))


def _port(digits: str) -> int:
    """A port number; one too long to be a port comes back as MAX_PORT + 1 (refused by
    the caller's range check) without ``int()`` meeting thousands of digits."""
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= 5 else MAX_PORT + 1


def _atoi(s: str, limit: int) -> int:
    """C's ``atoi`` as nmap uses it (leading number, else 0); a value above ``limit``
    comes back as ``limit + 1``, its digits never converted."""
    m = re.match(r"[ \t\n\v\f\r]*([-+]?)(\d+)", s, re.ASCII)
    if not m:
        return 0
    significant = m.group(2).lstrip("0")
    if len(significant) > len(str(limit)):
        return -limit - 1 if m.group(1) == "-" else limit + 1
    return int(m.group(1) + (significant or "0"))


def _show(text: str, limit: int = 40) -> str:
    text = text.strip()
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)

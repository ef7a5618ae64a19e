"""Draft ``match`` rules from the replies of ports nothing identified (``rules suggest``).

Why it works the way it does:

* **Grouping.** Replies are grouped by protocol, probe and a normalised structure, so
  that one product on many hosts gives one rule and two products give two. What
  differs between installations of one product is replaced by a placeholder — runs
  of digits, versions, dates, times, addresses, host names, random ids (hex, base32,
  base64: 16 or more letters and digits mixed, a server's own even when seen once),
  binary length fields — and what a product says about itself is kept: a text
  banner's first line; an XML reply's root element and namespace (its declaration
  names XML's version, and some servers shuffle attributes); an HTTP reply's status
  code, a reason phrase of its own, header names in order, Server product and
  ``<title>`` (header values such as Date or Content-Length are left out); a binary
  reply's leading bytes.
* **Drafting.** A draft is the shortest anchored pattern that is still specific
  (six letters or digits spelled out, six fixed bytes of a binary reply, an HTTP
  Server product, title or own reason phrase), grown piece by piece until no reply
  of another port is matched. Variable pieces become the narrowest class that holds
  every observed value and stops before the next character, so a version group
  captures exactly the version. When a specific draft matches *every* reply of
  another group, the two groups are taken to be one product (the same banner naming
  different hosts, an HTTP server whose headers differ by configuration) and drafted
  together.
* **Verification.** Each draft is read by the project's parser, linted, and run by
  its guard and template code, as the matcher will run it: it must claim each reply
  of its group, the version group holding a version, and no reply of another port
  that its probe would see, fallbacks included. Otherwise there is no draft, and
  the reason is given rather than a wrong rule.
* **One rule per port.** Groups are drafted in the rule set's probe order (NULL
  first, larger groups first); a port one draft claims needs no rule for its other
  probes' replies, so a banner sent on every connection gives one rule, not forty.
"""

from __future__ import annotations

import bisect
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import NamedTuple, Optional, Union

from ..version import __version__
from .escapes import EscapeError, escape, unescape
from .guard import Found
from .lint import check_rules
from .matcher import VERDICT_FIELDS, Matcher, Verdict, verdict_from
from .model import Probe, ProbeFileError, Rule
from .parser import parse_text
from .samples import example_line, same_prefix

MIN_ALNUM = 6  # letters and digits a text draft must spell out
MIN_FIXED = 6  # fixed bytes a binary draft must pin ...
MIN_FIXED_NONZERO = 3  # ... of which this many are not NUL
MIN_PRODUCT = 3  # characters of an HTTP Server product or title worth a rule
MAX_TOKENS = 80  # how far into a text reply a draft may reach
MAX_TEXT = 1024  # bytes of a reply tokenised
BINARY_SPAN = 32  # leading bytes a binary draft may pin
MAX_EXAMPLE = 2000  # characters of an example line: readable, and below NMAP_LINE_LIMIT
DELIMITERS = "|/%=@#!~"


class ResultsError(ValueError):
    """A results file that cannot be read; the message names the file and line."""


class Endpoint(NamedTuple):
    address: str
    port: int
    protocol: str  # "tcp" or "udp"


class Origin(NamedTuple):
    file: str  # the results file, as given
    endpoint: Endpoint
    tunnel: Optional[str]

    def __str__(self) -> str:
        address = self.endpoint.address
        where = f"[{address}]" if ":" in address else address
        return f"{where}:{self.endpoint.port}" + (f" over {self.tunnel}" if self.tunnel else "")


class UnknownPort(NamedTuple):
    """A record nothing identified, with its replies by probe name."""

    origin: Origin
    replies: dict[str, bytes]


class Stats:
    """What was read and what became of it, for the summary."""

    def __init__(self) -> None:
        self.records = 0
        self.unknown = 0
        self.without_replies = 0
        self.cut_lines = 0  # a last line cut short (an interrupted scan)
        self.replies = 0
        self.claimed = 0  # replies of ports the loaded rules name now
        self.foreign = 0  # replies to probes the loaded rules lack
        self.clusters = 0
        self.drafts = 0
        self.without_draft = 0
        self.covered = 0  # groups whose ports another group's draft or report speaks for
        self.small = 0  # groups below min_cluster


def read_results(path: str, stats: Stats, name: Optional[str] = None) -> list[UnknownPort]:
    """The unknown records of a ``fastprobe scan -oJ`` file, replies unescaped.

    Other records are counted and left; a last line without its newline is what an
    interrupted scan leaves, so it is counted, not an error.
    """
    name = name or path
    out: list[UnknownPort] = []
    try:
        fh = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ResultsError(f"{name}: {exc.strerror or exc}") from None
    with fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8"))
            except ValueError as exc:
                if not raw.endswith(b"\n"):
                    stats.cut_lines += 1
                    continue
                why = f" ({exc.msg})" if isinstance(exc, json.JSONDecodeError) else ""
                raise ResultsError(
                    f"{name}:{number}: not a JSON line{why}; "
                    "expected the JSON lines of fastprobe scan -oJ"
                ) from None
            port = _unknown_port(rec, name, number, stats)
            if port is not None:
                out.append(port)
    return out


def _unknown_port(rec: object, name: str, number: int, stats: Stats) -> Optional[UnknownPort]:
    where = f"{name}:{number}"
    if not isinstance(rec, dict) or not {"address", "port", "protocol"} <= rec.keys():
        raise ResultsError(f"{where}: not a fastprobe scan record (address, port, protocol)")
    stats.records += 1
    if rec.get("method") != "unknown":
        return None
    stats.unknown += 1
    address, port, protocol = rec["address"], rec["port"], rec["protocol"]
    if not isinstance(address, str) or not isinstance(port, int) or protocol not in ("tcp", "udp"):
        raise ResultsError(f"{where}: bad address, port or protocol")
    replies = rec.get("replies")
    if not replies:
        stats.without_replies += 1
        return None
    if not isinstance(replies, dict) or not all(isinstance(v, str) for v in replies.values()):
        raise ResultsError(f"{where}: replies: want an object of escaped replies by probe name")
    decoded: dict[str, bytes] = {}
    for probe, text in replies.items():
        try:
            decoded[probe] = unescape(text)
        except (EscapeError, UnicodeEncodeError) as exc:
            raise ResultsError(f"{where}: replies[{probe!r}]: {exc}") from None
    tunnel = rec.get("tunnel") if isinstance(rec.get("tunnel"), str) else None
    return UnknownPort(Origin(name, Endpoint(address, port, protocol), tunnel), decoded)


# -- tokens: what varies between installations and what does not ---------------------

_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_ISO = r"\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?"
_VERSION = r"\d+(?:\.\d+)+(?:[a-z]\d*)?(?:[-~+](?i:alpha|beta|rc|dev|pre|snapshot|git)(?:\.?\w)*)?"
_TLDS = frozenset((
    "com", "net", "org", "edu", "gov", "mil", "int", "io", "de", "uk", "fr", "nl", "eu",
    "local", "lan", "internal", "localdomain", "localhost", "home", "corp", "arpa", "test",
    "example"
))  # fmt: skip


class _Kind(NamedTuple):
    name: str
    find: re.Pattern[str]
    snippets: tuple[str, ...]  # PCRE for it, narrowest first


# tried in order at each position; the first that matches there wins
_KINDS = (
    _Kind(
        "date",
        re.compile(
            rf"{_DAY}, \d\d? {_MONTH} \d{{4}} \d\d:\d\d:\d\d(?: [A-Z]{{2,5}}| [+-]\d{{4}})?"
        ),
        (r"\w{3}, \d\d? \w{3} \d{4} \d\d:\d\d:\d\d(?: [A-Z]{2,5}| [+-]\d{4})?",),
    ),
    _Kind(
        "date",
        re.compile(rf"{_DAY} {_MONTH} [ \d]\d \d\d:\d\d:\d\d \d{{4}}"),
        (r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}",),
    ),
    _Kind("date", re.compile(_ISO), (_ISO,)),
    _Kind("time", re.compile(r"(?<![\d:])\d\d?:\d\d(?::\d\d(?:\.\d+)?)?(?![\d:])"), (r"[\d:.]+",)),
    _Kind(
        "uuid",
        re.compile(
            r"(?<![\w-])[\da-fA-F]{8}-[\da-fA-F]{4}-[\da-fA-F]{4}-[\da-fA-F]{4}-[\da-fA-F]{12}"
        ),
        (r"[\da-f-]+", r"[\dA-F-]+", r"[\da-fA-F-]+"),
    ),
    _Kind("ipv4", re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![.\d])"), (r"[\d.]+",)),
    _Kind(
        "ipv6",
        re.compile(
            r"(?<![\w:])(?=[\da-fA-F:]*::|(?:[\da-fA-F]{1,4}:){3})"
            r"[\da-fA-F]{0,4}(?::[\da-fA-F]{0,4}){2,7}(?![\w:])"
        ),
        (r"[\da-fA-F:]+",),
    ),
    _Kind(
        "version",
        re.compile(rf"(?<![\d.]){_VERSION}(?!\d)"),
        # classes as nmap's rules write them; the exact form when a '.' follows
        (r"[\d.]+", r"[\w.]+", r"[\w.-]+", r"[\w.+~-]+", r"\d+(?:\.\d+)+(?:[-+~]?\w+)?"),
    ),
    _Kind(
        "hex",
        re.compile(r"(?<!\w)(?=[\da-fA-F]*[a-fA-F])(?=[\da-fA-F]*\d)[\da-fA-F]{8,}(?!\w)"),
        (r"[\da-f]+", r"[\dA-F]+", r"[\da-fA-F]+"),
    ),
    # random ids (base32, base64, mixed letters and digits): per server or per session
    _Kind(
        "id",
        re.compile(r"(?<![\w+/.-])[A-Za-z\d][A-Za-z\d+/]{15,}={0,2}(?![\w+/=-])"),
        ("[A-Z0-9]+", "[a-z0-9]+", "[A-Za-z0-9]+", "[A-Za-z0-9+/]+=*"),
    ),
    _Kind(
        "host",
        re.compile(
            r"(?<![\w.-])[a-zA-Z\d](?:[\w-]*[a-zA-Z\d])?(?:\.[a-zA-Z\d](?:[\w-]*[a-zA-Z\d])?)+"
        ),
        (r"[\w.-]+",),
    ),
    _Kind("number", re.compile(r"\d+"), (r"\d+",)),
)
_SNIPPETS = {k.name: k.snippets for k in _KINDS}
_SNIPPETS["varword"] = (r"[A-Za-z]+", r"\w+", r"[\w-]+", r"\S+")
# digits glued to letters are part of a name (IMAP4rev1, h264), unless a version follows (v1.2)
_WORD = re.compile(r"[A-Za-z]+(?:\d+(?![.\d])[A-Za-z]*)*")
_SSH = re.compile(r"SSH-\d+\.\d+-")  # the protocol version is not the product's
_VERSION_FULL = re.compile(_VERSION)
_ONE_CLASS = re.compile(r"(?:\[[^\]]+\]|\\[dwS])\+")  # snippets that end where the class does


class Token(NamedTuple):
    kind: str  # "word" (letters), "lit" (any other literal text) or a variable kind
    text: str  # latin-1: one character a byte


def tokenize(text: str, limit: int = MAX_TOKENS) -> list[Token]:
    """Split a reply (latin-1 text) into literal words and characters and the variable
    pieces that differ between installations of one product."""
    out: list[Token] = []
    pos = 0
    m = _SSH.match(text)
    if m:
        out.append(Token("lit", m.group()))
        pos = m.end()
    n = len(text)
    while pos < n and len(out) < limit:
        for kind in _KINDS:
            m = kind.find.match(text, pos)
            if m and m.end() > pos and _CHECKS.get(kind.name, bool)(m.group()):
                out.append(Token(kind.name, m.group()))
                pos = m.end()
                break
        else:
            m = _WORD.match(text, pos)
            if m:
                out.append(Token("word", m.group()))
                pos = m.end()
            else:
                out.append(Token("lit", text[pos]))
                pos += 1
    return out


def _hostlike(name: str) -> bool:
    """A dotted name that reads as a host (``node1.example.net``), not ``Node.js``."""
    labels = name.split(".")
    last = labels[-1].lower()
    return last.isalpha() and (len(labels) >= 3 or last in _TLDS)


def _idlike(token: str) -> bool:
    """Letters and digits mixed (``NBTSS6FJ...``), not a long word; with ``+`` or ``/``
    (base64) all three kinds of character, not a path."""
    kinds = sum(any(f(c) for c in token) for f in (str.isupper, str.islower, str.isdigit))
    return any(c.isdigit() for c in token) and kinds >= (3 if "+" in token or "/" in token else 2)


_CHECKS = {"host": _hostlike, "id": _idlike}


def _shape(tokens: Sequence[Token]) -> tuple[tuple[str, str], ...]:
    return tuple((t.kind, t.text if t.kind in ("word", "lit") else "") for t in tokens)


# -- normalised structure: the grouping key ------------------------------------------

_STATUS = re.compile(rb"HTTP/1\.[01] (\d{3})(?: ([^\r\n]*))?")
_TITLE = re.compile(rb"(<title[^>]*>)(.*?)(</title>)", re.IGNORECASE | re.DOTALL)


class Http(NamedTuple):
    code: str
    reason: str  # the reason phrase if it is not a standard one for the code, else ""
    headers: tuple[tuple[str, str, str], ...]  # (name, white space after the colon, value)
    crlf: bool  # header lines end with \r\n
    title: Optional[tuple[str, str, str]]  # (opening tag, raw text, closing tag)

    def header(self, name: str) -> Optional[tuple[str, str, str]]:
        return next((h for h in self.headers if h[0].lower() == name), None)


def parse_http(data: bytes) -> Optional[Http]:
    """The parts of an HTTP reply that tell products apart, or None for another reply."""
    m = _STATUS.match(data)
    if not m:
        return None
    end = data.find(b"\r\n\r\n")
    if end < 0:
        end = data.find(b"\n\n")
    if end < 0:
        end = len(data)
    lines = data[:end].decode("latin-1").split("\n")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.rstrip("\r").partition(":")
        if sep and name and not any(c in name for c in " \t"):
            stripped = value.lstrip(" \t")
            headers.append((name, value[: len(value) - len(stripped)], stripped))
    crlf = all(line.endswith("\r") for line in lines[:-1])
    t = _TITLE.search(data, end)
    title = tuple(g.decode("latin-1") for g in t.groups()) if t else None
    code, reason = m.group(1).decode(), (m.group(2) or b"").decode("latin-1")
    return Http(code, _own_reason(code, reason), tuple(headers), crlf, title)  # type: ignore[arg-type]


# phrases of older RFCs and newer Pythons, as common as HTTPStatus's own
_REASONS = {
    302: ("Moved Temporarily",), 413: ("Payload Too Large", "Content Too Large"),
    414: ("Request-URI Too Large", "URI Too Long"), 416: ("Range Not Satisfiable",),
    422: ("Unprocessable Content",),
}  # fmt: skip


def _own_reason(code: str, reason: str) -> str:
    """A reason phrase of the server's own (``400 Invalid header received from client``)
    names it as a Server header would; a standard one, spelled any way, says nothing."""

    def norm(text: str) -> str:
        return "".join(c for c in text.lower() if c.isalnum())

    try:
        standard = (HTTPStatus(int(code)).phrase, *_REASONS.get(int(code), ()))
    except ValueError:
        standard = ()
    return "" if norm(reason) in map(norm, standard) else reason


_XML_DECL = re.compile(r"<\?xml\b[^>]*\?>\s*")
_XML_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:'[^']*'|\"[^\"]*\"))*)\s*/?>")
_XML_ATTR = re.compile(r"([\w.:-]+)\s*=\s*('[^']*'|\"[^\"]*\")")


class XmlHead(NamedTuple):
    """The start of an XML reply, read apart from the rest: the declaration names XML's
    version, not the product's, and servers write a tag's attributes in any order
    (Prosody: a new order each run); the namespace is what tells the product."""

    decl: str  # the XML declaration and the white space after it, or ""
    tag: str  # the root's start tag, or "" when it is not whole
    root: str  # the root's name
    namespace: str  # its namespace attribute as written (xmlns='jabber:client'), or ""
    attrs: int  # how many attributes the tag has


def parse_xml(text: str) -> Optional[XmlHead]:
    """The declaration and root start tag of an XML reply, or None for another reply."""
    d = _XML_DECL.match(text)
    decl = d.group() if d else ""
    t = _XML_TAG.match(text, len(decl))
    if t is None:
        return XmlHead(decl, "", "", "", 0) if decl else None
    root = t.group(1)
    attrs = {a.group(1): a.group(2) for a in _XML_ATTR.finditer(t.group(2))}
    # the default namespace, else the one of the root's prefix (stream:stream)
    name = next((n for n in ("xmlns", "xmlns:" + root.partition(":")[0]) if n in attrs), "")
    namespace = f"{name}={attrs[name]}" if name else ""
    return XmlHead(decl, t.group(), root, namespace, len(attrs))


def _product_token(server: str) -> str:
    return re.split(r"[/ \t(]", server, maxsplit=1)[0]


def classify(data: bytes) -> tuple[str, tuple]:
    """``(kind, key)``: kind is ``http``, ``text`` or ``binary``; replies of one product
    share the key."""
    http = parse_http(data)
    if http is not None:
        server = http.header("server")
        title = _shape(tokenize(http.title[1].strip())) if http.title else ()
        names = tuple(h[0].lower() for h in http.headers)
        product = _product_token(server[2]) if server else ""
        return "http", (http.code, _shape(tokenize(http.reason)), names, product, title)
    head = data[:MAX_TEXT]
    line = head.split(b"\n", 1)[0]
    printable = sum(1 for b in head if 0x20 <= b < 0x7F or b in (9, 10, 13))
    if line and b"\0" not in line and printable >= 0.9 * len(head):
        text = head.decode("latin-1")
        xml = parse_xml(text)
        if xml is not None:  # the namespace, not the order of the attributes
            rest = _shape(tokenize(text[len(xml.decl) + len(xml.tag) :].split("\n", 1)[0]))
            return "text", (_shape(tokenize(xml.decl)), xml.root, xml.namespace, rest)
        return "text", _shape(tokenize(text[: len(line) + 1]))
    masked = length_fields(data)
    return "binary", tuple(None if i in masked else b for i, b in enumerate(data[:16]))


def length_fields(data: bytes) -> set[int]:
    """Offsets of leading bytes that look like a length field (the length of the reply
    or of what follows the field): they differ with every message."""
    n = len(data)
    out: set[int] = set()
    for off in range(5):
        for width in (4, 2, 1):
            field = data[off : off + width]
            if len(field) < width or (width == 1 and off > 1):  # a lone byte: too often chance
                continue
            for order in ("big", "little") if width > 1 else ("big",):
                value = int.from_bytes(field, order)  # type: ignore[arg-type]
                if value < (8 if width == 1 else 4) or n - value not in (0, off + width):
                    continue
                # only the bytes a longer message would change: from the highest set one
                span = list(range(off, off + width))
                if order == "little":
                    span.reverse()
                while len(span) > 1 and data[span[0]] == 0:
                    span.pop(0)
                out.update(span)
    return out


# -- pieces of a pattern ---------------------------------------------------------------


class Piece(NamedTuple):
    literal: bool
    text: str  # literal text (latin-1), or PCRE
    dot: bool = False  # uses '.', which must match newlines too (option s)

    @property
    def alnum(self) -> int:
        return sum(1 for c in self.text if c.isascii() and c.isalnum()) if self.literal else 0


def _lit(text: str) -> Piece:
    return Piece(True, text)


def _re(text: str, dot: bool = False) -> Piece:
    return Piece(False, text, dot)


_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}
_META = frozenset("\\^$.|?*+()[]{}")


def escape_literal(text: str, delimiter: str = "|") -> str:
    """Literal bytes (latin-1 text) as nmap writes them in a pattern: ``\\r \\n \\t \\0``,
    ``\\xHH`` for the rest of the unprintable bytes and the delimiter, metacharacters
    behind a backslash."""
    out = []
    for i, c in enumerate(text):
        o = ord(c)
        if c == "\0":
            # \0 followed by a digit would read as an octal escape
            out.append("\\x00" if text[i + 1 : i + 2].isdigit() else "\\0")
        elif c in _NAMED:
            out.append(_NAMED[c])
        elif c == delimiter or not 0x20 <= o < 0x7F:
            out.append(f"\\x{o:02x}")
        elif c in _META:
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def render(pieces: Sequence[Piece]) -> tuple[str, str, str]:
    """``(delimiter, pattern, options)`` for an anchored pattern made of ``pieces``."""
    merged: list[Piece] = []
    for p in pieces:
        if p.literal and merged and merged[-1].literal:
            merged[-1] = _lit(merged[-1].text + p.text)
        else:
            merged.append(p)
    used = "".join(p.text for p in merged)
    raw = "".join(p.text for p in merged if not p.literal)
    delim = next((d for d in DELIMITERS if d not in used), None)
    if delim is None:  # every delimiter occurs as a literal: write it as \xHH there
        delim = next(d for d in DELIMITERS if d not in raw)
    body = "^" + "".join(escape_literal(p.text, delim) if p.literal else p.text for p in merged)
    return delim, body, "s" if any(p.dot for p in merged) else ""


def template(letter: str, text: str) -> Optional[str]:
    """A version-field template holding ``text`` literally, or None if none can."""
    if not text or "$" in text or len(text) >= 80 or not all(0x20 <= ord(c) < 0x7F for c in text):
        return None
    delim = next((d for d in "/" + DELIMITERS if d not in text), None)
    return f"{letter}{delim}{text}{delim}" if delim else None


# -- aligning the replies of a group ---------------------------------------------------


class Slot(NamedTuple):
    """One token position across the replies of a group."""

    kind: str  # "lit" (the same text in every reply), "varword" or a variable kind
    texts: tuple[str, ...]
    nexts: tuple[str, ...]  # the character after it in each reply ("" at the end)


def align(texts: Sequence[str]) -> tuple[list[Slot], bool]:
    """Token positions the texts share, up to the first that differs in structure;
    and whether every text was used up."""
    tokens = [tokenize(t) for t in texts]
    offsets = [0] * len(texts)
    slots: list[Slot] = []
    for i in range(min(len(t) for t in tokens)):
        column = [t[i] for t in tokens]
        kinds = {c.kind for c in column}
        values = tuple(c.text for c in column)
        if kinds in ({"lit"}, {"word"}) and len(set(values)) == 1:
            kind = "lit"
        elif kinds == {"word"}:
            kind = "varword"
        elif len(kinds) == 1 and "lit" not in kinds:
            kind = kinds.pop()
        elif kinds <= {"number", "version"}:
            kind = "version"
        elif kinds <= {"hex", "id"}:
            kind = "id"
        else:
            break
        offsets = [o + len(v) for o, v in zip(offsets, values)]
        nexts = tuple(t[o : o + 1] for t, o in zip(texts, offsets))
        slots.append(Slot(kind, values, nexts))
    done = len(slots) == max(len(t) for t in tokens) and all(
        o == len(t) for o, t in zip(offsets, texts)
    )
    return slots, done


def slot_piece(slot: Slot, capture: bool = False) -> Optional[Piece]:
    """The pattern piece for a slot: its text, or the narrowest class that holds every
    value and stops before the character after it. None when no class fits."""
    if slot.kind == "lit":
        return _lit(slot.texts[0])
    for snippet in _SNIPPETS[slot.kind]:
        rx = re.compile(snippet, re.ASCII)
        if not all(rx.fullmatch(v) for v in slot.texts):
            continue
        if _ONE_CLASS.fullmatch(snippet) and any(n and rx.fullmatch(n) for n in slot.nexts):
            continue
        return _re(f"({snippet})" if capture else snippet)
    return None


def version_slot(slots: Sequence[Slot]) -> Optional[int]:
    """The slot holding the product's version: on the first line, every value
    version-like; one that differs between replies first, else the first."""
    found = []
    for k, slot in enumerate(slots):
        if slot.kind == "lit" and "\n" in slot.texts[0]:
            break
        if slot.kind == "version" and all(_VERSION_FULL.fullmatch(v) for v in slot.texts):
            found.append(k)
    varying = [k for k in found if len(set(slots[k].texts)) > 1]
    return (varying or found or [None])[0]


def _joined(last: str, after: str) -> bool:
    """Two characters of one name: a cut between them would split it."""
    word = "_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return bool(after) and last in word and after in word


_FILLER = frozenset((
    "v", "ver", "version", "release", "build", "rev", "revision", "server", "daemon",
    "service"
))  # fmt: skip
_STOP = _FILLER | frozenset((
    "welcome", "to", "the", "a", "an", "on", "at", "ready", "hello", "running", "is", "of",
    "for", "and", "this", "by", "with", "from", "ok", "err", "error", "connected"
))  # fmt: skip


def banner_product(slots: Sequence[Slot], vpos: int) -> tuple[Optional[str], int]:
    """The product words just before the version (``Foo`` in ``Foo version 3.4``,
    ``SSH-2.0-Foo_3.4``) and the slot after them; (None, 0) when not obvious."""

    def text(k: int) -> str:
        return slots[k].texts[0] if k >= 0 and slots[k].kind == "lit" else ""

    i = vpos - 1
    while text(i) and (text(i) in (" ", "/", "_", "-", ":") or text(i).lower() in _FILLER):
        i -= 1
    end = i + 1
    start = end
    while end - start < 5 and text(i)[:1].isalpha() and text(i).lower() not in _STOP:
        start = i
        if text(i - 1) not in (" ", "-") or not text(i - 2)[:1].isalpha():
            break
        i -= 2
    product = "".join(slots[k].texts[0] for k in range(start, end))
    return (product, end) if len(product) >= 2 else (None, 0)


# -- candidates ------------------------------------------------------------------------


class Candidate(NamedTuple):
    pieces: tuple[Piece, ...]
    product: Optional[str]
    version: bool  # group 1 holds the version


def text_candidates(datas: Sequence[bytes]) -> list[Candidate]:
    head, head_alnum, texts = xml_head([d[:MAX_TEXT].decode("latin-1") for d in datas])
    slots, _done = align(texts)
    vpos = version_slot(slots)
    product, product_end = banner_product(slots, vpos) if vpos is not None else (None, 0)
    out = []
    for capture in (True, False) if vpos is not None else (False,):
        pieces = list(head)
        alnum = head_alnum
        if head and alnum >= MIN_ALNUM and not capture:
            out.append(Candidate(head, None, False))
        for k, slot in enumerate(slots):
            piece = slot_piece(slot, capture and k == vpos)
            if piece is None:
                break
            pieces.append(piece)
            alnum += piece.alnum
            if alnum < MIN_ALNUM or (capture and k < vpos):  # type: ignore[operator]
                continue
            if slot.kind != "lit" and not (capture and k == vpos):
                continue  # a draft ending on a placeholder says no more than without it
            if slot.kind == "lit" and any(_joined(slot.texts[0][-1], n) for n in slot.nexts):
                continue  # not in the middle of a name (UNKNOWN|_COMMAND)
            out.append(Candidate(tuple(pieces), product if k >= product_end - 1 else None, capture))
    return out


def xml_head(texts: Sequence[str]) -> tuple[tuple[Piece, ...], int, list[str]]:
    """Pieces for the XML declaration and root start tag the texts share, the letters
    and digits in them that tell a product apart, and the text after them."""
    heads = [parse_xml(t) for t in texts]
    if not all(heads):
        return (), 0, list(texts)
    xml: list[XmlHead] = heads  # type: ignore[assignment]
    decls = {h.decl for h in xml}
    pieces = [_lit(d) for d in decls if d] if len(decls) == 1 else [_re(r"(?:<\?xml[^>]*\?>\s*)?")]
    first = xml[0]
    if not first.tag or any(h.root != first.root for h in xml):
        return tuple(pieces), 0, [t[len(h.decl) :] for t, h in zip(texts, xml)]
    slots, done = align([h.tag for h in xml])
    tag = _slot_pieces(slots)
    if not (all(h.attrs <= 1 for h in xml) and done and len(tag) == len(slots)):
        # attributes in any order: the namespace wherever it is, the rest skipped
        tag = [_lit(f"<{first.root}"), _re("[^>]*"), _lit(">")]
        if first.namespace and all(h.namespace == first.namespace for h in xml):
            wb = r"\b" if first.root[-1].isalnum() else ""
            tag[1:1] = [_re(wb + r"[^>]*\s"), _lit(first.namespace)]
    rests = [t[len(h.decl) + len(h.tag) :] for t, h in zip(texts, xml)]
    return (*pieces, *tag), sum(p.alnum for p in tag), rests


_STANDARD_HEADERS = frozenset((
    "date", "server", "content-type", "content-length", "connection", "cache-control",
    "expires", "pragma", "last-modified", "etag", "set-cookie", "location", "vary",
    "accept-ranges", "transfer-encoding", "keep-alive", "content-encoding",
    "content-language", "age", "allow", "www-authenticate", "x-frame-options",
    "x-content-type-options", "x-xss-protection", "strict-transport-security",
    "content-security-policy", "referrer-policy", "access-control-allow-origin",
    "mime-version", "p3p", "via", "x-powered-by"
))  # fmt: skip


def http_candidates(datas: Sequence[bytes]) -> list[Candidate]:
    parsed = [parse_http(d) for d in datas]
    if any(p is None for p in parsed):
        return []
    replies: list[Http] = parsed  # type: ignore[assignment]
    if len({p.code for p in replies}) != 1:
        return []
    eol = "\r\n" if all(p.crlf for p in replies) else "\n"
    head = (_lit("HTTP/1."), _re("[01]"), _lit(f" {replies[0].code} "), _re(".*", dot=True))
    anything = _re(".*", dot=True)
    server, product = _server_variants(replies, eol)
    title = [p.title for p in replies]
    titled = _title_pieces(title, capture=not any(v for _p, v in server))  # type: ignore[arg-type]
    out = [Candidate((*head, *pieces), product, version) for pieces, version in server]
    if titled is not None:
        pieces, version, title_product = titled
        product = product or title_product  # the title is in these patterns
        if server:
            longest, server_version = ([v for v in server if v[1]] or server)[-1]
            out.append(
                Candidate((*head, *longest, anything, *pieces), product, server_version or version)
            )
        out.append(Candidate((*head, *pieces), product, version))
        if version:
            plain = _title_pieces(title, capture=False)  # type: ignore[arg-type]
            if plain is not None:
                out.append(Candidate((*head, *plain[0]), product, False))
    reason = _reason_pieces([p.reason for p in replies], eol)
    if reason:
        out.append(Candidate((*head[:3], *reason), None, False))
    names = [tuple(h[0] for h in p.headers) for p in replies]
    odd = [n for n in names[0] if n.lower() not in _STANDARD_HEADERS and all(n in x for x in names)]
    for name in odd[:3]:
        out.append(Candidate((*head, _lit(f"{eol}{name}:")), None, False))
    return out


def _server_variants(
    replies: Sequence[Http], eol: str
) -> tuple[list[tuple[tuple[Piece, ...], bool]], Optional[str]]:
    """Server header pieces, shortest first, those capturing the version before the
    others; and the product token when every reply names the same one."""
    servers = [p.header("server") for p in replies]
    if not all(servers) or len({s[:2] for s in servers}) != 1:  # type: ignore[index]
        return [], None
    values = [s[2] for s in servers]  # type: ignore[index]
    token = _product_token(values[0])
    same = len({_product_token(v) for v in values}) == 1
    product = token if same and len(token) >= MIN_PRODUCT else None
    slots, done = align(values)
    vpos = version_slot(slots)
    lead = _lit(f"{eol}{servers[0][0]}:{servers[0][1]}")  # type: ignore[index]
    out: list[tuple[tuple[Piece, ...], bool]] = []
    for capture in (True, False) if vpos is not None else (False,):
        pieces = [lead]
        length = 0
        for k, slot in enumerate(slots):
            piece = slot_piece(slot, capture and k == vpos)
            if piece is None:
                break
            pieces.append(piece)
            length += len(slot.texts[0])
            if length < len(token) or (capture and k < vpos):  # type: ignore[operator]
                continue
            if slot.kind != "lit" and not (capture and k == vpos):
                continue
            if sum(p.alnum for p in pieces) < MIN_PRODUCT + len("Server"):
                continue
            # a value that ends here is bounded by the line end
            tail = (_lit(eol),) if done and k == len(slots) - 1 and piece.literal else ()
            out.append(((*pieces, *tail), capture))
    return out, product


def _title_pieces(
    titles: Sequence[Optional[tuple[str, str, str]]], capture: bool
) -> Optional[tuple[tuple[Piece, ...], bool, Optional[str]]]:
    """The whole <title> as pieces, whether they capture a version, and the title's
    constant leading text as a product name; None without a common title."""
    if not all(titles) or len({(t[0], t[2]) for t in titles}) != 1:  # type: ignore[index]
        return None
    slots, done = align([t[1] for t in titles])  # type: ignore[index]
    vpos = version_slot(slots) if capture else None
    pieces = _slot_pieces(slots, vpos)
    if sum(p.alnum for p in pieces) < MIN_PRODUCT or (vpos is not None and len(pieces) <= vpos):
        return None
    first = titles[0]
    closing = (_lit(first[2]),) if done and len(pieces) == len(slots) else ()  # type: ignore[index]
    whole = (_lit(first[0]), *pieces, *closing)  # type: ignore[index]
    return whole, vpos is not None, _title_product(slots)


def _reason_pieces(reasons: Sequence[str], eol: str) -> Optional[tuple[Piece, ...]]:
    """The server's own reason phrase as far as the replies share it, to the line end
    if they share all of it."""
    if not all(reasons):
        return None
    slots, done = align(reasons)
    pieces = _slot_pieces(slots)
    if sum(p.alnum for p in pieces) < MIN_ALNUM:
        return None
    return (*pieces, _lit(eol)) if done and len(pieces) == len(slots) else tuple(pieces)


def _slot_pieces(slots: Sequence[Slot], vpos: Optional[int] = None) -> list[Piece]:
    """Pieces for the slots up to the first no class fits, ``vpos`` captured."""
    pieces = []
    for k, slot in enumerate(slots):
        piece = slot_piece(slot, k == vpos)
        if piece is None:
            break
        pieces.append(piece)
    return pieces


def _title_product(slots: Sequence[Slot]) -> Optional[str]:
    """The title's constant leading text (before anything that varies)."""
    text = ""
    for slot in slots:
        if slot.kind != "lit":
            break
        text += slot.texts[0]
    text = " ".join(text.split()).rstrip(" -:|,")
    return text if len(text) >= MIN_PRODUCT else None


def binary_candidates(datas: Sequence[bytes]) -> list[Candidate]:
    span = min(min(len(d) for d in datas), BINARY_SPAN)
    masked: set[int] = set()
    for d in datas:
        masked |= length_fields(d)
    first = datas[0]
    fixed = [i not in masked and all(d[i] == first[i] for d in datas) for i in range(span)]

    def positional(end: int) -> list[Piece]:
        pieces: list[Piece] = []
        i = 0
        while i < end:
            if fixed[i]:
                pieces.append(_lit(chr(first[i])))
                i += 1
                continue
            j = i
            while j < end and not fixed[j]:
                j += 1
            pieces.append(_re("." * (j - i) if j - i <= 2 else f".{{{j - i}}}", dot=True))
            i = j
        return pieces

    def specific(end: int, bonus: int = 0) -> bool:
        pinned = [first[i] for i in range(end) if fixed[i]]
        nonzero = sum(1 for b in pinned if b)
        return len(pinned) + bonus >= MIN_FIXED and nonzero + bonus >= MIN_FIXED_NONZERO

    out = []
    version = _binary_version(datas)
    if version is not None:
        offset, piece, after = version
        if offset <= span and specific(offset, 3):
            tail = (_lit(after),) if after else ()
            out.append(Candidate((*positional(offset), piece, *tail), None, True))
    for end in range(1, span + 1):
        if fixed[end - 1] and specific(end):
            out.append(Candidate(tuple(positional(end)), None, False))
    return out


def _binary_version(datas: Sequence[bytes]) -> Optional[tuple[int, Piece, str]]:
    """A version string at the same offset of every reply (``\\x0a5.7.33\\0``): the
    offset, its capture and the constant byte after it."""
    finder = next(k for k in _KINDS if k.name == "version").find
    found = []
    for d in datas:
        m = finder.search(d[:64].decode("latin-1"))
        if m is None:
            return None
        found.append(m)
    if len({m.start() for m in found}) != 1:
        return None
    texts = [d.decode("latin-1") for d in datas]
    nexts = tuple(t[m.end() : m.end() + 1] for t, m in zip(texts, found))
    piece = slot_piece(Slot("version", tuple(m.group() for m in found), nexts), capture=True)
    if piece is None:
        return None
    return found[0].start(), piece, nexts[0] if len(set(nexts)) == 1 else ""


_SERVICE_HINTS = (
    (re.compile(rb"HTTP/1\.[01] \d{3}"), "http"),
    (re.compile(rb"SSH-\d"), "ssh"),
    (re.compile(rb"220[- ][^\r\n]*ftp", re.I), "ftp"),
    (re.compile(rb"220[- ][^\r\n]*(?:smtp|mail)", re.I), "smtp"),
    (re.compile(rb"\+OK"), "pop3"),
    (re.compile(rb"\* OK"), "imap"),
    (re.compile(rb"RFB \d"), "vnc"),
    (re.compile(rb"(?:<\?xml[^>]*\?>\s*)?<stream:(?:stream|error)\b"), "jabber"),  # XMPP
    (re.compile(rb"\x16\x03"), "ssl"),
    (re.compile(rb"-ERR|\+PONG"), "redis"),
)


# -- the groups and their drafts -------------------------------------------------------


class Sample(NamedTuple):
    probe: Probe
    data: bytes
    origin: Origin


class Cluster:
    """Replies of one probe with one structure: one product, as far as can be told."""

    def __init__(self, probe: Probe, kind: str, key: tuple) -> None:
        self.probe = probe
        self.kind = kind
        self.key = key
        self.samples: list[Sample] = []
        self.endpoints: set[Endpoint] = set()
        self.state = "pending"  # drafted, absorbed, covered, small, no-draft
        self.reason = ""  # why there is no draft

    def live(self, identified: set[Endpoint]) -> list[Sample]:
        return [s for s in self.samples if s.origin.endpoint not in identified]


class Draft(NamedTuple):
    probe: Probe
    line: str
    rule: Rule
    samples: tuple[Sample, ...]  # every reply it was drafted from
    examples: tuple[str, ...]  # the #@example lines


class NoDraft(NamedTuple):
    probe: Probe
    samples: tuple[Sample, ...]
    reason: str


class Suggestion(NamedTuple):
    text: str  # the overlay file
    drafts: tuple[Draft, ...]
    without: tuple[NoDraft, ...]
    stats: Stats


def suggest(
    ports: Iterable[UnknownPort],
    matcher: Matcher,
    *,
    port_names: Optional[Mapping[tuple[int, str], str]] = None,
    min_cluster: int = 1,
    samples: int = 3,
    sources: Sequence[str] = (),
    stats: Optional[Stats] = None,
) -> Suggestion:
    """Draft rules for the replies of ``ports``; ``matcher`` holds the loaded rule set
    (its Probe lines, and what it names now), ``port_names`` nmap-services' names."""
    return _Drafter(matcher, port_names or {}, min_cluster, samples, stats or Stats()).run(
        ports, sources
    )


class _Drafter:
    """One run: every reply, the groups, and which ports the drafts so far name."""

    def __init__(
        self,
        matcher: Matcher,
        port_names: Mapping[tuple[int, str], str],
        min_cluster: int,
        samples: int,
        stats: Stats,
    ) -> None:
        self.matcher = matcher
        self.rules = matcher.rules
        self.port_names = port_names
        self.min_cluster = min_cluster
        self.samples = samples
        self.stats = stats
        self.identified: set[Endpoint] = set()
        self.by_data: dict[bytes, list[Sample]] = {}  # every reply, for checks against others
        self.datas: list[bytes] = []  # its keys, sorted (replies that start with a prefix)
        self.cluster_of: dict[int, Cluster] = {}  # id(sample) -> its group
        self.probe_lines: dict[tuple[str, str], str] = {}
        self.file_lines: dict[str, list[str]] = {}
        # probes whose replies meet a probe's rules (the probe itself and those falling back)
        self.scope: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for q in self.rules.probes:
            for p in self.rules.chain(q):
                self.scope.setdefault(p.key, set()).add(q.key)

    # reading
    def collect(self, ports: Iterable[UnknownPort]) -> list[Sample]:
        """The replies to draft for; every reply is kept for the checks against others."""
        positives: list[Sample] = []
        seen: set[tuple[tuple[str, str], bytes, Endpoint]] = set()
        verdicts: dict[tuple[tuple[str, str], bytes], Optional[Verdict]] = {}
        for port in ports:
            mine: list[Sample] = []
            named_now = False
            for name, data in port.replies.items():
                if not data:
                    continue
                self.stats.replies += 1
                protocol = port.origin.endpoint.protocol.upper()
                probe = self.rules.get(name, protocol)
                if probe is None or probe.protocol != protocol:
                    self.stats.foreign += 1
                    continue
                sample = Sample(probe, data, port.origin)
                if (probe.key, data, port.origin.endpoint) in seen:
                    continue
                seen.add((probe.key, data, port.origin.endpoint))
                self.by_data.setdefault(data, []).append(sample)
                if (probe.key, data) not in verdicts:
                    verdicts[probe.key, data] = self.matcher.match(probe, data).verdict
                verdict = verdicts[probe.key, data]
                if verdict is not None:
                    self.stats.claimed += 1
                    named_now = named_now or not verdict.soft
                else:
                    mine.append(sample)
            if named_now:  # the port has a rule now: its other replies need none
                self.stats.claimed += len(mine)
                self.identified.add(port.origin.endpoint)
            else:
                positives.extend(mine)
        self.datas = sorted(self.by_data)
        return positives

    def run(self, ports: Iterable[UnknownPort], sources: Sequence[str]) -> Suggestion:
        groups: dict[tuple, Cluster] = {}
        shapes: dict[bytes, tuple[str, tuple]] = {}
        for s in self.collect(ports):
            if s.data not in shapes:
                shapes[s.data] = classify(s.data)
            kind, key = shapes[s.data]
            cluster = groups.get((s.probe.key, kind, key))
            if cluster is None:
                cluster = groups[(s.probe.key, kind, key)] = Cluster(s.probe, kind, key)
            cluster.samples.append(s)
            cluster.endpoints.add(s.origin.endpoint)
            self.cluster_of[id(s)] = cluster
        self.stats.clusters = len(groups)
        order = {p.key: n for n, p in enumerate(self.rules.probes)}
        clusters = sorted(
            groups.values(), key=lambda c: (order[c.probe.key], -len(c.samples), repr(c.key))
        )
        drafts: list[Draft] = []
        for cluster in clusters:
            if cluster.state != "pending":
                continue
            live = cluster.live(self.identified)
            if not live:
                cluster.state = "covered"
                continue
            if len(live) < self.min_cluster:
                cluster.state = "small"
                continue
            draft = self.draft(cluster)
            if isinstance(draft, Draft):
                cluster.state = "drafted"
                drafts.append(draft)
                self.identified.update(s.origin.endpoint for s in draft.samples)
            else:
                cluster.state = "no-draft"
                cluster.reason = draft
        drafts, unclaimed = self.examples(drafts)
        without: list[NoDraft] = []
        reported: set[Endpoint] = set()
        for c in clusters:  # one report per port, as one rule per port would do
            live = c.live(self.identified) if c.state == "no-draft" else []
            endpoints = {s.origin.endpoint for s in live}
            if live and not endpoints <= reported:
                reported |= endpoints
                without.append(NoDraft(c.probe, tuple(live), c.reason))
        without += unclaimed
        st = self.stats
        st.drafts, st.without_draft = len(drafts), len(without)
        st.small = sum(1 for c in clusters if c.state == "small")
        st.covered = st.clusters - st.drafts - st.without_draft - st.small
        return Suggestion(self.text(drafts, without, sources), tuple(drafts), tuple(without), st)

    # drafting
    def draft(self, cluster: Cluster) -> Union[Draft, str]:
        """A verified Draft for the group, or why there is none."""
        while True:
            live = cluster.live(self.identified)
            own = list(dict.fromkeys(s.data for s in live if s.probe.key == cluster.probe.key))
            if not own:
                return "its replies share no structure a specific pattern could name"
            if cluster.kind == "http":
                candidates = http_candidates(own)
            elif cluster.kind == "text":
                candidates = text_candidates(own)
            else:
                candidates = binary_candidates(own)
            if not candidates:
                return "too short or too generic for a specific pattern"
            service = self.service(cluster, own[0], live)
            fitting = False
            conflict: Optional[Sample] = None
            merged = False
            for cand in candidates:
                line = self.line(service, cand)
                rule = self.compile(cluster.probe, line)
                if rule is None or not self.claims_all(rule, live, cand.version):
                    continue
                fitting = True
                others = self.conflicts(rule, cluster)
                if not others:
                    return Draft(cluster.probe, line, rule, tuple(live), ())
                same = self.same_product(rule, cluster, others)
                if same:
                    for other in same:
                        self.absorb(cluster, other)
                    merged = True
                    break
                conflict = conflict or others[0]
            if merged:
                continue
            if not fitting or conflict is None:
                return "its replies share no structure a specific pattern could name"
            return (
                "every specific pattern also matches replies of other ports (e.g. the "
                f"{conflict.probe.name} reply from {conflict.origin})"
            )

    def service(self, cluster: Cluster, data: bytes, live: Sequence[Sample]) -> str:
        """What the reply says it is, else what nmap-services calls the port(s)."""
        if cluster.kind == "http":
            return "http"
        for rx, name in _SERVICE_HINTS:
            if rx.match(data):
                return name
        names = {
            self.port_names.get((s.origin.endpoint.port, s.origin.endpoint.protocol)) for s in live
        }
        if len(names) == 1:
            name = names.pop()
            if name and re.fullmatch(r"[\w.+-]+", name):
                return name
        return "unknown"

    @staticmethod
    def line(service: str, cand: Candidate) -> str:
        delim, body, opts = render(cand.pieces)
        out = f"match {service} m{delim}{body}{delim}{opts}"
        product = template("p", cand.product) if cand.product else None
        if product:
            out += " " + product
        if cand.version:
            out += " v/$1/"
        return out

    def probe_line(self, probe: Probe) -> str:
        """The probe's own line from its file (an overlay must repeat it exactly);
        rebuilt from the probe string if that file cannot be read back."""
        line = self.probe_lines.get(probe.key)
        if line is not None:
            return line
        if probe.file not in self.file_lines:
            try:
                with open(probe.file, encoding="latin-1") as fh:
                    self.file_lines[probe.file] = fh.read().split("\n")
            except OSError:
                self.file_lines[probe.file] = []
        lines = self.file_lines[probe.file]
        line = lines[probe.line - 1].rstrip("\r") if probe.line <= len(lines) else ""
        try:
            again = parse_text(line + "\n", "<probe>").probes[0]
            same = (again.key, again.payload, again.no_payload) == (
                probe.key,
                probe.payload,
                probe.no_payload,
            )
        except (ProbeFileError, IndexError):
            same = False
        if not same:
            text = escape(probe.payload)
            delim = next((d for d in DELIMITERS if d not in text), "|")
            text = text.replace(delim, f"\\x{ord(delim):02x}")
            line = f"Probe {probe.protocol} {probe.name} q{delim}{text}{delim}"
            line += " no-payload" if probe.no_payload else ""
        self.probe_lines[probe.key] = line
        return line

    def compile(self, probe: Probe, line: str) -> Optional[Rule]:
        """The rule as the parser reads it from an overlay, if lint finds no fault."""
        try:
            pf = parse_text(f"{self.probe_line(probe)}\n{line}\n", "<draft>")
            rule = pf.probes[0].rules[0]
            rule.regex  # noqa: B018 — compiled as the matcher compiles it
        except (ProbeFileError, IndexError, re.error):
            return None
        if pf.issues or check_rules(pf):  # empty match, backtracking, nmap-compat ...
            return None
        return rule

    def found(self, rule: Rule, data: bytes) -> Optional[Found]:
        return self.matcher.guard.first_match([rule], data).found

    def claims_all(self, rule: Rule, live: Sequence[Sample], version: bool) -> bool:
        for data in dict.fromkeys(s.data for s in live):
            found = self.found(rule, data)
            if found is None:
                return False
            if version:
                group = found.group(1) or b""
                if not _VERSION_FULL.fullmatch(group.decode("latin-1")):
                    return False
        return True

    def conflicts(self, rule: Rule, cluster: Cluster) -> list[Sample]:
        """Replies of other ports the rule would claim (through fallbacks too); replies
        of the group's own ports are the same product's."""
        tr = rule.translation
        prefix = b"" if tr.ci else tr.prefix
        scope = self.scope.get(cluster.probe.key, {cluster.probe.key})
        out: list[Sample] = []
        i = bisect.bisect_left(self.datas, prefix)
        while i < len(self.datas) and self.datas[i].startswith(prefix):
            data = self.datas[i]
            i += 1
            others = [
                s
                for s in self.by_data[data]
                if s.probe.key in scope and s.origin.endpoint not in cluster.endpoints
            ]
            if not others:
                continue
            seen = data.lower() if tr.ci else data
            # the literals every match holds (as the prefilter checks): most replies stop here
            if all(lit in seen for lit in tr.literals) and self.found(rule, data) is not None:
                out.extend(others)
        return out

    def same_product(self, rule: Rule, cluster: Cluster, others: Sequence[Sample]) -> list[Cluster]:
        """The groups a specific draft matches entirely (one product seen two ways), if
        those are all it matches; [] otherwise."""
        groups: dict[int, Cluster] = {}
        for s in others:
            other = self.cluster_of.get(id(s))
            if (
                other is None
                or other is cluster
                or other.state not in ("pending", "small", "no-draft")
                or s.origin.endpoint in self.identified
            ):
                return []
            groups[id(other)] = other
        scope = self.scope.get(cluster.probe.key, set())
        for other in groups.values():
            live = other.live(self.identified)
            if any(s.probe.key not in scope for s in live):
                return []
            if not all(self.found(rule, d) for d in dict.fromkeys(s.data for s in live)):
                return []
        return list(groups.values())

    def absorb(self, cluster: Cluster, other: Cluster) -> None:
        cluster.samples.extend(other.samples)
        cluster.endpoints |= other.endpoints
        for s in other.samples:
            self.cluster_of[id(s)] = cluster
        other.state = "absorbed"

    # examples
    def examples(self, drafts: list[Draft]) -> tuple[list[Draft], list[NoDraft]]:
        """Each draft with its #@example lines: replies its rule claims first when the
        file is loaded before the others, at most ``samples`` distinct ones. A draft
        with none is dropped: ``rules test`` could not pass it."""
        by_probe: dict[tuple[str, str], list[Draft]] = {}
        for d in drafts:
            by_probe.setdefault(d.probe.key, []).append(d)
        out = []
        dropped = []
        for d in drafts:
            lines: list[str] = []
            seen: set[bytes] = set()
            ordered = sorted(d.samples, key=lambda s: s.probe.key != d.probe.key)
            for s in ordered:
                if len(lines) >= self.samples:
                    break
                if s.data in seen or not self.first_claim(d, s, by_probe):
                    continue
                seen.add(s.data)
                line = self.example(d, s)
                if line:
                    lines.append(line)
            if lines:
                out.append(d._replace(examples=tuple(lines)))
            else:
                reason = "another draft claims its replies first, or they are too long to show"
                dropped.append(NoDraft(d.probe, d.samples, reason))
        return out, dropped

    def first_claim(
        self, draft: Draft, sample: Sample, by_probe: dict[tuple[str, str], list[Draft]]
    ) -> bool:
        """No draft tried before this one (in the reply's chain) claims the reply; the
        loaded rules claim none of these replies."""
        for probe in self.rules.chain(sample.probe):
            for other in by_probe.get(probe.key, ()):
                if other is draft:
                    return True
                if self.found(other.rule, sample.data) is not None:
                    return False
        return False

    def example(self, draft: Draft, sample: Sample) -> Optional[str]:
        data = sample.data
        verdict = self.verdict(draft, data)
        if verdict is None:
            return None
        note = ""
        if len(escape(data)) > MAX_EXAMPLE // 2:  # a long reply: a prefix that gives the same
            prefix = same_prefix(data, lambda d: self.verdict(draft, d))
            if prefix is not None:
                data, note = prefix, f", first {len(prefix)} bytes"
        other = sample.probe.key != draft.probe.key
        line = example_line(
            [
                ("reply", data),
                ("probe", sample.probe.name if other else None),
                *((name, getattr(verdict, name)) for name in VERDICT_FIELDS),
                ("cpe", " ".join(verdict.cpe)),
                ("source", f"scan results {sample.origin.file} ({sample.origin}{note})"),
            ]
        )
        return line if len(line) <= MAX_EXAMPLE else None

    def verdict(self, draft: Draft, data: bytes) -> Optional[Verdict]:
        found = self.found(draft.rule, data)
        return verdict_from(found, draft.probe)._replace(rule="") if found else None

    # output
    def text(
        self, drafts: Sequence[Draft], without: Sequence[NoDraft], sources: Sequence[str]
    ) -> str:
        out = [
            f"# Drafted by fastprobe {__version__} rules suggest from "
            f"{', '.join(sources) or 'scan results'}.",
            "# Review before use: service names are guesses from the reply or the port. Check",
            "# with: fastprobe rules lint FILE; fastprobe rules test FILE",
        ]
        for probe in self.rules.probes:
            mine = [d for d in drafts if d.probe.key == probe.key]
            if not mine:
                continue
            out += ["", self.probe_line(probe)]
            for d in mine:
                out.append(f"# {_seen(d.samples)}")
                out.extend(d.examples)
                out.append(d.line)
        if without:
            out += ["", "# Without a draft (write these by hand):"]
            for n in without:
                out.append(f"# {n.probe.protocol} {n.probe.name}, {_seen(n.samples)}: {n.reason}")
                out.append(f'#   reply="{escape(n.samples[0].data)[:200]}"')
        return "\n".join(out) + "\n"


def _address_order(origin: Origin) -> tuple:
    end = origin.endpoint
    try:
        ip = ipaddress.ip_address(end.address)
    except ValueError:
        return (1, 0, 0, end.address, end.port, origin.file)
    return (0, ip.version, int(ip), end.address, end.port, origin.file)


def _seen(samples: Sequence[Sample], limit: int = 5) -> str:
    origins = sorted({s.origin for s in samples}, key=_address_order)
    where = list(dict.fromkeys(str(o) for o in origins))
    shown = ", ".join(where[:limit]) + (
        f" and {len(where) - limit} more" if len(where) > limit else ""
    )
    count = len(samples)
    return f"{count} {'reply' if count == 1 else 'replies'} from {shown}"

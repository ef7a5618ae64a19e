"""Version-info templates (``p/$1/``, ``v/$P(2)/``, ``cpe:/a:x:y:$1/``) rendered as nmap does.

Every quirk here is nmap's (``service_scan.cc``: ``substvar``, ``dotmplsubst``,
``transform_cpe``; ``portlist.cc``: ``cstringSanityCheck``), because the point is
that a verdict reads exactly like nmap's:

* a substitution is a C string, so it ends at its first NUL byte;
* a field that does not fit its buffer (80 bytes; 256 for extrainfo; 32 for ostype
  and devicetype), or that uses a variable that cannot be filled (a group that did
  not take part, ``$0``, an unknown command), is left empty — the rest of the
  verdict stands;
* trailing white space and commas are trimmed;
* CPE substitutions are lower-cased, spaces become ``_`` and URL specials ``%XX``;
* what is reported has non-printable bytes replaced with ``.``.

One thing nmap reads that no template needs is refused: a number argument beyond a
C ``long`` (nmap's ``strtol`` saturates it; a group number is 1 to 9 anyway). The
parser checks that at load (:func:`check_limits`), so ``int()`` never meets
thousands of digits at match time.
"""

from __future__ import annotations

import re
from typing import Callable, Optional, Union

from .escapes import EscapeError, unescape

FIELD_SIZES = {
    "p": 80,
    "v": 80,
    "i": 256,
    "h": 80,
    "o": 32,
    "d": 32,
    "cpe": 80,
}
FIELD_NAMES = {
    "p": "product",
    "v": "version",
    "i": "extrainfo",
    "h": "hostname",
    "o": "ostype",
    "d": "devicetype",
}

# One substitution: ("$", n) | ("P", n) | ("SUBST", n, find, repl) | ("I", n, "<" or ">")
Subst = tuple
Segment = Union[str, Subst]


_C_SPACE = b" \t\n\v\f\r"
_TRIM = _C_SPACE + b","
_NONPRINT = bytes(range(256)).translate(
    bytes(range(256)), bytes(range(0x20, 0x7F))
)  # every byte that is not printable ASCII
_TO_DOT = bytes.maketrans(_NONPRINT, b"." * len(_NONPRINT))
_CPE_SPECIAL = frozenset(b":/?#[]@!$&'()*+,;=%<>\"")
MAX_ARGUMENT = 2**63 - 1  # a number argument: what nmap's strtol reads into a long


class TemplateError(ValueError):
    """A template holding a number no C ``long`` holds: refused when the file loads."""


def check_limits(template: str) -> None:
    """Raise TemplateError if a number argument of ``template`` is beyond MAX_ARGUMENT."""
    if "$" in template and "(" in template:
        _split(template)


def parse(template: str) -> tuple[list[Segment], Optional[str]]:
    """Split a template into literal text and substitutions.

    Returns the segments and, when nmap could never fill the template, why: the
    segments then stop at the bad variable and the field always comes out empty.
    """
    try:
        return _split(template)
    except TemplateError as exc:  # only for a rule that did not come through the parser
        return [], str(exc)


def _split(template: str) -> tuple[list[Segment], Optional[str]]:
    segs: list[Segment] = []
    pos = 0
    n = len(template)
    while pos < n:
        d = template.find("$", pos)
        if d < 0:
            segs.append(template[pos:])
            break
        if d > pos:
            segs.append(template[pos:d])
        sub, end, err = _parse_var(template, d)
        if sub is None:
            return segs, err
        segs.append(sub)
        pos = end
    return segs, None


def _parse_var(t: str, d: int) -> tuple[Optional[Subst], int, Optional[str]]:
    i = d + 1
    if i < len(t) and t[i] in "0123456789":
        num = int(t[i])
        if num == 0:
            return None, i + 1, "$0 is not a capture group"
        return ("$", num), i + 1, None
    paren = t.find("(", i)
    if paren < 0:
        return None, i, "'$' not followed by a group number or a command"
    command = t[i:paren]
    if not command or len(command) >= 16:
        return None, i, f"bad substitution command {command!r}"
    args, end = _parse_args(t, paren + 1)
    if not args:
        return None, end, f"bad arguments to ${command}(...)"
    kinds = tuple(type(a) for a in args)
    if command == "P" and kinds == (int,):
        sub: Subst = ("P", args[0])
    elif command == "SUBST" and kinds == (int, bytes, bytes):
        sub = ("SUBST", args[0], args[1], args[2])
    elif command == "I" and kinds == (int, bytes) and args[1] in (b"<", b">"):
        sub = ("I", args[0], args[1].decode())
    else:
        return None, end, f"unknown substitution ${command}(...) or wrong arguments"
    if not 1 <= sub[1] <= 9:
        return None, end, f"${command}: group {sub[1]} is not between 1 and 9"
    return sub, end, None


_SEP = re.compile(r"[,)]", re.ASCII)
_INT = re.compile(r"\s*([-+]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*))", re.ASCII)


def _parse_args(t: str, i: int) -> tuple[list, int]:
    """nmap's ``getsubstcommandargs``: quoted strings (C escapes) and integers."""
    args: list = []
    n = len(t)
    while i < n and t[i] != ")":
        while i < n and t[i] in " \t\n\v\f\r":
            i += 1
        if i >= n or t[i] == ")":
            break
        if t[i] == '"':
            if len(args) == 5:  # SUBSTARGS_MAX_ARGS
                return [], i
            j = i + 1
            raw = []
            while j < n:
                # nmap ends the string at a quote not preceded by a lone backslash
                if t[j] == '"' and (t[j - 1] != "\\" or t[j - 2] == "\\"):
                    break
                raw.append(t[j])
                j += 1
            if len(raw) > 127:  # SUBSTARGS_STRLEN - 1
                return [], j
            try:
                args.append(unescape("".join(raw)))
            except EscapeError:
                return [], j
            comma = _next_sep(t, j + 1)
            if comma < 0:
                return [], n
            i = comma + 1 if t[comma] == "," else comma
        else:
            m = _INT.match(t, i)
            if not m:
                return [], i
            args.append(_integer(m.group(1)))
            comma = _next_sep(t, m.end())
            if comma < 0:
                return [], n
            i = comma + 1 if t[comma] == "," else comma
    if i < n and t[i] == ")":
        i += 1
    return args, i


def _integer(text: str) -> int:
    """A decimal, 0x hex or 0 octal argument as strtol reads it; TemplateError past a long
    (the digit count is checked first: ``int()`` refuses 4,300 decimal digits)."""
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body[:2] in ("0x", "0X"):
        digits, base, width = body[2:], 16, 16
    elif len(body) > 1 and body[0] == "0":
        digits, base, width = body[1:], 8, 22
    else:
        digits, base, width = body, 10, 19
    digits = digits.lstrip("0")
    value = int(digits or "0", base) if len(digits) <= width else MAX_ARGUMENT + 1
    if value > MAX_ARGUMENT:
        raise TemplateError(f"number {_clip(text)} is too big (a C long, at most {MAX_ARGUMENT})")
    return sign * value


def _clip(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:20]}... ({len(text)} characters)"


def _next_sep(t: str, i: int) -> int:
    m = _SEP.search(t, i)
    return m.start() if m else -1


GroupGetter = Callable[[int], Optional[bytes]]


def _value(sub: Subst, group: GroupGetter, ngroups: int) -> Optional[bytes]:
    num = sub[1]
    if num > ngroups:
        return None
    data = group(num)
    if data is None:
        return None
    kind = sub[0]
    if kind == "$":
        out = data
    elif kind == "P":
        out = data.translate(None, _NONPRINT)
    elif kind == "SUBST":
        find, repl = sub[2], sub[3]
        # nmap compares C strings: the search stops at a NUL in the find string
        find = find.split(b"\0", 1)[0]
        out = data.replace(find, repl.split(b"\0", 1)[0]) if find else data
    else:  # "I"
        if len(data) > 8:
            return None
        out = str(int.from_bytes(data, "big" if sub[2] == ">" else "little")).encode()
    return out.split(b"\0", 1)[0]


def _transform_cpe(data: bytes) -> bytes:
    out = bytearray()
    for b in data:
        if b in _CPE_SPECIAL:
            out += b"%%%02X" % b
        elif b in _C_SPACE:
            out += b"_"
        elif 0x41 <= b <= 0x5A:
            out.append(b + 0x20)
        else:
            out.append(b)
    return bytes(out)


def render(
    segments: list[Segment],
    group: GroupGetter,
    ngroups: int,
    size: int,
    cpe: bool = False,
) -> Optional[bytes]:
    """Fill a parsed template as nmap's ``dotmplsubst`` does; None when nmap fails it."""
    out = bytearray()
    last = len(segments) - 1
    for k, seg in enumerate(segments):
        if isinstance(seg, str):
            lit = seg.encode("latin-1")
            if k == last:
                # nmap's "only literal text remains" path: one byte at a time
                if len(out) + len(lit) > size - 1:
                    return None
            elif size - len(out) <= len(lit) - 1:
                return None
            out += lit
            continue
        val = _value(seg, group, ngroups)
        if val is None:
            return None
        if cpe:
            val = _transform_cpe(val)
        if len(out) + len(val) >= size - 1:
            return None
        out += val
    if segments and not isinstance(segments[-1], str) and len(out) >= size - 1:
        return None
    return bytes(out).rstrip(_TRIM)


def printable(data: bytes, limit: int) -> str:
    """What nmap reports: at most ``limit`` bytes, non-printable bytes as ``.``."""
    return data[:limit].translate(_TO_DOT).decode("ascii")

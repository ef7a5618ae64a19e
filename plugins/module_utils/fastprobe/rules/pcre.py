"""Translate nmap's PCRE patterns into Python ``re`` byte patterns.

One pass over the pattern does three jobs: it rewrites what Python's ``re`` spells
differently or lacks (POSIX classes, ``\\z``/``\\Z``, ``\\h``/``\\v``/``\\R``, mid-pattern
flags, ``{,n}`` literals, and — before Python 3.11 — atomic groups and possessive
quantifiers), it records what the subject must start with, and it collects the
literals every match must contain. The last two feed the prefilter index, so a reply
only meets the regexes that can possibly match it.
"""

from __future__ import annotations

import re
import sys
from typing import NamedTuple, Optional, TypeVar

NATIVE_ATOMIC = sys.version_info >= (3, 11)
GRAM = 4  # length of the index keys (see prefilter)
SPAN = 24  # how many of them a rule offers
# Limits, so nothing absurd reaches Python (whose int() refuses 4,300 digits and whose
# recursive regex compiler overflows its stack on deep nesting): PCRE's own for numbers,
# ours, below PCRE's, for nesting:
MAX_REPEAT = 65535  # a {n,m} bound
MAX_NUMBER = 2**31 - 1  # a \N, \g{N} or (?(N)...) number: PCRE reads it into an int
MAX_NESTING = 200  # groups inside groups (PCRE 8's limit is 250; nmap's file needs 3)


class PatternError(ValueError):
    """A pattern this translator (or PCRE) rejects; ``offset`` is into the pattern, None
    when Python's ``re`` refused the translation (its position is not the pattern's)."""

    def __init__(self, message: str, offset: Optional[int]) -> None:
        super().__init__(message)
        self.offset = offset


class Translation(NamedTuple):
    source: bytes  # the Python pattern
    flags: int
    groups: int  # capture groups as PCRE counts them
    group_names: Optional[tuple[str, ...]]  # Python group name per PCRE group, when renamed
    anchored: bool  # matches only at offset 0 (so ``match`` may replace ``search``)
    prefix: bytes  # the subject starts with this (lower-cased when ``ci``)
    literals: tuple[bytes, ...]  # every match contains each of these (lower-cased when ``ci``)
    ci: bool  # prefix and literals compare case-insensitively
    grams: tuple[bytes, ...]  # 4-byte slices of the longest literal: the index keys to pick from


_POSIX = {
    "alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "digit": ((0x30, 0x39),),
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "upper": ((0x41, 0x5A),),
    "lower": ((0x61, 0x7A),),
    "space": ((0x09, 0x0D), (0x20, 0x20)),
    "blank": ((0x09, 0x09), (0x20, 0x20)),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "print": ((0x20, 0x7E),),
    "graph": ((0x21, 0x7E),),
    "cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
    "word": ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)),
    "ascii": ((0x00, 0x7F),),
}
_HSPACE = ((0x09, 0x09), (0x20, 0x20), (0xA0, 0xA0))
_VSPACE = ((0x0A, 0x0D), (0x85, 0x85))
_SIMPLE_ESC = {"a": 0x07, "e": 0x1B, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09}
_QUANT = re.compile(r"\{(\d+)(?:(,)(\d*))?\}", re.ASCII)
_PLAIN = re.compile(r"[A-Za-z0-9 _]", re.ASCII)
_GROUP_OPEN = re.compile(r"\((?!\?)|\(\?P?<(?![=!])|\(\?'", re.ASCII)
_HEX12 = re.compile(r"[0-9a-fA-F]{1,2}", re.ASCII)
_OCT02 = re.compile(r"[0-7]{0,2}", re.ASCII)
_OCT13 = re.compile(r"[0-7]{1,3}", re.ASCII)
_DIGITS = re.compile(r"\d+", re.ASCII)
_POSIX_ITEM = re.compile(r"\[([:.=])(\^?)([a-z]*)\1\]", re.ASCII)
_RUN = re.compile(r"[^\\\[\](){}.*+?^$|]{2,}", re.ASCII)
_EMIT = {b: f"\\x{b:02x}" for b in range(256) if not _PLAIN.match(chr(b))}
_FLAG_GROUP = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])", re.ASCII)


T = TypeVar("T")


def _must(value: Optional[T], at: int) -> T:
    """For a match the caller already knows exists (its first character was checked)."""
    if value is None:
        raise PatternError("unexpected pattern syntax", at)
    return value


def _number(digits: str, at: int, limit: int, what: str) -> int:
    """A decimal number from a pattern, refused when above ``limit`` (checked on the
    digit count first: ``int()`` itself refuses more than 4,300 digits)."""
    significant = digits.lstrip("0")
    if len(significant) > len(str(limit)) or int(significant or "0") > limit:
        raise PatternError(f"number too big in {what} (at most {limit})", at)
    return int(significant or "0")


def _count_groups(p: str) -> int:
    """Capture groups a pattern opens, outside escapes, ``\\Q…\\E`` and classes.

    A scan, not a regex: the regex this replaced read a backslash in a class two ways (an
    escape, or a member), so an unclosed class of escapes backtracked exponentially (a
    fuzzed line hung the parser); and cutting classes out joined ``([-+]?`` into ``(?``,
    which went uncounted.
    """
    n = len(p)
    i = count = 0
    while i < n:
        c = p[i]
        if c == "\\":
            if p.startswith("\\Q", i):
                end = p.find("\\E", i + 2)
                i = n if end < 0 else end + 2
            else:
                i += 2
        elif c == "[":
            i = _class_end(p, i)
        else:
            if c == "(" and _GROUP_OPEN.match(p, i):
                count += 1
            i += 1
    return count


def _class_end(p: str, i: int) -> int:
    """The index after the class opening at ``i`` (the end of ``p`` if it is not closed)."""
    n = len(p)
    j = i + 1
    if j < n and p[j] == "^":
        j += 1
    if j < n and p[j] == "]":  # a first ']' is a member
        j += 1
    while j < n:
        c = p[j]
        if c == "\\":
            j += 2
        elif c == "]":
            return j + 1
        else:
            m = _POSIX_ITEM.match(p, j) if c == "[" else None
            j = m.end() if m else j + 1
    return n


def _complement(ranges: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    out = []
    nxt = 0
    for lo, hi in sorted(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= 0xFF:
        out.append((nxt, 0xFF))
    return tuple(out)


def _byte(b: int) -> str:
    c = chr(b)
    return c if _PLAIN.match(c) else f"\\x{b:02x}"


def _ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\x{lo:02x}" if lo == hi else f"\\x{lo:02x}-\\x{hi:02x}" for lo, hi in ranges)


class _Frame:
    __slots__ = ("close", "kind", "scoped", "start")

    def __init__(self, kind: str, start: int, close: str) -> None:
        self.kind = kind  # root, group, look, atomic
        self.start = start  # index in the output where this group's text begins
        self.close = close  # text that closes it
        self.scoped: list[str] = []  # openers of mid-group flag settings still open


class _Restart(Exception):
    """Atomic grouping met without native support: translate again with named groups."""


class _Translator:
    def __init__(self, pattern: str, native_atomic: bool, named: bool) -> None:
        self.p = pattern
        self.n = len(pattern)
        self.native = native_atomic
        self.named = named  # emit PCRE groups as named groups (atomic emulation renumbers)
        self.out: list[str] = []
        self.frames: list[_Frame] = [_Frame("root", 0, "")]
        self.groups = 0
        self.names: dict[str, int] = {}
        self.emulated = 0
        self._total: Optional[int] = None
        # literal tracking at the top level
        self.runs: list[bytes] = []
        self.cur = bytearray()
        self.top_alt = False
        self.anchored = False
        self.prefix_open = False
        self.prefix = b""
        self.seen_atom = False
        self.ci_seen = False
        self.multiline = False

    @property
    def total_groups(self) -> int:
        """Capture groups in the whole pattern: PCRE needs it to tell \\10 from octal."""
        if self._total is None:
            self._total = _count_groups(self.p)
        return self._total

    # -- literal bookkeeping (top level only) ---------------------------------

    def _depth(self) -> int:
        return len(self.frames) - 1

    def _flush(self) -> None:
        if self.prefix_open:
            self.prefix = bytes(self.cur)
            self.prefix_open = False
        if self.cur:
            self.runs.append(bytes(self.cur))
            self.cur = bytearray()

    def _top_atom(self, lit: Optional[int], qmin: int, qmax: Optional[int]) -> None:
        if self._depth():
            return
        self.seen_atom = True
        if lit is None or qmin == 0:
            self._flush()
            return
        self.cur += bytes((lit,)) * qmin
        if qmax != qmin:
            self._flush()

    # -- main loop -------------------------------------------------------------

    def run(self) -> tuple[str, int]:
        p, n = self.p, self.n
        i = 0
        while i < n:
            m = _RUN.match(p, i)
            if m:
                # all but the last character of a literal run: the last may be quantified
                end = m.end() - 1
                chunk = p[i:end]
                try:
                    data = chunk.encode("latin-1")
                except UnicodeEncodeError as exc:
                    raise PatternError("character outside latin-1", i + exc.start) from None
                self.out.append(chunk.translate(_EMIT))
                if not self._depth():
                    self.seen_atom = True
                    self.cur += data
                i = end
            c = p[i]
            lit: Optional[int] = None
            if c == "\\":
                text, lit, i, quantifiable = self._escape(i)
                if text is None:
                    continue
                start = len(self.out)
                self.out.append(text)
                if not quantifiable:
                    if not self._depth():
                        if text == "\\A" and not self.seen_atom:
                            self._anchor()
                        else:
                            self._top_atom(None, 1, 1)
                    continue
            elif c == "[":
                start = len(self.out)
                text, i = self._class(i)
                self.out.append(text)
            elif c == "(":
                i = self._open(i)
                continue
            elif c == ")":
                if not self._depth():
                    raise PatternError("unmatched closing parenthesis", i)
                start = self._close()
                i += 1
            elif c == "|":
                frame = self.frames[-1]
                self.out.extend(")" * len(frame.scoped))
                self.out.append("|")
                self.out.extend(frame.scoped)
                if not self._depth():
                    self.top_alt = True
                    self._flush()
                i += 1
                continue
            elif c in "^$":
                self.out.append(c)
                if not self._depth():
                    if c == "^" and not self.seen_atom:
                        self._anchor()
                    else:
                        self._top_atom(None, 1, 1)
                i += 1
                continue
            elif c in "*+?" or (c == "{" and _QUANT.match(p, i)):
                raise PatternError("quantifier does not follow a repeatable item", i)
            elif c == ".":
                start = len(self.out)
                self.out.append(".")
                i += 1
            else:
                start = len(self.out)
                lit = ord(c)
                if lit > 0xFF:
                    raise PatternError("character outside latin-1", i)
                self.out.append(_byte(lit))
                i += 1
            i, qmin, qmax = self._quantifier(i, start)
            self._top_atom(lit, qmin, qmax)
        if self._depth():
            raise PatternError("missing closing parenthesis", self.n)
        self.out.extend(")" * len(self.frames[0].scoped))
        self._flush()
        return "".join(self.out), self.groups

    def _anchor(self) -> None:
        self.anchored = True
        self.prefix_open = True
        self.seen_atom = True

    # -- quantifiers -----------------------------------------------------------

    def _quantifier(self, i: int, start: int) -> tuple[int, int, Optional[int]]:
        p = self.p
        if i >= self.n:
            return i, 1, 1
        c = p[i]
        if c == "*":
            qmin, qmax, text, i = 0, None, "*", i + 1
        elif c == "+":
            qmin, qmax, text, i = 1, None, "+", i + 1
        elif c == "?":
            qmin, qmax, text, i = 0, 1, "?", i + 1
        elif c == "{":
            m = _QUANT.match(p, i)
            if not m:
                return i, 1, 1
            qmin = _number(m.group(1), i, MAX_REPEAT, "a repeat count")
            qmax = qmin
            if m.group(2):
                qmax = _number(m.group(3), i, MAX_REPEAT, "a repeat count") if m.group(3) else None
            if qmax is not None and qmax < qmin:
                raise PatternError("numbers out of order in a repeat count", i)
            text = m.group()
            i = m.end()
        else:
            return i, 1, 1
        possessive = False
        if i < self.n and p[i] == "?":
            text += "?"
            i += 1
        elif i < self.n and p[i] == "+":
            possessive = True
            i += 1
        if possessive and not self.native:
            self._emulate_atomic(start, text)
        else:
            self.out.append(text + ("+" if possessive else ""))
        return i, qmin, qmax

    def _emulate_atomic(self, start: int, quant: str) -> None:
        if not self.named:
            raise _Restart
        self.emulated += 1
        name = f"_fpa{self.emulated}"
        self.out.insert(start, f"(?=(?P<{name}>")
        self.out.append(f"{quant}))(?P={name})")

    # -- escapes ---------------------------------------------------------------

    def _escape(self, i: int) -> tuple[Optional[str], Optional[int], int, bool]:
        """Returns (text, literal byte, next index, quantifiable) for ``\\…`` at ``i``."""
        p = self.p
        if i + 1 >= self.n:
            raise PatternError("\\ at end of pattern", i)
        c = p[i + 1]
        j = i + 2
        if c in "dDwWsS":
            return "\\" + c, None, j, True
        if c in "bB":
            return "\\" + c, None, j, False
        if c in "AG":
            return "\\A", None, j, False
        if c == "z":
            return "\\Z", None, j, False
        if c == "Z":
            return "(?=\\n?\\Z)", None, j, False
        if c == "h":
            return "[" + _ranges(_HSPACE) + "]", None, j, True
        if c == "H":
            return "[^" + _ranges(_HSPACE) + "]", None, j, True
        if c == "v":
            return "[" + _ranges(_VSPACE) + "]", None, j, True
        if c == "V":
            return "[^" + _ranges(_VSPACE) + "]", None, j, True
        if c == "R":
            return "(?:\\r\\n|[" + _ranges(_VSPACE) + "])", None, j, True
        if c == "N":
            return "[^\\n]", None, j, True
        if c == "Q":
            end = p.find("\\E", j)
            end = self.n if end < 0 else end
            chunk = p[j:end]
            for k, ch in enumerate(chunk):
                b = ord(ch)
                if b > 0xFF:
                    raise PatternError("character outside latin-1", j + k)
                start = len(self.out)
                self.out.append(_byte(b))
                if k == len(chunk) - 1:
                    # the last quoted character takes a following quantifier
                    nxt, qmin, qmax = self._quantifier(min(end + 2, self.n), start)
                    self._top_atom(b, qmin, qmax)
                    return None, None, nxt, False
                self._top_atom(b, 1, 1)
            return None, None, min(end + 2, self.n), False
        if c == "E":
            return None, None, j, False
        if c in "gk":
            return self._named_backref(i, c)
        b, j = self._byte_escape(i, in_class=False)
        if b is not None:
            return _byte(b), b, j, True
        # a backreference \N
        m = _must(_DIGITS.match(p, i + 1), i)
        num = _number(m.group(), i, MAX_NUMBER, "a reference")
        return self._backref(num, i), None, m.end(), True

    def _byte_escape(self, i: int, in_class: bool) -> tuple[Optional[int], int]:
        """An escape that stands for one byte, or (None, i) for a backreference."""
        p = self.p
        if i + 1 >= self.n:  # e.g. a range's upper end, "[a-\" ending the pattern
            raise PatternError("\\ at end of pattern", i)
        c = p[i + 1]
        j = i + 2
        if c in _SIMPLE_ESC:
            return _SIMPLE_ESC[c], j
        if c == "b" and in_class:
            return 0x08, j
        if c == "x":
            if j < self.n and p[j] == "{":
                end = p.find("}", j)
                digits = p[j + 1 : end] if end > 0 else ""
                if not digits or any(d not in "0123456789abcdefABCDEF" for d in digits):
                    raise PatternError("bad hex escape", i)
                v = int(digits, 16)
                if v > 0xFF:
                    raise PatternError("hex escape value too large", i)
                return v, end + 1
            m = _HEX12.match(p, j)
            return (int(m.group(), 16), m.end()) if m else (0, j)
        if c == "c":
            if j >= self.n or ord(p[j]) > 0x7F:
                raise PatternError("\\c must be followed by an ASCII character", i)
            return ord(p[j].upper()) ^ 0x40, j + 1
        if c == "o" and j < self.n and p[j] == "{":
            end = p.find("}", j)
            digits = p[j + 1 : end] if end > 0 else ""
            if not digits or any(d not in "01234567" for d in digits) or int(digits, 8) > 0xFF:
                raise PatternError("bad octal escape", i)
            return int(digits, 8), end + 1
        if c == "0":
            m = _must(_OCT02.match(p, j), i)
            return int("0" + m.group(), 8), m.end()
        if c in "0123456789":
            digits = _must(_DIGITS.match(p, i + 1), i).group()
            if not in_class:
                # PCRE reads the whole number (refusing one that overflows an int), then
                # takes it as a backreference, or else as up to three octal digits
                num = _number(digits, i, MAX_NUMBER, "a reference")
                if num < 10 or num <= self.total_groups:
                    return None, i
            o = _OCT13.match(p, i + 1)
            if not o:
                if in_class:
                    return ord(c), j  # \8 and \9 in a class are the digits
                raise PatternError(f"reference to non-existent subpattern \\{digits}", i)
            if int(o.group(), 8) > 0xFF:
                raise PatternError("octal value greater than \\377", i)
            return int(o.group(), 8), o.end()
        if c.isalnum() or ord(c) > 0x7F:
            raise PatternError(f"unrecognized escape \\{c}", i)
        return ord(c), j

    def _class_byte(self, i: int) -> tuple[int, int]:
        b, j = self._byte_escape(i, in_class=True)
        if b is None:  # only outside a class can an escape be a backreference
            raise PatternError("unexpected escape in a character class", i)
        return b, j

    def _backref(self, num: int, at: int) -> str:
        if num < 1 or num > self.total_groups:
            raise PatternError(f"reference to non-existent subpattern {num}", at)
        return f"(?P={self._gname(num)})" if self.named else f"(?:\\{num})"

    def _gname(self, num: int) -> str:
        return f"_fpg{num}"

    def _named_backref(self, i: int, c: str) -> tuple[str, None, int, bool]:
        p = self.p
        j = i + 2
        m = re.compile(
            r"\{(-?\d+|[A-Za-z_]\w*)\}|<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)'|(-?\d+)", re.ASCII
        ).match(p, j)
        if not m or (c == "k" and m.group(4)):
            raise PatternError(f"bad \\{c} reference", i)
        ref = next(g for g in m.groups() if g is not None)
        if ref.lstrip("-").isdigit():
            num = _number(ref.lstrip("-"), i, MAX_NUMBER, "a reference")
            if ref.startswith("-") and num:  # \g{-0} stays 0: no such group
                num = self.groups + 1 - num
            return self._backref(num, i), None, m.end(), True
        if ref not in self.names:
            raise PatternError(f"reference to unknown group name {ref!r}", i)
        return self._backref(self.names[ref], i), None, m.end(), True

    # -- character classes -----------------------------------------------------

    def _class(self, i: int) -> tuple[str, int]:
        p, n = self.p, self.n
        j = i + 1
        negate = j < n and p[j] == "^"
        if negate:
            j += 1
        items: list[str] = []
        first = True
        while True:
            if j >= n:
                raise PatternError("missing terminating ] for character class", i)
            c = p[j]
            if c == "]" and not first:
                j += 1
                break
            first = False
            m = _POSIX_ITEM.match(p, j) if c == "[" else None
            if m:
                if m.group(1) != ":":
                    raise PatternError("POSIX collating elements are not supported", j)
                if m.group(3) not in _POSIX:
                    raise PatternError(f"unknown POSIX class name {m.group(3)!r}", j)
                ranges = _POSIX[m.group(3)]
                items.append(_ranges(_complement(ranges) if m.group(2) else ranges))
                j = m.end()
                continue
            if c == "\\":
                if j + 1 >= n:
                    raise PatternError("\\ at end of pattern", j)
                e = p[j + 1]
                if e in "dDwWsS":
                    items.append("\\" + e)
                    j += 2
                    continue
                if e in "hHvV":
                    ranges = _HSPACE if e in "hH" else _VSPACE
                    items.append(_ranges(_complement(ranges) if e.isupper() else ranges))
                    j += 2
                    continue
                if e == "E":
                    j += 2
                    continue
                b, j = self._class_byte(j)
            else:
                b = ord(c)
                if b > 0xFF:
                    raise PatternError("character outside latin-1", j)
                j += 1
            # b is a single byte: maybe the start of a range
            if j + 1 < n and p[j] == "-" and p[j + 1] != "]":
                k = j + 1
                if p[k] == "\\":
                    if k + 1 < n and p[k + 1] in "dDwWsShHvV":
                        items.append(f"\\x{b:02x}\\x2d")  # a literal '-' then the class
                        j = k
                        continue
                    hi, k = self._class_byte(k)
                elif _POSIX_ITEM.match(p, k):
                    items.append(f"\\x{b:02x}\\x2d")
                    j = k
                    continue
                else:
                    hi = ord(p[k])
                    k += 1
                if hi < b:
                    raise PatternError("range out of order in character class", j)
                items.append(f"\\x{b:02x}-\\x{hi:02x}")
                j = k
                continue
            items.append(f"\\x{b:02x}")
        return "[" + ("^" if negate else "") + "".join(items) + "]", j

    # -- groups ----------------------------------------------------------------

    def _open(self, i: int) -> int:
        p = self.p
        start = len(self.out)
        if i + 1 < self.n and p[i + 1] == "*":
            raise PatternError("backtracking control verbs are not supported", i)
        if i + 1 >= self.n or p[i + 1] != "?":
            self.groups += 1
            text = f"(?P<{self._gname(self.groups)}>" if self.named else "("
            self.out.append(text)
            self._push(i, _Frame("group", start, ")"))
            return i + 1
        rest = p[i + 2 : i + 4]
        if rest[:1] == "#":
            end = p.find(")", i)
            if end < 0:
                raise PatternError("missing ) after comment", i)
            return end + 1
        if rest[:1] == ":":
            self.out.append("(?:")
            self._push(i, _Frame("group", start, ")"))
            return i + 3
        if rest[:1] in ("=", "!") or rest in ("<=", "<!"):
            k = i + 2 + (1 if rest[:1] in "=!" else 2)
            self.out.append(p[i:k])
            self._push(i, _Frame("look", start, ")"))
            return k
        if rest[:1] == ">":
            if self.native:
                self.out.append("(?>")
                self._push(i, _Frame("group", start, ")"))
            else:
                if not self.named:
                    raise _Restart
                self.emulated += 1
                name = f"_fpa{self.emulated}"
                self.out.append(f"(?=(?P<{name}>")
                self._push(i, _Frame("group", start, f"))(?P={name})"))
            return i + 3
        if rest[:1] == "|":
            raise PatternError("branch reset groups (?| are not supported", i)
        m = re.compile(r"\(\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')", re.ASCII).match(p, i)
        if m:
            name = m.group(1) or m.group(2)
            self.groups += 1
            if name in self.names:
                raise PatternError(f"two named subpatterns have the same name {name!r}", i)
            self.names[name] = self.groups
            self.out.append(f"(?P<{self._gname(self.groups)}>" if self.named else "(")
            self._push(i, _Frame("group", start, ")"))
            return m.end()
        m = re.compile(r"\(\?P=([A-Za-z_]\w*)\)", re.ASCII).match(p, i)
        if m:
            if m.group(1) not in self.names:
                raise PatternError(f"reference to unknown group name {m.group(1)!r}", i)
            self.out.append(self._backref(self.names[m.group(1)], i))
            j, qmin, qmax = self._quantifier(m.end(), start)
            self._top_atom(None, qmin, qmax)
            return j
        if rest[:1] == "(":
            m = re.compile(r"\(\?\((\d+|<[A-Za-z_]\w*>|'[A-Za-z_]\w*')\)", re.ASCII).match(p, i)
            if not m:
                raise PatternError("only group-number and group-name conditions are supported", i)
            ref = m.group(1).strip("<>'")
            num = _number(ref, i, MAX_NUMBER, "a condition") if ref.isdigit() else -1
            num = self.names.get(ref, num)
            if num < 1 or num > self.total_groups:
                raise PatternError("condition refers to a non-existent group", i)
            self.out.append(f"(?({self._gname(num) if self.named else num})")
            self._push(i, _Frame("group", start, ")"))
            return m.end()
        m = _FLAG_GROUP.match(p, i)
        if m:
            on, off, end = m.group(1), m.group(2) or "", m.group(3)
            for f in on + off:
                if f not in "ims":
                    raise PatternError(f"unsupported inline option {f!r}", i)
            if "i" in on:
                self.ci_seen = True
            if "m" in on:
                self.multiline = True
            opener = "(?" + on + ("-" + off if off else "") + ":"
            if end == ":":
                self.out.append(opener)
                self._push(i, _Frame("group", start, ")"))
            elif on or off:
                # PCRE applies a bare (?i) up to the end of the enclosing group
                self.out.append(opener)
                self.frames[-1].scoped.append(opener)
            return m.end()
        raise PatternError("unrecognized character after (?", i)

    def _push(self, at: int, frame: _Frame) -> None:
        if len(self.frames) > MAX_NESTING:
            raise PatternError(f"parentheses are too deeply nested (at most {MAX_NESTING})", at)
        self.frames.append(frame)

    def _close(self) -> int:
        frame = self.frames.pop()
        self.out.extend(")" * len(frame.scoped))
        self.out.append(frame.close)
        return frame.start


def translate(
    pattern: str,
    *,
    ignorecase: bool = False,
    dotall: bool = False,
    native_atomic: bool = NATIVE_ATOMIC,
) -> Translation:
    """Translate one nmap pattern (the text between ``m|`` and ``|``, as latin-1 ``str``)."""
    try:
        t = _Translator(pattern, native_atomic, named=False)
        source, groups = t.run()
    except _Restart:
        t = _Translator(pattern, native_atomic, named=True)
        source, groups = t.run()
    flags = int((re.IGNORECASE if ignorecase else 0) | (re.DOTALL if dotall else 0))
    ci = ignorecase or t.ci_seen
    valid = not t.top_alt
    anchored = valid and t.anchored and not t.multiline
    prefix = t.prefix if anchored else b""
    literals = tuple(r for r in t.runs if r) if valid else ()
    if ci:
        prefix = prefix.lower()
        literals = tuple(x.lower() for x in literals)
    names = tuple(t._gname(k) for k in range(1, groups + 1)) if t.named else None
    longest = max(literals, key=len, default=b"")
    span = min(len(longest) - GRAM + 1, SPAN)
    grams = tuple(dict.fromkeys(longest[i : i + GRAM] for i in range(span)))
    return Translation(
        source.encode("latin-1"), flags, groups, names, anchored, prefix, literals, ci, grams
    )


# What ``re.compile`` raises for a pattern it cannot build: ``re.error`` for syntax it
# rejects (a variable-length lookbehind), OverflowError and ValueError for sizes
# beyond its limits, RecursionError for nesting deeper than the interpreter's stack.
# Exactly these are converted; anything else is a bug and propagates.
COMPILE_ERRORS = (re.error, OverflowError, RecursionError, ValueError)


def compile_translation(t: Translation) -> re.Pattern[bytes]:
    """Compile a translation, or PatternError when Python's ``re`` cannot (offset None: the
    position ``re`` names is in the translated text, not in the pattern as written)."""
    try:
        return re.compile(t.source, t.flags)
    except COMPILE_ERRORS as exc:
        raise PatternError(f"Python's re cannot compile it: {exc}", None) from None

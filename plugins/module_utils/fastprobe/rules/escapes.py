"""C-style escapes as nmap reads and writes them.

nmap's ``cstring_unescape`` accepts only ``\\\\ \\0 \\n \\r \\t \\xHH`` in probe
strings and ``$SUBST`` arguments; anything else is a parse error there, so it is
one here too. The same escapes are what a person types for a reply on the command
line and what service fingerprints print.
"""

from __future__ import annotations

import re

_SIMPLE = {"\\": 0x5C, "0": 0x00, "n": 0x0A, "r": 0x0D, "t": 0x09}
_HEX = frozenset("0123456789abcdefABCDEF")


class EscapeError(ValueError):
    """A backslash escape nmap would reject; ``offset`` points at the backslash."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def unescape(text: str, literal_encoding: str = "latin-1") -> bytes:
    """Decode nmap's C escapes; literal characters are encoded with ``literal_encoding``.

    Probe files are read as latin-1 so each character is one byte of the file;
    text typed by a person is UTF-8.
    """
    if "\\" not in text:
        return text.encode(literal_encoding)
    out = bytearray()
    i = 0
    n = len(text)
    while i < n:
        j = text.find("\\", i)
        if j < 0:
            out += text[i:].encode(literal_encoding)
            break
        out += text[i:j].encode(literal_encoding)
        if j + 1 >= n:
            raise EscapeError("trailing backslash", j)
        c = text[j + 1]
        if c in _SIMPLE:
            out.append(_SIMPLE[c])
            i = j + 2
        elif c == "x":
            h = text[j + 2 : j + 4]
            if len(h) != 2 or h[0] not in _HEX or h[1] not in _HEX:
                raise EscapeError(f"\\x needs two hex digits, got {text[j : j + 4]!r}", j)
            out.append(int(h, 16))
            i = j + 4
        else:
            raise EscapeError(
                f"unsupported escape \\{c} (nmap accepts \\\\ \\0 \\n \\r \\t \\xHH)", j
            )
    return bytes(out)


_PRINTABLE = re.compile(rb"[\x20-\x5b\x5d-\x7e]+")
_NAMED = {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x00: "\\0", 0x5C: "\\\\"}


def escape(data: bytes) -> str:
    """Inverse of :func:`unescape` for display: printable ASCII stays, the rest is escaped.

    ``\\0`` followed by a digit is written ``\\x00`` so the text reads back the same way
    in tools that treat ``\\0NN`` as octal.
    """
    parts: list[str] = []
    i = 0
    n = len(data)
    while i < n:
        m = _PRINTABLE.match(data, i)
        if m:
            parts.append(m.group().decode("ascii"))
            i = m.end()
            continue
        b = data[i]
        if b == 0 and i + 1 < n and 0x30 <= data[i + 1] <= 0x39:
            parts.append("\\x00")
        elif b in _NAMED:
            parts.append(_NAMED[b])
        else:
            parts.append(f"\\x{b:02x}")
        i += 1
    return "".join(parts)

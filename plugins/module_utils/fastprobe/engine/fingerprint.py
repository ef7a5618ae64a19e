"""nmap's service fingerprint (``SF-Port…``) for an unknown port, byte for byte in its
format, so it can be pasted where nmap fingerprints go or turned into a rule."""

from __future__ import annotations

import platform
import time
from typing import Optional

from ..version import __version__
from .options import DEFAULTS

WRAP = 74  # nmap wraps after 74 characters a line
MAX_REPLY = 900  # bytes of each reply nmap includes
MAX_LENGTH = 2200  # nmap stops adding replies past this


class _Builder:
    """nmap's ``addServiceChar``: a newline and ``SF:`` at every wrap position."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.length = 0

    def char(self, c: str) -> None:
        if self.length % (WRAP + 1) == WRAP:
            self.out.append("\nSF:")
            self.length += 4
        self.out.append(c)
        self.length += 1

    def text(self, s: str) -> None:
        for c in s:
            self.char(c)


def _escape(data: bytes, b: _Builder) -> None:
    for i, byte in enumerate(data):
        c = chr(byte)
        if c.isascii() and c.isalnum():
            b.char(c)
        elif byte == 0:
            nxt = data[i + 1 : i + 2]
            b.text("\\x00" if nxt and nxt.isdigit() else "\\0")
        elif c in '\\?"[]().*+$^|':
            b.text("\\" + c)
        elif 0x21 <= byte <= 0x7E:  # the rest of C's ispunct
            b.char(c)
        elif c == "\r":
            b.text("\\r")
        elif c == "\n":
            b.text("\\n")
        elif c == "\t":
            b.text("\\t")
        else:
            b.text(f"\\x{byte:02x}")


def service_fingerprint(
    port: int,
    protocol: str,
    replies: dict[str, bytes],
    *,
    intensity: int = DEFAULTS["intensity"],
    tunnel: Optional[str] = None,
    when: Optional[float] = None,
) -> str:
    """The fingerprint of one port from its replies, in the order they were sent."""
    when = time.time() if when is None else when
    local = time.localtime(when)
    machine = platform.machine() or "unknown"
    b = _Builder()
    b.text(
        f"SF-Port{port}-{protocol.upper()}:V=fastprobe-{__version__}"
        f"{'%T=SSL' if tunnel == 'ssl' else ''}%I={intensity}"
        f"%D={local.tm_mon}/{local.tm_mday}%Time={int(when):X}%P={machine}-pc-linux-gnu"
    )
    for name, data in replies.items():
        if not data or b.length > MAX_LENGTH:
            continue
        b.text(f'%r({name},{len(data):X},"')
        _escape(data[:MAX_REPLY], b)
        b.text('")')
    return "".join(b.out) + ";"

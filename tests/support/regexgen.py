"""Make byte strings that a rule's regex matches: seeded, so tests are repeatable.

Walks the parse tree ``re`` builds for the translated pattern; lookarounds and
anchors are not solved, so callers keep only strings the compiled regex accepts.
"""

from __future__ import annotations

import random
import re
from typing import Optional

try:
    import re._parser as sre_parse  # type: ignore[import-not-found]
    from re import _constants as c  # type: ignore[attr-defined]
except ImportError:  # Python < 3.11
    import sre_constants as c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_ALL = bytes(range(256))
_CATEGORIES = {
    c.CATEGORY_DIGIT: bytes(range(0x30, 0x3A)),
    c.CATEGORY_NOT_DIGIT: bytes(b for b in range(256) if not 0x30 <= b <= 0x39),
    c.CATEGORY_SPACE: b" \t\n\r\f\v",
    c.CATEGORY_NOT_SPACE: bytes(b for b in range(256) if b not in b" \t\n\r\f\v"),
    c.CATEGORY_WORD: bytes(
        b for b in range(256) if chr(b).isascii() and (chr(b).isalnum() or b == 0x5F)
    ),
    c.CATEGORY_NOT_WORD: bytes(
        b for b in range(256) if not (chr(b).isascii() and (chr(b).isalnum() or b == 0x5F))
    ),
}


class RegexGen:
    def __init__(self, seed: int, max_repeat: int = 6, printable_bias: float = 0.8) -> None:
        self.rng = random.Random(seed)
        self.max_repeat = max_repeat
        self.bias = printable_bias

    def sample(self, source: bytes, flags: int, tries: int = 30) -> Optional[bytes]:
        regex = re.compile(source, flags)
        tree = sre_parse.parse(source.decode("latin-1"), flags)
        for _ in range(tries):
            groups: dict[int, bytes] = {}
            out = bytearray()
            try:
                self._emit(tree, out, groups, flags)
            except _Give:
                continue
            data = bytes(out)
            if regex.search(data):
                return data
        return None

    def _pick(self, allowed: bytes) -> int:
        printable = [b for b in allowed if 0x20 <= b < 0x7F]
        if printable and self.rng.random() < self.bias:
            return self.rng.choice(printable)
        return self.rng.choice(allowed)

    def _set(self, items, flags: int) -> bytes:  # type: ignore[no-untyped-def]
        negate = False
        allowed = set()
        for op, av in items:
            if op is c.NEGATE:
                negate = True
            elif op is c.LITERAL:
                allowed.add(av)
            elif op is c.RANGE:
                allowed.update(range(av[0], av[1] + 1))
            elif op is c.CATEGORY:
                allowed.update(_CATEGORIES[av])
        if flags & re.IGNORECASE:
            allowed |= {
                ord(chr(b).swapcase()) for b in allowed if chr(b).isascii() and chr(b).isalpha()
            }
        if negate:
            allowed = set(range(256)) - allowed
            if flags & re.IGNORECASE:
                allowed = {
                    b
                    for b in allowed
                    if not (
                        chr(b).isascii()
                        and chr(b).isalpha()
                        and ord(chr(b).swapcase()) not in allowed
                    )
                }
        if not allowed:
            raise _Give
        return bytes(sorted(allowed))

    def _emit(self, tree, out: bytearray, groups: dict[int, bytes], flags: int) -> None:  # type: ignore[no-untyped-def]
        for op, av in tree:
            if op is c.LITERAL:
                out.append(av)
            elif op is c.NOT_LITERAL:
                out.append(self._pick(bytes(b for b in range(256) if b != av)))
            elif op is c.ANY:
                out.append(self._pick(_ALL if flags & re.DOTALL else _ALL.replace(b"\n", b"")))
            elif op is c.IN:
                out.append(self._pick(self._set(av, flags)))
            elif op is c.BRANCH:
                self._emit(self.rng.choice(av[1]), out, groups, flags)
            elif op is c.SUBPATTERN:
                gid, add_flags, del_flags, body = av
                start = len(out)
                self._emit(body, out, groups, (flags | add_flags) & ~del_flags)
                if gid:
                    groups[gid] = bytes(out[start:])
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) or op is getattr(c, "POSSESSIVE_REPEAT", None):
                lo, hi, body = av
                hi = min(hi, lo + self.max_repeat)
                for _ in range(self.rng.randint(lo, hi)):
                    self._emit(body, out, groups, flags)
            elif op is getattr(c, "ATOMIC_GROUP", None):
                self._emit(av, out, groups, flags)
            elif op is c.GROUPREF:
                out += groups.get(av, b"")
            elif op is c.GROUPREF_EXISTS:
                gid, yes, no = av
                self._emit(yes if gid in groups else (no or []), out, groups, flags)
            elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue
            elif op is c.CATEGORY:
                out.append(self._pick(_CATEGORIES[av]))
            else:
                raise _Give


class _Give(Exception):
    pass

"""Which rules of a probe can possibly match a reply, without running their regexes.

Every pattern tells (see ``pcre.translate``) what the reply must start with and
which literals it must contain. Each rule is filed under the 4-byte slice of its
literals that is rarest among the probe's rules; a reply's own 4-byte slices then
pick out the few rules worth a regex run. Rules with no literal that long are filed
by the first byte of their prefix, and the rest are always tried. The answer keeps
file order, so the first rule that matches is the one nmap would have found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Optional

from .model import Rule
from .pcre import GRAM

# an index with at most this many slices looks each one up in the reply (a C-speed
# substring search) rather than cutting the reply into all its slices (~0.2 us a byte)
DIRECT_MAX = 64


class Reply:
    """A reply with the views the index needs, each computed at most once."""

    __slots__ = ("_grams", "_lgrams", "_lower", "data")

    _slices: list[slice] = []

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._lower: Optional[bytes] = None
        self._grams: Optional[set[bytes]] = None
        self._lgrams: Optional[set[bytes]] = None

    @property
    def lower(self) -> bytes:
        if self._lower is None:
            self._lower = self.data.lower()
        return self._lower

    @classmethod
    def _grams_of(cls, data: bytes) -> set[bytes]:
        n = len(data) - GRAM + 1
        if n <= 0:
            return set()
        if len(cls._slices) < n:
            cls._slices = [slice(i, i + GRAM) for i in range(max(n, 2 * len(cls._slices)))]
        return set(map(data.__getitem__, cls._slices[:n]))

    def has_grams(self, ci: bool) -> bool:
        return (self._lgrams if ci else self._grams) is not None

    @property
    def grams(self) -> set[bytes]:
        if self._grams is None:
            self._grams = self._grams_of(self.data)
        return self._grams

    @property
    def lgrams(self) -> set[bytes]:
        if self._lgrams is None:
            self._lgrams = self._grams_of(self.lower)
        return self._lgrams


class ProbeIndex:
    """The prefilter for one probe's rules (in the order they are tried)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        # Each rule is filed under the 4-byte slice of its longest literal that the
        # fewest other rules of this probe offer.
        counts = (
            Counter(
                chain.from_iterable(r.translation.grams for r in self.rules if not r.translation.ci)
            ),
            Counter(
                chain.from_iterable(r.translation.grams for r in self.rules if r.translation.ci)
            ),
        )
        self.by_gram: dict[bytes, list[int]] = {}
        self.by_lgram: dict[bytes, list[int]] = {}
        self.by_first: dict[int, list[int]] = {}
        self.always: list[int] = []
        # what a candidate must pass before its regex runs: prefix and longest literal
        self.gates: list[tuple[bytes, bytes, bool]] = []
        for k, r in enumerate(self.rules):
            tr = r.translation
            self.gates.append((tr.prefix, max(tr.literals, key=len, default=b""), tr.ci))
            if tr.grams:
                gram = min(tr.grams, key=counts[tr.ci].__getitem__)
                (self.by_lgram if tr.ci else self.by_gram).setdefault(gram, []).append(k)
            elif tr.prefix:
                first = tr.prefix[0]
                firsts = {first, bytes((first,)).upper()[0]} if tr.ci else {first}
                for b in firsts:
                    self.by_first.setdefault(b, []).append(k)
            else:
                self.always.append(k)
        self._gram_keys = frozenset(self.by_gram)
        self._lgram_keys = frozenset(self.by_lgram)

    def candidates(self, reply: Reply) -> list[Rule]:
        """Rules that may match ``reply``, in order, with their gates already passed."""
        data = reply.data
        ids: set[int] = set(self.always)
        if data:
            ids.update(self.by_first.get(data[0], ()))
        if self._gram_keys:
            for g in _present(self._gram_keys, reply, False):
                ids.update(self.by_gram[g])
        if self._lgram_keys:
            for g in _present(self._lgram_keys, reply, True):
                ids.update(self.by_lgram[g])
        out = []
        for k in sorted(ids):
            prefix, longest, ci = self.gates[k]
            subject = reply.lower if ci else data
            if prefix and not subject.startswith(prefix):
                continue
            if longest and longest not in subject:
                continue
            out.append(self.rules[k])
        return out


def _present(keys: frozenset[bytes], reply: Reply, ci: bool) -> Iterable[bytes]:
    """The slices of ``keys`` that the reply (lowered when ``ci``) contains."""
    if len(keys) > DIRECT_MAX or reply.has_grams(ci):
        return keys.intersection(reply.lgrams if ci else reply.grams)
    subject = reply.lower if ci else reply.data
    return [k for k in keys if k in subject]

"""Turn (probe, reply bytes) into the verdict nmap would give.

nmap tries a reply to probe P against P's rules, then its ``fallback`` probes',
then the NULL probe's (TCP only), and stops at the first rule that matches, be it a
``match`` or a ``softmatch`` (``ServiceProbe::testMatch``, ``servicescan_read_handler``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Callable, Generic, NamedTuple, Optional, TypeVar, Union

from .guard import DEFAULT_TIMEOUT, Found, Guard
from .model import Probe, Rule
from .prefilter import ProbeIndex, Reply
from .ruleset import RuleSet
from .templates import FIELD_NAMES, FIELD_SIZES, printable, render

VERDICT_FIELDS = ("product", "version", "extrainfo", "hostname", "ostype", "devicetype")
MEMO_SIZE = 512  # replies whose expensive rules a Matcher remembers (least recent dropped)
PORT_BUDGET = 3  # regex timeouts' worth of expensive runs one port's replies may cost
SEGMENTS_SIZE = 4096  # (probe, long reply) results a Matcher remembers
SEGMENT_BYTES = 512  # replies this long or longer have them remembered
_NONE: frozenset[Rule] = frozenset()


class Verdict(NamedTuple):
    service: str
    product: Optional[str]
    version: Optional[str]
    extrainfo: Optional[str]
    hostname: Optional[str]
    ostype: Optional[str]
    devicetype: Optional[str]
    cpe: tuple[str, ...]
    soft: bool
    rule: str  # file:line
    probe: str  # the probe whose rules matched (the reply's probe or a fallback)
    tunnel: Optional[str] = None  # "ssl" for a hard match on "ssl/<service>"
    warnings: tuple[str, ...] = ()  # fields nmap would have left empty, and why

    def as_dict(self) -> dict:
        """The JSON shape of ``fastprobe match``."""
        return {
            "service": self.service,
            "product": self.product,
            "version": self.version,
            "extrainfo": self.extrainfo,
            "hostname": self.hostname,
            "ostype": self.ostype,
            "devicetype": self.devicetype,
            "cpe": list(self.cpe),
            "soft": self.soft,
            "tunnel": self.tunnel,
            "rule": self.rule,
        }


class _Segment(NamedTuple):
    rules: list[Rule]  # the probe's candidates for the reply, in order
    found: Optional[Found]
    timed_out: frozenset[Rule]


class MatchResult(NamedTuple):
    verdict: Optional[Verdict]
    # rules (file:line) whose regex ran out of time on this reply, or were not run for
    # time (they had run out of it on these bytes, or the port's budget was spent), in
    # the order nmap tries them
    aborted: tuple[str, ...]


class RegexBudget:
    """The regex time one port's replies may spend on expensive runs: runs that ran out
    of time, and runs that took a good share of it without matching.

    The Matcher's memo skips such a rule on the very same bytes; a reply that grows a
    chunk at a time is new bytes after every chunk, so a trickling hostile peer would
    make every chunk of every probe pay again. Once a port has spent ``seconds``,
    the rules that were expensive on its replies are not run on them any more (and
    count as aborted). The rules that ran out of time are kept, in order, for the
    record. One per port, used by one event loop: no lock.
    """

    __slots__ = ("_slow", "_timed_out", "seconds", "spent")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spent = 0.0
        self._timed_out: dict[Rule, None] = {}  # ordered sets
        self._slow: dict[Rule, None] = {}

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.seconds

    def expensive(self) -> frozenset[Rule]:
        return frozenset(self._timed_out).union(self._slow)

    def charge(
        self, seconds: float, timed_out: Iterable[Rule] = (), slow: Iterable[Rule] = ()
    ) -> None:
        self.spent += seconds
        for rule in timed_out:
            self._timed_out.setdefault(rule)
        for rule in slow:
            self._slow.setdefault(rule)

    def timeouts(self) -> tuple[str, ...]:
        """file:line of every rule that ran out of time (or was skipped for time) on this
        port's replies."""
        return tuple(r.location for r in self._timed_out)


def verdict_from(found: Found, probe: Probe) -> Verdict:
    rule = found.rule
    segs = rule.segments()
    ngroups = rule.translation.groups
    values: dict[str, Optional[str]] = {}
    warnings: list[str] = []
    for key, name in FIELD_NAMES.items():
        if key not in segs:
            values[name] = None
            continue
        parts, err = segs[key]
        raw = None if err else render(parts, found.group, ngroups, FIELD_SIZES[key])
        if raw is None:
            warnings.append(f"{name}: {err or 'could not be filled (unset group or too long)'}")
        values[name] = printable(raw, FIELD_SIZES[key]) if raw else None
    cpe: dict[str, bytes] = {}
    for n, text in enumerate(rule.cpes):
        part = text[5:6]
        if part not in ("a", "h", "o"):
            warnings.append(f"cpe: unknown part {part!r} ignored")
            continue
        parts, err = segs[f"cpe{n}"]
        raw = None if err else render(parts, found.group, ngroups, FIELD_SIZES["cpe"], cpe=True)
        if raw is None:
            warnings.append(f"cpe: {err or 'could not be filled (unset group or too long)'}")
        cpe[part] = raw or b""  # as in nmap, a failed template clears that part
    cpes = tuple(printable(cpe[p], 80) for p in ("a", "h", "o") if cpe.get(p))
    service, tunnel = rule.service, None
    if not rule.soft and service.startswith("ssl/"):
        # nmap's scanThroughTunnel: "ssl/http" is http, found without a TLS handshake
        service, tunnel = service[4:], "ssl"
    return Verdict(
        service,
        values["product"],
        values["version"],
        values["extrainfo"],
        values["hostname"],
        values["ostype"],
        values["devicetype"],
        cpes,
        rule.soft,
        rule.location,
        probe.name,
        tunnel,
        tuple(warnings),
    )


class Matcher:
    """Matches replies against a rule set; indexes are built per probe on first use."""

    def __init__(
        self,
        rules: RuleSet,
        *,
        timeout: Optional[float] = DEFAULT_TIMEOUT,
        use_index: bool = True,
        memo_size: int = MEMO_SIZE,
    ) -> None:
        self.rules = rules
        self.guard = Guard(timeout)
        self.use_index = use_index
        self._indexes: dict[tuple[str, str], ProbeIndex] = {}
        # reply digest -> (rules that ran out of time on it, rules that ran long on it
        # and did not match): the probes of one port get the same banner, and every
        # chain that falls back to the NULL probe's rules would run the same runaway
        # pattern on it again (Nornir's threads share this)
        self._memo: _Lru[bytes, tuple[frozenset[Rule], frozenset[Rule]]] = _Lru(memo_size)
        # (probe, long reply's digest) -> that probe's candidates and first match on it
        self._segments: _Lru[tuple[tuple[str, str], bytes], _Segment] = _Lru(SEGMENTS_SIZE)

    def budget(self) -> RegexBudget:
        """A fresh regex budget, for one port's replies."""
        timeout = self.guard.timeout
        return RegexBudget(float("inf") if timeout is None else PORT_BUDGET * timeout)

    def index(self, probe: Probe) -> ProbeIndex:
        idx = self._indexes.get(probe.key)
        if idx is None:
            idx = self._indexes[probe.key] = ProbeIndex(probe.rules)
        return idx

    def _segment(
        self,
        probe: Probe,
        view: Reply,
        digest: Optional[bytes],
        skip: frozenset[Rule],
        ran_out: list[Rule],
        slow: list[tuple[Rule, float]],
    ) -> _Segment:
        """The first of ``probe``'s rules that matches the reply (its candidates, in
        order, and what ran out of time). With the reply's ``digest`` it is remembered:
        the probes of one port get the same banner, and every TCP chain ends in the NULL
        probe's thousands of rules. Fresh runs add to ``ran_out`` and ``slow``."""
        key = (probe.key, digest) if digest is not None else None
        seg = self._segments.get(key) if key is not None else None
        if seg is not None:
            return seg
        rules = self.index(probe).candidates(view) if self.use_index else probe.rules
        run = [r for r in rules if r not in skip] if skip else rules
        outcome = self.guard.first_match(run, view.data)
        ran_out.extend(outcome.aborted)
        slow.extend(outcome.slow)
        seg = _Segment(rules, outcome.found, frozenset(outcome.aborted))
        if key is not None:
            self._segments.update(key, lambda _old: seg)
        return seg

    def match(
        self,
        probe: Union[str, Probe],
        reply: bytes,
        protocol: str = "TCP",
        budget: Optional[RegexBudget] = None,
    ) -> MatchResult:
        """The verdict for ``reply`` received in answer to ``probe``. A rule that ran out
        of time on these bytes before is not run again (it would again count as no
        match), nor one that ran long on them without matching (it cannot match them);
        once ``budget`` (the port's) is spent, nor one that was expensive on any of the
        port's replies."""
        if isinstance(probe, str):
            found_probe = self.rules.get(probe, protocol)
            if found_probe is None:
                raise KeyError(f"no probe named {probe!r}")
            probe = found_probe
        long = len(reply) >= SEGMENT_BYTES
        key = _digest(reply) if self._memo or long else None  # short, nothing to recall: none
        known = self._memo.get(key) if key is not None else None
        known_out, known_slow = known if known is not None else (_NONE, _NONE)
        exact = known_out | known_slow  # skipping these cannot change the verdict
        over = _NONE
        if budget is not None and budget.exhausted:
            over = budget.expensive() - exact
        skip = exact | over
        # a probe's result on these bytes is remembered unless the budget cut it short
        remembered = key if long and not over else None
        view = Reply(reply)
        rules: list[Rule] = []  # every candidate, in nmap's order
        found: Optional[Found] = None
        owner: Optional[Probe] = None
        ran_out: list[Rule] = []
        slow: list[tuple[Rule, float]] = []
        timed: set[Rule] = set()
        for p in self.rules.chain(probe):
            seg = self._segment(p, view, remembered, skip, ran_out, slow)
            rules.extend(seg.rules)
            timed.update(seg.timed_out)
            if seg.found is not None:
                found, owner = seg.found, p
                break
        if (ran_out or slow) and self._memo.size > 0:
            done = _digest(reply) if key is None else key
            grown = frozenset(ran_out), frozenset(r for r, _took in slow)
            self._memo.update(
                done, lambda old: grown if old is None else (old[0] | grown[0], old[1] | grown[1])
            )
        aborted: tuple[Rule, ...] = ()
        cut = known_out | over
        if cut or timed:
            # in the order nmap tries them, up to the rule that matched
            cut = cut.union(timed)
            tried = []
            for r in rules:
                if found is not None and r is found.rule:
                    break
                if r in cut:
                    tried.append(r)
            aborted = tuple(tried)
        if budget is not None and (aborted or slow):
            spent = len(ran_out) * (self.guard.timeout or 0.0) + sum(t for _r, t in slow)
            budget.charge(spent, aborted, [r for r, _took in slow])
        locations = tuple(r.location for r in aborted)
        if found is None or owner is None:
            return MatchResult(None, locations)
        return MatchResult(verdict_from(found, owner), locations)


K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A map of at most ``size`` items, the least recently used dropped; safe for the
    threads of one Matcher (Nornir's)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> Optional[V]:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def update(self, key: K, change: Callable[[Optional[V]], V]) -> None:
        """``key`` set to ``change(its value, or None)``."""
        with self._lock:
            self._items[key] = change(self._items.get(key))
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def _digest(reply: bytes) -> bytes:
    return hashlib.blake2b(reply, digest_size=16).digest()

"""Turn (probe, reply bytes) into the verdict nmap would give.

nmap tries a reply to probe P against P's rules, then its ``fallback`` probes',
then the NULL probe's (TCP only), and stops at the first rule that matches, be it a
``match`` or a ``softmatch`` (``ServiceProbe::testMatch``, ``servicescan_read_handler``).
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Union

from .guard import DEFAULT_TIMEOUT, Found, Guard
from .model import Probe, Rule
from .prefilter import ProbeIndex, Reply
from .ruleset import RuleSet
from .templates import FIELD_NAMES, FIELD_SIZES, printable, render

VERDICT_FIELDS = ("product", "version", "extrainfo", "hostname", "ostype", "devicetype")


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


class MatchResult(NamedTuple):
    verdict: Optional[Verdict]
    aborted: tuple[str, ...]  # rules (file:line) whose regex ran out of time


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
    ) -> None:
        self.rules = rules
        self.guard = Guard(timeout)
        self.use_index = use_index
        self._indexes: dict[tuple[str, str], ProbeIndex] = {}

    def index(self, probe: Probe) -> ProbeIndex:
        idx = self._indexes.get(probe.key)
        if idx is None:
            idx = self._indexes[probe.key] = ProbeIndex(probe.rules)
        return idx

    def candidates(self, probe: Probe, reply: Union[bytes, Reply]) -> list[tuple[Rule, Probe]]:
        """Rules worth a regex run for a reply to ``probe``, in nmap's order."""
        view = reply if isinstance(reply, Reply) else Reply(reply)
        out: list[tuple[Rule, Probe]] = []
        for p in self.rules.chain(probe):
            rules = self.index(p).candidates(view) if self.use_index else p.rules
            out.extend((r, p) for r in rules)
        return out

    def match(self, probe: Union[str, Probe], reply: bytes, protocol: str = "TCP") -> MatchResult:
        """The verdict for ``reply`` received in answer to ``probe``."""
        if isinstance(probe, str):
            found_probe = self.rules.get(probe, protocol)
            if found_probe is None:
                raise KeyError(f"no probe named {probe!r}")
            probe = found_probe
        pairs = self.candidates(probe, reply)
        owner: dict[int, Probe] = {}
        for r, p in pairs:
            owner.setdefault(id(r), p)
        rules = [pair[0] for pair in pairs]
        outcome = self.guard.first_match(rules, reply)
        aborted = tuple(r.location for r in outcome.aborted)
        if outcome.found is None:
            return MatchResult(None, aborted)
        return MatchResult(verdict_from(outcome.found, owner[id(outcome.found.rule)]), aborted)

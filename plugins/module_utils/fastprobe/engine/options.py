"""The engine's options as the adapters take them (the Ansible module, the Nornir task):
one place that checks them and says which option is wrong."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Optional

from ..rules.assemble import Source
from ..rules.model import ProbeFile, ProbeFileError
from ..rules.ruleset import (
    DEFAULT_EXCLUDE_MODE,
    EXCLUDE_MODES,
    RuleSet,
    find_nmap_probes,
    load_probe_file,
)
from .ports import Ports, PortSpecError, parse_ports, top_ports
from .scan import Scanner
from .targets import Exclusions, TargetError, count
from .timing import PROFILES

# the scanner's own options (ports, targets and rules have functions of their own)
DEFAULTS: dict[str, Any] = dict(
    intensity=7,
    profile="fast",
    connect_timeout=None,
    wait_min=None,
    wait_max=None,
    max_conns=512,
    max_host_conns=32,
    rate=None,
    report_closed=False,
)
# the overlay-rule options of the modules whose action plugin reads the rules
# (documented in plugins/doc_fragments/rules.py)
RULES_ARGUMENT_SPEC: dict[str, dict[str, Any]] = dict(
    rules=dict(type="list", elements="path", default=[]),
    project_rules=dict(type="bool", default=True),
    rules_content=dict(type="list", elements="dict", default=[]),
)


class OptionError(ValueError):
    """A bad option; the message starts with the option's name."""


def port_spec(ports: Optional[str], top: int = 1000) -> Ports:
    if ports:
        try:
            return parse_ports(ports)
        except PortSpecError as exc:
            raise OptionError(f"ports: {exc}") from None
    if top < 1:
        raise OptionError("top_ports: must be at least 1")
    return Ports(top_ports(top), ())


def exclusions(exclude: Iterable[str]) -> Exclusions:
    try:
        return Exclusions(exclude)
    except TargetError as exc:
        raise OptionError(f"exclude: {exc}") from None


def check_targets(targets: Iterable[str]) -> None:
    """A target that cannot be read fails before anything is sent."""
    for target in targets:
        try:
            count(target)
        except TargetError as exc:
            raise OptionError(f"targets: {exc}") from None


def check_exclude_mode(exclude_mode: str) -> None:
    if exclude_mode not in EXCLUDE_MODES:
        raise OptionError(f"exclude_mode: must be one of {', '.join(EXCLUDE_MODES)}")


def check_intensity_rate(intensity: object, rate: Optional[float]) -> None:
    """The options both engines have."""
    if not isinstance(intensity, int) or not 0 <= intensity <= 9:
        raise OptionError(f"intensity: must be between 0 and 9, not {intensity!r}")
    if rate is not None and rate <= 0:
        raise OptionError("rate: must be positive")


def rules_content(items: Iterable[dict]) -> list[Source]:
    """The overlay files an action plugin read on the controller (``name``, ``content``).
    Read as UTF-8 there, the text goes back to the probe-file convention, one character
    a byte (as the CLI and nmap read a file), so a non-ASCII literal matches its bytes."""
    out = []
    for item in items:
        name, content = item.get("name"), item.get("content")
        if not isinstance(name, str) or not isinstance(content, str):
            raise OptionError("rules_content: each entry needs a name and a content")
        out.append(Source(name, content.encode("utf-8").decode("latin-1")))
    return out


def rule_set(
    nmap_probes: Optional[str],
    overlays: Sequence[ProbeFile],
    exclude_mode: str = DEFAULT_EXCLUDE_MODE,
) -> RuleSet:
    check_exclude_mode(exclude_mode)
    base = nmap_probes or find_nmap_probes()
    if base is None:
        raise OptionError(
            "nmap_probes: nmap's probe file was not found "
            "(install nmap, or give its nmap-service-probes path)"
        )
    try:
        return RuleSet(overlays, exclude=exclude_mode, base=load_probe_file(base))
    except ProbeFileError as exc:
        raise OptionError(f"nmap_probes: {exc}") from None


def scanner(rules: RuleSet, **options: Any) -> Scanner:
    """A scanner with ``rules`` and the options of ``DEFAULTS`` (others are refused by
    name)."""
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise OptionError(f"{sorted(unknown)[0]}: not an engine option")
    o = {**DEFAULTS, **options}
    if o["profile"] not in PROFILES:
        raise OptionError(f"profile: must be one of {', '.join(PROFILES)}, not {o['profile']!r}")
    check_intensity_rate(o["intensity"], o["rate"])
    for name in ("max_conns", "max_host_conns"):
        if not isinstance(o[name], int) or o[name] < 1:
            raise OptionError(f"{name}: must be at least 1")
    changes = {}
    for option, fields in (
        ("connect_timeout", ("connect_timeout",)),
        ("wait_min", ("null_floor", "probe_floor")),
        ("wait_max", ("null_ceiling", "probe_ceiling")),
    ):
        value = o[option]
        if value is not None:
            if value <= 0:
                raise OptionError(f"{option}: must be a positive number of seconds")
            changes.update(dict.fromkeys(fields, float(value)))
    timing = PROFILES[o["profile"]]._replace(**changes)
    if timing.probe_floor > timing.probe_ceiling or timing.null_floor > timing.null_ceiling:
        raise OptionError("wait_min: must not be above wait_max")
    return Scanner(
        rules,
        timing=timing,
        intensity=o["intensity"],
        max_conns=o["max_conns"],
        max_host_conns=o["max_host_conns"],
        report_closed=o["report_closed"],
        rate=o["rate"],
    )

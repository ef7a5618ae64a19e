"""A scan's options, as every adapter hands them to the engine (``api.open_scan``): one
value type, one set of defaults, one check of each option, and errors that carry the
option's name (``OptionError.option``) for the adapter to spell its own way."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from ..rules.assemble import Source
from ..rules.guard import DEFAULT_TIMEOUT
from ..rules.ruleset import DEFAULT_EXCLUDE_MODE, EXCLUDE_MODES
from .timing import PROFILES

ENGINES = ("native", "nmap")
MAX_ADDRESSES = 65536  # a scan of more addresses must say so (a typo'd prefix is a /8)

# every default in one place; None in a ScanRequest means "this default"
DEFAULTS: dict[str, Any] = dict(
    top_ports=1000,
    intensity=7,
    profile="fast",
    max_conns=512,
    max_host_conns=32,
    regex_timeout=DEFAULT_TIMEOUT,
    max_addresses=MAX_ADDRESSES,
    exclude_mode=DEFAULT_EXCLUDE_MODE,
    engine="native",
)
# options only the native engine has (nmap times and paces itself, and reads its own
# results): engine nmap refuses them when given
NATIVE_ONLY = ("profile", "connect_timeout", "wait_min", "wait_max", "max_conns",
               "max_host_conns", "regex_timeout", "from_file", "resume")  # fmt: skip
# the overlay-rule options of the modules whose action plugin reads the rules
# (documented in plugins/doc_fragments/rules.py)
RULES_ARGUMENT_SPEC: dict[str, dict[str, Any]] = dict(
    rules=dict(type="list", elements="path", default=[]),
    project_rules=dict(type="bool", default=True),
    rules_content=dict(type="list", elements="dict", default=[]),
)
# upper bounds, so that a stray digit is an error rather than a scan that never ends
MAX_SECONDS = 3600.0
MAX_REGEX_SECONDS = 60.0
MAX_CONNS = 1_000_000


class OptionError(ValueError):
    """A bad option: ``option`` is its name as the engine spells it (``max_conns``),
    ``reason`` what is wrong; ``str()`` is ``"option: reason"``."""

    def __init__(self, option: str, reason: str) -> None:
        super().__init__(f"{option}: {reason}")
        self.option = option
        self.reason = reason


@dataclass
class ScanRequest:
    """Everything a scan needs, as the adapters give it; checked by ``check``."""

    targets: Sequence[str] = ()
    input_files: Sequence[str] = ()  # -iL: files of targets
    ports: Optional[str] = None  # nmap's syntax; None: the top ports
    top_ports: Optional[int] = None
    exclude: Sequence[str] = ()
    exclude_files: Sequence[str] = ()
    engine: str = "native"
    intensity: int = DEFAULTS["intensity"]
    profile: Optional[str] = None
    connect_timeout: Optional[float] = None
    wait_min: Optional[float] = None
    wait_max: Optional[float] = None
    max_conns: Optional[int] = None
    max_host_conns: Optional[int] = None
    rate: Optional[float] = None
    regex_timeout: Optional[float] = None
    report_closed: bool = False
    rules: Sequence[str] = ()  # overlay files on this host, tried first
    rules_content: Sequence[Source] = ()  # overlay texts read elsewhere (the controller)
    project_rules: bool = True  # the project's overlays (rules/*.probes) after those
    base_rules: bool = True  # nmap's own probe file
    nmap_probes: Optional[str] = None
    exclude_mode: str = DEFAULT_EXCLUDE_MODE
    nmap_path: Optional[str] = None
    from_file: Optional[str] = None  # open ports found by another tool
    resume: Optional[str] = None  # JSON lines of an earlier run: what they hold is skipped
    xml_path: Optional[str] = None  # nmap's XML written here
    max_addresses: Optional[int] = None

    def get(self, name: str) -> Any:
        """The option's value, or its default."""
        value = getattr(self, name)
        return DEFAULTS.get(name) if value is None else value


def whole(option: str, value: Any, low: int, high: Optional[int] = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(option, f"must be a whole number, not {value!r}")
    if value < low or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise OptionError(option, f"must be {span}, not {value}")
    return value


def positive(option: str, value: Any, high: float, unit: str = "seconds") -> float:
    """A finite number above zero and at most ``high``: NaN and infinity are refused (a
    NaN timeout compares false with everything and switches a guard off)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionError(option, f"must be a number of {unit}, not {value!r}")
    if not math.isfinite(value) or not 0 < value <= high:
        raise OptionError(
            option, f"must be a finite number of {unit} above 0 and at most {high:g}, not {value}"
        )
    return float(value)


def _strings(option: str, value: Any) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise OptionError(option, f"must be a list of strings, not {value!r}")
    items = list(value)
    for item in items:
        if not isinstance(item, str):
            raise OptionError(option, f"must be a list of strings, not {item!r} in it")
    return items


def check(request: ScanRequest) -> None:
    """Every option's type and range, and which engine has it; OptionError names the
    first one at fault. Targets, ports, files and rules are read by ``api.open_scan``."""
    r = request
    check_choice("engine", r.engine, ENGINES)
    for name in ("targets", "input_files", "exclude", "exclude_files", "rules"):
        _strings(name, getattr(r, name))
    if r.ports is not None and not isinstance(r.ports, str):
        raise OptionError("ports", f"must be a string in nmap's syntax, not {r.ports!r}")
    if r.top_ports is not None:
        whole("top_ports", r.top_ports, 1, 65535)
    check_intensity_rate(r.intensity, r.rate)
    check_exclude_mode(r.exclude_mode)
    if r.profile is not None:
        check_choice("profile", r.profile, tuple(PROFILES))
    for name in ("connect_timeout", "wait_min", "wait_max"):
        if getattr(r, name) is not None:
            positive(name, getattr(r, name), MAX_SECONDS)
    if r.regex_timeout is not None:
        positive("regex_timeout", r.regex_timeout, MAX_REGEX_SECONDS)
    for name in ("max_conns", "max_host_conns"):
        if getattr(r, name) is not None:
            whole(name, getattr(r, name), 1, MAX_CONNS)
    if r.max_addresses is not None:
        whole("max_addresses", r.max_addresses, 1)
    for name in ("report_closed", "project_rules", "base_rules"):
        if not isinstance(getattr(r, name), bool):
            raise OptionError(name, f"must be true or false, not {getattr(r, name)!r}")
    for name in ("nmap_probes", "nmap_path", "from_file", "resume", "xml_path"):
        value = getattr(r, name)
        if value is not None and (not isinstance(value, str) or not value):
            raise OptionError(name, f"must be a path, not {value!r}")
    if r.engine == "nmap":
        for name in NATIVE_ONLY:
            if getattr(r, name) is not None:
                raise OptionError(name, "only the native engine has it, not engine nmap")
    elif r.nmap_path is not None:
        raise OptionError("nmap_path", "only with engine nmap")


def check_choice(option: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise OptionError(option, f"must be one of {', '.join(choices)}, not {value!r}")
    return value  # type: ignore[no-any-return]


def check_exclude_mode(exclude_mode: Any) -> None:
    check_choice("exclude_mode", exclude_mode, EXCLUDE_MODES)


def check_intensity_rate(intensity: Any, rate: Optional[float]) -> None:
    """The options both engines have."""
    whole("intensity", intensity, 0, 9)
    if rate is not None:
        positive("rate", rate, 1e7, "connections a second")


def rules_content(items: Iterable[dict]) -> list[Source]:
    """The overlay files an action plugin read on the controller (``name``, ``content``).
    Read as UTF-8 there, the text goes back to the probe-file convention, one character
    a byte (as the CLI and nmap read a file), so a non-ASCII literal matches its bytes."""
    out = []
    for item in items:
        name, content = item.get("name"), item.get("content")
        if not isinstance(name, str) or not isinstance(content, str):
            raise OptionError("rules_content", "each entry needs a name and a content")
        out.append(Source(name, content.encode("utf-8").decode("latin-1")))
    return out

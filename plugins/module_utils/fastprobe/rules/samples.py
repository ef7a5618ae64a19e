"""Run the example replies kept next to rules (``#@example`` lines) as tests.

An example passes when its reply, matched with the whole rule set, is claimed by the
rule it stands above (not by an earlier one) and gives exactly the expected fields:
a field the example does not name must come out empty.
"""

from __future__ import annotations

import binascii
import os
from collections.abc import Callable, Iterable
from typing import NamedTuple, Optional, Union

from .escapes import EscapeError, escape, unescape
from .matcher import VERDICT_FIELDS, Matcher, Verdict
from .model import Example, Probe, Rule
from .parser import EXAMPLE_TAG

REPLY_KEYS = ("reply", "reply-hex", "reply-file")
PREFIX_SIZES = (1024, 512, 256, 128)
# "nmap" and "source" are for the reader (stock nmap's verdict, where the reply came from)
KNOWN_KEYS = frozenset(
    (*REPLY_KEYS, "probe", "protocol", "service", "cpe", "source", "nmap", *VERDICT_FIELDS)
)


class ExampleError(ValueError):
    """An example line that cannot be run (bad reply, unknown key, missing file)."""


class ExampleResult(NamedTuple):
    example: Example
    rule: Rule
    passed: bool
    differences: tuple[tuple[str, object, object], ...]  # (field, expected, actual)
    verdict: Optional[Verdict]
    error: Optional[str] = None

    @property
    def location(self) -> str:
        return f"{self.example.file}:{self.example.line}"


def example_reply(example: Example) -> bytes:
    attrs = example.attrs
    given = [k for k in REPLY_KEYS if k in attrs]
    if len(given) != 1:
        raise ExampleError("give exactly one of reply=, reply-hex=, reply-file=")
    key = given[0]
    value = attrs[key]
    if key == "reply":
        try:
            return unescape(value, "utf-8")
        except EscapeError as exc:
            raise ExampleError(f"reply: {exc}") from None
    if key == "reply-hex":
        try:
            return binascii.unhexlify("".join(value.split()))
        except (binascii.Error, ValueError) as exc:
            raise ExampleError(f"reply-hex: {exc}") from None
    path = os.path.join(os.path.dirname(example.file), value)
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise ExampleError(f"reply-file {value}: {exc.strerror or exc}") from None


def expected_fields(example: Example, rule: Rule) -> dict[str, object]:
    attrs = example.attrs
    unknown = sorted(set(attrs) - KNOWN_KEYS)
    if unknown:
        raise ExampleError(f"unknown key(s): {', '.join(unknown)}")
    exp: dict[str, object] = {"service": _plain(attrs.get("service", rule.service))}
    for name in VERDICT_FIELDS:
        exp[name] = _plain(attrs[name]) if attrs.get(name) else None
    exp["cpe"] = tuple(_plain(attrs.get("cpe", "")).split())
    exp["soft"] = rule.soft
    exp["rule"] = rule.location
    return exp


def _plain(value: str) -> str:
    """Quoted values other than replies take only ``\\"`` and ``\\\\``."""
    return value.replace('\\"', '"').replace("\\\\", "\\")


def same_prefix(
    data: bytes,
    verdict_of: Callable[[bytes], object],
    fits: Callable[[bytes], bool] = lambda prefix: True,
) -> Optional[bytes]:
    """The longest of the reply's PREFIX_SIZES prefixes that gets the same verdict as the
    whole reply (and ``fits``): a long reply's example, still a test of the same rule."""
    whole = verdict_of(data)
    for size in PREFIX_SIZES:
        prefix = data[:size]
        if len(data) > size and fits(prefix) and verdict_of(prefix) == whole:
            return prefix
    return None


def example_line(attrs: Iterable[tuple[str, Union[str, bytes, None]]]) -> str:
    """An ``#@example`` line that reads back as given: a reply (bytes) keeps nmap's C
    escapes with a quote as ``\\x22``; probe and protocol names go bare; other values
    are quoted as :func:`_plain` reads them; empty values are left out."""
    parts = [EXAMPLE_TAG.rstrip()]
    for key, value in attrs:
        if isinstance(value, bytes):
            parts.append(f'{key}="' + escape(value).replace('"', "\\x22") + '"')
        elif not value:
            continue
        elif key in ("probe", "protocol"):
            parts.append(f"{key}={value}")
        else:
            parts.append(f'{key}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(parts)


def run_example(matcher: Matcher, probe: Probe, rule: Rule, example: Example) -> ExampleResult:
    try:
        reply = example_reply(example)
        expected = expected_fields(example, rule)
        name = example.attrs.get("probe", probe.name)
        protocol = example.attrs.get("protocol", probe.protocol).upper()
        target = matcher.rules.get(name, protocol)
        if target is None:
            raise ExampleError(f"no probe named {name!r}")
    except ExampleError as exc:
        return ExampleResult(example, rule, False, (), None, str(exc))
    result = matcher.match(target, reply)
    verdict = result.verdict
    actual: dict[str, object] = {k: None for k in expected}
    if verdict is not None:
        actual = {
            "service": verdict.service,
            **{f: getattr(verdict, f) for f in VERDICT_FIELDS},
            "cpe": verdict.cpe,
            "soft": verdict.soft,
            "rule": verdict.rule,
        }
    diffs = tuple((k, v, actual.get(k)) for k, v in expected.items() if actual.get(k) != v)
    error = None
    if result.aborted:
        error = "pattern(s) ran out of time: " + ", ".join(result.aborted)
    return ExampleResult(example, rule, not diffs and not error, diffs, verdict, error)


def run_examples(matcher: Matcher, files: Optional[set[str]] = None) -> list[ExampleResult]:
    """Every example of the rule set (or of the rules from ``files``), in file order."""
    results = []
    for probe in matcher.rules.probes:
        for rule in probe.rules:
            if files is not None and rule.file not in files:
                continue
            for example in rule.examples:
                results.append(run_example(matcher, probe, rule, example))
    results.sort(key=lambda r: (r.example.file, r.example.line))
    return results

"""Checks a probe file beyond "it parses": what nmap would reject, and rules that can
never fire or might hang."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Optional

from .model import Issue, ProbeFile, Rule
from .parser import parse_file
from .ruleset import RuleSet

try:  # the regex parser behind ``re``; only lint looks inside patterns this way
    import re._parser as _sre_parse  # type: ignore[import-not-found]
    from re import _constants as _sre_const  # type: ignore[attr-defined]
except ImportError:  # Python < 3.11
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import sre_constants as _sre_const  # type: ignore[no-redef]
        import sre_parse as _sre_parse  # type: ignore[no-redef]

_CPE = re.compile(r"cpe:/[aho](?::[a-z0-9._\-~%]*){0,6}")
_VARIABLE = re.compile(r'\$(?:\d|[A-Za-z]+\((?:"(?:[^"\\]|\\.)*"|[^)"])*\))')
_REPEATS = (_sre_const.MAX_REPEAT, _sre_const.MIN_REPEAT)
_POSSESSIVE = getattr(_sre_const, "POSSESSIVE_REPEAT", None)
_MAXREPEAT = _sre_const.MAXREPEAT


def lint_files(paths: Sequence[str], context: Optional[RuleSet] = None) -> list[Issue]:
    """All issues for ``paths``: parse errors of each line, then rule checks.

    ``context`` (nmap's file and the project's overlays) lets a file be checked
    against the rules it will be merged with: shadowing and softmatch coverage.
    """
    issues: list[Issue] = []
    parsed: list[ProbeFile] = []
    for path in paths:
        pf = parse_file(path, lenient=True)
        issues.extend(pf.issues)
        parsed.append(pf)
    for pf in parsed:
        issues.extend(check_rules(pf, context))
    return issues


def check_rules(pf: ProbeFile, context: Optional[RuleSet] = None) -> list[Issue]:
    issues: list[Issue] = []

    def add(rule: Rule, severity: str, code: str, message: str) -> None:
        issues.append(Issue(rule.file, rule.line, severity, code, message))

    hard_services: set[str] = set()
    for source in ([context.rules()] if context else []) + [pf.rules()]:
        hard_services.update(r.service for r in source if not r.soft)
    for probe in pf.probes:
        seen: dict[tuple[str, str], Rule] = {}
        if context is not None:
            merged = context.get(probe.name, probe.protocol)
            for r in merged.rules if merged else ():
                if r.file != pf.path:
                    seen.setdefault((r.pattern, r.opts), r)
        for rule in probe.rules:
            key = (rule.pattern, rule.opts)
            earlier = seen.get(key)
            if earlier is not None and earlier is not rule:
                if _same_output(earlier, rule):
                    add(rule, "warning", "duplicate", f"duplicate of {earlier.location}")
                else:
                    add(
                        rule,
                        "warning",
                        "shadowed",
                        f"never matches: {earlier.location} has the same pattern, tried first",
                    )
            else:
                seen[key] = rule
            issues.extend(_check_pattern(rule))
            for err in rule.template_errors():
                add(rule, "warning", "template", f"{err}: nmap leaves that field empty")
            issues.extend(_check_groups(rule))
            for cpe in rule.cpes:
                literal = _VARIABLE.sub("x", cpe)
                if not _CPE.fullmatch(literal):
                    add(
                        rule,
                        "warning",
                        "cpe",
                        f"invalid CPE {cpe!r}: want lower-case cpe:/{{a|h|o}}:vendor:product:...",
                    )
            if rule.soft and rule.service not in hard_services:
                add(
                    rule,
                    "warning",
                    "softmatch-dead-end",
                    f"softmatch {rule.service!r}: no probe has a hard match for that service",
                )
    return issues


def _same_output(a: Rule, b: Rule) -> bool:
    return (a.service, a.soft, a.fields, a.cpes) == (b.service, b.soft, b.fields, b.cpes)


def _check_pattern(rule: Rule) -> list[Issue]:
    out: list[Issue] = []
    try:
        regex = rule.regex
    except re.error as exc:
        return [Issue(rule.file, rule.line, "error", "pattern", f"pattern does not compile: {exc}")]
    tree = _sre_parse.parse(rule.translation.source.decode("latin-1"), regex.flags)
    # like PCRE's MATCHEMPTY, lookarounds and anchors count as zero width
    if tree.getwidth()[0] == 0:
        out.append(
            Issue(
                rule.file,
                rule.line,
                "error",
                "empty-match",
                "pattern can match the empty string (nmap 7.94+ rejects it)",
            )
        )
    nested = _nested_repeat(tree)
    if nested:
        out.append(
            Issue(
                rule.file,
                rule.line,
                "warning",
                "backtracking",
                f"nested unbounded quantifiers ({nested}): prone to catastrophic backtracking",
            )
        )
    return out


def _nested_repeat(tree, inside: bool = False) -> Optional[str]:  # type: ignore[no-untyped-def]
    for op, av in tree:
        if op in _REPEATS or (_POSSESSIVE is not None and op is _POSSESSIVE):
            _lo, hi, body = av
            unbounded = hi == _MAXREPEAT
            if unbounded and inside:
                return "a repeated group holds a '*' or '+'"
            found = _nested_repeat(body, inside or unbounded)
            if found:
                return found
        elif op is _sre_const.SUBPATTERN:
            found = _nested_repeat(av[-1], inside)
            if found:
                return found
        elif op is _sre_const.BRANCH:
            for branch in av[1]:
                found = _nested_repeat(branch, inside)
                if found:
                    return found
        elif op in (_sre_const.ASSERT, _sre_const.ASSERT_NOT):
            found = _nested_repeat(av[1], inside)
            if found:
                return found
        elif (
            getattr(_sre_const, "ATOMIC_GROUP", None) is not None and op is _sre_const.ATOMIC_GROUP
        ):
            found = _nested_repeat(av, inside)
            if found:
                return found
    return None


def _check_groups(rule: Rule) -> list[Issue]:
    out = []
    ngroups = rule.translation.groups
    for key, (segs, err) in rule.segments().items():
        if err:
            continue
        for seg in segs:
            if not isinstance(seg, str) and seg[1] > ngroups:
                out.append(
                    Issue(
                        rule.file,
                        rule.line,
                        "warning",
                        "template",
                        f"{key} template uses group {seg[1]} but the pattern has {ngroups}",
                    )
                )
    return out

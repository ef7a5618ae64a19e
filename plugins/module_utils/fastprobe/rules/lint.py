"""Checks a probe file beyond "it parses": what nmap would reject, and rules that can
never fire or might hang."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Optional

from .model import Issue, ProbeFile, Rule
from .parser import parse_file
from .pcre import PatternError
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
    try:  # the parser refuses such a rule; this is for one built by other means
        regex = rule.regex
    except PatternError as exc:
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
    nested = _nested_repeat(tree, bool(regex.flags & re.DOTALL))
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


def _nested_repeat(tree, dotall: bool, inside: bool = False) -> Optional[str]:  # type: ignore[no-untyped-def]
    """Why the pattern may backtrack catastrophically, or None.

    An unbounded repeat inside another is flagged unless it repeats a single character
    class and another item of the same sequence is a character it cannot match — a
    delimiter, as in ``(?:[^\\r\\n]+\\r\\n)*``, which leaves one way to split the input.
    """
    items = list(tree)
    for k, (op, av) in enumerate(items):
        if op in _REPEATS or (_POSSESSIVE is not None and op is _POSSESSIVE):
            hi, body = av[1], av[2]
            unbounded = hi == _MAXREPEAT
            if unbounded and inside:
                chars = _single_class(body, dotall)
                if chars is None or not any(
                    (_delimiter(other, dotall) or _ALL).isdisjoint(chars)
                    for j, other in enumerate(items)
                    if j != k
                ):
                    return "a repeated group holds a '*' or '+' with no delimiter after it"
                continue
            found = _nested_repeat(body, dotall, inside or unbounded)
        elif op is _sre_const.SUBPATTERN:
            found = _nested_repeat(av[-1], dotall, inside)
        elif op is _sre_const.BRANCH:
            found = next(filter(None, (_nested_repeat(b, dotall, inside) for b in av[1])), None)
        elif op in (_sre_const.ASSERT, _sre_const.ASSERT_NOT):
            found = _nested_repeat(av[1], dotall, inside)
        elif op is getattr(_sre_const, "ATOMIC_GROUP", None):
            found = None  # an atomic group does not backtrack into itself
        else:
            continue
        if found:
            return found
    return None


_ALL = frozenset(range(256))
_DIGIT = frozenset(range(0x30, 0x3A))
_SPACE = frozenset(b" \t\n\r\f\v")
_WORD = _DIGIT | frozenset(range(0x41, 0x5B)) | frozenset(range(0x61, 0x7B)) | {0x5F}
_CATEGORIES = {
    _sre_const.CATEGORY_DIGIT: _DIGIT,
    _sre_const.CATEGORY_NOT_DIGIT: _ALL - _DIGIT,
    _sre_const.CATEGORY_SPACE: _SPACE,
    _sre_const.CATEGORY_NOT_SPACE: _ALL - _SPACE,
    _sre_const.CATEGORY_WORD: _WORD,
    _sre_const.CATEGORY_NOT_WORD: _ALL - _WORD,
}


def _delimiter(item, dotall: bool) -> Optional[frozenset[int]]:  # type: ignore[no-untyped-def]
    """The bytes an item always consumes at least one of: a class, or a repeat of one."""
    op, av = item
    if op in _REPEATS and av[0] >= 1:
        return _single_class(av[2], dotall)
    return _single_class([item], dotall)


def _single_class(tree, dotall: bool) -> Optional[frozenset[int]]:  # type: ignore[no-untyped-def]
    """The bytes a one-character item can match (both cases), or None if it is not one."""
    items = list(tree)
    if len(items) != 1:
        return None
    op, av = items[0]
    if op is _sre_const.LITERAL:
        out = {av}
    elif op is _sre_const.NOT_LITERAL:
        out = set(_ALL - {av})
    elif op is _sre_const.ANY:
        out = set(_ALL if dotall else _ALL - {0x0A})
    elif op is _sre_const.IN:
        out = set()
        for iop, iav in av:
            if iop is _sre_const.LITERAL:
                out.add(iav)
            elif iop is _sre_const.RANGE:
                out.update(range(iav[0], iav[1] + 1))
            elif iop is _sre_const.CATEGORY:
                out.update(_CATEGORIES.get(iav, _ALL))
        if av and av[0][0] is _sre_const.NEGATE:
            out = set(_ALL - out)
    else:
        return None
    return frozenset(out | {b ^ 0x20 for b in out if 0x41 <= (b & 0xDF) <= 0x5A})


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

"""PCRE → Python translation: what changes, what it must not change, what it learns."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastprobe.rules.pcre import PatternError, translate


def rx(pattern: str, native: bool = True, **kw) -> re.Pattern[bytes]:  # type: ignore[no-untyped-def]
    t = translate(pattern, native_atomic=native, **kw)
    return re.compile(t.source, t.flags)


@pytest.mark.parametrize(
    ("pattern", "yes", "no"),
    [
        (r"^[[:digit:]]+[[:^alpha:]]$", b"123 ", b"123a"),
        (r"^a\z", b"a", b"a\n"),
        (r"^a\Z", b"a\n", b"a\nb"),
        (r"^a$", b"a\n", b"a\nb"),
        (r"^\h\v\R", b"\t\n\r\n", b"x\n\r\n"),
        (r"^x{,2}$", b"x{,2}", b"xx"),  # not a quantifier in PCRE
        (r"^a(?i)b|c", b"C", b"A"),  # (?i) reaches the next alternative, not backwards
        (r"^\x41\x{42}\103\cD", b"ABC\x04", b"ABCD"),
        (r"^\Qa.b\E+", b"a.bb", b"axb"),
        (r"^(a)(?:b)\1", b"aba", b"abb"),
        (r"^[]a]+$", b"]a]", b"b"),
        (r"^\N+$", b"abc", b"a\nb"),
        (r"^(?<n>x)\k<n>", b"xx", b"xy"),
        (r"^\x7-", b"\x07-", b"7-"),  # one hex digit is enough for PCRE
    ],
)
def test_translation_keeps_pcre_meaning(pattern: str, yes: bytes, no: bytes) -> None:
    r = rx(pattern)
    assert r.search(yes), pattern
    assert not r.search(no), pattern


@pytest.mark.parametrize(
    "pattern", [r"^(?>a+)b", r"^a++b", r"^(a|ab)*+c", r"^(x(?>y+))\1", r"^(?:ab)?+a"]
)
@pytest.mark.parametrize("subject", [b"aab", b"ab", b"aaab", b"abc", b"acab", b"xyyxyy", b"ababac"])
def test_atomic_emulation_agrees_with_native(pattern: str, subject: bytes) -> None:
    """Python < 3.11 gets atomic groups emulated; both must behave alike, groups too."""
    native, emulated = rx(pattern, True), rx(pattern, False)
    t = translate(pattern, native_atomic=False)
    a, b = native.search(subject), emulated.search(subject)
    assert (a is None) == (b is None)
    if a and b:
        refs = t.group_names or range(1, t.groups + 1)
        assert [a.group(k) for k in range(1, t.groups + 1)] == [b.group(r) for r in refs]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("^(a", "missing closing parenthesis"),
        ("^a)", "unmatched closing parenthesis"),
        ("^[a", "missing terminating ]"),
        ("^*a", "quantifier does not follow"),
        (r"^\i", "unrecognized escape"),
        (r"^\2(a)", "non-existent subpattern"),
        ("^[[:nope:]]", "unknown POSIX class"),
        ("^(?|a)", "branch reset"),
        ("^a{3,2}", "out of order"),
    ],
)
def test_bad_patterns_are_errors(pattern: str, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        translate(pattern)


def test_anchor_prefix_and_literals() -> None:
    t = translate(r"^SSH-([\d.]+)-OpenSSH_(\S+) Debian")
    assert t.anchored and t.prefix == b"SSH-"
    assert set(t.literals) == {b"SSH-", b"-OpenSSH_", b" Debian"}
    t = translate(r"^220 .*smtp", ignorecase=True)
    assert t.ci and t.prefix == b"220 " and b"smtp" in t.literals
    t = translate(r"^abc?d")  # the optional c breaks the run
    assert t.prefix == b"ab" and set(t.literals) == {b"ab", b"d"}
    t = translate(r"^ab|cd")  # alternation at the top: nothing is required
    assert not t.anchored and t.literals == ()
    t = translate(r"^(?m)x")
    assert not t.anchored


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(rb"\AHTTP/1\.[01] \d{3} [A-Za-z ]*\r\nServer: Apache/([\d.]+)", fullmatch=False)
)
def test_required_literals_are_really_required(subject: bytes) -> None:
    t = translate(r"^HTTP/1\.[01] \d\d\d [\w ]*\r\nServer: Apache/([\d.]+)")
    if re.compile(t.source, t.flags).search(subject):
        assert subject.startswith(t.prefix)
        assert all(lit in subject for lit in t.literals)

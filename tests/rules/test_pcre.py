"""PCRE → Python translation: what changes, what it must not change, what it learns."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastprobe.rules.pcre import PatternError, compile_translation, translate


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
        ("^a{65536}", "number too big in a repeat count"),
        ("^a{1," + "9" * 5000 + "}", "number too big in a repeat count"),
        ("^(a)\\2147483648", "number too big in a reference"),
        ("^(a)\\g{" + "1" * 5000 + "}", "number too big in a reference"),
        ("^(a)(?(" + "1" * 5000 + ")a)", "number too big in a condition"),
        ("^[a-\\", "\\\\ at end of pattern"),
        ("(" * 201 + ")" * 201, "too deeply nested"),
        ("(?>" * 150 + "(?<=" * 51 + "a" + ")" * 201, "too deeply nested"),
    ],
)
def test_bad_patterns_are_errors(pattern: str, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        translate(pattern)


def test_limits_are_pcres() -> None:
    """PCRE takes these; so does the translator (and Python compiles them)."""
    for pattern in ("^a{65535}", "^a{0,65535}", "(" * 200 + "a" + ")" * 200, r"(a)\1234567"):
        compile_translation(translate(pattern))
    # \1234567 with one group: not a reference, so octal \123 ('S') then "4567"
    assert rx(r"^(a)\1234567").match(b"aS4567")


def test_what_python_cannot_compile_is_a_pattern_error() -> None:
    with pytest.raises(PatternError, match="look-behind requires fixed-width") as exc:
        compile_translation(translate("(?<=-|ab)x"))
    assert exc.value.offset is None  # re's position is in the translation, not the pattern


def test_group_count_sees_groups_next_to_classes() -> None:
    """\\10 is a reference when ten groups exist: the count must not miss ``([-+]?x)``
    (cutting the class out once made it ``(?x)``) or \\10 became octal \\x08."""
    r = rx(r"^([-+]?x)" + "(a)" * 9 + r"\10")
    assert r.match(b"xaaaaaaaaaa") and not r.match(b"xaaaaaaaaa\x08")


def test_an_unclosed_class_full_of_escapes_is_quick() -> None:
    """Counting groups (for ``\\10``) once backtracked exponentially over an unclosed class
    of escapes (2**26 ways here: most of a minute); the scan is linear."""
    began = time.perf_counter()
    with pytest.raises(PatternError, match="missing terminating"):
        translate(r"(a)\10[" + r"\x41" * 26)
    assert time.perf_counter() - began < 0.5


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

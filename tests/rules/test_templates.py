"""nmap's template rules, each pinned to what service_scan.cc does (and, for the ones
real nmap can show, test_nmap_differential checks against nmap itself)."""

from __future__ import annotations

from typing import Optional

import pytest

from fastprobe.rules.templates import parse, printable, render


def fill(template: str, groups: list[Optional[bytes]], size: int = 80, cpe: bool = False):
    segs, err = parse(template)
    assert err is None, err
    return render(segs, lambda n: groups[n - 1], len(groups), size, cpe)


def test_plain_group_and_literal_text() -> None:
    assert fill("OpenSSH $1 ($2)", [b"9.2p1", b"Debian"]) == b"OpenSSH 9.2p1 (Debian)"


def test_a_substitution_ends_at_its_first_nul() -> None:
    assert fill("[$1]", [b"ab\x00cd"]) == b"[ab]"


def test_p_keeps_only_printable_bytes() -> None:
    assert fill("$P(1)", [b"W\x00O\x00R\x00K\xffG"]) == b"WORKG"


def test_subst_replaces_every_occurrence() -> None:
    assert fill('$SUBST(1,"_",".")', [b"1_2_3"]) == b"1.2.3"
    assert fill('$SUBST(1,"\\x00","")', [b"a"]) == b"a"  # an empty find string: unchanged


@pytest.mark.parametrize(
    ("template", "data", "expected"),
    [
        ('$I(1,">")', b"\x01\x00", b"256"),
        ('$I(1,"<")', b"\x01\x00", b"1"),
        ('$I(1,">")', b"\xff" * 8, b"18446744073709551615"),
        ('$I(1,">")', b"\x01" * 9, None),  # more than 8 bytes: the field fails
    ],
)
def test_i_unpacks_unsigned_integers(template: str, data: bytes, expected) -> None:  # type: ignore[no-untyped-def]
    assert fill(template, [data]) == expected


def test_trailing_space_and_commas_are_trimmed_leading_kept() -> None:
    assert fill(" $1, ,", [b"x "]) == b" x"


def test_field_that_does_not_fit_fails() -> None:
    assert fill("$1", [b"x" * 78]) == b"x" * 78
    assert fill("$1", [b"x" * 79]) is None  # nmap needs room for the NUL and one more byte
    assert fill("y" * 79, []) == b"y" * 79  # literal-only templates may fill the buffer


def test_unset_or_missing_group_fails_the_field() -> None:
    assert fill("$1", [None]) is None
    segs, _ = parse("$2")
    assert render(segs, lambda n: b"x", 1, 80) is None


@pytest.mark.parametrize("template", ["$0", "$X(1)", "$P(a)", '$I(1,"x")', "cost $", "$P(10)"])
def test_unfillable_templates_are_reported(template: str) -> None:
    assert parse(template)[1] is not None


def test_cpe_substitutions_are_normalised() -> None:
    assert (
        fill("cpe:/a:x:$1", [b"Some Prod/2.0 (b)"], cpe=True) == b"cpe:/a:x:some_prod%2F2.0_%28b%29"
    )


def test_reported_text_replaces_non_printable_bytes() -> None:
    assert printable(b"a\x01b\xffc", 80) == "a.b.c"

"""A rule that cannot run, or a number or nesting past the limits, is refused when the file
loads — by every loader, naming the file and the line — never found later by a scan."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from fastprobe.rules import pcre
from fastprobe.rules.assemble import Source, assemble
from fastprobe.rules.model import ProbeFileError
from fastprobe.rules.parser import parse_text
from fastprobe.rules.ruleset import load_probe_file, load_rules

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FASTPROBE = os.path.join(ROOT, ".venv", "bin", "fastprobe")
HEAD = "Probe TCP NULL q||\n"
# nmap's PCRE takes a lookbehind whose alternatives differ in length; Python's re does not
LOOKBEHIND = "match x m/(?<=-|ab)x/ p/X/\n"
OVERLAY = HEAD + "match ok m/^OK/\n" + LOOKBEHIND + "match ok2 m/^OK2/\n"
REFUSED = "bad pattern: Python's re cannot compile it: look-behind requires fixed-width pattern"
BIG = "9" * 5000


@pytest.fixture
def overlay(tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.probes"
    path.write_text(OVERLAY)
    return str(path)


def fastprobe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [FASTPROBE, *args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


def test_match_refuses_the_overlay_in_one_line(overlay: str) -> None:
    p = fastprobe("match", "--probe", "NULL", "--reply", "OK", "--rules", overlay)
    assert p.returncode == 2, p.stdout
    assert p.stderr == f"fastprobe: error: {overlay}:3: {REFUSED}\n"
    assert p.stdout == ""


def test_assemble_refuses_the_overlay_in_one_line(overlay: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "assembled"
    p = fastprobe("rules", "assemble", overlay, "-o", str(out))
    assert p.returncode == 2, p.stderr
    assert p.stderr == f"fastprobe: error: {overlay}:3: {REFUSED}\n"
    assert not out.exists()


def test_lint_names_the_line_as_an_error(overlay: str) -> None:
    """lint reports rather than stops: the refusal is one error line, exit status 1."""
    p = fastprobe("rules", "lint", overlay)
    assert p.returncode == 1, p.stdout + p.stderr
    errors = [line for line in p.stdout.splitlines() if ": error: " in line]
    assert errors == [f"{overlay}:3: error: {REFUSED} [pattern]"]
    assert "Traceback" not in p.stdout + p.stderr


def test_load_rules_and_the_nornir_loader_refuse_it(overlay: str) -> None:
    for load in (
        lambda: load_rules(None, [overlay]),
        lambda: load_rules("default", [overlay]),
        lambda: load_probe_file(overlay),  # the Nornir task's loader
        lambda: load_probe_file(overlay, cache=False),
    ):
        with pytest.raises(ProbeFileError) as exc:
            load()
        assert (exc.value.file, exc.value.line, exc.value.code) == (overlay, 3, "pattern")
        assert str(exc.value) == f"{overlay}:3: {REFUSED}"


def test_parse_text_and_assemble_refuse_it() -> None:
    with pytest.raises(ProbeFileError, match=re.escape(f"mine.probes:3: {REFUSED}")):
        parse_text(OVERLAY, "mine.probes")  # the Ansible module's loader
    with pytest.raises(ProbeFileError, match=re.escape(f"mine.probes:3: {REFUSED}")):
        assemble(None, [Source("mine.probes", OVERLAY)])


def test_assemble_caches_parses_by_content(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """assemble keeps parses by content: the same name with a changed text is parsed
    again (and refused), the same text comes from the cache."""
    monkeypatch.setenv("FASTPROBE_CACHE_DIR", str(tmp_path))
    good = HEAD + "match ok m/^OK/\n"
    first = assemble(None, [Source("mine.probes", good)])
    assert len(list(tmp_path.glob("probes-*.pickle"))) == 1
    assert assemble(None, [Source("mine.probes", good)]).text == first.text
    with pytest.raises(ProbeFileError, match=re.escape(f"mine.probes:3: {REFUSED}")):
        assemble(None, [Source("mine.probes", good + LOOKBEHIND)])
    assert len(list(tmp_path.glob("probes-*.pickle"))) == 1  # a refused file is not kept


def test_lenient_parsing_reports_it_and_leaves_the_rule_out(overlay: str) -> None:
    for pf in (
        parse_text(OVERLAY, "mine.probes", lenient=True),
        load_probe_file(overlay, lenient=True),
        load_probe_file(overlay, lenient=True),  # the cached parse: same issue, same rules
    ):
        assert [r.service for r in pf.rules()] == ["ok", "ok2"]
        assert [(i.line, i.severity, i.code, i.message) for i in pf.issues] == [
            (3, "error", "pattern", REFUSED)
        ]


def test_accepted_rules_come_compiled() -> None:
    """The load-time compile is not wasted: the rule keeps it (and a pickle does not)."""
    import pickle

    (rule,) = parse_text(HEAD + "match ok m/^OK/\n", "t").rules()
    assert rule._regex is not None and rule.regex.match(b"OK")
    again = pickle.loads(pickle.dumps(rule))
    assert again._regex is None and again.regex.pattern == rule.regex.pattern


@pytest.mark.parametrize("error", [OverflowError, RecursionError, ValueError, re.error])
def test_every_compile_error_becomes_a_probe_file_error(monkeypatch, error) -> None:  # type: ignore[no-untyped-def]
    """What ``re.compile`` raises for a pattern it cannot build, whatever the type."""
    real = re.compile

    def compile(source, flags=0):  # type: ignore[no-untyped-def]
        if source == b"^BOOM":
            raise error("too much")
        return real(source, flags)

    monkeypatch.setattr(pcre.re, "compile", compile)
    with pytest.raises(ProbeFileError) as exc:
        parse_text(HEAD + "match ok m/^OK/\nmatch boom m/^BOOM/\n", "f")
    assert exc.value.line == 3
    assert str(exc.value) == "f:3: bad pattern: Python's re cannot compile it: too much"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"ports 80,{BIG}", "ports must be between 0 and 65535"),
        (f"sslports 1-{BIG}", "ports must be between 0 and 65535"),
        (f"rarity {BIG}", "is not between 1 and 9"),
        (f"totalwaitms {BIG}", "bad totalwaitms value '99999"),
        (f"tcpwrappedms -{BIG}", "bad tcpwrappedms value '-9999"),
        (f"match x m/a{{{BIG}}}/", "number too big in a repeat count (at most 65535)"),
        (f"match x m/a{{1,{BIG}}}/", "number too big in a repeat count (at most 65535)"),
        (f"match x m/(a)\\{BIG}/", "number too big in a reference (at most 2147483647)"),
        (f"match x m/(a)\\g{{{BIG}}}/", "number too big in a reference"),
        (f"match x m/(a)\\g{{-{BIG}}}/", "number too big in a reference"),
        (f"match x m/(a)(?({BIG})a)/", "number too big in a condition"),
        (f"match x m/\\x{{{BIG}}}/", "hex escape value too large"),
        (f"match x m/(a)/ p/$P({BIG})/", "number 99999999999999999999... (5000 characters) is too"),
        (f'match x m/(a)/ v/$SUBST({BIG},"a","b")/', "is too big (a C long"),
        (f'match x m/(a)/ cpe:/a:x:y:$I(0x{BIG},">")/', "is too big (a C long"),
        ("match x m/" + "(" * 500 + "a" + ")" * 500 + "/", "too deeply nested (at most 200)"),
        ("match x m/" + "(?:" * 201 + "a" + ")" * 201 + "/", "too deeply nested (at most 200)"),
    ],
)
def test_numbers_and_nesting_past_the_limits_are_refused(line: str, message: str) -> None:
    with pytest.raises(ProbeFileError) as exc:
        parse_text(HEAD + line + "\n", "big.probes")
    assert exc.value.line == 2
    assert str(exc.value).startswith("big.probes:2: ")
    assert message in str(exc.value)
    pf = parse_text(HEAD + line + "\nmatch ok m/^OK/\n", "big.probes", lenient=True)
    # (a line that long also gets nmap 7.93's line-length warning)
    assert [i.line for i in pf.issues if i.severity == "error"] == [2]
    assert [r.service for r in pf.rules()] == ["ok"]


def test_an_exclude_past_the_limits_is_refused() -> None:
    with pytest.raises(ProbeFileError, match=r"^x:1: bad port range '.*' in Exclude"):
        parse_text(f"Exclude T:{BIG}\n" + HEAD, "x")


def test_the_limits_themselves_are_accepted() -> None:
    pf = parse_text(
        HEAD
        + "ports 0,000065535\nrarity 9\ntotalwaitms 300000\n"
        + "match a m/^" + "(" * 200 + "a" + ")" * 200 + "/ p/$P(1)/\n"
        + "match b m/^a{65535}b{0,65535}/\n"
        + "match c m/^(a)\\1\\g{1}\\g{-1}(?(1)a)/ p/$I(9223372036854775807,\">\")/\n",
        "ok",
    )  # fmt: skip
    null = pf.probe("NULL")
    assert null is not None and 65535 in null.ports and null.rarity == 9
    assert [r.service for r in pf.rules()] == ["a", "b", "c"]
    deep = pf.rules()[0]
    assert deep.translation.groups == 200 and deep.regex.match(b"a")


def test_nmaps_file_is_far_below_the_nesting_limit(nmap_file) -> None:  # type: ignore[no-untyped-def]
    deepest = 0
    for rule in nmap_file.rules():
        t = pcre._Translator(rule.pattern, True, False)
        depth = 0
        for piece in t.run()[0].replace("\\(", "").replace("\\)", ""):
            depth += (piece == "(") - (piece == ")")
            deepest = max(deepest, depth)
    assert 0 < deepest <= pcre.MAX_NESTING // 10

"""Random and mutated input never crashes, hangs, or raises anything undocumented."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastprobe.rules.matcher import Matcher
from fastprobe.rules.model import ProbeFileError
from fastprobe.rules.parser import parse_text
from fastprobe.rules.ruleset import RuleSet
from tests.support import fuzzlines

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEED_LINES = [
    "Probe TCP NULL q||",
    "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|",
    "Probe UDP DNSStatusRequest q|\\0\\0\\x10\\0\\0\\0\\0\\0\\0\\0\\0\\0| no-payload",
    "ports 21-25,80,443",
    "sslports 443",
    "rarity 3",
    "fallback GetRequest",
    "totalwaitms 6000",
    "tcpwrappedms 3000",
    "Exclude T:9100-9107",
    r"match ssh m|^SSH-([\d.]+)-OpenSSH[_-]([\w.]+)\r?\n|i p/OpenSSH/ v/$2/ i/protocol $1/"
    r" cpe:/a:openbsd:openssh:$2/",
    r"softmatch ftp m|^220[- ].*\r\n|s",
    r'match x m=^(?:a|b)+?(?!c)\x41{2,}[[:alpha:]]\Z= p/$P(1)/ v/$SUBST(1,"_",".")/ i/$I(1,">")/',
    '#@example reply="SSH-2.0-x\\r\\n" product="x"',
]

line = st.one_of(
    st.sampled_from(SEED_LINES),
    st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=255), max_size=80),
)


def mutate(text: str, rnd: random.Random) -> str:
    chars = list(text)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.random()
        pos = rnd.randrange(len(chars) + 1)
        if op < 0.4 and chars:
            del chars[min(pos, len(chars) - 1)]
        elif op < 0.8:
            chars.insert(pos, rnd.choice("\\|/()[]{}^$*+?.:-#\"' \t0123456789aimsxq$"))
        elif chars:
            chars[min(pos, len(chars) - 1)] = chr(rnd.randint(1, 255))
    return "".join(chars)


def parse_or_error(text: str):  # type: ignore[no-untyped-def]
    try:
        return parse_text(text, "fuzz")
    except ProbeFileError as exc:
        assert exc.file == "fuzz" and exc.line >= 1
        return None


@SETTINGS
@given(st.lists(line, min_size=1, max_size=12))
def test_random_files_parse_or_fail_cleanly(lines: list[str]) -> None:
    parse_or_error("\n".join(lines) + "\n")
    pf = parse_text("\n".join(lines) + "\n", "fuzz", lenient=True)
    assert all(i.file == "fuzz" for i in pf.issues)


@SETTINGS
@given(st.sampled_from(SEED_LINES[10:13]), st.integers(0, 2**32))
def test_mutated_rules_parse_or_fail_cleanly(seed_line: str, seed: int) -> None:
    text = "Probe TCP NULL q||\n" + mutate(seed_line, random.Random(seed)) + "\n"
    pf = parse_or_error(text)
    if pf is not None and pf.rules():
        rs = RuleSet([], base=pf)
        Matcher(rs, timeout=0.05).match("NULL", b"SSH-2.0-x_1\r\n220 ok\r\naaAA")


@SETTINGS
@given(st.binary(max_size=2048), st.sampled_from(["NULL", "GetRequest", "GenericLines", "Help"]))
def test_random_replies_never_crash_the_matcher(
    nmap_matcher: Matcher, reply: bytes, probe: str
) -> None:
    result = nmap_matcher.match(probe, reply)
    assert result.verdict is None or result.verdict.service


# benchmarks/fuzz_rules.py runs a million of these (docs/benchmarks.md); ~25 s here
NMAP_LINES = 50_000


def test_mutated_lines_of_nmaps_file_are_refused_or_run(nmap_probes_path: str) -> None:
    """50,000 mutated lines of the installed nmap file (read now, never copied): each is
    refused with ProbeFileError naming its line, or its rule compiles, runs on replies
    under the regex guard, fills its templates and pickles without an exception (every
    fourth also lints: the benchmark lints all)."""
    seeds = fuzzlines.read_seeds([nmap_probes_path])
    assert len(seeds) > 12000
    tally = fuzzlines.run(seeds, NMAP_LINES, seed=20261123, lint_every=4)
    assert tally.crash_count == 0, fuzzlines.report(tally)
    assert tally.lines == NMAP_LINES
    # both sides were reached, and matches filled templates
    assert tally.accepted > NMAP_LINES // 4 and tally.refused > NMAP_LINES // 4
    assert tally.rules > NMAP_LINES // 5 and tally.matched > 1000


def test_the_fuzz_checker_names_each_crash_by_its_line(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A crash in the parser, in a compile or in a match is counted with the line that
    caused it, even among many lines parsed at once."""
    real = fuzzlines.parse_text

    def parse(text: str, name: str, *, lenient: bool = False):  # type: ignore[no-untyped-def]
        if "CRASH" in text:
            raise KeyError("parser bug")
        return real(text, name, lenient=lenient)

    monkeypatch.setattr(fuzzlines, "parse_text", parse)
    tally = fuzzlines.Tally()
    lines = [f"match ok{k} m/^OK{k}/" for k in range(50)]
    lines[17] = "match x m/CRASH/"
    lines[30] = "match y m/(/"
    fuzzlines.Checker(tally).check(lines)
    assert (tally.lines, tally.accepted, tally.refused) == (50, 48, 1)
    assert dict(tally.crashes) == {"parse: KeyError": 1}
    assert tally.samples["parse: KeyError"].line == "match x m/CRASH/"

    monkeypatch.setattr(fuzzlines, "parse_text", real)
    monkeypatch.setattr(fuzzlines, "verdict_from", lambda found, probe: 1 / 0)
    tally = fuzzlines.Tally()
    fuzzlines.Checker(tally).check(["match a m/^(?=a)b/", "match b m/^OK/"])
    assert dict(tally.crashes) == {"match: ZeroDivisionError": 1}
    assert tally.samples["match: ZeroDivisionError"].line == "match b m/^OK/"

"""Random and mutated input never crashes, hangs, or raises anything undocumented."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastprobe.rules.matcher import Matcher
from fastprobe.rules.model import ProbeFileError
from fastprobe.rules.parser import parse_text
from fastprobe.rules.ruleset import RuleSet

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

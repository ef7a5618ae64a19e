"""Matching semantics (nmap's order) and the prefilter index, which must never change
a verdict."""

from __future__ import annotations

import json
import os

import pytest

from fastprobe.rules.matcher import Matcher
from fastprobe.rules.parser import parse_text
from fastprobe.rules.ruleset import RuleSet
from tests.support.regexgen import RegexGen

CORPUS = os.path.join(
    os.path.dirname(__file__), "..", "..", "benchmarks", "corpus", "replies.jsonl"
)


def test_first_matching_line_wins_even_when_soft() -> None:
    rs = RuleSet(
        [],
        base=parse_text(
            "Probe TCP NULL q||\nsoftmatch ftp m|^220 |\nmatch ftp m|^220 vsFTPd| p/vsftpd/\n"
            "match smtp m|^220 .*ESMTP| p/hard/\n",
            "f",
        ),
    )
    v = Matcher(rs).match("NULL", b"220 vsFTPd 3.0.3\r\n").verdict
    assert v and v.soft and v.service == "ftp" and v.product is None and v.rule == "f:2"


def test_nmap_verdicts_for_well_known_banners(nmap_matcher: Matcher) -> None:
    v = nmap_matcher.match("NULL", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n").verdict
    assert v is not None
    assert (v.service, v.product, v.version, v.extrainfo, v.ostype) == (
        "ssh",
        "OpenSSH",
        "9.2p1 Debian 2+deb12u3",
        "protocol 2.0",
        "Linux",
    )
    assert v.cpe == ("cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel")
    assert nmap_matcher.match("NULL", b"\x00\x01garbage").verdict is None


def test_unknown_probe_name(nmap_matcher: Matcher) -> None:
    with pytest.raises(KeyError):
        nmap_matcher.match("NoSuchProbe", b"x")


def _corpus() -> list[tuple[str, bytes]]:
    with open(CORPUS) as fh:
        rows = [json.loads(line) for line in fh]
    return [(r["probe"], bytes.fromhex(r["reply_hex"])) for r in rows]


def test_index_gives_the_plain_loops_verdict_on_the_corpus(nmap_rules: RuleSet) -> None:
    indexed, plain = Matcher(nmap_rules), Matcher(nmap_rules, use_index=False, timeout=None)
    corpus = _corpus()
    assert len(corpus) >= 200
    named = 0
    for probe, reply in corpus:
        a = indexed.match(probe, reply).verdict
        assert a == plain.match(probe, reply).verdict, (probe, reply)
        named += a is not None
    assert named >= 150


def test_index_gives_the_plain_loops_verdict_on_generated_replies(nmap_rules: RuleSet) -> None:
    """A reply generated from each sampled rule, tried against that rule's probe."""
    indexed, plain = Matcher(nmap_rules), Matcher(nmap_rules, use_index=False, timeout=None)
    gen = RegexGen(11)
    checked = 0
    for probe in nmap_rules.probes:
        for rule in probe.rules[:: max(1, len(probe.rules) // 12)]:
            reply = gen.sample(rule.translation.source, rule.translation.flags)
            if reply is None:
                continue
            a = indexed.match(probe, reply).verdict
            assert a is not None
            assert a == plain.match(probe, reply).verdict, (rule.location, reply)
            checked += 1
    assert checked >= 600

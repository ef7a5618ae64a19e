"""Matching semantics (nmap's order) and the prefilter index, which must never change
a verdict."""

from __future__ import annotations

import json
import os
import threading

import pytest

from fastprobe.rules.matcher import Matcher, RegexBudget
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


# ---- runaway patterns: the per-reply memo and the per-port budget ---------------------

EVIL = (
    "Probe TCP NULL q||\n"
    "match evil m|^(a+)+$| p/evil/\n"
    "match fine m|^a+!| p/fine/\n"
    "Probe TCP Other q|x|\n"
    "match other m|^zzz|\n"
)
RUNAWAY = b"a" * 40 + b"!"  # (a+)+$ backtracks for ever on it; ^a+! matches


class Spy:
    """Records the rules each guard run is given (the regexes actually run)."""

    def __init__(self, matcher: Matcher) -> None:
        self.runs: list[list[str]] = []
        inner = matcher.guard.first_match

        def first_match(rules, data):  # type: ignore[no-untyped-def]
            self.runs.append([r.location for r in rules])
            return inner(rules, data)

        matcher.guard.first_match = first_match  # type: ignore[method-assign]

    def ran(self, location: str) -> list[bool]:
        return [location in run for run in self.runs]


def evil_matcher(timeout: float = 0.05, **kw) -> Matcher:  # type: ignore[no-untyped-def]
    return Matcher(RuleSet([], base=parse_text(EVIL, "evil")), timeout=timeout, **kw)


def test_a_pattern_that_timed_out_is_not_run_again_on_the_same_reply() -> None:
    """The probes of one port get the same banner, and every chain falls back to the
    NULL probe's rules: the runaway pattern runs once, is reported every time."""
    m = evil_matcher()
    spy = Spy(m)
    first = m.match("NULL", RUNAWAY)
    again = m.match("NULL", RUNAWAY)
    other = m.match("Other", RUNAWAY)  # its chain ends with NULL's rules
    ran = spy.ran("evil:2")  # a run per probe of a chain (the memo leaves evil:2 out)
    assert ran[0] and ran.count(True) == 1
    for result in (first, again, other):
        assert result.aborted == ("evil:2",)
        assert result.verdict is not None and result.verdict.product == "fine"
    fresh = m.match("NULL", RUNAWAY[1:])  # other bytes: run (and time out) again
    assert spy.ran("evil:2")[-1] and fresh.aborted == ("evil:2",)


def test_the_memo_is_bounded() -> None:
    m = evil_matcher(memo_size=2)
    spy = Spy(m)
    replies = [b"a" * n + b"!" for n in (40, 41, 42)]
    for reply in replies:
        m.match("NULL", reply)
    m.match("NULL", replies[2])  # remembered
    m.match("NULL", replies[0])  # the least recent was dropped: run again
    assert spy.ran("evil:2") == [True, True, True, False, True]
    assert len(m._memo) == 2


def test_a_port_budget_stops_rerunning_a_pattern_on_a_growing_reply() -> None:
    """A reply matched again after every chunk is new bytes each time: the memo cannot
    help, the port's budget does. Skipped rules are still reported."""
    m = evil_matcher()
    spy = Spy(m)
    budget = RegexBudget(0.1)  # two timeouts' worth
    results = [m.match("NULL", b"a" * (40 + n) + b"!", budget=budget) for n in range(5)]
    assert spy.ran("evil:2") == [True, True, False, False, False]
    assert all(r.aborted == ("evil:2",) and r.verdict.product == "fine" for r in results)  # type: ignore[union-attr]
    assert budget.exhausted and budget.timeouts() == ("evil:2",)
    assert m.budget().seconds == pytest.approx(3 * 0.05)  # a port's: three timeouts' worth


def test_a_pattern_that_ran_long_without_matching_is_not_run_again_on_those_bytes() -> None:
    """A reply can be shaped to cost just under the timeout, on every probe of the port:
    a run that took a good share of the timeout and did not match cannot match the same
    bytes later, so it is remembered too — not reported, it did not time out."""
    m = evil_matcher(timeout=2.0)  # a run of 0.2 s or more is long
    spy = Spy(m)
    reply = b"a" * 23 + b"!"  # (a+)+$ takes ~0.5 s on it (2^23 steps), then fails
    budget = m.budget()
    results = [m.match(p, reply, budget=budget) for p in ("NULL", "Other", "NULL")]
    ran = spy.ran("evil:2")  # a run per probe of a chain
    assert ran[0] and ran.count(True) == 1
    assert all(r.aborted == () and r.verdict.product == "fine" for r in results)  # type: ignore[union-attr]
    assert budget.timeouts() == () and 0 < budget.spent < budget.seconds


def test_no_timeout_means_no_memo_and_nothing_reported() -> None:
    m = evil_matcher()
    budget = m.budget()
    result = m.match("NULL", b"aaa!", budget=budget)
    assert result.aborted == () and budget.timeouts() == () and budget.spent == 0
    assert not m._memo


def test_the_memo_is_shared_safely_by_threads() -> None:
    """Nornir runs hosts in threads that share one Matcher (each thread's patterns run
    in its own helper process)."""
    m = evil_matcher()
    results: list = []
    lock = threading.Lock()

    def work() -> None:
        got = [m.match("NULL", b"a" * n + b"!") for n in (40, 41, 40, 41)]
        with lock:
            results.extend(got)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert len(results) == 16
    assert all(r.aborted == ("evil:2",) and r.verdict.product == "fine" for r in results)
    assert len(m._memo) == 2

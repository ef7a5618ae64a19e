"""A runaway pattern is cut off, in the main thread and in worker threads alike."""

from __future__ import annotations

import threading
import time

import pytest

from fastprobe.rules.guard import Guard
from fastprobe.rules.matcher import Matcher
from fastprobe.rules.parser import parse_text
from fastprobe.rules.ruleset import RuleSet

EVIL = parse_text(
    "Probe TCP NULL q||\nmatch evil m|^(a+)+$| p/evil/\nmatch fine m|^a+| p/fine/\n", "evil"
)
REPLY = b"a" * 40 + b"!"


def check(result) -> None:  # type: ignore[no-untyped-def]
    assert result.aborted == ("evil:2",)
    assert result.verdict is not None and result.verdict.product == "fine"


def test_main_thread_uses_a_timer() -> None:
    m = Matcher(RuleSet([], base=EVIL), timeout=0.05)
    start = time.monotonic()
    check(m.match("NULL", REPLY))
    assert time.monotonic() - start < 5


def test_worker_threads_use_a_helper_process() -> None:
    m = Matcher(RuleSet([], base=EVIL), timeout=0.05)
    results: list = []
    t = threading.Thread(target=lambda: results.append(m.match("NULL", REPLY)))
    start = time.monotonic()
    t.start()
    t.join(30)
    assert not t.is_alive()
    assert time.monotonic() - start < 20
    check(results[0])


def test_helper_process_gives_the_same_verdicts(nmap_rules: RuleSet) -> None:
    m = Matcher(nmap_rules)
    replies = [
        ("NULL", b"SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1\r\n"),
        ("GetRequest", b"HTTP/1.1 404 Not Found\r\nServer: Apache/2.4.57 (Debian)\r\n\r\n"),
        ("NULL", b"220 (vsFTPd 3.0.3)\r\n"),
    ]
    inline = [m.match(p, r) for p, r in replies]
    threaded: list = []
    t = threading.Thread(target=lambda: threaded.extend(m.match(p, r) for p, r in replies))
    t.start()
    t.join(60)
    assert threaded == inline
    assert all(r.verdict for r in inline)


@pytest.mark.parametrize("timeout", [0, -0.05, float("nan"), float("inf"), float("-inf"), True])
def test_timeout_must_be_a_positive_finite_number(timeout: float) -> None:
    """NaN passes a ``<= 0`` check and would leave patterns unbounded; so would inf."""
    with pytest.raises(ValueError, match="regex timeout"):
        Guard(timeout)


def test_usable_timeouts_are_accepted() -> None:
    assert Guard(0.05).timeout == 0.05 and Guard(1).timeout == 1 and Guard(None).timeout is None

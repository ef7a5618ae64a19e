"""Hostile services against the real command: each scan ends within a bound of time and
memory, with the record one would expect.

The servers run in a child process (tests/support/hostile.py) on 127.0.0.1; each scan
is ``fastprobe scan 127.0.0.1 -p PORT -oJ -`` in its own process, measured with
``wait4`` (its own CPU time and peak RSS). A normal scan of one port peaks at about
65 MB here; the bounds are generous so that only a runaway fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from fastprobe.rules.ruleset import load_rules
from tests.support.hostile import (
    FLOOD_BYTES,
    UDP_MAX,
    HostileServers,
    Measured,
    Spec,
    backtracking_reply,
    run_measured,
)

FASTPROBE = os.path.join(os.path.dirname(sys.executable), "fastprobe")
MAX_WALL = 30.0  # seconds for one port
MAX_RSS_MB = 200.0
MAX_REPLY = 16384  # the fast profile's bytes kept per reply

KINDS = (
    "flood", "trickle", "reset", "close", "never-read", "tls-garbage", "backtrack", "udp",
    "benign",
)  # fmt: skip


@pytest.fixture(scope="module")
def hostile() -> Iterator[dict[str, Any]]:
    """Every hostile server at once; the backtracking banner is found by experiment
    against the rules the command loads (nmap's file and the pack)."""
    reply, rule = backtracking_reply(load_rules())
    specs = {
        "flood": Spec("flood"),  # FLOOD_BYTES per connection, as fast as it can
        "trickle": Spec("trickle", interval=1.0),
        "reset": Spec("reset"),
        "close": Spec("close"),
        "never-read": Spec("never-read"),
        "tls-garbage": Spec("tls-garbage"),
        "backtrack": Spec("banner", reply),
        "udp": Spec("udp"),  # UDP_MAX bytes to any datagram
        "benign": Spec("banner", b"x" * len(reply)),  # the control for the backtracking one
    }
    with HostileServers([specs[k] for k in KINDS]) as servers:
        yield {"ports": dict(zip(KINDS, servers.ports)), "rule": rule, "reply": reply}


def scan(port: str) -> tuple[dict[str, Any], Measured]:
    run = run_measured([FASTPROBE, "scan", "127.0.0.1", "-p", port, "-oJ", "-"], 120)
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert len(records) == 1, run.stdout
    print(f"{port}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU, {run.maxrss_mb:.0f} MB peak RSS")
    assert run.wall <= MAX_WALL, run
    assert run.maxrss_mb < MAX_RSS_MB, run
    return records[0], run


def test_a_flood_is_cut_at_the_largest_reply_kept(hostile: dict[str, Any]) -> None:
    """The server would write 200 MB to every connection: each reply stops at the
    maximum kept, and the scan neither waits for the rest nor holds it in memory."""
    assert FLOOD_BYTES >= 200 * 1024 * 1024
    rec, _took = scan(str(hostile["ports"]["flood"]))
    assert (rec["state"], rec["method"], rec.get("service")) == ("open", "unknown", None)
    assert rec["replies"]["NULL"] == "A" * MAX_REPLY  # 'A' escapes to itself
    assert len(rec["replies"]) > 10 and all(v == "A" * MAX_REPLY for v in rec["replies"].values())


def test_a_trickle_does_not_hold_the_scan(hostile: dict[str, Any]) -> None:
    """One byte a second: each probe waits at most twice its wait, not for the stream."""
    rec, run = scan(str(hostile["ports"]["trickle"]))
    assert (rec["state"], rec["method"]) == ("open", "unknown")
    assert rec["replies"]["NULL"].startswith(".") and len(rec["replies"]["NULL"]) <= 3
    assert run.wall < 10


@pytest.mark.parametrize("kind", ["reset", "close"])
def test_hanging_up_on_accept_is_tcpwrapped(hostile: dict[str, Any], kind: str) -> None:
    """Accepted, then reset (SO_LINGER 0) or closed, nothing said: nmap's tcpwrapped."""
    rec, _took = scan(str(hostile["ports"][kind]))
    assert (rec["state"], rec["method"], rec["service"]) == ("open", "tcpwrapped", "tcpwrapped")
    assert "error" not in rec and "replies" not in rec


def test_a_peer_that_never_reads_is_an_unknown_silent_port(hostile: dict[str, Any]) -> None:
    rec, _took = scan(str(hostile["ports"]["never-read"]))
    assert (rec["state"], rec["method"]) == ("open", "unknown")
    assert "replies" not in rec and "error" not in rec


def test_random_bytes_for_a_client_hello_are_no_tls(hostile: dict[str, Any]) -> None:
    """Only the ClientHello probes get an answer, and it names nothing."""
    rec, _took = scan(str(hostile["ports"]["tls-garbage"]))
    assert (rec["state"], rec["method"], rec.get("tunnel")) == ("open", "unknown", None)
    assert {"SSLSessionReq", "TLSSessionReq"} <= set(rec["replies"])
    assert "NULL" not in rec["replies"] and "GetRequest" not in rec["replies"]


def test_a_backtracking_reply_is_cut_off_and_reported(hostile: dict[str, Any]) -> None:
    """The banner makes one of nmap's patterns run out of time: it counts as no match,
    costs one timeout for the whole port (every probe gets the same banner and falls
    back to the NULL probe's rules), and the record names the rule."""
    rec, run = scan(str(hostile["ports"]["backtrack"]))
    control, control_run = scan(str(hostile["ports"]["benign"]))  # same size, no runaway
    assert (rec["state"], rec["method"]) == ("open", "unknown")
    assert rec["timeouts"] == [hostile["rule"]]
    assert "timeouts" not in control
    assert len(rec["replies"]) == len(control["replies"]) > 10  # every probe got the banner
    # a timeout (50 ms) for each of those ~30 probes cost 1.5 s more than the control
    assert run.cpu < control_run.cpu + 1.0, (run, control_run)


def test_the_largest_udp_datagram_is_cut_at_the_largest_reply_kept(
    hostile: dict[str, Any],
) -> None:
    assert UDP_MAX == 65507  # 65535 less the IPv4 and UDP headers
    rec, _took = scan(f"U:{hostile['ports']['udp']}")
    assert (rec["protocol"], rec["state"], rec["method"]) == ("udp", "open", "unknown")
    assert rec["replies"] and all(v == "Z" * MAX_REPLY for v in rec["replies"].values())


@pytest.mark.nmap
@pytest.mark.parametrize("kind", ["reset", "close"])
def test_nmap_says_tcpwrapped_too(hostile: dict[str, Any], kind: str) -> None:
    nmap = shutil.which("nmap")
    assert nmap, "nmap is not installed (make setup installs it)"
    port = str(hostile["ports"][kind])
    out = subprocess.run(
        [nmap, "-sV", "-Pn", "-n", "-p", port, "127.0.0.1", "-oX", "-"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    elem = ET.fromstring(out.stdout).find(".//port/service")
    state = ET.fromstring(out.stdout).find(".//port/state")
    assert state is not None and elem is not None, out.stdout
    assert (state.get("state"), elem.get("name")) == ("open", "tcpwrapped")
    rec, _took = scan(port)
    assert (rec["state"], rec["service"]) == (state.get("state"), elem.get("name"))

"""Target and port specifications in nmap's syntax, streamed and validated."""

from __future__ import annotations

import itertools

import pytest

from fastprobe.engine.ports import PortSpecError, parse_ports, top_ports
from fastprobe.engine.targets import (
    Exclusions,
    TargetError,
    TargetPlan,
    count,
    expand,
)


def addrs(spec: str) -> list[str]:
    return [t.address or f"name:{t.name}" for t in expand(spec)]


def test_target_forms() -> None:
    assert addrs("127.0.0.1") == ["127.0.0.1"]
    assert addrs("::1") == ["::1"]
    assert addrs("127.0.0.0/30") == ["127.0.0.0", "127.0.0.1", "127.0.0.2", "127.0.0.3"]
    assert addrs("127.0.0.1-3") == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    assert addrs("127.0,1.0.1") == ["127.0.0.1", "127.1.0.1"]
    assert len(addrs("127.0.0.*")) == 256
    assert addrs("localhost") == ["name:localhost"]


def test_a_huge_network_is_streamed() -> None:
    first = list(itertools.islice(expand("127.0.0.0/8"), 3))
    assert [t.address for t in first] == ["127.0.0.0", "127.0.0.1", "127.0.0.2"]


@pytest.mark.parametrize("spec", ["", "127.0.0.1/33", "127.0.0.300-301", "bad name!", "1.2.3"])
def test_bad_targets_name_themselves(spec: str) -> None:
    with pytest.raises(TargetError):
        list(expand(spec))


def test_exclusions_and_input_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "targets.txt"
    f.write_text("127.0.0.1 127.0.0.2  # two\n127.0.0.8/30\nlocalhost\n")
    ex = Exclusions(["127.0.0.2", "127.0.0.9-10", "LOCALHOST"])
    plan = TargetPlan([], [str(f)], ex)
    got = [t.address or t.name for t in plan.targets()]
    # addresses are left out here; names once looked up (engine/resolve.py), so that
    # the scan can say why
    assert got == ["127.0.0.1", "127.0.0.8", "127.0.0.11", "localhost"]
    assert plan.excluded_name("localhost.") and not plan.excluded_name("example")
    assert ex.excludes("127.0.0.9") and not ex.excludes("127.0.0.12")
    with pytest.raises(TargetError, match="-iL /nonexistent"):
        TargetPlan([], ["/nonexistent"])


def test_port_lists() -> None:
    p = parse_ports("22,80-82,T:443,U:53,161,T:8080")
    assert p.tcp == (22, 80, 81, 82, 443, 8080) and p.udp == (53, 161)
    assert len(parse_ports("-").tcp) == 65535
    assert parse_ports("60000-").tcp[-1] == 65535


@pytest.mark.parametrize("spec", ["", "22,,80", "70000", "80-22", "S:1", "x"])
def test_bad_port_lists(spec: str) -> None:
    with pytest.raises(PortSpecError):
        parse_ports(spec)


def test_top_ports_come_from_nmap_services() -> None:
    top = top_ports(10)
    assert len(top) == 10 and {22, 80, 443} <= set(top)


@pytest.mark.parametrize("spec", ["127.0.0.1", "localhost", "127.0.0.0/22", "127.0,1.0-3.*", "::1"])
def test_count_agrees_with_expand(spec: str) -> None:
    assert count(spec) == sum(1 for _ in expand(spec))

"""service_scan through the real `ansible` command: bad options fail naming the option,
check mode scans but writes nothing, and the result file layer behaves."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastprobe import facts
from tests.support.ansible_run import adhoc
from tests.support.scripted import Script, ScriptedServers


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"targets": ["127.0.0.1"], "ports": "22,abc"}, "ports: "),
        ({"targets": ["10.0.0.0/33"], "ports": "22"}, "targets: '10.0.0.0/33': bad network"),
        ({"targets": ["127.0.0.1"], "exclude": ["1.2.3.4/99"]}, "exclude: "),
        ({"targets": ["127.0.0.1"], "intensity": 12}, "intensity: must be between 0 and 9"),
        ({"targets": ["127.0.0.1"], "wait_min": 3, "wait_max": 1}, "wait_min: must not be above"),
        (
            {"targets": ["127.0.0.1"], "engine": "nmap", "nmap_path": "/nonexistent/nmap"},
            "nmap_path: /nonexistent/nmap: no executable there",
        ),
        (
            {"targets": ["127.0.0.1"], "engine": "nmap", "wait_max": 1.0},
            "wait_max: only the native engine has it",
        ),
        ({"targets": ["127.0.0.1"], "expect": {"localhost": ["ssh"]}}, "expect: localhost: "),
        ({"targets": ["127.0.0.1"], "expect": {"nowhere": ["22/ssh"]}}, "not an inventory host"),
        ({"targets": ["127.0.0.1"], "rules": ["/nonexistent/x.probes"]}, "rules: /nonexistent"),
        ({"targets": ["127.0.0.1"], "profile": "slow"}, "profile"),
    ],
)
def test_bad_options_fail_naming_the_option(tmp_path: Path, args: dict, message: str) -> None:
    status, result = adhoc(tmp_path, "fastprobe.scanner.service_scan", args)
    assert status == "FAILED!"
    assert message in result["msg"]


def test_a_bad_overlay_rule_names_its_file_and_line(tmp_path: Path) -> None:
    rules = tmp_path / "mine.probes"
    rules.write_text("Probe TCP Mine q|HI\\r\\n|\nmatch thing m|unclosed(| p/Thing/\n")
    status, result = adhoc(
        tmp_path,
        "fastprobe.scanner.service_scan",
        {"targets": ["127.0.0.1"], "rules": [str(rules)]},
    )
    assert status == "FAILED!"
    assert result["msg"].startswith(f"rules: {rules}:2:")


def test_check_mode_scans_but_writes_no_file(tmp_path: Path) -> None:
    banner = Script(banner=b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
    with ScriptedServers([banner]) as s:
        args = {"targets": ["localhost"], "ports": str(s.ports[0]),
                "results_dir": str(tmp_path / "results")}  # fmt: skip
        status, result = adhoc(tmp_path, "fastprobe.scanner.service_scan", args, "--check")
    assert status == "CHANGED"  # it would change: the host had no file yet
    assert [r["service"] for r in result["hosts"]["localhost"]] == ["ssh"]
    assert not (tmp_path / "results").exists()


def test_facts_layer_shares_checks_and_files(tmp_path: Path) -> None:
    share = facts.shards([f"h{i}" for i in range(10)], ["s2", "s1", "s1"])
    assert sorted(share.values()).count("s1") == 5 and set(share.values()) == {"s1", "s2"}
    assert facts.shards(["a", "b"], ["x"]) == {"a": "x", "b": "x"}
    with pytest.raises(facts.ExpectError, match="22/xyz/ssh"):
        facts.parse_expect(["22/xyz/ssh"], "expect: web")
    with pytest.raises(facts.ExpectError, match="not 'ssh'"):
        facts.parse_expect("ssh", "expect: web")
    expected = facts.parse_expect(["22/ssh", "443/NGINX", "53/udp/domain"], "x")
    records = [
        {"port": 22, "protocol": "tcp", "state": "open", "service": "ssh"},
        {"port": 443, "protocol": "tcp", "state": "open", "service": "http", "product": "nginx"},
        {"port": 8080, "protocol": "tcp", "state": "open", "service": None},
        {"port": 53, "protocol": "udp", "state": "open|filtered", "service": None},
    ]
    assert facts.check(expected, records) == {
        "missing": ["53/udp/domain"],
        "unexpected": ["8080/tcp/unknown"],
    }
    assert facts.write_host(str(tmp_path), "web1", records) is True
    assert facts.write_host(str(tmp_path), "web1", list(reversed(records))) is False  # stable
    assert facts.read_dir(str(tmp_path)) == {"web1": facts.stable(records)}
    with pytest.raises(ValueError, match="cannot be a results file name"):
        facts.host_file(str(tmp_path), "../etc/passwd")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ValueError, match=r"broken\.json: not a fastprobe results file"):
        facts.read_dir(str(tmp_path))

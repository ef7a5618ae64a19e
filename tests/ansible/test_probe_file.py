"""probe_file through the real `ansible` command: the merged file is written once,
check mode and --diff tell without writing, bad overlays name their file and line."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastprobe.rules.parser import parse_file
from tests.ansible.test_module_options import adhoc

OVERLAY = "Probe TCP NULL q||\nmatch fastprobe-test m|^MINE (\\d+)\\r\\n| p/Mine/ v/$1/\n"


def test_writes_the_merged_file_once(tmp_path: Path, nmap_probes_path: str) -> None:
    (tmp_path / "mine.probes").write_text(OVERLAY)
    dest = tmp_path / "out" / "nmap-service-probes"
    dest.parent.mkdir()
    args = {"dest": str(dest), "rules": [str(tmp_path / "mine.probes")], "mode": "0640",
            "nmap_probes": nmap_probes_path, "totalwaitms": 400}  # fmt: skip
    status, result = adhoc(tmp_path, "fastprobe.scanner.probe_file", args, "--check", "--diff")
    assert status == "CHANGED" and not dest.exists(), result
    status, result = adhoc(tmp_path, "fastprobe.scanner.probe_file", args)
    assert status == "CHANGED", result
    data = dest.read_bytes()
    assert result["checksum"] == hashlib.sha1(data).hexdigest()
    assert oct(dest.stat().st_mode & 0o777) == "0o640"
    merged = parse_file(str(dest))
    null = merged.probe("NULL")
    assert null.rules[0].service == "fastprobe-test" and null.totalwaitms == 400
    assert merged.exclude is None and result["exclude"] == ""
    assert result["rules"] == len(merged.rules()) and result["probes"] == len(merged.probes)
    status, result = adhoc(tmp_path, "fastprobe.scanner.probe_file", args)
    assert status == "SUCCESS" and not result["changed"], result
    status, result = adhoc(
        tmp_path, "fastprobe.scanner.probe_file", {**args, "exclude_mode": "keep"}, "--check"
    )
    assert status == "CHANGED" and result["exclude"] == "Exclude T:9100-9107"
    assert dest.read_bytes() == data


def test_bad_input_names_the_file_and_line(tmp_path: Path, nmap_probes_path: str) -> None:
    bad = tmp_path / "bad.probes"
    bad.write_text("Probe TCP NULL q||\nmatch x m|(| p/x/\n")
    dest = tmp_path / "nmap-service-probes"
    args = {"dest": str(dest), "rules": [str(bad)], "nmap_probes": nmap_probes_path}
    status, result = adhoc(tmp_path, "fastprobe.scanner.probe_file", args)
    assert status == "FAILED!" and f"rules: {bad}:2:" in result["msg"], result
    assert not dest.exists()
    args = {"dest": str(dest), "nmap_probes": str(tmp_path / "none")}
    status, result = adhoc(tmp_path, "fastprobe.scanner.probe_file", args)
    assert status == "FAILED!" and result["msg"].startswith("nmap_probes: "), result
    args = {"dest": str(dest), "nmap_probes": nmap_probes_path, "totalwaitms": 5}
    status, result = adhoc(tmp_path, "fastprobe.scanner.probe_file", args)
    assert status == "FAILED!" and "totalwaitms must be 100 to 300000" in result["msg"], result

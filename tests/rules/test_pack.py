"""The rule pack as a whole (rules/*.probes): every rule carries samples, each sample
says where it came from and what stock nmap made of it, and the pack's examples are
exactly the recordings and documentation builds of tests/samples."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from fastprobe.rules.assemble import assemble, read_source
from fastprobe.rules.matcher import Matcher
from fastprobe.rules.ruleset import RuleSet, load_probe_file
from fastprobe.rules.samples import run_examples
from tests.samples.documented import DOCUMENTED
from tests.samples.recorded import RECORDED

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACK_DIR = os.path.join(ROOT, "rules")
PACK = sorted(
    os.path.join(PACK_DIR, name) for name in os.listdir(PACK_DIR) if name.endswith(".probes")
)


@pytest.fixture(scope="module")
def pack(nmap_file) -> RuleSet:  # type: ignore[no-untyped-def]
    return RuleSet([load_probe_file(p) for p in PACK], base=nmap_file, exclude="replace")


def pack_rules(rules: RuleSet):  # type: ignore[no-untyped-def]
    return [r for r in rules.rules() if os.path.dirname(os.path.abspath(r.file)) == PACK_DIR]


def test_every_pack_rule_has_samples_that_pass(pack: RuleSet) -> None:
    rules = pack_rules(pack)
    assert len(rules) >= 30
    assert [r.location for r in rules if not r.examples] == []
    results = run_examples(Matcher(pack), {r.file for r in rules})
    assert len(results) == len(RECORDED) + len(DOCUMENTED)
    assert [(r.location, r.differences, r.error) for r in results if not r.passed] == []


def test_samples_are_labelled_recorded_or_built(pack: RuleSet) -> None:
    for rule in pack_rules(pack):
        for example in rule.examples:
            source = example.attrs.get("source", "")
            where = f"{example.file}:{example.line}"
            if rule.file.endswith("documented.probes"):
                assert source.startswith("built from the protocol documentation"), where
            else:
                assert re.match(r"recorded from \S+ \S+ \(tests/lab ", source), where
            assert example.attrs.get("nmap"), f"{where}: stock nmap's verdict is missing"


def test_pack_has_no_exclude_so_exporter_ports_are_probed(nmap_file, pack: RuleSet) -> None:  # type: ignore[no-untyped-def]
    assert not any(pack.excluded(port) for port in range(9100, 9108))
    kept = RuleSet([load_probe_file(p) for p in PACK], base=nmap_file, exclude="keep")
    assert kept.excluded(9100) and kept.excluded(9107) and not kept.excluded(9108)


def test_nmap_reads_the_pack_assembled_with_its_file(nmap_probes_path: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Debian's nmap 7.93 loads the file the nmap role deploys (every line within its
    2048-byte buffer), and scans a closed loopback port with it."""
    merged = assemble(read_source(nmap_probes_path), [read_source(p) for p in PACK])
    path = tmp_path / "nmap-service-probes"
    path.write_text(merged.text, encoding="latin-1")
    out = subprocess.run(
        ["nmap", "-sV", "-Pn", "-n", "--versiondb", str(path), "-p", "1", "127.0.0.1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Parse error" not in out.stdout + out.stderr

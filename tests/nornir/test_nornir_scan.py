"""nornir_fastprobe with real InitNornir + SimpleInventory against lab servers, on the
threaded runner: results, enrichment, change, expectations, dry run, bad options,
write-back round trip and the progress processor."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from nornir import InitNornir
from rich.console import Console

from nornir_fastprobe.plugins.functions import write_back
from nornir_fastprobe.plugins.processors import ScanProgress
from nornir_fastprobe.plugins.tasks import service_scan
from tests.support.labs import running_lab

pytestmark = pytest.mark.lab

SERVERS = ["openssh", "nginx", "redis", "vsftpd"]

HOSTS = """\
# lab hosts: addresses filled in by the test
{entries}
"""
ENTRY = """\
{name}:
  hostname: {address}  # the lab's address for {name}
  groups: [{group}]
  data:
    site: lab   # unrelated data that must survive write-back
"""
GROUPS = """\
web:
  data:
    fastprobe_expect: [80/http, 443/nginx]
other: {}
"""


@pytest.fixture(scope="module")
def lab():  # type: ignore[no-untyped-def]
    yield from running_lab(SERVERS)


@pytest.fixture(scope="module")
def inventory(lab, tmp_path_factory):  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("nornir")
    entries = "".join(
        ENTRY.format(name=s.name, address=s.host, group="web" if s.name == "nginx" else "other")
        for s in sorted(lab.servers.values(), key=lambda s: s.name)
    )
    (d / "hosts.yaml").write_text(HOSTS.format(entries=entries))
    (d / "pristine-hosts.yaml").write_text(HOSTS.format(entries=entries))  # never written back
    (d / "groups.yaml").write_text(GROUPS)
    (d / "defaults.yaml").write_text("{}\n")
    ports = ",".join(str(p) for p in sorted({s.port for s in lab.services}))
    return d, ports


def nornir(d: Path):  # type: ignore[no-untyped-def]
    return InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": 4}},
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(d / "hosts.yaml"),
                "group_file": str(d / "groups.yaml"),
                "defaults_file": str(d / "defaults.yaml"),
            },
        },
        logging={"enabled": False},
    )


def test_scan_enrich_expect_and_write_back(inventory) -> None:  # type: ignore[no-untyped-def]
    d, ports = inventory
    nr = nornir(d)
    out = io.StringIO()
    progress = ScanProgress(console=Console(file=out, width=200, force_terminal=False))
    results = nr.with_processors([progress]).run(task=service_scan, ports=ports, enrich=True)

    services = {h: {(r["port"], r["service"]) for r in results[h][0].result} for h in results}
    assert services["openssh"] == {(22, "ssh")}
    assert services["redis"] == {(6379, "redis")}
    assert services["vsftpd"] == {(21, "ftp")}
    assert {(80, "http"), (443, "http")} <= services["nginx"]
    for name, host in nr.inventory.hosts.items():
        assert host["fastprobe_services"] == results[name][0].result  # enriched, its own
        assert {r["address"] for r in host["fastprobe_services"]} == {host.hostname}
        assert results[name][0].changed  # nothing was known before
    # the web group expects 80/http and 443/nginx: nginx meets it; others expect nothing
    assert not results.failed, {h: r[0].result for h, r in results.items() if r.failed}
    assert results["nginx"][0].mismatches == {"missing": [], "unexpected": []}
    assert results["openssh"][0].mismatches is None

    text = out.getvalue()
    assert "service scan:" in text and "0 unknown" in text
    assert "OpenSSH" in text and "nginx" in text and "127.0.0." in text

    # a second run over the enriched data: nothing changed
    again = nr.run(task=service_scan, ports=ports, enrich=True)
    assert not any(r[0].changed for r in again.values())

    # write-back: the records land in hosts.yaml, comments and other data stay
    hosts_file = d / "hosts.yaml"
    assert write_back(nr, str(hosts_file)) == sorted(nr.inventory.hosts)
    text = hosts_file.read_text()
    assert "# lab hosts: addresses filled in by the test" in text
    assert "# the lab's address for nginx" in text
    assert text.count("site: lab") == len(SERVERS)
    reread = nornir(d)
    for name, host in reread.inventory.hosts.items():
        assert host["fastprobe_services"] == nr.inventory.hosts[name]["fastprobe_services"]
    before = hosts_file.read_bytes()
    assert write_back(reread, str(hosts_file)) == []  # nothing new: the file stays as it was
    assert hosts_file.read_bytes() == before

    # the file's data is what the next run compares with: still no change
    third = reread.run(task=service_scan, ports=ports)
    assert not any(r[0].changed for r in third.values())


def test_expectations_fail_with_what_is_missing_and_unexpected(inventory) -> None:  # type: ignore[no-untyped-def]
    d, ports = inventory
    nr = nornir(d).filter(name="nginx")
    nr.inventory.hosts["nginx"].data["fastprobe_expect"] = ["8080/http"]
    result = nr.run(task=service_scan, ports=ports)["nginx"][0]
    assert result.failed
    assert "missing 8080/tcp/http" in result.msg
    assert result.mismatches["missing"] == ["8080/tcp/http"]  # host and group lists unite
    assert result.mismatches["unexpected"] == []  # 80 and 443 are named by the group


def test_dry_run_and_bad_options(inventory) -> None:  # type: ignore[no-untyped-def]
    d, _ports = inventory
    nr = nornir(d).filter(name="redis")
    dry = nr.run(task=service_scan, ports="6379", dry_run=True)["redis"][0]
    assert not dry.failed and not dry.changed
    assert dry.result.startswith("would scan 127.0.0.") and dry.result.endswith(": T:6379")
    assert (dry.plan["addresses"], dry.plan["ports"], dry.plan["to_probe"]) == (1, 1, 1)

    bad = nr.run(task=service_scan, ports="63x79")["redis"][0]
    assert bad.failed and bad.result.startswith("ports: ")
    bad = nr.run(task=service_scan, ports="6379", intensity=11, on_failed=True)["redis"][0]
    assert bad.failed and bad.result.startswith("intensity: ")
    bad = nr.run(task=service_scan, ports="6379", colour="blue", on_failed=True)["redis"][0]
    assert bad.failed and bad.result == "colour: not an option of the task"
    bad = nr.run(task=service_scan, ports="6379", rules=["/no.probes"], on_failed=True)["redis"][0]
    assert bad.failed and bad.result.startswith("rules: ")


def test_the_documented_example_runs(inventory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """docs/examples/nornir_scan.py, as a user would run it, on a copy of the inventory."""
    d, ports = inventory
    for name in ("groups.yaml", "defaults.yaml"):
        (tmp_path / name).write_text((d / name).read_text())
    (tmp_path / "hosts.yaml").write_text((d / "pristine-hosts.yaml").read_text())
    script = Path(__file__).resolve().parents[2] / "docs" / "examples" / "nornir_scan.py"
    run = subprocess.run(
        [sys.executable, str(script), str(tmp_path), ports],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "hosts.yaml: 4 hosts updated" in run.stdout
    assert "fastprobe_services:" in (tmp_path / "hosts.yaml").read_text()

"""A mistyped target through ansible-playbook and Nornir: a clear error within seconds
naming it, and in Nornir the good hosts of the same run are scanned all the same."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from nornir_fastprobe.plugins.tasks import service_scan
from tests.support.ansible_run import collections_path, recap, run_playbook, write_inventory
from tests.support.cli import simple_nornir
from tests.support.scripted import Script, ScriptedServers

BAD = ["300.1.1.1", "", "a" * 64 + ".example", "[::1", "10.0.0.0/33", "127.0.88.1-300",
       "127.0.88.30 127.0.88.40"]  # fmt: skip
PLAY = """\
- name: Scan what was typed
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Scan
      fastprobe.scanner.service_scan:
        targets: "{{ typed }}"
        ports: "22"
      run_once: true
"""


def test_a_playbook_fails_at_once_naming_the_bad_target(tmp_path: Path) -> None:
    playbook = tmp_path / "scan.yml"
    playbook.write_text(PLAY)
    inventory = write_inventory(
        tmp_path / "inventory.json",
        {
            "all": {
                "hosts": {
                    "localhost": {
                        "ansible_connection": "local",
                        "ansible_python_interpreter": sys.executable,
                    }
                }
            }
        },
    )
    collections = collections_path(tmp_path)
    for typed in BAD:
        start = time.monotonic()
        p = run_playbook(playbook, inventory, collections, {"typed": ["127.0.0.1", typed]},
                         timeout=120)  # fmt: skip
        took = time.monotonic() - start
        assert recap(p.stdout)["localhost"]["failed"] == 1, p.stdout + p.stderr
        shown = repr(typed) if typed.strip() else "an empty entry"
        assert "targets: " in p.stdout and (shown in p.stdout or "empty" in p.stdout), p.stdout
        assert "Traceback" not in p.stdout + p.stderr
        assert took < 60


def test_nornir_fails_the_bad_host_and_scans_the_good_ones(tmp_path: Path) -> None:
    hosts = "".join(f"bad{i}:\n  hostname: '{spec}'\n" for i, spec in enumerate(BAD[:1] + BAD[2:]))
    hosts += "good:\n  hostname: 127.0.0.1\nnowhere:\n  hostname: nosuch.invalid\n"
    (tmp_path / "hosts.yaml").write_text(hosts)
    nr = simple_nornir(tmp_path / "hosts.yaml", workers=4)
    with ScriptedServers([Script(banner=b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")]) as s:
        start = time.monotonic()
        results = nr.run(task=service_scan, ports=str(s.ports[0]))
        took = time.monotonic() - start
    assert took < 60
    assert not results["good"].failed
    assert [r["service"] for r in results["good"][0].result] == ["ssh"]
    for i, spec in enumerate(BAD[:1] + BAD[2:]):
        result = results[f"bad{i}"][0]
        assert result.failed and result.result.startswith("targets: "), result.result
        assert repr(spec) in result.result
    nowhere = results["nowhere"][0]
    assert nowhere.failed and nowhere.result.startswith("targets: nothing could be scanned")


@pytest.mark.parametrize("hostname", ["", None])
def test_nornir_host_without_hostname(tmp_path: Path, hostname: object) -> None:
    (tmp_path / "hosts.yaml").write_text(
        "box:\n  data: {}\n" if hostname is None else "box:\n  hostname: ''\n"
    )
    nr = simple_nornir(tmp_path / "hosts.yaml")
    result = nr.run(task=service_scan, ports="22")["box"][0]
    assert result.failed and result.result in (
        "hostname: box has no hostname to scan",
        "targets: empty target",
    )

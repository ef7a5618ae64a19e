"""service_scan with engine nmap through the real ansible-playbook: the same records and
summary as engine native on the same loopback servers, overlay rules included (read as
UTF-8 on the controller, matched byte for byte by nmap)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.ansible_run import (
    collections_path,
    lab_inventory,
    recap,
    run_playbook,
    write_inventory,
)
from tests.support.scripted import Script, ScriptedServers

pytestmark = pytest.mark.nmap

OVERLAY = """# Acme's controller, as it greets in French (UTF-8 in Git)
Probe TCP NULL q||
match acme-control m|^ACME CONTRÔLE ([\\d.]+)\\r\\n| p/Acme Contrôle/ v/$1/
"""
PLAYBOOK = """- name: The same servers, both engines
  hosts: scanners
  gather_facts: false
  tasks:
    - name: Scan
      fastprobe.scanner.service_scan:
        targets: [web]
        ports: "{{ ports }}"
        rules: ["{{ overlay }}"]
        engine: "{{ item }}"
        nmap_path: "{{ nmap if item == 'nmap' else omit }}"
      loop: [native, nmap]
      register: scans

    - name: Keep what each returned
      ansible.builtin.copy:
        content: "{{ scans.results | to_json }}"
        dest: "{{ out }}"
        mode: "0644"
"""
COMPARED = ("address", "port", "protocol", "state", "service", "product", "version",
            "extrainfo", "ostype", "cpe", "tunnel", "method", "probe", "rule")  # fmt: skip


def test_engine_nmap_returns_what_engine_native_does(tmp_path: Path) -> None:
    overlay = tmp_path / "acme.probes"
    overlay.write_text(OVERLAY, encoding="utf-8")
    (tmp_path / "scan.yml").write_text(PLAYBOOK)
    inventory = write_inventory(
        tmp_path / "inventory.json", lab_inventory({"web1": "127.0.0.1"}, ["scan1"], "web")
    )
    scripts = [
        Script(banner=b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", hold=2),
        Script(banner="ACME CONTRÔLE 4.1\r\n".encode(), hold=2),
        Script(close_at_once=True),
    ]
    with ScriptedServers(scripts) as s:
        extra = {"ports": ",".join(map(str, s.ports)), "overlay": str(overlay),
                 "nmap": shutil.which("nmap"), "out": str(tmp_path / "out.json")}  # fmt: skip
        run = run_playbook(tmp_path / "scan.yml", inventory, collections_path(tmp_path), extra,
                           timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert recap(run.stdout)["scan1"]["failed"] == 0
    native, nmap = json.loads((tmp_path / "out.json").read_text())
    assert (native["item"], nmap["item"]) == ("native", "nmap")

    def view(result: dict) -> list[tuple]:
        return sorted(tuple(str(r.get(k)) for k in COMPARED) for r in result["hosts"]["web1"])

    assert view(nmap) == view(native)
    by_port = {r["port"]: r for r in nmap["records"]}
    acme = by_port[s.ports[1]]
    # the two bytes of "Ô" matched; fields show them as nmap does, as dots
    assert (acme["service"], acme["product"], acme["version"]) == (
        "acme-control", "Acme Contr..le", "4.1"
    )  # fmt: skip
    assert acme["rule"] == f"{overlay}:3"
    assert by_port[s.ports[0]]["product"] == "OpenSSH"
    assert by_port[s.ports[2]]["method"] == "tcpwrapped"
    assert {k: v for k, v in nmap["summary"].items() if k != "seconds"} == {
        "targets": 1, "addresses": 1, "open": 3, "identified": 3, "unknown": 0
    }  # fmt: skip

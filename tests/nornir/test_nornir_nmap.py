"""The Nornir task with engine nmap: real InitNornir on one loopback host, the same
records as engine native, and options only the native engine has refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from nornir import InitNornir

from nornir_fastprobe.plugins.tasks import service_scan
from tests.support.scripted import Script, ScriptedServers

pytestmark = pytest.mark.nmap

FIELDS = ("port", "state", "service", "product", "version", "cpe", "method", "probe", "rule")


def test_engine_nmap_gives_the_native_records(tmp_path: Path) -> None:
    (tmp_path / "hosts.yaml").write_text("box:\n  hostname: 127.0.0.1\n")
    nr = InitNornir(
        runner={"plugin": "serial"},
        inventory={"plugin": "SimpleInventory",
                   "options": {"host_file": str(tmp_path / "hosts.yaml")}},
        logging={"enabled": False},
    )  # fmt: skip
    nmap = shutil.which("nmap")
    scripts = [Script(banner=b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", hold=2),
               Script(close_at_once=True)]  # fmt: skip
    with ScriptedServers(scripts) as s:
        ports = ",".join(map(str, s.ports))
        native = nr.run(task=service_scan, ports=ports)["box"][0]
        theirs = nr.run(task=service_scan, ports=ports, engine="nmap", nmap_path=nmap)["box"][0]
        refused = nr.run(task=service_scan, ports=ports, engine="nmap", wait_max=1.0)["box"][0]
    assert not native.failed and not theirs.failed, theirs.result
    view = [[{k: r.get(k) for k in FIELDS} for r in x.result] for x in (native, theirs)]
    assert view[0] == view[1] and len(view[1]) == 2
    assert {r["service"] for r in theirs.result} == {"ssh", "tcpwrapped"}
    assert refused.failed and refused.result.startswith("wait_max: only the native engine has it")

"""The nmap role for real: ansible-playbook -c local builds nmap from Debian's source
with the timing changes under build/nmap-role, and the built nmap behaves differently
from Debian's where each change says it should. The build is kept between test runs
(the role's own stamp decides whether to rebuild), so only a clean checkout pays it."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from tests.support import nmap_role
from tests.support.ansible_run import recap
from tests.support.nmap_role import NMAP, PREFIX, PROBES, WORK
from tests.support.scripted import Script, ScriptedServers

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the role installs packages and writes under /etc/apt: run as root"
)

STOCK = "/usr/bin/nmap"
OVERLAY = """# a service nmap does not know, for the test of the deployed probe file
Probe TCP NULL q||
match fastprobe-test m|^MINE (\\d+)\\r\\n| p/Mine test server/ v/$1/
"""
NSE_WAIT = """local nmap = require "nmap"
description = [[How long a receive with a 8 s socket timeout waits on a silent port.]]
categories = {"safe"}
portrule = function(host, port) return port.state == "open" end
action = function(host, port)
  local socket = nmap.new_socket()
  socket:connect(host, port)
  socket:set_timeout(8000)
  local start = nmap.clock_ms()
  socket:receive()
  local waited = nmap.clock_ms() - start
  socket:close()
  return ("waited %d ms"):format(waited)
end
"""


def play(**extra: object) -> subprocess.CompletedProcess:
    rules = WORK / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    (rules / "test.probes").write_text(OVERLAY)
    return nmap_role.play([rules], **extra)


def changed_tasks(output: str) -> list[str]:
    """Names of the tasks that reported a change."""
    names, task = [], ""
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line[6 : line.index("]")]
        elif line.startswith("changed:"):
            names.append(task)
    return names


@pytest.fixture(scope="module")
def built() -> subprocess.CompletedProcess:
    """The role's default timing values, built (or found built) and deployed."""
    run = play()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return run


def nmap(binary: str, *args: str, timeout: float = 300) -> tuple[str, float]:
    start = time.monotonic()
    out = subprocess.run(
        [binary, "-Pn", "-n", *args], capture_output=True, text=True, timeout=timeout, check=True
    )
    return out.stdout + out.stderr, time.monotonic() - start  # nsock traces to stderr


def test_the_role_installs_nmap_under_its_prefix(built) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run([str(NMAP), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("Nmap version 7.93")
    assert os.path.realpath(STOCK) != str(NMAP)
    assert not (PREFIX / "bin" / "ncat").exists() and not (PREFIX / "bin" / "nping").exists()
    wrapper = (PREFIX / "bin" / "fastprobe-nmap").read_text()
    assert f"--versiondb {PROBES}" in wrapper


def test_a_second_run_changes_nothing(built) -> None:  # type: ignore[no-untyped-def]
    again = play()
    assert again.returncode == 0, again.stdout[-3000:]
    assert recap(again.stdout)["here"]["changed"] == 0, changed_tasks(again.stdout)


def test_each_probe_waits_300_ms_whatever_the_file_says(built) -> None:  # type: ignore[no-untyped-def]
    """nmap's NULL probe says totalwaitms 6000: the patched nmap waits 300 ms, and a
    silent port, which costs Debian's nmap ~160 s, is done in seconds."""
    assert "totalwaitms 6000" in PROBES.read_text(encoding="latin-1")
    with ScriptedServers([Script(hold=120)]) as servers:
        port = str(servers.ports[0])
        out, took = nmap(str(NMAP), "-sV", "--versiondb", str(PROBES), "--version-trace",
                         "-p", port, "127.0.0.1")  # fmt: skip
    timeouts = set(re.findall(r"Read request from IOD #\d+ \[[\d.:]+\] \(timeout: (\d+)ms", out))
    assert timeouts == {"300"}, timeouts
    assert re.search(rf"^{port}/tcp\s+open\s+unknown", out, re.M), out[-2000:]
    assert took < 60


def test_tcpwrapped_window_is_200_ms(built, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A connection closed silently after 0.6 s: tcpwrapped to Debian's nmap (2000 ms
    window), not to the patched one (200 ms), with a file that sets no window."""
    probes = tmp_path / "probes"
    probes.write_text("Probe TCP NULL q||\nmatch never m|^NEVER$|\n")
    with ScriptedServers([Script(hold=0.6)]) as servers:
        args = ("-sV", "--versiondb", str(probes), "-p", str(servers.ports[0]), "127.0.0.1")
        stock, _ = nmap(STOCK, *args)
        patched, _ = nmap(str(NMAP), *args)
    assert re.search(r"/tcp\s+open\s+tcpwrapped", stock), stock
    assert re.search(r"/tcp\s+open\s+unknown", patched), patched


def nse_wait(binary: str, port: int, script: Path) -> int:
    out, _ = nmap(binary, "-p", str(port), "--script", str(script), "127.0.0.1", timeout=120)
    m = re.search(r"waited (\d+) ms", out)
    assert m, out
    return int(m.group(1))


def test_nse_socket_timeouts_are_capped(built, tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "wait.nse"
    script.write_text(NSE_WAIT)
    with ScriptedServers([Script(hold=120)]) as servers:
        assert 400 <= nse_wait(str(NMAP), servers.ports[0], script) < 2000
        assert nse_wait(STOCK, servers.ports[0], script) >= 7000


def test_the_deployed_probe_file_has_the_overlays_and_no_exclude(built) -> None:  # type: ignore[no-untyped-def]
    text = PROBES.read_text(encoding="latin-1")
    assert "\nExclude " not in text and "match fastprobe-test m|^MINE" in text
    lint = subprocess.run(
        [sys.executable, "-m", "fastprobe.cli", "rules", "lint", "-q", str(PROBES)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout
    with ScriptedServers([Script(banner=b"MINE 42\r\n"), Script(banner=b"MINE 7\r\n")]) as s:
        out, _ = nmap(str(PREFIX / "bin" / "fastprobe-nmap"), "-sV", "-p",
                      f"{s.ports[0]},{s.ports[1]}", "127.0.0.1")  # fmt: skip
    assert re.search(rf"^{s.ports[0]}/tcp\s+open\s+fastprobe-test\s+Mine test server 42", out, re.M)
    assert re.search(rf"^{s.ports[1]}/tcp\s+open\s+fastprobe-test\s+Mine test server 7", out, re.M)


def test_a_changed_value_rebuilds_and_takes_effect(built, tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "wait.nse"
    script.write_text(NSE_WAIT)
    try:
        changed = play(fastprobe_nmap_nse_timeout_cap_ms=1500)
        assert changed.returncode == 0, changed.stdout[-3000:]
        tasks = changed_tasks(changed.stdout)
        role = "fastprobe.scanner.nmap : "
        assert {role + "Build", role + "Install"} <= set(tasks), tasks
        assert role + "Configure" not in tasks, tasks  # the tree stays configured
        with ScriptedServers([Script(hold=120)]) as servers:
            assert 1400 <= nse_wait(str(NMAP), servers.ports[0], script) < 3000
    finally:
        back = play()
    assert back.returncode == 0, back.stdout[-3000:]
    with ScriptedServers([Script(hold=120)]) as servers:
        assert nse_wait(str(NMAP), servers.ports[0], script) < 1000


def fake_source(tmp_path: Path, header: str) -> tuple[Path, str]:
    """A tarball shaped like nmap's source as far as the edits go, with ``header`` as
    its service_scan.h: the role must stop at the edits, before any build."""
    tree = tmp_path / "nmap-0.0"
    tree.mkdir()
    (tree / "configure").write_text("#!/bin/sh\nexit 1\n")
    (tree / "service_scan.h").write_text(header)
    (tree / "service_scan.cc").write_text("  if (x) {\n        newProbe->totalwaitms = waitms;\n")
    (tree / "nse_nsock.cc").write_text("{\n  nu->timeout = timeout;\n}\n")
    archive = tmp_path / "nmap-0.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname=tree.name)
    return archive, "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest()


def test_a_source_of_another_shape_fails_naming_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    archive, checksum = fake_source(tmp_path, "#define DEFAULT_SERVICEWAITMS 5000\n")
    run = nmap_role.play(
        fastprobe_nmap_source="tarball",
        fastprobe_nmap_tarball=str(archive),
        fastprobe_nmap_tarball_checksum=checksum,
        fastprobe_nmap_prefix=str(tmp_path / "prefix"),
        fastprobe_nmap_build_dir=str(tmp_path / "build"),
    )
    assert run.returncode != 0
    assert "nmap's source has changed shape" in run.stdout, run.stdout[-3000:]
    assert (
        "nmap-0.0/service_scan.h no longer has the line this role rewrites for "
        "DEFAULT_TCPWRAPPEDMS" in " ".join(run.stdout.split())
    )
    edited = next((tmp_path / "build").rglob("service_scan.h")).read_text()
    assert "#define DEFAULT_SERVICEWAITMS 300" in edited  # the edit that could be made was
    assert (
        not (tmp_path / "prefix").exists()
        and "TASK [fastprobe.scanner.nmap : Build]" not in run.stdout
    )


def test_a_tarball_with_another_checksum_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    archive, _ = fake_source(tmp_path, "")
    run = nmap_role.play(
        fastprobe_nmap_source="tarball",
        fastprobe_nmap_tarball=str(archive),
        fastprobe_nmap_tarball_checksum="sha256:" + "0" * 64,
        fastprobe_nmap_build_dir=str(tmp_path / "build"),
    )
    assert run.returncode != 0
    assert "has another checksum than fastprobe_nmap_tarball_checksum" in run.stdout
    assert not (tmp_path / "build" / "tarball").exists() or not any(
        (tmp_path / "build" / "tarball").rglob("service_scan.h")
    )

"""Nothing lost: result files are written whole, keep their mode, owner and symlinks,
are never written from a failed scan, keep what a narrower rescan did not cover; a
full disk or a killed scan loses no finished record and duplicates none on resume."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fastprobe import facts
from fastprobe.files import write_atomic
from nornir_fastprobe.plugins.functions import write_back
from nornir_fastprobe.plugins.tasks import service_scan
from tests.support.ansible_run import adhoc as run_adhoc
from tests.support.cli import ROOT, run_cli, simple_nornir
from tests.support.scripted import Script, ScriptedServers

SSH = Script(banner=b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
HTTP = Script(replies=((b"GET ", 0.0, b"HTTP/1.0 200 OK\r\nServer: nginx/1.22.1\r\n\r\n"),))


def private_link(tmp: Path, text: str) -> tuple[Path, Path]:
    """``tmp/hosts.yaml``, a symlink to a file of mode 0600 holding ``text`` elsewhere."""
    real = tmp / "vault" / "hosts.yaml"
    real.parent.mkdir()
    real.write_text(text)
    real.chmod(0o600)
    link = tmp / "hosts.yaml"
    link.symlink_to(real)
    return link, real


def test_atomic_write_keeps_mode_and_symlink(tmp_path: Path) -> None:
    link, real = private_link(tmp_path, "old\n")
    write_atomic(str(link), "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(os.listdir(real.parent)) == ["hosts.yaml"]  # no temporary file left
    fresh = tmp_path / "fresh.json"
    write_atomic(str(fresh), "{}")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask  # as a new file would be


def test_nornir_write_back_keeps_a_private_symlinked_inventory(tmp_path: Path) -> None:
    text = "box:\n  hostname: 127.0.0.1\n  password: hunter2  # keep private\n"
    inventory, secret = private_link(tmp_path, text)
    nr = simple_nornir(inventory)
    with ScriptedServers([SSH]) as s:
        result = nr.run(task=service_scan, ports=str(s.ports[0]), enrich=True)["box"][0]
    assert not result.failed, result.result
    assert write_back(nr, str(inventory)) == ["box"]
    assert inventory.is_symlink() and inventory.resolve() == secret
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    text = secret.read_text()
    assert "password: hunter2  # keep private" in text and "fastprobe_services" in text
    assert "fastprobe_updated" in text


def adhoc(tmp: Path, args: dict) -> tuple[str, dict]:
    return run_adhoc(tmp, "fastprobe.scanner.service_scan", args)


def test_results_dir_is_never_written_from_a_failed_scan(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    kept = {"format": 1, "host": "localhost", "services": [
        {"address": "127.0.0.1", "port": 22, "protocol": "tcp", "state": "open", "service": "ssh"}
    ]}  # fmt: skip
    (results / "localhost.json").write_text(json.dumps(kept))
    before = (results / "localhost.json").read_bytes()
    status, result = adhoc(
        tmp_path,
        {"targets": ["localhost"], "ports": "22", "results_dir": str(results),
         "nmap_probes": "/nonexistent/nmap-service-probes"},
    )  # fmt: skip
    assert status == "FAILED!" and result["msg"].startswith("nmap_probes: ")
    assert result["option"] == "nmap_probes" and not result["changed"]
    assert (results / "localhost.json").read_bytes() == before
    status, result = adhoc(tmp_path, {"targets": ["nosuch.invalid"], "ports": "22",
                                      "results_dir": str(results)})  # fmt: skip
    assert status == "FAILED!" and "nothing could be scanned" in result["msg"]
    assert (results / "localhost.json").read_bytes() == before
    assert sorted(os.listdir(results)) == ["localhost.json"]


def test_a_narrower_rescan_keeps_what_it_did_not_cover(tmp_path: Path) -> None:
    results = tmp_path / "results"
    real = tmp_path / "git" / "localhost.json"
    real.parent.mkdir()
    results.mkdir()
    with ScriptedServers([SSH, HTTP]) as s:
        ssh, http = s.ports
        status, first = adhoc(tmp_path, {"targets": ["localhost"], "ports": f"{ssh},{http}",
                                         "results_dir": str(results)})  # fmt: skip
        assert status == "CHANGED", first
        # the file is moved into Git and linked, private: both must survive
        os.replace(results / "localhost.json", real)
        (results / "localhost.json").symlink_to(real)
        real.chmod(0o640)
        updated = json.loads(real.read_text())["updated"]
        status, second = adhoc(tmp_path, {"targets": ["localhost"], "ports": str(ssh),
                                          "results_dir": str(results)})  # fmt: skip
    assert status == "SUCCESS", second  # no service changed: http is still known
    assert second["covered"] == {"tcp": [[ssh, ssh]], "udp": []}
    doc = json.loads(real.read_text())  # http is marked as not seen by this scan
    assert {r["port"]: r.get("last_seen") for r in doc["services"]} == {ssh: None, http: updated}
    # a third scan covering only ssh, finding it gone: http kept, last seen as before
    status, third = adhoc(tmp_path, {"targets": ["localhost"], "ports": str(ssh),
                                     "results_dir": str(results)})  # fmt: skip
    assert status == "CHANGED", third
    doc = json.loads(real.read_text())
    assert [(r["port"], r.get("last_seen")) for r in doc["services"]] == [(http, updated)]
    assert (results / "localhost.json").is_symlink()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_a_corrupt_results_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "web1.json").write_text('{"format": "1", "host": "web1", "services": []}')
    with pytest.raises(ValueError, match=r"web1\.json: not a fastprobe results file \(format"):
        facts.read_dir(str(tmp_path))
    (tmp_path / "web1.json").write_text('{"format": 1, "host": "web1", "services": [7]}')
    with pytest.raises(ValueError, match=r"service 0 has no port"):
        facts.read_host(str(tmp_path), "web1")


def test_a_full_disk_keeps_the_table_and_says_what_was_not_written(tmp_path: Path) -> None:
    """A file size limit stands in for a full disk: -oJ stops at its first failed
    write (the scan goes on, the table has every record); -oX fails whole, the old
    file stays as it was."""
    out, xml = tmp_path / "out.jsonl", tmp_path / "out.xml"
    xml.write_text("<old/>")
    with ScriptedServers([SSH, HTTP, SSH, HTTP]) as s:
        ports = ",".join(map(str, s.ports))
        p = run_cli(
            "scan", "127.0.0.1", "-p", ports, "-oJ", str(out), "-oX", str(xml), file_size=700
        )
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr
    assert len(p.stdout.splitlines()) == 4  # the table: every port
    errors = [line for line in p.stderr.splitlines() if "error" in line]
    assert errors[0].startswith(f"fastprobe: error: -oJ {out}: File too large; ")
    assert "record(s) not written there" in errors[0]
    assert errors[1].startswith(f"fastprobe: error: -oX: {xml}: File too large")
    assert xml.read_text() == "<old/>"
    complete = out.read_text().splitlines(keepends=True)
    assert 0 < len(complete) < 4
    assert [json.loads(line)["state"] for line in complete if line.endswith("\n")]


def test_json_output_is_replaced_unless_appending(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"stale": true}\n')
    with ScriptedServers([SSH]) as s:
        assert run_cli("scan", "127.0.0.1", "-p", str(s.ports[0]), "-oJ", str(out)).returncode == 0
        assert "stale" not in out.read_text() and len(out.read_text().splitlines()) == 1
        p = run_cli("scan", "127.0.0.1", "-p", str(s.ports[0]), "-oJ", str(out), "--append-output")
    assert p.returncode == 0
    assert len(out.read_text().splitlines()) == 2


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_scan_resumed_twice_loses_and_repeats_nothing(
    tmp_path: Path, how: signal.Signals
) -> None:
    """200 closed ports at 40 a second, stopped twice part way and resumed: every port
    is in the file once, every line is a record."""
    out = tmp_path / "scan.jsonl"
    holders = [socket.socket() for _n in range(200)]
    try:
        for sock in holders:  # bound, not listening: refused, a record each
            sock.bind(("127.0.88.60", 0))
        ports = sorted(sock.getsockname()[1] for sock in holders)
    finally:
        for sock in holders:
            sock.close()
    spec = ",".join(map(str, ports))
    cmd = [sys.executable, "-m", "fastprobe.cli", "scan", "127.0.88.60", "-p", spec,
           "--all-states", "--rate", "40", "-q", "-oJ", str(out), "--resume", str(out)]  # fmt: skip
    for _round in range(2):
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 2000):
            time.sleep(0.05)
        size = out.stat().st_size
        while time.monotonic() < deadline and out.stat().st_size == size:
            time.sleep(0.01)
        proc.send_signal(how)
        _out, err = proc.communicate(timeout=60)
        if how == signal.SIGINT:
            assert proc.returncode == 130 and b"interrupted" in err, err
        with open(out, "ab") as fh:  # what a crash mid-write leaves
            fh.write(b'{"address": "127.0.88.60", "port": 1')
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line whole
    seen = [r["port"] for r in records]
    assert sorted(seen) == ports  # all of them, none twice
    assert {r["state"] for r in records} == {"closed"}


def test_nmap_that_writes_nothing_leaves_the_old_xml(tmp_path: Path) -> None:
    """/bin/false stands for an nmap that dies at once: an error, and -oX as it was."""
    xml = tmp_path / "nmap.xml"
    xml.write_text("<old/>")
    p = run_cli("scan", "127.0.0.1", "-p", "1", "--engine", "nmap", "--nmap-path", "/bin/false",
                "-oX", str(xml))  # fmt: skip
    assert p.returncode == 1 and "nmap exited with status 1" in p.stderr, p.stderr
    assert xml.read_text() == "<old/>" and sorted(os.listdir(tmp_path)) == ["nmap.xml"]

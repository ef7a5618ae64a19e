"""What `fastprobe scan` writes: JSON lines, and XML that nmap's tools read."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from libnmap.parser import NmapParser

from tests.support.scripted import Script, ScriptedServers

SCRIPTS = [
    Script(banner=b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
    Script(banner=b"WELCOME TO ACME CONTROL v3.2\r\n"),
    Script(close_at_once=True),
]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("out")
    with ScriptedServers(SCRIPTS) as s:
        ports = ",".join(map(str, s.ports))
        cmd = [sys.executable, "-m", "fastprobe.cli", "scan", "127.0.0.1", "-p", ports]
        p = subprocess.run(
            [*cmd, "-oJ", str(d / "out.jsonl"), "-oX", str(d / "out.xml")],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        nmap = subprocess.run(
            ["nmap", "-sT", "-Pn", "-n", "-p", ports, "127.0.0.1", "-oX", str(d / "nmap.xml")],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert nmap.returncode == 0
    return d, s.ports, p.stdout


def test_json_lines_and_table(scanned) -> None:  # type: ignore[no-untyped-def]
    d, ports, table = scanned
    rows = [json.loads(line) for line in (d / "out.jsonl").read_text().splitlines()]
    by_port = {r["port"]: r for r in rows}
    assert set(by_port) == set(ports)
    ssh, acme, wrapped = (by_port[p] for p in ports)
    assert (ssh["service"], ssh["product"], ssh["method"]) == ("ssh", "OpenSSH", "matched")
    assert acme["method"] == "unknown" and acme["replies"]["NULL"].startswith("WELCOME")
    assert (wrapped["service"], wrapped["method"]) == ("tcpwrapped", "tcpwrapped")
    assert "OpenSSH 9.2p1 Debian 2+deb12u3" in table


def test_xml_reads_in_python_libnmap(scanned) -> None:  # type: ignore[no-untyped-def]
    d, ports, _ = scanned
    report = NmapParser.parse_fromfile(str(d / "out.xml"))
    (host,) = report.hosts
    assert host.address == "127.0.0.1"
    services = {s.port: s for s in host.services}
    ssh = services[ports[0]]
    assert (ssh.state, ssh.service, ssh.banner_dict.get("product")) == ("open", "ssh", "OpenSSH")
    assert ssh.cpelist and str(ssh.cpelist[0]) == "cpe:/a:openbsd:openssh:9.2p1"
    assert services[ports[2]].service == "tcpwrapped"


def test_xml_reads_in_ndiff(scanned) -> None:  # type: ignore[no-untyped-def]
    d, _, _ = scanned
    same = subprocess.run(["ndiff", str(d / "out.xml"), str(d / "out.xml")], capture_output=True)
    assert same.returncode == 0, same.stderr
    versus = subprocess.run(
        ["ndiff", str(d / "nmap.xml"), str(d / "out.xml")], capture_output=True, text=True
    )
    assert versus.returncode == 1, versus.stderr  # 1: differences found (versions), no error
    assert "OpenSSH" in versus.stdout


def test_resume_skips_what_an_earlier_run_found(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "scan.jsonl"
    with ScriptedServers(SCRIPTS[:2]) as s:
        first = {"address": "127.0.0.1", "port": s.ports[0], "protocol": "tcp", "state": "open"}
        out.write_text(json.dumps(first) + "\n" + '{"address": "127.0.0.1", "por')  # cut
        p = subprocess.run(
            [sys.executable, "-m", "fastprobe.cli", "scan", "127.0.0.1", "-p",
             ",".join(map(str, s.ports)), "-oJ", str(out), "--resume", str(out), "--rate", "200"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert p.returncode == 0, p.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == json.dumps(first)
    new = [json.loads(line) for line in lines[1:]]  # the cut line dropped, not mended
    assert [r["port"] for r in new] == [s.ports[1]]  # only the port not done before


def test_progress_shows_on_a_terminal_only() -> None:
    """Under a pseudo-terminal (util-linux `script`) the bar is drawn on stderr; piped or
    with -q it is not."""
    with ScriptedServers([Script()]) as s:
        cmd = f"{sys.executable} -m fastprobe.cli scan 127.0.0.1 -p {s.ports[0]},1-50"
        tty = subprocess.run(
            ["script", "-qfc", cmd, "/dev/null"], capture_output=True, timeout=120, check=False
        )
        quiet = subprocess.run(
            ["script", "-qfc", cmd + " -q", "/dev/null"],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        piped = subprocess.run(cmd.split(), capture_output=True, timeout=120, check=False)
    assert b"identified" in tty.stdout and b"unknown" in tty.stdout
    assert b"identified" not in quiet.stdout
    # piped: no bar, only the line before the scan and the summary after it
    lines = piped.stderr.decode().splitlines()
    assert [line.split(" ", 2)[1] for line in lines] == ["scanning", "1"], lines
    assert b"\r" not in piped.stderr and b"\x1b" not in piped.stderr


def test_fingerprint_escapes_and_wraps_like_nmap(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """nmap, given a probe file with only an empty NULL probe, fingerprints the banner;
    ours for the same reply must be the same text after the header."""
    import os
    import xml.etree.ElementTree as ET

    from fastprobe.engine.fingerprint import service_fingerprint
    from tests.support.nmap_oracle import null_probe_file

    banner = b'HELLO "x" [1.0] a*b+c? $^| \\ \x00\x01\x7f\xff\r\n\t' + b"A" * 120
    (tmp_path / "nmap-service-probes").write_text(null_probe_file([], waitms=500))
    os.mkdir(tmp_path / "scripts")
    (tmp_path / "scripts" / "script.db").write_text("")
    with ScriptedServers([Script(banner=banner)]) as s:
        out = tmp_path / "n.xml"
        subprocess.run(
            ["nmap", "-sV", "-sT", "-Pn", "-n", "--datadir", str(tmp_path), "-p",
             str(s.ports[0]), "127.0.0.1", "-oX", str(out)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    svc = ET.parse(out).getroot().find(".//port/service")
    assert svc is not None
    theirs = svc.get("servicefp", "")
    ours = service_fingerprint(s.ports[0], "tcp", {"NULL": banner})
    body = lambda fp: fp[fp.index("%r(") :]  # noqa: E731 — after V=, D=, Time=, P=
    # the wrapping depends on the header's length, so compare unwrapped, then the width
    assert body(ours.replace("\nSF:", "")) == body(theirs.replace("\nSF:", ""))
    assert all(len(line) <= 78 for line in ours.split("\n"))
